//! The scenario language (issues 10 and 16): distributions as values, behaviour switches, the
//! generated key table and JSON Schema, input limits and error messages.

use marketsim::scenario::dist::{self, Columns, DistSpec, DistTable, ExponentialParams};
use marketsim::scenario::dist::{LogNormalParams, NormalParams};
use marketsim::scenario::{EmpiricalSource, Scenario, ScenarioError, keys};
use proptest::prelude::*;
use rand::SeedableRng;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{marketsim, metric, scratch, summary_of};

fn load(text: &str, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    load_at(text, Path::new("test.toml"), overrides)
}

fn load_at(text: &str, origin: &Path, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::from_toml(text, origin, &overrides)
}

fn refusal(text: &str, overrides: &[&str]) -> String {
    match load(text, overrides) {
        Ok(_) => panic!("accepted: {text} {overrides:?}"),
        Err(e) => e.to_string(),
    }
}

fn shipped() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

// ----- distributions ---------------------------------------------------------------------

/// Draws `n` samples of `spec` and checks support, mean and variance against its parameters.
fn check_moments(spec: &DistSpec, columns: &Columns, n: usize) -> Result<(), TestCaseError> {
    let m = spec.moments(columns);
    let d = spec.build(columns);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
    for &x in &xs {
        prop_assert!(
            x >= m.min && x <= m.max,
            "{spec:?}: {x} outside [{}, {}]",
            m.min,
            m.max
        );
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // The sample mean is within 5 standard errors; the variance within 5% plus 5 standard
    // errors of a variance estimate (≈ σ²·√(2/n) for light tails).
    let se = (m.variance / n as f64).sqrt();
    // (Plus the rounding of summing 10^5 values.)
    prop_assert!(
        (mean - m.mean).abs() <= 5.0 * se + 1e-9 * m.mean.abs().max(1.0),
        "{spec:?}: mean {mean} vs {}",
        m.mean
    );
    let tol = m.variance * (0.05 + 5.0 * (2.0 / n as f64).sqrt()) + 1e-12;
    prop_assert!(
        (var - m.variance).abs() <= tol,
        "{spec:?}: variance {var} vs {}",
        m.variance
    );
    Ok(())
}

const DRAWS: usize = 100_000;

fn table(t: DistTable) -> DistSpec {
    DistSpec::Table(t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn uniform_matches_its_parameters(lo in -1e3f64..1e3, width in 1e-3f64..1e3) {
        check_moments(&table(DistTable::Uniform([lo, lo + width])), &Columns::new(), DRAWS)?;
    }

    #[test]
    fn uniform_int_matches_its_parameters(lo in -1000i64..1000, width in 0i64..500) {
        let spec = table(DistTable::UniformInt([lo, lo + width]));
        check_moments(&spec, &Columns::new(), DRAWS)?;
        let d = spec.build(&Columns::new());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        prop_assert!((0..100).all(|_| d.sample(&mut rng).fract() == 0.0));
    }

    #[test]
    fn normal_matches_its_parameters(mean in -1e3f64..1e3, sd in 0.0f64..1e2) {
        let spec = table(DistTable::Normal(NormalParams { mean, sd, min: None, max: None }));
        check_moments(&spec, &Columns::new(), DRAWS)?;
    }

    #[test]
    fn lognormal_matches_its_parameters(median in 1e-2f64..1e4, sigma in 0.0f64..0.5) {
        let spec = table(DistTable::Lognormal(LogNormalParams { median, sigma }));
        check_moments(&spec, &Columns::new(), DRAWS)?;
    }

    #[test]
    fn beta_matches_its_parameters(a in 0.2f64..20.0, b in 0.2f64..20.0) {
        check_moments(&table(DistTable::Beta([a, b])), &Columns::new(), DRAWS)?;
    }

    #[test]
    fn triangular_matches_its_parameters(lo in -1e3f64..1e3, a in 0.0f64..1.0, width in 1e-2f64..1e3) {
        let spec = table(DistTable::Triangular([lo, lo + a * width, lo + width]));
        check_moments(&spec, &Columns::new(), DRAWS)?;
    }

    #[test]
    fn exponential_matches_its_parameters(mean in 1e-3f64..1e4) {
        let spec = table(DistTable::Exponential(ExponentialParams { mean }));
        check_moments(&spec, &Columns::new(), DRAWS)?;
    }

    #[test]
    fn empirical_matches_its_column(values in prop::collection::vec(-1e3f64..1e3, 1..40)) {
        let dir = scratch("empirical-prop");
        let text: String = std::iter::once("x".to_string())
            .chain(values.iter().map(|v| v.to_string()))
            .collect::<Vec<_>>()
            .join("\n");
        fs::write(dir.join("d.csv"), text).unwrap();
        let mut source = EmpiricalSource::File("d.csv".into());
        let mut columns = Columns::new();
        dist::load(&mut source, &dir, &mut columns).unwrap();
        let spec = table(DistTable::Empirical(source));
        check_moments(&spec, &columns, DRAWS)?;
    }
}

#[test]
fn a_clamped_normal_stays_within_its_bounds() {
    let spec = table(DistTable::Normal(NormalParams {
        mean: 0.0,
        sd: 1.0,
        min: Some(-0.5),
        max: Some(0.25),
    }));
    let d = spec.build(&Columns::new());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let xs: Vec<f64> = (0..10_000).map(|_| d.sample(&mut rng)).collect();
    assert!(xs.iter().all(|x| (-0.5..=0.25).contains(x)));
    // Clamped, not truncated: the bounds carry the clipped mass (≈ 31% and 40%).
    let at_min = xs.iter().filter(|&&x| x == -0.5).count();
    let at_max = xs.iter().filter(|&&x| x == 0.25).count();
    assert!((2_800..3_400).contains(&at_min), "{at_min}");
    assert!((3_700..4_300).contains(&at_max), "{at_max}");
}

/// Every kind of bad distribution table is refused before anything runs, naming the file, the
/// key path and the rule.
#[test]
fn bad_distribution_tables_are_refused_naming_file_key_and_rule() {
    let dir = scratch("bad-tables");
    fs::write(dir.join("empty.csv"), "budget\n").unwrap();
    fs::write(dir.join("words.csv"), "budget\n100\nmany\n").unwrap();
    fs::write(dir.join("ok.csv"), "a,budget\n1,100\n2,200\n").unwrap();
    let origin = dir.join("s.toml");
    let cases: &[(&str, &str, &str)] = &[
        (
            "{ uniform = [5000, 1000] }",
            "clients.budget.uniform",
            "lo ≤ hi",
        ),
        (
            "{ uniform_int = [9, 1] }",
            "clients.budget.uniform_int",
            "lo ≤ hi",
        ),
        (
            "{ normal = { mean = 1, sd = -2 } }",
            "clients.budget.normal",
            "sd ≥ 0",
        ),
        (
            "{ normal = { mean = 1, sd = 2, min = 5, max = 1 } }",
            "clients.budget.normal",
            "min ≤ max",
        ),
        (
            "{ lognormal = { median = 0, sigma = 1 } }",
            "clients.budget.lognormal",
            "median > 0",
        ),
        (
            "{ lognormal = { median = 10, sigma = -1 } }",
            "clients.budget.lognormal",
            "sigma ≥ 0",
        ),
        ("{ beta = [0, 2] }", "clients.budget.beta", "a > 0"),
        ("{ beta = [2, -1] }", "clients.budget.beta", "b > 0"),
        (
            "{ triangular = [1, 9, 5] }",
            "clients.budget.triangular",
            "lo ≤ mode ≤ hi",
        ),
        (
            "{ exponential = { mean = 0 } }",
            "clients.budget.exponential",
            "mean > 0",
        ),
        (
            "{ uniform = [-10, 5] }",
            "clients.budget.uniform",
            "a distribution of values ≥ 0",
        ),
        (
            "{ empirical = \"missing.csv\" }",
            "clients.budget.empirical",
            "missing.csv",
        ),
        (
            "{ empirical = \"empty.csv\" }",
            "clients.budget.empirical",
            "column `budget` has no values",
        ),
        (
            "{ empirical = \"words.csv\" }",
            "clients.budget.empirical",
            "`many` is not a finite number",
        ),
        (
            "{ empirical = { file = \"ok.csv\", column = \"price\" } }",
            "clients.budget.empirical",
            "no column `price`",
        ),
        ("nan", "clients.budget", "a finite number"),
    ];
    for (value, key, rule) in cases {
        let text = format!("[clients]\nbudget = {value}\n");
        let err = load_at(&text, &origin, &[]).expect_err(value).to_string();
        assert!(err.contains("s.toml"), "{value}: no file in {err}");
        assert!(
            err.contains(&format!("`{key}`")),
            "{value}: no key {key} in {err}"
        );
        assert!(err.contains(rule), "{value}: no rule {rule:?} in {err}");
    }
    // Structural errors come from the parser, naming the key and the known distributions.
    let err = refusal("[clients]\nbudget = { unifrom = [1, 2] }\n", &[]);
    assert!(err.contains("budget") && err.contains("uniform"), "{err}");
    let err = refusal(
        "[clients]\nbudget = { uniform = [1, 2], beta = [1, 1] }\n",
        &[],
    );
    assert!(
        err.contains("budget") && err.contains("one distribution"),
        "{err}"
    );
    let err = refusal("[clients]\nbudget = { normal = { mean = 1 } }\n", &[]);
    assert!(err.contains("budget") && err.contains("sd"), "{err}");
    // A distribution whose values leave the key's range (confidence in [0, 1]).
    let err = refusal(
        "[[population]]\nkind = \"honest\"\nconfidence = { normal = { mean = 0.5, sd = 0.1 } }\n",
        &[],
    );
    assert!(
        err.contains("population[0].confidence.normal") && err.contains("values in [0, 1]"),
        "{err}"
    );
    // The right column is read when named, and the resolved scenario finds the file from
    // wherever it is written.
    let text = "[clients]\nbudget = { empirical = { file = \"ok.csv\", column = \"budget\" } }\n";
    let s = load_at(text, &origin, &[]).unwrap();
    assert_eq!(s.typical_budget(), 150.0);
    let elsewhere = scratch("bad-tables-elsewhere").join("scenario.resolved.toml");
    let again = load_at(&s.to_resolved_toml(), &elsewhere, &[]).unwrap();
    assert_eq!(again, s);
}

/// Every distribution-valued key of the format is checked (a bad table is refused under its
/// own key), so none can slip past validation.
#[test]
fn every_distribution_key_is_validated() {
    let dist_keys: Vec<keys::Key> = keys::keys()
        .into_iter()
        .filter(|k| k.ty == "number or distribution")
        .collect();
    assert!(
        dist_keys.len() >= 20,
        "{} distribution keys",
        dist_keys.len()
    );
    for key in dist_keys {
        let path = key.path.replace("[N]", "[0]");
        let (base, _) = small_base(key.kind.as_deref(), &path);
        let err = load(&base, &[&format!("{path}={{ uniform = [5, 1] }}")])
            .expect_err(&path)
            .to_string();
        assert!(
            err.contains(&format!("`{path}.uniform`")) && err.contains("lo ≤ hi"),
            "{path}: {err}"
        );
    }
}

#[test]
fn set_accepts_distribution_tables() {
    let base = "[[population]]\nkind = \"honest\"\ncount = 4\n";
    let edited = "[clients]\nbudget = { uniform = [1000, 5000] }\n\
                  [[population]]\nkind = \"honest\"\ncount = 4\n";
    let via_set = load(base, &["clients.budget={uniform=[1000,5000]}"]).unwrap();
    assert_eq!(via_set, load(edited, &[]).unwrap());
    // A parameter of a distribution, as a sweep varies it.
    let narrowed = load(edited, &["clients.budget.uniform[1]=2000"]).unwrap();
    assert_eq!(
        narrowed.file().clients.budget,
        Some(DistSpec::Table(DistTable::Uniform([1000.0, 2000.0])))
    );
    // The resolved file keeps the table and reloads to the same scenario.
    let again = load(&via_set.to_resolved_toml(), &[]).unwrap();
    assert_eq!(again, via_set);
}

#[test]
fn a_sweep_varies_a_distribution_parameter() {
    let dir = scratch("sweep-dist");
    fs::write(
        dir.join("base.toml"),
        "[run]\nhorizon = 7200\n[clients]\ncount = 20\njobs_per_hour = 60\n\
         budget = { uniform = [1000, 1001] }\n\
         [[population]]\nkind = \"honest\"\ncount = 20\n",
    )
    .unwrap();
    let sweep = dir.join("sweep.toml");
    fs::write(
        &sweep,
        "scenario = \"base.toml\"\nseed = 1\nreplicates = 1\n\
         [[param]]\nkey = \"clients.budget.uniform[1]\"\nvalues = [2000.0, 9000.0]\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = marketsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Each point ran with its own upper bound: wider budgets, larger credits distributed.
    let s = marketsim::sweep::Sweep::load(&sweep).unwrap();
    let his: Vec<Option<DistSpec>> = s
        .runs()
        .into_iter()
        .map(|r| s.scenario(r).file().clients.budget.clone())
        .collect();
    assert_eq!(
        his,
        [
            Some(DistSpec::Table(DistTable::Uniform([1000.0, 2000.0]))),
            Some(DistSpec::Table(DistTable::Uniform([1000.0, 9000.0])))
        ]
    );
}

// ----- behaviour switches ----------------------------------------------------------------

const SMALL: &str = "[run]\nhorizon = 21600\n[clients]\ncount = 50\njobs_per_hour = 100\n";

#[test]
fn automatic_disputes_can_be_turned_off() {
    // Poor agents and no random disputes: every dispute is an automatic one.
    let text = format!(
        "{SMALL}p_dispute = 0.0\n[[population]]\nkind = \"honest\"\ncount = 30\n\
         quality_mean = 0.15\nquality_spread = 0.0\n"
    );
    let on = summary_of(load(&text, &[]).unwrap());
    assert!(metric(&on, "jobs_disputed") > 10.0);
    let off = summary_of(load(&text, &["clients.auto_dispute=false"]).unwrap());
    assert_eq!(metric(&off, "jobs_disputed"), 0.0);
    // A lower threshold disputes nothing above it.
    let low = summary_of(load(&text, &["clients.auto_dispute_below=0.01"]).unwrap());
    assert_eq!(metric(&low, "jobs_disputed"), 0.0);
}

#[test]
fn self_reporting_gamers_need_no_wash_client_and_are_caught_by_rapid_cycling() {
    let text = format!(
        "{SMALL}[[population]]\nkind = \"honest\"\ncount = 30\n\
         [[population]]\nkind = \"gaming\"\nstrategy = \"self_report\"\ncount = 5\n\
         reported_score = 0.995\nreport_seconds = {{ uniform_int = [5, 30] }}\n"
    );
    let s = load(&text, &[]).unwrap();
    let outcome = marketsim::world::simulate(s, |_| {});
    // 50 ordinary clients, no colluding one.
    assert_eq!(outcome.market.ledger().accounts(), 50);
    let sum: Vec<(String, String)> = marketsim::metrics::summary::summary(&outcome)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    assert!(metric(&sum, "detection_rate_self_report") > 0.5, "{sum:?}");
    // Reports of 0.995 within 30 s: rapid cycling fires on every self-reporter that worked.
    let self_report = marketsim::agents::Kind::Gaming(marketsim::agents::Strategy::SelfReport);
    let mut judged = 0;
    for i in outcome
        .population
        .identities
        .iter()
        .filter(|i| i.kind == self_report)
    {
        let stats = &outcome.recorder.agents[i.id.index()];
        if stats.jobs_won >= 3 {
            assert!(
                stats.flags[1] > 0,
                "{} won {} jobs, never flagged",
                i.id,
                stats.jobs_won
            );
            judged += 1;
        }
    }
    assert!(
        judged >= 3,
        "{judged} self-reporters worked enough to be judged"
    );
    // Keys of the strategy are refused with another strategy.
    let err = refusal(
        "[[population]]\nkind = \"gaming\"\nstrategy = \"perfect_streak\"\nreported_score = 0.9\n",
        &[],
    );
    assert!(
        err.contains("population[0].strategy") && err.contains("self_report"),
        "{err}"
    );
}

#[test]
fn independent_sybils_are_their_own_owners_and_never_whitewash() {
    let text = format!(
        "{SMALL}[[population]]\nkind = \"honest\"\ncount = 20\n\
         [[population]]\nkind = \"sybil\"\nowners = 1\nidentities_per_owner = 8\n\
         whitewash_trust = 0.9\nindependent = true\n"
    );
    let outcome = marketsim::world::simulate(load(&text, &[]).unwrap(), |_| {});
    assert_eq!(outcome.population.owners, 28);
    let sum: Vec<(String, String)> = marketsim::metrics::summary::summary(&outcome)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    assert_eq!(metric(&sum, "whitewashes"), 0.0);
    // The same group without the switch: one owner, and whitewashing at trust 0.9.
    let outcome = marketsim::world::simulate(
        load(&text, &["population[1].independent=false"]).unwrap(),
        |_| {},
    );
    assert_eq!(outcome.population.owners, 21);
    assert!(outcome.recorder.counters.whitewashes > 0);
}

#[test]
fn fixed_interval_arrivals_and_budget_free_durations() {
    // A job every 60 s for an hour: exactly 60 postings (t = 60 … 3600 is past the horizon).
    let text = "[run]\nhorizon = 3600\n[clients]\ncount = 10\ninterarrival = 60\n\
                duration = 600\nwork_factor = 1\n[[population]]\nkind = \"honest\"\ncount = 10\n";
    let outcome = marketsim::world::simulate(load(text, &[]).unwrap(), |_| {});
    assert_eq!(outcome.recorder.counters.posted, 59);
}

#[test]
fn a_trace_posts_jobs_at_its_times() {
    let dir = scratch("trace");
    fs::write(dir.join("posts.csv"), "t\n5\n100\n100\n3000\n99999\n").unwrap();
    let text = "[run]\nhorizon = 3600\n[clients]\ncount = 10\narrival_trace = \"posts.csv\"\n\
                [[population]]\nkind = \"honest\"\ncount = 10\n";
    let s = load_at(text, &dir.join("s.toml"), &[]).unwrap();
    let outcome = marketsim::world::simulate(s, |_| {});
    assert_eq!(outcome.recorder.counters.posted, 4);
}

// ----- keys and schema -------------------------------------------------------------------

/// A minimal JSON Schema validator for the subset schemars emits (type, properties,
/// additionalProperties, required, enum, const, oneOf, anyOf, allOf, $ref, items, minItems,
/// maxItems, minimum, maximum, exclusiveMinimum). Returns the first violation's path.
fn violation(schema: &Value, root: &Value, v: &Value, path: &str) -> Option<String> {
    let fail = |what: &str| Some(format!("{path}: {what}"));
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/definitions/").expect("local ref");
        if let Some(e) = violation(&root[keys::DEFINITIONS][name], root, v, path) {
            return Some(e);
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            _ => false,
        });
        if !ok {
            return fail(&format!("not of type {t}"));
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        return fail("const");
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        return fail("not in enum");
    }
    if let Some(x) = v.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x < m)
        {
            return fail("below minimum");
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x > m)
        {
            return fail("above maximum");
        }
        if schema
            .get("exclusiveMinimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x <= m)
        {
            return fail("not above exclusiveMinimum");
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => {
                    if let Some(e) = violation(s, root, val, &format!("{path}.{k}")) {
                        return Some(e);
                    }
                }
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return fail(&format!("unknown key {k}"));
                }
                None => {}
            }
        }
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(r.as_str().unwrap()) {
                return fail(&format!("missing {r}"));
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if let Some(items) = schema.get("items") {
            for (i, item) in arr.iter().enumerate() {
                if let Some(e) = violation(items, root, item, &format!("{path}[{i}]")) {
                    return Some(e);
                }
            }
        }
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|n| (arr.len() as u64) < n)
            || schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|n| (arr.len() as u64) > n)
        {
            return fail("wrong number of items");
        }
    }
    for s in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(e) = violation(s, root, v, path) {
            return Some(e);
        }
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|s| violation(s, root, v, path).is_none())
    {
        return fail("matches no anyOf branch");
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = one
            .iter()
            .filter(|s| violation(s, root, v, path).is_none())
            .count();
        if matching != 1 {
            return fail(&format!("matches {matching} oneOf branches"));
        }
    }
    None
}

fn as_json(text: &str) -> Value {
    let table: toml::Table = text.parse().unwrap();
    serde_json::to_value(table).unwrap()
}

#[test]
fn every_shipped_scenario_validates_against_the_schema() {
    let schema = keys::schema();
    for path in shipped() {
        let text = fs::read_to_string(&path).unwrap();
        let v = as_json(&text);
        assert_eq!(
            violation(&schema, &schema, &v, "$"),
            None,
            "{}",
            path.display()
        );
        // And its resolved form, with every key written out.
        let resolved = Scenario::load(&path, &[]).unwrap().to_resolved_toml();
        assert_eq!(violation(&schema, &schema, &as_json(&resolved), "$"), None);
    }
    // The validator is not vacuous: a typo, a bad kind and a bad distribution fail it.
    for bad in [
        "[clients]\ncuont = 3\n",
        "[[population]]\nkind = \"honset\"\n",
        "[clients]\nbudget = { unifrom = [1, 2] }\n",
        "[market]\nclearing = \"fastest\"\n",
        "[clients]\np_dispute = 2.0\n",
    ] {
        assert!(
            violation(&schema, &schema, &as_json(bad), "$").is_some(),
            "{bad} passed the schema"
        );
    }
}

/// A value of the key's type, for probing the parser.
fn example(key: &keys::Key) -> String {
    match key.ty.as_str() {
        t if t.starts_with("one of ") => t["one of ".len()..]
            .split(" | ")
            .next()
            .unwrap()
            .to_string(),
        "number or distribution" => "{ uniform = [0.1, 0.2] }".into(),
        t if t.starts_with("CSV") => "\"posts.csv\"".into(),
        "boolean" => "true".into(),
        "integer" => "2".into(),
        "number" => "0.5".into(),
        t if t.starts_with("array of 6") => "[0.2, 0.2, 0.2, 0.2, 0.1, 0.1]".into(),
        t if t.starts_with("array of 4") => "[0.9, 0.8, 0.7, 0.6]".into(),
        other => panic!("no example for type {other} of {}", key.path),
    }
}

/// A scenario with one population group of `kind` (index 0).
fn with_group(kind: &Option<String>) -> String {
    match kind {
        Some(kind) => format!("[[population]]\nkind = \"{kind}\"\n"),
        None => String::new(),
    }
}

#[test]
fn schema_and_parser_agree_on_every_key() {
    let keys = keys::keys();
    assert!(keys.len() > 80, "{} keys", keys.len());
    // Every key of the schema is a key the parser knows (an unknown one is a parse error).
    for key in &keys {
        let path = key.path.replace("[N]", "[0]");
        let set = format!("{path}={}", example(key));
        match load(&with_group(&key.kind), &[&set]) {
            Ok(_) | Err(ScenarioError::Invalid { .. }) => {}
            Err(e) => panic!("{set}: {e}"),
        }
    }
    // Every key the parser writes out is in the schema.
    let listed: Vec<(String, Option<String>)> = keys
        .iter()
        .map(|k| (k.path.replace("[N]", "[0]"), k.kind.clone()))
        .collect();
    for kind in ["honest", "gaming", "sybil", "ring"] {
        let s = load(&with_group(&Some(kind.into())), &[]).unwrap();
        let table: toml::Table = toml::from_str(&s.to_resolved_toml()).unwrap();
        let mut paths = Vec::new();
        leaves(&toml::Value::Table(table), "", &mut paths);
        for p in paths {
            let group_kind = p.starts_with("population").then(|| kind.to_string());
            assert!(
                listed.contains(&(p.clone(), group_kind)),
                "{p} ({kind}) is written by the parser but not in the schema"
            );
        }
    }
    // Every range the schema states is the range validation enforces.
    for key in keys.iter().filter(|k| k.allowed != "-") {
        let path = key.path.replace("[N]", "[0]");
        let base = with_group(&key.kind);
        let integer = key.ty == "integer";
        for part in key.allowed.split(", ") {
            let (op, bound) = part.split_once(' ').unwrap();
            let bound: f64 = bound.parse().unwrap();
            let step = if integer {
                1.0
            } else {
                1e-6 * bound.abs().max(1.0)
            };
            let (outside, inside) = match op {
                "≥" => (bound - step, Some(bound)),
                ">" => (bound, Some(bound + step)),
                "≤" => (bound + step, Some(bound)),
                other => panic!("{other}"),
            };
            let show = |x: f64| {
                if integer {
                    format!("{}", x as i128)
                } else {
                    format!("{x:?}")
                }
            };
            let err = load(&base, &[&format!("{path}={}", show(outside))])
                .expect_err(&format!("{path}={} must be refused", show(outside)))
                .to_string();
            let name = path.rsplit('.').next().unwrap();
            assert!(err.contains(name), "{path}={}: {err}", show(outside));
            // The bound itself is accepted (type maxima are left to the memory check).
            if let Some(x) = inside.filter(|x| x.abs() <= 1e6)
                && let Err(ScenarioError::Invalid { problems, .. }) =
                    load(&base, &[&format!("{path}={}", show(x))])
            {
                assert!(
                    problems.iter().all(|p| p.key != path),
                    "{path}={} refused: {problems:?}",
                    show(x)
                );
            }
        }
    }
}

fn leaves(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) if !is_value_table(prefix) => {
            for (k, v) in t {
                if k == "kind" && prefix.starts_with("population") {
                    continue;
                }
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(v, &p, out);
            }
        }
        toml::Value::Array(a) if a.iter().all(|e| e.is_table()) && !a.is_empty() => {
            for (i, e) in a.iter().enumerate() {
                leaves(e, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// Keys whose value is a table (a distribution), not a section.
fn is_value_table(path: &str) -> bool {
    keys::keys()
        .iter()
        .any(|k| k.path.replace("[N]", "[0]") == path && k.ty == "number or distribution")
}

#[test]
fn keys_and_schema_commands_print_the_format() {
    let out = marketsim(&["scenario", "keys"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("clients.budget\n    type: number or distribution"),
        "{text}"
    );
    assert!(text.contains("reputation.decay\n    type: number; default: 0.95; allowed: > 0, ≤ 1"));
    assert!(text.contains("population[N].count (kind = \"honest\")"));
    let out = marketsim(&["scenario", "schema"]);
    assert!(out.status.success());
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema, keys::schema());
}

// ----- issue 16: limits and messages ------------------------------------------------------

fn refused_by_run(args: &[&str], needles: &[&str]) {
    let mut all = vec![
        "run",
        "scenarios/baseline.toml",
        "--quiet",
        "--out",
        "/nonexistent/never",
    ];
    all.extend_from_slice(args);
    let out = marketsim(&all);
    assert_eq!(out.status.code(), Some(2), "{args:?} must exit 2");
    let msg = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(msg.contains(n), "{n:?} not in: {msg}");
    }
}

#[test]
fn credits_and_stakes_that_could_overflow_are_refused_naming_the_keys() {
    refused_by_run(
        &["--set", "clients.initial_balance=18446744073709552"],
        &["clients.count × clients.initial_balance", "from --set"],
    );
    refused_by_run(
        &[
            "--set",
            "staking.enabled=true",
            "--set",
            "staking.initial_stake=9223372036854775807",
            "--set",
            "staking.minimum_stake=1",
        ],
        &["staking.initial_stake", "at most 4294967295"],
    );
}

#[test]
fn scenarios_that_cannot_fit_in_memory_are_refused_with_the_estimate() {
    for (set, key) in [
        ("population[0].count=4000000000", "population[0].count"),
        ("clients.count=4000000000", "clients.count"),
        ("clients.jobs_per_hour=1e15", "clients.jobs_per_hour"),
    ] {
        refused_by_run(
            &["--set", set],
            &[key, "estimated peak memory", "GiB", "16.0 GiB"],
        );
    }
    refused_by_run(
        &["--set", "run.horizon=9223372036854775807"],
        &["run.horizon", "1099511627776"],
    );
}

#[test]
fn collusion_detection_whose_pair_records_cannot_fit_is_refused_naming_the_horizon() {
    // 10^5 identities, 2·10^4 jobs an hour: the detectors keep a record for each of the ten
    // bidder pairs of nearly every job: about 3.6 GB a week (measured), so eight weeks cannot fit.
    let weeks = |n: u64| {
        format!(
            "[run]\nhorizon = {}\n[clients]\njobs_per_hour = 20000.0\n\
             [[population]]\nkind = \"honest\"\ncount = 100000\n",
            n * 604_800
        )
    };
    let with_detectors = |n| weeks(n) + "[collusion]\n";
    let msg = refusal(&with_detectors(8), &[]);
    for needle in ["run.horizon", "4838400", "pair records", "16.0 GiB"] {
        assert!(msg.contains(needle), "{needle:?} not in: {msg}");
    }
    let fits = load(&with_detectors(4), &[]).expect("four weeks fit");
    let pairs =
        fits.estimate().memory_bytes() - load(&weeks(4), &[]).unwrap().estimate().memory_bytes();
    // 1.34·10^7 jobs × 10 pairs × 110 bytes.
    assert!(
        (14.5e9..15.0e9).contains(&(pairs as f64)),
        "{pairs} bytes of pair records"
    );
    // Without the detectors, eight weeks are small.
    load(&weeks(8), &[]).expect("no pair records without [collusion]");
    // A day's pair memory keeps two days of pairs, however long the run: 9.6·10^5 jobs.
    let forgetting = load(&(with_detectors(8) + "pair_memory = 86400\n"), &[]).unwrap();
    let held = forgetting.estimate().memory_bytes()
        - load(&weeks(8), &[]).unwrap().estimate().memory_bytes();
    assert_eq!(held, 960_000 * 10 * 110);
    assert!(
        refusal(&(with_detectors(1) + "pair_memory = 0\n"), &[]).contains("collusion.pair_memory")
    );
    // A small population bounds the records by its pairs: 440 identities, 96 580 pairs.
    let small = "[run]\nhorizon = 31536000\n[[population]]\nkind = \"honest\"\ncount = 440\n";
    let with = load(&format!("{small}[collusion]\n"), &[])
        .unwrap()
        .estimate()
        .memory_bytes();
    let without = load(small, &[]).unwrap().estimate().memory_bytes();
    assert_eq!(with - without, 96_580 * 110);
}

#[test]
fn scenarios_that_could_overflow_an_identitys_recording_count_are_refused() {
    // 10^5 jobs per hour for 6·10^6 hours: 6·10^11 jobs, with jobs in flight that fit.
    refused_by_run(
        &[
            "--set",
            "run.horizon=21600000000",
            "--set",
            "clients.jobs_per_hour=100000",
        ],
        &[
            "run.horizon",
            "4294967295 jobs and prior recordings",
            "6.0e11",
        ],
    );
    // 2.6·10^9 jobs in a year: a huge run, still within the count.
    let s = load(
        "[run]\nhorizon = 31536000\n[clients]\njobs_per_hour = 300000\ndeadline = 60\n",
        &[],
    )
    .unwrap();
    assert!(s.estimate().recordings < f64::from(u32::MAX));
}

#[test]
fn huge_work_is_announced() {
    let s = load(
        "[run]\nhorizon = 31536000\n[clients]\njobs_per_hour = 300000\ndeadline = 60\n",
        &[],
    )
    .unwrap();
    let w = s.estimate().warning().expect("a warning");
    assert!(w.contains("run.horizon"), "{w}");
    assert!(load("", &[]).unwrap().estimate().warning().is_none());
}

#[test]
fn messages_name_the_group_index_and_the_set_that_caused_them() {
    let base = "[[population]]\nkind = \"honest\"\n[[population]]\nkind = \"honest\"\n\
                [[population]]\nkind = \"ring\"\n";
    // A negative number in the third group: its index and key.
    let m = refusal(base, &["population[2].rings=-5"]);
    assert!(m.contains("population[2].rings"), "{m}");
    assert!(m.contains("--set population[2].rings=-5"), "{m}");
    let text = format!("{base}rings = -5\n");
    let m = refusal(&text, &[]);
    assert!(m.contains("population[2].rings"), "{m}");
    assert!(!m.contains("--set"), "{m}");
    // A range problem brought in by --set is attributed to it, not to the file.
    let m = refusal(base, &["clients.p_cancel=2"]);
    assert!(
        m.contains("clients.p_cancel") && m.contains("from --set clients.p_cancel=2"),
        "{m}"
    );
    // An unknown key from --set names the --set.
    let m = refusal(base, &["clients.cuont=3"]);
    assert!(
        m.contains("--set clients.cuont=3") && m.contains("cuont"),
        "{m}"
    );
    // Indexing into a default.
    let s = load(
        "",
        &[
            "reputation.weights[0]=0.5",
            "reputation.weights[1]=0.5",
            "reputation.weights[2]=0",
            "reputation.weights[3]=0",
            "reputation.weights[4]=0",
            "reputation.weights[5]=0",
        ],
    )
    .unwrap();
    assert_eq!(s.file().reputation.weights, [0.5, 0.5, 0.0, 0.0, 0.0, 0.0]);
    let m = refusal("", &["reputation.weights[0]=0.5"]);
    assert!(
        m.contains("reputation.weights") && m.contains("from --set"),
        "{m}"
    );
}

/// Extremes of every numeric key, for the property test below.
fn extremes() -> Vec<(String, Option<String>, Vec<String>)> {
    keys::keys()
        .into_iter()
        .filter(|k| matches!(k.ty.as_str(), "integer" | "number"))
        .map(|k| {
            let values = if k.ty == "integer" {
                [
                    "0",
                    "1",
                    "2",
                    "3",
                    "10",
                    "4294967295",
                    "18446744073709551615",
                    "-1",
                ]
                .map(String::from)
                .to_vec()
            } else {
                [
                    "0.0", "1e-300", "0.5", "1.0", "2.0", "1e300", "-1.0", "inf", "nan",
                ]
                .map(String::from)
                .to_vec()
            };
            (k.path.replace("[N]", "[0]"), k.kind, values)
        })
        .collect()
}

/// Extremes of a distribution-valued key.
const DIST_EXTREMES: [&str; 7] = [
    "0",
    "-1.0",
    "1e300",
    "{ uniform = [0, 1e300] }",
    "{ exponential = { mean = 1e-300 } }",
    "{ lognormal = { median = 1e300, sigma = 50 } }",
    "{ normal = { mean = 0, sd = 1e300, min = 0, max = 1 } }",
];

/// A small base scenario with one group of `kind` (self-reporting for its own keys).
fn small_base(kind: Option<&str>, path: &str) -> (String, Vec<String>) {
    let kind = kind.unwrap_or("honest");
    let strategy = if path.ends_with("reported_score") || path.ends_with("report_seconds") {
        "strategy = \"self_report\"\n"
    } else {
        ""
    };
    let count = if kind == "honest" || kind == "gaming" {
        "count = 3\n"
    } else {
        ""
    };
    let sets = [
        "run.horizon=3600",
        "clients.count=5",
        "clients.jobs_per_hour=20",
    ];
    (
        format!("[[population]]\nkind = \"{kind}\"\n{count}{strategy}"),
        sets.map(String::from).to_vec(),
    )
}

/// What became of one probe.
#[derive(Debug, PartialEq)]
enum Probe {
    Refused,
    Ran,
    TooLong,
}

/// Refused naming a key, or (if small) run to the end with every invariant holding.
fn refused_or_runs(base: &str, sets: &[String]) -> Result<Probe, String> {
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    match load(base, &sets) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            if problems.is_empty() || problems.iter().any(|p| p.key.is_empty()) {
                return Err(format!("{sets:?}: a refusal without a key: {problems:?}"));
            }
            Ok(Probe::Refused)
        }
        Err(e) => {
            let m = e.to_string();
            if !m.contains("--set") {
                return Err(format!("{sets:?}: not blamed on a --set: {m}"));
            }
            Ok(Probe::Refused)
        }
        Ok(s) if s.estimate().events < 2e6 => {
            let outcome = marketsim::world::simulate(s, |_| {});
            let violations: u64 = marketsim::metrics::Invariant::ALL
                .iter()
                .map(|&i| outcome.recorder.invariants.violations(i))
                .sum();
            if violations > 0 {
                return Err(format!("{sets:?}: {violations} invariant violation(s)"));
            }
            Ok(Probe::Ran)
        }
        Ok(_) => Ok(Probe::TooLong), // accepted, but far too long to run here (a warning)
    }
}

#[test]
fn every_extreme_of_every_key_is_refused_or_runs() {
    let mut cases = extremes();
    cases.extend(
        keys::keys()
            .into_iter()
            .filter(|k| k.ty == "number or distribution")
            .map(|k| {
                let values = DIST_EXTREMES.map(String::from).to_vec();
                (k.path.replace("[N]", "[0]"), k.kind, values)
            }),
    );
    let mut seen = Vec::new();
    for (path, kind, values) in cases {
        for v in values {
            let (base, mut sets) = small_base(kind.as_deref(), &path);
            sets.push(format!("{path}={v}"));
            seen.push(refused_or_runs(&base, &sets).unwrap_or_else(|e| panic!("{e}")));
        }
    }
    let count = |p: Probe| seen.iter().filter(|&s| *s == p).count();
    let (refused, ran) = (count(Probe::Refused), count(Probe::Ran));
    assert!(
        refused > 200 && ran > 300,
        "{refused} refused, {ran} ran of {}",
        seen.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random extreme values: refused naming a key, or a tiny run completes. Never a panic.
    #[test]
    fn random_values_are_refused_or_run(picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..4), kind in 0usize..4) {
        let keys = extremes();
        let kind = ["honest", "gaming", "sybil", "ring"][kind];
        let mut sets = vec![
            "run.horizon=3600".to_string(),
            "clients.count=5".to_string(),
            "clients.jobs_per_hour=20".to_string(),
        ];
        let base = format!("[[population]]\nkind = \"{kind}\"\ncount = 3\n");
        let base = if kind == "sybil" || kind == "ring" {
            format!("[[population]]\nkind = \"{kind}\"\n")
        } else {
            base
        };
        for (k, v) in picks {
            let (path, group, values) = &keys[k.index(keys.len())];
            if group.as_deref().is_some_and(|g| g != kind) {
                continue;
            }
            sets.push(format!("{path}={}", v.get(values)));
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        match load(&base, &sets) {
            Err(ScenarioError::Invalid { problems, .. }) => {
                prop_assert!(!problems.is_empty() && problems.iter().all(|p| !p.key.is_empty()));
            }
            Err(e) => {
                let m = e.to_string();
                prop_assert!(m.contains("--set"), "{m}");
            }
            Ok(_) => {
                // Accepted: it must run to the end (small work only) with every invariant.
                let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
                let probe = refused_or_runs(&base, &sets);
                prop_assert!(probe.is_ok(), "{:?}", probe);
            }
        }
    }
}

use super::*;
use std::path::Path;

fn load(text: &str, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::from_toml(text, Path::new("test.toml"), &overrides)
}

fn message(text: &str, overrides: &[&str]) -> String {
    load(text, overrides).unwrap_err().to_string()
}

#[test]
fn empty_file_gives_the_seed_defaults() {
    let s = load("", &[]).unwrap();
    let f = s.file();
    assert_eq!(f.reputation.decay, 0.95);
    assert_eq!(f.reputation.min_jobs, 5);
    assert_eq!(f.market.operator_share_bps, 7_000);
    assert_eq!(f.staking.minimum_stake, 100);
    assert_eq!(f.population.len(), 1);
}

#[test]
fn unknown_key_is_refused_naming_file_and_key() {
    let m = message("[clients]\ncuont = 3\n", &[]);
    assert!(m.contains("test.toml"), "{m}");
    assert!(m.contains("cuont"), "{m}");
    let m = message(
        "[[population]]\nkind = \"honest\"\nwhitewash_trust = 0.3\n",
        &[],
    );
    assert!(m.contains("whitewash_trust"), "{m}");
    let m = message("[bogus]\nx = 1\n", &[]);
    assert!(m.contains("bogus"), "{m}");
}

#[test]
fn wrong_type_is_refused_naming_the_key() {
    let m = message("[clients]\ncount = \"many\"\n", &[]);
    assert!(m.contains("test.toml") && m.contains("count"), "{m}");
    let m = message("[clients]\ncount = -5\n", &[]);
    assert!(m.contains("count"), "{m}");
    let m = message("[market]\nclearing = \"fastest\"\n", &[]);
    assert!(m.contains("clearing") && m.contains("continuous"), "{m}");
}

#[test]
fn out_of_range_values_are_all_reported_with_allowed_ranges() {
    let text = "[run]\nhorizon = 0\n[clients]\np_dispute = 1.5\njobs_per_hour = nan\n\
                [reputation]\nweights = [0.5, 0.5, 0.5, 0.0, 0.0, 0.0]\ndecay = 0.0\n";
    let err = load(text, &[]).unwrap_err();
    let ScenarioError::Invalid { problems, .. } = &err else {
        panic!("expected Invalid, got {err}");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "run.horizon",
            "reputation.weights",
            "reputation.decay",
            "clients.jobs_per_hour",
            "clients.p_dispute",
            "clients.p_dispute + clients.p_cancel",
        ]
    );
    let m = err.to_string();
    assert!(m.contains("a probability in [0, 1]"), "{m}");
    assert!(m.contains("summing to 1"), "{m}");
    assert!(m.contains("an integer in 1..=1099511627776 seconds"), "{m}");
}

#[test]
fn population_keys_are_indexed() {
    let text =
        "[[population]]\nkind = \"honest\"\ncount = 3\n[[population]]\nkind = \"ring\"\nsize = 1\n";
    let m = message(text, &[]);
    assert!(m.contains("population[1].size"), "{m}");
    assert!(m.contains("an integer ≥ 2"), "{m}");
}

#[test]
fn set_equals_editing_the_file() {
    let base = "[clients]\ncount = 10\n[[population]]\nkind = \"honest\"\ncount = 4\n";
    let edited = "[clients]\ncount = 12\n[market]\nclearing = \"call\"\n\
                  [[population]]\nkind = \"honest\"\ncount = 9\n";
    let via_set = load(
        base,
        &[
            "clients.count=12",
            "market.clearing=call",
            "population[0].count=9",
        ],
    )
    .unwrap();
    assert_eq!(via_set, load(edited, &[]).unwrap());
}

#[test]
fn bad_overrides_are_refused() {
    let base = "[[population]]\nkind = \"honest\"\n";
    assert!(message(base, &["clients.count"]).contains("KEY=VALUE"));
    assert!(message(base, &["clients.cuont=3"]).contains("cuont"));
    assert!(message(base, &["population[4].count=3"]).contains("out of range"));
    assert!(message(base, &["clients.count=-1"]).contains("count"));
    let m = message(base, &["clients.p_cancel=2"]);
    assert!(
        m.contains("clients.p_cancel") && m.contains("[0, 1]"),
        "{m}"
    );
}

#[test]
fn resolved_toml_reloads_to_the_same_scenario() {
    let s = load("[market]\nclearing = \"vickrey\"\n", &["run.seed=99"]).unwrap();
    let again = load(&s.to_resolved_toml(), &[]).unwrap();
    assert_eq!(s, again);
    assert_eq!(again.seed(), 99);
}

/// The keys of issue 12 (seed 002 tiers and bidding power, seed 003 duplicate events): each
/// refused with its key and allowed values; absent, the resolved file does not mention them.
#[test]
fn tier_power_and_duplicate_keys_are_validated() {
    let problems = |overrides: &[&str]| match load("", overrides).unwrap_err() {
        ScenarioError::Invalid { problems, .. } => problems,
        e => panic!("expected Invalid, got {e}"),
    };
    let p = problems(&["market.bidding_power=true"]);
    assert_eq!(p[0].key, "market.bidding_power");
    assert!(p[0].allowed.contains("market.clearing = \"call\""), "{p:?}");
    load(
        "",
        &["market.bidding_power=true", "market.clearing=\"call\""],
    )
    .unwrap();
    for (set, key) in [
        ("market.tiers.gold_min=0.97", "market.tiers.gold_min"),
        ("market.tiers.platinum_min=1.5", "market.tiers.platinum_min"),
        (
            "market.tiers.power_multiplier=[3, 2, 2.5, 1]",
            "market.tiers.power_multiplier[2]",
        ),
        (
            "market.tiers.power_above=[0.95, 0.97, 0.8, 0.6]",
            "market.tiers.power_above[1]",
        ),
        ("market.tiers.power_floor=1.2", "market.tiers.power_floor"),
        ("faults.duplicate_events=-0.1", "faults.duplicate_events"),
        ("faults.duplicate_events=1.5", "faults.duplicate_events"),
    ] {
        let p = problems(&[set]);
        assert_eq!(p.len(), 1, "{set}: {p:?}");
        assert_eq!(p[0].key, key, "{set}");
    }
    let s = load(
        "",
        &["market.tiers.platinum_min=0.9", "faults.duplicate_events=1"],
    )
    .unwrap();
    assert_eq!(s.tier_config().platinum_min, 0.9);
    let resolved = load("", &[]).unwrap().to_resolved_toml();
    for absent in ["bidding_power", "[market.tiers]", "[faults]"] {
        assert!(!resolved.contains(absent), "{absent} in\n{resolved}");
    }
}

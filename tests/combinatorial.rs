//! Combinatorial clearing of decomposed jobs in whole runs (issue 12): efficiency, payments,
//! conservation, the default left untouched, and the limits on bundle bids.

mod common;
use common::{metric, summary_of};
use marketsim::scenario::{Scenario, ScenarioError};
use std::path::Path;

fn shipped() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/combinatorial.toml"),
    )
    .unwrap()
}

fn load(text: &str, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::from_toml(text, Path::new("combinatorial.toml"), &overrides)
}

/// Six simulated hours of the shipped scenario, with `extra` overrides.
fn small(extra: &[&str]) -> Vec<(String, String)> {
    let mut sets = vec!["run.horizon=21600", "clients.count=100"];
    sets.extend_from_slice(extra);
    summary_of(load(&shipped(), &sets).unwrap())
}

#[test]
fn combinatorial_clearing_is_exact_pays_at_least_first_price_and_conserves_credits() {
    let s = small(&[]);
    let m = |name| metric(&s, name);
    assert_eq!(m("invariant_violations"), 0.0);
    assert_eq!(m("credits_end"), m("credits_start"));
    assert!(m("dag_jobs") > 100.0, "{} DAG jobs", m("dag_jobs"));
    // Every DAG job was cleared by one auction, and each ended cleared, partly or unfilled.
    assert_eq!(m("dag_auctions"), m("dag_jobs"));
    assert_eq!(
        m("dag_jobs_cleared") + m("dag_jobs_partial") + m("dag_jobs_unfilled"),
        m("dag_jobs")
    );
    // The chosen assignment is the optimum; level-by-level matching of the same bids is not.
    assert_eq!(m("dag_welfare_combinatorial"), m("dag_welfare_optimal"));
    assert_eq!(m("dag_efficiency_combinatorial"), 1.0);
    let sequential = m("dag_efficiency_sequential");
    assert!(sequential < 1.0 && sequential > 0.5, "{sequential}");
    // VCG pays every winner at least its ask.
    assert!(m("dag_vcg_payments") >= m("dag_first_price_payments"));
    assert!(m("dag_vcg_over_first_price") >= 1.0);
    assert!(m("dag_subtasks_bundled") > 0.0);
    // A bundle spans 2 subtasks here (`max_bundle_size = 2`), and some span two levels.
    assert_eq!(m("dag_subtasks_bundled"), 2.0 * m("dag_bundles_won"));
    assert!(m("dag_bundles_cross_level") > 0.0);
    assert!(m("dag_bundles_cross_level") < m("dag_bundles_won"));
    assert!(m("dag_subtasks_awarded") >= m("dag_subtasks_bundled"));
}

#[test]
fn adversaries_staking_and_hourly_contracts_keep_every_invariant() {
    // Sybils whitewash (so some awards lapse before their level starts), stakes are slashed,
    // and a third of the contracts bill by the hour or by the token.
    let text = format!(
        "{}\n[[population]]\nkind = \"sybil\"\nowners = 10\nidentities_per_owner = 5\n\
         [staking]\nenabled = true\n",
        shipped()
    );
    let sets = [
        "run.horizon=43200",
        "clients.count=100",
        "clients.pricing.hourly=1",
        "clients.pricing.per_token=1",
    ];
    let s = summary_of(load(&text, &sets).unwrap());
    assert_eq!(metric(&s, "invariant_violations"), 0.0);
    assert_eq!(metric(&s, "credits_end"), metric(&s, "credits_start"));
    assert_eq!(metric(&s, "dag_efficiency_combinatorial"), 1.0);
    assert!(metric(&s, "whitewashes") > 0.0);
}

#[test]
fn explicit_sequential_is_the_default_and_ignores_the_bundle_keys() {
    let explicit = small(&["decomposition.clearing=sequential"]);
    let text: String = shipped()
        .lines()
        .filter(|l| {
            ![
                "clearing = \"combinatorial\"",
                "max_bundle_size",
                "scope_discount",
            ]
            .iter()
            .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let default = summary_of(load(&text, &["run.horizon=21600", "clients.count=100"]).unwrap());
    assert_eq!(explicit, default);
    assert_eq!(metric(&default, "dag_auctions"), 0.0);
    assert!(metric(&default, "dag_efficiency_sequential").is_nan());
    assert!(metric(&default, "dag_jobs") > 100.0);
    // The combinatorial run matches every subtask it awards at once; the sequential one
    // differs in who wins.
    assert_ne!(default, small(&[]));
}

fn refusal(sets: &[&str]) -> String {
    match load(&shipped(), sets) {
        Ok(_) => panic!("accepted: {sets:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn scenarios_that_could_blow_up_the_solver_are_refused_naming_the_key() {
    // 4 agents × (4 + 6 + 4) bundles of at most 3 of 4 subtasks = 56: accepted; 5 agents: 70.
    assert!(load(&shipped(), &["decomposition.max_bundle_size=3"]).is_ok());
    let e = refusal(&[
        "decomposition.max_bundle_size=3",
        "clients.proposals_per_job=5",
    ]);
    assert!(
        e.contains("decomposition.max_bundle_size") && e.contains("5 × 14 = 70"),
        "{e}"
    );
    let e = refusal(&[
        "decomposition.max_subtasks=13",
        "decomposition.max_bundle_size=1",
    ]);
    assert!(
        e.contains("decomposition.max_subtasks") && e.contains("2..=12"),
        "{e}"
    );
    let e = refusal(&["market.anti_concentration=1"]);
    assert!(e.contains("market.anti_concentration"), "{e}");
    let e = refusal(&["decomposition.max_bundle_size=0"]);
    assert!(e.contains("decomposition.max_bundle_size"), "{e}");
    let e = refusal(&["decomposition.scope_discount=1.5"]);
    assert!(e.contains("decomposition.scope_discount"), "{e}");
}

#[test]
fn without_bundles_or_economies_of_scope_level_by_level_matching_is_optimal() {
    for set in [
        "decomposition.max_bundle_size=1",
        "decomposition.scope_discount=0",
    ] {
        let s = small(&[set]);
        assert_eq!(metric(&s, "dag_efficiency_sequential"), 1.0, "{set}");
        assert_eq!(metric(&s, "dag_subtasks_bundled"), 0.0, "{set}");
        assert_eq!(metric(&s, "invariant_violations"), 0.0, "{set}");
    }
}

#[test]
fn same_seed_same_clearing_another_seed_another() {
    assert_eq!(small(&[]), small(&[]));
    assert_ne!(small(&[]), small(&["run.seed=2"]));
}

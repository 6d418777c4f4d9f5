//! Seed 004's performance market on whole runs of `scenarios/performance-market.toml`: the
//! miscalibrated agents end less calibrated than the honest ones, a strong enough calibration
//! term pushes them out, and the money of every outcome adds up.

use marketsim::metrics::Outcome;
use marketsim::metrics::summary::{Value, summary};
use marketsim::scenario::Scenario;
use std::path::Path;

const SCENARIO: &str = "scenarios/performance-market.toml";

fn run(overrides: &[&str]) -> Outcome {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let scenario = Scenario::load(&path, &overrides).expect("valid scenario");
    marketsim::world::simulate(scenario, |_| {})
}

fn column(row: &[(String, Value)], name: &str) -> Value {
    row.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
}

fn float(row: &[(String, Value)], name: &str) -> f64 {
    match column(row, name) {
        Value::Float(v) => v,
        other => panic!("{name} = {other:?}"),
    }
}

fn int(row: &[(String, Value)], name: &str) -> u64 {
    match column(row, name) {
        Value::Int(v) => v,
        other => panic!("{name} = {other:?}"),
    }
}

#[test]
fn miscalibrated_agents_lose_calibration_and_a_strong_calibration_term_pushes_them_out() {
    // Requirements that never bind (every stated latency and success passes), so only the
    // score decides; a calibration weight of 1 (the seed's is 0.2).
    let row = summary(&run(&[
        "run.horizon=86400",
        "clients.max_latency=2400",
        "clients.min_success_rate=0.9",
        "performance.calibration_weight=1.0",
    ]));
    assert!(float(&row, "calibration_miscalibrated") < float(&row, "calibration_honest") - 0.1);
    let (first, last) = (
        float(&row, "perf_value_share_first_miscalibrated"),
        float(&row, "perf_value_share_last_miscalibrated"),
    );
    assert!(last < first / 2.0, "share {first} → {last}");
    assert!(matches!(
        column(&row, "perf_pushed_out_miscalibrated"),
        Value::Int(_)
    ));
    assert_eq!(column(&row, "perf_pushed_out_honest"), Value::Missing);
    assert_eq!(int(&row, "perf_refused_latency"), 0);
    assert_eq!(int(&row, "perf_refused_success"), 0);
    assert_eq!(int(&row, "invariant_violations"), 0);
}

#[test]
fn under_the_seeds_weights_the_miscalibrated_agents_keep_winning() {
    let outcome = run(&["run.horizon=86400"]);
    let row = summary(&outcome);
    // Less calibrated all the same …
    assert!(float(&row, "calibration_miscalibrated") < float(&row, "calibration_honest") - 0.1);
    // … but with a fifth of the agents they win more than half the value, and the truthful
    // claims of the honest agents are what the requirements refuse.
    assert!(float(&row, "value_share_miscalibrated") > 0.5);
    assert_eq!(
        column(&row, "perf_pushed_out_miscalibrated"),
        Value::Missing
    );
    assert!(int(&row, "perf_refused_latency") > 0 && int(&row, "perf_refused_success") > 0);
    assert_eq!(int(&row, "perf_refused_cost"), 0);
    assert_eq!(int(&row, "perf_refused_capability"), 0);
    // Every matched job ends in a success (completed, billed) or a failure (refunded).
    let (ok, failed) = (int(&row, "perf_successes"), int(&row, "perf_failures"));
    assert_eq!(ok + failed, int(&row, "jobs_matched"));
    assert_eq!(ok, int(&row, "jobs_completed"));
    assert_eq!(failed, int(&row, "jobs_cancelled"));
    assert_eq!(int(&row, "jobs_disputed"), 0);
    // Successes are what leaves escrow; penalties come out of bonds, all of them here.
    assert_eq!(int(&row, "perf_billed"), int(&row, "credits_distributed"));
    assert!(int(&row, "perf_penalty_due") > 0);
    assert_eq!(
        int(&row, "perf_penalty_forfeited"),
        int(&row, "perf_penalty_due")
    );
    let stakes = outcome.market.stakes().unwrap().totals();
    assert_eq!(stakes.slashed_pool.0, int(&row, "perf_penalty_due"));
    let stake_lost: u64 = outcome
        .recorder
        .agents
        .iter()
        .map(|a| a.costs.stake_lost)
        .sum();
    assert_eq!(
        stake_lost, stakes.slashed_pool.0,
        "forfeits are the agents' stake lost"
    );
    assert_eq!(int(&row, "credits_start"), int(&row, "credits_end"));
    assert_eq!(int(&row, "invariant_violations"), 0);
    // The calibration timeseries starts every kind at the seed's 1.0.
    let first = &outcome.recorder.samples[0];
    assert!(
        first
            .per_kind
            .iter()
            .all(|k| k.mean_calibration == Some(1.0))
    );
}

#[test]
fn the_columns_are_empty_outside_a_performance_market() {
    let row = summary(&run(&["run.horizon=3600", "market.clearing=\"call\""]));
    for name in [
        "perf_refused_latency",
        "perf_successes",
        "calibration_honest",
    ] {
        assert_eq!(column(&row, name), Value::Missing, "{name}");
    }
}

#[test]
fn bad_performance_keys_are_refused_naming_the_key_and_the_allowed_values() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let refused = |set: &str| {
        let err = Scenario::load(&path, &[set.to_string()]).unwrap_err();
        err.to_string()
    };
    let e = refused("performance.calibration_alpha=1.5");
    assert!(
        e.contains("performance.calibration_alpha") && e.contains("[0, 1]"),
        "{e}"
    );
    let e = refused("performance.success_penalty=-1");
    assert!(
        e.contains("performance.success_penalty") && e.contains("[0, ∞)"),
        "{e}"
    );
    let e = refused("population[0].success_rate=1.2");
    assert!(
        e.contains("population[0].success_rate") && e.contains("[0, 1]"),
        "{e}"
    );
    let e = refused("population[1].success_overstatement=2");
    assert!(e.contains("population[1].success_overstatement"), "{e}");
    let e = refused("clients.min_success_rate={ uniform = [0.5, 1.5] }");
    assert!(e.contains("clients.min_success_rate"), "{e}");
    // The understatement belongs to miscalibrated gamers only.
    let e = refused("population[1].strategy=\"perfect_streak\"");
    assert!(
        e.contains("population[1].strategy") && e.contains("miscalibrated"),
        "{e}"
    );
}

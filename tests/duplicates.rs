//! Duplicate delivery of contract events (seed 003, `faults.duplicate_events`): with the
//! market's idempotency guard, a run with duplicates gives exactly the outputs of the same run
//! without, but for the duplicate counter and the `no_double_effect` checks.

use std::fs;
use std::path::Path;

mod common;
use common::{ok, scratch};

/// Runs `scenario` for `seed` into `dir` with receipts, with `share` of events duplicated.
fn run(dir: &Path, scenario: &str, seed: u64, share: f64) {
    let out = dir.to_str().unwrap();
    let seed = seed.to_string();
    let share = format!("faults.duplicate_events={share}");
    ok(&[
        "run",
        scenario,
        "--quiet",
        "--events",
        "--seed",
        &seed,
        "--out",
        out,
        "--set",
        "run.horizon=21600",
        "--set",
        &share,
    ]);
}

/// The cells of a one-row CSV, by column name.
fn row(csv: &str) -> Vec<(String, String)> {
    let (head, values) = csv.split_once('\n').unwrap();
    head.split(',')
        .map(String::from)
        .zip(values.trim_end().split(',').map(String::from))
        .collect()
}

/// `summary.csv` without its `duplicate_events` column, and that column's value.
fn summary_without_duplicates(dir: &Path) -> (Vec<(String, String)>, u64) {
    let mut cells = row(&fs::read_to_string(dir.join("summary.csv")).unwrap());
    let i = cells
        .iter()
        .position(|(k, _)| k == "duplicate_events")
        .expect("a duplicate_events column");
    let (_, n) = cells.remove(i);
    (cells, n.parse().unwrap())
}

/// `invariants.csv` without its `no_double_effect` row, and that row's (checks, violations).
fn invariants_without_double_effect(dir: &Path) -> (String, (u64, u64)) {
    let text = fs::read_to_string(dir.join("invariants.csv")).unwrap();
    let (rows, ours): (Vec<&str>, Vec<&str>) = text
        .lines()
        .partition(|l| !l.starts_with("no_double_effect,"));
    let cells: Vec<&str> = ours[0].split(',').collect();
    (
        rows.join("\n"),
        (cells[1].parse().unwrap(), cells[2].parse().unwrap()),
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]
    /// Any seed, any share: every output file is byte-identical to the run without
    /// duplicates, except `duplicate_events`, the `no_double_effect` row (one passed check
    /// per duplicate) and the echoed `[faults]` key.
    #[test]
    fn duplicates_change_no_output(
        seed in 0u64..10_000,
        share in 0.05f64..=1.0,
        scenario in proptest::sample::select(vec!["scenarios/baseline.toml", "scenarios/gaming-mix.toml"]),
    ) {
        let dir = scratch(&format!("dup-{seed}"));
        let (on, off) = (dir.join("on"), dir.join("off"));
        run(&on, scenario, seed, share);
        run(&off, scenario, seed, 0.0);
        let mut names: Vec<String> = fs::read_dir(&off)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in &names {
            let same = match name.as_str() {
                "summary.csv" => summary_without_duplicates(&on).0 == summary_without_duplicates(&off).0,
                "invariants.csv" => invariants_without_double_effect(&on).0 == invariants_without_double_effect(&off).0,
                "scenario.resolved.toml" => {
                    // The `[faults]` table is the last one, absent without duplicates.
                    let on = fs::read_to_string(on.join(name)).unwrap();
                    let (rest, faults) = on.split_once("\n[faults]\n").unwrap();
                    proptest::prop_assert!(faults.starts_with("duplicate_events = "));
                    rest == fs::read_to_string(off.join(name)).unwrap()
                }
                _ => fs::read(on.join(name)).unwrap() == fs::read(off.join(name)).unwrap(),
            };
            proptest::prop_assert!(same, "{scenario} seed {seed} share {share}: {name} differs");
        }
        let (_, duplicates) = summary_without_duplicates(&on);
        proptest::prop_assert!(duplicates > 0);
        proptest::prop_assert_eq!(invariants_without_double_effect(&on).1, (duplicates, 0));
        proptest::prop_assert_eq!(summary_without_duplicates(&off).1, 0);
        proptest::prop_assert_eq!(invariants_without_double_effect(&off).1, (0, 0));
    }
}

#[test]
fn every_event_is_duplicated_at_share_one() {
    let dir = scratch("share-one");
    run(&dir, "scenarios/baseline.toml", 3, 1.0);
    let (cells, duplicates) = summary_without_duplicates(&dir);
    let get = |name: &str| -> u64 {
        cells
            .iter()
            .find(|(k, _)| k == name)
            .unwrap()
            .1
            .parse()
            .unwrap()
    };
    // Each completion, cancellation and dispute is delivered twice.
    let events = get("jobs_completed") + get("jobs_cancelled") + get("jobs_disputed");
    assert!(get("jobs_disputed") > 0);
    assert_eq!(duplicates, events);
}

//! End-to-end tests of `marketsim compare` and of the common random numbers it relies on
//! (`engine::streams`), driving the built binary.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

mod common;
use common::{marketsim, ok, scratch};

/// `compare.csv` as metric → column → cell.
fn read_compare(dir: &Path) -> HashMap<String, HashMap<String, String>> {
    let text = fs::read_to_string(dir.join("compare.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "metric");
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            let row = header
                .iter()
                .zip(&cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect();
            (cells[0].to_string(), row)
        })
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

/// Two variants differing only in a key that has no effect under their clearing rule
/// (`market.auction_increment` acts in English and Dutch auctions only) give exactly zero
/// difference on every metric for every seed.
#[test]
fn an_inert_key_gives_zero_difference_on_every_metric_for_every_seed() {
    let out = scratch("inert");
    let o = out.to_str().unwrap();
    ok(&[
        "compare",
        "scenarios/gaming-mix.toml",
        "scenarios/gaming-mix.toml",
        "--set-b",
        "market.auction_increment=37",
        "--seeds",
        "1..5",
        "--set",
        "run.horizon=21600",
        "--out",
        o,
        "--jobs",
        "2",
    ]);
    let rows = read_compare(&out);
    assert!(rows.len() > 30, "{} metrics", rows.len());
    for (metric, row) in &rows {
        assert_eq!(row["n"], "4", "{metric}");
        assert_eq!(row["identical_pairs"], "4", "{metric}");
        assert_eq!(num(row, "diff"), 0.0, "{metric}");
        assert_eq!(num(row, "diff_ci_low"), 0.0, "{metric}");
        assert_eq!(num(row, "diff_ci_high"), 0.0, "{metric}");
    }
    // A second compare into the same directory is refused without --force.
    let again = marketsim(&[
        "compare",
        "scenarios/gaming-mix.toml",
        "scenarios/gaming-mix.toml",
        "--seeds",
        "1..3",
        "--set",
        "run.horizon=3600",
        "--out",
        o,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

/// The (client, budget) of every posted job, in posting order, from a run's receipts.
fn posts(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("receipts.log"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let at = l.find("post task=")?;
            let rest = &l[at..];
            // `client=… budget=…`, without the task id and the hash chain (` h=…`), which
            // cover the receipts of other events too.
            let rest = &rest[rest.find(" client=")?..];
            Some(rest[..rest.find(" h=").unwrap_or(rest.len())].to_string())
        })
        .collect()
}

/// Changing the clearing rule changes who wins and when, but not the arrival stream: the
/// same jobs are posted, by the same clients with the same budgets, in the same order; and
/// the outcomes do differ (the variants are not secretly identical).
#[test]
fn a_clearing_rule_variant_keeps_the_arrival_stream() {
    let root = scratch("arrivals");
    let mut all = Vec::new();
    for rule in ["continuous", "call"] {
        let dir = root.join(rule);
        ok(&[
            "run",
            "scenarios/baseline.toml",
            "--seed",
            "5",
            "--events",
            "--quiet",
            "--set",
            "run.horizon=43200",
            "--set",
            &format!("market.clearing={rule}"),
            "--out",
            dir.to_str().unwrap(),
        ]);
        let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
        all.push((posts(&dir), summary));
    }
    assert!(all[0].0.len() > 50, "{} posts", all[0].0.len());
    assert_eq!(
        all[0].0, all[1].0,
        "posted jobs differ between clearing rules"
    );
    assert_ne!(all[0].1, all[1].1, "the clearing rule changed nothing");
    let out = root.join("cmp");
    ok(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/baseline.toml",
        "--set-b",
        "market.clearing=call",
        "--seeds",
        "1..4",
        "--set",
        "run.horizon=21600",
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = read_compare(&out);
    assert_eq!(rows["jobs_posted"]["identical_pairs"], "3");
    assert_eq!(rows["credits_start"]["identical_pairs"], "3");
}

/// On a real comparison (proposals ranked by R vs by T with whitewashing sybils), common
/// random numbers measurably reduce the variance of the estimated difference.
#[test]
fn common_random_numbers_reduce_the_variance_of_a_real_comparison() {
    let out = scratch("ranking");
    let o = out.to_str().unwrap();
    let stdout = ok(&[
        "compare",
        "scenarios/sybil-whitewash.toml",
        "scenarios/sybil-whitewash.toml",
        "--set-b",
        "market.ranking=trust",
        "--seeds",
        "1..9",
        "--set",
        "run.horizon=21600",
        "--out",
        o,
    ])
    .stdout;
    let table = String::from_utf8_lossy(&stdout);
    assert!(table.contains("value_share_sybil"), "{table}");
    let rows = read_compare(&out);
    for metric in ["value_share_honest", "value_share_sybil"] {
        let r = &rows[metric];
        let reduction = num(r, "variance_reduction");
        assert!(reduction > 1.0, "{metric}: variance reduction {reduction}");
        // The paired CI is the narrower one.
        let paired = num(r, "diff_ci_high") - num(r, "diff_ci_low");
        let unpaired = num(r, "unpaired_ci_high") - num(r, "unpaired_ci_low");
        assert!(paired < unpaired, "{metric}: {paired} vs {unpaired}");
    }
}

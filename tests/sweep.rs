//! End-to-end tests of `marketsim sweep` and `marketsim merge`, driving the built binary.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{marketsim, ok, scratch};

fn refused(args: &[&str], needle: &str) {
    let out = marketsim(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "marketsim {args:?} must be refused"
    );
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains(needle), "{needle:?} not in: {msg}");
}

/// Every file under `dir` (recursively) with its bytes, sorted by relative path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().display().to_string(),
                    fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A small sweep over the baseline scenario: 2 × 2 points × 3 replicates = 12 runs.
fn sweep_file(dir: &Path) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let path = dir.join("sweep.toml");
    fs::write(
        &path,
        format!(
            "scenario = {base:?}\nseed = 5\nreplicates = 3\n\
             [[param]]\nkey = \"market.clearing\"\nvalues = [\"continuous\", \"call\"]\n\
             [[param]]\nkey = \"clients.jobs_per_hour\"\nlinear = {{ from = 20.0, to = 40.0, steps = 2 }}\n\
             [[param]]\nkey = \"run.horizon\"\nvalues = [14400]\n\
             [[param]]\nkey = \"population[0].count\"\nvalues = [60]\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn output_is_identical_for_any_jobs_shards_and_resume() {
    let d = scratch("identical");
    let sweep = sweep_file(&d);
    let s = sweep.to_str().unwrap();
    let one = d.join("one");
    let two = d.join("two");
    ok(&[
        "sweep",
        s,
        "--jobs",
        "1",
        "--quiet",
        "--out",
        one.to_str().unwrap(),
    ]);
    ok(&[
        "sweep",
        s,
        "--jobs",
        "2",
        "--quiet",
        "--out",
        two.to_str().unwrap(),
    ]);
    let reference = tree(&one);
    assert_eq!(reference, tree(&two));
    let names: Vec<&str> = reference.iter().map(|(n, _)| n.as_str()).collect();
    for f in [
        "runs.csv",
        "summary.csv",
        "runs.parquet",
        "summary.parquet",
        "sweep.resolved.toml",
        "base.toml",
    ] {
        assert!(names.contains(&f), "{f} written");
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("runs/")).count(), 12);

    // Three shards, merged.
    let mut shards = Vec::new();
    for k in 1..=3 {
        let dir = d.join(format!("shard-{k}"));
        ok(&[
            "sweep",
            s,
            "--shard",
            &format!("{k}/3"),
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(!dir.join("runs.csv").exists(), "a shard writes no tables");
        shards.push(dir);
    }
    let merged = d.join("merged");
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|p| p.to_str().unwrap()));
    ok(&args);
    assert_eq!(reference, tree(&merged));

    // Resume: a sweep that lost some runs (killed) finishes into the same bytes.
    let resumed = d.join("resumed");
    ok(&[
        "sweep",
        s,
        "--shard",
        "1/2",
        "--quiet",
        "--out",
        resumed.to_str().unwrap(),
    ]);
    fs::write(
        resumed.join("runs").join(".000001-0000.csv.partial"),
        "half a line",
    )
    .unwrap(); // in flight when killed
    // A record that a power loss left empty (records are renamed into place without a sync).
    fs::write(resumed.join("runs").join("000000-0000.csv"), "").unwrap();
    refused(
        &["sweep", s, "--quiet", "--out", resumed.to_str().unwrap()],
        "--resume",
    );
    ok(&[
        "sweep",
        s,
        "--resume",
        "--quiet",
        "--out",
        resumed.to_str().unwrap(),
    ]);
    assert_eq!(
        reference,
        tree(&resumed),
        "resume also removes the interrupted write"
    );

    // The resolved sweep reproduces the sweep.
    let again = d.join("again");
    ok(&[
        "sweep",
        one.join("sweep.resolved.toml").to_str().unwrap(),
        "--quiet",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(reference, tree(&again));
}

#[test]
fn summary_aggregates_each_point_over_its_replicates() {
    let d = scratch("summary");
    let sweep = sweep_file(&d);
    let out = d.join("out");
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 12);
    assert_eq!(
        &header[..7],
        [
            "point_id",
            "replicate",
            "seed",
            "market.clearing",
            "clients.jobs_per_hour",
            "run.horizon",
            "population[0].count"
        ]
    );
    // Point 3 = (call, 40.0): its completed-job mean/std/CI recomputed by hand.
    let xs: Vec<f64> = rows
        .iter()
        .filter(|r| r[0] == "3")
        .map(|r| r[col("jobs_completed")].parse().unwrap())
        .collect();
    assert_eq!(xs.len(), 3);
    assert!(
        rows.iter()
            .filter(|r| r[0] == "3")
            .all(|r| r[3] == "call" && r[4] == "40.0")
    );
    let mean = xs.iter().sum::<f64>() / 3.0;
    let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    let s_header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let s_row: Vec<&str> = summary.lines().nth(4).unwrap().split(',').collect();
    let get = |name: &str| -> f64 {
        s_row[s_header.iter().position(|h| *h == name).unwrap()]
            .parse()
            .unwrap()
    };
    assert_eq!(s_row[0], "3");
    assert!((get("jobs_completed_mean") - mean).abs() < 1e-9);
    assert!((get("jobs_completed_std") - std).abs() < 1e-9);
    let half = 4.303 * std / 3f64.sqrt();
    assert!((get("jobs_completed_ci_low") - (mean - half)).abs() < 1e-9);
    assert!((get("jobs_completed_ci_high") - (mean + half)).abs() < 1e-9);
    assert_eq!(get("jobs_completed_n"), 3.0);
    // Every run of a sweep has its own seed.
    let seeds: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[2]).collect();
    assert_eq!(seeds.len(), 12);
}

#[test]
fn bad_sweeps_and_bad_merges_are_refused() {
    let d = scratch("refusals");
    let sweep = sweep_file(&d);
    let s = sweep.to_str().unwrap();

    let bad = d.join("bad.toml");
    fs::write(
        &bad,
        fs::read_to_string(&sweep)
            .unwrap()
            .replace("jobs_per_hour", "jobs_per_hr"),
    )
    .unwrap();
    refused(
        &[
            "sweep",
            bad.to_str().unwrap(),
            "--out",
            d.join("x").to_str().unwrap(),
        ],
        "jobs_per_hr",
    );
    assert!(!d.join("x").exists(), "nothing runs");
    fs::write(
        &bad,
        fs::read_to_string(&sweep)
            .unwrap()
            .replace("replicates = 3", "replicates = 0"),
    )
    .unwrap();
    refused(&["sweep", bad.to_str().unwrap()], "replicates");
    fs::write(
        &bad,
        fs::read_to_string(&sweep)
            .unwrap()
            .replace("seed = 5", "sed = 5"),
    )
    .unwrap();
    refused(&["sweep", bad.to_str().unwrap()], "sed");
    refused(&["sweep", s, "--jobs", "0"], "--jobs");
    refused(&["sweep", s, "--shard", "4/3"], "K/N");

    let shards: Vec<PathBuf> = (1..=2).map(|k| d.join(format!("shard-{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        ok(&[
            "sweep",
            s,
            "--shard",
            &format!("{}/2", k + 1),
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ]);
    }
    let out = d.join("merged");
    // A missing shard.
    refused(
        &["merge", out.to_str().unwrap(), shards[0].to_str().unwrap()],
        "recorded by no shard",
    );
    // The same shard twice.
    refused(
        &[
            "merge",
            out.to_str().unwrap(),
            shards[0].to_str().unwrap(),
            shards[0].to_str().unwrap(),
        ],
        "recorded by both",
    );
    // A shard of another sweep.
    let other = d.join("other.toml");
    fs::write(
        &other,
        fs::read_to_string(&sweep)
            .unwrap()
            .replace("seed = 5", "seed = 6"),
    )
    .unwrap();
    let foreign = d.join("foreign");
    ok(&[
        "sweep",
        other.to_str().unwrap(),
        "--shard",
        "2/2",
        "--quiet",
        "--out",
        foreign.to_str().unwrap(),
    ]);
    refused(
        &[
            "merge",
            out.to_str().unwrap(),
            shards[0].to_str().unwrap(),
            foreign.to_str().unwrap(),
        ],
        "another sweep",
    );
    assert!(!out.join("runs.csv").exists());
    // Resuming a directory that holds another sweep.
    refused(
        &[
            "sweep",
            other.to_str().unwrap(),
            "--resume",
            "--out",
            shards[0].to_str().unwrap(),
        ],
        "another sweep",
    );
    // --keep-runs writes each run's own directory.
    let kept = d.join("kept");
    ok(&[
        "sweep",
        s,
        "--keep-runs",
        "--quiet",
        "--out",
        kept.to_str().unwrap(),
    ]);
    assert!(kept.join("run-dirs/000002-0001/summary.csv").exists());
}

//! `marketsim compare A.toml B.toml`: two scenario variants run seed by seed on common random
//! numbers (`engine::streams`), each summary metric's paired difference B − A with its 95% CI,
//! the independent-seeds CI for comparison and the measured variance reduction
//! ([`crate::compare`]).
//!
//! ```text
//! seeds S..E ──rayon──▶ A(s), B(s), B(s + N) ──summary──▶ compare::compare per metric
//!            ──▶ OUT/compare.csv (atomic, OUT locked) + a table on stdout
//! ```

use super::check::{SeedRange, parse_seeds};
use crate::compare::{self, COLUMNS};
use crate::metrics::summary::{Value, summary};
use crate::output::atomic;
use crate::output::lock::{self, DirLock};
use crate::scenario::Scenario;
use crate::world;
use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// The file written into `--out`.
pub(super) const FILE: &str = "compare.csv";

#[derive(Debug, Args)]
#[command(after_help = "Example (README \"Comparing two variants\"):\n  \
    marketsim compare scenarios/sybil-whitewash.toml scenarios/sybil-whitewash.toml \\\n    \
    --set-b market.ranking=trust --seeds 1..31 --set run.horizon=86400 --out results/compare-ranking\n\n\
    Seed s runs A and B on the same random streams (arrivals, budgets, population, delivered \
    quality, review noise); B is also run on the independent seeds E..E+N (N = number of seeds, \
    E = end of --seeds) for the unpaired CI. Writes OUT/compare.csv (columns: metric, n, \
    mean_a, mean_b, diff, diff_ci_low, diff_ci_high, unpaired_diff, unpaired_ci_low, \
    unpaired_ci_high, variance_reduction, identical_pairs) and prints the table.")]
pub(super) struct CompareArgs {
    /// Variant A's scenario file.
    a: PathBuf,
    /// Variant B's scenario file (may be the same file with --set-b overrides).
    b: PathBuf,
    /// Seeds: `A..B` half-open, `A..=B` inclusive, or `N`; at least 2.
    #[arg(long, value_name = "A..B", default_value = "1..21", value_parser = parse_seeds)]
    seeds: SeedRange,
    /// Override a key in both variants, e.g. `--set run.horizon=86400`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Override a key in variant A only.
    #[arg(long = "set-a", value_name = "KEY=VALUE")]
    overrides_a: Vec<String>,
    /// Override a key in variant B only.
    #[arg(long = "set-b", value_name = "KEY=VALUE")]
    overrides_b: Vec<String>,
    /// Directory for compare.csv [default: results/compare].
    #[arg(long, default_value = "results/compare")]
    out: PathBuf,
    /// Replace an existing compare.csv in OUT.
    #[arg(long)]
    force: bool,
    /// Worker threads [default: all cores]; the output does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
}

/// The metrics of one run, by name (column order of `summary.csv`).
fn metrics(scenario: &Scenario, seed: u64) -> Vec<(String, Option<f64>)> {
    let outcome = world::simulate(scenario.clone().with_seed(seed), |_| {});
    summary(&outcome)
        .into_iter()
        .filter(|(name, _)| name != "seed")
        .map(|(name, v)| {
            let x = match v {
                Value::Int(i) => Some(i as f64),
                Value::Float(f) if f.is_finite() => Some(f),
                Value::Float(_) | Value::Missing => None,
            };
            (name, x)
        })
        .collect()
}

fn fmt(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

pub(super) fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.seeds.len() >= 2,
        "--seeds {}: at least 2 seeds are needed for a confidence interval",
        args.seeds.text
    );
    let with =
        |extra: &[String]| -> Vec<String> { args.overrides.iter().chain(extra).cloned().collect() };
    let a = Scenario::load(&args.a, &with(&args.overrides_a))?;
    let b = Scenario::load(&args.b, &with(&args.overrides_b))?;
    atomic::create_dir_all(&args.out)?;
    let _lock = DirLock::acquire(&lock::resolve(&args.out)?, &args.out)?;
    let target = args.out.join(FILE);
    atomic::check_file_target(&target)?;
    anyhow::ensure!(
        args.force || !target.exists(),
        "{}: already exists; pass --force to replace it",
        target.display()
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, |n| n as usize))
        .build()
        .context("cannot start the worker threads")?;
    let (start, n) = (args.seeds.start, args.seeds.len());
    // Per seed s: A(s), B(s) on common random numbers, and B on the independent seed s + n.
    let runs: Vec<_> = pool.install(|| {
        (start..args.seeds.end)
            .into_par_iter()
            .map(|s| (metrics(&a, s), metrics(&b, s), metrics(&b, s + n)))
            .collect()
    });
    let names: Vec<String> = runs[0].0.iter().map(|(m, _)| m.clone()).collect();
    // Variant v (0 = A, 1 = B, 2 = B on independent seeds) of metric m, seed by seed.
    let column = |v: usize, m: usize| -> Vec<Option<f64>> {
        runs.iter().map(|(a, b, bi)| [a, b, bi][v][m].1).collect()
    };
    let mut csv = COLUMNS.join(",") + "\n";
    let mut table = format!(
        "{:<34} {:>12} {:>12} {:>12}  {:<27} {:<27} {:>8}\n",
        "metric",
        "mean A",
        "mean B",
        "B − A",
        "95% CI paired (CRN)",
        "95% CI independent",
        "var red"
    );
    for (m, name) in names.iter().enumerate() {
        let Some(c) = compare::compare(&column(0, m), &column(1, m), &column(2, m)) else {
            continue;
        };
        let row = [
            name.clone(),
            c.n.to_string(),
            fmt(c.mean_a),
            fmt(c.mean_b),
            fmt(c.diff),
            fmt(c.diff - c.diff_half),
            fmt(c.diff + c.diff_half),
            fmt(c.unpaired_diff),
            fmt(c.unpaired_diff - c.unpaired_half),
            fmt(c.unpaired_diff + c.unpaired_half),
            fmt(c.variance_reduction),
            c.identical.to_string(),
        ];
        csv += &(row.join(",") + "\n");
        let ci = |lo: f64, hi: f64| format!("[{lo:.4}, {hi:.4}]");
        let _ = writeln!(
            table,
            "{:<34} {:>12.4} {:>12.4} {:>12.4}  {:<27} {:<27} {:>8}",
            name,
            c.mean_a,
            c.mean_b,
            c.diff,
            ci(c.diff - c.diff_half, c.diff + c.diff_half),
            ci(
                c.unpaired_diff - c.unpaired_half,
                c.unpaired_diff + c.unpaired_half
            ),
            if c.variance_reduction.is_finite() {
                format!("{:.1}", c.variance_reduction)
            } else {
                "—".into()
            },
        );
    }
    atomic::write_file(&target, csv.as_bytes())?;
    super::print(&table)?;
    eprintln!(
        "{n} seeds ({}), B also on seeds {}..{} for the independent CI -> {}",
        args.seeds.text,
        args.seeds.end,
        args.seeds.end + n,
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

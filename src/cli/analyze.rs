//! `marketsim analyze`: Sobol' or Morris sensitivity indices of a finished sweep.

use crate::output::lock::{self, DirLock};
use crate::sweep::analysis;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Writes DIR/sensitivity.csv and DIR/sensitivity.parquet: for every metric, S1, ST \
    (and S2) with 95% bootstrap intervals for a sobol sweep, mu_star, mu and sigma for a morris \
    sweep, and the metric's share of seed noise (README, \"Sensitivity analysis\").\n\n\
    Example:\n  marketsim sweep scenarios/sweeps/sensitivity-gaming.toml --out results/sens\n  \
    marketsim analyze results/sens"
)]
pub(super) struct AnalyzeArgs {
    /// A finished sweep directory of design "sobol" or "morris".
    dir: PathBuf,
    /// Bootstrap resamples for the confidence intervals (at least 2).
    #[arg(long, default_value_t = 1000)]
    resamples: usize,
}

pub(super) fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.resamples >= 2, "--resamples must be at least 2");
    anyhow::ensure!(
        args.dir.is_dir(),
        "{}: not a directory; expected a finished sweep's directory",
        args.dir.display()
    );
    // Held while reading and writing: no sweep, merge or other analyze writes DIR meanwhile.
    let _lock = DirLock::acquire(&lock::resolve(&args.dir)?, &args.dir)?;
    let result = analysis::analyze(&args.dir, args.resamples)?;
    analysis::write(&args.dir, &result)?;
    for (metric, why) in &result.skipped {
        eprintln!("note: {metric}: no indices ({why})");
    }
    eprintln!(
        "{} index rows for {} metric(s) ({} without indices) -> {}",
        result.rows.len(),
        {
            let mut names: Vec<&str> = result.rows.iter().map(|r| r.metric.as_str()).collect();
            names.dedup();
            names.len()
        },
        result.skipped.len(),
        args.dir.join(analysis::FILES[0]).display()
    );
    Ok(ExitCode::SUCCESS)
}

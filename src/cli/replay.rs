//! `marketsim replay DIR`: rebuild a run from its receipts and compare with its files.

use crate::replay;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  marketsim run scenarios/baseline.toml --events --out results/b\n  \
    marketsim replay results/b\n\nExit codes: 0 identical, 1 a difference or a broken hash chain, 2 error."
)]
pub(super) struct ReplayArgs {
    /// Results directory of a run made with `--events`.
    dir: PathBuf,
}

pub(super) fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let report = replay::replay(&args.dir)?;
    if report.problems.is_empty() {
        super::print(&format!(
            "{} receipts replayed: ledger.csv and agents.csv rebuilt identically\n",
            report.receipts
        ))?;
        Ok(ExitCode::SUCCESS)
    } else {
        let text: String = report.problems.iter().map(|p| format!("{p}\n")).collect();
        super::print(&text)?;
        Ok(ExitCode::from(1))
    }
}

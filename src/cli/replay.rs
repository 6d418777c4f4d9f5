//! `marketsim replay DIR`: rebuild a run from its receipts and compare with its files.

use crate::output::lock::{self, DirLock};
use crate::replay;
use clap::Args;
use std::io::ErrorKind;
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
    // The directory's lock, held while its files are read: a run rewriting the directory
    // meanwhile could otherwise swap them between two reads (the receipts of one run, the
    // tables of another), and a difference would be reported that no run made. A writer that
    // comes during the replay is refused, as it would be by another writer. Where this user
    // cannot create the lock file (a read-only copy of results, another user's directory), the
    // replay reads without it: reading needs no right to write.
    let _lock = if args.dir.is_dir() {
        match DirLock::acquire(&lock::resolve(&args.dir)?, &args.dir) {
            Ok(held) => Some(held),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                None
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        None // replay names the missing file
    };
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

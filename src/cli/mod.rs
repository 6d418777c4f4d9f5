//! Command-line interface: clap definitions and one module per subcommand.
//!
//! Exit codes: 0 success; 1 the command ran and found a problem (a failed check, a replay
//! difference); 2 bad input or an error (unreadable or invalid scenario, refused output
//! directory, I/O failure) — the full error chain is printed.

mod analyze;
mod bench;
mod check;
mod compare;
mod plot;
mod replay;
mod run;
mod scenario;
mod sweep;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// marketsim: a seeded discrete-event simulator of an AI-agent marketplace.
#[derive(Debug, Parser)]
#[command(
    name = "marketsim",
    version,
    about,
    after_help = "Examples:\n  marketsim run scenarios/baseline.toml --seed 7 --out results/baseline-7\n  marketsim check scenarios/baseline.toml --seeds 0..1000\n\nExit codes: 0 ok, 1 problem found, 2 bad input or error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one scenario and write its metrics.
    Run(run::RunArgs),
    /// Throughput benchmark: a fixed honest-plus-adversaries scenario of N identities and ≈ M
    /// jobs, timed in memory.
    Bench(bench::BenchArgs),
    /// Check every market invariant over a range of seeds, in parallel (for CI).
    Check(check::CheckArgs),
    /// Rebuild a run's ledger and agent table from its receipts and compare.
    Replay(replay::ReplayArgs),
    /// Run a parameter sweep (points × replicates) in parallel; resumable and shardable.
    Sweep(sweep::SweepArgs),
    /// Join the shard directories of a sweep into the files a single-process sweep writes.
    Merge(sweep::MergeArgs),
    /// Charts and an HTML page (index.html) from a run's or a sweep's results directory.
    Plot(plot::PlotArgs),
    /// Compare two scenario variants seed by seed on common random numbers.
    Compare(compare::CompareArgs),
    /// Sobol' or Morris sensitivity indices of a finished sobol or morris sweep.
    Analyze(analyze::AnalyzeArgs),
    /// Describe the scenario file format: every key (`keys`) or a JSON Schema (`schema`).
    Scenario(scenario::ScenarioArgs),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Check(args) => check::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Plot(args) => plot::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Scenario(args) => scenario::run(args),
    }
}

/// Writes `text` to stdout. A reader that stops early (`marketsim check … | head`) is not an
/// error: the output is simply cut, instead of the panic `print!` raises on a closed pipe.
fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The error and its causes, outermost first, joined by ": ", each said once: a cause whose
/// text its parent's message already contains (an error that both shows and returns its
/// source) is not repeated.
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !previous.is_empty() && previous.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        previous = text;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_says_each_cause_once() {
        let os = std::io::Error::from_raw_os_error(21);
        let shown_twice = anyhow::Error::new(std::io::Error::new(
            os.kind(),
            format!("out/x: cannot write: {os}"),
        ));
        assert_eq!(
            error_chain(&shown_twice),
            "out/x: cannot write: Is a directory (os error 21)"
        );
        #[derive(Debug, thiserror::Error)]
        #[error("scenario.toml: cannot read scenario: {source}")]
        struct Read {
            source: std::io::Error,
        }
        let e = anyhow::Error::new(Read { source: os }).context("loading");
        assert_eq!(
            error_chain(&e),
            "loading: scenario.toml: cannot read scenario: Is a directory (os error 21)"
        );
    }
}

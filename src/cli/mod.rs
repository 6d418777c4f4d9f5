//! Command-line interface: clap definitions and one module per subcommand.
//!
//! Exit codes: 0 success; 1 the command ran and found a problem (a failed check, a replay
//! difference); 2 bad input or an error (unreadable or invalid scenario, refused output
//! directory, I/O failure) — the full error chain is printed.

mod bench;
mod check;
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
    /// Describe the scenario file format: every key (`keys`) or a JSON Schema (`schema`).
    Scenario(scenario::ScenarioArgs),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Check(args) => check::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Scenario(args) => scenario::run(args),
    }
}

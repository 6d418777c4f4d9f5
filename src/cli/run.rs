//! `marketsim run`: one scenario, one seed, one results directory.

use crate::output::{self, RunDir};
use crate::receipts::log::ReceiptLog;
use crate::replay;
use crate::scenario::Scenario;
use crate::world;
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  marketsim run scenarios/baseline.toml\n  \
    marketsim run scenarios/sybil-whitewash.toml --seed 3 --set market.ranking=trust --out results/sybil-trust")]
pub(super) struct RunArgs {
    /// Scenario TOML file.
    scenario: PathBuf,
    /// Seed of the run (overrides `run.seed` of the file).
    #[arg(long)]
    seed: Option<u64>,
    /// Results directory [default: results/<scenario name>-seed<seed>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a scenario key, e.g. `--set clients.count=500` or `--set population[0].count=9`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Also write every state change as a hash-chained receipt (`receipts.log`); see
    /// `marketsim replay`.
    #[arg(long)]
    events: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Replace the previous run in a non-empty results directory (refused if it holds files
    /// that are not a run's).
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario::load(&args.scenario, &args.overrides)?;
    if let Some(warning) = scenario.estimate().warning() {
        eprintln!("warning: {warning}");
    }
    if let Some(seed) = args.seed {
        scenario = scenario.with_seed(seed);
    }
    let out = args.out.unwrap_or_else(|| {
        let stem = args
            .scenario
            .file_stem()
            .map_or("run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("results").join(format!("{stem}-seed{}", scenario.seed()))
    });
    // Lock, check and stage the results directory before anything runs.
    let dir = RunDir::begin(&out, args.force)?;

    let horizon = scenario.file().run.horizon;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(horizon), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulated {pos}/{len} s [{bar:30}] {elapsed_precise} ETA {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let mut last = 0;
    let receipts_path = dir.staging().join(output::RECEIPTS_FILE);
    let receipts = match args.events {
        true => Some(ReceiptLog::create(&receipts_path)?),
        false => None,
    };
    let sink = receipts
        .clone()
        .map(|log| Box::new(log) as Box<dyn crate::receipts::ReceiptSink>);
    let mut outcome = world::simulate_with_receipts(scenario, sink, |now| {
        // Drawing is throttled by indicatif; only report forward progress within the horizon.
        if now > last && now <= horizon {
            last = now;
            bar.set_position(now);
        }
    });
    bar.finish_and_clear();

    if let Some(log) = receipts {
        log.commit()
            .with_context(|| format!("writing the receipts of {}", out.display()))?;
        replay::check_log_invariant(&mut outcome, &receipts_path)?;
    }
    output::write_run(dir.staging(), &outcome)
        .with_context(|| format!("writing results to {}", out.display()))?;
    dir.publish()?;
    let violations = outcome.recorder.invariants.total_violations();
    if !args.quiet {
        eprintln!(
            "{} events, {} jobs posted, {} completed, {} invariant violations -> {}",
            outcome.events,
            outcome.recorder.counters.posted,
            outcome.recorder.counters.completed,
            violations,
            out.display()
        );
    }
    Ok(if violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

//! `marketsim run`: one scenario, one seed, one results directory.

use crate::metrics::Invariant;
use crate::output::Tables;
use crate::output::receipts::ReceiptLog;
use crate::output::{self, atomic};
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
    /// Write into a non-empty results directory, replacing the files of a run.
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
    atomic::prepare_dir(&out, args.force)?;

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
    let receipts_path = out.join("receipts.log");
    let receipts = match args.events {
        true => Some(ReceiptLog::create(&receipts_path)?),
        false => {
            // A forced re-run without --events must not leave an older run's receipts behind.
            if receipts_path.exists() {
                std::fs::remove_file(&receipts_path)?;
            }
            None
        }
    };
    let sink = receipts
        .clone()
        .map(|log| Box::new(log) as Box<dyn crate::world::receipts::ReceiptSink>);
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
            .with_context(|| format!("writing {}", receipts_path.display()))?;
        check_replay(&mut outcome, &receipts_path)?;
    }
    output::write_run(&out, &outcome)
        .with_context(|| format!("writing results to {}", out.display()))?;
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

/// Invariant `receipt_replay`: the receipts just written rebuild the run's tables exactly.
fn check_replay(outcome: &mut world::Outcome, receipts: &std::path::Path) -> anyhow::Result<()> {
    let log = std::fs::read_to_string(receipts)
        .with_context(|| format!("reading {}", receipts.display()))?;
    let replayed = replay::verified_bodies(&log)
        .and_then(|b| replay::rebuild(&outcome.scenario, b.into_iter()));
    let ok = replayed.as_ref().is_ok_and(|t| *t == Tables::of(outcome));
    let end = outcome.end_time;
    outcome
        .recorder
        .invariants
        .check(Invariant::ReceiptReplay, ok, end, || match replayed {
            Err(problem) => format!("replaying receipts.log: {problem}"),
            Ok(_) => "replaying receipts.log rebuilds different agents.csv or ledger.csv".into(),
        });
    Ok(())
}

//! `marketsim sweep` and `marketsim merge`.

use crate::sweep::runner::{self, Shard};
use crate::sweep::{Sweep, aggregate};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  marketsim sweep scenarios/sweeps/sybil-ranking.toml --out results/sybil-ranking\n  \
    marketsim sweep scenarios/sweeps/sybil-ranking.toml --out results/s --resume\n  \
    marketsim sweep scenarios/sweeps/sybil-ranking.toml --shard 2/4 --out results/shard-2"
)]
pub(super) struct SweepArgs {
    /// Sweep TOML file.
    sweep: PathBuf,
    /// Worker threads [default: all cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// Output directory [default: results/<sweep name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue an interrupted sweep in --out: runs already recorded are kept.
    #[arg(long)]
    resume: bool,
    /// Replace a previous sweep's files in a non-empty --out.
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    /// Run only shard K of N (1-based), e.g. `--shard 2/4`; join shards with `marketsim merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Also write each run's own output directory under run-dirs/.
    #[arg(long)]
    keep_runs: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

pub(super) fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let sweep = Sweep::load(&args.sweep)?;
    let out = args.out.unwrap_or_else(|| {
        let stem = args
            .sweep
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("results").join(stem)
    });
    let jobs = match args.jobs {
        Some(0) => anyhow::bail!("--jobs must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    // Held until the sweep ends: no other process writes `out` meanwhile.
    let runner::Prepared { lock: _lock, done } =
        runner::prepare(&out, &sweep, args.resume, args.force)?;
    let mine = match args.shard {
        Some(shard) => shard.select(sweep.runs()),
        None => sweep.runs(),
    };
    let todo: Vec<_> = mine.iter().copied().filter(|r| !done.contains(r)).collect();
    if todo.len() > crate::sweep::LARGE_RUNS {
        eprintln!(
            "warning: {} runs to do (a sweep may have at most {}); expect a long sweep, whose \
             final tables hold every run's record in memory; the progress bar shows its ETA",
            todo.len(),
            crate::sweep::MAX_RUNS
        );
    }

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(mine.len() as u64), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} runs  {per_sec}  elapsed {elapsed}  ETA {eta}",
        )
        .expect("static template"),
    );
    bar.set_position((mine.len() - todo.len()) as u64);
    let started = std::time::Instant::now();
    let simulating = runner::run_all(&sweep, &out, &todo, jobs, args.keep_runs, || bar.inc(1))?;
    bar.finish_and_clear();

    if args.shard.is_none() {
        aggregate::finalize(&out, &sweep)?;
    }
    if !args.quiet {
        let wall = started.elapsed().as_secs_f64();
        let sim = simulating.as_secs_f64();
        eprintln!(
            "{} runs ({} resumed) in {wall:.2} s wall on {jobs} thread(s); runs took {sim:.2} s (sweep overhead {:.1}% of thread time) -> {}",
            mine.len(),
            mine.len() - todo.len(),
            100.0 * (1.0 - sim / (wall * jobs as f64)).max(0.0),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  marketsim merge results/sweep results/shard-1 results/shard-2 results/shard-3 results/shard-4"
)]
pub(super) struct MergeArgs {
    /// Output directory: gets exactly the files a single-process sweep writes.
    out: PathBuf,
    /// Shard directories written by `marketsim sweep --shard K/N`.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Replace a previous sweep's files in a non-empty OUT.
    #[arg(long)]
    force: bool,
}

pub(super) fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let sweep = runner::merge(&args.out, &args.shards, args.force)?;
    eprintln!(
        "{} shards, {} runs -> {}",
        args.shards.len(),
        sweep.runs().len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

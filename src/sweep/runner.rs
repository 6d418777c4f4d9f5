//! Running a sweep's runs: output directory, resume, shards, parallel execution.
//!
//! Layout of a sweep directory:
//!
//! ```text
//! sweep.resolved.toml, base.toml   the sweep (written first)
//! runs/PPPPPP-RRRR.csv             one finished run: header + one row (written atomically)
//! run-dirs/PPPPPP-RRRR/            a run's own files (only with --keep-runs)
//! runs.csv, summary.csv, runs.parquet, summary.parquet   once every run is present
//! ```
//!
//! A run's record appears complete or not at all, so after a kill at any moment `--resume`
//! loses only the runs that were in flight.

use super::{RunId, Sweep, SweepError};
use crate::metrics::summary::{Value, summary};
use crate::output::{self, atomic};
use crate::world;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Directory of per-run records inside a sweep directory.
pub const RUNS_DIR: &str = "runs";
/// Directory of per-run output directories (`--keep-runs`).
pub const RUN_DIRS: &str = "run-dirs";

/// A shard `K/N` of a sweep: runs whose (point, replicate) index `i` has `i mod N = K − 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub k: u32,
    /// Number of shards.
    pub n: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}`: expected K/N with 1 ≤ K ≤ N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// The runs of this shard: round-robin over the run index, so shards differ by at most one
    /// run and each gets a spread of points.
    pub fn select(self, runs: Vec<RunId>) -> Vec<RunId> {
        runs.into_iter()
            .enumerate()
            .filter(|(i, _)| *i as u64 % u64::from(self.n) == u64::from(self.k - 1))
            .map(|(_, r)| r)
            .collect()
    }
}

/// File name of a run's record.
pub fn record_name(run: RunId) -> String {
    format!("{:06}-{:04}.csv", run.point, run.replicate)
}

fn parse_record_name(name: &str) -> Option<RunId> {
    let stem = name.strip_suffix(".csv")?;
    let (p, r) = stem.split_once('-')?;
    (p.len() == 6 && r.len() == 4).then_some(())?;
    Some(RunId {
        point: p.parse().ok()?,
        replicate: r.parse().ok()?,
    })
}

/// The runs recorded in `dir/runs/`. Records are renamed into place without a sync (see
/// [`record`]); one that a power loss left empty or truncated (not a header and one row) is
/// removed, so that it is run again.
pub fn recorded_runs(dir: &Path) -> Result<BTreeSet<RunId>, SweepError> {
    let runs = dir.join(RUNS_DIR);
    let mut done = BTreeSet::new();
    if !runs.exists() {
        return Ok(done);
    }
    for entry in std::fs::read_dir(&runs)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(run) = parse_record_name(&name) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let complete = text.ends_with('\n') && text.lines().count() == 2;
        if complete {
            done.insert(run);
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(done)
}

/// Prepares `dir` for `sweep` and returns the runs already recorded there.
///
/// - empty or missing: created, the resolved sweep written;
/// - not empty, `resume`: must hold the same resolved sweep; its recorded runs are kept and the
///   temporary files of interrupted writes removed;
/// - not empty, `force`: the previous sweep's files are removed;
/// - otherwise refused.
pub fn prepare(
    dir: &Path,
    sweep: &Sweep,
    resume: bool,
    force: bool,
) -> Result<BTreeSet<RunId>, SweepError> {
    let non_empty = dir.exists() && std::fs::read_dir(dir)?.next().is_some();
    if non_empty && resume {
        check_same_sweep(dir, sweep)?;
        remove_partial_files(dir)?;
        return recorded_runs(dir);
    }
    if non_empty && !force {
        return Err(SweepError::Output(format!(
            "{} exists and is not empty; pass --resume to continue the sweep there or --force to replace it",
            dir.display()
        )));
    }
    if non_empty {
        for name in [RUNS_DIR, RUN_DIRS] {
            let p = dir.join(name);
            if p.exists() {
                std::fs::remove_dir_all(p)?;
            }
        }
        for name in super::aggregate::TABLE_FILES {
            let p = dir.join(name);
            if p.exists() {
                std::fs::remove_file(p)?;
            }
        }
    }
    std::fs::create_dir_all(dir.join(RUNS_DIR))?;
    for (name, text) in sweep.resolved() {
        atomic::write_file(&dir.join(name), text.as_bytes())?;
    }
    Ok(BTreeSet::new())
}

/// Removes the temporary files of writes that a kill interrupted (`.NAME.partial`).
fn remove_partial_files(dir: &Path) -> Result<(), SweepError> {
    for d in [dir.to_path_buf(), dir.join(RUNS_DIR)] {
        if !d.exists() {
            continue;
        }
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') && name.ends_with(".partial") {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

/// Refuses `dir` unless it holds exactly `sweep`'s resolved files.
pub fn check_same_sweep(dir: &Path, sweep: &Sweep) -> Result<(), SweepError> {
    for (name, text) in sweep.resolved() {
        let found = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        if found != text {
            return Err(SweepError::Output(format!(
                "{}: {name} differs from this sweep's; it holds another sweep",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The header and row of a run's record: point, replicate, seed, each varied parameter, then
/// every headline metric of `summary.csv`. Records are written atomically (a temporary file
/// renamed into place, so a killed sweep never leaves a partial one) but not synced: a sync
/// per run would cost more than a small run. The final tables are synced.
pub fn record(sweep: &Sweep, run: RunId, metrics: &[(String, Value)]) -> Vec<u8> {
    // The run's seed is already a column of its own.
    let metrics: Vec<_> = metrics.iter().filter(|(name, _)| name != "seed").collect();
    let mut header = vec!["point_id".to_string(), "replicate".into(), "seed".into()];
    header.extend(sweep.file().param.iter().map(|p| p.key.clone()));
    header.extend(metrics.iter().map(|(name, _)| name.clone()));
    let mut row = vec![
        run.point.to_string(),
        run.replicate.to_string(),
        sweep.seed(run).to_string(),
    ];
    row.extend(sweep.points()[run.point].values.iter().map(value_text));
    row.extend(metrics.iter().map(|(_, v)| v.to_string()));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("memory");
    w.write_record(&row).expect("memory");
    w.into_inner().expect("memory")
}

/// A parameter value as a CSV cell: strings bare, everything else as TOML writes it.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs `todo` on `jobs` threads, recording each run as it ends; `on_done` is called after
/// each. The first error stops the sweep (runs already recorded stay recorded). Returns the
/// wall time spent in the runs themselves — simulating, computing the run's metrics and
/// freeing its state — summed over runs, to measure the sweep's own overhead (writing records,
/// scheduling); it never reaches any output file.
pub fn run_all(
    sweep: &Sweep,
    dir: &Path,
    todo: &[RunId],
    jobs: usize,
    keep_runs: bool,
    on_done: impl Fn() + Sync,
) -> Result<std::time::Duration, SweepError> {
    let simulating = std::sync::atomic::AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| SweepError::Output(format!("cannot start {jobs} worker threads: {e}")))?;
    pool.install(|| {
        todo.par_iter().try_for_each(|&run| {
            let scenario = sweep.scenario(run);
            let started = std::time::Instant::now();
            let outcome = world::simulate(scenario, |_| {});
            let metrics = summary(&outcome);
            let mut in_run = started.elapsed();
            if keep_runs {
                let run_dir: PathBuf = dir
                    .join(RUN_DIRS)
                    .join(record_name(run).trim_end_matches(".csv"));
                atomic::prepare_dir(&run_dir, true)?;
                output::write_run(&run_dir, &outcome)?;
            }
            let freeing = std::time::Instant::now();
            drop(outcome);
            in_run += freeing.elapsed();
            simulating.fetch_add(
                in_run.as_nanos() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            let mut file = atomic::AtomicFile::create(&dir.join(RUNS_DIR).join(record_name(run)))?;
            file.write_all(&record(sweep, run, &metrics))?;
            file.commit_unsynced()?;
            on_done();
            Ok::<(), SweepError>(())
        })
    })?;
    Ok(std::time::Duration::from_nanos(simulating.into_inner()))
}

/// Joins the shard directories of one sweep into `out`, which then holds exactly the files a
/// single-process sweep writes. Refuses shards of different sweeps, a run recorded by two
/// shards, and missing runs.
pub fn merge(out: &Path, shards: &[PathBuf], force: bool) -> Result<Sweep, SweepError> {
    let first = shards
        .first()
        .ok_or_else(|| SweepError::Output("merge needs at least one shard directory".into()))?;
    let sweep = Sweep::load(&first.join(super::RESOLVED_FILE))?;
    let mut seen: std::collections::BTreeMap<RunId, &Path> = Default::default();
    for shard in shards {
        check_same_sweep(shard, &sweep)?;
        for run in recorded_runs(shard)? {
            if let Some(other) = seen.insert(run, shard) {
                return Err(SweepError::Output(format!(
                    "run {} is recorded by both {} and {}",
                    record_name(run),
                    other.display(),
                    shard.display()
                )));
            }
        }
    }
    let missing = sweep.runs().len() - seen.len();
    if missing > 0 {
        let example = sweep
            .runs()
            .into_iter()
            .find(|r| !seen.contains_key(r))
            .expect("some run is missing");
        return Err(SweepError::Output(format!(
            "{missing} run(s) recorded by no shard, e.g. {}",
            record_name(example)
        )));
    }
    prepare(out, &sweep, false, force)?;
    for (run, shard) in &seen {
        let name = record_name(*run);
        let bytes = std::fs::read(shard.join(RUNS_DIR).join(&name))?;
        atomic::write_file(&out.join(RUNS_DIR).join(&name), &bytes)?;
    }
    super::aggregate::finalize(out, &sweep)?;
    Ok(sweep)
}

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
use crate::output::lock::{self, DirLock};
use crate::output::{self, RunDir, atomic};
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

/// File name of a run's record: `PPPPPP-RRRR.csv`, the point and replicate zero-padded to at
/// least 6 and 4 digits and as wide as they need beyond (`000000-10000.csv`).
pub fn record_name(run: RunId) -> String {
    format!("{:06}-{:04}.csv", run.point, run.replicate)
}

/// The run a record's file name names, whatever the width of its numbers; `None` for any
/// other file (only the exact name [`record_name`] gives is a record, so no run has two).
pub(super) fn parse_record_name(name: &str) -> Option<RunId> {
    let stem = name.strip_suffix(".csv")?;
    let (p, r) = stem.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(p) && digits(r)).then_some(())?;
    let run = RunId {
        point: p.parse().ok()?,
        replicate: r.parse().ok()?,
    };
    (record_name(run) == name).then_some(run)
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
    let unreadable = |e| atomic::at(&runs, "cannot read this directory", e);
    for entry in std::fs::read_dir(&runs).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
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
            std::fs::remove_file(&path)
                .map_err(|e| atomic::at(&path, "cannot remove this incomplete record", e))?;
        }
    }
    Ok(done)
}

/// A sweep directory being written: its lock, held until dropped, and the runs already
/// recorded there.
pub struct Prepared {
    /// The directory's lock ([`crate::output::lock`]): no other process writes it meanwhile.
    pub lock: DirLock,
    /// Runs recorded by an earlier, interrupted sweep (with `--resume`).
    pub done: BTreeSet<RunId>,
}

/// Takes the lock of `dir` (refused if another process writes it), prepares it for `sweep`
/// and returns the runs already recorded there.
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
) -> Result<Prepared, SweepError> {
    let lock = DirLock::acquire(&lock::resolve(dir)?, dir)?;
    let unreadable = |e| atomic::at(dir, "cannot read this directory", e);
    if dir.exists() && !dir.is_dir() {
        return Err(SweepError::Output(format!(
            "{} is a file; expected a sweep directory (or a path that does not exist yet)",
            dir.display()
        )));
    }
    let non_empty = dir.exists() && std::fs::read_dir(dir).map_err(unreadable)?.next().is_some();
    if non_empty && resume {
        check_same_sweep(dir, sweep)?;
        remove_partial_files(dir)?;
        let done = recorded_runs(dir)?;
        return Ok(Prepared { lock, done });
    }
    if non_empty && !force {
        return Err(SweepError::Output(format!(
            "{} exists and is not empty; pass --resume to continue the sweep there or --force to replace it",
            dir.display()
        )));
    }
    if non_empty {
        remove_partial_files(dir)?;
        for name in [RUNS_DIR, RUN_DIRS] {
            let p = dir.join(name);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(|e| atomic::at(&p, "cannot remove", e))?;
            }
        }
        let stale = super::aggregate::TABLE_FILES
            .into_iter()
            .chain(super::analysis::FILES)
            .chain([super::SAMPLE_FILE]);
        for name in stale {
            let p = dir.join(name);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| atomic::at(&p, "cannot remove", e))?;
            }
        }
    }
    atomic::create_dir_all(&dir.join(RUNS_DIR))?;
    for (name, text) in sweep.resolved() {
        atomic::write_file(&dir.join(name), text.as_bytes())?;
    }
    Ok(Prepared {
        lock,
        done: BTreeSet::new(),
    })
}

/// Removes the temporary files of writes that a kill interrupted (`.NAME….partial`). Only
/// called under the directory's lock, so no other writer's temporary file is removed.
fn remove_partial_files(dir: &Path) -> Result<(), SweepError> {
    for d in [dir.to_path_buf(), dir.join(RUNS_DIR)] {
        if !d.exists() {
            continue;
        }
        let unreadable = |e| atomic::at(&d, "cannot read this directory", e);
        for entry in std::fs::read_dir(&d).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if atomic::is_partial(&name) {
                std::fs::remove_file(&path).map_err(|e| atomic::at(&path, "cannot remove", e))?;
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
    header.extend(sweep.params().iter().map(|p| p.key.clone()));
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

/// Writes a run's record into `dir/runs/`, atomically but without a sync (see [`record`]).
fn write_record(dir: &Path, run: RunId, bytes: &[u8]) -> Result<(), SweepError> {
    let path = dir.join(RUNS_DIR).join(record_name(run));
    let mut file = atomic::AtomicFile::create(&path)?;
    file.write_all(bytes)
        .map_err(|e| atomic::at(&path, "cannot write", e))?;
    Ok(file.commit_unsynced()?)
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
                let staged = RunDir::begin(&run_dir, true)?;
                output::write_run(staged.staging(), &outcome)?;
                staged.publish()?;
            }
            let freeing = std::time::Instant::now();
            drop(outcome);
            in_run += freeing.elapsed();
            simulating.fetch_add(
                in_run.as_nanos() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            write_record(dir, run, &record(sweep, run, &metrics))?;
            on_done();
            Ok::<(), SweepError>(())
        })
    })?;
    Ok(std::time::Duration::from_nanos(simulating.into_inner()))
}

/// Joins the shard directories of one sweep into `out`, which then holds exactly the files a
/// single-process sweep writes. Refuses an output that is also a shard, shards of different
/// sweeps, a run recorded by two shards, and missing runs. Records are copied as a sweep
/// writes them (renamed into place, not synced); the final tables are synced.
pub fn merge(out: &Path, shards: &[PathBuf], force: bool) -> Result<Sweep, SweepError> {
    let first = shards
        .first()
        .ok_or_else(|| SweepError::Output("merge needs at least one shard directory".into()))?;
    // The output must not be an input: preparing it would delete that shard's records.
    let resolved_out = lock::resolve(out)?;
    for shard in shards {
        if std::fs::canonicalize(shard).is_ok_and(|s| s == resolved_out) {
            return Err(SweepError::Output(format!(
                "the output {} is also given as the shard {}; merge into a new directory",
                out.display(),
                shard.display()
            )));
        }
    }
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
    let _lock = prepare(out, &sweep, false, force)?.lock;
    for (run, shard) in &seen {
        let name = record_name(*run);
        let path = shard.join(RUNS_DIR).join(&name);
        let bytes = std::fs::read(&path).map_err(|e| atomic::at(&path, "cannot read", e))?;
        write_record(out, *run, &bytes)?;
    }
    super::aggregate::finalize(out, &sweep)?;
    Ok(sweep)
}

//! Robust outputs (issue 16), driving the built binary: one writer per directory, a run's
//! directory committed whole, bounded memory of receipts, sweep size limits and record names,
//! merge and check refusing bad output paths up front, and error messages that name the path.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{command, marketsim, ok, scratch};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Refused with exit 2 and a message containing every needle.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let out = marketsim(args);
    let msg = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} must be refused: {msg}"
    );
    for n in needles {
        assert!(msg.contains(n), "{args:?}: {n:?} not in: {msg}");
    }
    msg
}

/// Every entry of `dir` (not recursive; hidden ones included) with its bytes, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.path().is_dir() {
                b"<dir>".to_vec()
            } else {
                fs::read(e.path()).unwrap()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

fn names(dir: &Path) -> Vec<String> {
    files(dir).into_iter().map(|(n, _)| n).collect()
}

/// A run of a few tenths of a second: the baseline, shortened and shrunk.
const TINY: [&str; 8] = [
    "--set",
    "run.horizon=7200",
    "--set",
    "population[0].count=40",
    "--set",
    "clients.count=40",
    "--set",
    "clients.jobs_per_hour=100",
];

fn run_args<'a>(out: &'a str, seed: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "scenarios/baseline.toml",
        "-q",
        "--events",
        "--seed",
        seed,
        "--out",
        out,
    ];
    args.extend(TINY);
    args.extend(extra);
    args
}

/// Defect 1: two runs into one `--out` at once never mix their files. Each run either
/// completes or is refused because the other holds the directory; the directory then holds
/// exactly one successful run, byte for byte, and nothing else is left beside it.
#[test]
fn concurrent_writers_never_mix_a_directory() {
    let d = scratch("concurrent");
    let reference = |seed: &str| {
        let dir = d.join(format!("ref-{seed}"));
        ok(&run_args(dir.to_str().unwrap(), seed, &[]));
        files(&dir)
    };
    let refs = [reference("1"), reference("2")];
    assert_ne!(refs[0], refs[1]);
    let race = d.join("race");
    fs::create_dir(&race).unwrap();
    let mut refusals = 0;
    for i in 0..50 {
        // Even tries race into a new directory, odd ones replace the previous run (--force).
        let out = race.join(format!("out{}", i / 2));
        let o = out.to_str().unwrap();
        let children: Vec<Child> = ["1", "2"]
            .iter()
            .map(|seed| {
                command(&run_args(o, seed, &["--force"]))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let results: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut winners = Vec::new();
        for (k, r) in results.iter().enumerate() {
            match r.status.code() {
                Some(0) => winners.push(k),
                Some(2) => {
                    let msg = text(&r.stderr);
                    assert!(
                        msg.contains("is in use by another marketsim process"),
                        "try {i}: a refused writer says why: {msg}"
                    );
                    refusals += 1;
                }
                code => panic!("try {i}: exit {code:?}: {}", text(&r.stderr)),
            }
        }
        assert!(!winners.is_empty(), "try {i}: one writer completes");
        let got = files(&out);
        assert!(
            winners.iter().any(|&k| got == refs[k]),
            "try {i}: {o} holds exactly the run of a writer that exited 0 (winners {winners:?}): {:?}",
            names(&out)
        );
        let beside: Vec<String> = names(&race)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(beside.is_empty(), "try {i}: left beside: {beside:?}");
    }
    assert!(refusals > 0, "the writers overlapped at least once");
}

/// Defect 2: a run killed at any moment leaves its directory as it was (the previous run,
/// byte for byte) or the complete new run; never a mix, never a hidden leftover inside. What
/// a killed run leaves beside the directory does not stop the next run, and `--force` cleans
/// a leftover `.receipts.log.partial` of an older version.
#[test]
fn a_killed_run_leaves_its_directory_whole() {
    let d = scratch("killed");
    let seeds = ["1", "2"];
    let refs: Vec<_> = seeds
        .iter()
        .map(|seed| {
            let dir = d.join(format!("ref-{seed}"));
            ok(&run_args(dir.to_str().unwrap(), seed, &[]));
            files(&dir)
        })
        .collect();
    // How long a run takes, to kill runs at moments spread over their life.
    let out = d.join("out");
    let o = out.to_str().unwrap();
    let started = Instant::now();
    ok(&run_args(o, "1", &[]));
    let full = started.elapsed();
    let mut current = 0;
    for i in 1..=12 {
        let next = 1 - current;
        let mut child = command(&run_args(o, seeds[next], &["--force"]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * i / 12);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let got = files(&out);
        if got == refs[next] {
            current = next;
        } else {
            assert!(
                got == refs[current],
                "kill {i} (exit {status:?}): {o} is the previous run or the new one, whole: {:?}",
                names(&out)
            );
        }
    }
    // The next run cleans what the killed ones left beside the directory.
    ok(&run_args(o, seeds[current], &["--force"]));
    assert_eq!(files(&out), refs[current]);
    // A run killed in a new directory leaves nothing that blocks the next run there.
    let fresh = d.join("fresh");
    let f = fresh.to_str().unwrap();
    let mut child = command(&run_args(f, "1", &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed as soon as it has begun staging (its first write).
    let started = Instant::now();
    while !d.join(".fresh.staging").exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    child.wait().unwrap();
    if fresh.exists() && files(&fresh) == refs[0] {
        eprintln!("the run in {f} finished before it could be killed");
    } else {
        assert!(
            !fresh.exists() || names(&fresh).is_empty(),
            "{:?}",
            names(&fresh)
        );
        assert!(
            d.join(".fresh.staging").exists(),
            "the killed run left its staging beside"
        );
        ok(&run_args(f, "1", &[]));
    }
    assert_eq!(files(&fresh), refs[0]);
    // An older version's leftover inside the directory: --force removes it.
    fs::write(
        fresh.join(".receipts.log.partial"),
        "170 MB of a killed run",
    )
    .unwrap();
    refused(&run_args(f, "2", &[]), &["--force"]);
    ok(&run_args(f, "2", &["--force"]));
    assert_eq!(files(&fresh), refs[1]);
    let beside: Vec<String> = names(&d)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(beside.is_empty(), "left beside the runs: {beside:?}");
    // --force replaces a run, never a directory of other files.
    fs::write(fresh.join("notes.txt"), "mine").unwrap();
    refused(
        &run_args(f, "1", &["--force"]),
        &["notes.txt", "not a marketsim run's"],
    );
    assert_eq!(fs::read_to_string(fresh.join("notes.txt")).unwrap(), "mine");
}

/// Runs marketsim to the end and returns its exit code and peak resident set in bytes: the
/// child's `VmHWM` (the high-water mark of its own address space), polled from
/// `/proc/PID/status` every 2 ms until it exits. `VmHWM` only grows, so a poll misses nothing
/// but a peak reached in the last 2 ms of the run; holding a log in memory lasts the whole
/// replay (about a second here). Not `getrusage(RUSAGE_CHILDREN)` nor `wait4`'s `ru_maxrss`:
/// Linux carries a process's peak across `exec`, so a child's `ru_maxrss` is at least this
/// test process's own peak at the time it was spawned (with the other tests running, 50 MiB
/// for every child), and `RUSAGE_CHILDREN` is moreover the largest of all children.
fn peak_rss(args: &[&str]) -> (i32, u64) {
    let mut child = command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(status) = fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak_kib = peak_kib.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(peak_kib > 0, "{args:?}: VmHWM was read");
    (status.code().expect("exited"), peak_kib * 1024)
}

const MIB: u64 = 1 << 20;

/// Defect 3: `run --events` and `replay` stream the receipts log: a run 16 times longer, with
/// a log 16 times larger (tens of MiB), has the same peak memory within a few MiB, and so
/// does replaying its log.
#[test]
fn events_and_replay_memory_does_not_grow_with_the_log() {
    let d = scratch("memory");
    let measure = |name: &str, horizon: u64| {
        let out = d.join(name);
        let h = format!("run.horizon={horizon}");
        let args = [
            "run",
            "scenarios/baseline.toml",
            "-q",
            "--events",
            "--set",
            &h,
            "--set",
            "population[0].count=50",
            "--set",
            "clients.count=100",
            "--set",
            "clients.jobs_per_hour=800",
            "--out",
            out.to_str().unwrap(),
        ];
        let (code, run) = peak_rss(&args);
        assert_eq!(code, 0, "{name} ran");
        let (code, replay) = peak_rss(&["replay", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{name} replays identically");
        let log = fs::metadata(out.join("receipts.log")).unwrap().len();
        (run, replay, log)
    };
    let (run_short, replay_short, log_short) = measure("short", 4 * 3_600);
    let (run_long, replay_long, log_long) = measure("long", 16 * 4 * 3_600);
    eprintln!(
        "log {:.1} -> {:.1} MiB; run peak {:.1} -> {:.1} MiB; replay peak {:.1} -> {:.1} MiB",
        log_short as f64 / MIB as f64,
        log_long as f64 / MIB as f64,
        run_short as f64 / MIB as f64,
        run_long as f64 / MIB as f64,
        replay_short as f64 / MIB as f64,
        replay_long as f64 / MIB as f64,
    );
    assert!(
        run_short > 4 * MIB && replay_short > 4 * MIB,
        "peaks were measured"
    );
    assert!(
        log_long > 12 * log_short && log_long > 24 * MIB,
        "the long log is large enough to show in memory if it were held: {log_long} bytes"
    );
    assert!(
        run_long < run_short + 4 * MIB,
        "run --events: {run_short} -> {run_long} bytes"
    );
    assert!(
        replay_long < replay_short + 4 * MIB,
        "replay: {replay_short} -> {replay_long} bytes"
    );
}

/// Runs marketsim with at most 4 GiB of address space and a minute of time: a refusal must
/// come at once, and a command that would instead try to run must not take the machine down.
fn bounded(args: &[&str]) -> Output {
    let mut c = command(args);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 4 << 30,
                rlim_max: 4 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Defect 5 (sweeps): a design of 10^10 points or 4·10^9 replicates is refused before any
/// point is generated, with the count and the key to change.
#[test]
fn oversized_sweeps_are_refused_before_anything_runs() {
    let d = scratch("oversized");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    // Ten made-up keys: the size is checked before the keys are tried on the scenario.
    let grid: String = (0..10)
        .map(|i| {
            format!(
                "[[param]]\nkey = \"k{i}\"\nlinear = {{ from = {i}.0, to = 100.0, steps = 10 }}\n"
            )
        })
        .collect();
    let cases = [
        (
            format!("scenario = {base:?}\n{grid}"),
            ["10000000000 point(s)", "= 10000000000 runs", "param["],
        ),
        (
            format!(
                "scenario = {base:?}\nreplicates = 4000000000\n[[param]]\nkey = \"run.horizon\"\nvalues = [60]\n"
            ),
            ["`replicates` = 4000000000", "= 4000000000 runs", "1000000"],
        ),
    ];
    for (i, (sweep, needles)) in cases.iter().enumerate() {
        let file = d.join(format!("big{i}.toml"));
        fs::write(&file, sweep).unwrap();
        let out = d.join(format!("out{i}"));
        let started = Instant::now();
        let o = bounded(&[
            "sweep",
            file.to_str().unwrap(),
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        let msg = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i} refused: {msg}");
        for n in needles {
            assert!(msg.contains(n), "case {i}: {n:?} not in: {msg}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "case {i}: at once"
        );
        assert!(!out.exists(), "case {i}: nothing written");
    }
}

fn sweep_file(dir: &Path, replicates: u32) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let path = dir.join("sweep.toml");
    fs::write(
        &path,
        format!(
            "scenario = {base:?}\nseed = 3\nreplicates = {replicates}\n\
             [[param]]\nkey = \"run.horizon\"\nvalues = [60]\n\
             [[param]]\nkey = \"population[0].count\"\nvalues = [3]\n\
             [[param]]\nkey = \"clients.count\"\nvalues = [3]\n\
             [[param]]\nkey = \"clients.jobs_per_hour\"\nvalues = [1.0]\n"
        ),
    )
    .unwrap();
    path
}

/// Every file under `dir` (recursively) with its bytes, sorted by relative path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let name = p.strip_prefix(root).unwrap().display().to_string();
                out.push((name, fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Defect 1 for sweeps: two sweeps into one `--out` at once (each replacing what is there)
/// never mix: each completes or is refused by the lock, and the directory ends as one sweep.
#[test]
fn concurrent_sweeps_into_one_directory_never_mix() {
    let d = scratch("concurrent-sweeps");
    let sweep = sweep_file(&d, 60);
    let s = sweep.to_str().unwrap();
    let reference = d.join("reference");
    ok(&["sweep", s, "-q", "--out", reference.to_str().unwrap()]);
    let reference = tree(&reference);
    let out = d.join("out");
    let mut refusals = 0;
    for i in 0..10 {
        let children: Vec<Child> = (0..2)
            .map(|_| {
                command(&["sweep", s, "-q", "--force", "--out", out.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let r = c.wait_with_output().unwrap();
            match r.status.code() {
                Some(0) => {}
                Some(2) if text(&r.stderr).contains("is in use by another marketsim") => {
                    refusals += 1
                }
                code => panic!("try {i}: exit {code:?}: {}", text(&r.stderr)),
            }
        }
        assert!(
            tree(&out) == reference,
            "try {i}: the directory is one whole sweep"
        );
        assert_eq!(names(&d), ["out", "reference", "sweep.toml"], "try {i}");
    }
    assert!(refusals > 0, "the sweeps overlapped at least once");
}

/// Defect 6: record names grow past 4 digits (`000000-10000.csv`) and are still read back:
/// shards of a 10,001-replicate sweep merge, and `--resume` finds every run recorded.
#[test]
fn a_sweep_of_10001_replicates_merges_and_resumes() {
    let d = scratch("replicates");
    let sweep = sweep_file(&d, 10_001);
    let s = sweep.to_str().unwrap();
    let shards: Vec<PathBuf> = (1..=2).map(|k| d.join(format!("shard-{k}"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        ok(&[
            "sweep",
            s,
            "-q",
            "--shard",
            &format!("{}/2", k + 1),
            "--out",
            shard.to_str().unwrap(),
        ]);
    }
    assert!(shards[0].join("runs/000000-10000.csv").exists());
    let merged = d.join("merged");
    ok(&[
        "merge",
        merged.to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
    ]);
    let runs = fs::read_to_string(merged.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 10_001);
    assert!(runs.lines().last().unwrap().starts_with("0,10000,"));
    // Resuming a finished shard reruns nothing.
    let o = ok(&[
        "sweep",
        s,
        "--shard",
        "1/2",
        "--resume",
        "--out",
        shards[0].to_str().unwrap(),
    ]);
    assert!(
        text(&o.stderr).contains("5001 runs (5001 resumed)"),
        "{}",
        text(&o.stderr)
    );
}

/// Defect 7: `merge` refuses an output directory that is also one of its shards, before it
/// deletes anything.
#[test]
fn merge_refuses_its_output_as_a_shard() {
    let d = scratch("merge-self");
    let sweep = sweep_file(&d, 4);
    let shards: Vec<PathBuf> = (1..=2).map(|k| d.join(format!("shard-{k}"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        ok(&[
            "sweep",
            sweep.to_str().unwrap(),
            "-q",
            "--shard",
            &format!("{}/2", k + 1),
            "--out",
            shard.to_str().unwrap(),
        ]);
    }
    let before = files(&shards[0].join("runs"));
    assert_eq!(before.len(), 2);
    let (a, b) = (shards[0].to_str().unwrap(), shards[1].to_str().unwrap());
    // The same directory spelt differently is caught too.
    let a_again = format!("{}/../shard-1", b);
    for out in [a, a_again.as_str()] {
        refused(
            &["merge", "--force", out, a, b],
            &["is also given as the shard", "merge into a new directory"],
        );
        assert_eq!(files(&shards[0].join("runs")), before, "nothing deleted");
    }
    ok(&["merge", d.join("merged").to_str().unwrap(), a, b]);
}

/// Defect 8: `check --junit DIR` with DIR a directory is refused before any seed runs, and
/// leaves nothing behind.
#[test]
fn check_refuses_a_junit_path_that_is_a_directory_before_running() {
    let d = scratch("junit");
    let jdir = d.join("jdir");
    fs::create_dir(&jdir).unwrap();
    let mut args = vec![
        "check",
        "scenarios/baseline.toml",
        "-q",
        "--seeds",
        "0..2",
        "--junit",
        jdir.to_str().unwrap(),
    ];
    args.extend(TINY);
    let out = marketsim(&args);
    let msg = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{msg}");
    assert!(
        msg.contains(&format!("{} is a directory", jdir.display())),
        "{msg}"
    );
    assert!(out.stdout.is_empty(), "no seed ran: {}", text(&out.stdout));
    assert_eq!(names(&d), ["jdir"], "nothing left beside it");
    assert!(names(&jdir).is_empty());
}

/// Messages: an OS error is said once, with the path and what was expected; a receipts log
/// cut short says so; `bench --agents 0` is refused with the reason.
#[test]
fn errors_name_the_path_once_and_say_what_was_expected() {
    let d = scratch("messages");
    let file = d.join("file");
    fs::write(&file, "not a directory").unwrap();
    // A results directory under a file.
    let under = file.join("sub");
    let mut args = run_args(under.to_str().unwrap(), "1", &[]);
    args.retain(|a| *a != "--events");
    let msg = refused(
        &args,
        &[&format!("{} is a file, not a directory", file.display())],
    );
    assert!(msg.contains(&under.display().to_string()), "{msg}");
    // A results directory that is a file.
    let mut args = run_args(file.to_str().unwrap(), "1", &[]);
    args.retain(|a| *a != "--events");
    refused(&args, &["is a file; expected a results directory"]);
    // A sweep directory that is a file.
    let sweep = sweep_file(&d, 1);
    refused(
        &[
            "sweep",
            sweep.to_str().unwrap(),
            "-q",
            "--out",
            file.to_str().unwrap(),
        ],
        &["is a file; expected a sweep directory"],
    );

    // A run whose receipts.log is a directory: the OS error once, with the path.
    let run = d.join("run");
    ok(&run_args(run.to_str().unwrap(), "1", &[]));
    let log = fs::read_to_string(run.join("receipts.log")).unwrap();
    fs::remove_file(run.join("receipts.log")).unwrap();
    fs::create_dir(run.join("receipts.log")).unwrap();
    let msg = refused(
        &["replay", run.to_str().unwrap()],
        &[&format!("{}", run.join("receipts.log").display())],
    );
    assert_eq!(msg.matches("os error").count(), 1, "said once: {msg}");

    // A log cut short (its chain intact up to the cut) says it ends early.
    fs::remove_dir(run.join("receipts.log")).unwrap();
    let cut: String = log.lines().take(57).map(|l| format!("{l}\n")).collect();
    fs::write(run.join("receipts.log"), &cut).unwrap();
    let out = marketsim(&["replay", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stdout);
    assert!(said.contains("receipts.log ends early"), "{said}");
    assert!(!said.contains("differs"), "{said}");
    // Cut in the middle of a line.
    fs::write(run.join("receipts.log"), &log[..log.len() / 2]).unwrap();
    let out = marketsim(&["replay", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("ends early"),
        "{}",
        text(&out.stdout)
    );
    // The whole log replays identically.
    fs::write(run.join("receipts.log"), &log).unwrap();
    ok(&["replay", run.to_str().unwrap()]);
    // While another process holds the directory (a run rewriting it), replay does not read
    // it: its files could change between two reads. It leaves no lock file behind.
    let resolved = marketsim::output::lock::resolve(&run).unwrap();
    let held = marketsim::output::lock::DirLock::acquire(&resolved, &run).unwrap();
    refused(
        &["replay", run.to_str().unwrap()],
        &["is in use by another marketsim process", ".run.lock"],
    );
    drop(held);
    ok(&["replay", run.to_str().unwrap()]);
    assert!(!d.join(".run.lock").exists());
    // A reader who may not create the lock file cannot write there either: replay reads
    // without it. (Shown as `nobody` in a directory root owns, when the tests run as root.)
    if fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        // Readable by everyone whatever the umask the tests run under.
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&run, fs::Permissions::from_mode(0o755)).unwrap();
        for file in fs::read_dir(&run).unwrap() {
            fs::set_permissions(file.unwrap().path(), fs::Permissions::from_mode(0o644)).unwrap();
        }
        let out = command(&["replay", run.to_str().unwrap()])
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("rebuilt identically"));
    }

    // bench --agents 0 would post 64 times the jobs asked for.
    refused(
        &["bench", "--agents", "0"],
        &["too few", "fewer than 100 identities"],
    );
}

/// A reader that stops early (`marketsim check … | head`) cuts the output; it is not a panic
/// (exit 101) nor an error.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let mut child = command(&[
        "check",
        "scenarios/paper-walkthrough.toml",
        "--seeds",
        "0..200",
        "--quiet",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("binary runs");
    // Close the read end before the report is written (200 seeds take far longer than this).
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The tests leave nothing behind: a scratch directory goes when its test ends, with what was
/// written in it, and stays (readable by everyone, as a results directory) when its test fails.
#[test]
fn a_tests_scratch_directory_is_removed_unless_the_test_fails() {
    let path = {
        let dir = scratch("passes");
        fs::create_dir(dir.join("run")).unwrap();
        fs::write(dir.join("run/a.csv"), "x\n1\n").unwrap();
        assert_eq!(fs::metadata(&*dir).unwrap().mode() & 0o777, 0o755);
        dir.to_path_buf()
    };
    assert!(!path.exists(), "{} left behind", path.display());

    let kept = std::sync::Mutex::new(PathBuf::new());
    let failed = std::panic::catch_unwind(|| {
        let dir = scratch("fails");
        fs::write(dir.join("a.csv"), "x\n").unwrap();
        *kept.lock().unwrap() = dir.to_path_buf();
        panic!("a failing test");
    });
    assert!(failed.is_err());
    let kept = kept.into_inner().unwrap();
    assert!(kept.join("a.csv").is_file(), "{} kept", kept.display());
    fs::remove_dir_all(kept).unwrap();
}

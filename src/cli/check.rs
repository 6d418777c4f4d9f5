//! `marketsim check`: every invariant of `metrics::Invariant`, continuously checked during
//! every run of a seed range, for CI (issue 5).
//!
//! ```text
//! seeds A..B ──rayon pool (--jobs)──▶ world::simulate per seed ──▶ InvariantLog per seed
//!            ──merge (sums; first failure = lowest seed)──▶ report (stdout) [+ JUnit XML]
//! ```
//!
//! The merge is associative and commutative (sums, and a minimum over seeds), so the report
//! is byte-identical whatever the thread count or the order seeds finish in. Memory is
//! O(threads), not O(seeds): nothing is kept per seed once merged.
//!
//! A seed whose run panics is caught, reported with its reproduction command, and fails the
//! check like a violation.

use crate::metrics::{Invariant, InvariantLog, Violation};
use crate::output::atomic;
use crate::replay::{self, ReplaySink};
use crate::scenario::Scenario;
use crate::world;
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  marketsim check scenarios/baseline.toml --seeds 0..1000\n  \
    marketsim check scenarios/gaming-mix.toml --seeds 1..=200 --jobs 4 --set run.horizon=86400 --junit check.xml\n\n\
    All invariants hold: prints `N seeds, M checks, 0 violations` and exits 0.\n\
    A violation: prints, per failing invariant, the first failing seed, the simulated time and\n\
    event of its first violation and a `marketsim run` command reproducing it; exits 1.\n\
    Bad arguments or scenario: exits 2. The report does not depend on --jobs."
)]
pub(super) struct CheckArgs {
    /// Scenario TOML file.
    scenario: PathBuf,
    /// Seeds to run: `A..B` is half-open (A, A+1, …, B−1, as in Rust), `A..=B` includes B, a
    /// lone `N` is the one seed N.
    #[arg(long, value_name = "A..B", default_value = "0..100", value_parser = parse_seeds)]
    seeds: SeedRange,
    /// Worker threads [default: all cores]; the report is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Override a scenario key in every run, e.g. `--set run.horizon=86400`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Deliver this share of dispute, completion and cancellation events twice (seed 003),
    /// checking `no_double_effect`: `--set faults.duplicate_events=SHARE`, in [0, 1].
    #[arg(long, value_name = "SHARE")]
    duplicate_events: Option<f64>,
    /// Also write a JUnit XML report (one testcase per invariant) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long, short)]
    quiet: bool,
}

/// A non-empty half-open range of seeds `start..end`, with the text it was given as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SeedRange {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) text: String,
}

impl SeedRange {
    pub(super) fn len(&self) -> u64 {
        self.end - self.start
    }
}

/// Parses `A..B` (half-open), `A..=B` (inclusive) or `N` (one seed).
pub(super) fn parse_seeds(text: &str) -> Result<SeedRange, String> {
    const FORM: &str =
        "expected A..B (half-open, B excluded), A..=B (B included) or N, e.g. 0..1000";
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{}` is not a seed (an integer ≥ 0); {FORM}", s.trim()))
    };
    let (start, end) = if let Some((a, b)) = text.split_once("..=") {
        let (a, b) = (number(a)?, number(b)?);
        if a > b {
            return Err(format!("empty range {a}..={b}: {a} > {b}"));
        }
        let end = b
            .checked_add(1)
            .ok_or_else(|| format!("{b} is too large: the last seed is {}", u64::MAX - 1))?;
        (a, end)
    } else if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (number(a)?, number(b)?);
        if a >= b {
            return Err(format!(
                "empty range {a}..{b}: A..B excludes B, so B must be greater than A (use {a}..={b} to include {b})"
            ));
        }
        (a, b)
    } else {
        let n = number(text)?;
        (
            n,
            n.checked_add(1)
                .ok_or_else(|| format!("{n} is too large"))?,
        )
    };
    Ok(SeedRange {
        start,
        end,
        text: text.trim().to_string(),
    })
}

/// What the runs of some seeds found; merged across seeds in any order.
#[derive(Debug, Clone, Default)]
struct Tally {
    seeds: u64,
    checks: [u64; Invariant::COUNT],
    violations: [u64; Invariant::COUNT],
    /// Seeds with at least one violation of the invariant.
    failing_seeds: [u64; Invariant::COUNT],
    /// The lowest failing seed and its first violation.
    first: [Option<(u64, Violation)>; Invariant::COUNT],
    panics: u64,
    /// The lowest panicking seed and its panic message.
    first_panic: Option<(u64, String)>,
}

/// Keeps the entry of the lower seed.
fn lowest<T>(a: Option<(u64, T)>, b: Option<(u64, T)>) -> Option<(u64, T)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl Tally {
    fn of_seed(seed: u64, log: &InvariantLog) -> Self {
        let mut t = Tally {
            seeds: 1,
            ..Tally::default()
        };
        for (i, inv) in Invariant::ALL.into_iter().enumerate() {
            t.checks[i] = log.checks(inv);
            t.violations[i] = log.violations(inv);
            if t.violations[i] > 0 {
                t.failing_seeds[i] = 1;
                t.first[i] = log.first_violation(inv).map(|v| (seed, v.clone()));
            }
        }
        t
    }

    fn panicked(seed: u64, message: String) -> Self {
        Tally {
            seeds: 1,
            panics: 1,
            first_panic: Some((seed, message)),
            ..Tally::default()
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        self.seeds += other.seeds;
        self.panics += other.panics;
        self.first_panic = lowest(self.first_panic.take(), other.first_panic);
        for (i, first) in other.first.into_iter().enumerate() {
            self.checks[i] += other.checks[i];
            self.violations[i] += other.violations[i];
            self.failing_seeds[i] += other.failing_seeds[i];
            self.first[i] = lowest(self.first[i].take(), first);
        }
        self
    }

    fn total_checks(&self) -> u64 {
        self.checks.iter().sum()
    }

    fn total_violations(&self) -> u64 {
        self.violations.iter().sum()
    }

    fn passed(&self) -> bool {
        self.total_violations() == 0 && self.panics == 0
    }
}

/// A finished check and how to reproduce its failures.
struct Report<'a> {
    scenario: String,
    overrides: &'a [String],
    seeds: &'a SeedRange,
    /// `VAR=value` to prefix reproduction commands with (an injected fault), if any.
    env: Option<String>,
    tally: Tally,
}

impl Report<'_> {
    /// The shell command that reruns `seed` alone.
    fn reproduce(&self, seed: u64) -> String {
        let mut words: Vec<String> = self.env.iter().cloned().collect();
        words.extend(["marketsim", "run"].map(String::from));
        words.push(shell_quote(&self.scenario));
        words.push("--seed".into());
        words.push(seed.to_string());
        for o in self.overrides {
            words.push("--set".into());
            words.push(shell_quote(o));
        }
        // With receipts, the run also checks receipt replay and leaves them to inspect.
        words.push("--events".into());
        words.join(" ")
    }

    fn summary(&self) -> String {
        let t = &self.tally;
        let mut line = format!(
            "{} seeds, {} checks, {} violations",
            t.seeds,
            t.total_checks(),
            t.total_violations()
        );
        if t.panics > 0 {
            let _ = write!(line, ", {} seeds panicked", t.panics);
        }
        line
    }

    /// The stdout report: one block per failing invariant (in `Invariant::ALL` order), one
    /// for panics, then the summary line.
    fn text(&self) -> String {
        let t = &self.tally;
        let mut out = String::new();
        for (i, inv) in Invariant::ALL.into_iter().enumerate() {
            let Some((seed, v)) = &t.first[i] else {
                continue;
            };
            let _ = writeln!(
                out,
                "FAIL {}: {} violations in {} of {} seeds\n  first failing seed {seed}, at t={} s, during: {}\n  reproduce: {}",
                inv.name(),
                t.violations[i],
                t.failing_seeds[i],
                t.seeds,
                v.time,
                v.event,
                self.reproduce(*seed)
            );
        }
        if let Some((seed, message)) = &t.first_panic {
            let _ = writeln!(
                out,
                "PANIC {} of {} seeds panicked\n  first panicking seed {seed}: {message}\n  reproduce: {}",
                t.panics,
                t.seeds,
                self.reproduce(*seed)
            );
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// A JUnit XML report: one testsuite, one testcase per invariant (its checks as
    /// `assertions`, a `<failure>` with the reproduction when violated), plus a `no_panic`
    /// testcase with an `<error>` when a run panicked.
    fn junit(&self) -> String {
        let t = &self.tally;
        let failures = t.first.iter().filter(|f| f.is_some()).count();
        let errors = usize::from(t.panics > 0);
        let tests = Invariant::COUNT + errors;
        let stem = std::path::Path::new(&self.scenario)
            .file_stem()
            .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
        let classname = format!("marketsim.check.{stem}");
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" assertions=\"{}\">",
            xml_escape(&format!("marketsim check {}", self.scenario)),
            t.total_checks()
        );
        x.push_str("  <properties>\n");
        let mut property = |name: &str, value: &str| {
            let _ = writeln!(
                x,
                "    <property name=\"{}\" value=\"{}\"/>",
                xml_escape(name),
                xml_escape(value)
            );
        };
        property("scenario", &self.scenario);
        property("seeds", &self.seeds.text);
        property("seed_count", &t.seeds.to_string());
        for o in self.overrides {
            property("set", o);
        }
        if let Some(env) = &self.env {
            property("env", env);
        }
        x.push_str("  </properties>\n");
        for (i, inv) in Invariant::ALL.into_iter().enumerate() {
            let _ = write!(
                x,
                "  <testcase classname=\"{}\" name=\"{}\" assertions=\"{}\"",
                xml_escape(&classname),
                inv.name(),
                t.checks[i]
            );
            match &t.first[i] {
                None => x.push_str("/>\n"),
                Some((seed, v)) => {
                    let message = format!(
                        "{} violations in {} of {} seeds; first at seed {seed}, t={} s",
                        t.violations[i], t.failing_seeds[i], t.seeds, v.time
                    );
                    let body = format!(
                        "first failing seed {seed}, at t={} s, during: {}\nreproduce: {}",
                        v.time,
                        v.event,
                        self.reproduce(*seed)
                    );
                    let _ = write!(
                        x,
                        ">\n    <failure type=\"invariant_violation\" message=\"{}\">{}</failure>\n  </testcase>\n",
                        xml_escape(&message),
                        xml_escape(&body)
                    );
                }
            }
        }
        if let Some((seed, message)) = &t.first_panic {
            let _ = write!(
                x,
                "  <testcase classname=\"{}\" name=\"no_panic\">\n    <error type=\"panic\" message=\"{}\">{}</error>\n  </testcase>\n",
                xml_escape(&classname),
                xml_escape(&format!(
                    "{} of {} seeds panicked; first at seed {seed}",
                    t.panics, t.seeds
                )),
                xml_escape(&format!("{message}\nreproduce: {}", self.reproduce(*seed)))
            );
        }
        x.push_str("</testsuite>\n");
        x
    }
}

/// Quotes `word` for a POSIX shell: unchanged when it only has safe characters, otherwise in
/// single quotes (a `'` inside becomes `'\''`).
fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Escapes text for XML attribute values and character data; characters XML 1.0 cannot carry
/// at all (controls other than tab, newline, carriage return) become U+FFFD.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

thread_local! {
    /// Whether this thread is running a seed (its panics are caught and reported).
    static IN_SEED: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic of a seed on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

type PanicHook = Box<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Runs `f` with a panic hook that records the panics of seeds (location and message) instead
/// of printing them, so stderr is not interleaved; other panics go to the previous hook.
fn with_quiet_seed_panics<T>(f: impl FnOnce() -> T) -> T {
    let previous: Arc<PanicHook> = Arc::new(panic::take_hook());
    let fallback = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| {
        if IN_SEED.get() {
            let message = info.to_string().replace('\n', " ");
            LAST_PANIC.set(Some(message));
        } else {
            fallback(info);
        }
    }));
    let result = f();
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => panic::set_hook(hook),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }
    result
}

/// Runs one seed, catching a panic.
fn run_seed(scenario: &Scenario, seed: u64) -> Tally {
    let scenario = scenario.clone().with_seed(seed);
    IN_SEED.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        // Receipts are replayed as the run emits them (none are kept), then compared.
        let receipts = ReplaySink::new(&scenario);
        let mut outcome = world::simulate_with_receipts(
            scenario.clone(),
            Some(Box::new(receipts.clone())),
            |_| {},
        );
        replay::check_invariant(&mut outcome, receipts.finish());
        outcome.recorder.invariants
    }));
    IN_SEED.set(false);
    match result {
        Ok(log) => Tally::of_seed(seed, &log),
        Err(payload) => {
            let message = LAST_PANIC.take().unwrap_or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into())
            });
            Tally::panicked(seed, message)
        }
    }
}

pub(super) fn run(mut args: CheckArgs) -> anyhow::Result<ExitCode> {
    if let Some(share) = args.duplicate_events {
        args.overrides
            .push(format!("faults.duplicate_events={share}"));
    }
    let scenario = Scenario::load(&args.scenario, &args.overrides)?;
    #[cfg(feature = "fault-injection")]
    let env = world::injected_fault()
        .map_err(anyhow::Error::msg)?
        .map(|f| format!("{}={}", world::FAULT_ENV, f.name()));
    #[cfg(not(feature = "fault-injection"))]
    let env = None;
    // Check the report's path first: a bad path fails before hours of runs.
    if let Some(path) = args.junit.as_deref() {
        atomic::check_file_target(path).context("cannot write the JUnit report (--junit)")?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, |n| n as usize))
        .build()
        .context("cannot start the worker threads")?;

    let seeds = &args.seeds;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(seeds.len()), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seed {pos}/{len} [{bar:30}] {elapsed_precise} ETA {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let tally = with_quiet_seed_panics(|| {
        pool.install(|| {
            (seeds.start..seeds.end)
                .into_par_iter()
                .map(|seed| {
                    let t = run_seed(&scenario, seed);
                    bar.inc(1);
                    t
                })
                .reduce(Tally::default, Tally::merge)
        })
    });
    bar.finish_and_clear();

    let report = Report {
        scenario: args.scenario.to_string_lossy().into_owned(),
        overrides: &args.overrides,
        seeds,
        env,
        tally,
    };
    super::print(&report.text())?;
    if let Some(path) = args.junit.as_deref() {
        atomic::write_file(path, report.junit().as_bytes())
            .context("cannot write the JUnit report (--junit)")?;
    }
    Ok(if report.tally.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_half_open_inclusive_and_single() {
        let r = parse_seeds("0..1000").unwrap();
        assert_eq!((r.start, r.end, r.len()), (0, 1000, 1000));
        let r = parse_seeds("5..=7").unwrap();
        assert_eq!((r.start, r.end, r.len()), (5, 8, 3));
        let r = parse_seeds("42").unwrap();
        assert_eq!((r.start, r.end), (42, 43));
        let r = parse_seeds("3..=3").unwrap();
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn bad_seed_ranges_are_refused_with_a_reason() {
        assert!(
            parse_seeds("5..5")
                .unwrap_err()
                .contains("empty range 5..5")
        );
        assert!(parse_seeds("7..3").unwrap_err().contains("greater than A"));
        assert!(parse_seeds("7..=3").unwrap_err().contains("7 > 3"));
        assert!(
            parse_seeds("a..3")
                .unwrap_err()
                .contains("`a` is not a seed")
        );
        assert!(parse_seeds("-1..3").unwrap_err().contains("not a seed"));
        assert!(parse_seeds("").unwrap_err().contains("expected A..B"));
        let max = format!("0..={}", u64::MAX);
        assert!(parse_seeds(&max).unwrap_err().contains("too large"));
    }

    #[test]
    fn shell_quoting_round_trips_through_sh() {
        assert_eq!(shell_quote("scenarios/a-b.toml"), "scenarios/a-b.toml");
        assert_eq!(shell_quote("run.horizon=86400"), "run.horizon=86400");
        assert_eq!(
            shell_quote("population[0].count=9"),
            "'population[0].count=9'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        for word in [
            "a b",
            "it's",
            "$HOME",
            "x;rm -rf /",
            "p[0]=*",
            "\"q\"",
            "tab\there",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(word)))
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), word);
        }
    }

    #[test]
    fn xml_escaping_covers_markup_quotes_and_controls() {
        assert_eq!(
            xml_escape("a<b>&\"c\"'d'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(xml_escape("x\u{1}y\tz\n"), "x\u{FFFD}y\tz\n");
    }

    fn violation(time: u64, event: &str) -> Violation {
        Violation {
            time,
            event: event.into(),
        }
    }

    fn seed_tally(seed: u64, failing: bool) -> Tally {
        let mut log = InvariantLog::default();
        log.check(Invariant::Conservation, true, 1, String::new);
        log.check(Invariant::BudgetCap, !failing, seed * 10, || {
            format!("seed {seed}")
        });
        Tally::of_seed(seed, &log)
    }

    #[test]
    fn merge_keeps_the_lowest_failing_seed_in_any_order() {
        let seeds = [9u64, 3, 7, 4, 12];
        let forward = seeds
            .iter()
            .map(|&s| seed_tally(s, s % 2 == 1))
            .fold(Tally::default(), Tally::merge);
        let backward = seeds
            .iter()
            .rev()
            .map(|&s| seed_tally(s, s % 2 == 1))
            .fold(Tally::default(), Tally::merge);
        for t in [&forward, &backward] {
            let b = Invariant::BudgetCap as usize;
            assert_eq!(t.seeds, 5);
            assert_eq!(t.checks[b], 5);
            assert_eq!(t.violations[b], 3);
            assert_eq!(t.failing_seeds[b], 3);
            assert_eq!(t.first[b], Some((3, violation(30, "seed 3"))));
            assert_eq!(t.total_checks(), 10);
            assert!(!t.passed());
        }
    }

    fn report_of(tally: Tally, overrides: &[String], seeds: &SeedRange) -> String {
        Report {
            scenario: "scenarios/my run.toml".into(),
            overrides,
            seeds,
            env: None,
            tally,
        }
        .text()
    }

    #[test]
    fn report_lines_name_invariant_seed_time_event_and_command() {
        let seeds = parse_seeds("0..4").unwrap();
        let overrides = vec!["population[0].count=9".to_string()];
        let tally = (0..4)
            .map(|s| seed_tally(s, s == 2))
            .fold(Tally::default(), Tally::merge);
        assert_eq!(
            report_of(tally, &overrides, &seeds),
            "FAIL budget_cap: 1 violations in 1 of 4 seeds\n  \
             first failing seed 2, at t=20 s, during: seed 2\n  \
             reproduce: marketsim run 'scenarios/my run.toml' --seed 2 --set 'population[0].count=9' --events\n\
             4 seeds, 8 checks, 1 violations\n"
        );
        let clean = (0..4)
            .map(|s| seed_tally(s, false))
            .fold(Tally::default(), Tally::merge);
        assert_eq!(
            report_of(clean, &[], &seeds),
            "4 seeds, 8 checks, 0 violations\n"
        );
    }

    #[test]
    fn panics_fail_the_check_with_their_seed() {
        let seeds = parse_seeds("0..3").unwrap();
        let tally = [
            seed_tally(0, false),
            Tally::panicked(2, "boom".into()),
            Tally::panicked(1, "bang".into()),
        ]
        .into_iter()
        .fold(Tally::default(), Tally::merge);
        assert!(!tally.passed());
        let text = report_of(tally, &[], &seeds);
        assert!(text.contains("PANIC 2 of 3 seeds panicked\n  first panicking seed 1: bang\n"));
        assert!(text.ends_with("3 seeds, 2 checks, 0 violations, 2 seeds panicked\n"));
    }

    #[test]
    fn junit_has_one_testcase_per_invariant_and_escapes() {
        let seeds = parse_seeds("0..2").unwrap();
        let mut log = InvariantLog::default();
        log.check(Invariant::ExactSplit, false, 5, || "a<b & \"c\"".into());
        let report = Report {
            scenario: "s&<.toml".into(),
            overrides: &[],
            seeds: &seeds,
            env: None,
            tally: Tally::of_seed(1, &log).merge(Tally::default()),
        };
        let x = report.junit();
        assert_eq!(x.matches("<testcase ").count(), Invariant::COUNT);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(x.contains("failures=\"1\""));
        assert!(x.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(x.contains("name=\"marketsim check s&amp;&lt;.toml\""));
        assert!(!x.contains("s&<"));
    }
}

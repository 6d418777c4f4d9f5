//! `marketsim check`, driven through the binary (issue 5).
//!
//! The fault-injection tests need the `fault-injection` feature; CI runs them with
//! `cargo test --features fault-injection --test check` after the main `cargo test`.

mod common;
use common::scratch;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_marketsim");

fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
        .to_string_lossy()
        .into_owned()
}

fn check(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("check")
        .args(args)
        .env_remove("MARKETSIM_FAULT")
        .output()
        .expect("marketsim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Small, fast runs: half a simulated day.
const SHORT: [&str; 2] = ["--set", "run.horizon=43200"];

/// Parses `N seeds, M checks, V violations` (the last line).
fn summary(out: &str) -> (u64, u64, u64) {
    let last = out.lines().last().expect("a summary line");
    let nums: Vec<u64> = last
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(nums.len(), 3, "summary line: {last}");
    (nums[0], nums[1], nums[2])
}

#[test]
fn clean_scenario_prints_exactly_one_line_and_exits_0() {
    let o = check(&[&scenario("baseline"), "--seeds", "3..6", SHORT[0], SHORT[1]]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.ends_with(" checks, 0 violations\n"), "{out}");
    let (seeds, checks, violations) = summary(&out);
    assert_eq!((seeds, violations), (3, 0));

    // The checks are exactly those `marketsim run --events` counts for the same seeds
    // (with receipts, a run also checks receipt replay).
    let dir = scratch("clean");
    let mut expected = 0;
    for seed in 3..6 {
        let out_dir = dir.join(format!("seed{seed}"));
        let r = Command::new(BIN)
            .args([
                "run",
                &scenario("baseline"),
                "--quiet",
                "--events",
                "--seed",
            ])
            .arg(seed.to_string())
            .args(SHORT)
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(0));
        let csv = std::fs::read_to_string(out_dir.join("invariants.csv")).unwrap();
        let checks_of = |name: &str| {
            csv.lines()
                .find(|l| l.starts_with(&format!("{name},")))
                .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
                .unwrap()
        };
        expected += csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
            .sum::<u64>();
        // Every completed or cancelled contract settles its escrow exactly once, and each
        // settlement attempt is one check.
        let summary = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
        let (head, row) = summary.split_once('\n').unwrap();
        let field = |name: &str| {
            let i = head.split(',').position(|h| h == name).unwrap();
            row.split(',').nth(i).unwrap().parse::<u64>().unwrap()
        };
        let settled = field("jobs_completed") + field("jobs_cancelled");
        assert!(settled > 0);
        assert_eq!(checks_of("no_double_settlement"), settled);
        assert_eq!(checks_of("receipt_replay"), 1);
    }
    assert_eq!(checks, expected);
}

#[test]
fn inclusive_and_half_open_ranges_count_their_seeds() {
    let args = |seeds: &str| {
        let o = check(&[&scenario("paper-walkthrough"), "--seeds", seeds]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        summary(&stdout(&o)).0
    };
    assert_eq!(args("10..20"), 10);
    assert_eq!(args("10..=20"), 11);
    assert_eq!(args("7"), 1);
}

#[test]
fn report_is_identical_for_any_thread_count() {
    let dir = scratch("jobs");
    let run = |jobs: &str| {
        let xml = dir.join(format!("junit-{jobs}.xml"));
        let o = check(&[
            &scenario("gaming-mix"),
            "--seeds",
            "0..6",
            "--jobs",
            jobs,
            "--junit",
            xml.to_str().unwrap(),
            SHORT[0],
            SHORT[1],
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (o.stdout, std::fs::read(xml).unwrap())
    };
    let one = run("1");
    assert_eq!(run("2"), one);
    assert_eq!(run("3"), one);
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let base = scenario("baseline");
    let cases: [(&[&str], &str); 8] = [
        (&[&base, "--seeds", "5..5"], "empty range 5..5"),
        (&[&base, "--seeds", "9..3"], "B must be greater than A"),
        (&[&base, "--seeds", "9..=3"], "empty range 9..=3"),
        (&[&base, "--seeds", "x..3"], "`x` is not a seed"),
        (&[&base, "--jobs", "0"], "--jobs"),
        (&["/nonexistent/scenario.toml"], "cannot read scenario"),
        (&[&base, "--set", "run.horizon=0"], "run.horizon"),
        (&[&base, "--set", "nonsense"], "expected KEY=VALUE"),
    ];
    for (args, message) in cases {
        let o = check(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // An unwritable JUnit path is refused before anything runs.
    let o = check(&[&base, "--junit", "/nonexistent/dir/report.xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write the JUnit report"));
}

/// Loose well-formedness: the tags that must be there, balanced.
fn assert_junit_shape(xml: &str, failures: usize) {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite "));
    assert!(xml.trim_end().ends_with("</testsuite>"));
    assert_eq!(xml.matches("<testsuite ").count(), 1);
    assert_eq!(xml.matches("<testcase ").count(), 12);
    for name in [
        "conservation",
        "non_negativity",
        "escrow_completeness",
        "budget_cap",
        "exact_split",
        "auto_rejection",
        "valid_transitions",
        "no_double_settlement",
        "bounded_trust",
        "dag_acyclicity",
        "no_double_effect",
    ] {
        assert_eq!(
            xml.matches(&format!("name=\"{name}\"")).count(),
            1,
            "{name}"
        );
    }
    assert_eq!(xml.matches("<failure ").count(), failures);
    assert_eq!(xml.matches("</failure>").count(), failures);
    assert!(xml.contains(&format!("failures=\"{failures}\"")));
    let self_closed = xml.matches("/>\n").count() - xml.matches("<property ").count();
    assert_eq!(self_closed + xml.matches("</testcase>").count(), 12);
    // Escaped: no raw `&` that does not start an entity.
    for (i, _) in xml.match_indices('&') {
        let rest = &xml[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "raw & at {i}"
        );
    }
}

#[test]
fn junit_report_has_one_testcase_per_invariant() {
    let dir = scratch("junit");
    let xml = dir.join("report.xml");
    let o = check(&[
        &scenario("decomposition"),
        "--seeds",
        "0..2",
        "--junit",
        xml.to_str().unwrap(),
        SHORT[0],
        SHORT[1],
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&xml).unwrap();
    assert_junit_shape(&text, 0);
    assert!(text.contains("<property name=\"seeds\" value=\"0..2\"/>"));
    assert!(text.contains("<property name=\"set\" value=\"run.horizon=43200\"/>"));
    // Every testcase carries its check count; together they are the summary's total.
    let (_, checks, _) = summary(&stdout(&o));
    let sum: u64 = text
        .match_indices("assertions=\"")
        .skip(1) // the testsuite's own total
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(sum, checks);
    assert!(text.contains(&format!("assertions=\"{checks}\">")));
    // Only the report is left in the directory (no temporary file).
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[cfg(feature = "fault-injection")]
mod faults {
    use super::*;

    /// Runs `check` with `fault` injected.
    fn check_with_fault(fault: &str, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("check")
            .args(args)
            .env("MARKETSIM_FAULT", fault)
            .output()
            .expect("marketsim runs")
    }

    /// Runs a printed reproduction command with `sh` (the binary standing in for
    /// `marketsim`) in `dir`, without the fault in the environment: the command must carry it.
    fn reproduce(command: &str, dir: &Path) -> Output {
        let (env, rest) = command
            .split_once("marketsim run ")
            .expect("a marketsim run command");
        let line = format!("{env}'{BIN}' run {rest} --quiet");
        Command::new("sh")
            .arg("-c")
            .arg(line)
            .current_dir(dir)
            .env_remove("MARKETSIM_FAULT")
            .output()
            .expect("sh runs")
    }

    /// The reported block of `invariant`: (first failing seed, reproduction command).
    fn failure_of(out: &str, invariant: &str) -> (u64, String) {
        let mut lines = out
            .lines()
            .skip_while(|l| !l.starts_with(&format!("FAIL {invariant}: ")));
        lines
            .next()
            .unwrap_or_else(|| panic!("no FAIL {invariant} in:\n{out}"));
        let first = lines.next().unwrap();
        let seed = first
            .trim()
            .strip_prefix("first failing seed ")
            .and_then(|r| r.split(',').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(first.contains(", at t="), "{first}");
        assert!(first.contains(" s, during: "), "{first}");
        let command = lines
            .next()
            .unwrap()
            .trim()
            .strip_prefix("reproduce: ")
            .unwrap()
            .to_string();
        (seed, command)
    }

    /// The invariants that `invariants.csv` reports violated.
    fn violated_in(csv: &str) -> Vec<String> {
        csv.lines()
            .skip(1)
            .filter(|l| l.split(',').nth(2) != Some("0"))
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    }

    /// Checks one fault end to end: `check` exits 1 naming `invariant` (and no invariant
    /// outside `also`), with a seed and a reproduction command that exits 1 and whose run
    /// records the same invariant violated.
    fn assert_caught(fault: &str, invariant: &str, also: &[&str], name: &str, sets: &[&str]) {
        let scenario = scenario(name);
        let mut args = vec![scenario.as_str(), "--seeds", "5..=8"];
        for s in sets {
            args.extend(["--set", s]);
        }
        let o = check_with_fault(fault, &args);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{fault}: {out}{}", stderr(&o));
        let (seed, command) = failure_of(&out, invariant);
        assert!((5..=8).contains(&seed), "{fault}: seed {seed}");
        assert!(
            command.starts_with(&format!(
                "MARKETSIM_FAULT={fault} marketsim run {scenario} --seed {seed}"
            )),
            "{command}"
        );
        for line in out.lines().filter(|l| l.starts_with("FAIL ")) {
            let named = line[5..].split(':').next().unwrap();
            assert!(
                named == invariant || also.contains(&named),
                "{fault}: {line}"
            );
        }
        let (_, _, violations) = summary(&out);
        assert!(violations > 0);

        let dir = scratch(fault);
        let r = reproduce(&command, &dir);
        assert_eq!(r.status.code(), Some(1), "{command}: {}", stderr(&r));
        let results = dir.join("results").join(format!("{name}-seed{seed}"));
        let csv = std::fs::read_to_string(results.join("invariants.csv")).unwrap();
        assert!(violated_in(&csv).contains(&invariant.to_string()), "{csv}");
    }

    const HALF_DAY: &str = "run.horizon=43200";

    #[test]
    fn skip_refund_breaks_conservation() {
        // Its receipts say "refund", which a correct ledger replays into a different table.
        assert_caught(
            "skip_refund",
            "conservation",
            &["receipt_replay"],
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn overdraw_breaks_non_negativity() {
        // Clients short of funds: a correct ledger would refuse these holds.
        let sets = [HALF_DAY, "clients.initial_balance=3000"];
        assert_caught(
            "overdraw",
            "non_negativity",
            // A correct ledger refuses the overdrawn holds when the receipts are replayed.
            &["conservation", "receipt_replay"],
            "baseline",
            &sets,
        );
    }

    #[test]
    fn leak_escrow_breaks_escrow_completeness() {
        assert_caught(
            "leak_escrow",
            "escrow_completeness",
            // Replaying the cancellation receipts refunds the leaked escrows.
            &["receipt_replay"],
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn over_cap_breaks_budget_cap() {
        assert_caught("over_cap", "budget_cap", &[], "baseline", &[HALF_DAY]);
    }

    #[test]
    fn split_rounding_breaks_exact_split() {
        // Parts that do not sum to the bill also pay out more or less than was released.
        let also = ["conservation"];
        assert_caught(
            "split_rounding",
            "exact_split",
            &also,
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn skip_rejection_breaks_auto_rejection() {
        // A call market: several proposals are pending when the window closes.
        assert_caught(
            "skip_rejection",
            "auto_rejection",
            &[],
            "gaming-mix",
            &[HALF_DAY],
        );
    }

    #[test]
    fn forbidden_transition_breaks_valid_transitions() {
        assert_caught(
            "forbidden_transition",
            "valid_transitions",
            &[],
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn settle_twice_breaks_no_double_settlement() {
        assert_caught(
            "settle_twice",
            "no_double_settlement",
            &[],
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn trust_overflow_breaks_bounded_trust() {
        assert_caught(
            "trust_overflow",
            "bounded_trust",
            &[],
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn cyclic_dag_breaks_dag_acyclicity() {
        // Overrides with brackets must survive the shell quoting of the command.
        let sets = [HALF_DAY, "population[0].count=300"];
        assert_caught("cyclic_dag", "dag_acyclicity", &[], "decomposition", &sets);
    }

    #[test]
    fn forge_receipt_breaks_receipt_replay() {
        assert_caught(
            "forge_receipt",
            "receipt_replay",
            &[],
            "baseline",
            &[HALF_DAY],
        );
    }

    #[test]
    fn skip_idempotency_breaks_no_double_effect() {
        // Only a repeated delivery reaches the missing guard: its escrow is settled again
        // (refused by the ledger) and its rating recorded again, which receipts do not show.
        let sets = [HALF_DAY, "faults.duplicate_events=0.2"];
        assert_caught(
            "skip_idempotency",
            "no_double_effect",
            &["receipt_replay"],
            "baseline",
            &sets,
        );
        // Without duplicate deliveries the fault has nothing to break.
        let o = check_with_fault(
            "skip_idempotency",
            &[&scenario("baseline"), "--seeds", "5..=8", "--set", HALF_DAY],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    }

    #[test]
    fn duplicate_events_flag_is_carried_into_the_reproduction() {
        let o = check_with_fault(
            "skip_idempotency",
            &[
                &scenario("baseline"),
                "--seeds",
                "0..2",
                "--duplicate-events",
                "0.3",
                "--set",
                HALF_DAY,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        let (_, command) = failure_of(&stdout(&o), "no_double_effect");
        assert!(
            command.contains("--set faults.duplicate_events=0.3"),
            "{command}"
        );
    }

    #[test]
    fn failing_report_is_identical_for_any_thread_count() {
        let run = |jobs: &str| {
            let o = check_with_fault(
                "split_rounding",
                &[
                    &scenario("baseline"),
                    "--seeds",
                    "0..5",
                    "--jobs",
                    jobs,
                    "--set",
                    HALF_DAY,
                ],
            );
            assert_eq!(o.status.code(), Some(1));
            o.stdout
        };
        let one = run("1");
        assert_eq!(run("2"), one);
        assert_eq!(run("4"), one);
    }

    #[test]
    fn junit_report_carries_the_failure_and_its_reproduction() {
        let dir = scratch("junit-fault");
        let xml = dir.join("report.xml");
        let o = check_with_fault(
            "settle_twice",
            &[
                &scenario("baseline"),
                "--seeds",
                "0..2",
                "--junit",
                xml.to_str().unwrap(),
                "--set",
                HALF_DAY,
            ],
        );
        assert_eq!(o.status.code(), Some(1));
        let text = std::fs::read_to_string(&xml).unwrap();
        assert_junit_shape(&text, 1);
        let failure = &text[text.find("<failure ").unwrap()..text.find("</failure>").unwrap()];
        let before = &text[..text.find("<failure ").unwrap()];
        let case = &before[before.rfind("<testcase ").unwrap()..];
        assert!(case.contains("name=\"no_double_settlement\""), "{case}");
        assert!(failure.contains("first failing seed 0"), "{failure}");
        assert!(failure.contains("reproduce: MARKETSIM_FAULT=settle_twice marketsim run "));
    }

    #[test]
    fn a_panicking_seed_is_reported_not_fatal() {
        // over_cap holds twice the ceiling while funding is checked against the ceiling:
        // with little money the ledger refuses a hold, and the market panics.
        let o = check_with_fault(
            "over_cap",
            &[
                &scenario("baseline"),
                "--seeds",
                "0..4",
                "--set",
                HALF_DAY,
                "--set",
                "clients.initial_balance=1500",
            ],
        );
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(
            out.contains("seeds panicked\n  first panicking seed "),
            "{out}"
        );
        assert!(out.contains("funding was checked"), "{out}");
        assert!(
            out.contains("  reproduce: MARKETSIM_FAULT=over_cap marketsim run "),
            "{out}"
        );
        assert!(out.trim_end().ends_with(" seeds panicked"), "{out}");
        assert!(
            stderr(&o).is_empty(),
            "panics are not printed: {}",
            stderr(&o)
        );
    }

    #[test]
    fn unknown_fault_exits_2() {
        let o = check_with_fault("nonsense", &[&scenario("baseline"), "--seeds", "0..1"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("MARKETSIM_FAULT=nonsense: unknown fault"));
    }
}

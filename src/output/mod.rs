//! Writers: a finished run becomes files in its results directory.
//!
//! | file | content |
//! |---|---|
//! | `scenario.resolved.toml` | every parameter after defaults and overrides, with the seed |
//! | `timeseries.csv` | one row per sampling interval |
//! | `agents.csv` | one row per identity |
//! | `summary.csv` | one row of headline metrics |
//! | `invariants.csv` | one row per invariant: checks and violations |
//! | `ledger.csv` | one row per client account: initial, available, held, released |
//! | `detection.csv` | ROC points and AUC per adversary type and statistic; time-to-flag survival |
//! | `economics.csv` | revenue, costs, net profit per true type and per owner |
//! | `receipts.log` | with `--events`: every state change, hash-chained ([`receipts`](crate::receipts)) |
//!
//! Guarantees, each in its own module:
//!
//! - one writer per output directory: a lock beside it, held for the whole command
//!   ([`lock`]; used by `run`, `sweep` and `merge`);
//! - a run's directory commits as a whole: staged beside it and published with one rename,
//!   so it holds a complete run or none ([`run_dir`]); `--force` replaces only a previous run;
//! - every single file appears complete or not at all ([`atomic`]), under a temporary name
//!   unique to its writer.
//!
//! Floats are written with Rust's shortest round-trip formatting, so the bytes depend only on
//! the values.

pub mod atomic;
pub mod lock;
pub mod run_dir;

pub use run_dir::RunDir;

use crate::agents::Kind;
use crate::market::escrow::EscrowLedger;
use crate::market::reputation::{Detector, ReputationEngine};
use crate::market::tiers::Tier;
use crate::market::{AgentId, ClientId};
use crate::metrics::AgentStats;
use crate::metrics::summary::summary;
use crate::metrics::{Invariant, RankingAccuracy};
use crate::metrics::{detection, economics};
use crate::world::Outcome;
use std::io;
use std::path::Path;

/// Names of the files a run writes, in writing order.
pub const RUN_FILES: [&str; 8] = [
    "scenario.resolved.toml",
    "timeseries.csv",
    "agents.csv",
    "summary.csv",
    "invariants.csv",
    "ledger.csv",
    "detection.csv",
    "economics.csv",
];

/// Name of the receipts file (`--events`).
pub const RECEIPTS_FILE: &str = "receipts.log";

fn csv_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut csv::Writer<&mut atomic::AtomicFile>) -> csv::Result<()>,
) -> io::Result<()> {
    let mut file = atomic::AtomicFile::create(&dir.join(name))?;
    {
        let mut w = csv::Writer::from_writer(&mut file);
        write(&mut w).map_err(io::Error::other)?;
        w.flush()?;
    }
    file.commit()
}

/// Writes every file of a run into `dir` (a [`RunDir`]'s staging directory).
pub fn write_run(dir: &Path, outcome: &Outcome) -> io::Result<()> {
    atomic::write_file(
        &dir.join(RUN_FILES[0]),
        outcome.scenario.to_resolved_toml().as_bytes(),
    )?;
    csv_file(dir, RUN_FILES[1], |w| write_timeseries(w, outcome))?;
    let tables = Tables::of(outcome);
    atomic::write_file(&dir.join(RUN_FILES[2]), &tables.agents)?;
    csv_file(dir, RUN_FILES[3], |w| write_summary(w, outcome))?;
    csv_file(dir, RUN_FILES[4], |w| write_invariants(w, outcome))?;
    atomic::write_file(&dir.join(RUN_FILES[5]), &tables.ledger)?;
    csv_file(dir, RUN_FILES[6], |w| write_detection(w, outcome))?;
    csv_file(dir, RUN_FILES[7], |w| write_economics(w, outcome))
}

/// `detection.csv`: a long table in three sections (column `section`), cells that do not
/// apply left empty:
/// - `roc`: one row per ROC point (`threshold`, `fpr`, `tpr`) of each adversary `type` against
///   the honest identities under each `statistic` ([`detection::Statistic`]);
/// - `auc`: one row per (type, statistic): `auc`, `tpr_at_fpr_1pct`, `positives`, `negatives`;
/// - `survival`: the Kaplan–Meier table of time to first flag per type (honest included):
///   `time`, `at_risk`, `events`, `censored`, `survival`; by the reputation detectors with
///   `statistic` empty, then (`[collusion]` on) by each bid-stream detector, named there.
fn write_detection<W: io::Write>(w: &mut csv::Writer<W>, o: &Outcome) -> csv::Result<()> {
    const HEADER: [&str; 15] = [
        "section",
        "type",
        "statistic",
        "threshold",
        "fpr",
        "tpr",
        "auc",
        "tpr_at_fpr_1pct",
        "positives",
        "negatives",
        "time",
        "at_risk",
        "events",
        "censored",
        "survival",
    ];
    w.write_record(HEADER)?;
    let row = |cells: &[(usize, String)]| {
        let mut r = vec![String::new(); HEADER.len()];
        for (i, v) in cells {
            r[*i] = v.clone();
        }
        r
    };
    let rocs = detection::rocs(o);
    for r in &rocs {
        let (t, s) = (r.kind.label().to_string(), r.statistic.name().to_string());
        for p in &r.roc.points {
            // Rust writes infinities as `inf` / `-inf`.
            let threshold = p.threshold.to_string();
            w.write_record(row(&[
                (0, "roc".into()),
                (1, t.clone()),
                (2, s.clone()),
                (3, threshold),
                (4, p.fpr.to_string()),
                (5, p.tpr.to_string()),
            ]))?;
        }
    }
    for r in &rocs {
        w.write_record(row(&[
            (0, "auc".into()),
            (1, r.kind.label().into()),
            (2, r.statistic.name().into()),
            (6, r.roc.auc.to_string()),
            (7, r.roc.tpr_at_fpr(detection::FPR_PIVOT).to_string()),
            (8, r.positives.to_string()),
            (9, r.negatives.to_string()),
        ]))?;
    }
    for (kind, steps) in detection::time_to_flag(o) {
        for s in steps {
            w.write_record(row(&[
                (0, "survival".into()),
                (1, kind.label().into()),
                (10, s.time.to_string()),
                (11, s.at_risk.to_string()),
                (12, s.events.to_string()),
                (13, s.censored.to_string()),
                (14, s.survival.to_string()),
            ]))?;
        }
    }
    // With `[collusion]` on: the same per bid-stream detector, named in `statistic`.
    for (kind, detector, steps) in detection::bid_time_to_flag(o) {
        for s in steps {
            w.write_record(row(&[
                (0, "survival".into()),
                (1, kind.label().into()),
                (2, detector.name().into()),
                (10, s.time.to_string()),
                (11, s.at_risk.to_string()),
                (12, s.events.to_string()),
                (13, s.censored.to_string()),
                (14, s.survival.to_string()),
            ]))?;
        }
    }
    Ok(())
}

/// `economics.csv`: one row per true type present (`scope` = `type`, `owner` empty), then one
/// per owner (`scope` = `owner`), with [`economics::Economics`]' sums; `return_on_cost` is
/// empty when nothing was spent.
fn write_economics<W: io::Write>(w: &mut csv::Writer<W>, o: &Outcome) -> csv::Result<()> {
    w.write_record([
        "scope",
        "type",
        "owner",
        "identities",
        "value_won",
        "revenue",
        "work_cost",
        "wash_fees",
        "stake_lost",
        "identity_cost",
        "net_profit",
        "return_on_cost",
        "client_loss",
    ])?;
    let cells = |scope: &str, kind: Kind, owner: String, e: &economics::Economics| {
        let c = &e.costs;
        [
            scope.to_string(),
            kind.label().to_string(),
            owner,
            e.identities.to_string(),
            e.value_won.to_string(),
            e.revenue.to_string(),
            c.work.to_string(),
            c.wash_fees.to_string(),
            c.stake_lost.to_string(),
            c.identity.to_string(),
            e.net_profit().to_string(),
            e.return_on_cost().map_or(String::new(), |r| r.to_string()),
            c.client_loss.to_string(),
        ]
    };
    for (kind, e) in economics::per_type(o) {
        w.write_record(cells("type", kind, String::new(), &e))?;
    }
    for (owner, kind, e) in economics::per_owner(o) {
        w.write_record(cells("owner", kind, owner.to_string(), &e))?;
    }
    Ok(())
}

/// The two tables `replay` rebuilds from receipts: `agents.csv` and `ledger.csv`, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// `agents.csv`.
    pub agents: Vec<u8>,
    /// `ledger.csv`.
    pub ledger: Vec<u8>,
}

impl Tables {
    /// The tables of a finished run.
    pub fn of(outcome: &Outcome) -> Self {
        let identities = outcome
            .population
            .identities
            .iter()
            .map(|i| (i.id, i.owner.0, i.kind.label()));
        Self {
            agents: agents_csv(
                identities,
                &outcome.recorder.agents,
                outcome.market.reputation(),
            ),
            ledger: ledger_csv(outcome.market.ledger()),
        }
    }
}

/// `ledger.csv`: one row per client account (SPEC §3). `replay` rebuilds it from receipts.
pub fn ledger_csv(ledger: &EscrowLedger) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let rows = (0..ledger.accounts() as u32).map(|c| {
        let client = ClientId(c);
        let balance = ledger.balance(client).expect("opened account");
        [
            c.to_string(),
            ledger.initial(client).expect("opened").to_string(),
            balance.available.to_string(),
            balance.held.to_string(),
            ledger.released(client).expect("opened").to_string(),
        ]
    });
    w.write_record(["client_id", "initial", "available", "held", "released"])
        .and_then(|()| rows.into_iter().try_for_each(|r| w.write_record(r)))
        .expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

/// `part / total` as a CSV cell; empty when `total` is 0.
fn share(part: u64, total: u64) -> String {
    if total == 0 {
        String::new()
    } else {
        (part as f64 / total as f64).to_string()
    }
}

fn write_timeseries<W: io::Write>(w: &mut csv::Writer<W>, o: &Outcome) -> csv::Result<()> {
    let mut header: Vec<String> = [
        "time",
        "jobs_posted",
        "jobs_matched",
        "jobs_completed",
        "jobs_cancelled",
        "jobs_disputed",
        "fill_rate",
    ]
    .map(String::from)
    .to_vec();
    for k in &o.recorder.kinds {
        for m in ["mean_r", "mean_t", "mean_abs_error", "flags", "payouts"] {
            header.push(format!("{m}_{}", k.label()));
        }
    }
    header.extend(
        [
            "payout_gini",
            "payout_hhi",
            "payout_top1_share",
            "payout_top10_share",
        ]
        .map(String::from),
    );
    // Issue 11 columns, after the older ones.
    for k in &o.recorder.kinds {
        header.push(format!("value_won_{}", k.label()));
    }
    header.extend(["payout_nakamoto", "payout_entropy"].map(String::from));
    header.extend(
        RankingAccuracy::default()
            .columns()
            .into_iter()
            .map(|(n, _)| n),
    );
    // Performance market (seed 004), after every older column; empty outside one.
    for k in &o.recorder.kinds {
        header.push(format!("calibration_{}", k.label()));
    }
    // Seed 002 tiers, after the older columns.
    for what in ["identities", "value_share"] {
        header.extend(Tier::ALL.map(|t| format!("{what}_{}", t.label())));
    }
    w.write_record(&header)?;
    for s in &o.recorder.samples {
        let c = &s.counters;
        let fill = if c.posted == 0 {
            0.0
        } else {
            c.matched as f64 / c.posted as f64
        };
        let mut row: Vec<String> = vec![
            s.time.to_string(),
            c.posted.to_string(),
            c.matched.to_string(),
            c.completed.to_string(),
            c.cancelled.to_string(),
            c.disputed.to_string(),
            fill.to_string(),
        ];
        for k in &s.per_kind {
            row.extend([
                k.mean_reputation.to_string(),
                k.mean_trust.to_string(),
                k.mean_abs_error.to_string(),
                k.flags.to_string(),
                k.payouts.to_string(),
            ]);
        }
        let conc = &s.concentration;
        row.extend([conc.gini, conc.hhi, conc.top1_share, conc.top10_share].map(|v| v.to_string()));
        row.extend(s.per_kind.iter().map(|k| k.value_won.to_string()));
        row.extend([conc.nakamoto.to_string(), conc.entropy.to_string()]);
        row.extend(
            s.ranking
                .columns()
                .into_iter()
                .map(|(_, v)| v.map_or(String::new(), |v| v.to_string())),
        );
        row.extend(
            s.per_kind
                .iter()
                .map(|k| k.mean_calibration.map_or(String::new(), |v| v.to_string())),
        );
        let t = &s.tiers;
        row.extend(t.identities.map(|n| n.to_string()));
        let won: u64 = t.value_won.iter().sum();
        row.extend(t.value_won.map(|v| share(v, won)));
        w.write_record(&row)?;
    }
    Ok(())
}

/// `agents.csv`: one row per identity `(id, owner, true type)`, with its statistics and final
/// reputation. `replay` rebuilds it from receipts.
pub fn agents_csv<'a>(
    identities: impl Iterator<Item = (AgentId, u32, &'a str)>,
    stats: &[AgentStats],
    engine: &ReputationEngine,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_agents(&mut w, identities, stats, engine).expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

fn write_agents<'a, W: io::Write>(
    w: &mut csv::Writer<W>,
    identities: impl Iterator<Item = (AgentId, u32, &'a str)>,
    stats: &[AgentStats],
    engine: &ReputationEngine,
) -> csv::Result<()> {
    w.write_record([
        "agent_id",
        "owner_id",
        "true_type",
        "jobs_won",
        "value_won",
        "earnings",
        "final_r",
        "final_t",
        "suspicion",
        "flags_score_inflation",
        "flags_rapid_cycling",
        "flags_perfect_streak",
        "first_flag_time",
        "whitewashed",
    ])?;
    debug_assert_eq!(Detector::ALL.len(), 3);
    for (id, owner, kind) in identities {
        let s = &stats[id.index()];
        w.write_record([
            id.to_string(),
            owner.to_string(),
            kind.to_string(),
            s.jobs_won.to_string(),
            s.value_won.to_string(),
            s.earnings.to_string(),
            engine.reputation(id).to_string(),
            engine.trust(id).to_string(),
            engine.suspicion(id).to_string(),
            s.flags[0].to_string(),
            s.flags[1].to_string(),
            s.flags[2].to_string(),
            s.first_flag.get().map_or(String::new(), |t| t.to_string()),
            s.whitewashed.to_string(),
        ])?;
    }
    Ok(())
}

fn write_summary<W: io::Write>(w: &mut csv::Writer<W>, o: &Outcome) -> csv::Result<()> {
    let metrics = summary(o);
    w.write_record(metrics.iter().map(|(name, _)| name.as_str()))?;
    w.write_record(metrics.iter().map(|(_, v)| v.to_string()))
}

fn write_invariants<W: io::Write>(w: &mut csv::Writer<W>, o: &Outcome) -> csv::Result<()> {
    w.write_record([
        "invariant",
        "checks",
        "violations",
        "first_violation_time",
        "first_violation",
    ])?;
    let log = &o.recorder.invariants;
    for inv in Invariant::ALL {
        let first = log.first_violation(inv);
        w.write_record([
            inv.name().to_string(),
            log.checks(inv).to_string(),
            log.violations(inv).to_string(),
            first.map_or(String::new(), |v| v.time.to_string()),
            first.map_or(String::new(), |v| v.event.clone()),
        ])?;
    }
    Ok(())
}

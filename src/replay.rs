//! Replay (SPEC §7, seed 003): rebuild the final ledger and agent table of a run from its
//! receipts alone, and compare them with the files the run wrote.
//!
//! ```text
//! scenario.resolved.toml ─▶ reputation config, split policy
//! receipts.log ─receipts::log::LogReader: verify hash chain─▶ Replayer (fresh EscrowLedger and
//!              ReputationEngine) ─end record─▶ ledger.csv, agents.csv ─compare bytes─▶ run's files
//! ```
//!
//! Every receipt is also checked against the mechanism it replays: a hold must succeed, a
//! settlement must refund what the receipt says, a recording must raise the flags it says.
//!
//! Replay streams: receipts are read, verified and applied one line at a time, so memory is
//! bounded by the state of the market (accounts, identities, open escrows), never by the
//! length of the log. The same [`Replayer`] serves `marketsim replay`, the `receipt_replay`
//! invariant of `marketsim run --events` (from the file) and of `marketsim check` (fed
//! receipt by receipt as the run emits them, through [`ReplaySink`]); [`check_invariant`] is
//! the invariant's one home.

use crate::agents::Kind;
use crate::engine::SimTime;
use crate::market::escrow::{EscrowLedger, Settlement};
use crate::market::reputation::ReputationEngine;
use crate::market::{AgentId, ClientId, ContractId, EscrowId};
use crate::metrics::{AgentStats, Invariant};
use crate::output::{self, Tables, atomic};
use crate::receipts::log::LogReader;
use crate::receipts::{Receipt, ReceiptSink};
use crate::scenario::Scenario;
use crate::world::Outcome;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead};
use std::path::Path;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// Why a replay could not be carried out (exit 2) — as opposed to a difference (exit 1).
#[derive(Debug, Error)]
pub enum ReplayError {
    /// A file of the run is missing or unreadable.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The resolved scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
}

/// What a replay found. Empty `problems` means the receipts reproduce the run exactly.
#[derive(Debug, Default)]
pub struct Report {
    /// Receipts read.
    pub receipts: u64,
    /// Every problem: a broken chain, a log cut short, a receipt the mechanism refuses, a file
    /// difference.
    pub problems: Vec<String>,
}

/// The receipts of a run, replayed: how many, and the tables they rebuild.
#[derive(Debug)]
pub struct Replayed {
    /// Receipts replayed (the end record not counted).
    pub receipts: u64,
    /// The rebuilt `agents.csv` and `ledger.csv`.
    pub tables: Tables,
}

fn read_error(path: &Path) -> impl FnOnce(io::Error) -> ReplayError + '_ {
    move |source| ReplayError::Read {
        path: path.display().to_string(),
        source,
    }
}

/// Replays the run in `dir`.
pub fn replay(dir: &Path) -> Result<Report, ReplayError> {
    let scenario_path = dir.join("scenario.resolved.toml");
    let text = std::fs::read_to_string(&scenario_path).map_err(read_error(&scenario_path))?;
    let scenario = Scenario::from_toml(&text, &scenario_path, &[])?;
    let log_path = dir.join(output::RECEIPTS_FILE);
    let log = std::fs::File::open(&log_path).map_err(read_error(&log_path))?;
    let mut report = Report::default();
    match replay_log(&scenario, io::BufReader::new(log)).map_err(read_error(&log_path))? {
        Ok(replayed) => {
            report.receipts = replayed.receipts;
            compare(dir, "agents.csv", &replayed.tables.agents, &mut report)?;
            compare(dir, "ledger.csv", &replayed.tables.ledger, &mut report)?;
        }
        Err(problem) => report.problems.push(problem),
    }
    Ok(report)
}

/// Replays a `receipts.log` of a run of `scenario`, read line by line from `log`
/// ([`LogReader`]: the hash chain verified, the end record required as the last line). The
/// outer error is an I/O error; the inner one the first problem found (with its line number).
pub fn replay_log(scenario: &Scenario, log: impl BufRead) -> io::Result<Result<Replayed, String>> {
    let mut replayer = Replayer::new(scenario);
    let mut reader = LogReader::new(log);
    loop {
        match reader.next_receipt()? {
            Ok(Some(body)) => {
                if let Err(e) = replayer.push(body) {
                    return Ok(Err(e));
                }
            }
            Ok(None) => return Ok(Ok(replayer.finish())),
            Err(problem) => return Ok(Err(problem)),
        }
    }
}

/// Replays receipt lines `SEQ TIME RECEIPT` (without their hashes) of a run, one at a time,
/// through a fresh ledger and reputation engine, and rebuilds the run's tables. Its memory is
/// that of the market's state, whatever the number of receipts.
pub struct Replayer {
    state: Rebuilt,
    labels: Vec<&'static str>,
    receipts: u64,
    /// The expected sequence number as text (reused: no allocation per receipt).
    sequence: String,
}

impl Replayer {
    /// A replay of a run of `scenario`, before its first receipt.
    pub fn new(scenario: &Scenario) -> Self {
        let config = scenario.market_config();
        Self {
            state: Rebuilt {
                ledger: EscrowLedger::new(),
                engine: ReputationEngine::new(config.reputation).expect("validated"),
                split: config.split,
                escrows: BTreeMap::new(),
                identities: Vec::new(),
                stats: Vec::new(),
            },
            labels: Kind::ALL.iter().map(|k| k.label()).collect(),
            receipts: 0,
            sequence: String::new(),
        }
    }

    /// Replays the next receipt line. The first receipt that the mechanisms refuse, or that
    /// does not parse, is the error (with its line number); the replay must stop there.
    pub fn push(&mut self, body: &str) -> Result<(), String> {
        let n = self.receipts;
        let line = n + 1;
        let mut words = body.splitn(3, ' ');
        let (seq, time, text) = (words.next(), words.next(), words.next().unwrap_or_default());
        self.sequence.clear();
        let _ = write!(self.sequence, "{n}");
        if seq != Some(self.sequence.as_str()) {
            return Err(format!("line {line}: sequence number {seq:?}"));
        }
        let time: u64 = time
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("line {line}: bad time"))?;
        let receipt =
            Receipt::parse(text, &self.labels).map_err(|e| format!("line {line}: {e}"))?;
        self.state
            .apply(time, receipt)
            .map_err(|e| format!("line {line}: {e}"))?;
        self.receipts += 1;
        Ok(())
    }

    /// The tables the receipts so far rebuild.
    pub fn finish(self) -> Replayed {
        let state = self.state;
        Replayed {
            receipts: self.receipts,
            tables: Tables {
                agents: output::agents_csv(
                    state.identities.iter().map(|(a, o, k)| (*a, *o, *k)),
                    &state.stats,
                    &state.engine,
                ),
                ledger: output::ledger_csv(&state.ledger),
            },
        }
    }
}

/// A receipt sink that replays each receipt as the run emits it, as its text line (so the
/// text format is exercised as in a file), without keeping any: `marketsim check`'s in-process
/// replay. A cloneable handle: the world owns one, the caller keeps one to [`finish`].
///
/// [`finish`]: ReplaySink::finish
#[derive(Clone)]
pub struct ReplaySink(Arc<Mutex<SinkState>>);

struct SinkState {
    replayer: Option<Replayer>,
    problem: Option<String>,
    line: String,
}

impl ReplaySink {
    /// A sink replaying a run of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        Self(Arc::new(Mutex::new(SinkState {
            replayer: Some(Replayer::new(scenario)),
            problem: None,
            line: String::new(),
        })))
    }

    /// The replay of every receipt received, or the first problem.
    pub fn finish(&self) -> Result<Replayed, String> {
        let mut s = self.0.lock().expect("not poisoned");
        match s.problem.take() {
            Some(problem) => Err(problem),
            None => Ok(s.replayer.take().expect("finished once").finish()),
        }
    }
}

impl ReceiptSink for ReplaySink {
    fn emit(&mut self, time: SimTime, receipt: &Receipt) {
        let mut s = self.0.lock().expect("not poisoned");
        let s = &mut *s;
        let Some(replayer) = s.replayer.as_mut() else {
            return;
        };
        if s.problem.is_some() {
            return;
        }
        s.line.clear();
        let _ = write!(s.line, "{} {time} {receipt}", replayer.receipts);
        if let Err(problem) = replayer.push(&s.line) {
            s.problem = Some(problem);
        }
    }
}

/// Invariant `receipt_replay` (SPEC §7, seed 003), its one home: the receipts of the run alone
/// rebuild its `agents.csv` and `ledger.csv` exactly. Records the check in the outcome's
/// invariant log; `replayed` is the replay of the run's receipts, from its log
/// ([`check_log_invariant`], `marketsim run --events`) or from a [`ReplaySink`] fed as the run
/// goes (`marketsim check`).
pub fn check_invariant(outcome: &mut Outcome, replayed: Result<Replayed, String>) {
    let ok = replayed
        .as_ref()
        .is_ok_and(|r| r.tables == Tables::of(outcome));
    let end = outcome.end_time;
    outcome
        .recorder
        .invariants
        .check(Invariant::ReceiptReplay, ok, end, || match replayed {
            Err(problem) => format!("replaying the receipts: {problem}"),
            Ok(r) => format!(
                "replaying {} receipts rebuilds different agents.csv or ledger.csv",
                r.receipts
            ),
        });
}

/// [`check_invariant`] from the receipts log at `path` that the run just wrote, read back as
/// a stream (`marketsim run --events`). An error reading it back names the file.
pub fn check_log_invariant(outcome: &mut Outcome, path: &Path) -> io::Result<()> {
    let read_back = |e| atomic::at(path, "cannot read back", e);
    let file = std::fs::File::open(path).map_err(read_back)?;
    let replayed = replay_log(&outcome.scenario, io::BufReader::new(file)).map_err(read_back)?;
    check_invariant(outcome, replayed);
    Ok(())
}

fn compare(dir: &Path, name: &str, rebuilt: &[u8], report: &mut Report) -> Result<(), ReplayError> {
    let path = dir.join(name);
    let written = std::fs::read_to_string(&path).map_err(read_error(&path))?;
    if written.as_bytes() != rebuilt {
        let rebuilt = String::from_utf8_lossy(rebuilt);
        let line = written
            .lines()
            .zip(rebuilt.lines())
            .position(|(a, b)| a != b)
            .map_or(
                written.lines().count().min(rebuilt.lines().count()) + 1,
                |i| i + 1,
            );
        report.problems.push(format!(
            "{name}: differs from the rebuilt table at line {line}"
        ));
    }
    Ok(())
}

struct Rebuilt {
    ledger: EscrowLedger,
    engine: ReputationEngine,
    split: crate::market::split::SplitPolicy,
    /// Per open contract: its escrow, agent, and the rater of its completion (client, opening
    /// time), as the market records it (issue 13).
    escrows: BTreeMap<ContractId, OpenContract>,
    identities: Vec<(AgentId, u32, &'static str)>,
    stats: Vec<AgentStats>,
}

/// An open contract's escrow, agent and the rater of its completion (client, opening time).
type OpenContract = (EscrowId, AgentId, (ClientId, u64));

impl Rebuilt {
    fn apply(&mut self, time: u64, receipt: Receipt) -> Result<(), String> {
        match receipt {
            Receipt::Client { client, initial } => {
                let opened = self.ledger.open_account(initial);
                if opened != client {
                    return Err(format!("client {client} opened as {opened}"));
                }
            }
            Receipt::Agent { agent, owner, kind } => {
                let registered = self.engine.register();
                if registered != agent {
                    return Err(format!("agent {agent} registered as {registered}"));
                }
                self.identities.push((agent, owner, kind));
                self.stats.push(AgentStats::default());
            }
            Receipt::Prior { agent, quality } => {
                self.engine
                    .record(agent, quality, None)
                    .map_err(|e| e.to_string())?;
            }
            Receipt::Post { .. }
            | Receipt::Unmatched { .. }
            | Receipt::Deliver { .. }
            | Receipt::Dispute { .. } => {}
            Receipt::Open {
                contract,
                client,
                agent,
                price,
                hold,
                ..
            } => {
                let escrow = self
                    .ledger
                    .hold(client, hold, contract)
                    .map_err(|e| e.to_string())?;
                self.escrows
                    .insert(contract, (escrow, agent, (client, time)));
                self.stat(agent)?.won(price);
            }
            Receipt::Complete {
                contract,
                bill,
                refund,
                operator,
                quality,
                seconds,
                flags,
            } => {
                let (escrow, agent, rater) = self.take(contract)?;
                let outcome = self
                    .ledger
                    .settle(escrow, Settlement::Release { billed: bill })
                    .map_err(|e| e.to_string())?;
                if outcome.refunded != refund {
                    return Err(format!(
                        "refund {} but the receipt says {refund}",
                        outcome.refunded
                    ));
                }
                if self.split.split(bill).operator() != operator {
                    return Err(format!("operator share of {bill} is not {operator}"));
                }
                let recording = self
                    .engine
                    .record_by(agent, quality, seconds, Some(rater))
                    .map_err(|e| e.to_string())?;
                if recording.flags.bits() != flags {
                    return Err(format!(
                        "recording raised flags {} but the receipt says {flags}",
                        recording.flags.bits()
                    ));
                }
                self.stat(agent)?.completed(operator, recording.flags, time);
            }
            Receipt::Cancel { contract, refund } => {
                let (escrow, ..) = self.take(contract)?;
                let outcome = self
                    .ledger
                    .settle(escrow, Settlement::Refund)
                    .map_err(|e| e.to_string())?;
                if outcome.refunded != refund {
                    return Err(format!(
                        "refund {} but the receipt says {refund}",
                        outcome.refunded
                    ));
                }
            }
            Receipt::Whitewash { agent } => self.stat(agent)?.abandoned(),
            Receipt::Slash { agent, .. } => {
                self.stat(agent)?;
            }
        }
        Ok(())
    }

    fn take(&mut self, contract: ContractId) -> Result<OpenContract, String> {
        self.escrows
            .remove(&contract)
            .ok_or_else(|| format!("contract {contract} was never opened or is already settled"))
    }

    fn stat(&mut self, agent: AgentId) -> Result<&mut AgentStats, String> {
        self.stats
            .get_mut(agent.index())
            .ok_or_else(|| format!("agent {agent} was never registered"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{ClientId, Credits};
    use crate::receipts::log::{MAX_LINE, ReceiptLog};

    /// A receipts log of `clients` account openings, as `run --events` writes it.
    fn log(clients: u32) -> String {
        let path = std::env::temp_dir().join(format!(
            "marketsim-replay-{}-{clients}.log",
            std::process::id()
        ));
        let mut sink = ReceiptLog::create(&path).unwrap();
        for c in 0..clients {
            let receipt = Receipt::Client {
                client: ClientId(c),
                initial: Credits(100 + u64::from(c)),
            };
            sink.emit(u64::from(c) * 10, &receipt);
        }
        sink.commit().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        text
    }

    fn replayed(text: &str) -> Result<Replayed, String> {
        let scenario = Scenario::from_toml("", Path::new("s.toml"), &[]).unwrap();
        replay_log(&scenario, text.as_bytes()).unwrap()
    }

    #[test]
    fn a_log_replays_line_by_line_and_must_end_with_its_end_record() {
        let text = log(3);
        assert_eq!(text.lines().count(), 4, "three receipts and the end record");
        assert!(text.lines().last().unwrap().starts_with("3 20 end h="));
        let ok = replayed(&text).unwrap();
        assert_eq!(ok.receipts, 3);
        assert_eq!(
            String::from_utf8(ok.tables.ledger).unwrap(),
            "client_id,initial,available,held,released\n0,100,100,0,0\n1,101,101,0,0\n2,102,102,0,0\n"
        );
        let lines: Vec<&str> = text.lines().collect();
        let cut = |n: usize| {
            lines[..n]
                .iter()
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        };
        for n in 0..4 {
            let e = replayed(&cut(n)).unwrap_err();
            assert!(e.contains("receipts.log ends early"), "{n} lines: {e}");
        }
        let e = replayed(&text[..text.len() - 10]).unwrap_err();
        assert!(e.starts_with("line 4: cut short"), "{e}");
        let e = replayed(&format!("{text}{}\n", lines[0])).unwrap_err();
        assert_eq!(e, "line 5: a line after the end record");
        let e = replayed(&text.replacen("initial=101", "initial=109", 1)).unwrap_err();
        assert!(e.starts_with("line 2: hash chain broken"), "{e}");
        let long = "x".repeat(MAX_LINE as usize + 5);
        let e = replayed(&long).unwrap_err();
        assert!(e.contains("too long"), "{e}");
    }

    #[test]
    fn the_sink_replays_as_receipts_are_emitted_and_keeps_the_first_problem() {
        let scenario = Scenario::from_toml("", Path::new("s.toml"), &[]).unwrap();
        let mut sink = ReplaySink::new(&scenario);
        let open = |c| Receipt::Client {
            client: ClientId(c),
            initial: Credits(5),
        };
        sink.emit(0, &open(0));
        sink.emit(0, &open(1));
        let ok = sink.finish().unwrap();
        assert_eq!(ok.receipts, 2);
        let mut sink = ReplaySink::new(&scenario);
        sink.emit(0, &open(1)); // account 1 opened first: the ledger numbers it 0
        sink.emit(0, &open(7));
        assert_eq!(sink.finish().unwrap_err(), "line 1: client 1 opened as 0");
    }
}

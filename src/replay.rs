//! Replay (SPEC §7, seed 003): rebuild the final ledger and agent table of a run from its
//! receipts alone, and compare them with the files the run wrote.
//!
//! ```text
//! scenario.resolved.toml ─▶ reputation config, split policy
//! receipts.log ─verify hash chain─▶ parse ─▶ replay through a fresh EscrowLedger and
//!              ReputationEngine ─▶ ledger.csv, agents.csv ─compare bytes─▶ run's own files
//! ```
//!
//! Every receipt is also checked against the mechanism it replays: a hold must succeed, a
//! settlement must refund what the receipt says, a recording must raise the flags it says.

use crate::agents::Kind;
use crate::market::escrow::{EscrowLedger, Settlement};
use crate::market::reputation::ReputationEngine;
use crate::market::{AgentId, ContractId, EscrowId};
use crate::metrics::AgentStats;
use crate::output::{self, Tables, receipts};
use crate::scenario::Scenario;
use crate::world::receipts::Receipt;
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

/// Why a replay could not be carried out (exit 2) — as opposed to a difference (exit 1).
#[derive(Debug, Error)]
pub enum ReplayError {
    /// A file of the run is missing or unreadable.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
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
    /// Every problem: a broken chain, a receipt the mechanism refuses, a file difference.
    pub problems: Vec<String>,
}

fn read(dir: &Path, name: &str) -> Result<String, ReplayError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|source| ReplayError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Replays the run in `dir`.
pub fn replay(dir: &Path) -> Result<Report, ReplayError> {
    let scenario_path = dir.join("scenario.resolved.toml");
    let scenario = Scenario::from_toml(&read(dir, "scenario.resolved.toml")?, &scenario_path, &[])?;
    let log = read(dir, "receipts.log")?;
    let mut report = Report::default();
    match verified_bodies(&log).and_then(|bodies| {
        report.receipts = bodies.len() as u64;
        rebuild(&scenario, bodies.into_iter())
    }) {
        Ok(tables) => {
            compare(dir, "agents.csv", &tables.agents, &mut report)?;
            compare(dir, "ledger.csv", &tables.ledger, &mut report)?;
        }
        Err(problem) => report.problems.push(problem),
    }
    Ok(report)
}

/// The receipt texts (`SEQ TIME RECEIPT`) of a `receipts.log`, once its hash chain is verified;
/// the first line that breaks the chain is the error.
pub fn verified_bodies(log: &str) -> Result<Vec<&str>, String> {
    let mut previous = receipts::GENESIS.to_string();
    let mut bodies = Vec::new();
    for (n, line) in log.lines().enumerate() {
        let (body, hash) = line
            .rsplit_once(" h=")
            .ok_or_else(|| format!("line {}: no hash", n + 1))?;
        let expected = receipts::chain(&previous, body);
        if hash != expected {
            return Err(format!(
                "line {}: hash chain broken (receipt altered, inserted or removed)",
                n + 1
            ));
        }
        previous = expected;
        bodies.push(body);
    }
    Ok(bodies)
}

/// Replays receipt lines `SEQ TIME RECEIPT` (without their hashes) of a run of `scenario`
/// through a fresh ledger and reputation engine, and rebuilds its tables. The first receipt
/// that the mechanisms refuse, or that does not parse, is the error (with its line number).
pub fn rebuild<'a>(
    scenario: &Scenario,
    lines: impl Iterator<Item = &'a str>,
) -> Result<Tables, String> {
    let config = scenario.market_config();
    let mut state = Rebuilt {
        ledger: EscrowLedger::new(),
        engine: ReputationEngine::new(config.reputation).expect("validated"),
        split: config.split,
        escrows: BTreeMap::new(),
        identities: Vec::new(),
        stats: Vec::new(),
    };
    let labels: Vec<&'static str> = Kind::ALL.iter().map(|k| k.label()).collect();
    for (n, body) in lines.enumerate() {
        let mut words = body.splitn(3, ' ');
        let (seq, time, text) = (words.next(), words.next(), words.next().unwrap_or_default());
        if seq != Some(n.to_string().as_str()) {
            return Err(format!("line {}: sequence number {seq:?}", n + 1));
        }
        let time: u64 = time
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("line {}: bad time", n + 1))?;
        let receipt = Receipt::parse(text, &labels).map_err(|e| format!("line {}: {e}", n + 1))?;
        state
            .apply(time, receipt)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
    }
    Ok(Tables {
        agents: output::agents_csv(
            state.identities.iter().map(|(a, o, k)| (*a, *o, *k)),
            &state.stats,
            &state.engine,
        ),
        ledger: output::ledger_csv(&state.ledger),
    })
}

fn compare(dir: &Path, name: &str, rebuilt: &[u8], report: &mut Report) -> Result<(), ReplayError> {
    let written = read(dir, name)?;
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
    escrows: BTreeMap<ContractId, (EscrowId, AgentId)>,
    identities: Vec<(AgentId, u32, &'static str)>,
    stats: Vec<AgentStats>,
}

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
                self.escrows.insert(contract, (escrow, agent));
                let s = self.stat(agent)?;
                s.jobs_won += 1;
                s.value_won += price.0;
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
                let (escrow, agent) = self.take(contract)?;
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
                    .record(agent, quality, seconds)
                    .map_err(|e| e.to_string())?;
                if recording.flags.bits() != flags {
                    return Err(format!(
                        "recording raised flags {} but the receipt says {flags}",
                        recording.flags.bits()
                    ));
                }
                let s = self.stat(agent)?;
                s.earnings += operator.0;
                for d in recording.flags.iter() {
                    s.flags[crate::world::detector_index(d)] += 1;
                }
                if !recording.flags.is_empty() {
                    s.first_flag.get_or_insert(time);
                }
            }
            Receipt::Cancel { contract, refund } => {
                let (escrow, _) = self.take(contract)?;
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
            Receipt::Whitewash { agent } => self.stat(agent)?.whitewashed = true,
            Receipt::Slash { agent, .. } => {
                self.stat(agent)?;
            }
        }
        Ok(())
    }

    fn take(&mut self, contract: ContractId) -> Result<(EscrowId, AgentId), String> {
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

//! Receipts (SPEC §7, seed 003): every state change of a run as one line of text, so that
//! replaying the receipts alone rebuilds the final ledger and agent table. This module is
//! their one home:
//!
//! ```text
//! world ─emit(time, Receipt)─▶ ReceiptSink ─┬▶ log::ReceiptLog   receipts.log, hash-chained (run --events)
//!                                           └▶ replay::ReplaySink replayed in process (check)
//! receipts.log ─log::LogReader (chain verified, end record)─▶ Receipt::parse ─▶ replay
//! ```
//!
//! - [`Receipt`]: the type, one variant per state change;
//! - its text (`Display` and [`Receipt::parse`]): `KIND key=value key=value …`; floats use
//!   Rust's shortest round-trip formatting, so parsing a line gives back exactly the recorded
//!   values;
//! - [`ReceiptSink`]: where the world hands receipts (it only calls it);
//! - [`log`]: the `receipts.log` file: sequence number, simulated time and hash chain, its
//!   writer and its verifying reader.

use crate::engine::SimTime;
use crate::market::slab::SlabKey;
use crate::market::{AgentId, ClientId, ContractId, Credits, DIMENSIONS, QualityVector, TaskId};
use std::fmt::{self, Write as _};

pub mod log;

/// One state change.
#[derive(Debug, Clone, PartialEq)]
pub enum Receipt {
    /// A client account opened with its initial balance.
    Client {
        /// The client.
        client: ClientId,
        /// Initial balance.
        initial: Credits,
    },
    /// An agent identity registered, with its ground truth.
    Agent {
        /// The identity.
        agent: AgentId,
        /// Its owner.
        owner: u32,
        /// Its true type label.
        kind: &'static str,
    },
    /// A quality vector recorded outside any contract (a scenario's warm start).
    Prior {
        /// The agent.
        agent: AgentId,
        /// The vector.
        quality: QualityVector,
    },
    /// A demand posted.
    Post {
        /// The task.
        task: TaskId,
        /// The client.
        client: ClientId,
        /// Budget ceiling.
        budget: Credits,
    },
    /// A match: contract opened and escrow held.
    Open {
        /// The contract.
        contract: ContractId,
        /// The task.
        task: TaskId,
        /// The paying client.
        client: ClientId,
        /// The winning agent.
        agent: AgentId,
        /// Accepted price.
        price: Credits,
        /// Held in escrow.
        hold: Credits,
    },
    /// A demand cancelled unmatched.
    Unmatched {
        /// The task.
        task: TaskId,
    },
    /// active → review.
    Deliver {
        /// The contract.
        contract: ContractId,
    },
    /// → disputed.
    Dispute {
        /// The contract.
        contract: ContractId,
    },
    /// → completed: bill released and split, rest refunded, quality recorded.
    Complete {
        /// The contract.
        contract: ContractId,
        /// Billed credits.
        bill: Credits,
        /// Refunded credits.
        refund: Credits,
        /// Operator share.
        operator: Credits,
        /// Quality vector recorded.
        quality: QualityVector,
        /// Completion time, seconds, if known.
        seconds: Option<u64>,
        /// Detector flags raised (bitset).
        flags: u8,
    },
    /// → cancelled: whole hold refunded.
    Cancel {
        /// The contract.
        contract: ContractId,
        /// Refunded credits.
        refund: Credits,
    },
    /// An identity abandoned by its owner.
    Whitewash {
        /// The abandoned identity.
        agent: AgentId,
    },
    /// A bond slashed.
    Slash {
        /// The agent.
        agent: AgentId,
        /// Slashed credits.
        amount: Credits,
    },
}

/// Where receipts go. Implemented by the output layer; the world only calls it.
pub trait ReceiptSink {
    /// Takes one receipt at simulated time `time`.
    fn emit(&mut self, time: SimTime, receipt: &Receipt);
}

fn write_quality(out: &mut String, q: &QualityVector) {
    for (i, s) in q.scores().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{s}");
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Receipt::Client { client, initial } => {
                write!(f, "client client={client} initial={initial}")
            }
            Receipt::Agent { agent, owner, kind } => {
                write!(f, "agent agent={agent} owner={owner} kind={kind}")
            }
            Receipt::Prior { agent, quality } => {
                let mut q = String::new();
                write_quality(&mut q, quality);
                write!(f, "prior agent={agent} quality={q}")
            }
            Receipt::Post {
                task,
                client,
                budget,
            } => {
                write!(f, "post task={task} client={client} budget={budget}")
            }
            Receipt::Open {
                contract,
                task,
                client,
                agent,
                price,
                hold,
            } => write!(
                f,
                "open contract={contract} task={task} client={client} agent={agent} price={price} hold={hold}"
            ),
            Receipt::Unmatched { task } => write!(f, "unmatched task={task}"),
            Receipt::Deliver { contract } => write!(f, "deliver contract={contract}"),
            Receipt::Dispute { contract } => write!(f, "dispute contract={contract}"),
            Receipt::Complete {
                contract,
                bill,
                refund,
                operator,
                quality,
                seconds,
                flags,
            } => {
                let mut q = String::new();
                write_quality(&mut q, quality);
                let secs = seconds.map_or("none".to_string(), |s| s.to_string());
                write!(
                    f,
                    "complete contract={contract} bill={bill} refund={refund} operator={operator} \
                     quality={q} seconds={secs} flags={flags}"
                )
            }
            Receipt::Cancel { contract, refund } => {
                write!(f, "cancel contract={contract} refund={refund}")
            }
            Receipt::Whitewash { agent } => write!(f, "whitewash agent={agent}"),
            Receipt::Slash { agent, amount } => write!(f, "slash agent={agent} amount={amount}"),
        }
    }
}

/// Why a receipt line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed receipt: {0}")]
pub struct ParseError(pub String);

/// The most `key=value` fields a receipt line may have (a `complete` has 8): the fields are
/// parsed into a fixed array, so that replaying a run's receipts (every `marketsim check`
/// seed does) allocates nothing per receipt.
const MAX_FIELDS: usize = 16;

struct Fields<'a> {
    pairs: [(&'a str, &'a str); MAX_FIELDS],
    len: usize,
}

impl<'a> Fields<'a> {
    /// The `key=value` words of `words`, in order.
    fn of(words: impl Iterator<Item = &'a str>) -> Result<Self, ParseError> {
        let mut fields = Fields {
            pairs: [("", ""); MAX_FIELDS],
            len: 0,
        };
        for w in words {
            let pair = w
                .split_once('=')
                .ok_or_else(|| ParseError(format!("bad field `{w}`")))?;
            *fields
                .pairs
                .get_mut(fields.len)
                .ok_or_else(|| ParseError(format!("more than {MAX_FIELDS} fields")))? = pair;
            fields.len += 1;
        }
        Ok(fields)
    }

    fn get(&self, key: &str) -> Result<&'a str, ParseError> {
        self.pairs[..self.len]
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| ParseError(format!("missing `{key}`")))
    }

    fn num<T: std::str::FromStr>(&self, key: &str) -> Result<T, ParseError> {
        self.get(key)?
            .parse()
            .map_err(|_| ParseError(format!("bad number in `{key}`")))
    }

    fn credits(&self, key: &str) -> Result<Credits, ParseError> {
        self.num(key).map(Credits)
    }

    fn slab(&self, key: &str) -> Result<(u32, u32), ParseError> {
        let v = self.get(key)?;
        let (slot, generation) = v
            .split_once('.')
            .ok_or_else(|| ParseError(format!("bad id in `{key}`")))?;
        let parse = |s: &str| {
            s.parse()
                .map_err(|_| ParseError(format!("bad id in `{key}`")))
        };
        let (slot, generation) = (parse(slot)?, parse(generation)?);
        if generation > SlabKey::MAX_GENERATION {
            return Err(ParseError(format!("bad id in `{key}`")));
        }
        Ok((slot, generation))
    }

    fn contract(&self) -> Result<ContractId, ParseError> {
        self.slab("contract")
            .map(|(s, g)| ContractId::from_parts(s, g))
    }

    fn task(&self) -> Result<TaskId, ParseError> {
        self.slab("task").map(|(s, g)| TaskId::from_parts(s, g))
    }

    fn quality(&self) -> Result<QualityVector, ParseError> {
        let parts: Vec<f64> = self
            .get("quality")?
            .split(',')
            .map(|s| s.parse().map_err(|_| ParseError("bad quality".into())))
            .collect::<Result<_, _>>()?;
        let scores: [f64; DIMENSIONS] = parts
            .try_into()
            .map_err(|_| ParseError("quality needs 6 scores".into()))?;
        QualityVector::new(scores).map_err(|e| ParseError(e.to_string()))
    }
}

impl Receipt {
    /// Parses the text produced by `Display` (the `kind` is passed as `&'static str` from the
    /// known labels, so unknown kinds are refused).
    pub fn parse(line: &str, kinds: &[&'static str]) -> Result<Receipt, ParseError> {
        let mut words = line.split(' ');
        let tag = words.next().unwrap_or_default();
        let f = Fields::of(words)?;
        Ok(match tag {
            "client" => Receipt::Client {
                client: ClientId(f.num("client")?),
                initial: f.credits("initial")?,
            },
            "agent" => {
                let kind = f.get("kind")?;
                Receipt::Agent {
                    agent: AgentId(f.num("agent")?),
                    owner: f.num("owner")?,
                    kind: kinds
                        .iter()
                        .find(|k| **k == kind)
                        .ok_or_else(|| ParseError(format!("unknown kind `{kind}`")))?,
                }
            }
            "prior" => Receipt::Prior {
                agent: AgentId(f.num("agent")?),
                quality: f.quality()?,
            },
            "post" => Receipt::Post {
                task: f.task()?,
                client: ClientId(f.num("client")?),
                budget: f.credits("budget")?,
            },
            "open" => Receipt::Open {
                contract: f.contract()?,
                task: f.task()?,
                client: ClientId(f.num("client")?),
                agent: AgentId(f.num("agent")?),
                price: f.credits("price")?,
                hold: f.credits("hold")?,
            },
            "unmatched" => Receipt::Unmatched { task: f.task()? },
            "deliver" => Receipt::Deliver {
                contract: f.contract()?,
            },
            "dispute" => Receipt::Dispute {
                contract: f.contract()?,
            },
            "complete" => Receipt::Complete {
                contract: f.contract()?,
                bill: f.credits("bill")?,
                refund: f.credits("refund")?,
                operator: f.credits("operator")?,
                quality: f.quality()?,
                seconds: match f.get("seconds")? {
                    "none" => None,
                    _ => Some(f.num("seconds")?),
                },
                flags: f.num("flags")?,
            },
            "cancel" => Receipt::Cancel {
                contract: f.contract()?,
                refund: f.credits("refund")?,
            },
            "whitewash" => Receipt::Whitewash {
                agent: AgentId(f.num("agent")?),
            },
            "slash" => Receipt::Slash {
                agent: AgentId(f.num("agent")?),
                amount: f.credits("amount")?,
            },
            other => return Err(ParseError(format!("unknown receipt kind `{other}`"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_receipt_round_trips_through_text() {
        let q = QualityVector::new([0.1, 0.2, 0.30000000000000004, 1.0, 0.0, 0.123456789]).unwrap();
        let c = ContractId::from_parts(3, 7);
        let t = TaskId::from_parts(1, 2);
        let all = [
            Receipt::Client {
                client: ClientId(4),
                initial: Credits(10),
            },
            Receipt::Agent {
                agent: AgentId(2),
                owner: 1,
                kind: "sybil",
            },
            Receipt::Prior {
                agent: AgentId(2),
                quality: q,
            },
            Receipt::Post {
                task: t,
                client: ClientId(4),
                budget: Credits(99),
            },
            Receipt::Open {
                contract: c,
                task: t,
                client: ClientId(4),
                agent: AgentId(2),
                price: Credits(50),
                hold: Credits(99),
            },
            Receipt::Unmatched { task: t },
            Receipt::Deliver { contract: c },
            Receipt::Dispute { contract: c },
            Receipt::Complete {
                contract: c,
                bill: Credits(40),
                refund: Credits(59),
                operator: Credits(28),
                quality: q,
                seconds: Some(12),
                flags: 5,
            },
            Receipt::Complete {
                contract: c,
                bill: Credits(40),
                refund: Credits(59),
                operator: Credits(28),
                quality: q,
                seconds: None,
                flags: 0,
            },
            Receipt::Cancel {
                contract: c,
                refund: Credits(99),
            },
            Receipt::Whitewash { agent: AgentId(2) },
            Receipt::Slash {
                agent: AgentId(2),
                amount: Credits(20),
            },
        ];
        for r in all {
            let text = r.to_string();
            assert_eq!(Receipt::parse(&text, &["sybil"]).unwrap(), r, "{text}");
        }
        assert!(Receipt::parse("agent agent=1 owner=1 kind=martian", &["sybil"]).is_err());
        assert!(Receipt::parse("teleport agent=1", &[]).is_err());
        assert!(Receipt::parse("cancel contract=1.0", &[]).is_err());
        assert!(Receipt::parse("cancel contract=1.0 refund", &[]).is_err());
        // The largest generation a key carries parses; one more is refused, not a panic.
        let cancel = |g: u64| Receipt::parse(&format!("cancel contract=1.{g} refund=5"), &[]);
        assert!(cancel(u64::from(u32::MAX) - 1).is_ok());
        assert_eq!(
            cancel(u64::from(u32::MAX)),
            Err(ParseError("bad id in `contract`".into()))
        );
        // Extra fields are ignored up to the fixed room for them, refused beyond it.
        let padded = |n: usize| format!("cancel contract=1.0 refund=5{}", " x=1".repeat(n));
        assert!(Receipt::parse(&padded(MAX_FIELDS - 2), &[]).is_ok());
        assert_eq!(
            Receipt::parse(&padded(MAX_FIELDS - 1), &[]),
            Err(ParseError(format!("more than {MAX_FIELDS} fields")))
        );
    }
}

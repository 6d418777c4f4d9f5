//! The performance market: SLA-constrained bids ranked by a composite score, and the
//! performance reward and calibration that follow an outcome (SPEC §7, seed 004).
//!
//! ```text
//!  TaskRequirements ─┐
//!  PerfBid[] ────────┴─ validate_bid ─▶ composite_score (lower wins) ─▶ select_winner
//!                                                                         │ outcome
//!                                   Settlement { reward score, calibration } ◀┘
//! ```
//!
//! Units: costs are [`Credits`] (integers; seed 004's €2.30 is 230 credits at 1 credit =
//! €0.01 — only ratios of costs enter the score), latencies are simulated seconds, success
//! estimates and calibration are probabilities in [0, 1].
//!
//! Seed 004's "credits earned" (an `f64`, possibly negative) become money only through the
//! ledgers, in whole credits, so that nothing is created or destroyed ([`PerformanceBook`]):
//!
//! ```text
//!  award ─▶ escrow holds the task's max cost (the most a reward can be paid)
//!  success ─▶ bill = min(⌊reward⌋, hold) released and split as any bill; the rest refunded
//!  failure ─▶ the whole hold refunded to the client; penalty ⌊failure_rate × base⌋ moves from
//!             the agent's bond to the slashed pool (stake book; capped at the bond, nothing
//!             without staking — the unpaid rest is reported, never invented)
//! ```
//!
//! Accuracy (seed 004 §4 only gives an example: estimate 25 min, actual 23 min → 0.92): we use
//! `accuracy(estimate, actual) = max(0, 1 − |actual − estimate| / estimate)`, with
//! `accuracy(0, 0) = 1` and `accuracy(0, a > 0) = 0`. It matches the example, is symmetric in
//! the error (finishing early is as much a mis-estimate as finishing late), and lies in [0, 1], so
//! the accuracy bonus never exceeds `bonus_rate × base`. (`min(a/e, e/a)` would also give 0.92;
//! it is not used.) Cost accuracy uses the same function on (bid cost, actual cost).

use rustc_hash::FxHashMap;

use thiserror::Error;

use crate::market::ids::{AgentId, ContractId};
use crate::market::money::Credits;

/// Why task requirements or a scoring configuration were refused (SPEC §7, seed 004).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PerformanceError {
    /// `max_cost` is zero: the score divides by it.
    #[error("max_cost must be positive")]
    ZeroMaxCost,
    /// `max_latency_seconds` is zero: the score divides by it.
    #[error("max_latency_seconds must be positive")]
    ZeroMaxLatency,
    /// `min_success_rate` is NaN or outside [0, 1].
    #[error("min_success_rate {0} is not in [0, 1]")]
    MinSuccessOutOfRange(f64),
    /// A performance operation on a market that does not clear by the performance rule, or
    /// on a contract it did not award.
    #[error("not a performance-market contract")]
    NotAwarded,
    /// A configuration field is NaN, infinite or outside its allowed range.
    #[error("performance config field `{field}` = {value} is not in {allowed}")]
    InvalidConfig {
        /// Name of the field (its scenario key).
        field: &'static str,
        /// The offending value.
        value: f64,
        /// The allowed range, in words.
        allowed: &'static str,
    },
}

/// Why a bid was refused by [`validate_bid`] (SPEC §7, seed 004 "Submit-AuctionBid").
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BidRejection {
    /// The success estimate is NaN or outside [0, 1].
    #[error("success estimate {0} is not in [0, 1]")]
    InvalidSuccessEstimate(f64),
    /// The calibration is NaN or outside [0, 1].
    #[error("calibration {0} is not in [0, 1]")]
    InvalidCalibration(f64),
    /// Estimated latency above the task's maximum.
    #[error("latency {latency}s is over the maximum {max}s")]
    LatencyOverMax {
        /// The bid's estimated latency (seconds).
        latency: u64,
        /// The task's maximum latency (seconds).
        max: u64,
    },
    /// Estimated success below the task's minimum.
    #[error("success estimate {estimate} is below the minimum {min}")]
    SuccessBelowMin {
        /// The bid's success estimate.
        estimate: f64,
        /// The task's minimum success rate.
        min: f64,
    },
    /// Bid cost above the task's maximum.
    #[error("cost {cost} is over the maximum {max}")]
    CostOverMax {
        /// The bid's cost.
        cost: Credits,
        /// The task's maximum cost.
        max: Credits,
    },
    /// The agent lacks required capabilities.
    #[error("missing capabilities {missing:#x}")]
    MissingCapability {
        /// Bit set of the required capabilities the bid does not offer.
        missing: u64,
    },
}

/// A task's SLA constraints (SPEC §7, seed 004 "requirements"). Validated: both maxima are
/// positive (they are divisors) and the minimum success rate is in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskRequirements {
    max_cost: Credits,
    max_latency_seconds: u64,
    min_success_rate: f64,
    capabilities: u64,
}

impl TaskRequirements {
    /// Validates and builds requirements (SPEC §7, seed 004).
    pub fn new(
        max_cost: Credits,
        max_latency_seconds: u64,
        min_success_rate: f64,
        capabilities: u64,
    ) -> Result<Self, PerformanceError> {
        if max_cost.is_zero() {
            return Err(PerformanceError::ZeroMaxCost);
        }
        if max_latency_seconds == 0 {
            return Err(PerformanceError::ZeroMaxLatency);
        }
        if !(0.0..=1.0).contains(&min_success_rate) {
            return Err(PerformanceError::MinSuccessOutOfRange(min_success_rate));
        }
        Ok(Self {
            max_cost,
            max_latency_seconds,
            min_success_rate,
            capabilities,
        })
    }

    /// Highest acceptable bid cost.
    pub fn max_cost(&self) -> Credits {
        self.max_cost
    }

    /// Highest acceptable estimated latency (seconds).
    pub fn max_latency_seconds(&self) -> u64 {
        self.max_latency_seconds
    }

    /// Lowest acceptable success estimate.
    pub fn min_success_rate(&self) -> f64 {
        self.min_success_rate
    }

    /// Required capabilities (bit set); a bid must offer all of them.
    pub fn capabilities(&self) -> u64 {
        self.capabilities
    }
}

/// A bid in the performance market (SPEC §7, seed 004 "bids").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerfBid {
    /// The bidding agent.
    pub agent: AgentId,
    /// Bid cost; also the `base_cost` of the reward on completion.
    pub cost: Credits,
    /// Estimated latency (seconds).
    pub latency_seconds: u64,
    /// Estimated success probability, in [0, 1].
    pub est_success: f64,
    /// The agent's current calibration score, in [0, 1] (starts at 1.0).
    pub calibration: f64,
    /// Offered capabilities (bit set).
    pub capabilities: u64,
}

/// Checks a bid against the requirements (SPEC §7, seed 004 "Validation"). Checks run in this
/// order and the first failure is reported: estimate and calibration are probabilities, then the
/// seed's order — latency ≤ max, success ≥ min, cost ≤ max, capabilities present.
pub fn validate_bid(req: &TaskRequirements, bid: &PerfBid) -> Result<(), BidRejection> {
    if !(0.0..=1.0).contains(&bid.est_success) {
        return Err(BidRejection::InvalidSuccessEstimate(bid.est_success));
    }
    if !(0.0..=1.0).contains(&bid.calibration) {
        return Err(BidRejection::InvalidCalibration(bid.calibration));
    }
    if bid.latency_seconds > req.max_latency_seconds {
        return Err(BidRejection::LatencyOverMax {
            latency: bid.latency_seconds,
            max: req.max_latency_seconds,
        });
    }
    if bid.est_success < req.min_success_rate {
        return Err(BidRejection::SuccessBelowMin {
            estimate: bid.est_success,
            min: req.min_success_rate,
        });
    }
    if bid.cost > req.max_cost {
        return Err(BidRejection::CostOverMax {
            cost: bid.cost,
            max: req.max_cost,
        });
    }
    let missing = req.capabilities & !bid.capabilities;
    if missing != 0 {
        return Err(BidRejection::MissingCapability { missing });
    }
    Ok(())
}

/// Every coefficient of seed 004's scoring, reward and calibration rules (SPEC §7); each is a
/// scenario key. Defaults are the seed's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerformanceConfig {
    /// Weight of `cost / max_cost` in the score (0.4).
    pub cost_weight: f64,
    /// Weight of `latency / max_latency` in the score (0.3).
    pub latency_weight: f64,
    /// Weight of `1 − est_success` in the score (2.0).
    pub success_penalty: f64,
    /// Weight of `calibration − calibration_pivot`, subtracted from the score (0.2).
    pub calibration_weight: f64,
    /// Calibration at which the calibration term is zero (0.5).
    pub calibration_pivot: f64,
    /// Accuracy bonus rate on success: `bonus = mean accuracy × base × rate` (0.2).
    pub accuracy_bonus_rate: f64,
    /// Failure penalty rate: `reward = −rate × base` (0.5).
    pub failure_penalty_rate: f64,
    /// EMA weight of the new observation in the calibration update (0.3).
    pub calibration_alpha: f64,
    /// Weight of latency accuracy inside the calibration observation (0.6); success gets
    /// `1 − this` (0.4).
    pub calibration_latency_share: f64,
    /// Calibration of a newly registered agent (1.0).
    pub initial_calibration: f64,
}

impl Default for PerformanceConfig {
    fn default() -> Self {
        Self {
            cost_weight: 0.4,
            latency_weight: 0.3,
            success_penalty: 2.0,
            calibration_weight: 0.2,
            calibration_pivot: 0.5,
            accuracy_bonus_rate: 0.2,
            failure_penalty_rate: 0.5,
            calibration_alpha: 0.3,
            calibration_latency_share: 0.6,
            initial_calibration: 1.0,
        }
    }
}

impl PerformanceConfig {
    /// Checks every field: weights and rates finite and ≥ 0; `calibration_pivot`,
    /// `calibration_alpha`, `calibration_latency_share` and `initial_calibration` in [0, 1].
    /// The error names the first offending field.
    pub fn validate(&self) -> Result<(), PerformanceError> {
        let non_negative = [
            ("cost_weight", self.cost_weight),
            ("latency_weight", self.latency_weight),
            ("success_penalty", self.success_penalty),
            ("calibration_weight", self.calibration_weight),
            ("accuracy_bonus_rate", self.accuracy_bonus_rate),
            ("failure_penalty_rate", self.failure_penalty_rate),
        ];
        for (field, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(PerformanceError::InvalidConfig {
                    field,
                    value,
                    allowed: "[0, ∞)",
                });
            }
        }
        let unit = [
            ("calibration_pivot", self.calibration_pivot),
            ("calibration_alpha", self.calibration_alpha),
            ("calibration_latency_share", self.calibration_latency_share),
            ("initial_calibration", self.initial_calibration),
        ];
        for (field, value) in unit {
            if !(0.0..=1.0).contains(&value) {
                return Err(PerformanceError::InvalidConfig {
                    field,
                    value,
                    allowed: "[0, 1]",
                });
            }
        }
        Ok(())
    }

    /// Composite bid score, lower wins (SPEC §7, seed 004 §3):
    /// `cw·cost/max_cost + lw·latency/max_latency + sp·(1 − est_success)
    ///  − calw·(calibration − pivot)`. Meaningful for a bid that passed [`validate_bid`].
    pub fn composite_score(&self, bid: &PerfBid, max_cost: Credits, max_latency: u64) -> f64 {
        self.cost_weight * bid.cost.as_f64() / max_cost.as_f64()
            + self.latency_weight * bid.latency_seconds as f64 / max_latency as f64
            + self.success_penalty * (1.0 - bid.est_success)
            - self.calibration_weight * (bid.calibration - self.calibration_pivot)
    }

    /// The winning bid (SPEC §7, seed 004 "Award-TaskToWinner"): invalid bids are skipped, the
    /// lowest score wins, and an exact tie goes to the earlier bid in `bids` (submission order).
    /// `None` if no bid is valid. O(bids), no allocation.
    pub fn select_winner(&self, req: &TaskRequirements, bids: &[PerfBid]) -> Option<Award> {
        let mut best: Option<Award> = None;
        for (index, bid) in bids.iter().enumerate() {
            if validate_bid(req, bid).is_err() {
                continue;
            }
            let score = self.composite_score(bid, req.max_cost, req.max_latency_seconds);
            // Strict `<`: an equal score never displaces the earlier bid. Scores of valid bids
            // are finite (all inputs are bounded), so `<` is a total order here.
            if best.is_none_or(|b| score < b.score) {
                best = Some(Award {
                    index,
                    agent: bid.agent,
                    score,
                });
            }
        }
        best
    }

    /// Reward score and new calibration after an outcome (SPEC §7, seed 004 §4–§5):
    /// success: `base + ((lat_acc + cost_acc)/2) × base × bonus_rate`; failure:
    /// `−failure_rate × base`; calibration
    /// `alpha × (share × lat_acc + (1 − share) × success) + (1 − alpha) × old`, where `success`
    /// is 1 or 0 for this outcome and `old` is `bid.calibration`. `base` is the bid cost.
    pub fn settle(&self, bid: &PerfBid, outcome: &Outcome) -> Settlement {
        let latency_accuracy = accuracy(bid.latency_seconds as f64, outcome.latency_seconds as f64);
        let cost_accuracy = accuracy(bid.cost.as_f64(), outcome.cost.as_f64());
        let base = bid.cost.as_f64();
        let reward = if outcome.success {
            base + (latency_accuracy + cost_accuracy) / 2.0 * base * self.accuracy_bonus_rate
        } else {
            -self.failure_penalty_rate * base
        };
        let success = if outcome.success { 1.0 } else { 0.0 };
        let observation = self.calibration_latency_share * latency_accuracy
            + (1.0 - self.calibration_latency_share) * success;
        let calibration =
            self.calibration_alpha * observation + (1.0 - self.calibration_alpha) * bid.calibration;
        Settlement {
            latency_accuracy,
            cost_accuracy,
            reward,
            calibration,
        }
    }
}

/// [`PerformanceConfig::composite_score`] with the seed's default coefficients (SPEC §7).
pub fn composite_score(bid: &PerfBid, max_cost: Credits, max_latency: u64) -> f64 {
    PerformanceConfig::default().composite_score(bid, max_cost, max_latency)
}

/// [`PerformanceConfig::select_winner`] with the seed's default coefficients (SPEC §7).
pub fn select_winner(req: &TaskRequirements, bids: &[PerfBid]) -> Option<Award> {
    PerformanceConfig::default().select_winner(req, bids)
}

/// Estimate accuracy in [0, 1] (SPEC §7, seed 004 §4; the definition is ours, see the module
/// doc): `max(0, 1 − |actual − estimate| / estimate)`; for a zero estimate, 1 if `actual` is
/// also 0, else 0.
pub fn accuracy(estimate: f64, actual: f64) -> f64 {
    if estimate == 0.0 {
        return if actual == 0.0 { 1.0 } else { 0.0 };
    }
    (1.0 - (actual - estimate).abs() / estimate).max(0.0)
}

/// The winner of [`select_winner`] (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Award {
    /// Position of the winning bid in the slice given.
    pub index: usize,
    /// The winning agent.
    pub agent: AgentId,
    /// Its composite score.
    pub score: f64,
}

/// What actually happened on an awarded task (SPEC §7, seed 004 "Complete-MarketTask").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the task succeeded.
    pub success: bool,
    /// Actual latency (seconds).
    pub latency_seconds: u64,
    /// Actual cost.
    pub cost: Credits,
}

/// The result of [`PerformanceConfig::settle`] (SPEC §7). `reward` is a performance score,
/// not ledger money.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settlement {
    /// Latency accuracy in [0, 1].
    pub latency_accuracy: f64,
    /// Cost accuracy in [0, 1].
    pub cost_accuracy: f64,
    /// Reward score ("credits earned" in seed 004); negative on failure.
    pub reward: f64,
    /// The agent's updated calibration.
    pub calibration: f64,
}

/// The performance market's state (SPEC §7, seed 004): every agent's calibration (one `f64`
/// per agent, updated in O(1) per outcome) and the stated bid of every live awarded contract
/// (removed when the contract ends), so memory is O(agents + live contracts).
#[derive(Debug, Clone)]
pub struct PerformanceBook {
    config: PerformanceConfig,
    calibration: Vec<f64>,
    awarded: FxHashMap<ContractId, Awarded>,
}

/// A live awarded contract: the bid as stated, and the bill due once its outcome is known.
#[derive(Debug, Clone, Copy)]
struct Awarded {
    bid: PerfBid,
    due: Option<Credits>,
}

/// What [`PerformanceBook::record`] decided for one outcome (SPEC §7, seed 004).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recorded {
    /// The agent.
    pub agent: AgentId,
    /// The seed's reward score and the new calibration.
    pub settlement: Settlement,
    /// On success, the bill due at completion: `min(⌊reward⌋, hold)`; zero on failure.
    pub bill: Credits,
    /// On failure, the penalty due: `⌊failure_penalty_rate × base⌋`; zero on success.
    pub penalty: Credits,
}

impl PerformanceBook {
    /// An empty book; `config` must pass [`PerformanceConfig::validate`].
    pub fn new(config: PerformanceConfig) -> Result<Self, PerformanceError> {
        config.validate()?;
        Ok(Self {
            config,
            calibration: Vec::new(),
            awarded: FxHashMap::default(),
        })
    }

    /// The scoring configuration.
    pub fn config(&self) -> &PerformanceConfig {
        &self.config
    }

    /// Registers the next agent id (ids are dense) at the initial calibration (seed 004: 1.0).
    pub fn register(&mut self, agent: AgentId) {
        debug_assert_eq!(agent.index(), self.calibration.len());
        self.calibration.push(self.config.initial_calibration);
    }

    /// An agent's current calibration; the initial one for an agent never registered.
    pub fn calibration(&self, agent: AgentId) -> f64 {
        self.calibration
            .get(agent.index())
            .copied()
            .unwrap_or(self.config.initial_calibration)
    }

    /// The bid's composite score if it passes the requirements, else `None` (SPEC §7).
    pub fn score(&self, req: &TaskRequirements, bid: &PerfBid) -> Option<f64> {
        validate_bid(req, bid).ok().map(|()| {
            self.config
                .composite_score(bid, req.max_cost, req.max_latency_seconds)
        })
    }

    /// Remembers the winning bid of a new contract until it ends.
    pub fn award(&mut self, contract: ContractId, bid: PerfBid) {
        self.awarded.insert(contract, Awarded { bid, due: None });
    }

    /// Whether `contract` was awarded by the performance rule and is still live.
    pub fn is_awarded(&self, contract: ContractId) -> bool {
        self.awarded.contains_key(&contract)
    }

    /// Records the outcome of an awarded contract whose escrow holds `hold` (SPEC §7, seed 004
    /// §4–§5): settles it against the bid (the cost is the bid's: the contract bills no other
    /// way), moves the agent's calibration (the EMA starts from its *current* calibration, not
    /// the one the bid stated), and fixes the bill or the penalty due. `None` if the contract
    /// was not awarded here or its outcome is already recorded (each outcome counts once).
    pub fn record(
        &mut self,
        contract: ContractId,
        success: bool,
        latency_seconds: u64,
        hold: Credits,
    ) -> Option<Recorded> {
        let entry = self.awarded.get_mut(&contract)?;
        if entry.due.is_some() {
            return None;
        }
        let agent = entry.bid.agent;
        let bid = PerfBid {
            calibration: self
                .calibration
                .get(agent.index())
                .copied()
                .unwrap_or(self.config.initial_calibration),
            ..entry.bid
        };
        let outcome = Outcome {
            success,
            latency_seconds,
            cost: bid.cost,
        };
        let settlement = self.config.settle(&bid, &outcome);
        let (bill, penalty) = if success {
            (bill_due(settlement.reward, hold), Credits::ZERO)
        } else {
            (Credits::ZERO, whole_credits(-settlement.reward))
        };
        entry.due = Some(bill);
        if let Some(c) = self.calibration.get_mut(agent.index()) {
            *c = settlement.calibration;
        }
        Some(Recorded {
            agent,
            settlement,
            bill,
            penalty,
        })
    }

    /// The bill a recorded outcome fixed for a live contract, if any.
    pub fn due(&self, contract: ContractId) -> Option<Credits> {
        self.awarded.get(&contract).and_then(|a| a.due)
    }

    /// Forgets a contract that ended.
    pub fn end(&mut self, contract: ContractId) {
        self.awarded.remove(&contract);
    }

    /// Live awarded contracts (0 once a run has drained).
    pub fn live(&self) -> usize {
        self.awarded.len()
    }
}

/// The bill of a successful contract: the reward in whole credits (rounded down, never
/// negative), capped at the hold (SPEC §7: the escrow can pay no more than it holds).
pub fn bill_due(reward: f64, hold: Credits) -> Credits {
    whole_credits(reward).min(hold)
}

/// `⌊x⌋` as credits, 0 for a negative or NaN `x`, saturating at `u64::MAX`.
fn whole_credits(x: f64) -> Credits {
    // `as` saturates and maps NaN to 0.
    Credits(x.max(0.0).floor() as u64)
}

#[cfg(test)]
mod tests;

//! The marketplace facade: one object that wires the order book, escrow ledger, contracts,
//! revenue split, reputation engine and stake book into the paper's market operations
//! (SPEC §2–§7, paper §7).
//!
//! ```text
//! post_demand ─▶ submit* ─▶ (continuous: match on arrival | clear at window close)
//!     match ─▶ hold escrow ─▶ contract active ─deliver─▶ review ─complete─▶ release bill,
//!                                                   │              refund the rest, split,
//!                                                   │              record reputation
//!                                                   └─dispute─▶ disputed ─complete | cancel
//!                                     cancel ─▶ refund the whole hold
//! ```
//!
//! Funding rule (paper §7.2: a failed hold has no side effects): a task clears only if its
//! client's available balance covers the budget ceiling at that moment — the most any hold for
//! it can be — so the escrow hold that follows the match cannot fail. Otherwise the call
//! returns [`MarketError::Unfunded`] and the book is untouched.
//!
//! Every operation either succeeds completely or returns an error and changes nothing.

use super::contract::{
    ContractBook, ContractError, ContractState, ContractTerms, Pricing, PricingModel,
    TransitionPolicy, Usage,
};
use super::escrow::{EscrowLedger, LedgerError, Settlement, SettlementOutcome};
#[cfg(feature = "fault-injection")]
use super::fault::Fault;
use super::order_book::{
    Capabilities, ClearingRule, DemandSpec, Match, OrderBook, OrderBookError, ProposalSpec,
    ProposalStatus, RankingSignal,
};
use super::performance::{PerfBid, PerformanceBook, PerformanceConfig, PerformanceError};
use super::performance::{Recorded, TaskRequirements};
use super::reputation::{Recording, ReputationConfig, ReputationEngine, ReputationError};
use super::slab::Lookup;
use super::split::{Split, SplitPolicy};
use super::staking::{SlashCondition, SlashEvent, StakeBook, StakingConfig, StakingError};
use super::tiers::TierConfig;
use super::{AgentId, ClientId, ContractId, Credits, EscrowId, QualityVector, TaskId};
use thiserror::Error;

mod events;
pub use events::{Action, Applied, ContractEvent};

/// Tokens per second of promised work, used to turn a per-token ask into a rate.
pub const TOKENS_PER_SECOND: u64 = 10;

/// Why a market operation was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MarketError {
    /// The client cannot cover the budget ceiling; the demand is left as it was.
    #[error("client cannot fund the escrow: {0}")]
    Unfunded(LedgerError),
    /// An order-book error (unknown or closed task, invalid confidence, ...).
    #[error(transparent)]
    OrderBook(#[from] OrderBookError),
    /// A contract error (unknown contract, invalid transition).
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A ledger error other than missing funds.
    #[error(transparent)]
    Ledger(LedgerError),
    /// A reputation error (invalid quality vector, unknown agent).
    #[error(transparent)]
    Reputation(#[from] ReputationError),
    /// A staking error.
    #[error(transparent)]
    Staking(#[from] StakingError),
    /// A performance-market error (SPEC §7, seed 004).
    #[error(transparent)]
    Performance(#[from] PerformanceError),
}

/// Configuration of a marketplace. The core knows nothing of scenario files: the scenario layer
/// builds this from a validated scenario (`Scenario::market_config`).
#[derive(Debug, Clone)]
pub struct MarketConfig {
    /// Clearing rule of the order book.
    pub clearing: ClearingRule,
    /// Signal that ranks proposals in the cost functional.
    pub ranking: RankingSignal,
    /// Which contract transitions are allowed.
    pub transitions: TransitionPolicy,
    /// Revenue split.
    pub split: SplitPolicy,
    /// Reputation constants.
    pub reputation: ReputationConfig,
    /// Staking, if agents must post a bond to bid; with the bond each new identity posts.
    pub staking: Option<(StakingConfig, Credits)>,
    /// Seed 004's coefficients, used when `clearing` is [`ClearingRule::Performance`].
    pub performance: PerformanceConfig,
    /// Seed 002 bidding power in the Call rule's cost functional, with its tier table
    /// ([`OrderBook::with_bidding_power`]); `None`: off.
    pub bidding_power: Option<TierConfig>,
    /// A deliberate bug to run with (tests of `marketsim check` only).
    #[cfg(feature = "fault-injection")]
    pub fault: Option<Fault>,
}

/// The terms of one proposal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProposalTerms {
    /// The bidding agent.
    pub agent: AgentId,
    /// Estimated credits (the ask).
    pub price: Credits,
    /// Promised duration, seconds.
    pub duration: u64,
    /// Claimed confidence in [0, 1].
    pub confidence: f64,
    /// Pricing model of the contract this proposal would become.
    pub model: PricingModel,
}

/// A contract opened by a match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Opened {
    /// The new contract.
    pub contract: ContractId,
    /// The task it was matched on (now closed).
    pub task: TaskId,
    /// The paying client.
    pub client: ClientId,
    /// The winning agent.
    pub agent: AgentId,
    /// The accepted price (ask or auction price).
    pub price: Credits,
    /// Credits held in escrow.
    pub hold: Credits,
    /// Proposals the task had when it closed.
    pub proposals: u32,
    /// Proposals rejected by the acceptance (Proposition 5: `proposals − 1`).
    pub rejected: u32,
    /// Proposals accepted by the acceptance (Proposition 5: exactly 1).
    pub accepted: u32,
}

/// A completed contract.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Completed {
    /// Billed credits, released out of escrow and split.
    pub bill: Credits,
    /// Credits refunded to the client (`hold − bill`).
    pub refunded: Credits,
    /// The hold.
    pub hold: Credits,
    /// The revenue split of the bill.
    pub split: Split,
    /// The reputation recording of the quality vector.
    pub recording: Recording,
}

/// Escrow settlement attempts so far (SPEC §3: `settle` only from `held`). Every attempt of
/// the facade is counted, so a caller can tell that an operation settled exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlements {
    /// Calls to the ledger's `settle`.
    pub attempts: u64,
    /// Attempts refused because the escrow was already settled (a double settlement).
    pub repeated: u64,
}

/// The marketplace: all mechanisms behind one deterministic, I/O-free object.
#[derive(Debug, Clone)]
pub struct Marketplace {
    book: OrderBook,
    ledger: EscrowLedger,
    contracts: ContractBook,
    reputation: ReputationEngine,
    stakes: Option<(StakeBook, Credits)>,
    split: SplitPolicy,
    ranking: RankingSignal,
    settlements: Settlements,
    /// Calibrations and awarded bids, under [`ClearingRule::Performance`] only.
    performance: Option<PerformanceBook>,
    #[cfg(feature = "fault-injection")]
    fault: Option<Fault>,
}

/// What [`Marketplace::record_performance`] did (SPEC §7, seed 004).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerformanceRecorded {
    /// The reward score, the new calibration, and the bill or penalty due.
    pub recorded: Recorded,
    /// Of the penalty, the credits moved from the agent's bond to the slashed pool (the rest,
    /// `penalty − forfeited`, had no bond to come from).
    pub forfeited: Credits,
}

impl Marketplace {
    /// A market with no participants.
    pub fn new(config: MarketConfig) -> Self {
        #[cfg_attr(not(feature = "fault-injection"), allow(unused_mut))]
        let (mut ledger, mut transitions) = (EscrowLedger::new(), config.transitions);
        #[cfg(feature = "fault-injection")]
        match config.fault {
            Some(Fault::Overdraw) => ledger.inject_overdraw(),
            Some(Fault::ForbiddenTransition) => transitions.allow_active_completion = true,
            _ => {}
        }
        let book = OrderBook::new(config.clearing).expect("validated clearing rule");
        Self {
            book: match config.bidding_power {
                Some(tiers) => book.with_bidding_power(tiers),
                None => book,
            },
            ledger,
            contracts: ContractBook::new(transitions),
            reputation: ReputationEngine::new(config.reputation)
                .expect("validated reputation config"),
            stakes: config
                .staking
                .map(|(c, bond)| (StakeBook::new(c).expect("validated staking config"), bond)),
            split: config.split,
            ranking: config.ranking,
            settlements: Settlements::default(),
            performance: (config.clearing == ClearingRule::Performance).then(|| {
                PerformanceBook::new(config.performance).expect("validated performance config")
            }),
            #[cfg(feature = "fault-injection")]
            fault: config.fault,
        }
    }

    /// The deliberate bug this market runs with, if any.
    #[cfg(feature = "fault-injection")]
    pub fn fault(&self) -> Option<Fault> {
        self.fault
    }

    #[cfg(feature = "fault-injection")]
    fn has_fault(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    /// `skip_rejection` and `over_cap` at a match.
    #[cfg(feature = "fault-injection")]
    fn faulty_match(&self, mut m: Match, mut tally: Tally) -> (Match, Tally) {
        if self.has_fault(Fault::SkipRejection) {
            tally.pending += std::mem::take(&mut tally.rejected);
        }
        if self.has_fault(Fault::OverCap) {
            m.budget_ceiling = Credits(m.budget_ceiling.0.saturating_mul(2));
        }
        (m, tally)
    }

    /// `split_rounding` and `trust_overflow` at a completion.
    #[cfg(feature = "fault-injection")]
    fn faulty_completion(
        &self,
        agent: AgentId,
        released: Credits,
        split: Split,
        mut recording: Recording,
    ) -> (Split, Recording) {
        if self.has_fault(Fault::TrustOverflow) {
            let n = self.reputation.recordings(agent) as f64;
            let n_min = f64::from(self.reputation.config().min_jobs);
            recording.trust = recording.reputation * (1.0 - recording.suspicion) * n / n_min;
        }
        if self.has_fault(Fault::SplitRounding) {
            return (self.split.split_rounding_each_part(released), recording);
        }
        (split, recording)
    }

    /// Opens a client account with `initial` credits (SPEC §3).
    pub fn open_client(&mut self, initial: Credits) -> ClientId {
        self.ledger.open_account(initial)
    }

    /// Registers a new agent identity: no history (R = 0.5, T = 0) and, with staking, a
    /// deposited and bonded initial stake (SPEC §6, §7).
    pub fn register_agent(&mut self) -> AgentId {
        let agent = self.reputation.register();
        if let Some(book) = &mut self.performance {
            book.register(agent);
        }
        if let Some((stakes, bond)) = &mut self.stakes {
            stakes.ensure(agent);
            if !bond.is_zero() {
                stakes.deposit(agent, *bond).expect("a fresh deposit");
                stakes
                    .stake(agent, *bond)
                    .expect("validated bond ≥ minimum stake");
            }
        }
        agent
    }

    /// Records quality on an agent's history outside any contract (prior reputation of a
    /// scenario's warm start).
    pub fn record_prior(
        &mut self,
        agent: AgentId,
        quality: QualityVector,
    ) -> Result<Recording, MarketError> {
        Ok(self.reputation.record(agent, quality, None)?)
    }

    /// Whether `agent` may bid: always without staking, else if its bond reaches the minimum.
    pub fn can_bid(&self, agent: AgentId) -> bool {
        match &self.stakes {
            None => true,
            Some((stakes, _)) => stakes
                .stake_of(agent)
                .is_some_and(|s| s.bonded >= stakes.config().minimum_stake),
        }
    }

    /// Whether the book matches on arrival (continuous) rather than at a window's close.
    pub fn clears_on_arrival(&self) -> bool {
        self.book.rule() == ClearingRule::Continuous
    }

    /// Posts a demand (SPEC §2); the client must have an account.
    pub fn post_demand(
        &mut self,
        client: ClientId,
        capabilities: u64,
        budget: Credits,
        deadline: u64,
    ) -> Result<TaskId, MarketError> {
        if self.ledger.balance(client).is_none() {
            return Err(MarketError::Ledger(LedgerError::NoBalanceRecord { client }));
        }
        Ok(self.book.post_demand(DemandSpec {
            client,
            capabilities: Capabilities(capabilities),
            budget_ceiling: budget,
            deadline,
        })?)
    }

    fn check_funding(&self, task: TaskId) -> Result<(), MarketError> {
        let demand = self.book.demand(task)?;
        self.ledger
            .check_hold(demand.client(), demand.budget_ceiling())
            .map_err(MarketError::Unfunded)
    }

    /// Submits a proposal at `now`; under continuous clearing it may open a contract at once.
    pub fn submit(
        &mut self,
        task: TaskId,
        terms: ProposalTerms,
        now: u64,
    ) -> Result<Option<Opened>, MarketError> {
        if !self.reputation.contains(terms.agent) {
            return Err(ReputationError::UnknownAgent { agent: terms.agent }.into());
        }
        if self.clears_on_arrival() {
            self.check_funding(task)?;
        }
        let spec = ProposalSpec {
            agent: terms.agent,
            estimated_credits: terms.price,
            estimated_duration: terms.duration,
            confidence: terms.confidence,
            timestamp: now,
        };
        let mut tally = Tally::default();
        let submitted = self
            .book
            .submit_proposal_observed(task, spec, |p| tally.see(p.status()))?;
        Ok(submitted
            .matched
            .map(|m| self.open(m, terms.model, terms.duration, tally, now)))
    }

    /// Closes the bidding window of `task` and opens a contract with the winner; `None` when
    /// no proposal is eligible (the demand stays open for the caller to cancel).
    pub fn clear(
        &mut self,
        task: TaskId,
        model: PricingModel,
        now: u64,
    ) -> Result<Option<Opened>, MarketError> {
        if self.performance.is_some() {
            // A task posted without requirements (a wash job) asks only for its budget.
            let demand = self.book.demand(task)?;
            let req = TaskRequirements::new(
                demand.budget_ceiling(),
                u64::MAX,
                0.0,
                demand.capabilities().0,
            )?;
            return self.clear_performance(task, &req, now);
        }
        self.check_funding(task)?;
        let engine = &self.reputation;
        let signal = |agent: AgentId| match self.ranking {
            RankingSignal::Reputation => engine.reputation(agent),
            RankingSignal::Trust => engine.trust(agent),
        };
        let mut tally = Tally::default();
        match self
            .book
            .clear_observed(task, signal, |p| tally.see(p.status()))
        {
            Ok(m) => {
                let duration = m.estimated_duration;
                Ok(Some(self.open(m, model, duration, tally, now)))
            }
            Err(OrderBookError::NoEligibleProposal(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Awards `task` to `terms.agent` at `terms.price` and opens the contract at once,
    /// whatever the clearing rule: the winner and price were chosen outside the book
    /// (combinatorial clearing of decomposed jobs, `market::combinatorial`). Errors: the
    /// client cannot fund the budget ceiling (`Unfunded`), a price above the ceiling, an
    /// unknown agent or a closed task; nothing changes then.
    pub fn award(
        &mut self,
        task: TaskId,
        terms: ProposalTerms,
        now: u64,
    ) -> Result<Opened, MarketError> {
        if !self.reputation.contains(terms.agent) {
            return Err(ReputationError::UnknownAgent { agent: terms.agent }.into());
        }
        self.check_funding(task)?;
        let spec = ProposalSpec {
            agent: terms.agent,
            estimated_credits: terms.price,
            estimated_duration: terms.duration,
            confidence: terms.confidence,
            timestamp: now,
        };
        let mut tally = Tally::default();
        let m = self
            .book
            .award_observed(task, spec, |p| tally.see(p.status()))?;
        Ok(self.open(m, terms.model, terms.duration, tally, now))
    }

    /// Closes the bidding window of `task` by seed 004's rule (SPEC §7): among the proposals
    /// that meet `req` (its max cost is the task's budget ceiling), with each agent's current
    /// calibration, the lowest composite score wins at its ask. A proposal's
    /// `estimated_duration` is its stated latency and its `confidence` its stated success
    /// probability; capabilities are the caller's to check before submitting (as in every
    /// book). The contract is a per-task contract at the max cost, so the escrow holds the
    /// most a reward can be paid. `None` when no proposal is eligible.
    pub fn clear_performance(
        &mut self,
        task: TaskId,
        req: &TaskRequirements,
        now: u64,
    ) -> Result<Option<Opened>, MarketError> {
        let book = self
            .performance
            .as_ref()
            .ok_or(PerformanceError::NotAwarded)?;
        self.check_funding(task)?;
        let bid = |p: &super::order_book::Proposal| PerfBid {
            agent: p.agent(),
            cost: p.estimated_credits(),
            latency_seconds: p.estimated_duration(),
            est_success: p.confidence(),
            calibration: book.calibration(p.agent()),
            capabilities: req.capabilities(),
        };
        let mut tally = Tally::default();
        let mut winner = None;
        let cleared = self.book.clear_scored_observed(
            task,
            |p| book.score(req, &bid(p)),
            |p| {
                tally.see(p.status());
                if p.status() == ProposalStatus::Accepted {
                    winner = Some(bid(p));
                }
            },
        );
        match cleared {
            Ok(m) => {
                let pricing = Pricing {
                    model: PricingModel::PerTask,
                    rate: m.budget_ceiling,
                };
                let opened = self.open_priced(m, pricing, tally, now);
                let winner = winner.expect("a match accepts one proposal");
                if let Some(book) = &mut self.performance {
                    book.award(opened.contract, winner);
                }
                Ok(Some(opened))
            }
            Err(OrderBookError::NoEligibleProposal(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the outcome of a contract the performance rule awarded (SPEC §7, seed 004):
    /// reward score and calibration; on success the bill that [`complete`](Self::complete) will
    /// release; on failure the penalty, forfeited from the agent's bond when staking is on.
    /// The caller then completes (success) or cancels (failure) the contract. Errors: not a
    /// live awarded contract, or its outcome already recorded.
    pub fn record_performance(
        &mut self,
        contract: ContractId,
        success: bool,
        latency_seconds: u64,
    ) -> Result<PerformanceRecorded, MarketError> {
        let hold = self.live_contract(contract)?.hold();
        let recorded = self
            .performance
            .as_mut()
            .and_then(|b| b.record(contract, success, latency_seconds, hold))
            .ok_or(PerformanceError::NotAwarded)?;
        let forfeited = match &mut self.stakes {
            Some((stakes, _)) if !recorded.penalty.is_zero() => {
                stakes.forfeit(recorded.agent, recorded.penalty)?
            }
            _ => Credits::ZERO,
        };
        Ok(PerformanceRecorded {
            recorded,
            forfeited,
        })
    }

    /// The performance market's state, under [`ClearingRule::Performance`].
    pub fn performance(&self) -> Option<&PerformanceBook> {
        self.performance.as_ref()
    }

    /// Opens the contract of a match and holds its escrow (cannot fail: funding was checked).
    fn open(
        &mut self,
        m: Match,
        model: PricingModel,
        duration: u64,
        tally: Tally,
        now: u64,
    ) -> Opened {
        let pricing = Pricing {
            model,
            rate: rate_for(model, m.price, duration),
        };
        self.open_priced(m, pricing, tally, now)
    }

    /// [`open`](Self::open) with the contract's pricing given.
    fn open_priced(&mut self, m: Match, pricing: Pricing, tally: Tally, now: u64) -> Opened {
        #[cfg(feature = "fault-injection")]
        let (m, tally) = self.faulty_match(m, tally);
        let terms = ContractTerms {
            client: m.client,
            agent: m.agent,
            task: m.task,
            pricing,
            budget_ceiling: m.budget_ceiling,
            created_at: now,
        };
        let ledger = &mut self.ledger;
        let contract = self
            .contracts
            .create(terms, |id, hold| ledger.hold(m.client, hold, id))
            .expect("funding was checked against the budget ceiling");
        Opened {
            contract,
            task: m.task,
            client: m.client,
            agent: m.agent,
            price: m.price,
            hold: pricing.hold_amount(m.budget_ceiling),
            proposals: tally.accepted + tally.rejected + tally.pending,
            rejected: tally.rejected,
            accepted: tally.accepted,
        }
    }

    /// Cancels an unmatched demand, rejecting its pending proposals (SPEC §2).
    pub fn cancel_demand(&mut self, task: TaskId) -> Result<u32, MarketError> {
        Ok(self.book.cancel_demand(task)?)
    }

    /// (pending proposals, open demands) of a task; (0, 0) once it closed (paper §4.7).
    pub fn depth(&self, task: TaskId) -> Result<(usize, usize), MarketError> {
        Ok(self.book.depth(task)?)
    }

    /// The agent delivers: active → review (paper §7.4).
    pub fn deliver(&mut self, contract: ContractId) -> Result<(), MarketError> {
        self.contracts.transition(contract, ContractState::Review)?;
        Ok(())
    }

    /// The client disputes: the hold stays in escrow (paper §7.4).
    pub fn dispute(&mut self, contract: ContractId) -> Result<(), MarketError> {
        self.contracts
            .transition(contract, ContractState::Disputed)?;
        Ok(())
    }

    /// Cancels a contract and refunds its whole hold (paper §7.8); returns the refund.
    pub fn cancel(&mut self, contract: ContractId) -> Result<Credits, MarketError> {
        let c = self.live_contract(contract)?;
        let escrow = c.escrow();
        #[cfg(feature = "fault-injection")]
        let hold = c.hold();
        self.contracts
            .transition(contract, ContractState::Cancelled)?;
        let settlement = Settlement::Refund;
        #[cfg(feature = "fault-injection")]
        let settlement = match self.fault {
            Some(Fault::LeakEscrow) => {
                self.contracts.retire(contract)?;
                return Ok(Credits::ZERO);
            }
            Some(Fault::SkipRefund) => Settlement::Release { billed: hold },
            _ => settlement,
        };
        let outcome = self
            .settle(escrow, settlement)
            .expect("a live contract's escrow is held");
        self.contracts.retire(contract)?;
        if let Some(book) = &mut self.performance {
            book.end(contract);
        }
        Ok(outcome.refunded)
    }

    /// Completes a contract (paper §7.7, with SPEC §4's accounting): bills `usage` (capped at
    /// the budget ceiling, never above the hold), releases the bill out of escrow and splits
    /// it, refunds the rest, and records `quality` on the agent's reputation.
    pub fn complete(
        &mut self,
        contract: ContractId,
        usage: Usage,
        quality: QualityVector,
        completion_seconds: Option<u64>,
    ) -> Result<Completed, MarketError> {
        let c = self.live_contract(contract)?;
        let (escrow, agent, hold) = (c.escrow(), c.agent(), c.hold());
        // The rating is the client's, dated by the contract's opening (issue 13).
        let rater = (c.client(), c.created_at());
        // A performance contract bills what its recorded outcome fixed (SPEC §7, seed 004).
        let due = self.performance.as_ref().and_then(|b| b.due(contract));
        let bill = due.unwrap_or_else(|| c.bill(usage));
        // Validate everything before changing anything.
        if !self.reputation.contains(agent) {
            return Err(ReputationError::UnknownAgent { agent }.into());
        }
        self.contracts
            .transition(contract, ContractState::Completed)?;
        let outcome = self
            .settle(escrow, Settlement::Release { billed: bill })
            .expect("a live contract's escrow is held and its bill never exceeds the hold");
        self.contracts.retire(contract)?;
        if let Some(book) = &mut self.performance {
            book.end(contract);
        }
        let recording = self
            .reputation
            .record_by(agent, quality, completion_seconds, Some(rater))
            .expect("a registered agent with a validated vector");
        let split = self.split.split(outcome.released);
        #[cfg(feature = "fault-injection")]
        let (split, recording) = self.faulty_completion(agent, outcome.released, split, recording);
        Ok(Completed {
            bill: outcome.released,
            refunded: outcome.refunded,
            hold,
            split,
            recording,
        })
    }

    /// Settles an escrow through the ledger, counting the attempt (see [`Settlements`]).
    fn settle(
        &mut self,
        escrow: EscrowId,
        settlement: Settlement,
    ) -> Result<SettlementOutcome, LedgerError> {
        self.settlements.attempts += 1;
        let result = self.ledger.settle(escrow, settlement);
        if let Err(LedgerError::AlreadySettled { .. }) = result {
            self.settlements.repeated += 1;
        }
        #[cfg(feature = "fault-injection")]
        if result.is_ok() && self.has_fault(Fault::SettleTwice) {
            self.settlements.attempts += 1;
            if let Err(LedgerError::AlreadySettled { .. }) =
                self.ledger.settle(escrow, Settlement::Refund)
            {
                self.settlements.repeated += 1;
            }
        }
        result
    }

    /// Escrow settlement attempts so far (SPEC §3).
    pub fn settlements(&self) -> Settlements {
        self.settlements
    }

    fn live_contract(
        &self,
        contract: ContractId,
    ) -> Result<&super::contract::Contract, MarketError> {
        match self.contracts.get(contract) {
            Lookup::Live(c) => Ok(c),
            Lookup::Retired => Err(ContractError::Retired { contract }.into()),
            Lookup::Unknown => Err(ContractError::NotFound { contract }.into()),
        }
    }

    /// Slashes `agent`'s bond for `condition` (seed 002); `None` when staking is off.
    pub fn slash(
        &mut self,
        agent: AgentId,
        condition: SlashCondition,
    ) -> Option<Result<SlashEvent, MarketError>> {
        let (stakes, _) = self.stakes.as_mut()?;
        Some(stakes.slash(agent, condition).map_err(MarketError::from))
    }

    /// Whether the stake book (if any) conserves its credits exactly.
    pub fn stakes_conserved(&self) -> bool {
        self.stakes.as_ref().is_none_or(|(s, _)| s.is_conserved())
    }

    /// The stake book, when staking is on.
    pub fn stakes(&self) -> Option<&StakeBook> {
        self.stakes.as_ref().map(|(s, _)| s)
    }

    /// The escrow ledger.
    pub fn ledger(&self) -> &EscrowLedger {
        &self.ledger
    }

    /// The reputation engine.
    pub fn reputation(&self) -> &ReputationEngine {
        &self.reputation
    }

    /// The order book.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The contract book.
    pub fn contracts(&self) -> &ContractBook {
        &self.contracts
    }
}

/// Proposal statuses seen when a task closes.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    accepted: u32,
    rejected: u32,
    pending: u32,
}

impl Tally {
    fn see(&mut self, status: ProposalStatus) {
        match status {
            ProposalStatus::Accepted => self.accepted += 1,
            ProposalStatus::Rejected => self.rejected += 1,
            ProposalStatus::Pending => self.pending += 1,
        }
    }
}

/// The contract rate for an accepted total price (SPEC §4): per-task, the price; hourly, the
/// price spread over the promised hours (rounded up); per-token, the price spread over the
/// promised tokens ([`TOKENS_PER_SECOND`]), at least 1 credit per token.
pub fn rate_for(model: PricingModel, price: Credits, duration: u64) -> Credits {
    match model {
        PricingModel::PerTask => price,
        PricingModel::Hourly => Credits(price.0.div_ceil(duration.div_ceil(3_600).max(1)).max(1)),
        PricingModel::PerToken => Credits((price.0 / (duration * TOKENS_PER_SECOND).max(1)).max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(clearing: ClearingRule, ranking: RankingSignal) -> MarketConfig {
        MarketConfig {
            clearing,
            ranking,
            transitions: TransitionPolicy::default(),
            split: SplitPolicy::default(),
            reputation: ReputationConfig::default(),
            staking: None,
            performance: PerformanceConfig::default(),
            bidding_power: None,
            #[cfg(feature = "fault-injection")]
            fault: None,
        }
    }

    fn terms(agent: AgentId, price: u64, confidence: f64) -> ProposalTerms {
        ProposalTerms {
            agent,
            price: Credits(price),
            duration: 3_600,
            confidence,
            model: PricingModel::PerTask,
        }
    }

    /// A seasoned agent with reputation and trust ≈ `r` (alternating vectors average to `r`).
    fn seasoned(m: &mut Marketplace, r: f64) -> AgentId {
        let a = m.register_agent();
        let q = QualityVector::new(std::array::from_fn(|d| {
            if d % 2 == 0 { r + 0.05 } else { r - 0.05 }
        }))
        .unwrap();
        for _ in 0..20 {
            m.record_prior(a, q).unwrap();
        }
        a
    }

    #[test]
    fn a_fresh_identity_ranks_at_one_half_under_r_and_at_zero_under_t() {
        for (ranking, fresh_wins) in [
            (RankingSignal::Reputation, true),
            (RankingSignal::Trust, false),
        ] {
            let mut m = Marketplace::new(config(ClearingRule::Call, ranking));
            let client = m.open_client(Credits(10_000));
            let honest = seasoned(&mut m, 0.8);
            let fresh = m.register_agent(); // a whitewashed sybil's new identity
            assert_eq!(m.reputation().reputation(fresh), 0.5);
            assert_eq!(m.reputation().trust(fresh), 0.0);
            let task = m.post_demand(client, 1, Credits(2_000), 100).unwrap();
            // Honest: 1000 / (1 + 0.8·0.8) ≈ 610. Fresh under R: 700 / (1 + 0.9·0.5) ≈ 483;
            // under T: 700 / (1 + 0) = 700.
            m.submit(task, terms(honest, 1_000, 0.8), 0).unwrap();
            m.submit(task, terms(fresh, 700, 0.9), 0).unwrap();
            let opened = m.clear(task, PricingModel::PerTask, 600).unwrap().unwrap();
            assert_eq!(opened.agent == fresh, fresh_wins, "{ranking:?}");
            assert_eq!(
                (opened.accepted, opened.rejected, opened.proposals),
                (1, 1, 2)
            );
        }
    }

    #[test]
    fn an_unfundable_clearing_changes_nothing() {
        let mut m = Marketplace::new(config(ClearingRule::Call, RankingSignal::Reputation));
        let client = m.open_client(Credits(500));
        let agent = m.register_agent();
        let task = m.post_demand(client, 1, Credits(1_000), 100).unwrap();
        m.submit(task, terms(agent, 300, 0.5), 0).unwrap();
        let before = format!("{m:?}");
        assert!(matches!(
            m.clear(task, PricingModel::PerTask, 600),
            Err(MarketError::Unfunded(LedgerError::InsufficientFunds { .. }))
        ));
        assert_eq!(format!("{m:?}"), before);
        assert_eq!(m.depth(task).unwrap(), (1, 1));
    }

    #[test]
    fn a_contract_lifecycle_conserves_credits_and_splits_the_bill() {
        let mut m = Marketplace::new(config(ClearingRule::Continuous, RankingSignal::Reputation));
        let client = m.open_client(Credits(10_000));
        let agent = m.register_agent();
        let task = m.post_demand(client, 1, Credits(5_000), 100).unwrap();
        let mut t = terms(agent, 3_500, 0.92);
        t.model = PricingModel::Hourly;
        t.duration = 2 * 3_600; // rate 1750 per hour
        let opened = m
            .submit(task, t, 0)
            .unwrap()
            .expect("continuous match on arrival");
        assert_eq!(
            opened.hold,
            Credits(5_000),
            "hourly contracts hold the ceiling"
        );
        m.deliver(opened.contract).unwrap();
        let q = QualityVector::new([0.95, 0.90, 0.97, 0.88, 0.91, 0.82]).unwrap();
        let usage = Usage {
            seconds: 3 * 3_600 + 1,
            tokens: 0,
        }; // 4 started hours: 7000, capped
        let before = format!("{m:?}");
        assert!(
            m.complete(ContractId::from_parts(9, 0), usage, q, None)
                .is_err()
        );
        assert_eq!(
            format!("{m:?}"),
            before,
            "a refused completion changes nothing"
        );
        let done = m.complete(opened.contract, usage, q, Some(600)).unwrap();
        assert_eq!(done.bill, Credits(5_000));
        assert_eq!(done.refunded, Credits(0));
        assert_eq!(
            (
                done.split.operator(),
                done.split.platform(),
                done.split.llm_reserve()
            ),
            (Credits(3_500), Credits(750), Credits(750))
        );
        let totals = m.ledger().totals();
        assert!(totals.is_conserved());
        assert_eq!(totals.distributed, Credits(5_000));
        assert_eq!(m.ledger().open_escrows(), 0);
        assert!(matches!(
            m.cancel(opened.contract),
            Err(MarketError::Contract(ContractError::Retired { .. }))
        ));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Post {
            client: u32,
            budget: u64,
        },
        Submit {
            task: usize,
            agent: u32,
            price: u64,
            confidence: f64,
            model: u8,
        },
        Clear {
            task: usize,
            model: u8,
        },
        CancelDemand {
            task: usize,
        },
        Deliver {
            contract: usize,
        },
        Dispute {
            contract: usize,
        },
        Complete {
            contract: usize,
            seconds: u64,
            score: f64,
        },
        Cancel {
            contract: usize,
        },
    }

    fn pick<T: Copy>(v: &[T], i: usize) -> T {
        v[i % v.len()]
    }

    fn model(m: u8) -> PricingModel {
        [
            PricingModel::PerTask,
            PricingModel::Hourly,
            PricingModel::PerToken,
        ][m as usize % 3]
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let confidence = prop_oneof![0.0..=1.0f64, Just(f64::NAN), Just(1.5), Just(-0.1)];
        prop_oneof![
            (0..4u32, prop_oneof![Just(0u64), 1..3_000u64])
                .prop_map(|(client, budget)| Op::Post { client, budget }),
            (0..12usize, 0..4u32, 1..4_000u64, confidence, 0..3u8).prop_map(
                |(task, agent, price, confidence, model)| {
                    Op::Submit {
                        task,
                        agent,
                        price,
                        confidence,
                        model,
                    }
                }
            ),
            (0..12usize, 0..3u8).prop_map(|(task, model)| Op::Clear { task, model }),
            (0..12usize).prop_map(|task| Op::CancelDemand { task }),
            (0..12usize).prop_map(|contract| Op::Deliver { contract }),
            (0..12usize).prop_map(|contract| Op::Dispute { contract }),
            (0..12usize, 0..20_000u64, 0.0..=1.0f64).prop_map(|(contract, seconds, score)| {
                Op::Complete {
                    contract,
                    seconds,
                    score,
                }
            }),
            (0..12usize).prop_map(|contract| Op::Cancel { contract }),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Random operation sequences, bad ones included (unknown clients, agents, tasks and
        /// contracts; zero budgets; invalid confidence; invalid transitions; settling twice):
        /// a refused operation changes nothing, and after every operation credits are conserved,
        /// bills respect their caps, splits are exact and R, T ∈ [0, 1].
        #[test]
        fn random_operations_keep_every_invariant(ops in proptest::collection::vec(op(), 1..60),
                                                  call in proptest::bool::ANY) {
            use proptest::prop_assert;
            let rule = if call { ClearingRule::Call } else { ClearingRule::Continuous };
            let mut m = Marketplace::new(config(rule, RankingSignal::Trust));
            for _ in 0..3 {
                m.open_client(Credits(5_000));
                m.register_agent();
            }
            // Issued ids (live or retired) plus one never issued, so lookups hit all three cases.
            let mut tasks = vec![TaskId::from_parts(99, 0)];
            let mut contracts = vec![ContractId::from_parts(99, 0)];
            for op in ops {
                let before = format!("{m:?}");
                let result: Result<(), MarketError> = match op.clone() {
                    Op::Post { client, budget } => {
                        m.post_demand(ClientId(client), 1, Credits(budget), 100).map(|t| tasks.push(t))
                    }
                    Op::Submit { task, agent, price, confidence, model: md } => {
                        let terms = ProposalTerms { agent: AgentId(agent), price: Credits(price), duration: 3_600, confidence, model: model(md) };
                        m.submit(pick(&tasks, task), terms, 0).map(|o| contracts.extend(o.map(|o| o.contract)))
                    }
                    Op::Clear { task, model: md } => m
                        .clear(pick(&tasks, task), model(md), 10)
                        .map(|o| contracts.extend(o.map(|o| o.contract))),
                    Op::CancelDemand { task } => m.cancel_demand(pick(&tasks, task)).map(|_| ()),
                    Op::Deliver { contract } => m.deliver(pick(&contracts, contract)),
                    Op::Dispute { contract } => m.dispute(pick(&contracts, contract)),
                    Op::Complete { contract, seconds, score } => {
                        let q = QualityVector::new([score; 6]).unwrap();
                        let usage = Usage { seconds, tokens: seconds * TOKENS_PER_SECOND };
                        m.complete(pick(&contracts, contract), usage, q, Some(seconds)).map(|done| {
                            assert!(done.bill <= done.hold);
                            assert_eq!(done.bill.checked_add(done.refunded), Some(done.hold));
                            let s = done.split;
                            assert_eq!(s.operator().0 + s.platform().0 + s.llm_reserve().0, done.bill.0);
                        })
                    }
                    Op::Cancel { contract } => m.cancel(pick(&contracts, contract)).map(|_| ()),
                };
                if result.is_err() {
                    prop_assert!(format!("{m:?}") == before, "{op:?} failed with {result:?} but changed the market");
                }
                let totals = m.ledger().totals();
                prop_assert!(totals.is_conserved());
                prop_assert!(m.ledger().recompute_totals() == totals);
                for c in 0..3 {
                    prop_assert!(m.ledger().is_client_conserved(ClientId(c)) == Some(true));
                }
                for a in 0..3 {
                    let (r, t) = (m.reputation().reputation(AgentId(a)), m.reputation().trust(AgentId(a)));
                    prop_assert!((0.0..=1.0).contains(&r) && (0.0..=1.0).contains(&t));
                }
            }
        }
    }

    #[test]
    fn rates_spread_the_price_over_promised_hours_and_tokens() {
        assert_eq!(
            rate_for(PricingModel::PerTask, Credits(700), 10),
            Credits(700)
        );
        assert_eq!(
            rate_for(PricingModel::Hourly, Credits(700), 3 * 3_600),
            Credits(234)
        );
        assert_eq!(
            rate_for(PricingModel::Hourly, Credits(700), 1),
            Credits(700)
        );
        assert_eq!(
            rate_for(PricingModel::PerToken, Credits(700), 7),
            Credits(10)
        );
        assert_eq!(
            rate_for(PricingModel::PerToken, Credits(5), 3_600),
            Credits(1)
        );
    }
}

//! The order book: demands meet proposals (SPEC §2, paper §4, §7.2, §9.3).
//!
//! ```text
//!  post_demand ──► task open ──► submit_proposal … (pending, price-time ordered)
//!                     │
//!                     ├─ Continuous: on each arrival, cheapest pending (price-time) within
//!                     │              budget → accepted at once                (paper §4.5)
//!                     ├─ clear(task, signal) at window close:                  (paper §7.2)
//!                     │     Call: lowest cost functional within budget
//!                     │     FirstPrice / Vickrey / English / Dutch: procurement auction
//!                     │     (reserve = budget ceiling)                         (seed 002)
//!                     ├─ clear_scored_observed(task, score) at window close:
//!                     │     Performance: lowest caller-given score, at its ask (seed 004)
//!                     │  → Match: one proposal accepted, all others rejected   (paper §4.6)
//!                     └─ cancel_demand(task): demand cancelled, all rejected
//!  matched / cancelled ──► storage retired: the TaskId now reads as closed
//! ```
//!
//! Units: money in [`Credits`]; `deadline`, `timestamp` and `estimated_duration` in simulated
//! seconds; `confidence` and ranking signals are plain numbers in [0, 1].
//!
//! One task carries exactly one demand (the [`TaskId`] is issued by [`OrderBook::post_demand`]),
//! so a live task's demand is always open and its proposals are always pending: accepting or
//! cancelling closes the task at once. Final statuses are handed to an observer closure at that
//! moment (`*_observed` methods) and then the task's storage is retired — its [`Slab`] slot and
//! its proposal `Vec` (kept in a free pool) are reused, so memory is O(live tasks + their
//! proposals) and the steady state does not allocate. Nothing is kept per finished task.
//! Cost per operation: `post_demand`, `submit_proposal` (including the continuous match check,
//! which keeps the price-time best incrementally) and `depth` are O(1) amortised; `clear` and
//! `cancel_demand` are O(k) for the task's k proposals — one pass, no sort.
//!
//! **Priority and ties.** Price-time priority is the order `(estimated_credits, timestamp,
//! proposal id)`; proposal ids are a book-wide submission counter, so the order is total. The
//! call rule breaks cost-functional ties by price-time; the auctions break equal asks by
//! `(timestamp, proposal id)`.
//!
//! **Budget (paper Proposition 6).** A proposal asking more than the budget ceiling is accepted
//! into the book but never eligible under any rule: it rests pending and is rejected when the
//! task closes. Every match price is ≤ the ceiling.
//!
//! The book does not read a clock: the caller cancels a demand once its deadline passes, and
//! checks agents' capabilities before submitting (see [`Capabilities::covers`]).

use crate::market::auction::{self, AuctionError, ProcurementRule};
use crate::market::slab::{Lookup, Slab};
use crate::market::tiers::TierConfig;
use crate::market::{AgentId, ClientId, Credits, ProposalId, TaskId};
use crate::prefetch::prefetch;
use thiserror::Error;

#[cfg(test)]
mod tests;

/// A set of capabilities as a bitmask: bit `i` is capability `i` of the scenario's capability
/// list (SPEC §2 `capabilities`, paper §4.1 `required_capabilities`). Up to 64 capabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Capabilities(pub u64);

impl Capabilities {
    /// No capability required (SPEC §2).
    pub const NONE: Capabilities = Capabilities(0);

    /// Whether `self` includes every capability in `required` (SPEC §2).
    #[inline]
    pub fn covers(self, required: Capabilities) -> bool {
        required.0 & !self.0 == 0
    }

    /// Whether capability number `bit` (< 64) is in the set (SPEC §2).
    #[inline]
    pub fn has(self, bit: u32) -> bool {
        bit < 64 && self.0 & (1 << bit) != 0
    }
}

/// What a client asks for when posting a job (SPEC §2, paper §4.1 `demand`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemandSpec {
    /// The client posting the job.
    pub client: ClientId,
    /// Capabilities an agent needs for the job.
    pub capabilities: Capabilities,
    /// The most the client will pay, in credits; must be > 0.
    pub budget_ceiling: Credits,
    /// Simulated second after which the demand should be cancelled (by the caller).
    pub deadline: u64,
}

/// What an agent submits (SPEC §2, paper §4.1 `proposal`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProposalSpec {
    /// The bidding agent identity.
    pub agent: AgentId,
    /// The ask, in credits.
    pub estimated_credits: Credits,
    /// Estimated duration, in simulated seconds.
    pub estimated_duration: u64,
    /// Self-declared confidence; must be a number in [0, 1].
    pub confidence: f64,
    /// Submission time, in simulated seconds (the price-time tie-breaker).
    pub timestamp: u64,
}

/// Status of a demand (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemandStatus {
    /// Accepting proposals.
    Open,
    /// A proposal was accepted.
    Matched,
    /// Withdrawn (deadline passed, or no eligible proposal at close).
    Cancelled,
}

/// Status of a proposal (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Resting in the book.
    Pending,
    /// Won the task.
    Accepted,
    /// Lost: another proposal was accepted or the demand was cancelled (paper §4.6).
    Rejected,
}

/// A posted demand (SPEC §2). Read-only; owned by the book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    client: ClientId,
    capabilities: Capabilities,
    budget_ceiling: Credits,
    deadline: u64,
    status: DemandStatus,
}

impl Demand {
    /// The client who posted it (SPEC §2).
    pub fn client(&self) -> ClientId {
        self.client
    }
    /// Required capabilities (SPEC §2).
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }
    /// Budget ceiling, > 0 (SPEC §2).
    pub fn budget_ceiling(&self) -> Credits {
        self.budget_ceiling
    }
    /// Deadline in simulated seconds (SPEC §2).
    pub fn deadline(&self) -> u64 {
        self.deadline
    }
    /// Status; always [`DemandStatus::Open`] while the task is live (SPEC §2).
    pub fn status(&self) -> DemandStatus {
        self.status
    }
}

/// A submitted proposal (SPEC §2). Read-only; owned by the book.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    id: ProposalId,
    agent: AgentId,
    estimated_credits: Credits,
    estimated_duration: u64,
    confidence: f64,
    timestamp: u64,
    status: ProposalStatus,
}

impl Proposal {
    /// Book-wide submission number (SPEC §2).
    pub fn id(&self) -> ProposalId {
        self.id
    }
    /// The bidding agent (SPEC §2).
    pub fn agent(&self) -> AgentId {
        self.agent
    }
    /// The ask, in credits (SPEC §2).
    pub fn estimated_credits(&self) -> Credits {
        self.estimated_credits
    }
    /// Estimated duration in simulated seconds (SPEC §2).
    pub fn estimated_duration(&self) -> u64 {
        self.estimated_duration
    }
    /// Confidence, guaranteed in [0, 1] (SPEC §2).
    pub fn confidence(&self) -> f64 {
        self.confidence
    }
    /// Submission time in simulated seconds (SPEC §2).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }
    /// Status; pending while the task is live, final in observers (SPEC §2).
    pub fn status(&self) -> ProposalStatus {
        self.status
    }
    /// The price-time priority key `(estimated_credits, timestamp, id)`; smaller is better
    /// (SPEC §2, paper §4.3).
    pub fn price_time_key(&self) -> (Credits, u64, ProposalId) {
        (self.estimated_credits, self.timestamp, self.id)
    }
}

/// How a task is cleared; one rule per [`OrderBook`] (SPEC §2 "both must be selectable", §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClearingRule {
    /// Paper §4.5 `try_match`: on every arrival, the cheapest pending proposal (price-time) is
    /// accepted at its ask if it is within budget.
    Continuous,
    /// Paper §7.2 `clear_market`: at window close the lowest [`cost_functional`] among proposals
    /// within budget wins at its ask; ties by price-time.
    Call,
    /// A procurement auction at window close (seed 002): first price, Vickrey, English or
    /// Dutch; see [`ProcurementRule`].
    Auction(ProcurementRule),
    /// Seed 004's performance market at window close: the lowest composite bid score among
    /// the bids that meet the task's requirements wins at its ask. The book has no scores of
    /// its own: such a book clears only through [`OrderBook::clear_scored_observed`].
    Performance,
}

/// Which reputation signal the caller feeds to the cost functional (SPEC §2, §8, §9). The book
/// only sees a closure `Fn(AgentId) -> f64`; this enum documents the two choices the engine
/// maps to such a closure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankingSignal {
    /// Raw reputation `R` (paper §4.4, §8.3): 0.5 for an agent without history — so a fresh
    /// (e.g. whitewashed sybil) identity ranks as a middling one.
    Reputation,
    /// Trust `T` (paper §8.4): 0 for an agent without history.
    Trust,
}

impl RankingSignal {
    /// The signal value of an agent without history: 0.5 for `R`, 0 for `T` (SPEC §2, §6).
    pub fn without_history(self) -> f64 {
        match self {
            RankingSignal::Reputation => 0.5,
            RankingSignal::Trust => 0.0,
        }
    }
}

/// The cost functional `estimated_credits / (1 + confidence × signal)`; lower is better (SPEC
/// §2, paper §4.4). For metrics and ranking only, never for accounting.
#[inline]
pub fn cost_functional(estimated_credits: Credits, confidence: f64, signal: f64) -> f64 {
    estimated_credits.as_f64() / (1.0 + confidence * signal)
}

/// An accepted proposal (SPEC §2, paper §4.6): what the contract is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// The task, now closed.
    pub task: TaskId,
    /// The client who posted the demand.
    pub client: ClientId,
    /// The winning agent.
    pub agent: AgentId,
    /// The accepted proposal.
    pub proposal: ProposalId,
    /// The contract rate: the ask under Continuous, Call and FirstPrice, the auction's clearing
    /// price under Vickrey, English and Dutch. Always ≤ `budget_ceiling`.
    pub price: Credits,
    /// The winner's estimated duration, in simulated seconds.
    pub estimated_duration: u64,
    /// The demand's budget ceiling.
    pub budget_ceiling: Credits,
    /// How many other proposals were rejected.
    pub rejected: u32,
}

/// Result of a successful [`OrderBook::submit_proposal`] (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// The new proposal's id.
    pub proposal: ProposalId,
    /// Under [`ClearingRule::Continuous`], the match this arrival triggered, if any.
    pub matched: Option<Match>,
}

/// Why an order-book operation was refused (SPEC §2). On every error the book is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Error)]
pub enum OrderBookError {
    /// A demand with a budget ceiling of 0.
    #[error("budget ceiling must be positive")]
    ZeroBudget,
    /// A clock rule with a zero step.
    #[error("clock increment must be positive")]
    ZeroIncrement,
    /// A task id this book never issued.
    #[error("unknown task {0}")]
    UnknownTask(TaskId),
    /// A task that was matched or cancelled (its storage is retired).
    #[error("task {0} is closed")]
    ClosedTask(TaskId),
    /// A proposal confidence that is NaN or outside [0, 1].
    #[error("confidence {0} is not a number in [0, 1]")]
    InvalidConfidence(f64),
    /// The ranking signal closure returned NaN or a value outside [0, 1] for an agent.
    #[error("ranking signal {value} for agent {agent} is not a number in [0, 1]")]
    InvalidSignal {
        /// The agent whose signal was bad.
        agent: AgentId,
        /// The bad value.
        value: f64,
    },
    /// At window close no proposal is within budget (the caller may cancel the demand).
    #[error("task {0} has no proposal within budget")]
    NoEligibleProposal(TaskId),
    /// [`OrderBook::clear`] on a performance book, which needs the caller's scores.
    #[error("the performance rule clears only with scores (clear_scored_observed)")]
    ScoresRequired,
}

/// The live part of one task.
#[derive(Clone, Debug)]
struct TaskBook {
    demand: Demand,
    /// In submission order (= proposal id order), all pending.
    proposals: Vec<Proposal>,
    /// Index of the price-time best proposal, maintained on insertion.
    best: Option<usize>,
}

/// The order book (SPEC §2, paper §4): one [`TaskBook`] per open task in a generational slab.
#[derive(Clone, Debug)]
pub struct OrderBook {
    rule: ClearingRule,
    /// Seed 002 bidding power, if on: divides the Call rule's cost functional
    /// ([`OrderBook::with_bidding_power`]).
    power: Option<TierConfig>,
    tasks: Slab<TaskBook>,
    /// Emptied proposal vectors of retired tasks, reused by new tasks.
    pool: Vec<Vec<Proposal>>,
    next_proposal: u64,
}

impl OrderBook {
    /// An empty book clearing by `rule`; a clock rule needs a positive increment (SPEC §2, §7).
    pub fn new(rule: ClearingRule) -> Result<Self, OrderBookError> {
        if let ClearingRule::Auction(
            ProcurementRule::English { increment } | ProcurementRule::Dutch { increment },
        ) = rule
            && increment.is_zero()
        {
            return Err(OrderBookError::ZeroIncrement);
        }
        Ok(Self {
            rule,
            power: None,
            tasks: Slab::new(),
            pool: Vec::new(),
            next_proposal: 0,
        })
    }

    /// This book with seed 002's bidding power (SPEC §7): under the Call rule a proposal's
    /// cost functional is divided by the power multiplier of its agent's ranking signal
    /// ([`TierConfig::bidding_power`]), so `price / ((1 + confidence × s) × power(s))` ranks it.
    /// A power of 0 ranks last. Who is eligible (ask within the budget ceiling) does not change,
    /// nor the price (the winner's ask). Other rules rank by price alone and ignore it.
    pub fn with_bidding_power(mut self, tiers: TierConfig) -> Self {
        self.power = Some(tiers);
        self
    }

    /// The clearing rule (SPEC §2).
    pub fn rule(&self) -> ClearingRule {
        self.rule
    }

    /// Number of open tasks (SPEC §2, paper §4.7).
    pub fn open_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// Number of proposals ever submitted; the next proposal's id (SPEC §2).
    pub fn proposals_submitted(&self) -> u64 {
        self.next_proposal
    }

    fn live(&self, task: TaskId) -> Result<&TaskBook, OrderBookError> {
        match self.tasks.lookup(task.0) {
            Lookup::Live(book) => Ok(book),
            Lookup::Retired => Err(OrderBookError::ClosedTask(task)),
            Lookup::Unknown => Err(OrderBookError::UnknownTask(task)),
        }
    }

    /// Posts a demand and opens its task (SPEC §2, paper §4.1). Error: zero budget.
    pub fn post_demand(&mut self, spec: DemandSpec) -> Result<TaskId, OrderBookError> {
        if spec.budget_ceiling.is_zero() {
            return Err(OrderBookError::ZeroBudget);
        }
        let proposals = self.pool.pop().unwrap_or_default();
        let key = self.tasks.insert(TaskBook {
            demand: Demand {
                client: spec.client,
                capabilities: spec.capabilities,
                budget_ceiling: spec.budget_ceiling,
                deadline: spec.deadline,
                status: DemandStatus::Open,
            },
            proposals,
            best: None,
        });
        Ok(TaskId(key))
    }

    /// Prefetches the task record in `slot` (a [`TaskId`]'s slot; issue 15).
    #[inline]
    pub fn touch(&self, slot: u32) {
        self.tasks.touch(slot);
    }

    /// Prefetches the proposals of `task`, reading its record (issue 15).
    #[inline]
    pub fn touch_proposals(&self, task: TaskId) {
        if let Some(book) = self.tasks.get(task.0) {
            book.proposals.iter().for_each(prefetch);
        }
    }

    /// The open demand of a task (SPEC §2). Errors: unknown or closed task.
    pub fn demand(&self, task: TaskId) -> Result<&Demand, OrderBookError> {
        self.live(task).map(|b| &b.demand)
    }

    /// The pending proposals of an open task, in submission order (SPEC §2). Errors: unknown
    /// or closed task.
    pub fn proposals(&self, task: TaskId) -> Result<&[Proposal], OrderBookError> {
        self.live(task).map(|b| b.proposals.as_slice())
    }

    /// The price-time best pending proposal of an open task, if any — Level-1 "best ask"
    /// (SPEC §2, paper §4.3). O(1). Errors: unknown or closed task.
    pub fn best_pending(&self, task: TaskId) -> Result<Option<&Proposal>, OrderBookError> {
        self.live(task).map(|b| b.best.map(|i| &b.proposals[i]))
    }

    /// `(pending proposals, open demands)` for a task (SPEC §2, paper §4.7): `(k, 1)` while
    /// open, `(0, 0)` once matched or cancelled. Error: unknown task.
    pub fn depth(&self, task: TaskId) -> Result<(usize, usize), OrderBookError> {
        match self.live(task) {
            Ok(book) => Ok((book.proposals.len(), 1)),
            Err(OrderBookError::ClosedTask(_)) => Ok((0, 0)),
            Err(e) => Err(e),
        }
    }

    /// Submits a proposal for an open task (SPEC §2, paper §4.3, §4.5). Under
    /// [`ClearingRule::Continuous`] the price-time best pending proposal is then accepted if
    /// it is within budget. Errors: unknown or closed task, invalid confidence.
    pub fn submit_proposal(
        &mut self,
        task: TaskId,
        spec: ProposalSpec,
    ) -> Result<Submitted, OrderBookError> {
        self.submit_proposal_observed(task, spec, |_| {})
    }

    /// [`submit_proposal`](Self::submit_proposal), handing every proposal of the task with its
    /// final status to `observer` if the arrival closes the task (SPEC §2, paper §4.6).
    pub fn submit_proposal_observed(
        &mut self,
        task: TaskId,
        spec: ProposalSpec,
        observer: impl FnMut(&Proposal),
    ) -> Result<Submitted, OrderBookError> {
        let (id, _) = self.insert(task, spec)?;
        let book = self
            .tasks
            .get_mut(task.0)
            .ok_or(OrderBookError::UnknownTask(task))?;
        let mut matched = None;
        if self.rule == ClearingRule::Continuous
            && let Some((index, price)) = continuous_choice(book)
        {
            matched = Some(self.accept(task, index, price, observer));
        }
        Ok(Submitted {
            proposal: id,
            matched,
        })
    }

    /// Adds a pending proposal to the live `task`; returns its id and position.
    fn insert(
        &mut self,
        task: TaskId,
        spec: ProposalSpec,
    ) -> Result<(ProposalId, usize), OrderBookError> {
        self.live(task)?;
        if !(0.0..=1.0).contains(&spec.confidence) {
            return Err(OrderBookError::InvalidConfidence(spec.confidence));
        }
        let id = ProposalId(self.next_proposal);
        let book = self
            .tasks
            .get_mut(task.0)
            .ok_or(OrderBookError::UnknownTask(task))?;
        self.next_proposal += 1;
        let proposal = Proposal {
            id,
            agent: spec.agent,
            estimated_credits: spec.estimated_credits,
            estimated_duration: spec.estimated_duration,
            confidence: spec.confidence,
            timestamp: spec.timestamp,
            status: ProposalStatus::Pending,
        };
        let is_best = book
            .best
            .is_none_or(|b| proposal.price_time_key() < book.proposals[b].price_time_key());
        book.proposals.push(proposal);
        let index = book.proposals.len() - 1;
        if is_best {
            book.best = Some(index);
        }
        Ok((id, index))
    }

    /// Awards an open task to one proposal at its ask, whatever the book's rule: the proposal
    /// is submitted and accepted at once and every other pending one rejected (paper §4.6).
    /// For a winner and price chosen outside the book (combinatorial clearing of decomposed
    /// jobs, `market::combinatorial`). Errors: unknown or closed task, invalid confidence, an
    /// ask above the budget ceiling (`NoEligibleProposal`); on error the book is unchanged.
    pub fn award_observed(
        &mut self,
        task: TaskId,
        spec: ProposalSpec,
        observer: impl FnMut(&Proposal),
    ) -> Result<Match, OrderBookError> {
        if spec.estimated_credits > self.live(task)?.demand.budget_ceiling {
            return Err(OrderBookError::NoEligibleProposal(task));
        }
        let (_, index) = self.insert(task, spec)?;
        Ok(self.accept(task, index, spec.estimated_credits, observer))
    }

    /// Closes the bidding window of an open task and accepts the winner under the book's rule
    /// (SPEC §2, paper §7.2, seed 002). `signal` gives each agent's ranking signal in [0, 1]
    /// (see [`RankingSignal`]); only the Call rule calls it, once per proposal within budget.
    /// O(proposals), no allocation. Errors: unknown or closed task, a signal outside [0, 1],
    /// no proposal within budget.
    pub fn clear(
        &mut self,
        task: TaskId,
        signal: impl Fn(AgentId) -> f64,
    ) -> Result<Match, OrderBookError> {
        self.clear_observed(task, signal, |_| {})
    }

    /// [`clear`](Self::clear), handing every proposal of the task with its final status to
    /// `observer` (SPEC §2, paper §4.6).
    pub fn clear_observed(
        &mut self,
        task: TaskId,
        signal: impl Fn(AgentId) -> f64,
        observer: impl FnMut(&Proposal),
    ) -> Result<Match, OrderBookError> {
        let book = self.live(task)?;
        let (index, price) = select(self.rule, self.power.as_ref(), book, signal)?
            .ok_or(OrderBookError::NoEligibleProposal(task))?;
        Ok(self.accept(task, index, price, observer))
    }

    /// Closes the bidding window of an open task and accepts, at its ask, the proposal with
    /// the lowest `score` (SPEC §7, seed 004); `score` returns `None` for a proposal that may
    /// not win (it breaks the task's requirements). Exact ties go to the earlier submission.
    /// Proposals asking more than the budget ceiling are never scored. Works under any rule
    /// (it is how [`ClearingRule::Performance`] clears). O(proposals), no allocation. Errors:
    /// unknown or closed task, no eligible proposal.
    pub fn clear_scored_observed(
        &mut self,
        task: TaskId,
        mut score: impl FnMut(&Proposal) -> Option<f64>,
        observer: impl FnMut(&Proposal),
    ) -> Result<Match, OrderBookError> {
        let book = self.live(task)?;
        let ceiling = book.demand.budget_ceiling;
        let mut best: Option<(f64, usize)> = None;
        for (i, p) in book.proposals.iter().enumerate() {
            if p.estimated_credits > ceiling {
                continue;
            }
            // Strict `<` over submission order: an equal score never displaces an earlier bid.
            if let Some(s) = score(p)
                && best.is_none_or(|(b, _)| s.total_cmp(&b).is_lt())
            {
                best = Some((s, i));
            }
        }
        let (_, index) = best.ok_or(OrderBookError::NoEligibleProposal(task))?;
        let price = book.proposals[index].estimated_credits;
        Ok(self.accept(task, index, price, observer))
    }

    /// Cancels an open demand and rejects all its pending proposals; returns how many (SPEC §2).
    /// Errors: unknown or closed task.
    pub fn cancel_demand(&mut self, task: TaskId) -> Result<u32, OrderBookError> {
        self.cancel_demand_observed(task, |_| {})
    }

    /// [`cancel_demand`](Self::cancel_demand), handing every proposal with its final status to
    /// `observer` (SPEC §2).
    pub fn cancel_demand_observed(
        &mut self,
        task: TaskId,
        mut observer: impl FnMut(&Proposal),
    ) -> Result<u32, OrderBookError> {
        self.live(task)?;
        let mut book = self
            .tasks
            .remove(task.0)
            .ok_or(OrderBookError::UnknownTask(task))?;
        for p in &mut book.proposals {
            p.status = ProposalStatus::Rejected;
            observer(p);
        }
        let rejected = count(book.proposals.len());
        self.recycle(book.proposals);
        Ok(rejected)
    }

    /// Accepts `proposals[index]` of the live `task` at `price`, rejects the others, retires
    /// the task (paper §4.6).
    fn accept(
        &mut self,
        task: TaskId,
        index: usize,
        price: Credits,
        mut observer: impl FnMut(&Proposal),
    ) -> Match {
        let mut book = self
            .tasks
            .remove(task.0)
            .expect("accept is only called on a live task");
        for (i, p) in book.proposals.iter_mut().enumerate() {
            p.status = if i == index {
                ProposalStatus::Accepted
            } else {
                ProposalStatus::Rejected
            };
            observer(p);
        }
        let winner = &book.proposals[index];
        debug_assert!(price <= book.demand.budget_ceiling);
        let matched = Match {
            task,
            client: book.demand.client,
            agent: winner.agent,
            proposal: winner.id,
            price,
            estimated_duration: winner.estimated_duration,
            budget_ceiling: book.demand.budget_ceiling,
            rejected: count(book.proposals.len() - 1),
        };
        self.recycle(book.proposals);
        matched
    }

    fn recycle(&mut self, mut proposals: Vec<Proposal>) {
        proposals.clear();
        self.pool.push(proposals);
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Continuous rule: the price-time best, if within budget, at its ask.
fn continuous_choice(book: &TaskBook) -> Option<(usize, Credits)> {
    let i = book.best?;
    let ask = book.proposals[i].estimated_credits;
    (ask <= book.demand.budget_ceiling).then_some((i, ask))
}

/// The winner's index and price under `rule`, or `None` if no proposal is within budget. Pure.
fn select(
    rule: ClearingRule,
    power: Option<&TierConfig>,
    book: &TaskBook,
    signal: impl Fn(AgentId) -> f64,
) -> Result<Option<(usize, Credits)>, OrderBookError> {
    let ceiling = book.demand.budget_ceiling;
    let procurement = match rule {
        ClearingRule::Continuous => return Ok(continuous_choice(book)),
        ClearingRule::Call => {
            let mut best: Option<(f64, usize)> = None;
            for (i, p) in book.proposals.iter().enumerate() {
                if p.estimated_credits > ceiling {
                    continue;
                }
                let s = signal(p.agent);
                if !(0.0..=1.0).contains(&s) {
                    return Err(OrderBookError::InvalidSignal {
                        agent: p.agent,
                        value: s,
                    });
                }
                let mut cost = cost_functional(p.estimated_credits, p.confidence, s);
                if let Some(tiers) = power {
                    cost /= tiers.bidding_power(s);
                }
                let better = best.is_none_or(|(c, b)| {
                    cost.total_cmp(&c)
                        .then_with(|| p.price_time_key().cmp(&book.proposals[b].price_time_key()))
                        .is_lt()
                });
                if better {
                    best = Some((cost, i));
                }
            }
            return Ok(best.map(|(_, i)| (i, book.proposals[i].estimated_credits)));
        }
        ClearingRule::Auction(rule) => rule,
        ClearingRule::Performance => return Err(OrderBookError::ScoresRequired),
    };
    let asks = book
        .proposals
        .iter()
        .map(|p| (p.estimated_credits, (p.timestamp, p.id)));
    // Increments were validated in `OrderBook::new`, so the only possible error is
    // `NoEligibleBid`: no ask within the ceiling.
    let award = auction::procure_keyed(asks, ceiling, procurement);
    debug_assert!(matches!(award, Ok(_) | Err(AuctionError::NoEligibleBid)));
    Ok(award.ok().map(|a| (a.position, a.price)))
}

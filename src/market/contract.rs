//! Contracts: the lifecycle state machine, pricing and the contract book (SPEC §4, §8; paper
//! §7.1, §7.4, §7.6).
//!
//! Lifecycle (paper §7.4; exactly these 8 transitions are valid):
//!
//! ```text
//!                      ┌──────────┐
//!         ┌────────────│  active  │────────────┐
//!         │            └────┬─────┘            │
//!         ▼                 │                  ▼
//!   ┌──────────┐            │            ┌──────────┐
//!   │  review  │────────────┼───────────►│ disputed │   (hold kept)
//!   └─┬──────┬─┘            │            └─┬──────┬─┘
//!     │      │              ▼              │      │
//!     │      └─────────►┌───────────┐◄─────┘      │
//!     │                 │ cancelled │  refund     │
//!     │                 └───────────┘             │
//!     │                 ┌───────────┐             │
//!     └────────────────►│ completed │◄────────────┘
//!                       └───────────┘  release the bill, refund the rest
//!
//!   active → review | cancelled | disputed      review → completed | disputed | cancelled
//!   disputed → completed | cancelled            (active → completed only with
//!                                                TransitionPolicy::allow_active_completion)
//! ```
//!
//! `completed` and `cancelled` are terminal. SPEC §8 (§7.4 vs §7.7): the paper's completion
//! handler also completes a contract straight from `active`; [`TransitionPolicy`] can allow that
//! shortcut so its effect can be measured, and by default the table is followed.
//!
//! Money (SPEC §4, §8 on §7.6 vs §7.7): the escrow holds [`Pricing::hold_amount`] (the accepted
//! estimate for per-task, the budget ceiling for hourly and per-token); on completion the bill
//! ([`Pricing::bill`], never above the hold) is released and the rest refunded.
//!
//! The book knows nothing about the ledger: [`ContractState::settlement`] says what escrow must
//! do, and the marketplace facade does it. Units: credits are integer [`Credits`], time is
//! integer simulated seconds.

use thiserror::Error;

use crate::market::ids::{AgentId, ClientId, ContractId, EscrowId, TaskId};
use crate::market::money::Credits;
use crate::market::slab::{Lookup, Slab, SlabKey};

/// The state of a contract (SPEC §4, paper §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContractState {
    /// Work in progress; the escrow holds the funds.
    Active,
    /// Deliverables submitted, awaiting the client; the escrow still holds.
    Review,
    /// Terminal: the escrow releases the bill (split between operator, platform and LLM
    /// reserve) and refunds the rest of the hold.
    Completed,
    /// Terminal: the escrow refunds the whole hold to the client.
    Cancelled,
    /// Under dispute; the escrow keeps the hold until completed or cancelled.
    Disputed,
}

/// What the escrow of a contract must do on entering a state (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscrowDue {
    /// Keep the hold (active, review, disputed).
    Keep,
    /// Release the bill and refund the rest of the hold (completed).
    Release,
    /// Refund the whole hold (cancelled).
    Refund,
}

impl ContractState {
    /// This state's bit in a contract's record of the states it entered.
    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// All five states, in declaration order (SPEC §4).
    pub const ALL: [ContractState; 5] = [
        ContractState::Active,
        ContractState::Review,
        ContractState::Completed,
        ContractState::Cancelled,
        ContractState::Disputed,
    ];

    /// Whether no transition leaves this state (completed, cancelled; paper §10.1).
    pub fn is_terminal(self) -> bool {
        matches!(self, ContractState::Completed | ContractState::Cancelled)
    }

    /// What escrow must do when a contract enters this state (SPEC §4): completed releases,
    /// cancelled refunds, every other state keeps the hold.
    pub fn settlement(self) -> EscrowDue {
        match self {
            ContractState::Completed => EscrowDue::Release,
            ContractState::Cancelled => EscrowDue::Refund,
            ContractState::Active | ContractState::Review | ContractState::Disputed => {
                EscrowDue::Keep
            }
        }
    }
}

impl std::fmt::Display for ContractState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ContractState::Active => "active",
            ContractState::Review => "review",
            ContractState::Completed => "completed",
            ContractState::Cancelled => "cancelled",
            ContractState::Disputed => "disputed",
        })
    }
}

/// Which transitions beyond the paper's table are allowed (SPEC §8, §7.4 vs §7.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransitionPolicy {
    /// Allow `active → completed`, the shortcut the paper's completion handler (§7.7) takes
    /// although its table (§7.4) forbids it. Default `false`: follow the table.
    pub allow_active_completion: bool,
}

impl TransitionPolicy {
    /// The paper's §7.4 table: the 8 transitions only.
    pub const TABLE: TransitionPolicy = TransitionPolicy {
        allow_active_completion: false,
    };
    /// The table plus the §7.7 handler's `active → completed` shortcut.
    pub const HANDLER_SHORTCUT: TransitionPolicy = TransitionPolicy {
        allow_active_completion: true,
    };
}

/// Why a state transition was refused (SPEC §4, paper §7.4). Not fatal: nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The contract is already completed or cancelled; no transition leaves those.
    #[error("contract is {from} (terminal); cannot move to {to}")]
    FromTerminal {
        /// The terminal state.
        from: ContractState,
        /// The requested state.
        to: ContractState,
    },
    /// The pair is not in the transition table (including self-transitions, and
    /// `active → completed` unless the policy allows it).
    #[error("invalid contract transition {from} -> {to}")]
    NotAllowed {
        /// The current state.
        from: ContractState,
        /// The requested state.
        to: ContractState,
    },
}

/// Checks one state transition against the table of paper §7.4 (SPEC §4), plus
/// `active → completed` when `policy.allow_active_completion` (SPEC §8).
pub fn transition(
    from: ContractState,
    to: ContractState,
    policy: TransitionPolicy,
) -> Result<(), TransitionError> {
    use ContractState::*;
    if from.is_terminal() {
        return Err(TransitionError::FromTerminal { from, to });
    }
    let valid = match (from, to) {
        (Active, Review | Cancelled | Disputed) => true,
        (Active, Completed) => policy.allow_active_completion,
        (Review, Completed | Disputed | Cancelled) => true,
        (Disputed, Completed | Cancelled) => true,
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(TransitionError::NotAllowed { from, to })
    }
}

/// How a contract is priced (SPEC §4, paper §7.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricingModel {
    /// A fixed price: the bill is the rate.
    PerTask,
    /// `rate × ceil(seconds / 3600)`: partial hours are paid in full.
    Hourly,
    /// `rate × tokens`.
    PerToken,
}

/// A pricing model with its rate in credits per task, per started hour or per token (SPEC §4,
/// paper §7.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pricing {
    /// The model.
    pub model: PricingModel,
    /// Credits per task, per started hour or per token.
    pub rate: Credits,
}

/// What a contract consumed (SPEC §4): simulated seconds worked and tokens consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Seconds worked (hourly billing rounds up to whole hours).
    pub seconds: u64,
    /// Tokens consumed.
    pub tokens: u64,
}

/// Seconds in a billed hour.
const SECONDS_PER_HOUR: u64 = 3600;

impl Pricing {
    /// The uncapped bill (paper §7.6 `raw`), or `None` if it overflows `u64`.
    pub fn raw_bill(&self, usage: Usage) -> Option<Credits> {
        match self.model {
            PricingModel::PerTask => Some(self.rate),
            PricingModel::Hourly => self
                .rate
                .checked_mul(usage.seconds.div_ceil(SECONDS_PER_HOUR)),
            PricingModel::PerToken => self.rate.checked_mul(usage.tokens),
        }
    }

    /// The billable total (SPEC §4, paper §7.6, Proposition 6): the raw bill capped at
    /// `budget_ceiling`. A raw bill that overflows `u64` is certainly above the ceiling, so it
    /// saturates to the ceiling. Never exceeds [`Pricing::hold_amount`].
    pub fn bill(&self, usage: Usage, budget_ceiling: Credits) -> Credits {
        self.raw_bill(usage)
            .map_or(budget_ceiling, |raw| raw.min(budget_ceiling))
    }

    /// What the escrow must hold for this contract (SPEC §4): the accepted estimate (the rate)
    /// for per-task, capped at the ceiling; the budget ceiling for hourly and per-token, the
    /// most their bill can reach.
    pub fn hold_amount(&self, budget_ceiling: Credits) -> Credits {
        match self.model {
            PricingModel::PerTask => self.rate.min(budget_ceiling),
            PricingModel::Hourly | PricingModel::PerToken => budget_ceiling,
        }
    }

    /// Credits the paper's literal completion rule would create (+) or destroy (−) for this
    /// contract (SPEC §8, §7.6 vs §7.7). The paper holds the accepted estimate, i.e. the rate
    /// (§7.3 `hold(client, proposal.estimated_credits, …)`), releases the whole hold, and splits
    /// `compute_total` (this [`Pricing::bill`]): the difference `bill − rate` appears from
    /// nowhere or vanishes. Zero for per-task contracts within the ceiling.
    pub fn paper_literal_discrepancy(&self, usage: Usage, budget_ceiling: Credits) -> i128 {
        i128::from(self.bill(usage, budget_ceiling).0) - i128::from(self.rate.0)
    }
}

/// The terms a contract is created with (SPEC §4, paper §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractTerms {
    /// The paying client.
    pub client: ClientId,
    /// The agent identity doing the work.
    pub agent: AgentId,
    /// The task the contract is for.
    pub task: TaskId,
    /// How the work is billed.
    pub pricing: Pricing,
    /// The demand's budget ceiling: no bill exceeds it.
    pub budget_ceiling: Credits,
    /// Creation time, in simulated seconds.
    pub created_at: u64,
}

/// A contract (SPEC §4, paper §7.1). Fields are private: the state only moves through
/// [`ContractBook::transition`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    client: ClientId,
    agent: AgentId,
    task: TaskId,
    escrow: EscrowId,
    state: ContractState,
    /// The pricing's model and rate, kept apart so that the model's byte sits with the
    /// state's: 64 bytes instead of 72 (issue 15).
    model: PricingModel,
    rate: Credits,
    budget_ceiling: Credits,
    hold: Credits,
    created_at: u64,
    /// The states it has entered since it opened, as bits of [`ContractState::bit`]: what
    /// tells a repeated event from a new one ([`ContractBook::has_entered`]).
    entered: u8,
}

impl Contract {
    /// The paying client (SPEC §4).
    pub fn client(&self) -> ClientId {
        self.client
    }
    /// The agent identity doing the work (SPEC §4).
    pub fn agent(&self) -> AgentId {
        self.agent
    }
    /// The task (SPEC §4).
    pub fn task(&self) -> TaskId {
        self.task
    }
    /// The escrow that funds the contract (SPEC §4).
    pub fn escrow(&self) -> EscrowId {
        self.escrow
    }
    /// The current state (SPEC §4).
    pub fn state(&self) -> ContractState {
        self.state
    }
    /// The pricing (SPEC §4).
    pub fn pricing(&self) -> Pricing {
        Pricing {
            model: self.model,
            rate: self.rate,
        }
    }
    /// The budget ceiling (SPEC §4).
    pub fn budget_ceiling(&self) -> Credits {
        self.budget_ceiling
    }
    /// The amount held in escrow: [`Pricing::hold_amount`] of the ceiling (SPEC §4).
    pub fn hold(&self) -> Credits {
        self.hold
    }
    /// Creation time, in simulated seconds (SPEC §4).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }
    /// The billable total for `usage` (SPEC §4, Proposition 6); never above [`Contract::hold`].
    pub fn bill(&self, usage: Usage) -> Credits {
        self.pricing().bill(usage, self.budget_ceiling)
    }
    /// See [`Pricing::paper_literal_discrepancy`] (SPEC §8).
    pub fn paper_literal_discrepancy(&self, usage: Usage) -> i128 {
        self.pricing()
            .paper_literal_discrepancy(usage, self.budget_ceiling)
    }
}

/// A state change that happened (SPEC §4, seed 003 receipts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: ContractState,
    /// The state entered.
    pub to: ContractState,
}

impl Transition {
    /// What escrow must do for this transition: [`ContractState::settlement`] of `to` (SPEC §4).
    pub fn settlement(&self) -> EscrowDue {
        self.to.settlement()
    }
}

/// Why a contract-book operation was refused (SPEC §4). Not fatal: nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ContractError {
    /// No contract was ever created under this id.
    #[error("contract {contract} not found")]
    NotFound {
        /// The unknown id.
        contract: ContractId,
    },
    /// The contract was retired (it ended and was removed from the book).
    #[error("contract {contract} is retired")]
    Retired {
        /// The retired id.
        contract: ContractId,
    },
    /// The state machine refused the transition.
    #[error("contract {contract}: {source}")]
    Transition {
        /// The contract.
        contract: ContractId,
        /// The refused transition.
        source: TransitionError,
    },
    /// Only a completed or cancelled contract can be retired.
    #[error("contract {contract} is {state}, not terminal")]
    NotTerminal {
        /// The contract.
        contract: ContractId,
        /// Its current (non-terminal) state.
        state: ContractState,
    },
}

/// The live contracts (SPEC §4), in a [`Slab`]: memory is O(live contracts), a retired id reads
/// as retired, never as the slot's next occupant. Every operation is O(1). A retired contract's
/// record stays in its slot until the slot is reused ([`ContractBook::ended`]).
#[derive(Debug, Clone, Default)]
pub struct ContractBook {
    contracts: Slab<Contract>,
    policy: TransitionPolicy,
}

impl ContractBook {
    /// An empty book that checks transitions under `policy` (SPEC §8).
    pub fn new(policy: TransitionPolicy) -> Self {
        Self {
            contracts: Slab::new(),
            policy,
        }
    }

    /// The transition policy (SPEC §4).
    pub fn policy(&self) -> TransitionPolicy {
        self.policy
    }

    /// Creates an `active` contract (SPEC §4, paper §7.3). The escrow needs the contract id and
    /// the contract needs the escrow id, so `fund(id, hold)` is called with the new id and the
    /// amount to hold ([`Pricing::hold_amount`]) and must return the escrow (typically
    /// `|id, amount| ledger.hold(client, amount, id)`). The hold is the commit point: if `fund`
    /// fails, the contract is removed again and its error returned.
    ///
    /// On failure no contract exists, but the slot's generation has advanced (the unseen id
    /// would read as retired). Call `EscrowLedger::check_hold` first to leave the book exactly
    /// unchanged.
    pub fn create<E>(
        &mut self,
        terms: ContractTerms,
        fund: impl FnOnce(ContractId, Credits) -> Result<EscrowId, E>,
    ) -> Result<ContractId, E> {
        let hold = terms.pricing.hold_amount(terms.budget_ceiling);
        let key = self.contracts.insert(Contract {
            client: terms.client,
            agent: terms.agent,
            task: terms.task,
            // Placeholder until `fund` returns; never observable.
            escrow: EscrowId::from_parts(u32::MAX, SlabKey::MAX_GENERATION),
            state: ContractState::Active,
            model: terms.pricing.model,
            rate: terms.pricing.rate,
            budget_ceiling: terms.budget_ceiling,
            hold,
            created_at: terms.created_at,
            entered: ContractState::Active.bit(),
        });
        let id = ContractId(key);
        match fund(id, hold) {
            Ok(escrow) => {
                self.contracts.get_mut(key).expect("just inserted").escrow = escrow;
                Ok(id)
            }
            Err(e) => {
                self.contracts.remove(key);
                Err(e)
            }
        }
    }

    /// Moves contract `id` to `to` if the state machine allows it (SPEC §4, paper §7.4). Errors
    /// (`NotFound`, `Retired`, `Transition`) change nothing. The caller then performs
    /// [`Transition::settlement`] on the escrow.
    pub fn transition(
        &mut self,
        id: ContractId,
        to: ContractState,
    ) -> Result<Transition, ContractError> {
        let from = self.find_live(id)?.state;
        transition(from, to, self.policy).map_err(|source| ContractError::Transition {
            contract: id,
            source,
        })?;
        let c = self.contracts.get_mut(id.0).expect("checked live");
        c.state = to;
        c.entered |= to.bit();
        Ok(Transition { from, to })
    }

    /// Removes a terminal (completed or cancelled, hence settled) contract and returns it, so
    /// memory stays O(live contracts) (SPEC §4). Errors: `NotFound`, `Retired`, `NotTerminal`.
    pub fn retire(&mut self, id: ContractId) -> Result<Contract, ContractError> {
        let state = self.find_live(id)?.state;
        if !state.is_terminal() {
            return Err(ContractError::NotTerminal {
                contract: id,
                state,
            });
        }
        Ok(self.contracts.retire(id.0).expect("checked live"))
    }

    /// Whether contract `id` has already entered `state` (seed 003 idempotency): for a live
    /// contract, from its record; for a retired one, from the record it ended with while its
    /// slot has not been reused. The table has no cycle, so a contract enters
    /// each state at most once: an event asking it to enter a state it entered is a repeat.
    /// `false` for an unknown id, or a retired one whose record is gone.
    pub fn has_entered(&self, id: ContractId, state: ContractState) -> bool {
        let entered = match self.contracts.lookup(id.0) {
            Lookup::Live(c) => c.entered,
            Lookup::Retired => self.ended(id).map_or(0, |c| c.entered),
            Lookup::Unknown => 0,
        };
        entered & state.bit() != 0
    }

    /// The record a retired contract ended with, while its slot has not been reused (kept in
    /// the slot itself, no second table). The world delivers a repeated contract event right
    /// after the first, before another contract opens (seed 003, `world::duplicates`), so the
    /// repeat always finds the record.
    pub fn ended(&self, id: ContractId) -> Option<&Contract> {
        self.contracts.retired(id.0)
    }

    /// Prefetches the contract record in `slot` (a [`ContractId`]'s slot; issue 15).
    #[inline]
    pub fn touch(&self, slot: u32) {
        self.contracts.touch(slot);
    }

    /// The contract: live, retired or unknown (SPEC §4).
    pub fn get(&self, id: ContractId) -> Lookup<&Contract> {
        self.contracts.lookup(id.0)
    }

    /// Number of live (not retired) contracts (SPEC §4).
    pub fn live(&self) -> usize {
        self.contracts.len()
    }

    fn find_live(&self, id: ContractId) -> Result<&Contract, ContractError> {
        match self.contracts.lookup(id.0) {
            Lookup::Live(c) => Ok(c),
            Lookup::Retired => Err(ContractError::Retired { contract: id }),
            Lookup::Unknown => Err(ContractError::NotFound { contract: id }),
        }
    }
}

#[cfg(test)]
mod tests;

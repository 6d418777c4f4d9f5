//! At-least-once delivery of contract events (SPEC §7, seed 003: "duplicate events must be
//! idempotent").
//!
//! A dispute, a completion or a cancellation may reach the market more than once. Each is a
//! [`ContractEvent`] whose identity is the pair *(contract, state it asks the contract to
//! enter)*: the transition table has no cycle, so a contract enters each state at most once and
//! a second event with the same pair can only be a repeat of the first.
//!
//! ```text
//! apply(event) ── contract already entered event's state? ──yes──▶ Applied::Repeat (no effect)
//!                                   │ no
//!                                   ▼
//!                 dispute | complete | cancel  (the ordinary operation, all or nothing)
//! ```
//!
//! The guard reads the contract's own record of the states it entered, kept while it is live
//! and, once it is retired, in its slot until the slot is reused
//! ([`ContractBook::has_entered`](crate::market::contract::ContractBook::has_entered)): memory
//! is O(peak live contracts), work O(1) per event, whatever the history. A repeat that
//! arrives after its slot was reused is refused as `Retired` (still no effect). On a first delivery `apply` is exactly the operation it names.

use super::{Completed, MarketError, Marketplace};
use crate::market::contract::{ContractState, Usage};
use crate::market::{ContractId, Credits, QualityVector};

/// What an event asks of a contract.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// The client disputes the delivery ([`Marketplace::dispute`]).
    Dispute,
    /// The contract completes ([`Marketplace::complete`]).
    Complete {
        /// What was consumed (the bill's basis).
        usage: Usage,
        /// The client's rating.
        quality: QualityVector,
        /// Seconds the work took, for the rapid-cycling detector.
        completion_seconds: Option<u64>,
    },
    /// The contract is cancelled and refunded ([`Marketplace::cancel`]).
    Cancel,
}

/// One delivery of a contract event (seed 003).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractEvent {
    /// The contract.
    pub contract: ContractId,
    /// What it asks.
    pub action: Action,
}

impl ContractEvent {
    /// A dispute of `contract`.
    pub fn dispute(contract: ContractId) -> Self {
        Self {
            contract,
            action: Action::Dispute,
        }
    }

    /// A cancellation of `contract`.
    pub fn cancel(contract: ContractId) -> Self {
        Self {
            contract,
            action: Action::Cancel,
        }
    }

    /// The state the event moves its contract to: with the contract, the event's identity.
    pub fn target(&self) -> ContractState {
        match self.action {
            Action::Dispute => ContractState::Disputed,
            Action::Complete { .. } => ContractState::Completed,
            Action::Cancel => ContractState::Cancelled,
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Applied {
    /// The contract entered dispute.
    Disputed,
    /// The contract completed.
    Completed(Completed),
    /// The contract was cancelled; the refund.
    Cancelled(Credits),
    /// A repeat of an event already applied: acknowledged, nothing changed.
    Repeat,
}

impl Marketplace {
    /// Applies one delivery of `event`: a repeat is acknowledged with [`Applied::Repeat`] and
    /// changes nothing; a first delivery performs the operation it names (see the module doc).
    pub fn apply(&mut self, event: &ContractEvent) -> Result<Applied, MarketError> {
        if self.contracts.has_entered(event.contract, event.target()) {
            #[cfg(feature = "fault-injection")]
            if self.has_fault(crate::market::fault::Fault::SkipIdempotency) {
                self.reapply(event);
            }
            return Ok(Applied::Repeat);
        }
        match event.action {
            Action::Dispute => self.dispute(event.contract).map(|()| Applied::Disputed),
            Action::Complete {
                usage,
                quality,
                completion_seconds,
            } => self
                .complete(event.contract, usage, quality, completion_seconds)
                .map(Applied::Completed),
            Action::Cancel => self.cancel(event.contract).map(Applied::Cancelled),
        }
    }

    /// `skip_idempotency`: a repeated completion or cancellation is applied again to the
    /// record its contract ended with: its escrow is settled again (the ledger refuses) and a
    /// completion's rating is recorded again.
    #[cfg(feature = "fault-injection")]
    fn reapply(&mut self, event: &ContractEvent) {
        use crate::market::escrow::Settlement;
        let Some(c) = self.contracts.ended(event.contract).cloned() else {
            return;
        };
        match event.action {
            Action::Dispute => {}
            Action::Complete {
                usage,
                quality,
                completion_seconds,
            } => {
                let _ = self.settle(
                    c.escrow(),
                    Settlement::Release {
                        billed: c.bill(usage),
                    },
                );
                let rater = Some((c.client(), c.created_at()));
                let _ = self
                    .reputation
                    .record_by(c.agent(), quality, completion_seconds, rater);
            }
            Action::Cancel => {
                let _ = self.settle(c.escrow(), Settlement::Refund);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::contract::{PricingModel, TransitionPolicy};
    use crate::market::marketplace::{MarketConfig, ProposalTerms};
    use crate::market::order_book::{ClearingRule, RankingSignal};
    use crate::market::reputation::ReputationConfig;
    use crate::market::split::SplitPolicy;

    fn market() -> (Marketplace, crate::market::AgentId, ContractId) {
        let mut m = Marketplace::new(MarketConfig {
            clearing: ClearingRule::Continuous,
            ranking: RankingSignal::Reputation,
            transitions: TransitionPolicy::default(),
            split: SplitPolicy::default(),
            reputation: ReputationConfig::default(),
            staking: None,
            bidding_power: None,
            performance: Default::default(),
            #[cfg(feature = "fault-injection")]
            fault: None,
        });
        let client = m.open_client(Credits(10_000));
        let agent = m.register_agent();
        let task = m.post_demand(client, 1, Credits(2_000), 100).unwrap();
        let terms = ProposalTerms {
            agent,
            price: Credits(1_000),
            duration: 3_600,
            confidence: 0.8,
            model: PricingModel::PerTask,
        };
        let opened = m.submit(task, terms, 0).unwrap().unwrap();
        m.deliver(opened.contract).unwrap();
        (m, agent, opened.contract)
    }

    fn complete(contract: ContractId) -> ContractEvent {
        ContractEvent {
            contract,
            action: Action::Complete {
                usage: Usage::default(),
                quality: QualityVector::new([0.8; 6]).unwrap(),
                completion_seconds: Some(600),
            },
        }
    }

    #[test]
    fn a_first_delivery_is_the_operation_itself() {
        let (mut a, _, contract) = market();
        let mut b = a.clone();
        let done = b
            .complete(
                contract,
                Usage::default(),
                QualityVector::new([0.8; 6]).unwrap(),
                Some(600),
            )
            .unwrap();
        assert_eq!(a.apply(&complete(contract)), Ok(Applied::Completed(done)));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn every_repeat_is_acknowledged_and_changes_nothing() {
        let (mut m, agent, contract) = market();
        let dispute = ContractEvent {
            contract,
            action: Action::Dispute,
        };
        assert_eq!(m.apply(&dispute), Ok(Applied::Disputed));
        let before = format!("{m:?}");
        assert_eq!(m.apply(&dispute), Ok(Applied::Repeat));
        assert_eq!(format!("{m:?}"), before, "a repeated dispute");
        assert!(matches!(
            m.apply(&complete(contract)),
            Ok(Applied::Completed(_))
        ));
        let before = format!("{m:?}");
        for event in [complete(contract), dispute, complete(contract)] {
            assert_eq!(m.apply(&event), Ok(Applied::Repeat), "{event:?}");
        }
        assert_eq!(format!("{m:?}"), before, "repeats after the contract ended");
        assert_eq!(m.reputation().recordings(agent), 1);
        assert_eq!(m.settlements().attempts, 1);
        // A cancellation of the completed contract is not a repeat: it is refused.
        let cancel = ContractEvent {
            contract,
            action: Action::Cancel,
        };
        assert!(m.apply(&cancel).is_err());
        assert_eq!(format!("{m:?}"), before);
    }

    #[test]
    fn a_repeated_cancellation_refunds_once() {
        let (mut m, _, contract) = market();
        let cancel = ContractEvent {
            contract,
            action: Action::Cancel,
        };
        assert_eq!(m.apply(&cancel), Ok(Applied::Cancelled(Credits(1_000))));
        let before = format!("{m:?}");
        assert_eq!(m.apply(&cancel), Ok(Applied::Repeat));
        assert_eq!(format!("{m:?}"), before);
        assert!(m.ledger().totals().is_conserved());
        assert_eq!(
            m.settlements(),
            crate::market::marketplace::Settlements {
                attempts: 1,
                repeated: 0
            }
        );
    }
}

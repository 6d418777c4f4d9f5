//! Deliberate bugs, compiled only with the `fault-injection` cargo feature (issue 5: "prove the
//! checker catches bugs"). Never enable the feature in a real build.
//!
//! A fault is plain configuration ([`MarketConfig`](super::marketplace::MarketConfig)`::fault`):
//! the market stays pure and deterministic, it simply runs with one mechanism broken. Each
//! fault breaks one invariant of `metrics::Invariant` (the world reads the fault back from the
//! market for the two faults that live in the world's job handling):
//!
//! | fault | what goes wrong | invariant broken |
//! |---|---|---|
//! | `skip_refund` | a cancelled contract's hold is released to nobody instead of refunded | conservation |
//! | `overdraw` | the ledger holds more than the client has (its funds check is skipped) | non_negativity |
//! | `leak_escrow` | a cancelled contract's escrow is never settled | escrow_completeness |
//! | `over_cap` | contracts record twice the budget ceiling, so bills may exceed it | budget_cap |
//! | `split_rounding` | each split part is rounded on its own (no remainder part) | exact_split |
//! | `skip_rejection` | the other proposals of a matched task are reported still pending | auto_rejection |
//! | `forbidden_transition` | the world skips delivery and a permissive table lets active → completed | valid_transitions |
//! | `settle_twice` | every settled escrow is settled a second time | no_double_settlement |
//! | `trust_overflow` | trust is not capped by `min(1, N / N_min)`, so it exceeds 1 | bounded_trust |
//! | `cyclic_dag` | decomposed jobs get a dependency cycle | dag_acyclicity |
//! | `forge_receipt` | completion receipts overstate the operator's share by one credit | receipt_replay |
//! | `skip_idempotency` | a repeated completion or cancellation (seed 003 duplicate delivery) is applied again: its escrow settled again, its rating recorded again | no_double_effect |

/// One deliberate bug (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Cancellation releases the hold to nobody instead of refunding it.
    SkipRefund,
    /// The ledger lets a hold exceed the client's available balance.
    Overdraw,
    /// Cancellation never settles the escrow.
    LeakEscrow,
    /// Contracts record twice the demand's budget ceiling.
    OverCap,
    /// The split rounds every part on its own.
    SplitRounding,
    /// The acceptance tally reports rejected proposals as pending.
    SkipRejection,
    /// Delivery is skipped and the transition table allows active → completed.
    ForbiddenTransition,
    /// Every settled escrow is settled again.
    SettleTwice,
    /// Trust is not capped at 1.
    TrustOverflow,
    /// Decomposed jobs carry a dependency cycle.
    CyclicDag,
    /// Completion receipts overstate the operator's share by one credit.
    ForgeReceipt,
    /// Repeated contract events are applied again (no idempotency guard).
    SkipIdempotency,
}

impl Fault {
    /// Every fault, in the module table's order.
    pub const ALL: [Fault; 12] = [
        Fault::SkipRefund,
        Fault::Overdraw,
        Fault::LeakEscrow,
        Fault::OverCap,
        Fault::SplitRounding,
        Fault::SkipRejection,
        Fault::ForbiddenTransition,
        Fault::SettleTwice,
        Fault::TrustOverflow,
        Fault::CyclicDag,
        Fault::ForgeReceipt,
        Fault::SkipIdempotency,
    ];

    /// snake_case name (the value of `MARKETSIM_FAULT`).
    pub fn name(self) -> &'static str {
        match self {
            Fault::SkipRefund => "skip_refund",
            Fault::Overdraw => "overdraw",
            Fault::LeakEscrow => "leak_escrow",
            Fault::OverCap => "over_cap",
            Fault::SplitRounding => "split_rounding",
            Fault::SkipRejection => "skip_rejection",
            Fault::ForbiddenTransition => "forbidden_transition",
            Fault::SettleTwice => "settle_twice",
            Fault::TrustOverflow => "trust_overflow",
            Fault::CyclicDag => "cyclic_dag",
            Fault::ForgeReceipt => "forge_receipt",
            Fault::SkipIdempotency => "skip_idempotency",
        }
    }

    /// The fault named `name`, if any.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }
}

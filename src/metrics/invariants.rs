//! Invariants checked while a run goes (SPEC §3–§6, Theorem 4, Propositions 5, 6, 7, 9).

/// The invariants, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invariant {
    /// Σ(available + held) + distributed = Σ initial, in total and per client; what is
    /// distributed is exactly what operators, platform and LLM reserve were paid; stakes are
    /// conserved in total and per agent (free + bonded + slashed = bond).
    Conservation,
    /// No balance ever negative: a client's flows leave `initial − held − released ≥ 0`, and
    /// no refund (`hold − bill`) is negative.
    NonNegativity,
    /// After the drain no escrow is still held.
    EscrowCompleteness,
    /// No bill exceeds its budget ceiling nor its hold (Proposition 6).
    BudgetCap,
    /// Split parts sum exactly to the total.
    ExactSplit,
    /// Accepting a proposal rejects every other one of the task (Proposition 5).
    AutoRejection,
    /// Only the eight valid contract transitions ever happen.
    ValidTransitions,
    /// No escrow is settled twice: every settlement attempt finds its escrow still held.
    NoDoubleSettlement,
    /// Trust and reputation stay in [0, 1] (Proposition 9).
    BoundedTrust,
    /// Every decomposed job is acyclic (Proposition 7).
    DagAcyclicity,
    /// Replaying the run's receipts rebuilds its ledger and agent table exactly (seed 003).
    /// Checked once per run by `marketsim check`; a plain `marketsim run` leaves it to
    /// `marketsim replay`.
    ReceiptReplay,
    /// A repeated delivery of a contract event (seed 003, `faults.duplicate_events`) has no
    /// effect: the market acknowledges it as a repeat, and it makes no settlement attempt, no
    /// reputation recording and no state change. One check per repeated delivery.
    NoDoubleEffect,
}

impl Invariant {
    /// All invariants, in output order.
    pub const ALL: [Invariant; Invariant::COUNT] = [
        Invariant::Conservation,
        Invariant::NonNegativity,
        Invariant::EscrowCompleteness,
        Invariant::BudgetCap,
        Invariant::ExactSplit,
        Invariant::AutoRejection,
        Invariant::ValidTransitions,
        Invariant::NoDoubleSettlement,
        Invariant::BoundedTrust,
        Invariant::DagAcyclicity,
        Invariant::ReceiptReplay,
        Invariant::NoDoubleEffect,
    ];

    /// Number of invariants.
    pub const COUNT: usize = 12;

    /// snake_case name used in `invariants.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::Conservation => "conservation",
            Invariant::NonNegativity => "non_negativity",
            Invariant::EscrowCompleteness => "escrow_completeness",
            Invariant::BudgetCap => "budget_cap",
            Invariant::ExactSplit => "exact_split",
            Invariant::AutoRejection => "auto_rejection",
            Invariant::ValidTransitions => "valid_transitions",
            Invariant::NoDoubleSettlement => "no_double_settlement",
            Invariant::BoundedTrust => "bounded_trust",
            Invariant::DagAcyclicity => "dag_acyclicity",
            Invariant::ReceiptReplay => "receipt_replay",
            Invariant::NoDoubleEffect => "no_double_effect",
        }
    }
}

/// The first violation of an invariant, for reproduction.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Simulated second.
    pub time: u64,
    /// What was being done.
    pub event: String,
}

/// Check and violation counts per invariant.
#[derive(Debug, Clone, Default)]
pub struct InvariantLog {
    checks: [u64; Invariant::COUNT],
    violations: [u64; Invariant::COUNT],
    first: [Option<Violation>; Invariant::COUNT],
}

impl InvariantLog {
    /// Records one check of `invariant`; on failure, `event` describes what was happening
    /// (built lazily: the hot path does not format strings).
    #[inline]
    pub fn check(
        &mut self,
        invariant: Invariant,
        ok: bool,
        time: u64,
        event: impl FnOnce() -> String,
    ) {
        let i = invariant as usize;
        self.checks[i] += 1;
        if !ok {
            self.violations[i] += 1;
            if self.first[i].is_none() {
                self.first[i] = Some(Violation {
                    time,
                    event: event(),
                });
            }
        }
    }

    /// Records `checks` checks of `invariant` at once, `violations` of which failed (at most
    /// `checks`); `event` describes the first failure, as in [`InvariantLog::check`].
    pub fn check_many(
        &mut self,
        invariant: Invariant,
        checks: u64,
        violations: u64,
        time: u64,
        event: impl FnOnce() -> String,
    ) {
        debug_assert!(violations <= checks);
        let i = invariant as usize;
        self.checks[i] += checks;
        if violations > 0 {
            self.violations[i] += violations;
            if self.first[i].is_none() {
                self.first[i] = Some(Violation {
                    time,
                    event: event(),
                });
            }
        }
    }

    /// Checks performed of `invariant`.
    pub fn checks(&self, invariant: Invariant) -> u64 {
        self.checks[invariant as usize]
    }

    /// Violations found of `invariant`.
    pub fn violations(&self, invariant: Invariant) -> u64 {
        self.violations[invariant as usize]
    }

    /// The first violation of `invariant`, if any.
    pub fn first_violation(&self, invariant: Invariant) -> Option<&Violation> {
        self.first[invariant as usize].as_ref()
    }

    /// Total violations over all invariants.
    pub fn total_violations(&self) -> u64 {
        self.violations.iter().sum()
    }
}

//! Invariants checked while a run goes (SPEC §3–§6, Theorem 4, Propositions 5, 6, 7, 9).

/// The invariants, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invariant {
    /// Σ(available + held) + distributed = Σ initial, in total and per client; stakes likewise.
    Conservation,
    /// No balance ever negative (checked arithmetic never underflowed).
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
    /// Trust and reputation stay in [0, 1] (Proposition 9).
    BoundedTrust,
    /// Every decomposed job is acyclic (Proposition 7).
    DagAcyclicity,
}

impl Invariant {
    /// All invariants, in output order.
    pub const ALL: [Invariant; 9] = [
        Invariant::Conservation,
        Invariant::NonNegativity,
        Invariant::EscrowCompleteness,
        Invariant::BudgetCap,
        Invariant::ExactSplit,
        Invariant::AutoRejection,
        Invariant::ValidTransitions,
        Invariant::BoundedTrust,
        Invariant::DagAcyclicity,
    ];

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
            Invariant::BoundedTrust => "bounded_trust",
            Invariant::DagAcyclicity => "dag_acyclicity",
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
    checks: [u64; 9],
    violations: [u64; 9],
    first: [Option<Violation>; 9],
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

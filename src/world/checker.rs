//! The one home of the invariants checked while a run goes (`metrics::Invariant`; SPEC §3–§6,
//! Theorem 4, Propositions 5, 6, 7, 9).
//!
//! The world calls a [`Checker`] at named points of a job's life; the checker judges the
//! market's state there and records one check (or several) in the run's [`InvariantLog`]. The
//! handlers hold no invariant logic, and the checker changes nothing but the log.
//!
//! ```text
//! post_dag ───────────── dag_refused | dag_levels        dag_acyclicity
//! contract_opened ────── after_opening                   auto_rejection
//!                 └───── after_client_change             conservation, non_negativity
//! deliver, dispute,
//! cancel, complete ───── transition                      valid_transitions
//! cancel, complete ───── after_settlements               no_double_settlement
//!                 └───── after_client_change             conservation, non_negativity
//! record_completion ──── after_completion                budget_cap, exact_split,
//!                                                        non_negativity, bounded_trust
//! slash ──────────────── after_slash                     conservation (stakes)
//! performance outcome ── after_forfeit                   conservation (stakes, penalty)
//! duplicate delivery ─── effects, after_redelivery       no_double_effect
//! sample ─────────────── at_sample                       conservation (ledger recount)
//! end of the drain ───── at_end                          escrow_completeness, conservation
//! ```
//!
//! `receipt_replay` is checked once per run from the receipts (`replay::check_invariant`).

use super::World;
use crate::engine::SimTime;
use crate::market::contract::{self, ContractState, TransitionPolicy};
use crate::market::decompose::Dag;
use crate::market::marketplace::{
    Applied, Completed, ContractEvent, MarketError, Marketplace, Opened, Settlements,
};
use crate::market::slab::Lookup;
use crate::market::{AgentId, ClientId, ContractId, Credits};
use crate::metrics::{Invariant, InvariantLog};
use std::fmt::Display;

/// The invariant checks of a run, over the market's state at the moment of the call.
pub(super) struct Checker<'a> {
    market: &'a Marketplace,
    log: &'a mut InvariantLog,
    /// Credits paid out of escrow so far (operators, platform, LLM reserve).
    paid_out: u64,
    /// The scenario's contract transition table (SPEC §4).
    policy: TransitionPolicy,
}

impl World {
    /// The checker of this world's invariants, at the present state.
    pub(super) fn checker(&mut self) -> Checker<'_> {
        Checker {
            market: &self.market,
            log: &mut self.recorder.invariants,
            paid_out: self.recorder.counters.paid_out,
            policy: TransitionPolicy {
                allow_active_completion: self.scenario.file().market.allow_active_completion,
            },
        }
    }
}

impl Checker<'_> {
    /// At every sample: a full recount of the ledger cross-checks its incremental totals.
    pub(super) fn at_sample(&mut self, now: SimTime) {
        let recount = self.market.ledger().recompute_totals() == self.market.ledger().totals();
        self.log.check(Invariant::Conservation, recount, now, || {
            "ledger recount at sample".into()
        });
    }

    /// After the drain: no escrow still held, and the final totals (ledger and stakes)
    /// conserved.
    pub(super) fn at_end(&mut self, end: SimTime) {
        let open = self.market.ledger().open_escrows();
        self.log
            .check(Invariant::EscrowCompleteness, open == 0, end, || {
                format!("{open} escrow(s) still held after the drain")
            });
        let conserved =
            self.market.ledger().totals().is_conserved() && self.market.stakes_conserved();
        self.log.check(Invariant::Conservation, conserved, end, || {
            "final totals".into()
        });
    }

    /// A decomposed job's subtasks could not be ordered (Proposition 7).
    pub(super) fn dag_refused(&mut self, now: SimTime, error: impl Display) {
        self.log.check(Invariant::DagAcyclicity, false, now, || {
            format!("decompose failed: {error}")
        });
    }

    /// A decomposed job of `n` subtasks: its parallel `levels` cover every subtask, and every
    /// edge goes from a lower level to a higher one (Proposition 7).
    pub(super) fn dag_levels(&mut self, now: SimTime, dag: &Dag, levels: &[Vec<usize>], n: usize) {
        let covered: usize = levels.iter().map(Vec::len).sum();
        let forward = dag.edges().all(|(a, b)| dag.level_of(a) < dag.level_of(b));
        self.log.check(
            Invariant::DagAcyclicity,
            covered == n && forward,
            now,
            || "levels do not cover the DAG in edge order".into(),
        );
    }

    /// A contract opened: exactly one proposal accepted, every other one rejected, the book
    /// of the task empty (Proposition 5).
    pub(super) fn after_opening(&mut self, now: SimTime, opened: &Opened) {
        self.log.check(
            Invariant::AutoRejection,
            opened.accepted == 1
                && opened.rejected + 1 == opened.proposals
                && self.market.depth(opened.task).ok() == Some((0, 0)),
            now,
            || {
                format!(
                    "task {}: {} of {} proposals rejected",
                    opened.task, opened.rejected, opened.proposals
                )
            },
        );
    }

    /// After a hold or a settlement of `client`: conservation (in total, for the client, and
    /// distributed = paid out) and non-negativity of the client's balances.
    pub(super) fn after_client_change(&mut self, now: SimTime, client: ClientId) {
        let ledger = self.market.ledger();
        let totals = ledger.totals();
        let ok = totals.is_conserved()
            && ledger.is_client_conserved(client) == Some(true)
            && totals.distributed.0 == self.paid_out;
        let paid = self.paid_out;
        self.log.check(Invariant::Conservation, ok, now, || {
            let own = match ledger.is_client_conserved(client) {
                Some(true) => "conserved",
                _ => "NOT conserved",
            };
            format!(
                "client {client}: available {} + held {} + distributed {} vs initial {}; \
                 client {own}; distributed {} vs paid out {paid}",
                totals.available,
                totals.held,
                totals.distributed,
                totals.initial,
                totals.distributed
            )
        });
        // Balances are unsigned, so a negative one shows in the flows: what the client's
        // initial credits leave once its holds and releases are taken out.
        let (initial, balance, released) = (
            ledger.initial(client).unwrap_or_default(),
            ledger.balance(client).unwrap_or_default(),
            ledger.released(client).unwrap_or_default(),
        );
        let implied = i128::from(initial.0) - i128::from(balance.held.0) - i128::from(released.0);
        self.log
            .check(Invariant::NonNegativity, implied >= 0, now, || {
                format!(
                    "client {client}: initial {initial} − held {} − released {released} = {implied}",
                    balance.held
                )
            });
    }

    /// Counts every escrow settlement attempt the last operation on `contract` made since
    /// `before` as one check; an attempt on an already settled escrow is a violation.
    pub(super) fn after_settlements(
        &mut self,
        now: SimTime,
        contract: ContractId,
        before: Settlements,
    ) {
        let after = self.market.settlements();
        let (attempts, repeated) = (
            after.attempts - before.attempts,
            after.repeated - before.repeated,
        );
        self.log.check_many(
            Invariant::NoDoubleSettlement,
            attempts,
            repeated,
            now,
            || format!("contract {contract}: {repeated} of {attempts} settlements repeated"),
        );
    }

    /// Records one contract transition attempt `from → to` as a check of
    /// [`Invariant::ValidTransitions`]; returns whether the market performed it. The checker
    /// judges the transition against the scenario's table itself (SPEC §4), so a market that
    /// wrongly performs a forbidden transition is caught as well as one that refuses a valid one.
    pub(super) fn transition(
        &mut self,
        now: SimTime,
        contract: ContractId,
        what: &str,
        from: Option<ContractState>,
        to: ContractState,
        result: Result<(), MarketError>,
    ) -> bool {
        let valid = from.is_some_and(|f| contract::transition(f, to, self.policy).is_ok());
        let performed = result.is_ok();
        self.log.check(
            Invariant::ValidTransitions,
            performed && valid,
            now,
            || match result {
                Ok(()) => {
                    let from = from.map_or("retired".to_string(), |f| f.to_string());
                    format!("{what} contract {contract}: {from} -> {to} is not in the table")
                }
                Err(e) => format!("{what} contract {contract}: {e}"),
            },
        );
        performed
    }

    /// A contract of budget ceiling `budget` completed: its bill within the ceiling and the
    /// hold (Proposition 6), its split exact, its refund non-negative, and the agent's R, T
    /// and γ in [0, 1] (Proposition 9).
    pub(super) fn after_completion(&mut self, now: SimTime, budget: Credits, done: &Completed) {
        let inv = &mut *self.log;
        let split = done.split;
        inv.check(
            Invariant::BudgetCap,
            done.bill <= budget && done.bill <= done.hold,
            now,
            || {
                format!(
                    "bill {} over ceiling {} or hold {}",
                    done.bill, budget, done.hold
                )
            },
        );
        inv.check(
            Invariant::ExactSplit,
            split.operator().0 + split.platform().0 + split.llm_reserve().0 == split.total().0
                && split.total() == done.bill,
            now,
            || {
                format!(
                    "split of bill {}: operator {} + platform {} + reserve {} (total {})",
                    done.bill,
                    split.operator(),
                    split.platform(),
                    split.llm_reserve(),
                    split.total()
                )
            },
        );
        inv.check(
            Invariant::NonNegativity,
            done.bill.checked_add(done.refunded) == Some(done.hold),
            now,
            || {
                format!(
                    "bill {} + refund {} != hold {}",
                    done.bill, done.refunded, done.hold
                )
            },
        );
        let rec = done.recording;
        inv.check(
            Invariant::BoundedTrust,
            (0.0..=1.0).contains(&rec.reputation)
                && (0.0..=1.0).contains(&rec.trust)
                && (0.0..=1.0).contains(&rec.suspicion),
            now,
            || format!("R {} T {} γ {}", rec.reputation, rec.trust, rec.suspicion),
        );
    }

    /// After a slash of `agent`: stakes conserved in total, and for this agent (its bond of
    /// `bond` credits is all it ever deposited: free + bonded + slashed = bond).
    pub(super) fn after_slash(&mut self, now: SimTime, agent: AgentId, bond: u64) {
        let own = self.stake_adds_up(agent, bond);
        let conserved = self.market.stakes_conserved() && own;
        self.log.check(Invariant::Conservation, conserved, now, || {
            format!("slash {agent}")
        });
    }

    /// After a performance-market penalty (seed 004): as after a slash when staking is on, and
    /// the forfeit never exceeds the penalty due.
    pub(super) fn after_forfeit(
        &mut self,
        now: SimTime,
        agent: AgentId,
        bond: u64,
        forfeited: Credits,
        penalty: Credits,
    ) {
        let own = self.market.stakes().is_none() || self.stake_adds_up(agent, bond);
        let conserved = own && self.market.stakes_conserved() && forfeited <= penalty;
        self.log.check(Invariant::Conservation, conserved, now, || {
            format!("performance penalty of {agent}")
        });
    }

    /// Whether `agent`'s free, bonded and slashed stake add up to its initial `bond`.
    fn stake_adds_up(&self, agent: AgentId, bond: u64) -> bool {
        self.market
            .stakes()
            .and_then(|s| s.stake_of(agent))
            .is_some_and(|s| {
                u128::from(s.free.0) + u128::from(s.bonded.0) + u128::from(s.slashed.0)
                    == u128::from(bond)
            })
    }

    /// What a contract event can change, read before and after a repeated delivery (seed
    /// 003): settlement attempts, the agent's reputation recordings, the contract's state.
    pub(super) fn effects(&self, contract: ContractId) -> Effects {
        let contracts = self.market.contracts();
        let (state, agent) = match contracts.get(contract) {
            Lookup::Live(c) => (Some(c.state()), Some(c.agent())),
            _ => (None, contracts.ended(contract).map(|c| c.agent())),
        };
        let recordings = agent.map(|a| self.market.reputation().recordings(a));
        (self.market.settlements().attempts, recordings, state)
    }

    /// After a repeated delivery of `event`: the market acknowledged a repeat and nothing it
    /// could change moved since `before`.
    pub(super) fn after_redelivery(
        &mut self,
        now: SimTime,
        event: &ContractEvent,
        result: &Result<Applied, MarketError>,
        before: Effects,
    ) {
        let contract = event.contract;
        let after = self.effects(contract);
        let ok = *result == Ok(Applied::Repeat) && before == after;
        self.log.check(Invariant::NoDoubleEffect, ok, now, || {
            format!(
                "repeated {} of contract {contract}: {result:?}; (settlement attempts, \
                 agent's recordings, state) {before:?} -> {after:?}",
                event.target()
            )
        });
    }
}

/// What a contract event can change ([`Checker::effects`]).
pub(super) type Effects = (u64, Option<u64>, Option<ContractState>);

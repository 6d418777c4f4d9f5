//! Whitewashing in the world (SPEC §9): carrying out an owner's decision
//! (`agents::whitewash`) to abandon an identity and register a fresh one.

use super::{Event, Job, World};
use crate::agents::{Collusion, whitewash};
use crate::engine::{EventQueue, SimTime};
use crate::market::AgentId;
use crate::receipts::Receipt;
use crate::scenario::PopulationGroup;

impl World {
    /// A sybil owner abandons an identity whose trust fell below its threshold once seasoned,
    /// and registers a fresh one (independent sybils never do).
    pub(super) fn maybe_whitewash(
        &mut self,
        now: SimTime,
        agent: AgentId,
        queue: &mut EventQueue<Event>,
    ) {
        let group = self.population.group(agent);
        let PopulationGroup::Sybil(g) = &self.scenario.file().population[group] else {
            return;
        };
        let identity = self.population.get(agent);
        let threshold = match g.independent {
            Some(true) => 0.0,
            _ => g.whitewash_trust,
        };
        if !whitewash::sybil_whitewashes(identity, threshold, self.market.reputation()) {
            return;
        }
        let (collusion, collude) = (identity.collusion, g.collude);
        let fresh = self.replace_identity(now, agent, collusion);
        if collude {
            self.schedule_wash(fresh, now, queue);
        }
    }

    /// Whether the agent of a contract just opened defects as a camouflage gamer.
    pub(super) fn camouflage_defects(&self, agent: AgentId, high_value: bool) -> bool {
        whitewash::camouflage_defects(
            agent,
            self.population.bidders[agent.index()].kind,
            high_value,
            self.recorder.top_decile,
            self.market.reputation(),
        )
    }

    /// A camouflage gamer abandons its identity once a contract it defected on has ended.
    pub(super) fn camouflage_whitewash(&mut self, now: SimTime, j: &Job) {
        if whitewash::camouflage_whitewashes(self.population.get(j.agent), j.defect) {
            self.replace_identity(now, j.agent, Collusion::None);
        }
    }

    /// Abandons `agent` and registers a fresh identity of the same owner, kind and group
    /// (colluding as `collusion`); returns the fresh one.
    fn replace_identity(&mut self, now: SimTime, agent: AgentId, collusion: Collusion) -> AgentId {
        let identity = self.population.get(agent);
        let (owner, kind) = (identity.owner, identity.kind);
        let group = self.population.group(agent);
        self.population.deactivate(agent);
        self.emit(now, || Receipt::Whitewash { agent });
        self.recorder.agents[agent.index()].abandoned();
        self.recorder.counters.whitewashes += 1;
        self.add_identity(owner, kind, group, collusion, now)
    }
}

//! Reading ahead (issue 15): the records the next steps of the run will use are read early,
//! so that their cache misses overlap with other work instead of stalling it. Reads only, and
//! no `unsafe`: nothing here can change the run (`std::hint::black_box` keeps the reads).

use super::World;
use crate::engine::{Key, Stream};
use crate::market::AgentId;
use crate::market::routing::{self, Routing};

impl World {
    /// Reads what posting `arrival` will read of its invitees — bidder entry, R, stake and
    /// earnings — one arrival ahead. The invitees are drawn as the posting draws them (its
    /// capability from its own keyed attributes, then its keyed bids stream against today's
    /// pools) on fresh copies of those streams; they may differ from the real ones if the
    /// pools change in between, which costs only a wasted read.
    pub(super) fn touch_arrival(&mut self, arrival: Key) {
        let attributes = self.arrival_attributes(arrival);
        if attributes.decomposed {
            return;
        }
        let mut invited = std::mem::take(&mut self.invited);
        let routing = Routing {
            alpha: self.scenario.file().market.anti_concentration,
            mean_payout: self.operator_payouts as f64 / self.population.identities.len() as f64,
        };
        let earnings = |a: AgentId| self.recorder.agents[a.index()].earnings;
        routing::invite(
            &self.population.pools[attributes.capability as usize],
            self.scenario.file().clients.proposals_per_job as usize,
            routing,
            earnings,
            &mut self.streams.keyed(Stream::Bids, arrival),
            &mut invited,
        );
        let engine = self.market.reputation();
        for &agent in &invited {
            std::hint::black_box((
                self.population.bidders[agent.index()],
                engine.reputation(agent),
                self.market.can_bid(agent),
            ));
        }
        self.invited = invited;
    }
}

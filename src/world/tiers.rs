//! Seed 002 reputation tiers in the world (SPEC §7): which tier each winner was in when it
//! won, and tier membership at every sample. An identity's tier is that of its ranking signal
//! (`market.ranking`: R or T), the same number that sets its bidding power
//! (`market.bidding_power`), under the scenario's tier table (`[market.tiers]`).

use super::World;
use crate::market::{AgentId, Credits};
use crate::metrics::TierSample;
use crate::scenario::Ranking;

impl World {
    /// The ranking signal of `agent` (R or T, as `market.ranking`).
    fn ranking_signal(&self, agent: AgentId) -> f64 {
        let engine = self.market.reputation();
        match self.scenario.file().market.ranking {
            Ranking::Reputation => engine.reputation(agent),
            Ranking::Trust => engine.trust(agent),
        }
    }

    /// Adds the value of a contract `agent` just won to its tier's total.
    pub(super) fn record_tier_win(&mut self, agent: AgentId, price: Credits) {
        let tier = self.scenario.tier_config().tier(self.ranking_signal(agent));
        self.recorder.tier_value[tier.index()] += price.0;
    }

    /// Live identities per tier now, and value won per tier so far.
    pub(super) fn tier_sample(&self) -> TierSample {
        let tiers = self.scenario.tier_config();
        let mut identities = [0; 4];
        for (index, bidder) in self.population.bidders.iter().enumerate() {
            if bidder.active {
                let signal = self.ranking_signal(AgentId(index as u32));
                identities[tiers.tier(signal).index()] += 1;
            }
        }
        TierSample {
            identities,
            value_won: self.recorder.tier_value,
        }
    }
}

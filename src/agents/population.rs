//! Building the population from the scenario's `[[population]]` groups.

use super::config::{GroupConfig, Strategy};
use crate::market::{AgentId, ClientId, DIMENSIONS, OwnerId, QualityVector, Weights};
use rand::Rng;

/// The ground-truth type of an identity (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Honest agent.
    Honest,
    /// Gaming agent with its strategy.
    Gaming(Strategy),
    /// Identity of a sybil owner.
    Sybil,
    /// Member of a colluding ring.
    Ring,
}

impl Kind {
    /// Every kind, in the order used for output columns.
    /// (Self-reporting gamers come last: they were added after the others, and the order fixes
    /// the column order of existing outputs.)
    pub const ALL: [Kind; 14] = [
        Kind::Honest,
        Kind::Gaming(Strategy::ScoreInflation),
        Kind::Gaming(Strategy::RapidCycling),
        Kind::Gaming(Strategy::PerfectStreak),
        Kind::Gaming(Strategy::ReputationFarming),
        Kind::Gaming(Strategy::ConfidenceInflation),
        Kind::Sybil,
        Kind::Ring,
        Kind::Gaming(Strategy::SelfReport),
        Kind::Gaming(Strategy::OnOff),
        Kind::Gaming(Strategy::DetectorAware),
        Kind::Gaming(Strategy::UnfairRating),
        Kind::Gaming(Strategy::Camouflage),
        Kind::Gaming(Strategy::Miscalibrated),
    ];

    /// snake_case label used in CSV output.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Honest => "honest",
            Kind::Gaming(Strategy::ScoreInflation) => "score_inflation",
            Kind::Gaming(Strategy::RapidCycling) => "rapid_cycling",
            Kind::Gaming(Strategy::PerfectStreak) => "perfect_streak",
            Kind::Gaming(Strategy::ReputationFarming) => "reputation_farming",
            Kind::Gaming(Strategy::ConfidenceInflation) => "confidence_inflation",
            Kind::Gaming(Strategy::SelfReport) => "self_report",
            Kind::Gaming(Strategy::OnOff) => "on_off",
            Kind::Gaming(Strategy::DetectorAware) => "detector_aware",
            Kind::Gaming(Strategy::UnfairRating) => "unfair_rating",
            Kind::Gaming(Strategy::Camouflage) => "camouflage",
            Kind::Gaming(Strategy::Miscalibrated) => "miscalibrated",
            Kind::Sybil => "sybil",
            Kind::Ring => "ring",
        }
    }

    /// Position in [`Kind::ALL`].
    pub fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).expect("listed")
    }
}

/// One agent identity and its ground truth (88 bytes, issue 15; its `[[population]]` group
/// is in its [`Bidder`] entry, [`Population::group`]).
#[derive(Debug, Clone)]
pub struct Identity {
    /// Market id.
    pub id: AgentId,
    /// The real party behind it.
    pub owner: OwnerId,
    /// Ground-truth type.
    pub kind: Kind,
    /// Latent mean quality per dimension (what honest clients observe on average).
    pub latent: [f64; DIMENSIONS],
    /// Capability bitmask.
    pub capabilities: u64,
    /// Whom it colludes with.
    pub collusion: Collusion,
    /// Whether it still bids (whitewashed sybil identities stop).
    pub active: bool,
    /// Simulated second it was created.
    pub created_at: u64,
}

impl Identity {
    /// The owner's colluding client account, for wash strategies, colluding sybils and rings.
    #[inline]
    pub fn colluding_client(&self) -> Option<ClientId> {
        match self.collusion {
            Collusion::None => None,
            Collusion::Client(client) | Collusion::Ring { client, .. } => Some(client),
        }
    }

    /// Ring number, for ring members.
    #[inline]
    pub fn ring(&self) -> Option<u32> {
        match self.collusion {
            Collusion::Ring { ring, .. } => Some(ring),
            _ => None,
        }
    }
}

/// Whom an identity colludes with (SPEC §9): one 12-byte field instead of two options of 8
/// (issue 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collusion {
    /// Nobody.
    None,
    /// Its owner's colluding client account (wash strategies, colluding sybils).
    Client(ClientId),
    /// A ring member: its ring's number and its owner's client account.
    Ring {
        /// Index into [`Population::rings`].
        ring: u32,
        /// The owner's client account, which hires the ring's other members.
        client: ClientId,
    },
}

impl From<Option<ClientId>> for Collusion {
    /// A colluding client, or nobody.
    fn from(client: Option<ClientId>) -> Self {
        client.map_or(Collusion::None, Collusion::Client)
    }
}

/// What inviting and pricing a bid reads of an identity, packed into 16 bytes so that a large
/// population's hot path touches one small entry per bidder instead of a whole [`Identity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bidder {
    /// Ground-truth type (as [`Identity::kind`]).
    pub kind: Kind,
    /// Whether it still bids (as [`Identity::active`]).
    pub active: bool,
    /// Index of its `[[population]]` group.
    pub group: u32,
    /// Weighted latent quality `⟨w, latent⟩` under the scenario's weights: its true quality,
    /// and, clamped to [0, 1], its truthful confidence.
    pub quality: f64,
}

/// Everybody in the run, indexed densely: `identities[agent.index()]`.
#[derive(Debug, Default)]
pub struct Population {
    /// All identities ever created, whitewashed ones included.
    pub identities: Vec<Identity>,
    /// The hot part of each identity, same index: kept in step by [`Population::push`] and
    /// [`Population::deactivate`].
    pub bidders: Vec<Bidder>,
    /// Active identities per capability, for bidder sampling.
    pub pools: Vec<Vec<AgentId>>,
    /// Ring members, per ring.
    pub rings: Vec<Vec<AgentId>>,
    /// Number of owners.
    pub owners: u32,
    /// Changes of `pools` so far: draws made from the pools in advance are valid while it
    /// stays the same (`world`'s early invitations; issue 15).
    pools_version: u64,
}

/// Draws an agent's latent quality vector: a centre from the group's quality distribution,
/// then each dimension jittered uniformly by ± the group's jitter, clamped into [0, 1].
pub fn latent_quality(draws: &GroupConfig, rng: &mut impl Rng) -> [f64; DIMENSIONS] {
    let centre = draws.quality.sample(rng);
    let j = draws.jitter;
    std::array::from_fn(|_| {
        let jitter: f64 = if j > 0.0 {
            rng.random_range(-j..=j)
        } else {
            0.0
        };
        (centre + jitter).clamp(0.0, 1.0)
    })
}

/// Draws 1–3 capabilities out of `n`.
pub fn capability_mask(n: u32, rng: &mut impl Rng) -> u64 {
    let count = rng.random_range(1..=3.min(n));
    let mut mask = 0u64;
    while mask.count_ones() < count {
        mask |= 1 << rng.random_range(0..n);
    }
    mask
}

impl Population {
    /// An empty population whose identities may have `capabilities` capabilities.
    pub fn with_capabilities(capabilities: usize) -> Self {
        Self {
            pools: vec![Vec::new(); capabilities],
            ..Self::default()
        }
    }

    /// Changes of the capability pools so far (pushes of active identities and
    /// deactivations).
    pub fn pools_version(&self) -> u64 {
        self.pools_version
    }

    /// Adds an identity of `[[population]]` group `group` (the caller has registered `id`
    /// with the market, in order); `weights` are the scenario's reputation weights, for its
    /// [`Bidder::quality`].
    pub fn push(&mut self, identity: Identity, group: u32, weights: &Weights) {
        debug_assert_eq!(identity.id.index(), self.identities.len());
        self.bidders.push(Bidder {
            kind: identity.kind,
            active: identity.active,
            group,
            quality: weights.dot(&QualityVector::clamped(identity.latent)),
        });
        for cap in 0..self.pools.len() {
            if identity.active && identity.capabilities & (1 << cap) != 0 {
                self.pools[cap].push(identity.id);
            }
        }
        self.pools_version += 1;
        self.identities.push(identity);
    }

    /// Stops `agent` from bidding (whitewashing abandons an identity). Pools stay in id
    /// order (identities are pushed in id order), so the agent is found by binary search.
    pub fn deactivate(&mut self, agent: AgentId) {
        let identity = &mut self.identities[agent.index()];
        identity.active = false;
        self.bidders[agent.index()].active = false;
        let caps = identity.capabilities;
        self.pools_version += 1;
        for (cap, pool) in self.pools.iter_mut().enumerate() {
            if caps & (1 << cap) != 0
                && let Ok(position) = pool.binary_search(&agent)
            {
                pool.remove(position);
            }
        }
    }

    /// The identity of `agent`.
    #[inline]
    pub fn get(&self, agent: AgentId) -> &Identity {
        &self.identities[agent.index()]
    }

    /// The packed hot part of `agent`'s identity (kind, activity, group, true quality): what a
    /// job's path reads instead of the whole [`Identity`] where that is enough (issue 15).
    #[inline]
    pub fn bidder(&self, agent: AgentId) -> Bidder {
        self.bidders[agent.index()]
    }

    /// Index of `agent`'s `[[population]]` group.
    #[inline]
    pub fn group(&self, agent: AgentId) -> usize {
        self.bidders[agent.index()].group as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(id: u32, capabilities: u64, active: bool) -> Identity {
        Identity {
            id: AgentId(id),
            owner: OwnerId(id),
            kind: Kind::Honest,
            latent: [0.5; DIMENSIONS],
            capabilities,
            collusion: Collusion::None,
            active,
            created_at: 0,
        }
    }

    /// Early invitations (`world`) are valid only while the version is unchanged: every
    /// change of a pool must move it.
    #[test]
    fn every_pool_change_moves_the_pools_version() {
        let w = Weights::uniform();
        let mut p = Population::with_capabilities(2);
        let v0 = p.pools_version();
        p.push(identity(0, 0b01, true), 0, &w);
        let v1 = p.pools_version();
        assert_ne!(v0, v1);
        assert_eq!(p.pools, [vec![AgentId(0)], vec![]]);
        p.push(identity(1, 0b11, true), 0, &w);
        let v2 = p.pools_version();
        assert_ne!(v1, v2);
        p.deactivate(AgentId(1));
        assert_ne!(p.pools_version(), v2);
        assert_eq!(p.pools, [vec![AgentId(0)], vec![]]);
    }
}

//! The bid-stream collusion detectors and cover bidding, wired into the world (SPEC §7,
//! seed 002; README "Collusion and shill detection").
//!
//! - Every proposal the world submits (market jobs, wash jobs, cover bids) is shown to the
//!   detectors of [`crate::market::collusion`] when `[collusion]` is on: the job, the identity,
//!   the second and the ask over the job's budget ceiling. Nothing else: no ownership, no ring.
//! - Cover bidding ([`Cover`](crate::agents::config::Cover)), when a ring or sybil group turns
//!   it on: after an identity bids on a market job it was invited to, `bidders` of its partners
//!   (fellow ring members, or the owner's other identities), active, able to bid and not invited
//!   themselves, bid on the same job at once with cover asks. One group covers a job once (its
//!   first invited bidder is the designated one). Draws come from the `CoverBids` stream keyed by
//!   the job and the designated agent, so switching cover bidding on moves no other draw. Under
//!   the continuous rule the designated bid usually matches on arrival, leaving nothing to cover;
//!   the window-clearing rules (call and auctions) see every cover bid.

use super::{Event, World};
use crate::agents::{Ask, behaviour};
use crate::engine::{EventQueue, Key, SimTime, Stream};
use crate::market::collusion::{Bid, BidDetector, BidDetectors};
use crate::market::slab::SlabKey;
use crate::market::{AgentId, Credits, OwnerId};
use crate::metrics::BidDetection;
use crate::scenario::ScenarioFile;
use rand::Rng;

/// A group whose identities bid together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coalition {
    Ring(u32),
    Owner(OwnerId),
}

/// The world's collusion state: the detectors (when on) and cover bidding's bookkeeping.
pub(super) struct Collusion {
    detectors: Option<BidDetectors>,
    /// Each owner's identities, by owner id; inactive ones are dropped when met.
    owners: Vec<Vec<AgentId>>,
    /// Identities already filed in `owners` (identities are only ever appended).
    filed: usize,
    /// The job whose bids are being placed, and the coalitions that already covered on it.
    job: Option<SlabKey>,
    covered: Vec<Coalition>,
    /// Candidate partners (reused).
    partners: Vec<AgentId>,
}

impl Collusion {
    /// Detectors on when the scenario has a `[collusion]` table.
    pub(super) fn new(file: &ScenarioFile) -> Self {
        Self {
            detectors: file
                .collusion
                .as_ref()
                .map(|c| BidDetectors::new(c.config())),
            owners: Vec::new(),
            filed: 0,
            job: None,
            covered: Vec::new(),
            partners: Vec::new(),
        }
    }
}

impl World {
    /// Shows a proposal of `agent` on `job` at `price` to the detectors, when they are on.
    pub(super) fn observe_bid(
        &mut self,
        now: SimTime,
        job: SlabKey,
        agent: AgentId,
        price: Credits,
    ) {
        let Some(detectors) = self.collusion.detectors.as_mut() else {
            return;
        };
        let j = self.jobs.get(job).expect("live job");
        detectors.observe(Bid {
            job: j.task,
            agent,
            time: now,
            relative_ask: price.as_f64() / j.budget.as_f64(),
        });
    }

    /// After `agent`, invited to the market job `job` with the others of `invited`, bid `ask`:
    /// its group's cover bids, if it covers and has not covered this job yet. Returns whether a
    /// cover bid ended the job's bidding (a continuous match, or an unfunded client).
    pub(super) fn cover_bids(
        &mut self,
        now: SimTime,
        job: SlabKey,
        agent: AgentId,
        ask: Ask,
        invited: &[AgentId],
        queue: &mut EventQueue<Event>,
    ) -> bool {
        // The packed bidder entry (already read for the bid) tells whether the group covers:
        // the full identity is read only for a covering group (issue 15: one cache miss less
        // per bid in a large population).
        let Some(cover) = self.config.groups[self.population.group(agent)].cover else {
            return false;
        };
        let identity = self.population.get(agent);
        let coalition = match identity.ring() {
            Some(ring) => Coalition::Ring(ring),
            None => Coalition::Owner(identity.owner),
        };
        if self.collusion.job != Some(job) {
            self.collusion.job = Some(job);
            self.collusion.covered.clear();
        }
        if self.collusion.covered.contains(&coalition) {
            return false;
        }
        self.collusion.covered.push(coalition);
        let mut partners = std::mem::take(&mut self.collusion.partners);
        partners.clear();
        match coalition {
            Coalition::Ring(ring) => {
                partners.extend_from_slice(&self.population.rings[ring as usize]);
            }
            Coalition::Owner(owner) => {
                self.file_owners();
                let bidders = &self.population.bidders;
                let own = &mut self.collusion.owners[owner.index()];
                own.retain(|p| bidders[p.index()].active);
                partners.extend_from_slice(own);
            }
        }
        partners.retain(|&p| {
            p != agent
                && self.population.bidders[p.index()].active
                && !invited.contains(&p)
                && self.market.can_bid(p)
        });
        let key = self.jobs.get(job).expect("live job").key;
        let mut rng = self.streams.keyed(
            Stream::CoverBids,
            Key(key.0, u64::from(agent.0) << 32 | key.1),
        );
        let mut ended = false;
        for i in 0..(cover.bidders as usize).min(partners.len()) {
            let pick = rng.random_range(i..partners.len());
            partners.swap(i, pick);
            let cover_ask = behaviour::cover_ask(ask, &cover, &mut rng);
            if self.submit(now, job, partners[i], cover_ask, queue) {
                ended = true;
                break;
            }
        }
        self.collusion.partners = partners;
        ended
    }

    /// Files the identities created since the last call under their owners.
    fn file_owners(&mut self) {
        let owners = &mut self.collusion.owners;
        for i in &self.population.identities[self.collusion.filed..] {
            if owners.len() <= i.owner.index() {
                owners.resize(i.owner.index() + 1, Vec::new());
            }
            owners[i.owner.index()].push(i.id);
        }
        self.collusion.filed = self.population.identities.len();
    }

    /// At the end of the run: every identity's statistics and first flags, for the metrics.
    pub(super) fn finish_collusion(&mut self) {
        let Some(d) = &self.collusion.detectors else {
            return;
        };
        let n = self.population.identities.len();
        self.recorder.bid_detection = Some(BidDetection {
            statistics: d.statistics(n),
            first_flag: (0..n)
                .map(|i| BidDetector::ALL.map(|det| d.first_flag(AgentId(i as u32), det)))
                .collect(),
        });
    }
}

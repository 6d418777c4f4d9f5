//! Collusion and shill detection from the bid stream (SPEC §7, seed 002
//! `check_synchronized_bidding`, `check_price_coordination`).
//!
//! The detectors see only what the market sees of a bid: which identity bid on which job,
//! when, and its *relative ask* `x = ask / budget ceiling`. They never read ownership or ring
//! membership (the ground truth they are judged against).
//!
//! ```text
//!  bid (job j, identity a, time t, x) ──▶ evict bids older than t − Δ from the window
//!        │
//!        ├─ repeated bid of a on j inside the window ─▶ ignored
//!        ▼
//!  for every bid (b, t', y) on j still in the window (b ≠ a): a *co-bid* of the pair {a, b}
//!        pair {a, b}: C += 1; running co-moments of (x_lo, x_hi)      (created on its first co-bid)
//!        synchronised bids:   C ≥ m_s  and  J = C / (n_a + n_b − C) ≥ θ_s   ─▶ flag a and b
//!        price coordination:  C ≥ m_p  and  ρ = Pearson(x_lo, x_hi)   ≥ θ_p   ─▶ flag a and b
//! ```
//!
//! - `n_a` counts a's bids (all jobs, ignored repeats excluded), `C` the pair's co-bids: pairs
//!   of bids by the two identities on the same job at most Δ seconds apart. With one bid per
//!   identity per job (the simulator's case) `C ≤ min(n_a, n_b)` and `J` is the Jaccard index
//!   of the two identities' sets of bids; a repeated bid more than Δ after the first can push the
//!   raw ratio above 1, so `J` is capped at 1.
//! - `ρ` is the Pearson correlation of the two identities' relative asks over their co-bids
//!   (`x_lo` the ask of the identity with the lower id); 0 when either side's asks are constant
//!   (sum of squared deviations ≤ 1e-12 × C).
//! - An identity's statistic (for ROC curves) is the largest `J` (`ρ`) over its pairs with at
//!   least the minimum support, read when asked; `−∞` without such a pair. It is flagged at the
//!   first co-bid after which one of its pairs is over the threshold.
//!
//! **Cost.** A bid costs O(b + e): b the bids on its job inside the window (bounded by the
//! invitations per job in the simulator), e the evicted bids (amortised O(1): each bid is
//! evicted once), plus O(1) hash-map work per co-bid. Memory: the window holds only the bids
//! of the last Δ seconds; pair records exist only for pairs that co-bid at least once (never an
//! all-pairs table), about 85 bytes each with their index entry (≈ 106 measured at the tables'
//! peak, with their growth slack); 40 bytes per identity (its bid
//! count and first flags). The pair table grows with the stream only until every pair that
//! co-bids has been seen: at most k(k − 1)/2 new records per job of k bidders, and never more
//! than the pairs of identities that can share a job (in the simulator: a capability pool, or a
//! cover-bidding ring or owner with its bidders).
//!
//! **Memory.** Without a pair memory, pair records are never forgotten, and in a large market
//! nearly every pair of a job's bidders is new: the table grows with the run (the scenario's
//! memory estimate counts it, `scenario::limits`, so a run whose table cannot fit is refused
//! before it starts). With a pair memory M, a pair that goes more than M seconds without a
//! co-bid is forgotten: its next co-bid starts its counts afresh (the identities' bid counts
//! and first flags stay), and the statistics leave it out. Every M seconds the records of
//! forgotten pairs are dropped, so the table holds the pairs of the last 2M seconds.

use crate::market::{AgentId, TaskId};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// The two bid-stream detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidDetector {
    /// Identities bidding on the same jobs within a short window.
    SynchronisedBids,
    /// Identities whose relative asks move together on the jobs both bid on.
    PriceCoordination,
}

impl BidDetector {
    /// Both, in output order.
    pub const ALL: [BidDetector; 2] = [
        BidDetector::SynchronisedBids,
        BidDetector::PriceCoordination,
    ];

    /// Index into per-detector arrays.
    pub fn index(self) -> usize {
        match self {
            BidDetector::SynchronisedBids => 0,
            BidDetector::PriceCoordination => 1,
        }
    }

    /// snake_case name (the `statistic` of `detection.csv`).
    pub fn name(self) -> &'static str {
        match self {
            BidDetector::SynchronisedBids => "synchronised_bids",
            BidDetector::PriceCoordination => "price_coordination",
        }
    }
}

/// Window, thresholds and minimum supports of the two detectors (each a scenario key under
/// `[collusion]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CollusionConfig {
    /// Δ: two bids on one job at most this many seconds apart are a co-bid.
    pub window: u64,
    /// θ_s: flag a pair whose Jaccard ratio `J` reaches this, in (0, 1].
    pub sync_threshold: f64,
    /// m_s: co-bids a pair needs before `J` counts (≥ 1).
    pub sync_min_support: u64,
    /// θ_p: flag a pair whose ask correlation `ρ` reaches this, in (−1, 1].
    pub price_threshold: f64,
    /// m_p: co-bids a pair needs before `ρ` counts (≥ 3: a correlation of two points is ±1).
    pub price_min_support: u64,
    /// M: a pair that goes more than this many seconds without a co-bid is forgotten, and a
    /// later co-bid starts it afresh; `None`: pairs are never forgotten (module doc, **Memory**).
    pub pair_memory: Option<u64>,
}

impl Default for CollusionConfig {
    fn default() -> Self {
        Self {
            window: 60,
            sync_threshold: 0.1,
            sync_min_support: 30,
            price_threshold: 0.7,
            price_min_support: 40,
            pair_memory: None,
        }
    }
}

impl CollusionConfig {
    /// Each field out of range, as (field, value, allowed values).
    pub fn problems(&self) -> Vec<(&'static str, String, &'static str)> {
        let mut out = Vec::new();
        if self.window > crate::engine::MAX_SECONDS {
            out.push((
                "window",
                self.window.to_string(),
                "an integer in 0..=2^40 seconds",
            ));
        }
        if !(self.sync_threshold > 0.0 && self.sync_threshold <= 1.0) {
            out.push((
                "sync_threshold",
                self.sync_threshold.to_string(),
                "a number in (0, 1]",
            ));
        }
        if self.sync_min_support < 1 {
            out.push((
                "sync_min_support",
                self.sync_min_support.to_string(),
                "an integer ≥ 1",
            ));
        }
        if !(self.price_threshold > -1.0 && self.price_threshold <= 1.0) {
            out.push((
                "price_threshold",
                self.price_threshold.to_string(),
                "a number in (−1, 1]",
            ));
        }
        if self.price_min_support < 3 {
            out.push((
                "price_min_support",
                self.price_min_support.to_string(),
                "an integer ≥ 3",
            ));
        }
        if let Some(m) = self.pair_memory
            && !(1..=crate::engine::MAX_SECONDS).contains(&m)
        {
            out.push((
                "pair_memory",
                m.to_string(),
                "an integer in 1..=2^40 seconds (absent: never forget)",
            ));
        }
        out
    }
}

/// One observed bid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bid {
    /// The job bid on.
    pub job: TaskId,
    /// The bidding identity.
    pub agent: AgentId,
    /// Simulated second of the bid (non-decreasing along the stream).
    pub time: u64,
    /// Ask over the job's budget ceiling.
    pub relative_ask: f64,
}

/// The running statistics of one pair of identities (created on its first co-bid).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairStats {
    /// The identity with the lower id.
    pub lo: AgentId,
    /// The other identity.
    pub hi: AgentId,
    /// Co-bids C.
    pub co_bids: u64,
    /// The second of its last co-bid.
    pub last: u64,
    mean_lo: f64,
    mean_hi: f64,
    /// Σ (x_lo − mean)², Σ (x_hi − mean)², Σ (x_lo − mean)(x_hi − mean) (Welford's updates).
    m2_lo: f64,
    m2_hi: f64,
    cross: f64,
}

impl PairStats {
    fn new(lo: AgentId, hi: AgentId) -> Self {
        Self {
            lo,
            hi,
            co_bids: 0,
            last: 0,
            mean_lo: 0.0,
            mean_hi: 0.0,
            m2_lo: 0.0,
            m2_hi: 0.0,
            cross: 0.0,
        }
    }

    /// Whether it has gone more than `memory` seconds without a co-bid by `now`: it then
    /// counts as forgotten, whether or not [`BidDetectors`] has dropped its record yet.
    fn forgotten(&self, memory: Option<u64>, now: u64) -> bool {
        memory.is_some_and(|m| now - self.last > m)
    }

    fn add(&mut self, x_lo: f64, x_hi: f64) {
        self.co_bids += 1;
        let n = self.co_bids as f64;
        let (d_lo, d_hi) = (x_lo - self.mean_lo, x_hi - self.mean_hi);
        self.mean_lo += d_lo / n;
        self.mean_hi += d_hi / n;
        self.m2_lo += d_lo * (x_lo - self.mean_lo);
        self.m2_hi += d_hi * (x_hi - self.mean_hi);
        self.cross += d_lo * (x_hi - self.mean_hi);
    }

    /// Pearson correlation ρ of the pair's relative asks over its co-bids (module doc).
    pub fn correlation(&self) -> f64 {
        correlation(self.co_bids, self.m2_lo, self.m2_hi, self.cross)
    }
}

/// ρ from the sums of squared deviations and of cross products of `n` points (module doc).
pub fn correlation(n: u64, m2_x: f64, m2_y: f64, cross: f64) -> f64 {
    let floor = 1e-12 * n as f64;
    if n < 2 || m2_x <= floor || m2_y <= floor {
        return 0.0;
    }
    (cross / (m2_x * m2_y).sqrt()).clamp(-1.0, 1.0)
}

/// The Jaccard ratio `J = C / (n_a + n_b − C)` capped at 1 (module doc).
pub fn jaccard(co_bids: u64, bids_a: u64, bids_b: u64) -> f64 {
    let union = (bids_a + bids_b).saturating_sub(co_bids);
    if union <= co_bids {
        if co_bids == 0 { 0.0 } else { 1.0 }
    } else {
        co_bids as f64 / union as f64
    }
}

/// How much state the detectors hold (to show it stays bounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSize {
    /// Bids inside the window.
    pub window_bids: usize,
    /// Jobs with a bid inside the window.
    pub window_jobs: usize,
    /// Pair records.
    pub pairs: usize,
}

/// Both bid-stream detectors over one stream of bids.
#[derive(Debug, Clone)]
pub struct BidDetectors {
    config: CollusionConfig,
    /// The window's bids in arrival order: (time, job).
    window: VecDeque<(u64, TaskId)>,
    /// Per job with a bid inside the window: its bids in arrival order (agent, time, x).
    jobs: FxHashMap<TaskId, VecDeque<(AgentId, u64, f64)>>,
    /// Bids per identity (n_a), by id.
    bids: Vec<u64>,
    /// First flag per identity and detector, by id.
    first_flag: Vec<[Option<u64>; 2]>,
    /// Pair records in creation order (iteration never depends on hashing).
    pairs: Vec<PairStats>,
    pair_index: FxHashMap<(AgentId, AgentId), usize>,
    last_time: u64,
    /// With a pair memory M: the second from which the next bid drops the pairs idle for
    /// more than M (every M seconds).
    next_forget: u64,
}

impl BidDetectors {
    /// Detectors with `config` and no bid seen.
    pub fn new(config: CollusionConfig) -> Self {
        Self {
            config,
            window: VecDeque::new(),
            jobs: FxHashMap::default(),
            bids: Vec::new(),
            first_flag: Vec::new(),
            pairs: Vec::new(),
            pair_index: FxHashMap::default(),
            last_time: 0,
            next_forget: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CollusionConfig {
        &self.config
    }

    /// Observes one bid (times must not decrease along the stream); returns whether it was
    /// counted (a repeated bid of an identity on a job inside the window is not).
    pub fn observe(&mut self, bid: Bid) -> bool {
        debug_assert!(bid.time >= self.last_time, "bids arrive in time order");
        self.last_time = bid.time;
        self.evict(bid.time);
        self.forget(bid.time);
        let a = bid.agent.index();
        if self.bids.len() <= a {
            self.bids.resize(a + 1, 0);
            self.first_flag.resize(a + 1, [None; 2]);
        }
        let others = self.jobs.entry(bid.job).or_default();
        if others.iter().any(|&(b, _, _)| b == bid.agent) {
            return false;
        }
        self.bids[a] += 1;
        let c = self.config;
        for &(other, _, y) in others.iter() {
            let (lo, hi, x_lo, x_hi) = if bid.agent < other {
                (bid.agent, other, bid.relative_ask, y)
            } else {
                (other, bid.agent, y, bid.relative_ask)
            };
            let next = self.pairs.len();
            let slot = *self.pair_index.entry((lo, hi)).or_insert(next);
            if slot == next {
                self.pairs.push(PairStats::new(lo, hi));
            }
            let pair = &mut self.pairs[slot];
            if pair.forgotten(c.pair_memory, bid.time) {
                *pair = PairStats::new(lo, hi);
            }
            pair.add(x_lo, x_hi);
            pair.last = bid.time;
            let sync = pair.co_bids >= c.sync_min_support
                && jaccard(pair.co_bids, self.bids[lo.index()], self.bids[hi.index()])
                    >= c.sync_threshold;
            let price =
                pair.co_bids >= c.price_min_support && pair.correlation() >= c.price_threshold;
            for (fired, d) in [(sync, 0), (price, 1)] {
                if fired {
                    for id in [lo, hi] {
                        self.first_flag[id.index()][d].get_or_insert(bid.time);
                    }
                }
            }
        }
        others.push_back((bid.agent, bid.time, bid.relative_ask));
        self.window.push_back((bid.time, bid.job));
        true
    }

    /// Drops the bids more than Δ seconds before `now`.
    fn evict(&mut self, now: u64) {
        let horizon = now.saturating_sub(self.config.window);
        while let Some(&(t, job)) = self.window.front() {
            if t >= horizon {
                break;
            }
            self.window.pop_front();
            let list = self
                .jobs
                .get_mut(&job)
                .expect("a windowed bid's job is listed");
            list.pop_front();
            if list.is_empty() {
                self.jobs.remove(&job);
            }
        }
    }

    /// With a pair memory M, every M seconds: drops the records of forgotten pairs (keeping the
    /// others in creation order) and rebuilds the index. What a pair counts never depends on
    /// when this runs (a forgotten pair met before it is dropped starts afresh all the same,
    /// and `statistics` skips it), so it only bounds memory: the pairs that co-bid in the last
    /// 2M seconds. O(pairs) every M seconds.
    fn forget(&mut self, now: u64) {
        let Some(m) = self.config.pair_memory else {
            return;
        };
        if now < self.next_forget {
            return;
        }
        self.next_forget = now.saturating_add(m);
        self.pairs.retain(|p| now - p.last <= m);
        self.pair_index.clear();
        for (i, p) in self.pairs.iter().enumerate() {
            self.pair_index.insert((p.lo, p.hi), i);
        }
    }

    /// Bids counted for `agent`.
    pub fn bids(&self, agent: AgentId) -> u64 {
        self.bids.get(agent.index()).copied().unwrap_or(0)
    }

    /// The simulated second `detector` first flagged `agent`.
    pub fn first_flag(&self, agent: AgentId, detector: BidDetector) -> Option<u64> {
        self.first_flag.get(agent.index())?[detector.index()]
    }

    /// Every pair record held, in creation order (with a pair memory, forgotten pairs until
    /// they are dropped).
    pub fn pairs(&self) -> &[PairStats] {
        &self.pairs
    }

    /// The statistic of every identity `0..n` under each detector (module doc): the largest
    /// `J` and `ρ` over its pairs with the minimum support, `−∞` without one. O(pairs).
    pub fn statistics(&self, n: usize) -> Vec<[f64; 2]> {
        let mut out = vec![[f64::NEG_INFINITY; 2]; n];
        let c = &self.config;
        let held = (self.pairs.iter()).filter(|p| !p.forgotten(c.pair_memory, self.last_time));
        for p in held {
            let j = jaccard(p.co_bids, self.bids(p.lo), self.bids(p.hi));
            let values = [
                (p.co_bids >= c.sync_min_support).then_some(j),
                (p.co_bids >= c.price_min_support).then(|| p.correlation()),
            ];
            for id in [p.lo, p.hi] {
                if let Some(slot) = out.get_mut(id.index()) {
                    for (d, v) in values.iter().enumerate() {
                        if let Some(v) = v {
                            slot[d] = slot[d].max(*v);
                        }
                    }
                }
            }
        }
        out
    }

    /// How much state is held.
    pub fn state_size(&self) -> StateSize {
        StateSize {
            window_bids: self.window.len(),
            window_jobs: self.jobs.len(),
            pairs: self.pairs.len(),
        }
    }
}

#[cfg(test)]
mod tests;

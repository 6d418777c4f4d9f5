//! The performance market in the world (SPEC §7, seed 004): the wiring between the market
//! core's [`PerformanceBook`](crate::market::performance::PerformanceBook) and the population.
//!
//! ```text
//! open_job ─ draw requirements (PerfRequirements stream: max latency, min success; max cost
//!            = budget, capability = the job's)
//! submit ─── the bid states the agent's profile (latency, success) and its calibration;
//!            a bid breaking a requirement is refused and counted by reason
//! WindowClose ─ lowest composite score wins (Marketplace::clear_performance)
//! contract opened ─ delivered latency drawn from the winner's profile (PerfLatency stream)
//! Reviewed ─ success drawn with the winner's true success rate (PerfSuccess stream):
//!            record_performance (reward, calibration EMA, bill or penalty), then
//!            success → complete (bill = min(⌊reward⌋, hold)) | failure → cancel (refund)
//! ```
//!
//! Under this rule a reviewed job is never disputed or cancelled by the client's `p_dispute`
//! and `p_cancel` draws: its outcome is the success draw. Wash jobs carry no requirements and
//! keep their usual path. Capability refusals cannot happen in the simulated market: the
//! world invites only agents of the job's capability (the count is kept for completeness).

use super::World;
use crate::agents::{Ask, PerfProfile};
use crate::engine::{Key, MAX_SECONDS, SimTime, Stream, Streams};
use crate::market::performance::{BidRejection, PerfBid, TaskRequirements, validate_bid};
use crate::market::slab::SlabKey;
use crate::market::{AgentId, Credits};
use crate::receipts::Receipt;
use rand::Rng;

/// Index of a refusal's reason in
/// [`REFUSAL_REASONS`](crate::metrics::performance::REFUSAL_REASONS).
fn reason_index(r: &BidRejection) -> usize {
    match r {
        BidRejection::LatencyOverMax { .. } => 0,
        BidRejection::SuccessBelowMin { .. } => 1,
        BidRejection::CostOverMax { .. } => 2,
        BidRejection::MissingCapability { .. } => 3,
        BidRejection::InvalidSuccessEstimate(_) | BidRejection::InvalidCalibration(_) => 4,
    }
}

/// The latency the winner of a job delivers, seconds: a draw of its `profile`'s latency from
/// the job's own keyed stream (rounded, in 0..=MAX_SECONDS).
pub(super) fn latency(profile: &PerfProfile, streams: &Streams, key: Key) -> u64 {
    let rng = &mut streams.keyed(Stream::PerfLatency, key);
    profile
        .latency
        .sample(rng)
        .round()
        .clamp(0.0, MAX_SECONDS as f64) as u64
}

impl World {
    /// A new market job's requirements under the performance rule (`None` otherwise; the
    /// caller asks only for jobs that are not wash jobs): max cost = its budget, its
    /// capability, and a max latency (rounded, at least 1 s) and min success rate (clamped
    /// into [0, 1]) drawn from the job's own keyed stream.
    pub(super) fn perf_requirements(
        &self,
        budget: Credits,
        capabilities: u64,
        key: Key,
    ) -> Option<TaskRequirements> {
        self.market.performance()?;
        let rng = &mut self.streams.keyed(Stream::PerfRequirements, key);
        let clients = &self.config.clients;
        let max_latency = clients
            .max_latency
            .sample(rng)
            .round()
            .clamp(1.0, MAX_SECONDS as f64);
        let min_success = clients.min_success_rate.sample(rng).clamp(0.0, 1.0);
        let req = TaskRequirements::new(budget, max_latency as u64, min_success, capabilities);
        Some(req.expect("positive budget and latency, success rate in [0, 1]"))
    }

    /// Seed 004's bid admission ("Submit-AuctionBid"): the ask as the agent states it — its
    /// price, its profile's stated latency (as the proposal's duration) and stated success
    /// (as its confidence) — or `None` when it breaks a requirement of the job (counted by
    /// reason). Jobs without requirements admit every ask unchanged.
    pub(super) fn perf_admit(&mut self, job: SlabKey, agent: AgentId, ask: Ask) -> Option<Ask> {
        let Some(&req) = self.jobs.get(job).expect("live job").perf() else {
            return Some(ask);
        };
        let identity = self.population.get(agent);
        let profile = &self.config.groups[self.population.group(agent)].performance;
        let book = self.market.performance().expect("a job with requirements");
        let bid = PerfBid {
            agent,
            cost: ask.price,
            latency_seconds: profile.stated_latency,
            est_success: profile.stated_success,
            calibration: book.calibration(agent),
            capabilities: identity.capabilities,
        };
        match validate_bid(&req, &bid) {
            Ok(()) => Some(Ask {
                duration: bid.latency_seconds,
                confidence: bid.est_success,
                ..ask
            }),
            Err(reason) => {
                self.recorder.counters.perf_refused[reason_index(&reason)] += 1;
                None
            }
        }
    }

    /// A reviewed performance job: success drawn with the winner's true success rate and the
    /// outcome recorded in the market (reward, calibration, bill or penalty). Returns the
    /// success: the caller then completes the contract (success) or cancels and refunds it.
    pub(super) fn perf_review(&mut self, now: SimTime, job: SlabKey) -> bool {
        let j = self.jobs.get(job).expect("live job");
        let (agent, key, latency) = (j.agent, j.key, j.work_seconds);
        let contract = j.contract.expect("reviewed jobs have a contract");
        let profile = &self.config.groups[self.population.group(agent)].performance;
        let success = self
            .streams
            .keyed(Stream::PerfSuccess, key)
            .random_bool(profile.success_rate);
        let done = self
            .market
            .record_performance(contract, success, latency)
            .expect("a reviewed performance contract is live and recorded once");
        let c = &mut self.recorder.counters;
        if success {
            c.perf_successes += 1;
            c.perf_billed += done.recorded.bill.0;
        } else {
            c.perf_failures += 1;
            c.perf_penalty_due += done.recorded.penalty.0;
            c.perf_penalty_forfeited += done.forfeited.0;
            // A forfeit moves bond to the slashed pool, as a slash does: same cost, same receipt.
            self.recorder.agents[agent.index()].costs.stake_lost += done.forfeited.0;
            if !done.forfeited.is_zero() {
                let amount = done.forfeited;
                self.emit(now, || Receipt::Slash { agent, amount });
            }
        }
        let bond = self.scenario.file().staking.initial_stake;
        let (forfeited, penalty) = (done.forfeited, done.recorded.penalty);
        self.checker()
            .after_forfeit(now, agent, bond, forfeited, penalty);
        success
    }

    /// Fills the latest sample's mean calibration per kind over live identities (nothing
    /// outside a performance market).
    pub(super) fn perf_sample(&mut self) {
        let Some(book) = self.market.performance() else {
            return;
        };
        let kinds = &self.recorder.kinds;
        let Some(sample) = self.recorder.samples.last_mut() else {
            return;
        };
        let mut sums = vec![(0.0, 0u64); kinds.len()];
        for (index, bidder) in self.population.bidders.iter().enumerate() {
            if !bidder.active {
                continue;
            }
            if let Some(k) = kinds.iter().position(|&kind| kind == bidder.kind) {
                sums[k].0 += book.calibration(AgentId(index as u32));
                sums[k].1 += 1;
            }
        }
        for (s, (sum, n)) in sample.per_kind.iter_mut().zip(sums) {
            s.mean_calibration = (n > 0).then(|| sum / n as f64);
        }
    }
}

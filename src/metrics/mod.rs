//! Observations of a run: counters, per-identity statistics, samples, invariants.
//!
//! The world pushes facts into a [`Recorder`] as they happen; the output layer turns the
//! recorder into CSV. Memory is O(identities + samples): nothing is kept per finished job
//! (latencies go into a fixed-size histogram).

pub mod concentration;
pub mod detection;
pub mod economics;
pub mod histogram;
pub mod invariants;
pub mod ranking;
pub mod roc;
pub mod summary;
pub mod survival;

pub use concentration::{Concentration, concentration};
pub use histogram::LogHistogram;
pub use invariants::{Invariant, InvariantLog, Violation};
pub use ranking::RankingAccuracy;

use crate::agents::{Kind, Population};
use crate::engine::SimTime;
use crate::market::marketplace::Marketplace;
use crate::scenario::Scenario;

/// What a finished run leaves behind for the output layer (built by `world::simulate`; it
/// lives here, below the world, so that summaries read it without importing the world).
pub struct Outcome {
    /// The scenario that ran.
    pub scenario: Scenario,
    /// The market core's final state.
    pub market: Marketplace,
    /// Every identity with its ground truth.
    pub population: Population,
    /// Every observation.
    pub recorder: Recorder,
    /// Simulated second of the last event.
    pub end_time: SimTime,
    /// Events handled.
    pub events: u64,
}

/// Job counters (cumulative).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    /// Demands posted (market jobs and wash jobs; subtasks count individually).
    pub posted: u64,
    /// Demands matched to a contract.
    pub matched: u64,
    /// Contracts completed.
    pub completed: u64,
    /// Contracts cancelled (refunded).
    pub cancelled: u64,
    /// Contracts that entered a dispute.
    pub disputed: u64,
    /// Demands cancelled unmatched (no eligible proposal by the deadline or window close).
    pub unfilled: u64,
    /// Matches refused because the client could not fund the escrow.
    pub unfunded: u64,
    /// Identities abandoned by whitewashing.
    pub whitewashes: u64,
    /// Slashing events.
    pub slashes: u64,
    /// Credits paid out of escrow to operators, platform and LLM reserve (the split parts).
    pub paid_out: u64,
    /// Credits the paper's literal completion rule would have created (SPEC §8, §7.6 vs §7.7).
    pub paper_rule_created: u64,
    /// Credits the paper's literal completion rule would have destroyed.
    pub paper_rule_destroyed: u64,
    /// Books cleared by the call rule (paper §7.2) with a winner while a proposal was within
    /// budget, i.e. where the continuous rule (§4.5) would also have picked one.
    pub call_clearings: u64,
    /// Of those, books where the continuous rule would have picked another agent (SPEC §8).
    pub call_continuous_disagreements: u64,
    /// Over those disagreements, credits the call winner asked beyond the cheapest ask.
    pub call_price_premium: u64,
    /// Contract events delivered a second time (seed 003, `faults.duplicate_events`).
    pub duplicate_events: u64,
}

/// Per-identity statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentStats {
    /// Contracts won.
    pub jobs_won: u64,
    /// Contract value won (accepted prices), credits.
    pub value_won: u64,
    /// Operator payouts received, credits.
    pub earnings: u64,
    /// Times each detector fired: score inflation, rapid cycling, perfect streak.
    pub flags: [u64; 3],
    /// Simulated second of the first flag.
    pub first_flag: Option<u64>,
    /// Whether the identity was abandoned by whitewashing.
    pub whitewashed: bool,
    /// Attacker economics (issue 11), see [`economics`].
    pub costs: Costs,
}

/// What an identity's work and existence cost its owner, in credits ([`economics`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Costs {
    /// True cost of the market work delivered: round(`cost_factor` × budget) per completed
    /// market contract, 0 for a defection (garbage costs nothing) and for wash jobs.
    pub work: u64,
    /// Bills of the wash jobs its colluding client paid for (the owner's own money): its own
    /// (the operator share comes back as revenue, the platform and LLM-reserve shares are
    /// lost), a ring partner's, or an honest agent's it bad-mouthed.
    pub wash_fees: u64,
    /// Stake lost to slashing.
    pub stake_lost: u64,
    /// Identity creation cost (the group's `identity_cost`, charged once per identity:
    /// at registration and for each identity a whitewash creates).
    pub identity: u64,
    /// What its market clients lost: per completed market contract,
    /// round(bill × max(0, q̄ − q) / q̄), where q is the weighted quality delivered and q̄
    /// the mean true quality of honest identities (what an honest winner delivers on average).
    pub client_loss: u64,
}

/// One row of `timeseries.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Simulated second.
    pub time: u64,
    /// Counters at that time.
    pub counters: Counters,
    /// Per kind present: (mean R, mean T, mean |R − true quality|, flags so far, payouts so far).
    pub per_kind: Vec<KindSample>,
    /// Concentration of operator payouts per identity so far.
    pub concentration: Concentration,
    /// Ranking accuracy of R and T against true quality (issue 11).
    pub ranking: RankingAccuracy,
    /// Tier membership and value won per tier (seed 002).
    pub tiers: TierSample,
}

/// Seed 002 tiers in a sample, per tier in [`Tier::ALL`](crate::market::tiers::Tier::ALL)
/// order; an identity's tier is that of its ranking signal (`market.ranking`: R or T).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TierSample {
    /// Live identities in each tier at the sample.
    pub identities: [u32; 4],
    /// Contract value won so far (accepted prices) by winners in each tier at the time they
    /// won, credits.
    pub value_won: [u64; 4],
}

/// Per-kind aggregates in a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KindSample {
    /// Mean reputation R over the kind's identities.
    pub mean_reputation: f64,
    /// Mean trust T.
    pub mean_trust: f64,
    /// Mean |R − true quality|.
    pub mean_abs_error: f64,
    /// Detector firings so far.
    pub flags: u64,
    /// Operator payouts so far, credits.
    pub payouts: u64,
    /// Contract value won so far (accepted prices), credits.
    pub value_won: u64,
}

/// Everything observed during a run.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Kinds present, in output order.
    pub kinds: Vec<Kind>,
    /// Job counters.
    pub counters: Counters,
    /// One entry per identity, indexed by agent id.
    pub agents: Vec<AgentStats>,
    /// Contract cycle latency (post → completion), seconds.
    pub latency: LogHistogram,
    /// Invariant checks.
    pub invariants: InvariantLog,
    /// Samples, in time order.
    pub samples: Vec<Sample>,
    /// Platform and LLM-reserve shares of every split, credits (with the identities'
    /// earnings, they add up to the ledger's distributed credits).
    pub platform_fees: u64,
    /// Mean true quality of honest identities (q̄ of [`Costs::client_loss`]), once known.
    pub honest_quality: Option<f64>,
    /// The 90th percentiles of R and of T over live identities at the last sample (camouflage
    /// gamers defect once above both); `None` before the first sample.
    pub top_decile: Option<(f64, f64)>,
    /// Which identity each colluding client belongs to (its first), by client id: who pays
    /// a wash job's fees ([`Costs::wash_fees`]). A cache, rebuilt when a client is missing.
    pub wash_payers: Vec<Option<crate::market::AgentId>>,
    /// Contract value won so far per tier of the winner when it won ([`TierSample`]).
    pub tier_value: [u64; 4],
}

/// Share of `agent`'s recordings on which detector `d` (index as in [`AgentStats::flags`])
/// fired; 0 with no recording.
pub fn detector_rate(outcome: &Outcome, agent: crate::market::AgentId, d: usize) -> f64 {
    let recordings = outcome.market.reputation().recordings(agent);
    if recordings == 0 {
        0.0
    } else {
        outcome.recorder.agents[agent.index()].flags[d] as f64 / recordings as f64
    }
}

/// Median of `values` (sorted in place), or `None` when empty.
pub fn median(values: &mut [u64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0
    })
}

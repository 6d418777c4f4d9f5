//! Observations of a run: counters, per-identity statistics, samples, invariants.
//!
//! The world pushes facts into a [`Recorder`] as they happen; the output layer turns the
//! recorder into CSV. The per-identity statistics are folded by [`AgentStats`]'s methods, the
//! one fold used both by the world and by `replay` from the receipts. Memory is O(identities + samples): nothing is kept per finished job
//! (latencies go into a fixed-size histogram).

pub mod concentration;
pub mod detection;
pub mod economics;
pub mod histogram;
pub mod invariants;
pub mod performance;
mod radix_sort;
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
use crate::market::Credits;
use crate::market::marketplace::Marketplace;
use crate::market::reputation::{Detector, Flags};
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
    /// Performance market (seed 004): bids refused, by reason (latency, success, cost,
    /// capability, invalid estimate; [`performance::REFUSAL_REASONS`]).
    pub perf_refused: [u64; 5],
    /// Performance market: jobs that succeeded.
    pub perf_successes: u64,
    /// Performance market: jobs that failed (cancelled and refunded).
    pub perf_failures: u64,
    /// Performance market: credits billed on successes, `Σ min(⌊reward⌋, hold)`.
    pub perf_billed: u64,
    /// Performance market: failure penalties due, `Σ ⌊failure_rate × base⌋`.
    pub perf_penalty_due: u64,
    /// Performance market: of those, credits forfeited from bonds to the slashed pool.
    pub perf_penalty_forfeited: u64,
    /// Contract events delivered a second time (seed 003, `faults.duplicate_events`).
    pub duplicate_events: u64,
}

/// Decomposed jobs (SPEC §5) and their combinatorial clearing (issue 12), cumulative. Welfare
/// is Σ over assigned subtasks of (reserve − declared ask), credits (`market::combinatorial`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DagStats {
    /// Decomposed jobs whose last level has ended.
    pub jobs: u64,
    /// Of those, jobs whose every subtask was matched to a contract.
    pub cleared: u64,
    /// Of those, jobs none of whose subtasks was matched.
    pub unfilled: u64,
    /// Combinatorial clearings (one per decomposed job posted under that rule).
    pub auctions: u64,
    /// Σ over clearings of the best welfare the bids allow (the exact optimum).
    pub welfare_optimal: u64,
    /// Σ welfare of the assignment the combinatorial rule chose.
    pub welfare_chosen: u64,
    /// Σ welfare level-by-level matching reaches on the same bids.
    pub welfare_sequential: u64,
    /// Σ VCG payments of the chosen assignments, credits.
    pub vcg_payments: u64,
    /// Σ of what first price (pay-your-bid) would pay for the same assignments.
    pub first_price_payments: u64,
    /// Subtasks awarded by the combinatorial rule.
    pub subtasks_awarded: u64,
    /// Of those, subtasks won as part of a bundle of two or more.
    pub subtasks_bundled: u64,
    /// Winning bundles of two or more subtasks.
    pub bundles_won: u64,
    /// Of those, bundles whose subtasks lie in different DAG levels (the winner commits at
    /// posting to work that starts only after other subtasks end).
    pub bundles_cross_level: u64,
    /// Awards that lapsed: the winner had left (whitewashed) or could no longer bid (stake)
    /// when its subtask's level started; the subtask then goes unfilled.
    pub awards_lapsed: u64,
}

/// Per-identity statistics (88 bytes, issue 15).
///
/// `repr(C)` keeps the declared order (issue 15): what a contract's opening and completion
/// update (wins, payouts, then the costs' work and client loss) lies in the first 56 bytes.
#[derive(Debug, Clone, Default, PartialEq)]
#[repr(C)]
pub struct AgentStats {
    /// Contracts won.
    pub jobs_won: u64,
    /// Contract value won (accepted prices), credits.
    pub value_won: u64,
    /// Operator payouts received, credits.
    pub earnings: u64,
    /// Attacker economics (issue 11), see [`economics`].
    pub costs: Costs,
    /// Times each detector fired: score inflation, rapid cycling, perfect streak (32 bits: a
    /// detector fires at most once per recording, and an identity's recordings are fewer than
    /// 2^32, `scenario::limits::MAX_RECORDINGS`; with `whitewashed` next to it the statistics
    /// take 96 bytes instead of 112, issue 15).
    pub flags: [u32; 3],
    /// Whether the identity was abandoned by whitewashing.
    pub whitewashed: bool,
    /// Simulated second of the first flag.
    pub first_flag: FirstFlag,
}

/// The simulated second of an identity's first flag, if it has been flagged: an
/// `Option<u64>` in 8 bytes instead of 16 (simulated times stay below 2^40 s,
/// `scenario::validate`, so `u64::MAX` is free to mean "never"; issue 15).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FirstFlag(u64);

impl FirstFlag {
    const NEVER: u64 = u64::MAX;

    /// When the identity was first flagged; `None` if never.
    #[inline]
    pub fn get(self) -> Option<u64> {
        (self.0 != Self::NEVER).then_some(self.0)
    }

    /// Records a flag at `time`, unless an earlier one is recorded already.
    fn first_at(&mut self, time: SimTime) {
        debug_assert!(time < Self::NEVER);
        if self.0 == Self::NEVER {
            self.0 = time;
        }
    }
}

impl Default for FirstFlag {
    fn default() -> Self {
        Self(Self::NEVER)
    }
}

impl From<Option<u64>> for FirstFlag {
    fn from(time: Option<u64>) -> Self {
        let mut first = Self::default();
        if let Some(t) = time {
            first.first_at(t);
        }
        first
    }
}

impl std::fmt::Debug for FirstFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// The fold of a run's events into one identity's [`AgentStats`]: its one home, used by the
/// world as the run goes and by `replay` from the receipts (the `open`, `complete` and
/// `whitewash` receipts carry exactly what each step needs).
impl AgentStats {
    /// A contract won at `price`.
    pub fn won(&mut self, price: Credits) {
        self.jobs_won += 1;
        self.value_won += price.0;
    }

    /// A contract completed at simulated second `time`: `operator` credits paid to the
    /// identity, the detectors in `flags` fired on its recording.
    pub fn completed(&mut self, operator: Credits, flags: Flags, time: SimTime) {
        self.earnings += operator.0;
        for d in flags.iter() {
            self.flags[detector_index(d)] += 1;
        }
        if !flags.is_empty() {
            self.first_flag.first_at(time);
        }
    }

    /// The identity was abandoned by whitewashing.
    pub fn abandoned(&mut self) {
        self.whitewashed = true;
    }
}

/// Column index of a detector in per-agent flag counts ([`AgentStats::flags`]: score
/// inflation, rapid cycling, perfect streak).
pub fn detector_index(d: Detector) -> usize {
    match d {
        Detector::ScoreInflation => 0,
        Detector::RapidCycling => 1,
        Detector::PerfectStreak => 2,
    }
}

/// What an identity's work and existence cost its owner, in credits ([`economics`]).
/// (`repr(C)`: the two costs every completed market contract updates come first; issue 15.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Costs {
    /// True cost of the market work delivered: round(`cost_factor` × budget) per completed
    /// market contract, 0 for a defection (garbage costs nothing) and for wash jobs.
    pub work: u64,
    /// What its market clients lost: per completed market contract,
    /// round(bill × max(0, q̄ − q) / q̄), where q is the weighted quality delivered and q̄
    /// the mean true quality of honest identities (what an honest winner delivers on average).
    pub client_loss: u64,
    /// Bills of the wash jobs its colluding client paid for (the owner's own money): its own
    /// (the operator share comes back as revenue, the platform and LLM-reserve shares are
    /// lost), a ring partner's, or an honest agent's it bad-mouthed.
    pub wash_fees: u64,
    /// Stake lost to slashing.
    pub stake_lost: u64,
    /// Identity creation cost (the group's `identity_cost`, charged once per identity:
    /// at registration and for each identity a whitewash creates).
    pub identity: u64,
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
    /// Mean performance-market calibration of the kind's live identities (seed 004); `None`
    /// outside a performance market or without live identities.
    pub mean_calibration: Option<f64>,
}

/// Everything observed during a run.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Kinds present, in output order.
    pub kinds: Vec<Kind>,
    /// Job counters.
    pub counters: Counters,
    /// Decomposed jobs and combinatorial clearing.
    pub dags: DagStats,
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
    /// The bid-stream detectors' verdicts, when `[collusion]` is on.
    pub bid_detection: Option<BidDetection>,
    /// Contract value won so far per tier of the winner when it won ([`TierSample`]).
    pub tier_value: [u64; 4],
}

/// Per identity, by id, what the bid-stream detectors ([`crate::market::collusion`]) concluded
/// at the end of the run, indexed by [`BidDetector::index`](crate::market::collusion::BidDetector::index).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BidDetection {
    /// The detectors' statistics (largest J and ρ over the identity's supported pairs; −∞
    /// without one).
    pub statistics: Vec<[f64; 2]>,
    /// Simulated second of each detector's first flag.
    pub first_flag: Vec<[Option<u64>; 2]>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stats_fold_counts_wins_payouts_flags_and_the_first_flag_time() {
        let mut s = AgentStats::default();
        s.won(Credits(40));
        s.won(Credits(2));
        s.completed(Credits(28), Flags::EMPTY, 5);
        assert_eq!(
            s.first_flag.get(),
            None,
            "a clean recording sets no first flag"
        );
        let mut flags = Flags::EMPTY;
        flags.insert(Detector::PerfectStreak);
        flags.insert(Detector::ScoreInflation);
        s.completed(Credits(1), flags, 9);
        let mut one = Flags::EMPTY;
        one.insert(Detector::PerfectStreak);
        s.completed(Credits(0), one, 12);
        s.abandoned();
        let expected = AgentStats {
            jobs_won: 2,
            value_won: 42,
            earnings: 29,
            flags: [1, 0, 2],
            first_flag: Some(9).into(),
            whitewashed: true,
            costs: Costs::default(),
        };
        assert_eq!(s, expected);
    }
}

//! What drives clients and agents: their own config types, with the distributions built once
//! per run. Only the scenario layer knows the file; it builds these (`Scenario::client_config`,
//! `Scenario::group_configs`). Distributions are sampled with the caller's stream; which stream
//! draws each one is fixed by where it is used (see `engine::streams`).

use crate::engine::Dist;

/// How ordinary jobs arrive.
#[derive(Debug, Clone)]
pub enum Arrivals {
    /// Gaps between postings, seconds (exponential: Poisson arrivals; constant: a fixed
    /// interval). Gaps are summed unrounded; each posting time is the rounded sum.
    Gaps(Dist),
    /// Posting times, seconds, ascending (a trace).
    Trace(Vec<f64>),
}

/// A gaming strategy (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Wash jobs from a colluding client rated with near-constant vectors.
    ScoreInflation,
    /// Wash jobs completed within seconds, rated above 0.9.
    RapidCycling,
    /// Wash jobs rated 0.99 or better on every dimension.
    PerfectStreak,
    /// Honest on small jobs, then defects on a high-value one.
    ReputationFarming,
    /// Claims confidence 1.0 whatever its real quality.
    ConfidenceInflation,
    /// Reports manufactured scores for its own ordinary jobs (no wash client).
    SelfReport,
    /// Oscillates between honest and cheating phases ([`OnOff`]).
    OnOff,
    /// Wash jobs rated and timed just outside the detectors' thresholds ([`Evasion`]).
    DetectorAware,
    /// Colluding clients bad-mouth honest competitors and stuff the partner's ballot.
    UnfairRating,
    /// Honest until in the top decile of R and T, then defects on high-value jobs and
    /// whitewashes.
    Camouflage,
    /// Performance market: states better latency and success than it delivers.
    Miscalibrated,
}

impl Strategy {
    /// Whether the strategy runs wash jobs through a colluding client.
    pub fn uses_wash_jobs(self) -> bool {
        matches!(
            self,
            Strategy::ScoreInflation
                | Strategy::RapidCycling
                | Strategy::PerfectStreak
                | Strategy::DetectorAware
                | Strategy::UnfairRating
        )
    }
}

/// The demand side's distributions.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// When ordinary jobs are posted.
    pub arrivals: Arrivals,
    /// Budget ceiling of an ordinary job, credits (rounded, at least 1).
    pub budget: Dist,
    /// Nominal duration of a job, seconds; `None`: grows with √budget (see
    /// [`nominal_duration`](super::behaviour::nominal_duration)).
    pub duration: Option<Dist>,
    /// Typical budget (the scale of budget-driven durations and of high-value jobs).
    pub typical_budget: f64,
    /// Actual work time as a multiple of the nominal duration.
    pub work_factor: Dist,
    /// Review delay, seconds.
    pub review: Dist,
    /// Dispute resolution delay, seconds.
    pub dispute: Dist,
    /// What an honest client's rating adds to each delivered dimension.
    pub rating_error: Dist,
    /// Observed mean quality below which an honest client disputes at once (and never
    /// upholds); `None`: no automatic disputes.
    pub auto_dispute_below: Option<f64>,
    /// Probability that a reviewing client disputes a delivery (besides automatic disputes).
    pub p_dispute: f64,
    /// Probability that it cancels instead.
    pub p_cancel: f64,
    /// Probability that a dispute (not an automatic one) is upheld.
    pub p_dispute_upheld: f64,
    /// Performance market: a job's maximum latency, seconds.
    pub max_latency: Dist,
    /// Performance market: a job's minimum success rate (clamped into [0, 1]).
    pub min_success_rate: Dist,
}

impl ClientConfig {
    /// Whether an honest client disputes a delivery of this observed mean quality at once
    /// (such a dispute is never upheld).
    pub fn disputes_at_once(&self, observed_mean: f64) -> bool {
        self.auto_dispute_below
            .is_some_and(|below| observed_mean < below)
    }
}

/// The bidding side of combinatorial clearing of decomposed jobs (issue 12,
/// `market::combinatorial`); built only when `decomposition.clearing = "combinatorial"`.
#[derive(Debug, Clone)]
pub struct BundleConfig {
    /// Largest bundle an agent bids on, in subtasks.
    pub max_bundle_size: u32,
    /// An agent's economies-of-scope discount δ (drawn once per identity, clamped into [0, 1]).
    pub scope_discount: Dist,
}

/// One `[[population]]` group's constants and distributions.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// True cost as a share of a job's budget ceiling.
    pub cost_factor: f64,
    /// Sybils: bid multiplier applied to an honest bid.
    pub underbid: f64,
    /// Reputation farmers: defect once R reaches this.
    pub farming_target: f64,
    /// Ring members: the rating they give each other (each dimension, ± 0.02).
    pub wash_rating: f64,
    /// Centre of an agent's latent quality.
    pub quality: Dist,
    /// Half-width of the uniform jitter of each latent dimension around the centre (0: none).
    pub jitter: f64,
    /// Noise added to each delivered dimension.
    pub delivery_noise: Dist,
    /// Bid as a multiple of the true cost.
    pub bid_factor: Dist,
    /// Claimed confidence; `None`: truthful.
    pub confidence: Option<Dist>,
    /// Gap between an agent's wash jobs, seconds; `None`: the group posts none.
    pub wash_interval: Option<Dist>,
    /// Self-reporting gamers: the score reported on each dimension.
    pub reported_score: Dist,
    /// Self-reporting gamers: seconds from contract to reported completion.
    pub report_seconds: Dist,
    /// Credits each identity of the group costs to create (sybils' `identity_cost`; 0 for
    /// the other kinds).
    pub identity_cost: u64,
    /// On-off gamers: their phase lengths.
    pub on_off: Option<OnOff>,
    /// Detector-aware gamers: their wash ratings and timing.
    pub evasion: Option<Evasion>,
    /// Unfair raters: share of wash jobs that bad-mouth an honest competitor.
    pub badmouth_share: f64,
    /// Rings and sybil owners: cover bidding, when on.
    pub cover: Option<Cover>,
    /// Performance market: what an agent delivers and what it states (SPEC §7, seed 004).
    pub performance: PerfProfile,
    /// How the group's agents shade their asks (seed 002).
    pub bidding: super::bidding::Bidding,
}

/// Cover (shill) bidding of a ring or a sybil owner (README "Collusion and shill
/// detection"): when one identity of the group bids on a market job it was invited to,
/// `bidders` of its partners bid on the same job at once, each asking the designated price ×
/// (1 + `markup` × U[0.5, 1.5)), so the designated bid looks competitive while the partners
/// never undercut it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cover {
    /// Partners that cover each bid (≥ 1).
    pub bidders: u32,
    /// Mean markup of a cover ask over the designated ask.
    pub markup: f64,
}

/// An agent's performance profile (SPEC §7, seed 004): the latency it delivers and its
/// success probability, and the estimates it states in its bids (the truth for every kind but
/// a miscalibrated gamer, which understates its latency and overstates its success).
#[derive(Debug, Clone)]
pub struct PerfProfile {
    /// Delivered latency, seconds, drawn per job.
    pub latency: Dist,
    /// Probability that a job succeeds.
    pub success_rate: f64,
    /// Stated latency, seconds.
    pub stated_latency: u64,
    /// Stated success probability, in [0, 1].
    pub stated_success: f64,
}

/// The phases of an on-off (oscillation) attacker, counted from its identity's creation:
/// honest for `honest_seconds`, then cheating for `cheat_seconds`, repeating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnOff {
    /// Length of an honest phase, seconds (≥ 1).
    pub honest_seconds: u64,
    /// Length of a cheating phase, seconds (≥ 1).
    pub cheat_seconds: u64,
}

impl OnOff {
    /// Whether an identity created at `created_at` is in a cheating phase at `now`.
    pub fn cheating(&self, created_at: u64, now: u64) -> bool {
        let age = now.saturating_sub(created_at);
        age % (self.honest_seconds + self.cheat_seconds) >= self.honest_seconds
    }
}

/// How a detector-aware gamer stays just outside the three detectors (SPEC §6), given the
/// scenario's detector constants: every wash rating is the same vector, half its dimensions
/// at `high` and half at `low`, so that
/// - the variance of its recorded values is about ((high − low)/2)² ≥ 4 × the score-inflation
///   threshold (never below it, whatever the history length);
/// - `low` is not above the rapid-cycling threshold and is below the perfect-streak one, so no
///   window of its wash recordings is all-high;
/// - its wash jobs take at least the rapid-cycling time limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evasion {
    /// The rating of its wash jobs.
    pub rating: [f64; crate::market::DIMENSIONS],
    /// Minimum duration of its wash jobs, seconds.
    pub min_seconds: u64,
}

impl Evasion {
    /// The evasion of the detectors configured in `config`.
    pub fn against(config: &crate::market::reputation::ReputationConfig) -> Self {
        let high = 1.0;
        let spread = 2.0 * config.inflation_variance.sqrt();
        let low = (high - 2.0 * spread)
            .min(config.rapid_threshold)
            .min(config.streak_threshold - 0.01)
            .max(0.0);
        Self {
            rating: std::array::from_fn(|d| if d % 2 == 0 { high } else { low }),
            min_seconds: config.rapid_seconds,
        }
    }
}

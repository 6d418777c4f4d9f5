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
}

impl Strategy {
    /// Whether the strategy runs wash jobs through a colluding client.
    pub fn uses_wash_jobs(self) -> bool {
        matches!(
            self,
            Strategy::ScoreInflation | Strategy::RapidCycling | Strategy::PerfectStreak
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
}

impl ClientConfig {
    /// Whether an honest client disputes a delivery of this observed mean quality at once
    /// (such a dispute is never upheld).
    pub fn disputes_at_once(&self, observed_mean: f64) -> bool {
        self.auto_dispute_below
            .is_some_and(|below| observed_mean < below)
    }
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
}

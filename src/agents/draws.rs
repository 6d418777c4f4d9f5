//! The distributions that drive clients and agents, built once per run by the scenario layer
//! (`Scenario::client_draws`, `Scenario::group_draws`) and sampled with the caller's stream.
//! Which stream draws each one is fixed by where it is used (see `engine::streams`).

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

/// The demand side's distributions.
#[derive(Debug, Clone)]
pub struct ClientDraws {
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
    /// Observed mean quality below which an honest client disputes at once (and never
    /// upholds); `None`: no automatic disputes.
    pub auto_dispute_below: Option<f64>,
}

/// One `[[population]]` group's distributions.
#[derive(Debug, Clone)]
pub struct GroupDraws {
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

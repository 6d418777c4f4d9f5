//! The scenario file as written in TOML: raw serde types with every default of SPEC.
//!
//! Every table denies unknown keys, so a typo is refused instead of silently ignored. Defaults are
//! the seeds' constants (SPEC §2–§9). These types are the *boundary*: [`super::Scenario`] wraps a
//! validated `ScenarioFile`, and nothing downstream sees an unvalidated one.

use serde::{Deserialize, Serialize};

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioFile {
    /// Run length, sampling and seed.
    pub run: RunSection,
    /// Clearing, ranking, contracts and revenue split.
    pub market: MarketSection,
    /// Reputation engine constants (SPEC §6).
    pub reputation: ReputationSection,
    /// Staking and slashing (SPEC §7, seed 002).
    pub staking: StakingSection,
    /// Clients and the jobs they post.
    pub clients: ClientSection,
    /// Task decomposition into DAGs (SPEC §5).
    pub decomposition: DecompositionSection,
    /// Agent populations (SPEC §9); at least one group.
    pub population: Vec<PopulationGroup>,
}

impl Default for ScenarioFile {
    fn default() -> Self {
        Self {
            run: RunSection::default(),
            market: MarketSection::default(),
            reputation: ReputationSection::default(),
            staking: StakingSection::default(),
            clients: ClientSection::default(),
            decomposition: DecompositionSection::default(),
            population: vec![PopulationGroup::Honest(HonestGroup::default())],
        }
    }
}

/// `[run]`: simulated time and the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSection {
    /// Seed of every random stream of the run (overridden by `--seed`).
    pub seed: u64,
    /// Jobs are posted during `[0, horizon)` simulated seconds; then the run drains.
    pub horizon: u64,
    /// Seconds between two rows of `timeseries.csv`.
    pub sample_interval: u64,
}

impl Default for RunSection {
    fn default() -> Self {
        Self {
            seed: 1,
            horizon: 7 * 86_400,
            sample_interval: 6 * 3_600,
        }
    }
}

/// How the order book clears (SPEC §2, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clearing {
    /// Paper §4.5: accept the cheapest in-budget proposal on arrival.
    Continuous,
    /// Paper §7.2: lowest cost functional when the bidding window closes.
    Call,
    /// Procurement first-price sealed bid at window close.
    FirstPrice,
    /// Procurement Vickrey (second price) at window close.
    Vickrey,
    /// Procurement English (descending clock) at window close.
    English,
    /// Procurement Dutch (ascending clock) at window close.
    Dutch,
}

/// Which reputation signal enters the cost functional (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    /// Raw reputation R (0.5 without history), as the paper's order book does.
    Reputation,
    /// Trust T (0 without history), paper §8.4.
    Trust,
}

/// `[market]`: clearing, contracts and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketSection {
    /// Clearing rule.
    pub clearing: Clearing,
    /// Ranking signal for the cost functional.
    pub ranking: Ranking,
    /// Seconds a call market or auction collects proposals before it clears.
    pub bidding_window: u64,
    /// Clock step of English and Dutch auctions, in credits.
    pub auction_increment: u64,
    /// Allow the paper's §7.7 shortcut active → completed (SPEC §8).
    pub allow_active_completion: bool,
    /// Operator share of each payout, in basis points (SPEC §4: 7000 = 70%).
    pub operator_share_bps: u32,
    /// Platform share, in basis points; the LLM reserve takes the remainder.
    pub platform_share_bps: u32,
}

impl Default for MarketSection {
    fn default() -> Self {
        Self {
            clearing: Clearing::Continuous,
            ranking: Ranking::Reputation,
            bidding_window: 600,
            auction_increment: 1,
            allow_active_completion: false,
            operator_share_bps: 7_000,
            platform_share_bps: 1_500,
        }
    }
}

/// `[reputation]`: every constant of SPEC §6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReputationSection {
    /// Decay λ of the exponentially weighted average, in (0, 1].
    pub decay: f64,
    /// Jobs before full trust, N_min ≥ 1.
    pub min_jobs: u32,
    /// Dimension weights: six non-negative numbers summing to 1 (±0.001).
    pub weights: [f64; 6],
    /// Suspicion added per detector that fires.
    pub suspicion_step: f64,
    /// Suspicion removed per clean recording.
    pub suspicion_decay: f64,
    /// Score inflation fires below this sample variance.
    pub inflation_variance: f64,
    /// Rapid cycling fires for completions shorter than this (seconds).
    pub rapid_seconds: u64,
    /// Rapid cycling looks at this many recent recordings.
    pub rapid_window: u32,
    /// Rapid cycling needs every dimension strictly above this.
    pub rapid_threshold: f64,
    /// Perfect streak length.
    pub streak_len: u32,
    /// Perfect streak needs every dimension at or above this.
    pub streak_threshold: f64,
}

impl Default for ReputationSection {
    fn default() -> Self {
        Self {
            decay: 0.95,
            min_jobs: 5,
            weights: [1.0 / 6.0; 6],
            suspicion_step: 0.1,
            suspicion_decay: 0.01,
            inflation_variance: 0.001,
            rapid_seconds: 60,
            rapid_window: 3,
            rapid_threshold: 0.9,
            streak_len: 10,
            streak_threshold: 0.99,
        }
    }
}

/// `[staking]`: bonds and slashing (seed 002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StakingSection {
    /// Whether agents must post a bond to bid.
    pub enabled: bool,
    /// Minimum bond to bid, in credits.
    pub minimum_stake: u64,
    /// Credits each new identity deposits and bonds.
    pub initial_stake: u64,
}

impl Default for StakingSection {
    fn default() -> Self {
        Self {
            enabled: false,
            minimum_stake: 100,
            initial_stake: 200,
        }
    }
}

/// Shares of jobs per pricing model (SPEC §4); normalised weights, not necessarily summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingMix {
    /// Weight of per-task contracts.
    pub per_task: f64,
    /// Weight of hourly contracts.
    pub hourly: f64,
    /// Weight of per-token contracts.
    pub per_token: f64,
}

impl Default for PricingMix {
    fn default() -> Self {
        Self {
            per_task: 0.8,
            hourly: 0.1,
            per_token: 0.1,
        }
    }
}

/// `[clients]`: the demand side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSection {
    /// Number of ordinary (honest) clients.
    pub count: u32,
    /// Starting balance of each client, in credits.
    pub initial_balance: u64,
    /// Poisson rate of job postings over all clients, per simulated hour.
    pub jobs_per_hour: f64,
    /// Stop posting ordinary jobs after this many (0 = no limit; the horizon still applies).
    pub max_jobs: u64,
    /// Median budget ceiling of a job, in credits (log-normal).
    pub budget_median: u64,
    /// σ of the log of the budget ceiling.
    pub budget_sigma: f64,
    /// Seconds from posting to the demand's deadline.
    pub deadline: u64,
    /// Agents invited to bid on each job.
    pub proposals_per_job: u32,
    /// Number of distinct capabilities (1..=64); each job needs one, each agent has some.
    pub capabilities: u32,
    /// Mix of pricing models.
    pub pricing: PricingMix,
    /// Mean seconds a client takes to review a delivery.
    pub review_seconds: u64,
    /// On review: probability of disputing.
    pub p_dispute: f64,
    /// On review: probability of cancelling.
    pub p_cancel: f64,
    /// A dispute ends in completion with this probability, else cancellation.
    pub p_dispute_upheld: f64,
    /// Mean seconds to resolve a dispute.
    pub dispute_seconds: u64,
    /// Standard deviation of a client's rating noise on each dimension.
    pub rating_noise: f64,
}

impl Default for ClientSection {
    fn default() -> Self {
        Self {
            count: 1_000,
            initial_balance: 10_000_000,
            jobs_per_hour: 200.0,
            max_jobs: 0,
            budget_median: 1_000,
            budget_sigma: 0.6,
            deadline: 86_400,
            proposals_per_job: 5,
            capabilities: 8,
            pricing: PricingMix::default(),
            review_seconds: 1_800,
            p_dispute: 0.03,
            p_cancel: 0.02,
            p_dispute_upheld: 0.5,
            dispute_seconds: 7_200,
            rating_noise: 0.05,
        }
    }
}

/// `[decomposition]`: jobs that carry a DAG of subtasks (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecompositionSection {
    /// Share of jobs posted as a DAG of subtasks, matched level by level.
    pub share: f64,
    /// Largest number of subtasks in one job (at least 2).
    pub max_subtasks: u32,
    /// Probability that a subtask depends on each earlier subtask.
    pub dependency_probability: f64,
}

impl Default for DecompositionSection {
    fn default() -> Self {
        Self {
            share: 0.0,
            max_subtasks: 5,
            dependency_probability: 0.3,
        }
    }
}

/// One `[[population]]` group; `kind` picks the behaviour (SPEC §9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PopulationGroup {
    /// Honest agents.
    Honest(HonestGroup),
    /// Gaming agents with one strategy.
    Gaming(GamingGroup),
    /// Sybil owners with many identities.
    Sybil(SybilGroup),
    /// Colluding rings that rate each other's wash jobs.
    Ring(RingGroup),
}

/// Honest agents: latent quality with noise, bids near true cost, truthful confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HonestGroup {
    /// Number of agents.
    pub count: u32,
    /// Mean latent quality over agents (each agent's own mean is drawn around it).
    pub quality_mean: f64,
    /// Spread of agents' latent means.
    pub quality_spread: f64,
    /// Per-job noise (σ) of each quality dimension.
    pub quality_noise: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    pub cost_factor: f64,
    /// Relative noise of bids around true cost.
    pub bid_noise: f64,
    /// Confidence every agent of the group claims; absent = truthful (its latent mean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Completed jobs each agent has on record before the run starts (0 = a fresh market).
    pub prior_jobs: u32,
    /// Reputation R those prior jobs give; absent = the group's `quality_mean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prior_reputation: Option<f64>,
}

impl Default for HonestGroup {
    fn default() -> Self {
        Self {
            count: 200,
            quality_mean: 0.75,
            quality_spread: 0.1,
            quality_noise: 0.1,
            cost_factor: 0.6,
            bid_noise: 0.1,
            confidence: None,
            prior_jobs: 0,
            prior_reputation: None,
        }
    }
}

/// Gaming strategies (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GamingStrategy {
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
}

impl GamingStrategy {
    /// Whether the strategy runs wash jobs through a colluding client.
    pub fn uses_wash_jobs(self) -> bool {
        matches!(
            self,
            GamingStrategy::ScoreInflation
                | GamingStrategy::RapidCycling
                | GamingStrategy::PerfectStreak
        )
    }
}

/// Gaming agents: each owns one identity and (for wash strategies) one colluding client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GamingGroup {
    /// Number of agents.
    pub count: u32,
    /// The strategy.
    pub strategy: GamingStrategy,
    /// Real latent quality (what honest clients observe).
    pub quality_mean: f64,
    /// Wash jobs per hour per agent (wash strategies only).
    pub wash_jobs_per_hour: f64,
    /// Budget of a wash job, in credits.
    pub wash_budget: u64,
    /// Reputation farming: defect once R reaches this.
    pub farming_target: f64,
    /// Reputation farming: jobs at least this many times the median budget count as high-value.
    pub high_value_factor: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    pub cost_factor: f64,
}

impl Default for GamingGroup {
    fn default() -> Self {
        Self {
            count: 10,
            strategy: GamingStrategy::PerfectStreak,
            quality_mean: 0.5,
            wash_jobs_per_hour: 1.0,
            wash_budget: 100,
            farming_target: 0.8,
            high_value_factor: 2.0,
            cost_factor: 0.6,
        }
    }
}

/// Sybil owners (SPEC §9): many identities, underbidding, low quality, whitewashing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SybilGroup {
    /// Number of owners.
    pub owners: u32,
    /// Identities alive per owner at any time.
    pub identities_per_owner: u32,
    /// Bid multiplier applied to an honest bid (0.7 = 30% under).
    pub underbid: f64,
    /// Real latent quality.
    pub quality_mean: f64,
    /// Abandon an identity whose trust falls below this (after N_min jobs); 0 disables.
    pub whitewash_trust: f64,
    /// Whether the owner's fake clients post wash jobs rated near-perfect.
    pub collude: bool,
    /// Wash jobs per hour per identity when colluding.
    pub wash_jobs_per_hour: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    pub cost_factor: f64,
}

impl Default for SybilGroup {
    fn default() -> Self {
        Self {
            owners: 2,
            identities_per_owner: 10,
            underbid: 0.7,
            quality_mean: 0.35,
            whitewash_trust: 0.4,
            collude: false,
            wash_jobs_per_hour: 0.5,
            cost_factor: 0.6,
        }
    }
}

/// Colluding rings: members post wash jobs to each other and rate them highly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RingGroup {
    /// Number of rings.
    pub rings: u32,
    /// Members per ring (at least 2).
    pub size: u32,
    /// Real latent quality of members.
    pub quality_mean: f64,
    /// Wash jobs per hour per member.
    pub wash_jobs_per_hour: f64,
    /// Budget of a wash job, in credits.
    pub wash_budget: u64,
    /// Rating members give each other (each dimension, before a little noise).
    pub wash_rating: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    pub cost_factor: f64,
}

impl Default for RingGroup {
    fn default() -> Self {
        Self {
            rings: 2,
            size: 4,
            quality_mean: 0.5,
            wash_jobs_per_hour: 1.0,
            wash_budget: 100,
            wash_rating: 0.95,
            cost_factor: 0.6,
        }
    }
}

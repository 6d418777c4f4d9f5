//! The scenario file as written in TOML: raw serde types with every default of SPEC.
//!
//! Every table denies unknown keys, so a typo is refused instead of silently ignored. Defaults are
//! the seeds' constants (SPEC §2–§9). These types are the *boundary*: [`super::Scenario`] wraps a
//! validated `ScenarioFile`, and nothing downstream sees an unvalidated one.

pub use super::dist::{DistSpec, EmpiricalSource};
use crate::engine::MAX_SECONDS;
use crate::market::collusion::CollusionConfig;
use crate::market::reputation::ReputationConfig;
use crate::market::reputation_model::{BetaConfig, EigenTrustConfig, PeerTrustConfig};
use crate::market::split::SplitPolicy;
use crate::market::staking::StakingConfig;
use crate::market::tiers::{PowerStep, TierConfig};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// `[collusion]`: the bid-stream collusion detectors (SPEC §7, seed 002). Absent: off; a
    /// `[collusion]` table, even empty, switches both on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collusion: Option<CollusionSection>,
    /// Seed 004's performance market coefficients (used when `market.clearing =
    /// "performance"`).
    pub performance: PerformanceSection,
    /// Delivery faults the market must absorb (seed 003). Absent: none.
    #[serde(skip_serializing_if = "FaultsSection::is_none")]
    pub faults: FaultsSection,
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
            collusion: None,
            performance: PerformanceSection::default(),
            faults: FaultsSection::default(),
        }
    }
}

/// `[run]`: simulated time and the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RunSection {
    /// Seed of every random stream of the run (overridden by `--seed`).
    pub seed: u64,
    /// Jobs are posted during `[0, horizon)` simulated seconds; then the run drains.
    #[schemars(range(min = 1, max = MAX_SECONDS))]
    pub horizon: u64,
    /// Seconds between two rows of `timeseries.csv`.
    #[schemars(range(min = 1, max = MAX_SECONDS))]
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

/// `[faults]`: delivery faults the market must absorb (SPEC §7, seed 003).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FaultsSection {
    /// Share of dispute, completion and cancellation events delivered twice (at-least-once
    /// delivery); the market must apply each once (`no_double_effect`). 0: none.
    #[schemars(range(min = 0, max = 1))]
    pub duplicate_events: f64,
}

impl FaultsSection {
    fn is_none(&self) -> bool {
        *self == Self::default()
    }
}

/// How the order book clears (SPEC §2, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
    /// Seed 004's performance market at window close: bids that break the job's requirements
    /// (`clients.max_latency`, `clients.min_success_rate`, the budget, the capability) are
    /// refused; the lowest composite score of `[performance]` wins.
    Performance,
}

/// `[performance]`: seed 004's performance market (SPEC §7), used when `market.clearing =
/// "performance"`. Defaults are the seed's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PerformanceSection {
    /// Weight of `cost / max_cost` in the bid score.
    #[schemars(range(min = 0))]
    pub cost_weight: f64,
    /// Weight of `stated latency / max_latency` in the bid score.
    #[schemars(range(min = 0))]
    pub latency_weight: f64,
    /// Weight of `1 − stated success` in the bid score.
    #[schemars(range(min = 0))]
    pub success_penalty: f64,
    /// Weight of `calibration − calibration_pivot`, subtracted from the bid score.
    #[schemars(range(min = 0))]
    pub calibration_weight: f64,
    /// Calibration at which the calibration term of the score is zero.
    #[schemars(range(min = 0, max = 1))]
    pub calibration_pivot: f64,
    /// On success the agent is owed `base + mean accuracy × base × accuracy_bonus_rate`.
    #[schemars(range(min = 0))]
    pub accuracy_bonus_rate: f64,
    /// On failure the agent owes `failure_penalty_rate × base` (from its bond, if staking).
    #[schemars(range(min = 0))]
    pub failure_penalty_rate: f64,
    /// Weight of each new observation in the calibration EMA.
    #[schemars(range(min = 0, max = 1))]
    pub calibration_alpha: f64,
    /// Weight of latency accuracy in a calibration observation (success gets the rest).
    #[schemars(range(min = 0, max = 1))]
    pub calibration_latency_share: f64,
    /// Calibration of a new identity.
    #[schemars(range(min = 0, max = 1))]
    pub initial_calibration: f64,
    /// Value share below which a kind counts as pushed out (`perf_pushed_out_<kind>`).
    #[schemars(range(min = 0, max = 1))]
    pub pushed_out_share: f64,
}

impl Default for PerformanceSection {
    fn default() -> Self {
        let c = crate::market::performance::PerformanceConfig::default();
        Self {
            cost_weight: c.cost_weight,
            latency_weight: c.latency_weight,
            success_penalty: c.success_penalty,
            calibration_weight: c.calibration_weight,
            calibration_pivot: c.calibration_pivot,
            accuracy_bonus_rate: c.accuracy_bonus_rate,
            failure_penalty_rate: c.failure_penalty_rate,
            calibration_alpha: c.calibration_alpha,
            calibration_latency_share: c.calibration_latency_share,
            initial_calibration: c.initial_calibration,
            pushed_out_share: 0.5,
        }
    }
}

/// Which reputation signal enters the cost functional (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    /// Raw reputation R (0.5 without history), as the paper's order book does.
    Reputation,
    /// Trust T (0 without history), paper §8.4.
    Trust,
}

/// `[market]`: clearing, contracts and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MarketSection {
    /// Clearing rule.
    pub clearing: Clearing,
    /// Ranking signal for the cost functional.
    pub ranking: Ranking,
    /// Seconds a call market or auction collects proposals before it clears.
    #[schemars(range(min = 1, max = MAX_SECONDS))]
    pub bidding_window: u64,
    /// Clock step of English and Dutch auctions, in credits.
    #[schemars(range(min = 1))]
    pub auction_increment: u64,
    /// Allow the paper's §7.7 shortcut active → completed (SPEC §8).
    pub allow_active_completion: bool,
    /// Operator share of each payout, in basis points (SPEC §4: 7000 = 70%).
    #[schemars(range(max = 10000))]
    pub operator_share_bps: u32,
    /// Platform share, in basis points; the LLM reserve takes the remainder.
    #[schemars(range(max = 10000))]
    pub platform_share_bps: u32,
    /// Anti-concentration routing strength α ≥ 0 (seed 003): a candidate bidder earning `e`
    /// against a mean of `ē` per identity is invited with probability 1 / (1 + α·e/ē).
    /// 0 turns routing off (uniform invitations).
    #[schemars(range(min = 0))]
    pub anti_concentration: f64,
    /// Seed 002 bidding power (README "Tiers and bidding power"): the call rule divides each
    /// proposal's cost functional by the power multiplier of its agent's ranking signal (R or
    /// T, as `ranking`). Only with `clearing = "call"`. Absent: false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bidding_power: bool,
    /// `[market.tiers]`: tier thresholds and the bidding-power ladder. Absent: seed 002's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TiersSection>,
}

/// `[market.tiers]`: reputation tiers and the bidding-power ladder (SPEC §7, seed 002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TiersSection {
    /// Platinum from this signal on (≥), in [0, 1].
    #[schemars(range(min = 0, max = 1))]
    pub platinum_min: f64,
    /// Gold from this signal on (≥), in [0, `platinum_min`).
    pub gold_min: f64,
    /// Silver from this signal on (≥), in [0, `gold_min`); bronze below.
    pub silver_min: f64,
    /// Power steps: a signal strictly above `power_above[i]` gets `power_multiplier[i]`, the
    /// first step that applies counting; strictly decreasing, in [0, 1].
    pub power_above: [f64; 4],
    /// Multipliers of the steps, finite, ≥ 0 and non-increasing.
    pub power_multiplier: [f64; 4],
    /// Power when no step applies, in [0, the last multiplier].
    #[schemars(range(min = 0))]
    pub power_floor: f64,
}

impl Default for TiersSection {
    /// Seed 002's table ([`TierConfig::default`]): one home for each constant.
    fn default() -> Self {
        let c = TierConfig::default();
        Self {
            platinum_min: c.platinum_min,
            gold_min: c.gold_min,
            silver_min: c.silver_min,
            power_above: c.power_steps.map(|s| s.above),
            power_multiplier: c.power_steps.map(|s| s.multiplier),
            power_floor: c.power_floor,
        }
    }
}

impl TiersSection {
    /// The market core's tier configuration (unvalidated).
    pub fn config(&self) -> TierConfig {
        TierConfig {
            platinum_min: self.platinum_min,
            gold_min: self.gold_min,
            silver_min: self.silver_min,
            power_steps: std::array::from_fn(|i| PowerStep {
                above: self.power_above[i],
                multiplier: self.power_multiplier[i],
            }),
            power_floor: self.power_floor,
        }
    }
}

impl Default for MarketSection {
    fn default() -> Self {
        Self {
            clearing: Clearing::Continuous,
            ranking: Ranking::Reputation,
            bidding_window: 600,
            auction_increment: 1,
            allow_active_completion: false,
            operator_share_bps: SplitPolicy::PAPER.operator_bps(),
            platform_share_bps: SplitPolicy::PAPER.platform_bps(),
            anti_concentration: 0.0,
            bidding_power: false,
            tiers: None,
        }
    }
}

/// `[reputation]`: every constant of SPEC §6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReputationSection {
    /// Decay λ of the exponentially weighted average, in (0, 1].
    #[schemars(extend("exclusiveMinimum" = 0), range(max = 1))]
    pub decay: f64,
    /// Jobs before full trust, N_min ≥ 1.
    #[schemars(range(min = 1))]
    pub min_jobs: u32,
    /// Dimension weights: six non-negative numbers summing to 1 (±0.001).
    pub weights: [f64; 6],
    /// Suspicion added per detector that fires.
    #[schemars(range(min = 0, max = 1))]
    pub suspicion_step: f64,
    /// Suspicion removed per clean recording.
    #[schemars(range(min = 0, max = 1))]
    pub suspicion_decay: f64,
    /// Score inflation fires below this sample variance.
    #[schemars(range(min = 0))]
    pub inflation_variance: f64,
    /// Rapid cycling fires for completions shorter than this (seconds).
    pub rapid_seconds: u64,
    /// Rapid cycling looks at this many recent recordings.
    #[schemars(range(min = 1, max = 65535))]
    pub rapid_window: u32,
    /// Rapid cycling needs every dimension strictly above this.
    #[schemars(range(min = 0, max = 1))]
    pub rapid_threshold: f64,
    /// Perfect streak length.
    #[schemars(range(min = 1, max = 65535))]
    pub streak_len: u32,
    /// Perfect streak needs every dimension at or above this.
    #[schemars(range(min = 0, max = 1))]
    pub streak_threshold: f64,
    /// Which model scores R (issue 13; README "Reputation models"). Absent: `paper`.
    #[serde(skip_serializing_if = "ReputationModelKind::is_paper")]
    pub model: ReputationModelKind,
    /// Whether the three detectors (and so suspicion γ) run, under any model. Absent: true.
    #[serde(skip_serializing_if = "is_true")]
    pub detectors: bool,
    /// `[reputation.beta]`: constants of the beta model. Absent: its defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<BetaSection>,
    /// `[reputation.eigentrust]`: constants of EigenTrust. Absent: its defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eigentrust: Option<EigenTrustSection>,
    /// `[reputation.peertrust]`: constants of PeerTrust. Absent: its defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peertrust: Option<PeerTrustSection>,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// `reputation.model`: the model whose score is R (issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReputationModelKind {
    /// The paper's decayed average (SPEC §6).
    #[default]
    Paper,
    /// The beta reputation system (Jøsang and Ismail 2002).
    Beta,
    /// EigenTrust (Kamvar, Schlosser and Garcia-Molina 2003).
    Eigentrust,
    /// PeerTrust (Xiong and Liu 2004): ratings weighted by rater credibility.
    Peertrust,
}

impl ReputationModelKind {
    fn is_paper(&self) -> bool {
        *self == Self::Paper
    }
}

/// `[reputation.beta]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BetaSection {
    /// Forgetting factor δ ∈ (0, 1] of old evidence per new rating.
    #[schemars(extend("exclusiveMinimum" = 0), range(max = 1))]
    pub forgetting: f64,
}

impl Default for BetaSection {
    fn default() -> Self {
        Self {
            forgetting: BetaConfig::default().forgetting,
        }
    }
}

/// `[reputation.peertrust]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PeerTrustSection {
    /// Recency factor δ ∈ (0, 1] of an agent's older ratings per new rating.
    #[schemars(extend("exclusiveMinimum" = 0), range(max = 1))]
    pub decay: f64,
}

impl Default for PeerTrustSection {
    fn default() -> Self {
        Self {
            decay: PeerTrustConfig::default().decay,
        }
    }
}

/// `[reputation.eigentrust]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EigenTrustSection {
    /// Weight α ∈ (0, 1] of the pre-trusted distribution.
    #[schemars(extend("exclusiveMinimum" = 0), range(max = 1))]
    pub alpha: f64,
    /// Share in [0, 1] of the honest clients (`clients.count`) that are pre-trusted, rounded up;
    /// 0: no pre-trusted peer (uniform teleport).
    #[schemars(range(min = 0, max = 1))]
    pub pretrusted_share: f64,
    /// Simulated seconds between recomputations of the global trust vector.
    #[schemars(range(min = 1))]
    pub interval: u64,
    /// Power iteration stops when the L1 change is below this.
    pub tolerance: f64,
    /// A rating ⟨w, q⟩ at or above this is satisfactory.
    #[schemars(range(min = 0, max = 1))]
    pub satisfaction: f64,
}

/// Default share of honest clients that EigenTrust pre-trusts.
const PRETRUSTED_SHARE: f64 = 0.1;

impl Default for EigenTrustSection {
    fn default() -> Self {
        let c = EigenTrustConfig::default();
        Self {
            alpha: c.alpha,
            pretrusted_share: PRETRUSTED_SHARE,
            interval: c.interval,
            tolerance: c.tolerance,
            satisfaction: c.satisfaction,
        }
    }
}

impl Default for ReputationSection {
    /// The market core's defaults ([`ReputationConfig::default`]): one home for each constant.
    fn default() -> Self {
        let c = ReputationConfig::default();
        Self {
            decay: c.decay,
            min_jobs: c.min_jobs,
            weights: *c.weights.values(),
            suspicion_step: c.suspicion_step,
            suspicion_decay: c.suspicion_decay,
            inflation_variance: c.inflation_variance,
            rapid_seconds: c.rapid_seconds,
            rapid_window: c.rapid_window,
            rapid_threshold: c.rapid_threshold,
            streak_len: c.streak_len,
            streak_threshold: c.streak_threshold,
            model: ReputationModelKind::Paper,
            detectors: c.detectors,
            beta: None,
            eigentrust: None,
            peertrust: None,
        }
    }
}

/// `[collusion]`: window, thresholds and minimum supports of the bid-stream detectors
/// (`market::collusion`; README "Collusion and shill detection").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CollusionSection {
    /// Δ: two bids on one job at most this many seconds apart are a co-bid.
    #[schemars(range(max = MAX_SECONDS))]
    pub window: u64,
    /// Flag a pair whose co-bid ratio J = C / (n_a + n_b − C) reaches this, in (0, 1].
    #[schemars(extend("exclusiveMinimum" = 0), range(max = 1))]
    pub sync_threshold: f64,
    /// Co-bids C a pair needs before J counts (≥ 1).
    #[schemars(range(min = 1))]
    pub sync_min_support: u64,
    /// Flag a pair whose correlation ρ of relative asks (ask / budget) over its co-bids
    /// reaches this, in (−1, 1].
    #[schemars(extend("exclusiveMinimum" = -1), range(max = 1))]
    pub price_threshold: f64,
    /// Co-bids a pair needs before ρ counts (≥ 3).
    #[schemars(range(min = 3))]
    pub price_min_support: u64,
    /// Seconds without a co-bid after which a pair is forgotten (its counts start afresh at
    /// its next co-bid), in 1..=2^40. Absent: pairs are never forgotten, and the detectors'
    /// memory grows with the run (README "Collusion and shill detection").
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_SECONDS))]
    pub pair_memory: Option<u64>,
}

impl Default for CollusionSection {
    /// The market core's defaults ([`CollusionConfig::default`]).
    fn default() -> Self {
        let c = CollusionConfig::default();
        Self {
            window: c.window,
            sync_threshold: c.sync_threshold,
            sync_min_support: c.sync_min_support,
            price_threshold: c.price_threshold,
            price_min_support: c.price_min_support,
            pair_memory: c.pair_memory,
        }
    }
}

impl CollusionSection {
    /// The market core's config.
    pub fn config(&self) -> CollusionConfig {
        CollusionConfig {
            window: self.window,
            sync_threshold: self.sync_threshold,
            sync_min_support: self.sync_min_support,
            price_threshold: self.price_threshold,
            price_min_support: self.price_min_support,
            pair_memory: self.pair_memory,
        }
    }
}

/// `[staking]`: bonds and slashing (seed 002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
            minimum_stake: StakingConfig::default().minimum_stake.0,
            initial_stake: 200,
        }
    }
}

/// Shares of jobs per pricing model (SPEC §4); normalised weights, not necessarily summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PricingMix {
    /// Weight of per-task contracts.
    #[schemars(range(min = 0))]
    pub per_task: f64,
    /// Weight of hourly contracts.
    #[schemars(range(min = 0))]
    pub hourly: f64,
    /// Weight of per-token contracts.
    #[schemars(range(min = 0))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSection {
    /// Number of ordinary (honest) clients.
    #[schemars(range(min = 1))]
    pub count: u32,
    /// Starting balance of each client, in credits.
    #[schemars(range(min = 1))]
    pub initial_balance: u64,
    /// Poisson rate of job postings over all clients, per simulated hour.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub jobs_per_hour: f64,
    /// Stop posting ordinary jobs after this many (0 = no limit; the horizon still applies).
    pub max_jobs: u64,
    /// Median budget ceiling of a job, in credits (log-normal).
    #[schemars(range(min = 1))]
    pub budget_median: u64,
    /// σ of the log of the budget ceiling.
    #[schemars(range(min = 0))]
    pub budget_sigma: f64,
    /// Seconds from posting to the demand's deadline.
    #[schemars(range(min = 1, max = MAX_SECONDS))]
    pub deadline: u64,
    /// Agents invited to bid on each job.
    #[schemars(range(min = 1))]
    pub proposals_per_job: u32,
    /// Number of distinct capabilities (1..=64); each job needs one, each agent has some.
    #[schemars(range(min = 1, max = 64))]
    pub capabilities: u32,
    /// Mix of pricing models.
    pub pricing: PricingMix,
    /// Mean seconds a client takes to review a delivery.
    #[schemars(range(max = MAX_SECONDS))]
    pub review_seconds: u64,
    /// On review: probability of disputing.
    #[schemars(range(min = 0, max = 1))]
    pub p_dispute: f64,
    /// On review: probability of cancelling.
    #[schemars(range(min = 0, max = 1))]
    pub p_cancel: f64,
    /// A dispute ends in completion with this probability, else cancellation.
    #[schemars(range(min = 0, max = 1))]
    pub p_dispute_upheld: f64,
    /// Mean seconds to resolve a dispute.
    #[schemars(range(max = MAX_SECONDS))]
    pub dispute_seconds: u64,
    /// Standard deviation of a client's rating noise on each dimension.
    #[schemars(range(min = 0))]
    pub rating_noise: f64,
    /// Budget ceiling of an ordinary job, credits (rounded; at least 1). A distribution.
    /// Absent: log-normal with `budget_median` and `budget_sigma`. Its median replaces
    /// `budget_median` as the typical budget (duration scale, high-value threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<DistSpec>,
    /// Seconds between two ordinary postings (a constant is a fixed interval). A distribution.
    /// Absent: exponential at `jobs_per_hour` (Poisson arrivals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interarrival: Option<DistSpec>,
    /// Post times of ordinary jobs, seconds, read from a CSV column (`"file.csv"`: first
    /// column; `{ file, column }`); times at or after the horizon are ignored. Excludes
    /// `interarrival`; `jobs_per_hour` is then unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_trace: Option<EmpiricalSource>,
    /// Nominal duration of a job, seconds, independent of its budget. A distribution.
    /// Absent: 3600 × √(budget / typical budget) × U[0.5, 1.5), at least 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DistSpec>,
    /// Actual work time as a multiple of the nominal duration. A distribution.
    /// Absent: `{ uniform = [0.8, 1.3] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_factor: Option<DistSpec>,
    /// Seconds a client takes to review a delivery. A distribution.
    /// Absent: exponential with mean `review_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_delay: Option<DistSpec>,
    /// Seconds to resolve a dispute. A distribution.
    /// Absent: exponential with mean `dispute_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_delay: Option<DistSpec>,
    /// What an honest client's rating adds to each delivered quality dimension (the result
    /// is clamped into [0, 1]). A distribution. Absent: normal with mean 0 and sd
    /// `rating_noise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_error: Option<DistSpec>,
    /// Whether an honest client disputes every delivery whose observed mean quality is below
    /// `auto_dispute_below` (and never upholds such a dispute). Absent: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_dispute: Option<bool>,
    /// Observed mean quality below which a delivery is disputed automatically, in [0, 1].
    /// Absent: 0.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub auto_dispute_below: Option<f64>,
    /// Performance market: a job's maximum latency, seconds (bids stating more are refused).
    /// A distribution, drawn per job. Absent: 1800 (seed 004's 30 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency: Option<DistSpec>,
    /// Performance market: a job's minimum success rate (bids stating less are refused). A
    /// distribution of values in [0, 1], drawn per job. Absent: 0.95 (seed 004's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_success_rate: Option<DistSpec>,
}

/// Default of `clients.auto_dispute_below`.
pub const AUTO_DISPUTE_BELOW: f64 = 0.3;

impl ClientSection {
    /// The automatic-dispute threshold, if automatic disputes are on.
    pub fn auto_dispute_threshold(&self) -> Option<f64> {
        self.auto_dispute
            .unwrap_or(true)
            .then(|| self.auto_dispute_below.unwrap_or(AUTO_DISPUTE_BELOW))
    }
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
            budget: None,
            interarrival: None,
            arrival_trace: None,
            duration: None,
            work_factor: None,
            review_delay: None,
            dispute_delay: None,
            rating_error: None,
            auto_dispute: None,
            auto_dispute_below: None,
            max_latency: None,
            min_success_rate: None,
        }
    }
}

/// `[decomposition]`: jobs that carry a DAG of subtasks (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DecompositionSection {
    /// Share of jobs posted as a DAG of subtasks, matched level by level.
    #[schemars(range(min = 0, max = 1))]
    pub share: f64,
    /// Largest number of subtasks in one job (at least 2).
    #[schemars(range(min = 2, max = 64))]
    pub max_subtasks: u32,
    /// Probability that a subtask depends on each earlier subtask.
    #[schemars(range(min = 0, max = 1))]
    pub dependency_probability: f64,
    /// How a decomposed job's subtasks are matched (issue 12): `sequential` (level by level,
    /// each subtask its own demand under `market.clearing`) or `combinatorial` (at posting,
    /// invited agents bid on bundles of subtasks; exact winner determination, VCG payments;
    /// contracts still open level by level). Absent: sequential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearing: Option<DagClearing>,
    /// Combinatorial clearing: the largest bundle an agent bids on, in subtasks. Every agent
    /// bids on every subset of at most this many subtasks, so with `clients.proposals_per_job`
    /// and `max_subtasks` it must keep a job's bundle bids within 64. Absent: 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_bundle_size: Option<u32>,
    /// Combinatorial clearing: an agent's economies-of-scope discount δ in [0, 1], the share
    /// of each ask that is set-up work done once per bundle (a bundle of m subtasks is asked
    /// at its asks' sum less ⌊δ·(m − 1)/m·sum⌋); drawn once per agent. A distribution.
    /// Absent: `{ uniform = [0, 0.4] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_discount: Option<DistSpec>,
}

/// How a decomposed job's subtasks are matched (issue 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DagClearing {
    /// Level by level: each subtask is its own demand, cleared by `market.clearing` when its
    /// level starts (SPEC §5).
    Sequential,
    /// At posting, by an exact combinatorial auction over bundle bids with VCG payments
    /// (`market::combinatorial`).
    Combinatorial,
}

impl Default for DecompositionSection {
    fn default() -> Self {
        Self {
            share: 0.0,
            max_subtasks: 5,
            dependency_probability: 0.3,
            clearing: None,
            max_bundle_size: None,
            scope_discount: None,
        }
    }
}

/// One `[[population]]` group; `kind` picks the behaviour (SPEC §9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
// A scenario has a handful of groups, read once when a run is built: their size is no cost.
#[allow(clippy::large_enum_variant)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HonestGroup {
    /// Number of agents.
    #[schemars(range(min = 1))]
    pub count: u32,
    /// Mean latent quality over agents (each agent's own mean is drawn around it).
    #[schemars(range(min = 0, max = 1))]
    pub quality_mean: f64,
    /// Spread of agents' latent means.
    #[schemars(range(min = 0))]
    pub quality_spread: f64,
    /// Per-job noise (σ) of each quality dimension.
    #[schemars(range(min = 0))]
    pub quality_noise: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cost_factor: f64,
    /// Relative noise of bids around true cost.
    #[schemars(range(min = 0))]
    pub bid_noise: f64,
    /// Confidence an agent claims on each bid: a number (fixed) or a distribution of values in
    /// [0, 1] (drawn per bid). Absent: truthful (its weighted latent quality).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<DistSpec>,
    /// Completed jobs each agent has on record before the run starts (0 = a fresh market).
    pub prior_jobs: u32,
    /// Reputation R those prior jobs give; absent = the group's `quality_mean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.05, max = 0.94))]
    pub prior_reputation: Option<f64>,
    /// Latent mean quality of each agent (the centre its six dimensions are drawn around). A
    /// distribution. Absent: normal with mean `quality_mean` and sd `quality_spread`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<DistSpec>,
    /// Noise added to each delivered quality dimension (the result is clamped into [0, 1]).
    /// A distribution. Absent: normal with mean 0 and sd `quality_noise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_noise: Option<DistSpec>,
    /// Bid as a multiple of the true cost (`cost_factor` × budget). A distribution.
    /// Absent: normal with mean 1 and sd `bid_noise`, clamped at min 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_factor: Option<DistSpec>,
    /// Each dimension of an agent's latent quality is its centre plus U[−j, j] (0: none).
    /// Absent: 0.02.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub quality_jitter: Option<f64>,
    /// Performance market: the latency an agent delivers, seconds, drawn per job; it states
    /// the mean. A distribution. Absent: `{ uniform = [900, 1500] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<DistSpec>,
    /// Performance market: the probability that an agent's job succeeds; it states this.
    /// Absent: 0.98 (seed 004's SLA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub success_rate: Option<f64>,
    /// How the group's agents shade their asks (seed 002; README "Bidding strategies").
    /// Absent: truthful.
    #[serde(default, skip_serializing_if = "BiddingStrategy::is_truthful")]
    pub bidding: BiddingStrategy,
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
            quality: None,
            delivery_noise: None,
            bid_factor: None,
            quality_jitter: None,
            latency: None,
            success_rate: None,
            bidding: BiddingStrategy::Truthful,
        }
    }
}

/// `population[N].bidding`: how a group's agents shade their asks (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BiddingStrategy {
    /// The ask and confidence its behaviour gives.
    #[default]
    Truthful,
    /// Confidence 1.0, price raised so its cost functional is unchanged (capped at the budget).
    Strategic,
    /// Price × 1.25, confidence × 0.75.
    Conservative,
    /// Price × 0.8, confidence 1.0.
    Aggressive,
}

impl BiddingStrategy {
    fn is_truthful(&self) -> bool {
        *self == Self::Truthful
    }
}

impl From<BiddingStrategy> for crate::agents::bidding::Bidding {
    fn from(s: BiddingStrategy) -> Self {
        use crate::agents::bidding::Bidding;
        match s {
            BiddingStrategy::Truthful => Bidding::Truthful,
            BiddingStrategy::Strategic => Bidding::Strategic,
            BiddingStrategy::Conservative => Bidding::Conservative,
            BiddingStrategy::Aggressive => Bidding::Aggressive,
        }
    }
}

/// Gaming strategies (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
    /// No wash client: reports manufactured scores (`reported_score`) for its own ordinary
    /// jobs, completing them within `report_seconds`.
    SelfReport,
    /// Oscillation: honest for `honest_seconds`, then delivers garbage on every market job for
    /// `cheat_seconds`, and again (phases counted from the identity's creation).
    OnOff,
    /// Wash jobs whose manufactured ratings and completion times stay just outside the three
    /// detectors' thresholds (read from `[reputation]`).
    DetectorAware,
    /// Unfair raters: its colluding client hires, per wash job, with probability
    /// `badmouth_share` a random honest competitor and rates it low (bad-mouthing), otherwise
    /// the partner agent itself and rates it high (ballot stuffing).
    UnfairRating,
    /// Honest until its R and T are both in the top decile of live identities (as of the last
    /// sample), then defects on high-value jobs (`high_value_factor`), and whitewashes once a
    /// contract it defected on has ended.
    Camouflage,
    /// Performance market: states a better latency and success rate than it delivers
    /// (`latency_understatement`, `success_overstatement`); otherwise honest.
    Miscalibrated,
}

impl GamingStrategy {
    /// Whether the strategy runs wash jobs through a colluding client.
    pub fn uses_wash_jobs(self) -> bool {
        crate::agents::Strategy::from(self).uses_wash_jobs()
    }
}

/// Gaming agents: each owns one identity and (for wash strategies) one colluding client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GamingGroup {
    /// Number of agents.
    #[schemars(range(min = 1))]
    pub count: u32,
    /// The strategy.
    pub strategy: GamingStrategy,
    /// Real latent quality (what honest clients observe).
    #[schemars(range(min = 0, max = 1))]
    pub quality_mean: f64,
    /// Wash jobs per hour per agent (wash strategies only).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub wash_jobs_per_hour: f64,
    /// Budget of a wash job, in credits.
    #[schemars(range(min = 1))]
    pub wash_budget: u64,
    /// Reputation farming: defect once R reaches this.
    #[schemars(range(min = 0, max = 1))]
    pub farming_target: f64,
    /// Reputation farming: jobs at least this many times the median budget count as high-value.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub high_value_factor: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cost_factor: f64,
    /// Latent mean quality of each agent (the centre its six dimensions are drawn around). A
    /// distribution. Absent: normal with mean `quality_mean` and sd 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<DistSpec>,
    /// Noise added to each delivered quality dimension (the result is clamped into [0, 1]).
    /// A distribution. Absent: normal with mean 0 and sd 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_noise: Option<DistSpec>,
    /// Bid as a multiple of the true cost (`cost_factor` × budget). A distribution.
    /// Absent: normal with mean 1 and sd 0.1, clamped at min 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_factor: Option<DistSpec>,
    /// Seconds between two wash jobs of an agent. A distribution.
    /// Absent: exponential at `wash_jobs_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wash_interval: Option<DistSpec>,
    /// Confidence an agent claims on each bid when its strategy does not dictate one
    /// (confidence inflators claim 1.0, farmers 1.0 on the job they defect on): a number or a
    /// distribution of values in [0, 1]. Absent: truthful (its weighted latent quality).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<DistSpec>,
    /// Self-report: the score it reports on each dimension. A distribution of values in
    /// [0, 1]. Absent: 0.995.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_score: Option<DistSpec>,
    /// Self-report: seconds from contract to reported completion. A distribution.
    /// Absent: `{ uniform_int = [1, 30] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_seconds: Option<DistSpec>,
    /// On-off: length of each honest phase, seconds. Absent: 86400 (a day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub honest_seconds: Option<u64>,
    /// On-off: length of each cheating phase, seconds. Absent: 21600 (six hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub cheat_seconds: Option<u64>,
    /// Unfair rating: share of wash jobs that bad-mouth an honest competitor (the rest stuff
    /// the partner's ballot). Absent: 0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub badmouth_share: Option<f64>,
    /// Performance market: the latency an agent delivers, seconds, drawn per job. A
    /// distribution. Absent: `{ uniform = [900, 1500] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<DistSpec>,
    /// Performance market: the probability that an agent's job succeeds. Absent: 0.98.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub success_rate: Option<f64>,
    /// Miscalibrated: it states `mean latency × (1 − latency_understatement)`. Absent: 0.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub latency_understatement: Option<f64>,
    /// Miscalibrated: it states `min(1, success_rate + success_overstatement)`. Absent: 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub success_overstatement: Option<f64>,
    /// How the group's agents shade their asks (seed 002; README "Bidding strategies").
    /// Absent: truthful.
    #[serde(default, skip_serializing_if = "BiddingStrategy::is_truthful")]
    pub bidding: BiddingStrategy,
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
            quality: None,
            delivery_noise: None,
            bid_factor: None,
            wash_interval: None,
            confidence: None,
            reported_score: None,
            report_seconds: None,
            honest_seconds: None,
            cheat_seconds: None,
            badmouth_share: None,
            latency: None,
            success_rate: None,
            latency_understatement: None,
            success_overstatement: None,
            bidding: BiddingStrategy::Truthful,
        }
    }
}

/// Sybil owners (SPEC §9): many identities, underbidding, low quality, whitewashing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SybilGroup {
    /// Number of owners.
    #[schemars(range(min = 1))]
    pub owners: u32,
    /// Identities alive per owner at any time.
    #[schemars(range(min = 1))]
    pub identities_per_owner: u32,
    /// Bid multiplier applied to an honest bid (0.7 = 30% under).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub underbid: f64,
    /// Real latent quality.
    #[schemars(range(min = 0, max = 1))]
    pub quality_mean: f64,
    /// Abandon an identity whose trust falls below this (after N_min jobs); 0 disables.
    #[schemars(range(min = 0, max = 1))]
    pub whitewash_trust: f64,
    /// Whether the owner's fake clients post wash jobs rated near-perfect.
    pub collude: bool,
    /// Wash jobs per hour per identity when colluding.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub wash_jobs_per_hour: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cost_factor: f64,
    /// Latent mean quality of each agent (the centre its six dimensions are drawn around). A
    /// distribution. Absent: normal with mean `quality_mean` and sd 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<DistSpec>,
    /// Noise added to each delivered quality dimension (the result is clamped into [0, 1]).
    /// A distribution. Absent: normal with mean 0 and sd 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_noise: Option<DistSpec>,
    /// Bid as a multiple of the true cost (`cost_factor` × budget). A distribution.
    /// Absent: normal with mean 1 and sd 0.1, clamped at min 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_factor: Option<DistSpec>,
    /// Seconds between two wash jobs of an agent. A distribution.
    /// Absent: exponential at `wash_jobs_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wash_interval: Option<DistSpec>,
    /// Independent sybils: every identity is its own owner (the group still has `owners` ×
    /// `identities_per_owner` identities) and none ever whitewashes. Absent: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independent: Option<bool>,
    /// Credits each identity costs its owner to create: charged at registration and for the
    /// fresh identity of every whitewash (an accounted cost in `economics.csv`, not a ledger
    /// flow). Absent: 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_cost: Option<u64>,
    /// Cover bidding (README "Collusion and shill detection"): when one of the owner's
    /// identities bids on a market job it was invited to, this many of the owner's other
    /// identities (drawn at random among those active and not invited themselves) bid on the
    /// same job at once, asking more.
    /// Absent or 0: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_bids: Option<u32>,
    /// Cover bids ask the designated bid's price × (1 + `cover_markup` × U[0.5, 1.5)) (≥ 0;
    /// needs `cover_bids`). Absent: 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_markup: Option<f64>,
    /// How the group's agents shade their asks (seed 002; README "Bidding strategies").
    /// Absent: truthful.
    #[serde(default, skip_serializing_if = "BiddingStrategy::is_truthful")]
    pub bidding: BiddingStrategy,
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
            quality: None,
            delivery_noise: None,
            bid_factor: None,
            wash_interval: None,
            independent: None,
            identity_cost: None,
            cover_bids: None,
            cover_markup: None,
            bidding: BiddingStrategy::Truthful,
        }
    }
}

/// Colluding rings: members post wash jobs to each other and rate them highly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RingGroup {
    /// Number of rings.
    #[schemars(range(min = 1))]
    pub rings: u32,
    /// Members per ring (at least 2).
    #[schemars(range(min = 2))]
    pub size: u32,
    /// Real latent quality of members.
    #[schemars(range(min = 0, max = 1))]
    pub quality_mean: f64,
    /// Wash jobs per hour per member.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub wash_jobs_per_hour: f64,
    /// Budget of a wash job, in credits.
    #[schemars(range(min = 1))]
    pub wash_budget: u64,
    /// Rating members give each other (each dimension, before a little noise).
    #[schemars(range(min = 0, max = 1))]
    pub wash_rating: f64,
    /// An agent's true cost as a share of the job's budget ceiling.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cost_factor: f64,
    /// Latent mean quality of each agent (the centre its six dimensions are drawn around). A
    /// distribution. Absent: normal with mean `quality_mean` and sd 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<DistSpec>,
    /// Noise added to each delivered quality dimension (the result is clamped into [0, 1]).
    /// A distribution. Absent: normal with mean 0 and sd 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_noise: Option<DistSpec>,
    /// Bid as a multiple of the true cost (`cost_factor` × budget). A distribution.
    /// Absent: normal with mean 1 and sd 0.1, clamped at min 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_factor: Option<DistSpec>,
    /// Seconds between two wash jobs of an agent. A distribution.
    /// Absent: exponential at `wash_jobs_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wash_interval: Option<DistSpec>,
    /// Cover bidding (README "Collusion and shill detection"): when a member of the ring bids
    /// on a market job it was invited to, this many of its fellow members (drawn at random among
    /// those active and not invited themselves) bid on the same job at once, asking more.
    /// Absent or 0: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_bids: Option<u32>,
    /// Cover bids ask the designated bid's price × (1 + `cover_markup` × U[0.5, 1.5)) (≥ 0;
    /// needs `cover_bids`). Absent: 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_markup: Option<f64>,
    /// How the group's agents shade their asks (seed 002; README "Bidding strategies").
    /// Absent: truthful.
    #[serde(default, skip_serializing_if = "BiddingStrategy::is_truthful")]
    pub bidding: BiddingStrategy,
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
            quality: None,
            delivery_noise: None,
            bid_factor: None,
            wash_interval: None,
            cover_bids: None,
            cover_markup: None,
            bidding: BiddingStrategy::Truthful,
        }
    }
}

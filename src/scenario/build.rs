//! From a validated scenario to the market core's own config types. This is the only place
//! that maps file keys onto [`MarketConfig`]: the core knows nothing of TOML or of
//! [`ScenarioFile`](super::ScenarioFile), and each constant keeps the one default and the one
//! range check of its domain type.

use super::{
    BiddingStrategy, Clearing, DagClearing, DistSpec, GamingStrategy, PerformanceSection,
    PopulationGroup, Ranking, ReputationModelKind, ReputationSection, Scenario,
};
use crate::agents::config::{BundleConfig, Cover, Evasion, OnOff};
use crate::agents::{Arrivals, ClientConfig, GroupConfig, Kind, PerfProfile, Strategy};
use crate::engine::{Dist, MAX_SECONDS};
use crate::market::Credits;
use crate::market::auction::ProcurementRule;
use crate::market::contract::TransitionPolicy;
use crate::market::marketplace::MarketConfig;
use crate::market::order_book::{ClearingRule, RankingSignal};
use crate::market::performance::PerformanceConfig;
use crate::market::quality::Weights;
use crate::market::reputation::ReputationConfig;
use crate::market::reputation_model::{BetaConfig, EigenTrustConfig, ModelConfig, PeerTrustConfig};
use crate::market::split::SplitPolicy;
use crate::market::staking::StakingConfig;
use crate::market::tiers::TierConfig;

/// On-off gamers' default phase lengths, seconds: honest a day, then cheating six hours.
const ON_OFF_SECONDS: [u64; 2] = [86_400, 21_600];

/// Unfair raters' default share of bad-mouthing wash jobs.
const BADMOUTH_SHARE: f64 = 0.5;
/// Mean markup of a cover bid over the designated ask (`cover_markup`'s default).
const COVER_MARKUP: f64 = 0.05;

impl From<GamingStrategy> for Strategy {
    fn from(s: GamingStrategy) -> Self {
        match s {
            GamingStrategy::ScoreInflation => Strategy::ScoreInflation,
            GamingStrategy::RapidCycling => Strategy::RapidCycling,
            GamingStrategy::PerfectStreak => Strategy::PerfectStreak,
            GamingStrategy::ReputationFarming => Strategy::ReputationFarming,
            GamingStrategy::ConfidenceInflation => Strategy::ConfidenceInflation,
            GamingStrategy::SelfReport => Strategy::SelfReport,
            GamingStrategy::OnOff => Strategy::OnOff,
            GamingStrategy::DetectorAware => Strategy::DetectorAware,
            GamingStrategy::UnfairRating => Strategy::UnfairRating,
            GamingStrategy::Camouflage => Strategy::Camouflage,
            GamingStrategy::Miscalibrated => Strategy::Miscalibrated,
        }
    }
}

impl PopulationGroup {
    /// The group's bidding strategy (seed 002).
    pub fn bidding(&self) -> BiddingStrategy {
        match self {
            PopulationGroup::Honest(g) => g.bidding,
            PopulationGroup::Gaming(g) => g.bidding,
            PopulationGroup::Sybil(g) => g.bidding,
            PopulationGroup::Ring(g) => g.bidding,
        }
    }

    /// How the group's identities cover each other's bids (README "Collusion and shill
    /// detection"): sybil and ring groups with `cover_bids` above zero; the markup defaults
    /// to [`COVER_MARKUP`].
    pub fn cover(&self) -> Option<Cover> {
        let (bids, markup) = match self {
            PopulationGroup::Sybil(g) => (g.cover_bids, g.cover_markup),
            PopulationGroup::Ring(g) => (g.cover_bids, g.cover_markup),
            _ => (None, None),
        };
        bids.filter(|&b| b > 0).map(|bidders| Cover {
            bidders,
            markup: markup.unwrap_or(COVER_MARKUP),
        })
    }

    /// The ground-truth kind of the group's identities.
    pub fn kind(&self) -> Kind {
        match self {
            PopulationGroup::Honest(_) => Kind::Honest,
            PopulationGroup::Gaming(g) => Kind::Gaming(g.strategy.into()),
            PopulationGroup::Sybil(_) => Kind::Sybil,
            PopulationGroup::Ring(_) => Kind::Ring,
        }
    }
}

impl super::ScenarioFile {
    /// The ground-truth kinds present, in [`Kind::ALL`] order.
    pub fn kinds(&self) -> Vec<Kind> {
        let mut present: Vec<Kind> = self.population.iter().map(PopulationGroup::kind).collect();
        present.sort_by_key(|k| k.index());
        present.dedup();
        present
    }
}

impl ReputationSection {
    /// The engine's config with `weights` (already checked: [`Weights`] cannot be invalid);
    /// the constants that are not scenario keys keep [`ReputationConfig::default`].
    pub(super) fn config(&self, weights: Weights, honest_clients: u32) -> ReputationConfig {
        ReputationConfig {
            weights,
            decay: self.decay,
            min_jobs: self.min_jobs,
            suspicion_step: self.suspicion_step,
            suspicion_decay: self.suspicion_decay,
            inflation_variance: self.inflation_variance,
            rapid_seconds: self.rapid_seconds,
            rapid_window: self.rapid_window,
            rapid_threshold: self.rapid_threshold,
            streak_len: self.streak_len,
            streak_threshold: self.streak_threshold,
            model: self.model_config(honest_clients),
            detectors: self.detectors,
            ..ReputationConfig::default()
        }
    }

    /// The model's config (issue 13).
    fn model_config(&self, honest_clients: u32) -> ModelConfig {
        self.model_configs(honest_clients)
            .into_iter()
            .find(|(kind, _)| *kind == self.model)
            .map_or(ModelConfig::Paper, |(_, config)| config)
    }

    /// Every non-paper model's config, from its table or its defaults (each is validated,
    /// chosen or not); pre-trusted peers are the first `⌈pretrusted_share × honest_clients⌉`
    /// clients (the world opens the honest ones first).
    pub(super) fn model_configs(
        &self,
        honest_clients: u32,
    ) -> [(ReputationModelKind, ModelConfig); 3] {
        let b = self.beta.clone().unwrap_or_default();
        let e = self.eigentrust.clone().unwrap_or_default();
        let p = self.peertrust.clone().unwrap_or_default();
        let share = e.pretrusted_share.clamp(0.0, 1.0);
        [
            (
                ReputationModelKind::Beta,
                ModelConfig::Beta(BetaConfig {
                    forgetting: b.forgetting,
                }),
            ),
            (
                ReputationModelKind::Eigentrust,
                ModelConfig::EigenTrust(EigenTrustConfig {
                    alpha: e.alpha,
                    pretrusted_clients: (share * f64::from(honest_clients)).ceil() as u32,
                    interval: e.interval,
                    tolerance: e.tolerance,
                    satisfaction: e.satisfaction,
                }),
            ),
            (
                ReputationModelKind::Peertrust,
                ModelConfig::PeerTrust(PeerTrustConfig { decay: p.decay }),
            ),
        ]
    }
}

impl Scenario {
    /// The market core's configuration (SPEC §2–§7).
    pub fn market_config(&self) -> MarketConfig {
        let file = self.file();
        let m = &file.market;
        let increment = Credits(m.auction_increment);
        let r = &file.reputation;
        let weights = Weights::new(r.weights).expect("validated weights");
        let s = &file.staking;
        MarketConfig {
            clearing: match m.clearing {
                Clearing::Continuous => ClearingRule::Continuous,
                Clearing::Call => ClearingRule::Call,
                Clearing::FirstPrice => ClearingRule::Auction(ProcurementRule::FirstPrice),
                Clearing::Vickrey => ClearingRule::Auction(ProcurementRule::Vickrey),
                Clearing::English => ClearingRule::Auction(ProcurementRule::English { increment }),
                Clearing::Dutch => ClearingRule::Auction(ProcurementRule::Dutch { increment }),
                Clearing::Performance => ClearingRule::Performance,
            },
            ranking: match m.ranking {
                Ranking::Reputation => RankingSignal::Reputation,
                Ranking::Trust => RankingSignal::Trust,
            },
            transitions: TransitionPolicy {
                allow_active_completion: m.allow_active_completion,
            },
            split: SplitPolicy::new(m.operator_share_bps, m.platform_share_bps)
                .expect("validated split"),
            reputation: r.config(weights, file.clients.count),
            staking: s.enabled.then(|| {
                (
                    StakingConfig {
                        minimum_stake: Credits(s.minimum_stake),
                        ..StakingConfig::default()
                    },
                    Credits(s.initial_stake),
                )
            }),
            performance: file.performance.config(),
            bidding_power: m.bidding_power.then(|| self.tier_config()),
            #[cfg(feature = "fault-injection")]
            fault: None,
        }
    }

    /// The tier table (`[market.tiers]`, else seed 002's), validated (SPEC §7).
    pub fn tier_config(&self) -> TierConfig {
        self.file()
            .market
            .tiers
            .as_ref()
            .map_or_else(TierConfig::default, |t| t.config())
    }
}

impl PerformanceSection {
    /// The market core's coefficients of seed 004 (SPEC §7).
    pub fn config(&self) -> PerformanceConfig {
        PerformanceConfig {
            cost_weight: self.cost_weight,
            latency_weight: self.latency_weight,
            success_penalty: self.success_penalty,
            calibration_weight: self.calibration_weight,
            calibration_pivot: self.calibration_pivot,
            accuracy_bonus_rate: self.accuracy_bonus_rate,
            failure_penalty_rate: self.failure_penalty_rate,
            calibration_alpha: self.calibration_alpha,
            calibration_latency_share: self.calibration_latency_share,
            initial_calibration: self.initial_calibration,
        }
    }
}

/// Defaults of the performance market's keys (SPEC §7, seed 004): a job's maximum latency
/// (30 minutes) and minimum success rate, an agent's delivered latency range and success
/// rate, and a miscalibrated gamer's understatement and overstatement.
const MAX_LATENCY: f64 = 1_800.0;
const MIN_SUCCESS_RATE: f64 = 0.95;
const LATENCY: [f64; 2] = [900.0, 1_500.0];
const SUCCESS_RATE: f64 = 0.98;
const LATENCY_UNDERSTATEMENT: f64 = 0.3;
const SUCCESS_OVERSTATEMENT: f64 = 0.05;

/// Default half-width of the jitter of each latent quality dimension.
pub(crate) const QUALITY_JITTER: f64 = 0.02;
/// Default spread of latent quality and noise σ of groups without such keys.
const ADVERSARY_SPREAD: f64 = 0.05;
const ADVERSARY_NOISE: f64 = 0.1;
/// Default score a self-reporting gamer reports.
pub(crate) const REPORTED_SCORE: f64 = 0.995;
/// Default range of a self-reporting gamer's completion, seconds.
pub(crate) const REPORT_SECONDS: [i64; 2] = [1, 30];

impl Scenario {
    /// A key's distribution, or its default when the file leaves it out.
    fn dist_or(&self, spec: &Option<DistSpec>, default: impl FnOnce() -> Dist) -> Dist {
        spec.as_ref().map_or_else(default, |s| self.dist(s))
    }

    /// The demand side's config; each absent key gets the default its doc states.
    pub fn client_config(&self) -> ClientConfig {
        let c = &self.file().clients;
        let arrivals = match self.arrival_trace() {
            Some(times) => Arrivals::Trace(times),
            None => Arrivals::Gaps(self.dist_or(&c.interarrival, || {
                Dist::exponential_rate(c.jobs_per_hour / 3_600.0)
            })),
        };
        ClientConfig {
            arrivals,
            budget: self.dist_or(&c.budget, || {
                self.dist(&DistSpec::lognormal(c.budget_median as f64, c.budget_sigma))
            }),
            duration: c.duration.as_ref().map(|d| self.dist(d)),
            typical_budget: self.typical_budget(),
            work_factor: self.dist_or(&c.work_factor, || Dist::uniform(0.8, 1.3)),
            review: self.dist_or(&c.review_delay, || {
                Dist::exponential_rate(1.0 / c.review_seconds.max(1) as f64)
            }),
            dispute: self.dist_or(&c.dispute_delay, || {
                Dist::exponential_rate(1.0 / c.dispute_seconds.max(1) as f64)
            }),
            rating_error: self.dist_or(&c.rating_error, || {
                Dist::normal(0.0, c.rating_noise, f64::NEG_INFINITY, f64::INFINITY)
            }),
            auto_dispute_below: c.auto_dispute_threshold(),
            p_dispute: c.p_dispute,
            p_cancel: c.p_cancel,
            p_dispute_upheld: c.p_dispute_upheld,
            max_latency: self.dist_or(&c.max_latency, || Dist::Constant(MAX_LATENCY)),
            min_success_rate: self
                .dist_or(&c.min_success_rate, || Dist::Constant(MIN_SUCCESS_RATE)),
        }
    }

    /// The bundle-bidding config under `decomposition.clearing = "combinatorial"`, else `None`;
    /// each absent key gets the default its doc states.
    pub fn bundle_config(&self) -> Option<BundleConfig> {
        let d = &self.file().decomposition;
        (d.clearing == Some(DagClearing::Combinatorial)).then(|| BundleConfig {
            max_bundle_size: d
                .max_bundle_size
                .unwrap_or(super::validate::DEFAULT_MAX_BUNDLE_SIZE),
            scope_discount: self.dist_or(&d.scope_discount, || Dist::uniform(0.0, 0.4)),
        })
    }

    /// Each `[[population]]` group's config, in file order.
    pub fn group_configs(&self) -> Vec<GroupConfig> {
        self.file()
            .population
            .iter()
            .map(|group| self.group_config(group))
            .collect()
    }

    /// The ground-truth kinds present in the scenario, in [`Kind::ALL`] order.
    pub fn kinds(&self) -> Vec<Kind> {
        self.file().kinds()
    }

    fn group_config(&self, group: &PopulationGroup) -> GroupConfig {
        let unbounded = |mean, sd| Dist::normal(mean, sd, f64::NEG_INFINITY, f64::INFINITY);
        let bid = |sd| Dist::normal(1.0, sd, 0.05, f64::INFINITY);
        let wash = |spec: &Option<DistSpec>, per_hour: f64| {
            Some(self.dist_or(spec, || Dist::exponential_rate(per_hour / 3_600.0)))
        };
        let (cost_factor, underbid, farming_target, wash_rating) = match group {
            PopulationGroup::Honest(g) => (g.cost_factor, 1.0, 1.0, 0.0),
            PopulationGroup::Gaming(g) => (g.cost_factor, 1.0, g.farming_target, 0.0),
            PopulationGroup::Sybil(g) => (g.cost_factor, g.underbid, 1.0, 0.0),
            PopulationGroup::Ring(g) => (g.cost_factor, 1.0, 1.0, g.wash_rating),
        };
        let mut draws = GroupConfig {
            cost_factor,
            underbid,
            farming_target,
            wash_rating,
            quality: Dist::Constant(0.0),
            jitter: QUALITY_JITTER,
            delivery_noise: unbounded(0.0, ADVERSARY_NOISE),
            bid_factor: bid(ADVERSARY_NOISE),
            confidence: None,
            wash_interval: None,
            reported_score: Dist::Constant(REPORTED_SCORE),
            report_seconds: Dist::UniformInt(REPORT_SECONDS[0], REPORT_SECONDS[1]),
            on_off: None,
            evasion: None,
            badmouth_share: 0.0,
            cover: group.cover(),
            bidding: group.bidding().into(),
            identity_cost: match group {
                PopulationGroup::Sybil(g) => g.identity_cost.unwrap_or(0),
                _ => 0,
            },
            performance: self.perf_profile(group),
        };
        let (quality, noise, bid_factor) = match group {
            PopulationGroup::Honest(g) => {
                draws.quality = unbounded(g.quality_mean, g.quality_spread);
                draws.jitter = g.quality_jitter.unwrap_or(QUALITY_JITTER);
                draws.delivery_noise = unbounded(0.0, g.quality_noise);
                draws.bid_factor = bid(g.bid_noise);
                draws.confidence = g.confidence.as_ref().map(|c| self.dist(c));
                (&g.quality, &g.delivery_noise, &g.bid_factor)
            }
            PopulationGroup::Gaming(g) => {
                draws.quality = unbounded(g.quality_mean, ADVERSARY_SPREAD);
                draws.wash_interval = g
                    .strategy
                    .uses_wash_jobs()
                    .then(|| wash(&g.wash_interval, g.wash_jobs_per_hour))
                    .flatten();
                draws.confidence = g.confidence.as_ref().map(|c| self.dist(c));
                if let Some(s) = &g.reported_score {
                    draws.reported_score = self.dist(s);
                }
                if let Some(s) = &g.report_seconds {
                    draws.report_seconds = self.dist(s);
                }
                if g.strategy == GamingStrategy::OnOff {
                    draws.on_off = Some(OnOff {
                        honest_seconds: g.honest_seconds.unwrap_or(ON_OFF_SECONDS[0]),
                        cheat_seconds: g.cheat_seconds.unwrap_or(ON_OFF_SECONDS[1]),
                    });
                }
                draws.badmouth_share = g.badmouth_share.unwrap_or(BADMOUTH_SHARE);
                if g.strategy == GamingStrategy::DetectorAware {
                    draws.evasion = Some(Evasion::against(&self.market_config().reputation));
                }
                (&g.quality, &g.delivery_noise, &g.bid_factor)
            }
            PopulationGroup::Sybil(g) => {
                draws.quality = unbounded(g.quality_mean, ADVERSARY_SPREAD);
                draws.wash_interval = if g.collude {
                    wash(&g.wash_interval, g.wash_jobs_per_hour)
                } else {
                    None
                };
                (&g.quality, &g.delivery_noise, &g.bid_factor)
            }
            PopulationGroup::Ring(g) => {
                draws.quality = unbounded(g.quality_mean, ADVERSARY_SPREAD);
                draws.wash_interval = wash(&g.wash_interval, g.wash_jobs_per_hour);
                (&g.quality, &g.delivery_noise, &g.bid_factor)
            }
        };
        if let Some(q) = quality {
            draws.quality = self.dist(q);
        }
        if let Some(n) = noise {
            draws.delivery_noise = self.dist(n);
        }
        if let Some(b) = bid_factor {
            draws.bid_factor = self.dist(b);
        }
        draws
    }

    /// A group's performance profile (SPEC §7, seed 004): what it delivers (`latency`,
    /// `success_rate`; sybils and rings take the defaults) and what it states — the latency
    /// distribution's mean and its success rate, or, for a miscalibrated gamer,
    /// `mean × (1 − latency_understatement)` and `min(1, success_rate + success_overstatement)`.
    fn perf_profile(&self, group: &PopulationGroup) -> PerfProfile {
        let (latency, success, under, over) = match group {
            PopulationGroup::Honest(g) => (&g.latency, g.success_rate, 0.0, 0.0),
            PopulationGroup::Gaming(g) if g.strategy == GamingStrategy::Miscalibrated => (
                &g.latency,
                g.success_rate,
                g.latency_understatement.unwrap_or(LATENCY_UNDERSTATEMENT),
                g.success_overstatement.unwrap_or(SUCCESS_OVERSTATEMENT),
            ),
            PopulationGroup::Gaming(g) => (&g.latency, g.success_rate, 0.0, 0.0),
            PopulationGroup::Sybil(_) | PopulationGroup::Ring(_) => (&None, None, 0.0, 0.0),
        };
        let mean = latency
            .as_ref()
            .map_or((LATENCY[0] + LATENCY[1]) / 2.0, |s| self.moments(s).mean);
        let success_rate = success.unwrap_or(SUCCESS_RATE);
        PerfProfile {
            latency: self.dist_or(latency, || Dist::uniform(LATENCY[0], LATENCY[1])),
            success_rate,
            stated_latency: (mean * (1.0 - under))
                .round()
                .clamp(0.0, MAX_SECONDS as f64) as u64,
            stated_success: (success_rate + over).min(1.0),
        }
    }

    /// σ of one recorded score dimension on `group`'s ordinary jobs (for the EWMA noise
    /// floor): delivery noise and the client's rating noise combined; for self-reporting
    /// gamers, the spread of their reports.
    pub fn recorded_score_sd(&self, group: &PopulationGroup) -> f64 {
        if let PopulationGroup::Gaming(g) = group
            && g.strategy == GamingStrategy::SelfReport
        {
            return g
                .reported_score
                .as_ref()
                .map_or(0.0, |s| self.moments(s).variance.sqrt());
        }
        let work = self.delivery_noise_sd(group);
        let c = &self.file().clients;
        let rating = c
            .rating_error
            .as_ref()
            .map_or(c.rating_noise, |s| self.moments(s).variance.sqrt());
        (work * work + rating * rating).sqrt()
    }

    /// σ of the noise each delivered dimension of `group` carries.
    fn delivery_noise_sd(&self, group: &PopulationGroup) -> f64 {
        let (spec, default) = match group {
            PopulationGroup::Honest(g) => (&g.delivery_noise, g.quality_noise),
            PopulationGroup::Gaming(g) => (&g.delivery_noise, ADVERSARY_NOISE),
            PopulationGroup::Sybil(g) => (&g.delivery_noise, ADVERSARY_NOISE),
            PopulationGroup::Ring(g) => (&g.delivery_noise, ADVERSARY_NOISE),
        };
        spec.as_ref()
            .map_or(default, |s| self.moments(s).variance.sqrt())
    }
}

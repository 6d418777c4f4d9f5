//! What each behaviour does at the three decision points of a job: asking, working, rating.

use super::config::{ClientConfig, GroupConfig, Strategy};
use super::population::{Identity, Kind};
use crate::engine::{Dist, MAX_SECONDS, round_u64};
use crate::market::{Credits, DIMENSIONS, QualityVector};
use rand::Rng;

/// A bid: the price asked, the confidence claimed and the duration promised (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ask {
    /// Estimated credits.
    pub price: Credits,
    /// Claimed confidence in [0, 1].
    pub confidence: f64,
    /// Promised duration, seconds.
    pub duration: u64,
}

/// How a delivery gets rated by its client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rating {
    /// An ordinary client observes the delivered quality with its rating error (see
    /// [`ClientConfig::rating_error`]) on each dimension.
    Honest,
    /// A colluding client manufactures a vector with every dimension in `[low, high]`.
    Manufactured {
        /// Lowest score given.
        low: f64,
        /// Highest score given.
        high: f64,
    },
    /// A colluding client gives exactly this vector (detector-aware gamers).
    Fixed([f64; DIMENSIONS]),
}

/// Nominal duration of a job of `budget` credits, seconds: drawn from `duration` when the
/// scenario gives one (independent of the budget); otherwise an hour at the typical budget,
/// growing with the square root of the budget, at least a minute.
pub fn nominal_duration(budget: Credits, clients: &ClientConfig, rng: &mut impl Rng) -> u64 {
    match &clients.duration {
        Some(d) => round_u64(d.sample(rng)).min(MAX_SECONDS),
        None => {
            let scale = (budget.as_f64() / clients.typical_budget).sqrt();
            ((3_600.0 * scale * rng.random_range(0.5..1.5)) as u64).clamp(60, MAX_SECONDS)
        }
    }
}

/// What an agent knows about a market job when it bids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AskContext {
    /// The job's budget ceiling.
    pub budget: Credits,
    /// The job's nominal duration, seconds.
    pub duration: u64,
    /// Whether the job counts as high-value (reputation farmers defect on those).
    pub high_value: bool,
    /// The agent's current reputation R.
    pub reputation: f64,
}

/// The ask of an agent of `kind` for a market job. `quality` is its weighted latent quality
/// ([`Bidder::quality`](super::Bidder::quality)): an honest agent's truthful confidence.
pub fn ask(
    kind: Kind,
    quality: f64,
    group: &GroupConfig,
    job: &AskContext,
    rng: &mut impl Rng,
) -> Ask {
    let AskContext {
        budget,
        duration,
        high_value,
        reputation,
    } = *job;
    let factor = group.bid_factor.sample(rng);
    let mut price = budget.as_f64() * group.cost_factor * factor;
    // Stated (a number or a draw), else truthful; some strategies override it below.
    let mut confidence = match &group.confidence {
        Some(claimed) => claimed.sample(rng),
        None => quality.clamp(0.0, 1.0),
    };
    match kind {
        Kind::Sybil => {
            price *= group.underbid;
            confidence = 0.9;
        }
        Kind::Gaming(Strategy::ConfidenceInflation) => confidence = 1.0,
        Kind::Gaming(Strategy::ReputationFarming)
            if high_value && reputation >= group.farming_target =>
        {
            // Undercut to win the prize it means to defect on.
            price *= 0.8;
            confidence = 1.0;
        }
        _ => {}
    }
    let (price, confidence) = group.bidding.shade(price, confidence, reputation, budget);
    Ask {
        price: Credits(round_u64(price).max(1)),
        confidence,
        duration,
    }
}

/// A partner's cover bid on a job where `designated` is its group's real bid: the same
/// confidence and duration, at the designated price × (1 + `cover.markup` × U[0.5, 1.5))
/// rounded, so it never undercuts ([`Cover`](super::config::Cover)).
pub fn cover_ask(designated: Ask, cover: &super::config::Cover, rng: &mut impl Rng) -> Ask {
    let markup = 1.0 + cover.markup * rng.random_range(0.5..1.5);
    Ask {
        price: Credits(round_u64(designated.price.as_f64() * markup).max(1)),
        ..designated
    }
}

/// Whether an agent defects on a contract opened at `now`: a reputation farmer on a
/// high-value one once its reputation is high (SPEC §9), an on-off gamer on any during a
/// cheating phase ([`OnOff`](super::config::OnOff)).
pub fn defects(
    identity: &Identity,
    group: &GroupConfig,
    high_value: bool,
    reputation: f64,
    now: u64,
) -> bool {
    match identity.kind {
        Kind::Gaming(Strategy::ReputationFarming) => {
            high_value && reputation >= group.farming_target
        }
        Kind::Gaming(Strategy::OnOff) => group
            .on_off
            .is_some_and(|phases| phases.cheating(identity.created_at, now)),
        _ => false,
    }
}

/// The quality actually delivered: latent quality plus noise, or garbage on a defection.
pub fn delivered_quality(
    identity: &Identity,
    group: &GroupConfig,
    defect: bool,
    rng: &mut impl Rng,
) -> [f64; DIMENSIONS] {
    if defect {
        return std::array::from_fn(|_| rng.random_range(0.0..0.1));
    }
    std::array::from_fn(|d| (identity.latent[d] + group.delivery_noise.sample(rng)).clamp(0.0, 1.0))
}

/// The vector a self-reporting gamer reports for its own delivery (SPEC §9: manufactured
/// scores without a wash client).
pub fn self_report(group: &GroupConfig, rng: &mut impl Rng) -> QualityVector {
    QualityVector::clamped(std::array::from_fn(|_| group.reported_score.sample(rng)))
}

/// The vector a client records for a delivery; `honest_error` is what an honest client's
/// rating adds to each dimension.
pub fn rate(
    delivered: &[f64; DIMENSIONS],
    rating: Rating,
    honest_error: &Dist,
    rng: &mut impl Rng,
) -> QualityVector {
    let scores = match rating {
        Rating::Honest => std::array::from_fn(|d| delivered[d] + honest_error.sample(rng)),
        Rating::Manufactured { low, high } => std::array::from_fn(|_| {
            if high > low {
                rng.random_range(low..=high)
            } else {
                low
            }
        }),
        Rating::Fixed(scores) => scores,
    };
    QualityVector::clamped(scores)
}

/// The rating a wash job of `kind` receives from its colluding client (SPEC §9).
pub fn wash_rating(kind: Kind, group: &GroupConfig) -> Rating {
    match kind {
        Kind::Gaming(Strategy::ScoreInflation) => Rating::Manufactured {
            low: 0.845,
            high: 0.855,
        },
        Kind::Gaming(Strategy::RapidCycling) => Rating::Manufactured {
            low: 0.91,
            high: 1.0,
        },
        Kind::Ring => Rating::Manufactured {
            low: (group.wash_rating - 0.02).max(0.0),
            high: (group.wash_rating + 0.02).min(1.0),
        },
        Kind::Sybil => Rating::Manufactured {
            low: 0.95,
            high: 1.0,
        },
        Kind::Gaming(Strategy::DetectorAware) => {
            Rating::Fixed(group.evasion.expect("detector-aware groups evade").rating)
        }
        Kind::Gaming(Strategy::UnfairRating) => BALLOT_STUFFING,
        // Perfect streak and anything else: near-perfect.
        _ => Rating::Manufactured {
            low: 0.99,
            high: 1.0,
        },
    }
}

/// The rating unfair raters give their partner (ballot stuffing).
pub const BALLOT_STUFFING: Rating = Rating::Manufactured {
    low: 0.9,
    high: 1.0,
};

/// The rating unfair raters give an honest competitor they hire (bad-mouthing).
pub const BADMOUTHING: Rating = Rating::Manufactured {
    low: 0.0,
    high: 0.2,
};

/// Work time of a wash job: rapid cyclers fake completions within seconds; detector-aware
/// gamers take at least the rapid-cycling time limit.
pub fn wash_duration(kind: Kind, group: &GroupConfig, nominal: u64, rng: &mut impl Rng) -> u64 {
    match kind {
        Kind::Gaming(Strategy::RapidCycling) => rng.random_range(5..=40),
        Kind::Gaming(Strategy::DetectorAware) => {
            nominal.max(group.evasion.map_or(0, |e| e.min_seconds))
        }
        _ => nominal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::Collusion;
    use crate::market::{AgentId, OwnerId};
    use crate::scenario::{
        GamingGroup, GamingStrategy, HonestGroup, PopulationGroup, Scenario, ScenarioFile,
        SybilGroup,
    };
    use rand::SeedableRng;

    const NO_ERROR: Dist = Dist::Constant(0.0);

    fn identity(kind: Kind, latent: f64) -> Identity {
        Identity {
            id: AgentId(0),
            owner: OwnerId(0),
            kind,
            latent: [latent; DIMENSIONS],
            capabilities: 1,
            collusion: Collusion::None,
            active: true,
            created_at: 0,
        }
    }

    /// The configs the scenario layer builds for `groups`.
    fn configs(groups: Vec<PopulationGroup>) -> Vec<GroupConfig> {
        let file = ScenarioFile {
            population: groups,
            ..ScenarioFile::default()
        };
        Scenario::from_file(file, std::path::Path::new("<test>"))
            .expect("valid")
            .group_configs()
    }

    #[test]
    fn sybils_underbid_honest_agents_and_claim_high_confidence() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let groups = configs(vec![
            PopulationGroup::Honest(HonestGroup {
                bid_noise: 0.0,
                ..HonestGroup::default()
            }),
            PopulationGroup::Sybil(SybilGroup::default()),
        ]);
        let job = AskContext {
            budget: Credits(1000),
            duration: 60,
            high_value: false,
            reputation: 0.5,
        };
        let h = ask(Kind::Honest, 0.8, &groups[0], &job, &mut rng);
        assert_eq!(h.price, Credits(600));
        assert!((h.confidence - 0.8).abs() < 1e-12);
        let mut total = 0.0;
        for _ in 0..1000 {
            let s = ask(Kind::Sybil, 0.3, &groups[1], &job, &mut rng);
            assert_eq!(s.confidence, 0.9);
            total += s.price.as_f64();
        }
        let mean = total / 1000.0;
        assert!((mean - 420.0).abs() < 15.0, "mean sybil ask {mean}");
    }

    /// `population[N].bidding` reaches the ask: an honest agent of quality 0.8 and R 0.5
    /// asking 600 of a 1000 budget (no bid noise) under each strategy (seed 002).
    #[test]
    fn bidding_strategies_shade_the_ask() {
        use crate::scenario::BiddingStrategy as B;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let group = |bidding| {
            PopulationGroup::Honest(HonestGroup {
                bid_noise: 0.0,
                bidding,
                ..HonestGroup::default()
            })
        };
        let groups = configs(
            [B::Truthful, B::Conservative, B::Aggressive, B::Strategic]
                .map(group)
                .to_vec(),
        );
        let job = AskContext {
            budget: Credits(1000),
            duration: 60,
            high_value: false,
            reputation: 0.5,
        };
        let asks: Vec<(Credits, f64)> = groups
            .iter()
            .map(|g| {
                let a = ask(Kind::Honest, 0.8, g, &job, &mut rng);
                (a.price, a.confidence)
            })
            .collect();
        // Strategic: 600 × (1 + 0.5) / (1 + 0.8 × 0.5) ≈ 642.9 at confidence 1.
        assert_eq!(asks[0].0, Credits(600));
        assert!((asks[0].1 - 0.8).abs() < 1e-12);
        assert_eq!(asks[1].0, Credits(750));
        assert!((asks[1].1 - 0.6).abs() < 1e-12);
        assert_eq!(asks[2], (Credits(480), 1.0));
        assert_eq!(asks[3], (Credits(643), 1.0));
    }

    #[test]
    fn confidence_is_truthful_fixed_or_drawn() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let stated = |confidence| {
            PopulationGroup::Honest(HonestGroup {
                confidence,
                ..HonestGroup::default()
            })
        };
        let uniform =
            crate::scenario::DistSpec::Table(crate::scenario::dist::DistTable::Uniform([0.5, 1.0]));
        let groups = configs(vec![
            stated(None),
            stated(Some(crate::scenario::DistSpec::Constant(0.3))),
            stated(Some(uniform)),
        ]);
        let job = AskContext {
            budget: Credits(1000),
            duration: 60,
            high_value: false,
            reputation: 0.5,
        };
        let claims = |g: &GroupConfig, rng: &mut rand_chacha::ChaCha8Rng| -> Vec<f64> {
            (0..200)
                .map(|_| ask(Kind::Honest, 0.8, g, &job, rng).confidence)
                .collect()
        };
        assert!(claims(&groups[0], &mut rng).iter().all(|&c| c == 0.8));
        assert!(claims(&groups[1], &mut rng).iter().all(|&c| c == 0.3));
        let drawn = claims(&groups[2], &mut rng);
        assert!(drawn.iter().all(|c| (0.5..1.0).contains(c)));
        let mean = drawn.iter().sum::<f64>() / drawn.len() as f64;
        assert!((mean - 0.75).abs() < 0.03, "mean drawn confidence {mean}");
    }

    #[test]
    fn durations_follow_the_budget_unless_the_scenario_gives_them() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let text = "[clients]\nduration = { uniform_int = [600, 7200] }\n";
        let scenario = Scenario::from_toml(text, std::path::Path::new("<test>"), &[]).unwrap();
        let fixed = scenario.client_config();
        let legacy = Scenario::from_file(ScenarioFile::default(), std::path::Path::new("<t>"))
            .unwrap()
            .client_config();
        for budget in [Credits(10), Credits(1_000_000)] {
            let d: Vec<u64> = (0..500)
                .map(|_| nominal_duration(budget, &fixed, &mut rng))
                .collect();
            assert!(d.iter().all(|s| (600..=7200).contains(s)), "{budget}");
            let mean = d.iter().sum::<u64>() as f64 / d.len() as f64;
            assert!((mean - 3900.0).abs() < 200.0, "{budget}: mean {mean}");
        }
        // Without `duration`, a budget 10 000 times the median takes about 100 times longer.
        let small = nominal_duration(Credits(1_000), &legacy, &mut rng);
        let large = nominal_duration(Credits(10_000_000), &legacy, &mut rng);
        assert!(large > 30 * small, "{small} vs {large}");
    }

    #[test]
    fn farmers_defect_only_on_high_value_jobs_once_reputable() {
        let groups = configs(vec![PopulationGroup::Gaming(GamingGroup {
            strategy: GamingStrategy::ReputationFarming,
            farming_target: 0.8,
            ..GamingGroup::default()
        })]);
        let g = &groups[0];
        let farmer = identity(Kind::Gaming(Strategy::ReputationFarming), 0.9);
        assert!(!defects(&farmer, g, true, 0.79, 0));
        assert!(!defects(&farmer, g, false, 0.95, 0));
        assert!(defects(&farmer, g, true, 0.8, 0));
        let honest = identity(Kind::Honest, 0.9);
        assert!(!defects(&honest, g, true, 0.95, 0));
    }

    #[test]
    fn on_off_gamers_switch_at_the_configured_phase_lengths() {
        let groups = configs(vec![PopulationGroup::Gaming(GamingGroup {
            strategy: GamingStrategy::OnOff,
            honest_seconds: Some(100),
            cheat_seconds: Some(30),
            ..GamingGroup::default()
        })]);
        let g = &groups[0];
        let mut gamer = identity(Kind::Gaming(Strategy::OnOff), 0.9);
        gamer.created_at = 1_000;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        // Honest on [1000, 1100), cheating on [1100, 1130), honest on [1130, 1230), ...
        for now in 1_000..1_500 {
            let expected = (now - 1_000) % 130 >= 100;
            let defect = defects(&gamer, g, false, 0.5, now);
            assert_eq!(defect, expected, "at {now}");
            let delivered = delivered_quality(&gamer, g, defect, &mut rng);
            let mean = delivered.iter().sum::<f64>() / DIMENSIONS as f64;
            assert_eq!(mean < 0.1, expected, "delivered {mean} at {now}");
        }
    }

    #[test]
    fn detector_aware_ratings_stay_outside_every_detector() {
        use crate::market::reputation::{ReputationConfig, ReputationEngine};
        let config = ReputationConfig::default();
        let groups = configs(vec![PopulationGroup::Gaming(GamingGroup {
            strategy: GamingStrategy::DetectorAware,
            ..GamingGroup::default()
        })]);
        let g = &groups[0];
        let kind = Kind::Gaming(Strategy::DetectorAware);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        assert_eq!(wash_duration(kind, g, 5, &mut rng), config.rapid_seconds);
        let mut engine = ReputationEngine::new(config).unwrap();
        let agent = engine.register();
        for _ in 0..500 {
            let q = rate(
                &[0.0; DIMENSIONS],
                wash_rating(kind, g),
                &NO_ERROR,
                &mut rng,
            );
            let seconds = wash_duration(kind, g, 5, &mut rng);
            let recording = engine.record(agent, q, Some(seconds)).unwrap();
            assert!(recording.flags.is_empty(), "{:?}", recording.flags);
        }
        // Just outside: the variance is within a small factor of the threshold.
        let v = engine.score_variance(agent).unwrap();
        assert!(
            v > config.inflation_variance && v < 5.0 * config.inflation_variance,
            "{v}"
        );
    }

    #[test]
    fn manufactured_ratings_stay_in_their_band() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let groups = configs(vec![PopulationGroup::Gaming(GamingGroup::default())]);
        let g = &groups[0];
        for kind in [
            Kind::Gaming(Strategy::PerfectStreak),
            Kind::Gaming(Strategy::RapidCycling),
            Kind::Gaming(Strategy::ScoreInflation),
        ] {
            let Rating::Manufactured { low, high } = wash_rating(kind, g) else {
                panic!("wash ratings are manufactured");
            };
            for _ in 0..100 {
                let q = rate(
                    &[0.0; DIMENSIONS],
                    wash_rating(kind, g),
                    &NO_ERROR,
                    &mut rng,
                );
                assert!(q.scores().iter().all(|s| (low..=high).contains(s)));
            }
        }
        // Perfect-streak vectors pass the 0.99 streak threshold; rapid cyclers' pass 0.9.
        let q = rate(
            &[0.0; 6],
            wash_rating(Kind::Gaming(Strategy::PerfectStreak), g),
            &NO_ERROR,
            &mut rng,
        );
        assert!(q.min() >= 0.99);
    }
}

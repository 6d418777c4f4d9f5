//! Range checks of a raw scenario. Each check names its key and the allowed values.

use super::{PopulationGroup, Problem, ScenarioFile};

struct Checks(Vec<Problem>);

impl Checks {
    fn check(
        &mut self,
        ok: bool,
        key: impl Into<String>,
        value: impl std::fmt::Debug,
        allowed: &str,
    ) {
        if !ok {
            self.0.push(Problem {
                key: key.into(),
                value: format!("{value:?}"),
                allowed: allowed.to_string(),
            });
        }
    }

    fn probability(&mut self, key: impl Into<String>, p: f64) {
        self.check((0.0..=1.0).contains(&p), key, p, "a probability in [0, 1]");
    }

    fn unit(&mut self, key: impl Into<String>, x: f64) {
        self.check((0.0..=1.0).contains(&x), key, x, "a number in [0, 1]");
    }

    fn positive(&mut self, key: impl Into<String>, x: f64) {
        self.check(x.is_finite() && x > 0.0, key, x, "a finite number > 0");
    }

    fn non_negative(&mut self, key: impl Into<String>, x: f64) {
        self.check(x.is_finite() && x >= 0.0, key, x, "a finite number ≥ 0");
    }

    fn at_least(&mut self, key: impl Into<String>, x: u64, min: u64) {
        self.check(x >= min, key, x, &format!("an integer ≥ {min}"));
    }
}

/// Every out-of-range value of `f`, in file order.
pub(super) fn problems(f: &ScenarioFile) -> Vec<Problem> {
    let mut c = Checks(Vec::new());

    c.at_least("run.horizon", f.run.horizon, 1);
    c.at_least("run.sample_interval", f.run.sample_interval, 1);

    let m = &f.market;
    c.at_least("market.bidding_window", m.bidding_window, 1);
    c.at_least("market.auction_increment", m.auction_increment, 1);
    c.check(
        u64::from(m.operator_share_bps) + u64::from(m.platform_share_bps) <= 10_000,
        "market.operator_share_bps + market.platform_share_bps",
        u64::from(m.operator_share_bps) + u64::from(m.platform_share_bps),
        "at most 10000 basis points (100%)",
    );

    c.non_negative("market.anti_concentration", m.anti_concentration);

    let r = &f.reputation;
    c.check(
        r.decay.is_finite() && r.decay > 0.0 && r.decay <= 1.0,
        "reputation.decay",
        r.decay,
        "a number in (0, 1]",
    );
    c.at_least("reputation.min_jobs", r.min_jobs.into(), 1);
    let weights_ok = r.weights.iter().all(|w| w.is_finite() && *w >= 0.0)
        && (r.weights.iter().sum::<f64>() - 1.0).abs() < 0.001;
    c.check(
        weights_ok,
        "reputation.weights",
        r.weights,
        "six non-negative numbers summing to 1 (±0.001)",
    );
    c.unit("reputation.suspicion_step", r.suspicion_step);
    c.unit("reputation.suspicion_decay", r.suspicion_decay);
    c.non_negative("reputation.inflation_variance", r.inflation_variance);
    c.at_least("reputation.rapid_window", r.rapid_window.into(), 1);
    c.unit("reputation.rapid_threshold", r.rapid_threshold);
    c.at_least("reputation.streak_len", r.streak_len.into(), 1);
    c.unit("reputation.streak_threshold", r.streak_threshold);

    let s = &f.staking;
    if s.enabled {
        c.at_least("staking.minimum_stake", s.minimum_stake, 1);
        c.check(
            s.initial_stake >= s.minimum_stake,
            "staking.initial_stake",
            s.initial_stake,
            &format!("at least staking.minimum_stake ({})", s.minimum_stake),
        );
    }

    let cl = &f.clients;
    c.at_least("clients.count", cl.count.into(), 1);
    c.at_least("clients.initial_balance", cl.initial_balance, 1);
    c.positive("clients.jobs_per_hour", cl.jobs_per_hour);
    c.at_least("clients.budget_median", cl.budget_median, 1);
    c.non_negative("clients.budget_sigma", cl.budget_sigma);
    c.at_least("clients.deadline", cl.deadline, 1);
    c.at_least("clients.proposals_per_job", cl.proposals_per_job.into(), 1);
    c.check(
        (1..=64).contains(&cl.capabilities),
        "clients.capabilities",
        cl.capabilities,
        "an integer in 1..=64",
    );
    let mix = &cl.pricing;
    c.non_negative("clients.pricing.per_task", mix.per_task);
    c.non_negative("clients.pricing.hourly", mix.hourly);
    c.non_negative("clients.pricing.per_token", mix.per_token);
    c.check(
        mix.per_task + mix.hourly + mix.per_token > 0.0,
        "clients.pricing",
        (mix.per_task, mix.hourly, mix.per_token),
        "weights with a positive sum",
    );
    c.probability("clients.p_dispute", cl.p_dispute);
    c.probability("clients.p_cancel", cl.p_cancel);
    c.check(
        cl.p_dispute + cl.p_cancel <= 1.0,
        "clients.p_dispute + clients.p_cancel",
        cl.p_dispute + cl.p_cancel,
        "at most 1",
    );
    c.probability("clients.p_dispute_upheld", cl.p_dispute_upheld);
    c.non_negative("clients.rating_noise", cl.rating_noise);

    let d = &f.decomposition;
    c.probability("decomposition.share", d.share);
    c.check(
        (2..=64).contains(&d.max_subtasks),
        "decomposition.max_subtasks",
        d.max_subtasks,
        "an integer in 2..=64",
    );
    c.probability(
        "decomposition.dependency_probability",
        d.dependency_probability,
    );

    c.check(
        !f.population.is_empty(),
        "population",
        "[]",
        "at least one [[population]] group",
    );
    for (i, group) in f.population.iter().enumerate() {
        let key = |name: &str| format!("population[{i}].{name}");
        match group {
            PopulationGroup::Honest(g) => {
                c.at_least(key("count"), g.count.into(), 1);
                c.unit(key("quality_mean"), g.quality_mean);
                c.non_negative(key("quality_spread"), g.quality_spread);
                c.non_negative(key("quality_noise"), g.quality_noise);
                c.positive(key("cost_factor"), g.cost_factor);
                c.non_negative(key("bid_noise"), g.bid_noise);
                if let Some(conf) = g.confidence {
                    c.unit(key("confidence"), conf);
                }
                if let Some(r) = g.prior_reputation {
                    c.check(
                        (0.05..=0.94).contains(&r),
                        key("prior_reputation"),
                        r,
                        "a number in [0.05, 0.94] (prior vectors spread ±0.05 around it)",
                    );
                }
            }
            PopulationGroup::Gaming(g) => {
                c.at_least(key("count"), g.count.into(), 1);
                c.unit(key("quality_mean"), g.quality_mean);
                c.positive(key("wash_jobs_per_hour"), g.wash_jobs_per_hour);
                c.at_least(key("wash_budget"), g.wash_budget, 1);
                c.unit(key("farming_target"), g.farming_target);
                c.positive(key("high_value_factor"), g.high_value_factor);
                c.positive(key("cost_factor"), g.cost_factor);
            }
            PopulationGroup::Sybil(g) => {
                c.at_least(key("owners"), g.owners.into(), 1);
                c.at_least(
                    key("identities_per_owner"),
                    g.identities_per_owner.into(),
                    1,
                );
                c.positive(key("underbid"), g.underbid);
                c.unit(key("quality_mean"), g.quality_mean);
                c.unit(key("whitewash_trust"), g.whitewash_trust);
                c.positive(key("wash_jobs_per_hour"), g.wash_jobs_per_hour);
                c.positive(key("cost_factor"), g.cost_factor);
            }
            PopulationGroup::Ring(g) => {
                c.at_least(key("rings"), g.rings.into(), 1);
                c.at_least(key("size"), g.size.into(), 2);
                c.unit(key("quality_mean"), g.quality_mean);
                c.positive(key("wash_jobs_per_hour"), g.wash_jobs_per_hour);
                c.at_least(key("wash_budget"), g.wash_budget, 1);
                c.unit(key("wash_rating"), g.wash_rating);
                c.positive(key("cost_factor"), g.cost_factor);
            }
        }
    }
    c.0
}

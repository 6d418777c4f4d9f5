//! Range checks of a raw scenario. Each check names its key and the allowed values.

use super::dist::{Columns, DistSpec, Support};
use super::limits::colluding_clients;
use super::{Clearing, DagClearing, GamingStrategy, PopulationGroup, Problem, ScenarioFile};
use crate::engine::MAX_SECONDS;
use crate::market::auction::MAX_BUNDLE_BIDS;
use crate::market::combinatorial;
use crate::market::performance::PerformanceError;
use crate::market::quality::Weights;
use crate::market::reputation::ReputationError;
use crate::market::tiers::TierError;

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

    /// A group's cover-bidding keys: a markup ≥ 0, and only with `cover_bids`.
    fn cover_bids(&mut self, key: &dyn Fn(&str) -> String, bids: Option<u32>, markup: Option<f64>) {
        if let Some(m) = markup {
            self.non_negative(key("cover_markup"), m);
            self.check(
                bids.is_some_and(|b| b > 0),
                key("cover_markup"),
                m,
                "set only with `cover_bids` ≥ 1 (cover bidding on)",
            );
        }
    }

    /// A span of simulated seconds: `min..=MAX_SECONDS`.
    fn seconds(&mut self, key: impl Into<String>, x: u64, min: u64) {
        self.check(
            (min..=MAX_SECONDS).contains(&x),
            key,
            x,
            &format!(
                "an integer in {min}..={MAX_SECONDS} seconds (2^40 s ≈ 34,800 years keeps \
                 simulated times far from overflow)"
            ),
        );
    }
}

/// Default of `decomposition.max_bundle_size`.
pub(crate) const DEFAULT_MAX_BUNDLE_SIZE: u32 = 2;

/// Most credits all clients together may start with: 2^62, a quarter of `u64::MAX`, so that
/// the ledger's totals and every sum of credits a run keeps (payouts, contract value won, which
/// counts credits again when a refunded hold is spent anew) stay far from overflow.
pub(crate) const MAX_TOTAL_CREDITS: u64 = 1 << 62;

/// Largest bond per identity: identities are numbered in 32 bits, so the stakes of every
/// identity a run can ever create fit in u64.
pub(crate) const MAX_STAKE: u64 = u32::MAX as u64;

/// Every distribution-valued key of `f` that is set, with its key path and the values its
/// samples may take, in file order.
pub(super) fn dist_keys(
    f: &mut ScenarioFile,
    mut visit: impl FnMut(String, &mut DistSpec, Support),
) {
    let mut key = |prefix: &str, name: &str, spec: &mut Option<DistSpec>, support| {
        if let Some(spec) = spec {
            visit(format!("{prefix}.{name}"), spec, support);
        }
    };
    let cl = &mut f.clients;
    key("clients", "budget", &mut cl.budget, Support::NonNegative);
    key(
        "clients",
        "interarrival",
        &mut cl.interarrival,
        Support::PositiveMean,
    );
    key(
        "clients",
        "duration",
        &mut cl.duration,
        Support::NonNegative,
    );
    key(
        "clients",
        "work_factor",
        &mut cl.work_factor,
        Support::NonNegative,
    );
    key(
        "clients",
        "review_delay",
        &mut cl.review_delay,
        Support::NonNegative,
    );
    key(
        "clients",
        "dispute_delay",
        &mut cl.dispute_delay,
        Support::NonNegative,
    );
    key(
        "clients",
        "rating_error",
        &mut cl.rating_error,
        Support::Any,
    );
    key(
        "decomposition",
        "scope_discount",
        &mut f.decomposition.scope_discount,
        Support::Unit,
    );
    key(
        "clients",
        "max_latency",
        &mut cl.max_latency,
        Support::NonNegative,
    );
    key(
        "clients",
        "min_success_rate",
        &mut cl.min_success_rate,
        Support::Unit,
    );
    for (i, group) in f.population.iter_mut().enumerate() {
        let prefix = format!("population[{i}]");
        let (quality, noise, bid, wash) = match group {
            PopulationGroup::Honest(g) => {
                key(&prefix, "confidence", &mut g.confidence, Support::Unit);
                key(&prefix, "latency", &mut g.latency, Support::NonNegative);
                (
                    &mut g.quality,
                    &mut g.delivery_noise,
                    &mut g.bid_factor,
                    None,
                )
            }
            PopulationGroup::Gaming(g) => {
                key(&prefix, "confidence", &mut g.confidence, Support::Unit);
                key(&prefix, "latency", &mut g.latency, Support::NonNegative);
                key(
                    &prefix,
                    "reported_score",
                    &mut g.reported_score,
                    Support::Unit,
                );
                key(
                    &prefix,
                    "report_seconds",
                    &mut g.report_seconds,
                    Support::NonNegative,
                );
                (
                    &mut g.quality,
                    &mut g.delivery_noise,
                    &mut g.bid_factor,
                    Some(&mut g.wash_interval),
                )
            }
            PopulationGroup::Sybil(g) => (
                &mut g.quality,
                &mut g.delivery_noise,
                &mut g.bid_factor,
                Some(&mut g.wash_interval),
            ),
            PopulationGroup::Ring(g) => (
                &mut g.quality,
                &mut g.delivery_noise,
                &mut g.bid_factor,
                Some(&mut g.wash_interval),
            ),
        };
        key(&prefix, "quality", quality, Support::Any);
        key(&prefix, "delivery_noise", noise, Support::Any);
        key(&prefix, "bid_factor", bid, Support::NonNegative);
        if let Some(wash) = wash {
            key(&prefix, "wash_interval", wash, Support::PositiveMean);
        }
    }
}

/// Every out-of-range value of `f`, in file order (`columns`: the empirical data loaded).
pub(super) fn problems(f: &ScenarioFile, columns: &Columns) -> Vec<Problem> {
    let mut c = Checks(Vec::new());

    c.seconds("run.horizon", f.run.horizon, 1);
    c.seconds("run.sample_interval", f.run.sample_interval, 1);

    let m = &f.market;
    c.seconds("market.bidding_window", m.bidding_window, 1);
    c.at_least("market.auction_increment", m.auction_increment, 1);
    c.check(
        u64::from(m.operator_share_bps) + u64::from(m.platform_share_bps) <= 10_000,
        "market.operator_share_bps + market.platform_share_bps",
        u64::from(m.operator_share_bps) + u64::from(m.platform_share_bps),
        "at most 10000 basis points (100%)",
    );

    c.non_negative("market.anti_concentration", m.anti_concentration);
    c.check(
        !m.bidding_power || m.clearing == Clearing::Call,
        "market.bidding_power",
        m.bidding_power,
        "false unless market.clearing = \"call\" (bidding power divides the call rule's cost \
         functional; continuous clearing and the procurement auctions rank by price alone)",
    );
    if let Some(t) = &m.tiers
        && let Err(TierError::InvalidConfig { field, value, rule }) = t.config().validate()
    {
        // The core's `power_steps[i].above` is the key `power_above[i]`, and so on.
        let key = match field.strip_prefix("power_steps[") {
            Some(rest) => {
                let (i, what) = rest.split_once("].").unwrap_or((rest, ""));
                format!("power_{what}[{i}]")
            }
            None => field.to_string(),
        };
        let allowed = rule
            .strip_prefix("must be ")
            .map_or_else(|| rule.replace("must not exceed", "at most"), String::from);
        c.check(false, format!("market.tiers.{key}"), value, &allowed);
    }

    // The performance market's own check (one range check per coefficient).
    let p = &f.performance;
    if let Err(PerformanceError::InvalidConfig {
        field,
        value,
        allowed,
    }) = p.config().validate()
    {
        c.check(false, format!("performance.{field}"), value, allowed);
    }
    c.unit("performance.pushed_out_share", p.pushed_out_share);

    // The engine's own check (one range check per constant), reported under `reputation.`.
    let r = &f.reputation;
    let weights = match Weights::new(r.weights) {
        Ok(w) => w,
        Err(_) => {
            c.check(
                false,
                "reputation.weights",
                r.weights,
                "six non-negative numbers summing to 1 (±0.001)",
            );
            Weights::uniform()
        }
    };
    let share = r.eigentrust.clone().unwrap_or_default().pretrusted_share;
    c.check(
        (0.0..=1.0).contains(&share),
        "reputation.eigentrust.pretrusted_share",
        share,
        "a number in [0, 1]",
    );
    // The models not chosen: their tables are checked all the same.
    for (_, model) in r
        .model_configs(f.clients.count)
        .into_iter()
        .filter(|(kind, _)| *kind != r.model)
    {
        for (field, value, allowed) in model.problems() {
            c.check(false, format!("reputation.{field}"), value, allowed);
        }
    }
    for e in r.config(weights, f.clients.count).problems() {
        if let ReputationError::InvalidConfig {
            field,
            value,
            allowed,
        } = e
        {
            c.check(false, format!("reputation.{field}"), value, allowed);
        }
    }

    if let Some(section) = &f.collusion {
        for (field, value, allowed) in section.config().problems() {
            c.check(false, format!("collusion.{field}"), Raw(value), allowed);
        }
    }

    let s = &f.staking;
    if s.enabled {
        c.at_least("staking.minimum_stake", s.minimum_stake, 1);
        c.check(
            s.initial_stake >= s.minimum_stake,
            "staking.initial_stake",
            s.initial_stake,
            &format!("at least staking.minimum_stake ({})", s.minimum_stake),
        );
        c.check(
            s.initial_stake <= MAX_STAKE,
            "staking.initial_stake",
            s.initial_stake,
            &format!(
                "at most {MAX_STAKE} (identities are numbered in 32 bits: every bond a run can \
                 post must fit in u64 together)"
            ),
        );
    }

    let cl = &f.clients;
    c.at_least("clients.count", cl.count.into(), 1);
    c.at_least("clients.initial_balance", cl.initial_balance, 1);
    let accounts = u64::from(cl.count) + f.population.iter().map(colluding_clients).sum::<u64>();
    let total = u128::from(accounts) * u128::from(cl.initial_balance);
    c.check(
        total <= u128::from(MAX_TOTAL_CREDITS),
        "clients.count × clients.initial_balance",
        format!(
            "{accounts} accounts × {} = {total} credits",
            cl.initial_balance
        ),
        &format!(
            "at most {MAX_TOTAL_CREDITS} credits in all (2^62; colluding clients of the \
             population count as accounts)"
        ),
    );
    c.positive("clients.jobs_per_hour", cl.jobs_per_hour);
    c.at_least("clients.budget_median", cl.budget_median, 1);
    c.non_negative("clients.budget_sigma", cl.budget_sigma);
    c.seconds("clients.deadline", cl.deadline, 1);
    c.seconds("clients.review_seconds", cl.review_seconds, 0);
    c.seconds("clients.dispute_seconds", cl.dispute_seconds, 0);
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
    if let Some(below) = cl.auto_dispute_below {
        c.unit("clients.auto_dispute_below", below);
    }
    c.check(
        !(cl.arrival_trace.is_some() && cl.interarrival.is_some()),
        "clients.arrival_trace",
        "with clients.interarrival",
        "one of `arrival_trace` and `interarrival`, not both",
    );

    let d = &f.decomposition;
    c.probability("decomposition.share", d.share);
    c.probability("faults.duplicate_events", f.faults.duplicate_events);
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
    // Combinatorial clearing of decomposed jobs (issue 12): its keys are read only then.
    let bundle = d.max_bundle_size.unwrap_or(DEFAULT_MAX_BUNDLE_SIZE);
    c.at_least("decomposition.max_bundle_size", bundle.into(), 1);
    if d.clearing == Some(DagClearing::Combinatorial) {
        let max = combinatorial::MAX_SUBTASKS;
        c.check(
            d.max_subtasks <= max,
            "decomposition.max_subtasks",
            d.max_subtasks,
            &format!(
                "an integer in 2..={max} with decomposition.clearing = \"combinatorial\" (the \
                 exact solver's table has 2^subtasks entries)"
            ),
        );
        let per_agent = combinatorial::bundles_per_agent(d.max_subtasks, bundle);
        let worst = u64::from(cl.proposals_per_job).saturating_mul(per_agent);
        c.check(
            worst <= MAX_BUNDLE_BIDS as u64,
            "decomposition.max_bundle_size",
            bundle,
            &format!(
                "a size that keeps a job's bundle bids within {MAX_BUNDLE_BIDS}: \
                 clients.proposals_per_job × (subsets of at most max_bundle_size of \
                 decomposition.max_subtasks subtasks) = {} × {per_agent} = {worst}",
                cl.proposals_per_job
            ),
        );
        c.check(
            m.anti_concentration == 0.0,
            "market.anti_concentration",
            m.anti_concentration,
            "0 with decomposition.clearing = \"combinatorial\" (its invitations are uniform)",
        );
    }

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
                if let Some(j) = g.quality_jitter {
                    c.unit(key("quality_jitter"), j);
                }
                c.unit(key("quality_mean"), g.quality_mean);
                c.non_negative(key("quality_spread"), g.quality_spread);
                c.non_negative(key("quality_noise"), g.quality_noise);
                c.positive(key("cost_factor"), g.cost_factor);
                c.non_negative(key("bid_noise"), g.bid_noise);
                if let Some(r) = g.success_rate {
                    c.probability(key("success_rate"), r);
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
                c.check(
                    g.strategy == GamingStrategy::SelfReport
                        || (g.reported_score.is_none() && g.report_seconds.is_none()),
                    key("strategy"),
                    g.strategy,
                    "\"self_report\" when `reported_score` or `report_seconds` is set",
                );
                c.check(
                    g.strategy == GamingStrategy::OnOff
                        || (g.honest_seconds.is_none() && g.cheat_seconds.is_none()),
                    key("strategy"),
                    g.strategy,
                    "\"on_off\" when `honest_seconds` or `cheat_seconds` is set",
                );
                c.check(
                    g.strategy == GamingStrategy::UnfairRating || g.badmouth_share.is_none(),
                    key("strategy"),
                    g.strategy,
                    "\"unfair_rating\" when `badmouth_share` is set",
                );
                if let Some(share) = g.badmouth_share {
                    c.unit(key("badmouth_share"), share);
                }
                c.check(
                    g.strategy == GamingStrategy::Miscalibrated
                        || (g.latency_understatement.is_none()
                            && g.success_overstatement.is_none()),
                    key("strategy"),
                    g.strategy,
                    "\"miscalibrated\" when `latency_understatement` or `success_overstatement` \
                     is set",
                );
                for (name, v) in [
                    ("success_rate", g.success_rate),
                    ("latency_understatement", g.latency_understatement),
                    ("success_overstatement", g.success_overstatement),
                ] {
                    if let Some(v) = v {
                        c.unit(key(name), v);
                    }
                }
                for (name, v) in [
                    ("honest_seconds", g.honest_seconds),
                    ("cheat_seconds", g.cheat_seconds),
                ] {
                    if let Some(v) = v {
                        c.at_least(key(name), v, 1);
                    }
                }
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
                c.cover_bids(&key, g.cover_bids, g.cover_markup);
            }
            PopulationGroup::Ring(g) => {
                c.at_least(key("rings"), g.rings.into(), 1);
                c.at_least(key("size"), g.size.into(), 2);
                c.unit(key("quality_mean"), g.quality_mean);
                c.positive(key("wash_jobs_per_hour"), g.wash_jobs_per_hour);
                c.at_least(key("wash_budget"), g.wash_budget, 1);
                c.unit(key("wash_rating"), g.wash_rating);
                c.positive(key("cost_factor"), g.cost_factor);
                c.cover_bids(&key, g.cover_bids, g.cover_markup);
            }
        }
    }
    // Distributions: the table's own rules, then the values the key may take.
    let mut copy = f.clone();
    dist_keys(&mut copy, |key, spec, support| {
        for broken in spec.check(support, columns) {
            c.check(
                false,
                format!("{key}{}", broken.suffix),
                Raw(broken.value),
                &broken.rule,
            );
        }
    });
    c.0
}

/// A value shown as written (no quotes added).
struct Raw(String);

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

//! The headline metrics of one run: the single row of `summary.csv` (and, later, of a sweep's
//! `runs.csv`). Column names are snake_case; the README documents each.

use super::{Invariant, Outcome, median};
use crate::agents::{Kind, Strategy};
use crate::market::collusion::BidDetector;
use crate::market::reputation::ewma_stationary_std;
use crate::market::tiers::Tier;
use crate::metrics::detection::{self, FPR_PIVOT, Statistic};
use crate::metrics::{Concentration, concentration, economics};

/// A metric value: an integer, a float, or missing (no data, written as an empty cell).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An exact count or credit amount.
    Int(u64),
    /// A rate, share or mean.
    Float(f64),
    /// Nothing to report (e.g. a median of no flags).
    Missing,
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) if v.is_finite() => write!(f, "{v}"),
            Value::Float(_) | Value::Missing => Ok(()),
        }
    }
}

/// The headline metrics of `outcome`, in column order.
pub fn summary(outcome: &Outcome) -> Vec<(String, Value)> {
    let file = outcome.scenario.file();
    let rec = &outcome.recorder;
    let engine = outcome.market.reputation();
    let weights = *engine.weights();
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut push = |name: String, v: Value| out.push((name, v));
    let ratio = |a: u64, b: u64| {
        if b == 0 {
            Value::Missing
        } else {
            Value::Float(a as f64 / b as f64)
        }
    };

    let c = &rec.counters;
    push("seed".into(), Value::Int(file.run.seed));
    push("end_time".into(), Value::Int(outcome.end_time));
    push("jobs_posted".into(), Value::Int(c.posted));
    push("jobs_matched".into(), Value::Int(c.matched));
    push("jobs_completed".into(), Value::Int(c.completed));
    push("jobs_cancelled".into(), Value::Int(c.cancelled));
    push("jobs_disputed".into(), Value::Int(c.disputed));
    push("jobs_unfilled".into(), Value::Int(c.unfilled));
    push("jobs_unfunded".into(), Value::Int(c.unfunded));
    push("fill_rate".into(), ratio(c.matched, c.posted));
    let q = |p| rec.latency.quantile(p).map_or(Value::Missing, Value::Int);
    push("cycle_latency_p50".into(), q(0.5));
    push("cycle_latency_p95".into(), q(0.95));
    push("whitewashes".into(), Value::Int(c.whitewashes));
    push("slashes".into(), Value::Int(c.slashes));

    // Per kind: convergence, detection, value share.
    let lambda = file.reputation.decay;
    let sum_w2: f64 = weights.values().iter().map(|w| w * w).sum();
    let total_value: u64 = rec.agents.iter().map(|a| a.value_won).sum();
    for &kind in &rec.kinds {
        let label = kind.label();
        let members: Vec<_> = outcome
            .population
            .identities
            .iter()
            .filter(|i| i.kind == kind)
            .collect();
        let active: Vec<_> = members.iter().filter(|i| i.active).collect();
        let abs_error = if active.is_empty() {
            Value::Missing
        } else {
            let total: f64 = active
                .iter()
                .map(|i| {
                    let truth = weights.dot(&crate::market::QualityVector::clamped(i.latent));
                    (engine.reputation(i.id) - truth).abs()
                })
                .sum();
            Value::Float(total / active.len() as f64)
        };
        let group = &file.population[members
            .first()
            .map_or(0, |i| outcome.population.group(i.id))];
        let sigma = outcome.scenario.recorded_score_sd(group) * sum_w2.sqrt();
        push(format!("abs_error_{label}"), abs_error);
        // The floor follows from the noise of the type's own recorded scores: honest clients'
        // ratings of honest work, or a self-reporter's own reports (all it records). Other
        // adversaries' recordings mix manufactured wash ratings, defections and honest ratings,
        // which no stationary noise model covers: left empty.
        push(
            format!("ewma_floor_{label}"),
            if matches!(kind, Kind::Honest | Kind::Gaming(Strategy::SelfReport)) {
                Value::Float(ewma_stationary_std(sigma, lambda))
            } else {
                Value::Missing
            },
        );
        let flagged: Vec<_> = members
            .iter()
            .filter_map(|i| {
                rec.agents[i.id.index()]
                    .first_flag
                    .get()
                    .map(|t| t - i.created_at)
            })
            .collect();
        let rate = ratio(flagged.len() as u64, members.len() as u64);
        if kind == Kind::Honest {
            push("false_positive_rate_honest".into(), rate);
        } else {
            push(format!("detection_rate_{label}"), rate);
        }
        let mut times = flagged;
        push(
            format!("median_time_to_flag_{label}"),
            median(&mut times).map_or(Value::Missing, Value::Float),
        );
        let value: u64 = members
            .iter()
            .map(|i| rec.agents[i.id.index()].value_won)
            .sum();
        push(format!("value_share_{label}"), ratio(value, total_value));
    }

    // Concentration of operator payouts, per identity and per owner.
    let mut scratch = Vec::new();
    let per_identity = concentration(rec.agents.iter().map(|a| a.earnings), &mut scratch);
    let mut per_owner = vec![0u64; outcome.population.owners as usize];
    for i in &outcome.population.identities {
        per_owner[i.owner.index()] += rec.agents[i.id.index()].earnings;
    }
    let per_owner = concentration(per_owner, &mut scratch);
    let measures = measures(outcome, [per_identity, per_owner]);
    for (who, conc) in [("identity", per_identity), ("owner", per_owner)] {
        push(format!("payout_gini_{who}"), Value::Float(conc.gini));
        push(format!("payout_hhi_{who}"), Value::Float(conc.hhi));
        push(
            format!("payout_top1_share_{who}"),
            Value::Float(conc.top1_share),
        );
        push(
            format!("payout_top10_share_{who}"),
            Value::Float(conc.top10_share),
        );
        push(
            format!("unique_earners_{who}"),
            Value::Int(conc.unique_earners),
        );
    }

    let totals = outcome.market.ledger().totals();
    push("credits_start".into(), Value::Int(totals.initial.0));
    push(
        "credits_end".into(),
        Value::Int(totals.available.0 + totals.held.0 + totals.distributed.0),
    );
    push(
        "credits_distributed".into(),
        Value::Int(totals.distributed.0),
    );
    push(
        "paper_rule_created".into(),
        Value::Int(c.paper_rule_created),
    );
    push(
        "paper_rule_destroyed".into(),
        Value::Int(c.paper_rule_destroyed),
    );
    push("call_clearings".into(), Value::Int(c.call_clearings));
    push(
        "call_continuous_disagreements".into(),
        Value::Int(c.call_continuous_disagreements),
    );
    push(
        "call_price_premium".into(),
        Value::Int(c.call_price_premium),
    );
    push(
        "invariant_violations".into(),
        Value::Int(
            Invariant::ALL
                .iter()
                .map(|&i| rec.invariants.violations(i))
                .sum(),
        ),
    );
    out.extend(measures);
    out.extend(dag_columns(&rec.dags));
    out.extend(super::performance::columns(outcome));
    // Seed 002 tiers: share of contract value won by winners of each tier when they won.
    let won: u64 = rec.tier_value.iter().sum();
    for tier in Tier::ALL {
        let share = match won {
            0 => Value::Missing,
            _ => Value::Float(rec.tier_value[tier.index()] as f64 / won as f64),
        };
        out.push((format!("value_share_{}", tier.label()), share));
    }
    // Seed 003 duplicate delivery (`faults.duplicate_events`).
    out.push(("duplicate_events".into(), Value::Int(c.duplicate_events)));
    // Last: present only with `[collusion]` on, so the columns before keep their positions.
    out.extend(bid_detectors(outcome));
    out
}

/// The columns of the bid-stream detectors, only with `[collusion]` on, after every other
/// column. Per detector `<d>` (`synchronised_bids`, `price_coordination`): the share of honest
/// identities it flagged; per adversary type, the share flagged, the median seconds from
/// creation to the first flag, and the ROC-AUC and TPR at 1% FPR of its statistic.
fn bid_detectors(outcome: &Outcome) -> Vec<(String, Value)> {
    let Some(bids) = &outcome.recorder.bid_detection else {
        return Vec::new();
    };
    let rocs = detection::rocs(outcome);
    let mut out = Vec::new();
    for detector in BidDetector::ALL {
        let name = detector.name();
        for &kind in &outcome.recorder.kinds {
            let members = outcome
                .population
                .identities
                .iter()
                .filter(|i| i.kind == kind);
            let (mut times, mut n) = (Vec::new(), 0u64);
            for i in members {
                n += 1;
                if let Some(t) = bids.first_flag[i.id.index()][detector.index()] {
                    times.push(t - i.created_at);
                }
            }
            let rate = Value::Float(times.len() as f64 / n.max(1) as f64);
            let label = kind.label();
            if kind == Kind::Honest {
                out.push((format!("false_positive_rate_honest_{name}"), rate));
                continue;
            }
            out.push((format!("detection_rate_{name}_{label}"), rate));
            out.push((
                format!("median_time_to_flag_{name}_{label}"),
                median(&mut times).map_or(Value::Missing, Value::Float),
            ));
            let roc = rocs
                .iter()
                .find(|r| r.kind == kind && r.statistic == Statistic::Bids(detector));
            out.push((
                format!("auc_{name}_{label}"),
                roc.map_or(Value::Missing, |r| Value::Float(r.roc.auc)),
            ));
            out.push((
                format!("tpr_at_fpr_1pct_{name}_{label}"),
                roc.map_or(Value::Missing, |r| {
                    Value::Float(r.roc.tpr_at_fpr(FPR_PIVOT))
                }),
            ));
        }
    }
    out
}

/// The columns of decomposed jobs and their combinatorial clearing (issue 12), after every
/// older column. Welfare and payments are summed over clearings; efficiencies are ratios of
/// the sums (missing without a clearing of positive optimal welfare).
fn dag_columns(d: &super::DagStats) -> Vec<(String, Value)> {
    let ratio = |a: u64, b: u64| {
        if b == 0 {
            Value::Missing
        } else {
            Value::Float(a as f64 / b as f64)
        }
    };
    vec![
        ("dag_jobs".into(), Value::Int(d.jobs)),
        ("dag_jobs_cleared".into(), Value::Int(d.cleared)),
        (
            "dag_jobs_partial".into(),
            Value::Int(d.jobs - d.cleared - d.unfilled),
        ),
        ("dag_jobs_unfilled".into(), Value::Int(d.unfilled)),
        ("dag_auctions".into(), Value::Int(d.auctions)),
        ("dag_welfare_optimal".into(), Value::Int(d.welfare_optimal)),
        (
            "dag_welfare_combinatorial".into(),
            Value::Int(d.welfare_chosen),
        ),
        (
            "dag_welfare_sequential".into(),
            Value::Int(d.welfare_sequential),
        ),
        (
            "dag_efficiency_combinatorial".into(),
            ratio(d.welfare_chosen, d.welfare_optimal),
        ),
        (
            "dag_efficiency_sequential".into(),
            ratio(d.welfare_sequential, d.welfare_optimal),
        ),
        ("dag_vcg_payments".into(), Value::Int(d.vcg_payments)),
        (
            "dag_first_price_payments".into(),
            Value::Int(d.first_price_payments),
        ),
        (
            "dag_vcg_over_first_price".into(),
            ratio(d.vcg_payments, d.first_price_payments),
        ),
        (
            "dag_subtasks_awarded".into(),
            Value::Int(d.subtasks_awarded),
        ),
        (
            "dag_subtasks_bundled".into(),
            Value::Int(d.subtasks_bundled),
        ),
        ("dag_bundles_won".into(), Value::Int(d.bundles_won)),
        (
            "dag_bundles_cross_level".into(),
            Value::Int(d.bundles_cross_level),
        ),
        ("dag_awards_lapsed".into(), Value::Int(d.awards_lapsed)),
    ]
}

/// The columns added by issue 11, after every older column (so older columns keep their
/// positions): final ranking accuracy, Nakamoto and entropy, ROC-AUC and TPR at 1% FPR of
/// suspicion per adversary type, and economics per type.
fn measures(outcome: &Outcome, conc: [Concentration; 2]) -> Vec<(String, Value)> {
    let opt = |v: Option<f64>| v.map_or(Value::Missing, Value::Float);
    let mut out: Vec<(String, Value)> = Vec::new();
    let ranking = outcome
        .recorder
        .samples
        .last()
        .map(|s| s.ranking)
        .unwrap_or_default();
    for (name, v) in ranking.columns() {
        out.push((name, opt(v)));
    }
    for (who, c) in ["identity", "owner"].into_iter().zip(conc) {
        out.push((format!("payout_nakamoto_{who}"), Value::Int(c.nakamoto)));
        out.push((format!("payout_entropy_{who}"), Value::Float(c.entropy)));
    }
    let rocs = detection::rocs(outcome);
    for r in rocs.iter().filter(|r| r.statistic == Statistic::Suspicion) {
        let label = r.kind.label();
        out.push((format!("auc_suspicion_{label}"), Value::Float(r.roc.auc)));
        out.push((
            format!("tpr_at_fpr_1pct_suspicion_{label}"),
            Value::Float(r.roc.tpr_at_fpr(FPR_PIVOT)),
        ));
    }
    for (kind, e) in economics::per_type(outcome) {
        let label = kind.label();
        out.push((
            format!("net_profit_{label}"),
            Value::Float(e.net_profit() as f64),
        ));
        out.push((format!("return_on_cost_{label}"), opt(e.return_on_cost())));
        out.push((
            format!("client_loss_{label}"),
            Value::Int(e.costs.client_loss),
        ));
    }
    out
}

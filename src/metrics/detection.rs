//! Detection as a classifier (issue 11): `detection.csv`'s content.
//!
//! Each adversary type present is scored against the honest identities (positives: every
//! identity of the type, whitewashed ones included; negatives: every honest identity) under
//! each [`Statistic`], higher meaning more suspicious. Time to first flag, per type, is a
//! Kaplan–Meier table: identities never flagged are censored at the end of the run.

use super::roc::Roc;
use super::survival::{SurvivalStep, kaplan_meier};
use super::{Outcome, detector_rate};
use crate::agents::Kind;
use crate::market::AgentId;

/// The FPR pivot at which the TPR is reported.
pub const FPR_PIVOT: f64 = 0.01;

/// A per-identity detection score, read at the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Suspicion γ (SPEC §6).
    Suspicion,
    /// The score-inflation detector's statistic, the sample variance of every recorded value,
    /// negated (low variance is suspicious); `−∞` with fewer than two recorded values.
    ScoreVariance,
    /// Share of the identity's recordings on which rapid cycling fired (0 with none).
    RapidCyclingRate,
    /// Share of the identity's recordings on which perfect streak fired (0 with none).
    PerfectStreakRate,
}

impl Statistic {
    /// Every statistic, in output order.
    pub const ALL: [Statistic; 4] = [
        Statistic::Suspicion,
        Statistic::ScoreVariance,
        Statistic::RapidCyclingRate,
        Statistic::PerfectStreakRate,
    ];

    /// Name in `detection.csv`'s `statistic` column.
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Suspicion => "suspicion",
            Statistic::ScoreVariance => "score_variance",
            Statistic::RapidCyclingRate => "rapid_cycling_rate",
            Statistic::PerfectStreakRate => "perfect_streak_rate",
        }
    }

    /// The score of `agent` in `outcome`.
    pub fn score(self, outcome: &Outcome, agent: AgentId) -> f64 {
        let engine = outcome.market.reputation();
        match self {
            Statistic::Suspicion => engine.suspicion(agent),
            Statistic::ScoreVariance => engine
                .score_variance(agent)
                .map_or(f64::NEG_INFINITY, |v| -v),
            Statistic::RapidCyclingRate => detector_rate(outcome, agent, 1),
            Statistic::PerfectStreakRate => detector_rate(outcome, agent, 2),
        }
    }
}

/// The ROC of one adversary type under one statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeRoc {
    /// The adversary type.
    pub kind: Kind,
    /// The statistic.
    pub statistic: Statistic,
    /// Identities of the type.
    pub positives: usize,
    /// Honest identities.
    pub negatives: usize,
    /// The curve.
    pub roc: Roc,
}

/// The ROC of every adversary type present against the honest identities, under every
/// statistic (none without honest identities).
pub fn rocs(outcome: &Outcome) -> Vec<TypeRoc> {
    let ids = |kind: Kind| -> Vec<AgentId> {
        let all = outcome.population.identities.iter();
        all.filter(|i| i.kind == kind).map(|i| i.id).collect()
    };
    let honest = ids(Kind::Honest);
    let mut out = Vec::new();
    for &kind in outcome
        .recorder
        .kinds
        .iter()
        .filter(|&&k| k != Kind::Honest)
    {
        let members = ids(kind);
        for statistic in Statistic::ALL {
            let score = |a: &AgentId| statistic.score(outcome, *a);
            let (pos, neg): (Vec<f64>, Vec<f64>) = (
                members.iter().map(score).collect(),
                honest.iter().map(score).collect(),
            );
            if let Some(roc) = Roc::of(&pos, &neg) {
                out.push(TypeRoc {
                    kind,
                    statistic,
                    positives: pos.len(),
                    negatives: neg.len(),
                    roc,
                });
            }
        }
    }
    out
}

/// Kaplan–Meier table of time to first flag (seconds since the identity's creation) for each
/// type present, honest included; never-flagged identities are censored at the end of the run.
pub fn time_to_flag(outcome: &Outcome) -> Vec<(Kind, Vec<SurvivalStep>)> {
    outcome
        .recorder
        .kinds
        .iter()
        .map(|&kind| {
            let subjects: Vec<(u64, bool)> = outcome
                .population
                .identities
                .iter()
                .filter(|i| i.kind == kind)
                .map(|i| match outcome.recorder.agents[i.id.index()].first_flag {
                    Some(t) => (t - i.created_at, true),
                    None => (outcome.end_time.saturating_sub(i.created_at), false),
                })
                .collect();
            (kind, kaplan_meier(&subjects))
        })
        .collect()
}

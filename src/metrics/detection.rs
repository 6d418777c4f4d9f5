//! Detection as a classifier (issue 11): `detection.csv`'s content.
//!
//! Each adversary type present is scored against the honest identities (positives: every
//! identity of the type, whitewashed ones included; negatives: every honest identity) under
//! each [`Statistic`], higher meaning more suspicious. Time to first flag, per type, is a
//! Kaplan–Meier table: identities never flagged are censored at the end of the run.

use super::roc::Roc;
use super::survival::{SurvivalStep, kaplan_meier};
use super::{Outcome, detector_rate};
use crate::agents::{Identity, Kind};
use crate::market::AgentId;
use crate::market::collusion::BidDetector;

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
    /// A bid-stream detector's statistic ([`crate::market::collusion`]): the largest J
    /// (synchronised bids) or ρ (price coordination) over the identity's pairs with the
    /// minimum support; `−∞` without one. Only with `[collusion]` on.
    Bids(BidDetector),
}

impl Statistic {
    /// The reputation engine's statistics, in output order.
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
            Statistic::Bids(d) => d.name(),
        }
    }

    /// The statistics of `outcome`, in output order: [`Statistic::ALL`], then the bid-stream
    /// detectors' when `[collusion]` was on.
    pub fn present(outcome: &Outcome) -> Vec<Statistic> {
        let bids = outcome.recorder.bid_detection.is_some();
        let bid_statistics = BidDetector::ALL.map(Statistic::Bids);
        Self::ALL
            .into_iter()
            .chain(bid_statistics.into_iter().filter(|_| bids))
            .collect()
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
            Statistic::Bids(d) => outcome
                .recorder
                .bid_detection
                .as_ref()
                .map_or(f64::NEG_INFINITY, |b| {
                    b.statistics[agent.index()][d.index()]
                }),
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
        for statistic in Statistic::present(outcome) {
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
    let first = |i: &Identity| outcome.recorder.agents[i.id.index()].first_flag.get();
    let kinds = outcome.recorder.kinds.iter();
    kinds
        .map(|&kind| (kind, survival_of(outcome, kind, first)))
        .collect()
}

/// [`time_to_flag`] by each bid-stream detector's first flag (none when `[collusion]` is off).
pub fn bid_time_to_flag(outcome: &Outcome) -> Vec<(Kind, BidDetector, Vec<SurvivalStep>)> {
    let Some(bids) = &outcome.recorder.bid_detection else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for detector in BidDetector::ALL {
        let first = |i: &Identity| bids.first_flag[i.id.index()][detector.index()];
        for &kind in &outcome.recorder.kinds {
            out.push((kind, detector, survival_of(outcome, kind, first)));
        }
    }
    out
}

/// The Kaplan–Meier table of `kind`'s identities, whose first flags are `first`.
fn survival_of(
    outcome: &Outcome,
    kind: Kind,
    first: impl Fn(&Identity) -> Option<u64>,
) -> Vec<SurvivalStep> {
    let subjects: Vec<(u64, bool)> = outcome
        .population
        .identities
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| match first(i) {
            Some(t) => (t - i.created_at, true),
            None => (outcome.end_time.saturating_sub(i.created_at), false),
        })
        .collect();
    kaplan_meier(&subjects)
}

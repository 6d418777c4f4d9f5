//! How a contract's work goes, as the agent and its client decide it: the time worked, the
//! usage reported, the review delay and the rating recorded. Every draw comes from the job's
//! own keyed stream, passed in by the caller (`engine::streams`).

use super::behaviour::{self, Rating};
use super::config::{ClientConfig, GroupConfig, Strategy};
use super::population::Kind;
use crate::engine::{MAX_SECONDS, round_u64};
use crate::market::contract::Usage;
use crate::market::{DIMENSIONS, QualityVector};
use rand::Rng;

/// Tokens consumed per second of work, for per-token contracts.
pub const TOKENS_PER_SECOND: u64 = 10;

/// Seconds an agent of `kind` works on a market job of `nominal` seconds: a self-reporting
/// gamer reports its completion after its group's `report_seconds`; anyone else works the
/// nominal time × the clients' `work_factor`.
pub fn work_seconds(
    kind: Kind,
    group: &GroupConfig,
    clients: &ClientConfig,
    nominal: u64,
    rng: &mut impl Rng,
) -> u64 {
    if kind == Kind::Gaming(Strategy::SelfReport) {
        round_u64(group.report_seconds.sample(rng)).min(MAX_SECONDS)
    } else {
        let factor = clients.work_factor.sample(rng);
        (((nominal as f64) * factor) as u64).min(MAX_SECONDS)
    }
}

/// Usage reported for `seconds` of work: the seconds, and [`TOKENS_PER_SECOND`] tokens per
/// second plus up to 20% more.
pub fn usage(seconds: u64, rng: &mut impl Rng) -> Usage {
    let tokens = seconds * TOKENS_PER_SECOND;
    Usage {
        seconds,
        tokens: tokens + rng.random_range(0..=tokens / 5),
    }
}

/// Seconds from delivery to review: 1–5 for a wash job (its colluding client approves at
/// once), the clients' `review` delay otherwise.
pub fn review_delay(wash: bool, clients: &ClientConfig, rng: &mut impl Rng) -> u64 {
    if wash {
        rng.random_range(1..=5)
    } else {
        let delay = clients.review.sample(rng);
        round_u64(delay).min(MAX_SECONDS)
    }
}

/// Who rates a completed delivery.
#[derive(Debug, Clone, Copy)]
pub enum Rater<'a> {
    /// A wash job's colluding client, with its rating.
    Colluder(Rating),
    /// A self-reporting gamer of this group reports its own scores.
    SelfReport(&'a GroupConfig),
    /// An ordinary client rates what it observes.
    Client,
}

/// The quality vector recorded for a delivery of `delivered` quality.
pub fn recorded_quality(
    delivered: &[f64; DIMENSIONS],
    rater: Rater<'_>,
    clients: &ClientConfig,
    rng: &mut impl Rng,
) -> QualityVector {
    match rater {
        Rater::Colluder(rating) => behaviour::rate(delivered, rating, &clients.rating_error, rng),
        Rater::SelfReport(group) => behaviour::self_report(group, rng),
        Rater::Client => behaviour::rate(delivered, Rating::Honest, &clients.rating_error, rng),
    }
}

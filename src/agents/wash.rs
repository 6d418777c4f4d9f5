//! What the colluders of a wash job decide (SPEC §9): who does the work and whom an unfair
//! rater hires to bad-mouth. Every draw comes from the wash job's own keyed generator, passed
//! in by the caller (common random numbers).

use super::config::{GroupConfig, Strategy};
use super::population::{Identity, Kind};
use crate::market::AgentId;
use rand::Rng;

/// The ring member a ring member's client hires for a wash job posted for `poster`: one of
/// the other `members` that are still `active`, drawn uniformly; none when none is left.
pub fn ring_worker(
    poster: AgentId,
    members: &[AgentId],
    active: impl Fn(AgentId) -> bool,
    rng: &mut impl Rng,
) -> Option<AgentId> {
    let others: Vec<AgentId> = members
        .iter()
        .copied()
        .filter(|&m| m != poster && active(m))
        .collect();
    if others.is_empty() {
        return None;
    }
    Some(others[rng.random_range(0..others.len())])
}

/// For an unfair rater's wash job: with probability `badmouth_share` of its `group`, an
/// honest competitor to hire and rate low: the first `honest` one (an active honest identity
/// that may bid) among up to 16 drawn from `pools` of the rater's first capability; none if
/// all 16 draws miss. Other raters draw nothing.
pub fn badmouthing_victim(
    rater: &Identity,
    group: &GroupConfig,
    pools: &[Vec<AgentId>],
    honest: impl Fn(AgentId) -> bool,
    rng: &mut impl Rng,
) -> Option<AgentId> {
    if rater.kind != Kind::Gaming(Strategy::UnfairRating) {
        return None;
    }
    if !rng.random_bool(group.badmouth_share) {
        return None;
    }
    let pool = &pools[rater.capabilities.trailing_zeros() as usize];
    if pool.is_empty() {
        return None;
    }
    for _ in 0..16 {
        let candidate = pool[rng.random_range(0..pool.len())];
        if honest(candidate) {
            return Some(candidate);
        }
    }
    None
}

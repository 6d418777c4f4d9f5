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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::Collusion;
    use crate::market::OwnerId;
    use crate::scenario::{Scenario, ScenarioFile};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rater(kind: Kind) -> Identity {
        Identity {
            id: AgentId(0),
            owner: OwnerId(0),
            kind,
            latent: [0.5; crate::market::DIMENSIONS],
            capabilities: 0b10,
            collusion: Collusion::None,
            active: true,
            created_at: 0,
        }
    }

    fn group(badmouth_share: f64) -> GroupConfig {
        let scenario = Scenario::from_file(ScenarioFile::default(), std::path::Path::new("<t>"));
        GroupConfig {
            badmouth_share,
            ..scenario.expect("valid").group_configs().remove(0)
        }
    }

    #[test]
    fn a_ring_member_hires_another_active_member_or_nobody() {
        let members = [AgentId(0), AgentId(1), AgentId(2), AgentId(3)];
        let active = |m: AgentId| m != AgentId(2);
        let mut seen = [0; 4];
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let worker = ring_worker(AgentId(1), &members, active, &mut rng).expect("two left");
            seen[worker.index()] += 1;
        }
        assert_eq!(
            (seen[1], seen[2]),
            (0, 0),
            "never the poster, never an inactive member"
        );
        assert!(
            seen[0] > 50 && seen[3] > 50,
            "uniform over the others: {seen:?}"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(
            ring_worker(AgentId(1), &members[1..3], active, &mut rng),
            None
        );
    }

    #[test]
    fn only_unfair_raters_bad_mouth_and_only_honest_competitors() {
        // The rater's first capability is 1: pool 1.
        let pools = vec![vec![AgentId(9)], vec![AgentId(5), AgentId(7)]];
        let honest = |a: AgentId| a == AgentId(7);
        let unfair = rater(Kind::Gaming(Strategy::UnfairRating));
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let victim = badmouthing_victim(&unfair, &group(1.0), &pools, honest, &mut rng);
            assert_eq!(victim, Some(AgentId(7)), "seed {seed}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let before = rng.clone().random::<u64>();
        let other = rater(Kind::Gaming(Strategy::PerfectStreak));
        assert_eq!(
            badmouthing_victim(&other, &group(1.0), &pools, honest, &mut rng),
            None
        );
        assert_eq!(rng.random::<u64>(), before, "other raters draw nothing");
        let nobody = |_: AgentId| false;
        assert_eq!(
            badmouthing_victim(&unfair, &group(1.0), &pools, nobody, &mut rng),
            None,
            "16 draws without an honest competitor"
        );
        assert_eq!(
            badmouthing_victim(&unfair, &group(0.0), &pools, honest, &mut rng),
            None
        );
    }
}

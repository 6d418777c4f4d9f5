//! Who is invited to bid on a job: uniform invitations, optionally damped by anti-concentration
//! routing (seed 003), and the continuous rule's answer on a call book (SPEC §8).

use super::order_book::{ClearingRule, OrderBook};
use super::{AgentId, Credits, TaskId};
use rand::Rng;

/// Anti-concentration routing (seed 003): `alpha` and the operator payouts so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Routing {
    /// Damping strength α (0: uniform invitations).
    pub alpha: f64,
    /// Mean operator payout per identity so far, ē (credits).
    pub mean_payout: f64,
}

/// Fills `invited` (cleared first) with up to `k` distinct agents of `pool`. With at most `k`
/// in the pool, all of them; otherwise drawn uniformly, where a candidate earning `e`
/// (`earnings(agent)`) against a mean of `ē` per identity is accepted with probability
/// 1 / (1 + α·e/ē). After 20·k refusals the remaining seats are filled uniformly, so a job
/// always gets bidders. Every draw comes from `rng`.
pub fn invite(
    pool: &[AgentId],
    k: usize,
    routing: Routing,
    earnings: impl Fn(AgentId) -> u64,
    rng: &mut impl Rng,
    invited: &mut Vec<AgentId>,
) {
    let Routing { alpha, mean_payout } = routing;
    if !(alpha > 0.0 && mean_payout > 0.0) {
        // Uniform: every pick drawn as it is needed.
        return invite_picked(pool, k, &[], rng, invited);
    }
    invited.clear();
    if pool.len() <= k {
        invited.extend_from_slice(pool);
        return;
    }
    let mut refusals = 0;
    while invited.len() < k {
        let a = pool[rng.random_range(0..pool.len())];
        if invited.contains(&a) {
            continue;
        }
        if refusals < 20 * k {
            let relative = earnings(a) as f64 / mean_payout;
            if !rng.random_bool(1.0 / (1.0 + alpha * relative)) {
                refusals += 1;
                continue;
            }
        }
        invited.push(a);
    }
}

/// Uniform invitations (α = 0) in two steps, so that a caller can prefetch the pool entries
/// between them (issue 15): this draws the pool positions of the first `k` picks into
/// `positions` (none if the pool has at most `k` agents), [`invite_picked`] turns them into
/// agents. Together they draw exactly what [`invite`] draws with α = 0 (tested).
pub fn pick_positions(pool_len: usize, k: usize, rng: &mut impl Rng, positions: &mut Vec<u32>) {
    positions.clear();
    if pool_len > k {
        // A pool's positions fit in 32 bits: its agents' ids do.
        positions.extend((0..k).map(|_| rng.random_range(0..pool_len) as u32));
    }
}

/// Fills `invited` as [`invite`] with α = 0 does, from the `positions` that
/// [`pick_positions`] drew on this `pool` with this `k`, and further draws of `rng` for the
/// picks that repeat an agent.
pub fn invite_picked(
    pool: &[AgentId],
    k: usize,
    positions: &[u32],
    rng: &mut impl Rng,
    invited: &mut Vec<AgentId>,
) {
    invited.clear();
    if pool.len() <= k {
        invited.extend_from_slice(pool);
        return;
    }
    let mut positions = positions.iter().map(|&p| p as usize);
    while invited.len() < k {
        let p = positions
            .next()
            .unwrap_or_else(|| rng.random_range(0..pool.len()));
        let a = pool[p];
        if !invited.contains(&a) {
            invited.push(a);
        }
    }
}

/// Under the call rule (paper §7.2), the agent and ask that the continuous rule (§4.5: the
/// cheapest pending proposal by price-time, if within budget) would pick on the same book at
/// the window's close; `None` under any other rule (SPEC §8, "same book, two answers").
pub fn continuous_choice(book: &OrderBook, task: TaskId) -> Option<(AgentId, Credits)> {
    if book.rule() != ClearingRule::Call {
        return None;
    }
    let ceiling = book.demand(task).ok()?.budget_ceiling();
    book.best_pending(task)
        .ok()
        .flatten()
        .filter(|p| p.estimated_credits() <= ceiling)
        .map(|p| (p.agent(), p.estimated_credits()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn pool(n: u32) -> Vec<AgentId> {
        (0..n).map(AgentId).collect()
    }

    #[test]
    fn a_small_pool_is_invited_whole_without_a_draw() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let before = rng.clone().random::<u64>();
        let mut invited = vec![AgentId(99)];
        let routing = Routing {
            alpha: 1.0,
            mean_payout: 10.0,
        };
        invite(&pool(3), 3, routing, |_| 0, &mut rng, &mut invited);
        assert_eq!(invited, pool(3));
        assert_eq!(rng.random::<u64>(), before, "no draw was made");
    }

    #[test]
    fn invitations_are_distinct_and_routing_avoids_the_big_earner() {
        let routing = Routing {
            alpha: 50.0,
            mean_payout: 1.0,
        };
        // Agent 0 earns 100 times the mean: accepted with probability 1/5001.
        let earnings = |a: AgentId| if a == AgentId(0) { 100 } else { 0 };
        let (mut with_zero, mut invited) = (0, Vec::new());
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            invite(&pool(10), 5, routing, earnings, &mut rng, &mut invited);
            let mut sorted = invited.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 5, "five distinct invitees");
            with_zero += usize::from(invited.contains(&AgentId(0)));
        }
        // Uniformly, agent 0 would be in half the invitations (5 of 10).
        assert!(
            with_zero < 20,
            "the big earner invited {with_zero} times in 200"
        );
        let uniform = Routing {
            alpha: 0.0,
            ..routing
        };
        let mut uniform_zero = 0;
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            invite(&pool(10), 5, uniform, earnings, &mut rng, &mut invited);
            uniform_zero += usize::from(invited.contains(&AgentId(0)));
        }
        assert!(uniform_zero > 70, "α = 0 is uniform: {uniform_zero} of 200");
    }

    proptest::proptest! {
        /// Picking positions first and agents after draws the same invitations, and leaves
        /// the generator where [`invite`] leaves it (small pools force repeated picks).
        #[test]
        fn two_step_invitations_are_uniform_invitations(
            n in 0u32..12, k in 1usize..7, seed in proptest::prelude::any::<u64>(),
        ) {
            let uniform = Routing { alpha: 0.0, mean_payout: 0.0 };
            let (mut one, mut two) = (ChaCha8Rng::seed_from_u64(seed), ChaCha8Rng::seed_from_u64(seed));
            let (mut expected, mut invited, mut positions) = (Vec::new(), Vec::new(), Vec::new());
            invite(&pool(n), k, uniform, |_| 0, &mut one, &mut expected);
            pick_positions(n as usize, k, &mut two, &mut positions);
            invite_picked(&pool(n), k, &positions, &mut two, &mut invited);
            proptest::prop_assert_eq!(invited, expected);
            proptest::prop_assert_eq!(one.random::<u64>(), two.random::<u64>());
        }
    }
}

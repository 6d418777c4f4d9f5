use super::*;
use proptest::prelude::*;

fn credits(v: &[u64]) -> Vec<Credits> {
    v.iter().copied().map(Credits).collect()
}

/// A worked example, by hand. Two subtasks in two levels (1 depends on 0), reserves 100 each.
/// Agent A asks 60 and 70 with set-up share δ = 0.4: the pair costs it 130 − ⌊0.4·½·130⌋ =
/// 104. Agent B asks 50 and 80 with δ = 0: the pair costs it 130.
///
/// Values (reserve − ask): A {0} 40, {1} 30, {0,1} 96; B {0} 50, {1} 20, {0,1} 70. The best
/// packing is A's pair (96); level by level, subtask 0 goes to B (50) and subtask 1 to A (30):
/// 80, efficiency 80/96. Without A the best is 70 (B's pair or B's singles), so A's VCG
/// externality is 70 and A is paid 200 − 70 = 130 = its ask 104 + (96 − 70); first price would
/// pay 104. The 130 splits 65 + 65 over the equal reserves.
#[test]
fn worked_example_pair_beats_level_by_level() {
    let agents = [
        AgentAsks {
            agent: AgentId(7),
            asks: credits(&[60, 70]),
            discount: 0.4,
        },
        AgentAsks {
            agent: AgentId(3),
            asks: credits(&[50, 80]),
            discount: 0.0,
        },
    ];
    let job = JobBids {
        reserves: &credits(&[100, 100]),
        levels: &[vec![0], vec![1]],
        agents: &agents,
    };
    assert_eq!(bundle_ask(&agents[0].asks, 0b11, 0.4), Credits(104));
    let c = clear(&job, 2).unwrap();
    assert_eq!((c.welfare, c.sequential_welfare), (96, 80));
    assert_eq!(
        c.awards,
        vec![Award {
            agent: AgentId(7),
            subtasks: 0b11,
            bundles: vec![0b11],
            ask: Credits(104),
            payment: Credits(130),
            parts: vec![(0, Credits(65)), (1, Credits(65))],
        }]
    );
    assert_eq!((c.vcg_payments(), c.first_price_payments()), (130, 104));
    // With bundles of one subtask only, the exact rule is level-by-level matching, and each
    // winner is paid the runner-up's ask (VCG on separate items is a Vickrey auction per item).
    let c = clear(&job, 1).unwrap();
    assert_eq!((c.welfare, c.sequential_welfare), (80, 80));
    let paid: Vec<(AgentId, u64, u64)> = c
        .awards
        .iter()
        .map(|a| (a.agent, a.subtasks, a.payment.0))
        .collect();
    assert_eq!(paid, vec![(AgentId(7), 0b10, 80), (AgentId(3), 0b01, 60)]);
}

#[test]
fn split_is_exact_proportional_and_within_weights() {
    let table: [(u64, &[u64], &[u64]); 6] = [
        (130, &[100, 100], &[65, 65]),
        (131, &[100, 100], &[66, 65]),
        (10, &[1, 2, 3, 4], &[1, 2, 3, 4]),
        (7, &[3, 3, 3], &[3, 2, 2]),
        (5, &[0, 0], &[5, 0]),
        (2, &[1, 5, 1], &[0, 2, 0]),
    ];
    for (amount, weights, expected) in table {
        assert_eq!(
            split(Credits(amount), &credits(weights)),
            credits(expected),
            "{amount} over {weights:?}"
        );
    }
}

#[test]
fn bundle_counts() {
    assert_eq!(bundles_per_agent(5, 1), 5);
    assert_eq!(bundles_per_agent(5, 2), 15);
    assert_eq!(bundles_per_agent(5, 5), 31);
    assert_eq!(bundles_per_agent(3, 10), 7);
    assert_eq!(bundles_per_agent(64, 64), u64::MAX);
}

#[test]
fn too_many_subtasks_is_a_typed_error() {
    let reserves = vec![Credits(1); 21];
    let job = JobBids {
        reserves: &reserves,
        levels: &[],
        agents: &[],
    };
    assert_eq!(
        clear(&job, 1),
        Err(AuctionError::TooManyItems { items: 21 })
    );
}

/// The cheapest way for one agent to do the subtasks `set` with its bundle bids: a partition
/// into bundles of at most `k` subtasks (OR bids), by brute force.
fn cheapest_cover(a: &AgentAsks, set: u64, k: u32) -> u64 {
    if set == 0 {
        return 0;
    }
    let low = set & set.wrapping_neg();
    let mut best = u64::MAX;
    let mut sub = set;
    while sub != 0 {
        if sub & low != 0 && sub.count_ones() <= k {
            let cost = bundle_ask(&a.asks, sub, a.discount).0 + cheapest_cover(a, set & !sub, k);
            best = best.min(cost);
        }
        sub = (sub - 1) & set;
    }
    best
}

/// Every assignment of subtasks to an agent or to nobody, with each agent's cheapest cover:
/// the welfare of each (reserves of assigned subtasks − costs).
fn all_assignments(job: &JobBids, k: u32) -> Vec<i64> {
    let n = job.reserves.len();
    let m = job.agents.len() + 1;
    let mut out = Vec::new();
    for code in 0..m.pow(n as u32) {
        let mut sets = vec![0u64; job.agents.len()];
        let mut c = code;
        for s in 0..n {
            let who = c % m;
            c /= m;
            if who > 0 {
                sets[who - 1] |= 1 << s;
            }
        }
        let welfare: i64 = sets
            .iter()
            .zip(job.agents)
            .map(|(&set, a)| reserve(job.reserves, set) as i64 - cheapest_cover(a, set, k) as i64)
            .sum();
        out.push(welfare);
    }
    out
}

fn small_job() -> impl Strategy<Value = (Vec<Credits>, Vec<Vec<usize>>, Vec<AgentAsks>, u32)> {
    (1usize..=4).prop_flat_map(|n| {
        (
            prop::collection::vec(1u64..80, n),
            prop::collection::vec((prop::collection::vec(1u64..100, n), 0.0f64..=1.0), 0..=3),
            1u32..=4,
            1usize..=n,
        )
            .prop_map(move |(reserves, agents, k, cut)| {
                let agents = agents
                    .into_iter()
                    .enumerate()
                    .map(|(i, (asks, discount))| AgentAsks {
                        agent: AgentId(i as u32 * 2 + 1),
                        asks: credits(&asks),
                        discount,
                    })
                    .collect();
                // Two levels: subtasks before `cut`, then the rest.
                let levels: Vec<Vec<usize>> = [(0..cut).collect(), (cut..n).collect()]
                    .into_iter()
                    .filter(|l: &Vec<usize>| !l.is_empty())
                    .collect();
                (credits(&reserves), levels, agents, k)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Exact clearing: its welfare is the best of every feasible assignment (brute force), the
    /// awards realise it (efficiency 1), level-by-level matching reaches at most that
    /// (efficiency ≤ 1); every payment is individually rational (≥ the winner's ask), within
    /// the reserves, and split exactly into parts within each subtask's budget.
    #[test]
    fn exact_clearing_is_optimal_rational_and_splits_exactly((reserves, levels, agents, k) in small_job()) {
        let job = JobBids { reserves: &reserves, levels: &levels, agents: &agents };
        let c = clear(&job, k).unwrap();
        let brute = all_assignments(&job, k);
        let best = brute.iter().copied().max().unwrap();
        prop_assert!(brute.iter().all(|&w| c.welfare as i64 >= w));
        prop_assert_eq!(c.welfare as i64, best);
        prop_assert!(c.sequential_welfare <= c.welfare);
        let mut used = 0u64;
        let mut realised = 0u64;
        for a in &c.awards {
            prop_assert_eq!(used & a.subtasks, 0, "overlapping awards");
            prop_assert_eq!(a.bundles.iter().fold(0, |m, b| m | b), a.subtasks);
            prop_assert_eq!(a.bundles.iter().map(|b| b.count_ones()).sum::<u32>(), a.subtasks.count_ones());
            used |= a.subtasks;
            let r = reserve(&reserves, a.subtasks);
            realised += r - a.ask.0;
            prop_assert!(a.ask <= a.payment, "VCG pays at least the ask");
            prop_assert!(a.payment.0 <= r, "VCG pays at most the reserve");
            let total: u64 = a.parts.iter().map(|(_, p)| p.0).sum();
            prop_assert_eq!(total, a.payment.0);
            prop_assert_eq!(a.parts.iter().fold(0, |m, &(s, _)| m | 1 << s), a.subtasks);
            for &(s, p) in &a.parts {
                prop_assert!(p <= reserves[s]);
            }
        }
        prop_assert_eq!(realised, c.welfare);
        prop_assert!(c.first_price_payments() <= c.vcg_payments());
    }

    /// The split adds up exactly and each part is within one credit of its proportional share.
    #[test]
    fn split_adds_up(amount in 0u64..10_000, weights in prop::collection::vec(0u64..1_000, 1..8)) {
        let w = credits(&weights);
        let parts = split(Credits(amount), &w);
        prop_assert_eq!(parts.iter().map(|p| p.0).sum::<u64>(), amount);
        let total: u64 = weights.iter().sum();
        if total > 0 {
            for (p, &wi) in parts.iter().zip(&weights) {
                let share = amount as f64 * wi as f64 / total as f64;
                prop_assert!((p.0 as f64 - share).abs() < 1.0);
                if amount <= total {
                    prop_assert!(p.0 <= wi);
                }
            }
        }
    }
}

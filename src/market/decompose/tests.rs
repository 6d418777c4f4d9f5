use super::*;
use proptest::prelude::*;

fn spec(credits: u64, duration: u64, depends_on: Vec<usize>) -> SubtaskSpec {
    SubtaskSpec {
        estimated_credits: Credits(credits),
        estimated_duration: duration,
        capabilities: 0,
        depends_on,
    }
}

/// Paper §6.7: the web-testing job.
fn web_testing() -> Vec<SubtaskSpec> {
    vec![
        spec(1000, 60, vec![]),
        spec(800, 45, vec![]),
        spec(600, 30, vec![]),
        spec(400, 20, vec![]),
        spec(200, 15, vec![0, 1, 2, 3]),
    ]
}

#[test]
fn golden_paper_6_7_web_testing() {
    let dag = decompose(&web_testing()).unwrap();
    assert_eq!(dag.levels(), vec![vec![0, 1, 2, 3], vec![4]]);
    assert_eq!(dag.critical_path_len(), 2);
    assert_eq!(dag.parallel_duration(), 75);
    assert_eq!(dag.sequential_duration(), 170);
    assert_eq!(dag.critical_path_duration(), 75);
    assert_eq!(dag.total_credits(), Credits(3000));
    assert_eq!(dag.sources(), &[0, 1, 2, 3]);
    assert_eq!(dag.sinks(), vec![4]);
    assert_eq!(dag.edge_count(), 4);
    assert_eq!(dag.dropped_dependencies(), 0);
}

#[test]
fn golden_paper_9_5_three_subtasks() {
    let dag = decompose(&[
        spec(1000, 60, vec![]),
        spec(800, 45, vec![]),
        spec(200, 15, vec![0, 1]),
    ])
    .unwrap();
    assert_eq!(dag.levels(), vec![vec![0, 1], vec![2]]);
    assert_eq!(dag.parallel_duration(), 75);
    assert_eq!(dag.sequential_duration(), 120);
}

#[test]
fn empty_task_is_refused() {
    assert_eq!(decompose(&[]), Err(DecomposeError::EmptyTask));
    assert_eq!(
        Dag::from_edges(&[], &[], &[]),
        Err(DecomposeError::EmptyTask)
    );
}

#[test]
fn self_forward_and_out_of_range_refs_are_dropped_duplicates_collapse() {
    // Node 1 refers to itself, to node 2 (forward), to 99 (past the end) and to 0 twice.
    let dag = decompose(&[
        spec(1, 5, vec![]),
        spec(1, 5, vec![1, 2, 99, 0, 0]),
        spec(1, 5, vec![]),
    ])
    .unwrap();
    assert_eq!(dag.edges().collect::<Vec<_>>(), vec![(0, 1)]);
    assert_eq!(dag.dropped_dependencies(), 3);
    assert_eq!(dag.levels(), vec![vec![0, 2], vec![1]]);
}

#[test]
fn cyclic_graph_is_a_typed_error() {
    let d = [1, 1, 1, 1];
    let c = [Credits(1); 4];
    assert_eq!(
        Dag::from_edges(&d, &c, &[(0, 1), (1, 2), (2, 1), (2, 3)]),
        Err(DecomposeError::Cycle {
            node: 1,
            unresolved: 3
        })
    );
    assert_eq!(
        Dag::from_edges(&d, &c, &[(3, 3)]),
        Err(DecomposeError::Cycle {
            node: 3,
            unresolved: 1
        })
    );
}

#[test]
fn from_edges_validates_indices_and_lengths() {
    assert_eq!(
        Dag::from_edges(&[1, 2], &[Credits(1), Credits(1)], &[(0, 2)]),
        Err(DecomposeError::UnknownNode { node: 2, len: 2 })
    );
    assert_eq!(
        Dag::from_edges(&[1, 2], &[Credits(1)], &[]),
        Err(DecomposeError::LengthMismatch {
            durations: 2,
            credits: 1
        })
    );
}

#[test]
fn overflows_are_typed_errors() {
    assert_eq!(
        Dag::from_edges(&[u64::MAX, 1], &[Credits(0), Credits(0)], &[]),
        Err(DecomposeError::DurationOverflow)
    );
    assert_eq!(
        Dag::from_edges(&[0, 0], &[Credits(u64::MAX), Credits(1)], &[]),
        Err(DecomposeError::CreditOverflow)
    );
    let big = Dag::from_edges(&[u64::MAX], &[Credits(0)], &[]).unwrap();
    assert_eq!(big.compose(&big), Err(DecomposeError::DurationOverflow));
}

#[test]
fn barriers_make_parallel_duration_exceed_the_weighted_critical_path() {
    // a(1) → b(10), c(10) → d(1): levels [[a,c],[b,d]] cost 10 + 10 = 20 with barriers, while the
    // longest weighted chain is only 11 (paper §6.6 claims they are equal).
    let dag = Dag::from_edges(&[1, 10, 10, 1], &[Credits(0); 4], &[(0, 1), (2, 3)]).unwrap();
    assert_eq!(dag.levels(), vec![vec![0, 2], vec![1, 3]]);
    assert_eq!(dag.parallel_duration(), 20);
    assert_eq!(dag.critical_path_duration(), 11);
}

#[test]
fn compose_golden() {
    let a = decompose(&web_testing()).unwrap();
    let b = decompose(&[spec(5, 7, vec![]), spec(5, 3, vec![0]), spec(5, 9, vec![])]).unwrap();
    let ab = a.compose(&b).unwrap();
    assert_eq!(
        ab.levels(),
        vec![vec![0, 1, 2, 3], vec![4], vec![5, 7], vec![6]]
    );
    // sinks of a = {4}; sources of b = {0, 2} → shifted {5, 7}.
    assert!(ab.edges().any(|e| e == (4, 5)));
    assert!(ab.edges().any(|e| e == (4, 7)));
    assert_eq!(ab.parallel_duration(), 75 + 9 + 3);
    assert_eq!(ab.total_credits(), Credits(3015));
}

/// A random forward-only DAG: node count and raw pairs turned into edges `(min, max)`.
fn arb_dag_parts() -> impl Strategy<Value = (Vec<u64>, Vec<(usize, usize)>)> {
    (1usize..30).prop_flat_map(|n| {
        (
            proptest::collection::vec(0u64..100, n),
            proptest::collection::vec((0..n, 0..n), 0..(3 * n)),
        )
            .prop_map(|(d, raw)| {
                let edges = raw
                    .into_iter()
                    .filter(|(a, b)| a != b)
                    .map(|(a, b)| (a.min(b), a.max(b)))
                    .collect();
                (d, edges)
            })
    })
}

fn build(durations: &[u64], edges: &[(usize, usize)]) -> Dag {
    let credits: Vec<Credits> = durations.iter().map(|&d| Credits(d * 3)).collect();
    Dag::from_edges(durations, &credits, edges).unwrap()
}

/// Naive reference: depth (in nodes) of the longest chain ending at each node. Edges are
/// forward (u < v), so index order is a topological order.
fn naive_depths(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut depth = vec![1usize; n];
    for v in 0..n {
        for &(u, w) in edges {
            if w == v {
                depth[v] = depth[v].max(depth[u] + 1);
            }
        }
    }
    depth
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Levels partition the nodes, are ascending inside, every edge climbs, and the level count
    /// equals the longest path of a naive DP (Proposition 2); parallel ≤ sequential.
    #[test]
    fn levels_match_a_naive_longest_path((durations, edges) in arb_dag_parts()) {
        let n = durations.len();
        let dag = build(&durations, &edges);
        let levels = dag.levels();
        let mut seen = vec![false; n];
        for (k, level) in levels.iter().enumerate() {
            prop_assert!(!level.is_empty());
            prop_assert!(level.windows(2).all(|w| w[0] < w[1]));
            for &v in level {
                prop_assert!(!seen[v]);
                seen[v] = true;
                prop_assert_eq!(dag.level_of(v), k);
            }
        }
        prop_assert!(seen.iter().all(|&s| s));
        for &(u, v) in &edges {
            prop_assert!(dag.level_of(u) < dag.level_of(v));
        }
        let depths = naive_depths(n, &edges);
        prop_assert_eq!(dag.critical_path_len(), *depths.iter().max().unwrap());
        for (v, &depth) in depths.iter().enumerate() {
            prop_assert_eq!(dag.level_of(v) + 1, depth);
        }
        let expected_parallel: u64 = levels
            .iter()
            .map(|l| l.iter().map(|&v| durations[v]).max().unwrap())
            .sum();
        prop_assert_eq!(dag.parallel_duration(), expected_parallel);
        prop_assert_eq!(dag.sequential_duration(), durations.iter().sum::<u64>());
        prop_assert!(dag.critical_path_duration() <= dag.parallel_duration());
        prop_assert!(dag.parallel_duration() <= dag.sequential_duration());
        let mut distinct: Vec<(usize, usize)> = edges.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assert_eq!(dag.edges().collect::<Vec<_>>(), distinct);
        prop_assert_eq!(dag.sources(), &levels[0][..]);
        for v in dag.sinks() {
            prop_assert!(dag.successors(v).is_empty());
        }
    }

    /// Proposition 8: levels of `a ∘ b` are the levels of `a` followed by the shifted levels of
    /// `b`; durations and credits add.
    #[test]
    fn compose_concatenates_levels((da, ea) in arb_dag_parts(), (db, eb) in arb_dag_parts()) {
        let a = build(&da, &ea);
        let b = build(&db, &eb);
        let ab = a.compose(&b).unwrap();
        let shift = a.node_count();
        let mut expected = a.levels();
        expected.extend(b.levels().into_iter().map(|l| l.into_iter().map(|v| v + shift).collect()));
        prop_assert_eq!(ab.levels(), expected);
        prop_assert_eq!(ab.parallel_duration(), a.parallel_duration() + b.parallel_duration());
        prop_assert_eq!(ab.sequential_duration(), a.sequential_duration() + b.sequential_duration());
        prop_assert_eq!(ab.total_credits().0, a.total_credits().0 + b.total_credits().0);
        prop_assert_eq!(ab.node_count(), a.node_count() + b.node_count());
    }

    /// A chain `i → … → j` closed by the back edge `j → i` is always refused as a cycle.
    #[test]
    fn back_edge_is_a_cycle((durations, mut edges) in arb_dag_parts(), x in 0usize..1000, y in 0usize..1000) {
        let n = durations.len();
        let (i, j) = ((x % n).min(y % n), (x % n).max(y % n));
        for v in i..j {
            edges.push((v, v + 1));
        }
        edges.push((j, i));
        let credits = vec![Credits(1); n];
        let result = Dag::from_edges(&durations, &credits, &edges);
        prop_assert!(
            matches!(result, Err(DecomposeError::Cycle { node, unresolved }) if node == i && unresolved > j - i),
            "got {:?}", result
        );
    }

    /// Specs with arbitrary references: exactly the backward references survive (deduplicated),
    /// the others are counted as dropped.
    #[test]
    fn specs_keep_only_backward_refs(refs in proptest::collection::vec(proptest::collection::vec(0usize..25, 0..5), 1..20)) {
        let specs: Vec<SubtaskSpec> = refs.iter().map(|r| spec(1, 1, r.clone())).collect();
        let dag = decompose(&specs).unwrap();
        let mut expected: Vec<(usize, usize)> = Vec::new();
        let mut dropped = 0;
        for (i, r) in refs.iter().enumerate() {
            for &d in r {
                if d < i { expected.push((d, i)); } else { dropped += 1; }
            }
        }
        expected.sort_unstable();
        expected.dedup();
        prop_assert_eq!(dag.edges().collect::<Vec<_>>(), expected);
        prop_assert_eq!(dag.dropped_dependencies(), dropped);
    }
}

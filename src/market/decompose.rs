//! Task decomposition into a DAG of subtasks, scheduled in parallel levels (SPEC §5, paper §6).
//!
//! ```text
//!  SubtaskSpec[] ──decompose──▶ Dag ──levels()──▶ [[0,1,2,3],[4]]   (Kahn, paper §6.3–§6.4)
//!  (depends_on =                 │
//!   indices)     Dag::from_edges─┘   compose(a, b): sinks(a) × sources(b) edges (paper §6.5)
//! ```
//!
//! Units: durations are integer simulated seconds (the paper's example speaks of minutes; the
//! arithmetic is the same), credits are [`Credits`].
//!
//! Semantics:
//! - An edge `(u, v)` means "`u` must finish before `v` starts" (`v` depends on `u`).
//! - [`decompose`] follows paper §6.2 `resolve_dependencies`: a reference `d` in subtask `i`'s
//!   `depends_on` is kept only if `d < i`; self references (`d == i`) and forward references
//!   (`d > i`, including indices past the end) are *dropped*, not reported as errors. The number
//!   of dropped references is kept ([`Dag::dropped_dependencies`]) so a caller can make them
//!   visible. Duplicate references collapse into one edge. A graph built this way cannot be
//!   cyclic, so a cyclic graph can only be stated through [`Dag::from_edges`], which refuses it
//!   with [`DecomposeError::Cycle`].
//! - Levels are Kahn's frontiers (paper §6.4): level 0 holds the nodes without predecessors,
//!   level `k` the nodes whose last predecessor sits in level `k − 1`. Inside a level, nodes are
//!   in ascending index order (deterministic).
//!
//! Everything is computed once at construction in O(V + E) (edges are bucket-sorted, not
//! compared); the getters are O(1) or O(output).

use thiserror::Error;

use crate::market::money::Credits;

/// Why a decomposition or a DAG was refused (SPEC §5, paper §6.2–§6.3).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecomposeError {
    /// No subtasks: the paper's `{:error, :empty_task}` (paper §6.2). A [`Dag`] is never empty.
    #[error("a task must have at least one subtask")]
    EmptyTask,
    /// [`Dag::from_edges`] got a different number of durations and credits.
    #[error("{durations} durations but {credits} credit estimates")]
    LengthMismatch {
        /// Number of durations given.
        durations: usize,
        /// Number of credit estimates given.
        credits: usize,
    },
    /// An edge names a node that does not exist.
    #[error("edge endpoint {node} is not a node (the graph has {len} nodes)")]
    UnknownNode {
        /// The offending endpoint.
        node: usize,
        /// Number of nodes in the graph.
        len: usize,
    },
    /// The graph has a cycle (found by Kahn's algorithm, paper §6.3): the paper's
    /// `{:error, :cyclic_dependency}`.
    #[error("dependency cycle: {unresolved} nodes never become ready; node {node} is one of them")]
    Cycle {
        /// The smallest node that Kahn's algorithm could not release (on or behind a cycle).
        node: usize,
        /// How many nodes could not be released.
        unresolved: usize,
    },
    /// The total of the credit estimates does not fit in a `u64`.
    #[error("total estimated credits overflow")]
    CreditOverflow,
    /// The total of the durations does not fit in a `u64`.
    #[error("total estimated duration overflows")]
    DurationOverflow,
}

/// One subtask as a job states it (SPEC §5, paper §6.1–§6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtaskSpec {
    /// Credits the subtask is estimated to cost.
    pub estimated_credits: Credits,
    /// Estimated duration, in simulated seconds.
    pub estimated_duration: u64,
    /// Required capabilities as a bit set (one bit per capability).
    pub capabilities: u64,
    /// Indices of the subtasks this one depends on; only indices lower than this subtask's own
    /// index are kept (paper §6.2).
    pub depends_on: Vec<usize>,
}

/// Turns subtask specs into a validated [`Dag`] (SPEC §5, paper §6.2).
///
/// Self and forward references are dropped (counted in [`Dag::dropped_dependencies`]);
/// duplicates collapse. Errors: [`DecomposeError::EmptyTask`] for an empty list, and the
/// overflow errors of [`Dag::from_edges`]. The result is always acyclic.
pub fn decompose(specs: &[SubtaskSpec]) -> Result<Dag, DecomposeError> {
    if specs.is_empty() {
        return Err(DecomposeError::EmptyTask);
    }
    let durations: Vec<u64> = specs.iter().map(|s| s.estimated_duration).collect();
    let credits: Vec<Credits> = specs.iter().map(|s| s.estimated_credits).collect();
    let mut edges = Vec::new();
    let mut dropped = 0;
    for (i, spec) in specs.iter().enumerate() {
        for &d in &spec.depends_on {
            if d < i {
                edges.push((d, i));
            } else {
                dropped += 1;
            }
        }
    }
    Dag::build(durations, credits, &edges, dropped)
}

/// A validated, non-empty, acyclic task graph with its parallel schedule (SPEC §5, paper §6).
///
/// Fields are private: every `Dag` is acyclic, has at least one node, and its levels and
/// durations are consistent with its edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dag {
    durations: Vec<u64>,
    credits: Vec<Credits>,
    /// CSR adjacency: successors of `u` are `succ[succ_start[u]..succ_start[u + 1]]`, ascending.
    succ_start: Vec<usize>,
    succ: Vec<usize>,
    /// Level of each node.
    level_of: Vec<usize>,
    /// CSR levels: nodes of level `k` are `level_nodes[level_start[k]..level_start[k + 1]]`.
    level_start: Vec<usize>,
    level_nodes: Vec<usize>,
    parallel_duration: u64,
    sequential_duration: u64,
    critical_path_duration: u64,
    total_credits: Credits,
    dropped: usize,
}

impl Dag {
    /// Builds a DAG from per-node durations and credits and `(before, after)` edges
    /// (SPEC §5, paper §6.3). Duplicate edges collapse.
    ///
    /// Errors: [`DecomposeError::EmptyTask`] (no nodes), [`DecomposeError::LengthMismatch`],
    /// [`DecomposeError::UnknownNode`], [`DecomposeError::Cycle`] (a self-loop is a cycle),
    /// [`DecomposeError::CreditOverflow`], [`DecomposeError::DurationOverflow`].
    pub fn from_edges(
        durations: &[u64],
        credits: &[Credits],
        edges: &[(usize, usize)],
    ) -> Result<Dag, DecomposeError> {
        if durations.len() != credits.len() {
            return Err(DecomposeError::LengthMismatch {
                durations: durations.len(),
                credits: credits.len(),
            });
        }
        Dag::build(durations.to_vec(), credits.to_vec(), edges, 0)
    }

    fn build(
        durations: Vec<u64>,
        credits: Vec<Credits>,
        edges: &[(usize, usize)],
        dropped: usize,
    ) -> Result<Dag, DecomposeError> {
        let n = durations.len();
        debug_assert_eq!(n, credits.len());
        if n == 0 {
            return Err(DecomposeError::EmptyTask);
        }
        for &(u, v) in edges {
            for node in [u, v] {
                if node >= n {
                    return Err(DecomposeError::UnknownNode { node, len: n });
                }
            }
        }
        let total_credits = credits
            .iter()
            .try_fold(Credits::ZERO, |acc, &c| acc.checked_add(c))
            .ok_or(DecomposeError::CreditOverflow)?;
        let sequential_duration = durations
            .iter()
            .try_fold(0u64, |acc, &d| acc.checked_add(d))
            .ok_or(DecomposeError::DurationOverflow)?;

        // Sort edges by (from, to) with two stable counting passes, then drop duplicates: O(V+E).
        let by_to = counting_sort(edges, n, |&(_, v)| v);
        let sorted = counting_sort(&by_to, n, |&(u, _)| u);
        let mut succ_start = vec![0usize; n + 1];
        let mut succ = Vec::with_capacity(sorted.len());
        let mut indegree = vec![0usize; n];
        let mut prev = None;
        for &(u, v) in &sorted {
            if prev == Some((u, v)) {
                continue;
            }
            prev = Some((u, v));
            succ.push(v);
            succ_start[u + 1] += 1;
            indegree[v] += 1;
        }
        for u in 0..n {
            succ_start[u + 1] += succ_start[u];
        }

        // Kahn's algorithm (paper §6.3). `level_of[v] = 1 + max level of its predecessors`,
        // which is exactly the frontier in which the paper's `build_levels` releases `v`.
        // `finish[v]` is the earliest finish time with unlimited parallelism and no barriers.
        let mut level_of = vec![0usize; n];
        let mut finish = vec![0u64; n];
        let mut queue: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
        queue.reserve(n - queue.len());
        let mut head = 0;
        while head < queue.len() {
            let u = queue[head];
            head += 1;
            // Cannot overflow: a finish time is a sum of distinct durations ≤ sequential total.
            finish[u] += durations[u];
            for &v in &succ[succ_start[u]..succ_start[u + 1]] {
                level_of[v] = level_of[v].max(level_of[u] + 1);
                finish[v] = finish[v].max(finish[u]);
                indegree[v] -= 1;
                if indegree[v] == 0 {
                    queue.push(v);
                }
            }
        }
        if queue.len() < n {
            let node = (0..n)
                .find(|&v| indegree[v] > 0)
                .expect("an unreleased node has a positive in-degree");
            return Err(DecomposeError::Cycle {
                node,
                unresolved: n - queue.len(),
            });
        }

        // Bucket nodes by level, scanning in index order so each level is ascending.
        let levels = level_of.iter().max().map_or(0, |&m| m + 1);
        let mut level_start = vec![0usize; levels + 1];
        let mut level_max = vec![0u64; levels];
        for v in 0..n {
            level_start[level_of[v] + 1] += 1;
            level_max[level_of[v]] = level_max[level_of[v]].max(durations[v]);
        }
        for k in 0..levels {
            level_start[k + 1] += level_start[k];
        }
        let mut fill = level_start.clone();
        let mut level_nodes = vec![0usize; n];
        for v in 0..n {
            level_nodes[fill[level_of[v]]] = v;
            fill[level_of[v]] += 1;
        }
        // ≤ sequential_duration, so it cannot overflow.
        let parallel_duration = level_max.iter().sum();
        let critical_path_duration = finish.iter().copied().max().unwrap_or(0);

        Ok(Dag {
            durations,
            credits,
            succ_start,
            succ,
            level_of,
            level_start,
            level_nodes,
            parallel_duration,
            sequential_duration,
            critical_path_duration,
            total_credits,
            dropped,
        })
    }

    /// Number of subtasks (at least 1).
    pub fn node_count(&self) -> usize {
        self.durations.len()
    }

    /// Number of distinct edges.
    pub fn edge_count(&self) -> usize {
        self.succ.len()
    }

    /// The distinct edges `(before, after)`, sorted by `(before, after)`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.node_count()).flat_map(move |u| self.successors(u).iter().map(move |&v| (u, v)))
    }

    /// Successors of `node`, ascending. Panics if `node` is out of range.
    pub fn successors(&self, node: usize) -> &[usize] {
        &self.succ[self.succ_start[node]..self.succ_start[node + 1]]
    }

    /// Estimated duration of `node` (simulated seconds). Panics if out of range.
    pub fn duration(&self, node: usize) -> u64 {
        self.durations[node]
    }

    /// Estimated credits of `node`. Panics if out of range.
    pub fn credits(&self, node: usize) -> Credits {
        self.credits[node]
    }

    /// How many `depends_on` references [`decompose`] dropped as self or forward references
    /// (paper §6.2); 0 for [`Dag::from_edges`]; summed by [`Dag::compose`].
    pub fn dropped_dependencies(&self) -> usize {
        self.dropped
    }

    /// The parallel levels (paper §6.4), each ascending by node index. Allocates; see
    /// [`Dag::level`] for a borrowing accessor.
    pub fn levels(&self) -> Vec<Vec<usize>> {
        (0..self.critical_path_len())
            .map(|k| self.level(k).to_vec())
            .collect()
    }

    /// The nodes of level `k`, ascending. Panics if `k >= critical_path_len()`.
    pub fn level(&self, k: usize) -> &[usize] {
        &self.level_nodes[self.level_start[k]..self.level_start[k + 1]]
    }

    /// The level of `node`. Panics if out of range.
    pub fn level_of(&self, node: usize) -> usize {
        self.level_of[node]
    }

    /// Number of levels = number of nodes on the longest dependency chain (paper §6.4,
    /// Proposition 2).
    pub fn critical_path_len(&self) -> usize {
        self.level_start.len() - 1
    }

    /// Σ over levels of the level's longest subtask (paper §6.6 `estimated_parallel_duration`):
    /// the makespan when each level is a barrier.
    pub fn parallel_duration(&self) -> u64 {
        self.parallel_duration
    }

    /// Σ of all durations (paper §6.6).
    pub fn sequential_duration(&self) -> u64 {
        self.sequential_duration
    }

    /// The longest duration-weighted dependency chain: the makespan with unlimited parallelism
    /// and *no* level barriers. Paper §6.6 says the parallel duration "equals the critical path
    /// duration"; it does only when no barrier makes a short task wait for a long one in another
    /// chain. In general `critical_path_duration() ≤ parallel_duration()`.
    pub fn critical_path_duration(&self) -> u64 {
        self.critical_path_duration
    }

    /// Σ of the credit estimates.
    pub fn total_credits(&self) -> Credits {
        self.total_credits
    }

    /// Nodes without predecessors, ascending (they are exactly level 0).
    pub fn sources(&self) -> &[usize] {
        self.level(0)
    }

    /// Nodes without successors, ascending.
    pub fn sinks(&self) -> Vec<usize> {
        (0..self.node_count())
            .filter(|&u| self.successors(u).is_empty())
            .collect()
    }

    /// Sequential composition (paper §6.5): `other`'s nodes are renumbered by
    /// `+ self.node_count()`, and every sink of `self` gets an edge to every source of `other`.
    ///
    /// The levels of the result are the levels of `self` followed by the (shifted) levels of
    /// `other` (Proposition 8), and its parallel duration is the sum of both. Only the overflow
    /// errors are possible.
    pub fn compose(&self, other: &Dag) -> Result<Dag, DecomposeError> {
        let shift = self.node_count();
        let sinks = self.sinks();
        let mut edges: Vec<(usize, usize)> = Vec::with_capacity(
            self.edge_count() + other.edge_count() + sinks.len() * other.sources().len(),
        );
        edges.extend(self.edges());
        edges.extend(other.edges().map(|(u, v)| (u + shift, v + shift)));
        for &s in &sinks {
            edges.extend(other.sources().iter().map(|&t| (s, t + shift)));
        }
        let mut durations = self.durations.clone();
        durations.extend_from_slice(&other.durations);
        let mut credits = self.credits.clone();
        credits.extend_from_slice(&other.credits);
        Dag::build(durations, credits, &edges, self.dropped + other.dropped)
    }
}

/// Stable counting sort of `items` by a key in `0..buckets`.
fn counting_sort<T: Copy>(items: &[T], buckets: usize, key: impl Fn(&T) -> usize) -> Vec<T> {
    let mut start = vec![0usize; buckets + 1];
    for it in items {
        start[key(it) + 1] += 1;
    }
    for k in 0..buckets {
        start[k + 1] += start[k];
    }
    let mut out = items.to_vec();
    for it in items {
        let k = key(it);
        out[start[k]] = *it;
        start[k] += 1;
    }
    out
}

#[cfg(test)]
mod tests;

//! EigenTrust (Kamvar, Schlosser and Garcia-Molina 2003), issue 13, on the marketplace's
//! client–agent trust graph.
//!
//! Clients rate agents; agents never rate clients. The graph therefore has two kinds of node
//! and two kinds of edge:
//!
//! ```text
//!   client c ──c_ca──▶ agent a     local trust from ratings: s_ca = sat_ca − unsat_ca, where a
//!                                  rating x = ⟨w,q⟩ is satisfactory iff x ≥ `satisfaction`;
//!                                  c_ca = max(s_ca, 0) / Σ_b max(s_cb, 0)        (paper eq. 1)
//!   agent a  ──c_ac──▶ client c    an agent lends its trust to the clients that vouched for it,
//!                                  in proportion to their ratings of it: c_ac = n_ca / Σ_d n_da
//! ```
//!
//! A client with no positive local trust and an agent never rated ("inactive peers", paper
//! §4.5) spread their trust by the pre-trusted distribution `p`. Two steps of the walk,
//! agent → clients that rated it → agents those clients were satisfied with, are the
//! client-mediated agent→agent trust; the bipartite form keeps the matrix sparse (one entry
//! per rated pair in each direction). The global trust vector is the stationary
//!
//! ```text
//!   t = (1 − α)·Cᵀ t + α·p          (paper Algorithm 2 with pre-trusted peers)
//! ```
//!
//! computed by power iteration from `t₀ = p` until the L1 change is below `tolerance`.
//! Pre-trusted peers are the clients with id `< pretrusted_clients` (the scenario layer puts
//! its honest clients first); with none, `p` is uniform over all nodes. An agent's score is
//! its global trust divided by the largest agent's (the best agent scores 1), so it is a
//! number in [0, 1]; an agent no client had rated at the last recomputation has no score.
//!
//! Cost: each rating is O(1) (a hash lookup into the sparse edge list). The vector is
//! recomputed on the first rating at or after `interval` simulated seconds since the last
//! recomputation; one recomputation costs O(iterations × (rated pairs + nodes)), with
//! iterations ≤ log(tolerance)/log(1 − α) (the iteration is an L1 contraction of rate 1 − α).
//! Warm-start priors have no rater and do not enter the graph.

use super::{Rating, ReputationModel, check};
use crate::market::ids::{AgentId, ClientId};
use rustc_hash::FxHashMap;

/// Constants of EigenTrust; [`Default`]: α = 0.15, one pre-trusted client, hourly
/// recomputation, tolerance 1e-12, a rating ≥ 0.5 is satisfactory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EigenTrustConfig {
    /// Weight α ∈ (0, 1] of the pre-trusted distribution in each step (the paper's `a`).
    pub alpha: f64,
    /// Clients with id below this are pre-trusted.
    pub pretrusted_clients: u32,
    /// Simulated seconds between recomputations, ≥ 1.
    pub interval: u64,
    /// Power iteration stops when the L1 change is below this, in (0, 1).
    pub tolerance: f64,
    /// A rating at or above this is satisfactory, below it unsatisfactory; in [0, 1].
    pub satisfaction: f64,
}

impl Default for EigenTrustConfig {
    fn default() -> Self {
        Self {
            alpha: 0.15,
            pretrusted_clients: 1,
            interval: 3600,
            tolerance: 1e-12,
            satisfaction: 0.5,
        }
    }
}

impl EigenTrustConfig {
    /// Fields outside their allowed range, as `(field, value, allowed)`.
    pub fn problems(&self) -> Vec<(&'static str, f64, &'static str)> {
        let mut out = Vec::new();
        check(
            &mut out,
            self.alpha > 0.0 && self.alpha <= 1.0,
            "eigentrust.alpha",
            self.alpha,
            "a number in (0, 1]",
        );
        check(
            &mut out,
            self.interval >= 1,
            "eigentrust.interval",
            self.interval as f64,
            "an integer ≥ 1 (seconds)",
        );
        check(
            &mut out,
            self.tolerance > 0.0 && self.tolerance < 1.0,
            "eigentrust.tolerance",
            self.tolerance,
            "a number in (0, 1)",
        );
        check(
            &mut out,
            (0.0..=1.0).contains(&self.satisfaction),
            "eigentrust.satisfaction",
            self.satisfaction,
            "a number in [0, 1]",
        );
        out
    }
}

/// One rated (client, agent) pair.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Edge {
    client: u32,
    agent: u32,
    /// `sat − unsat`.
    local: i64,
    /// Ratings of the agent by the client.
    count: u64,
}

/// The global trust vector of one recomputation.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalTrust {
    /// Trust of each client node `0..clients`.
    pub clients: Vec<f64>,
    /// Trust of each agent node `0..agents`.
    pub agents: Vec<f64>,
    /// Power iterations done.
    pub iterations: u32,
}

/// One edge of a trust graph: node `from` passes the share `num / den` of its trust to `to`
/// (`den` is the sum of `from`'s outgoing `num`s, so each node's shares sum to 1: the paper's
/// normalised local trust c_ij, eq. 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustEdge {
    /// The truster.
    pub from: usize,
    /// The trusted node.
    pub to: usize,
    /// Numerator of c_from,to.
    pub num: f64,
    /// Denominator of c_from,to.
    pub den: f64,
}

/// EigenTrust's power iteration on any sparse trust graph (Kamvar et al. 2003, Algorithm 2):
/// from `t`, repeat `t ← (1 − α)·(Cᵀ t + d·p) + α·p`, where `d` is the trust held by nodes with
/// no outgoing edge (inactive peers, redistributed by `p`), until the L1 change is below
/// `tolerance`. Returns the vector and the number of iterations (at least one). With α = 0,
/// no inactive node and an infinite tolerance it is one step of `t ← Cᵀ t`.
pub fn power_iteration(
    edges: &[TrustEdge],
    p: &[f64],
    alpha: f64,
    tolerance: f64,
    mut t: Vec<f64>,
) -> (Vec<f64>, u32) {
    let n = p.len();
    debug_assert_eq!(t.len(), n);
    let mut active = vec![false; n];
    for e in edges {
        active[e.from] = true;
    }
    let mut next = vec![0.0; n];
    let mut iterations = 0;
    loop {
        iterations += 1;
        let dangling: f64 = t
            .iter()
            .zip(&active)
            .filter(|(_, a)| !**a)
            .map(|(t, _)| t)
            .sum();
        next.fill(0.0);
        for e in edges {
            next[e.to] += t[e.from] * e.num / e.den;
        }
        let mut diff = 0.0;
        for (new, (old, p)) in next.iter_mut().zip(t.iter().zip(p)) {
            *new = (1.0 - alpha) * (*new + dangling * p) + alpha * p;
            diff += (*new - old).abs();
        }
        std::mem::swap(&mut t, &mut next);
        if diff < tolerance || iterations == u32::MAX {
            return (t, iterations);
        }
    }
}

/// EigenTrust state: the sparse local-trust graph and the last global trust vector.
#[derive(Debug, Clone)]
pub struct EigenTrustModel {
    config: EigenTrustConfig,
    edges: Vec<Edge>,
    index: FxHashMap<(u32, u32), usize>,
    scores: Vec<Option<f64>>,
    last: Option<u64>,
    changed: bool,
    recomputations: u64,
    iterations: u64,
    /// The last global trust vector, the warm start of the next recomputation.
    vector: Option<GlobalTrust>,
}

impl EigenTrustModel {
    /// A model with an empty graph.
    pub fn new(config: EigenTrustConfig) -> Self {
        Self {
            config,
            edges: Vec::new(),
            index: FxHashMap::default(),
            scores: Vec::new(),
            last: None,
            changed: false,
            recomputations: 0,
            iterations: 0,
            vector: None,
        }
    }

    /// Adds one client rating to the graph without recomputing.
    pub fn add(&mut self, client: ClientId, agent: AgentId, score: f64) {
        let key = (client.0, agent.0);
        let i = *self.index.entry(key).or_insert_with(|| {
            self.edges.push(Edge {
                client: client.0,
                agent: agent.0,
                local: 0,
                count: 0,
            });
            self.edges.len() - 1
        });
        let e = &mut self.edges[i];
        e.local += if score >= self.config.satisfaction {
            1
        } else {
            -1
        };
        e.count += 1;
    }

    /// Rated (client, agent) pairs.
    pub fn rated_pairs(&self) -> usize {
        self.edges.len()
    }

    /// Recomputations so far.
    pub fn recomputations(&self) -> u64 {
        self.recomputations
    }

    /// The stationary global trust vector of the current graph (power iteration from `p`; see
    /// the module docs). Pure: does not change the scores.
    pub fn global_trust(&self) -> GlobalTrust {
        self.global_trust_from(None)
    }

    /// As [`global_trust`](Self::global_trust), iterating from `start` (a previous vector,
    /// padded with zeros for new nodes) instead of `p`: the fixed point is unique, so only the
    /// number of iterations changes (a warm start after a few new ratings needs far fewer).
    fn global_trust_from(&self, start: Option<&GlobalTrust>) -> GlobalTrust {
        let k = self.config.pretrusted_clients as usize;
        let nc = self
            .edges
            .iter()
            .map(|e| e.client as usize + 1)
            .max()
            .unwrap_or(0)
            .max(k);
        let na = self
            .edges
            .iter()
            .map(|e| e.agent as usize + 1)
            .max()
            .unwrap_or(0);
        let (pc, pa) = if k > 0 {
            let mut pc = vec![0.0; nc];
            pc[..k].fill(1.0 / k as f64);
            (pc, vec![0.0; na])
        } else {
            let u = 1.0 / (nc + na).max(1) as f64;
            (vec![u; nc], vec![u; na])
        };
        let mut out_c = vec![0.0; nc];
        let mut out_a = vec![0.0; na];
        for e in &self.edges {
            out_c[e.client as usize] += e.local.max(0) as f64;
            out_a[e.agent as usize] += e.count as f64;
        }
        // Nodes: clients `0..nc`, then agents `nc..nc + na`; each rated pair gives one edge
        // each way (in rating order, which fixes the summation order).
        let mut edges = Vec::with_capacity(2 * self.edges.len());
        for e in &self.edges {
            let (c, a) = (e.client as usize, e.agent as usize);
            if e.local > 0 {
                edges.push(TrustEdge {
                    from: c,
                    to: nc + a,
                    num: e.local as f64,
                    den: out_c[c],
                });
            }
            edges.push(TrustEdge {
                from: nc + a,
                to: c,
                num: e.count as f64,
                den: out_a[a],
            });
        }
        let p: Vec<f64> = pc.into_iter().chain(pa).collect();
        let t0 = match start {
            Some(s) if s.clients.len() <= nc && s.agents.len() <= na => {
                let mut t = s.clients.clone();
                t.resize(nc, 0.0);
                t.extend_from_slice(&s.agents);
                t.resize(nc + na, 0.0);
                t
            }
            _ => p.clone(),
        };
        let (mut t, iterations) =
            power_iteration(&edges, &p, self.config.alpha, self.config.tolerance, t0);
        let ta = t.split_off(nc);
        let tc = t;
        GlobalTrust {
            clients: tc,
            agents: ta,
            iterations,
        }
    }

    /// Recomputes the global trust vector (warm-started from the last one) and every rated
    /// agent's score.
    pub fn recompute(&mut self) {
        let t = self.global_trust_from(self.vector.as_ref());
        self.iterations += u64::from(t.iterations);
        let max = t.agents.iter().copied().fold(0.0, f64::max);
        let rated: Vec<bool> = {
            let mut r = vec![false; t.agents.len()];
            for e in &self.edges {
                r[e.agent as usize] = true;
            }
            r
        };
        self.scores.iter_mut().for_each(|s| *s = None);
        for (a, (&ta, &is_rated)) in t.agents.iter().zip(&rated).enumerate() {
            if is_rated && max > 0.0 {
                self.ensure(AgentId(a as u32));
                self.scores[a] = Some((ta / max).clamp(0.0, 1.0));
            }
        }
        self.recomputations += 1;
        self.changed = true;
        self.vector = Some(t);
    }

    /// The global trust vector of the last recomputation.
    pub fn vector(&self) -> Option<&GlobalTrust> {
        self.vector.as_ref()
    }

    /// Power iterations summed over all recomputations.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }
}

impl ReputationModel for EigenTrustModel {
    fn ensure(&mut self, agent: AgentId) {
        if agent.index() >= self.scores.len() {
            self.scores.resize(agent.index() + 1, None);
        }
    }

    fn record(&mut self, rating: Rating) {
        self.ensure(rating.agent);
        let Some(client) = rating.client else {
            return;
        };
        self.add(client, rating.agent, rating.score);
        if self
            .last
            .is_none_or(|t| rating.time >= t.saturating_add(self.config.interval))
        {
            self.last = Some(rating.time);
            self.recompute();
        }
    }

    fn reset(&mut self, agent: AgentId) {
        for e in self.edges.iter_mut().filter(|e| e.agent == agent.0) {
            e.local = 0;
            e.count = 0;
        }
        if let Some(s) = self.scores.get_mut(agent.index()) {
            *s = None;
        }
    }

    fn score(&self, agent: AgentId) -> Option<f64> {
        self.scores.get(agent.index()).copied().flatten()
    }

    fn take_global_change(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }
}

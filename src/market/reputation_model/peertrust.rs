//! PeerTrust (Xiong and Liu 2004), issue 13: ratings weighted by the credibility of the rater.
//!
//! PeerTrust's point over a plain average is that a rating counts as much as its rater is
//! credible. Its personalised-similarity credibility compares a rater's feedback with other
//! raters' on the same partners; here each client's credibility is one minus its mean
//! disagreement with the other clients' consensus on the agents it rated:
//!
//! ```text
//!   rating x of agent a by client c, where a has ratings from other clients:
//!     d = |x − m_a,¬c|           m_a,¬c = mean rating of a by clients other than c (before x)
//!     D_c += d, k_c += 1          Cr_c = 1 − D_c / k_c       (1 while k_c = 0)
//!   a's score folds the rating weighted by the rater's credibility at that moment:
//!     P_a ← δ·P_a + Cr_c·x        Q_a ← δ·Q_a + Cr_c        score = P_a / Q_a
//! ```
//!
//! δ is the transaction-context (recency) factor, as the paper's decay. Unlike the paper's
//! formula, which re-weighs every past rating by the rater's *current* credibility (O(history)
//! per query), each rating keeps the credibility its rater had when it was given, so the work
//! per rating is O(1): a hash lookup for the (client, agent) pair and a few running sums.
//! A warm-start prior (no rater) has credibility 1 and does not update any credibility. A
//! wash-trading client that praises its own identities while honest clients rate them low
//! loses credibility, and with it the weight of its later ratings.

use super::{Rating, ReputationModel, check};
use crate::market::ids::AgentId;
use rustc_hash::FxHashMap;

/// Constants of PeerTrust; [`Default`] is δ = 0.95.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeerTrustConfig {
    /// Recency factor δ ∈ (0, 1] applied to an agent's older ratings at each new one.
    pub decay: f64,
}

impl Default for PeerTrustConfig {
    fn default() -> Self {
        Self { decay: 0.95 }
    }
}

impl PeerTrustConfig {
    /// Fields outside their allowed range, as `(field, value, allowed)`.
    pub fn problems(&self) -> Vec<(&'static str, f64, &'static str)> {
        let mut out = Vec::new();
        check(
            &mut out,
            self.decay > 0.0 && self.decay <= 1.0,
            "peertrust.decay",
            self.decay,
            "a number in (0, 1]",
        );
        out
    }
}

/// Per-agent running sums.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct AgentSums {
    /// Σ δ^(N−i) Cr_i x_i.
    weighted: f64,
    /// Σ δ^(N−i) Cr_i.
    weight: f64,
    /// Σ x over client ratings (undecayed), for the consensus.
    total: f64,
    /// Client ratings.
    count: u64,
}

/// PeerTrust state: per agent and per client running sums, per rated pair its own sum.
#[derive(Debug, Clone)]
pub struct PeerTrustModel {
    config: PeerTrustConfig,
    agents: Vec<AgentSums>,
    /// Per client: (Σ disagreement, number of disagreements measured).
    clients: Vec<(f64, u64)>,
    /// Per (client, agent): (Σ x, count).
    pairs: FxHashMap<(u32, u32), (f64, u64)>,
}

impl PeerTrustModel {
    /// A model with no ratings.
    pub fn new(config: PeerTrustConfig) -> Self {
        Self {
            config,
            agents: Vec::new(),
            clients: Vec::new(),
            pairs: FxHashMap::default(),
        }
    }

    /// Credibility `Cr_c ∈ [0, 1]` of client `c` (1 before any disagreement is measured).
    pub fn credibility(&self, client: u32) -> f64 {
        match self.clients.get(client as usize) {
            Some(&(d, k)) if k > 0 => (1.0 - d / k as f64).clamp(0.0, 1.0),
            _ => 1.0,
        }
    }
}

impl ReputationModel for PeerTrustModel {
    fn ensure(&mut self, agent: AgentId) {
        if agent.index() >= self.agents.len() {
            self.agents.resize(agent.index() + 1, AgentSums::default());
        }
    }

    fn record(&mut self, rating: Rating) {
        self.ensure(rating.agent);
        let x = rating.score;
        let a = rating.agent.index();
        let credibility = match rating.client {
            None => 1.0,
            Some(client) => {
                let c = client.index();
                let credibility = self.credibility(client.0);
                let pair = self.pairs.entry((client.0, rating.agent.0)).or_default();
                let sums = &mut self.agents[a];
                let others = sums.count - pair.1;
                if others > 0 {
                    let consensus = (sums.total - pair.0) / others as f64;
                    if c >= self.clients.len() {
                        self.clients.resize(c + 1, (0.0, 0));
                    }
                    self.clients[c].0 += (x - consensus).abs();
                    self.clients[c].1 += 1;
                }
                pair.0 += x;
                pair.1 += 1;
                sums.total += x;
                sums.count += 1;
                credibility
            }
        };
        let d = self.config.decay;
        let sums = &mut self.agents[a];
        sums.weighted = d * sums.weighted + credibility * x;
        sums.weight = d * sums.weight + credibility;
    }

    fn reset(&mut self, agent: AgentId) {
        if let Some(s) = self.agents.get_mut(agent.index()) {
            *s = AgentSums::default();
        }
        self.pairs.retain(|&(_, a), _| a != agent.0);
    }

    fn score(&self, agent: AgentId) -> Option<f64> {
        let s = self.agents.get(agent.index())?;
        (s.weight > 0.0).then(|| (s.weighted / s.weight).clamp(0.0, 1.0))
    }

    fn take_global_change(&mut self) -> bool {
        false
    }
}

//! The beta reputation system (Jøsang and Ismail 2002), issue 13.
//!
//! Each rating `x = ⟨w, q⟩ ∈ [0, 1]` is split into positive evidence `x` and negative evidence
//! `1 − x` (a perfectly good job is one unit of positive evidence, a worthless one one unit of
//! negative). Older evidence is discounted by the forgetting factor δ per later rating of the
//! same agent:
//!
//! ```text
//!   r ← δ·r + x        s ← δ·s + (1 − x)        E = (r + 1) / (r + s + 2)
//! ```
//!
//! i.e. `r = Σ δ^(N−i) x_i`, `s = Σ δ^(N−i) (1 − x_i)`. `E = 0.5` without evidence. O(1) per
//! rating. Warm-start priors count as evidence like any rating.

use super::{Rating, ReputationModel, check};
use crate::market::ids::AgentId;

/// Constants of the beta model; [`Default`] is δ = 0.95.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaConfig {
    /// Forgetting factor δ ∈ (0, 1] applied to old evidence at each new rating (1 = never
    /// forget).
    pub forgetting: f64,
}

impl Default for BetaConfig {
    fn default() -> Self {
        Self { forgetting: 0.95 }
    }
}

impl BetaConfig {
    /// Fields outside their allowed range, as `(field, value, allowed)`.
    pub fn problems(&self) -> Vec<(&'static str, f64, &'static str)> {
        let mut out = Vec::new();
        check(
            &mut out,
            self.forgetting > 0.0 && self.forgetting <= 1.0,
            "beta.forgetting",
            self.forgetting,
            "a number in (0, 1]",
        );
        out
    }
}

/// Per-agent evidence `(r, s)`.
#[derive(Debug, Clone)]
pub struct BetaModel {
    config: BetaConfig,
    evidence: Vec<[f64; 2]>,
}

impl BetaModel {
    /// A model with no agents.
    pub fn new(config: BetaConfig) -> Self {
        Self {
            config,
            evidence: Vec::new(),
        }
    }

    /// Positive and negative evidence `(r, s)` of `agent`.
    pub fn evidence(&self, agent: AgentId) -> [f64; 2] {
        self.evidence
            .get(agent.index())
            .copied()
            .unwrap_or([0.0; 2])
    }
}

/// The expected value of the beta distribution `Beta(r + 1, s + 1)`.
pub fn expectation(r: f64, s: f64) -> f64 {
    (r + 1.0) / (r + s + 2.0)
}

impl ReputationModel for BetaModel {
    fn ensure(&mut self, agent: AgentId) {
        if agent.index() >= self.evidence.len() {
            self.evidence.resize(agent.index() + 1, [0.0; 2]);
        }
    }

    fn record(&mut self, rating: Rating) {
        self.ensure(rating.agent);
        let d = self.config.forgetting;
        let e = &mut self.evidence[rating.agent.index()];
        e[0] = d * e[0] + rating.score;
        e[1] = d * e[1] + (1.0 - rating.score);
    }

    fn reset(&mut self, agent: AgentId) {
        if let Some(e) = self.evidence.get_mut(agent.index()) {
            *e = [0.0; 2];
        }
    }

    fn score(&self, agent: AgentId) -> Option<f64> {
        let [r, s] = self.evidence(agent);
        Some(expectation(r, s).clamp(0.0, 1.0))
    }

    fn take_global_change(&mut self) -> bool {
        false
    }
}

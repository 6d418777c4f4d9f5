//! Pluggable reputation models (issue 13): the score an agent's ratings earn under a classic
//! reputation system, beside the paper's engine (SPEC §6) that always runs for N, suspicion γ
//! and the three detectors.
//!
//! ```text
//!   complete(contract) ─▶ ReputationEngine::record(agent, q, Rater{client, time})
//!                             │ paper state: N, S_d, γ, detectors        (always, O(1))
//!                             └▶ model.record(Rating{client, agent, x = ⟨w,q⟩, time})
//!                                   beta:       O(1) evidence update
//!                                   eigentrust: O(1) local-trust update; every `interval`
//!                                               simulated seconds a sparse power iteration
//!                                   peertrust:  O(1) credibility-weighted update
//!   R = model.score(agent)   (paper: the decayed average)     ─▶ order book (ranking R or T)
//!   T = R·(1−γ)·min(1, N/N_min)                               ─▶ metrics, whitewashing
//! ```
//!
//! Units: ratings `x`, scores, R and T are dimensionless in [0, 1]; times are integer
//! simulated seconds. No model knows about scenario files: the scenario layer builds
//! [`ModelConfig`] once, with one default per constant ([`Default`] of each config).

use crate::market::ids::{AgentId, ClientId};

pub mod beta;
pub mod eigentrust;
pub mod peertrust;
#[cfg(test)]
mod tests;

pub use beta::{BetaConfig, BetaModel};
pub use eigentrust::{EigenTrustConfig, EigenTrustModel};
pub use peertrust::{PeerTrustConfig, PeerTrustModel};

/// One client's rating of one agent, as the models see it: the quality vector reduced to the
/// scalar `x = ⟨w, q⟩ ∈ [0, 1]` under the weights in force when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// The rating client; `None` for a warm-start prior (no rater).
    pub client: Option<ClientId>,
    /// The rated agent.
    pub agent: AgentId,
    /// The scalar rating `⟨w, q⟩`, in [0, 1].
    pub score: f64,
    /// Simulated time of the rating, seconds.
    pub time: u64,
}

/// A reputation model: folds ratings in and answers each agent's score in [0, 1].
pub trait ReputationModel {
    /// Makes `agent` and every smaller id known, with no evidence.
    fn ensure(&mut self, agent: AgentId);
    /// Folds one rating in. O(1) amortised, except where the model is inherently global
    /// (EigenTrust recomputes at most once per configured interval, here).
    fn record(&mut self, rating: Rating);
    /// Forgets `agent`'s evidence (a fresh identity).
    fn reset(&mut self, agent: AgentId);
    /// The agent's score in [0, 1], or `None` while the model has no score for it (the engine
    /// then answers the initial reputation).
    fn score(&self, agent: AgentId) -> Option<f64>;
    /// Whether the scores of agents other than the rated one may have changed since the last
    /// call (a global recomputation happened); clears the mark.
    fn take_global_change(&mut self) -> bool;

    /// The agent's score, or `initial` while the model has none.
    fn score_or(&self, agent: AgentId, initial: f64) -> f64 {
        self.score(agent).unwrap_or(initial)
    }
}

/// Which model scores agents, with its constants (issue 13).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelConfig {
    /// The paper's decayed average R (SPEC §6): no separate model.
    Paper,
    /// The beta reputation system (Jøsang and Ismail 2002).
    Beta(BetaConfig),
    /// EigenTrust (Kamvar, Schlosser and Garcia-Molina 2003).
    EigenTrust(EigenTrustConfig),
    /// PeerTrust (Xiong and Liu 2004): ratings weighted by rater credibility.
    PeerTrust(PeerTrustConfig),
}

impl ModelConfig {
    /// Every constant of the model outside its allowed range, as `(field, value, allowed)`,
    /// each field named `<model>.<constant>` (`eigentrust.alpha`); the scenario layer reports
    /// them under `reputation.<field>`.
    pub fn problems(&self) -> Vec<(&'static str, f64, &'static str)> {
        match self {
            ModelConfig::Paper => Vec::new(),
            ModelConfig::Beta(c) => c.problems(),
            ModelConfig::EigenTrust(c) => c.problems(),
            ModelConfig::PeerTrust(c) => c.problems(),
        }
    }
}

/// The model instance of a non-paper [`ModelConfig`].
#[derive(Debug, Clone)]
pub enum Model {
    /// See [`BetaModel`].
    Beta(BetaModel),
    /// See [`EigenTrustModel`].
    EigenTrust(EigenTrustModel),
    /// See [`PeerTrustModel`].
    PeerTrust(PeerTrustModel),
}

impl Model {
    /// The model for `config`; `None` for the paper's engine.
    pub fn new(config: ModelConfig) -> Option<Self> {
        match config {
            ModelConfig::Paper => None,
            ModelConfig::Beta(c) => Some(Model::Beta(BetaModel::new(c))),
            ModelConfig::EigenTrust(c) => Some(Model::EigenTrust(EigenTrustModel::new(c))),
            ModelConfig::PeerTrust(c) => Some(Model::PeerTrust(PeerTrustModel::new(c))),
        }
    }

    /// The model behind the trait.
    pub fn as_dyn(&self) -> &dyn ReputationModel {
        match self {
            Model::Beta(m) => m,
            Model::EigenTrust(m) => m,
            Model::PeerTrust(m) => m,
        }
    }

    /// The model behind the trait, mutably.
    pub fn as_dyn_mut(&mut self) -> &mut dyn ReputationModel {
        match self {
            Model::Beta(m) => m,
            Model::EigenTrust(m) => m,
            Model::PeerTrust(m) => m,
        }
    }
}

/// `problems` helper shared by the model configs: pushes `(field, value, allowed)` when `ok`
/// is false.
pub(crate) fn check(
    out: &mut Vec<(&'static str, f64, &'static str)>,
    ok: bool,
    field: &'static str,
    value: f64,
    allowed: &'static str,
) {
    if !ok {
        out.push((field, value, allowed));
    }
}

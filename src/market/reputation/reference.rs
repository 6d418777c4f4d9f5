//! A deliberately naive whole-history reputation engine, written straight from paper §8.3–§8.6
//! (test only). It stores every quality vector and recomputes everything from scratch on every
//! call: R with `powf`, a two-pass variance over the flattened history, the last m recordings
//! by slicing. Its only departure from the paper's code is the final clamp of R and T into
//! [0, 1], which the engine documents (weights may sum to 1 ± 0.001).

use super::{Detector, Flags, ReputationConfig};
use crate::market::quality::{QualityVector, Weights};

/// One agent's full history.
#[derive(Debug, Clone, Default)]
pub(super) struct RefAgent {
    pub(super) scores: Vec<QualityVector>,
    pub(super) suspicion: f64,
}

/// The reference engine: one full history per agent.
#[derive(Debug, Clone)]
pub(super) struct Reference {
    pub(super) config: ReputationConfig,
    pub(super) agents: Vec<RefAgent>,
}

impl Reference {
    pub(super) fn new(config: ReputationConfig, agents: usize) -> Self {
        Self {
            config,
            agents: vec![RefAgent::default(); agents],
        }
    }

    pub(super) fn set_weights(&mut self, weights: Weights) {
        self.config.weights = weights;
    }

    pub(super) fn reset(&mut self, agent: usize) {
        self.agents[agent] = RefAgent::default();
    }

    /// Paper §8.5: append, detect on the updated history, update suspicion.
    pub(super) fn record(
        &mut self,
        agent: usize,
        q: QualityVector,
        completion_seconds: Option<u64>,
    ) -> Flags {
        let c = self.config;
        let a = &mut self.agents[agent];
        a.scores.push(q);
        let mut flags = Flags::EMPTY;
        if detect_score_inflation(&c, &a.scores) {
            flags.insert(Detector::ScoreInflation);
        }
        if detect_rapid_cycling(&c, &a.scores, completion_seconds) {
            flags.insert(Detector::RapidCycling);
        }
        if detect_perfect_streak(&c, &a.scores) {
            flags.insert(Detector::PerfectStreak);
        }
        a.suspicion = if flags.is_empty() {
            f64::max(0.0, a.suspicion - c.suspicion_decay)
        } else {
            f64::min(1.0, a.suspicion + c.suspicion_step * flags.len() as f64)
        };
        flags
    }

    /// Paper §8.3, `exponential_weighted_score`.
    pub(super) fn reputation(&self, agent: usize) -> f64 {
        let scores = &self.agents[agent].scores;
        if scores.is_empty() {
            return self.config.initial_reputation;
        }
        let n = scores.len();
        let mut weighted_sum = 0.0;
        let mut weight_total = 0.0;
        for (i, qv) in scores.iter().enumerate() {
            let decay_factor = self.config.decay.powf((n - 1 - i) as f64);
            let inner: f64 = self
                .config
                .weights
                .values()
                .iter()
                .zip(qv.scores())
                .map(|(w, v)| w * v)
                .sum();
            weighted_sum += decay_factor * inner;
            weight_total += decay_factor;
        }
        if weight_total == 0.0 {
            return self.config.initial_reputation;
        }
        (weighted_sum / weight_total).clamp(0.0, 1.0)
    }

    /// Paper §8.4, `trust_score`.
    pub(super) fn trust(&self, agent: usize) -> f64 {
        let a = &self.agents[agent];
        if a.scores.is_empty() {
            return 0.0;
        }
        let seasoning = f64::min(1.0, a.scores.len() as f64 / self.config.min_jobs as f64);
        (self.reputation(agent) * (1.0 - a.suspicion) * seasoning).clamp(0.0, 1.0)
    }

    /// Two-pass sample variance of the flattened history (paper §8.6.0.1), if ≥ 2 values.
    pub(super) fn variance(scores: &[QualityVector]) -> Option<f64> {
        let flat: Vec<f64> = scores.iter().flat_map(|q| q.scores().to_vec()).collect();
        let n = flat.len();
        if n < 2 {
            return None;
        }
        let mean = flat.iter().sum::<f64>() / n as f64;
        let ss: f64 = flat.iter().map(|x| (x - mean) * (x - mean)).sum();
        Some(ss / (n - 1) as f64)
    }
}

fn detect_score_inflation(c: &ReputationConfig, scores: &[QualityVector]) -> bool {
    if scores.len() < c.min_recordings_for_inflation as usize {
        return false;
    }
    match Reference::variance(scores) {
        None => false,
        Some(v) => v < c.inflation_variance,
    }
}

fn detect_rapid_cycling(
    c: &ReputationConfig,
    scores: &[QualityVector],
    completion_seconds: Option<u64>,
) -> bool {
    let window = c.rapid_window as usize;
    if scores.len() < window {
        return false;
    }
    match completion_seconds {
        Some(s) if s < c.rapid_seconds => scores[scores.len() - window..]
            .iter()
            .all(|qv| qv.scores().iter().all(|&x| x > c.rapid_threshold)),
        _ => false,
    }
}

fn detect_perfect_streak(c: &ReputationConfig, scores: &[QualityVector]) -> bool {
    let len = c.streak_len as usize;
    if scores.len() < len {
        return false;
    }
    scores[scores.len() - len..]
        .iter()
        .all(|qv| qv.scores().iter().all(|&x| x >= c.streak_threshold))
}

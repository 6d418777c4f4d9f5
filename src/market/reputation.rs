//! The reputation engine: decayed reputation, trust, suspicion and the three anti-gaming
//! detectors (SPEC §6, paper §8.2–§8.7).
//!
//! ```text
//!   record(agent, q, completion_seconds)
//!        │  O(1): fold q into the agent's running sums, then run the detectors on the
//!        │  history *including* q (paper §8.5)
//!        ▼
//!   ┌──────────── AgentState (Copy, fixed size, no heap) ────────────┐
//!   │ n        recordings so far                                     │
//!   │ S_d      Σ λ^(N−i) q_{i,d}   per dimension          ─┐         │
//!   │ W        Σ λ^(N−i)                                   ├─► R     │
//!   │ mean,M2  Chan/Welford over all 6·N recorded values  ─► inflation│
//!   │ runs     consecutive recordings with every dim > 0.9 / ≥ 0.99  │
//!   │ γ        suspicion (leaky integrator)                          │
//!   └────────────────────────────────────────────────────────────────┘
//!        ▼
//!   Recording { flags, suspicion γ, reputation R, trust T }
//! ```
//!
//! Units: quality scores, R, T and γ are dimensionless numbers in [0, 1]; completion times are
//! integer simulated seconds; recordings are counts.
//!
//! Architecture invariants:
//! - work and memory per recording are O(1), independent of history length: the whole-history
//!   definitions of SPEC §6 are evaluated from running sums (a test compares every answer with a
//!   naive whole-history reference);
//! - R and T of every agent are also kept side by side in a compact `Vec<[f64; 2]>` (16 bytes
//!   per agent), refreshed whenever the agent's state or the weights change: ranking a
//!   proposal, pricing a bid or sampling the population reads one small entry instead of the
//!   104-byte running state (the queries are cache-bound in large populations);
//! - agents are dense [`AgentId`]s: state lives in a `Vec` indexed by id. An id is known once
//!   [`ReputationEngine::register`] returned it or [`ReputationEngine::ensure`] covered it;
//!   queries about an unknown id answer as for an agent with no history, mutations refuse it;
//! - R and T are clamped into [0, 1] at the end, so rounding (or weights summing to 1 ± 0.001)
//!   can never push them out of range.
//!
//! Pluggable models (issue 13): with [`ReputationConfig::model`] other than
//! [`ModelConfig::Paper`], R is the model's score instead of the decayed average (see
//! [`crate::market::reputation_model`]); N, γ, the detectors and `T = R·(1−γ)·min(1, N/N_min)`
//! are kept as above, and [`ReputationConfig::detectors`] switches the detectors (and so γ)
//! off for any model.
//!
//! A whitewashed identity (SPEC §1, §8 last bullet) is simply a fresh [`AgentId`] with no
//! history: its reputation is the initial 0.5 while its trust is 0.

use crate::market::ids::{AgentId, ClientId};
use crate::market::quality::{DIMENSIONS, QualityError, QualityVector, Weights};
use crate::market::reputation_model::{Model, ModelConfig, Rating};
use crate::prefetch::prefetch;
use thiserror::Error;

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

/// Why the reputation engine refused a configuration or an operation (SPEC §6). Every error
/// leaves the engine exactly unchanged; none is fatal to a run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ReputationError {
    /// A configuration field is outside its allowed range.
    #[error("reputation config field `{field}` = {value} is out of range: allowed {allowed}")]
    InvalidConfig {
        /// Name of the offending field (as in [`ReputationConfig`] and the scenario key).
        field: &'static str,
        /// The offending value (integers converted to `f64`).
        value: f64,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// The weight vector is not non-negative or does not sum to 1 ± 0.001 (paper §8.7).
    #[error("reputation config field `weights` is invalid: {0}")]
    InvalidWeights(#[source] QualityError),
    /// The agent id was never registered with this engine.
    #[error("agent {agent} is not registered with the reputation engine")]
    UnknownAgent {
        /// The unknown id.
        agent: AgentId,
    },
}

impl ReputationError {
    /// The configuration field this error names, if it is a configuration error.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidConfig { field, .. } => Some(field),
            Self::InvalidWeights(_) => Some("weights"),
            Self::UnknownAgent { .. } => None,
        }
    }
}

/// Longest detector window (`rapid_window`, `streak_len`): the engine counts runs in 16 bits
/// to keep its per-agent state at 88 bytes (issue 15); the paper's windows are 3 and 10.
pub const MAX_WINDOW: u32 = u16::MAX as u32;

/// Every constant of the reputation engine (SPEC §6, paper §8.2); each one is a scenario key so
/// that researchers can sweep it. [`Default`] gives the paper's constants.
///
/// Fields are public (this is a plain parameter record); [`ReputationConfig::validate`] checks
/// them and [`ReputationEngine::new`] refuses an invalid one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReputationConfig {
    /// Dimension weights `w` (paper §8.2, §8.7); uniform by default. Changeable at run time
    /// through [`ReputationEngine::set_weights`].
    pub weights: Weights,
    /// Decay factor λ, `0 < λ ≤ 1` (default 0.95).
    pub decay: f64,
    /// Seasoning length `N_min ≥ 1`: trust ramps linearly over the first `N_min` recordings
    /// (default 5, paper §8.4).
    pub min_jobs: u32,
    /// Reputation of an agent with no history, in [0, 1] (default 0.5).
    pub initial_reputation: f64,
    /// Suspicion added per detector that fires, in [0, 1] (default 0.1, paper §8.5).
    pub suspicion_step: f64,
    /// Suspicion removed by a clean recording, in [0, 1] (default 0.01, paper §8.5).
    pub suspicion_decay: f64,
    /// Score inflation fires when the sample variance of all recorded values is strictly below
    /// this, finite and ≥ 0 (default 0.001, paper §8.6.0.1).
    pub inflation_variance: f64,
    /// Minimum number of recordings before score inflation can fire, ≥ 1 (default 3).
    pub min_recordings_for_inflation: u32,
    /// Rapid cycling needs a completion strictly faster than this many seconds (default 60,
    /// paper §8.6.0.2).
    pub rapid_seconds: u64,
    /// Rapid cycling looks at this many most recent recordings, and needs at least this many,
    /// in 1..=[`MAX_WINDOW`] (default 3).
    pub rapid_window: u32,
    /// Rapid cycling needs every dimension of the window strictly above this, in [0, 1]
    /// (default 0.9).
    pub rapid_threshold: f64,
    /// Perfect streak looks at this many most recent recordings, and needs at least this many,
    /// in 1..=[`MAX_WINDOW`] (default 10, paper §8.6.0.3).
    pub streak_len: u32,
    /// Perfect streak needs every dimension of the window at or above this, in [0, 1]
    /// (default 0.99).
    pub streak_threshold: f64,
    /// Which model scores R (issue 13); default the paper's decayed average.
    pub model: ModelConfig,
    /// Whether the three detectors run (and so whether suspicion γ can rise); default true.
    pub detectors: bool,
}

impl Default for ReputationConfig {
    fn default() -> Self {
        Self {
            weights: Weights::uniform(),
            decay: 0.95,
            min_jobs: 5,
            initial_reputation: 0.5,
            suspicion_step: 0.1,
            suspicion_decay: 0.01,
            inflation_variance: 0.001,
            min_recordings_for_inflation: 3,
            rapid_seconds: 60,
            rapid_window: 3,
            rapid_threshold: 0.9,
            streak_len: 10,
            streak_threshold: 0.99,
            model: ModelConfig::Paper,
            detectors: true,
        }
    }
}

impl ReputationConfig {
    /// Checks every field against its allowed range (SPEC §6); the error names the first bad
    /// field. NaN is refused everywhere.
    pub fn validate(&self) -> Result<(), ReputationError> {
        // `Weights` is validated on construction; re-check so a future raw path cannot slip by.
        Weights::new(*self.weights.values()).map_err(ReputationError::InvalidWeights)?;
        match self.problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every field other than `weights` that is outside its allowed range, in field order.
    /// This is the one range check of these constants: the scenario layer reports these
    /// errors under `reputation.<field>`.
    pub fn problems(&self) -> Vec<ReputationError> {
        let mut out = Vec::new();
        let mut bad = |ok: bool, field: &'static str, value: f64, allowed: &'static str| {
            if !ok {
                out.push(ReputationError::InvalidConfig {
                    field,
                    value,
                    allowed,
                });
            }
        };
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        const UNIT: &str = "a number in [0, 1]";
        const AT_LEAST_ONE: &str = "an integer ≥ 1";
        const WINDOW: &str = "an integer in 1..=65535";
        bad(
            self.decay > 0.0 && self.decay <= 1.0,
            "decay",
            self.decay,
            "a number in (0, 1]",
        );
        bad(
            self.min_jobs >= 1,
            "min_jobs",
            f64::from(self.min_jobs),
            AT_LEAST_ONE,
        );
        bad(
            unit(self.initial_reputation),
            "initial_reputation",
            self.initial_reputation,
            UNIT,
        );
        bad(
            unit(self.suspicion_step),
            "suspicion_step",
            self.suspicion_step,
            UNIT,
        );
        bad(
            unit(self.suspicion_decay),
            "suspicion_decay",
            self.suspicion_decay,
            UNIT,
        );
        bad(
            self.inflation_variance.is_finite() && self.inflation_variance >= 0.0,
            "inflation_variance",
            self.inflation_variance,
            "a finite number ≥ 0",
        );
        bad(
            self.min_recordings_for_inflation >= 1,
            "min_recordings_for_inflation",
            f64::from(self.min_recordings_for_inflation),
            AT_LEAST_ONE,
        );
        bad(
            (1..=MAX_WINDOW).contains(&self.rapid_window),
            "rapid_window",
            f64::from(self.rapid_window),
            WINDOW,
        );
        bad(
            unit(self.rapid_threshold),
            "rapid_threshold",
            self.rapid_threshold,
            UNIT,
        );
        bad(
            (1..=MAX_WINDOW).contains(&self.streak_len),
            "streak_len",
            f64::from(self.streak_len),
            WINDOW,
        );
        bad(
            unit(self.streak_threshold),
            "streak_threshold",
            self.streak_threshold,
            UNIT,
        );
        for (field, value, allowed) in self.model.problems() {
            bad(false, field, value, allowed);
        }
        out
    }

    /// Validates a raw weight vector for the `weights` field (paper §8.7), naming the field
    /// in the error.
    pub fn weights_from_raw(raw: [f64; DIMENSIONS]) -> Result<Weights, ReputationError> {
        Weights::new(raw).map_err(ReputationError::InvalidWeights)
    }
}

/// One of the three anti-gaming detectors (SPEC §6, paper §8.6), in the paper's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detector {
    /// Sample variance of all recorded values below the threshold (paper §8.6.0.1).
    ScoreInflation = 0,
    /// Fast completion with every dimension of the recent window high (paper §8.6.0.2).
    RapidCycling = 1,
    /// Every dimension of the last `streak_len` recordings near perfect (paper §8.6.0.3).
    PerfectStreak = 2,
}

impl Detector {
    /// All detectors, in the paper's order (the order of [`Flags::iter`]).
    pub const ALL: [Detector; 3] = [
        Detector::ScoreInflation,
        Detector::RapidCycling,
        Detector::PerfectStreak,
    ];

    /// The snake-case name the paper uses for the flag (paper §8.6).
    pub fn name(self) -> &'static str {
        match self {
            Detector::ScoreInflation => "score_inflation",
            Detector::RapidCycling => "rapid_cycling",
            Detector::PerfectStreak => "perfect_streak",
        }
    }

    #[inline]
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The set of detectors that fired on one recording: a 3-bit set (SPEC §6, paper §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No detector fired.
    pub const EMPTY: Flags = Flags(0);

    /// Whether `detector` fired.
    #[inline]
    pub fn contains(self, detector: Detector) -> bool {
        self.0 & detector.bit() != 0
    }

    /// Adds `detector` to the set.
    #[inline]
    pub fn insert(&mut self, detector: Detector) {
        self.0 |= detector.bit();
    }

    /// Number of detectors that fired (0 to 3).
    #[inline]
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether no detector fired (a clean recording).
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw bits: bit `d as u8` is set when detector `d` fired.
    #[inline]
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The detectors that fired, in the paper's order.
    pub fn iter(self) -> impl Iterator<Item = Detector> {
        Detector::ALL.into_iter().filter(move |&d| self.contains(d))
    }
}

/// What one recording produced (SPEC §6, paper §8.5): the flags raised on this recording and
/// the agent's suspicion, reputation and trust right after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recording {
    /// Detectors that fired on this recording (on the history including it).
    pub flags: Flags,
    /// Suspicion γ after the update, in [0, 1].
    pub suspicion: f64,
    /// Reputation R after the recording, in [0, 1].
    pub reputation: f64,
    /// Trust T after the recording, in [0, 1].
    pub trust: f64,
}

/// Per-agent running state: fixed size, `Copy`, no heap (SPEC §6 last bullet). 88 bytes
/// (issue 15): 32-bit N, 16-bit run lengths, no flag counts (the recorder keeps those per
/// identity, `metrics::AgentStats::flags`). `repr(C)`: [`ReputationEngine::touch`] knows
/// the order.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
struct AgentState {
    /// Recordings so far, N (fewer than 2^32, checked).
    n: u32,
    /// Length of the current run of recordings with every dimension > `rapid_threshold`
    /// (saturating at [`MAX_WINDOW`], which `rapid_window` may not exceed).
    high_run: u16,
    /// Length of the current run of recordings with every dimension ≥ `streak_threshold`
    /// (saturating at [`MAX_WINDOW`], which `streak_len` may not exceed).
    perfect_run: u16,
    /// Decayed per-dimension sums `S_d = Σ λ^(N−i) q_{i,d}`.
    sums: [f64; DIMENSIONS],
    /// Decayed weight total `W = Σ λ^(N−i)`.
    weight_total: f64,
    /// Running mean of all `6·N` recorded values.
    mean: f64,
    /// Running sum of squared deviations from the mean of all `6·N` values (Chan et al.).
    m2: f64,
    /// Suspicion γ ∈ [0, 1].
    suspicion: f64,
}

impl AgentState {
    const FRESH: AgentState = AgentState {
        n: 0,
        sums: [0.0; DIMENSIONS],
        weight_total: 0.0,
        mean: 0.0,
        m2: 0.0,
        suspicion: 0.0,
        high_run: 0,
        perfect_run: 0,
    };

    /// R from the running sums: `Σ_d w_d S_d / W`, clamped into [0, 1].
    #[inline]
    fn reputation(&self, config: &ReputationConfig) -> f64 {
        if self.n == 0 {
            return config.initial_reputation;
        }
        let w = config.weights.values();
        let num: f64 = (0..DIMENSIONS).map(|d| w[d] * self.sums[d]).sum();
        (num / self.weight_total).clamp(0.0, 1.0)
    }

    /// T = R·(1−γ)·min(1, N/N_min) for the agent's R `reputation`, clamped into [0, 1]; 0
    /// with no history.
    #[inline]
    fn trust(&self, config: &ReputationConfig, reputation: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let seasoning = (self.n as f64 / f64::from(config.min_jobs)).min(1.0);
        (reputation * (1.0 - self.suspicion) * seasoning).clamp(0.0, 1.0)
    }

    /// `[R, T]` under the model: R is the paper's decayed average, or the model's score (the
    /// initial reputation while the model has none).
    #[inline]
    fn signals(
        &self,
        config: &ReputationConfig,
        model: Option<&Model>,
        agent: AgentId,
    ) -> [f64; 2] {
        let r = match model {
            Some(m) if self.n > 0 => m.as_dyn().score_or(agent, config.initial_reputation),
            _ => self.reputation(config),
        };
        [r, self.trust(config, r)]
    }

    /// Sample variance (n−1 denominator) of all recorded values, if there are at least two.
    #[inline]
    fn value_variance(&self) -> Option<f64> {
        let count = self.n as f64 * DIMENSIONS as f64;
        (count >= 2.0).then(|| self.m2 / (count - 1.0))
    }

    /// Folds one recording in and runs the detectors (paper §8.5–§8.6). O(DIMENSIONS).
    fn record(
        &mut self,
        config: &ReputationConfig,
        q: &QualityVector,
        completion_seconds: Option<u64>,
    ) -> Flags {
        let scores = q.scores();
        let lambda = config.decay;

        // Decayed sums: multiplying the old sums by λ ages every earlier term by one step.
        for (s, &x) in self.sums.iter_mut().zip(scores) {
            *s = lambda * *s + x;
        }
        self.weight_total = lambda * self.weight_total + 1.0;

        // Chan et al. pairwise merge of this recording's 6 values into the running mean / M2.
        let k = DIMENSIONS as f64;
        let batch_mean = scores.iter().sum::<f64>() / k;
        let batch_m2: f64 = scores
            .iter()
            .map(|x| (x - batch_mean) * (x - batch_mean))
            .sum();
        if self.n == 0 {
            self.mean = batch_mean;
            self.m2 = batch_m2;
        } else {
            let old = self.n as f64 * k;
            let total = old + k;
            let delta = batch_mean - self.mean;
            self.mean += delta * (k / total);
            self.m2 += batch_m2 + delta * delta * (old * k / total);
        }
        self.n = self
            .n
            .checked_add(1)
            .expect("fewer than 2^32 recordings of one agent");

        // Consecutive-run counters replace "look at the last m recordings".
        let min = q.min();
        self.high_run = if min > config.rapid_threshold {
            self.high_run.saturating_add(1)
        } else {
            0
        };
        self.perfect_run = if min >= config.streak_threshold {
            self.perfect_run.saturating_add(1)
        } else {
            0
        };

        let mut flags = Flags::EMPTY;
        if !config.detectors {
            // γ starts at 0 and, with no flag ever raised, stays there.
            return flags;
        }
        if self.n >= config.min_recordings_for_inflation
            && self
                .value_variance()
                .is_some_and(|v| v < config.inflation_variance)
        {
            flags.insert(Detector::ScoreInflation);
        }
        // A run of `rapid_window` high recordings implies N ≥ rapid_window.
        if completion_seconds.is_some_and(|s| s < config.rapid_seconds)
            && u32::from(self.high_run) >= config.rapid_window
        {
            flags.insert(Detector::RapidCycling);
        }
        if u32::from(self.perfect_run) >= config.streak_len {
            flags.insert(Detector::PerfectStreak);
        }

        self.suspicion = if flags.is_empty() {
            (self.suspicion - config.suspicion_decay).max(0.0)
        } else {
            (self.suspicion + config.suspicion_step * f64::from(flags.len())).min(1.0)
        };
        flags
    }
}

/// The reputation engine (SPEC §6, paper §8): per-agent running state in a `Vec` indexed by
/// [`AgentId`], O(1) time and memory per recording.
///
/// Agents are registered densely: [`register`](Self::register) hands out the next id, and
/// [`ensure`](Self::ensure) makes sure a given id (and every smaller one) exists, for callers
/// that allocate ids elsewhere. Mutations of an unknown id fail with
/// [`ReputationError::UnknownAgent`]; queries answer as for an agent with no history.
#[derive(Debug, Clone)]
pub struct ReputationEngine {
    config: ReputationConfig,
    /// The scoring model, `None` for the paper's engine.
    model: Option<Model>,
    agents: Vec<AgentState>,
    /// `[R, T]` of each agent, computed from `agents` under `config` (see the module docs).
    signals: Vec<[f64; 2]>,
}

impl Default for ReputationEngine {
    /// An engine with the paper's constants and no agents.
    fn default() -> Self {
        Self {
            config: ReputationConfig::default(),
            model: None,
            agents: Vec::new(),
            signals: Vec::new(),
        }
    }
}

impl ReputationEngine {
    /// An engine with no agents, after validating `config` (SPEC §6).
    pub fn new(config: ReputationConfig) -> Result<Self, ReputationError> {
        config.validate()?;
        Ok(Self {
            config,
            model: Model::new(config.model),
            agents: Vec::new(),
            signals: Vec::new(),
        })
    }

    /// As [`new`](Self::new), reserving room for `agents` identities so that registering them
    /// does not reallocate.
    pub fn with_capacity(config: ReputationConfig, agents: usize) -> Result<Self, ReputationError> {
        let mut engine = Self::new(config)?;
        engine.agents.reserve(agents);
        engine.signals.reserve(agents);
        Ok(engine)
    }

    /// The configuration in force (weights included).
    #[inline]
    pub fn config(&self) -> &ReputationConfig {
        &self.config
    }

    /// The weights in force (paper §8.7).
    #[inline]
    pub fn weights(&self) -> &Weights {
        &self.config.weights
    }

    /// Replaces the dimension weights at run time (paper §8.7). R is recomputed from the
    /// per-dimension decayed sums, so every agent's R reflects the new weights over its whole
    /// history at once; O(agents) to refresh the cached R and T. Suspicion and the detectors
    /// do not depend on the weights.
    pub fn set_weights(&mut self, weights: Weights) {
        self.config.weights = weights;
        self.refresh_all();
    }

    /// Recomputes every cached `[R, T]`. O(agents).
    fn refresh_all(&mut self) {
        let (config, model) = (&self.config, self.model.as_ref());
        for (i, (signal, state)) in self.signals.iter_mut().zip(&self.agents).enumerate() {
            *signal = state.signals(config, model, AgentId(i as u32));
        }
    }

    /// The scoring model, `None` for the paper's engine (issue 13).
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// `[R, T]` of an agent with no history.
    fn fresh_signals(&self) -> [f64; 2] {
        [self.config.initial_reputation, 0.0]
    }

    /// Number of registered agent ids (ids `0..len` are known).
    #[inline]
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Whether no agent is registered.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// Registers a fresh identity with no history and returns its id, the next dense one
    /// (SPEC §1; also how a sybil whitewashes: R = 0.5, T = 0).
    ///
    /// # Panics
    /// If more than `u32::MAX` agents are registered.
    pub fn register(&mut self) -> AgentId {
        let id = AgentId(u32::try_from(self.agents.len()).expect("more than u32::MAX agents"));
        self.agents.push(AgentState::FRESH);
        self.signals.push(self.fresh_signals());
        if let Some(m) = &mut self.model {
            m.as_dyn_mut().ensure(id);
        }
        id
    }

    /// Makes `agent` and every smaller id known, each new one with no history. A no-op for an
    /// already known id. Memory grows to `agent.index() + 1` states.
    pub fn ensure(&mut self, agent: AgentId) {
        if agent.index() >= self.agents.len() {
            self.agents.resize(agent.index() + 1, AgentState::FRESH);
            self.signals.resize(agent.index() + 1, self.fresh_signals());
            if let Some(m) = &mut self.model {
                m.as_dyn_mut().ensure(agent);
            }
        }
    }

    /// Whether `agent` is registered.
    #[inline]
    pub fn contains(&self, agent: AgentId) -> bool {
        agent.index() < self.agents.len()
    }

    /// Records one quality vector for `agent` (paper §8.5): updates the running sums, runs the
    /// three detectors on the history including this recording, updates suspicion, and returns
    /// the flags with γ, R and T after the update. `completion_seconds` feeds rapid cycling;
    /// `None` (unknown duration) never counts as rapid. A recording without a rater (a
    /// warm-start prior); see [`record_by`](Self::record_by). O(1); does not allocate.
    pub fn record(
        &mut self,
        agent: AgentId,
        q: QualityVector,
        completion_seconds: Option<u64>,
    ) -> Result<Recording, ReputationError> {
        self.record_by(agent, q, completion_seconds, None)
    }

    /// As [`record`](Self::record), for a rating by `rater = (client, time)` (issue 13: the
    /// models that weigh raters need them; the paper's engine ignores them). O(1), except
    /// that a model's global recomputation (EigenTrust) also refreshes every agent's cached
    /// `[R, T]`.
    pub fn record_by(
        &mut self,
        agent: AgentId,
        q: QualityVector,
        completion_seconds: Option<u64>,
        rater: Option<(ClientId, u64)>,
    ) -> Result<Recording, ReputationError> {
        let config = &self.config;
        let state = self
            .agents
            .get_mut(agent.index())
            .ok_or(ReputationError::UnknownAgent { agent })?;
        let flags = state.record(config, &q, completion_seconds);
        let suspicion = state.suspicion;
        let score = config.weights.dot(&q).clamp(0.0, 1.0);
        let global_change = self.model.as_mut().is_some_and(|m| {
            let m = m.as_dyn_mut();
            m.record(Rating {
                client: rater.map(|(c, _)| c),
                agent,
                score,
                time: rater.map_or(0, |(_, t)| t),
            });
            m.take_global_change()
        });
        if global_change {
            self.refresh_all();
        }
        let [reputation, trust] =
            self.agents[agent.index()].signals(&self.config, self.model.as_ref(), agent);
        self.signals[agent.index()] = [reputation, trust];
        Ok(Recording {
            flags,
            suspicion,
            reputation,
            trust,
        })
    }

    /// Forgets `agent`'s history: it answers as a fresh identity again (R = initial, T = 0,
    /// γ = 0, no flags). Fails on an unknown id.
    pub fn reset(&mut self, agent: AgentId) -> Result<(), ReputationError> {
        let state = self
            .agents
            .get_mut(agent.index())
            .ok_or(ReputationError::UnknownAgent { agent })?;
        *state = AgentState::FRESH;
        if let Some(m) = &mut self.model {
            m.as_dyn_mut().reset(agent);
        }
        self.signals[agent.index()] = self.fresh_signals();
        Ok(())
    }

    #[inline]
    fn state(&self, agent: AgentId) -> &AgentState {
        self.agents.get(agent.index()).unwrap_or(&AgentState::FRESH)
    }

    /// Reputation R ∈ [0, 1] (SPEC §6, paper §8.3); the initial 0.5 with no history or for an
    /// unknown id. O(1): a read of the cached value.
    #[inline]
    pub fn reputation(&self, agent: AgentId) -> f64 {
        self.signals
            .get(agent.index())
            .map_or(self.config.initial_reputation, |s| s[0])
    }

    /// Prefetches `agent`'s running state (its 88 bytes span two or three lines: three
    /// fields at most 48 bytes apart cover them) and cached signals, so that a recording soon
    /// after finds them in cache (issue 15).
    #[inline]
    pub fn touch(&self, agent: AgentId) {
        if let (Some(state), Some(signals)) = (
            self.agents.get(agent.index()),
            self.signals.get(agent.index()),
        ) {
            prefetch(&state.n);
            prefetch(&state.sums[DIMENSIONS - 1]);
            prefetch(&state.suspicion);
            prefetch(signals);
        }
    }

    /// Prefetches `agent`'s cached signals (R and T), which a bid reads (issue 15).
    #[inline]
    pub fn touch_signals(&self, agent: AgentId) {
        if let Some(signals) = self.signals.get(agent.index()) {
            prefetch(signals);
        }
    }

    /// Trust T = R·(1−γ)·min(1, N/N_min) ∈ [0, 1] (SPEC §6, paper §8.4); 0 with no history or
    /// for an unknown id.
    #[inline]
    pub fn trust(&self, agent: AgentId) -> f64 {
        self.signals.get(agent.index()).map_or(0.0, |s| s[1])
    }

    /// Suspicion γ ∈ [0, 1] (paper §8.5); 0 with no history.
    #[inline]
    pub fn suspicion(&self, agent: AgentId) -> f64 {
        self.state(agent).suspicion
    }

    /// Number of recordings N (paper §8.4).
    #[inline]
    pub fn recordings(&self, agent: AgentId) -> u64 {
        u64::from(self.state(agent).n)
    }

    /// Sample variance (n−1) of all values `agent` has been scored, the statistic of the
    /// score-inflation detector (paper §8.6.0.1); `None` with no history.
    pub fn score_variance(&self, agent: AgentId) -> Option<f64> {
        self.state(agent).value_variance()
    }
}

/// Stationary standard deviation of the decayed average R for i.i.d. scores (SPEC §8,
/// "Proposition 3"): `σ·√((1−λ)/(1+λ))`, where `σ` is the standard deviation of the scalar
/// score `⟨w, q⟩` (for independent dimensions each with variance `σ_d²`, `σ² = Σ w_d² σ_d²`).
///
/// Derivation. With `x_i = ⟨w, q_i⟩` i.i.d., mean μ, variance σ², and
/// `W_N = Σ_{k=0}^{N−1} λ^k = (1−λ^N)/(1−λ)`,
/// `R_N − μ = Σ_{k=0}^{N−1} λ^k (x_{N−k} − μ) / W_N`, so by independence
/// `Var R_N = σ² Σ_k λ^{2k} / W_N² = σ² · (1−λ^{2N})/(1−λ²) · (1−λ)²/(1−λ^N)²`.
/// As `N → ∞` (λ < 1) this tends to `σ²(1−λ)²/(1−λ²) = σ²(1−λ)/(1+λ)` — a floor, not 0:
/// R does not converge almost surely, contrary to the paper's Proposition 3
/// (≈ 0.0256 σ² at λ = 0.95). Only λ = 1 (a plain mean, variance σ²/N) converges, and this
/// function returns 0 there. See [`ewma_std_after`] for finite N.
pub fn ewma_stationary_std(sigma: f64, lambda: f64) -> f64 {
    sigma * ((1.0 - lambda) / (1.0 + lambda)).sqrt()
}

/// Standard deviation of R after exactly `n ≥ 1` i.i.d. recordings with score standard
/// deviation `sigma` (the finite-N formula derived at [`ewma_stationary_std`]; SPEC §8).
/// Returns `sigma / √n` for λ = 1, and NaN for `n = 0` (R is then the constant 0.5).
pub fn ewma_std_after(sigma: f64, lambda: f64, n: u64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let nf = n as f64;
    if lambda == 1.0 {
        return sigma / nf.sqrt();
    }
    let w = (1.0 - lambda.powf(nf)) / (1.0 - lambda);
    let sq = (1.0 - lambda.powf(2.0 * nf)) / (1.0 - lambda * lambda);
    sigma * sq.sqrt() / w
}

//! Sweep files: which scenario, which keys to vary over which values, which design.
//!
//! ```toml
//! scenario = "sybil-whitewash.toml"   # relative to the sweep file
//! seed = 1
//! design = "grid"                     # grid | random | lhs | sobol | morris | file
//! points = 8                          # random and lhs: points; sobol: base samples N
//! replicates = 5
//!
//! [[param]]
//! key = "population[1].whitewash_trust"
//! linear = { from = 0.1, to = 0.5, steps = 5 }    # or log = {…}, or values = [...]
//!
//! [[param]]
//! key = "market.ranking"
//! values = ["reputation", "trust"]
//! ```
//!
//! Sensitivity designs (see [`Design`]) add `second_order` (sobol), `trajectories` and
//! `levels` (morris) and `sample` (file).
//!
//! Raw serde types deny unknown keys; [`super::Sweep::load`] validates them, generates the
//! design's points and applies every point to the base scenario, so that a key the scenario
//! does not have or a value it refuses is reported before any run starts.

use serde::{Deserialize, Serialize};

/// The whole sweep file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Base scenario, relative to the sweep file's directory.
    pub scenario: String,
    /// Seed of the design and of every run's seed.
    #[serde(default = "one")]
    pub seed: u64,
    /// How points are chosen.
    #[serde(default)]
    pub design: Design,
    /// Number of points (random and lhs designs); base samples N (sobol design, a power of 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Sobol design: also run the BA rows needed for second-order indices (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_order: Option<bool>,
    /// Morris design: number of trajectories r (≥ 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectories: Option<u32>,
    /// Morris design: number of levels p (even, ≥ 2; default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<u32>,
    /// File design: the sample file, relative to the sweep file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// Runs per point, each with its own seed.
    #[serde(default = "one_u32")]
    pub replicates: u32,
    /// The varied parameters.
    #[serde(default)]
    pub param: Vec<Param>,
}

fn one() -> u64 {
    1
}

fn one_u32() -> u32 {
    1
}

/// The experimental design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Every combination of every parameter's values (first parameter outermost).
    #[default]
    Grid,
    /// `points` independent uniform draws (log-uniform for `log` ranges).
    Random,
    /// A Latin hypercube of `points` points: each parameter's range is cut into `points`
    /// strata and every stratum is used exactly once.
    Lhs,
    /// Saltelli's scheme on a scrambled Sobol' sequence, for Sobol' indices: `points` = N
    /// base samples (a power of 2), N(2D + 2) points with `second_order` (the default),
    /// N(D + 2) without, D being the number of parameters with more than one value.
    Sobol,
    /// Morris elementary effects: `trajectories` r of D + 1 points on `levels` p levels.
    Morris,
    /// Points read from `sample`, a file of columns named by scenario keys (e.g. written by
    /// SALib), one point per row in the file's order.
    File,
}

impl Design {
    /// The design's name in a sweep file.
    pub fn name(self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Random => "random",
            Design::Lhs => "lhs",
            Design::Sobol => "sobol",
            Design::Morris => "morris",
            Design::File => "file",
        }
    }
}

/// A numeric range: `steps` evenly spaced values for a grid; the interval for random and lhs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// First value.
    pub from: f64,
    /// Last value.
    pub to: f64,
    /// Values in a grid (≥ 2); ignored by the other designs.
    #[serde(default = "two")]
    pub steps: u32,
}

fn two() -> u32 {
    2
}

/// One varied parameter: a scenario key and exactly one of `values`, `linear` or `log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Scenario key path, as for `--set` (e.g. `population[1].count`).
    pub key: String,
    /// An explicit list of values (any TOML values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<toml::Value>>,
    /// A linear range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear: Option<Range>,
    /// A logarithmic range (`from` and `to` > 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<Range>,
    /// Round range values to integers (for integer keys such as counts).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
}

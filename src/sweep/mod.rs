//! Parameter sweeps: a design of points over scenario keys, replicated with independent
//! seeds, run in parallel, durable and resumable, shardable across a cluster.
//!
//! ```text
//! sweep.toml ─validate─▶ Sweep { points × replicates } ─shard K/N─▶ runs to do
//!   each run: base scenario + point's overrides + its seed ─simulate─▶ runs/PPPPPP-RRRR.csv
//!             (zero-padded to at least 6 and 4 digits, wider when needed)
//!   all runs present ─▶ runs.csv, summary.csv (polars), runs.parquet, summary.parquet
//! ```
//!
//! Designs: grid, random and lhs; for sensitivity analysis sobol (Saltelli rows of scrambled
//! Sobol' points), morris (trajectories) and file (a SALib sample, [`sample`]). `analysis`
//! computes a finished sobol or morris sweep's indices with [`crate::sensitivity`].
//!
//! Size: a design of more than [`MAX_RUNS`] runs (points × replicates) is refused before any
//! point is generated, naming the count and the key to lower; one of more than [`LARGE_RUNS`]
//! runs is warned about.
//!
//! Reproducibility: a run's seed depends only on (sweep seed, point, replicate), each run
//! writes its own small file atomically, and the tables are assembled from those files in
//! (point, replicate) order. The output is therefore byte-identical for any `--jobs`, any
//! sharding, and with or without `--resume`.

pub mod aggregate;
pub mod analysis;
mod design;
pub mod file;
pub mod runner;
pub mod sample;

pub use design::{DEFAULT_LEVELS, MAX_RUNS};
pub use file::{Design, Param, Range, SweepFile};

/// A sweep with more runs than this is warned about before it starts (it is allowed up to
/// [`MAX_RUNS`]).
pub const LARGE_RUNS: usize = 100_000;

use crate::scenario::{Problem, Scenario, ScenarioError};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a sweep was refused or failed. All are fatal.
#[derive(Debug, Error)]
pub enum SweepError {
    /// A file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key or a wrong type.
    #[error("{file}: {message}")]
    Parse {
        /// The sweep file.
        file: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// Out-of-range values in the sweep file.
    #[error("{file}: invalid sweep:\n{}", crate::scenario::bullet_list(problems))]
    Invalid {
        /// The sweep file.
        file: PathBuf,
        /// Every problem, with its key and the allowed values.
        problems: Vec<Problem>,
    },
    /// A sample file (design = "file") is malformed.
    #[error("{file}: sample file: {message}")]
    Sample {
        /// The sample file.
        file: PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
    /// A sample file's column is refused by the base scenario (not a scenario key, or a value
    /// out of range).
    #[error("{file}: column `{column}` (first value {value}) is refused by the scenario: {source}")]
    Column {
        /// The sample file.
        file: PathBuf,
        /// The column's key.
        column: String,
        /// Its first value.
        value: String,
        /// The scenario's refusal.
        source: Box<ScenarioError>,
    },
    /// A point of the design is refused by the base scenario (unknown key, bad value).
    #[error("{file}: point {point} ({overrides}) is refused by the scenario: {source}")]
    Point {
        /// The sweep file.
        file: PathBuf,
        /// The point's index.
        point: usize,
        /// The point's overrides.
        overrides: String,
        /// The scenario's refusal.
        source: Box<ScenarioError>,
    },
    /// An output problem (refused directory, different sweep, missing runs, I/O).
    #[error("{0}")]
    Output(String),
    /// An I/O error while writing results.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One point of the design: the value of every parameter, as TOML values.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Values in parameter order.
    pub values: Vec<toml::Value>,
}

/// A validated sweep: the base scenario's text, the parameters and every point.
#[derive(Debug, Clone)]
pub struct Sweep {
    file: SweepFile,
    origin: PathBuf,
    scenario_text: String,
    scenario_path: PathBuf,
    /// The varied parameters: the file's, after a file design's sample columns.
    params: Vec<Param>,
    /// A file design's sample file, verbatim.
    sample_text: Option<String>,
    points: Vec<Point>,
    /// Sobol and morris designs: the points in the unit cube, one coordinate per varied
    /// parameter ([`Sweep::varied`]).
    unit: Option<Vec<Vec<f64>>>,
    /// The validated scenario of each point (its runs differ only by seed).
    scenarios: Vec<Scenario>,
}

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunId {
    /// Point index.
    pub point: usize,
    /// Replicate index.
    pub replicate: u32,
}

impl Sweep {
    /// Reads and validates `path`, loads its base scenario and checks every point against it.
    pub fn load(path: &Path) -> Result<Self, SweepError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| SweepError::Read {
                file: p.to_path_buf(),
                source,
            })
        };
        let text = read(path)?;
        let file: SweepFile = toml::from_str(&text).map_err(|e| SweepError::Parse {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let scenario_path = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&file.scenario);
        let scenario_text = read(&scenario_path)?;
        Self::new(file, path, scenario_text, scenario_path)
    }

    /// Validates a parsed sweep against its base scenario's text (and reads the sample file
    /// of a file design, relative to `origin`'s directory).
    pub fn new(
        file: SweepFile,
        origin: &Path,
        scenario_text: String,
        scenario_path: PathBuf,
    ) -> Result<Self, SweepError> {
        let (sample_text, sample) = match (file.design, &file.sample) {
            (Design::File, Some(name)) => {
                let path = origin.parent().unwrap_or_else(|| Path::new(".")).join(name);
                let text = std::fs::read_to_string(&path).map_err(|source| SweepError::Read {
                    file: path.clone(),
                    source,
                })?;
                let parsed = sample::parse(&text).map_err(|message| SweepError::Sample {
                    file: path.clone(),
                    message,
                })?;
                check_columns(&parsed, &path, &scenario_text, &scenario_path)?;
                (Some(text), Some(parsed))
            }
            _ => (None, None),
        };
        let problems = design::problems(&file, sample.as_ref());
        if !problems.is_empty() {
            return Err(SweepError::Invalid {
                file: origin.to_path_buf(),
                problems,
            });
        }
        let points = design::points(&file, sample.as_ref());
        let unit = design::unit_points(&file);
        let mut params: Vec<Param> = sample
            .iter()
            .flat_map(|s| {
                s.columns.iter().enumerate().map(|(c, key)| Param {
                    key: key.clone(),
                    values: Some(s.rows.iter().map(|r| r[c].clone()).collect()),
                    linear: None,
                    log: None,
                    integer: false,
                })
            })
            .collect();
        params.extend(file.param.iter().cloned());
        let mut sweep = Self {
            file,
            origin: origin.to_path_buf(),
            scenario_text,
            scenario_path,
            params,
            sample_text,
            points,
            unit,
            scenarios: Vec::new(),
        };
        sweep.scenarios = (0..sweep.points.len())
            .map(|point| sweep.point_scenario(point))
            .collect::<Result<_, _>>()?;
        Ok(sweep)
    }

    /// The sweep file as parsed.
    pub fn file(&self) -> &SweepFile {
        &self.file
    }

    /// The points of the design.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The parameters whose values the points list, in point-value order: a file design's
    /// sample columns, then the sweep file's `[[param]]`s.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The indices (into [`Sweep::params`]) of the parameters a sobol or morris design varies:
    /// its dimensions, in order.
    pub fn varied(&self) -> Vec<usize> {
        design::varied(&self.file)
    }

    /// Sobol and morris designs: every point in the unit cube, one coordinate per
    /// [`Sweep::varied`] parameter.
    pub fn unit_points(&self) -> Option<&[Vec<f64>]> {
        self.unit.as_deref()
    }

    /// Every run, in (point, replicate) order.
    pub fn runs(&self) -> Vec<RunId> {
        (0..self.points.len())
            .flat_map(|point| {
                (0..self.file.replicates).map(move |replicate| RunId { point, replicate })
            })
            .collect()
    }

    /// The `--set` overrides of a point.
    pub fn overrides(&self, point: usize) -> Vec<String> {
        self.params
            .iter()
            .zip(&self.points[point].values)
            .map(|(p, v)| format!("{}={v}", p.key))
            .collect()
    }

    /// The seed of a run: the `replicate`-th number of ChaCha8 stream `point + 1` keyed by the
    /// sweep seed (stream 0 draws the design), so every run's seed is independent of every
    /// other run and of how the runs are scheduled.
    pub fn seed(&self, run: RunId) -> u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(self.file.seed);
        rng.set_stream(run.point as u64 + 1);
        rng.set_word_pos(u128::from(run.replicate) * 2);
        rng.next_u64()
    }

    /// The validated scenario of a run.
    pub fn scenario(&self, run: RunId) -> Scenario {
        self.scenarios[run.point].clone().with_seed(self.seed(run))
    }

    /// The base scenario with a point's overrides, validated.
    fn point_scenario(&self, point: usize) -> Result<Scenario, SweepError> {
        let overrides = self.overrides(point);
        Scenario::from_toml(&self.scenario_text, &self.scenario_path, &overrides).map_err(
            |source| SweepError::Point {
                file: self.origin.clone(),
                point,
                overrides: overrides.join(" "),
                source: Box::new(source),
            },
        )
    }

    /// The resolved sweep, as the files `sweep.resolved.toml` and `base.toml` (and
    /// `sample.txt` for a file design): the sweep file pointing at verbatim copies of its base
    /// scenario and sample, with every point listed in comments. `marketsim sweep
    /// DIR/sweep.resolved.toml` reproduces the sweep, and two shards belong to the same sweep
    /// iff these texts are equal.
    pub fn resolved(&self) -> Vec<(&'static str, String)> {
        let file = SweepFile {
            scenario: BASE_FILE.to_string(),
            sample: self.sample_text.as_ref().map(|_| SAMPLE_FILE.to_string()),
            ..self.file.clone()
        };
        let mut out = format!(
            "# Resolved by marketsim {}: the sweep with its points; base.toml is its scenario.\n",
            env!("CARGO_PKG_VERSION")
        );
        out.push_str(&toml::to_string(&file).expect("a parsed sweep serialises"));
        out.push_str("\n# Points (point: overrides)\n");
        for p in 0..self.points.len() {
            out.push_str(&format!("#   {p}: {}\n", self.overrides(p).join(" ")));
        }
        let mut files = vec![
            (RESOLVED_FILE, out),
            (BASE_FILE, self.scenario_text.clone()),
        ];
        files.extend(self.sample_text.clone().map(|t| (SAMPLE_FILE, t)));
        files
    }
}

/// Refuses a sample whose column is not a key the base scenario accepts (checked one column
/// at a time with its first value, so the error names the column).
fn check_columns(
    sample: &sample::Sample,
    path: &Path,
    scenario_text: &str,
    scenario_path: &Path,
) -> Result<(), SweepError> {
    for (c, column) in sample.columns.iter().enumerate() {
        let value = sample.rows[0][c].to_string();
        Scenario::from_toml(scenario_text, scenario_path, &[format!("{column}={value}")]).map_err(
            |source| SweepError::Column {
                file: path.to_path_buf(),
                column: column.clone(),
                value,
                source: Box::new(source),
            },
        )?;
    }
    Ok(())
}

/// Name of the resolved sweep file in a sweep's output directory.
pub const RESOLVED_FILE: &str = "sweep.resolved.toml";
/// Name of the copy of the base scenario in a sweep's output directory.
pub const BASE_FILE: &str = "base.toml";
/// Name of the copy of a file design's sample in a sweep's output directory.
pub const SAMPLE_FILE: &str = "sample.txt";

#[cfg(test)]
mod tests;

//! Distributions as scenario values (issue 10). A stochastic parameter takes a number (a
//! constant) or a one-key table naming a distribution:
//!
//! ```toml
//! budget = 2500                                             # constant
//! budget = { uniform = [1000, 5000] }                       # [lo, hi): half-open
//! budget = { uniform_int = [1000, 5000] }                   # lo..=hi: whole numbers
//! budget = { normal = { mean = 2500, sd = 500, min = 1 } }  # min / max optional: CLAMPED
//! budget = { lognormal = { median = 1000, sigma = 0.6 } }
//! budget = { beta = [2, 5] }
//! budget = { triangular = [1000, 2000, 5000] }              # [lo, mode, hi]
//! budget = { exponential = { mean = 3000 } }
//! budget = { empirical = "budgets.csv" }                    # first column of the CSV
//! budget = { empirical = { file = "budgets.csv", column = "budget" } }
//! ```
//!
//! An empirical file is read relative to the scenario file, once, when the scenario is
//! validated; it must have a header row, and the chosen column must hold at least one finite
//! number and nothing else. Each sample picks one of its values uniformly (resampling).
//! Parameters are checked before anything runs; [`check`] names the rule a table breaks.

use crate::engine::Dist;
use rand_distr::{Beta, LogNormal, Triangular};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A stochastic parameter as written: a number or a one-key distribution table.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum DistSpec {
    /// A constant: no random number is drawn.
    Constant(f64),
    /// A named distribution.
    Table(DistTable),
}

/// The named distributions (exactly one key per table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DistTable {
    /// `[lo, hi]`: uniform on [lo, hi), `lo ≤ hi` (`lo = hi` is a constant).
    Uniform([f64; 2]),
    /// `[lo, hi]`: uniform on the whole numbers lo..=hi, `lo ≤ hi`.
    UniformInt([i64; 2]),
    /// `{ mean, sd, min, max }`: normal, `sd ≥ 0`, clamped (not truncated) into [min, max].
    Normal(NormalParams),
    /// `{ median, sigma }`: log-normal, `median > 0`, `sigma ≥ 0`.
    Lognormal(LogNormalParams),
    /// `[a, b]`: beta on [0, 1], `a > 0`, `b > 0`.
    Beta([f64; 2]),
    /// `[lo, mode, hi]`: triangular, `lo ≤ mode ≤ hi`.
    Triangular([f64; 3]),
    /// `{ mean }`: exponential, `mean > 0`.
    Exponential(ExponentialParams),
    /// `"file.csv"` (first column) or `{ file, column }`: values resampled from a CSV column.
    Empirical(EmpiricalSource),
}

/// Parameters of a normal distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NormalParams {
    /// Mean.
    pub mean: f64,
    /// Standard deviation, ≥ 0.
    pub sd: f64,
    /// Draws below are clamped up to this (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Draws above are clamped down to this (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl NormalParams {
    /// The clamp bounds (infinite where not given).
    fn bounds(&self) -> (f64, f64) {
        (
            self.min.unwrap_or(f64::NEG_INFINITY),
            self.max.unwrap_or(f64::INFINITY),
        )
    }
}

/// Parameters of a log-normal distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogNormalParams {
    /// Median `e^μ`, > 0.
    pub median: f64,
    /// σ of the logarithm, ≥ 0.
    pub sigma: f64,
}

/// Parameters of an exponential distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExponentialParams {
    /// Mean `1/λ`, > 0.
    pub mean: f64,
}

/// Where an empirical distribution's values come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EmpiricalSource {
    /// A CSV file (relative to the scenario); its first column.
    File(String),
    /// A CSV file and the header of the column to read.
    Column {
        /// The CSV file, relative to the scenario.
        file: String,
        /// Header of the column.
        column: String,
    },
}

impl EmpiricalSource {
    fn file(&self) -> &str {
        match self {
            EmpiricalSource::File(file) | EmpiricalSource::Column { file, .. } => file,
        }
    }

    fn set_file(&mut self, path: String) {
        match self {
            EmpiricalSource::File(file) | EmpiricalSource::Column { file, .. } => *file = path,
        }
    }
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = toml::Value::deserialize(deserializer)?;
        match value {
            toml::Value::Integer(i) => Ok(DistSpec::Constant(i as f64)),
            toml::Value::Float(x) => Ok(DistSpec::Constant(x)),
            toml::Value::Table(t) if t.len() == 1 => toml::Value::Table(t)
                .try_into()
                .map(DistSpec::Table)
                .map_err(|e: toml::de::Error| D::Error::custom(e.message())),
            other => Err(D::Error::custom(format!(
                "expected a number or a table with one distribution, e.g. \
                 {{ uniform = [1000, 5000] }} (one of {}); found {other}",
                NAMES.join(", ")
            ))),
        }
    }
}

/// Names of the distributions, as written.
pub const NAMES: [&str; 8] = [
    "uniform",
    "uniform_int",
    "normal",
    "lognormal",
    "beta",
    "triangular",
    "exponential",
    "empirical",
];

/// What values a parameter may take; a distribution must keep every sample inside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Support {
    /// Any finite value.
    Any,
    /// Values ≥ 0.
    NonNegative,
    /// Values ≥ 0 with a positive mean (gaps between events: a zero gap forever would stall).
    PositiveMean,
    /// Values in [0, 1].
    Unit,
}

impl Support {
    fn describe(self) -> &'static str {
        match self {
            Support::Any => "finite values",
            Support::NonNegative => "values ≥ 0",
            Support::PositiveMean => "values ≥ 0 with a mean > 0",
            Support::Unit => "values in [0, 1]",
        }
    }
}

/// Mean, variance and range of a distribution, from its parameters. A clamped normal reports
/// its clamp bounds as the range and its unclamped mean and variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Expected value.
    pub mean: f64,
    /// Variance.
    pub variance: f64,
    /// Smallest value a sample can take.
    pub min: f64,
    /// Largest value a sample can take.
    pub max: f64,
}

/// One broken rule: the key suffix under the parameter (e.g. `.uniform`), the value and the
/// rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    /// Appended to the parameter's key path.
    pub suffix: String,
    /// The offending value, as written.
    pub value: String,
    /// The rule it breaks.
    pub rule: String,
}

/// Columns of empirical files, loaded once at validation (keyed by resolved source).
pub type Columns = BTreeMap<EmpiricalSource, Arc<[f64]>>;

impl DistSpec {
    /// A log-normal of `median` and `sigma`.
    pub fn lognormal(median: f64, sigma: f64) -> Self {
        DistSpec::Table(DistTable::Lognormal(LogNormalParams { median, sigma }))
    }

    /// The rules of the table alone (no file access; empirical columns are checked by
    /// [`load`]), then whether the distribution's range fits `support`. Empty if valid.
    pub fn check(&self, support: Support, columns: &Columns) -> Vec<Broken> {
        let mut out = Vec::new();
        let (suffix, value) = self.written();
        let mut rule = |ok: bool, rule: &str| {
            if !ok {
                out.push(Broken {
                    suffix: suffix.clone(),
                    value: value.clone(),
                    rule: rule.to_string(),
                });
            }
        };
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        if let DistSpec::Table(DistTable::Empirical(source)) = self
            && !columns.contains_key(source)
        {
            return Vec::new(); // the loader reported why the column is missing
        }
        match self {
            DistSpec::Constant(x) => rule(x.is_finite(), "a finite number"),
            DistSpec::Table(t) => match t {
                DistTable::Uniform([lo, hi]) => {
                    rule(finite(&[*lo, *hi]), "finite bounds");
                    rule(lo <= hi, "lo ≤ hi");
                }
                DistTable::UniformInt([lo, hi]) => rule(lo <= hi, "lo ≤ hi"),
                DistTable::Normal(p) => {
                    rule(p.mean.is_finite(), "a finite mean");
                    rule(p.sd.is_finite() && p.sd >= 0.0, "sd ≥ 0 (finite)");
                    let (min, max) = (p.min.unwrap_or(f64::MIN), p.max.unwrap_or(f64::MAX));
                    rule(!min.is_nan() && !max.is_nan() && min <= max, "min ≤ max");
                }
                DistTable::Lognormal(p) => {
                    rule(
                        p.median.is_finite() && p.median > 0.0,
                        "median > 0 (finite)",
                    );
                    rule(p.sigma.is_finite() && p.sigma >= 0.0, "sigma ≥ 0 (finite)");
                }
                DistTable::Beta([a, b]) => {
                    rule(a.is_finite() && *a > 0.0, "a > 0 (finite)");
                    rule(b.is_finite() && *b > 0.0, "b > 0 (finite)");
                }
                DistTable::Triangular([lo, mode, hi]) => {
                    rule(finite(&[*lo, *mode, *hi]), "finite parameters");
                    rule(lo <= mode && mode <= hi, "lo ≤ mode ≤ hi");
                }
                DistTable::Exponential(p) => {
                    rule(p.mean.is_finite() && p.mean > 0.0, "mean > 0 (finite)");
                }
                DistTable::Empirical(_) => {}
            },
        }
        if out.is_empty() {
            let m = self.moments(columns);
            let fits = match support {
                Support::Any => true,
                Support::NonNegative => m.min >= 0.0,
                Support::PositiveMean => m.min >= 0.0 && m.mean > 0.0,
                Support::Unit => m.min >= 0.0 && m.max <= 1.0,
            };
            if !fits {
                out.push(Broken {
                    suffix,
                    value,
                    rule: format!(
                        "a distribution of {} (this one ranges over [{}, {}]{})",
                        support.describe(),
                        m.min,
                        m.max,
                        if support == Support::PositiveMean {
                            format!(", mean {}", m.mean)
                        } else {
                            String::new()
                        }
                    ),
                });
            }
        }
        out
    }

    /// The key suffix of the table (`.uniform`, …; empty for a constant) and its value as
    /// written.
    fn written(&self) -> (String, String) {
        match self {
            DistSpec::Constant(x) => (String::new(), format!("{x:?}")),
            DistSpec::Table(t) => {
                let value = toml::Value::try_from(t).expect("serialisable");
                let (name, inner) = value
                    .as_table()
                    .and_then(|t| t.iter().next())
                    .expect("one key");
                (format!(".{name}"), inner.to_string())
            }
        }
    }

    /// Mean, variance and range (valid parameters only).
    pub fn moments(&self, columns: &Columns) -> Moments {
        let m = |mean: f64, variance: f64, min: f64, max: f64| Moments {
            mean,
            variance,
            min,
            max,
        };
        match self {
            DistSpec::Constant(x) => m(*x, 0.0, *x, *x),
            DistSpec::Table(t) => match t {
                DistTable::Uniform([lo, hi]) => {
                    m((lo + hi) / 2.0, (hi - lo).powi(2) / 12.0, *lo, *hi)
                }
                DistTable::UniformInt([lo, hi]) => {
                    let n = (*hi as f64) - (*lo as f64) + 1.0;
                    let (lo, hi) = (*lo as f64, *hi as f64);
                    m((lo + hi) / 2.0, (n * n - 1.0) / 12.0, lo, hi)
                }
                DistTable::Normal(p) => {
                    let (lo, hi) = p.bounds();
                    if p.sd == 0.0 {
                        let c = p.mean.clamp(lo, hi);
                        m(c, 0.0, c, c)
                    } else {
                        m(p.mean, p.sd * p.sd, lo, hi)
                    }
                }
                DistTable::Lognormal(p) => {
                    let s2 = p.sigma * p.sigma;
                    let max = if p.sigma == 0.0 {
                        p.median
                    } else {
                        f64::INFINITY
                    };
                    let min = if p.sigma == 0.0 { p.median } else { 0.0 };
                    m(
                        p.median * (s2 / 2.0).exp(),
                        (s2.exp() - 1.0) * p.median * p.median * s2.exp(),
                        min,
                        max,
                    )
                }
                DistTable::Beta([a, b]) => {
                    let s = a + b;
                    m(a / s, a * b / (s * s * (s + 1.0)), 0.0, 1.0)
                }
                DistTable::Triangular([lo, mode, hi]) => m(
                    (lo + mode + hi) / 3.0,
                    (lo * lo + mode * mode + hi * hi - lo * mode - lo * hi - mode * hi) / 18.0,
                    *lo,
                    *hi,
                ),
                DistTable::Exponential(p) => m(p.mean, p.mean * p.mean, 0.0, f64::INFINITY),
                DistTable::Empirical(source) => {
                    let values = &columns[source];
                    let n = values.len() as f64;
                    let mean = values.iter().sum::<f64>() / n;
                    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    m(mean, variance, min, max)
                }
            },
        }
    }

    /// The median (for `beta`, Kerman's approximation `(a − 1/3) / (a + b − 2/3)`, clamped
    /// into [0, 1]). Used where a scale stands for "a typical value" (e.g. of budgets).
    pub fn median(&self, columns: &Columns) -> f64 {
        match self {
            DistSpec::Constant(x) => *x,
            DistSpec::Table(t) => match t {
                DistTable::Uniform([lo, hi]) => (lo + hi) / 2.0,
                DistTable::UniformInt([lo, hi]) => (*lo as f64 + *hi as f64) / 2.0,
                DistTable::Normal(p) => {
                    let (lo, hi) = p.bounds();
                    p.mean.clamp(lo, hi)
                }
                DistTable::Lognormal(p) => p.median,
                DistTable::Beta([a, b]) => ((a - 1.0 / 3.0) / (a + b - 2.0 / 3.0)).clamp(0.0, 1.0),
                DistTable::Triangular([lo, mode, hi]) => {
                    let mid = (lo + hi) / 2.0;
                    if mode >= &mid {
                        lo + ((hi - lo) * (mode - lo) / 2.0).sqrt()
                    } else {
                        hi - ((hi - lo) * (hi - mode) / 2.0).sqrt()
                    }
                }
                DistTable::Exponential(p) => p.mean * std::f64::consts::LN_2,
                DistTable::Empirical(source) => {
                    let mut v = columns[source].to_vec();
                    v.sort_by(f64::total_cmp);
                    let n = v.len();
                    if n % 2 == 1 {
                        v[n / 2]
                    } else {
                        (v[n / 2 - 1] + v[n / 2]) / 2.0
                    }
                }
            },
        }
    }

    /// The sampler (valid parameters only; empirical columns loaded into `columns`).
    pub fn build(&self, columns: &Columns) -> Dist {
        match self {
            DistSpec::Constant(x) => Dist::Constant(*x),
            DistSpec::Table(t) => match t {
                DistTable::Uniform([lo, hi]) => Dist::uniform(*lo, *hi),
                DistTable::UniformInt([lo, hi]) if lo == hi => Dist::Constant(*lo as f64),
                DistTable::UniformInt([lo, hi]) => Dist::UniformInt(*lo, *hi),
                DistTable::Normal(p) => {
                    let (lo, hi) = p.bounds();
                    Dist::normal(p.mean, p.sd, lo, hi)
                }
                DistTable::Lognormal(p) => {
                    Dist::LogNormal(LogNormal::new(p.median.ln(), p.sigma).expect("validated"))
                }
                DistTable::Beta([a, b]) => Dist::Beta(Beta::new(*a, *b).expect("validated")),
                DistTable::Triangular([lo, mode, hi]) => {
                    Dist::Triangular(Triangular::new(*lo, *hi, *mode).expect("validated"))
                }
                DistTable::Exponential(p) => Dist::exponential_rate(1.0 / p.mean),
                DistTable::Empirical(source) => Dist::Empirical(columns[source].clone()),
            },
        }
    }

    /// The empirical source, if this is an empirical distribution.
    pub(super) fn source_mut(&mut self) -> Option<&mut EmpiricalSource> {
        match self {
            DistSpec::Table(DistTable::Empirical(source)) => Some(source),
            _ => None,
        }
    }
}

/// Resolves `source`'s file against `base` (the scenario's directory), rewriting it to the
/// absolute path so that a resolved scenario written elsewhere still finds it, and loads the
/// column into `columns`. The error says what is wrong with the file.
pub fn load(
    source: &mut EmpiricalSource,
    base: &Path,
    columns: &mut Columns,
) -> Result<(), String> {
    let joined = base.join(source.file());
    // An absolute path, so that the resolved scenario finds it from wherever it is written.
    let path = std::fs::canonicalize(&joined).unwrap_or(joined);
    source.set_file(path.to_string_lossy().into_owned());
    if columns.contains_key(source) {
        return Ok(());
    }
    let values = read_column(&path, source).map_err(|e| format!("{}: {e}", path.display()))?;
    columns.insert(source.clone(), values.into());
    Ok(())
}

fn read_column(path: &Path, source: &EmpiricalSource) -> Result<Vec<f64>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| e.to_string())?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let index = match source {
        EmpiricalSource::File(_) if headers.is_empty() => {
            return Err("no header row".into());
        }
        EmpiricalSource::File(_) => 0,
        EmpiricalSource::Column { column, .. } => headers
            .iter()
            .position(|h| h.trim() == column)
            .ok_or_else(|| {
            let known: Vec<&str> = headers.iter().collect();
            format!("no column `{column}` (columns: {})", known.join(", "))
        })?,
    };
    let name = headers.get(index).unwrap_or_default().to_string();
    let mut values = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        let cell = record.get(index).unwrap_or("").trim();
        let x: f64 = cell
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| {
                format!(
                    "column `{name}`, data row {}: `{cell}` is not a finite number",
                    row + 1
                )
            })?;
        values.push(x);
    }
    if values.is_empty() {
        return Err(format!("column `{name}` has no values"));
    }
    Ok(values)
}

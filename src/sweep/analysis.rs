//! Sensitivity analysis of a finished sobol or morris sweep: `sensitivity.csv` and
//! `sensitivity.parquet` from its `summary.csv` (`marketsim analyze`).
//!
//! ```text
//! summary.csv: per point, M_mean (over replicates), M_std, M_n for every metric M
//!   ─▶ y = M_mean in point order ─▶ sensitivity::sobol / ::morris ─▶ one row per index
//! ```
//!
//! Columns of `sensitivity.csv` (long format, one row per metric × index × parameter):
//!
//! | column | meaning |
//! |---|---|
//! | `metric` | a metric of `summary.csv` (its `_mean` column is the analysed output) |
//! | `index` | `S1`, `ST`, `S2` (sobol) or `mu_star`, `mu`, `sigma` (morris) |
//! | `parameter` | the scenario key |
//! | `parameter_2` | the second key of an `S2` pair; empty otherwise |
//! | `value` | the estimate |
//! | `conf` | half-width of its 95% bootstrap interval (SALib's `*_conf`); empty for `mu`, `sigma` |
//! | `ci_low`, `ci_high` | `value ∓ conf` |
//! | `noise_share` | the metric's seed noise: mean over points of `M_std² / M_n` (the variance of a point's mean from replicate seeds alone) over the variance (n − 1) of `M_mean` across points; empty with one replicate |
//!
//! Rows come in metric order (as in `summary.csv`), then index, then parameter order. A
//! metric missing at some point, or equal at every point, has no indices: it is left out
//! and named in [`Analysis::skipped`].
//!
//! Bootstrap resamples come from ChaCha8 keyed by the sweep seed, stream `2^63 + m` for the
//! m-th metric: the file is byte-identical for a sweep, whatever `--jobs` ran it.

use super::aggregate::{csv_bytes, write_parquet};
use super::{Design, RESOLVED_FILE, Sweep, SweepError};
use crate::output::atomic;
use crate::sensitivity::{morris, sobol};
use polars::prelude::{Column, DataFrame};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The files `marketsim analyze` writes into a sweep directory.
pub const FILES: [&str; 2] = ["sensitivity.csv", "sensitivity.parquet"];

/// The columns of `sensitivity.csv`.
pub const COLUMNS: [&str; 9] = [
    "metric",
    "index",
    "parameter",
    "parameter_2",
    "value",
    "conf",
    "ci_low",
    "ci_high",
    "noise_share",
];

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Metric name.
    pub metric: String,
    /// `S1`, `ST`, `S2`, `mu_star`, `mu` or `sigma`.
    pub index: &'static str,
    /// Scenario key.
    pub parameter: String,
    /// Second key of an `S2` pair.
    pub parameter_2: Option<String>,
    /// The estimate.
    pub value: f64,
    /// Half-width of its 95% bootstrap interval.
    pub conf: Option<f64>,
    /// The metric's share of seed noise.
    pub noise_share: Option<f64>,
}

/// The result of analysing a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Every index row.
    pub rows: Vec<Row>,
    /// Metrics without indices, each with the reason.
    pub skipped: Vec<(String, String)>,
}

/// The per-point statistics of one metric, read from `summary.csv`.
struct MetricColumn {
    name: String,
    mean: Vec<Option<f64>>,
    std: Vec<Option<f64>>,
    n: Vec<u64>,
}

fn read_summary(dir: &Path, params: usize) -> Result<Vec<MetricColumn>, SweepError> {
    let path = dir.join("summary.csv");
    let bad = |what: String| SweepError::Output(format!("{}: {what}", path.display()));
    let bytes = std::fs::read(&path)
        .map_err(|e| atomic::at(&path, "cannot read (has the sweep finished?)", e))?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let first = 1 + params;
    if header.len() < first || !(header.len() - first).is_multiple_of(5) {
        return Err(bad(
            "not a sweep summary (point_id, parameters, 5 columns per metric)".into(),
        ));
    }
    let cell = |r: &csv::StringRecord, c: usize| r.get(c).and_then(|s| s.parse::<f64>().ok());
    Ok((first..header.len())
        .step_by(5)
        .map(|c| MetricColumn {
            name: header[c].trim_end_matches("_mean").to_string(),
            mean: rows.iter().map(|r| cell(r, c)).collect(),
            std: rows.iter().map(|r| cell(r, c + 1)).collect(),
            n: rows
                .iter()
                .map(|r| cell(r, c + 4).map_or(0, |n| n as u64))
                .collect(),
        })
        .collect())
}

/// Variance with n − 1 in the denominator.
fn sample_var(xs: &[f64]) -> f64 {
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() as f64 - 1.0)
}

/// Mean over points of the variance of a point's mean from seeds alone (`std² / n`), over the
/// variance of the point means; `None` with a single replicate.
fn noise_share(m: &MetricColumn, y: &[f64], replicates: u32) -> Option<f64> {
    if replicates < 2 {
        return None;
    }
    let within: Vec<f64> = m
        .std
        .iter()
        .zip(&m.n)
        .filter_map(|(s, &n)| s.filter(|_| n >= 2).map(|s| s * s / n as f64))
        .collect();
    if within.is_empty() {
        return None;
    }
    Some(within.iter().sum::<f64>() / within.len() as f64 / sample_var(y))
}

/// Analyses the finished sweep in `dir` with `resamples` bootstrap resamples.
pub fn analyze(dir: &Path, resamples: usize) -> Result<Analysis, SweepError> {
    let sweep = Sweep::load(&dir.join(RESOLVED_FILE))?;
    let file = sweep.file();
    if !matches!(file.design, Design::Sobol | Design::Morris) {
        return Err(SweepError::Output(format!(
            "{}: a {} sweep; `marketsim analyze` needs design = \"sobol\" or \"morris\" \
             (a file design's outputs are for SALib: summary.csv's M_mean columns in sample row order)",
            dir.display(),
            file.design.name()
        )));
    }
    let keys: Vec<String> = sweep
        .varied()
        .iter()
        .map(|&i| sweep.params()[i].key.clone())
        .collect();
    let metrics = read_summary(dir, sweep.params().len())?;
    let unit = sweep
        .unit_points()
        .expect("sobol and morris designs have unit points");
    let mut analysis = Analysis {
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    for (index, m) in metrics.iter().enumerate() {
        if m.mean.len() != unit.len() {
            return Err(SweepError::Output(format!(
                "{}: summary.csv has {} points; the sweep has {}",
                dir.display(),
                m.mean.len(),
                unit.len()
            )));
        }
        let Some(y) = m.mean.iter().copied().collect::<Option<Vec<f64>>>() else {
            let p = m
                .mean
                .iter()
                .position(Option::is_none)
                .expect("a missing value");
            analysis
                .skipped
                .push((m.name.clone(), format!("no value at point {p}")));
            continue;
        };
        if y.iter().all(|v| *v == y[0]) {
            analysis
                .skipped
                .push((m.name.clone(), "the same value at every point".into()));
            continue;
        }
        let noise = noise_share(m, &y, file.replicates);
        let mut rng = ChaCha8Rng::seed_from_u64(file.seed);
        rng.set_stream((1u64 << 63) + index as u64);
        let mut push = |index: &'static str, j: usize, k: Option<usize>, value: f64, conf| {
            analysis.rows.push(Row {
                metric: m.name.clone(),
                index,
                parameter: keys[j].clone(),
                parameter_2: k.map(|k| keys[k].clone()),
                value,
                conf,
                noise_share: noise,
            })
        };
        match file.design {
            Design::Sobol => {
                let second = file.second_order.unwrap_or(true);
                let s = sobol::analyze(&y, keys.len(), second, resamples, &mut rng)
                    .expect("a non-constant finite output");
                for (j, e) in s.first.iter().enumerate() {
                    push("S1", j, None, e.value, Some(e.conf));
                }
                for (j, e) in s.total.iter().enumerate() {
                    push("ST", j, None, e.value, Some(e.conf));
                }
                for (j, k, e) in &s.second {
                    push("S2", *j, Some(*k), e.value, Some(e.conf));
                }
            }
            _ => {
                let levels = file.levels.unwrap_or(super::DEFAULT_LEVELS);
                let s = morris::analyze(unit, &y, levels, resamples, &mut rng);
                for (j, e) in s.iter().enumerate() {
                    push("mu_star", j, None, e.mu_star, Some(e.mu_star_conf));
                }
                for (j, e) in s.iter().enumerate() {
                    push("mu", j, None, e.mu, None);
                }
                for (j, e) in s.iter().enumerate() {
                    push("sigma", j, None, e.sigma, None);
                }
            }
        }
    }
    Ok(analysis)
}

/// Writes `sensitivity.csv` and `sensitivity.parquet` into `dir`, each atomically.
pub fn write(dir: &Path, analysis: &Analysis) -> Result<(), SweepError> {
    let num = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    let rows = &analysis.rows;
    let text: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.metric.clone(),
                r.index.to_string(),
                r.parameter.clone(),
                r.parameter_2.clone().unwrap_or_default(),
                num(Some(r.value)),
                num(r.conf),
                num(r.conf.map(|c| r.value - c)),
                num(r.conf.map(|c| r.value + c)),
                num(r.noise_share),
            ]
        })
        .collect();
    let header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    atomic::write_file(&dir.join(FILES[0]), &csv_bytes(&header, &text))?;
    let f64s = |f: &dyn Fn(&Row) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let columns = vec![
        Column::new(
            COLUMNS[0].into(),
            rows.iter().map(|r| r.metric.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            COLUMNS[1].into(),
            rows.iter().map(|r| r.index).collect::<Vec<_>>(),
        ),
        Column::new(
            COLUMNS[2].into(),
            rows.iter()
                .map(|r| r.parameter.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            COLUMNS[3].into(),
            rows.iter()
                .map(|r| r.parameter_2.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new(COLUMNS[4].into(), f64s(&|r| Some(r.value))),
        Column::new(COLUMNS[5].into(), f64s(&|r| r.conf)),
        Column::new(COLUMNS[6].into(), f64s(&|r| r.conf.map(|c| r.value - c))),
        Column::new(COLUMNS[7].into(), f64s(&|r| r.conf.map(|c| r.value + c))),
        Column::new(COLUMNS[8].into(), f64s(&|r| r.noise_share)),
    ];
    let mut df = DataFrame::new_infer_height(columns)
        .map_err(|e| SweepError::Output(format!("sensitivity table: {e}")))?;
    write_parquet(&dir.join(FILES[1]), &mut df)
}

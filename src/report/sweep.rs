//! Charts of a sweep's results directory (the files of `marketsim sweep`, README "Parameter
//! sweeps"), read from its `summary.csv` (one row per point: the parameters, then `M_mean`,
//! `M_ci_low`, `M_ci_high`, `M_n` per metric) and the parameter keys of `sweep.resolved.toml`.
//!
//! Headline metrics are drawn in three figures (detection, value share, market health), one
//! panel per metric:
//! - `sweep_<group>`: the metric's mean against the first numeric varied parameter with its
//!   95% CI band, one line per value of the other varied parameters (a series of one point is a
//!   marker with an error bar);
//! - `heatmap_<group>`: when exactly two parameters vary and both are numeric, the mean over
//!   the grid of their values.
//!
//! A sobol, morris or file design varies every parameter at every point, so these charts would
//! need a panel per parameter and show nothing readable: such a sweep is drawn from its
//! sensitivity indices instead ([`super::sensitivity`]).
//!
//! A parameter given a single value (such as the shipped sweeps' shortened `run.horizon`) is a
//! fixed override, not a varied parameter.

use super::ReportError;
use super::figure::{
    Axis, Band, Dash, Figure, HeatPanel, LegendEntry, Line, LinePanel, Marker, PALETTE, Panel,
    Swatch, layered,
};
use super::sensitivity;
use super::table::Table;
use std::path::Path;

/// The files a sweep directory must have.
pub(crate) const SWEEP_INPUTS: [&str; 2] = ["sweep.resolved.toml", "summary.csv"];

/// A group of headline metrics drawn as one figure.
pub(crate) struct Group {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    /// Metric names are those of `summary.csv` (without `_mean`) accepted by this predicate.
    pub(crate) accepts: fn(&str) -> bool,
    /// Shares on a fixed 0–1 scale (comparable across panels), or a scale fitted per panel.
    unit_range: bool,
}

pub(crate) const GROUPS: [Group; 3] = [
    Group {
        name: "detection",
        title: "Detection: share of identities flagged at least once",
        accepts: |m| m == "false_positive_rate_honest" || m.starts_with("detection_rate_"),
        unit_range: true,
    },
    Group {
        name: "value_share",
        title: "Share of contract value won per adversary type",
        // Not the seed 002 tier shares (`value_share_<tier>`): those split value by tier.
        accepts: |m| {
            m.strip_prefix("value_share_").is_some_and(|t| {
                t != "honest"
                    && crate::market::tiers::Tier::ALL
                        .iter()
                        .all(|x| x.label() != t)
            })
        },
        unit_range: true,
    },
    Group {
        name: "market",
        title: "Market health: fill rate, reputation error, payout concentration",
        accepts: |m| {
            matches!(
                m,
                "fill_rate"
                    | "abs_error_honest"
                    | "payout_gini_identity"
                    | "payout_top10_share_identity"
                    | "payout_gini_owner"
                    | "whitewashes"
            )
        },
        unit_range: false,
    },
];

/// The unit of a metric's axis.
fn metric_unit(m: &str) -> &'static str {
    if m.starts_with("abs_error_") {
        "mean |R − true quality|"
    } else if m.starts_with("payout_gini") {
        "Gini (0–1)"
    } else if m == "whitewashes" {
        "identities abandoned"
    } else {
        "share (0–1)"
    }
}

/// One parameter of the sweep: its key and its value at every point (as written).
#[derive(Debug)]
struct Param {
    key: String,
    values: Vec<String>,
    /// The values as numbers, if every one is a number.
    numbers: Option<Vec<f64>>,
}

impl Param {
    /// Distinct values in first-appearance order.
    fn distinct(&self) -> Vec<String> {
        let mut d: Vec<String> = Vec::new();
        for v in &self.values {
            if !d.contains(v) {
                d.push(v.clone());
            }
        }
        d
    }

    fn varies(&self) -> bool {
        self.distinct().len() > 1
    }

    /// Distinct values sorted (numerically for numeric parameters).
    fn sorted_distinct(&self) -> Vec<String> {
        let mut d = self.distinct();
        if self.numbers.is_some() {
            d.sort_by(|a, b| {
                let (x, y): (f64, f64) = (a.parse().unwrap_or(0.0), b.parse().unwrap_or(0.0));
                x.total_cmp(&y)
            });
        }
        d
    }
}

/// A sweep's summary, read and checked.
#[derive(Debug)]
pub(crate) struct SweepSummary {
    dir: std::path::PathBuf,
    /// The design (`grid`, `random`, `lhs`, `sobol`, `morris`, `file`).
    design: String,
    pub(crate) summary: Table,
    params: Vec<Param>,
    /// Headline metrics present, per group (same order as [`GROUPS`]).
    metrics: Vec<Vec<String>>,
}

impl SweepSummary {
    /// Reads and checks the sweep in `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Self, ReportError> {
        let (design, keys) = param_keys(&dir.join(SWEEP_INPUTS[0]))?;
        let summary = Table::read(&dir.join(SWEEP_INPUTS[1]))?;
        summary.required_numbers("point_id")?;
        let mut params = Vec::new();
        for key in keys {
            let values: Vec<String> = summary.cells(&key)?.into_iter().map(String::from).collect();
            let numbers = values.iter().map(|v| v.parse::<f64>().ok()).collect();
            params.push(Param {
                key,
                values,
                numbers,
            });
        }
        let metrics: Vec<Vec<String>> = GROUPS
            .iter()
            .map(|g| {
                summary
                    .header()
                    .iter()
                    .filter_map(|h| h.strip_suffix("_mean"))
                    .filter(|m| (g.accepts)(m))
                    .map(String::from)
                    .collect()
            })
            .collect();
        if metrics.iter().all(Vec::is_empty) {
            return Err(ReportError::MissingColumn {
                file: summary.path().to_path_buf(),
                column: "fill_rate_mean".into(),
            });
        }
        for m in metrics.iter().flatten() {
            for s in ["mean", "ci_low", "ci_high"] {
                summary.numbers(&format!("{m}_{s}"))?;
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            design,
            summary,
            params,
            metrics,
        })
    }

    /// Varied parameters.
    fn varied(&self) -> Vec<&Param> {
        self.params.iter().filter(|p| p.varies()).collect()
    }

    /// The headline metrics present, for `index.html`'s table.
    pub(crate) fn headline_metrics(&self) -> Vec<&str> {
        self.metrics.iter().flatten().map(String::as_str).collect()
    }

    /// Keys of the varied parameters, for `index.html`'s table.
    pub(crate) fn param_keys(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.key.as_str()).collect()
    }

    /// Every chart of the sweep, in the order `index.html` shows them.
    pub(crate) fn figures(&self) -> Result<Vec<Figure>, ReportError> {
        if sensitivity::is_sensitivity_design(&self.design) {
            return sensitivity::figures(&self.dir, &self.design);
        }
        let mut figures = Vec::new();
        for (g, metrics) in GROUPS.iter().zip(&self.metrics) {
            if metrics.is_empty() {
                continue;
            }
            figures.push(self.lines(g, metrics)?);
        }
        let varied = self.varied();
        if varied.len() == 2 && varied.iter().all(|p| p.numbers.is_some()) {
            for (g, metrics) in GROUPS.iter().zip(&self.metrics) {
                if metrics.is_empty() {
                    continue;
                }
                figures.push(self.heatmap(g, metrics, varied[0], varied[1])?);
            }
        }
        Ok(figures)
    }

    fn lines(&self, group: &Group, metrics: &[String]) -> Result<Figure, ReportError> {
        let varied = self.varied();
        // x: the first numeric varied parameter, else the first varied one, else the point.
        let x_param = varied
            .iter()
            .find(|p| p.numbers.is_some())
            .or(varied.first())
            .copied();
        let points = self.summary.rows().len();
        let point_ids: Vec<String> = (0..points).map(|p| p.to_string()).collect();
        let (x_key, x_values, x_numbers) = match x_param {
            Some(p) => (p.key.clone(), p.values.clone(), p.numbers.clone()),
            None => ("point".to_string(), point_ids, None),
        };
        let x_cats: Vec<String> = {
            let mut d: Vec<String> = Vec::new();
            for v in &x_values {
                if !d.contains(v) {
                    d.push(v.clone());
                }
            }
            d
        };
        let xs: Vec<f64> = match &x_numbers {
            Some(n) => n.clone(),
            None => x_values
                .iter()
                .map(|v| x_cats.iter().position(|c| c == v).unwrap_or(0) as f64)
                .collect(),
        };
        // Series: one per combination of the other varied parameters.
        let others: Vec<&Param> = varied
            .iter()
            .filter(|p| Some(p.key.as_str()) != x_param.map(|x| x.key.as_str()))
            .copied()
            .collect();
        let series_key = |row: usize| -> String {
            others
                .iter()
                .map(|p| format!("{} = {}", p.key, p.values[row]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut series: Vec<(String, Vec<usize>)> = Vec::new();
        for row in 0..points {
            let k = series_key(row);
            match series.iter_mut().find(|(s, _)| *s == k) {
                Some((_, rows)) => rows.push(row),
                None => series.push((k, vec![row])),
            }
        }
        for (_, rows) in &mut series {
            rows.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
        }

        let x_axis = match &x_numbers {
            Some(n) => Axis::fitted(x_key.clone(), n.iter().copied(), None),
            None => Axis::categorical(x_key.clone(), x_cats),
        };
        let mut panels = Vec::new();
        let mut max_n = 0.0f64;
        for m in metrics {
            let mean = self.summary.numbers(&format!("{m}_mean"))?;
            let low = self.summary.numbers(&format!("{m}_ci_low"))?;
            let high = self.summary.numbers(&format!("{m}_ci_high"))?;
            if let Ok(n) = self.summary.numbers(&format!("{m}_n")) {
                max_n = n.into_iter().flatten().fold(max_n, f64::max);
            }
            let (mut lines, mut bands, mut markers) = (Vec::new(), Vec::new(), Vec::new());
            let mut values = Vec::new();
            for (s, (_, rows)) in series.iter().enumerate() {
                let colour = PALETTE[s % PALETTE.len()];
                let pts: Vec<(f64, f64)> = rows
                    .iter()
                    .filter_map(|&r| mean[r].map(|y| (xs[r], y)))
                    .collect();
                let band: Vec<(f64, f64, f64)> = rows
                    .iter()
                    .filter_map(|&r| Some((xs[r], low[r]?, high[r]?)))
                    .collect();
                values.extend(pts.iter().map(|p| p.1));
                values.extend(band.iter().flat_map(|b| [b.1, b.2]));
                if pts.len() == 1 {
                    let r = rows[0];
                    markers.push(Marker {
                        colour,
                        x: pts[0].0,
                        y: pts[0].1,
                        low: low[r],
                        high: high[r],
                    });
                } else {
                    if band.len() > 1 {
                        bands.push(Band {
                            colour,
                            points: band,
                        });
                    }
                    lines.push(Line::new(colour, Dash::Solid, pts));
                }
            }
            layered(&mut lines);
            let y = if group.unit_range {
                Axis::numeric(metric_unit(m), (-0.03, 1.05))
            } else {
                Axis::fitted(metric_unit(m), values, Some(0.0)).with_min_span(0.01)
            };
            panels.push(Panel::Lines(LinePanel {
                title: m.clone(),
                x: x_axis.clone(),
                y,
                bands,
                lines,
                markers,
            }));
        }
        let mut legend: Vec<LegendEntry> = series
            .iter()
            .enumerate()
            .map(|(s, (k, _))| {
                let label = if k.is_empty() {
                    "mean over replicates".to_string()
                } else {
                    k.clone()
                };
                LegendEntry::new(Swatch::Line(PALETTE[s % PALETTE.len()], Dash::Solid), label)
            })
            .collect();
        legend.push(LegendEntry::new(
            Swatch::Band(PALETTE[0]),
            format!("95% CI of the mean (Student t, up to {max_n:.0} replicates)"),
        ));
        Ok(Figure {
            name: format!("sweep_{}", group.name),
            title: format!("{} vs {x_key}", group.title),
            caption: format!(
                "Each metric's mean over replicates against {x_key}, with its 95% confidence band."
            ),
            columns: metrics.len().min(2),
            panels,
            legend,
        })
    }

    fn heatmap(
        &self,
        group: &Group,
        metrics: &[String],
        x: &Param,
        y: &Param,
    ) -> Result<Figure, ReportError> {
        let xs = x.sorted_distinct();
        let ys = y.sorted_distinct();
        let mut panels = Vec::new();
        for m in metrics {
            let mean = self.summary.numbers(&format!("{m}_mean"))?;
            let mut cells = vec![vec![None; xs.len()]; ys.len()];
            for (r, v) in mean.iter().enumerate() {
                let col = xs.iter().position(|c| *c == x.values[r]);
                let row = ys.iter().position(|c| *c == y.values[r]);
                if let (Some(col), Some(row)) = (col, row) {
                    cells[row][col] = *v;
                }
            }
            let known: Vec<f64> = cells.iter().flatten().flatten().copied().collect();
            let scale = if group.unit_range {
                (0.0, 1.0)
            } else {
                (
                    known.iter().copied().fold(f64::INFINITY, f64::min),
                    known.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            };
            panels.push(Panel::Heat(HeatPanel {
                title: m.clone(),
                scale,
                x_label: x.key.clone(),
                x: xs.clone(),
                y_label: y.key.clone(),
                y: ys.clone(),
                cells,
            }));
        }
        Ok(Figure {
            name: format!("heatmap_{}", group.name),
            title: format!("{} over {} × {}", group.title, x.key, y.key),
            caption: format!(
                "Each metric's mean over replicates at every ({}, {}) point of the grid.",
                x.key, y.key
            ),
            columns: metrics.len().min(2),
            panels,
            legend: vec![
                LegendEntry::new(
                    Swatch::Viridis,
                    if group.unit_range {
                        "mean over replicates, from 0 (dark) to 1 (yellow), viridis"
                    } else {
                        "mean over replicates, from the panel's lowest (dark) to its highest \
                         (yellow), viridis"
                    },
                ),
                LegendEntry::new(Swatch::Note, "Each cell is labelled with its mean."),
            ],
        })
    }
}

/// The `design` (default `grid`) and the `key` of every `[[param]]` of `sweep.resolved.toml`,
/// in order.
fn param_keys(path: &Path) -> Result<(String, Vec<String>), ReportError> {
    let bad = |reason: String| ReportError::BadFile {
        file: path.to_path_buf(),
        reason,
    };
    let doc = super::table::read_toml(path, "sweep file")?;
    let params = doc
        .get("param")
        .and_then(toml::Value::as_array)
        .ok_or_else(|| bad("no [[param]] entries".into()))?;
    let design = doc
        .get("design")
        .and_then(toml::Value::as_str)
        .unwrap_or("grid")
        .to_string();
    let keys = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.get("key")
                .and_then(toml::Value::as_str)
                .map(String::from)
                .ok_or_else(|| bad(format!("param[{i}].key is missing")))
        })
        .collect::<Result<_, _>>()?;
    Ok((design, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep_dir(name: &str, summary: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("marketsim-sweepfig-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("sweep.resolved.toml"),
            "[[param]]\nkey = \"a.x\"\nvalues = [1, 2]\n[[param]]\nkey = \"a.mode\"\nvalues = [\"p\", \"q\"]\n[[param]]\nkey = \"run.horizon\"\nvalues = [5]\n",
        )
        .unwrap();
        std::fs::write(dir.join("summary.csv"), summary).unwrap();
        dir
    }

    #[test]
    fn numeric_parameter_on_x_one_line_per_other_value_fixed_ones_ignored() {
        let dir = sweep_dir(
            "lines",
            "point_id,a.x,a.mode,run.horizon,fill_rate_mean,fill_rate_std,fill_rate_ci_low,fill_rate_ci_high,fill_rate_n\n\
             0,1,p,5,0.5,0.1,0.4,0.6,3\n1,1,q,5,0.6,0.1,0.5,0.7,3\n\
             2,2,p,5,0.7,0.1,0.6,0.8,3\n3,2,q,5,0.8,0.1,0.7,0.9,3\n",
        );
        let s = SweepSummary::load(&dir).unwrap();
        let figures = s.figures().unwrap();
        // Only the market group has a metric; two varied parameters but one is not numeric:
        // no heatmap.
        assert_eq!(figures.len(), 1);
        let f = &figures[0];
        assert_eq!(f.name, "sweep_market");
        let Panel::Lines(p) = &f.panels[0] else {
            panic!("line panel")
        };
        assert_eq!(p.lines.len(), 2);
        assert_eq!(p.lines[0].points, vec![(1.0, 0.5), (2.0, 0.7)]);
        assert_eq!(p.lines[1].points, vec![(1.0, 0.6), (2.0, 0.8)]);
        assert_eq!(p.bands[1].points, vec![(1.0, 0.5, 0.7), (2.0, 0.7, 0.9)]);
        assert_eq!(f.legend[0].label, "a.mode = p");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_metric_columns_name_the_file() {
        let dir = sweep_dir("bad", "point_id,a.x,a.mode,run.horizon,other\n0,1,p,5,3\n");
        let e = SweepSummary::load(&dir).unwrap_err().to_string();
        assert!(
            e.contains("summary.csv") && e.contains("fill_rate_mean"),
            "{e}"
        );
        std::fs::write(dir.join("summary.csv"), "point_id,a.x\n0,1\n").unwrap();
        let e = SweepSummary::load(&dir).unwrap_err().to_string();
        assert!(e.contains("summary.csv") && e.contains("`a.mode`"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Charts of a sensitivity sweep (design `sobol`, `morris` or `file`): bar charts of the
//! indices in `sensitivity.csv` (written by `marketsim analyze`, README "Sensitivity analysis")
//! instead of the metric-vs-parameter line charts, which for a design that varies every
//! parameter at once would need a panel per parameter and show nothing readable.
//!
//! One figure per group of headline metrics (`sensitivity_<group>`), one panel per metric:
//! horizontal bars per parameter, the [`TOP`] most influential first —
//! - sobol: `S1` and `ST` with their 95% bootstrap intervals, ranked by `ST`;
//! - morris: `mu_star` with its 95% bootstrap interval and `sigma`, ranked by `mu_star`.
//!
//! A `file` design's outputs are for SALib (`marketsim analyze` refuses it), so it gets no
//! charts, only `index.html`'s table.

use super::ReportError;
use super::figure::{BarPanel, BarSeries, Figure, LegendEntry, PALETTE, Panel, Swatch};
use super::sweep::{GROUPS, Group};
use super::table::Table;
use std::path::Path;

/// The file `marketsim analyze` writes.
pub(crate) const SENSITIVITY_FILE: &str = "sensitivity.csv";

/// Parameters shown per panel (the most influential ones).
pub(crate) const TOP: usize = 10;

/// The design of a sweep, from its `sweep.resolved.toml` (`grid` when absent).
pub(crate) fn is_sensitivity_design(design: &str) -> bool {
    matches!(design, "sobol" | "morris" | "file")
}

/// One row of `sensitivity.csv` that the charts use.
struct Index {
    metric: String,
    index: String,
    parameter: String,
    value: f64,
    low: Option<f64>,
    high: Option<f64>,
}

/// Reads `DIR/sensitivity.csv` (first-order rows only: `S2` pairs are not drawn).
fn read(dir: &Path) -> Result<Vec<Index>, ReportError> {
    let path = dir.join(SENSITIVITY_FILE);
    if !path.is_file() {
        return Err(ReportError::BadFile {
            file: path,
            reason: "missing: a sobol or morris sweep is charted from its sensitivity indices; \
                     run `marketsim analyze` on the sweep directory first"
                .into(),
        });
    }
    let t = Table::read(&path)?;
    let metric = t.cells("metric")?;
    let index = t.cells("index")?;
    let parameter = t.cells("parameter")?;
    let value = t.required_numbers("value")?;
    let low = t.numbers("ci_low")?;
    let high = t.numbers("ci_high")?;
    Ok((0..value.len())
        .filter(|&r| index[r] != "S2")
        .map(|r| Index {
            metric: metric[r].to_string(),
            index: index[r].to_string(),
            parameter: parameter[r].to_string(),
            value: value[r],
            low: low[r],
            high: high[r],
        })
        .collect())
}

/// The bar charts of the sweep in `dir` of design `design`.
pub(crate) fn figures(dir: &Path, design: &str) -> Result<Vec<Figure>, ReportError> {
    if design == "file" {
        return Ok(Vec::new());
    }
    let rows = read(dir)?;
    let (ranked, other) = if design == "sobol" {
        ("ST", "S1")
    } else {
        ("mu_star", "sigma")
    };
    let mut figures = Vec::new();
    for g in &GROUPS {
        let mut metrics: Vec<&str> = Vec::new();
        for r in &rows {
            if (g.accepts)(&r.metric) && !metrics.contains(&r.metric.as_str()) {
                metrics.push(&r.metric);
            }
        }
        if metrics.is_empty() {
            continue;
        }
        let panels = metrics
            .iter()
            .map(|m| Panel::Bars(panel(&rows, m, ranked, other)))
            .collect();
        figures.push(figure(g, design, panels, ranked, other));
    }
    Ok(figures)
}

/// One metric's panel: the [`TOP`] parameters by `ranked`, each with bars `other` and `ranked`.
fn panel(rows: &[Index], metric: &str, ranked: &str, other: &str) -> BarPanel {
    let of = |index: &str| -> Vec<&Index> {
        rows.iter()
            .filter(|r| r.metric == metric && r.index == index)
            .collect()
    };
    let mut main = of(ranked);
    main.sort_by(|a, b| b.value.total_cmp(&a.value));
    main.truncate(TOP);
    let second = of(other);
    let pick = |list: &[&Index], p: &str| {
        list.iter()
            .find(|r| r.parameter == p)
            .map(|r| (r.value, r.low, r.high))
    };
    let series = |list: &[&Index], colour| BarSeries {
        colour,
        bars: main
            .iter()
            .map(|m| pick(list, &m.parameter).unwrap_or((f64::NAN, None, None)))
            .collect(),
    };
    let omitted = of(ranked).len().saturating_sub(TOP);
    BarPanel {
        title: if omitted > 0 {
            format!("{metric} (top {TOP}; {omitted} more below)")
        } else {
            metric.to_string()
        },
        value_label: if ranked == "ST" {
            "Sobol' index (share of variance)".into()
        } else {
            "elementary effect (metric units)".into()
        },
        categories: main.iter().map(|m| short_key(&m.parameter)).collect(),
        series: vec![
            // `other` first: drawn as the upper bar of each parameter's pair.
            series(&second, PALETTE[1]),
            series(&main, PALETTE[0]),
        ],
    }
}

fn figure(g: &Group, design: &str, panels: Vec<Panel>, ranked: &str, other: &str) -> Figure {
    let (what, legend) = if design == "sobol" {
        (
            "Sobol' indices",
            vec![
                LegendEntry::new(
                    Swatch::Marker(PALETTE[0]),
                    "ST: total-order index (alone and in interactions)",
                ),
                LegendEntry::new(Swatch::Marker(PALETTE[1]), "S1: first-order index (alone)"),
                LegendEntry::new(
                    Swatch::Note,
                    "Whiskers: 95% bootstrap interval. Parameters ranked by ST.",
                ),
            ],
        )
    } else {
        (
            "Morris elementary effects",
            vec![
                LegendEntry::new(
                    Swatch::Marker(PALETTE[0]),
                    "mu*: mean |elementary effect| (influence)",
                ),
                LegendEntry::new(
                    Swatch::Marker(PALETTE[1]),
                    "sigma: their spread (interactions, non-linearity)",
                ),
                LegendEntry::new(
                    Swatch::Note,
                    "Whiskers: 95% bootstrap interval of mu*. Parameters ranked by mu*.",
                ),
            ],
        )
    };
    Figure {
        name: format!("sensitivity_{}", g.name),
        title: format!("{what}: {}", g.title),
        caption: format!(
            "From sensitivity.csv: {ranked} and {other} per parameter for each metric, the {TOP} \
             parameters with the largest {ranked} (the file lists every parameter)."
        ),
        columns: 2,
        panels,
        legend,
    }
}

/// A scenario key short enough for a bar label: `population[2].quality_mean` stays, longer
/// keys keep their last 28 characters after an ellipsis.
fn short_key(key: &str) -> String {
    const MAX: usize = 28;
    let n = key.chars().count();
    if n <= MAX {
        key.to_string()
    } else {
        let tail: String = key.chars().skip(n - (MAX - 1)).collect();
        format!("…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(name: &str, csv: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("marketsim-sensfig-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(SENSITIVITY_FILE), csv).unwrap();
        dir
    }

    const HEADER: &str =
        "metric,index,parameter,parameter_2,value,conf,ci_low,ci_high,noise_share\n";

    #[test]
    fn sobol_bars_ranked_by_st_with_intervals_s2_ignored() {
        let csv = format!(
            "{HEADER}fill_rate,S1,a,,0.1,0.05,0.05,0.15,0.01\nfill_rate,S1,b,,0.6,0.1,0.5,0.7,0.01\n\
             fill_rate,ST,a,,0.2,0.05,0.15,0.25,0.01\nfill_rate,ST,b,,0.7,0.1,0.6,0.8,0.01\n\
             fill_rate,S2,a,b,0.05,0.01,0.04,0.06,0.01\nother_metric,S1,a,,0.3,0.1,0.2,0.4,\n"
        );
        let dir = dir_with("sobol", &csv);
        let figures = figures(&dir, "sobol").unwrap();
        assert_eq!(figures.len(), 1, "only the market group has a metric");
        assert_eq!(figures[0].name, "sensitivity_market");
        let Panel::Bars(p) = &figures[0].panels[0] else {
            panic!("bar panel")
        };
        assert_eq!(p.categories, vec!["b", "a"]);
        // Series 0 is S1, series 1 is ST, each in ranked parameter order (b, a).
        assert_eq!(p.series[1].bars[0], (0.7, Some(0.6), Some(0.8)));
        assert_eq!(p.series[1].bars[1], (0.2, Some(0.15), Some(0.25)));
        assert_eq!(p.series[0].bars[1], (0.1, Some(0.05), Some(0.15)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn morris_keeps_the_top_parameters_and_says_how_many_are_left_out() {
        let mut csv = HEADER.to_string();
        for p in 0..(TOP + 3) {
            csv += &format!(
                "fill_rate,mu_star,k{p},,{p},0.5,{},{},\n",
                p as f64 - 0.5,
                p as f64 + 0.5
            );
            csv += &format!("fill_rate,sigma,k{p},,1,,,,\n");
        }
        let dir = dir_with("morris", &csv);
        let f = figures(&dir, "morris").unwrap();
        let Panel::Bars(p) = &f[0].panels[0] else {
            panic!("bar panel")
        };
        assert_eq!(p.categories.len(), TOP);
        assert_eq!(p.categories[0], format!("k{}", TOP + 2));
        assert!(p.title.contains("3 more"), "{}", p.title);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file_says_to_analyze_and_file_design_has_no_charts() {
        let dir = dir_with("missing", HEADER);
        std::fs::remove_file(dir.join(SENSITIVITY_FILE)).unwrap();
        let e = figures(&dir, "morris").unwrap_err().to_string();
        assert!(
            e.contains("sensitivity.csv") && e.contains("marketsim analyze"),
            "{e}"
        );
        assert!(figures(&dir, "file").unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_keys_are_shortened_from_the_left() {
        assert_eq!(short_key("market.bidding_window"), "market.bidding_window");
        let s = short_key("population[12].rating_error.standard_deviation");
        assert_eq!(s.chars().count(), 28);
        assert!(s.starts_with('…') && s.ends_with("standard_deviation"));
    }
}

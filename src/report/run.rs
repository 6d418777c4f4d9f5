//! Charts of one run's results directory (the files of `marketsim run`, README "Output files
//! and columns"):
//!
//! | chart | from |
//! |---|---|
//! | `reputation` | mean R and T per true type over time (`timeseries.csv`), each type's true quality (`quality_mean` of `scenario.resolved.toml`), honest R ± the EWMA floor (`summary.csv`) |
//! | `detection` | share of each type's identities flagged at least once over time (`first_flag_time` of `agents.csv`) |
//! | `value_share` | share of accepted contract value per type over time (`value_won_<type>` of `timeseries.csv`); the final share (`value_share_<type>` of `summary.csv`) in the legend |
//! | `lorenz` | Lorenz curves of operator payouts per identity and per owner (`earnings` of `agents.csv`), with Gini |
//! | `time_to_flag` | survival curves: share of each type's identities not yet flagged, never-flagged ones censored at `end_time` |

use super::ReportError;
use super::figure::{
    Axis, Band, Dash, Figure, GREY, LegendEntry, Line, LinePanel, Marker, PALETTE, Panel, Swatch,
    layered,
};
use super::table::Table;
use crate::metrics::concentration;
use plotters::style::RGBColor;
use std::collections::BTreeMap;
use std::path::Path;

/// The files a run directory must have.
pub(crate) const RUN_INPUTS: [&str; 4] = [
    "scenario.resolved.toml",
    "timeseries.csv",
    "agents.csv",
    "summary.csv",
];

/// A run's results, read and checked.
#[derive(Debug)]
pub(crate) struct Run {
    timeseries: Table,
    agents: Table,
    pub(crate) summary: Table,
    /// True types in output order (from `timeseries.csv`'s `mean_r_<type>` columns).
    types: Vec<String>,
    /// Count-weighted `quality_mean` of each type's population groups.
    truth: BTreeMap<String, f64>,
    end_time: f64,
}

/// Simulated time shown in minutes, hours or days, whichever suits the run's length.
#[derive(Debug, Clone, Copy)]
struct TimeUnit {
    seconds: f64,
    name: &'static str,
}

impl TimeUnit {
    fn for_span(end: f64) -> Self {
        let (seconds, name) = if end <= 2.0 * 3600.0 {
            (60.0, "minutes")
        } else if end <= 3.0 * 86400.0 {
            (3600.0, "hours")
        } else {
            (86400.0, "days")
        };
        Self { seconds, name }
    }

    fn axis(self, end: f64) -> Axis {
        Axis::numeric(
            format!("simulated time ({})", self.name),
            (0.0, (end / self.seconds).max(1e-9)),
        )
    }
}

impl Run {
    /// Reads and checks the run in `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Self, ReportError> {
        let timeseries = Table::read(&dir.join(RUN_INPUTS[1]))?;
        let agents = Table::read(&dir.join(RUN_INPUTS[2]))?;
        let summary = Table::read(&dir.join(RUN_INPUTS[3]))?;
        let types: Vec<String> = timeseries
            .header()
            .iter()
            .filter_map(|h| h.strip_prefix("mean_r_").map(String::from))
            .collect();
        if types.is_empty() {
            return Err(ReportError::MissingColumn {
                file: timeseries.path().to_path_buf(),
                column: "mean_r_<type>".into(),
            });
        }
        timeseries.required_numbers("time")?;
        for t in &types {
            for m in ["mean_r", "mean_t", "payouts"] {
                timeseries.numbers(&format!("{m}_{t}"))?;
            }
        }
        if let Some(bad) = agents
            .cells("true_type")?
            .into_iter()
            .find(|c| !types.iter().any(|t| t == c))
        {
            return Err(ReportError::BadFile {
                file: agents.path().to_path_buf(),
                reason: format!(
                    "true_type `{bad}` has no mean_r_{bad} column in {}",
                    timeseries.path().display()
                ),
            });
        }
        agents.required_numbers("owner_id")?;
        agents.required_numbers("earnings")?;
        agents.numbers("first_flag_time")?;
        let end_time = summary
            .first("end_time")?
            .ok_or_else(|| ReportError::BadFile {
                file: summary.path().to_path_buf(),
                reason: "end_time is empty".into(),
            })?;
        let truth = true_quality(&dir.join(RUN_INPUTS[0]))?;
        Ok(Self {
            timeseries,
            agents,
            summary,
            types,
            truth,
            end_time,
        })
    }

    fn colour(&self, kind: &str) -> RGBColor {
        let i = self.types.iter().position(|t| t == kind).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    }

    fn unit(&self) -> TimeUnit {
        TimeUnit::for_span(self.end_time)
    }

    /// `(time in the chart's unit, value)` of a `timeseries.csv` column, skipping empty cells.
    fn series(&self, column: &str) -> Result<Vec<(f64, f64)>, ReportError> {
        let unit = self.unit();
        let times = self.timeseries.required_numbers("time")?;
        let values = self.timeseries.numbers(column)?;
        Ok(times
            .iter()
            .zip(values)
            .filter_map(|(t, v)| v.map(|v| (t / unit.seconds, v)))
            .collect())
    }

    /// Each type's first-flag times (seconds, ascending) and its number of identities.
    fn flag_times(&self) -> Result<Vec<(String, Vec<f64>, usize)>, ReportError> {
        let kinds = self.agents.cells("true_type")?;
        let flags = self.agents.numbers("first_flag_time")?;
        Ok(self
            .types
            .iter()
            .map(|t| {
                let mut times: Vec<f64> = Vec::new();
                let mut n = 0;
                for (k, f) in kinds.iter().zip(&flags) {
                    if k == t {
                        n += 1;
                        times.extend(*f);
                    }
                }
                times.sort_by(f64::total_cmp);
                (t.clone(), times, n)
            })
            .filter(|(_, _, n)| *n > 0)
            .collect())
    }

    /// Every chart of the run, in the order `index.html` shows them.
    pub(crate) fn figures(&self) -> Result<Vec<Figure>, ReportError> {
        Ok(vec![
            self.reputation()?,
            self.detection()?,
            self.value_share()?,
            self.lorenz()?,
            self.time_to_flag()?,
        ])
    }

    fn reputation(&self) -> Result<Figure, ReportError> {
        let unit = self.unit();
        let x = unit.axis(self.end_time);
        let x_end = x.range.1;
        let (mut r_lines, mut t_lines, mut legend) = (Vec::new(), Vec::new(), Vec::new());
        let mut bands = Vec::new();
        let mut values = Vec::new();
        for t in &self.types {
            let colour = self.colour(t);
            let r = self.series(&format!("mean_r_{t}"))?;
            values.extend(r.iter().map(|p| p.1));
            if t == "honest"
                && let Some(floor) = self.summary.first("ewma_floor_honest").ok().flatten()
            {
                bands.push(Band {
                    colour,
                    points: r.iter().map(|&(x, y)| (x, y - floor, y + floor)).collect(),
                });
                legend.push(LegendEntry::new(
                    Swatch::Band(colour),
                    format!("honest R ± EWMA floor σ√((1−λ)/(1+λ)) = {floor:.4}"),
                ));
            }
            r_lines.push(Line::new(colour, Dash::Solid, r));
            if let Some(&q) = self.truth.get(t) {
                values.push(q);
                r_lines.push(Line::new(colour, Dash::Dashed, vec![(0.0, q), (x_end, q)]));
            }
            t_lines.push(Line::new(
                colour,
                Dash::Solid,
                self.series(&format!("mean_t_{t}"))?,
            ));
            let truth = self
                .truth
                .get(t)
                .map_or(String::new(), |q| format!(" (true quality {q:.2})"));
            legend.push(LegendEntry::new(
                Swatch::Line(colour, Dash::Solid),
                format!("{t}{truth}"),
            ));
        }
        legend.push(LegendEntry::new(
            Swatch::Line(GREY, Dash::Dashed),
            "dashed: each type's true mean quality (scenario quality_mean)",
        ));
        let y = Axis::fitted("mean score (0–1)", values, Some(0.0)).with_min_span(0.1);
        let y = Axis::numeric("mean score (0–1)", (y.range.0, y.range.1.min(1.02)));
        Ok(Figure {
            name: "reputation".into(),
            title: "Mean reputation R and trust T per true type".into(),
            caption: "How closely mean R tracks each type's true quality, and how trust T \
                      (suspicion and seasoning applied) separates the types. The band is the \
                      stationary spread of one identity's R around its mean (SPEC §8)."
                .into(),
            columns: 1,
            panels: vec![
                Panel::Lines(LinePanel {
                    title: "reputation R (solid) and true quality (dashed)".into(),
                    x: x.clone(),
                    y,
                    bands,
                    lines: r_lines,
                    markers: vec![],
                }),
                Panel::Lines(LinePanel {
                    title: "trust T = R × (1 − γ) × min(1, N / N_min)".into(),
                    x,
                    y: Axis::numeric("mean trust (0–1)", (0.0, 1.02)),
                    bands: vec![],
                    lines: t_lines,
                    markers: vec![],
                }),
            ],
            legend,
        })
    }

    fn detection(&self) -> Result<Figure, ReportError> {
        let unit = self.unit();
        let mut lines = Vec::new();
        let mut legend = Vec::new();
        for (t, times, n) in self.flag_times()? {
            let colour = self.colour(&t);
            lines.push(Line::new(
                colour,
                Dash::Solid,
                step_up(&times, n, self.end_time, unit.seconds),
            ));
            let what = if t == "honest" {
                "honest (false positives)".to_string()
            } else {
                t.clone()
            };
            legend.push(LegendEntry::new(
                Swatch::Line(colour, Dash::Solid),
                format!("{what}: {} of {n} flagged", times.len()),
            ));
        }
        layered(&mut lines);
        legend.push(LegendEntry::new(
            Swatch::Note,
            "An identity counts from its first detector flag on. Lines drawn first are wider, \
             so coinciding lines stay visible.",
        ));
        Ok(Figure {
            name: "detection".into(),
            title: "Share of each type's identities flagged at least once".into(),
            caption: "Detection over time per true type (the paper's three detectors); the \
                      honest line is the false-positive rate."
                .into(),
            columns: 1,
            panels: vec![Panel::Lines(LinePanel {
                title: "flagged identities / identities of the type".into(),
                x: unit.axis(self.end_time),
                y: Axis::numeric("share of identities flagged", (-0.03, 1.05)),
                bands: vec![],
                lines,
                markers: vec![],
            })],
            legend,
        })
    }

    fn value_share(&self) -> Result<Figure, ReportError> {
        let unit = self.unit();
        let times = self.timeseries.required_numbers("time")?;
        let mut won = Vec::new();
        for t in &self.types {
            let v: Vec<f64> = self
                .timeseries
                .numbers(&format!("value_won_{t}"))?
                .into_iter()
                .map(|x| x.unwrap_or(0.0))
                .collect();
            won.push(v);
        }
        let mut lines = Vec::new();
        let mut legend = Vec::new();
        for (k, t) in self.types.iter().enumerate() {
            let colour = self.colour(t);
            let points = times
                .iter()
                .enumerate()
                .filter_map(|(i, time)| {
                    let total: f64 = won.iter().map(|p| p[i]).sum();
                    (total > 0.0).then(|| (time / unit.seconds, won[k][i] / total))
                })
                .collect();
            lines.push(Line::new(colour, Dash::Solid, points));
            let share = self
                .summary
                .first(&format!("value_share_{t}"))
                .ok()
                .flatten()
                .map_or(String::new(), |s| {
                    format!(": final contract value share {s:.3}")
                });
            legend.push(LegendEntry::new(
                Swatch::Line(colour, Dash::Solid),
                format!("{t}{share}"),
            ));
        }
        legend.push(LegendEntry::new(
            Swatch::Note,
            "Contract value is the accepted price, counted when the contract opens (wash jobs \
             included).",
        ));
        Ok(Figure {
            name: "value_share".into(),
            title: "Share of contract value won per true type (cumulative)".into(),
            caption: "Who wins: each type's share of all accepted contract value so far; the \
                      legend gives its final share (summary.csv)."
                .into(),
            columns: 1,
            panels: vec![Panel::Lines(LinePanel {
                title: "value won by the type / all value won so far".into(),
                x: unit.axis(self.end_time),
                y: Axis::numeric("share of contract value", (-0.03, 1.05)),
                bands: vec![],
                lines,
                markers: vec![],
            })],
            legend,
        })
    }

    /// Operator payouts per identity and per owner (owners in id order).
    fn payouts(&self) -> Result<(Vec<u64>, Vec<u64>), ReportError> {
        let earnings = self.agents.required_numbers("earnings")?;
        let owners = self.agents.required_numbers("owner_id")?;
        let per_identity: Vec<u64> = earnings.iter().map(|&e| e as u64).collect();
        let mut per_owner: BTreeMap<u64, u64> = BTreeMap::new();
        for (o, e) in owners.iter().zip(&per_identity) {
            *per_owner.entry(*o as u64).or_default() += e;
        }
        Ok((per_identity, per_owner.into_values().collect()))
    }

    fn lorenz(&self) -> Result<Figure, ReportError> {
        let (per_identity, per_owner) = self.payouts()?;
        let mut lines = vec![Line::new(GREY, Dash::Dashed, vec![(0.0, 0.0), (1.0, 1.0)])];
        let mut legend = Vec::new();
        let mut scratch = Vec::new();
        for (who, payouts, colour) in [
            ("identity", per_identity, PALETTE[0]),
            ("owner", per_owner, PALETTE[1]),
        ] {
            let n = payouts.len();
            let gini = concentration(payouts.iter().copied(), &mut scratch).gini;
            lines.push(Line::new(colour, Dash::Solid, lorenz_points(&payouts)));
            legend.push(LegendEntry::new(
                Swatch::Line(colour, Dash::Solid),
                format!("per {who} ({n}): Gini {gini:.3}"),
            ));
        }
        legend.push(LegendEntry::new(
            Swatch::Line(GREY, Dash::Dashed),
            "perfect equality",
        ));
        Ok(Figure {
            name: "lorenz".into(),
            title: "Lorenz curves of operator payouts".into(),
            caption: "Payout concentration per identity and per owner (a sybil owner's \
                      identities pooled); the further below the diagonal, the more concentrated."
                .into(),
            columns: 1,
            panels: vec![Panel::Lines(LinePanel {
                title: "recipients sorted by payout, poorest first".into(),
                x: Axis::numeric("cumulative share of recipients", (0.0, 1.0)),
                y: Axis::numeric("cumulative share of payouts", (0.0, 1.0)),
                bands: vec![],
                lines,
                markers: vec![],
            })],
            legend,
        })
    }

    fn time_to_flag(&self) -> Result<Figure, ReportError> {
        let unit = self.unit();
        let mut lines = Vec::new();
        let mut markers = Vec::new();
        let mut legend = Vec::new();
        for (t, times, n) in self.flag_times()? {
            let colour = if t == "honest" { GREY } else { self.colour(&t) };
            let up = step_up(&times, n, self.end_time, unit.seconds);
            let points: Vec<(f64, f64)> = up.iter().map(|&(x, y)| (x, 1.0 - y)).collect();
            let censored = n - times.len();
            if censored > 0 {
                let &(x, y) = points.last().expect("a step curve has points");
                markers.push(Marker {
                    colour,
                    x,
                    y,
                    low: None,
                    high: None,
                });
            }
            let dash = if t == "honest" {
                Dash::Dashed
            } else {
                Dash::Solid
            };
            lines.push(Line::new(colour, dash, points));
            let what = if t == "honest" {
                "honest (reference)"
            } else {
                &t
            };
            legend.push(LegendEntry::new(
                Swatch::Line(colour, dash),
                format!("{what}: {} flagged, {censored} censored", times.len()),
            ));
        }
        layered(&mut lines);
        legend.push(LegendEntry::new(
            Swatch::Marker(GREY),
            "identities never flagged, censored at the run's end (not dropped)",
        ));
        legend.push(LegendEntry::new(
            Swatch::Note,
            "Time counts from the run's start (a whitewash replacement is created later).",
        ));
        Ok(Figure {
            name: "time_to_flag".into(),
            title: "Time to first flag: share of identities not yet flagged".into(),
            caption: "Survival curves of the time to an identity's first detector flag; a \
                      curve that stays at 1 is a strategy the detectors never catch."
                .into(),
            columns: 1,
            panels: vec![Panel::Lines(LinePanel {
                title: "Kaplan–Meier estimate (all censoring at the run's end)".into(),
                x: unit.axis(self.end_time),
                y: Axis::numeric("share not yet flagged", (-0.03, 1.05)),
                bands: vec![],
                lines,
                markers,
            })],
            legend,
        })
    }
}

/// The step curve of "share of `n` identities flagged by time t" for ascending flag `times`
/// (seconds), from 0 to `end`, x in units of `unit` seconds.
fn step_up(times: &[f64], n: usize, end: f64, unit: f64) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    for (k, &t) in times.iter().enumerate() {
        let before = k as f64 / n as f64;
        let after = (k + 1) as f64 / n as f64;
        points.push((t / unit, before));
        points.push((t / unit, after));
    }
    let last = times.len() as f64 / n as f64;
    points.push((end.max(times.last().copied().unwrap_or(0.0)) / unit, last));
    points
}

/// The Lorenz curve of `payouts`: (share of recipients, share of payouts), poorest first.
fn lorenz_points(payouts: &[u64]) -> Vec<(f64, f64)> {
    let mut sorted = payouts.to_vec();
    sorted.sort_unstable();
    let total: u64 = sorted.iter().sum();
    let n = sorted.len();
    let mut points = vec![(0.0, 0.0)];
    if total == 0 || n == 0 {
        return points;
    }
    let mut cum = 0u64;
    for (i, x) in sorted.iter().enumerate() {
        cum += x;
        points.push(((i + 1) as f64 / n as f64, cum as f64 / total as f64));
    }
    points
}

/// Each true type's count-weighted `quality_mean` over its `[[population]]` groups in
/// `scenario.resolved.toml` (which lists every key after defaults).
fn true_quality(path: &Path) -> Result<BTreeMap<String, f64>, ReportError> {
    let bad = |reason: String| ReportError::BadFile {
        file: path.to_path_buf(),
        reason,
    };
    let doc = super::table::read_toml(path, "scenario file")?;
    let groups = doc
        .get("population")
        .and_then(toml::Value::as_array)
        .ok_or_else(|| bad("no [[population]] groups".into()))?;
    let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let int = |key: &str| {
            g.get(key)
                .and_then(toml::Value::as_integer)
                .map(|v| v as f64)
                .ok_or_else(|| {
                    bad(format!(
                        "population[{i}].{key} is missing or not an integer"
                    ))
                })
        };
        let text = |key: &str| {
            g.get(key)
                .and_then(toml::Value::as_str)
                .ok_or_else(|| bad(format!("population[{i}].{key} is missing or not a string")))
        };
        let kind = text("kind")?;
        let (label, count) = match kind {
            "honest" => ("honest".to_string(), int("count")?),
            "gaming" => (text("strategy")?.to_string(), int("count")?),
            "sybil" => (
                "sybil".to_string(),
                int("owners")? * int("identities_per_owner")?,
            ),
            "ring" => ("ring".to_string(), int("rings")? * int("size")?),
            other => {
                return Err(bad(format!(
                    "population[{i}].kind `{other}` is not one of honest, gaming, sybil, ring"
                )));
            }
        };
        let q = g
            .get("quality_mean")
            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
            .ok_or_else(|| bad(format!("population[{i}].quality_mean is missing")))?;
        let e = sums.entry(label).or_default();
        e.0 += q * count;
        e.1 += count;
    }
    Ok(sums
        .into_iter()
        .filter(|(_, (_, n))| *n > 0.0)
        .map(|(k, (s, n))| (k, s / n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_curve_counts_flags_and_keeps_the_unflagged() {
        // 4 identities, flagged at 10 and 30 s, two never: the curve ends at 2/4 at the end.
        let p = step_up(&[10.0, 30.0], 4, 100.0, 10.0);
        assert_eq!(
            p,
            vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 0.25),
                (3.0, 0.25),
                (3.0, 0.5),
                (10.0, 0.5)
            ]
        );
        // Nobody flagged: flat at 0 up to the end (all censored).
        assert_eq!(step_up(&[], 3, 50.0, 1.0), vec![(0.0, 0.0), (50.0, 0.0)]);
    }

    #[test]
    fn lorenz_curve_of_a_known_distribution() {
        let p = lorenz_points(&[0, 10, 30, 0]);
        assert_eq!(
            p,
            vec![
                (0.0, 0.0),
                (0.25, 0.0),
                (0.5, 0.0),
                (0.75, 0.25),
                (1.0, 1.0)
            ]
        );
        assert_eq!(lorenz_points(&[0, 0]), vec![(0.0, 0.0)]);
    }

    #[test]
    fn true_quality_is_count_weighted_per_type() {
        let dir = std::env::temp_dir().join(format!("marketsim-truth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scenario.resolved.toml");
        std::fs::write(
            &path,
            "[[population]]\nkind = \"honest\"\ncount = 1\nquality_mean = 0.9\n\
             [[population]]\nkind = \"honest\"\ncount = 3\nquality_mean = 0.5\n\
             [[population]]\nkind = \"sybil\"\nowners = 2\nidentities_per_owner = 5\nquality_mean = 0.35\n\
             [[population]]\nkind = \"gaming\"\nstrategy = \"perfect_streak\"\ncount = 2\nquality_mean = 0.7\n",
        )
        .unwrap();
        let t = true_quality(&path).unwrap();
        assert!((t["honest"] - 0.6).abs() < 1e-12);
        assert!((t["sybil"] - 0.35).abs() < 1e-12);
        assert!((t["perfect_streak"] - 0.7).abs() < 1e-12);
        std::fs::write(&path, "[[population]]\nkind = \"alien\"\n").unwrap();
        let e = true_quality(&path).unwrap_err().to_string();
        assert!(
            e.contains("scenario.resolved.toml") && e.contains("alien"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

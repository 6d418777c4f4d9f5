//! Validation of a sweep file and generation of its design's points.

use super::Point;
use super::file::{Design, Param, Range, SweepFile};
use crate::scenario::Problem;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn problem(key: String, value: impl std::fmt::Debug, allowed: &str) -> Problem {
    Problem {
        key,
        value: format!("{value:?}"),
        allowed: allowed.to_string(),
    }
}

/// The most runs (points × replicates) a sweep may have. Every run's record is kept in memory
/// while the final tables are assembled (a few kB each), and the points are generated and
/// validated before anything runs, so a design beyond this is refused up front instead of
/// exhausting the machine's memory.
pub const MAX_RUNS: u64 = 1_000_000;

/// The number of values of a parameter in a grid (for a valid parameter).
fn grid_len(p: &Param) -> u64 {
    match (&p.values, range_of(p)) {
        (Some(v), _) => v.len() as u64,
        (None, Some((r, _))) if r.from == r.to => 1,
        (None, Some((r, _))) => u64::from(r.steps.max(1)),
        (None, None) => 1,
    }
}

/// The number of points of a sweep file's design, saturating at `u64::MAX`.
pub(super) fn point_count(f: &SweepFile) -> u64 {
    match f.design {
        Design::Grid => f
            .param
            .iter()
            .fold(1u64, |n, p| n.saturating_mul(grid_len(p))),
        Design::Random | Design::Lhs => u64::from(f.points.unwrap_or(0)),
    }
}

/// The problem of a design with more than [`MAX_RUNS`] runs: its count and the key to change
/// (the largest factor: `replicates`, `points`, or a grid parameter's values or steps).
fn size_problem(f: &SweepFile) -> Option<Problem> {
    let points = point_count(f);
    let runs = points.saturating_mul(u64::from(f.replicates));
    if runs <= MAX_RUNS {
        return None;
    }
    let mut factors: Vec<(String, u64)> = vec![("replicates".into(), u64::from(f.replicates))];
    match f.design {
        Design::Grid => factors.extend(f.param.iter().enumerate().map(|(i, p)| {
            let field = match (&p.values, p.linear.is_some()) {
                (Some(_), _) => "values",
                (None, true) => "linear.steps",
                (None, false) => "log.steps",
            };
            (format!("param[{i}].{field}"), grid_len(p))
        })),
        Design::Random | Design::Lhs => factors.push(("points".into(), points)),
    }
    // The first of the largest factors.
    let (key, value) = factors
        .into_iter()
        .reduce(|a, b| if b.1 > a.1 { b } else { a })
        .expect("replicates is a factor");
    let count = |n: u64| match n {
        u64::MAX => "more than 18446744073709551614".to_string(),
        n => n.to_string(),
    };
    Some(Problem {
        key,
        value: value.to_string(),
        allowed: format!(
            "a sweep of at most {MAX_RUNS} runs; this one has {} point(s) × {} replicate(s) = {} runs: lower this key",
            count(points),
            f.replicates,
            count(runs)
        ),
    })
}

/// Every problem of a sweep file, in file order.
pub(super) fn problems(f: &SweepFile) -> Vec<Problem> {
    let mut out = Vec::new();
    if f.replicates == 0 {
        out.push(problem("replicates".into(), f.replicates, "an integer ≥ 1"));
    }
    match (f.design, f.points) {
        (Design::Grid, Some(n)) => out.push(problem(
            "points".into(),
            n,
            "no `points` with design = \"grid\" (the grid sets them)",
        )),
        (Design::Random | Design::Lhs, None) => out.push(problem(
            "points".into(),
            "missing",
            "an integer ≥ 1 for random and lhs designs",
        )),
        (Design::Random | Design::Lhs, Some(0)) => {
            out.push(problem("points".into(), 0, "an integer ≥ 1"))
        }
        _ => {}
    }
    if f.param.is_empty() {
        out.push(problem("param".into(), "[]", "at least one [[param]]"));
    }
    for (i, p) in f.param.iter().enumerate() {
        let key = |name: &str| format!("param[{i}].{name}");
        if f.param[..i].iter().any(|q| q.key == p.key) {
            out.push(problem(key("key"), &p.key, "a key varied only once"));
        }
        let given = [p.values.is_some(), p.linear.is_some(), p.log.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            out.push(problem(
                key("values|linear|log"),
                given,
                "exactly one of `values`, `linear`, `log`",
            ));
        }
        if let Some(v) = &p.values {
            if v.is_empty() {
                out.push(problem(key("values"), "[]", "at least one value"));
            }
            if p.integer {
                out.push(problem(key("integer"), true, "only with `linear` or `log`"));
            }
        }
        for (name, range, log) in [("linear", p.linear, false), ("log", p.log, true)] {
            let Some(r) = range else { continue };
            let finite = r.from.is_finite() && r.to.is_finite();
            if !finite || r.from > r.to {
                out.push(problem(key(name), (r.from, r.to), "finite `from` ≤ `to`"));
            }
            if log && (r.from.is_nan() || r.from <= 0.0) {
                out.push(problem(key("log.from"), r.from, "a number > 0"));
            }
            if f.design == Design::Grid && r.steps < 2 && r.from != r.to {
                out.push(problem(
                    key(&format!("{name}.steps")),
                    r.steps,
                    "an integer ≥ 2 (or from = to)",
                ));
            }
        }
    }
    if out.is_empty() {
        out.extend(size_problem(f));
    }
    out
}

/// The value at fraction `u ∈ [0, 1]` of a range.
fn at(range: Range, log: bool, integer: bool, u: f64) -> toml::Value {
    let x = if log {
        (range.from.ln() + u * (range.to.ln() - range.from.ln())).exp()
    } else {
        range.from + u * (range.to - range.from)
    };
    if integer {
        toml::Value::Integer(x.round() as i64)
    } else {
        toml::Value::Float(x)
    }
}

fn range_of(p: &Param) -> Option<(Range, bool)> {
    p.linear.map(|r| (r, false)).or(p.log.map(|r| (r, true)))
}

/// A parameter's grid values.
fn grid_values(p: &Param) -> Vec<toml::Value> {
    if let Some(v) = &p.values {
        return v.clone();
    }
    let (r, log) = range_of(p).expect("validated: one of values, linear, log");
    let steps = r.steps.max(1);
    if steps == 1 || r.from == r.to {
        return vec![at(r, log, p.integer, 0.0)];
    }
    (0..steps)
        .map(|i| at(r, log, p.integer, f64::from(i) / f64::from(steps - 1)))
        .collect()
}

/// A parameter's value at fraction `u ∈ [0, 1)` (random and lhs designs).
fn sample(p: &Param, u: f64) -> toml::Value {
    match &p.values {
        Some(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)].clone(),
        None => {
            let (r, log) = range_of(p).expect("validated");
            at(r, log, p.integer, u)
        }
    }
}

/// The points of a validated sweep file. Random and lhs designs draw from ChaCha8 stream 0 of
/// the sweep seed.
pub(super) fn points(f: &SweepFile) -> Vec<Point> {
    let mut rng = ChaCha8Rng::seed_from_u64(f.seed);
    rng.set_stream(0);
    match f.design {
        Design::Grid => {
            let mut points = vec![Point { values: Vec::new() }];
            for p in &f.param {
                let values = grid_values(p);
                points = points
                    .into_iter()
                    .flat_map(|pt| {
                        values.iter().map(move |v| {
                            let mut values = pt.values.clone();
                            values.push(v.clone());
                            Point { values }
                        })
                    })
                    .collect();
            }
            points
        }
        Design::Random => {
            let n = f.points.expect("validated") as usize;
            (0..n)
                .map(|_| Point {
                    values: f
                        .param
                        .iter()
                        .map(|p| sample(p, rng.random::<f64>()))
                        .collect(),
                })
                .collect()
        }
        Design::Lhs => {
            let n = f.points.expect("validated") as usize;
            let columns: Vec<Vec<toml::Value>> = f
                .param
                .iter()
                .map(|p| {
                    let mut strata: Vec<usize> = (0..n).collect();
                    strata.shuffle(&mut rng);
                    strata
                        .into_iter()
                        .map(|s| sample(p, (s as f64 + rng.random::<f64>()) / n as f64))
                        .collect()
                })
                .collect();
            (0..n)
                .map(|i| Point {
                    values: columns.iter().map(|c| c[i].clone()).collect(),
                })
                .collect()
        }
    }
}

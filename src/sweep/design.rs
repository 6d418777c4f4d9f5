//! Validation of a sweep file and generation of its design's points.

use super::Point;
use super::file::{Design, Param, Range, SweepFile};
use super::sample::Sample;
use crate::scenario::Problem;
use crate::sensitivity::{morris, saltelli, sobol_seq};
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

/// Whether a parameter has a single value (a fixed override, not a dimension of a
/// sensitivity design).
pub(super) fn is_fixed(p: &Param) -> bool {
    match (&p.values, range_of(p)) {
        (Some(v), _) => v.len() == 1,
        (None, Some((r, _))) => r.from == r.to,
        (None, None) => false,
    }
}

/// The indices of the parameters a sobol or morris design varies (those with more than one
/// value), in file order: the design's D dimensions.
pub(super) fn varied(f: &SweepFile) -> Vec<usize> {
    (0..f.param.len())
        .filter(|&i| !is_fixed(&f.param[i]))
        .collect()
}

/// Default number of Morris levels.
pub const DEFAULT_LEVELS: u32 = 4;

/// The number of points of a sweep file's design (`sample_rows` for a file design),
/// saturating at `u64::MAX`.
pub(super) fn point_count(f: &SweepFile, sample_rows: usize) -> u64 {
    let d = varied(f).len();
    match f.design {
        Design::Grid => f
            .param
            .iter()
            .fold(1u64, |n, p| n.saturating_mul(grid_len(p))),
        Design::Random | Design::Lhs => u64::from(f.points.unwrap_or(0)),
        Design::Sobol => {
            let rows = saltelli::rows_per_point(d, f.second_order.unwrap_or(true)) as u64;
            u64::from(f.points.unwrap_or(0)).saturating_mul(rows)
        }
        Design::Morris => u64::from(f.trajectories.unwrap_or(0)).saturating_mul(d as u64 + 1),
        Design::File => sample_rows as u64,
    }
}

/// The problem of a design with more than [`MAX_RUNS`] runs: its count and the key to change
/// (the largest factor: `replicates`, `points`, or a grid parameter's values or steps).
fn size_problem(f: &SweepFile, sample_rows: usize) -> Option<Problem> {
    let points = point_count(f, sample_rows);
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
        Design::Random | Design::Lhs | Design::Sobol => factors.push(("points".into(), points)),
        Design::Morris => factors.push(("trajectories".into(), points)),
        Design::File => factors.push(("sample".into(), points)),
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

/// The problems of the design-specific keys: each is required by some designs and refused
/// by the others.
fn design_key_problems(f: &SweepFile, sample: Option<&Sample>) -> Vec<Problem> {
    let mut out = Vec::new();
    let design = f.design;
    let name = design.name();
    let not_here = |key: &str, value: &dyn std::fmt::Debug, designs: &str| {
        problem(
            key.into(),
            value,
            &format!("no `{key}` with design = \"{name}\" (only {designs})"),
        )
    };
    match (design, f.points) {
        (Design::Grid | Design::Morris | Design::File, Some(n)) => out.push(not_here(
            "points",
            &n,
            "random, lhs: points; sobol: base samples",
        )),
        (Design::Random | Design::Lhs, None) => out.push(problem(
            "points".into(),
            "missing",
            "an integer ≥ 1 for random and lhs designs",
        )),
        (Design::Random | Design::Lhs, Some(0)) => {
            out.push(problem("points".into(), 0, "an integer ≥ 1"))
        }
        (Design::Sobol, None) => out.push(problem(
            "points".into(),
            "missing",
            "the number of base samples N of the sobol design: a power of 2 ≥ 2",
        )),
        (Design::Sobol, Some(n)) if n < 2 || !n.is_power_of_two() => out.push(problem(
            "points".into(),
            n,
            "a power of 2 ≥ 2 (the balance of Sobol' points holds for powers of 2)",
        )),
        _ => {}
    }
    if let (false, Some(v)) = (design == Design::Sobol, f.second_order) {
        out.push(not_here("second_order", &v, "sobol"));
    }
    match (design, f.trajectories) {
        (Design::Morris, None) => out.push(problem(
            "trajectories".into(),
            "missing",
            "the number of Morris trajectories r: an integer ≥ 2",
        )),
        (Design::Morris, Some(r)) if r < 2 => {
            out.push(problem("trajectories".into(), r, "an integer ≥ 2"))
        }
        (Design::Morris, _) => {}
        (_, Some(r)) => out.push(not_here("trajectories", &r, "morris")),
        (_, None) => {}
    }
    match (design, f.levels) {
        (Design::Morris, Some(p)) if p < 2 || !p.is_multiple_of(2) => out.push(problem(
            "levels".into(),
            p,
            "an even integer ≥ 2 (so that a step of p/(2(p−1)) stays on the levels)",
        )),
        (Design::Morris, _) => {}
        (_, Some(p)) => out.push(not_here("levels", &p, "morris")),
        (_, None) => {}
    }
    match (design, &f.sample) {
        (Design::File, None) => out.push(problem(
            "sample".into(),
            "missing",
            "the sample file of design = \"file\", relative to the sweep file",
        )),
        (Design::File, Some(_)) => {}
        (_, Some(s)) => out.push(not_here("sample", s, "file")),
        (_, None) => {}
    }
    let d = varied(f).len();
    if matches!(design, Design::Sobol | Design::Morris) && d == 0 {
        out.push(problem(
            "param".into(),
            "no parameter with more than one value",
            &format!(
                "at least one varied [[param]] (a range or several values) for design = \"{name}\""
            ),
        ));
    }
    let max = sobol_seq::MAX_DIMENSIONS / 2;
    if design == Design::Sobol && d > max {
        out.push(problem(
            "param".into(),
            format!("{d} varied parameters"),
            &format!("at most {max} (the Sobol' direction numbers shipped cover {} dimensions, 2 per parameter)", sobol_seq::MAX_DIMENSIONS),
        ));
    }
    if let (Design::File, Some(sample)) = (design, sample) {
        for (i, p) in f.param.iter().enumerate() {
            if !is_fixed(p) {
                out.push(problem(
                    format!("param[{i}]"),
                    &p.key,
                    "with design = \"file\", only single-value parameters (fixed overrides); the sample's columns are the varied ones",
                ));
            }
            if sample.columns.contains(&p.key) {
                out.push(problem(
                    format!("param[{i}].key"),
                    &p.key,
                    "a key that is not also a column of the sample file",
                ));
            }
        }
    }
    out
}

/// Every problem of a sweep file, in file order (`sample`: the parsed sample file of a file
/// design).
pub(super) fn problems(f: &SweepFile, sample: Option<&Sample>) -> Vec<Problem> {
    let mut out = Vec::new();
    if f.replicates == 0 {
        out.push(problem("replicates".into(), f.replicates, "an integer ≥ 1"));
    }
    out.extend(design_key_problems(f, sample));
    if f.param.is_empty() && f.design != Design::File {
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
        out.extend(size_problem(f, sample.map_or(0, |s| s.rows.len())));
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

/// A parameter's value at fraction `u ∈ [0, 1]` (random, lhs, sobol and morris designs; a
/// list of values is cut into equal parts, the last part closed).
fn sample_at(p: &Param, u: f64) -> toml::Value {
    match &p.values {
        Some(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)].clone(),
        None => {
            let (r, log) = range_of(p).expect("validated");
            at(r, log, p.integer, u)
        }
    }
}

/// The unit-cube coordinates of a sobol or morris design (one column per varied parameter,
/// see [`varied`]), drawn from ChaCha8 stream 0 of the sweep seed: the Sobol' scrambling, or
/// the Morris trajectories. `None` for the other designs.
pub(super) fn unit_points(f: &SweepFile) -> Option<Vec<Vec<f64>>> {
    let mut rng = ChaCha8Rng::seed_from_u64(f.seed);
    rng.set_stream(0);
    let d = varied(f).len();
    match f.design {
        Design::Sobol => {
            let n = f.points.expect("validated") as usize;
            let base = sobol_seq::SobolSequence::scrambled(2 * d, &mut rng).points(n);
            Some(saltelli::matrix(&base, d, f.second_order.unwrap_or(true)))
        }
        Design::Morris => {
            let r = f.trajectories.expect("validated") as usize;
            let levels = f.levels.unwrap_or(DEFAULT_LEVELS);
            Some(morris::trajectories(d, r, levels, &mut rng))
        }
        _ => None,
    }
}

/// The points of a validated sweep file (`sample`: the parsed sample of a file design, whose
/// columns come first, then the file's fixed parameters). Random and lhs designs draw from
/// ChaCha8 stream 0 of the sweep seed; sobol and morris map [`unit_points`] through each
/// parameter's range, fixed parameters keeping their value.
pub(super) fn points(f: &SweepFile, sample: Option<&Sample>) -> Vec<Point> {
    let mut rng = ChaCha8Rng::seed_from_u64(f.seed);
    rng.set_stream(0);
    match f.design {
        Design::Sobol | Design::Morris => {
            let unit = unit_points(f).expect("a sensitivity design");
            let varied = varied(f);
            unit.iter()
                .map(|u| Point {
                    values: f
                        .param
                        .iter()
                        .enumerate()
                        .map(|(i, p)| match varied.iter().position(|&v| v == i) {
                            Some(dim) => sample_at(p, u[dim]),
                            None => sample_at(p, 0.0),
                        })
                        .collect(),
                })
                .collect()
        }
        Design::File => {
            let sample = sample.expect("a file design has its sample");
            sample
                .rows
                .iter()
                .map(|row| {
                    let mut values = row.clone();
                    values.extend(f.param.iter().map(|p| sample_at(p, 0.0)));
                    Point { values }
                })
                .collect()
        }
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
                        .map(|p| sample_at(p, rng.random::<f64>()))
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
                        .map(|s| sample_at(p, (s as f64 + rng.random::<f64>()) / n as f64))
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

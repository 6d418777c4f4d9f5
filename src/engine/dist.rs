//! Distributions of stochastic parameters, ready to sample (issue 10). Built once per run from
//! a validated scenario (`scenario::DistSpec`), sampled with an RNG passed in by the caller.
//!
//! Sampling rules, written down because they fix which random numbers are drawn:
//! - a constant, a uniform with `lo = hi` and a normal with `sd = 0` draw nothing;
//! - every other sample draws from the stream exactly as its `rand_distr` distribution does
//!   (a uniform is `rng.random_range(lo..hi)`, half-open; an integer uniform is
//!   `rng.random_range(lo..=hi)`, closed; an empirical column picks one value uniformly);
//! - a normal's `min` / `max` **clamp** the draw (one draw per sample, so the stream does not
//!   depend on how often a bound is hit); they do not truncate.

use rand::Rng;
use rand_distr::{Beta, Distribution, Exp, LogNormal, Normal, Triangular};
use std::sync::Arc;

/// A distribution over `f64` (integer distributions yield whole numbers).
#[derive(Debug, Clone)]
pub enum Dist {
    /// Always this value.
    Constant(f64),
    /// Uniform on `[lo, hi)`, `lo < hi`.
    Uniform(f64, f64),
    /// Uniform on the integers `lo..=hi`.
    UniformInt(i64, i64),
    /// Normal, clamped into `[min, max]`.
    Normal {
        /// The unclamped distribution.
        normal: Normal<f64>,
        /// Lower clamp (−∞ for none).
        min: f64,
        /// Upper clamp (+∞ for none).
        max: f64,
    },
    /// Log-normal: `exp(N(μ, σ²))`.
    LogNormal(LogNormal<f64>),
    /// Beta on [0, 1].
    Beta(Beta<f64>),
    /// Triangular on `[lo, hi]` with its mode.
    Triangular(Triangular<f64>),
    /// Exponential.
    Exponential(Exp<f64>),
    /// Resampled values of a data column (never empty).
    Empirical(Arc<[f64]>),
}

impl Dist {
    /// A uniform on `[lo, hi)`; a constant when `lo = hi`. Requires `lo ≤ hi`, both finite.
    pub fn uniform(lo: f64, hi: f64) -> Self {
        debug_assert!(lo <= hi);
        if lo == hi {
            Dist::Constant(lo)
        } else {
            Dist::Uniform(lo, hi)
        }
    }

    /// A normal clamped into `[min, max]`; a constant (the clamped mean) when `sd = 0`.
    /// Requires `sd` finite and ≥ 0, `min ≤ max`.
    pub fn normal(mean: f64, sd: f64, min: f64, max: f64) -> Self {
        if sd == 0.0 {
            Dist::Constant(mean.clamp(min, max))
        } else {
            Dist::Normal {
                normal: Normal::new(mean, sd).expect("finite sd"),
                min,
                max,
            }
        }
    }

    /// An exponential of rate `lambda` (per unit of the value); `lambda > 0`.
    pub fn exponential_rate(lambda: f64) -> Self {
        Dist::Exponential(Exp::new(lambda).expect("positive rate"))
    }

    /// One value.
    #[inline]
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match self {
            Dist::Constant(x) => *x,
            Dist::Uniform(lo, hi) => rng.random_range(*lo..*hi),
            Dist::UniformInt(lo, hi) => rng.random_range(*lo..=*hi) as f64,
            Dist::Normal { normal, min, max } => normal.sample(rng).clamp(*min, *max),
            Dist::LogNormal(d) => d.sample(rng),
            Dist::Beta(d) => d.sample(rng),
            Dist::Triangular(d) => d.sample(rng),
            Dist::Exponential(d) => d.sample(rng),
            Dist::Empirical(values) => values[rng.random_range(0..values.len())],
        }
    }
}

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

/// `x.round() as u64` (half away from zero, saturating: NaN and negatives give 0), computed
/// inline. On baseline x86-64, which has no rounding instruction before SSE4.1, `f64::round`
/// is a call into the builtin libm, made for every ask, budget and delay (issue 15: 0.6% of
/// the instructions at 10^4 identities). The same result for every input (tested against
/// `f64::round`).
#[inline]
pub fn round_u64(x: f64) -> u64 {
    /// From 2^52 on, every `f64` is a whole number.
    const WHOLE: f64 = (1u64 << 52) as f64;
    if x >= WHOLE {
        x as u64
    } else if x > 0.0 {
        // Below 2^52 the truncation and the fraction are exact.
        let whole = x as u64;
        whole + u64::from(x - whole as f64 >= 0.5)
    } else {
        0
    }
}

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

    /// One value. The normal, drawn several times per job (delivered quality, bid noise), is
    /// sampled inline; the other kinds in [`sample_any`](Self::sample_any), out of line, so
    /// that a normal draw does not pay for the larger function's register saves (issue 15:
    /// 2.8% fewer instructions at 10^4 identities).
    #[inline]
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match self {
            Dist::Normal { normal, min, max } => normal.sample(rng).clamp(*min, *max),
            _ => self.sample_any(rng),
        }
    }

    /// One value of any kind.
    #[inline(never)]
    fn sample_any(&self, rng: &mut impl Rng) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_u64_is_round_then_cast_at_the_edges() {
        let below_half = 0.5 - f64::EPSILON / 4.0;
        let whole = (1u64 << 52) as f64;
        for x in [
            0.0,
            -0.0,
            below_half,
            0.5,
            1.5,
            2.5,
            -0.4,
            -0.5,
            -7.0,
            whole - 0.5,
            whole - 1.5,
            whole,
            whole + 1.0,
            1e19,
            1.8446744073709552e19,
            1e30,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            assert_eq!(round_u64(x), x.round() as u64, "{x:e}");
        }
        assert_eq!(round_u64(below_half), 0);
        assert_eq!(round_u64(2.5), 3);
    }

    proptest! {
        #[test]
        fn round_u64_is_round_then_cast(bits: u64, small in 0.0f64..1e7) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(round_u64(x), x.round() as u64);
            prop_assert_eq!(round_u64(small), small.round() as u64);
        }
    }
}

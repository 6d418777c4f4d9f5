//! Sobol' indices from the outputs of a Saltelli design, with SALib's estimators
//! (`SALib.analyze.sobol.analyze`, SALib 1.6), formula for formula:
//!
//! ```text
//! y ← (y − mean y) / std y            (over all rows; std with n in the denominator)
//! V  = var(f(A) ∪ f(B))               (n in the denominator)
//! S1_j = mean(f(B)·(f(AB^j) − f(A))) / V                 Saltelli et al. 2010
//! ST_j = ½·mean((f(A) − f(AB^j))²) / V                   Jansen 1999
//! S2_jk = mean(f(BA^j)·f(AB^k) − f(A)·f(B)) / V − S1_j − S1_k     Saltelli 2002
//! ```
//!
//! Confidence: `resamples` bootstrap resamples of the `N` base points (the same resample
//! indices for every index, as SALib draws them), each index recomputed on each; the reported
//! half-width is `z(0.975) × sd(resampled values, n − 1)`, SALib's `*_conf`. The resample
//! indices come from the caller's RNG, so the intervals are deterministic for a seed (they
//! differ from SALib's, which uses NumPy's generator; the point estimates do not).

use super::saltelli::{self, Blocks};
use rand::Rng;

/// z(0.975): the half-width factor of a 95% normal interval.
pub const Z975: f64 = 1.959_963_984_540_054;

/// An index and the half-width of its 95% bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Half-width of the 95% interval (`value ± conf`).
    pub conf: f64,
}

/// Every index of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// First-order index of each parameter.
    pub first: Vec<Estimate>,
    /// Total-order index of each parameter.
    pub total: Vec<Estimate>,
    /// Second-order index of each pair `j < k` (empty without second-order rows).
    pub second: Vec<(usize, usize, Estimate)>,
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    sum / n as f64
}

/// The estimators on the base points `idx` (all of them, or a bootstrap resample).
struct On<'a> {
    blocks: &'a Blocks,
    idx: &'a [usize],
    /// var(f(A) ∪ f(B)) on `idx`; indices are 0 when it is ≤ machine epsilon, as in SALib.
    var: f64,
}

impl<'a> On<'a> {
    fn new(blocks: &'a Blocks, idx: &'a [usize]) -> Self {
        let ys = || {
            idx.iter()
                .map(|&i| blocks.a[i])
                .chain(idx.iter().map(|&i| blocks.b[i]))
        };
        let m = mean(ys());
        let var = mean(ys().map(|y| (y - m) * (y - m)));
        Self { blocks, idx, var }
    }

    fn ratio(&self, numerator: impl Fn(usize) -> f64) -> f64 {
        if self.var > f64::EPSILON {
            mean(self.idx.iter().map(|&i| numerator(i))) / self.var
        } else {
            0.0
        }
    }

    fn first(&self, j: usize) -> f64 {
        let b = self.blocks;
        self.ratio(|i| b.b[i] * (b.ab[j][i] - b.a[i]))
    }

    fn total(&self, j: usize) -> f64 {
        let b = self.blocks;
        self.ratio(|i| 0.5 * (b.a[i] - b.ab[j][i]).powi(2))
    }

    fn second(&self, j: usize, k: usize) -> f64 {
        let b = self.blocks;
        self.ratio(|i| b.ba[j][i] * b.ab[k][i] - b.a[i] * b.b[i]) - self.first(j) - self.first(k)
    }
}

/// `Z975 ×` the sample standard deviation (n − 1) of `xs`.
fn half_width(xs: &[f64]) -> f64 {
    let m = mean(xs.iter().copied());
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() as f64 - 1.0);
    Z975 * var.sqrt()
}

/// First-, total- and (with `second_order`) second-order indices of the outputs `y` of a
/// Saltelli design over `d` parameters, in [`saltelli::matrix`]'s row order. `None` when `y`
/// is constant (no variance to apportion) or not finite.
///
/// # Panics
/// If `y` is not whole Saltelli blocks or `resamples < 2`.
pub fn analyze(
    y: &[f64],
    d: usize,
    second_order: bool,
    resamples: usize,
    rng: &mut impl Rng,
) -> Option<SobolIndices> {
    assert!(resamples >= 2, "a bootstrap needs at least 2 resamples");
    let m = mean(y.iter().copied());
    let sd = mean(y.iter().map(|v| (v - m) * (v - m))).sqrt();
    if !(sd.is_finite() && sd > 0.0) {
        return None;
    }
    let normalised: Vec<f64> = y.iter().map(|v| (v - m) / sd).collect();
    let blocks = saltelli::split(&normalised, d, second_order);
    let n = blocks.a.len();
    let all: Vec<usize> = (0..n).collect();
    let resampled: Vec<Vec<usize>> = (0..resamples)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    let point = On::new(&blocks, &all);
    let boot: Vec<On<'_>> = resampled.iter().map(|idx| On::new(&blocks, idx)).collect();
    let estimate = |f: &dyn Fn(&On<'_>) -> f64| Estimate {
        value: f(&point),
        conf: half_width(&boot.iter().map(f).collect::<Vec<_>>()),
    };
    let pairs = if second_order {
        (0..d)
            .flat_map(|j| (j + 1..d).map(move |k| (j, k)))
            .collect()
    } else {
        Vec::new()
    };
    Some(SobolIndices {
        first: (0..d).map(|j| estimate(&|o| o.first(j))).collect(),
        total: (0..d).map(|j| estimate(&|o| o.total(j))).collect(),
        second: pairs
            .into_iter()
            .map(|(j, k)| (j, k, estimate(&|o| o.second(j, k))))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::saltelli::matrix;
    use crate::sensitivity::sobol_seq::SobolSequence;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::f64::consts::PI;

    fn ishigami(x: &[f64], a: f64, b: f64) -> f64 {
        x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
    }

    /// The Ishigami function (a = 7, b = 0.1) on [−π, π]³: every estimated index contains the
    /// analytic value in its 95% interval, and the intervals are tight enough to mean
    /// something (half-width < 0.06).
    #[test]
    fn ishigami_indices_contain_the_analytic_values() {
        let (a, b) = (7.0, 0.1);
        // Analytic variances (Ishigami and Homma 1990).
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
        let v = v1 + v2 + v13;
        let s1 = [v1 / v, v2 / v, 0.0];
        let st = [(v1 + v13) / v, v2 / v, v13 / v];
        assert!((s1[0] - 0.3139).abs() < 1e-4 && (s1[1] - 0.4424).abs() < 1e-4);
        assert!((st[0] - 0.5576).abs() < 1e-4 && (st[2] - 0.2437).abs() < 1e-4);
        let s2 = [((0, 1), 0.0), ((0, 2), v13 / v), ((1, 2), 0.0)];

        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let base = SobolSequence::scrambled(6, &mut rng).points(4096);
        let x = matrix(&base, 3, true);
        let y: Vec<f64> = x
            .iter()
            .map(|u| {
                let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
                ishigami(&x, a, b)
            })
            .collect();
        let got = analyze(&y, 3, true, 500, &mut rng).unwrap();
        let check = |what: &str, e: Estimate, want: f64| {
            assert!(
                (e.value - want).abs() <= e.conf && e.conf < 0.06,
                "{what}: {} ± {} vs analytic {want}",
                e.value,
                e.conf
            );
        };
        for j in 0..3 {
            check(&format!("S1[{j}]"), got.first[j], s1[j]);
            check(&format!("ST[{j}]"), got.total[j], st[j]);
        }
        for (j, k, e) in &got.second {
            let want = s2.iter().find(|(p, _)| *p == (*j, *k)).unwrap().1;
            check(&format!("S2[{j},{k}]"), *e, want);
        }
    }

    /// The estimators against a naive transcription of SALib's formulas (explicit loops,
    /// normalisation written out) on arbitrary outputs, and the same RNG ⇒ the same intervals.
    #[test]
    fn point_estimates_match_a_naive_reference() {
        let (d, n) = (3, 16);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let y: Vec<f64> = (0..n * (2 * d + 2))
            .map(|_| rng.random::<f64>() * 10.0 + 3.0)
            .collect();
        let got = analyze(&y, d, true, 50, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        let again = analyze(&y, d, true, 50, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        assert_eq!(got, again);

        let total_n = y.len() as f64;
        let mu = y.iter().sum::<f64>() / total_n;
        let sd = (y.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / total_n).sqrt();
        let z: Vec<f64> = y.iter().map(|v| (v - mu) / sd).collect();
        let step = 2 * d + 2;
        let at = |i: usize, r: usize| z[i * step + r];
        let (mut ab_mean, mut ab_sq) = (0.0, 0.0);
        for i in 0..n {
            for v in [at(i, 0), at(i, step - 1)] {
                ab_mean += v;
                ab_sq += v * v;
            }
        }
        ab_mean /= 2.0 * n as f64;
        let var = ab_sq / (2.0 * n as f64) - ab_mean * ab_mean;
        let s1 = |j: usize| {
            (0..n)
                .map(|i| at(i, step - 1) * (at(i, 1 + j) - at(i, 0)))
                .sum::<f64>()
                / n as f64
                / var
        };
        for j in 0..d {
            let st = (0..n)
                .map(|i| (at(i, 0) - at(i, 1 + j)).powi(2))
                .sum::<f64>()
                / (2.0 * n as f64)
                / var;
            assert!((got.first[j].value - s1(j)).abs() < 1e-12);
            assert!((got.total[j].value - st).abs() < 1e-12);
        }
        assert_eq!(got.second.len(), 3);
        for (j, k, e) in &got.second {
            let vjk = (0..n)
                .map(|i| at(i, 1 + d + j) * at(i, 1 + k) - at(i, 0) * at(i, step - 1))
                .sum::<f64>()
                / n as f64
                / var;
            assert!((e.value - (vjk - s1(*j) - s1(*k))).abs() < 1e-12);
            assert!(e.conf > 0.0);
        }
    }

    #[test]
    fn a_constant_output_has_no_indices() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(analyze(&[2.0; 20], 3, false, 10, &mut rng), None);
    }
}

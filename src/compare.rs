//! Paired comparison of two scenario variants on common random numbers (`marketsim compare`,
//! README "Comparing two variants"). Pure: the caller runs the simulations and passes in each
//! metric's values.
//!
//! ```text
//! seeds s = S..E:   A(s) ─┐
//!                   B(s) ─┴─▶ paired difference d_s = B(s) − A(s)   (same random streams)
//! seeds E..E+N:     B(s + N) ─▶ unpaired difference mean B(s + N) − mean A(s)   (independent)
//! ```
//!
//! The paired CI is mean(d) ± t(0.975, n−1)·sd(d)/√n. The unpaired CI (independent seeds) is
//! Welch's: mean(B′) − mean(A) ± t(0.975, ν)·√(s²_A/n + s²_B′/n), ν by Welch–Satterthwaite.
//! The variance reduction is measured, not assumed: (s²_A + s²_B′) / s²_d, the variance of
//! an independent-seeds difference over that of a paired one (> 1 when common random numbers
//! help; undefined when every paired difference is equal).

use crate::sweep::aggregate::t975;

/// Columns of `compare.csv`, one row per metric.
pub const COLUMNS: [&str; 12] = [
    "metric",
    "n",
    "mean_a",
    "mean_b",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "unpaired_diff",
    "unpaired_ci_low",
    "unpaired_ci_high",
    "variance_reduction",
    "identical_pairs",
];

/// One metric's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Seeds where the metric exists in A, B and B′.
    pub n: usize,
    /// Mean of A.
    pub mean_a: f64,
    /// Mean of B on the same seeds.
    pub mean_b: f64,
    /// Mean paired difference B − A.
    pub diff: f64,
    /// Half-width of its 95% CI (NaN with fewer than 2 seeds).
    pub diff_half: f64,
    /// mean(B′) − mean(A), B′ being B on independent seeds.
    pub unpaired_diff: f64,
    /// Half-width of its 95% Welch CI.
    pub unpaired_half: f64,
    /// (s²_A + s²_B′) / s²_d; NaN when s²_d = 0.
    pub variance_reduction: f64,
    /// Seeds where B equals A exactly.
    pub identical: usize,
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (n − 1); NaN below 2 values.
fn var(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

/// Compares `a[i]`, `b[i]` (same seed) and `b_independent[i]` (B on an independent seed);
/// seeds where any of the three is missing are left out. `None` when no seed has all three.
pub fn compare(
    a: &[Option<f64>],
    b: &[Option<f64>],
    b_independent: &[Option<f64>],
) -> Option<Comparison> {
    let mut xa = Vec::new();
    let mut xb = Vec::new();
    let mut xi = Vec::new();
    for i in 0..a.len().min(b.len()).min(b_independent.len()) {
        if let (Some(x), Some(y), Some(z)) = (a[i], b[i], b_independent[i]) {
            xa.push(x);
            xb.push(y);
            xi.push(z);
        }
    }
    let n = xa.len();
    if n == 0 {
        return None;
    }
    let d: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| y - x).collect();
    let t = t975(n as u64 - 1);
    let (va, vi, vd) = (var(&xa), var(&xi), var(&d));
    let se2 = (va + vi) / n as f64;
    // Welch–Satterthwaite degrees of freedom (equal n); with both variances 0 the CI is 0.
    let nu = if se2 > 0.0 {
        se2 * se2
            / ((va / n as f64).powi(2) / (n - 1) as f64 + (vi / n as f64).powi(2) / (n - 1) as f64)
    } else {
        (n - 1) as f64
    };
    let t_welch = if nu.is_finite() {
        t975(nu.floor().max(1.0) as u64)
    } else {
        f64::NAN
    };
    Some(Comparison {
        n,
        mean_a: mean(&xa),
        mean_b: mean(&xb),
        diff: mean(&d),
        diff_half: t * (vd / n as f64).sqrt(),
        unpaired_diff: mean(&xi) - mean(&xa),
        unpaired_half: t_welch * se2.sqrt(),
        variance_reduction: if vd > 0.0 { (va + vi) / vd } else { f64::NAN },
        identical: d.iter().filter(|v| **v == 0.0).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(x: &[f64]) -> Vec<Option<f64>> {
        x.iter().copied().map(Some).collect()
    }

    #[test]
    fn worked_example() {
        // A = 1, 2, 3, 4; B = A + 1 + small noise; B' independent.
        let a = some(&[1.0, 2.0, 3.0, 4.0]);
        let b = some(&[2.1, 2.9, 4.1, 4.9]);
        let bi = some(&[4.0, 2.0, 5.0, 3.0]);
        let c = compare(&a, &b, &bi).unwrap();
        assert_eq!(c.n, 4);
        assert!((c.diff - 1.0).abs() < 1e-12);
        // d = 1.1, 0.9, 1.1, 0.9: s² = 0.04/3; half = t(3) · sqrt(s²/4) = 3.182 · 0.057735.
        assert!((c.diff_half - 3.182 * (0.04f64 / 3.0 / 4.0).sqrt()).abs() < 1e-9);
        assert!((c.unpaired_diff - 1.0).abs() < 1e-12);
        // s²_A = s²_B' = 5/3: reduction = (10/3) / (0.04/3) = 250.
        assert!((c.variance_reduction - 250.0).abs() < 1e-9);
        // Welch ν = 6 with equal variances: t(6) = 2.447.
        assert!((c.unpaired_half - 2.447 * (10.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-9);
        assert_eq!(c.identical, 0);
    }

    #[test]
    fn identical_variants_have_zero_difference_and_missing_values_are_left_out() {
        let a = vec![Some(1.0), None, Some(3.0), Some(5.0)];
        let c = compare(&a, &a, &some(&[2.0, 2.0, 2.0, 2.0])).unwrap();
        assert_eq!((c.n, c.diff, c.diff_half, c.identical), (3, 0.0, 0.0, 3));
        assert!(c.variance_reduction.is_nan());
        assert!(compare(&[None], &[Some(1.0)], &[Some(1.0)]).is_none());
    }
}

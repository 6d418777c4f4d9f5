//! Morris' elementary-effects screening (Morris 1991, Technometrics 33: 161–174), with the
//! statistics of `SALib.analyze.morris.analyze` (SALib 1.6; Campolongo et al. 2007 for μ*).
//!
//! ```text
//! levels p (even): each parameter takes the values 0, 1/(p−1), …, 1 of the unit interval
//! step Δ = p / (2(p − 1))            (p/2 levels; SALib's `_compute_delta`)
//! trajectory: D + 1 points; from a random base point, each parameter in a random order moves
//!             once by +Δ or −Δ (random sign), staying on the levels
//! EE_j = (f(x with x_j high) − f(x with x_j low)) / Δ     in unit coordinates
//! μ_j = mean EE_j,  μ*_j = mean |EE_j|,  σ_j = sd(EE_j, n − 1)   over the r trajectories
//! μ*_conf = z(0.975) × sd over bootstrap resamples of the trajectories' |EE_j| means
//! ```
//!
//! Effects are in output units per unit of the parameter's *range* (the unit interval), as in
//! SALib, so parameters with different ranges compare directly.

use super::sobol::Z975;
use rand::Rng;
use rand::seq::SliceRandom;

/// Δ for `levels` levels.
pub fn delta(levels: u32) -> f64 {
    f64::from(levels) / (2.0 * f64::from(levels - 1))
}

/// `r` trajectories of `d + 1` points each in the unit cube, on a grid of `levels` (even, ≥ 2)
/// levels; rows are trajectory by trajectory.
pub fn trajectories(d: usize, r: usize, levels: u32, rng: &mut impl Rng) -> Vec<Vec<f64>> {
    assert!(
        levels >= 2 && levels.is_multiple_of(2),
        "Morris levels must be even"
    );
    let half = levels / 2; // Δ in level steps
    let top = f64::from(levels - 1);
    let mut out = Vec::with_capacity(r * (d + 1));
    for _ in 0..r {
        // Base level in 0..half, so that base + half is still a level.
        let base: Vec<u32> = (0..d).map(|_| rng.random_range(0..half)).collect();
        let up: Vec<bool> = (0..d).map(|_| rng.random::<bool>()).collect();
        let mut order: Vec<usize> = (0..d).collect();
        order.shuffle(rng);
        let mut level: Vec<u32> = (0..d)
            .map(|j| if up[j] { base[j] } else { base[j] + half })
            .collect();
        out.push(level.iter().map(|&l| f64::from(l) / top).collect());
        for &j in &order {
            level[j] = if up[j] { base[j] + half } else { base[j] };
            out.push(level.iter().map(|&l| f64::from(l) / top).collect());
        }
    }
    out
}

/// Morris statistics of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndex {
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect.
    pub mu_star: f64,
    /// Standard deviation of the elementary effects (n − 1).
    pub sigma: f64,
    /// Half-width of the 95% bootstrap interval of μ*.
    pub mu_star_conf: f64,
}

/// The elementary effects of each parameter (`ee[j][t]` for trajectory `t`) from unit
/// coordinates `x` (rows as [`trajectories`] lays them out) and outputs `y`: between two
/// consecutive points, a parameter whose coordinate changed contributes the output at its
/// higher value minus the output at its lower, over Δ; one that never changes in a
/// trajectory has effect 0 there (SALib's convention).
pub fn elementary_effects(x: &[Vec<f64>], y: &[f64], levels: u32) -> Vec<Vec<f64>> {
    let d = x.first().map_or(0, Vec::len);
    let size = d + 1;
    assert!(
        x.len() == y.len() && x.len().is_multiple_of(size),
        "Morris outputs must be whole trajectories"
    );
    let dl = delta(levels);
    let r = x.len() / size;
    let mut ee = vec![vec![0.0; r]; d];
    for t in 0..r {
        for s in 1..size {
            let (prev, next) = (t * size + s - 1, t * size + s);
            for (j, e) in ee.iter_mut().enumerate() {
                let change = x[next][j] - x[prev][j];
                if change > 0.0 {
                    e[t] += (y[next] - y[prev]) / dl;
                } else if change < 0.0 {
                    e[t] += (y[prev] - y[next]) / dl;
                }
            }
        }
    }
    ee
}

/// μ, μ*, σ and the bootstrap interval of μ* for every parameter (at least 2 trajectories;
/// `resamples ≥ 2`).
pub fn analyze(
    x: &[Vec<f64>],
    y: &[f64],
    levels: u32,
    resamples: usize,
    rng: &mut impl Rng,
) -> Vec<MorrisIndex> {
    assert!(resamples >= 2, "a bootstrap needs at least 2 resamples");
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let sd = |xs: &[f64]| {
        let m = mean(xs);
        (xs.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
    };
    elementary_effects(x, y, levels)
        .iter()
        .map(|ee| {
            let abs: Vec<f64> = ee.iter().map(|e| e.abs()).collect();
            let boot: Vec<f64> = (0..resamples)
                .map(|_| {
                    let pick: Vec<f64> = (0..abs.len())
                        .map(|_| abs[rng.random_range(0..abs.len())])
                        .collect();
                    mean(&pick)
                })
                .collect();
            MorrisIndex {
                mu: mean(ee),
                mu_star: mean(&abs),
                sigma: sd(ee),
                mu_star_conf: Z975 * sd(&boot),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Each trajectory moves every parameter exactly once, by ±Δ, on the level grid.
    #[test]
    fn trajectories_move_each_parameter_once_by_delta() {
        let (d, r, p) = (5, 20, 6);
        let x = trajectories(d, r, p, &mut ChaCha8Rng::seed_from_u64(4));
        assert_eq!(x.len(), r * (d + 1));
        let dl = delta(p);
        for t in 0..r {
            let mut moved = vec![0; d];
            for s in 1..=d {
                let (a, b) = (&x[t * (d + 1) + s - 1], &x[t * (d + 1) + s]);
                let changed: Vec<usize> = (0..d).filter(|&j| a[j] != b[j]).collect();
                assert_eq!(changed.len(), 1);
                let j = changed[0];
                assert!(((a[j] - b[j]).abs() - dl).abs() < 1e-12);
                moved[j] += 1;
            }
            assert_eq!(moved, vec![1; d]);
            for v in x[t * (d + 1)..(t + 1) * (d + 1)].iter().flatten() {
                let level = v * f64::from(p - 1);
                assert!((level - level.round()).abs() < 1e-9 && (0.0..=1.0).contains(v));
            }
        }
    }

    /// On f(x) = 10·x0 − 4·x1 + x2 + 0·x3 + 1.5·x1·x2 the effect of the additive x0 is exact
    /// (μ = μ* = 10, σ = 0), x3 has none, the interacting pair has spread, and μ* ranks the
    /// parameters by the size of their effect: x0 (10) > x1 (|−4 + 1.5·x2| ∈ [2.5, 4]) >
    /// x2 (1 + 1.5·x1 ∈ [1, 2.5]) > x3 (0).
    #[test]
    fn morris_recovers_known_effects_and_their_ranking() {
        let f = |x: &[f64]| 10.0 * x[0] - 4.0 * x[1] + x[2] + 1.5 * x[1] * x[2];
        let x = trajectories(4, 40, 4, &mut ChaCha8Rng::seed_from_u64(9));
        let y: Vec<f64> = x.iter().map(|r| f(r)).collect();
        let got = analyze(&x, &y, 4, 200, &mut ChaCha8Rng::seed_from_u64(1));
        assert!((got[0].mu - 10.0).abs() < 1e-9 && got[0].sigma.abs() < 1e-9);
        assert!((got[0].mu_star - 10.0).abs() < 1e-9);
        assert!(got[3].mu_star == 0.0 && got[3].sigma == 0.0);
        // Interactions give spread.
        assert!(got[1].sigma > 0.1 && got[2].sigma > 0.1);
        // Each x1 effect is negative: μ = −μ*.
        assert!((got[1].mu + got[1].mu_star).abs() < 1e-9);
        let mut order: Vec<usize> = (0..4).collect();
        order.sort_by(|a, b| got[*b].mu_star.total_cmp(&got[*a].mu_star));
        assert_eq!(order, [0, 1, 2, 3]);
        assert!(got[1].mu_star_conf > 0.0 && got[0].mu_star_conf < 1e-9);
    }

    /// Elementary effects against the definition: f(x + Δ e_j) − f(x), whatever the order and
    /// the direction of the steps.
    #[test]
    fn effects_match_the_definition() {
        let f = |x: &[f64]| x[0] * x[0] + (3.0 * x[1]).sin() * x[2];
        let p = 4;
        let x = trajectories(3, 10, p, &mut ChaCha8Rng::seed_from_u64(2));
        let y: Vec<f64> = x.iter().map(|r| f(r)).collect();
        let ee = elementary_effects(&x, &y, p);
        for t in 0..10 {
            for s in 1..=3 {
                let (a, b) = (&x[t * 4 + s - 1], &x[t * 4 + s]);
                let j = (0..3).find(|&j| a[j] != b[j]).unwrap();
                let (lo, hi) = if a[j] < b[j] { (a, b) } else { (b, a) };
                let want = (f(hi) - f(lo)) / delta(p);
                assert!((ee[j][t] - want).abs() < 1e-12);
            }
        }
    }
}

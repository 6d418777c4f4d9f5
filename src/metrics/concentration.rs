//! Payout concentration (SPEC §7, seed 003 market health): Gini, HHI, top-k% share.
//!
//! All functions take payouts in integer credits and are exact up to the final division; the
//! input order does not matter (they sort a copy into the caller's scratch buffer).

/// Concentration of a payout distribution.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Concentration {
    /// Gini coefficient in [0, 1) over all recipients (zeros included).
    pub gini: f64,
    /// Herfindahl–Hirschman index: Σ share², in (0, 1]; 0 when nothing was paid.
    pub hhi: f64,
    /// Share of the total paid to the top 1% of recipients (at least one recipient).
    pub top1_share: f64,
    /// Share of the total paid to the top 10% of recipients (at least one recipient).
    pub top10_share: f64,
    /// Recipients with a positive payout.
    pub unique_earners: u64,
}

/// Concentration of `payouts` (one entry per recipient). `scratch` is reused to avoid
/// allocating on every sample.
pub fn concentration(
    payouts: impl IntoIterator<Item = u64>,
    scratch: &mut Vec<u64>,
) -> Concentration {
    scratch.clear();
    scratch.extend(payouts);
    let n = scratch.len();
    let total: u128 = scratch.iter().map(|&x| u128::from(x)).sum();
    if n == 0 || total == 0 {
        return Concentration::default();
    }
    scratch.sort_unstable();
    // Gini = Σ_i (2i − n − 1) x_(i) / (n Σ x), i = 1..n over ascending order.
    let mut weighted: i128 = 0;
    let mut hhi = 0.0;
    for (i, &x) in scratch.iter().enumerate() {
        weighted += (2 * (i as i128 + 1) - n as i128 - 1) * x as i128;
        let share = x as f64 / total as f64;
        hhi += share * share;
    }
    let top = |fraction: f64| {
        let k = ((n as f64 * fraction).ceil() as usize).max(1);
        let top_sum: u128 = scratch[n - k..].iter().map(|&x| u128::from(x)).sum();
        top_sum as f64 / total as f64
    };
    Concentration {
        gini: weighted as f64 / (n as f64 * total as f64),
        hhi,
        top1_share: top(0.01),
        top10_share: top(0.10),
        unique_earners: scratch.iter().filter(|&&x| x > 0).count() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: &[u64]) -> Concentration {
        concentration(v.iter().copied(), &mut Vec::new())
    }

    #[test]
    fn equal_payouts_have_zero_gini_and_hhi_one_over_n() {
        let r = c(&[5, 5, 5, 5]);
        assert_eq!(r.gini, 0.0);
        assert!((r.hhi - 0.25).abs() < 1e-12);
        assert_eq!(r.top10_share, 0.25); // top 10% of 4 recipients is one recipient
        assert_eq!(r.unique_earners, 4);
    }

    #[test]
    fn one_earner_among_many_is_maximal_concentration() {
        let mut v = vec![0u64; 99];
        v.push(1_000);
        let r = c(&v);
        assert!((r.gini - 0.99).abs() < 1e-12); // (n−1)/n
        assert_eq!(r.hhi, 1.0);
        assert_eq!(r.top1_share, 1.0);
        assert_eq!(r.unique_earners, 1);
    }

    #[test]
    fn gini_matches_the_mean_absolute_difference_definition() {
        let v = [1u64, 2, 3, 10, 0, 7, 7];
        let n = v.len() as f64;
        let mean = v.iter().sum::<u64>() as f64 / n;
        let mad: f64 = v
            .iter()
            .flat_map(|a| v.iter().map(move |b| (*a as f64 - *b as f64).abs()))
            .sum();
        let expected = mad / (2.0 * n * n * mean);
        assert!((c(&v).gini - expected).abs() < 1e-12);
    }

    #[test]
    fn nothing_paid_is_all_zero() {
        assert_eq!(c(&[0, 0]), Concentration::default());
        assert_eq!(c(&[]), Concentration::default());
    }
}

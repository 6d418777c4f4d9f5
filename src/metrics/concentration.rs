//! Payout concentration (SPEC §7, seed 003 market health): Gini, HHI, top-k% share, and
//! (issue 11) the Nakamoto coefficient and Shannon entropy normalised by ln N, which unlike
//! Gini do not grow with the number of participants alone.
//!
//! All functions take payouts in integer credits and are exact up to the final division; the
//! input order does not matter (they sort a copy into the caller's scratch buffer).

use super::radix_sort;

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
    /// Nakamoto coefficient: the fewest recipients holding more than half of the total; 0 when
    /// nothing was paid.
    pub nakamoto: u64,
    /// Shannon entropy of the payout shares, −Σ p ln p, divided by ln N over all N recipients
    /// (zeros included): 1 when all are paid equally, 0 when one takes everything; 0 when
    /// nothing was paid or N = 1.
    pub entropy: f64,
}

/// Concentration of `payouts` (one entry per recipient). `scratch` is reused to avoid
/// allocating on every sample; it takes four `u32` per recipient (each payout as its two
/// halves, then the radix sort's buffer), so that the world lends it the ranking measures'
/// buffer instead of keeping a second one (issue 15).
pub fn concentration(
    payouts: impl IntoIterator<Item = u64>,
    scratch: &mut Vec<u32>,
) -> Concentration {
    scratch.clear();
    scratch.extend((payouts.into_iter()).flat_map(|x| [(x >> 32) as u32, x as u32]));
    let n = scratch.len() / 2;
    scratch.resize(4 * n, 0);
    let value = |halves: &[u32; 2]| u64::from(halves[0]) << 32 | u64::from(halves[1]);
    let (payouts, buffer) = scratch.as_chunks_mut::<2>().0.split_at_mut(n);
    let total: u128 = payouts.iter().map(|x| u128::from(value(x))).sum();
    if n == 0 || total == 0 {
        return Concentration::default();
    }
    // Radix sort, the second half of `scratch` as its buffer (issue 15).
    let sorted = if radix_sort::sort_by_key(payouts, buffer, value) {
        &*buffer
    } else {
        &*payouts
    };
    // Gini = Σ_i (2i − n − 1) x_(i) / (n Σ x), i = 1..n over ascending order.
    let mut weighted: i128 = 0;
    let mut hhi = 0.0;
    for (i, x) in sorted.iter().map(value).enumerate() {
        weighted += (2 * (i as i128 + 1) - n as i128 - 1) * x as i128;
        let share = x as f64 / total as f64;
        hhi += share * share;
    }
    let top = |fraction: f64| {
        let k = ((n as f64 * fraction).ceil() as usize).max(1);
        let top_sum: u128 = sorted[n - k..].iter().map(|x| u128::from(value(x))).sum();
        top_sum as f64 / total as f64
    };
    // Fewest top recipients whose sum exceeds half: 2 × sum > total, exactly in integers.
    let mut top_sum = 0u128;
    let mut nakamoto = 0;
    for x in sorted.iter().rev().map(value) {
        top_sum += u128::from(x);
        nakamoto += 1;
        if 2 * top_sum > total {
            break;
        }
    }
    let entropy = if n > 1 {
        // Equal payouts are adjacent: one logarithm per distinct payout, the same terms.
        let mut last = (0, 0.0);
        let h: f64 = (sorted.iter().map(value))
            .filter(|&x| x > 0)
            .map(|x| {
                if x != last.0 {
                    let p = x as f64 / total as f64;
                    last = (x, -p * p.ln());
                }
                last.1
            })
            .sum();
        (h / (n as f64).ln()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Concentration {
        nakamoto,
        entropy,
        gini: weighted as f64 / (n as f64 * total as f64),
        hhi,
        top1_share: top(0.01),
        top10_share: top(0.10),
        unique_earners: sorted.iter().filter(|x| value(x) > 0).count() as u64,
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
    fn nakamoto_and_entropy_hand_worked() {
        // 50 of 100 is not more than half: two recipients are needed.
        let r = c(&[50, 30, 20]);
        assert_eq!(r.nakamoto, 2);
        assert_eq!(c(&[51, 49]).nakamoto, 1);
        let equal = c(&[7; 8]);
        assert!((equal.entropy - 1.0).abs() < 1e-12);
        assert_eq!(equal.nakamoto, 5);
        assert_eq!(c(&[0, 0, 9]).entropy, 0.0);
        assert_eq!(c(&[9]).entropy, 0.0);
    }

    proptest::proptest! {
        #[test]
        fn nakamoto_and_entropy_match_naive_definitions(
            v in proptest::collection::vec(0u64..1_000, 1..60),
        ) {
            let r = c(&v);
            let total: u64 = v.iter().sum();
            // Naive Nakamoto: try every k; the top k by value.
            let mut desc = v.clone();
            desc.sort_unstable_by(|a, b| b.cmp(a));
            let naive = if total == 0 { 0 } else {
                (1..=v.len()).find(|&k| 2 * desc[..k].iter().sum::<u64>() > total).unwrap() as u64
            };
            proptest::prop_assert_eq!(r.nakamoto, naive);
            let naive_h = if total == 0 || v.len() < 2 { 0.0 } else {
                v.iter().filter(|&&x| x > 0).map(|&x| {
                    let p = x as f64 / total as f64;
                    -p * p.log2()
                }).sum::<f64>() / (v.len() as f64).log2()
            };
            proptest::prop_assert!((r.entropy - naive_h).abs() < 1e-9);
        }
    }

    /// Payouts with many ties (zeros included) and a wide range.
    fn payouts() -> impl proptest::strategy::Strategy<Value = Vec<u64>> {
        use proptest::prelude::*;
        let payout = prop_oneof![
            0u64..4,
            Just(1_000),
            0u64..1 << 40,
            any::<u64>().prop_map(|x| x >> 8)
        ];
        proptest::collection::vec(payout, 0..300)
    }

    proptest::proptest! {
        /// The radix-sorted, memoised computation is bit for bit the comparison-sorted one,
        /// term by term in ascending order (the sums' order).
        #[test]
        fn matches_the_comparison_sorted_reference_bit_for_bit(v in payouts()) {
            let r = c(&v);
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let n = v.len();
            let total: u128 = v.iter().map(|&x| u128::from(x)).sum();
            if total == 0 {
                proptest::prop_assert_eq!(r, Concentration::default());
                return Ok(());
            }
            let share = |x: u64| x as f64 / total as f64;
            let mut hhi = 0.0;
            let mut weighted = 0i128;
            for (i, &x) in sorted.iter().enumerate() {
                hhi += share(x) * share(x);
                weighted += (2 * i as i128 + 1 - n as i128) * x as i128;
            }
            let h: f64 = sorted.iter().filter(|&&x| x > 0).map(|&x| -share(x) * share(x).ln()).sum();
            let entropy = if n > 1 { (h / (n as f64).ln()).clamp(0.0, 1.0) } else { 0.0 };
            let top10: u128 = sorted[n - (n as f64 * 0.1).ceil().max(1.0) as usize..]
                .iter().map(|&x| u128::from(x)).sum();
            proptest::prop_assert_eq!(r.hhi.to_bits(), hhi.to_bits());
            proptest::prop_assert_eq!(r.entropy.to_bits(), entropy.to_bits());
            proptest::prop_assert_eq!(r.gini.to_bits(), (weighted as f64 / (n as f64 * total as f64)).to_bits());
            proptest::prop_assert_eq!(r.top10_share.to_bits(), (top10 as f64 / total as f64).to_bits());
            proptest::prop_assert_eq!(r.unique_earners, v.iter().filter(|&&x| x > 0).count() as u64);
        }
    }

    #[test]
    fn nothing_paid_is_all_zero() {
        assert_eq!(c(&[0, 0]), Concentration::default());
        assert_eq!(c(&[]), Concentration::default());
    }
}

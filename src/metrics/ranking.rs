//! Ranking accuracy (issue 11): does the mechanism *order* agents correctly, not only estimate
//! them closely? Kendall τ-b and the normalised Spearman footrule distance between two
//! scorings of the same identities (e.g. reputation R and true quality).
//!
//! Both are O(n log n) (Knight's merge-sort count for τ-b; sorting for ranks), so computing
//! them at every sample costs the same whatever the history length. Ties are handled: τ-b
//! corrects for ties in either scoring; the footrule uses mid-ranks.

use crate::agents::{Bidder, Kind};
use crate::market::AgentId;
use crate::market::reputation::ReputationEngine;

/// Agreement of the rankings by R and by T with the ranking by true quality, over one set of
/// identities. `None` where undefined (fewer than two identities, or a constant scoring).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Agreement {
    /// Kendall τ-b, R vs true quality.
    pub kendall_r: Option<f64>,
    /// Kendall τ-b, T vs true quality.
    pub kendall_t: Option<f64>,
    /// Normalised footrule distance, R vs true quality.
    pub footrule_r: Option<f64>,
    /// Normalised footrule distance, T vs true quality.
    pub footrule_t: Option<f64>,
}

impl Agreement {
    /// The agreement of `(R, T, true quality)` triples.
    pub fn of(r: &[f64], t: &[f64], truth: &[f64]) -> Self {
        assert!(
            r.len() == truth.len() && t.len() == truth.len(),
            "paired scorings"
        );
        // The true quality's ranks serve both footrules.
        let truth_ranks = (truth.len() >= 2).then(|| mid_ranks(truth));
        let footrule = |x: &[f64]| {
            let truth_ranks = truth_ranks.as_deref()?;
            Some(footrule_of_ranks(&mid_ranks(x), truth_ranks))
        };
        Self {
            kendall_r: kendall_tau_b(r, truth),
            kendall_t: kendall_tau_b(t, truth),
            footrule_r: footrule(r),
            footrule_t: footrule(t),
        }
    }

    /// `(column suffix, value)` pairs in output order: `kendall_r`, `kendall_t`,
    /// `footrule_r`, `footrule_t`.
    pub fn columns(&self) -> [(&'static str, Option<f64>); 4] {
        [
            ("kendall_r", self.kendall_r),
            ("kendall_t", self.kendall_t),
            ("footrule_r", self.footrule_r),
            ("footrule_t", self.footrule_t),
        ]
    }
}

/// Ranking accuracy over all live identities and over live honest ones.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RankingAccuracy {
    /// Every live (not whitewashed) identity.
    pub all: Agreement,
    /// Live honest identities only.
    pub honest: Agreement,
}

impl RankingAccuracy {
    /// Ranking accuracy of live identities given as `(R, T, true quality, honest)`.
    pub fn of(live: impl IntoIterator<Item = (f64, f64, f64, bool)>) -> Self {
        let (mut all, mut honest) = ([vec![], vec![], vec![]], [vec![], vec![], vec![]]);
        for (r, t, q, is_honest) in live {
            for (column, v) in all.iter_mut().zip([r, t, q]) {
                column.push(v);
            }
            if is_honest {
                for (column, v) in honest.iter_mut().zip([r, t, q]) {
                    column.push(v);
                }
            }
        }
        Self {
            all: Agreement::of(&all[0], &all[1], &all[2]),
            honest: Agreement::of(&honest[0], &honest[1], &honest[2]),
        }
    }

    /// Ranking accuracy of R and T against true quality over the live identities of
    /// `bidders` (indexed by agent id), as `engine` scores them now.
    pub fn of_live(bidders: &[Bidder], engine: &ReputationEngine) -> Self {
        Self::of(live(bidders).map(|(id, b)| {
            (
                engine.reputation(id),
                engine.trust(id),
                b.quality,
                b.kind == Kind::Honest,
            )
        }))
    }

    /// `(column name, value)` in output order: the four measures over all identities
    /// (`kendall_r_all`, …), then over honest ones (`kendall_r_honest`, …).
    pub fn columns(&self) -> Vec<(String, Option<f64>)> {
        [("all", &self.all), ("honest", &self.honest)]
            .into_iter()
            .flat_map(|(set, a)| {
                a.columns()
                    .into_iter()
                    .map(move |(m, v)| (format!("{m}_{set}"), v))
            })
            .collect()
    }
}

/// The live (still bidding) identities of `bidders`, with their ids.
fn live(bidders: &[Bidder]) -> impl Iterator<Item = (AgentId, &Bidder)> {
    let all = bidders.iter().enumerate();
    all.filter(|(_, b)| b.active)
        .map(|(index, b)| (AgentId(index as u32), b))
}

/// The 90th percentiles of R and of T over the live identities of `bidders` (none without
/// any): the top decile camouflage gamers wait for (`agents::whitewash`).
pub fn top_decile(bidders: &[Bidder], engine: &ReputationEngine) -> Option<(f64, f64)> {
    let (mut r, mut t): (Vec<f64>, Vec<f64>) = live(bidders)
        .map(|(id, _)| (engine.reputation(id), engine.trust(id)))
        .unzip();
    if r.is_empty() {
        return None;
    }
    let k = (r.len() * 9 / 10).min(r.len() - 1);
    let r90 = *r.select_nth_unstable_by(k, f64::total_cmp).1;
    let t90 = *t.select_nth_unstable_by(k, f64::total_cmp).1;
    Some((r90, t90))
}

/// A `u64` whose unsigned order is `f64::total_cmp`'s order of `v` (equal exactly when
/// `total_cmp` says equal): sorting and merging plain integers is several times faster than
/// comparing floats by `total_cmp`, and the counts below are the same.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    // Negative values: flip every bit (larger magnitude sorts lower); positive: flip the sign.
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Kendall's τ-b of the pairs `(x[i], y[i])`, in [−1, 1]: 1 when the orderings agree on every
/// pair, −1 when they are reversed. `None` when it is undefined (fewer than two pairs, or
/// one scoring is constant). Values must not be NaN.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(x.len(), y.len(), "paired scorings");
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mut pairs: Vec<(u64, u64)> = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| (order_key(a), order_key(b)))
        .collect();
    pairs.sort_unstable();
    let pairs_of = |t: u64| t * (t.saturating_sub(1)) / 2;
    // Ties in x (n1) and joint ties in (x, y) (n3), counted over runs of the sorted pairs.
    let (mut n1, mut n3) = (0u64, 0u64);
    let (mut run_x, mut run_xy) = (1u64, 1u64);
    for w in pairs.windows(2) {
        if w[0].0 == w[1].0 {
            run_x += 1;
            if w[0].1 == w[1].1 {
                run_xy += 1;
            } else {
                n3 += pairs_of(run_xy);
                run_xy = 1;
            }
        } else {
            n1 += pairs_of(run_x);
            n3 += pairs_of(run_xy);
            run_x = 1;
            run_xy = 1;
        }
    }
    n1 += pairs_of(run_x);
    n3 += pairs_of(run_xy);
    // Discordant pairs: inversions of y in x order (merge sort; ties in y are not inversions).
    let ys: Vec<u64> = pairs.iter().map(|p| p.1).collect();
    let (ys, swaps) = merge_count(ys);
    // Ties in y (n2), over the now sorted y.
    let mut n2 = 0u64;
    let mut run_y = 1u64;
    for w in ys.windows(2) {
        if w[0] == w[1] {
            run_y += 1;
        } else {
            n2 += pairs_of(run_y);
            run_y = 1;
        }
    }
    n2 += pairs_of(run_y);
    let n0 = pairs_of(n as u64);
    let denominator = ((n0 - n1) as f64) * ((n0 - n2) as f64);
    if denominator == 0.0 {
        return None;
    }
    // concordant − discordant = n0 − n1 − n2 + n3 − 2 × discordant.
    let s = n0 as i128 - n1 as i128 - n2 as i128 + n3 as i128 - 2 * swaps as i128;
    Some((s as f64 / denominator.sqrt()).clamp(-1.0, 1.0))
}

/// Sorts `v` ascending and returns it with the number of strict inversions (`i < j`,
/// `v[i] > v[j]`): bottom-up merge sort, runs of width 1, 2, 4, … merged from one buffer into
/// the other (no copying back).
fn merge_count(mut v: Vec<u64>) -> (Vec<u64>, u64) {
    let n = v.len();
    let mut out = vec![0; n];
    let mut count = 0u64;
    let mut width = 1;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in &mut out[start..end] {
                if j < end && (i == mid || v[j] < v[i]) {
                    *slot = v[j];
                    count += (mid - i) as u64;
                    j += 1;
                } else {
                    *slot = v[i];
                    i += 1;
                }
            }
        }
        std::mem::swap(&mut v, &mut out);
        width *= 2;
    }
    (v, count)
}

/// Mid-ranks (1-based; tied values share the mean of their positions) of `values`.
pub fn mid_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<(u64, u32)> = (values.iter().enumerate())
        .map(|(i, &v)| (order_key(v), i as u32))
        .collect();
    // Ties share one rank, so their relative order does not matter.
    order.sort_unstable_by_key(|&(key, _)| key);
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        // Positions start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &(_, i) in &order[start..end] {
            ranks[i as usize] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's footrule distance Σ |rank_x(i) − rank_y(i)| (mid-ranks), **normalised** by its
/// maximum over permutations, ⌊n²/2⌋: 0 when the orderings agree, 1 when one reverses the
/// other. `None` with fewer than two pairs.
pub fn footrule(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(x.len(), y.len(), "paired scorings");
    (x.len() >= 2).then(|| footrule_of_ranks(&mid_ranks(x), &mid_ranks(y)))
}

/// [`footrule`] of two scorings' mid-ranks (at least two each).
fn footrule_of_ranks(rx: &[f64], ry: &[f64]) -> f64 {
    let n = rx.len();
    let distance: f64 = rx.iter().zip(ry).map(|(a, b)| (a - b).abs()).sum();
    distance / ((n * n / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// τ-b from its definition, over all pairs.
    fn naive_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
        let n = x.len();
        let (mut s, mut tx, mut ty, mut pairs) = (0i64, 0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                let a = (x[i] - x[j]).signum() as i64 * i64::from(x[i] != x[j]);
                let b = (y[i] - y[j]).signum() as i64 * i64::from(y[i] != y[j]);
                s += a * b;
                pairs += 1;
                tx += i64::from(a == 0);
                ty += i64::from(b == 0);
            }
        }
        let d = ((pairs - tx) as f64 * (pairs - ty) as f64).sqrt();
        (n >= 2 && d > 0.0).then(|| s as f64 / d)
    }

    /// Footrule with mid-ranks computed by counting.
    fn naive_footrule(x: &[f64], y: &[f64]) -> Option<f64> {
        let rank = |v: &[f64], i: usize| {
            let below = v.iter().filter(|&&w| w < v[i]).count() as f64;
            let equal = v.iter().filter(|&&w| w == v[i]).count() as f64;
            below + (equal + 1.0) / 2.0
        };
        let n = x.len();
        (n >= 2).then(|| {
            (0..n).map(|i| (rank(x, i) - rank(y, i)).abs()).sum::<f64>() / ((n * n / 2) as f64)
        })
    }

    /// Small integer-valued scores, so that ties are frequent.
    fn scores() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (0usize..40).prop_flat_map(|n| {
            (
                proptest::collection::vec((0u8..6).prop_map(f64::from), n),
                proptest::collection::vec((0u8..6).prop_map(f64::from), n),
            )
        })
    }

    proptest! {
        #[test]
        fn order_keys_order_as_total_cmp(a in any::<f64>(), b in any::<f64>()) {
            prop_assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b));
        }

        #[test]
        fn merge_count_sorts_and_counts_strict_inversions(v in proptest::collection::vec(0u64..6, 0..70)) {
            let inversions = (0..v.len())
                .flat_map(|i| (i + 1..v.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| v[i] > v[j])
                .count() as u64;
            let mut sorted = v.clone();
            sorted.sort_unstable();
            prop_assert_eq!(merge_count(v), (sorted, inversions));
        }
    }

    #[test]
    fn order_keys_of_signed_zeros_and_extremes() {
        let values = [
            f64::NEG_INFINITY,
            -1.5,
            -0.0,
            0.0,
            1e-300,
            2.0,
            f64::INFINITY,
        ];
        for w in values.windows(2) {
            assert!(order_key(w[0]) < order_key(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    proptest! {
        #[test]
        fn tau_b_matches_the_pairwise_definition((x, y) in scores()) {
            match (kendall_tau_b(&x, &y), naive_tau_b(&x, &y)) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12, "{a} vs {b}"),
                (a, b) => prop_assert_eq!(a, b),
            }
        }

        #[test]
        fn footrule_matches_counted_ranks_and_stays_in_unit_range((x, y) in scores()) {
            let (a, b) = (footrule(&x, &y), naive_footrule(&x, &y));
            prop_assert_eq!(a.is_some(), b.is_some());
            if let (Some(a), Some(b)) = (a, b) {
                prop_assert!((a - b).abs() < 1e-12);
                prop_assert!((0.0..=1.0).contains(&a));
            }
        }
    }

    #[test]
    fn identical_and_reversed_orderings_are_the_extremes() {
        let x = [0.1, 0.5, 0.3, 0.9, 0.7];
        let reversed: Vec<f64> = x.iter().map(|v| -v).collect();
        assert_eq!(kendall_tau_b(&x, &x), Some(1.0));
        assert_eq!(kendall_tau_b(&x, &reversed), Some(-1.0));
        assert_eq!(footrule(&x, &x), Some(0.0));
        assert_eq!(footrule(&x, &reversed), Some(1.0));
        assert_eq!(kendall_tau_b(&x, &[1.0; 5]), None);
        assert_eq!(kendall_tau_b(&[1.0], &[2.0]), None);
    }

    #[test]
    fn hand_worked_tau_b_with_ties() {
        // x = 1 2 2 3, y = 1 3 2 3: concordant 4, discordant 0, x-ties 1, y-ties 1 of 6 pairs.
        let t = kendall_tau_b(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 3.0]).unwrap();
        assert!((t - 4.0 / 5.0).abs() < 1e-12);
    }
}

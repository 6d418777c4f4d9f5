//! Ranking accuracy (issue 11): does the mechanism *order* agents correctly, not only estimate
//! them closely? Kendall τ-b and the normalised Spearman footrule distance between two
//! scorings of the same identities (e.g. reputation R and true quality).
//!
//! Every sample sorts the live identities' R, T and true quality once each ([`LiveOrders`],
//! issue 15): a stable radix sort of `u64` keys whose order is `f64::total_cmp`'s. All the
//! measures, over all live identities and over honest ones, and the top decile, read those
//! three orders (a subset's order is the full order filtered, which stays sorted):
//!
//! ```text
//!   live (R, T, quality) ──radix sort──▶ order by R, by T, by quality ──filter──▶ honest orders
//!        each order ──runs of equal keys──▶ mid-ranks and tied pairs
//!        ranks of R (or T) in quality order, ties sorted ──Fenwick tree──▶ discordant pairs
//! ```
//!
//! A sample costs three linear sorts and O(n log n) for the Fenwick counts. Ties are handled:
//! τ-b corrects for ties in either scoring; the footrule uses mid-ranks.

use super::radix_sort;
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

/// A scoring sorted: `(order_key(score), position)` by ascending key.
type Order = Vec<(u64, u32)>;

/// Which of [`LiveOrders`]' three orders.
const R: usize = 0;
const T: usize = 1;
const QUALITY: usize = 2;

/// What a sample reads from the live identities' sorted scores.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LiveMeasures {
    /// Ranking accuracy of R and T, over all live identities and over honest ones.
    pub ranking: RankingAccuracy,
    /// The 90th percentiles of R and of T (none without any live identity): the top decile
    /// camouflage gamers wait for (`agents::whitewash`).
    pub top_decile: Option<(f64, f64)>,
}

/// The live identities' R, T and true quality, each sorted once per sample, and the buffers
/// of the measures read from them: kept by the world across samples, so that sampling
/// allocates nothing once they have grown.
#[derive(Debug, Default)]
pub struct LiveOrders {
    /// By R, by T, by true quality; positions index the identities measured, first all live
    /// ones, then (filtered in place) the honest ones.
    orders: [Order; 3],
    /// Position among the honest identities of each live one (`u32::MAX`: not honest).
    honest_position: Vec<u32>,
    /// The radix sort's other buffer.
    buffer: Order,
    /// Twice the mid-rank of each identity of the set being measured, per scoring.
    twice_ranks: [Vec<u32>; 3],
    /// R's (or T's) halved twice mid-ranks in true-quality order, and the inversion count's
    /// tree.
    sequence: [Vec<u32>; 2],
}

impl LiveOrders {
    /// The measures of the live identities of `bidders` (indexed by agent id), scored by R
    /// and T as `engine` scores them now, against their true quality.
    pub fn measure_live(&mut self, bidders: &[Bidder], engine: &ReputationEngine) -> LiveMeasures {
        let live = bidders.iter().enumerate().filter(|(_, b)| b.active);
        self.measure(live.map(|(index, b)| {
            let id = AgentId(index as u32);
            let honest = b.kind == Kind::Honest;
            (engine.reputation(id), engine.trust(id), b.quality, honest)
        }))
    }

    /// The measures of identities given as `(R, T, true quality, honest)`.
    pub fn measure(
        &mut self,
        live: impl IntoIterator<Item = (f64, f64, f64, bool)>,
    ) -> LiveMeasures {
        for order in &mut self.orders {
            order.clear();
        }
        self.honest_position.clear();
        let mut honest = 0;
        for ((r, t, quality, is_honest), position) in live.into_iter().zip(0u32..) {
            for (order, v) in self.orders.iter_mut().zip([r, t, quality]) {
                order.push((order_key(v), position));
            }
            self.honest_position
                .push(if is_honest { honest } else { u32::MAX });
            honest += u32::from(is_honest);
        }
        // Twice a mid-rank must fit a u32.
        assert!(self.honest_position.len() < 1 << 31, "too many identities");
        for order in &mut self.orders {
            self.buffer.resize(order.len(), (0, 0));
            if radix_sort::sort_by_key(order, &mut self.buffer, |&(key, _)| key) {
                std::mem::swap(order, &mut self.buffer);
            }
        }
        let top_decile = self.top_decile();
        let all = agreement(&self.orders, &mut self.twice_ranks, &mut self.sequence);
        // Filtering a sorted order keeps it sorted.
        for order in &mut self.orders {
            order.retain_mut(|(_, p)| {
                *p = self.honest_position[*p as usize];
                *p != u32::MAX
            });
        }
        let honest = agreement(&self.orders, &mut self.twice_ranks, &mut self.sequence);
        LiveMeasures {
            ranking: RankingAccuracy { all, honest },
            top_decile,
        }
    }

    /// The 90th percentiles of R and of T over the sorted identities.
    fn top_decile(&self) -> Option<(f64, f64)> {
        let n = self.orders[R].len();
        // The element a selection at k by `total_cmp` would return: keys are one-to-one.
        let k = (n * 9 / 10).min(n.checked_sub(1)?);
        let at = |s: usize| value_of_key(self.orders[s][k].0);
        Some((at(R), at(T)))
    }
}

/// The agreement of R and T with true quality, given the three sorted orders of one set.
fn agreement(
    orders: &[Order; 3],
    twice_ranks: &mut [Vec<u32>; 3],
    sequence: &mut [Vec<u32>; 2],
) -> Agreement {
    if orders[QUALITY].len() < 2 {
        return Agreement::default();
    }
    let mut tied = [0; 3];
    for ((order, ranks), tied) in orders.iter().zip(twice_ranks.iter_mut()).zip(&mut tied) {
        *tied = twice_mid_ranks(order, ranks);
    }
    let quality = (&orders[QUALITY], tied[QUALITY], &twice_ranks[QUALITY]);
    let kendall = |s: usize, sequence: &mut [Vec<u32>; 2]| {
        tau_b(&twice_ranks[s], tied[s], quality.0, quality.1, sequence)
    };
    Agreement {
        kendall_r: kendall(R, sequence),
        kendall_t: kendall(T, sequence),
        footrule_r: Some(footrule(&twice_ranks[R], quality.2)),
        footrule_t: Some(footrule(&twice_ranks[T], quality.2)),
    }
}

/// A `u64` whose unsigned order is `f64::total_cmp`'s order of `v` (equal exactly when
/// `total_cmp` says equal, so −0.0 sorts below 0.0): sorting plain integers is several times
/// faster than comparing floats by `total_cmp`, and the order is the same.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    // Negative values: flip every bit (larger magnitude sorts lower); positive: flip the sign.
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value whose [`order_key`] is `key`.
fn value_of_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key ^ 1 << 63 } else { !key })
}

/// Pairs among `t` items.
fn pairs_of(t: u64) -> u64 {
    t * t.saturating_sub(1) / 2
}

/// Writes twice the mid-rank (1-based; tied values share the mean of their positions) of
/// each identity of a sorted `order` into `ranks[position]`, and returns the number of tied
/// pairs. Twice a mid-rank is an integer, and it orders the identities as the scores do.
fn twice_mid_ranks(order: &[(u64, u32)], ranks: &mut Vec<u32>) -> u64 {
    ranks.resize(order.len(), 0);
    let (mut start, mut tied) = (0, 0);
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        // Positions start+1 ..= end share their mean.
        let end = start + run.len();
        for &(_, p) in run {
            ranks[p as usize] = (start + 1 + end) as u32;
        }
        tied += pairs_of(run.len() as u64);
        start = end;
    }
    tied
}

/// Kendall's τ-b of the pairs (x, y), in [−1, 1]: 1 when the orderings agree on every pair,
/// −1 when they are reversed; `None` when one scoring is constant. From x's twice mid-ranks
/// (by position) and tied pairs, and y's sorted order (at least two) and tied pairs.
fn tau_b(
    x_ranks: &[u32],
    x_tied: u64,
    y_order: &[(u64, u32)],
    y_tied: u64,
    [sequence, tree]: &mut [Vec<u32>; 2],
) -> Option<f64> {
    let n0 = pairs_of(y_order.len() as u64);
    // x in (y, x) order: x's ranks in y order, each run of tied y sorted by x; pairs tied in
    // both are tied runs there. Halved (rounding down), twice mid-ranks keep their order and
    // ties, since distinct ones differ by at least 2, and lie in 1..=n.
    sequence.clear();
    sequence.extend(y_order.iter().map(|&(_, p)| x_ranks[p as usize] >> 1));
    let (mut start, mut joint) = (0, 0);
    for run in y_order.chunk_by(|a, b| a.0 == b.0) {
        let xs = &mut sequence[start..start + run.len()];
        start += run.len();
        if xs.len() > 1 {
            xs.sort_unstable();
            joint += (xs.chunk_by(|a, b| a == b))
                .map(|tie| pairs_of(tie.len() as u64))
                .sum::<u64>();
        }
    }
    // Discordant pairs: strict inversions of x in (y, x) order.
    let discordant = inversions(sequence, y_order.len() as u32, tree);
    let denominator = ((n0 - x_tied) as f64) * ((n0 - y_tied) as f64);
    if denominator == 0.0 {
        return None;
    }
    // concordant − discordant = n0 − x ties − y ties + joint ties − 2 × discordant.
    let s = n0 as i128 - x_tied as i128 - y_tied as i128 + joint as i128 - 2 * discordant as i128;
    Some((s as f64 / denominator.sqrt()).clamp(-1.0, 1.0))
}

/// The number of strict inversions (`i < j`, `v[i] > v[j]`) of `v`, whose values lie in
/// `1..=max`: a Fenwick tree of the values seen so far gives, for each value, how many earlier
/// ones are not above it. `tree` is scratch.
fn inversions(v: &[u32], max: u32, tree: &mut Vec<u32>) -> u64 {
    tree.clear();
    tree.resize(max as usize + 1, 0);
    let mut count = 0;
    for (seen, &x) in v.iter().enumerate() {
        let (mut at_most, mut i) = (0, x as usize);
        while i > 0 {
            at_most += tree[i];
            i &= i - 1;
        }
        count += (seen - at_most as usize) as u64;
        let mut i = x as usize;
        while i < tree.len() {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    count
}

/// Spearman's footrule distance Σ |rank_x(i) − rank_y(i)| (mid-ranks, given twice),
/// **normalised** by its maximum over permutations, ⌊n²/2⌋: 0 when the orderings agree, 1
/// when one reverses the other. At least two identities.
fn footrule(twice_x: &[u32], twice_y: &[u32]) -> f64 {
    let n = twice_x.len();
    let distance: f64 = (twice_x.iter().zip(twice_y))
        .map(|(&a, &b)| (f64::from(a) / 2.0 - f64::from(b) / 2.0).abs())
        .sum();
    distance / ((n * n / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The measures over one set, through [`LiveOrders`] (every identity honest).
    fn agreement_of(r: &[f64], t: &[f64], q: &[f64]) -> Agreement {
        let live = (0..q.len()).map(|i| (r[i], t[i], q[i], true));
        let accuracy = LiveOrders::default().measure(live).ranking;
        assert_eq!(accuracy.all, accuracy.honest);
        accuracy.all
    }

    /// τ-b from its definition, over all pairs compared by `total_cmp` (the order the keys
    /// keep), with the same final formula: the same bits.
    fn naive_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
        let n = x.len();
        let (mut s, mut tx, mut ty, mut pairs) = (0i64, 0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                let a = x[i].total_cmp(&x[j]) as i64;
                let b = y[i].total_cmp(&y[j]) as i64;
                s += a * b;
                pairs += 1;
                tx += i64::from(a == 0);
                ty += i64::from(b == 0);
            }
        }
        let d = ((pairs - tx) as f64) * ((pairs - ty) as f64);
        (n >= 2 && d != 0.0).then(|| (s as f64 / d.sqrt()).clamp(-1.0, 1.0))
    }

    /// Mid-ranks by counting (`total_cmp`), summed in input order: the same bits.
    fn naive_footrule(x: &[f64], y: &[f64]) -> Option<f64> {
        let rank = |v: &[f64], i: usize| {
            let below = v.iter().filter(|w| w.total_cmp(&v[i]).is_lt()).count() as f64;
            let equal = v.iter().filter(|w| w.total_cmp(&v[i]).is_eq()).count() as f64;
            below + (equal + 1.0) / 2.0
        };
        let n = x.len();
        (n >= 2).then(|| {
            (0..n).map(|i| (rank(x, i) - rank(y, i)).abs()).sum::<f64>() / ((n * n / 2) as f64)
        })
    }

    /// The 90th percentiles by selection, as the top decile was first computed.
    fn selected_top_decile(mut r: Vec<f64>, mut t: Vec<f64>) -> Option<(f64, f64)> {
        let k = (r.len() * 9 / 10).min(r.len().checked_sub(1)?);
        let r90 = *r.select_nth_unstable_by(k, f64::total_cmp).1;
        let t90 = *t.select_nth_unstable_by(k, f64::total_cmp).1;
        Some((r90, t90))
    }

    /// A score with many ties: a few small integers, signed zeros, or any finite value.
    fn score() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0u8..6).prop_map(f64::from),
            Just(0.0),
            Just(-0.0),
            -1e6f64..1e6,
        ]
    }

    /// `(R, T, true quality, honest)` of up to 60 identities.
    fn identities() -> impl Strategy<Value = Vec<(f64, f64, f64, bool)>> {
        proptest::collection::vec((score(), score(), score(), any::<bool>()), 0..60)
    }

    fn bits(v: Option<f64>) -> Option<u64> {
        v.map(f64::to_bits)
    }

    proptest! {
        #[test]
        fn order_keys_order_as_total_cmp(a in any::<f64>(), b in any::<f64>()) {
            prop_assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b));
            prop_assert_eq!(value_of_key(order_key(a)).to_bits(), a.to_bits());
        }

        #[test]
        fn inversions_are_the_pairwise_count(v in proptest::collection::vec(1u32..9, 0..70)) {
            let pairwise = (0..v.len())
                .flat_map(|i| (i + 1..v.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| v[i] > v[j])
                .count() as u64;
            prop_assert_eq!(inversions(&v, 8, &mut vec![7; 3]), pairwise);
        }

        /// Every measure over all identities and over honest ones, and the top decile, are
        /// bit for bit the pairwise definitions' (and the selection's).
        #[test]
        fn live_orders_match_the_definitions_bit_for_bit(live in identities()) {
            let mut orders = LiveOrders::default();
            // Twice with the same buffers, to check that nothing stale is read.
            orders.measure(live.iter().rev().copied());
            let measures = orders.measure(live.iter().copied());
            let accuracy = measures.ranking;
            for (a, honest_only) in [(accuracy.all, false), (accuracy.honest, true)] {
                let set: Vec<_> = live.iter().filter(|l| l.3 || !honest_only).collect();
                let column = |f: fn(&(f64, f64, f64, bool)) -> f64| -> Vec<f64> {
                    set.iter().map(|&l| f(l)).collect()
                };
                let (r, t, q) = (column(|l| l.0), column(|l| l.1), column(|l| l.2));
                prop_assert_eq!(bits(a.kendall_r), bits(naive_tau_b(&r, &q)));
                prop_assert_eq!(bits(a.kendall_t), bits(naive_tau_b(&t, &q)));
                prop_assert_eq!(bits(a.footrule_r), bits(naive_footrule(&r, &q)));
                prop_assert_eq!(bits(a.footrule_t), bits(naive_footrule(&t, &q)));
                if let Some(f) = a.footrule_r {
                    prop_assert!((0.0..=1.0).contains(&f));
                }
            }
            let (r, t) = live.iter().map(|l| (l.0, l.1)).unzip();
            let expected = selected_top_decile(r, t).map(|(r, t)| (r.to_bits(), t.to_bits()));
            prop_assert_eq!(measures.top_decile.map(|(r, t)| (r.to_bits(), t.to_bits())), expected);
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

    #[test]
    fn identical_and_reversed_orderings_are_the_extremes() {
        let x = [0.1, 0.5, 0.3, 0.9, 0.7];
        let reversed: Vec<f64> = x.iter().map(|v| -v).collect();
        let a = agreement_of(&x, &reversed, &x);
        assert_eq!((a.kendall_r, a.footrule_r), (Some(1.0), Some(0.0)));
        assert_eq!((a.kendall_t, a.footrule_t), (Some(-1.0), Some(1.0)));
        assert_eq!(agreement_of(&x, &x, &[1.0; 5]).kendall_r, None);
        assert_eq!(agreement_of(&[1.0], &[1.0], &[2.0]), Agreement::default());
    }

    #[test]
    fn hand_worked_tau_b_with_ties() {
        // x = 1 2 2 3, y = 1 3 2 3: concordant 4, discordant 0, x-ties 1, y-ties 1 of 6 pairs.
        let x = [1.0, 2.0, 2.0, 3.0];
        let t = agreement_of(&x, &x, &[1.0, 3.0, 2.0, 3.0])
            .kendall_r
            .unwrap();
        assert!((t - 4.0 / 5.0).abs() < 1e-12);
    }

    #[test]
    fn top_decile_of_no_identity_is_none() {
        assert_eq!(LiveOrders::default().measure([]), LiveMeasures::default());
    }
}

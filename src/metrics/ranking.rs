//! Ranking accuracy (issue 11): does the mechanism *order* agents correctly, not only estimate
//! them closely? Kendall τ-b and the normalised Spearman footrule distance between two
//! scorings of the same identities (e.g. reputation R and true quality).
//!
//! Every sample sorts the live identities' true quality, R and T in turn ([`LiveOrders`],
//! issue 15), each once, by a radix sort of `u64` keys whose order is `f64::total_cmp`'s. One
//! pass over a sorted order gives every identity's mid-rank among all live identities and
//! among honest ones (the honest members of a run of equal keys are a run of the honest
//! order), so the honest measures need no second sort:
//!
//! ```text
//!   quality ──radix sort──▶ quality order, twice mid-ranks (all, honest)     kept
//!   R, then T ──radix sort──▶ top decile; twice mid-ranks (all, honest) ──▶ footrule
//!        ranks in quality order, tied runs sorted ──Fenwick tree──▶ discordant pairs ──▶ τ-b
//! ```
//!
//! A sample costs three linear sorts and O(n log n) for the Fenwick counts (one tree up to
//! 2^17 identities, two small ones above: `inversions`), in 36 bytes per live identity (the
//! sort's entries and buffer, 24, reused for R's or T's ranks and the τ-b scratch; the quality
//! order and ranks, 12). Ties are handled: τ-b corrects for ties in either scoring; the
//! footrule uses mid-ranks. No measure needs a stable sort (the radix sort is): tied
//! identities share a mid-rank, tied runs are sorted before counting, and the top decile reads
//! keys only.

use std::iter;

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

/// An identity's [`order_key`] in two halves (high, low) and its position among the live
/// identities, [`HONEST`] set for an honest one: 12 bytes, no padding.
type Entry = [u32; 3];

/// The flag of an honest identity's position (positions stay below 2^30).
const HONEST: u32 = 1 << 31;

/// The flag, in the quality order, of an identity whose quality equals the previous one's.
const TIED: u32 = 1 << 30;

/// Twice an identity's mid-rank among all live identities ([`ALL`]) and among honest ones
/// ([`HONEST_ONLY`]; 0 for an identity that is not honest).
type Ranks = [u32; 2];

/// The sets measured: indexes of [`Ranks`].
const ALL: usize = 0;
const HONEST_ONLY: usize = 1;

/// What a sample reads from the live identities' sorted scores.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LiveMeasures {
    /// Ranking accuracy of R and T, over all live identities and over honest ones.
    pub ranking: RankingAccuracy,
    /// The 90th percentiles of R and of T (none without any live identity): the top decile
    /// camouflage gamers wait for (`agents::whitewash`).
    pub top_decile: Option<(f64, f64)>,
}

/// The buffers of the measures of the live identities' sorted scores: kept by the world
/// across samples, so that sampling allocates nothing once they have grown (36 bytes per live
/// identity).
#[derive(Debug, Default)]
pub struct LiveOrders {
    /// Two halves of at least three `u32` per identity: the radix sort's [`Entry`]s and its
    /// buffer; once R (or T) is sorted, its [`Ranks`] by position in the half not holding the
    /// sorted entries, and the τ-b sequence and inversion count's scratch in the other.
    work: Vec<u32>,
    /// Positions in true-quality order, with [`HONEST`] and [`TIED`] set where they apply.
    quality_order: Vec<u32>,
    /// The [`Ranks`] of true quality, by position.
    quality_ranks: Vec<Ranks>,
}

/// True quality's order, ranks and tied pairs (all, honest), as τ-b and the footrule read them.
struct Quality<'a> {
    order: &'a [u32],
    ranks: &'a [Ranks],
    tied: [u64; 2],
}

impl LiveOrders {
    /// The buffer the measures sort in, lent out between samples: the payouts'
    /// concentration sorts in it too, so that a sample keeps one such buffer, not two
    /// (issue 15). Its contents are not kept from one use to the next.
    pub fn work_buffer(&mut self) -> &mut Vec<u32> {
        &mut self.work
    }

    /// The measures of the live identities of `bidders` (indexed by agent id), scored by R
    /// and T as `engine` scores them now, against their true quality.
    pub fn measure_live(&mut self, bidders: &[Bidder], engine: &ReputationEngine) -> LiveMeasures {
        self.measure(|| {
            let live = bidders.iter().enumerate().filter(|(_, b)| b.active);
            live.map(|(index, b)| {
                let id = AgentId(index as u32);
                let honest = b.kind == Kind::Honest;
                (engine.reputation(id), engine.trust(id), b.quality, honest)
            })
        })
    }

    /// The measures of identities given as `(R, T, true quality, honest)`: `live` is read
    /// once per scoring and must give the same identities, in the same order, every time.
    pub fn measure<I>(&mut self, live: impl Fn() -> I) -> LiveMeasures
    where
        I: IntoIterator<Item = (f64, f64, f64, bool)>,
    {
        // True quality's entries first, in the first half, counting the identities.
        self.work.clear();
        for ((_, _, quality, honest), p) in live().into_iter().zip(0u32..) {
            self.work.extend_from_slice(&entry(quality, honest, p));
        }
        let n = self.work.len() / 3;
        // Twice a mid-rank must fit a u32, and a position must leave two flag bits free.
        assert!(n < 1 << 30, "too many identities");
        self.work.resize(2 * work_half(n), 0);
        let (sorted, _) = sort_entries(&mut self.work, n);
        let sorted = entries(sorted, n);
        self.quality_order.clear();
        let tied = iter::once(false).chain(sorted.windows(2).map(|w| w[0][..2] == w[1][..2]));
        let flag = |tied| if tied { TIED } else { 0 };
        (self.quality_order).extend(sorted.iter().zip(tied).map(|(e, t)| e[2] | flag(t)));
        self.quality_ranks.resize(n, [0; 2]);
        let quality = Quality {
            tied: twice_mid_ranks(sorted, &mut self.quality_ranks),
            order: &self.quality_order,
            ranks: &self.quality_ranks,
        };
        let honest = quality.order.iter().filter(|&&p| p & HONEST != 0).count();
        let sizes = [n, honest];
        // The element a selection at k by `total_cmp` would return: keys are one-to-one.
        let k = (n * 9 / 10).min(n.saturating_sub(1));
        let (mut ranking, mut top_decile) = (RankingAccuracy::default(), [0.0; 2]);
        let scorings: [fn(_) -> f64; 2] = [|(r, _, _, _)| r, |(_, t, _, _)| t];
        for (s, score) in scorings.into_iter().enumerate() {
            let (scratch, other) = sort_by_score(&mut self.work, n, &live, score);
            let sorted = entries(scratch, n);
            if n > 0 {
                top_decile[s] = value_of_key(entry_key(&sorted[k]));
            }
            let ranks = &mut other.as_chunks_mut().0[..n];
            let tied = twice_mid_ranks(sorted, ranks);
            for (set, agreement) in [(ALL, &mut ranking.all), (HONEST_ONLY, &mut ranking.honest)] {
                if sizes[set] < 2 {
                    continue;
                }
                let kendall = tau_b(ranks, tied[set], &quality, set, sizes[set], scratch);
                let footrule = Some(footrule(ranks, quality.ranks, set, sizes[set]));
                if s == 0 {
                    (agreement.kendall_r, agreement.footrule_r) = (kendall, footrule);
                } else {
                    (agreement.kendall_t, agreement.footrule_t) = (kendall, footrule);
                }
            }
        }
        LiveMeasures {
            ranking,
            top_decile: (n > 0).then_some((top_decile[0], top_decile[1])),
        }
    }
}

/// The length of each half of [`LiveOrders::work`] for `n` identities: `n` entries, or the
/// τ-b sequence and inversion count's scratch of any set of at most `n` identities.
fn work_half(n: usize) -> usize {
    (3 * n).max(n + inversions_scratch(n as u32))
}

/// The [`Entry`] of the identity at `position` with `score`.
fn entry(score: f64, honest: bool, position: u32) -> Entry {
    let key = order_key(score);
    let flag = if honest { HONEST } else { 0 };
    [(key >> 32) as u32, key as u32, position | flag]
}

/// Sorts the `n` live identities by `score` in `work`'s two halves: returns the half whose
/// first `3 × n` values hold the sorted [`Entry`]s, then the other half, left scrambled.
fn sort_by_score<'w, I>(
    work: &'w mut [u32],
    n: usize,
    live: &impl Fn() -> I,
    score: impl Fn((f64, f64, f64, bool)) -> f64,
) -> (&'w mut [u32], &'w mut [u32])
where
    I: IntoIterator<Item = (f64, f64, f64, bool)>,
{
    let v = &mut work.as_chunks_mut().0[..n];
    let mut filled = 0;
    for ((e, identity), position) in v.iter_mut().zip(live()).zip(0u32..) {
        *e = entry(score(identity), identity.3, position);
        filled += 1;
    }
    assert_eq!(filled, n, "the same live identities for every scoring");
    sort_entries(work, n)
}

/// Sorts the `n` [`Entry`]s at the start of `work`'s first half, the second half as the
/// buffer: returns the half holding them sorted, then the other one.
fn sort_entries(work: &mut [u32], n: usize) -> (&mut [u32], &mut [u32]) {
    let (a, b) = work.split_at_mut(work.len() / 2);
    let (v, buffer) = (&mut a.as_chunks_mut().0[..n], &mut b.as_chunks_mut().0[..n]);
    if radix_sort::sort_by_key(v, buffer, entry_key) {
        (b, a)
    } else {
        (a, b)
    }
}

/// The first `n` [`Entry`]s of a half of the work buffer.
fn entries(half: &[u32], n: usize) -> &[Entry] {
    &half.as_chunks().0[..n]
}

/// The [`order_key`] of an [`Entry`].
fn entry_key(e: &Entry) -> u64 {
    u64::from(e[0]) << 32 | u64::from(e[1])
}

/// The position of an [`Entry`] (or of a quality order's element), without its flags.
fn position(p: u32) -> usize {
    (p & !(HONEST | TIED)) as usize
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
/// each identity of the `sorted` entries into `ranks[position]`, among all identities and
/// among honest ones, and returns the number of tied pairs among each. Twice a mid-rank is an
/// integer, and it orders the identities as the scores do.
fn twice_mid_ranks(sorted: &[Entry], ranks: &mut [Ranks]) -> [u64; 2] {
    let (mut start, mut tied) = ([0u32; 2], [0; 2]);
    for run in sorted.chunk_by(|a, b| a[..2] == b[..2]) {
        let honest = run.iter().filter(|e| e[2] & HONEST != 0).count() as u32;
        // Positions start+1 ..= end share their mean, in each set.
        let end = [start[ALL] + run.len() as u32, start[HONEST_ONLY] + honest];
        let twice = [0, 1].map(|set| start[set] + 1 + end[set]);
        for e in run {
            let honest_rank = if e[2] & HONEST != 0 {
                twice[HONEST_ONLY]
            } else {
                0
            };
            ranks[position(e[2])] = [twice[ALL], honest_rank];
        }
        for set in [ALL, HONEST_ONLY] {
            tied[set] += pairs_of(u64::from(end[set] - start[set]));
        }
        start = end;
    }
    tied
}

/// Kendall's τ-b of the pairs (x, y) over `set` (its `size` identities, at least two), in
/// [−1, 1]: 1 when the orderings agree on every pair, −1 when they are reversed; `None` when
/// one scoring is constant. From x's ranks (by position) and tied pairs, and true quality's
/// order, ranks and tied pairs; `scratch` holds at least `size + inversions_scratch(size)`
/// values.
fn tau_b(
    x_ranks: &[Ranks],
    x_tied: u64,
    quality: &Quality,
    set: usize,
    size: usize,
    scratch: &mut [u32],
) -> Option<f64> {
    let n0 = pairs_of(size as u64);
    let y_tied = quality.tied[set];
    let denominator = ((n0 - x_tied) as f64) * ((n0 - y_tied) as f64);
    if denominator == 0.0 {
        return None; // a constant scoring (every R at its prior, say): no pair to count
    }
    let (sequence, rest) = scratch.split_at_mut(size);
    // x in (y, x) order: x's ranks in y order, each run of tied y sorted by x; pairs tied in
    // both are tied runs there. Halved (rounding down), twice mid-ranks keep their order and
    // ties, since distinct ones differ by at least 2, and lie in 1..=size.
    let (mut run_start, mut i, mut joint) = (0, 0, 0);
    for &p in quality.order {
        if p & TIED == 0 {
            joint += sort_tied_run(&mut sequence[run_start..i]);
            run_start = i;
        }
        if set == ALL || p & HONEST != 0 {
            sequence[i] = x_ranks[position(p)][set] >> 1;
            i += 1;
        }
    }
    joint += sort_tied_run(&mut sequence[run_start..i]);
    // Discordant pairs: strict inversions of x in (y, x) order.
    let discordant = inversions(sequence, size as u32, rest);
    // concordant − discordant = n0 − x ties − y ties + joint ties − 2 × discordant.
    let s = n0 as i128 - x_tied as i128 - y_tied as i128 + joint as i128 - 2 * discordant as i128;
    Some((s as f64 / denominator.sqrt()).clamp(-1.0, 1.0))
}

/// Sorts the x ranks of a run of tied y, and returns the pairs tied in x too.
fn sort_tied_run(xs: &mut [u32]) -> u64 {
    if xs.len() < 2 {
        return 0;
    }
    xs.sort_unstable();
    (xs.chunk_by(|a, b| a == b))
        .map(|tie| pairs_of(tie.len() as u64))
        .sum()
}

/// The number of strict inversions (`i < j`, `v[i] > v[j]`) of `v`, whose values lie in
/// `1..=max` (at most `max` of them), with `scratch` at least [`inversions_scratch`]`(max)`
/// long. Each value is split into a high and a low digit of about half its bits: pairs whose
/// high digits differ are counted by a Fenwick tree over the high digits, then the values are
/// grouped by high digit (a stable counting sort) and the pairs within each group counted by a
/// Fenwick tree over the low digits. Both trees stay small (≈ √max entries) and in cache,
/// where one tree over all values would miss it at 10^6 identities; up to 2^17 values, the one
/// tree stays in cache and counts every pair.
fn inversions(v: &[u32], max: u32, scratch: &mut [u32]) -> u64 {
    let (low_bits, highs, tree_len) = digits_of(max);
    let (grouped, rest) = scratch.split_at_mut(v.len());
    let (tree, next) = rest.split_at_mut(tree_len);
    let high = |x: u32| (x >> low_bits) as usize;
    let mut count = fenwick_inversions(v.iter().map(|&x| high(x)), &mut tree[..=highs]);
    if low_bits == 0 {
        return count; // one tree counted every pair
    }
    let next = &mut next[..highs];
    // Each high digit's first slot, then the values grouped in their order.
    next.fill(0);
    for &x in v {
        next[high(x)] += 1;
    }
    let mut start = 0;
    for slot in next.iter_mut() {
        (*slot, start) = (start, start + *slot);
    }
    for &x in v {
        grouped[next[high(x)] as usize] = x;
        next[high(x)] += 1;
    }
    let low_tree = &mut tree[..=1 << low_bits];
    for group in grouped.chunk_by(|&a, &b| high(a) == high(b)) {
        if group.len() > 1 {
            let low = group.iter().map(|&x| (x & ((1 << low_bits) - 1)) as usize);
            count += fenwick_inversions(low, low_tree);
        }
    }
    count
}

/// Values of at most this many bits are counted by one Fenwick tree (512 KiB, in L2 cache).
const ONE_TREE_BITS: u32 = 17;

/// How [`inversions`] splits values in `1..=max`: the low digit's bits, the number of high
/// digits and the trees' length (one slot more). Up to [`ONE_TREE_BITS`], no low digit: the
/// high digit is the value (`max + 1` of them). Above, the low digit has half the bits, rounded
/// down, and the high digits are a power of two, not below the low digits' number.
fn digits_of(max: u32) -> (u32, usize, usize) {
    let bits = u32::BITS - max.leading_zeros();
    let (low_bits, highs) = if bits <= ONE_TREE_BITS {
        (0, max as usize + 1)
    } else {
        (bits / 2, 1 << (bits - bits / 2))
    };
    (low_bits, highs, highs + 1)
}

/// The scratch length [`inversions`] needs for at most `max` values in `1..=max`: the grouped
/// values, the tree and (with two digits) each high digit's next slot. At most `3 × max + 2`,
/// and below `3 × max` with two digits, so that `n + inversions_scratch(n)` values also serve
/// any `size ≤ n` as `size + inversions_scratch(size)`.
fn inversions_scratch(max: u32) -> usize {
    let (low_bits, highs, tree_len) = digits_of(max);
    let next = if low_bits == 0 { 0 } else { highs };
    max as usize + tree_len + next
}

/// The number of strict inversions of the values `v`, in `0..tree.len() - 1`: a Fenwick tree
/// of the values seen so far gives, for each value, how many earlier ones are not above it.
fn fenwick_inversions(v: impl Iterator<Item = usize>, tree: &mut [u32]) -> u64 {
    tree.fill(0);
    let mut count = 0;
    for (seen, x) in v.enumerate() {
        let (mut at_most, mut i) = (0, x + 1);
        while i > 0 {
            at_most += tree[i];
            i &= i - 1;
        }
        count += (seen - at_most as usize) as u64;
        let mut i = x + 1;
        while i < tree.len() {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    count
}

/// Spearman's footrule distance Σ |rank_x(i) − rank_y(i)| over `set` (mid-ranks, given
/// twice; summed in position order), **normalised** by its maximum over permutations,
/// ⌊size²/2⌋: 0 when the orderings agree, 1 when one reverses the other. At least two
/// identities.
fn footrule(twice_x: &[Ranks], twice_y: &[Ranks], set: usize, size: usize) -> f64 {
    let members = (twice_x.iter().zip(twice_y)).filter(|(x, _)| x[set] != 0);
    let distance: f64 = members
        .map(|(x, y)| (f64::from(x[set]) / 2.0 - f64::from(y[set]) / 2.0).abs())
        .sum();
    distance / ((size * size / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The measures over one set, through [`LiveOrders`] (every identity honest).
    fn agreement_of(r: &[f64], t: &[f64], q: &[f64]) -> Agreement {
        let live = || (0..q.len()).map(|i| (r[i], t[i], q[i], true));
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
        /// Values up to `max`, often among few distinct ones, with ties: `max` below 2^12
        /// (one tree) or from 2^17 to 2^20 (two digits, both varying).
        fn inversions_are_the_pairwise_count(
            (max, v) in prop_oneof![1u32..1 << 12, (1u32 << 17)..1 << 20].prop_flat_map(|max| {
                let value = prop_oneof![1..=max.min(9), 1..=max, Just(max)];
                (Just(max), proptest::collection::vec(value, 0..70))
            })
        ) {
            let pairwise = (0..v.len())
                .flat_map(|i| (i + 1..v.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| v[i] > v[j])
                .count() as u64;
            // Stale scratch (with room for more than `max` values): nothing read before
            // written.
            let mut scratch = vec![7; inversions_scratch(max) + v.len()];
            prop_assert_eq!(inversions(&v, max, &mut scratch), pairwise);
        }

        /// Every measure over all identities and over honest ones, and the top decile, are
        /// bit for bit the pairwise definitions' (and the selection's).
        #[test]
        fn live_orders_match_the_definitions_bit_for_bit(live in identities()) {
            let mut orders = LiveOrders::default();
            // Twice with the same buffers, to check that nothing stale is read.
            orders.measure(|| live.iter().rev().copied());
            let measures = orders.measure(|| live.iter().copied());
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
    fn the_work_half_holds_the_tau_b_scratch_of_every_smaller_set() {
        let mut largest = 0;
        for n in 1..1 << 19 {
            largest = largest.max(n + inversions_scratch(n as u32));
            assert!(largest <= work_half(n), "{n}");
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
        // Every R at the same value (a run's first sample): no τ-b, the footrule still.
        let prior = agreement_of(&[0.5; 5], &x, &x);
        assert_eq!((prior.kendall_r, prior.kendall_t), (None, Some(1.0)));
        assert_eq!(prior.footrule_r, Some(6.0 / 12.0)); // Σ |3 − rank| over ranks 1..=5
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
        assert_eq!(
            LiveOrders::default().measure(|| []),
            LiveMeasures::default()
        );
    }
}

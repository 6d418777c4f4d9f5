//! In-place MSD radix sort by a `u64` key (issue 15): the timeseries sample sorts every live
//! identity's scores and every identity's earnings, and a radix sort does that in a few linear
//! passes instead of O(n log n) comparisons, without a second buffer as large as the input.
//!
//! Each level looks at the highest bits in which the keys of its slice still differ (bits
//! every key shares are skipped: earnings leave their high bits zero, scores in [0, 1] their
//! sign and most of their exponent), counts the keys per digit of up to 11 of those bits,
//! and permutes the slice in place into its buckets (American flag sort: each swap puts one
//! element into its bucket). Buckets are sorted the same way on the bits below; small
//! slices by the standard unstable sort. Not stable: equal keys may come out in any order.
//!
//! ```text
//!   keys ─differing bits─▶ top digit ─count─▶ bucket bounds ─swaps─▶ [b0][b1]…[bk]
//!                                                 each bucket ─▶ the same on the bits below
//! ```

/// At most this many bits per digit (2,048 buckets), and at least `MIN_DIGIT`: every level
/// consumes that many bits at least, so there are at most ⌈64 / 6⌉ = 11 levels of two
/// 8 KiB counter arrays on the stack.
const DIGIT: u32 = 11;
const MIN_DIGIT: u32 = 6;

/// Slices this short are left to the standard unstable sort.
const SMALL: usize = 64;

/// Sorts `v` (fewer than 2^32 elements) by `key`, ascending, in place. Not stable.
pub(crate) fn sort_by_key<T: Copy>(v: &mut [T], key: impl Fn(&T) -> u64 + Copy) {
    assert!(u32::try_from(v.len()).is_ok(), "fewer than 2^32 elements");
    if v.len() <= SMALL {
        v.sort_unstable_by_key(key);
        return;
    }
    let first = key(&v[0]);
    let differing = v.iter().fold(0, |bits, x| bits | (key(x) ^ first));
    if differing == 0 {
        return; // every key equal
    }
    // The digit: the highest differing bit and up to DIGIT − 1 below it, fewer for a short
    // slice (about SMALL elements per bucket).
    let top = u64::BITS - differing.leading_zeros();
    let width = (usize::BITS - (v.len() / SMALL).leading_zeros()).clamp(MIN_DIGIT, DIGIT);
    let shift = top.saturating_sub(width);
    let mask = (1 << (top - shift)) - 1;
    let digit = |x: &T| (key(x) >> shift) as usize & mask;
    let buckets = mask + 1;
    // Each bucket's end, then its next free slot (starting at its start).
    let mut end = [0u32; 1 << DIGIT];
    for x in v.iter() {
        end[digit(x)] += 1;
    }
    let mut next = [0u32; 1 << DIGIT];
    let mut total = 0;
    for (end, next) in end[..buckets].iter_mut().zip(&mut next) {
        (*next, total) = (total, total + *end);
        *end = total;
    }
    for b in 0..buckets {
        while next[b] < end[b] {
            let d = digit(&v[next[b] as usize]);
            v.swap(next[b] as usize, next[d] as usize);
            next[d] += 1;
        }
    }
    if shift > 0 {
        let mut start = 0;
        for &end in &end[..buckets] {
            let end = end as usize;
            sort_by_key(&mut v[start..end], key);
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Keys with few distinct values in every digit (many ties, constant and varying digits).
    fn keys() -> impl Strategy<Value = Vec<u64>> {
        let key =
            (0u64..4, 0u64..3, any::<u64>(), 0u64..3).prop_map(
                |(lo, mid, wide, pick)| match pick {
                    0 => lo | mid << 24 | 0xbf << 56,
                    1 => wide >> (lo * 16),
                    _ => (lo as f64 / 3.0 + mid as f64).to_bits() ^ wide >> 60,
                },
            );
        proptest::collection::vec(key, 0..3000)
    }

    proptest! {
        /// The same keys as the standard sort's, and the same multiset of elements.
        #[test]
        fn sorts_as_the_standard_sort(keys in keys()) {
            let mut v: Vec<(u64, usize)> = keys.iter().copied().zip(0..).collect();
            let mut expected = v.clone();
            expected.sort_by_key(|&(k, _)| k);
            sort_by_key(&mut v, |&(k, _)| k);
            let sorted_keys: Vec<u64> = v.iter().map(|&(k, _)| k).collect();
            let expected_keys: Vec<u64> = expected.iter().map(|&(k, _)| k).collect();
            prop_assert_eq!(sorted_keys, expected_keys);
            v.sort_unstable();
            expected.sort_unstable();
            prop_assert_eq!(v, expected);
        }
    }

    #[test]
    fn empty_single_constant_and_wide_inputs() {
        let mut v = [7u64; 500];
        sort_by_key(&mut v, |&k| k);
        assert_eq!(v, [7; 500]);
        sort_by_key(&mut [] as &mut [u64], |&k| k);
        // Every bit differs somewhere: the top bit and the lowest one both split.
        let mut v: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let mut expected = v.clone();
        expected.sort_unstable();
        sort_by_key(&mut v, |&k| k);
        assert_eq!(v, expected);
    }
}

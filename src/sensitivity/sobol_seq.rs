//! Sobol' low-discrepancy points in `[0, 1)^d`, optionally scrambled.
//!
//! Points come in Gray-code order (Antonov–Saleev), as in Joe and Kuo's generator and SciPy's
//! `qmc.Sobol`: unscrambled, point 0 is the origin and point `i` differs from point `i − 1`
//! by one direction number per dimension. Coordinates have 32 bits.
//!
//! Scrambling is Matoušek's linear matrix scramble plus a random digital shift (the scheme
//! SciPy applies with `scramble=True`): each dimension's generator matrix `C` becomes `L·C`
//! with `L` a random lower-triangular binary matrix with a unit diagonal, and every point of
//! that dimension is XOR-ed with a random 32-bit shift. Both keep the (t, m, s)-net property,
//! so the first `2^m` points stay balanced, and make the points a randomised QMC sample
//! (no point at the origin, unbiased estimates). The bits come from the caller's RNG.

use super::joe_kuo::JOE_KUO;
use rand::RngCore;

/// The most dimensions this generator has direction numbers for.
pub const MAX_DIMENSIONS: usize = JOE_KUO.len() + 1;

const BITS: usize = 32;

/// A Sobol' sequence generator of a fixed dimension.
#[derive(Debug, Clone)]
pub struct SobolSequence {
    /// Per dimension, the 32 direction numbers (columns of the generator matrix, MSB first).
    directions: Vec<[u32; BITS]>,
    /// Per dimension, the digital shift (0 when unscrambled).
    shift: Vec<u32>,
}

/// The direction numbers of dimension `dim` (0-based), from the Joe–Kuo recurrence.
fn directions(dim: usize) -> [u32; BITS] {
    let mut v = [0u32; BITS];
    if dim == 0 {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1 << (BITS - 1 - k);
        }
        return v;
    }
    let (a, m) = JOE_KUO[dim - 1];
    let s = m.len();
    for i in 0..BITS {
        v[i] = if i < s {
            m[i] << (BITS - 1 - i)
        } else {
            let mut x = v[i - s] ^ (v[i - s] >> s);
            for k in 1..s {
                if (a >> (s - 1 - k)) & 1 == 1 {
                    x ^= v[i - k];
                }
            }
            x
        };
    }
    v
}

impl SobolSequence {
    /// The plain (unscrambled) sequence of `dimensions` dimensions.
    ///
    /// # Panics
    /// If `dimensions` is 0 or above [`MAX_DIMENSIONS`] (callers validate it first).
    pub fn new(dimensions: usize) -> Self {
        assert!(
            (1..=MAX_DIMENSIONS).contains(&dimensions),
            "Sobol' dimension {dimensions} outside 1..={MAX_DIMENSIONS}"
        );
        Self {
            directions: (0..dimensions).map(directions).collect(),
            shift: vec![0; dimensions],
        }
    }

    /// The sequence scrambled by a random linear matrix scramble and digital shift drawn
    /// from `rng` (dimension by dimension: 32 rows of `L`, then the shift).
    pub fn scrambled(dimensions: usize, rng: &mut impl RngCore) -> Self {
        let mut seq = Self::new(dimensions);
        for (v, shift) in seq.directions.iter_mut().zip(&mut seq.shift) {
            // Row r of L (r = 0 is the most significant bit): a 1 on the diagonal and random
            // bits strictly above it in significance (to its left in the matrix).
            let rows: Vec<u32> = (0..BITS)
                .map(|r| {
                    let left = if r == 0 { 0 } else { u32::MAX << (BITS - r) };
                    (1 << (BITS - 1 - r)) | (rng.next_u32() & left)
                })
                .collect();
            for column in v.iter_mut() {
                let c = *column;
                *column = rows.iter().enumerate().fold(0, |acc, (r, row)| {
                    acc | (((row & c).count_ones() & 1) << (BITS - 1 - r))
                });
            }
            *shift = rng.next_u32();
        }
        seq
    }

    /// The first `n` points, each a vector of coordinates in `[0, 1)`.
    pub fn points(&self, n: usize) -> Vec<Vec<f64>> {
        let scale = 1.0 / (1u64 << BITS) as f64;
        let mut x: Vec<u32> = self.shift.clone();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if i > 0 {
                let c = (i - 1).trailing_ones() as usize;
                for (xj, v) in x.iter_mut().zip(&self.directions) {
                    *xj ^= v[c];
                }
            }
            out.push(x.iter().map(|&b| f64::from(b) * scale).collect());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Unscrambled points equal SciPy 1.17's `qmc.Sobol(d=128, scramble=False)` (same table).
    #[test]
    fn plain_points_match_scipy() {
        let pts = SobolSequence::new(128).points(12346);
        let cols = [0, 1, 2, 9, 50, 100, 127];
        let golden: [(usize, [f64; 7]); 4] = [
            (2, [0.75, 0.25, 0.25, 0.75, 0.25, 0.25, 0.25]),
            (5, [0.875, 0.875, 0.125, 0.125, 0.625, 0.125, 0.125]),
            (
                1000,
                [
                    0.2197265625,
                    0.0966796875,
                    0.5185546875,
                    0.0693359375,
                    0.3525390625,
                    0.7685546875,
                    0.5439453125,
                ],
            ),
            (
                12345,
                [
                    0.64093017578125,
                    0.81341552734375,
                    0.16033935546875,
                    0.42962646484375,
                    0.77142333984375,
                    0.53948974609375,
                    0.64251708984375,
                ],
            ),
        ];
        for (i, want) in golden {
            let got: Vec<f64> = cols.iter().map(|&c| pts[i][c]).collect();
            assert_eq!(got, want, "point {i}");
        }
        let sum: f64 = pts[..1024].iter().flatten().sum();
        assert_eq!(sum, 65472.0);
    }

    /// Scrambled or not, the first 2^m points of every dimension are balanced: each of the
    /// 2^m intervals [k/2^m, (k+1)/2^m) holds exactly one point (the net property).
    #[test]
    fn first_power_of_two_points_are_balanced_per_dimension() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for seq in [
            SobolSequence::new(40),
            SobolSequence::scrambled(40, &mut rng),
        ] {
            let n = 256;
            let pts = seq.points(n);
            for d in 0..40 {
                let mut cells: Vec<usize> =
                    pts.iter().map(|p| (p[d] * n as f64) as usize).collect();
                cells.sort_unstable();
                assert_eq!(cells, (0..n).collect::<Vec<_>>(), "dimension {d}");
            }
            // Two-dimensional balance of the first pair: 16 × 16 cells, one point each.
            let mut cells: Vec<usize> = pts
                .iter()
                .map(|p| (p[0] * 16.0) as usize * 16 + (p[1] * 16.0) as usize)
                .collect();
            cells.sort_unstable();
            assert_eq!(cells, (0..256).collect::<Vec<_>>());
        }
    }

    #[test]
    fn scrambling_depends_on_the_rng_and_avoids_the_origin() {
        let draw =
            |seed| SobolSequence::scrambled(4, &mut ChaCha8Rng::seed_from_u64(seed)).points(8);
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        assert!(draw(1)[0].iter().all(|&x| x > 0.0));
    }
}

//! Saltelli's sampling scheme: from `N` base points of dimension `2D` (matrix A = the first
//! `D` coordinates, B = the last `D`), the rows to evaluate, in SALib's order:
//!
//! ```text
//! per base point i:  A_i, AB_i^1 … AB_i^D, [BA_i^1 … BA_i^D], B_i
//!   AB^j = A with column j taken from B;  BA^j = B with column j taken from A
//!   N(2D + 2) rows with second-order indices, N(D + 2) without
//! ```
//!
//! (Saltelli 2002, Computer Physics Communications 145: 280–297; Saltelli et al. 2010,
//! CPC 181: 259–270.) The same order as SALib's `sample.sobol.sample`, so a sweep's outputs in
//! point order are what `SALib.analyze.sobol.analyze` expects.

/// Rows per base point: `2D + 2` with second-order indices, `D + 2` without.
pub fn rows_per_point(d: usize, second_order: bool) -> usize {
    if second_order { 2 * d + 2 } else { d + 2 }
}

/// The Saltelli rows of `base` (each row of length `2D`), in the order above.
pub fn matrix(base: &[Vec<f64>], d: usize, second_order: bool) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(base.len() * rows_per_point(d, second_order));
    for row in base {
        assert_eq!(row.len(), 2 * d, "a base point has 2D coordinates");
        let (a, b) = row.split_at(d);
        out.push(a.to_vec());
        for j in 0..d {
            let mut ab = a.to_vec();
            ab[j] = b[j];
            out.push(ab);
        }
        if second_order {
            for j in 0..d {
                let mut ba = b.to_vec();
                ba[j] = a[j];
                out.push(ba);
            }
        }
        out.push(b.to_vec());
    }
    out
}

/// Outputs of a Saltelli design split back into its blocks (each of length `N`).
#[derive(Debug, Clone, PartialEq)]
pub struct Blocks {
    /// f(A).
    pub a: Vec<f64>,
    /// f(B).
    pub b: Vec<f64>,
    /// f(AB^j) for each j.
    pub ab: Vec<Vec<f64>>,
    /// f(BA^j) for each j (empty without second-order rows).
    pub ba: Vec<Vec<f64>>,
}

/// Splits the outputs `y` of [`matrix`]'s rows into blocks.
///
/// # Panics
/// If `y.len()` is not a multiple of [`rows_per_point`] (the caller's design guarantees it).
pub fn split(y: &[f64], d: usize, second_order: bool) -> Blocks {
    let step = rows_per_point(d, second_order);
    assert!(
        y.len().is_multiple_of(step) && !y.is_empty(),
        "{} outputs are not whole Saltelli blocks of {step}",
        y.len()
    );
    let col =
        |offset: usize| -> Vec<f64> { y.iter().skip(offset).step_by(step).copied().collect() };
    Blocks {
        a: col(0),
        b: col(step - 1),
        ab: (0..d).map(|j| col(1 + j)).collect(),
        ba: if second_order {
            (0..d).map(|j| col(1 + d + j)).collect()
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix against a direct construction from its definition, with and without the
    /// second-order rows, and `split` as its inverse on the rows' identities.
    #[test]
    fn rows_are_a_ab_ba_b_per_base_point() {
        let d = 3;
        // Coordinates encode (point, column, from A or B).
        let base: Vec<Vec<f64>> = (0..4)
            .map(|i| (0..2 * d).map(|c| (i * 100 + c) as f64).collect())
            .collect();
        for second in [false, true] {
            let m = matrix(&base, d, second);
            assert_eq!(m.len(), 4 * rows_per_point(d, second));
            let mut expected = Vec::new();
            for i in 0..4 {
                let a = |j: usize| (i * 100 + j) as f64;
                let b = |j: usize| (i * 100 + d + j) as f64;
                expected.push((0..d).map(a).collect::<Vec<_>>());
                for k in 0..d {
                    expected.push((0..d).map(|j| if j == k { b(j) } else { a(j) }).collect());
                }
                if second {
                    for k in 0..d {
                        expected.push((0..d).map(|j| if j == k { a(j) } else { b(j) }).collect());
                    }
                }
                expected.push((0..d).map(b).collect());
            }
            assert_eq!(m, expected);
            // Output = the row's index: blocks pick the right rows.
            let y: Vec<f64> = (0..m.len()).map(|r| r as f64).collect();
            let blocks = split(&y, d, second);
            let step = rows_per_point(d, second) as f64;
            assert_eq!(
                blocks.a,
                (0..4).map(|i| i as f64 * step).collect::<Vec<_>>()
            );
            assert_eq!(
                blocks.b,
                (0..4)
                    .map(|i| i as f64 * step + step - 1.0)
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                blocks.ab[2],
                (0..4).map(|i| i as f64 * step + 3.0).collect::<Vec<_>>()
            );
            assert_eq!(blocks.ba.len(), if second { d } else { 0 });
            if second {
                assert_eq!(
                    blocks.ba[0],
                    (0..4).map(|i| i as f64 * step + 4.0).collect::<Vec<_>>()
                );
            }
        }
    }
}

//! Detection as a classifier (issue 11): a suspicion score judged against ground truth.
//!
//! Positives are adversary identities, negatives honest ones; a higher score means "more
//! suspicious". Classifying as positive every identity whose score is ≥ a threshold, and
//! lowering the threshold through every distinct score, traces the ROC curve from (0, 0) to
//! (1, 1). Its area (trapezoids) equals the Mann–Whitney probability that a random positive
//! scores above a random negative, ties counted half.

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// Scores ≥ this are classified positive (`+∞` for the first point, (0, 0)).
    pub threshold: f64,
    /// False-positive rate: share of negatives at or above the threshold.
    pub fpr: f64,
    /// True-positive rate: share of positives at or above the threshold.
    pub tpr: f64,
}

/// A ROC curve with its area.
#[derive(Debug, Clone, PartialEq)]
pub struct Roc {
    /// Points by decreasing threshold, from (0, 0) to (1, 1).
    pub points: Vec<RocPoint>,
    /// Area under the curve, in [0, 1]: 1 perfect, 0.5 no better than chance (or a constant
    /// score), 0 perfectly reversed.
    pub auc: f64,
}

impl Roc {
    /// The ROC of `positives` against `negatives`; `None` when either is empty. Scores must
    /// not be NaN (`−∞` is allowed: "no evidence").
    pub fn of(positives: &[f64], negatives: &[f64]) -> Option<Roc> {
        if positives.is_empty() || negatives.is_empty() {
            return None;
        }
        let mut all: Vec<(f64, bool)> = positives
            .iter()
            .map(|&s| (s, true))
            .chain(negatives.iter().map(|&s| (s, false)))
            .collect();
        all.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let (np, nn) = (positives.len() as f64, negatives.len() as f64);
        let mut points = vec![RocPoint {
            threshold: f64::INFINITY,
            fpr: 0.0,
            tpr: 0.0,
        }];
        let (mut tp, mut fp) = (0u64, 0u64);
        let mut area2 = 0u128; // twice the area, in units of 1 / (np × nn): exact
        let mut i = 0;
        while i < all.len() {
            let threshold = all[i].0;
            let (tp0, fp0) = (tp, fp);
            while i < all.len() && all[i].0.total_cmp(&threshold).is_eq() {
                if all[i].1 {
                    tp += 1;
                } else {
                    fp += 1;
                }
                i += 1;
            }
            area2 += u128::from(fp - fp0) * u128::from(tp + tp0);
            points.push(RocPoint {
                threshold,
                fpr: fp as f64 / nn,
                tpr: tp as f64 / np,
            });
        }
        Some(Roc {
            points,
            auc: area2 as f64 / (2.0 * np * nn),
        })
    }

    /// The highest TPR among the curve's points with FPR ≤ `max_fpr` (no interpolation
    /// between points: a threshold that is actually attainable).
    pub fn tpr_at_fpr(&self, max_fpr: f64) -> f64 {
        self.points
            .iter()
            .filter(|p| p.fpr <= max_fpr)
            .map(|p| p.tpr)
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn perfect_reversed_and_constant_scores() {
        let perfect = Roc::of(&[0.9, 0.8, 0.7], &[0.1, 0.2]).unwrap();
        assert_eq!(perfect.auc, 1.0);
        assert_eq!(perfect.tpr_at_fpr(0.01), 1.0);
        let reversed = Roc::of(&[0.1, 0.2], &[0.9, 0.8, 0.7]).unwrap();
        assert_eq!(reversed.auc, 0.0);
        assert_eq!(reversed.tpr_at_fpr(0.01), 0.0);
        let constant = Roc::of(&[0.5; 4], &[0.5; 7]).unwrap();
        assert_eq!(constant.auc, 0.5);
        assert_eq!(constant.points.len(), 2);
        assert_eq!(Roc::of(&[], &[1.0]), None);
    }

    #[test]
    fn points_run_from_origin_to_one_one() {
        let roc = Roc::of(&[3.0, 1.0], &[2.0, f64::NEG_INFINITY]).unwrap();
        let pts: Vec<(f64, f64)> = roc.points.iter().map(|p| (p.fpr, p.tpr)).collect();
        assert_eq!(
            pts,
            vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
        assert_eq!(roc.auc, 0.75);
        assert_eq!(roc.tpr_at_fpr(0.01), 0.5);
    }

    proptest! {
        #[test]
        fn auc_is_the_pairwise_win_probability_ties_half(
            pos in proptest::collection::vec((0u8..5).prop_map(f64::from), 1..30),
            neg in proptest::collection::vec((0u8..5).prop_map(f64::from), 1..30),
        ) {
            let mut wins = 0.0;
            for p in &pos {
                for n in &neg {
                    wins += if p > n { 1.0 } else if p == n { 0.5 } else { 0.0 };
                }
            }
            let naive = wins / (pos.len() * neg.len()) as f64;
            let roc = Roc::of(&pos, &neg).unwrap();
            prop_assert!((roc.auc - naive).abs() < 1e-12);
            // The curve is monotone and ends at (1, 1).
            prop_assert!(roc.points.windows(2).all(|w| w[0].fpr <= w[1].fpr && w[0].tpr <= w[1].tpr));
            let last = roc.points.last().unwrap();
            prop_assert_eq!((last.fpr, last.tpr), (1.0, 1.0));
            // TPR at a pivot: the best true-positive rate of any threshold within the pivot.
            let best = (0..=5).map(f64::from).chain([f64::INFINITY]).filter(|&t| {
                neg.iter().filter(|&&s| s >= t).count() as f64 <= 0.25 * neg.len() as f64
            }).map(|t| pos.iter().filter(|&&s| s >= t).count() as f64 / pos.len() as f64)
              .fold(0.0, f64::max);
            prop_assert_eq!(roc.tpr_at_fpr(0.25), best);
        }
    }
}

//! Quality vectors and dimension weights (SPEC §6, paper §8.1–§8.2, §8.7).

use thiserror::Error;

/// Number of quality dimensions: accuracy, completeness, timeliness, communication,
/// efficiency, innovation (paper §8.1).
pub const DIMENSIONS: usize = 6;

/// Names of the quality dimensions, in vector order.
pub const DIMENSION_NAMES: [&str; DIMENSIONS] = [
    "accuracy",
    "completeness",
    "timeliness",
    "communication",
    "efficiency",
    "innovation",
];

/// Why a quality vector or a weight vector was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QualityError {
    /// A score is NaN, infinite or outside [0, 1].
    #[error("quality score {value} in dimension {dimension} is not a number in [0, 1]")]
    ScoreOutOfRange {
        /// Index of the offending dimension.
        dimension: usize,
        /// The offending value.
        value: f64,
    },
    /// A weight is negative, NaN or infinite.
    #[error("weight {value} in dimension {dimension} is not a finite non-negative number")]
    NegativeWeight {
        /// Index of the offending dimension.
        dimension: usize,
        /// The offending value.
        value: f64,
    },
    /// The weights do not sum to 1 within ±0.001 (paper §8.7).
    #[error("weights sum to {sum}, not 1 (±0.001)")]
    WeightSum {
        /// The actual sum.
        sum: f64,
    },
}

/// A validated quality vector `q ∈ [0,1]^6` (SPEC §6). Every component is finite and in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityVector([f64; DIMENSIONS]);

impl QualityVector {
    /// Validates the scores: each must be a finite number in [0, 1].
    pub fn new(scores: [f64; DIMENSIONS]) -> Result<Self, QualityError> {
        for (dimension, &value) in scores.iter().enumerate() {
            if !(0.0..=1.0).contains(&value) {
                return Err(QualityError::ScoreOutOfRange { dimension, value });
            }
        }
        Ok(Self(scores))
    }

    /// A vector with every dimension at `score` clamped into [0, 1] (NaN becomes 0).
    pub fn clamped(scores: [f64; DIMENSIONS]) -> Self {
        Self(scores.map(|s| if s.is_nan() { 0.0 } else { s.clamp(0.0, 1.0) }))
    }

    /// The scores, in dimension order.
    #[inline]
    pub fn scores(&self) -> &[f64; DIMENSIONS] {
        &self.0
    }

    /// The smallest score (used by the streak detectors).
    #[inline]
    pub fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// A validated weight vector: non-negative, summing to 1 within ±0.001 (paper §8.7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights([f64; DIMENSIONS]);

impl Weights {
    /// Validates the weights (non-negative, finite, `|Σw − 1| < 0.001`).
    pub fn new(weights: [f64; DIMENSIONS]) -> Result<Self, QualityError> {
        for (dimension, &value) in weights.iter().enumerate() {
            if !(value.is_finite() && value >= 0.0) {
                return Err(QualityError::NegativeWeight { dimension, value });
            }
        }
        let sum: f64 = weights.iter().sum();
        if (sum - 1.0).abs() >= 0.001 {
            return Err(QualityError::WeightSum { sum });
        }
        Ok(Self(weights))
    }

    /// The uniform default, 1/6 per dimension (paper §8.2).
    pub fn uniform() -> Self {
        Self([1.0 / DIMENSIONS as f64; DIMENSIONS])
    }

    /// The weights, in dimension order.
    #[inline]
    pub fn values(&self) -> &[f64; DIMENSIONS] {
        &self.0
    }

    /// The inner product `⟨w, q⟩` (paper §8.3).
    #[inline]
    pub fn dot(&self, q: &QualityVector) -> f64 {
        self.0.iter().zip(q.scores()).map(|(w, s)| w * s).sum()
    }
}

impl Default for Weights {
    fn default() -> Self {
        Self::uniform()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_refuses_nan_and_out_of_range() {
        assert!(QualityVector::new([0.5; 6]).is_ok());
        let mut bad = [0.5; 6];
        bad[3] = f64::NAN;
        assert!(matches!(
            QualityVector::new(bad),
            Err(QualityError::ScoreOutOfRange { dimension: 3, .. })
        ));
        bad[3] = 1.0000001;
        assert!(QualityVector::new(bad).is_err());
        bad[3] = -0.0001;
        assert!(QualityVector::new(bad).is_err());
    }

    #[test]
    fn weights_must_be_nonnegative_and_sum_to_one() {
        assert!(Weights::new([0.5, 0.5, 0.0, 0.0, 0.0, 0.0]).is_ok());
        assert!(Weights::new([0.2; 6]).is_err()); // sums to 1.2
        assert!(Weights::new([0.6, 0.6, -0.2, 0.0, 0.0, 0.0]).is_err());
        assert!(Weights::new([0.1666, 0.1666, 0.1666, 0.1666, 0.1666, 0.1666]).is_ok()); // 0.9996
        assert!(Weights::new([0.1665, 0.1665, 0.1665, 0.1665, 0.1665, 0.1665]).is_err()); // 0.999
    }

    #[test]
    fn dot_is_the_weighted_mean() {
        let q = QualityVector::new([0.95, 0.90, 0.97, 0.88, 0.91, 0.82]).unwrap();
        let r = Weights::uniform().dot(&q);
        assert!((r - 5.43 / 6.0).abs() < 1e-12);
    }
}

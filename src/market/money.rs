//! Integer credits (SPEC §3: "Money is integer credits").
//!
//! [`Credits`] wraps a `u64`: a balance can never be negative by construction, and every
//! arithmetic helper is checked, so an overflow or underflow is an error the caller must handle
//! rather than a silent wrap.

use std::fmt;
use std::iter::Sum;

/// An amount of credits. Non-negative by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Credits(pub u64);

impl Credits {
    /// Zero credits.
    pub const ZERO: Credits = Credits(0);

    /// `self + rhs`, or `None` on overflow.
    #[inline]
    pub fn checked_add(self, rhs: Credits) -> Option<Credits> {
        self.0.checked_add(rhs.0).map(Credits)
    }

    /// `self - rhs`, or `None` if the result would be negative.
    #[inline]
    pub fn checked_sub(self, rhs: Credits) -> Option<Credits> {
        self.0.checked_sub(rhs.0).map(Credits)
    }

    /// `self * factor`, or `None` on overflow.
    #[inline]
    pub fn checked_mul(self, factor: u64) -> Option<Credits> {
        self.0.checked_mul(factor).map(Credits)
    }

    /// The amount as a float, for metrics only (never for accounting).
    #[inline]
    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }

    /// Whether the amount is zero.
    #[inline]
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Sum for Credits {
    /// Sums credits; panics on overflow, which would mean more than 1.8e19 credits exist.
    fn sum<I: Iterator<Item = Credits>>(iter: I) -> Credits {
        iter.fold(Credits::ZERO, |a, b| {
            a.checked_add(b).expect("credit total overflows u64")
        })
    }
}

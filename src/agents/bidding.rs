//! Bidding strategies (SPEC §7, seed 002: truthful, strategic, conservative, aggressive): what
//! an agent does to its ask and to the confidence it states, after its kind's behaviour has
//! set them ([`behaviour::ask`](super::behaviour::ask)). README "Bidding strategies".
//!
//! | strategy | price asked | confidence stated |
//! |---|---|---|
//! | truthful | unchanged | unchanged |
//! | conservative | × 1.25 (a safety margin) | × 0.75 (under-promises) |
//! | aggressive | × 0.8 (undercuts, below cost for an honest agent) | 1.0 (over-promises) |
//! | strategic | raised so its cost functional stays the same at confidence 1.0, at most the budget | 1.0 |
//!
//! Strategic exploits the cost functional `price / (1 + c × R)` (SPEC §2): stating c = 1
//! instead of its truthful c lets it ask `price × (1 + R) / (1 + c × R)` and still rank where
//! its truthful bid ranked. The agent's own R is what it reads as the market's view of it.

use crate::market::Credits;

/// Price multiplier of a conservative bid.
pub const CONSERVATIVE_MARGIN: f64 = 1.25;
/// Confidence multiplier of a conservative bid.
pub const CONSERVATIVE_CONFIDENCE: f64 = 0.75;
/// Price multiplier of an aggressive bid.
pub const AGGRESSIVE_DISCOUNT: f64 = 0.8;

/// A bidding strategy (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bidding {
    /// The ask and confidence its behaviour gives.
    #[default]
    Truthful,
    /// Full confidence, price raised to keep its cost functional.
    Strategic,
    /// Higher price, lower confidence.
    Conservative,
    /// Lower price, full confidence.
    Aggressive,
}

impl Bidding {
    /// The (price, confidence) this strategy bids for a behaviour's (price, confidence), with
    /// the agent's reputation `reputation` and the job's `budget` ceiling. Truthful returns
    /// its inputs untouched.
    pub fn shade(
        self,
        price: f64,
        confidence: f64,
        reputation: f64,
        budget: Credits,
    ) -> (f64, f64) {
        match self {
            Bidding::Truthful => (price, confidence),
            Bidding::Conservative => (
                price * CONSERVATIVE_MARGIN,
                confidence * CONSERVATIVE_CONFIDENCE,
            ),
            Bidding::Aggressive => (price * AGGRESSIVE_DISCOUNT, 1.0),
            Bidding::Strategic => {
                let raised = price * (1.0 + reputation) / (1.0 + confidence * reputation);
                (raised.min(budget.as_f64()).max(price), 1.0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_strategy_moves_the_ask_as_defined() {
        let budget = Credits(2_000);
        let (p, c, r) = (1_000.0, 0.6, 0.8);
        assert_eq!(Bidding::Truthful.shade(p, c, r, budget), (1_000.0, 0.6));
        let (price, confidence) = Bidding::Conservative.shade(p, c, r, budget);
        assert_eq!(price, 1_250.0);
        assert!((confidence - 0.45).abs() < 1e-12);
        assert_eq!(Bidding::Aggressive.shade(p, c, r, budget), (800.0, 1.0));
        // 1000 × 1.8 / 1.48 ≈ 1216.2 at confidence 1: the same cost functional, ≈ 675.7.
        let (price, confidence) = Bidding::Strategic.shade(p, c, r, budget);
        assert!((price - 1_216.216).abs() < 1e-3, "{price}");
        assert_eq!(confidence, 1.0);
        let truthful = 1_000.0 / (1.0 + c * r);
        let strategic = price / (1.0 + confidence * r);
        assert!((truthful - strategic).abs() < 1e-9);
        // Capped at the budget ceiling (else the bid would be ineligible).
        assert_eq!(
            Bidding::Strategic.shade(1_900.0, 0.2, 1.0, budget).0,
            2_000.0
        );
        // Already at full confidence, or without reputation, it keeps its price.
        assert_eq!(Bidding::Strategic.shade(p, 1.0, r, budget), (1_000.0, 1.0));
        assert_eq!(Bidding::Strategic.shade(p, c, 0.0, budget), (1_000.0, 1.0));
    }

    proptest::proptest! {
        /// Truthful is the identity; strategic never changes the cost functional of a bid it
        /// does not cap, and never asks less than the truthful price.
        #[test]
        fn strategic_keeps_the_cost_functional(
            p in 1.0f64..5_000.0, c in 0.0f64..=1.0, r in 0.0f64..=1.0, budget in 1u64..10_000,
        ) {
            proptest::prop_assert_eq!(Bidding::Truthful.shade(p, c, r, Credits(budget)), (p, c));
            let (price, conf) = Bidding::Strategic.shade(p, c, r, Credits(budget));
            proptest::prop_assert!(price >= p);
            if price < budget as f64 {
                // The cost functional price / (1 + confidence × R) (SPEC §2).
                let before = p / (1.0 + c * r);
                let after = price / (1.0 + conf * r);
                proptest::prop_assert!((before - after).abs() <= 1e-9 * before.max(1.0));
            }
        }
    }
}

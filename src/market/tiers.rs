//! Reputation tiers and reputation-driven bidding power (SPEC §7, seed 002
//! `classify_reputation_tier`, `calculate_effective_bidding_power`).
//!
//! ```text
//!  reputation  0 ─────── 0.6 ── 0.65 ── 0.8 ── 0.85 ── 0.9 ── 0.95 ─── 1
//!  tier (≥)       bronze        │ silver       │ gold          │ platinum
//!  power (>)      0.8    │ 1.0         │ 1.5          │ 2.0    │ 3.0
//! ```
//!
//! The seed uses two different comparison rules and the simulator keeps both: tiers use `≥`,
//! bidding power uses strict `>`. So a reputation of exactly 0.95 is a platinum agent with power
//! 2.0, exactly 0.85 is gold with power 1.5, and so on.
//!
//! A NaN reputation fails every comparison and lands in the lowest class: [`Tier::Bronze`] and
//! the floor power (0.8). Reputations are otherwise not clamped: values above 1 or below 0
//! classify like 1 and 0.

use thiserror::Error;

/// Why a tier configuration was refused (SPEC §7).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TierError {
    /// A field is NaN, out of range, or breaks the required ordering.
    #[error("tier config field `{field}` = {value} is invalid: {rule}")]
    InvalidConfig {
        /// Name of the field (its scenario key).
        field: &'static str,
        /// The offending value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
}

/// A reputation tier (SPEC §7, seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// reputation ≥ 0.95 by default.
    Platinum,
    /// reputation ≥ 0.85 by default.
    Gold,
    /// reputation ≥ 0.65 by default.
    Silver,
    /// Everything else, including NaN.
    Bronze,
}

impl Tier {
    /// Every tier, highest first (the order of output columns).
    pub const ALL: [Tier; 4] = [Tier::Platinum, Tier::Gold, Tier::Silver, Tier::Bronze];

    /// Position in [`Tier::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// snake_case name, as in output column names.
    pub fn label(self) -> &'static str {
        match self {
            Tier::Platinum => "platinum",
            Tier::Gold => "gold",
            Tier::Silver => "silver",
            Tier::Bronze => "bronze",
        }
    }
}

/// One step of the bidding-power ladder: reputations strictly above `above` get `multiplier`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerStep {
    /// Exclusive lower bound of the step.
    pub above: f64,
    /// Multiplier of the agent's funds.
    pub multiplier: f64,
}

/// Tier thresholds and the bidding-power ladder (SPEC §7); each field is a scenario key.
/// Defaults are seed 002's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierConfig {
    /// Platinum from this reputation on (0.95).
    pub platinum_min: f64,
    /// Gold from this reputation on (0.85).
    pub gold_min: f64,
    /// Silver from this reputation on (0.65).
    pub silver_min: f64,
    /// Power steps, highest first: (>0.95, 3.0), (>0.9, 2.0), (>0.8, 1.5), (>0.6, 1.0).
    pub power_steps: [PowerStep; 4],
    /// Power when no step applies (0.8).
    pub power_floor: f64,
}

impl Default for TierConfig {
    fn default() -> Self {
        let step = |above, multiplier| PowerStep { above, multiplier };
        Self {
            platinum_min: 0.95,
            gold_min: 0.85,
            silver_min: 0.65,
            power_steps: [
                step(0.95, 3.0),
                step(0.9, 2.0),
                step(0.8, 1.5),
                step(0.6, 1.0),
            ],
            power_floor: 0.8,
        }
    }
}

impl TierConfig {
    /// Checks the configuration (SPEC §7): thresholds in [0, 1] and strictly decreasing
    /// (platinum > gold > silver; power steps highest first); multipliers finite, ≥ 0 and
    /// non-increasing down the ladder ending with the floor, so more reputation never means
    /// less power. The error names the first offending field.
    pub fn validate(&self) -> Result<(), TierError> {
        let bad = |field, value, rule| Err(TierError::InvalidConfig { field, value, rule });
        let thresholds = [
            ("platinum_min", self.platinum_min),
            ("gold_min", self.gold_min),
            ("silver_min", self.silver_min),
        ];
        for (i, &(field, value)) in thresholds.iter().enumerate() {
            if !(0.0..=1.0).contains(&value) {
                return bad(field, value, "must be in [0, 1]");
            }
            if i > 0 && value >= thresholds[i - 1].1 {
                return bad(field, value, "must be below the tier above");
            }
        }
        const ABOVE: [&str; 4] = [
            "power_steps[0].above",
            "power_steps[1].above",
            "power_steps[2].above",
            "power_steps[3].above",
        ];
        const MULT: [&str; 4] = [
            "power_steps[0].multiplier",
            "power_steps[1].multiplier",
            "power_steps[2].multiplier",
            "power_steps[3].multiplier",
        ];
        for (i, s) in self.power_steps.iter().enumerate() {
            if !(0.0..=1.0).contains(&s.above) {
                return bad(ABOVE[i], s.above, "must be in [0, 1]");
            }
            if i > 0 && s.above >= self.power_steps[i - 1].above {
                return bad(ABOVE[i], s.above, "must be below the step above");
            }
            if !(s.multiplier.is_finite() && s.multiplier >= 0.0) {
                return bad(MULT[i], s.multiplier, "must be finite and ≥ 0");
            }
            if i > 0 && s.multiplier > self.power_steps[i - 1].multiplier {
                return bad(MULT[i], s.multiplier, "must not exceed the step above");
            }
        }
        let last = self.power_steps[3].multiplier;
        if !(self.power_floor.is_finite() && (0.0..=last).contains(&self.power_floor)) {
            return bad(
                "power_floor",
                self.power_floor,
                "must be in [0, lowest step multiplier]",
            );
        }
        Ok(())
    }

    /// The tier of a reputation (`≥` thresholds; NaN → bronze).
    pub fn tier(&self, reputation: f64) -> Tier {
        if reputation >= self.platinum_min {
            Tier::Platinum
        } else if reputation >= self.gold_min {
            Tier::Gold
        } else if reputation >= self.silver_min {
            Tier::Silver
        } else {
            Tier::Bronze
        }
    }

    /// The bidding-power multiplier of a reputation (strict `>` steps; NaN → floor).
    pub fn bidding_power(&self, reputation: f64) -> f64 {
        self.power_steps
            .iter()
            .find(|s| reputation > s.above)
            .map_or(self.power_floor, |s| s.multiplier)
    }
}

/// [`TierConfig::tier`] with seed 002's thresholds (SPEC §7).
pub fn tier(reputation: f64) -> Tier {
    TierConfig::default().tier(reputation)
}

/// [`TierConfig::bidding_power`] with seed 002's ladder (SPEC §7).
pub fn bidding_power(reputation: f64) -> f64 {
    TierConfig::default().bidding_power(reputation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tier_boundaries_are_inclusive() {
        let cases = [
            (1.0, Tier::Platinum),
            (0.95, Tier::Platinum),
            (0.949_999_999, Tier::Gold),
            (0.85, Tier::Gold),
            (0.849_999_999, Tier::Silver),
            (0.65, Tier::Silver),
            (0.649_999_999, Tier::Bronze),
            (0.0, Tier::Bronze),
            (-1.0, Tier::Bronze),
            (f64::NAN, Tier::Bronze),
        ];
        for (r, t) in cases {
            assert_eq!(tier(r), t, "reputation {r}");
        }
    }

    #[test]
    fn power_boundaries_are_strict() {
        let cases = [
            (1.0, 3.0),
            (0.950_000_001, 3.0),
            (0.95, 2.0), // platinum tier, yet power 2.0
            (0.900_000_001, 2.0),
            (0.9, 1.5),
            (0.800_000_001, 1.5),
            (0.8, 1.0),
            (0.600_000_001, 1.0),
            (0.6, 0.8),
            (0.0, 0.8),
            (f64::NAN, 0.8),
        ];
        for (r, p) in cases {
            assert_eq!(bidding_power(r), p, "reputation {r}");
        }
        // Tier and power disagree at the shared boundary.
        assert_eq!((tier(0.95), bidding_power(0.95)), (Tier::Platinum, 2.0));
    }

    #[test]
    fn config_validation_names_the_field() {
        assert_eq!(TierConfig::default().validate(), Ok(()));
        let field = |c: TierConfig| match c.validate() {
            Err(TierError::InvalidConfig { field, .. }) => field,
            Ok(()) => panic!("accepted"),
        };
        let d = TierConfig::default();
        assert_eq!(
            field(TierConfig {
                gold_min: 0.96,
                ..d
            }),
            "gold_min"
        );
        assert_eq!(
            field(TierConfig {
                silver_min: f64::NAN,
                ..d
            }),
            "silver_min"
        );
        let mut c = d;
        c.power_steps[2].multiplier = 2.5;
        assert_eq!(field(c), "power_steps[2].multiplier");
        let mut c = d;
        c.power_steps[1].above = 0.97;
        assert_eq!(field(c), "power_steps[1].above");
        assert_eq!(
            field(TierConfig {
                power_floor: 1.2,
                ..d
            }),
            "power_floor"
        );
    }

    #[test]
    fn custom_thresholds_are_used() {
        let c = TierConfig {
            platinum_min: 0.9,
            ..Default::default()
        };
        c.validate().unwrap();
        assert_eq!(c.tier(0.92), Tier::Platinum);
        assert_eq!(tier(0.92), Tier::Gold);
    }

    fn rank(t: Tier) -> u8 {
        match t {
            Tier::Bronze => 0,
            Tier::Silver => 1,
            Tier::Gold => 2,
            Tier::Platinum => 3,
        }
    }

    proptest! {
        /// More reputation never means a lower tier or less bidding power.
        #[test]
        fn monotone(a in -0.5f64..1.5, b in -0.5f64..1.5) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(rank(tier(lo)) <= rank(tier(hi)));
            prop_assert!(bidding_power(lo) <= bidding_power(hi));
        }
    }
}

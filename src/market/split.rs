//! Revenue split of a released payout (SPEC §4, paper §7.5; seed 003 "split policies with
//! deterministic rounding").
//!
//! ```text
//!   total (credits released from escrow)
//!     ├── operator    = round_half_up(total × operator_bps / 10 000)
//!     ├── platform    = round_half_up(total × platform_bps / 10 000)   (clamped, see below)
//!     └── llm_reserve = total − operator − platform                     (the remainder)
//! ```
//!
//! Shares are integer basis points (1 bps = 0.01 %), every product is taken in `u128`, so there
//! is no float and no overflow anywhere. The paper rounds with `round()`, which for the
//! non-negative values met here is exactly round-half-up. The LLM reserve is the remainder, so the
//! three parts always sum exactly to the total.
//!
//! Clamp: when `operator_bps + platform_bps == 10 000` both rounded shares can round up on the
//! same half (e.g. 5000/5000 of 1 credit: 0.5 and 0.5), which would overdraw the total. The
//! platform share is then clamped to `total − operator` (the operator is served first). This
//! only ever happens when the exact reserve share is zero, so every part stays within one credit
//! of its exact share.

use thiserror::Error;

use crate::market::money::Credits;

/// Basis points in a whole, i.e. 100 % (SPEC §4).
pub const BPS_WHOLE: u32 = 10_000;

/// Why a split policy was refused (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SplitError {
    /// The operator and platform shares add up to more than 100 % (10 000 bps), so the LLM
    /// reserve would be negative. Fatal for the scenario that asked for it.
    #[error("operator {operator_bps} bps + platform {platform_bps} bps exceed 10000 bps")]
    SharesExceedWhole {
        /// The requested operator share, in basis points.
        operator_bps: u32,
        /// The requested platform share, in basis points.
        platform_bps: u32,
    },
}

/// A validated revenue-split policy in basis points (SPEC §4, paper §7.5). The LLM reserve gets
/// `10 000 − operator_bps − platform_bps` (the remainder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitPolicy {
    operator_bps: u32,
    platform_bps: u32,
}

impl Default for SplitPolicy {
    /// The paper's split: operator 70 %, platform 15 %, LLM reserve 15 % (paper §7.5).
    fn default() -> Self {
        Self::PAPER
    }
}

impl SplitPolicy {
    /// The paper's 70 / 15 / 15 split (paper §7.5).
    pub const PAPER: SplitPolicy = SplitPolicy {
        operator_bps: 7_000,
        platform_bps: 1_500,
    };

    /// A policy from operator and platform shares in basis points (SPEC §4). Refused when the
    /// two shares exceed 10 000 bps together.
    pub fn new(operator_bps: u32, platform_bps: u32) -> Result<Self, SplitError> {
        match operator_bps.checked_add(platform_bps) {
            Some(sum) if sum <= BPS_WHOLE => Ok(Self {
                operator_bps,
                platform_bps,
            }),
            _ => Err(SplitError::SharesExceedWhole {
                operator_bps,
                platform_bps,
            }),
        }
    }

    /// The operator's share in basis points (SPEC §4).
    pub fn operator_bps(self) -> u32 {
        self.operator_bps
    }

    /// The platform's share in basis points (SPEC §4).
    pub fn platform_bps(self) -> u32 {
        self.platform_bps
    }

    /// The LLM reserve's share in basis points: the remainder (SPEC §4).
    pub fn llm_reserve_bps(self) -> u32 {
        BPS_WHOLE - self.operator_bps - self.platform_bps
    }

    /// Splits `total` (SPEC §4, paper §7.5): operator and platform rounded half-up, LLM reserve
    /// the remainder; the parts sum exactly to `total`. O(1), integer only.
    pub fn split(self, total: Credits) -> Split {
        let operator = share_half_up(total, self.operator_bps);
        // operator ≤ total because operator_bps ≤ 10 000.
        let rest = total.0 - operator;
        let platform = share_half_up(total, self.platform_bps).min(rest);
        Split {
            total,
            operator: Credits(operator),
            platform: Credits(platform),
            llm_reserve: Credits(rest - platform),
        }
    }
}

#[cfg(feature = "fault-injection")]
impl SplitPolicy {
    /// The `split_rounding` fault (`market::fault`): every part, the LLM reserve included, is
    /// rounded half-up on its own, so the parts may not sum to `total`.
    pub(crate) fn split_rounding_each_part(self, total: Credits) -> Split {
        Split {
            total,
            operator: Credits(share_half_up(total, self.operator_bps)),
            platform: Credits(share_half_up(total, self.platform_bps)),
            llm_reserve: Credits(share_half_up(total, self.llm_reserve_bps())),
        }
    }
}

/// `round_half_up(total × bps / 10 000)` in `u128`; never above `total` for `bps ≤ 10 000`.
fn share_half_up(total: Credits, bps: u32) -> u64 {
    let whole = u128::from(BPS_WHOLE);
    let scaled = u128::from(total.0) * u128::from(bps);
    let rounded = (scaled + whole / 2) / whole;
    // rounded ≤ total: the exact share is ≤ total and total is an integer.
    u64::try_from(rounded).expect("a share of a u64 total fits in u64")
}

/// One payout split into its parts (SPEC §4, paper §7.5). The parts always sum to `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    total: Credits,
    operator: Credits,
    platform: Credits,
    llm_reserve: Credits,
}

impl Split {
    /// The amount that was split (SPEC §4).
    pub fn total(&self) -> Credits {
        self.total
    }

    /// The operator's (agent identity's) part (SPEC §4).
    pub fn operator(&self) -> Credits {
        self.operator
    }

    /// The platform's part (SPEC §4).
    pub fn platform(&self) -> Credits {
        self.platform
    }

    /// The LLM reserve's part: `total − operator − platform` (SPEC §4).
    pub fn llm_reserve(&self) -> Credits {
        self.llm_reserve
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(s: Split) -> (u64, u64, u64) {
        (s.operator().0, s.platform().0, s.llm_reserve().0)
    }

    #[test]
    fn golden_paper_9_6() {
        // Paper §9.6: 3500 → 2450 / 525 / 525.
        let s = SplitPolicy::default().split(Credits(3500));
        assert_eq!(s.total(), Credits(3500));
        assert_eq!(parts(s), (2450, 525, 525));
        assert_eq!(
            SplitPolicy::default(),
            SplitPolicy::new(7000, 1500).unwrap()
        );
        assert_eq!(SplitPolicy::default().llm_reserve_bps(), 1500);
    }

    #[test]
    fn rounding_is_half_up_and_table_checked() {
        // (policy, total, expected operator/platform/reserve), worked by hand.
        let table = [
            ((7000, 1500), 1, (1, 0, 0)),  // 0.7 → 1, 0.15 → 0
            ((7000, 1500), 5, (4, 1, 0)),  // 3.5 → 4 (half up), 0.75 → 1
            ((7000, 1500), 10, (7, 2, 1)), // 1.5 → 2
            ((7000, 1500), 0, (0, 0, 0)),  //
            ((5000, 5000), 1, (1, 0, 0)),  // 0.5 + 0.5: platform clamped
            ((5000, 5000), 3, (2, 1, 0)),  // 1.5 → 2, 1.5 → 2 clamped to 1
            ((0, 0), 7, (0, 0, 7)),        // everything to the reserve
            ((10000, 0), 7, (7, 0, 0)),    // everything to the operator
            ((3333, 3333), 100, (33, 33, 34)),
        ];
        for ((o, p), total, expected) in table {
            let s = SplitPolicy::new(o, p).unwrap().split(Credits(total));
            assert_eq!(parts(s), expected, "policy {o}/{p} total {total}");
        }
    }

    #[test]
    fn max_total_does_not_overflow() {
        let s = SplitPolicy::new(9999, 1).unwrap().split(Credits(u64::MAX));
        let (o, p, r) = parts(s);
        assert_eq!(
            u128::from(o) + u128::from(p) + u128::from(r),
            u128::from(u64::MAX)
        );
    }

    #[test]
    fn over_full_policies_are_refused() {
        assert_eq!(
            SplitPolicy::new(7000, 3001),
            Err(SplitError::SharesExceedWhole {
                operator_bps: 7000,
                platform_bps: 3001
            })
        );
        assert!(
            SplitPolicy::new(u32::MAX, 1).is_err(),
            "u32 overflow must not wrap"
        );
        assert!(SplitPolicy::new(10_001, 0).is_err());
        assert!(SplitPolicy::new(7000, 3000).is_ok());
    }

    fn within_one(part: u64, total: u64, bps: u32) -> bool {
        // |part − total·bps/10 000| ≤ 1  ⇔  |part·10 000 − total·bps| ≤ 10 000
        let lhs = i128::from(part) * 10_000;
        let rhs = i128::from(total) * i128::from(bps);
        (lhs - rhs).abs() <= 10_000
    }

    proptest! {
        #[test]
        fn parts_sum_exactly_and_stay_within_one_credit(
            total in 0u64..=1_000_000_000_000_000,
            operator_bps in 0u32..=10_000,
            platform_frac in 0u32..=10_000,
        ) {
            let platform_bps = platform_frac * (10_000 - operator_bps) / 10_000;
            let policy = SplitPolicy::new(operator_bps, platform_bps).unwrap();
            let s = policy.split(Credits(total));
            let (o, p, r) = parts(s);
            prop_assert_eq!(u128::from(o) + u128::from(p) + u128::from(r), u128::from(total));
            prop_assert!(within_one(o, total, operator_bps));
            prop_assert!(within_one(p, total, platform_bps));
            prop_assert!(within_one(r, total, policy.llm_reserve_bps()));
        }

        #[test]
        fn small_totals_with_full_policies_stay_exact(
            total in 0u64..50,
            operator_bps in 0u32..=10_000,
        ) {
            // Policies that give everything away are where the platform clamp matters.
            let policy = SplitPolicy::new(operator_bps, 10_000 - operator_bps).unwrap();
            let (o, p, r) = parts(policy.split(Credits(total)));
            prop_assert_eq!(o + p + r, total);
            prop_assert_eq!(r, 0);
            prop_assert!(within_one(o, total, operator_bps));
            prop_assert!(within_one(p, total, 10_000 - operator_bps));
        }

        #[test]
        fn policies_over_100_percent_are_refused(
            operator_bps in 0u32..=20_000,
            platform_bps in 0u32..=20_000,
        ) {
            let ok = operator_bps + platform_bps <= 10_000;
            prop_assert_eq!(SplitPolicy::new(operator_bps, platform_bps).is_ok(), ok);
        }
    }
}

//! Single-item and combinatorial auctions (SPEC §7, seed 002 "Five Auction Types").
//!
//! Two directions share one implementation:
//!
//! ```text
//!  forward (seller's) auction            procurement (reverse) auction — what the marketplace runs
//!  bids: willingness to pay, highest     asks: price to do the job, lowest wins, paid ≤ ceiling
//!  wins, pays ≥ reserve                             │
//!            ▲                                      │  value = ceiling − ask   (asks > ceiling
//!            │                                      │  reserve = 0              are ineligible)
//!            └──────── same code (top two + clock) ◄┘  payment = ceiling − clearing value
//! ```
//!
//! The mirror `value = ceiling − ask` is an exact, order-reversing affine map on integers, so the
//! lowest ask is the highest value, the second-lowest ask is the second-highest value, and the
//! budget ceiling (the client's reserve) maps to the value reserve 0. A Vickrey winner is
//! therefore paid the second-lowest ask, a lone ask is paid the ceiling, and a clock auction's
//! price is mirrored too (an ascending English clock on values is a descending clock on asks).
//!
//! Every single-item mechanism needs only the *top two* eligible bids, found in one pass with no
//! allocation; clock auctions are not stepped tick by tick but evaluated in closed form — the
//! tests check the closed forms against literal clock simulations.
//!
//! **Ties** (equal amounts): the bid that comes first in the input wins (for the keyed
//! procurement entry point [`procure_keyed`]: the smallest key). Units: all amounts are
//! [`Credits`].
//!
//! The combinatorial auction ([`combinatorial_vcg`]) takes bundle bids over at most
//! [`MAX_BUNDLE_ITEMS`] distinct items (a bidder may place several: OR bids), finds a
//! welfare-maximising allocation exactly by dynamic programming over item subsets and charges
//! each winning bidder its VCG payment.

use crate::market::{AgentId, Credits};
use thiserror::Error;

#[cfg(test)]
mod tests;

/// A sealed bid, a clock bidder's private value, or (procurement) an ask (SPEC §7, seed 002).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bid {
    /// Who bids (or asks).
    pub bidder: AgentId,
    /// Bid amount / private value / ask, in credits.
    pub amount: Credits,
}

/// Result of a single-item auction (SPEC §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuctionOutcome {
    /// The winning bidder.
    pub winner: AgentId,
    /// Position of the winning bid in the input slice.
    pub index: usize,
    /// The price the winner pays (forward) or is paid (procurement).
    pub price: Credits,
}

/// Result of [`procure_keyed`]: which input won and at what price (SPEC §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Award {
    /// Position of the winning ask in the input sequence.
    pub position: usize,
    /// The price paid to the winner, never above the ceiling.
    pub price: Credits,
}

/// Why an auction could not be run (SPEC §7). Every variant is a rejected input; nothing is
/// partially computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum AuctionError {
    /// No bid reaches the reserve (forward) or no ask is within the ceiling (procurement),
    /// including the case of no bids at all.
    #[error("no eligible bid")]
    NoEligibleBid,
    /// A clock increment or decrement of zero: the clock would never move.
    #[error("clock step must be positive")]
    ZeroStep,
    /// A Dutch clock that starts below its floor.
    #[error("dutch clock starts at {start} below its floor {floor}")]
    InvalidClock {
        /// Starting price.
        start: Credits,
        /// Floor (reserve).
        floor: Credits,
    },
    /// More distinct items than the combinatorial solver accepts ([`MAX_BUNDLE_ITEMS`]).
    #[error("{items} distinct items exceed the limit of {MAX_BUNDLE_ITEMS}")]
    TooManyItems {
        /// Number of distinct items bid on.
        items: u32,
    },
    /// More bundle bids than the combinatorial solver accepts ([`MAX_BUNDLE_BIDS`]).
    #[error("{bids} bundle bids exceed the limit of {MAX_BUNDLE_BIDS}")]
    TooManyBids {
        /// Number of bids given.
        bids: usize,
    },
    /// A bundle bid on no item.
    #[error("bundle bid {index} names no item")]
    EmptyBundle {
        /// Position of the offending bid.
        index: usize,
    },
    /// The bid amounts sum to more than `u64::MAX` credits.
    #[error("bundle bid amounts overflow u64")]
    Overflow,
}

/// The best eligible bid (position and value) and the runner-up value, if any.
#[derive(Clone, Copy, Debug)]
struct TopTwo {
    position: usize,
    best: u64,
    second: Option<u64>,
}

/// One pass over `(value, tie key)` items (`None` = ineligible); values below `reserve` are
/// ineligible. Higher value wins; equal values: smaller key.
fn top_two<K: Ord>(
    items: impl IntoIterator<Item = Option<(u64, K)>>,
    reserve: u64,
) -> Option<TopTwo> {
    let mut best: Option<(usize, u64, K)> = None;
    let mut second: Option<u64> = None;
    for (position, item) in items.into_iter().enumerate() {
        let Some((value, key)) = item else { continue };
        if value < reserve {
            continue;
        }
        match &best {
            Some((_, best_value, best_key))
                if value < *best_value || (value == *best_value && key >= *best_key) =>
            {
                second = Some(second.map_or(value, |s| s.max(value)));
            }
            Some((_, best_value, _)) => {
                second = Some(*best_value);
                best = Some((position, value, key));
            }
            None => best = Some((position, value, key)),
        }
    }
    best.map(|(position, best, _)| TopTwo {
        position,
        best,
        second,
    })
}

/// Forward pricing rule, in value space, with `reserve` as the floor.
#[derive(Clone, Copy, Debug)]
enum Pricing {
    FirstPrice,
    Vickrey,
    English { increment: u64 },
    Dutch { start: u64, decrement: u64 },
}

/// The forward clearing price for the eligible `top` (every eligible value is ≥ `reserve`).
fn clearing_price(pricing: Pricing, top: TopTwo, reserve: u64) -> u64 {
    match pricing {
        Pricing::FirstPrice => top.best,
        Pricing::Vickrey => top.second.unwrap_or(reserve).max(reserve),
        // The clock starts at `reserve` and moves to p + increment while at least two values
        // are ≥ p + increment, so it stops at the largest grid point reserve + k·increment
        // that is ≤ the second-highest value: price ∈ (v2 − increment, v2].
        Pricing::English { increment } => match top.second {
            None => reserve,
            Some(v2) => reserve + increment * ((v2 - reserve) / increment),
        },
        // The clock shows start, start − d, …, and finally the floor; the highest bid takes
        // the first tick ≤ its bid: price ∈ (best − d, best] when best < start.
        Pricing::Dutch { start, decrement } => {
            if top.best >= start {
                start
            } else {
                let ticks = (start - top.best).div_ceil(decrement);
                decrement
                    .checked_mul(ticks)
                    .and_then(|down| start.checked_sub(down))
                    .map_or(reserve, |p| p.max(reserve))
            }
        }
    }
}

fn forward(
    bids: &[Bid],
    reserve: Credits,
    pricing: Pricing,
) -> Result<AuctionOutcome, AuctionError> {
    let top = top_two(
        bids.iter().enumerate().map(|(i, b)| Some((b.amount.0, i))),
        reserve.0,
    )
    .ok_or(AuctionError::NoEligibleBid)?;
    Ok(AuctionOutcome {
        winner: bids[top.position].bidder,
        index: top.position,
        price: Credits(clearing_price(pricing, top, reserve.0)),
    })
}

/// Sealed-bid first-price auction (SPEC §7, seed 002 "Sealed-Bid"): the highest bid ≥ `reserve`
/// wins and pays its bid. Ties: earliest bid in `bids`.
pub fn first_price(bids: &[Bid], reserve: Credits) -> Result<AuctionOutcome, AuctionError> {
    forward(bids, reserve, Pricing::FirstPrice)
}

/// Vickrey (second-price sealed-bid) auction (SPEC §7, seed 002 `run_vickrey_auction`): the
/// highest bid ≥ `reserve` wins and pays max(second-highest bid, reserve); a lone eligible bid
/// pays the reserve. Ties: earliest bid wins and pays the tied amount.
pub fn vickrey(bids: &[Bid], reserve: Credits) -> Result<AuctionOutcome, AuctionError> {
    forward(bids, reserve, Pricing::Vickrey)
}

/// English (open ascending clock) auction with truthful bidders (SPEC §7, seed 002
/// `run_english_auction`). `values` are private values. The clock starts at `reserve` and rises by
/// `increment` while at least two values are ≥ the next price; a bidder drops once the price
/// would exceed its value. Exact result: the highest value wins (ties: earliest) and pays the
/// largest `reserve + k·increment` that is ≤ the second-highest eligible value — i.e. within
/// `(v2 − increment, v2]` — or `reserve` when it is the only bidder at the reserve.
pub fn english(
    values: &[Bid],
    reserve: Credits,
    increment: Credits,
) -> Result<AuctionOutcome, AuctionError> {
    if increment.is_zero() {
        return Err(AuctionError::ZeroStep);
    }
    forward(
        values,
        reserve,
        Pricing::English {
            increment: increment.0,
        },
    )
}

/// Dutch (open descending clock) auction (SPEC §7, seed 002). The clock shows `start`,
/// `start − decrement`, … and finally `floor` (it never goes below); the sealed `bids` are the
/// bidders' willingness to pay, and at the first tick some bid reaches, the highest such bid takes
/// the item at that tick's price (ties: earliest). Bids below `floor` never win.
///
/// Relation to [`first_price`] on the same bids, when `start ≥` the highest bid: same winner, and
/// price ∈ (highest − decrement, highest] — the clock does NOT land exactly on bids, so the
/// price equals the first-price price only when the highest bid is on the tick grid (always
/// with `decrement = 1`). When the highest bid exceeds `start` the price is `start`.
pub fn dutch(
    bids: &[Bid],
    start: Credits,
    decrement: Credits,
    floor: Credits,
) -> Result<AuctionOutcome, AuctionError> {
    if decrement.is_zero() {
        return Err(AuctionError::ZeroStep);
    }
    if start < floor {
        return Err(AuctionError::InvalidClock { start, floor });
    }
    forward(
        bids,
        floor,
        Pricing::Dutch {
            start: start.0,
            decrement: decrement.0,
        },
    )
}

/// A procurement (reverse) auction rule: agents ask to do a job, the lowest ask wins, the price
/// paid never exceeds the client's budget ceiling (SPEC §2 and §7, paper Proposition 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcurementRule {
    /// Lowest ask wins and is paid its ask.
    FirstPrice,
    /// Lowest ask wins and is paid the second-lowest eligible ask; a lone ask is paid the ceiling.
    Vickrey,
    /// Descending clock from the ceiling, lowered by `increment` while at least two asks are ≤
    /// the next price: the lowest ask wins at a price in `[a2, a2 + increment)` (a2 = the
    /// second-lowest ask), or at the ceiling when alone.
    English {
        /// Clock step, > 0.
        increment: Credits,
    },
    /// Ascending offer `0, increment, 2·increment, …` capped at the ceiling; the first agent whose
    /// ask is ≤ the offer takes it: the lowest ask `a1` wins at `min(increment·⌈a1/increment⌉,
    /// ceiling)`, within one increment above its ask.
    Dutch {
        /// Clock step, > 0.
        increment: Credits,
    },
}

/// Procurement auction over `(ask, tie key)` pairs (SPEC §7; the order book passes
/// `(timestamp, proposal id)` as the key so ties follow price-time priority). Asks above
/// `ceiling` are ineligible. Implemented by the mirror `value = ceiling − ask` onto the forward
/// auctions with reserve 0 (module docs); equal asks: the smallest key wins. One pass, no
/// allocation.
pub fn procure_keyed<K: Ord>(
    asks: impl IntoIterator<Item = (Credits, K)>,
    ceiling: Credits,
    rule: ProcurementRule,
) -> Result<Award, AuctionError> {
    let c = ceiling.0;
    let pricing = match rule {
        ProcurementRule::FirstPrice => Pricing::FirstPrice,
        ProcurementRule::Vickrey => Pricing::Vickrey,
        ProcurementRule::English { increment } | ProcurementRule::Dutch { increment }
            if increment.is_zero() =>
        {
            return Err(AuctionError::ZeroStep);
        }
        ProcurementRule::English { increment } => Pricing::English {
            increment: increment.0,
        },
        // Offer 0 is value c; the offer rising by `increment` is the value clock falling by it.
        ProcurementRule::Dutch { increment } => Pricing::Dutch {
            start: c,
            decrement: increment.0,
        },
    };
    let top = top_two(
        asks.into_iter()
            .map(|(ask, key)| c.checked_sub(ask.0).map(|value| (value, key))),
        0,
    )
    .ok_or(AuctionError::NoEligibleBid)?;
    let value_price = clearing_price(pricing, top, 0);
    Ok(Award {
        position: top.position,
        price: Credits(c - value_price),
    })
}

/// Procurement auction over a slice of asks (SPEC §7): see [`ProcurementRule`] and
/// [`procure_keyed`]. Equal asks: the earliest in `asks` wins.
pub fn procure(
    asks: &[Bid],
    ceiling: Credits,
    rule: ProcurementRule,
) -> Result<AuctionOutcome, AuctionError> {
    let award = procure_keyed(
        asks.iter().enumerate().map(|(i, a)| (a.amount, i)),
        ceiling,
        rule,
    )?;
    Ok(AuctionOutcome {
        winner: asks[award.position].bidder,
        index: award.position,
        price: award.price,
    })
}

/// Most distinct items a combinatorial auction may involve (SPEC §7): the solver's table has
/// `2^items` entries (at 20 items: 1,048,576 entries, ≈ 9.4 MB).
pub const MAX_BUNDLE_ITEMS: u32 = 20;

/// Most bundle bids a combinatorial auction accepts (SPEC §7); bids are indexed by `u8`.
pub const MAX_BUNDLE_BIDS: usize = 64;

/// A bundle bid (SPEC §7, seed 002 `collect_bundle_bids`): `bidder` values the whole set
/// `items` (bit i = item i) at `amount`, and any proper subset at nothing. A bidder may place
/// several bids; they are OR bids: it may win any number of disjoint ones, valued at the sum of
/// their amounts (one bid per bidder is the single-minded case of seed 002).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundleBid {
    /// Who bids.
    pub bidder: AgentId,
    /// The bundle, as a bitmask over item numbers 0..64.
    pub items: u64,
    /// Value of the whole bundle, in credits.
    pub amount: Credits,
}

/// A winning bundle bid (SPEC §7, seed 002 `solve_winner_determination_problem`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundleWin {
    /// Position of the bid in the input slice.
    pub index: usize,
    /// The winning bidder.
    pub bidder: AgentId,
    /// The bundle won.
    pub items: u64,
}

/// What one winning bidder pays (SPEC §7, seed 002 `calculate_vcg_payments`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VcgPayment {
    /// The winning bidder.
    pub bidder: AgentId,
    /// Every item it won (the union of its winning bundles).
    pub items: u64,
    /// Sum of the amounts of its winning bids.
    pub value: Credits,
    /// VCG payment: (best welfare without any bid of this bidder) − (welfare of the others in
    /// the chosen allocation); `0 ≤ payment ≤ value`.
    pub payment: Credits,
}

/// Result of [`combinatorial_vcg`] (SPEC §7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VcgOutcome {
    /// Total declared value of the chosen allocation (the maximum).
    pub welfare: Credits,
    /// The winning bids, in input order.
    pub winners: Vec<BundleWin>,
    /// One payment per winning bidder, in the order of its first winning bid.
    pub payments: Vec<VcgPayment>,
}

/// The exact welfare-maximisation solver over compressed item masks.
struct Solver {
    /// Bundle of each bid, compressed to the items that appear in some bid.
    masks: Vec<u32>,
    amounts: Vec<u64>,
    bidders: Vec<AgentId>,
    /// Bid indices grouped by lowest item, input order within a group.
    order: Vec<u8>,
    /// `order[group[i]..group[i+1]]` are the bids whose lowest item is `i`.
    group: Vec<usize>,
    items: u32,
    /// `best[mask]`: the best welfare using only items in `mask`.
    best: Vec<u64>,
    /// `choice[mask]`: 0 = lowest item of `mask` unsold, `b + 1` = bid `b` takes it.
    choice: Vec<u8>,
}

impl Solver {
    /// Fills `best` (and `choice`) with every bid of `excluded` removed; returns the full-set
    /// welfare.
    ///
    /// Recurrence: the lowest item of `mask` is either unsold or sold to a bid whose lowest item
    /// it is and whose bundle lies inside `mask`. Candidates are tried in the order "unsold",
    /// then bids in input order, and only a strictly better one replaces the incumbent — the
    /// deterministic tie rule. O(2^items · bids).
    fn solve(&mut self, excluded: Option<AgentId>) -> u64 {
        let full = (1usize << self.items) - 1;
        for mask in 1..=full {
            let low = mask.trailing_zeros() as usize;
            let mut value = self.best[mask & (mask - 1)];
            let mut pick = 0u8;
            for &b in &self.order[self.group[low]..self.group[low + 1]] {
                let bundle = self.masks[b as usize] as usize;
                if Some(self.bidders[b as usize]) == excluded || bundle & !mask != 0 {
                    continue;
                }
                // Cannot overflow: the sum of all amounts was checked to fit in u64.
                let w = self.amounts[b as usize] + self.best[mask & !bundle];
                if w > value {
                    value = w;
                    pick = b + 1;
                }
            }
            self.best[mask] = value;
            self.choice[mask] = pick;
        }
        self.best[full]
    }

    /// The winning bids of the last `solve`, in input order.
    fn winners(&self) -> Vec<usize> {
        let mut mask = (1usize << self.items) - 1;
        let mut winners = Vec::new();
        while mask != 0 {
            match self.choice[mask] {
                0 => mask &= mask - 1,
                b => {
                    winners.push(usize::from(b - 1));
                    mask &= !(self.masks[usize::from(b - 1)] as usize);
                }
            }
        }
        winners.sort_unstable();
        winners
    }
}

/// Compresses `mask` onto the set bits of `union` (bit j of the result = j-th item of `union`).
fn compress(mask: u64, union: u64) -> u32 {
    let mut out = 0u32;
    let mut rest = union;
    let mut j = 0;
    while rest != 0 {
        let bit = rest & rest.wrapping_neg();
        if mask & bit != 0 {
            out |= 1 << j;
        }
        rest &= rest - 1;
        j += 1;
    }
    out
}

/// Combinatorial auction with VCG payments (SPEC §7, seed 002 `run_combinatorial_auction`,
/// `solve_winner_determination_problem`, `calculate_vcg_payments`).
///
/// Winner determination is exact: dynamic programming over subsets of the items that appear in
/// some bid, O(2^k · m) time and O(2^k) memory for k distinct items and m bids, run once for the
/// allocation and once more per winning bidder for its VCG payment (so at most
/// O(2^k · m · (m + 1)) in all). Limits: k ≤ [`MAX_BUNDLE_ITEMS`],
/// m ≤ [`MAX_BUNDLE_BIDS`], otherwise a typed error. Among allocations of equal welfare the
/// solver prefers, item by item from the lowest, leaving the item unsold, then the earliest bid
/// (so zero-value bids never win). Allocates its tables per call (not a hot-path mechanism).
pub fn combinatorial_vcg(bids: &[BundleBid]) -> Result<VcgOutcome, AuctionError> {
    if bids.len() > MAX_BUNDLE_BIDS {
        return Err(AuctionError::TooManyBids { bids: bids.len() });
    }
    let mut union = 0u64;
    let mut total = 0u64;
    for (index, bid) in bids.iter().enumerate() {
        if bid.items == 0 {
            return Err(AuctionError::EmptyBundle { index });
        }
        union |= bid.items;
        total = total
            .checked_add(bid.amount.0)
            .ok_or(AuctionError::Overflow)?;
    }
    let items = union.count_ones();
    if items > MAX_BUNDLE_ITEMS {
        return Err(AuctionError::TooManyItems { items });
    }
    let masks: Vec<u32> = bids.iter().map(|b| compress(b.items, union)).collect();
    let mut order: Vec<u8> = (0..bids.len() as u8).collect();
    order.sort_by_key(|&b| masks[b as usize].trailing_zeros()); // stable: input order kept
    let mut group = vec![0usize; items as usize + 1];
    for &b in &order {
        group[masks[b as usize].trailing_zeros() as usize + 1] += 1;
    }
    for i in 0..items as usize {
        group[i + 1] += group[i];
    }
    let table = 1usize << items;
    let mut solver = Solver {
        masks,
        amounts: bids.iter().map(|b| b.amount.0).collect(),
        bidders: bids.iter().map(|b| b.bidder).collect(),
        order,
        group,
        items,
        best: vec![0; table],
        choice: vec![0; table],
    };
    let welfare = solver.solve(None);
    let winners: Vec<BundleWin> = solver
        .winners()
        .into_iter()
        .map(|index| BundleWin {
            index,
            bidder: bids[index].bidder,
            items: bids[index].items,
        })
        .collect();
    let mut payments: Vec<VcgPayment> = Vec::new();
    for w in &winners {
        let amount = bids[w.index].amount.0;
        match payments.iter_mut().find(|p| p.bidder == w.bidder) {
            Some(p) => {
                p.items |= w.items;
                p.value.0 += amount;
            }
            None => payments.push(VcgPayment {
                bidder: w.bidder,
                items: w.items,
                value: Credits(amount),
                payment: Credits::ZERO,
            }),
        }
    }
    for p in &mut payments {
        let others_in_chosen = welfare - p.value.0;
        let others_without = solver.solve(Some(p.bidder));
        debug_assert!(others_without >= others_in_chosen && others_without <= welfare);
        p.payment = Credits(others_without.saturating_sub(others_in_chosen));
    }
    Ok(VcgOutcome {
        welfare: Credits(welfare),
        winners,
        payments,
    })
}

//! Combinatorial clearing of a decomposed job (SPEC §5 and §7, seed 002; issue 12): agents bid
//! on bundles of a DAG job's subtasks, the allocation is exact and payments are VCG.
//!
//! ```text
//!  asks a_s per invited agent and subtask ─▶ bundle bids: every subset S of ≤ K subtasks,
//!  (r_s = subtask budget = client reserve)     ask(S) = A − ⌊δ·(|S|−1)/|S|·A⌋,  A = Σ_{s∈S} a_s
//!           │
//!           ▼  mirror (procurement → forward, as in `auction`): value(S) = Σ_{s∈S} r_s − ask(S)
//!  auction::combinatorial_vcg: exact welfare-maximising packing, VCG externality p per agent
//!           │
//!           ▼  paid(agent) = Σ_{s won} r_s − p   ∈ [declared cost, Σ r_s]
//!  split over its subtasks in proportion to r_s (largest remainder: the parts add up exactly)
//! ```
//!
//! **Bid model.** Each invited agent bids on every subset of the job's subtasks of at most `K`
//! (`max_bundle_size`) subtasks (it is capable of all of them: a DAG job needs one capability).
//! Its ask for a bundle is the sum of its per-subtask asks less an economies-of-scope discount:
//! δ ∈ [0, 1] is the share of an ask that is set-up work (context, environment) an agent does
//! once per bundle instead of once per subtask, so a bundle of m subtasks saves (m − 1)/m of the
//! set-up share (rounded down to whole credits). A singleton is asked at exactly its per-subtask
//! ask. Why subsets and not one bundle per agent: the agent does not know which combination
//! the others make cheapest, and bidding on every small subset lets the exact solver find it.
//! Bids are OR bids: an agent may win several disjoint bundles (valued at the sum); the VCG
//! payment is per agent (all its bids removed for the counterfactual). A bundle whose ask is
//! not below its reserve adds no welfare and is not bid.
//!
//! **Reserve.** The client's reserve for a subtask is its budget, so the VCG payment for a set
//! of subtasks never exceeds the sum of their budgets (≤ the job's budget): no award can
//! overrun a budget, and each split part stays within its own subtask's budget.
//!
//! **Welfare** of an assignment = Σ over assigned subtasks of (reserve − declared ask), in
//! credits. Level-by-level matching (today's `sequential` rule) posts each subtask as its own
//! demand, so it can use only singleton asks: [`sequential_welfare`] gives each subtask, level
//! by level, to its cheapest singleton ask below the reserve. That assignment is one feasible
//! packing of the same bids, so it never beats the exact optimum.

use super::auction::{self, AuctionError, BundleBid};
use super::{AgentId, Credits};

/// One invited agent's asks for a decomposed job.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentAsks {
    /// The agent.
    pub agent: AgentId,
    /// Its ask for each subtask, by subtask index, credits.
    pub asks: Vec<Credits>,
    /// Its economies-of-scope discount δ (share of an ask saved per extra subtask set-up),
    /// clamped into [0, 1].
    pub discount: f64,
}

/// A decomposed job as the combinatorial auction sees it.
#[derive(Debug, Clone, Copy)]
pub struct JobBids<'a> {
    /// Each subtask's reserve (its budget ceiling), credits.
    pub reserves: &'a [Credits],
    /// The DAG's parallel levels (subtask indices), first level first.
    pub levels: &'a [Vec<usize>],
    /// The bidders, in invitation order (ties go to the earlier one).
    pub agents: &'a [AgentAsks],
}

/// What one agent won: its subtasks, its declared cost and its VCG payment split per subtask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    /// The winning agent.
    pub agent: AgentId,
    /// Subtasks won (bit s = subtask s).
    pub subtasks: u64,
    /// The winning bundles that make them up (OR bids: one or more, disjoint), in bid order.
    pub bundles: Vec<u64>,
    /// Sum of the asks of its winning bundle bids: what first price would pay it.
    pub ask: Credits,
    /// Its VCG payment, `ask ≤ payment ≤ Σ reserves of its subtasks`.
    pub payment: Credits,
    /// `(subtask, contract price)` in subtask order; the prices add up to `payment`.
    pub parts: Vec<(usize, Credits)>,
}

/// The result of clearing one decomposed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearing {
    /// One award per winning agent.
    pub awards: Vec<Award>,
    /// Welfare of the chosen (optimal) assignment, credits.
    pub welfare: u64,
    /// Welfare level-by-level matching would reach on the same bids ([`sequential_welfare`]).
    pub sequential_welfare: u64,
}

impl Clearing {
    /// Total VCG payments.
    pub fn vcg_payments(&self) -> u64 {
        self.awards.iter().map(|a| a.payment.0).sum()
    }
    /// What pay-your-bid (first price) would pay for the same allocation.
    pub fn first_price_payments(&self) -> u64 {
        self.awards.iter().map(|a| a.ask.0).sum()
    }
}

/// Largest job a combinatorial clearing accepts, in subtasks: the solver's table has
/// 2^subtasks entries and is filled once per winner, so work per job stays below
/// 2^12 × [`auction::MAX_BUNDLE_BIDS`] × 65 steps.
pub const MAX_SUBTASKS: u32 = 12;

/// An agent's ask for `bundle` (bit s = subtask s): `A − ⌊δ·(m − 1)/m·A⌋` with `A` the sum of
/// its asks over the bundle's `m` subtasks (module docs).
pub fn bundle_ask(asks: &[Credits], bundle: u64, discount: f64) -> Credits {
    let m = bundle.count_ones();
    let total: u64 = subtasks(bundle).map(|s| asks[s].0).sum();
    let share = discount.clamp(0.0, 1.0) * f64::from(m.saturating_sub(1)) / f64::from(m.max(1));
    let saved = ((total as f64) * share).floor() as u64;
    Credits(total - saved.min(total))
}

/// The subtask indices of a bitmask, ascending.
fn subtasks(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |s| mask & (1 << s) != 0)
}

/// Sum of the reserves of the subtasks in `mask`.
fn reserve(reserves: &[Credits], mask: u64) -> u64 {
    subtasks(mask).map(|s| reserves[s].0).sum()
}

/// Most bundle bids one agent can place on a job of `n` subtasks with bundles of at most
/// `max_size`: Σ_{j=1}^{min(n, max_size)} C(n, j), saturating at `u64::MAX`.
pub fn bundles_per_agent(n: u32, max_size: u32) -> u64 {
    let mut total = 0u128;
    let mut c = 1u128; // C(n, 0); exact in u128 for n ≤ 64 (C(64, 32) < 2^61)
    for j in 1..=u128::from(n.min(max_size).min(64)) {
        c = c * (u128::from(n) - j + 1) / j;
        total += c;
    }
    u64::try_from(total).unwrap_or(u64::MAX)
}

/// Every bundle bid of the job, in agent order then bundle-mask order, with its ask: the
/// forward amount is `value(S) = Σ r_s − ask(S) > 0` (module docs).
fn bundle_bids(job: &JobBids, max_size: u32) -> Vec<(BundleBid, Credits)> {
    let n = job.reserves.len();
    let mut out = Vec::new();
    for a in job.agents {
        for mask in 1u64..(1 << n) {
            if mask.count_ones() > max_size {
                continue;
            }
            let ask = bundle_ask(&a.asks, mask, a.discount);
            let r = reserve(job.reserves, mask);
            if ask.0 < r {
                out.push((
                    BundleBid {
                        bidder: a.agent,
                        items: mask,
                        amount: Credits(r - ask.0),
                    },
                    ask,
                ));
            }
        }
    }
    out
}

/// Clears a decomposed job exactly with VCG payments (module docs). Errors are the auction's
/// limits: more than [`auction::MAX_BUNDLE_BIDS`] bundle bids or more than 20 subtasks (the
/// scenario layer refuses scenarios that could reach them).
pub fn clear(job: &JobBids, max_size: u32) -> Result<Clearing, AuctionError> {
    let items = job.reserves.len() as u32;
    if items > auction::MAX_BUNDLE_ITEMS {
        return Err(AuctionError::TooManyItems { items });
    }
    let bids = bundle_bids(job, max_size);
    let forward: Vec<BundleBid> = bids.iter().map(|(b, _)| *b).collect();
    let outcome = auction::combinatorial_vcg(&forward)?;
    let awards = outcome
        .payments
        .iter()
        .map(|p| {
            let mine = outcome.winners.iter().filter(|w| w.bidder == p.bidder);
            let ask: u64 = mine.clone().map(|w| bids[w.index].1.0).sum();
            let payment = reserve(job.reserves, p.items) - p.payment.0;
            let won: Vec<usize> = subtasks(p.items).collect();
            let weights: Vec<Credits> = won.iter().map(|&s| job.reserves[s]).collect();
            Award {
                agent: p.bidder,
                subtasks: p.items,
                bundles: mine.map(|w| w.items).collect(),
                ask: Credits(ask),
                payment: Credits(payment),
                parts: won
                    .into_iter()
                    .zip(split(Credits(payment), &weights))
                    .collect(),
            }
        })
        .collect();
    Ok(Clearing {
        awards,
        welfare: outcome.welfare.0,
        sequential_welfare: sequential_welfare(job),
    })
}

/// Splits `amount` over parts in proportion to `weights` (largest remainder): part i is
/// ⌊amount·wᵢ/W⌋ plus one credit for the `amount − Σ⌊…⌋` parts with the largest remainders
/// (ties: the earlier part). The parts add up to `amount` exactly, and when `amount ≤ W` no
/// part exceeds its weight. All weights 0: everything goes to the first part.
pub fn split(amount: Credits, weights: &[Credits]) -> Vec<Credits> {
    let total: u128 = weights.iter().map(|w| u128::from(w.0)).sum();
    if total == 0 {
        let mut parts = vec![Credits::ZERO; weights.len()];
        if let Some(first) = parts.first_mut() {
            *first = amount;
        }
        return parts;
    }
    let a = u128::from(amount.0);
    let mut parts: Vec<u64> = weights
        .iter()
        .map(|w| (a * u128::from(w.0) / total) as u64)
        .collect();
    let given: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first; the stable sort keeps earlier parts first among equals.
    order.sort_by_key(|&i| std::cmp::Reverse(a * u128::from(weights[i].0) % total));
    for &i in order.iter().take((amount.0 - given) as usize) {
        parts[i] += 1;
    }
    parts.into_iter().map(Credits).collect()
}

/// Welfare of level-by-level matching on the same bids: level by level, each subtask goes to
/// the cheapest singleton ask below its reserve (ties: the earlier agent); the others stay
/// unassigned. Level order cannot change this assignment (singletons never conflict), but it
/// is the order the sequential rule fills them in.
pub fn sequential_welfare(job: &JobBids) -> u64 {
    job.levels
        .iter()
        .flatten()
        .filter_map(|&s| {
            let cheapest = job.agents.iter().map(|a| a.asks[s].0).min()?;
            job.reserves[s].0.checked_sub(cheapest)
        })
        .sum()
}

#[cfg(test)]
mod tests;

//! Tests for the auctions: textbook tables, literal clock simulations as references, and the
//! properties asked for by the issue (seed 002).

use super::*;
use proptest::prelude::*;

fn bids(amounts: &[u64]) -> Vec<Bid> {
    amounts
        .iter()
        .enumerate()
        .map(|(i, &a)| Bid {
            bidder: AgentId(i as u32),
            amount: Credits(a),
        })
        .collect()
}

fn outcome(index: usize, price: u64) -> AuctionOutcome {
    AuctionOutcome {
        winner: AgentId(index as u32),
        index,
        price: Credits(price),
    }
}

/// Literal English clock: start at the reserve, raise while ≥ 2 values reach the next price.
/// The winner is the highest value still in (ties: earliest).
fn english_by_clock(values: &[u64], reserve: u64, inc: u64) -> Option<(usize, u64)> {
    let mut price = reserve;
    if values.iter().all(|&v| v < price) {
        return None;
    }
    while values.iter().filter(|&&v| v >= price + inc).count() >= 2 {
        price += inc;
    }
    let mut winner = None::<usize>;
    for (i, &v) in values.iter().enumerate() {
        if v >= price && winner.is_none_or(|w| v > values[w]) {
            winner = Some(i);
        }
    }
    winner.map(|w| (w, price))
}

/// Literal Dutch clock: tick down from `start` to `floor`; at the first tick some bid reaches,
/// the highest such bid (earliest on ties) takes it.
fn dutch_by_clock(bids: &[u64], start: u64, dec: u64, floor: u64) -> Option<(usize, u64)> {
    let mut price = start;
    loop {
        let mut winner = None::<usize>;
        for (i, &b) in bids.iter().enumerate() {
            if b >= price && winner.is_none_or(|w| b > bids[w]) {
                winner = Some(i);
            }
        }
        if let Some(w) = winner {
            return Some((w, price));
        }
        if price == floor {
            return None;
        }
        price = price.saturating_sub(dec).max(floor);
    }
}

#[test]
fn single_item_table() {
    let b = bids(&[30, 50, 40, 50]);
    // Highest is 50, tied between bidders 1 and 3: the earliest (1) wins.
    assert_eq!(first_price(&b, Credits(10)), Ok(outcome(1, 50)));
    assert_eq!(
        vickrey(&b, Credits(10)),
        Ok(outcome(1, 50)),
        "tie: second price = 50"
    );
    let b = bids(&[30, 50, 40]);
    assert_eq!(vickrey(&b, Credits(10)), Ok(outcome(1, 40)));
    assert_eq!(
        vickrey(&b, Credits(45)),
        Ok(outcome(1, 45)),
        "reserve above second bid"
    );
    assert_eq!(vickrey(&b, Credits(51)), Err(AuctionError::NoEligibleBid));
    assert_eq!(
        vickrey(&bids(&[70]), Credits(20)),
        Ok(outcome(0, 20)),
        "lone bid pays reserve"
    );
    assert_eq!(
        first_price(&[], Credits(0)),
        Err(AuctionError::NoEligibleBid)
    );
    // English: clock from 10 by 7 → 10,17,24,31,38 (two values ≥ 38), 45 > 40: stops at 38.
    assert_eq!(english(&b, Credits(10), Credits(7)), Ok(outcome(1, 38)));
    assert_eq!(english(&b, Credits(10), Credits(1)), Ok(outcome(1, 40)));
    assert_eq!(
        english(&bids(&[70]), Credits(20), Credits(5)),
        Ok(outcome(0, 20))
    );
    // Dutch from 100 by 7: 100,93,…,51,44 → bidder 1 (50) takes it at 44.
    assert_eq!(
        dutch(&b, Credits(100), Credits(7), Credits(0)),
        Ok(outcome(1, 44))
    );
    assert_eq!(
        dutch(&b, Credits(100), Credits(1), Credits(0)),
        Ok(outcome(1, 50))
    );
    // Floor 48: ticks …,51, then 48 (clamped) → 48.
    assert_eq!(
        dutch(&b, Credits(100), Credits(7), Credits(48)),
        Ok(outcome(1, 48))
    );
    assert_eq!(
        dutch(&b, Credits(45), Credits(7), Credits(0)),
        Ok(outcome(1, 45)),
        "bid above start"
    );
    assert_eq!(
        dutch(&b, Credits(100), Credits(7), Credits(60)),
        Err(AuctionError::NoEligibleBid)
    );
}

#[test]
fn invalid_parameters_are_typed_errors() {
    let b = bids(&[5, 6]);
    assert_eq!(
        english(&b, Credits(0), Credits(0)),
        Err(AuctionError::ZeroStep)
    );
    assert_eq!(
        dutch(&b, Credits(9), Credits(0), Credits(0)),
        Err(AuctionError::ZeroStep)
    );
    assert_eq!(
        dutch(&b, Credits(3), Credits(1), Credits(4)),
        Err(AuctionError::InvalidClock {
            start: Credits(3),
            floor: Credits(4)
        })
    );
    for rule in [
        ProcurementRule::English {
            increment: Credits(0),
        },
        ProcurementRule::Dutch {
            increment: Credits(0),
        },
    ] {
        assert_eq!(procure(&b, Credits(10), rule), Err(AuctionError::ZeroStep));
    }
}

#[test]
fn procurement_table() {
    // Asks 2800, 3500, 4200 (paper §9.3), ceiling 5000.
    let a = bids(&[3500, 4200, 2800, 6000]);
    let c = Credits(5000);
    assert_eq!(
        procure(&a, c, ProcurementRule::FirstPrice),
        Ok(outcome(2, 2800))
    );
    assert_eq!(
        procure(&a, c, ProcurementRule::Vickrey),
        Ok(outcome(2, 3500))
    );
    // Descending clock 5000, 4900, …, 3500 (two asks ≤ 3500), 3400: one left → 3500.
    let eng = |i| ProcurementRule::English {
        increment: Credits(i),
    };
    assert_eq!(procure(&a, c, eng(100)), Ok(outcome(2, 3500)));
    // By 400: 5000, 4600, 4200, 3800 (asks 3500 and 2800 still in), 3400 has one → 3800.
    assert_eq!(procure(&a, c, eng(400)), Ok(outcome(2, 3800)));
    let dutch_rule = |i| ProcurementRule::Dutch {
        increment: Credits(i),
    };
    assert_eq!(procure(&a, c, dutch_rule(1000)), Ok(outcome(2, 3000)));
    assert_eq!(procure(&a, c, dutch_rule(100)), Ok(outcome(2, 2800)));
    assert_eq!(
        procure(&a, Credits(2900), dutch_rule(1000)),
        Ok(outcome(2, 2900)),
        "capped at ceiling"
    );
    // A lone eligible ask is paid the ceiling under Vickrey and English.
    assert_eq!(
        procure(&a, Credits(3000), ProcurementRule::Vickrey),
        Ok(outcome(2, 3000))
    );
    assert_eq!(procure(&a, Credits(3000), eng(7)), Ok(outcome(2, 3000)));
    assert_eq!(
        procure(&a, Credits(2799), ProcurementRule::FirstPrice),
        Err(AuctionError::NoEligibleBid)
    );
    // Equal asks: the earliest wins and (Vickrey) is paid the tied ask.
    assert_eq!(
        procure(&bids(&[9, 7, 7]), Credits(10), ProcurementRule::Vickrey),
        Ok(outcome(1, 7))
    );
    // Keyed: equal asks, the smallest key wins whatever the position.
    let award = procure_keyed(
        [(Credits(7), 5u32), (Credits(7), 2), (Credits(9), 0)],
        Credits(10),
        ProcurementRule::FirstPrice,
    );
    assert_eq!(
        award,
        Ok(Award {
            position: 1,
            price: Credits(7)
        })
    );
}

#[test]
fn vcg_textbook_two_singles_beat_the_pair() {
    const A: u64 = 1;
    const B: u64 = 2;
    let bids = [
        BundleBid {
            bidder: AgentId(1),
            items: A | B,
            amount: Credits(10),
        },
        BundleBid {
            bidder: AgentId(2),
            items: A,
            amount: Credits(6),
        },
        BundleBid {
            bidder: AgentId(3),
            items: B,
            amount: Credits(6),
        },
    ];
    let out = combinatorial_vcg(&bids).unwrap();
    assert_eq!(out.welfare, Credits(12));
    let won: Vec<(AgentId, Credits)> = out.payments.iter().map(|p| (p.bidder, p.payment)).collect();
    assert_eq!(
        won,
        vec![(AgentId(2), Credits(4)), (AgentId(3), Credits(4))]
    );
    // The pair bid rises to 13: it wins alone and pays the 12 the singles would have made.
    let mut bids = bids;
    bids[0].amount = Credits(13);
    let out = combinatorial_vcg(&bids).unwrap();
    assert_eq!(out.welfare, Credits(13));
    assert_eq!(out.winners.len(), 1);
    assert_eq!(
        (out.payments[0].bidder, out.payments[0].payment),
        (AgentId(1), Credits(12))
    );
}

/// OR bids: bidder 1 bids 6 on A and 6 on B, bidder 2 bids 10 on the pair. Bidder 1 wins both
/// (welfare 12) and, with all its bids removed, the pair would make 10: it pays 10 for the two.
/// (Removing one of its bids at a time would charge 4 + 4 = 8: not VCG for an OR bidder.)
#[test]
fn vcg_or_bids_charge_the_bidder_once_for_everything_it_wins() {
    let bid = |bidder: u32, items: u64, amount: u64| BundleBid {
        bidder: AgentId(bidder),
        items,
        amount: Credits(amount),
    };
    let out = combinatorial_vcg(&[bid(1, 1, 6), bid(2, 3, 10), bid(1, 2, 6)]).unwrap();
    assert_eq!(out.welfare, Credits(12));
    let won: Vec<usize> = out.winners.iter().map(|w| w.index).collect();
    assert_eq!(won, vec![0, 2]);
    assert_eq!(
        out.payments,
        vec![VcgPayment {
            bidder: AgentId(1),
            items: 3,
            value: Credits(12),
            payment: Credits(10),
        }]
    );
}

#[test]
fn vcg_disjoint_bundles_all_win_for_free_and_sparse_items_compress() {
    // Items 3, 40 and 63: far apart bits, only 3 distinct items.
    let bids = [
        BundleBid {
            bidder: AgentId(0),
            items: 1 << 3,
            amount: Credits(5),
        },
        BundleBid {
            bidder: AgentId(1),
            items: (1 << 40) | (1 << 63),
            amount: Credits(8),
        },
    ];
    let out = combinatorial_vcg(&bids).unwrap();
    assert_eq!(out.welfare, Credits(13));
    assert!(out.payments.iter().all(|p| p.payment == Credits(0)));
    assert_eq!(out.winners.len(), 2);
    assert_eq!(
        combinatorial_vcg(&[]).unwrap(),
        VcgOutcome {
            welfare: Credits(0),
            winners: vec![],
            payments: vec![]
        }
    );
}

#[test]
fn vcg_rejects_inputs_beyond_its_limits() {
    let one = |bidder: u32, items: u64| BundleBid {
        bidder: AgentId(bidder),
        items,
        amount: Credits(1),
    };
    assert_eq!(
        combinatorial_vcg(&[one(0, 0)]),
        Err(AuctionError::EmptyBundle { index: 0 })
    );
    assert_eq!(
        combinatorial_vcg(&[one(0, (1 << 21) - 1)]),
        Err(AuctionError::TooManyItems { items: 21 })
    );
    let many: Vec<BundleBid> = (0..65).map(|i| one(i, 1)).collect();
    assert_eq!(
        combinatorial_vcg(&many),
        Err(AuctionError::TooManyBids { bids: 65 })
    );
    let big = BundleBid {
        bidder: AgentId(1),
        items: 2,
        amount: Credits(u64::MAX),
    };
    assert_eq!(
        combinatorial_vcg(&[one(0, 1), big]),
        Err(AuctionError::Overflow)
    );
}

/// Brute force over all subsets of bids: the best feasible welfare, optionally without any bid
/// of bidder `skip`.
fn brute_welfare(bids: &[BundleBid], skip: Option<AgentId>) -> u64 {
    let m = bids.len();
    let mut best = 0;
    for set in 0u32..(1 << m) {
        if (0..m).any(|i| set & (1 << i) != 0 && Some(bids[i].bidder) == skip) {
            continue;
        }
        let mut used = 0u64;
        let mut total = 0u64;
        let mut feasible = true;
        for (i, b) in bids.iter().enumerate() {
            if set & (1 << i) != 0 {
                feasible &= used & b.items == 0;
                used |= b.items;
                total += b.amount.0;
            }
        }
        if feasible {
            best = best.max(total);
        }
    }
    best
}

/// Up to 8 bids by up to 4 bidders (so some bidders place several OR bids).
fn bundle_bids() -> impl Strategy<Value = Vec<BundleBid>> {
    prop::collection::vec((0u32..4, 1u64..64, 0u64..40), 0..8).prop_map(|v| {
        v.into_iter()
            .map(|(bidder, items, amount)| BundleBid {
                bidder: AgentId(bidder),
                // Spread the 6 item bits over the u64 to exercise compression.
                items: (0..6)
                    .filter(|b| items & (1 << b) != 0)
                    .fold(0, |m, b| m | 1 << (b * 11)),
                amount: Credits(amount),
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Truthful bidders: the Vickrey winner has the highest value (earliest on ties) and pays
    /// the second-highest eligible value, or the reserve.
    #[test]
    fn vickrey_winner_is_highest_and_pays_second(values in prop::collection::vec(0u64..200, 1..12), reserve in 0u64..100) {
        let b = bids(&values);
        let mut sorted: Vec<(u64, usize)> = values.iter().enumerate().filter(|(_, v)| **v >= reserve).map(|(i, &v)| (v, i)).collect();
        sorted.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        match vickrey(&b, Credits(reserve)) {
            Err(e) => { prop_assert_eq!(e, AuctionError::NoEligibleBid); prop_assert!(sorted.is_empty()); }
            Ok(o) => {
                prop_assert_eq!(o.index, sorted[0].1);
                prop_assert_eq!(o.winner, AgentId(sorted[0].1 as u32));
                prop_assert_eq!(o.price.0, sorted.get(1).map_or(reserve, |s| s.0));
            }
        }
    }

    /// English ends within one increment below the second-highest value, with the Vickrey
    /// winner, and agrees exactly with a literal clock simulation.
    #[test]
    fn english_ends_at_second_value_with_the_same_winner(values in prop::collection::vec(0u64..300, 1..10), reserve in 0u64..50, inc in 1u64..40) {
        let b = bids(&values);
        let e = english(&b, Credits(reserve), Credits(inc));
        let v = vickrey(&b, Credits(reserve));
        prop_assert_eq!(e.map(|o| (o.index, o.price.0)).ok(), english_by_clock(&values, reserve, inc));
        match (e, v) {
            (Ok(e), Ok(v)) => {
                prop_assert_eq!(e.winner, v.winner);
                prop_assert!(e.price <= v.price && e.price.0 + inc > v.price.0,
                    "english {} vs second value {}", e.price, v.price);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "disagree: {:?} {:?}", a, b),
        }
    }

    /// Dutch and first price on the same sealed bids (start ≥ every bid): same winner, price
    /// within one decrement below the first-price price (equal when decrement = 1); the closed
    /// form equals a literal clock.
    #[test]
    fn dutch_matches_first_price_within_one_decrement(values in prop::collection::vec(0u64..300, 1..10), floor in 0u64..60, dec in 1u64..40, extra in 0u64..100) {
        let b = bids(&values);
        let start = values.iter().copied().max().unwrap().max(floor) + extra;
        let d = dutch(&b, Credits(start), Credits(dec), Credits(floor));
        let f = first_price(&b, Credits(floor));
        prop_assert_eq!(d.map(|o| (o.index, o.price.0)).ok(), dutch_by_clock(&values, start, dec, floor));
        match (d, f) {
            (Ok(d), Ok(f)) => {
                prop_assert_eq!(d.winner, f.winner);
                prop_assert!(d.price <= f.price && d.price.0 + dec > f.price.0);
                if dec == 1 { prop_assert_eq!(d.price, f.price); }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "disagree: {:?} {:?}", a, b),
        }
    }

    /// Procurement: the lowest eligible ask wins (earliest on ties); Vickrey pays the
    /// second-lowest ask (the ceiling when alone); English pays within one increment above it;
    /// Dutch pays within one increment above the winning ask; nothing exceeds the ceiling; and
    /// each rule equals its forward auction on mirrored values `ceiling − ask`.
    #[test]
    fn procurement_mirror(asks in prop::collection::vec(0u64..300, 1..10), ceiling in 0u64..300, inc in 1u64..40) {
        let a = bids(&asks);
        let c = Credits(ceiling);
        let mut eligible: Vec<(u64, usize)> = asks.iter().enumerate().filter(|(_, x)| **x <= ceiling).map(|(i, &x)| (x, i)).collect();
        eligible.sort();
        let mirrored: Vec<Bid> = asks.iter().enumerate().map(|(i, &x)| Bid {
            bidder: AgentId(i as u32),
            // Mirror shifted by +1 so that asks above the ceiling map to 0 < forward reserve 1.
            amount: Credits(if x <= ceiling { ceiling - x + 1 } else { 0 }),
        }).collect();
        let rules = [
            ProcurementRule::FirstPrice,
            ProcurementRule::Vickrey,
            ProcurementRule::English { increment: Credits(inc) },
            ProcurementRule::Dutch { increment: Credits(inc) },
        ];
        for rule in rules {
            let out = procure(&a, c, rule);
            if eligible.is_empty() {
                prop_assert_eq!(out, Err(AuctionError::NoEligibleBid));
                continue;
            }
            let out = out.unwrap();
            let (a1, winner) = eligible[0];
            prop_assert_eq!(out.index, winner);
            prop_assert!(out.price.0 >= a1 && out.price <= c);
            let a2 = eligible.get(1).map_or(ceiling, |s| s.0);
            // Forward equivalent on values shifted by +1 so that reserve 1 excludes the ineligible.
            let fwd = match rule {
                ProcurementRule::FirstPrice => { prop_assert_eq!(out.price.0, a1); first_price(&mirrored, Credits(1)) }
                ProcurementRule::Vickrey => { prop_assert_eq!(out.price.0, a2); vickrey(&mirrored, Credits(1)) }
                ProcurementRule::English { increment } => {
                    prop_assert!(out.price.0 >= a2 && out.price.0 < a2 + inc);
                    english(&mirrored, Credits(1), increment)
                }
                ProcurementRule::Dutch { increment } => {
                    prop_assert_eq!(out.price.0, (a1.div_ceil(inc) * inc).min(ceiling));
                    dutch(&mirrored, Credits(ceiling + 1), increment, Credits(1))
                }
            }.unwrap();
            prop_assert_eq!(fwd.index, out.index);
            prop_assert_eq!(ceiling + 1 - fwd.price.0, out.price.0);
        }
    }

    /// Combinatorial VCG against brute force: optimal welfare, a feasible allocation achieving
    /// it, and per winning bidder (OR bids) a VCG payment equal to the brute-force externality
    /// of removing all its bids, within [0, value won].
    #[test]
    fn vcg_agrees_with_brute_force(bids in bundle_bids()) {
        let out = combinatorial_vcg(&bids).unwrap();
        let best = brute_welfare(&bids, None);
        prop_assert_eq!(out.welfare.0, best);
        let mut used = 0u64;
        let mut total = 0u64;
        for w in &out.winners {
            prop_assert_eq!(used & w.items, 0, "overlapping winners");
            used |= w.items;
            total += bids[w.index].amount.0;
            prop_assert!(bids[w.index].amount.0 > 0, "zero bids never win");
        }
        prop_assert_eq!(total, best);
        let mut bidders: Vec<AgentId> = out.winners.iter().map(|w| w.bidder).collect();
        bidders.dedup();
        bidders.sort_unstable();
        bidders.dedup();
        prop_assert_eq!(bidders.len(), out.payments.len());
        for p in &out.payments {
            let mine = out.winners.iter().filter(|w| w.bidder == p.bidder);
            let value: u64 = mine.clone().map(|w| bids[w.index].amount.0).sum();
            let items = mine.fold(0, |m, w| m | w.items);
            prop_assert_eq!((p.value.0, p.items), (value, items));
            let expected = brute_welfare(&bids, Some(p.bidder)) - (best - value);
            prop_assert_eq!(p.payment.0, expected);
            prop_assert!(p.payment <= p.value);
        }
    }

    /// With every bid on the same single item, VCG is the Vickrey auction with reserve 0.
    #[test]
    fn vcg_on_one_item_is_vickrey(values in prop::collection::vec(1u64..100, 1..10)) {
        let bundle: Vec<BundleBid> = values.iter().enumerate().map(|(i, &v)| BundleBid { bidder: AgentId(i as u32), items: 1 << 7, amount: Credits(v) }).collect();
        let out = combinatorial_vcg(&bundle).unwrap();
        let v = vickrey(&bids(&values), Credits(0)).unwrap();
        prop_assert_eq!(out.winners.len(), 1);
        prop_assert_eq!((out.winners[0].index, out.payments[0].payment), (v.index, v.price));
    }
}

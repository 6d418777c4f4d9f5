use super::*;
use proptest::prelude::*;

const MIN: u64 = 60;

/// Seed 004's task: max 30 min, min success 0.95, max cost €2.50 (= 250 credits), one capability.
fn seed_task() -> TaskRequirements {
    TaskRequirements::new(Credits(250), 30 * MIN, 0.95, 0b1).unwrap()
}

/// Seed 004's agent A: €2.30, 25 min, 98 %, calibration 0.92.
fn agent_a() -> PerfBid {
    PerfBid {
        agent: AgentId(0),
        cost: Credits(230),
        latency_seconds: 25 * MIN,
        est_success: 0.98,
        calibration: 0.92,
        capabilities: 0b1,
    }
}

/// Seed 004's agent B: €1.80, 40 min, 92 %, calibration 0.85.
fn agent_b() -> PerfBid {
    PerfBid {
        agent: AgentId(1),
        cost: Credits(180),
        latency_seconds: 40 * MIN,
        est_success: 0.92,
        calibration: 0.85,
        capabilities: 0b1,
    }
}

#[test]
fn golden_seed_004_bid_scores_as_the_formula_really_gives() {
    // The seed prints 0.4521 and 0.5834, but its own formula on its own inputs gives
    // A: 0.4·2.30/2.5 + 0.3·25/30 + 2·0.02 − 0.2·0.42 = 0.368 + 0.25 + 0.04 − 0.084 = 0.574
    // B: 0.4·1.80/2.5 + 0.3·40/30 + 2·0.08 − 0.2·0.35 = 0.288 + 0.4 + 0.16 − 0.07 = 0.778
    // (SPEC §8). The seed also writes 0.92 for 2.30/2.5 but then sums as if it were not there.
    let a = composite_score(&agent_a(), Credits(250), 30 * MIN);
    let b = composite_score(&agent_b(), Credits(250), 30 * MIN);
    assert!((a - 0.574).abs() < 1e-3, "A = {a}");
    assert!((b - 0.778).abs() < 1e-3, "B = {b}");
    assert!((a - 0.4521).abs() > 0.1 && (b - 0.5834).abs() > 0.1);
}

#[test]
fn seed_agent_b_is_refused_for_latency_and_a_wins() {
    let req = seed_task();
    assert_eq!(
        validate_bid(&req, &agent_b()),
        Err(BidRejection::LatencyOverMax {
            latency: 40 * MIN,
            max: 30 * MIN
        })
    );
    assert_eq!(validate_bid(&req, &agent_a()), Ok(()));
    // B first in the list, and B alone: it can never win.
    let award = select_winner(&req, &[agent_b(), agent_a()]).unwrap();
    assert_eq!((award.index, award.agent), (1, AgentId(0)));
    assert!((award.score - 0.574).abs() < 1e-3);
    assert_eq!(select_winner(&req, &[agent_b()]), None);
}

#[test]
fn golden_seed_004_credits_example() {
    // Base 2.30, latency 25 → 23 min (accuracy 0.92), cost as bid (accuracy 1.0):
    // 2.30 + (0.92 + 1.0)/2 × 2.30 × 0.2 = 2.7416 ≈ 2.74 (in units of 0.01: 274.16).
    let outcome = Outcome {
        success: true,
        latency_seconds: 23 * MIN,
        cost: Credits(230),
    };
    let s = PerformanceConfig::default().settle(&agent_a(), &outcome);
    assert!((s.latency_accuracy - 0.92).abs() < 1e-12);
    assert_eq!(s.cost_accuracy, 1.0);
    assert!((s.reward - 274.16).abs() < 1e-9, "reward = {}", s.reward);
    assert!((s.reward / 100.0 - 2.74).abs() < 0.005);
    // Calibration 0.3 × (0.6 × 0.92 + 0.4 × 1) + 0.7 × 0.92 = 0.9296: the seed's profile shows
    // 0.92 → 0.93 after this task.
    assert!((s.calibration - 0.9296).abs() < 1e-12);
}

#[test]
fn failure_costs_half_the_base_and_lowers_calibration() {
    let outcome = Outcome {
        success: false,
        latency_seconds: 25 * MIN,
        cost: Credits(230),
    };
    let s = PerformanceConfig::default().settle(&agent_a(), &outcome);
    assert!((s.reward + 115.0).abs() < 1e-9);
    // 0.3 × (0.6 × 1 + 0) + 0.7 × 0.92 = 0.824
    assert!((s.calibration - 0.824).abs() < 1e-12);
}

#[test]
fn accuracy_definition_edges() {
    assert_eq!(accuracy(25.0, 25.0), 1.0);
    assert!((accuracy(25.0, 27.0) - 0.92).abs() < 1e-12); // late as bad as early
    assert_eq!(accuracy(25.0, 60.0), 0.0); // floored at 0
    assert_eq!(accuracy(0.0, 0.0), 1.0);
    assert_eq!(accuracy(0.0, 5.0), 0.0);
}

#[test]
fn each_validation_reason_is_typed() {
    let req = seed_task();
    let ok = agent_a();
    let cases = [
        (
            PerfBid {
                est_success: f64::NAN,
                ..ok
            },
            "InvalidSuccessEstimate",
        ),
        (
            PerfBid {
                calibration: 1.5,
                ..ok
            },
            "InvalidCalibration",
        ),
        (
            PerfBid {
                latency_seconds: 30 * MIN + 1,
                ..ok
            },
            "LatencyOverMax",
        ),
        (
            PerfBid {
                est_success: 0.94,
                ..ok
            },
            "SuccessBelowMin",
        ),
        (
            PerfBid {
                cost: Credits(251),
                ..ok
            },
            "CostOverMax",
        ),
        (
            PerfBid {
                capabilities: 0b10,
                ..ok
            },
            "MissingCapability",
        ),
    ];
    for (bid, name) in cases {
        let err = validate_bid(&req, &bid).unwrap_err();
        assert!(format!("{err:?}").starts_with(name), "{name}: {err:?}");
    }
    assert_eq!(
        validate_bid(
            &req,
            &PerfBid {
                capabilities: 0b10,
                ..ok
            }
        ),
        Err(BidRejection::MissingCapability { missing: 0b1 })
    );
    // Exactly at the limits is accepted.
    let edge = PerfBid {
        cost: Credits(250),
        latency_seconds: 30 * MIN,
        est_success: 0.95,
        ..ok
    };
    assert_eq!(validate_bid(&req, &edge), Ok(()));
}

#[test]
fn requirements_and_config_are_validated() {
    assert_eq!(
        TaskRequirements::new(Credits(0), 1, 0.5, 0),
        Err(PerformanceError::ZeroMaxCost)
    );
    assert_eq!(
        TaskRequirements::new(Credits(1), 0, 0.5, 0),
        Err(PerformanceError::ZeroMaxLatency)
    );
    assert!(matches!(
        TaskRequirements::new(Credits(1), 1, f64::NAN, 0),
        Err(PerformanceError::MinSuccessOutOfRange(_))
    ));
    assert_eq!(PerformanceConfig::default().validate(), Ok(()));
    let bad = PerformanceConfig {
        latency_weight: -0.1,
        ..Default::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(PerformanceError::InvalidConfig {
            field: "latency_weight",
            ..
        })
    ));
    let bad = PerformanceConfig {
        calibration_alpha: f64::NAN,
        ..Default::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(PerformanceError::InvalidConfig {
            field: "calibration_alpha",
            ..
        })
    ));
}

#[test]
fn exact_ties_go_to_the_earlier_bid() {
    let req = seed_task();
    let x = agent_a();
    let y = PerfBid {
        agent: AgentId(7),
        ..x
    };
    assert_eq!(select_winner(&req, &[x, y]).unwrap().agent, AgentId(0));
    assert_eq!(select_winner(&req, &[y, x]).unwrap().agent, AgentId(7));
}

#[test]
fn calibration_rewards_honest_bidders() {
    // Same offer, better calibration → lower (better) score by 0.2 × Δcalibration.
    let low = PerfBid {
        calibration: 0.4,
        ..agent_a()
    };
    let d =
        composite_score(&low, Credits(250), 1800) - composite_score(&agent_a(), Credits(250), 1800);
    assert!((d - 0.2 * 0.52).abs() < 1e-12);
}

fn arb_bid() -> impl Strategy<Value = PerfBid> {
    (
        0u32..5,
        0u64..300,
        0u64..2400,
        0.0f64..=1.0,
        0.0f64..=1.0,
        0u64..4,
    )
        .prop_map(|(agent, cost, latency, est, cal, caps)| PerfBid {
            agent: AgentId(agent),
            cost: Credits(cost),
            latency_seconds: latency,
            est_success: est,
            calibration: cal,
            capabilities: caps,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The winner is the first valid bid of minimal score, as a naive filter-and-scan finds it.
    #[test]
    fn winner_matches_naive_reference(bids in proptest::collection::vec(arb_bid(), 0..12)) {
        let req = TaskRequirements::new(Credits(250), 1800, 0.5, 0b1).unwrap();
        let cfg = PerformanceConfig::default();
        let mut valid: Vec<(f64, usize)> = bids
            .iter()
            .enumerate()
            .filter(|(_, b)| validate_bid(&req, b).is_ok())
            .map(|(i, b)| (cfg.composite_score(b, Credits(250), 1800), i))
            .collect();
        valid.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let award = cfg.select_winner(&req, &bids);
        prop_assert_eq!(award.map(|a| a.index), valid.first().map(|v| v.1));
        if let Some(a) = award {
            prop_assert_eq!(a.agent, bids[a.index].agent);
        }
    }

    /// The score increases with cost and latency and decreases with success and calibration.
    #[test]
    fn score_is_monotone(bid in arb_bid(), dc in 1u64..50, dl in 1u64..50) {
        let s = composite_score(&bid, Credits(250), 1800);
        let pricier = PerfBid { cost: Credits(bid.cost.0 + dc), ..bid };
        let slower = PerfBid { latency_seconds: bid.latency_seconds + dl, ..bid };
        prop_assert!(composite_score(&pricier, Credits(250), 1800) > s);
        prop_assert!(composite_score(&slower, Credits(250), 1800) > s);
        let surer = PerfBid { est_success: (bid.est_success + 0.1).min(1.0), ..bid };
        prop_assert!(composite_score(&surer, Credits(250), 1800) <= s);
    }

    /// Accuracies stay in [0, 1], a success earns between 1× and 1.2× the base, and a calibration
    /// in [0, 1] stays in [0, 1].
    #[test]
    fn settlement_is_bounded(bid in arb_bid(), success: bool, lat in 0u64..5000, cost in 0u64..600) {
        let s = PerformanceConfig::default().settle(&bid, &Outcome { success, latency_seconds: lat, cost: Credits(cost) });
        prop_assert!((0.0..=1.0).contains(&s.latency_accuracy));
        prop_assert!((0.0..=1.0).contains(&s.cost_accuracy));
        prop_assert!((0.0..=1.0).contains(&s.calibration));
        let base = bid.cost.as_f64();
        if success {
            prop_assert!(s.reward >= base && s.reward <= 1.2 * base + 1e-9);
        } else {
            prop_assert!((s.reward + 0.5 * base).abs() < 1e-9);
        }
    }
}

#[test]
fn refusals_at_each_boundary() {
    // Each requirement accepts its bound exactly and refuses the next value past it.
    let req = seed_task();
    let ok = agent_a();
    let at = |bid: PerfBid| validate_bid(&req, &bid);
    assert_eq!(
        at(PerfBid {
            latency_seconds: 30 * MIN,
            ..ok
        }),
        Ok(())
    );
    assert!(matches!(
        at(PerfBid {
            latency_seconds: 30 * MIN + 1,
            ..ok
        }),
        Err(BidRejection::LatencyOverMax { .. })
    ));
    assert_eq!(
        at(PerfBid {
            est_success: 0.95,
            ..ok
        }),
        Ok(())
    );
    assert!(matches!(
        at(PerfBid {
            est_success: 0.95f64.next_down(),
            ..ok
        }),
        Err(BidRejection::SuccessBelowMin { .. })
    ));
    assert_eq!(
        at(PerfBid {
            cost: Credits(250),
            ..ok
        }),
        Ok(())
    );
    assert!(matches!(
        at(PerfBid {
            cost: Credits(251),
            ..ok
        }),
        Err(BidRejection::CostOverMax { .. })
    ));
    // Capabilities: a superset is fine, one missing bit is refused.
    assert_eq!(
        at(PerfBid {
            capabilities: 0b111,
            ..ok
        }),
        Ok(())
    );
    let two = TaskRequirements::new(Credits(250), 30 * MIN, 0.95, 0b11).unwrap();
    assert_eq!(
        validate_bid(&two, &ok),
        Err(BidRejection::MissingCapability { missing: 0b10 })
    );
    // The probabilities' own bounds: 1.0 is a valid estimate and calibration, just over is not.
    assert_eq!(
        at(PerfBid {
            est_success: 1.0,
            calibration: 1.0,
            ..ok
        }),
        Ok(())
    );
    assert!(matches!(
        at(PerfBid {
            est_success: 1.0f64.next_up(),
            ..ok
        }),
        Err(BidRejection::InvalidSuccessEstimate(_))
    ));
    assert!(matches!(
        at(PerfBid {
            calibration: 0.0f64.next_down(),
            ..ok
        }),
        Err(BidRejection::InvalidCalibration(_))
    ));
}

#[test]
fn calibration_ema_by_hand_over_four_outcomes() {
    // Agent A's bid (25 min, cost 230) awarded four times; the book starts it at 1.0.
    let mut book = PerformanceBook::new(PerformanceConfig::default()).unwrap();
    book.register(AgentId(0));
    assert_eq!(book.calibration(AgentId(0)), 1.0);
    let steps = [
        // (success, actual minutes, expected calibration)
        // 1: 23 min → accuracy 0.92: 0.3 × (0.6 × 0.92 + 0.4) + 0.7 × 1.0 = 0.9856
        (true, 23, 0.9856),
        // 2: failure at 25 min → accuracy 1: 0.3 × 0.6 + 0.7 × 0.9856 = 0.86992
        (false, 25, 0.86992),
        // 3: 50 min → accuracy 0 (floored): 0.3 × 0.4 + 0.7 × 0.86992 = 0.728944
        (true, 50, 0.728944),
        // 4: 30 min → accuracy 0.8: 0.3 × (0.48 + 0.4) + 0.7 × 0.728944 = 0.7742608
        (true, 30, 0.7742608),
    ];
    for (n, (success, minutes, expected)) in steps.into_iter().enumerate() {
        let contract = ContractId::from_parts(n as u32, 0);
        book.award(contract, agent_a());
        let r = book
            .record(contract, success, minutes * MIN, Credits(250))
            .unwrap();
        assert!(
            (r.settlement.calibration - expected).abs() < 1e-12,
            "step {n}: {}",
            r.settlement.calibration
        );
        assert_eq!(book.calibration(AgentId(0)), r.settlement.calibration);
        // Each outcome counts once.
        assert_eq!(book.record(contract, success, 0, Credits(250)), None);
        book.end(contract);
    }
    assert_eq!(book.live(), 0);
}

#[test]
fn golden_seed_004_credits_in_whole_credits() {
    // The seed's success (reward 274.16 for a 230 bid) bills ⌊274.16⌋ = 274 against a hold of
    // 300, and the hold itself against a hold of 250; its failure owes ⌊0.5 × 230⌋ = 115.
    assert_eq!(bill_due(274.16, Credits(300)), Credits(274));
    assert_eq!(bill_due(274.16, Credits(250)), Credits(250));
    assert_eq!(bill_due(-115.0, Credits(250)), Credits::ZERO);
    let mut book = PerformanceBook::new(PerformanceConfig::default()).unwrap();
    book.register(AgentId(0));
    let (won, lost) = (ContractId::from_parts(0, 0), ContractId::from_parts(1, 0));
    book.award(
        won,
        PerfBid {
            calibration: 0.92,
            ..agent_a()
        },
    );
    book.award(lost, agent_a());
    let r = book.record(won, true, 23 * MIN, Credits(300)).unwrap();
    assert_eq!((r.bill, r.penalty), (Credits(274), Credits::ZERO));
    assert_eq!(book.due(won), Some(Credits(274)));
    let r = book.record(lost, false, 25 * MIN, Credits(250)).unwrap();
    assert_eq!((r.bill, r.penalty), (Credits::ZERO, Credits(115)));
    // Not awarded here: nothing to record.
    assert_eq!(
        book.record(ContractId::from_parts(9, 0), true, 0, Credits(1)),
        None
    );
}

mod market {
    //! The performance market through the marketplace facade: money conserved exactly.
    use super::*;
    use crate::market::contract::{PricingModel, TransitionPolicy, Usage};
    use crate::market::marketplace::{MarketConfig, Marketplace, ProposalTerms};
    use crate::market::order_book::{ClearingRule, RankingSignal};
    use crate::market::reputation::ReputationConfig;
    use crate::market::split::SplitPolicy;
    use crate::market::staking::StakingConfig;
    use crate::market::{ClientId, QualityVector};

    const BOND: u64 = 1_000;

    fn market() -> (Marketplace, ClientId, [AgentId; 2]) {
        let mut m = Marketplace::new(MarketConfig {
            clearing: ClearingRule::Performance,
            ranking: RankingSignal::Reputation,
            transitions: TransitionPolicy::default(),
            split: SplitPolicy::default(),
            reputation: ReputationConfig::default(),
            staking: Some((StakingConfig::default(), Credits(BOND))),
            performance: PerformanceConfig::default(),
            bidding_power: None,
            #[cfg(feature = "fault-injection")]
            fault: None,
        });
        let client = m.open_client(Credits(100_000));
        let agents = [m.register_agent(), m.register_agent()];
        (m, client, agents)
    }

    fn bid(m: &mut Marketplace, task: crate::market::TaskId, agent: AgentId, price: u64, t: u64) {
        let terms = ProposalTerms {
            agent,
            price: Credits(price),
            duration: 25 * MIN,
            confidence: 0.98,
            model: PricingModel::PerTask,
        };
        assert_eq!(
            m.submit(task, terms, t).unwrap(),
            None,
            "no match on arrival"
        );
    }

    #[test]
    fn the_lowest_score_wins_at_its_ask_and_the_hold_is_the_max_cost() {
        let (mut m, client, [a, b]) = market();
        let task = m.post_demand(client, 0b1, Credits(250), 86_400).unwrap();
        bid(&mut m, task, a, 230, 0);
        bid(&mut m, task, b, 200, 1); // cheaper, same claims, same calibration: b wins
        let req = TaskRequirements::new(Credits(250), 30 * MIN, 0.95, 0b1).unwrap();
        let opened = m.clear_performance(task, &req, 2).unwrap().unwrap();
        assert_eq!(
            (opened.agent, opened.price, opened.hold),
            (b, Credits(200), Credits(250))
        );
        assert!(m.performance().unwrap().is_awarded(opened.contract));
        // A book that clears by performance refuses the unscored rule.
        assert_eq!(m.book().rule(), ClearingRule::Performance);
    }

    #[test]
    fn no_bid_meeting_the_requirements_leaves_the_task_unmatched() {
        let (mut m, client, [a, _]) = market();
        let task = m.post_demand(client, 0b1, Credits(250), 86_400).unwrap();
        bid(&mut m, task, a, 230, 0); // states 25 min
        let strict = TaskRequirements::new(Credits(250), 20 * MIN, 0.95, 0b1).unwrap();
        assert_eq!(m.clear_performance(task, &strict, 1).unwrap(), None);
        assert_eq!(m.depth(task).unwrap(), (1, 1), "the demand stays open");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the sequence of successes, failures and latencies: the ledger and the stake
        /// book conserve every credit, a success bills min(⌊reward⌋, hold) and refunds the
        /// rest, a failure refunds the whole hold and forfeits min(penalty, bond).
        #[test]
        fn credits_are_conserved_for_any_outcomes(
            jobs in proptest::collection::vec(
                (1u64..=400, 1u64..=100, any::<bool>(), 0u64..4_000, any::<bool>()),
                1..40,
            ),
        ) {
            let (mut m, client, agents) = market();
            let initial = m.ledger().totals().initial;
            let mut billed = 0u64;
            let mut forfeited = 0u64;
            for (n, &(budget, ask_pct, success, latency, second)) in jobs.iter().enumerate() {
                let t = 10 * n as u64;
                let agent = agents[usize::from(second)];
                let task = m.post_demand(client, 0b1, Credits(budget), t + 86_400).unwrap();
                let ask = (budget * ask_pct / 100).max(1);
                bid(&mut m, task, agent, ask, t);
                let req = TaskRequirements::new(Credits(budget), 30 * MIN, 0.9, 0b1).unwrap();
                let opened = m.clear_performance(task, &req, t + 1).unwrap().unwrap();
                prop_assert_eq!(opened.hold, Credits(budget));
                let bond_before = m.stakes().unwrap().stake_of(agent).unwrap().bonded;
                let r = m.record_performance(opened.contract, success, latency).unwrap();
                prop_assert!(m.record_performance(opened.contract, success, latency).is_err());
                let base = ask as f64;
                if success {
                    prop_assert!(r.recorded.settlement.reward >= base);
                    let expected = bill_due(r.recorded.settlement.reward, opened.hold);
                    prop_assert_eq!(r.recorded.bill, expected);
                    m.deliver(opened.contract).unwrap();
                    let done = m
                        .complete(opened.contract, Usage::default(), QualityVector::clamped([0.8; 6]), None)
                        .unwrap();
                    prop_assert_eq!(done.bill, expected);
                    prop_assert_eq!(done.bill.0 + done.refunded.0, budget);
                    billed += done.bill.0;
                } else {
                    let penalty = (0.5 * base).floor() as u64;
                    prop_assert_eq!(r.recorded.penalty, Credits(penalty));
                    prop_assert_eq!(r.forfeited, Credits(penalty).min(bond_before));
                    let refund = m.cancel(opened.contract).unwrap();
                    prop_assert_eq!(refund, Credits(budget));
                    forfeited += r.forfeited.0;
                }
                let totals = m.ledger().totals();
                prop_assert!(totals.is_conserved());
                prop_assert_eq!(m.ledger().is_client_conserved(client), Some(true));
                prop_assert_eq!(totals.initial, initial);
                prop_assert_eq!(totals.distributed.0, billed);
                prop_assert_eq!(totals.held, Credits::ZERO);
                prop_assert!(m.stakes_conserved());
                prop_assert_eq!(m.stakes().unwrap().totals().slashed_pool.0, forfeited);
                prop_assert_eq!(m.performance().unwrap().live(), 0);
            }
        }
    }
}

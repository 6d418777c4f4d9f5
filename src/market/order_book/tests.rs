//! Order-book tests: the paper's §9.3 walkthrough, typed errors that leave the book unchanged,
//! storage reuse, and every clearing rule against a naive sort-everything reference.

use super::*;
use proptest::prelude::*;

const TESTBOT_PRO: AgentId = AgentId(1);
const QA_AGENT: AgentId = AgentId(2);
const BUGHUNTER: AgentId = AgentId(3);

/// Reputations assumed in paper §9.3.
fn reputation_9_3(agent: AgentId) -> f64 {
    match agent {
        TESTBOT_PRO => 0.88,
        QA_AGENT => 0.91,
        BUGHUNTER => 0.72,
        _ => RankingSignal::Reputation.without_history(),
    }
}

fn demand(budget: u64) -> DemandSpec {
    DemandSpec {
        client: ClientId(1),
        capabilities: Capabilities(0b11), // playwright, k6
        budget_ceiling: Credits(budget),
        deadline: 86_400,
    }
}

fn proposal(agent: AgentId, credits: u64, duration: u64, confidence: f64, t: u64) -> ProposalSpec {
    ProposalSpec {
        agent,
        estimated_credits: Credits(credits),
        estimated_duration: duration,
        confidence,
        timestamp: t,
    }
}

/// Paper §9.2, in the paper's submission order.
fn proposals_9_2() -> [ProposalSpec; 3] {
    [
        proposal(TESTBOT_PRO, 3500, 180, 0.92, 10),
        proposal(QA_AGENT, 4200, 120, 0.85, 11),
        proposal(BUGHUNTER, 2800, 300, 0.78, 12),
    ]
}

fn snapshot(book: &OrderBook) -> String {
    format!("{book:?}")
}

#[test]
fn golden_9_3_cost_functional() {
    let costs: Vec<f64> = proposals_9_2()
        .iter()
        .map(|p| cost_functional(p.estimated_credits, p.confidence, reputation_9_3(p.agent)))
        .collect();
    // The paper's table prints 2373 and 1795 (rounded denominators); exact values below (SPEC §8).
    for (cost, expected) in costs.iter().zip([1934.1, 2368.2, 1793.0]) {
        assert!((cost - expected).abs() < 0.1, "{cost} vs {expected}");
    }
    assert_eq!(cost_functional(Credits(1000), 1.0, 0.0), 1000.0);
}

#[test]
fn golden_9_3_call_rule_picks_bughunter() {
    let mut book = OrderBook::new(ClearingRule::Call).unwrap();
    let task = book.post_demand(demand(5000)).unwrap();
    for p in proposals_9_2() {
        assert_eq!(book.submit_proposal(task, p).unwrap().matched, None);
    }
    assert_eq!(book.depth(task), Ok((3, 1)));
    let mut seen = Vec::new();
    let m = book
        .clear_observed(task, reputation_9_3, |p| seen.push((p.agent(), p.status())))
        .unwrap();
    // Paper §9.3/§9.4 says clear_market picks testbot_pro and escrows 3500, but its own cost
    // functional ranks bughunter first (1793.0 < 1934.1 < 2368.2) — SPEC §8 lists this as a
    // contradiction. The simulator follows the formula.
    assert_eq!(m.agent, BUGHUNTER);
    assert_eq!(m.price, Credits(2800));
    assert_eq!(m.estimated_duration, 300);
    assert_eq!(m.budget_ceiling, Credits(5000));
    assert_eq!(m.rejected, 2);
    assert_eq!(m.proposal, ProposalId(2));
    assert_eq!(
        seen,
        vec![
            (TESTBOT_PRO, ProposalStatus::Rejected),
            (QA_AGENT, ProposalStatus::Rejected),
            (BUGHUNTER, ProposalStatus::Accepted)
        ]
    );
    assert_eq!(book.depth(task), Ok((0, 0)));
    assert_eq!(book.open_tasks(), 0);
    // With trust instead, fresh identities (T = 0) rank by raw price: still bughunter here.
    let mut book = OrderBook::new(ClearingRule::Call).unwrap();
    let task = book.post_demand(demand(5000)).unwrap();
    for p in proposals_9_2() {
        book.submit_proposal(task, p).unwrap();
    }
    let m = book
        .clear(task, |_| RankingSignal::Trust.without_history())
        .unwrap();
    assert_eq!(m.agent, BUGHUNTER);
}

#[test]
fn golden_9_3_continuous_accepts_the_cheapest_on_arrival() {
    // Paper order, budget 5000: testbot_pro is the cheapest pending proposal when it arrives and
    // is within budget, so §4.5 try_match accepts it at once — the other two find the task
    // closed. Same book, different answer from the call rule (SPEC §8).
    let mut book = OrderBook::new(ClearingRule::Continuous).unwrap();
    let task = book.post_demand(demand(5000)).unwrap();
    let [testbot, qa, bughunter] = proposals_9_2();
    let m = book
        .submit_proposal(task, testbot)
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(
        (m.agent, m.price, m.rejected),
        (TESTBOT_PRO, Credits(3500), 0)
    );
    assert_eq!(
        book.submit_proposal(task, qa),
        Err(OrderBookError::ClosedTask(task))
    );

    // Budget 3000: testbot_pro and qa_agent rest (over budget); bughunter, the cheapest, is
    // accepted on its arrival and the two resting proposals are rejected.
    let mut book = OrderBook::new(ClearingRule::Continuous).unwrap();
    let task = book.post_demand(demand(3000)).unwrap();
    assert_eq!(book.submit_proposal(task, testbot).unwrap().matched, None);
    assert_eq!(book.submit_proposal(task, qa).unwrap().matched, None);
    assert_eq!(
        book.best_pending(task).unwrap().unwrap().agent(),
        TESTBOT_PRO
    );
    let m = book
        .submit_proposal(task, bughunter)
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(
        (m.agent, m.price, m.rejected),
        (BUGHUNTER, Credits(2800), 2)
    );

    // Bughunter first with budget 5000: accepted at once.
    let mut book = OrderBook::new(ClearingRule::Continuous).unwrap();
    let task = book.post_demand(demand(5000)).unwrap();
    let m = book
        .submit_proposal(task, bughunter)
        .unwrap()
        .matched
        .unwrap();
    assert_eq!(m.agent, BUGHUNTER);
}

#[test]
fn golden_9_3_under_procurement_auctions() {
    let cases = [
        (ClearingRule::Auction(ProcurementRule::FirstPrice), 2800),
        (ClearingRule::Auction(ProcurementRule::Vickrey), 3500),
        (
            ClearingRule::Auction(ProcurementRule::English {
                increment: Credits(100),
            }),
            3500,
        ),
        (
            ClearingRule::Auction(ProcurementRule::English {
                increment: Credits(400),
            }),
            3800,
        ),
        (
            ClearingRule::Auction(ProcurementRule::Dutch {
                increment: Credits(100),
            }),
            2800,
        ),
        (
            ClearingRule::Auction(ProcurementRule::Dutch {
                increment: Credits(1000),
            }),
            3000,
        ),
    ];
    for (rule, price) in cases {
        let mut book = OrderBook::new(rule).unwrap();
        let task = book.post_demand(demand(5000)).unwrap();
        for p in proposals_9_2() {
            book.submit_proposal(task, p).unwrap();
        }
        let m = book
            .clear(task, |_| panic!("auctions do not read signals"))
            .unwrap();
        assert_eq!((m.agent, m.price), (BUGHUNTER, Credits(price)), "{rule:?}");
    }
}

#[test]
fn over_budget_proposals_rest_and_are_rejected_at_close() {
    for rule in all_rules(50) {
        let mut book = OrderBook::new(rule).unwrap();
        let task = book.post_demand(demand(1000)).unwrap();
        book.submit_proposal(task, proposal(AgentId(0), 1001, 5, 0.5, 0))
            .unwrap();
        book.submit_proposal(task, proposal(AgentId(1), 5000, 5, 1.0, 0))
            .unwrap();
        assert_eq!(book.depth(task), Ok((2, 1)), "{rule:?}");
        let before = snapshot(&book);
        assert_eq!(
            book.clear(task, |_| 1.0),
            Err(OrderBookError::NoEligibleProposal(task))
        );
        assert_eq!(snapshot(&book), before);
        let mut statuses = Vec::new();
        assert_eq!(
            book.cancel_demand_observed(task, |p| statuses.push(p.status())),
            Ok(2)
        );
        assert_eq!(statuses, vec![ProposalStatus::Rejected; 2]);
        assert_eq!(book.depth(task), Ok((0, 0)));
    }
}

#[test]
fn bad_operations_are_typed_errors_and_leave_the_book_unchanged() {
    assert_eq!(
        OrderBook::new(ClearingRule::Auction(ProcurementRule::English {
            increment: Credits(0)
        }))
        .err(),
        Some(OrderBookError::ZeroIncrement)
    );
    assert_eq!(
        OrderBook::new(ClearingRule::Auction(ProcurementRule::Dutch {
            increment: Credits(0)
        }))
        .err(),
        Some(OrderBookError::ZeroIncrement)
    );
    let mut book = OrderBook::new(ClearingRule::Call).unwrap();
    let closed = book.post_demand(demand(100)).unwrap();
    book.submit_proposal(closed, proposal(AgentId(0), 50, 1, 0.5, 0))
        .unwrap();
    book.clear(closed, |_| 0.5).unwrap();
    let open = book.post_demand(demand(100)).unwrap();
    book.submit_proposal(open, proposal(AgentId(1), 60, 1, 0.5, 1))
        .unwrap();
    let unknown = TaskId::from_parts(57, 0);
    let future = TaskId::from_parts(open.0.slot, open.0.generation() + 1);
    let before = snapshot(&book);
    let check = |result: Result<(), OrderBookError>, expected: OrderBookError| {
        assert_eq!(result, Err(expected));
    };
    check(
        book.post_demand(demand(0)).map(drop),
        OrderBookError::ZeroBudget,
    );
    let good = proposal(AgentId(2), 10, 1, 0.5, 2);
    for (task, err) in [
        (unknown, OrderBookError::UnknownTask(unknown)),
        (future, OrderBookError::UnknownTask(future)),
        (closed, OrderBookError::ClosedTask(closed)),
    ] {
        check(book.submit_proposal(task, good).map(drop), err);
        check(book.clear(task, |_| 0.5).map(drop), err);
        check(book.cancel_demand(task).map(drop), err);
        check(book.demand(task).map(drop), err);
        check(book.proposals(task).map(drop), err);
    }
    check(
        book.depth(unknown).map(drop),
        OrderBookError::UnknownTask(unknown),
    );
    for c in [f64::NAN, -0.01, 1.01, f64::INFINITY] {
        let bad = ProposalSpec {
            confidence: c,
            ..good
        };
        match book.submit_proposal(open, bad) {
            Err(OrderBookError::InvalidConfidence(v)) => assert!(v.is_nan() || v == c),
            other => panic!("{other:?}"),
        }
    }
    for s in [f64::NAN, -0.5, 1.5] {
        match book.clear(open, |_| s) {
            Err(OrderBookError::InvalidSignal { agent, value }) => {
                assert_eq!(agent, AgentId(1));
                assert!(value.is_nan() || value == s);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        snapshot(&book),
        before,
        "a refused operation changed the book"
    );
    assert_eq!(book.proposals_submitted(), 2);
    assert_eq!(book.depth(closed), Ok((0, 0)));
}

#[test]
fn retired_storage_is_reused() {
    let mut book = OrderBook::new(ClearingRule::Auction(ProcurementRule::Vickrey)).unwrap();
    let a = book.post_demand(demand(1000)).unwrap();
    for i in 0..10 {
        book.submit_proposal(a, proposal(AgentId(i), 100 + u64::from(i), 1, 0.5, 0))
            .unwrap();
    }
    let m = book.clear(a, |_| 0.5).unwrap();
    assert_eq!(
        (m.agent, m.price, m.rejected),
        (AgentId(0), Credits(101), 9)
    );
    let b = book.post_demand(demand(1000)).unwrap();
    assert_eq!(b.0.slot, a.0.slot, "slot reused");
    assert_ne!(b, a);
    assert_eq!(book.proposals(a), Err(OrderBookError::ClosedTask(a)));
    assert_eq!(book.proposals(b).map(<[Proposal]>::len), Ok(0));
    let capacity = book.tasks.get(b.0).unwrap().proposals.capacity();
    assert!(capacity >= 10, "proposal Vec recycled, capacity {capacity}");
    assert!(book.pool.is_empty());

    // A long run with at most 3 live tasks uses at most 3 slots and 3 pooled Vecs.
    let mut live: Vec<TaskId> = vec![b];
    for n in 0..1000u32 {
        if live.len() < 3 {
            live.push(book.post_demand(demand(1000)).unwrap());
        }
        let t = live[(n as usize * 7) % live.len()];
        book.submit_proposal(
            t,
            proposal(AgentId(n), u64::from(n % 50), 1, 0.5, u64::from(n)),
        )
        .unwrap();
        if n % 3 == 0 {
            book.clear(t, |_| 0.5).unwrap();
            live.retain(|&x| x != t);
        }
        assert!(live.iter().all(|t| t.0.slot < 3));
        assert!(book.pool.len() + book.open_tasks() <= 3);
    }
    assert_eq!(book.open_tasks(), live.len());
}

fn all_rules(increment: u64) -> [ClearingRule; 6] {
    [
        ClearingRule::Continuous,
        ClearingRule::Call,
        ClearingRule::Auction(ProcurementRule::FirstPrice),
        ClearingRule::Auction(ProcurementRule::Vickrey),
        ClearingRule::Auction(ProcurementRule::English {
            increment: Credits(increment),
        }),
        ClearingRule::Auction(ProcurementRule::Dutch {
            increment: Credits(increment),
        }),
    ]
}

/// Naive reference: sort everything, step clocks literally. Returns `(winner position in
/// arrival order, price, number of proposals submitted before the task closed)`.
fn reference(
    rule: ClearingRule,
    ceiling: u64,
    specs: &[ProposalSpec],
    signal: &[f64],
) -> Option<(usize, u64, usize)> {
    let key = |i: usize| (specs[i].estimated_credits, specs[i].timestamp, i);
    if rule == ClearingRule::Continuous {
        for n in 1..=specs.len() {
            let mut pending: Vec<usize> = (0..n).collect();
            pending.sort_by_key(|&i| key(i));
            if specs[pending[0]].estimated_credits.0 <= ceiling {
                return Some((pending[0], specs[pending[0]].estimated_credits.0, n));
            }
        }
        return None;
    }
    let mut eligible: Vec<usize> = (0..specs.len())
        .filter(|&i| specs[i].estimated_credits.0 <= ceiling)
        .collect();
    if rule == ClearingRule::Call {
        let cost = |i: usize| {
            let p = &specs[i];
            p.estimated_credits.0 as f64 / (1.0 + p.confidence * signal[p.agent.index()])
        };
        eligible.sort_by(|&a, &b| {
            cost(a)
                .partial_cmp(&cost(b))
                .unwrap()
                .then(key(a).cmp(&key(b)))
        });
    } else {
        eligible.sort_by_key(|&i| key(i));
    }
    let &winner = eligible.first()?;
    let ask = |k: usize| specs[eligible[k]].estimated_credits.0;
    let a1 = ask(0);
    let price = match rule {
        ClearingRule::Continuous
        | ClearingRule::Call
        | ClearingRule::Auction(ProcurementRule::FirstPrice) => a1,
        ClearingRule::Auction(ProcurementRule::Vickrey) => {
            if eligible.len() > 1 {
                ask(1)
            } else {
                ceiling
            }
        }
        ClearingRule::Auction(ProcurementRule::English { increment }) => {
            let inc = increment.0;
            let mut p = ceiling;
            while p >= inc
                && eligible
                    .iter()
                    .filter(|&&i| specs[i].estimated_credits.0 <= p - inc)
                    .count()
                    >= 2
            {
                p -= inc;
            }
            p
        }
        ClearingRule::Auction(ProcurementRule::Dutch { increment }) => {
            let mut offer = 0;
            while offer < a1 {
                offer = (offer + increment.0).min(ceiling);
            }
            offer
        }
        ClearingRule::Performance => unreachable!("clears by scores: tested on its own"),
    };
    Some((winner, price, specs.len()))
}

fn specs_strategy() -> impl Strategy<Value = (u64, Vec<ProposalSpec>, Vec<f64>)> {
    let credits = prop_oneof![0u64..1300, (0u64..7).prop_map(|x| x * 200)];
    let confidence = prop_oneof![(0u32..=4).prop_map(|c| f64::from(c) / 4.0), 0.0f64..=1.0];
    let spec = (0u32..6, credits, 0u64..1000, confidence, 0u64..8).prop_map(
        |(agent, credits, duration, confidence, timestamp)| {
            proposal(AgentId(agent), credits, duration, confidence, timestamp)
        },
    );
    let signal = prop_oneof![(0u32..=2).prop_map(|s| f64::from(s) / 2.0), 0.0f64..=1.0];
    (
        1u64..1200,
        prop::collection::vec(spec, 0..12),
        prop::collection::vec(signal, 6),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every rule's O(k) selection equals the sort-everything reference: same winner, same
    /// price, same moment of closing (Continuous), same "no eligible proposal" answer.
    #[test]
    fn fast_selection_matches_naive_reference((ceiling, specs, signal) in specs_strategy(), increment in 1u64..300) {
        for rule in all_rules(increment) {
            let mut book = OrderBook::new(rule).unwrap();
            let task = book.post_demand(demand(ceiling)).unwrap();
            let mut got = None;
            let mut ids = Vec::new();
            for (n, &spec) in specs.iter().enumerate() {
                match book.submit_proposal(task, spec) {
                    Ok(s) => {
                        ids.push(s.proposal);
                        if let Some(m) = s.matched {
                            prop_assert_eq!(rule, ClearingRule::Continuous);
                            got = Some((m, n + 1));
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(e, OrderBookError::ClosedTask(task));
                        prop_assert!(got.is_some());
                    }
                }
            }
            if got.is_none() {
                match book.clear(task, |a| signal[a.index()]) {
                    Ok(m) => got = Some((m, specs.len())),
                    Err(e) => prop_assert_eq!(e, OrderBookError::NoEligibleProposal(task)),
                }
            }
            let expected = reference(rule, ceiling, &specs, &signal);
            let got = got.map(|(m, n)| {
                let position = ids.iter().position(|&id| id == m.proposal).unwrap();
                prop_assert_eq!(m.agent, specs[position].agent);
                prop_assert!(m.price.0 <= ceiling && m.price >= specs[position].estimated_credits);
                Ok((position, m.price.0, n))
            }).transpose()?;
            prop_assert_eq!(got, expected, "{:?}", rule);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// After any match: exactly one proposal accepted (the matched one), every other one
    /// rejected, `rejected` counts them, depth is (0, 0) and the storage is retired.
    #[test]
    fn auto_rejection_after_any_match((ceiling, specs, signal) in specs_strategy(), increment in 1u64..300, rule_index in 0usize..6, other_tasks in 0usize..3) {
        let rule = all_rules(increment)[rule_index];
        let mut book = OrderBook::new(rule).unwrap();
        for _ in 0..other_tasks {
            book.post_demand(demand(ceiling)).unwrap();
        }
        let task = book.post_demand(demand(ceiling)).unwrap();
        let mut statuses: Vec<(ProposalId, ProposalStatus)> = Vec::new();
        let mut observe = |p: &Proposal| statuses.push((p.id(), p.status()));
        let mut matched = None;
        for &spec in &specs {
            if let Ok(s) = book.submit_proposal_observed(task, spec, &mut observe) {
                matched = s.matched.or(matched);
            }
        }
        if matched.is_none() {
            matched = book.clear_observed(task, |a| signal[a.index()], &mut observe).ok();
        }
        if let Some(m) = matched {
            let accepted: Vec<ProposalId> = statuses.iter().filter(|s| s.1 == ProposalStatus::Accepted).map(|s| s.0).collect();
            prop_assert_eq!(accepted, vec![m.proposal]);
            prop_assert_eq!(statuses.iter().filter(|s| s.1 == ProposalStatus::Rejected).count(), m.rejected as usize);
            prop_assert_eq!(statuses.len(), m.rejected as usize + 1);
            prop_assert_eq!(m.task, task);
            prop_assert_eq!(book.depth(task), Ok((0, 0)));
            prop_assert_eq!(book.open_tasks(), other_tasks);
            prop_assert_eq!(book.proposals(task).err(), Some(OrderBookError::ClosedTask(task)));
        } else {
            prop_assert!(statuses.is_empty());
            prop_assert_eq!(book.depth(task), Ok((specs.len(), 1)));
        }
    }
}

/// An award (combinatorial clearing) accepts its proposal at its ask under any rule, rejects
/// the pending ones, and closes the task; an ask above the ceiling changes nothing.
#[test]
fn award_accepts_at_the_ask_whatever_the_rule() {
    let vickrey = ClearingRule::Auction(ProcurementRule::Vickrey);
    let mut book = OrderBook::new(vickrey).unwrap();
    let task = book.post_demand(demand(5000)).unwrap();
    for p in proposals_9_2() {
        book.submit_proposal(task, p).unwrap();
    }
    let before = snapshot(&book);
    assert_eq!(
        book.award_observed(task, proposal(QA_AGENT, 5001, 60, 0.9, 20), |_| {}),
        Err(OrderBookError::NoEligibleProposal(task))
    );
    assert_eq!(snapshot(&book), before);
    let mut seen = Vec::new();
    let m = book
        .award_observed(task, proposal(QA_AGENT, 4900, 60, 0.9, 20), |p| {
            seen.push((p.agent(), p.status()))
        })
        .unwrap();
    // A lone Vickrey ask would be paid the ceiling; an award is paid exactly its ask.
    assert_eq!((m.agent, m.price, m.rejected), (QA_AGENT, Credits(4900), 3));
    assert_eq!(
        seen.iter()
            .filter(|(_, s)| *s == ProposalStatus::Accepted)
            .count(),
        1
    );
    assert_eq!(seen.len(), 4);
    assert_eq!(book.depth(task), Ok((0, 0)));
    assert_eq!(
        book.award_observed(task, proposal(QA_AGENT, 1, 60, 0.9, 21), |_| {}),
        Err(OrderBookError::ClosedTask(task))
    );
}

#[test]
fn scored_clearing_takes_the_lowest_score_at_its_ask() {
    // Seed 004 clears by the caller's scores: the lowest wins at its ask, an unscored proposal
    // or one over the ceiling never wins, exact ties go to the earlier submission.
    let mut book = OrderBook::new(ClearingRule::Performance).unwrap();
    let task = book.post_demand(demand(3000)).unwrap();
    for p in proposals_9_2() {
        book.submit_proposal(task, p).unwrap();
    }
    assert_eq!(
        book.clear(task, reputation_9_3),
        Err(OrderBookError::ScoresRequired)
    );
    let score = |p: &Proposal| match p.agent() {
        TESTBOT_PRO => Some(0.1), // over the ceiling (3500 > 3000): never scored
        QA_AGENT => None,
        _ => Some(0.5),
    };
    let m = book.clear_scored_observed(task, score, |_| {}).unwrap();
    assert_eq!(
        (m.agent, m.price, m.rejected),
        (BUGHUNTER, Credits(2800), 2)
    );

    let task = book.post_demand(demand(5000)).unwrap();
    for p in proposals_9_2() {
        book.submit_proposal(task, p).unwrap();
    }
    let m = book
        .clear_scored_observed(task, |p| (p.agent() != BUGHUNTER).then_some(0.3), |_| {})
        .unwrap();
    assert_eq!(
        (m.agent, m.price),
        (TESTBOT_PRO, Credits(3500)),
        "tie: earlier wins"
    );

    let task = book.post_demand(demand(5000)).unwrap();
    book.submit_proposal(task, proposals_9_2()[0]).unwrap();
    assert_eq!(
        book.clear_scored_observed(task, |_| None, |_| {}),
        Err(OrderBookError::NoEligibleProposal(task))
    );
}

/// Seed 002 bidding power on paper §9.2's book (R: testbot_pro 0.88 → power 1.5, qa_agent
/// 0.91 → 2.0, bughunter 0.72 → 1.0): 1934.1 / 1.5 ≈ 1289.4, 2368.2 / 2 ≈ 1184.1 and
/// 1793.0 / 1 — the most expensive ask, from the best-reputed agent, now wins at its ask.
#[test]
fn golden_9_3_with_bidding_power_picks_qa_agent() {
    let mut book = OrderBook::new(ClearingRule::Call)
        .unwrap()
        .with_bidding_power(TierConfig::default());
    let task = book.post_demand(demand(5000)).unwrap();
    for p in proposals_9_2() {
        book.submit_proposal(task, p).unwrap();
    }
    let m = book.clear(task, reputation_9_3).unwrap();
    assert_eq!((m.agent, m.price), (QA_AGENT, Credits(4200)));
    // Only a budget below 4200 keeps the cheaper ones in the race: eligibility is unchanged.
    let task = book.post_demand(demand(4000)).unwrap();
    for p in proposals_9_2() {
        book.submit_proposal(task, p).unwrap();
    }
    let m = book.clear(task, reputation_9_3).unwrap();
    assert_eq!((m.agent, m.price), (TESTBOT_PRO, Credits(3500)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Bidding power only reorders the eligible proposals: with it, a winner exists exactly
    /// when one exists without it, its ask is within the ceiling and is the price; the winner
    /// has the lowest `cost / power` of its signal; and a ladder of ones changes nothing.
    #[test]
    fn bidding_power_never_changes_eligibility((ceiling, specs, signal) in specs_strategy()) {
        let clear = |book: OrderBook| {
            let mut book = book;
            let task = book.post_demand(demand(ceiling)).unwrap();
            let ids: Vec<ProposalId> = specs
                .iter()
                .map(|&spec| book.submit_proposal(task, spec).unwrap().proposal)
                .collect();
            book.clear(task, |a| signal[a.index()])
                .ok()
                .map(|m| (m, ids.iter().position(|&id| id == m.proposal).unwrap()))
        };
        let plain = clear(OrderBook::new(ClearingRule::Call).unwrap());
        let tiers = TierConfig::default();
        let powered = clear(OrderBook::new(ClearingRule::Call).unwrap().with_bidding_power(tiers));
        prop_assert_eq!(plain.is_some(), powered.is_some());
        if let Some((m, position)) = powered {
            prop_assert!(m.price.0 <= ceiling);
            let score = |p: &ProposalSpec| {
                let s = signal[p.agent.index()];
                cost_functional(p.estimated_credits, p.confidence, s) / tiers.bidding_power(s)
            };
            let best = specs
                .iter()
                .filter(|p| p.estimated_credits.0 <= ceiling)
                .map(score)
                .fold(f64::INFINITY, f64::min);
            prop_assert_eq!(m.price, specs[position].estimated_credits);
            prop_assert_eq!(score(&specs[position]), best);
        }
        let mut ones = TierConfig::default();
        for step in &mut ones.power_steps {
            step.multiplier = 1.0;
        }
        ones.power_floor = 1.0;
        let neutral = clear(OrderBook::new(ClearingRule::Call).unwrap().with_bidding_power(ones));
        prop_assert_eq!(neutral, plain);
    }
}

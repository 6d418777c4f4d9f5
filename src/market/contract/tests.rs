//! Tests of the contract state machine, pricing and the contract book (SPEC §4, §8).

use super::*;
use ContractState::*;
use proptest::prelude::*;

/// The paper's §7.4 table, written out independently of `transition`.
const TABLE: [(ContractState, ContractState); 8] = [
    (Active, Review),
    (Active, Cancelled),
    (Active, Disputed),
    (Review, Completed),
    (Review, Disputed),
    (Review, Cancelled),
    (Disputed, Completed),
    (Disputed, Cancelled),
];

#[test]
fn all_25_pairs_under_both_policies() {
    let mut valid = [0usize; 2];
    for (p, policy) in [TransitionPolicy::TABLE, TransitionPolicy::HANDLER_SHORTCUT]
        .into_iter()
        .enumerate()
    {
        for from in ContractState::ALL {
            for to in ContractState::ALL {
                let expected_ok = TABLE.contains(&(from, to))
                    || (policy.allow_active_completion && (from, to) == (Active, Completed));
                let got = transition(from, to, policy);
                if expected_ok {
                    assert_eq!(got, Ok(()), "{from} -> {to} under {policy:?}");
                    valid[p] += 1;
                } else if from.is_terminal() {
                    assert_eq!(got, Err(TransitionError::FromTerminal { from, to }));
                } else {
                    assert_eq!(got, Err(TransitionError::NotAllowed { from, to }));
                }
            }
        }
    }
    assert_eq!(
        valid,
        [8, 9],
        "8 table transitions, plus the handler shortcut"
    );
    assert_eq!(TransitionPolicy::default(), TransitionPolicy::TABLE);
}

#[test]
fn terminal_states_and_what_escrow_must_do() {
    let expected = [
        (Active, false, EscrowDue::Keep),
        (Review, false, EscrowDue::Keep),
        (Completed, true, EscrowDue::Release),
        (Cancelled, true, EscrowDue::Refund),
        (Disputed, false, EscrowDue::Keep),
    ];
    for (state, terminal, due) in expected {
        assert_eq!(state.is_terminal(), terminal, "{state}");
        assert_eq!(state.settlement(), due, "{state}");
    }
}

fn pricing(model: PricingModel, rate: u64) -> Pricing {
    Pricing {
        model,
        rate: Credits(rate),
    }
}

fn usage(seconds: u64, tokens: u64) -> Usage {
    Usage { seconds, tokens }
}

#[test]
fn bills_and_holds_table() {
    use PricingModel::*;
    // (model, rate, ceiling, usage, expected bill, expected hold)
    let table = [
        (PerTask, 3500, 5000, usage(99_999, 7), 3500, 3500), // usage ignored
        (PerTask, 6000, 5000, usage(0, 0), 5000, 5000),      // capped at the ceiling
        (Hourly, 100, 1000, usage(0, 0), 0, 1000),           // no time, no bill
        (Hourly, 100, 1000, usage(1, 0), 100, 1000),         // a started hour is paid
        (Hourly, 100, 1000, usage(3600, 0), 100, 1000),      // exactly one hour
        (Hourly, 100, 1000, usage(3601, 0), 200, 1000),      // ceil(1.0003) = 2
        (Hourly, 100, 1000, usage(36_000 * 5, 0), 1000, 1000), // 50 h capped
        (PerToken, 3, 1000, usage(5, 100), 300, 1000),
        (PerToken, 3, 1000, usage(0, 334), 1000, 1000), // 1002 capped
        (PerToken, u64::MAX, 1000, usage(0, 2), 1000, 1000), // overflow saturates to the cap
        (Hourly, u64::MAX, 7, usage(u64::MAX, 0), 7, 7), // overflow saturates to the cap
    ];
    for (model, rate, ceiling, u, bill, hold) in table {
        let p = pricing(model, rate);
        assert_eq!(
            p.bill(u, Credits(ceiling)),
            Credits(bill),
            "{model:?} {rate} {u:?}"
        );
        assert_eq!(
            p.hold_amount(Credits(ceiling)),
            Credits(hold),
            "{model:?} {rate}"
        );
    }
    assert_eq!(pricing(PerToken, u64::MAX).raw_bill(usage(0, 2)), None);
}

#[test]
fn paper_literal_rule_creates_and_destroys_credits() {
    use PricingModel::*;
    let ceiling = Credits(1000);
    // Per-task within the ceiling: the paper's rule is exact.
    assert_eq!(
        pricing(PerTask, 800).paper_literal_discrepancy(usage(9, 9), ceiling),
        0
    );
    // Hourly, 3 h at 100 while the paper holds 100: 200 credits appear.
    assert_eq!(
        pricing(Hourly, 100).paper_literal_discrepancy(usage(3 * 3600, 0), ceiling),
        200
    );
    // Hourly, zero time: the paper releases the 100 held but splits 0: 100 vanish.
    assert_eq!(
        pricing(Hourly, 100).paper_literal_discrepancy(usage(0, 0), ceiling),
        -100
    );
    // Per-token: 5 tokens at 30 = 150 split, 30 held: +120.
    assert_eq!(
        pricing(PerToken, 30).paper_literal_discrepancy(usage(0, 5), ceiling),
        120
    );
    // Per-task above the ceiling: holds 1500, bills 1000: -500.
    assert_eq!(
        pricing(PerTask, 1500).paper_literal_discrepancy(usage(0, 0), ceiling),
        -500
    );
}

fn any_model() -> impl Strategy<Value = PricingModel> {
    prop_oneof![
        Just(PricingModel::PerTask),
        Just(PricingModel::Hourly),
        Just(PricingModel::PerToken)
    ]
}

proptest! {
    /// SPEC §4 / Proposition 6: bill ≤ hold ≤ ceiling, and the bill is the exact capped raw bill.
    #[test]
    fn bill_never_exceeds_hold(
        model in any_model(),
        rate in prop_oneof![0u64..10_000, any::<u64>()],
        ceiling in prop_oneof![0u64..1_000_000, any::<u64>()],
        seconds in prop_oneof![0u64..100_000, any::<u64>()],
        tokens in prop_oneof![0u64..100_000, any::<u64>()],
    ) {
        let p = pricing(model, rate);
        let u = usage(seconds, tokens);
        let bill = p.bill(u, Credits(ceiling));
        let hold = p.hold_amount(Credits(ceiling));
        prop_assert!(bill <= hold);
        prop_assert!(hold <= Credits(ceiling));
        let raw: u128 = match model {
            PricingModel::PerTask => u128::from(rate),
            PricingModel::Hourly => u128::from(rate) * u128::from(seconds.div_ceil(3600)),
            PricingModel::PerToken => u128::from(rate) * u128::from(tokens),
        };
        prop_assert_eq!(u128::from(bill.0), raw.min(u128::from(ceiling)));
        prop_assert_eq!(
            p.paper_literal_discrepancy(u, Credits(ceiling)),
            i128::try_from(raw.min(u128::from(ceiling))).unwrap() - i128::from(rate)
        );
    }
}

fn terms(model: PricingModel, rate: u64, ceiling: u64) -> ContractTerms {
    ContractTerms {
        client: ClientId(3),
        agent: AgentId(4),
        task: TaskId::from_parts(5, 0),
        pricing: pricing(model, rate),
        budget_ceiling: Credits(ceiling),
        created_at: 42,
    }
}

fn fake_escrow(n: u32) -> impl FnOnce(ContractId, Credits) -> Result<EscrowId, ()> {
    move |_, _| Ok(EscrowId::from_parts(n, 0))
}

#[test]
fn create_passes_id_and_hold_to_the_funder_and_stores_terms() {
    let mut book = ContractBook::new(TransitionPolicy::TABLE);
    let mut seen = None;
    let id = book
        .create(terms(PricingModel::Hourly, 100, 900), |id, hold| {
            seen = Some((id, hold));
            Ok::<_, ()>(EscrowId::from_parts(9, 1))
        })
        .unwrap();
    assert_eq!(seen, Some((id, Credits(900))), "hourly holds the ceiling");
    let Lookup::Live(c) = book.get(id) else {
        panic!("contract must be live")
    };
    assert_eq!(c.client(), ClientId(3));
    assert_eq!(c.agent(), AgentId(4));
    assert_eq!(c.task(), TaskId::from_parts(5, 0));
    assert_eq!(c.escrow(), EscrowId::from_parts(9, 1));
    assert_eq!(c.state(), Active);
    assert_eq!(c.hold(), Credits(900));
    assert_eq!(c.budget_ceiling(), Credits(900));
    assert_eq!(c.created_at(), 42);
    assert_eq!(c.pricing(), pricing(PricingModel::Hourly, 100));
    assert_eq!(c.bill(usage(7200, 0)), Credits(200));
    assert!(c.bill(usage(u64::MAX, 0)) <= c.hold());
    assert_eq!(book.live(), 1);
}

#[test]
fn failed_funding_creates_nothing() {
    let mut book = ContractBook::default();
    let err = book.create(terms(PricingModel::PerTask, 10, 20), |_, _| {
        Err::<EscrowId, _>("no funds")
    });
    assert_eq!(err, Err("no funds"));
    assert_eq!(book.live(), 0);
    // The slot is reused by the next contract.
    let id = book
        .create(terms(PricingModel::PerTask, 10, 20), fake_escrow(0))
        .unwrap();
    assert_eq!(book.live(), 1);
    assert!(matches!(book.get(id), Lookup::Live(c) if c.hold() == Credits(10)));
}

#[test]
fn book_transitions_retires_and_refuses_with_typed_errors() {
    let mut book = ContractBook::new(TransitionPolicy::TABLE);
    let a = book
        .create(terms(PricingModel::PerTask, 10, 20), fake_escrow(0))
        .unwrap();
    let b = book
        .create(terms(PricingModel::PerTask, 10, 20), fake_escrow(1))
        .unwrap();

    // Table forbids active → completed; nothing changes.
    assert_eq!(
        book.transition(a, Completed),
        Err(ContractError::Transition {
            contract: a,
            source: TransitionError::NotAllowed {
                from: Active,
                to: Completed
            }
        })
    );
    assert!(matches!(book.get(a), Lookup::Live(c) if c.state() == Active));
    // Not terminal: cannot retire.
    assert_eq!(
        book.retire(a),
        Err(ContractError::NotTerminal {
            contract: a,
            state: Active
        })
    );

    let t = book.transition(a, Review).unwrap();
    assert_eq!(
        t,
        Transition {
            from: Active,
            to: Review
        }
    );
    assert_eq!(t.settlement(), EscrowDue::Keep);
    let t = book.transition(a, Completed).unwrap();
    assert_eq!(t.settlement(), EscrowDue::Release);
    assert_eq!(
        book.transition(a, Cancelled),
        Err(ContractError::Transition {
            contract: a,
            source: TransitionError::FromTerminal {
                from: Completed,
                to: Cancelled
            }
        })
    );
    let retired = book.retire(a).unwrap();
    assert_eq!(retired.state(), Completed);
    assert_eq!(book.live(), 1);
    assert_eq!(book.get(a), Lookup::Retired);
    assert_eq!(
        book.transition(a, Review),
        Err(ContractError::Retired { contract: a })
    );
    assert_eq!(book.retire(a), Err(ContractError::Retired { contract: a }));

    let never = ContractId::from_parts(77, 0);
    assert_eq!(book.get(never), Lookup::Unknown);
    assert_eq!(
        book.transition(never, Review),
        Err(ContractError::NotFound { contract: never })
    );
    assert_eq!(
        book.retire(never),
        Err(ContractError::NotFound { contract: never })
    );

    // The freed slot is reused under a new generation; the old id stays retired.
    let c = book
        .create(terms(PricingModel::PerTask, 10, 20), fake_escrow(2))
        .unwrap();
    assert_eq!(c.0.slot, a.0.slot);
    assert_ne!(c, a);
    assert_eq!(book.get(a), Lookup::Retired);
    assert!(matches!(book.get(b), Lookup::Live(x) if x.escrow() == EscrowId::from_parts(1, 0)));
}

#[test]
fn handler_shortcut_policy_allows_active_completion() {
    let mut book = ContractBook::new(TransitionPolicy::HANDLER_SHORTCUT);
    assert!(book.policy().allow_active_completion);
    let a = book
        .create(terms(PricingModel::PerTask, 10, 20), fake_escrow(0))
        .unwrap();
    assert_eq!(
        book.transition(a, Completed),
        Ok(Transition {
            from: Active,
            to: Completed
        })
    );
}

//! Tests of the escrow ledger (SPEC §3), and model-based tests of ledger + contract book + split
//! together against a naive reference (SPEC §3, §4).

use super::*;
use crate::market::contract::{
    ContractBook, ContractError, ContractState, ContractTerms, Pricing, PricingModel,
    TransitionError, TransitionPolicy, Usage,
};
use crate::market::ids::{AgentId, TaskId};
use crate::market::split::SplitPolicy;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

fn contract(n: u32) -> ContractId {
    ContractId::from_parts(n, 0)
}

/// Everything observable about a ledger, to compare before and after a refused operation.
#[derive(Debug, PartialEq)]
struct LedgerSnap {
    totals: LedgerTotals,
    accounts: Vec<(Balance, Credits, Credits)>,
    open: usize,
    escrows: Vec<(EscrowId, Option<EscrowRecord>, bool)>,
}

fn snap(l: &EscrowLedger, probes: &[EscrowId]) -> LedgerSnap {
    LedgerSnap {
        totals: l.totals(),
        accounts: (0..l.accounts() as u32)
            .map(|c| {
                let c = ClientId(c);
                (
                    l.balance(c).unwrap(),
                    l.released(c).unwrap(),
                    l.initial(c).unwrap(),
                )
            })
            .collect(),
        open: l.open_escrows(),
        escrows: probes
            .iter()
            .map(|&e| match l.escrow(e) {
                Lookup::Live(r) => (e, Some(*r), false),
                Lookup::Retired => (e, None, true),
                Lookup::Unknown => (e, None, false),
            })
            .collect(),
    }
}

#[test]
fn golden_walkthrough_9_6() {
    // Paper §9: a client escrows testbot_pro's 3500, the contract completes, 3500 is split.
    let mut l = EscrowLedger::new();
    let client = l.open_account(Credits(10_000));
    assert_eq!(client, ClientId(0));
    let e = l.hold(client, Credits(3500), contract(0)).unwrap();
    assert_eq!(
        l.balance(client),
        Some(Balance {
            available: Credits(6500),
            held: Credits(3500)
        })
    );
    assert!(matches!(l.escrow(e), Lookup::Live(r)
        if r.amount() == Credits(3500) && r.client() == client && r.contract() == contract(0)));
    let out = l.release_all(e).unwrap();
    assert_eq!(
        out,
        SettlementOutcome {
            client,
            contract: contract(0),
            released: Credits(3500),
            refunded: Credits::ZERO
        }
    );
    let s = SplitPolicy::default().split(out.released);
    assert_eq!(
        (s.operator(), s.platform(), s.llm_reserve()),
        (Credits(2450), Credits(525), Credits(525))
    );
    assert_eq!(
        l.totals(),
        LedgerTotals {
            initial: Credits(10_000),
            available: Credits(6500),
            held: Credits::ZERO,
            distributed: Credits(3500)
        }
    );
    assert!(l.totals().is_conserved());
    assert_eq!(l.is_client_conserved(client), Some(true));
    assert_eq!(l.released(client), Some(Credits(3500)));
    assert_eq!(l.open_escrows(), 0);
    assert_eq!(l.escrow(e), Lookup::Retired);
}

#[test]
fn partial_release_refunds_the_rest() {
    let mut l = EscrowLedger::new();
    let c = l.open_account(Credits(1000));
    let e = l.hold(c, Credits(800), contract(1)).unwrap();
    let out = l
        .settle(
            e,
            Settlement::Release {
                billed: Credits(300),
            },
        )
        .unwrap();
    assert_eq!((out.released, out.refunded), (Credits(300), Credits(500)));
    assert_eq!(
        l.balance(c),
        Some(Balance {
            available: Credits(700),
            held: Credits::ZERO
        })
    );
    assert_eq!(l.totals().distributed, Credits(300));
    // A zero bill releases nothing and refunds everything.
    let e = l.hold(c, Credits(700), contract(2)).unwrap();
    let out = l
        .settle(
            e,
            Settlement::Release {
                billed: Credits::ZERO,
            },
        )
        .unwrap();
    assert_eq!((out.released, out.refunded), (Credits::ZERO, Credits(700)));
    assert_eq!(l.totals(), l.recompute_totals());
    assert!(l.totals().is_conserved());
}

#[test]
fn every_refusal_is_typed_and_changes_nothing() {
    let mut l = EscrowLedger::new();
    let c = l.open_account(Credits(100));
    let held = l.hold(c, Credits(60), contract(0)).unwrap();
    let settled = l.hold(c, Credits(10), contract(1)).unwrap();
    l.settle(settled, Settlement::Refund).unwrap();
    let never = EscrowId::from_parts(50, 0);
    let future = EscrowId::from_parts(held.0.slot, held.0.generation() + 1);
    let probes = [held, settled, never, future];
    let before = snap(&l, &probes);

    let cases: Vec<(Result<(), LedgerError>, LedgerError)> = vec![
        (
            l.hold(ClientId(1), Credits(1), contract(2)).map(drop),
            LedgerError::NoBalanceRecord {
                client: ClientId(1),
            },
        ),
        (
            l.hold(c, Credits::ZERO, contract(2)).map(drop),
            LedgerError::ZeroAmount,
        ),
        (
            l.hold(c, Credits(41), contract(2)).map(drop),
            LedgerError::InsufficientFunds {
                available: Credits(40),
                requested: Credits(41),
            },
        ),
        (
            l.settle(never, Settlement::Refund).map(drop),
            LedgerError::NotFound { escrow: never },
        ),
        (
            l.settle(future, Settlement::Refund).map(drop),
            LedgerError::NotFound { escrow: future },
        ),
        (
            l.settle(settled, Settlement::Refund).map(drop),
            LedgerError::AlreadySettled { escrow: settled },
        ),
        (
            l.settle(
                settled,
                Settlement::Release {
                    billed: Credits(99),
                },
            )
            .map(drop),
            LedgerError::AlreadySettled { escrow: settled },
        ),
        (
            l.release_all(never).map(drop),
            LedgerError::NotFound { escrow: never },
        ),
        (
            l.settle(
                held,
                Settlement::Release {
                    billed: Credits(61),
                },
            )
            .map(drop),
            LedgerError::BillExceedsHold {
                billed: Credits(61),
                held: Credits(60),
            },
        ),
    ];
    for (got, expected) in cases {
        assert_eq!(got, Err(expected));
    }
    assert_eq!(snap(&l, &probes), before);
    assert_eq!(l.check_hold(c, Credits(40)), Ok(()));
    assert_eq!(l.check_hold(c, Credits(0)), Err(LedgerError::ZeroAmount));
}

#[test]
fn supply_overflow_is_refused() {
    let mut l = EscrowLedger::new();
    l.open_account(Credits(u64::MAX - 5));
    assert_eq!(
        l.try_open_account(Credits(6)),
        Err(LedgerError::SupplyOverflow)
    );
    assert_eq!(l.accounts(), 1);
    assert_eq!(l.try_open_account(Credits(5)), Ok(ClientId(1)));
    assert_eq!(l.totals().initial, Credits(u64::MAX));
    assert!(l.totals().is_conserved());
}

#[test]
fn settled_slots_are_reused_without_aliasing() {
    let mut l = EscrowLedger::new();
    let c = l.open_account(Credits(100));
    let a = l.hold(c, Credits(10), contract(0)).unwrap();
    l.settle(a, Settlement::Refund).unwrap();
    let b = l.hold(c, Credits(20), contract(1)).unwrap();
    assert_eq!(a.0.slot, b.0.slot, "memory is O(open escrows)");
    assert_eq!(
        l.settle(a, Settlement::Refund),
        Err(LedgerError::AlreadySettled { escrow: a })
    );
    assert!(matches!(l.escrow(b), Lookup::Live(r) if r.amount() == Credits(20)));
}

// ---------------------------------------------------------------------------------------------
// Model-based test: ledger + contract book + split against a naive reference.
// ---------------------------------------------------------------------------------------------

/// The §7.4 table, independent of `contract::transition`.
fn ref_valid(from: ContractState, to: ContractState, shortcut: bool) -> bool {
    use ContractState::*;
    matches!(
        (from, to),
        (Active, Review | Cancelled | Disputed)
            | (Review, Completed | Disputed | Cancelled)
            | (Disputed, Completed | Cancelled)
    ) || (shortcut && (from, to) == (Active, Completed))
}

fn ref_bill(p: Pricing, u: Usage, ceiling: u64) -> u64 {
    let raw = match p.model {
        PricingModel::PerTask => u128::from(p.rate.0),
        PricingModel::Hourly => u128::from(p.rate.0) * u128::from(u.seconds.div_ceil(3600)),
        PricingModel::PerToken => u128::from(p.rate.0) * u128::from(u.tokens),
    };
    raw.min(u128::from(ceiling)) as u64
}

fn ref_hold(p: Pricing, ceiling: u64) -> u64 {
    match p.model {
        PricingModel::PerTask => p.rate.0.min(ceiling),
        _ => ceiling,
    }
}

struct RefEscrow {
    client: u32,
    contract: ContractId,
    amount: u64,
    open: bool,
}

struct RefContract {
    state: ContractState,
    escrow: EscrowId,
    hold: u64,
    ceiling: u64,
    pricing: Pricing,
    retired: bool,
}

/// A naive ledger: every derived quantity is recomputed from the full history on demand.
#[derive(Default)]
struct Reference {
    initial: BTreeMap<u32, u64>,
    available: BTreeMap<u32, u64>,
    released: BTreeMap<u32, u64>,
    escrows: BTreeMap<EscrowId, RefEscrow>,
    contracts: BTreeMap<ContractId, RefContract>,
}

impl Reference {
    fn held(&self, client: u32) -> u64 {
        self.escrows
            .values()
            .filter(|e| e.open && e.client == client)
            .map(|e| e.amount)
            .sum()
    }

    fn expect_hold(&self, client: u32, amount: u64) -> Result<(), LedgerError> {
        let Some(&available) = self.available.get(&client) else {
            return Err(LedgerError::NoBalanceRecord {
                client: ClientId(client),
            });
        };
        if amount == 0 {
            Err(LedgerError::ZeroAmount)
        } else if available < amount {
            Err(LedgerError::InsufficientFunds {
                available: Credits(available),
                requested: Credits(amount),
            })
        } else {
            Ok(())
        }
    }

    fn do_hold(&mut self, client: u32, amount: u64, contract: ContractId, id: EscrowId) {
        *self.available.get_mut(&client).unwrap() -= amount;
        let fresh = self.escrows.insert(
            id,
            RefEscrow {
                client,
                contract,
                amount,
                open: true,
            },
        );
        assert!(fresh.is_none(), "escrow id {id} issued twice");
    }

    fn expect_settle(&self, id: EscrowId, s: Settlement) -> Result<(u64, u64), LedgerError> {
        match self.escrows.get(&id) {
            None => Err(LedgerError::NotFound { escrow: id }),
            Some(e) if !e.open => Err(LedgerError::AlreadySettled { escrow: id }),
            Some(e) => match s {
                Settlement::Refund => Ok((0, e.amount)),
                Settlement::Release { billed } if billed.0 > e.amount => {
                    Err(LedgerError::BillExceedsHold {
                        billed,
                        held: Credits(e.amount),
                    })
                }
                Settlement::Release { billed } => Ok((billed.0, e.amount - billed.0)),
            },
        }
    }

    fn do_settle(&mut self, id: EscrowId, released: u64, refunded: u64) {
        let e = self.escrows.get_mut(&id).unwrap();
        e.open = false;
        *self.available.get_mut(&e.client).unwrap() += refunded;
        *self.released.get_mut(&e.client).unwrap() += released;
    }
}

struct Harness {
    ledger: EscrowLedger,
    book: ContractBook,
    split: SplitPolicy,
    shortcut: bool,
    r: Reference,
    escrows: Vec<EscrowId>,
    contracts: Vec<ContractId>,
    refusals: usize,
    /// How often each outcome (error variant or success kind) occurred.
    seen: BTreeMap<String, usize>,
}

/// The variant name of an error or outcome, for [`Harness::seen`].
fn kind(x: &impl std::fmt::Debug) -> String {
    let s = format!("{x:?}");
    s.split([' ', '(', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

impl Harness {
    fn new(setup: u64) -> Self {
        let shortcut = setup & 1 == 1;
        let operator_bps = ((setup >> 1) % 10_001) as u32;
        let platform_bps = ((setup >> 20) % u64::from(10_001 - operator_bps)) as u32;
        Self {
            ledger: EscrowLedger::new(),
            book: ContractBook::new(TransitionPolicy {
                allow_active_completion: shortcut,
            }),
            split: SplitPolicy::new(operator_bps, platform_bps).unwrap(),
            shortcut,
            r: Reference::default(),
            escrows: Vec::new(),
            contracts: Vec::new(),
            refusals: 0,
            seen: BTreeMap::new(),
        }
    }

    fn probes(&self) -> Vec<EscrowId> {
        let mut p = self.escrows.clone();
        p.push(EscrowId::from_parts(3, 999));
        p
    }

    fn contract_view(&self) -> Vec<Option<(ContractState, EscrowId, Credits)>> {
        self.contracts
            .iter()
            .map(|&c| match self.book.get(c) {
                Lookup::Live(x) => Some((x.state(), x.escrow(), x.hold())),
                _ => None,
            })
            .collect()
    }

    fn client_pick(&self, raw: u64) -> u32 {
        let n = self.r.initial.len() as u64;
        if raw.is_multiple_of(8) || n == 0 {
            (n + raw % 2) as u32 // no such account
        } else {
            ((raw / 8) % n) as u32
        }
    }

    fn escrow_pick(&self, raw: u64) -> EscrowId {
        if self.escrows.is_empty() || raw.is_multiple_of(8) {
            EscrowId::from_parts((raw % 64) as u32, 1000 + (raw % 7) as u32) // never issued
        } else {
            self.escrows[(raw / 8) as usize % self.escrows.len()]
        }
    }

    fn contract_pick(&self, raw: u64) -> ContractId {
        if self.contracts.is_empty() || raw.is_multiple_of(10) {
            ContractId::from_parts((raw % 64) as u32, 1000 + (raw % 7) as u32)
        } else {
            self.contracts[(raw / 10) as usize % self.contracts.len()]
        }
    }

    /// Runs one operation; on a refusal also checks that nothing observable changed.
    fn step(&mut self, raw: [u64; 5]) {
        let probes = self.probes();
        let before = (
            snap(&self.ledger, &probes),
            self.contract_view(),
            self.book.live(),
        );
        let refused = self.apply(raw);
        if refused {
            self.refusals += 1;
            let after = (
                snap(&self.ledger, &probes),
                self.contract_view(),
                self.book.live(),
            );
            assert_eq!(
                before, after,
                "a refused operation changed the state: {raw:?}"
            );
        }
        self.check();
    }

    /// Returns whether the operation was refused.
    fn apply(&mut self, raw: [u64; 5]) -> bool {
        match raw[0] % 100 {
            0..8 => {
                let initial = if raw[1].is_multiple_of(5) {
                    0
                } else {
                    raw[1] % 100_000
                };
                let id = self.ledger.open_account(Credits(initial));
                assert_eq!(id, ClientId(self.r.initial.len() as u32));
                self.r.initial.insert(id.0, initial);
                self.r.available.insert(id.0, initial);
                self.r.released.insert(id.0, 0);
                false
            }
            8..30 => {
                let client = self.client_pick(raw[1]);
                let available = self.r.available.get(&client).copied().unwrap_or(0);
                let amount = match raw[2] % 4 {
                    0 => 0,
                    1 => available,
                    2 => available + 1 + raw[3] % 100, // beyond the balance
                    _ => 1 + raw[3] % available.max(1),
                };
                let k = contract((raw[4] % 1000) as u32);
                let expected = self.r.expect_hold(client, amount);
                let got = self.ledger.hold(ClientId(client), Credits(amount), k);
                match (expected, got) {
                    (Ok(()), Ok(id)) => {
                        self.r.do_hold(client, amount, k, id);
                        self.escrows.push(id);
                        false
                    }
                    (Err(e), Err(g)) => {
                        assert_eq!(e, g);
                        *self.seen.entry(format!("hold {}", kind(&g))).or_default() += 1;
                        true
                    }
                    (e, g) => panic!("hold: reference {e:?}, ledger {g:?}"),
                }
            }
            30..42 => {
                let id = self.escrow_pick(raw[1]);
                let amount = self.r.escrows.get(&id).map_or(raw[3] % 50, |e| e.amount);
                let s = match raw[2] % 4 {
                    0 => Settlement::Refund,
                    1 => Settlement::Release {
                        billed: Credits(amount),
                    },
                    2 => Settlement::Release {
                        billed: Credits(raw[3] % (amount + 1)),
                    },
                    _ => Settlement::Release {
                        billed: Credits(amount + 1 + raw[3] % 50),
                    },
                };
                self.settle_and_check(id, s).is_err()
            }
            42..62 => {
                let client = self.client_pick(raw[1]);
                let model = [
                    PricingModel::PerTask,
                    PricingModel::Hourly,
                    PricingModel::PerToken,
                ][(raw[2] % 3) as usize];
                let rate = match model {
                    PricingModel::PerTask => raw[3] % 3000,
                    PricingModel::Hourly => raw[3] % 500,
                    PricingModel::PerToken => raw[3] % 10,
                };
                let pricing = Pricing {
                    model,
                    rate: Credits(rate),
                };
                let ceiling = raw[4] % 5000;
                let hold = ref_hold(pricing, ceiling);
                let expected = self.r.expect_hold(client, hold);
                let terms = ContractTerms {
                    client: ClientId(client),
                    agent: AgentId((raw[1] % 7) as u32),
                    task: TaskId::from_parts((raw[2] % 9) as u32, 0),
                    pricing,
                    budget_ceiling: Credits(ceiling),
                    created_at: raw[3] % 1_000_000,
                };
                let ledger = &mut self.ledger;
                let mut funded = None;
                let got = self.book.create(terms, |id, amount| {
                    assert_eq!(amount, Credits(hold), "the book asks for the SPEC §4 hold");
                    let e = ledger.hold(ClientId(client), amount, id)?;
                    funded = Some(e);
                    Ok::<_, LedgerError>(e)
                });
                match (expected, got) {
                    (Ok(()), Ok(id)) => {
                        let e = funded.unwrap();
                        self.r.do_hold(client, hold, id, e);
                        self.escrows.push(e);
                        self.contracts.push(id);
                        let old = self.r.contracts.insert(
                            id,
                            RefContract {
                                state: ContractState::Active,
                                escrow: e,
                                hold,
                                ceiling,
                                pricing,
                                retired: false,
                            },
                        );
                        assert!(old.is_none(), "contract id {id} issued twice");
                        false
                    }
                    (Err(e), Err(g)) => {
                        assert_eq!(e, g);
                        *self.seen.entry(format!("create {}", kind(&g))).or_default() += 1;
                        true
                    }
                    (e, g) => panic!("create: reference {e:?}, book {g:?}"),
                }
            }
            62..94 => {
                let id = self.contract_pick(raw[1]);
                let to = match (raw[2] % 8, self.r.contracts.get(&id).map(|c| c.state)) {
                    // Mostly walk forward so that contracts reach completion.
                    (5 | 6, Some(ContractState::Active)) => ContractState::Review,
                    (5 | 6, _) => ContractState::Completed,
                    (k, _) => ContractState::ALL[(k % 5) as usize],
                };
                let usage = Usage {
                    seconds: raw[3] % 20_000,
                    tokens: raw[4] % 2_000,
                };
                self.transition_and_settle(id, to, usage)
            }
            _ => {
                let id = self.contract_pick(raw[1]);
                let expected = match self.r.contracts.get(&id) {
                    None => ContractError::NotFound { contract: id },
                    Some(c) if c.retired => ContractError::Retired { contract: id },
                    // Terminal contracts are retired at once, so a live one is never terminal.
                    Some(c) => ContractError::NotTerminal {
                        contract: id,
                        state: c.state,
                    },
                };
                assert_eq!(self.book.retire(id).map(|_| ()), Err(expected));
                *self
                    .seen
                    .entry(format!("retire {}", kind(&expected)))
                    .or_default() += 1;
                true
            }
        }
    }

    fn settle_and_check(
        &mut self,
        id: EscrowId,
        s: Settlement,
    ) -> Result<SettlementOutcome, LedgerError> {
        let expected = self.r.expect_settle(id, s);
        let got = self.ledger.settle(id, s);
        match (expected, got) {
            (Ok((released, refunded)), Ok(out)) => {
                let e = &self.r.escrows[&id];
                assert_eq!(out.client, ClientId(e.client));
                assert_eq!(out.contract, e.contract);
                assert_eq!(
                    (out.released, out.refunded),
                    (Credits(released), Credits(refunded))
                );
                self.r.do_settle(id, released, refunded);
                // Exact split of every payout.
                let sp = self.split.split(out.released);
                assert_eq!(sp.total(), out.released);
                assert_eq!(
                    sp.operator().0 + sp.platform().0 + sp.llm_reserve().0,
                    released
                );
            }
            (Err(e), Err(g)) => {
                assert_eq!(e, g);
                *self.seen.entry(format!("settle {}", kind(&g))).or_default() += 1;
            }
            (e, g) => panic!("settle {id} {s:?}: reference {e:?}, ledger {g:?}"),
        }
        got
    }

    /// The marketplace wiring: transition, then settle on a terminal state, then retire.
    fn transition_and_settle(&mut self, id: ContractId, to: ContractState, usage: Usage) -> bool {
        let expected = match self.r.contracts.get(&id) {
            None => Err(ContractError::NotFound { contract: id }),
            Some(c) if c.retired => Err(ContractError::Retired { contract: id }),
            Some(c) if ref_valid(c.state, to, self.shortcut) => Ok(c.state),
            Some(c) => Err(ContractError::Transition {
                contract: id,
                source: if c.state.is_terminal() {
                    TransitionError::FromTerminal { from: c.state, to }
                } else {
                    TransitionError::NotAllowed { from: c.state, to }
                },
            }),
        };
        let got = self.book.transition(id, to);
        match (expected, got) {
            (Ok(from), Ok(t)) => {
                assert_eq!((t.from, t.to), (from, to));
                self.r.contracts.get_mut(&id).unwrap().state = to;
            }
            (Err(e), Err(g)) => {
                assert_eq!(e, g);
                let detail = match g {
                    ContractError::Transition { source, .. } => kind(&source),
                    _ => String::new(),
                };
                *self
                    .seen
                    .entry(format!("transition {} {detail}", kind(&g)))
                    .or_default() += 1;
                return true;
            }
            (e, g) => panic!("transition {id} -> {to}: reference {e:?}, book {g:?}"),
        }
        let rc = &self.r.contracts[&id];
        let (escrow, hold, ceiling, pricing) = (rc.escrow, rc.hold, rc.ceiling, rc.pricing);
        let settlement = match to {
            ContractState::Completed => {
                let billed = ref_bill(pricing, usage, ceiling);
                let Lookup::Live(c) = self.book.get(id) else {
                    panic!("live")
                };
                assert_eq!(c.bill(usage), Credits(billed));
                // Budget cap (Proposition 6) and bill ≤ hold (SPEC §4).
                assert!(
                    billed <= hold && hold <= ceiling,
                    "bill {billed} hold {hold} cap {ceiling}"
                );
                Settlement::Release {
                    billed: Credits(billed),
                }
            }
            ContractState::Cancelled => Settlement::Refund,
            _ => return false,
        };
        // The escrow may already have been settled behind the contract's back by a raw
        // settle op; the reference predicts that too.
        if let Ok(out) = self.settle_and_check(escrow, settlement) {
            assert_eq!(out.released.0 + out.refunded.0, hold);
            *self
                .seen
                .entry(format!("contract {to} settled"))
                .or_default() += 1;
            if out.released.0 > 0 && out.refunded.0 > 0 {
                *self
                    .seen
                    .entry("contract partial release".into())
                    .or_default() += 1;
            }
        }
        let retired = self.book.retire(id).unwrap();
        assert_eq!(retired.state(), to);
        self.r.contracts.get_mut(&id).unwrap().retired = true;
        false
    }

    /// Invariants after every operation, plus agreement with the reference.
    fn check(&self) {
        let l = &self.ledger;
        let t = l.totals();
        assert_eq!(t, l.recompute_totals(), "incremental totals drifted");
        assert!(t.is_conserved(), "conservation broken: {t:?}");
        let mut ref_totals = LedgerTotals::default();
        let mut held_by_escrows: BTreeMap<ClientId, u64> = BTreeMap::new();
        for (_, e) in l.escrows.iter() {
            *held_by_escrows.entry(e.client()).or_default() += e.amount().0;
        }
        assert_eq!(l.accounts(), self.r.initial.len());
        for (&c, &initial) in &self.r.initial {
            let id = ClientId(c);
            let held = self.r.held(c);
            let b = l.balance(id).unwrap();
            assert_eq!(
                b,
                Balance {
                    available: Credits(self.r.available[&c]),
                    held: Credits(held)
                }
            );
            assert_eq!(held_by_escrows.get(&id).copied().unwrap_or(0), held);
            assert_eq!(l.released(id), Some(Credits(self.r.released[&c])));
            assert_eq!(l.initial(id), Some(Credits(initial)));
            assert_eq!(l.is_client_conserved(id), Some(true));
            assert_eq!(self.r.available[&c] + held + self.r.released[&c], initial);
            ref_totals.initial.0 += initial;
            ref_totals.available.0 += self.r.available[&c];
            ref_totals.held.0 += held;
            ref_totals.distributed.0 += self.r.released[&c];
        }
        assert_eq!(t, ref_totals);
        let open = self.r.escrows.values().filter(|e| e.open).count();
        assert_eq!(
            l.open_escrows(),
            open,
            "open escrows != holds not yet settled"
        );
        for (&id, e) in &self.r.escrows {
            match l.escrow(id) {
                Lookup::Live(r) => {
                    assert!(e.open);
                    assert_eq!(
                        (r.client(), r.contract(), r.amount()),
                        (ClientId(e.client), e.contract, Credits(e.amount))
                    );
                }
                Lookup::Retired => assert!(!e.open),
                Lookup::Unknown => panic!("issued escrow {id} reads unknown"),
            }
        }
        let live = self.r.contracts.values().filter(|c| !c.retired).count();
        assert_eq!(self.book.live(), live);
        for (&id, c) in &self.r.contracts {
            match self.book.get(id) {
                Lookup::Live(x) => {
                    assert!(!c.retired);
                    assert_eq!(
                        (x.state(), x.escrow(), x.hold()),
                        (c.state, c.escrow, Credits(c.hold))
                    );
                    assert!(
                        !x.state().is_terminal(),
                        "terminal contracts are retired at once"
                    );
                }
                Lookup::Retired => assert!(c.retired),
                Lookup::Unknown => panic!("issued contract {id} reads unknown"),
            }
        }
    }

    /// Drain: cancel every live contract and refund every open escrow (SPEC §3 escrow
    /// completeness); afterwards nothing is held and conservation still holds.
    fn drain(&mut self) {
        for id in self.contracts.clone() {
            if matches!(self.book.get(id), Lookup::Live(_)) {
                assert!(!self.transition_and_settle(
                    id,
                    ContractState::Cancelled,
                    Usage::default()
                ));
                self.check();
            }
        }
        for id in self.escrows.clone() {
            if matches!(self.ledger.escrow(id), Lookup::Live(_)) {
                self.settle_and_check(id, Settlement::Refund).unwrap();
            }
        }
        self.check();
        assert_eq!(self.ledger.open_escrows(), 0);
        assert_eq!(self.book.live(), 0);
        assert_eq!(self.ledger.totals().held, Credits::ZERO);
    }
}

fn run(setup: u64, ops: &[[u64; 5]]) -> Harness {
    let mut h = Harness::new(setup);
    // Start with a couple of accounts so early operations have someone to act on.
    h.step([0, 50_001, 0, 0, 0]);
    h.step([1, 123, 0, 0, 0]);
    for &raw in ops {
        h.step(raw);
    }
    h.drain();
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random operation sequences, good and bad, agree with the reference after every step.
    #[test]
    fn ledger_and_contracts_agree_with_reference(
        setup in any::<u64>(),
        ops in proptest::collection::vec(any::<[u64; 5]>(), 0..120),
    ) {
        run(setup, &ops);
    }
}

/// Thousands of seeded sequences (cheap to generate, no shrinking), counting that bad
/// operations and every kind of outcome really occur.
#[test]
fn thousands_of_seeded_sequences() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x1ed9e5);
    let (mut refusals, mut steps) = (0usize, 0usize);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..2000 {
        let len = rng.random_range(0..100);
        let ops: Vec<[u64; 5]> = (0..len).map(|_| rng.random()).collect();
        let h = run(rng.random(), &ops);
        refusals += h.refusals;
        steps += ops.len();
        for (k, n) in h.seen {
            *seen.entry(k).or_default() += n;
        }
    }
    assert!(
        refusals > steps / 5,
        "too few bad operations exercised: {refusals}/{steps}"
    );
    // Every kind of bad operation and every settlement path really occurred.
    for k in [
        "hold NoBalanceRecord",
        "hold ZeroAmount",
        "hold InsufficientFunds",
        "settle NotFound",
        "settle AlreadySettled",
        "settle BillExceedsHold",
        "create NoBalanceRecord",
        "create ZeroAmount",
        "create InsufficientFunds",
        "transition NotFound ",
        "transition Retired ",
        "transition Transition NotAllowed",
        "retire NotTerminal",
        "retire Retired",
        "retire NotFound",
        "contract completed settled",
        "contract cancelled settled",
        "contract partial release",
    ] {
        assert!(
            seen.get(k).copied().unwrap_or(0) > 0,
            "never exercised: {k}; seen {seen:?}"
        );
    }
}

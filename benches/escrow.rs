//! Escrow hold + settle (issue 6): one `hold` followed by its `settle` on a long-lived ledger
//! of 1,000 client accounts, so the escrow slab's slot reuse is part of what is measured.
//! `release` bills part of the hold and refunds the rest (a completed contract); `refund`
//! returns the whole hold (a cancelled one).

use criterion::{Criterion, criterion_group, criterion_main};
use marketsim::market::escrow::{EscrowLedger, Settlement};
use marketsim::market::{ClientId, ContractId, Credits};
use std::hint::black_box;

const ACCOUNTS: u32 = 1_000;

fn ledger() -> EscrowLedger {
    let mut ledger = EscrowLedger::new();
    for _ in 0..ACCOUNTS {
        ledger.open_account(Credits(1_000_000_000_000));
    }
    ledger
}

fn hold_settle(c: &mut Criterion) {
    let mut group = c.benchmark_group("escrow/hold_settle");
    for (name, release) in [("release", true), ("refund", false)] {
        group.bench_function(name, |b| {
            let mut ledger = ledger();
            let mut i = 0u32;
            b.iter(|| {
                i = i.wrapping_add(1);
                let client = ClientId(i % ACCOUNTS);
                let amount = Credits(1_000 + u64::from(i % 97));
                let escrow = ledger
                    .hold(client, amount, ContractId::from_parts(i, 0))
                    .expect("funded");
                let settlement = if release {
                    Settlement::Release {
                        billed: Credits(amount.0 - 10),
                    }
                } else {
                    Settlement::Refund
                };
                black_box(ledger.settle(escrow, settlement).expect("held"))
            });
            assert_eq!(ledger.open_escrows(), 0);
            assert!(ledger.totals().is_conserved());
        });
    }
    group.finish();
}

criterion_group!(benches, hold_settle);
criterion_main!(benches);

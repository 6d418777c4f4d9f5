//! A whole job lifecycle through the marketplace facade (issue 6):
//! `post_demand → 5 submits → clear → deliver → complete` — order book, funding check,
//! escrow hold, contract, transitions, bill, release and refund, revenue split and the
//! reputation recording with its detectors. A long-lived market of 1,000 clients and 1,000
//! agents is reused, so the steady state (slot reuse, growing histories) is measured.
//!
//! - `lifecycle/call/5`: the paper's `clear_market`: five proposals rest, `clear` ranks them
//!   by the cost functional.
//! - `lifecycle/continuous/5`: four proposals over budget rest; the fifth matches on arrival
//!   (`clear` is not needed).

use criterion::{Criterion, criterion_group, criterion_main};
use marketsim::market::contract::{PricingModel, Usage};
use marketsim::market::marketplace::{Marketplace, ProposalTerms};
use marketsim::market::{AgentId, ClientId, Credits, QualityVector};
use marketsim::scenario::{Clearing, Scenario, ScenarioFile};
use std::hint::black_box;

const CLIENTS: u32 = 1_000;
const AGENTS: u32 = 1_000;
const PROPOSALS: u32 = 5;
const BUDGET: u64 = 2_000;

fn market(clearing: Clearing) -> Marketplace {
    let mut file = ScenarioFile::default();
    file.market.clearing = clearing;
    let scenario = Scenario::from_file(file, std::path::Path::new("<bench>")).expect("valid");
    let mut market = Marketplace::new(scenario.market_config());
    for _ in 0..CLIENTS {
        market.open_client(Credits(1_000_000_000_000));
    }
    for _ in 0..AGENTS {
        market.register_agent();
    }
    market
}

fn terms(agent: AgentId, price: u64, k: u32) -> ProposalTerms {
    ProposalTerms {
        agent,
        price: Credits(price),
        duration: 3_600,
        confidence: 0.6 + f64::from(k) / 20.0,
        model: PricingModel::PerTask,
    }
}

fn lifecycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("lifecycle");
    for (name, clearing) in [
        ("call", Clearing::Call),
        ("continuous", Clearing::Continuous),
    ] {
        group.bench_function(format!("{name}/{PROPOSALS}"), |b| {
            let mut m = market(clearing);
            let mut i = 0u32;
            let mut now = 0u64;
            b.iter(|| {
                i = i.wrapping_add(1);
                now += 10;
                let client = ClientId(i % CLIENTS);
                let task = m
                    .post_demand(client, 1, Credits(BUDGET), now + 86_400)
                    .expect("valid demand");
                let mut opened = None;
                for k in 0..PROPOSALS {
                    let agent = AgentId((i.wrapping_mul(PROPOSALS) + k) % AGENTS);
                    let price = if clearing == Clearing::Continuous && k + 1 < PROPOSALS {
                        BUDGET + 1 // rests: over budget
                    } else {
                        1_000 + u64::from((i + k * 37) % 800)
                    };
                    opened = m
                        .submit(task, terms(agent, price, k), now)
                        .expect("open task");
                }
                let opened = match opened {
                    Some(o) => o,
                    None => m
                        .clear(task, PricingModel::PerTask, now)
                        .expect("funded")
                        .expect("eligible"),
                };
                m.deliver(opened.contract).expect("active");
                let quality = QualityVector::clamped(std::array::from_fn(|d| {
                    0.6 + f64::from((i + d as u32 * 13) % 30) / 100.0
                }));
                let usage = Usage {
                    seconds: 3_000,
                    tokens: 30_000,
                };
                black_box(
                    m.complete(opened.contract, usage, quality, Some(3_000))
                        .expect("in review"),
                )
            });
            assert_eq!(m.ledger().open_escrows(), 0);
            assert!(m.ledger().totals().is_conserved());
        });
    }
    group.finish();
}

criterion_group!(benches, lifecycle);
criterion_main!(benches);

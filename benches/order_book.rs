//! Order-book clearing for 2, 5, 20 and 100 proposals (issue 6), per clearing rule.
//!
//! - `order_book/clear/{rule}/{n}`: the clearing step alone. For `call`, `first_price` and
//!   `vickrey` a task with `n` pending proposals is closed with `clear` (one pass over the
//!   proposals, the ranking signal read for each). For `continuous` the task holds `n − 1`
//!   pending proposals over budget and the measured step is the `n`-th arrival, which matches
//!   at once and rejects the others (paper §4.5–§4.6). The book is built outside the timing.
//! - `order_book/task/{rule}/{n}`: a whole task on a long-lived book — post the demand, submit
//!   `n` proposals, clear — so slot and proposal-`Vec` reuse (no steady-state allocation) is
//!   part of what is measured.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use marketsim::market::auction::ProcurementRule;
use marketsim::market::order_book::{
    Capabilities, ClearingRule, DemandSpec, OrderBook, ProposalSpec,
};
use marketsim::market::{AgentId, ClientId, Credits, TaskId};
use std::hint::black_box;

const SIZES: [usize; 4] = [2, 5, 20, 100];
const BUDGET: u64 = 10_000;

fn rules() -> [(&'static str, ClearingRule); 4] {
    [
        ("continuous", ClearingRule::Continuous),
        ("call", ClearingRule::Call),
        (
            "first_price",
            ClearingRule::Auction(ProcurementRule::FirstPrice),
        ),
        ("vickrey", ClearingRule::Auction(ProcurementRule::Vickrey)),
    ]
}

fn demand(i: u64) -> DemandSpec {
    DemandSpec {
        client: ClientId((i % 1_000) as u32),
        capabilities: Capabilities(1),
        budget_ceiling: Credits(BUDGET),
        deadline: 86_400,
    }
}

/// The `i`-th proposal of a task: asks spread over the budget, varied confidence.
fn proposal(i: usize, over_budget: bool) -> ProposalSpec {
    let ask = if over_budget {
        BUDGET + 1 + i as u64
    } else {
        BUDGET / 2 + (i as u64 * 7_919) % (BUDGET / 2)
    };
    ProposalSpec {
        agent: AgentId(i as u32),
        estimated_credits: Credits(ask),
        estimated_duration: 3_600,
        confidence: 0.5 + (i % 5) as f64 / 10.0,
        timestamp: i as u64,
    }
}

/// Ranking signal in [0, 1], different per agent.
fn signal(agent: AgentId) -> f64 {
    0.3 + f64::from(agent.0 % 7) / 10.0
}

/// A book with one open task holding `pending` proposals. A first task of `pending + 1`
/// proposals is posted and cancelled so the book is in its steady state (its pooled proposal
/// `Vec` has room for them all): the measured step allocates nothing, as in a long run.
fn book_with(rule: ClearingRule, pending: usize, over_budget: bool) -> (OrderBook, TaskId) {
    let mut book = OrderBook::new(rule).expect("valid rule");
    let warm = book.post_demand(demand(1)).expect("positive budget");
    for i in 0..=pending {
        book.submit_proposal(warm, proposal(i, true))
            .expect("open task");
    }
    book.cancel_demand(warm).expect("open task");
    let task = book.post_demand(demand(0)).expect("positive budget");
    for i in 0..pending {
        let submitted = book
            .submit_proposal(task, proposal(i, over_budget))
            .expect("open task");
        assert!(submitted.matched.is_none());
    }
    (book, task)
}

fn clearing(c: &mut Criterion) {
    let mut group = c.benchmark_group("order_book/clear");
    for (name, rule) in rules() {
        for n in SIZES {
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                if rule == ClearingRule::Continuous {
                    b.iter_batched_ref(
                        || book_with(rule, n - 1, true),
                        |(book, task)| {
                            let s = book
                                .submit_proposal(*task, proposal(n - 1, false))
                                .expect("open task");
                            black_box(s.matched.expect("in budget: matches on arrival"))
                        },
                        BatchSize::SmallInput,
                    );
                } else {
                    b.iter_batched_ref(
                        || book_with(rule, n, false),
                        |(book, task)| black_box(book.clear(*task, signal).expect("eligible")),
                        BatchSize::SmallInput,
                    );
                }
            });
        }
    }
    group.finish();
}

fn whole_task(c: &mut Criterion) {
    let mut group = c.benchmark_group("order_book/task");
    for (name, rule) in rules() {
        for n in SIZES {
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                let mut book = OrderBook::new(rule).expect("valid rule");
                let mut i = 0u64;
                b.iter(|| {
                    i += 1;
                    let task = book.post_demand(demand(i)).expect("positive budget");
                    if rule == ClearingRule::Continuous {
                        for k in 0..n - 1 {
                            book.submit_proposal(task, proposal(k, true))
                                .expect("open task");
                        }
                        let s = book
                            .submit_proposal(task, proposal(n - 1, false))
                            .expect("open task");
                        black_box(s.matched.expect("matches on arrival"))
                    } else {
                        for k in 0..n {
                            book.submit_proposal(task, proposal(k, false))
                                .expect("open task");
                        }
                        black_box(book.clear(task, signal).expect("eligible"))
                    }
                });
                assert_eq!(book.open_tasks(), 0);
            });
        }
    }
    group.finish();
}

criterion_group!(benches, clearing, whole_task);
criterion_main!(benches);

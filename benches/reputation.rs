//! One reputation recording at history length 10, 10^3 and 10^5 (issue 6; SPEC §6: work per
//! recording must not grow with the history). Each engine is pre-filled with the history
//! once; every measured iteration records one more vector on a copy of it (the copy is made
//! outside the timing), so the history length is exactly the stated one each time. The
//! three figures should be equal within noise.

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use marketsim::market::reputation::ReputationEngine;
use marketsim::market::{AgentId, DIMENSIONS, QualityVector};
use std::hint::black_box;

/// A varied, valid quality vector (no detector fires on a history of these).
fn vector(i: u64) -> QualityVector {
    QualityVector::clamped(std::array::from_fn(|d| {
        0.55 + ((i * 31 + d as u64 * 17) % 40) as f64 / 100.0
    }))
}

fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("reputation/record");
    for history in [10u64, 1_000, 100_000] {
        let mut engine = ReputationEngine::default();
        let agent: AgentId = engine.register();
        for i in 0..history {
            engine
                .record(agent, vector(i), Some(600 + i % 900))
                .expect("registered");
        }
        assert_eq!(engine.recordings(agent), history);
        let next = vector(history);
        group.bench_with_input(BenchmarkId::from_parameter(history), &history, |b, _| {
            b.iter_batched_ref(
                || engine.clone(),
                |e| black_box(e.record(agent, next, Some(1_200)).expect("registered")),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
    assert_eq!(DIMENSIONS, 6);
}

criterion_group!(benches, record);
criterion_main!(benches);

//! One sample's ranking measures (τ-b and footrule of R and T against true quality, over all
//! live identities and honest ones; issue 11) at 10^4, 10^5 and 10^6 identities. A sample
//! runs every six simulated hours, about once per identity's worth of jobs, so its cost per
//! identity is a cost per job of `marketsim bench` (issue 15). The scores are a fixed,
//! noisy function of each identity's quality, with a tenth of the identities not honest and
//! R rounded to make ties, as a run's are.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use marketsim::metrics::ranking::LiveOrders;
use std::hint::black_box;

/// `(R, T, true quality, honest)` of identity `i`: a deterministic hash for the noise.
fn identity(i: u64) -> (f64, f64, f64, bool) {
    let h = |salt: u64| {
        let x = (i ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let quality = h(1);
    let r = ((0.7 * quality + 0.3 * h(2)) * 1000.0).round() / 1000.0;
    let t = 0.5 * quality + 0.5 * h(3);
    (r, t, quality, !i.is_multiple_of(10))
}

fn measure(c: &mut Criterion) {
    let mut group = c.benchmark_group("ranking/measure");
    group.sample_size(10);
    for n in [10_000u64, 100_000, 1_000_000] {
        let live: Vec<_> = (0..n).map(identity).collect();
        let mut orders = LiveOrders::default();
        let first = orders.measure(|| live.iter().copied());
        let kendall = first.ranking.all.kendall_r.expect("R is not constant");
        assert!(kendall > 0.3 && kendall < 1.0, "τ-b of R {kendall}");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(orders.measure(|| live.iter().copied())));
        });
    }
    group.finish();
}

criterion_group!(benches, measure);
criterion_main!(benches);

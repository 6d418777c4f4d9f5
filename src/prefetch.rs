//! A cache prefetch hint (issue 15): asks the CPU to bring the cache line holding a value
//! into every cache level, without waiting for it and without any effect a program can
//! observe. The world issues one for each record the next event will read, so that those
//! misses overlap with the work of the event handled now (`World::prefetch_records` and the
//! stages after it).
//!
//! Before this, a read-ahead was an ordinary load kept alive by `std::hint::black_box`: the
//! load could not retire until its line arrived, so a miss held up the retirement of every
//! later instruction (perf attributed half of the event dispatch's time to those loads at
//! 10^5 identities). A prefetch instruction retires at once. It needs `core::arch`, whose
//! `_mm_prefetch` is an `unsafe fn`; `safe_arch` wraps it behind a safe function taking a
//! reference. On other architectures the hint is a no-op.

/// Hints that `value` will be read soon.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(value);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

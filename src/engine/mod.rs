//! A generic discrete-event engine: simulated time, a deterministic event queue and named
//! random streams. It knows nothing about markets.
//!
//! Determinism guarantee: events are delivered in ascending `(time, sequence)` order, where
//! `sequence` is the order in which they were scheduled. Two events at the same simulated second
//! are therefore delivered first-scheduled first, on every platform and thread count.

pub mod dist;
pub mod queue;
pub mod streams;

pub use dist::{Dist, round_u64};
pub use queue::EventQueue;
pub use streams::{Key, KeyedRng, Stream, Streams};

/// Simulated time in whole seconds since the start of the run.
pub type SimTime = u64;

/// Longest span a scenario may set or a delay may take, seconds (2^40 s ≈ 34,800 years): a
/// run's times stay far below `u64::MAX`, so `now + delay` cannot overflow. Sampled delays
/// are capped at it.
pub const MAX_SECONDS: u64 = 1 << 40;

/// A model driven by the engine: it handles one event at a time and may schedule more.
pub trait Model {
    /// The closed set of events this model understands.
    type Event;

    /// Handles `event` at simulated time `now`; new events go into `queue`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Runs `model` until the queue is empty; `on_event` is told the time of every event handled
/// (for progress reporting). Returns the number of events handled.
pub fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    mut on_event: impl FnMut(SimTime),
) -> u64 {
    let mut handled = 0;
    while let Some((now, event)) = queue.pop() {
        model.handle(now, event, queue);
        handled += 1;
        on_event(now);
    }
    handled
}

//! The event queue: pending events delivered in ascending `(time, sequence)` order.
//!
//! ```text
//!  schedule(t, e) ──t < now + WHEEL──▶ wheel slot t mod WHEEL: a FIFO of events at time t
//!                 └─otherwise───────▶ far heap, ordered by (t, sequence)
//!  pop ──▶ front of the slot of `now`; when it is empty, `now` jumps to the earliest time in
//!          the wheel (bitmap scan) or the far heap, and far events that came within the
//!          wheel's reach move into their slots (in (time, sequence) order) before anything else
//! ```
//!
//! Why this gives `(time, sequence)` order: a slot only ever holds one time (wheel times lie
//! in `[now, now + WHEEL)`), and its FIFO is in scheduling order — an event scheduled straight
//! into the wheel for time `t` was scheduled after `t` came within reach, and far events for
//! `t` are moved in at exactly that moment, before any event of the new `now` is handled.
//! Cost: `schedule` and `pop` are O(1) for events less than `WHEEL` seconds ahead (the bulk of
//! a market run), O(log far) otherwise; the bitmap scan is at most `WHEEL / 64` words. Memory
//! is O(pending events) plus a fixed 128 KiB wheel; nodes are recycled, so the steady state
//! does not allocate. A test checks the order against a `BTreeMap` reference.

use super::SimTime;
use crate::prefetch::prefetch;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Seconds covered by the wheel (a power of two): 4.55 simulated hours.
const WHEEL: u64 = 1 << 14;
const MASK: u64 = WHEEL - 1;
/// End of a slot's list.
const NIL: u32 = u32::MAX;

struct Scheduled<E> {
    time: SimTime,
    sequence: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.sequence) == (other.time, other.sequence)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.sequence).cmp(&(other.time, other.sequence))
    }
}

/// A pending event in the wheel: singly linked within its slot.
struct Node<E> {
    event: Option<E>,
    next: u32,
}

/// FIFO list of one wheel slot (indices into `nodes`).
#[derive(Clone, Copy)]
struct Slot {
    head: u32,
    tail: u32,
}

const EMPTY_SLOT: Slot = Slot {
    head: NIL,
    tail: NIL,
};

/// Pending events, delivered in ascending `(time, insertion sequence)` order.
pub struct EventQueue<E> {
    slots: Box<[Slot]>,
    /// Bit `s` set when slot `s` is non-empty.
    occupied: Box<[u64]>,
    nodes: Vec<Node<E>>,
    /// Head of the list of recycled nodes.
    free: u32,
    /// Events at least `WHEEL` seconds ahead when scheduled.
    far: BinaryHeap<Reverse<Scheduled<E>>>,
    len: usize,
    next_sequence: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            slots: vec![EMPTY_SLOT; WHEEL as usize].into_boxed_slice(),
            occupied: vec![0; (WHEEL / 64) as usize].into_boxed_slice(),
            nodes: Vec::new(),
            free: NIL,
            far: BinaryHeap::new(),
            len: 0,
            next_sequence: 0,
            now: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`. Scheduling in the past is a logic error: the event is
    /// delivered at the current time instead (and a debug build panics).
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.len += 1;
        if time - self.now < WHEEL {
            self.push_slot(time, event);
        } else {
            self.far.push(Reverse(Scheduled {
                time,
                sequence,
                event,
            }));
        }
    }

    /// Appends `event` to the FIFO of `time`'s slot.
    fn push_slot(&mut self, time: SimTime, event: E) {
        let node = if self.free == NIL {
            let index = u32::try_from(self.nodes.len()).expect("fewer than 2^32 pending events");
            self.nodes.push(Node {
                event: Some(event),
                next: NIL,
            });
            index
        } else {
            let index = self.free;
            let n = &mut self.nodes[index as usize];
            self.free = n.next;
            n.event = Some(event);
            n.next = NIL;
            index
        };
        let s = (time & MASK) as usize;
        let slot = &mut self.slots[s];
        if slot.tail == NIL {
            slot.head = node;
            self.occupied[s / 64] |= 1 << (s % 64);
        } else {
            self.nodes[slot.tail as usize].next = node;
        }
        slot.tail = node;
    }

    /// Removes and returns the earliest event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            let s = (self.now & MASK) as usize;
            let slot = &mut self.slots[s];
            if slot.head != NIL {
                let index = slot.head;
                let node = &mut self.nodes[index as usize];
                let event = node.event.take().expect("a linked node holds an event");
                slot.head = node.next;
                node.next = self.free;
                self.free = index;
                if slot.head == NIL {
                    slot.tail = NIL;
                    self.occupied[s / 64] &= !(1 << (s % 64));
                }
                self.len -= 1;
                return Some((self.now, event));
            }
            let wheel = self.next_wheel_time();
            let far = self.far.peek().map(|Reverse(e)| e.time);
            self.now = match (wheel, far) {
                (Some(w), Some(f)) => w.min(f),
                (Some(t), None) | (None, Some(t)) => t,
                (None, None) => return None,
            };
            while let Some(Reverse(e)) = self.far.peek()
                && e.time - self.now < WHEEL
            {
                let Reverse(e) = self.far.pop().expect("peeked");
                self.push_slot(e.time, e.event);
            }
        }
    }

    /// The next two events of the current second, as far as there are any (hints for
    /// prefetching: they are the events [`pop`](Self::pop) returns next, since an event
    /// scheduled for this second before then goes behind them). Prefetches the node of the
    /// event after them, which the next call reads: a second's nodes are scattered over the
    /// node pool, so each would otherwise miss at 10^5 identities (issue 15).
    #[inline]
    pub fn ahead(&self) -> [Option<&E>; 2] {
        let head = self.slots[(self.now & MASK) as usize].head;
        let Some(first) = self.nodes.get(head as usize) else {
            return [None, None];
        };
        let second = self.nodes.get(first.next as usize);
        if let Some(third) = second.and_then(|s| self.nodes.get(s.next as usize)) {
            prefetch(third);
        }
        [first.event.as_ref(), second.and_then(|s| s.event.as_ref())]
    }

    /// The earliest time with a non-empty slot after `now` (whose own slot is empty).
    fn next_wheel_time(&self) -> Option<SimTime> {
        let start = ((self.now + 1) & MASK) as usize;
        let words = self.occupied.len();
        let (first, bit) = (start / 64, start % 64);
        // The first word from `start` on, the other words in circular order, then the bits of
        // the first word below `start` (the slots furthest ahead).
        let masked = self.occupied[first] & (u64::MAX << bit);
        let found = if masked != 0 {
            Some(first * 64 + masked.trailing_zeros() as usize)
        } else {
            (1..words)
                .map(|k| (first + k) % words)
                .find(|&w| self.occupied[w] != 0)
                .map(|w| w * 64 + self.occupied[w].trailing_zeros() as usize)
                .or_else(|| {
                    let low = self.occupied[first] & !(u64::MAX << bit);
                    (low != 0).then(|| first * 64 + low.trailing_zeros() as usize)
                })
        }?;
        let ahead = (found as u64).wrapping_sub(self.now) & MASK;
        Some(self.now + ahead)
    }

    /// The time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    #[test]
    fn ties_are_delivered_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(5, 'b');
        q.schedule(3, 'a');
        q.schedule(5, 'c');
        q.schedule(5, 'd');
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(3, 'a'), (5, 'b'), (5, 'c'), (5, 'd')]);
    }

    /// Runs `rounds` seeded operations on a queue and on a `BTreeMap<(time, seq), value>`
    /// reference side by side: in round `r`, schedule with probability `p_schedule(r)` an
    /// event `delay(rng)` seconds ahead, else pop; every pop and length must agree, and the
    /// queue must drain in the reference's order.
    fn check_against_reference(
        seed: u64,
        rounds: u64,
        p_schedule: impl Fn(u64) -> f64,
        delay: impl Fn(&mut rand_chacha::ChaCha8Rng) -> u64,
    ) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut q = EventQueue::new();
        let mut reference = BTreeMap::new();
        let mut seq = 0u64;
        for round in 0..rounds {
            if rng.random_bool(p_schedule(round)) {
                let t = q.now() + delay(&mut rng);
                q.schedule(t, seq);
                reference.insert((t, seq), seq);
                seq += 1;
            } else {
                let expected = reference.pop_first().map(|((t, _), v)| (t, v));
                assert_eq!(q.pop(), expected);
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(expected) = reference.pop_first().map(|((t, _), v)| (t, v)) {
            assert_eq!(q.pop(), Some(expected));
        }
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn ahead_shows_the_next_two_events_of_the_current_second_only() {
        let mut q = EventQueue::new();
        assert_eq!(q.ahead(), [None, None]);
        q.schedule(0, 'a');
        q.schedule(0, 'b');
        q.schedule(0, 'c');
        q.schedule(9, 'd');
        assert_eq!(q.ahead(), [Some(&'a'), Some(&'b')]);
        assert_eq!(q.pop(), Some((0, 'a')));
        assert_eq!(q.ahead(), [Some(&'b'), Some(&'c')]);
        assert_eq!(q.pop(), Some((0, 'b')));
        assert_eq!(q.ahead(), [Some(&'c'), None]);
        assert_eq!(q.pop(), Some((0, 'c')));
        // Second 9 is not the current one yet: no hint (and no search for it).
        assert_eq!(q.ahead(), [None, None]);
        assert_eq!(q.pop(), Some((9, 'd')));
        assert_eq!(q.ahead(), [None, None]);
    }

    /// A million seeded operations, delays below the wheel's reach.
    #[test]
    fn agrees_with_a_btreemap_reference() {
        check_against_reference(7, 1_000_000, |_| 0.55, |rng| rng.random_range(0..50));
    }

    /// Delays on both sides of the wheel's reach (and exactly at it), sparse stretches that
    /// make the clock jump, and ties between far and near events: still the reference order.
    /// Bursts of scheduling alternate with bursts of popping, so the queue both fills up (far
    /// heap in use) and empties (the clock jumps over empty stretches).
    #[test]
    fn far_and_near_events_agree_with_a_btreemap_reference() {
        let p_schedule = |round: u64| {
            if (round / 5_000).is_multiple_of(2) {
                0.7
            } else {
                0.3
            }
        };
        let delay = |rng: &mut rand_chacha::ChaCha8Rng| match rng.random_range(0..6) {
            0 => rng.random_range(0..4),
            1 => rng.random_range(0..2 * WHEEL),
            2 => WHEEL - 1 + rng.random_range(0..3),
            3 => rng.random_range(0..20 * WHEEL),
            4 => rng.random_range(0..3_600),
            _ => WHEEL * rng.random_range(1..4) - rng.random_range(0..2),
        };
        check_against_reference(11, 400_000, p_schedule, delay);
    }
}

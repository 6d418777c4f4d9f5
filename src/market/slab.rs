//! A generational slab: the storage behind every record that is created and retired during a
//! run (tasks, contracts, escrows).
//!
//! Memory is O(records alive): a retired slot is reused. Each slot carries a generation that is
//! bumped on removal, so a key to a retired record is told apart from a key that never existed
//! ([`Lookup::Retired`] vs [`Lookup::Unknown`]) and can never reach the slot's next occupant.
//!
//! [`Slab::retire`] removes a record but keeps it readable in its slot ([`Slab::retired`])
//! until the slot is reused: a book that must remember how its last records ended (the
//! contracts' idempotency guard, seed 003) needs no second table (issue 15).

use crate::prefetch::prefetch;
use std::num::NonZeroU32;

/// A key into a [`Slab`]: slot index plus the generation the record was created in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlabKey {
    /// Index of the slot.
    pub slot: u32,
    /// The generation plus one, never zero: `Option<SlabKey>` then takes 8 bytes instead of
    /// 12, and so does any record holding one, such as a job's contract (issue 15).
    generation: NonZeroU32,
}

impl SlabKey {
    /// The largest generation a key carries. A slot whose generation would pass it is
    /// never reused (one slot lost per 2^32 − 1 records stored in it).
    pub const MAX_GENERATION: u32 = u32::MAX - 1;

    /// The key of `slot` in `generation`; `None` above [`MAX_GENERATION`](Self::MAX_GENERATION).
    pub fn new(slot: u32, generation: u32) -> Option<Self> {
        NonZeroU32::new(generation.wrapping_add(1)).map(|generation| Self { slot, generation })
    }

    /// Generation of the slot when the record was inserted.
    #[inline]
    pub fn generation(self) -> u32 {
        self.generation.get() - 1
    }
}

/// What a key refers to.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<T> {
    /// The record is alive.
    Live(T),
    /// The record existed and has been removed.
    Retired,
    /// No record was ever created under this key.
    Unknown,
}

/// `repr(C)`: the generation comes first, on the same cache line as the start of the record
/// (a lookup checks it before reading the record; issue 15).
#[derive(Debug, Clone)]
#[repr(C)]
struct Entry<T> {
    generation: u32,
    /// `value` is the record [`Slab::retire`] removed, kept until the slot is reused: not live.
    retired: bool,
    value: Option<T>,
}

impl<T> Entry<T> {
    /// The live record, if any.
    #[inline]
    fn live(&self) -> Option<&T> {
        if self.retired {
            None
        } else {
            self.value.as_ref()
        }
    }
}

/// Generational arena with slot reuse. Iteration order is slot order, which is deterministic.
#[derive(Debug, Clone)]
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// An empty slab.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of live records.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no record is alive.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores `value`, reusing the most recently freed slot if there is one.
    pub fn insert(&mut self, value: T) -> SlabKey {
        self.len += 1;
        if let Some(slot) = self.free.pop() {
            let entry = &mut self.entries[slot as usize];
            debug_assert!(entry.live().is_none());
            entry.value = Some(value);
            entry.retired = false;
            SlabKey::new(slot, entry.generation).expect("free slots have generations left")
        } else {
            let slot = u32::try_from(self.entries.len()).expect("more than 2^32 live records");
            self.entries.push(Entry {
                generation: 0,
                retired: false,
                value: Some(value),
            });
            SlabKey::new(slot, 0).expect("generation 0 is a key's")
        }
    }

    /// Classifies `key`: live, retired or unknown.
    #[inline]
    pub fn lookup(&self, key: SlabKey) -> Lookup<&T> {
        match self.entries.get(key.slot as usize) {
            None => Lookup::Unknown,
            Some(e) if key.generation() > e.generation => Lookup::Unknown,
            Some(e) if key.generation() < e.generation => Lookup::Retired,
            Some(e) => match e.live() {
                Some(v) => Lookup::Live(v),
                // Same generation but empty: removed and not yet reused.
                None => Lookup::Retired,
            },
        }
    }

    /// Prefetches the first and the last cache line of `slot` (its generation, the record's
    /// first and last fields), whatever it holds (issue 15): the last line is the one where
    /// the next slot starts. Entries of 72 or 80 bytes (a contract, a task) always span two
    /// lines, and a prefetch of the first alone left the second to miss. A slot is enough: a
    /// prefetch needs no generation, so events carry 32-bit slot hints to stay small.
    #[inline]
    pub fn touch(&self, slot: u32) {
        let slot = slot as usize;
        if let Some(e) = self.entries.get(slot) {
            prefetch(e);
        }
        if let Some(next) = self.entries.get(slot + 1) {
            prefetch(next);
        }
    }

    /// The live record under `key`, if any.
    #[inline]
    pub fn get(&self, key: SlabKey) -> Option<&T> {
        match self.lookup(key) {
            Lookup::Live(v) => Some(v),
            _ => None,
        }
    }

    /// The live record under `key`, mutably, if any.
    #[inline]
    pub fn get_mut(&mut self, key: SlabKey) -> Option<&mut T> {
        let e = self.entries.get_mut(key.slot as usize)?;
        if e.generation == key.generation() && !e.retired {
            e.value.as_mut()
        } else {
            None
        }
    }

    /// Removes and returns the live record under `key`; the slot's generation is bumped so the
    /// key now reads as [`Lookup::Retired`].
    #[inline]
    pub fn remove(&mut self, key: SlabKey) -> Option<T> {
        let e = self.entries.get_mut(key.slot as usize)?;
        if e.generation != key.generation() || e.retired {
            return None;
        }
        let value = e.value.take()?;
        self.vacate(key.slot);
        Some(value)
    }

    /// [`remove`](Self::remove), keeping a copy of the record readable through
    /// [`retired`](Self::retired) until its slot is reused.
    pub fn retire(&mut self, key: SlabKey) -> Option<T>
    where
        T: Clone,
    {
        let e = self.entries.get_mut(key.slot as usize)?;
        if e.generation != key.generation() || e.retired {
            return None;
        }
        let value = e.value.clone()?;
        e.retired = true;
        self.vacate(key.slot);
        Some(value)
    }

    /// Bumps the generation of `slot`, whose record was just removed, and frees the slot
    /// for reuse unless its generations are used up.
    #[inline]
    fn vacate(&mut self, slot: u32) {
        let e = &mut self.entries[slot as usize];
        e.generation += 1;
        if e.generation <= SlabKey::MAX_GENERATION {
            self.free.push(slot);
        }
        self.len -= 1;
    }

    /// The record retired under `key` by [`retire`](Self::retire), while its slot has not
    /// been reused.
    #[inline]
    pub fn retired(&self, key: SlabKey) -> Option<&T> {
        let e = self.entries.get(key.slot as usize)?;
        if e.retired && e.generation == key.generation() + 1 {
            e.value.as_ref()
        } else {
            None
        }
    }

    /// Live records with their keys, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (SlabKey, &T)> {
        self.entries.iter().enumerate().filter_map(|(slot, e)| {
            e.live().map(|v| {
                let key = SlabKey::new(slot as u32, e.generation);
                (key.expect("a live record's generation is a key's"), v)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn retired_and_unknown_keys_are_told_apart() {
        let mut s = Slab::new();
        let a = s.insert('a');
        assert_eq!(s.lookup(a), Lookup::Live(&'a'));
        assert_eq!(s.remove(a), Some('a'));
        assert_eq!(s.lookup(a), Lookup::Retired);
        let b = s.insert('b'); // reuses a's slot
        assert_eq!(b.slot, a.slot);
        assert_eq!(s.lookup(a), Lookup::Retired);
        assert_eq!(s.get(b), Some(&'b'));
        assert_eq!(
            s.remove(a),
            None,
            "a stale key must not remove the new occupant"
        );
        let never = SlabKey::new(7, 0).unwrap();
        assert_eq!(s.lookup(never), Lookup::Unknown);
        let future = SlabKey::new(b.slot, b.generation() + 1).unwrap();
        assert_eq!(s.lookup(future), Lookup::Unknown);
    }

    /// Issue 15: an optional key costs no more than a key.
    #[test]
    fn an_optional_key_takes_eight_bytes() {
        assert_eq!(std::mem::size_of::<Option<SlabKey>>(), 8);
        assert_eq!(
            SlabKey::new(3, SlabKey::MAX_GENERATION)
                .unwrap()
                .generation(),
            u32::MAX - 1
        );
        assert_eq!(SlabKey::new(3, u32::MAX), None);
    }

    /// A slot whose generations are used up is never handed out again, so no key can come
    /// back to life by a generation wrapping around.
    #[test]
    fn a_slot_with_no_generation_left_is_not_reused() {
        let mut s = Slab::new();
        let a = s.insert('a');
        s.entries[a.slot as usize].generation = SlabKey::MAX_GENERATION;
        let last = SlabKey::new(a.slot, SlabKey::MAX_GENERATION).unwrap();
        assert_eq!(s.get(last), Some(&'a'));
        assert_eq!(s.retire(last), Some('a'));
        assert_eq!(s.retired(last), Some(&'a'));
        assert_eq!(s.lookup(last), Lookup::Retired);
        let b = s.insert('b');
        assert_ne!(b.slot, a.slot, "the exhausted slot stays out of use");
        assert_eq!((s.len(), s.get(b)), (1, Some(&'b')));
        assert_eq!(s.retired(last), Some(&'a'));
    }

    proptest::proptest! {
        /// Random inserts, removes and retirements agree with a map reference keyed by the
        /// issued keys; a retired record stays readable exactly until its slot is reused.
        #[test]
        fn agrees_with_a_map_reference(ops in proptest::collection::vec((0u8..3, 0usize..64), 0..400)) {
            let mut slab = Slab::new();
            let mut reference: BTreeMap<SlabKey, usize> = BTreeMap::new();
            // Per slot, the record last retired from it, until the slot is reused.
            let mut kept: BTreeMap<u32, (SlabKey, usize)> = BTreeMap::new();
            let mut issued: Vec<SlabKey> = Vec::new();
            for (n, (op, pick)) in ops.into_iter().enumerate() {
                if op == 0 || issued.is_empty() {
                    let k = slab.insert(n);
                    proptest::prop_assert!(!reference.contains_key(&k));
                    reference.insert(k, n);
                    kept.remove(&k.slot);
                    issued.push(k);
                } else {
                    let k = issued[pick % issued.len()];
                    if op == 1 {
                        proptest::prop_assert_eq!(slab.remove(k), reference.remove(&k));
                    } else {
                        let v = reference.remove(&k);
                        proptest::prop_assert_eq!(slab.retire(k), v);
                        if let Some(v) = v {
                            kept.insert(k.slot, (k, v));
                        }
                    }
                }
                proptest::prop_assert_eq!(slab.len(), reference.len());
                for k in &issued {
                    proptest::prop_assert_eq!(slab.get(*k), reference.get(k));
                    let retired = kept.get(&k.slot).filter(|(key, _)| key == k).map(|(_, v)| v);
                    proptest::prop_assert_eq!(slab.retired(*k), retired);
                }
                let live: Vec<(SlabKey, &usize)> = slab.iter().collect();
                let want: Vec<(SlabKey, &usize)> = reference.iter().map(|(k, v)| (*k, v)).collect();
                let mut live_sorted = live.clone();
                live_sorted.sort();
                proptest::prop_assert_eq!(live_sorted, want);
            }
        }
    }
}

//! Typed identifiers (SPEC §1).
//!
//! Every id is a dense index (`0, 1, 2, …`) into the `Vec` that owns the identified thing, so
//! lookups are O(1) and iteration order is the creation order. Ids of things that are created
//! and retired during a run (tasks, contracts, escrows) are [`SlabKey`]s: they carry a generation
//! so that a retired id can never alias a newer record.

use crate::market::slab::SlabKey;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $inner);

        impl $name {
            /// The id as a `usize` index into the owning `Vec`.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

dense_id!(
    /// A client: posts demands and pays through escrow (SPEC §1).
    ClientId(u32)
);
dense_id!(
    /// An agent identity (operator): bids, wins contracts, has a reputation (SPEC §1).
    AgentId(u32)
);
dense_id!(
    /// The real party behind one or more agent identities (SPEC §1; sybils own many).
    OwnerId(u32)
);
dense_id!(
    /// A proposal, numbered in submission order across the whole book (SPEC §2). The number
    /// is also the time-priority tie-breaker.
    ProposalId(u64)
);

macro_rules! generational_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// A key into a [`Slab`](crate::market::slab::Slab): slots of retired records are reused,
        /// and the generation tells a retired id from one that never existed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub SlabKey);

        impl $name {
            /// An id from raw parts; useful to probe with ids that were never issued.
            ///
            /// # Panics
            /// If `generation` exceeds [`SlabKey::MAX_GENERATION`].
            pub fn from_parts(slot: u32, generation: u32) -> Self {
                Self(SlabKey::new(slot, generation).expect("a generation below 2^32 − 1"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}.{}", self.0.slot, self.0.generation())
            }
        }
    };
}

generational_id!(
    /// A task (job): one demand and the proposals made for it (SPEC §2).
    TaskId
);
generational_id!(
    /// A contract (SPEC §4).
    ContractId
);
generational_id!(
    /// An escrow record (SPEC §3).
    EscrowId
);

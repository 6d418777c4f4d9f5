//! Typed identifiers (SPEC §1).
//!
//! Every id is a dense index (`0, 1, 2, …`) into the `Vec` that owns the identified thing, so
//! lookups are O(1) and iteration order is the creation order. Ids of things that are created
//! and retired during a run (escrows) carry a generation so that a retired id can never alias a
//! newer record.

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
    /// A task (job): one demand and the proposals made for it (SPEC §2).
    TaskId(u64)
);
dense_id!(
    /// A proposal, numbered in submission order across the whole book (SPEC §2).
    ProposalId(u64)
);
dense_id!(
    /// A contract, numbered in creation order (SPEC §4).
    ContractId(u64)
);

/// An escrow record: a slot in the ledger plus the generation of that slot (SPEC §3).
///
/// Slots are reused once an escrow is settled; the generation tells a settled id
/// (`already_settled`) from one that never existed (`not_found`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EscrowId {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

impl EscrowId {
    /// An escrow id from its raw parts; useful to probe the ledger with ids it never issued.
    pub fn from_parts(slot: u32, generation: u32) -> Self {
        Self { slot, generation }
    }
}

impl std::fmt::Display for EscrowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.slot, self.generation)
    }
}

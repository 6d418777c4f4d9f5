//! The marketplace as a pure, deterministic library (SPEC §2–§7).
//!
//! Architecture invariants:
//! - no I/O, no wall clock, no global state; a mechanism that needs randomness takes an RNG
//!   argument from its caller;
//! - money is [`Credits`], an integer newtype; every operation that moves credits either
//!   succeeds and conserves them exactly, or returns a typed error and changes nothing;
//! - identities are dense integer ids ([`ids`]), so state lives in `Vec`s indexed by id and no
//!   hash-map iteration order can reach a result.

pub mod auction;
pub mod collusion;
pub mod combinatorial;
pub mod contract;
pub mod decompose;
pub mod escrow;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod ids;
pub mod marketplace;
pub mod money;
pub mod order_book;
pub mod performance;
pub mod quality;
pub mod reputation;
pub mod reputation_model;
pub mod routing;
pub mod slab;
pub mod split;
pub mod staking;
pub mod tiers;

pub use ids::{AgentId, ClientId, ContractId, EscrowId, OwnerId, ProposalId, TaskId};
pub use money::Credits;
pub use quality::{DIMENSIONS, QualityError, QualityVector, Weights};

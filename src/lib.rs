//! marketsim — a seeded discrete-event simulator of an AI-agent marketplace.
//!
//! The crate is layered; each layer only calls the ones above it in this list:
//!
//! ```text
//! market     pure marketplace logic (SPEC §2–§7): no I/O, no clock, no hidden RNG
//! ```
//!
//! Section references such as "SPEC §3" point into `shared/SPEC.md`; "paper §4.4" points into
//! the Planner Engine paper (`shared/seeds/000_*.txt`).
#![warn(missing_docs, unreachable_pub)]

pub mod engine;
pub mod market;
pub mod scenario;

//! marketsim — a seeded discrete-event simulator of an AI-agent marketplace.
//!
//! The crate is layered; each layer only calls the ones above it in this list:
//!
//! ```text
//! market     pure marketplace logic (SPEC §2–§7): no I/O, no clock, no hidden RNG
//! engine     generic discrete-event engine: time, ordered queue, named seed streams
//! scenario   TOML scenario files: raw serde types, --set overrides, validation
//! agents     the synthetic population and its behaviours (SPEC §9)
//! receipts   every state change as a text line: the type, its text, the hash-chained log (seed 003)
//! world      the market world: market core + population driven by the engine
//! metrics    observations: counters, per-identity stats, concentration, invariants
//! output     results directory: atomic CSV / TOML writers
//! replay     rebuild a run's ledger and agent table from its receipts
//! sensitivity  global sensitivity analysis: Sobol' and Morris designs and estimators (pure)
//! sweep      parameter sweeps: designs, parallel durable runs, shards, polars aggregation
//! report     charts (plotters) and index.html from a run's or a sweep's results directory
//! compare    paired statistics of two variants on common random numbers (pure)
//! cli        the `marketsim` command line
//!
//! prefetch   a cache prefetch hint, used by every layer's hot path (issue 15)
//! ```
//!
//! Section references such as "SPEC §3" point into `shared/SPEC.md`; "paper §4.4" points into
//! the Planner Engine paper (`shared/seeds/000_*.txt`).
#![warn(missing_docs, unreachable_pub)]

pub mod agents;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod market;
pub mod metrics;
pub mod output;
pub mod prefetch;
pub mod receipts;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod sensitivity;
pub mod sweep;
pub mod world;

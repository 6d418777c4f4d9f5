//! Synthetic participants (SPEC §1, §9): who exists, what each one truly is, and how each
//! behaviour bids, works and rates.
//!
//! Every identity carries its ground truth ([`Kind`], owner, latent quality) so that the
//! metrics layer can score detection against it. Behaviours are plain functions of the
//! identity, the job and an RNG passed in by the caller: no hidden state, no I/O.

pub mod behaviour;
pub mod bidding;
pub mod config;
pub mod population;

pub use behaviour::{Ask, Rating};
pub use config::{Arrivals, ClientConfig, GroupConfig, Strategy};
pub use population::{Bidder, Identity, Kind, Population};

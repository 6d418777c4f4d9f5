//! Synthetic participants (SPEC §1, §9): who exists, what each one truly is, and how each
//! behaviour bids, works and rates.
//!
//! Every identity carries its ground truth ([`Kind`], owner, latent quality) so that the
//! metrics layer can score detection against it. Behaviours are plain functions of the
//! identity, the job and an RNG passed in by the caller: no hidden state, no I/O, no access to
//! the world (which calls them from its handlers and applies what they decide).
//!
//! | module | decides |
//! |---|---|
//! | [`population`] | who exists: identities, their ground truth, capabilities, latent quality |
//! | [`behaviour`] | the ask of a bid, defection, the quality delivered, a rating, a wash job's rating and time |
//! | [`delivery`] | time worked, usage reported, review delay, who rates a completion and how |
//! | [`wash`] | who works a wash job (ring partners), whom an unfair rater bad-mouths |
//! | [`review`] | a client's verdict on a delivery (accept, dispute, cancel) and whether its dispute is upheld |
//! | [`bidding`] | how a group shades its asks (seed 002 bidding strategies) |
//! | [`whitewash`] | when an owner abandons an identity (sybils, camouflage), when a camouflage gamer defects |
//! | [`config`] | the clients' and groups' constants and distributions (built by the scenario layer) |

pub mod behaviour;
pub mod bidding;
pub mod config;
pub mod delivery;
pub mod population;
pub mod review;
pub mod wash;
pub mod whitewash;

pub use behaviour::{Ask, Rating};
pub use config::{Arrivals, ClientConfig, GroupConfig, PerfProfile, Strategy};
pub use population::{Bidder, Collusion, Identity, Kind, Population};

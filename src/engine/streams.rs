//! Random streams derived from one seed, keyed so that two scenario variants run on common
//! random numbers (`marketsim compare`, README "Comparing two variants").
//!
//! Every draw of a run comes from a ChaCha8 generator whose key is the run's seed and whose
//! 64-bit stream id names *what* is drawn and *for whom*:
//!
//! ```text
//!            seed ──▶ ChaCha8 key (one per run)
//!                          │
//!   stream id = mix(purpose, key.0, key.1)            (splitmix64 chain, see `stream_id`)
//!                          │
//!   ┌──────────────────────┼───────────────────────────────────────────────┐
//!   │ Arrivals      one sequential stream: the gaps between job postings   │
//!   │ JobAttributes per arrival n: client, budget, capability, pricing,    │
//!   │               decomposed or not      DagShape: same key (n, 0)      │
//!   │ Nominal, Bids, Work, ReviewDelay, Dispute, DisputeDelay, Upheld,     │
//!   │ Rating, PerfRequirements, PerfLatency, PerfSuccess, Duplicates       │
//!   │               per market job: arrival n's job       key (n, 0)       │
//!   │               its DAG subtask i                     key (n, i + 1)   │
//!   │               a wash job of agent a posted at t     key (WASH|a, t)  │
//!   │ BundleBids    per combinatorial DAG arrival n: bidders, asks (n, 0)  │
//!   │ Identity      per identity a: capabilities, latent quality (a, 0)    │
//!   │ ScopeDiscount per identity a: its bundle discount          (a, 0)    │
//!   │ WashSchedule  per identity a scheduling at time t   (a, t)           │
//!   │ CoverBids     per market job (n, i) and designated agent a: (n, a·2³² | i) │
//!   └──────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Why keyed: with one sequential stream per purpose, a variant that changes who wins a job
//! (the clearing rule, the ranking signal) or whether a job is funded changes how many numbers
//! are drawn before every later job, so every later draw shifts and the two variants differ
//! by luck as well as by mechanism. Keyed draws give the n-th arrival the same client, budget
//! and capability in both variants, and the same delivered-quality noise, review delay and
//! rating noise to whichever agent works it, whatever happened before. Arrivals do not depend
//! on the mechanism (their times come from the one Arrivals stream alone), so the n-th job is
//! the same job in both. What differs is only what the mechanism changes: who wins, at which
//! price, and the latent quality of the winner that the shared noise is added to.
//!
//! Each event that draws for a job gets its own purpose (a review delay and the dispute
//! decision never share numbers). Distinct (purpose, key) pairs get distinct stream ids except
//! for a 64-bit hash collision (probability about 2⁻⁶⁴ per pair).
//!
//! Cost: a keyed generator is a copy of the run's unused base generator (a few hundred bytes)
//! with its stream id set; its first draw computes one ChaCha8 batch. Nothing depends on how
//! much history came before.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a draw is for. Each purpose is a disjoint family of ChaCha8 streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// The gaps between job arrivals (sequential, not keyed).
    Arrivals = 1,
    /// An arrival's client, budget, capability, pricing model and DAG shape.
    JobAttributes = 2,
    /// A market job's nominal duration.
    Nominal = 3,
    /// Which agents a job invites and what they ask.
    Bids = 4,
    /// Delivered quality and work duration of a job.
    Work = 5,
    /// The client's review delay after delivery.
    ReviewDelay = 6,
    /// The client's dispute or cancellation decision.
    Dispute = 7,
    /// How long a dispute takes to resolve.
    DisputeDelay = 8,
    /// Whether a dispute is upheld.
    Upheld = 9,
    /// The recorded rating and the billed tokens at completion.
    Rating = 10,
    /// An identity's capabilities and latent quality.
    Identity = 11,
    /// The gap before an identity's next wash job.
    WashSchedule = 12,
    /// A wash job's partner, duration and work.
    Wash = 13,
    /// A decomposed arrival's subtask count and dependencies.
    DagShape = 14,
    /// Under combinatorial clearing, which agents a decomposed arrival invites and what they
    /// ask per subtask (key (n, 0)).
    BundleBids = 15,
    /// An identity's economies-of-scope discount for bundle bids (key (a, 0)).
    ScopeDiscount = 16,
    /// Which partners cover a designated bid and their markups (key: the job's key with the
    /// designated agent's index in the high half of its second number).
    CoverBids = 21,
    /// Performance market (seed 004): a market job's maximum latency and minimum success
    /// rate, keyed like the job (numbered from 40, clear of other additions).
    PerfRequirements = 40,
    /// Performance market: the latency the winner delivers on a job.
    PerfLatency = 41,
    /// Performance market: whether the winner's job succeeds.
    PerfSuccess = 42,
    /// Whether a job's dispute, completion or cancellation event is delivered twice
    /// (`faults.duplicate_events`); keyed like the job's other draws.
    Duplicates = 22,
}

/// Whom a keyed draw is for: two numbers, built by the constructors below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub u64, pub u64);

/// Bit marking a wash job's key (its first number is then the agent index).
const WASH: u64 = 1 << 63;

impl Key {
    /// The `n`-th ordinary arrival (1-based), or the market job it posts.
    pub fn arrival(n: u64) -> Self {
        Key(n, 0)
    }
    /// Subtask `i` of the DAG job of arrival `n`.
    pub fn subtask(n: u64, i: usize) -> Self {
        Key(n, i as u64 + 1)
    }
    /// A wash job for agent `agent` posted at time `t`.
    pub fn wash(agent: u64, t: u64) -> Self {
        Key(WASH | agent, t)
    }
    /// Identity `agent`, or something it does at time `t`.
    pub fn identity(agent: u64, t: u64) -> Self {
        Key(agent, t)
    }
}

/// SplitMix64's finaliser: a bijection of u64 with full avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The ChaCha8 stream id of `purpose` for `key`.
fn stream_id(purpose: Stream, key: Key) -> u64 {
    mix(mix(mix(purpose as u64) ^ key.0) ^ key.1)
}

/// The generators of one run.
pub struct Streams {
    /// Never drawn from: keyed generators are copies of it.
    base: ChaCha8Rng,
    /// See [`Stream::Arrivals`].
    arrivals: ChaCha8Rng,
}

impl Streams {
    /// The generators of `seed`.
    pub fn new(seed: u64) -> Self {
        let base = ChaCha8Rng::seed_from_u64(seed);
        let mut arrivals = base.clone();
        arrivals.set_stream(stream_id(Stream::Arrivals, Key(0, 0)));
        Self { base, arrivals }
    }

    /// The sequential arrivals stream.
    pub fn arrivals(&mut self) -> &mut ChaCha8Rng {
        &mut self.arrivals
    }

    /// A fresh generator for `purpose` of `key`: the same numbers in every run of the seed,
    /// whatever was drawn before.
    pub fn keyed(&self, purpose: Stream, key: Key) -> ChaCha8Rng {
        let mut rng = self.base.clone();
        rng.set_stream(stream_id(purpose, key));
        rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draw(rng: &mut ChaCha8Rng) -> Vec<u64> {
        (0..8).map(|_| rng.random()).collect()
    }

    #[test]
    fn same_seed_same_numbers_different_seed_purpose_or_key_different_numbers() {
        let s = Streams::new(42);
        let k = Key::arrival(7);
        let a = draw(&mut s.keyed(Stream::Work, k));
        assert_eq!(a, draw(&mut Streams::new(42).keyed(Stream::Work, k)));
        assert_ne!(a, draw(&mut Streams::new(43).keyed(Stream::Work, k)));
        assert_ne!(a, draw(&mut s.keyed(Stream::Rating, k)));
        assert_ne!(a, draw(&mut s.keyed(Stream::Work, Key::arrival(8))));
        assert_ne!(a, draw(&mut s.keyed(Stream::Work, Key::subtask(7, 0))));
        assert_ne!(a, draw(&mut s.keyed(Stream::Work, Key::wash(7, 0))));
    }

    #[test]
    fn a_keyed_draw_does_not_depend_on_what_was_drawn_before() {
        let mut s = Streams::new(9);
        let first = draw(&mut s.keyed(Stream::Bids, Key::arrival(3)));
        // Other purposes and the arrivals stream advance: the keyed numbers stay.
        let _ = draw(&mut s.keyed(Stream::Bids, Key::arrival(2)));
        let _ = draw(s.arrivals());
        assert_eq!(first, draw(&mut s.keyed(Stream::Bids, Key::arrival(3))));
        let arrivals = draw(Streams::new(9).arrivals());
        let mut t = Streams::new(9);
        let _ = draw(&mut t.keyed(Stream::Work, Key::arrival(1)));
        assert_eq!(arrivals, draw(t.arrivals()));
    }
}

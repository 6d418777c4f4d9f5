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
//! Cost: a keyed generator ([`KeyedRng`]) is the run's ChaCha8 key and a stream id, 120 bytes;
//! each 64-byte block of its output is computed when the previous one is used up. A job's
//! draws from one purpose fit in one or two blocks, so the ≈ 7 keyed generators a job uses
//! compute ≈ 7 blocks (rand_chacha's `ChaCha8Rng` computes four blocks at a time: a quarter
//! of the run's time went there, docs/performance.md). Nothing depends on how much history
//! came before.

use rand::SeedableRng;
use rand::rand_core::block::{BlockRng, BlockRngCore};
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

/// ChaCha's constant words, "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// One stream of ChaCha8 computed a block at a time: the block function behind
/// [`KeyedRng`]. Its output is word for word rand_chacha's `ChaCha8Rng` with the same key
/// (seed) and stream, from word 0 (tested below): the state is the 4 constant words, the 8
/// key words, a 64-bit block counter and the 64-bit stream id, and a block is the state plus
/// its image under 4 double rounds.
#[derive(Debug, Clone)]
pub struct ChaCha8Block {
    key: [u32; 8],
    /// The next block's counter.
    block: u64,
    stream: u64,
}

/// Four words: one row of the ChaCha state. The rounds work on whole rows (the four column
/// quarter rounds at once), which measured ≈ 10% faster overall at 10^4 identities than one
/// quarter round at a time (docs/performance.md); the baseline x86-64 target has no vector
/// rotate, so the compiler keeps it scalar either way.
type Row = [u32; 4];

#[inline(always)]
fn add(x: Row, y: Row) -> Row {
    std::array::from_fn(|i| x[i].wrapping_add(y[i]))
}

#[inline(always)]
fn xor_rotate(x: Row, y: Row, by: u32) -> Row {
    std::array::from_fn(|i| (x[i] ^ y[i]).rotate_left(by))
}

/// Lane `i` of the result is lane `i + n (mod 4)` of `x`.
#[inline(always)]
fn rotate_lanes(x: Row, n: usize) -> Row {
    std::array::from_fn(|i| x[(i + n) % 4])
}

/// ChaCha's quarter round applied to the four columns at once (rows a, b, c, d).
#[inline(always)]
fn quarter_rounds(a: &mut Row, b: &mut Row, c: &mut Row, d: &mut Row) {
    *a = add(*a, *b);
    *d = xor_rotate(*d, *a, 16);
    *c = add(*c, *d);
    *b = xor_rotate(*b, *c, 12);
    *a = add(*a, *b);
    *d = xor_rotate(*d, *a, 8);
    *c = add(*c, *d);
    *b = xor_rotate(*b, *c, 7);
}

impl BlockRngCore for ChaCha8Block {
    type Item = u32;
    type Results = [u32; 16];

    /// The next block: the state's rows plus their image under 4 double rounds (a column
    /// round, then a diagonal round: the diagonals become columns by rotating rows b, c, d
    /// left by 1, 2, 3 lanes).
    fn generate(&mut self, results: &mut [u32; 16]) {
        let k = self.key;
        let (n, s) = (self.block, self.stream);
        let input: [Row; 4] = [
            SIGMA,
            [k[0], k[1], k[2], k[3]],
            [k[4], k[5], k[6], k[7]],
            [n as u32, (n >> 32) as u32, s as u32, (s >> 32) as u32],
        ];
        let [mut a, mut b, mut c, mut d] = input;
        for _ in 0..4 {
            quarter_rounds(&mut a, &mut b, &mut c, &mut d);
            (b, c, d) = (rotate_lanes(b, 1), rotate_lanes(c, 2), rotate_lanes(d, 3));
            quarter_rounds(&mut a, &mut b, &mut c, &mut d);
            (b, c, d) = (rotate_lanes(b, 3), rotate_lanes(c, 2), rotate_lanes(d, 1));
        }
        for (out, (row, start)) in results
            .chunks_exact_mut(4)
            .zip([a, b, c, d].into_iter().zip(input))
        {
            out.copy_from_slice(&add(row, start));
        }
        self.block = self.block.wrapping_add(1);
    }
}

/// A keyed generator: rand_core's block buffering over [`ChaCha8Block`], so `next_u32`,
/// `next_u64` and `fill_bytes` consume words exactly as `ChaCha8Rng` does and every draw is
/// the same number.
pub type KeyedRng = BlockRng<ChaCha8Block>;

/// The generators of one run.
pub struct Streams {
    /// The ChaCha8 key of the run (the seed's 32 bytes as little-endian words).
    key: [u32; 8],
    /// See [`Stream::Arrivals`].
    arrivals: ChaCha8Rng,
}

impl Streams {
    /// The generators of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut arrivals = ChaCha8Rng::seed_from_u64(seed);
        let seed_bytes = arrivals.get_seed();
        let key = std::array::from_fn(|i| {
            u32::from_le_bytes(seed_bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"))
        });
        arrivals.set_stream(stream_id(Stream::Arrivals, Key(0, 0)));
        Self { key, arrivals }
    }

    /// The sequential arrivals stream.
    pub fn arrivals(&mut self) -> &mut ChaCha8Rng {
        &mut self.arrivals
    }

    /// A fresh generator for `purpose` of `key`: the same numbers in every run of the seed,
    /// whatever was drawn before.
    pub fn keyed(&self, purpose: Stream, key: Key) -> KeyedRng {
        BlockRng::new(ChaCha8Block {
            key: self.key,
            block: 0,
            stream: stream_id(purpose, key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, RngCore};

    fn draw(rng: &mut impl RngCore) -> Vec<u64> {
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

    /// One read of a generator, as the distributions make them.
    #[derive(Debug, Clone, Copy)]
    enum Read {
        U32,
        U64,
        Bytes(usize),
    }

    fn read(rng: &mut impl RngCore, how: Read) -> Vec<u8> {
        match how {
            Read::U32 => rng.next_u32().to_le_bytes().to_vec(),
            Read::U64 => rng.next_u64().to_le_bytes().to_vec(),
            Read::Bytes(n) => {
                let mut buf = vec![0; n];
                rng.fill_bytes(&mut buf);
                buf
            }
        }
    }

    fn reads() -> impl Strategy<Value = Vec<Read>> {
        let one = prop_oneof![
            Just(Read::U32),
            Just(Read::U64),
            (0usize..150).prop_map(Read::Bytes),
        ];
        proptest::collection::vec(one, 0..120)
    }

    proptest! {
        /// The keyed generator is rand_chacha's ChaCha8Rng (a clone of the seeded generator
        /// with the stream set), read for read, across block boundaries, whatever mix of
        /// 32-bit, 64-bit and byte reads: the change of generator moved no draw.
        #[test]
        fn keyed_generator_is_chacha8rng_read_for_read(
            seed: u64, purpose in 1u64..50, k0: u64, k1: u64, how in reads()
        ) {
            let streams = Streams::new(seed);
            let id = mix(mix(mix(purpose) ^ k0) ^ k1);
            let mut ours = BlockRng::new(ChaCha8Block { key: streams.key, block: 0, stream: id });
            let mut theirs = ChaCha8Rng::seed_from_u64(seed);
            theirs.set_stream(id);
            for h in how {
                prop_assert_eq!(read(&mut ours, h), read(&mut theirs, h));
            }
        }
    }

    #[test]
    fn keyed_matches_chacha8rng_for_every_purpose_and_a_long_read() {
        let streams = Streams::new(7);
        let key = Key::subtask(12, 3);
        let mut theirs = ChaCha8Rng::seed_from_u64(7);
        theirs.set_stream(stream_id(Stream::Rating, key));
        let mut ours = streams.keyed(Stream::Rating, key);
        // 1000 words: 62 blocks of ours, 15 batches of theirs.
        for _ in 0..500 {
            assert_eq!(ours.next_u64(), theirs.next_u64());
        }
    }
}

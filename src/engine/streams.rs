//! Named random streams derived from one seed.
//!
//! Each [`Stream`] is an independent ChaCha8 stream of the same key (the run's seed): drawing
//! more numbers for one purpose (say, bids) never shifts the numbers of another (say, job
//! arrivals), so a change to one behaviour perturbs only what it touches.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The purposes randomness is used for in one run. The discriminant is the ChaCha stream id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Building the population (latent qualities, capabilities).
    Population = 1,
    /// Job arrivals, budgets, capability needs, pricing models, DAG shapes.
    Jobs = 2,
    /// Which agents bid and what they ask.
    Bids = 3,
    /// Work durations and delivered quality.
    Work = 4,
    /// Client reviews, disputes and ratings.
    Reviews = 5,
    /// Wash trading and other adversarial actions.
    Adversaries = 6,
}

/// A ChaCha8 generator for `stream` of `seed`.
pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// One generator per [`Stream`], all from one seed.
pub struct Streams {
    /// See [`Stream::Population`].
    pub population: ChaCha8Rng,
    /// See [`Stream::Jobs`].
    pub jobs: ChaCha8Rng,
    /// See [`Stream::Bids`].
    pub bids: ChaCha8Rng,
    /// See [`Stream::Work`].
    pub work: ChaCha8Rng,
    /// See [`Stream::Reviews`].
    pub reviews: ChaCha8Rng,
    /// See [`Stream::Adversaries`].
    pub adversaries: ChaCha8Rng,
}

impl Streams {
    /// All streams of `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            population: rng(seed, Stream::Population),
            jobs: rng(seed, Stream::Jobs),
            bids: rng(seed, Stream::Bids),
            work: rng(seed, Stream::Work),
            reviews: rng(seed, Stream::Reviews),
            adversaries: rng(seed, Stream::Adversaries),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draw(seed: u64, stream: Stream) -> Vec<u64> {
        let mut r = rng(seed, stream);
        (0..8).map(|_| r.random()).collect()
    }

    #[test]
    fn same_seed_same_numbers_different_seed_or_stream_different_numbers() {
        assert_eq!(draw(42, Stream::Bids), draw(42, Stream::Bids));
        assert_ne!(draw(42, Stream::Bids), draw(43, Stream::Bids));
        assert_ne!(draw(42, Stream::Bids), draw(42, Stream::Jobs));
    }
}

//! What an ordinary client does with a delivery when it reviews it (SPEC §4: review →
//! completed | cancelled | disputed), and how a dispute it raised ends.

use super::config::ClientConfig;
use rand::Rng;

/// A client's verdict on a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accept: the contract completes.
    Accept,
    /// Dispute: resolved later ([`dispute_upheld`]).
    Dispute,
    /// Cancel: the escrow is refunded.
    Cancel,
}

/// The verdict of an ordinary client on a delivery of `observed_mean` quality: a dispute at
/// once below [`ClientConfig::auto_dispute_below`], else one uniform draw from `rng` against
/// `p_dispute`, then `p_cancel`, else acceptance. The draw is taken in every case, so the
/// verdict's stream moves the same way whatever the outcome.
pub fn review(clients: &ClientConfig, observed_mean: f64, rng: &mut impl Rng) -> Verdict {
    let u: f64 = rng.random();
    if clients.disputes_at_once(observed_mean) || u < clients.p_dispute {
        Verdict::Dispute
    } else if u < clients.p_dispute + clients.p_cancel {
        Verdict::Cancel
    } else {
        Verdict::Accept
    }
}

/// Whether a dispute over a delivery of `observed_mean` quality is upheld (the agent is paid):
/// never for an automatic dispute (no draw then), else with probability `p_dispute_upheld`.
pub fn dispute_upheld(clients: &ClientConfig, observed_mean: f64, rng: &mut impl Rng) -> bool {
    !clients.disputes_at_once(observed_mean) && rng.random_bool(clients.p_dispute_upheld)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn clients(extra: &str) -> ClientConfig {
        let toml = format!(
            "[clients]\np_dispute = 0.2\np_cancel = 0.3\np_dispute_upheld = 0.5\n{extra}\n\
             [[population]]\nkind = \"honest\"\ncount = 1\n"
        );
        Scenario::from_toml(&toml, std::path::Path::new("review.toml"), &[])
            .unwrap()
            .client_config()
    }

    /// The draw splits [0, 1) into dispute, cancel and accept by the two probabilities.
    #[test]
    fn verdict_follows_the_draw() {
        let c = clients("");
        let mut seen = [0u32; 3];
        for seed in 0..2_000 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let u: f64 = rng.clone().random();
            let want = match u {
                u if u < 0.2 => Verdict::Dispute,
                u if u < 0.5 => Verdict::Cancel,
                _ => Verdict::Accept,
            };
            let got = review(&c, 0.9, &mut rng);
            assert_eq!(got, want, "u = {u}");
            seen[got as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }

    /// Below the automatic threshold every delivery is disputed, and such a dispute is never
    /// upheld and draws nothing.
    #[test]
    fn automatic_disputes_are_never_upheld() {
        let c = clients("auto_dispute_below = 0.5");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        assert_eq!(review(&c, 0.49, &mut rng), Verdict::Dispute);
        let before = rng.clone();
        assert!(!dispute_upheld(&c, 0.49, &mut rng));
        assert_eq!(rng, before, "no draw for an automatic dispute");
        let upheld = (0..1_000)
            .filter(|&s| dispute_upheld(&c, 0.9, &mut ChaCha8Rng::seed_from_u64(s)))
            .count();
        assert!(
            (400..600).contains(&upheld),
            "{upheld} of 1000 upheld at 0.5"
        );
    }
}

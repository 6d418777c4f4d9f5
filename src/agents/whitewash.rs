//! When an owner abandons an identity and registers a fresh one (SPEC §9 whitewashing), and
//! when a camouflage gamer turns: pure decisions over the identity and the reputation engine;
//! the world carries them out (`world::whitewash`).

use super::config::Strategy;
use super::population::{Identity, Kind};
use crate::market::AgentId;
use crate::market::reputation::ReputationEngine;

/// Whether a sybil owner abandons `identity` now: an active sybil identity, seasoned (at
/// least the engine's `min_jobs` recordings), whose trust fell below `whitewash_trust`
/// (0 or less: never).
pub fn sybil_whitewashes(
    identity: &Identity,
    whitewash_trust: f64,
    engine: &ReputationEngine,
) -> bool {
    if identity.kind != Kind::Sybil || !identity.active || whitewash_trust <= 0.0 {
        return false;
    }
    let agent = identity.id;
    let seasoned = engine.recordings(agent) >= u64::from(engine.config().min_jobs);
    seasoned && engine.trust(agent) < whitewash_trust
}

/// Whether `agent`, of `kind`, defects on a contract: a camouflage gamer on a high-value one,
/// once its R and T are both at or above `top_decile` (the last sample's 90th percentiles of
/// R and T; `None` before the first sample).
pub fn camouflage_defects(
    agent: AgentId,
    kind: Kind,
    high_value: bool,
    top_decile: Option<(f64, f64)>,
    engine: &ReputationEngine,
) -> bool {
    kind == Kind::Gaming(Strategy::Camouflage)
        && high_value
        && top_decile
            .is_some_and(|(r, t)| engine.reputation(agent) >= r && engine.trust(agent) >= t)
}

/// Whether a camouflage gamer abandons `identity` once a contract it `defected` on has ended
/// (completed, or cancelled: a disputed garbage delivery is refunded); the fresh identity is
/// honest again until it reaches the top decile.
pub fn camouflage_whitewashes(identity: &Identity, defected: bool) -> bool {
    defected && identity.kind == Kind::Gaming(Strategy::Camouflage) && identity.active
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::Collusion;
    use crate::market::reputation::ReputationConfig;
    use crate::market::{OwnerId, QualityVector};

    fn identity(id: AgentId, kind: Kind) -> Identity {
        Identity {
            id,
            owner: OwnerId(0),
            kind,
            latent: [0.1; crate::market::DIMENSIONS],
            capabilities: 1,
            collusion: Collusion::None,
            active: true,
            created_at: 0,
        }
    }

    #[test]
    fn a_sybil_whitewashes_once_seasoned_below_its_trust_threshold() {
        let mut engine = ReputationEngine::new(ReputationConfig::default()).expect("valid");
        let agent = engine.register();
        let sybil = identity(agent, Kind::Sybil);
        let low = QualityVector::new([0.1, 0.2, 0.1, 0.2, 0.1, 0.2]).expect("valid");
        for _ in 1..engine.config().min_jobs {
            engine.record(agent, low, None).expect("registered");
        }
        assert!(engine.trust(agent) < 0.4);
        assert!(!sybil_whitewashes(&sybil, 0.4, &engine), "not yet seasoned");
        engine.record(agent, low, None).expect("registered");
        assert!(sybil_whitewashes(&sybil, 0.4, &engine));
        assert!(
            !sybil_whitewashes(&sybil, 0.0, &engine),
            "threshold 0: never"
        );
        let trust = engine.trust(agent);
        assert!(!sybil_whitewashes(&sybil, trust, &engine), "not below");
        let abandoned = Identity {
            active: false,
            ..sybil.clone()
        };
        assert!(!sybil_whitewashes(&abandoned, 0.4, &engine));
        assert!(!sybil_whitewashes(
            &identity(agent, Kind::Honest),
            0.4,
            &engine
        ));
    }

    #[test]
    fn a_camouflage_gamer_defects_on_high_value_jobs_from_the_top_decile_then_whitewashes() {
        let mut engine = ReputationEngine::new(ReputationConfig::default()).expect("valid");
        let agent = engine.register();
        // A fresh identity: R = 0.5, T = 0.
        let camouflage = Kind::Gaming(Strategy::Camouflage);
        let top = Some((0.5, 0.0));
        assert!(camouflage_defects(agent, camouflage, true, top, &engine));
        assert!(!camouflage_defects(agent, camouflage, false, top, &engine));
        assert!(!camouflage_defects(agent, camouflage, true, None, &engine));
        assert!(!camouflage_defects(
            agent,
            camouflage,
            true,
            Some((0.6, 0.0)),
            &engine
        ));
        assert!(!camouflage_defects(
            agent,
            camouflage,
            true,
            Some((0.5, 0.1)),
            &engine
        ));
        assert!(!camouflage_defects(agent, Kind::Honest, true, top, &engine));
        let gamer = identity(agent, camouflage);
        assert!(camouflage_whitewashes(&gamer, true));
        assert!(!camouflage_whitewashes(&gamer, false));
        assert!(!camouflage_whitewashes(
            &identity(agent, Kind::Honest),
            true
        ));
    }
}

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

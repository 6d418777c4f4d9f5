//! Duplicate delivery of contract events (SPEC §7, seed 003: at-least-once delivery).
//!
//! With `faults.duplicate_events = p`, each dispute, completion and cancellation event is
//! delivered a second time, right after the first, with probability `p`. Whether it is comes
//! from the job's own [`Stream::Duplicates`] draws (three numbers per job, one per kind of
//! event), so switching duplicates on moves no other draw. The copy goes through
//! [`Marketplace::apply`](crate::market::marketplace::Marketplace::apply), whose idempotency
//! guard must acknowledge it as a repeat; `no_double_effect` (the world's checker) checks that it did and
//! that the market made no settlement attempt, no reputation recording and no state change.
//! The copy is never acted on by the world (no receipt, no payout, no follow-up event), so a
//! run with duplicates gives the same outputs as without, but for `duplicate_events` and the
//! `no_double_effect` checks.

use super::World;
use crate::engine::{Key, SimTime, Stream};
use crate::market::marketplace::{Action, ContractEvent};
use rand::Rng;

impl World {
    /// Delivers `event` of the job keyed `key` a second time, with probability
    /// `faults.duplicate_events`, and checks that it had no effect.
    pub(super) fn redeliver(&mut self, now: SimTime, key: Key, event: ContractEvent) {
        let share = self.scenario.file().faults.duplicate_events;
        if share <= 0.0 {
            return;
        }
        let draws: [f64; 3] = self.streams.keyed(Stream::Duplicates, key).random();
        let draw = match event.action {
            Action::Dispute => draws[0],
            Action::Complete { .. } => draws[1],
            Action::Cancel => draws[2],
        };
        if draw >= share {
            return;
        }
        self.recorder.counters.duplicate_events += 1;
        let before = self.checker().effects(event.contract);
        let result = self.market.apply(&event);
        self.checker()
            .after_redelivery(now, &event, &result, before);
    }
}

//! Attacker economics (issue 11): does an attack pay, and whom does it hurt?
//!
//! Per identity the world records its revenue (operator payouts, [`AgentStats::earnings`])
//! and its [`Costs`]; this module adds them up per true type and per owner. All amounts are
//! integer credits; net profit is signed.
//!
//! ```text
//! net profit     = revenue − work − wash fees − stake lost − identity cost
//! return on cost = net profit / (work + wash fees + stake lost + identity cost)
//! ```
//!
//! Where the money goes: revenue and wash fees are ledger flows (wash fees leave the owner's
//! colluding client through escrow; Σ revenue + platform fees = the ledger's distributed
//! credits); stake lost is the staking book's slashed amount; work and identity cost are
//! accounted costs (paid outside the simulated ledger, to the world and to the platform's
//! registration desk respectively), so they do not move ledger credits.

use super::{AgentStats, Costs, Outcome};
use crate::agents::Kind;

/// Revenue and costs summed over a set of identities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Economics {
    /// Identities in the set.
    pub identities: u64,
    /// Operator payouts received, credits.
    pub revenue: u64,
    /// Contract value won (accepted prices), credits.
    pub value_won: u64,
    /// Costs, summed.
    pub costs: Costs,
}

impl Economics {
    /// Adds one identity.
    pub fn add(&mut self, stats: &AgentStats) {
        let c = &stats.costs;
        self.identities += 1;
        self.revenue += stats.earnings;
        self.value_won += stats.value_won;
        self.costs.work += c.work;
        self.costs.wash_fees += c.wash_fees;
        self.costs.stake_lost += c.stake_lost;
        self.costs.identity += c.identity;
        self.costs.client_loss += c.client_loss;
    }

    /// Work + wash fees + stake lost + identity cost (what clients lost is theirs, not a cost
    /// of the identity).
    pub fn total_cost(&self) -> u64 {
        let c = &self.costs;
        c.work + c.wash_fees + c.stake_lost + c.identity
    }

    /// Revenue − total cost.
    pub fn net_profit(&self) -> i128 {
        i128::from(self.revenue) - i128::from(self.total_cost())
    }

    /// Net profit / total cost; `None` when nothing was spent.
    pub fn return_on_cost(&self) -> Option<f64> {
        let cost = self.total_cost();
        (cost > 0).then(|| self.net_profit() as f64 / cost as f64)
    }
}

/// Economics per true type present, in output order.
pub fn per_type(outcome: &Outcome) -> Vec<(Kind, Economics)> {
    let rec = &outcome.recorder;
    rec.kinds
        .iter()
        .map(|&kind| {
            let mut e = Economics::default();
            for i in outcome
                .population
                .identities
                .iter()
                .filter(|i| i.kind == kind)
            {
                e.add(&rec.agents[i.id.index()]);
            }
            (kind, e)
        })
        .collect()
}

/// Economics per owner `(owner id, true type of its identities, economics)`, by owner id.
/// An owner's identities share one type (each `[[population]]` group creates its own owners).
pub fn per_owner(outcome: &Outcome) -> Vec<(u32, Kind, Economics)> {
    let mut owners: Vec<Option<(Kind, Economics)>> = vec![None; outcome.population.owners as usize];
    for i in &outcome.population.identities {
        let (_, e) = owners[i.owner.index()].get_or_insert((i.kind, Economics::default()));
        e.add(&outcome.recorder.agents[i.id.index()]);
    }
    owners
        .into_iter()
        .enumerate()
        .filter_map(|(o, e)| e.map(|(k, e)| (o as u32, k, e)))
        .collect()
}

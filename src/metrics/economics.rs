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

use super::{AgentStats, Costs, Outcome, Recorder};
use crate::agents::{Kind, Population};
use crate::engine::round_u64;
use crate::market::{AgentId, ClientId, Credits};

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

/// A completed contract, as the costs of its agent (and of a wash job's payer) see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompletedContract {
    /// The agent that did the work.
    pub agent: AgentId,
    /// The paying client.
    pub client: ClientId,
    /// Whether it was a wash job.
    pub wash: bool,
    /// Whether the agent defected (delivered garbage).
    pub defect: bool,
    /// The job's budget ceiling.
    pub budget: Credits,
    /// The bill released out of escrow.
    pub bill: Credits,
    /// The split's platform and LLM-reserve shares, credits.
    pub fees: u64,
    /// Weighted quality delivered, ⟨w, q⟩ of the clamped delivered vector.
    pub delivered: f64,
    /// The agent's group's `cost_factor`.
    pub cost_factor: f64,
}

impl Recorder {
    /// Adds a completed contract's costs to its agent's [`Costs`]: work, wash fees (to the
    /// identity whose colluding client paid), what its client lost; and the split's platform
    /// fees.
    pub fn record_costs(&mut self, population: &Population, c: &CompletedContract) {
        self.platform_fees += c.fees;
        let honest_quality = match self.honest_quality {
            Some(q) => q,
            None => {
                let honest = population.bidders.iter().filter(|b| b.kind == Kind::Honest);
                let (sum, n) = honest.fold((0.0, 0u64), |(s, n), b| (s + b.quality, n + 1));
                let q = if n == 0 { 0.0 } else { sum / n as f64 };
                *self.honest_quality.insert(q)
            }
        };
        if c.wash {
            let payer = self.wash_payer(population, c.client, c.agent);
            self.agents[payer.index()].costs.wash_fees += c.bill.0;
            return;
        }
        let costs = &mut self.agents[c.agent.index()].costs;
        if !c.defect {
            costs.work += round_u64(c.budget.as_f64() * c.cost_factor);
        }
        if honest_quality > 0.0 && c.delivered < honest_quality {
            let shortfall = (honest_quality - c.delivered) / honest_quality;
            costs.client_loss += round_u64(c.bill.as_f64() * shortfall);
        }
    }

    /// The identity whose colluding client paid for a wash job `worker` did: the worker
    /// itself, or (ring members hire each other, unfair raters hire honest agents) the first
    /// identity of that client, from a client → identity table rebuilt when a client is
    /// missing.
    fn wash_payer(
        &mut self,
        population: &Population,
        client: ClientId,
        worker: AgentId,
    ) -> AgentId {
        if population.get(worker).colluding_client() == Some(client) {
            return worker;
        }
        let slot = client.0 as usize;
        let payers = &mut self.wash_payers;
        if payers.get(slot).copied().flatten().is_none() {
            payers.clear();
            for i in population.identities.iter().rev() {
                if let Some(c) = i.colluding_client() {
                    let c = c.0 as usize;
                    if payers.len() <= c {
                        payers.resize(c + 1, None);
                    }
                    payers[c] = Some(i.id);
                }
            }
        }
        payers[slot].expect("every wash client belongs to an identity")
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

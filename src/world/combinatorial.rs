//! Combinatorial clearing of decomposed jobs in the world (issue 12); the rules (bundle bids,
//! exact winner determination, VCG payments and their split) are `market::combinatorial`'s.
//!
//! ```text
//! post_dag ─▶ clear_dag: invite up to proposals_per_job agents of the job's capability
//!             (BundleBids stream, uniform), each asks per subtask as it would for a lone
//!             subtask and has a scope discount δ (ScopeDiscount stream, once per identity)
//!             ─▶ exact clearing, VCG ─▶ DagJob.awards: per subtask (agent, price) or none
//! post_dag_level ─▶ award_subtask, for each subtask of the level: its demand is posted and
//!             awarded at once at its price (escrow held now: the DAG's order is kept), or
//!             cancelled unfilled ─▶ the next level starts when the whole level has ended
//! ```
//!
//! Escrow is held per subtask when its level starts, exactly as under the sequential rule,
//! so a client that cannot fund a later level's subtask then leaves it unfunded. An award
//! lapses (the subtask goes unfilled) if its winner was whitewashed or lost its stake before
//! its level started.

use super::{DagJob, Event, JobSpec, World};
use crate::agents::Ask;
use crate::agents::behaviour::{self, AskContext};
use crate::engine::{EventQueue, Key, SimTime, Stream};
use crate::market::combinatorial::{self, AgentAsks, JobBids};
use crate::market::marketplace::{MarketError, ProposalTerms};
use crate::market::slab::SlabKey;
use crate::market::{AgentId, Credits};
use rand::Rng;

/// A subtask's contract under combinatorial clearing: decided at posting, opened when its
/// level starts.
#[derive(Debug, Clone, Copy)]
pub(super) struct SubtaskAward {
    agent: AgentId,
    /// The subtask's part of the winner's VCG payment.
    price: Credits,
    /// The confidence the winner stated with its ask for this subtask.
    confidence: f64,
}

impl World {
    /// Under combinatorial clearing, clears decomposed arrival `arrival` when it is posted and
    /// returns each subtask's award; under the sequential rule, nothing (no draw either).
    pub(super) fn clear_dag(
        &mut self,
        arrival: u64,
        capability: u32,
        budgets: &[Credits],
        levels: &[Vec<usize>],
    ) -> Vec<Option<SubtaskAward>> {
        let Some(bundles) = &self.config.bundles else {
            return Vec::new();
        };
        let n = budgets.len();
        let k = self.scenario.file().clients.proposals_per_job as usize;
        let mut rng = self
            .streams
            .keyed(Stream::BundleBids, Key::arrival(arrival));
        let pool = &self.population.pools[capability as usize];
        let mut invited: Vec<AgentId> = Vec::with_capacity(k.min(pool.len()));
        if pool.len() <= k {
            invited.extend_from_slice(pool);
        } else {
            while invited.len() < k {
                let a = pool[rng.random_range(0..pool.len())];
                if !invited.contains(&a) {
                    invited.push(a);
                }
            }
        }
        invited.retain(|&a| self.market.can_bid(a));
        // The nominal durations the subtasks' jobs will have (same stream and key).
        let nominal: Vec<u64> = (0..n)
            .map(|s| {
                let rng = &mut self
                    .streams
                    .keyed(Stream::Nominal, Key::subtask(arrival, s));
                behaviour::nominal_duration(budgets[s], &self.config.clients, rng)
            })
            .collect();
        let engine = self.market.reputation();
        let mut stated: Vec<Vec<Ask>> = Vec::with_capacity(invited.len());
        let mut agents: Vec<AgentAsks> = Vec::with_capacity(invited.len());
        for &a in &invited {
            let bidder = self.population.bidders[a.index()];
            let group = &self.config.groups[bidder.group as usize];
            let reputation = engine.reputation(a);
            let asks: Vec<Ask> = (0..n)
                .map(|s| {
                    let job = AskContext {
                        budget: budgets[s],
                        duration: nominal[s],
                        high_value: budgets[s].as_f64() >= self.high_value_threshold,
                        reputation,
                    };
                    behaviour::ask(bidder.kind, bidder.quality, group, &job, &mut rng)
                })
                .collect();
            let discount = bundles.scope_discount.sample(
                &mut self
                    .streams
                    .keyed(Stream::ScopeDiscount, Key::identity(a.index() as u64, 0)),
            );
            agents.push(AgentAsks {
                agent: a,
                asks: asks.iter().map(|x| x.price).collect(),
                discount,
            });
            stated.push(asks);
        }
        let job = JobBids {
            reserves: budgets,
            levels,
            agents: &agents,
        };
        let clearing = combinatorial::clear(&job, bundles.max_bundle_size)
            .expect("validated: at most 64 bundle bids over at most 12 subtasks");
        let d = &mut self.recorder.dags;
        d.auctions += 1;
        d.welfare_optimal += clearing.welfare;
        d.welfare_sequential += clearing.sequential_welfare;
        d.vcg_payments += clearing.vcg_payments();
        d.first_price_payments += clearing.first_price_payments();
        let mut level_of = vec![0; n];
        for (l, nodes) in levels.iter().enumerate() {
            for &s in nodes {
                level_of[s] = l;
            }
        }
        let mut out = vec![None; n];
        for award in &clearing.awards {
            let reserve: u64 = award.parts.iter().map(|&(s, _)| budgets[s].0).sum();
            d.welfare_chosen += reserve - award.ask.0;
            d.subtasks_awarded += u64::from(award.subtasks.count_ones());
            for &bundle in award.bundles.iter().filter(|b| b.count_ones() >= 2) {
                d.bundles_won += 1;
                d.subtasks_bundled += u64::from(bundle.count_ones());
                let first = level_of[bundle.trailing_zeros() as usize];
                if (0..n).any(|s| bundle & (1 << s) != 0 && level_of[s] != first) {
                    d.bundles_cross_level += 1;
                }
            }
            let i = invited
                .iter()
                .position(|&a| a == award.agent)
                .expect("winners are bidders");
            for &(s, price) in &award.parts {
                out[s] = Some(SubtaskAward {
                    agent: award.agent,
                    price,
                    confidence: stated[i][s].confidence,
                });
            }
        }
        out
    }

    /// Posts subtask `node` of the combinatorial DAG job `key` and opens its awarded contract
    /// at once, or ends it unfilled (no bundle covered it, or its award lapsed).
    pub(super) fn award_subtask(
        &mut self,
        now: SimTime,
        key: SlabKey,
        node: usize,
        queue: &mut EventQueue<Event>,
    ) {
        let dag = self.dags.get(key).expect("live DAG job");
        let (client, capability, model) = (dag.client, dag.capability, dag.model);
        let (budget, award) = (dag.budgets[node], dag.awards[node]);
        let draws = Key::subtask(dag.arrival, node);
        let nominal = behaviour::nominal_duration(
            budget,
            &self.config.clients,
            &mut self.streams.keyed(Stream::Nominal, draws),
        );
        let job = self.open_job(
            now,
            JobSpec {
                client,
                capabilities: 1 << capability,
                budget,
                deadline: now + self.scenario.file().clients.deadline,
                model,
                nominal,
                high_value: budget.as_f64() >= self.high_value_threshold,
                wash: None,
                parent: Some(key),
                key: draws,
            },
        );
        let live =
            award.filter(|a| self.population.get(a.agent).active && self.market.can_bid(a.agent));
        if award.is_some() && live.is_none() {
            self.recorder.dags.awards_lapsed += 1;
        }
        let Some(a) = live else {
            self.recorder.counters.unfilled += 1;
            self.demand_failed(now, job, queue);
            return;
        };
        let task = self.jobs.get(job).expect("just opened").task;
        let terms = ProposalTerms {
            agent: a.agent,
            price: a.price,
            duration: nominal,
            confidence: a.confidence,
            model,
        };
        match self.market.award(task, terms, now) {
            Ok(opened) => self.contract_opened(now, job, opened, queue),
            Err(MarketError::Unfunded(_)) => {
                self.recorder.counters.unfunded += 1;
                self.demand_failed(now, job, queue);
            }
            Err(e) => {
                unreachable!("an award within its subtask's budget cannot fail otherwise: {e}")
            }
        }
    }

    /// A subtask of DAG job `parent` was matched to a contract.
    pub(super) fn dag_subtask_matched(&mut self, parent: SlabKey) {
        if let Some(dag) = self.dags.get_mut(parent) {
            dag.matched += 1;
        }
    }

    /// DAG job `dag` has ended (its last level did): count it cleared, partly or not at all.
    pub(super) fn dag_finished(&mut self, dag: &DagJob) {
        let subtasks: usize = dag.levels.iter().map(Vec::len).sum();
        let d = &mut self.recorder.dags;
        d.jobs += 1;
        if dag.matched == subtasks {
            d.cleared += 1;
        } else if dag.matched == 0 {
            d.unfilled += 1;
        }
    }
}

//! Event handlers of the market world.

use super::{DagJob, Event, Job, JobSpec, World};
use crate::agents::behaviour::{self, AskContext};
use crate::agents::{Ask, Identity, Kind, Rating, Strategy};
use crate::engine::{EventQueue, Key, MAX_SECONDS, SimTime, Stream};
use crate::market::contract::{self, ContractState, PricingModel, TransitionPolicy, Usage};
use crate::market::decompose::{SubtaskSpec, decompose};
use crate::market::marketplace::{
    Action, Completed, ContractEvent, MarketError, Opened, ProposalTerms, Settlements,
};
use crate::market::order_book::ClearingRule;
use crate::market::reputation::Detector;
use crate::market::slab::Lookup;
use crate::market::slab::SlabKey;
use crate::market::staking::SlashCondition;
use crate::market::{AgentId, ClientId, ContractId, Credits, DIMENSIONS, TaskId};
use crate::metrics::{Invariant, KindSample, RankingAccuracy, Sample, concentration};
use crate::scenario::PopulationGroup;
use crate::world::receipts::Receipt;
use rand::Rng;

/// Tokens consumed per second of work, for per-token contracts.
const TOKENS_PER_SECOND: u64 = 10;

impl World {
    // ----- sampling ---------------------------------------------------------------------

    pub(super) fn on_sample(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.take_sample(now);
        let next = now + self.scenario.file().run.sample_interval;
        if next < self.scenario.file().run.horizon {
            queue.schedule(next, Event::Sample);
        }
    }

    fn take_sample(&mut self, now: SimTime) {
        let kinds = &self.recorder.kinds;
        // Position of each kind in `kinds`, by `Kind::index`.
        let mut slot_of = [None; Kind::ALL.len()];
        for (k, kind) in kinds.iter().enumerate() {
            slot_of[kind.index()] = Some(k);
        }
        let mut per_kind = vec![KindSample::default(); kinds.len()];
        let mut counts = vec![0usize; kinds.len()];
        let engine = self.market.reputation();
        // The packed bidder entries hold kind, activity and true quality: no pass over the
        // full identities.
        let bidders = self.population.bidders.iter().zip(&self.recorder.agents);
        for (index, (bidder, stats)) in bidders.enumerate() {
            let Some(k) = slot_of[bidder.kind.index()] else {
                continue;
            };
            per_kind[k].flags += stats.flags.iter().sum::<u64>();
            per_kind[k].payouts += stats.earnings;
            per_kind[k].value_won += stats.value_won;
            if !bidder.active {
                continue;
            }
            let id = AgentId(index as u32);
            let r = engine.reputation(id);
            per_kind[k].mean_reputation += r;
            per_kind[k].mean_trust += engine.trust(id);
            per_kind[k].mean_abs_error += (r - bidder.quality).abs();
            counts[k] += 1;
        }
        for (s, n) in per_kind.iter_mut().zip(counts) {
            if n > 0 {
                s.mean_reputation /= n as f64;
                s.mean_trust /= n as f64;
                s.mean_abs_error /= n as f64;
            }
        }
        let conc = concentration(
            self.recorder.agents.iter().map(|a| a.earnings),
            &mut self.scratch,
        );
        self.recorder.samples.push(Sample {
            time: now,
            counters: self.recorder.counters,
            per_kind,
            concentration: conc,
            ranking: self.ranking_accuracy(),
            tiers: self.tier_sample(),
        });
        self.recorder.top_decile = self.top_decile();
        self.last_sample = Some(now);
        // A full recount of the ledger at every sample cross-checks the incremental totals.
        let recount = self.market.ledger().recompute_totals() == self.market.ledger().totals();
        self.recorder
            .invariants
            .check(Invariant::Conservation, recount, now, || {
                "ledger recount at sample".into()
            });
    }

    /// Ends the run: a last sample and the end-of-drain invariants.
    pub(super) fn finish(&mut self, end: SimTime) {
        if self.last_sample != Some(end) {
            self.take_sample(end);
        }
        let open = self.market.ledger().open_escrows();
        self.recorder
            .invariants
            .check(Invariant::EscrowCompleteness, open == 0, end, || {
                format!("{open} escrow(s) still held after the drain")
            });
        let conserved =
            self.market.ledger().totals().is_conserved() && self.market.stakes_conserved();
        self.recorder
            .invariants
            .check(Invariant::Conservation, conserved, end, || {
                "final totals".into()
            });
    }

    // ----- posting jobs -----------------------------------------------------------------

    pub(super) fn on_job_arrival(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.ordinary_jobs += 1;
        let max_jobs = self.scenario.file().clients.max_jobs;
        if max_jobs == 0 || self.ordinary_jobs < max_jobs {
            self.schedule_next_arrival(now, queue);
        }
        let file = self.scenario.file();
        let clients = &file.clients;
        let arrival = Key::arrival(self.ordinary_jobs);
        let rng = &mut self.streams.keyed(Stream::JobAttributes, arrival);
        let client = ClientId(rng.random_range(0..self.honest_clients));
        let budget = self.config.clients.budget.sample(rng);
        let budget = Credits((budget.round() as u64).max(1));
        let capability = rng.random_range(0..clients.capabilities);
        let mix = &clients.pricing;
        let pick = rng.random_range(0.0..(mix.per_task + mix.hourly + mix.per_token));
        let model = if pick < mix.per_task {
            PricingModel::PerTask
        } else if pick < mix.per_task + mix.hourly {
            PricingModel::Hourly
        } else {
            PricingModel::PerToken
        };
        if file.decomposition.share > 0.0 && rng.random_bool(file.decomposition.share) {
            self.post_dag(now, client, capability, budget, model, queue);
        } else {
            self.post_market_job(now, client, capability, budget, model, None, arrival, queue);
        }
    }

    /// Posts a job decomposed into a DAG of subtasks and its first level (SPEC §5).
    fn post_dag(
        &mut self,
        now: SimTime,
        client: ClientId,
        capability: u32,
        budget: Credits,
        model: PricingModel,
        queue: &mut EventQueue<Event>,
    ) {
        let d = &self.scenario.file().decomposition;
        let rng = &mut self
            .streams
            .keyed(Stream::DagShape, Key::arrival(self.ordinary_jobs));
        let n = rng.random_range(2..=d.max_subtasks as usize);
        let specs: Vec<SubtaskSpec> = (0..n)
            .map(|i| SubtaskSpec {
                estimated_credits: Credits((budget.0 / n as u64).max(1)),
                estimated_duration: 0,
                capabilities: 1 << capability,
                depends_on: (0..i)
                    .filter(|_| rng.random_bool(d.dependency_probability))
                    .collect(),
            })
            .collect();
        #[cfg(feature = "fault-injection")]
        if self.market.fault() == Some(crate::market::fault::Fault::CyclicDag) {
            // The bug: the job's first and last subtasks depend on each other.
            let mut edges: Vec<(usize, usize)> = specs
                .iter()
                .enumerate()
                .flat_map(|(i, s)| s.depends_on.iter().map(move |&d| (d, i)))
                .collect();
            edges.extend([(0, n - 1), (n - 1, 0)]);
            let durations = vec![0; n];
            let credits: Vec<Credits> = specs.iter().map(|s| s.estimated_credits).collect();
            if let Err(e) = crate::market::decompose::Dag::from_edges(&durations, &credits, &edges)
            {
                self.recorder
                    .invariants
                    .check(Invariant::DagAcyclicity, false, now, || {
                        format!("decompose failed: {e}")
                    });
                return;
            }
        }
        let dag = match decompose(&specs) {
            Ok(dag) => dag,
            Err(e) => {
                self.recorder
                    .invariants
                    .check(Invariant::DagAcyclicity, false, now, || {
                        format!("decompose failed: {e}")
                    });
                return;
            }
        };
        let levels = dag.levels();
        let covered: usize = levels.iter().map(Vec::len).sum();
        let forward = dag.edges().all(|(a, b)| dag.level_of(a) < dag.level_of(b));
        self.recorder.invariants.check(
            Invariant::DagAcyclicity,
            covered == n && forward,
            now,
            || "levels do not cover the DAG in edge order".into(),
        );
        let budgets = (0..n).map(|i| dag.credits(i)).collect();
        let key = self.dags.insert(DagJob {
            arrival: self.ordinary_jobs,
            client,
            capability,
            model,
            levels,
            budgets,
            level: 0,
            outstanding: 0,
        });
        self.post_dag_level(now, key, queue);
    }

    fn post_dag_level(&mut self, now: SimTime, key: SlabKey, queue: &mut EventQueue<Event>) {
        let dag = self.dags.get_mut(key).expect("live DAG job");
        if dag.level >= dag.levels.len() {
            self.dags.remove(key);
            return;
        }
        let nodes = dag.levels[dag.level].clone();
        dag.outstanding = nodes.len();
        let (client, capability, model) = (dag.client, dag.capability, dag.model);
        let arrival = dag.arrival;
        for node in nodes {
            let budget = self.dags.get(key).expect("live").budgets[node];
            let draws = Key::subtask(arrival, node);
            self.post_market_job(
                now,
                client,
                capability,
                budget,
                model,
                Some(key),
                draws,
                queue,
            );
        }
    }

    /// A subtask of a DAG job ended (whatever the outcome); the next level starts when the
    /// whole current level has ended.
    fn subtask_ended(&mut self, now: SimTime, parent: SlabKey, queue: &mut EventQueue<Event>) {
        let dag = self.dags.get_mut(parent).expect("live DAG job");
        dag.outstanding -= 1;
        if dag.outstanding == 0 {
            dag.level += 1;
            self.post_dag_level(now, parent, queue);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn post_market_job(
        &mut self,
        now: SimTime,
        client: ClientId,
        capability: u32,
        budget: Credits,
        model: PricingModel,
        parent: Option<SlabKey>,
        draws: Key,
        queue: &mut EventQueue<Event>,
    ) {
        let clients = &self.scenario.file().clients;
        let (deadline, k) = (now + clients.deadline, clients.proposals_per_job as usize);
        let nominal = behaviour::nominal_duration(
            budget,
            &self.config.clients,
            &mut self.streams.keyed(Stream::Nominal, draws),
        );
        let high_value = budget.as_f64() >= self.high_value_threshold;
        let job = self.open_job(
            now,
            JobSpec {
                client,
                capabilities: 1 << capability,
                budget,
                deadline,
                model,
                nominal,
                high_value,
                wash: None,
                parent,
                key: draws,
            },
        );
        let mut bids = self.streams.keyed(Stream::Bids, draws);
        // Invite up to `proposals_per_job` distinct active agents with the capability.
        let pool = &self.population.pools[capability as usize];
        let mut invited = std::mem::take(&mut self.invited);
        invited.clear();
        if pool.len() <= k {
            invited.extend_from_slice(pool);
        } else {
            // Anti-concentration routing (seed 003): a candidate earning `e` against a mean of
            // `ē` per identity is accepted with probability 1 / (1 + α·e/ē). After 20·k
            // refusals the remaining seats are filled uniformly, so a job always gets bidders.
            let alpha = self.scenario.file().market.anti_concentration;
            let mean = self.operator_payouts as f64 / self.population.identities.len() as f64;
            let mut refusals = 0;
            while invited.len() < k {
                let a = pool[bids.random_range(0..pool.len())];
                if invited.contains(&a) {
                    continue;
                }
                if alpha > 0.0 && mean > 0.0 && refusals < 20 * k {
                    let relative = self.recorder.agents[a.index()].earnings as f64 / mean;
                    if !bids.random_bool(1.0 / (1.0 + alpha * relative)) {
                        refusals += 1;
                        continue;
                    }
                }
                invited.push(a);
            }
        }
        // Read every invitee's bidder entry and R first: independent loads that a large
        // population's caches miss, issued together instead of one per bid. (Nothing below
        // changes them before the last bid: a match only opens a contract.)
        let mut invitees = std::mem::take(&mut self.invitees);
        invitees.clear();
        let engine = self.market.reputation();
        invitees.extend(
            invited
                .iter()
                .map(|&a| (self.population.bidders[a.index()], engine.reputation(a))),
        );
        for (&agent, &(bidder, reputation)) in invited.iter().zip(&invitees) {
            if !self.market.can_bid(agent) {
                continue;
            }
            let ask = behaviour::ask(
                bidder.kind,
                bidder.quality,
                &self.config.groups[bidder.group as usize],
                &AskContext {
                    budget,
                    duration: nominal,
                    high_value,
                    reputation,
                },
                &mut bids,
            );
            if self.submit(now, job, agent, ask, queue) {
                break; // continuous market matched
            }
        }
        self.invited = invited;
        self.invitees = invitees;
        self.await_clearing(now, job, queue);
    }

    /// Posts a wash job: a colluding client's demand that only the colluding agent bids on.
    pub(super) fn on_wash_job(
        &mut self,
        now: SimTime,
        agent: AgentId,
        queue: &mut EventQueue<Event>,
    ) {
        self.schedule_wash(agent, now, queue);
        let identity = self.population.get(agent).clone();
        if !identity.active {
            return;
        }
        let group = self.scenario.file().population[identity.group].clone();
        let draws = Key::wash(agent.index() as u64, now);
        let mut rng = self.streams.keyed(Stream::Wash, draws);
        let (client, worker) = match identity.ring {
            // A ring member's client hires another member of its ring.
            Some(ring) => {
                let members = &self.population.rings[ring as usize];
                let others: Vec<AgentId> = members
                    .iter()
                    .copied()
                    .filter(|&m| m != agent && self.population.get(m).active)
                    .collect();
                if others.is_empty() {
                    return;
                }
                let worker = others[rng.random_range(0..others.len())];
                (
                    identity
                        .colluding_client
                        .expect("ring members have a client"),
                    worker,
                )
            }
            None => (
                identity
                    .colluding_client
                    .expect("wash agents have a colluder"),
                agent,
            ),
        };
        if !self.market.can_bid(worker) {
            return;
        }
        let budget = Credits(
            match &group {
                PopulationGroup::Gaming(g) => g.wash_budget,
                PopulationGroup::Ring(g) => g.wash_budget,
                _ => (self.config.clients.typical_budget / 10.0) as u64,
            }
            .max(1),
        );
        let worker_identity = self.population.get(worker);
        let nominal = behaviour::nominal_duration(budget, &self.config.clients, &mut rng);
        let work = behaviour::wash_duration(
            worker_identity.kind,
            &self.config.groups[worker_identity.group],
            nominal,
            &mut rng,
        );
        let mut rating =
            behaviour::wash_rating(worker_identity.kind, &self.config.groups[identity.group]);
        let mut capability = worker_identity.capabilities.trailing_zeros();
        let mut worker = worker;
        if let Some(victim) = self.badmouthing_victim(&identity, &mut rng) {
            worker = victim;
            rating = behaviour::BADMOUTHING;
            capability = self.population.get(victim).capabilities.trailing_zeros();
        }
        let deadline = now + self.scenario.file().clients.deadline;
        let job = self.open_job(
            now,
            JobSpec {
                client,
                capabilities: 1 << capability,
                budget,
                deadline,
                model: PricingModel::PerTask,
                nominal: work,
                high_value: false,
                wash: Some((worker, rating)),
                parent: None,
                key: draws,
            },
        );
        let ask = Ask {
            price: budget,
            confidence: 1.0,
            duration: work,
        };
        self.submit(now, job, worker, ask, queue);
        self.await_clearing(now, job, queue);
    }

    /// Posts the demand of a new job and starts tracking it (the job is never refused: its
    /// client exists and its budget is positive).
    fn open_job(&mut self, now: SimTime, spec: JobSpec) -> SlabKey {
        let JobSpec {
            client,
            capabilities,
            budget,
            deadline,
            model,
            nominal,
            high_value,
            wash,
            parent,
            key,
        } = spec;
        let task = match self
            .market
            .post_demand(client, capabilities, budget, deadline)
        {
            Ok(task) => task,
            Err(e) => unreachable!("posting a validated demand cannot fail: {e}"),
        };
        self.recorder.counters.posted += 1;
        self.emit(now, || Receipt::Post {
            task,
            client,
            budget,
        });
        self.jobs.insert(Job {
            task,
            client,
            posted_at: now,
            budget,
            model,
            nominal,
            high_value,
            wash,
            contract: None,
            agent: AgentId(0),
            price: Credits::ZERO,
            started_at: now,
            work_seconds: 0,
            delivered: [0.0; DIMENSIONS],
            defect: false,
            key,
            parent,
        })
    }

    /// Submits one proposal; returns whether it opened a contract (continuous market).
    fn submit(
        &mut self,
        now: SimTime,
        job: SlabKey,
        agent: AgentId,
        ask: Ask,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let j = self.jobs.get(job).expect("live job");
        let terms = ProposalTerms {
            agent,
            price: ask.price,
            duration: ask.duration,
            confidence: ask.confidence,
            model: j.model,
        };
        let task = j.task;
        match self.market.submit(task, terms, now) {
            Ok(Some(opened)) => {
                self.contract_opened(now, job, opened, queue);
                true
            }
            Ok(None) => false,
            Err(MarketError::Unfunded(_)) => {
                self.recorder.counters.unfunded += 1;
                self.demand_failed(now, job, queue);
                true
            }
            Err(e) => unreachable!("a proposal on an open task cannot fail otherwise: {e}"),
        }
    }

    /// After the invitations: wait for the window (call, auctions) or the deadline.
    fn await_clearing(&mut self, now: SimTime, job: SlabKey, queue: &mut EventQueue<Event>) {
        let Some(j) = self.jobs.get(job) else { return };
        if j.contract.is_some() {
            return;
        }
        if self.market.clears_on_arrival() {
            queue.schedule(
                now + self.scenario.file().clients.deadline,
                Event::DemandExpiry(job),
            );
        } else {
            queue.schedule(
                now + self.scenario.file().market.bidding_window,
                Event::WindowClose(job),
            );
        }
    }

    pub(super) fn on_window_close(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        let continuous = self.continuous_choice(j.task);
        match self.market.clear(j.task, j.model, now) {
            Ok(Some(opened)) => {
                if let Some((agent, price)) = continuous {
                    let c = &mut self.recorder.counters;
                    c.call_clearings += 1;
                    if agent != opened.agent {
                        c.call_continuous_disagreements += 1;
                        c.call_price_premium += opened.price.0 - price.0;
                    }
                }
                self.contract_opened(now, job, opened, queue)
            }
            Ok(None) => {
                self.recorder.counters.unfilled += 1;
                self.demand_failed(now, job, queue);
            }
            Err(MarketError::Unfunded(_)) => {
                self.recorder.counters.unfunded += 1;
                self.demand_failed(now, job, queue);
            }
            Err(e) => unreachable!("clearing an open task cannot fail otherwise: {e}"),
        }
    }

    /// Under the call rule (paper §7.2), the agent and ask that the continuous rule (§4.5: the
    /// cheapest pending proposal by price-time, if within budget) would pick on the same book
    /// at the window's close; `None` under any other rule (SPEC §8, "same book, two answers").
    fn continuous_choice(&self, task: TaskId) -> Option<(AgentId, Credits)> {
        let book = self.market.book();
        if book.rule() != ClearingRule::Call {
            return None;
        }
        let ceiling = book.demand(task).ok()?.budget_ceiling();
        book.best_pending(task)
            .ok()
            .flatten()
            .filter(|p| p.estimated_credits() <= ceiling)
            .map(|p| (p.agent(), p.estimated_credits()))
    }

    pub(super) fn on_demand_expiry(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        if self.jobs.get(job).is_some_and(|j| j.contract.is_none()) {
            self.recorder.counters.unfilled += 1;
            self.demand_failed(now, job, queue);
        }
    }

    /// The demand ends unmatched: cancel it, end the job.
    fn demand_failed(&mut self, now: SimTime, job: SlabKey, queue: &mut EventQueue<Event>) {
        let j = self.jobs.remove(job).expect("live job");
        self.market
            .cancel_demand(j.task)
            .expect("an unmatched demand can be cancelled");
        self.emit(now, || Receipt::Unmatched { task: j.task });
        if let Some(parent) = j.parent {
            self.subtask_ended(now, parent, queue);
        }
    }

    // ----- contracts --------------------------------------------------------------------

    fn contract_opened(
        &mut self,
        now: SimTime,
        job: SlabKey,
        opened: Opened,
        queue: &mut EventQueue<Event>,
    ) {
        self.recorder.counters.matched += 1;
        self.recorder.invariants.check(
            Invariant::AutoRejection,
            opened.accepted == 1
                && opened.rejected + 1 == opened.proposals
                && self.market.depth(opened.task).ok() == Some((0, 0)),
            now,
            || {
                format!(
                    "task {}: {} of {} proposals rejected",
                    opened.task, opened.rejected, opened.proposals
                )
            },
        );
        self.emit(now, || Receipt::Open {
            contract: opened.contract,
            task: opened.task,
            client: opened.client,
            agent: opened.agent,
            price: opened.price,
            hold: opened.hold,
        });
        let stats = &mut self.recorder.agents[opened.agent.index()];
        stats.jobs_won += 1;
        stats.value_won += opened.price.0;
        self.record_tier_win(opened.agent, opened.price);
        let camouflage = self
            .jobs
            .get(job)
            .is_some_and(|j| self.camouflage_defects(opened.agent, j.high_value));
        let identity = self.population.get(opened.agent);
        let group = &self.config.groups[identity.group];
        let j = self.jobs.get_mut(job).expect("live job");
        j.contract = Some(opened.contract);
        j.agent = opened.agent;
        j.price = opened.price;
        j.started_at = now;
        let rng = &mut self.streams.keyed(Stream::Work, j.key);
        if j.wash.is_some() {
            j.work_seconds = j.nominal;
            j.delivered = identity.latent;
        } else {
            let reputation = self.market.reputation().reputation(opened.agent);
            j.defect =
                behaviour::defects(identity, group, j.high_value, reputation, now) || camouflage;
            j.delivered = behaviour::delivered_quality(identity, group, j.defect, rng);
            j.work_seconds = if identity.kind == Kind::Gaming(Strategy::SelfReport) {
                (group.report_seconds.sample(rng).round() as u64).min(MAX_SECONDS)
            } else {
                let factor = self.config.clients.work_factor.sample(rng);
                (((j.nominal as f64) * factor) as u64).min(MAX_SECONDS)
            };
        }
        queue.schedule(now + j.work_seconds.max(1), Event::Delivered(job));
        self.check_client(now, opened.client);
    }

    pub(super) fn on_delivered(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        let contract = j.contract.expect("delivered jobs have a contract");
        let wash = j.wash.is_some();
        let mut rng = self.streams.keyed(Stream::ReviewDelay, j.key);
        let from = self.contract_state(contract);
        #[cfg(feature = "fault-injection")]
        let skip = self.market.fault() == Some(crate::market::fault::Fault::ForbiddenTransition);
        #[cfg(not(feature = "fault-injection"))]
        let skip = false;
        if !skip {
            let result = self.market.deliver(contract);
            if self.transitioned(
                now,
                contract,
                "deliver",
                from,
                ContractState::Review,
                result,
            ) {
                self.emit(now, || Receipt::Deliver { contract });
            }
        }
        let delay = if wash {
            rng.random_range(1..=5)
        } else {
            let delay = self.config.clients.review.sample(&mut rng);
            (delay.round() as u64).min(MAX_SECONDS)
        };
        queue.schedule(now + delay, Event::Reviewed(job));
    }

    pub(super) fn on_reviewed(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        if j.wash.is_some() {
            return self.complete(now, job, queue);
        }
        let clients = &self.scenario.file().clients;
        let observed_mean = j.observed_mean();
        let key = j.key;
        let u: f64 = self.streams.keyed(Stream::Dispute, key).random();
        let automatic = self.config.clients.disputes_at_once(observed_mean);
        if automatic || u < clients.p_dispute {
            let contract = j.contract.expect("contract");
            let from = self.contract_state(contract);
            let result = self.market.dispute(contract);
            if self.transitioned(
                now,
                contract,
                "dispute",
                from,
                ContractState::Disputed,
                result,
            ) {
                self.emit(now, || Receipt::Dispute { contract });
            }
            self.redeliver(now, key, ContractEvent::dispute(contract));
            self.recorder.counters.disputed += 1;
            let delay = self
                .config
                .clients
                .dispute
                .sample(&mut self.streams.keyed(Stream::DisputeDelay, key));
            let delay = (delay.round() as u64).min(MAX_SECONDS);
            queue.schedule(now + delay, Event::DisputeResolved(job));
        } else if u < clients.p_dispute + clients.p_cancel {
            self.cancel(now, job, queue);
        } else {
            self.complete(now, job, queue);
        }
    }

    pub(super) fn on_dispute_resolved(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        let observed_mean = j.observed_mean();
        let automatic = self.config.clients.disputes_at_once(observed_mean);
        let upheld = !automatic
            && self
                .streams
                .keyed(Stream::Upheld, j.key)
                .random_bool(self.scenario.file().clients.p_dispute_upheld);
        if upheld {
            self.complete(now, job, queue);
        } else {
            let agent = j.agent;
            self.slash(now, agent, SlashCondition::TaskFailure);
            self.cancel(now, job, queue);
        }
    }

    fn cancel(&mut self, now: SimTime, job: SlabKey, queue: &mut EventQueue<Event>) {
        let j = self.jobs.remove(job).expect("live job");
        let contract = j.contract.expect("contract");
        let (from, settled) = (self.contract_state(contract), self.market.settlements());
        let result = self.market.cancel(contract);
        if let Ok(refund) = result {
            self.recorder.counters.cancelled += 1;
            self.emit(now, || Receipt::Cancel { contract, refund });
        }
        let to = ContractState::Cancelled;
        self.transitioned(now, contract, "cancel", from, to, result.map(|_| ()));
        self.check_settlements(now, contract, settled);
        self.check_client(now, j.client);
        self.redeliver(now, j.key, ContractEvent::cancel(contract));
        if let Some(parent) = j.parent {
            self.subtask_ended(now, parent, queue);
        }
        self.camouflage_whitewash(now, &j);
    }

    fn complete(&mut self, now: SimTime, job: SlabKey, queue: &mut EventQueue<Event>) {
        let j = self.jobs.remove(job).expect("live job");
        let contract = j.contract.expect("contract");
        let identity = self.population.get(j.agent);
        let self_report = j.wash.is_none() && identity.kind == Kind::Gaming(Strategy::SelfReport);
        let mut rng = self.streams.keyed(Stream::Rating, j.key);
        let quality = match j.wash {
            Some((_, rating)) => behaviour::rate(
                &j.delivered,
                rating,
                &self.config.clients.rating_error,
                &mut rng,
            ),
            // A self-reporting gamer's own report is what gets recorded.
            None if self_report => {
                behaviour::self_report(&self.config.groups[identity.group], &mut rng)
            }
            None => behaviour::rate(
                &j.delivered,
                Rating::Honest,
                &self.config.clients.rating_error,
                &mut rng,
            ),
        };
        let tokens = j.work_seconds * TOKENS_PER_SECOND;
        let usage = Usage {
            seconds: j.work_seconds,
            tokens: tokens + rng.random_range(0..=tokens / 5),
        };
        // A self-reporter's report is also what dates its completion.
        let completion_seconds = if self_report {
            j.work_seconds
        } else {
            now - j.started_at
        };
        let (from, settled) = (self.contract_state(contract), self.market.settlements());
        let result = self
            .market
            .complete(contract, usage, quality, Some(completion_seconds));
        self.check_settlements(now, contract, settled);
        if let Ok(done) = result {
            #[cfg(feature = "fault-injection")]
            let forged =
                u64::from(self.market.fault() == Some(crate::market::fault::Fault::ForgeReceipt));
            #[cfg(not(feature = "fault-injection"))]
            let forged = 0;
            self.emit(now, || Receipt::Complete {
                contract,
                bill: done.bill,
                refund: done.refunded,
                operator: Credits(done.split.operator().0 + forged),
                quality,
                seconds: Some(completion_seconds),
                flags: done.recording.flags.bits(),
            });
            self.record_completion(now, &j, done);
        }
        let to = ContractState::Completed;
        self.transitioned(now, contract, "complete", from, to, result.map(|_| ()));
        self.check_client(now, j.client);
        let action = Action::Complete {
            usage,
            quality,
            completion_seconds: Some(completion_seconds),
        };
        self.redeliver(now, j.key, ContractEvent { contract, action });
        if let Some(parent) = j.parent {
            self.subtask_ended(now, parent, queue);
        }
        self.maybe_whitewash(now, j.agent, queue);
        self.camouflage_whitewash(now, &j);
    }

    /// Records one contract transition attempt `from → to` as a check of
    /// [`Invariant::ValidTransitions`]; returns whether the market performed it. The world
    /// judges the transition against the scenario's table itself (SPEC §4), so a market that
    /// wrongly performs a forbidden transition is caught as well as one that refuses a valid one.
    fn transitioned(
        &mut self,
        now: SimTime,
        contract: ContractId,
        what: &str,
        from: Option<ContractState>,
        to: ContractState,
        result: Result<(), MarketError>,
    ) -> bool {
        let policy = TransitionPolicy {
            allow_active_completion: self.scenario.file().market.allow_active_completion,
        };
        let valid = from.is_some_and(|f| contract::transition(f, to, policy).is_ok());
        let performed = result.is_ok();
        self.recorder.invariants.check(
            Invariant::ValidTransitions,
            performed && valid,
            now,
            || match result {
                Ok(()) => {
                    let from = from.map_or("retired".to_string(), |f| f.to_string());
                    format!("{what} contract {contract}: {from} -> {to} is not in the table")
                }
                Err(e) => format!("{what} contract {contract}: {e}"),
            },
        );
        performed
    }

    fn record_completion(&mut self, now: SimTime, j: &Job, done: Completed) {
        let c = &mut self.recorder.counters;
        c.completed += 1;
        // The paper releases the accepted price and splits the bill (SPEC §8, §7.6 vs §7.7).
        if done.bill >= j.price {
            c.paper_rule_created += done.bill.0 - j.price.0;
        } else {
            c.paper_rule_destroyed += j.price.0 - done.bill.0;
        }
        self.recorder.latency.record(now - j.posted_at);
        let inv = &mut self.recorder.invariants;
        let split = done.split;
        inv.check(
            Invariant::BudgetCap,
            done.bill <= j.budget && done.bill <= done.hold,
            now,
            || {
                format!(
                    "bill {} over ceiling {} or hold {}",
                    done.bill, j.budget, done.hold
                )
            },
        );
        inv.check(
            Invariant::ExactSplit,
            split.operator().0 + split.platform().0 + split.llm_reserve().0 == split.total().0
                && split.total() == done.bill,
            now,
            || {
                format!(
                    "split of bill {}: operator {} + platform {} + reserve {} (total {})",
                    done.bill,
                    split.operator(),
                    split.platform(),
                    split.llm_reserve(),
                    split.total()
                )
            },
        );
        inv.check(
            Invariant::NonNegativity,
            done.bill.checked_add(done.refunded) == Some(done.hold),
            now,
            || {
                format!(
                    "bill {} + refund {} != hold {}",
                    done.bill, done.refunded, done.hold
                )
            },
        );
        let rec = done.recording;
        inv.check(
            Invariant::BoundedTrust,
            (0.0..=1.0).contains(&rec.reputation)
                && (0.0..=1.0).contains(&rec.trust)
                && (0.0..=1.0).contains(&rec.suspicion),
            now,
            || format!("R {} T {} γ {}", rec.reputation, rec.trust, rec.suspicion),
        );
        self.recorder.counters.paid_out +=
            split.operator().0 + split.platform().0 + split.llm_reserve().0;
        self.record_costs(j, &done);
        let stats = &mut self.recorder.agents[j.agent.index()];
        stats.earnings += split.operator().0;
        self.operator_payouts += split.operator().0;
        if !rec.flags.is_empty() {
            for d in rec.flags.iter() {
                stats.flags[detector_index(d)] += 1;
            }
            stats.first_flag.get_or_insert(now);
            self.slash(now, j.agent, SlashCondition::ReputationThreshold);
        }
    }

    fn slash(&mut self, now: SimTime, agent: AgentId, condition: SlashCondition) {
        if let Some(result) = self.market.slash(agent, condition) {
            if let Ok(event) = result {
                self.recorder.counters.slashes += 1;
                self.recorder.agents[agent.index()].costs.stake_lost += event.amount.0;
                self.emit(now, || Receipt::Slash {
                    agent,
                    amount: event.amount,
                });
            }
            // In total, and for this agent: its bond is all it ever deposited.
            let bond = self.scenario.file().staking.initial_stake;
            let own = self
                .market
                .stakes()
                .and_then(|s| s.stake_of(agent))
                .is_some_and(|s| {
                    u128::from(s.free.0) + u128::from(s.bonded.0) + u128::from(s.slashed.0)
                        == u128::from(bond)
                });
            let conserved = self.market.stakes_conserved() && own;
            self.recorder
                .invariants
                .check(Invariant::Conservation, conserved, now, || {
                    format!("slash {agent}")
                });
        }
    }

    /// After a hold or a settlement of `client`: conservation (in total, for the client, and
    /// distributed = paid out) and non-negativity of the client's balances.
    fn check_client(&mut self, now: SimTime, client: ClientId) {
        let ledger = self.market.ledger();
        let totals = ledger.totals();
        let ok = totals.is_conserved()
            && ledger.is_client_conserved(client) == Some(true)
            && totals.distributed.0 == self.recorder.counters.paid_out;
        let paid = self.recorder.counters.paid_out;
        self.recorder
            .invariants
            .check(Invariant::Conservation, ok, now, || {
                let own = match ledger.is_client_conserved(client) {
                    Some(true) => "conserved",
                    _ => "NOT conserved",
                };
                format!(
                    "client {client}: available {} + held {} + distributed {} vs initial {}; \
                     client {own}; distributed {} vs paid out {paid}",
                    totals.available,
                    totals.held,
                    totals.distributed,
                    totals.initial,
                    totals.distributed
                )
            });
        // Balances are unsigned, so a negative one shows in the flows: what the client's
        // initial credits leave once its holds and releases are taken out.
        let (initial, balance, released) = (
            ledger.initial(client).unwrap_or_default(),
            ledger.balance(client).unwrap_or_default(),
            ledger.released(client).unwrap_or_default(),
        );
        let implied = i128::from(initial.0) - i128::from(balance.held.0) - i128::from(released.0);
        self.recorder
            .invariants
            .check(Invariant::NonNegativity, implied >= 0, now, || {
                format!(
                    "client {client}: initial {initial} − held {} − released {released} = {implied}",
                    balance.held
                )
            });
    }

    /// The state of a live contract, if it is live.
    fn contract_state(&self, contract: ContractId) -> Option<ContractState> {
        match self.market.contracts().get(contract) {
            Lookup::Live(c) => Some(c.state()),
            _ => None,
        }
    }

    /// Counts every escrow settlement attempt the last operation on `contract` made since
    /// `before` as one check; an attempt on an already settled escrow is a violation.
    fn check_settlements(&mut self, now: SimTime, contract: ContractId, before: Settlements) {
        let after = self.market.settlements();
        let (attempts, repeated) = (
            after.attempts - before.attempts,
            after.repeated - before.repeated,
        );
        self.recorder.invariants.check_many(
            Invariant::NoDoubleSettlement,
            attempts,
            repeated,
            now,
            || format!("contract {contract}: {repeated} of {attempts} settlements repeated"),
        );
    }

    /// A sybil owner abandons an identity whose trust fell below its threshold once seasoned,
    /// and registers a fresh one (SPEC §9 whitewashing).
    fn maybe_whitewash(&mut self, now: SimTime, agent: AgentId, queue: &mut EventQueue<Event>) {
        let identity = self.population.get(agent);
        if identity.kind != Kind::Sybil || !identity.active {
            return;
        }
        let PopulationGroup::Sybil(g) = &self.scenario.file().population[identity.group] else {
            return;
        };
        if g.independent == Some(true) {
            return;
        }
        let engine = self.market.reputation();
        let seasoned = engine.recordings(agent) >= u64::from(engine.config().min_jobs);
        if g.whitewash_trust <= 0.0 || !seasoned || engine.trust(agent) >= g.whitewash_trust {
            return;
        }
        let (owner, group, colluder, collude) = (
            identity.owner,
            identity.group,
            identity.colluding_client,
            g.collude,
        );
        self.population.deactivate(agent);
        self.emit(now, || Receipt::Whitewash { agent });
        self.recorder.agents[agent.index()].whitewashed = true;
        self.recorder.counters.whitewashes += 1;
        let fresh = self.add_identity(owner, Kind::Sybil, group, colluder, None, now);
        if collude {
            self.schedule_wash(fresh, now, queue);
        }
    }
}

impl World {
    // ----- measures (issue 11) ------------------------------------------------------------

    /// For an unfair rater's wash job: with probability `badmouth_share`, an active honest
    /// competitor to hire and rate low (the first honest identity among up to 16 drawn from
    /// the pool of the rater's first capability; none if all 16 draws miss). Draws from the
    /// wash job's own keyed generator `rng` (common random numbers).
    fn badmouthing_victim(&self, rater: &Identity, rng: &mut impl Rng) -> Option<AgentId> {
        if rater.kind != Kind::Gaming(Strategy::UnfairRating) {
            return None;
        }
        let share = self.config.groups[rater.group].badmouth_share;
        if !rng.random_bool(share) {
            return None;
        }
        let pool = &self.population.pools[rater.capabilities.trailing_zeros() as usize];
        if pool.is_empty() {
            return None;
        }
        for _ in 0..16 {
            let candidate = pool[rng.random_range(0..pool.len())];
            if self.population.bidders[candidate.index()].kind == Kind::Honest
                && self.market.can_bid(candidate)
            {
                return Some(candidate);
            }
        }
        None
    }

    /// The identity whose colluding client paid for a wash job `worker` did: the worker itself,
    /// or (ring members hire each other, unfair raters hire honest agents) the first identity
    /// of that client, from a client → identity table rebuilt when a client is missing.
    fn wash_payer(&mut self, client: ClientId, worker: AgentId) -> AgentId {
        if self.population.get(worker).colluding_client == Some(client) {
            return worker;
        }
        let slot = client.0 as usize;
        let payers = &mut self.recorder.wash_payers;
        if payers.get(slot).copied().flatten().is_none() {
            payers.clear();
            for i in self.population.identities.iter().rev() {
                if let Some(c) = i.colluding_client {
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

    /// The 90th percentiles of R and of T over the live identities (none without any).
    fn top_decile(&self) -> Option<(f64, f64)> {
        let engine = self.market.reputation();
        let live = self
            .population
            .bidders
            .iter()
            .enumerate()
            .filter(|(_, b)| b.active);
        let (mut r, mut t): (Vec<f64>, Vec<f64>) = live
            .map(|(index, _)| {
                let id = AgentId(index as u32);
                (engine.reputation(id), engine.trust(id))
            })
            .unzip();
        if r.is_empty() {
            return None;
        }
        let k = (r.len() * 9 / 10).min(r.len() - 1);
        let r90 = *r.select_nth_unstable_by(k, f64::total_cmp).1;
        let t90 = *t.select_nth_unstable_by(k, f64::total_cmp).1;
        Some((r90, t90))
    }

    /// Whether a camouflage gamer defects on a contract: a high-value one, once its R and T
    /// are both at or above the last sample's top-decile thresholds.
    fn camouflage_defects(&self, agent: AgentId, high_value: bool) -> bool {
        if self.population.bidders[agent.index()].kind != Kind::Gaming(Strategy::Camouflage) {
            return false;
        }
        let engine = self.market.reputation();
        high_value
            && self
                .recorder
                .top_decile
                .is_some_and(|(r, t)| engine.reputation(agent) >= r && engine.trust(agent) >= t)
    }

    /// A camouflage gamer abandons its identity once a contract it defected on has ended
    /// (completed, or cancelled: a disputed garbage delivery is refunded) and registers a
    /// fresh one, honest again until it reaches the top decile.
    fn camouflage_whitewash(&mut self, now: SimTime, j: &Job) {
        let identity = self.population.get(j.agent);
        if !j.defect || identity.kind != Kind::Gaming(Strategy::Camouflage) || !identity.active {
            return;
        }
        let (owner, group) = (identity.owner, identity.group);
        self.population.deactivate(j.agent);
        self.emit(now, || Receipt::Whitewash { agent: j.agent });
        self.recorder.agents[j.agent.index()].whitewashed = true;
        self.recorder.counters.whitewashes += 1;
        let kind = Kind::Gaming(Strategy::Camouflage);
        self.add_identity(owner, kind, group, None, None, now);
    }

    /// Ranking accuracy of R and T against true quality over the live identities.
    fn ranking_accuracy(&self) -> RankingAccuracy {
        let engine = self.market.reputation();
        let live = self.population.bidders.iter().enumerate();
        RankingAccuracy::of(live.filter(|(_, b)| b.active).map(|(index, b)| {
            let id = AgentId(index as u32);
            (
                engine.reputation(id),
                engine.trust(id),
                b.quality,
                b.kind == Kind::Honest,
            )
        }))
    }

    /// Adds a completed contract's costs to its agent's [`Costs`](crate::metrics::Costs):
    /// work, wash fees, what its client lost; and the split's platform fees.
    fn record_costs(&mut self, j: &Job, done: &Completed) {
        let split = done.split;
        self.recorder.platform_fees += split.platform().0 + split.llm_reserve().0;
        let honest_quality = match self.recorder.honest_quality {
            Some(q) => q,
            None => {
                let honest = self
                    .population
                    .bidders
                    .iter()
                    .filter(|b| b.kind == Kind::Honest);
                let (sum, n) = honest.fold((0.0, 0u64), |(s, n), b| (s + b.quality, n + 1));
                let q = if n == 0 { 0.0 } else { sum / n as f64 };
                *self.recorder.honest_quality.insert(q)
            }
        };
        let identity = self.population.get(j.agent);
        let cost_factor = self.config.groups[identity.group].cost_factor;
        let delivered = self
            .market
            .reputation()
            .weights()
            .dot(&crate::market::QualityVector::clamped(j.delivered));
        if j.wash.is_some() {
            let payer = self.wash_payer(j.client, j.agent);
            self.recorder.agents[payer.index()].costs.wash_fees += done.bill.0;
            return;
        }
        let costs = &mut self.recorder.agents[j.agent.index()].costs;
        if !j.defect {
            costs.work += (j.budget.as_f64() * cost_factor).round() as u64;
        }
        if honest_quality > 0.0 && delivered < honest_quality {
            let shortfall = (honest_quality - delivered) / honest_quality;
            costs.client_loss += (done.bill.as_f64() * shortfall).round() as u64;
        }
    }
}

/// Column index of a detector in per-agent flag counts (score inflation, rapid cycling, perfect
/// streak).
pub fn detector_index(d: Detector) -> usize {
    match d {
        Detector::ScoreInflation => 0,
        Detector::RapidCycling => 1,
        Detector::PerfectStreak => 2,
    }
}

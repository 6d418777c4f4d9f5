//! Event handlers of the market world: dispatch and wiring only. Each handler reads the
//! state, asks the behaviour of `agents` (what agents and clients decide) and the rules of
//! `market` (what the market does), applies the result, and calls the [`Checker`] at its named
//! points; no invariant logic, behaviour or market rule lives here.
//!
//! [`Checker`]: super::checker::Checker

use super::{
    ArrivalAttributes, DagJob, EarlyArrival, Event, Invitations, Job, JobExtra, JobSpec,
    RecordSlots, World,
};
use crate::agents::behaviour::{self, AskContext};
use crate::agents::delivery::{self, Rater};
use crate::agents::review::{self, Verdict};
use crate::agents::{Ask, Kind, Strategy, wash};
use crate::engine::{EventQueue, Key, KeyedRng, MAX_SECONDS, SimTime, Stream, round_u64};
use crate::market::contract::{ContractState, PricingModel};
use crate::market::decompose::{SubtaskSpec, decompose};
use crate::market::marketplace::{
    Action, Completed, ContractEvent, MarketError, Opened, ProposalTerms,
};
use crate::market::routing::{self, Routing};
use crate::market::slab::Lookup;
use crate::market::slab::SlabKey;
use crate::market::staking::SlashCondition;
use crate::market::{AgentId, ClientId, ContractId, Credits, DIMENSIONS};
use crate::metrics::economics::CompletedContract;
use crate::metrics::{KindSample, Sample, concentration};
use crate::prefetch::prefetch;
use crate::receipts::Receipt;
use crate::scenario::PopulationGroup;
use rand::Rng;

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
            per_kind[k].flags += stats.flags.iter().map(|&f| u64::from(f)).sum::<u64>();
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
            self.live_orders.work_buffer(),
        );
        // R, T and true quality sorted once for the ranking measures and the top decile.
        let live = (self.live_orders).measure_live(&self.population.bidders, engine);
        self.recorder.samples.push(Sample {
            time: now,
            counters: self.recorder.counters,
            per_kind,
            concentration: conc,
            ranking: live.ranking,
            tiers: self.tier_sample(),
        });
        self.perf_sample();
        self.recorder.top_decile = live.top_decile;
        self.last_sample = Some(now);
        self.checker().at_sample(now);
    }

    /// Ends the run: a last sample and the end-of-drain invariants.
    pub(super) fn finish(&mut self, end: SimTime) {
        if self.last_sample != Some(end) {
            self.take_sample(end);
        }
        self.checker().at_end(end);
        self.finish_collusion();
    }

    // ----- posting jobs -----------------------------------------------------------------

    pub(super) fn on_job_arrival(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.ordinary_jobs += 1;
        let max_jobs = self.scenario.file().clients.max_jobs;
        let more = max_jobs == 0 || self.ordinary_jobs < max_jobs;
        if more {
            self.schedule_next_arrival(now, queue);
        }
        let arrival = Key::arrival(self.ordinary_jobs);
        let early = (self.next_arrival.take()).filter(|next| next.number == self.ordinary_jobs);
        let (attributes, invitations) = match early {
            Some(next) => (next.attributes, next.invitations),
            None => (self.arrival_attributes(arrival), None),
        };
        let ArrivalAttributes {
            client,
            budget,
            capability,
            model,
            decomposed,
        } = attributes;
        if decomposed {
            self.post_dag(now, client, capability, budget, model, queue);
        } else {
            let job = (client, capability, budget, model);
            self.post_market_job(now, job, None, arrival, invitations, queue);
        }
        if more {
            self.prepare_arrivals(self.ordinary_jobs);
        }
    }

    /// After arrival `n`: resolves arrival n+1's invitations into agents and prefetches their
    /// bidder entries and R, and draws arrival n+2's attributes and pool positions and
    /// prefetches those pool entries. At 10^5 identities and more, the pool entries and then
    /// the entries they name are misses that each arrival would otherwise wait for, one after
    /// the other (issue 15). Anti-concentration routing reads the earnings at the arrival,
    /// so its invitations are not drawn early.
    fn prepare_arrivals(&mut self, n: u64) {
        let next = match (self.arrival_after.take()).filter(|a| a.number == n + 1) {
            Some(next) => next,
            None => self.pick_arrival(n + 1),
        };
        self.next_arrival = Some(self.resolve_arrival(next));
        self.arrival_after = Some(self.pick_arrival(n + 2));
    }

    /// Arrival `number`'s attributes and, for a market job under uniform routing, the pool
    /// positions of its first picks, whose pool entries are prefetched.
    fn pick_arrival(&mut self, number: u64) -> EarlyArrival {
        let arrival = Key::arrival(number);
        let attributes = self.arrival_attributes(arrival);
        let uniform = self.scenario.file().market.anti_concentration == 0.0;
        let invitations = (!attributes.decomposed && uniform).then(|| {
            let mut bids = self.streams.keyed(Stream::Bids, arrival);
            let pool = &self.population.pools[attributes.capability as usize];
            let k = self.scenario.file().clients.proposals_per_job as usize;
            let mut positions = std::mem::take(&mut self.positions);
            routing::pick_positions(pool.len(), k, &mut bids, &mut positions);
            for &p in &positions {
                prefetch(&pool[p as usize]);
            }
            Box::new(Invitations {
                bids,
                positions,
                invited: Vec::new(),
                pools_version: self.population.pools_version(),
            })
        });
        EarlyArrival {
            number,
            attributes,
            invitations,
        }
    }

    /// Turns `arrival`'s picked positions into agents and prefetches their bidder entries and
    /// R; drops its invitations if the pools changed since they were picked.
    fn resolve_arrival(&mut self, mut arrival: EarlyArrival) -> EarlyArrival {
        let version = self.population.pools_version();
        arrival.invitations = (arrival.invitations.take())
            .filter(|i| i.pools_version == version)
            .map(|mut i| {
                let pool = &self.population.pools[arrival.attributes.capability as usize];
                let k = self.scenario.file().clients.proposals_per_job as usize;
                i.invited = std::mem::take(&mut self.invited);
                routing::invite_picked(pool, k, &i.positions, &mut i.bids, &mut i.invited);
                for &a in &i.invited {
                    prefetch(&self.population.bidders[a.index()]);
                    self.market.reputation().touch_signals(a);
                }
                i
            });
        arrival
    }

    /// Draws a market job's invitations from its bids stream into `invited` (up to
    /// `proposals_per_job` distinct active agents with the capability) and returns the
    /// stream, from which its asks are drawn next.
    fn invite(&self, capability: u32, draws: Key, invited: &mut Vec<AgentId>) -> KeyedRng {
        let k = self.scenario.file().clients.proposals_per_job as usize;
        let mut bids = self.streams.keyed(Stream::Bids, draws);
        let pool = &self.population.pools[capability as usize];
        let routing = Routing {
            alpha: self.scenario.file().market.anti_concentration,
            mean_payout: self.operator_payouts as f64 / self.population.identities.len() as f64,
        };
        let earnings = |a: AgentId| self.recorder.agents[a.index()].earnings;
        routing::invite(pool, k, routing, earnings, &mut bids, invited);
        bids
    }

    /// What arrival `arrival` posts: its client, budget, capability, pricing model and whether
    /// it is decomposed, from its own keyed stream (so the same in every run of the seed).
    pub(super) fn arrival_attributes(&self, arrival: Key) -> ArrivalAttributes {
        let file = self.scenario.file();
        let clients = &file.clients;
        let rng = &mut self.streams.keyed(Stream::JobAttributes, arrival);
        let client = ClientId(rng.random_range(0..self.honest_clients));
        let budget = self.config.clients.budget.sample(rng);
        let budget = Credits(round_u64(budget).max(1));
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
        let decomposed =
            file.decomposition.share > 0.0 && rng.random_bool(file.decomposition.share);
        ArrivalAttributes {
            client,
            budget,
            capability,
            model,
            decomposed,
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
                self.checker().dag_refused(now, e);
                return;
            }
        }
        let dag = match decompose(&specs) {
            Ok(dag) => dag,
            Err(e) => {
                self.checker().dag_refused(now, e);
                return;
            }
        };
        let levels = dag.levels();
        self.checker().dag_levels(now, &dag, &levels, n);
        let budgets: Vec<Credits> = (0..n).map(|i| dag.credits(i)).collect();
        let awards = self.clear_dag(self.ordinary_jobs, capability, &budgets, &levels);
        let key = self.dags.insert(DagJob {
            arrival: self.ordinary_jobs,
            client,
            capability,
            model,
            levels,
            budgets,
            level: 0,
            outstanding: 0,
            awards,
            matched: 0,
        });
        self.post_dag_level(now, key, queue);
    }

    fn post_dag_level(&mut self, now: SimTime, key: SlabKey, queue: &mut EventQueue<Event>) {
        let dag = self.dags.get_mut(key).expect("live DAG job");
        if dag.level >= dag.levels.len() {
            let done = self.dags.remove(key).expect("live DAG job");
            self.dag_finished(&done);
            return;
        }
        let nodes = dag.levels[dag.level].clone();
        dag.outstanding = nodes.len();
        let (client, capability, model) = (dag.client, dag.capability, dag.model);
        let arrival = dag.arrival;
        for node in nodes {
            if self.config.bundles.is_some() {
                self.award_subtask(now, key, node, queue);
                continue;
            }
            let budget = self.dags.get(key).expect("live").budgets[node];
            let draws = Key::subtask(arrival, node);
            let job = (client, capability, budget, model);
            self.post_market_job(now, job, Some(key), draws, None, queue);
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

    /// Posts a market job `(client, capability, budget, pricing model)` whose draws are keyed
    /// by `draws`, with its invitations if they were drawn early.
    fn post_market_job(
        &mut self,
        now: SimTime,
        (client, capability, budget, model): (ClientId, u32, Credits, PricingModel),
        parent: Option<SlabKey>,
        draws: Key,
        invitations: Option<Box<Invitations>>,
        queue: &mut EventQueue<Event>,
    ) {
        let clients = &self.scenario.file().clients;
        let deadline = now + clients.deadline;
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
        let pools_version = self.population.pools_version();
        let mut drawn = match invitations {
            Some(early) if early.pools_version == pools_version => early,
            _ => {
                let mut invited = std::mem::take(&mut self.invited);
                Box::new(Invitations {
                    bids: self.invite(capability, draws, &mut invited),
                    positions: Vec::new(),
                    invited,
                    pools_version,
                })
            }
        };
        let Invitations { bids, invited, .. } = &mut *drawn;
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
                bids,
            );
            if self.submit(now, job, agent, ask, queue)
                || self.cover_bids(now, job, agent, ask, invited, queue)
            {
                break; // continuous market matched
            }
        }
        self.invited = std::mem::take(invited);
        self.positions = std::mem::take(&mut drawn.positions);
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
        let group = self.scenario.file().population[self.population.group(agent)].clone();
        let draws = Key::wash(agent.index() as u64, now);
        let mut rng = self.streams.keyed(Stream::Wash, draws);
        let (client, worker) = match identity.ring() {
            // A ring member's client hires another member of its ring.
            Some(ring) => {
                let members = &self.population.rings[ring as usize];
                let active = |m: AgentId| self.population.get(m).active;
                let Some(worker) = wash::ring_worker(agent, members, active, &mut rng) else {
                    return;
                };
                (
                    identity
                        .colluding_client()
                        .expect("ring members have a client"),
                    worker,
                )
            }
            None => (
                identity
                    .colluding_client()
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
            &self.config.groups[self.population.group(worker)],
            nominal,
            &mut rng,
        );
        let mut rating = behaviour::wash_rating(
            worker_identity.kind,
            &self.config.groups[self.population.group(agent)],
        );
        let mut capability = worker_identity.capabilities.trailing_zeros();
        let mut worker = worker;
        let honest = |a: AgentId| {
            self.population.bidders[a.index()].kind == Kind::Honest && self.market.can_bid(a)
        };
        let group = &self.config.groups[self.population.group(agent)];
        let pools = &self.population.pools;
        if let Some(victim) = wash::badmouthing_victim(&identity, group, pools, honest, &mut rng) {
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
                wash: Some(rating),
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
    pub(super) fn open_job(&mut self, now: SimTime, spec: JobSpec) -> SlabKey {
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
        let extra = match wash {
            Some(rating) => Some(JobExtra::Wash(rating)),
            None => self
                .perf_requirements(budget, capabilities, key)
                .map(JobExtra::Perf),
        };
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
            extra: extra.map(Box::new),
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
    pub(super) fn submit(
        &mut self,
        now: SimTime,
        job: SlabKey,
        agent: AgentId,
        ask: Ask,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let Some(ask) = self.perf_admit(job, agent, ask) else {
            return false; // refused by the performance market's requirements
        };
        let j = self.jobs.get(job).expect("live job");
        let terms = ProposalTerms {
            agent,
            price: ask.price,
            duration: ask.duration,
            confidence: ask.confidence,
            model: j.model,
        };
        let task = j.task;
        self.observe_bid(now, job, agent, ask.price);
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
            let task = j.task.0.slot;
            queue.schedule(
                now + self.scenario.file().market.bidding_window,
                Event::WindowClose { job, task },
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
        if self.read_ahead {
            self.prefetch_bidders(j.task);
        }
        let continuous = routing::continuous_choice(self.market.book(), j.task);
        let cleared = match j.perf() {
            Some(req) => self.market.clear_performance(j.task, req, now),
            None => self.market.clear(j.task, j.model, now),
        };
        match cleared {
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
    pub(super) fn demand_failed(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
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

    pub(super) fn contract_opened(
        &mut self,
        now: SimTime,
        job: SlabKey,
        opened: Opened,
        queue: &mut EventQueue<Event>,
    ) {
        self.recorder.counters.matched += 1;
        if let Some(parent) = self.jobs.get(job).and_then(|j| j.parent) {
            self.dag_subtask_matched(parent);
        }
        self.checker().after_opening(now, &opened);
        self.emit(now, || Receipt::Open {
            contract: opened.contract,
            task: opened.task,
            client: opened.client,
            agent: opened.agent,
            price: opened.price,
            hold: opened.hold,
        });
        self.recorder.agents[opened.agent.index()].won(opened.price);
        self.record_tier_win(opened.agent, opened.price);
        let camouflage = self
            .jobs
            .get(job)
            .is_some_and(|j| self.camouflage_defects(opened.agent, j.high_value));
        let identity = self.population.get(opened.agent);
        let group = &self.config.groups[self.population.group(opened.agent)];
        let j = self.jobs.get_mut(job).expect("live job");
        j.contract = Some(opened.contract);
        j.agent = opened.agent;
        j.price = opened.price;
        j.started_at = now;
        let rng = &mut self.streams.keyed(Stream::Work, j.key);
        if j.wash().is_some() {
            j.work_seconds = j.nominal;
            j.delivered = identity.latent;
        } else {
            let reputation = self.market.reputation().reputation(opened.agent);
            j.defect =
                behaviour::defects(identity, group, j.high_value, reputation, now) || camouflage;
            j.delivered = behaviour::delivered_quality(identity, group, j.defect, rng);
            let clients = &self.config.clients;
            j.work_seconds = delivery::work_seconds(identity.kind, group, clients, j.nominal, rng);
        }
        if j.perf().is_some() {
            j.work_seconds = super::performance::latency(&group.performance, &self.streams, j.key);
        }
        let delivery = now + j.work_seconds.max(1);
        let slots = self.record_slots(opened.contract);
        queue.schedule(delivery, Event::Delivered { job, slots });
        self.checker().after_client_change(now, opened.client);
    }

    pub(super) fn on_delivered(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        let contract = j.contract.expect("delivered jobs have a contract");
        let (wash, agent) = (j.wash().is_some(), j.agent);
        let mut rng = self.streams.keyed(Stream::ReviewDelay, j.key);
        let from = self.contract_state(contract);
        #[cfg(feature = "fault-injection")]
        let skip = self.market.fault() == Some(crate::market::fault::Fault::ForbiddenTransition);
        #[cfg(not(feature = "fault-injection"))]
        let skip = false;
        if !skip {
            let result = self.market.deliver(contract);
            if self.checker().transition(
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
        let delay = delivery::review_delay(wash, &self.config.clients, &mut rng);
        let slots = self.record_slots(contract);
        queue.schedule(now + delay, Event::Reviewed { job, agent, slots });
    }

    pub(super) fn on_reviewed(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        if j.wash().is_some() {
            return self.complete(now, job, queue);
        }
        if j.perf().is_some() {
            return match self.perf_review(now, job) {
                true => self.complete(now, job, queue),
                false => self.cancel(now, job, queue),
            };
        }
        let key = j.key;
        let mut rng = self.streams.keyed(Stream::Dispute, key);
        match review::review(&self.config.clients, j.observed_mean(), &mut rng) {
            Verdict::Dispute => {
                let contract = j.contract.expect("contract");
                let from = self.contract_state(contract);
                let result = self.market.dispute(contract);
                if self.checker().transition(
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
                let delay = round_u64(delay).min(MAX_SECONDS);
                queue.schedule(now + delay, Event::DisputeResolved(job));
            }
            Verdict::Cancel => self.cancel(now, job, queue),
            Verdict::Accept => self.complete(now, job, queue),
        }
    }

    pub(super) fn on_dispute_resolved(
        &mut self,
        now: SimTime,
        job: SlabKey,
        queue: &mut EventQueue<Event>,
    ) {
        let j = self.jobs.get(job).expect("live job");
        let mut rng = self.streams.keyed(Stream::Upheld, j.key);
        let upheld = review::dispute_upheld(&self.config.clients, j.observed_mean(), &mut rng);
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
        self.checker()
            .transition(now, contract, "cancel", from, to, result.map(|_| ()));
        self.checker().after_settlements(now, contract, settled);
        self.checker().after_client_change(now, j.client);
        self.redeliver(now, j.key, ContractEvent::cancel(contract));
        if let Some(parent) = j.parent {
            self.subtask_ended(now, parent, queue);
        }
        self.camouflage_whitewash(now, &j);
    }

    fn complete(&mut self, now: SimTime, job: SlabKey, queue: &mut EventQueue<Event>) {
        let j = self.jobs.remove(job).expect("live job");
        let contract = j.contract.expect("contract");
        let bidder = self.population.bidder(j.agent);
        let self_report = j.wash().is_none() && bidder.kind == Kind::Gaming(Strategy::SelfReport);
        let mut rng = self.streams.keyed(Stream::Rating, j.key);
        let rater = match j.wash() {
            Some(&rating) => Rater::Colluder(rating),
            // A self-reporting gamer's own report is what gets recorded.
            None if self_report => Rater::SelfReport(&self.config.groups[bidder.group as usize]),
            None => Rater::Client,
        };
        let quality =
            delivery::recorded_quality(&j.delivered, rater, &self.config.clients, &mut rng);
        let usage = delivery::usage(j.work_seconds, &mut rng);
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
        self.checker().after_settlements(now, contract, settled);
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
        self.checker()
            .transition(now, contract, "complete", from, to, result.map(|_| ()));
        self.checker().after_client_change(now, j.client);
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
        self.checker().after_completion(now, j.budget, &done);
        let (split, rec) = (done.split, done.recording);
        self.recorder.counters.paid_out +=
            split.operator().0 + split.platform().0 + split.llm_reserve().0;
        self.record_costs(j, &done);
        self.recorder.agents[j.agent.index()].completed(split.operator(), rec.flags, now);
        self.operator_payouts += split.operator().0;
        if !rec.flags.is_empty() {
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
            let bond = self.scenario.file().staking.initial_stake;
            self.checker().after_slash(now, agent, bond);
        }
    }

    /// The state of a live contract, if it is live.
    fn contract_state(&self, contract: ContractId) -> Option<ContractState> {
        match self.market.contracts().get(contract) {
            Lookup::Live(c) => Some(c.state()),
            _ => None,
        }
    }

    /// Where `contract`'s records are, for the events that carry them (a read-ahead hint:
    /// a contract that is not live points the escrow hint past every slot).
    fn record_slots(&self, contract: ContractId) -> RecordSlots {
        let escrow = match self.market.contracts().get(contract) {
            Lookup::Live(c) => c.escrow().0.slot,
            _ => u32::MAX,
        };
        RecordSlots {
            contract: contract.0.slot,
            escrow,
        }
    }
}

impl World {
    // ----- measures (issue 11) ------------------------------------------------------------

    /// Hands a completed contract's costs to the recorder ([`Recorder::record_costs`]).
    ///
    /// [`Recorder::record_costs`]: crate::metrics::Recorder::record_costs
    fn record_costs(&mut self, j: &Job, done: &Completed) {
        let split = done.split;
        let group = self.population.group(j.agent);
        let delivered = self
            .market
            .reputation()
            .weights()
            .dot(&crate::market::QualityVector::clamped(j.delivered));
        let contract = CompletedContract {
            agent: j.agent,
            client: j.client,
            wash: j.wash().is_some(),
            defect: j.defect,
            budget: j.budget,
            bill: done.bill,
            fees: split.platform().0 + split.llm_reserve().0,
            delivered,
            cost_factor: self.config.groups[group].cost_factor,
        };
        self.recorder.record_costs(&self.population, &contract);
    }
}

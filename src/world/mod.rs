//! The simulated marketplace: the market core driven by the event engine, with the synthetic
//! population acting on it and the recorder watching.
//!
//! A market job's life, in events (times in simulated seconds):
//!
//! ```text
//! JobArrival ─post demand, invite bidders─▶ (continuous: match on arrival)
//!            └──────────────▶ WindowClose (call / auctions)      ─▶ contract opened, escrow held
//!            └──────────────▶ DemandExpiry (no match by deadline) ─▶ demand cancelled
//! contract opened ─work─▶ Delivered (active → review) ─review─▶ Reviewed
//!      Reviewed ─▶ completed (release, split, reputation) | cancelled (refund)
//!               └▶ disputed ─▶ DisputeResolved ─▶ completed | cancelled
//! ```
//!
//! Wash jobs (gaming agents, sybils, rings) take the same path, but their demand is posted by
//! a colluding client and only the colluding agent bids. After the horizon no new job is
//! posted and the queue drains: every contract reaches a terminal state, so no escrow is left
//! held.
//!
//! The world is dispatch and wiring only: `handlers` (one handler per event, plus the steps
//! they share), `setup` (building the world and scheduling its first events), `whitewash`
//! (carrying out an owner's decision to abandon an identity) and `checker` (every invariant
//! checked while a run goes, called at named points). What agents and clients decide lives in
//! `agents`, market rules in `market` (e.g. `market::routing`), measures in `metrics`, and
//! receipts in `receipts`.

mod checker;
mod collusion;
mod combinatorial;
mod duplicates;
mod handlers;
mod performance;
mod setup;
mod tiers;
mod whitewash;

#[cfg(feature = "fault-injection")]
pub use setup::{FAULT_ENV, injected_fault};

use crate::agents::{ClientConfig, GroupConfig, Population, Rating};
use crate::engine::{EventQueue, Key, KeyedRng, Model, SimTime, Streams};
use crate::market::contract::PricingModel;
use crate::market::marketplace::Marketplace;
use crate::market::slab::{Slab, SlabKey};
use crate::market::{AgentId, ClientId, ContractId, Credits, DIMENSIONS, TaskId};
pub use crate::metrics::Outcome;
use crate::metrics::Recorder;
use crate::prefetch::prefetch;
use crate::receipts::{Receipt, ReceiptSink};
use crate::scenario::Scenario;

/// Events of the market world (a closed set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Take a timeseries sample.
    Sample,
    /// The next ordinary job arrives (a Poisson chain).
    JobArrival,
    /// `agent`'s colluders post their next wash job (a Poisson chain per agent).
    WashJob {
        /// The colluding agent.
        agent: AgentId,
    },
    /// The bidding window of a job closes (call market and auctions).
    WindowClose {
        /// The job.
        job: SlabKey,
        /// Its task's order-book slot (a read-ahead hint: [`World::prefetch_records`]).
        task: u32,
    },
    /// An unmatched demand reaches its deadline (continuous market).
    DemandExpiry(SlabKey),
    /// The agent delivers: active → review.
    Delivered {
        /// The job.
        job: SlabKey,
        /// Where its contract and escrow are.
        slots: RecordSlots,
    },
    /// The client reviews the delivery of `job`, worked by `agent` (carried, like the slots,
    /// so that its records can be read ahead: [`World::prefetch_records`]).
    Reviewed {
        /// The job.
        job: SlabKey,
        /// Its winner.
        agent: AgentId,
        /// Where its contract and escrow are.
        slots: RecordSlots,
    },
    /// A dispute is resolved.
    DisputeResolved(SlabKey),
}

/// Identities from which the world reads ahead (`World::prefetch_records` and the stages
/// after it; issue 15). Below, a run's records stay in this machine's 2 MiB L2 and L3, and
/// the read-ahead only costs instructions: +4% CPU at 10^4 identities, against −30% or more
/// at 10^5 and 10^6 (docs/performance.md, changes 8–14). It changes no output (tested).
const READ_AHEAD_IDENTITIES: usize = 30_000;

/// The slab slots of a job's contract and escrow records, carried by the events that read
/// them so that [`World::prefetch_records`] prefetches them without first reading the job (which would
/// make a chain of two misses; issue 15). Hints only: the handlers take the ids from the job,
/// and a prefetch needs no generation, so 32-bit slots keep an event at 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSlots {
    /// The contract's slot.
    pub contract: u32,
    /// The escrow record's slot.
    pub escrow: u32,
}

impl Event {
    /// The job the event is about, if any.
    fn job(self) -> Option<SlabKey> {
        match self {
            Event::WindowClose { job, .. }
            | Event::DemandExpiry(job)
            | Event::Delivered { job, .. }
            | Event::Reviewed { job, .. }
            | Event::DisputeResolved(job) => Some(job),
            Event::Sample | Event::JobArrival | Event::WashJob { .. } => None,
        }
    }
}

/// An in-flight job (one demand), kept only until it ends.
///
/// `repr(C)` keeps the declared order (issue 15): first what every event after the match
/// reads (contract, agent, the task and client the read-ahead follows, the pricing model and
/// flags that fill the gap before the draws key, the wash or performance extra, delivered
/// quality: the first 104 bytes, next to the slab's generation), then what posting,
/// clearing and completion read once.
#[derive(Debug, Clone)]
#[repr(C)]
struct Job {
    contract: Option<ContractId>,
    agent: AgentId,
    task: TaskId,
    client: ClientId,
    model: PricingModel,
    high_value: bool,
    defect: bool,
    /// Whose random numbers this job's draws use (`engine::streams`).
    key: Key,
    /// What only wash jobs and performance-market jobs carry (boxed: most jobs carry
    /// neither, so only a pointer stays in every job; issue 15).
    extra: Option<Box<JobExtra>>,
    delivered: [f64; DIMENSIONS],
    posted_at: SimTime,
    budget: Credits,
    /// The accepted price (the paper's literal rule releases exactly this, SPEC §8).
    price: Credits,
    started_at: SimTime,
    work_seconds: u64,
    nominal: u64,
    /// The decomposed job this is a subtask of.
    parent: Option<SlabKey>,
}

/// What a [`Job`] carries only sometimes.
#[derive(Debug, Clone)]
enum JobExtra {
    /// A wash job: how the colluder rates.
    Wash(Rating),
    /// A job's requirements in a performance market (SPEC §7, seed 004; never a wash job's).
    Perf(crate::market::performance::TaskRequirements),
}

impl Job {
    /// For a wash job: how the colluder rates.
    fn wash(&self) -> Option<&Rating> {
        match self.extra.as_deref() {
            Some(JobExtra::Wash(rating)) => Some(rating),
            _ => None,
        }
    }

    /// Its requirements in a performance market; `None` otherwise and for wash jobs.
    fn perf(&self) -> Option<&crate::market::performance::TaskRequirements> {
        match self.extra.as_deref() {
            Some(JobExtra::Perf(requirements)) => Some(requirements),
            _ => None,
        }
    }

    /// Mean of the delivered quality over the dimensions: what a client disputes on.
    fn observed_mean(&self) -> f64 {
        self.delivered.iter().sum::<f64>() / DIMENSIONS as f64
    }
}

/// What a new job is: everything [`World::open_job`] needs to post its demand.
#[derive(Debug, Clone, Copy)]
struct JobSpec {
    client: ClientId,
    capabilities: u64,
    budget: Credits,
    deadline: SimTime,
    model: PricingModel,
    nominal: u64,
    high_value: bool,
    /// For wash jobs: how the colluder rates (only the colluding agent is invited).
    wash: Option<Rating>,
    parent: Option<SlabKey>,
    key: Key,
}

/// What an ordinary arrival posts (drawn by [`World::arrival_attributes`]).
#[derive(Debug, Clone, Copy)]
struct ArrivalAttributes {
    client: ClientId,
    budget: Credits,
    capability: u32,
    model: PricingModel,
    /// Posted as a DAG of subtasks (SPEC §5) rather than one market job.
    decomposed: bool,
}

/// An ordinary arrival drawn early ([`World::prepare_arrivals`]): what it posts and, for a
/// market job under uniform routing, its invitations: their pool positions drawn two
/// arrivals ahead, the agents they name one arrival ahead. Its draws come from its own keyed
/// streams, so drawing them early changes no number; the invitations also read the
/// capability pools, so they are used only if the pools have not changed since.
struct EarlyArrival {
    /// Its number (as `World::ordinary_jobs` when it is handled).
    number: u64,
    attributes: ArrivalAttributes,
    /// Boxed: the early arrival moves between stages, and its generator is 120 bytes.
    invitations: Option<Box<Invitations>>,
}

/// A market job's invitations, drawn before its arrival.
struct Invitations {
    /// The job's bids stream after the draws so far: the asks are drawn from it last.
    bids: KeyedRng,
    /// Pool positions of its first picks.
    positions: Vec<u32>,
    /// The agents they name, once resolved (empty before).
    invited: Vec<AgentId>,
    /// [`Population::pools_version`] when the positions were drawn.
    pools_version: u64,
}

/// A decomposed job, matched level by level (SPEC §5).
#[derive(Debug, Clone)]
struct DagJob {
    /// The arrival number that posted it (keys its subtasks' draws).
    arrival: u64,
    client: ClientId,
    capability: u32,
    model: PricingModel,
    levels: Vec<Vec<usize>>,
    budgets: Vec<Credits>,
    level: usize,
    outstanding: usize,
    /// Combinatorial clearing: each subtask's award, decided at posting (empty under the
    /// sequential rule).
    awards: Vec<Option<combinatorial::SubtaskAward>>,
    /// Subtasks matched to a contract so far.
    matched: usize,
}

/// The clients' and groups' configs, built once per run by the scenario layer.
struct Configs {
    /// The demand side's.
    clients: ClientConfig,
    /// Each population group's, by group index.
    groups: Vec<GroupConfig>,
    /// Bundle bidding, under combinatorial clearing of decomposed jobs.
    bundles: Option<crate::agents::config::BundleConfig>,
}

/// The market world: market core, population, randomness, jobs in flight and observations.
pub struct World {
    scenario: Scenario,
    market: Marketplace,
    population: Population,
    streams: Streams,
    jobs: Slab<Job>,
    dags: Slab<DagJob>,
    /// Ordinary (honest) clients: `ClientId(0) .. ClientId(honest_clients)`.
    honest_clients: u32,
    recorder: Recorder,
    /// Ordinary jobs posted so far (for `clients.max_jobs`).
    ordinary_jobs: u64,
    /// Operator payouts so far, all identities (for anti-concentration routing).
    operator_payouts: u64,
    /// Exact (fractional) simulated time of the latest ordinary arrival: gaps are summed
    /// unrounded, so rounding to whole seconds cannot bias the Poisson rate.
    arrival_clock: f64,
    /// The live identities' scores sorted at each sample (buffers reused across samples;
    /// the payouts' concentration sorts in its work buffer too).
    live_orders: crate::metrics::ranking::LiveOrders,
    /// Agents invited to the job being posted (reused: no allocation per job).
    invited: Vec<AgentId>,
    /// Bidder entry and R of each invited agent (reused).
    invitees: Vec<(crate::agents::Bidder, f64)>,
    /// Whether the read-ahead runs ([`READ_AHEAD_IDENTITIES`]).
    read_ahead: bool,
    /// The next ordinary arrival, drawn one arrival early so that its invitees' records are
    /// prefetched meanwhile (issue 15).
    next_arrival: Option<EarlyArrival>,
    /// The arrival after it, its invitations' pool positions drawn.
    arrival_after: Option<EarlyArrival>,
    /// Pool positions drawn early (reused).
    positions: Vec<u32>,
    /// Budget from which a job counts as high-value (reputation farmers defect on those).
    high_value_threshold: f64,
    /// The clients' and groups' configs (constants and distributions).
    config: Configs,
    last_sample: Option<SimTime>,
    /// Where receipts go, when `--events` asked for them.
    receipts: Option<Box<dyn ReceiptSink>>,
    /// Bid-stream collusion detectors and cover bidding.
    collusion: collusion::Collusion,
}

impl World {
    /// Hands a receipt to the sink, if receipts are on (the receipt is only built then).
    #[inline]
    fn emit(&mut self, now: SimTime, receipt: impl FnOnce() -> Receipt) {
        if let Some(sink) = self.receipts.as_mut() {
            sink.emit(now, &receipt());
        }
    }
}

impl World {
    /// Read-ahead, first stage (issue 15): prefetches what `event` will read at addresses
    /// known from the event alone: the first line of its job, the records whose slots it
    /// carries (task, contract, escrow) and, for a review (which usually completes the
    /// contract), the winner's statistics, bidder entry and reputation state. Issued two
    /// events ahead, so that the second stage finds the job in cache.
    #[inline]
    fn prefetch_records(&self, event: Event) {
        let Some(job) = event.job() else { return };
        self.jobs.touch(job.slot);
        match event {
            Event::WindowClose { task, .. } => self.market.book().touch(task),
            Event::Delivered { slots, .. } => self.market.contracts().touch(slots.contract),
            Event::Reviewed { agent, slots, .. } => {
                self.market.contracts().touch(slots.contract);
                self.market.ledger().touch(slots.escrow);
                let a = agent.index();
                // Completion adds to its earnings and costs, which an 88-byte record can
                // spread over two lines.
                let stats = &self.recorder.agents[a];
                prefetch(&stats.earnings);
                prefetch(&stats.costs.client_loss);
                prefetch(&self.population.bidders[a]);
                self.market.reputation().touch(agent);
            }
            _ => {}
        }
    }

    /// Read-ahead, second stage, one event ahead: reads the job (whose first line the first
    /// stage prefetched) and prefetches its other lines and what it points to: the clearing's
    /// proposals, the paying client's account. Reads only: nothing here changes the run.
    #[inline]
    fn prefetch_links(&self, event: Event) {
        let Some(j) = event.job().and_then(|job| self.jobs.get(job)) else {
            return;
        };
        // The job's later lines (176 bytes span three or four lines).
        prefetch(&j.delivered[2]);
        prefetch(&j.posted_at);
        prefetch(&j.parent);
        match event {
            Event::WindowClose { .. } => self.market.book().touch_proposals(j.task),
            Event::Reviewed { .. } | Event::DisputeResolved(_) => {
                self.market.ledger().touch_account(j.client);
            }
            _ => {}
        }
    }

    /// Read-ahead, third stage, at the window's close: prefetches what clearing and opening a
    /// contract read of each bidder (its signals, statistics and identity), from the
    /// proposals the second stage brought into cache, so that the winner's misses overlap
    /// with the clearing instead of following it.
    #[inline]
    fn prefetch_bidders(&self, task: TaskId) {
        for p in self.market.book().proposals(task).unwrap_or_default() {
            let a = p.agent();
            prefetch(&self.recorder.agents[a.index()]);
            // Its kind and latent quality, which the opening reads if it wins (defection,
            // delivered quality) and an 88-byte record can spread over two lines.
            let identity = &self.population.identities[a.index()];
            prefetch(&identity.kind);
            prefetch(&identity.latent[0]);
            prefetch(&identity.latent[DIMENSIONS - 1]);
            self.market.reputation().touch_signals(a);
        }
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        if self.read_ahead {
            let [next, after] = queue.ahead();
            if let Some(&next) = next {
                // Again, in case it was not visible two events ahead (it opens a new second):
                // a prefetch of lines already in cache costs an instruction or two.
                self.prefetch_records(next);
                self.prefetch_links(next);
            }
            if let Some(&after) = after {
                self.prefetch_records(after);
            }
        }
        match event {
            Event::Sample => self.on_sample(now, queue),
            Event::JobArrival => self.on_job_arrival(now, queue),
            Event::WashJob { agent } => self.on_wash_job(now, agent, queue),
            Event::WindowClose { job, .. } => self.on_window_close(now, job, queue),
            Event::DemandExpiry(job) => self.on_demand_expiry(now, job, queue),
            Event::Delivered { job, .. } => self.on_delivered(now, job, queue),
            Event::Reviewed { job, .. } => self.on_reviewed(now, job, queue),
            Event::DisputeResolved(job) => self.on_dispute_resolved(now, job, queue),
        }
    }
}

/// Runs `scenario` to the end of its drain. `progress` is told the simulated time of every
/// event (for a progress bar); it must not influence the run.
pub fn simulate(scenario: Scenario, progress: impl FnMut(SimTime)) -> Outcome {
    simulate_with_receipts(scenario, None, progress)
}

/// [`simulate`], handing every state change to `receipts` as it happens.
pub fn simulate_with_receipts(
    scenario: Scenario,
    receipts: Option<Box<dyn ReceiptSink>>,
    progress: impl FnMut(SimTime),
) -> Outcome {
    let mut queue = EventQueue::new();
    let mut world = World::new(scenario, receipts, &mut queue);
    let events = crate::engine::run(&mut world, &mut queue, progress);
    let end_time = queue.now();
    world.finish(end_time);
    Outcome {
        scenario: world.scenario,
        market: world.market,
        population: world.population,
        recorder: world.recorder,
        end_time,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::{EventQueue, Scenario, World};
    use std::mem::size_of;
    use std::path::Path;

    /// The read-ahead (issue 15) only prefetches: every scenario with it on records exactly
    /// what it records with it off (compared through `Debug`, which prints every float
    /// exactly). Small runs never turn it on by themselves (`READ_AHEAD_IDENTITIES`).
    #[test]
    fn reading_ahead_changes_no_output() {
        let recorded = |name: &str, read_ahead: bool| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios")
                .join(name);
            let scenario = Scenario::load(&path, &["run.horizon=86400".into()]).unwrap();
            let mut queue = EventQueue::new();
            let mut world = World::new(scenario, None, &mut queue);
            world.read_ahead = read_ahead;
            crate::engine::run(&mut world, &mut queue, |_| {});
            world.finish(queue.now());
            assert!(
                world.recorder.counters.completed > 100,
                "{name}: a real run"
            );
            format!("{:?}", world.recorder)
        };
        for name in [
            "gaming-mix.toml",
            "sybil-whitewash.toml",
            "decomposition.toml",
        ] {
            assert_eq!(recorded(name, true), recorded(name, false), "{name}");
        }
    }

    /// Issue 15: the records a job's path reads stay as small as the layout work left them
    /// (a job within 160 bytes, an identity within 88, a packed bidder entry 16, an event 24,
    /// an identity's statistics 88, a contract 64, an escrow record 24 with its slab tag):
    /// growing one is a choice to make knowingly, with the memory per identity in view.
    #[test]
    fn hot_records_keep_their_sizes() {
        assert!(
            size_of::<super::Job>() <= 160,
            "{}",
            size_of::<super::Job>()
        );
        assert!(size_of::<crate::agents::Identity>() <= 88);
        assert_eq!(size_of::<crate::agents::Bidder>(), 16);
        assert!(size_of::<crate::metrics::AgentStats>() <= 88);
        assert!(size_of::<super::Event>() <= 24);
        assert!(size_of::<crate::market::contract::Contract>() <= 64);
        assert!(size_of::<Option<crate::market::escrow::EscrowRecord>>() <= 24);
    }
}

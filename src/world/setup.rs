//! Building a world from a scenario: market, clients, population and the first events.

use super::{Configs, Event, World};
use crate::agents::population::{capability_mask, latent_quality};
use crate::agents::{Arrivals, Collusion, Identity, Kind, Population};
use crate::engine::{EventQueue, Key, MAX_SECONDS, SimTime, Stream, Streams, round_u64};
#[cfg(feature = "fault-injection")]
use crate::market::marketplace::MarketConfig;
use crate::market::marketplace::Marketplace;
use crate::market::slab::Slab;
use crate::market::{AgentId, ClientId, Credits, OwnerId, QualityVector};
use crate::metrics::{AgentStats, Recorder};
use crate::receipts::{Receipt, ReceiptSink};
use crate::scenario::{GamingStrategy, PopulationGroup, Scenario};

impl World {
    /// Builds the world and schedules its first events.
    pub(super) fn new(
        scenario: Scenario,
        receipts: Option<Box<dyn ReceiptSink>>,
        queue: &mut EventQueue<Event>,
    ) -> Self {
        let file = scenario.file().clone();
        let config = scenario.market_config();
        #[cfg(feature = "fault-injection")]
        let config = MarketConfig {
            fault: injected_fault().unwrap_or_else(|e| panic!("{e}")),
            ..config
        };
        let market = Marketplace::new(config);
        let mut world = World {
            market,
            population: Population::with_capabilities(file.clients.capabilities as usize),
            streams: Streams::new(scenario.seed()),
            jobs: Slab::new(),
            dags: Slab::new(),
            honest_clients: file.clients.count,
            recorder: Recorder {
                kinds: scenario.kinds(),
                ..Recorder::default()
            },
            ordinary_jobs: 0,
            operator_payouts: 0,
            arrival_clock: 0.0,
            live_orders: Default::default(),
            invited: Vec::new(),
            invitees: Vec::new(),
            read_ahead: false,
            next_arrival: None,
            arrival_after: None,
            positions: Vec::new(),
            config: Configs {
                clients: scenario.client_config(),
                groups: scenario.group_configs(),
                bundles: scenario.bundle_config(),
            },
            high_value_threshold: high_value_threshold(&scenario),
            last_sample: None,
            receipts,
            collusion: super::collusion::Collusion::new(&file),
            scenario,
        };
        let balance = Credits(file.clients.initial_balance);
        for _ in 0..file.clients.count {
            world.open_client(balance);
        }
        for (group_index, group) in file.population.iter().enumerate() {
            world.add_group(group_index, group, queue);
        }
        queue.schedule(0, Event::Sample);
        world.schedule_next_arrival(0, queue);
        world.read_ahead = world.population.identities.len() >= super::READ_AHEAD_IDENTITIES;
        world
    }

    fn add_group(&mut self, group: usize, spec: &PopulationGroup, queue: &mut EventQueue<Event>) {
        let balance = Credits(self.scenario.file().clients.initial_balance);
        match spec {
            PopulationGroup::Honest(g) => {
                for _ in 0..g.count {
                    let owner = self.new_owner();
                    let agent = self.add_identity(owner, Kind::Honest, group, Collusion::None, 0);
                    self.prime_history(
                        agent,
                        g.prior_reputation.unwrap_or(g.quality_mean),
                        g.prior_jobs,
                    );
                }
            }
            PopulationGroup::Gaming(g) => {
                for _ in 0..g.count {
                    let owner = self.new_owner();
                    // Self-reporting gamers need no colluding client.
                    let colluder = (g.strategy != GamingStrategy::SelfReport)
                        .then(|| self.open_client(balance));
                    let kind = spec.kind();
                    let agent = self.add_identity(owner, kind, group, colluder.into(), 0);
                    if g.strategy.uses_wash_jobs() {
                        self.schedule_wash(agent, 0, queue);
                    }
                }
            }
            PopulationGroup::Sybil(g) => {
                let independent = g.independent.unwrap_or(false);
                for _ in 0..g.owners {
                    let mut owner = self.new_owner();
                    let mut colluder = g.collude.then(|| self.open_client(balance));
                    for i in 0..g.identities_per_owner {
                        // Independent sybils: every identity its own owner (and colluder).
                        if independent && i > 0 {
                            owner = self.new_owner();
                            colluder = g.collude.then(|| self.open_client(balance));
                        }
                        let agent =
                            self.add_identity(owner, Kind::Sybil, group, colluder.into(), 0);
                        if g.collude {
                            self.schedule_wash(agent, 0, queue);
                        }
                    }
                }
            }
            PopulationGroup::Ring(g) => {
                for _ in 0..g.rings {
                    let ring = self.population.rings.len() as u32;
                    self.population.rings.push(Vec::new());
                    for _ in 0..g.size {
                        let owner = self.new_owner();
                        let client = self.open_client(balance);
                        let collusion = Collusion::Ring { ring, client };
                        let agent = self.add_identity(owner, Kind::Ring, group, collusion, 0);
                        self.population.rings[ring as usize].push(agent);
                        self.schedule_wash(agent, 0, queue);
                    }
                }
            }
        }
    }

    fn open_client(&mut self, initial: Credits) -> ClientId {
        let client = self.market.open_client(initial);
        self.emit(0, || Receipt::Client { client, initial });
        client
    }

    /// Gives `agent` `jobs` prior recordings whose weighted mean is exactly `r` under uniform
    /// weights: dimensions alternate r ± 0.05, so the history has real variance (no score
    /// inflation flag) and no perfect streak.
    fn prime_history(&mut self, agent: AgentId, r: f64, jobs: u32) {
        let spread = 0.05;
        let q = QualityVector::clamped(std::array::from_fn(|d| {
            if d % 2 == 0 { r + spread } else { r - spread }
        }));
        for _ in 0..jobs {
            self.market
                .record_prior(agent, q)
                .expect("registered agent, valid vector");
            self.emit(0, || Receipt::Prior { agent, quality: q });
        }
    }

    fn new_owner(&mut self) -> OwnerId {
        let owner = OwnerId(self.population.owners);
        self.population.owners += 1;
        owner
    }

    /// Registers a new identity of `group` with the market and the population.
    pub(super) fn add_identity(
        &mut self,
        owner: OwnerId,
        kind: Kind,
        group: usize,
        collusion: Collusion,
        now: SimTime,
    ) -> AgentId {
        let id = self.market.register_agent();
        let rng = &mut self
            .streams
            .keyed(Stream::Identity, Key::identity(id.index() as u64, 0));
        let capabilities = capability_mask(self.scenario.file().clients.capabilities, rng);
        let latent = latent_quality(&self.config.groups[group], rng);
        let weights = self.market.reputation().weights();
        self.population.push(
            Identity {
                id,
                owner,
                kind,
                latent,
                capabilities,
                collusion,
                active: true,
                created_at: now,
            },
            u32::try_from(group).expect("fewer than 2^32 groups"),
            weights,
        );
        let mut stats = AgentStats::default();
        stats.costs.identity = self.config.groups[group].identity_cost;
        self.recorder.agents.push(stats);
        self.emit(now, || Receipt::Agent {
            agent: id,
            owner: owner.0,
            kind: kind.label(),
        });
        id
    }

    pub(super) fn schedule_next_arrival(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let at = match &self.config.clients.arrivals {
            Arrivals::Gaps(gaps) => {
                let gap = gaps.sample(self.streams.arrivals());
                // Rounding each gap would bias the rate once gaps are under a second
                // (E[round(gap)] ≪ E[gap]); rounding the running sum does not. `now` is the
                // rounded previous arrival.
                self.arrival_clock += gap;
                round_u64(self.arrival_clock).max(now)
            }
            // The next post time of the trace (`ordinary_jobs` have been posted).
            Arrivals::Trace(times) => match times.get(self.ordinary_jobs as usize) {
                Some(t) => round_u64(*t).max(now),
                None => return,
            },
        };
        if at < self.scenario.file().run.horizon {
            queue.schedule(at, Event::JobArrival);
        }
    }

    pub(super) fn schedule_wash(
        &mut self,
        agent: AgentId,
        now: SimTime,
        queue: &mut EventQueue<Event>,
    ) {
        let identity = self.population.get(agent);
        if !identity.active {
            return;
        }
        let Some(interval) = &self.config.groups[self.population.group(agent)].wash_interval else {
            return;
        };
        let gap = interval.sample(&mut self.streams.keyed(
            Stream::WashSchedule,
            Key::identity(agent.index() as u64, now),
        ));
        // At least 1 s later: the draw is keyed by (agent, now), so a second wash at the same
        // time would draw the same gap again, forever.
        let at = now + round_u64(gap).clamp(1, MAX_SECONDS);
        if at < self.scenario.file().run.horizon {
            queue.schedule(at, Event::WashJob { agent });
        }
    }
}

/// Budget from which a job counts as high-value: the first gaming group's
/// `high_value_factor` × the typical budget; never without a gaming group.
fn high_value_threshold(scenario: &Scenario) -> f64 {
    let typical = scenario.typical_budget();
    scenario
        .file()
        .population
        .iter()
        .find_map(|g| match g {
            PopulationGroup::Gaming(g) => Some(g.high_value_factor * typical),
            _ => None,
        })
        .unwrap_or(f64::INFINITY)
}

/// Environment variable naming the deliberate bug to run with (`fault-injection` builds only;
/// see `market::fault`).
#[cfg(feature = "fault-injection")]
pub const FAULT_ENV: &str = "MARKETSIM_FAULT";

/// The fault named by [`FAULT_ENV`], if set and non-empty; an error names the unknown value.
#[cfg(feature = "fault-injection")]
pub fn injected_fault() -> Result<Option<crate::market::fault::Fault>, String> {
    use crate::market::fault::Fault;
    match std::env::var(FAULT_ENV) {
        Ok(name) if !name.is_empty() => Fault::from_name(&name).map(Some).ok_or_else(|| {
            let known: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
            format!(
                "{FAULT_ENV}={name}: unknown fault; known: {}",
                known.join(", ")
            )
        }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{HonestGroup, PopulationGroup, Scenario, ScenarioFile};

    /// The scenario layer's memory estimate uses per-item sizes; the real types must fit them.
    #[test]
    fn memory_estimate_sizes_cover_the_real_types() {
        use crate::agents::{Bidder, Identity, Kind};
        use crate::metrics::{AgentStats, KindSample, Sample};
        use crate::scenario::limits::{IDENTITY_BYTES, SAMPLE_BYTES};
        use std::mem::size_of;
        // Reputation state (88 bytes) and R/T cache (16), up to three pool entries.
        let identity =
            size_of::<Identity>() + size_of::<Bidder>() + size_of::<AgentStats>() + 104 + 12;
        assert!(
            identity as u64 <= IDENTITY_BYTES,
            "{identity} bytes per identity"
        );
        let sample = size_of::<Sample>() + Kind::ALL.len() * size_of::<KindSample>();
        assert!(sample as u64 <= SAMPLE_BYTES, "{sample} bytes per sample");
    }

    /// Ten arrivals per simulated second for an hour: the Poisson rate holds even though each
    /// gap is far below the one-second resolution (rounding every gap would post ~15x more).
    #[test]
    fn sub_second_arrival_gaps_keep_the_poisson_rate() {
        let mut file = ScenarioFile::default();
        file.run.horizon = 3_600;
        file.clients.jobs_per_hour = 36_000.0;
        file.population = vec![PopulationGroup::Honest(HonestGroup {
            count: 50,
            ..HonestGroup::default()
        })];
        let scenario = Scenario::from_file(file, std::path::Path::new("<test>")).expect("valid");
        let posted = crate::world::simulate(scenario, |_| {})
            .recorder
            .counters
            .posted;
        // Poisson(36 000): σ ≈ 190, so ±2% is over 3σ.
        assert!(
            (35_280..=36_720).contains(&posted),
            "{posted} jobs posted for 36 000 expected"
        );
    }
}

//! Building a world from a scenario: market, clients, population and the first events.

use super::{Draws, Event, World};
use crate::agents::population::{capability_mask, latent_quality};
use crate::agents::{Identity, Kind, Population};
use crate::engine::{EventQueue, SimTime, Streams};
use crate::market::marketplace::{MarketConfig, Marketplace};
use crate::market::slab::Slab;
use crate::market::{AgentId, ClientId, Credits, OwnerId, QualityVector};
use crate::metrics::{AgentStats, Recorder};
use crate::scenario::{PopulationGroup, Scenario};
use crate::world::receipts::{Receipt, ReceiptSink};
use rand_distr::{Distribution, Exp, LogNormal};

impl World {
    /// Builds the world and schedules its first events.
    pub(super) fn new(
        scenario: Scenario,
        receipts: Option<Box<dyn ReceiptSink>>,
        queue: &mut EventQueue<Event>,
    ) -> Self {
        let file = scenario.file().clone();
        let config = MarketConfig::from_scenario(&file);
        #[cfg(feature = "fault-injection")]
        let config = MarketConfig {
            fault: injected_fault().unwrap_or_else(|e| panic!("{e}")),
            ..config
        };
        let market = Marketplace::new(config);
        let mut world = World {
            market,
            population: Population {
                pools: vec![Vec::new(); file.clients.capabilities as usize],
                ..Population::default()
            },
            streams: Streams::new(scenario.seed()),
            jobs: Slab::new(),
            dags: Slab::new(),
            honest_clients: file.clients.count,
            recorder: Recorder {
                kinds: Population::kinds_in(&file),
                ..Recorder::default()
            },
            ordinary_jobs: 0,
            operator_payouts: 0,
            arrival_clock: 0.0,
            scratch: Vec::new(),
            invited: Vec::new(),
            invitees: Vec::new(),
            draws: Draws::new(&file),
            high_value_threshold: high_value_threshold(&file),
            last_sample: None,
            receipts,
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
        world
    }

    fn add_group(&mut self, group: usize, spec: &PopulationGroup, queue: &mut EventQueue<Event>) {
        let balance = Credits(self.scenario.file().clients.initial_balance);
        match spec {
            PopulationGroup::Honest(g) => {
                for _ in 0..g.count {
                    let owner = self.new_owner();
                    let agent = self.add_identity(
                        owner,
                        Kind::Honest,
                        group,
                        g.quality_mean,
                        g.quality_spread,
                        None,
                        None,
                        0,
                    );
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
                    let colluder = self.open_client(balance);
                    let agent = self.add_identity(
                        owner,
                        Kind::Gaming(g.strategy),
                        group,
                        g.quality_mean,
                        0.05,
                        Some(colluder),
                        None,
                        0,
                    );
                    if g.strategy.uses_wash_jobs() {
                        self.schedule_wash(agent, 0, queue);
                    }
                }
            }
            PopulationGroup::Sybil(g) => {
                for _ in 0..g.owners {
                    let owner = self.new_owner();
                    let colluder = g.collude.then(|| self.open_client(balance));
                    for _ in 0..g.identities_per_owner {
                        let agent = self.add_identity(
                            owner,
                            Kind::Sybil,
                            group,
                            g.quality_mean,
                            0.05,
                            colluder,
                            None,
                            0,
                        );
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
                        let agent = self.add_identity(
                            owner,
                            Kind::Ring,
                            group,
                            g.quality_mean,
                            0.05,
                            Some(client),
                            Some(ring),
                            0,
                        );
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

    /// Registers a new identity with the market and the population.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_identity(
        &mut self,
        owner: OwnerId,
        kind: Kind,
        group: usize,
        quality_mean: f64,
        spread: f64,
        colluding_client: Option<ClientId>,
        ring: Option<u32>,
        now: SimTime,
    ) -> AgentId {
        let capabilities = capability_mask(
            self.scenario.file().clients.capabilities,
            &mut self.streams.population,
        );
        let latent = latent_quality(quality_mean, spread, &mut self.streams.population);
        let id = self.market.register_agent();
        let weights = self.market.reputation().weights();
        self.population.push(
            Identity {
                id,
                owner,
                kind,
                group,
                latent,
                capabilities,
                colluding_client,
                ring,
                active: true,
                created_at: now,
            },
            weights,
        );
        self.recorder.agents.push(AgentStats::default());
        self.emit(now, || Receipt::Agent {
            agent: id,
            owner: owner.0,
            kind: kind.label(),
        });
        id
    }

    pub(super) fn schedule_next_arrival(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let gap = self.draws.arrival.sample(&mut self.streams.jobs);
        // Rounding each gap would bias the rate once gaps are under a second (E[round(gap)]
        // ≪ E[gap]); rounding the running sum does not. `now` is the rounded previous arrival.
        self.arrival_clock += gap;
        let at = (self.arrival_clock.round() as u64).max(now);
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
        let rate_per_hour = match &self.scenario.file().population[identity.group] {
            PopulationGroup::Gaming(g) => g.wash_jobs_per_hour,
            PopulationGroup::Sybil(g) => g.wash_jobs_per_hour,
            PopulationGroup::Ring(g) => g.wash_jobs_per_hour,
            PopulationGroup::Honest(_) => return,
        };
        let gap = Exp::new(rate_per_hour / 3_600.0)
            .expect("validated rate")
            .sample(&mut self.streams.adversaries);
        let at = now + gap.round() as u64;
        if at < self.scenario.file().run.horizon {
            queue.schedule(at, Event::WashJob { agent });
        }
    }
}

/// Budget from which a job counts as high-value: the first gaming group's
/// `high_value_factor` × the median budget; never without a gaming group.
fn high_value_threshold(file: &crate::scenario::ScenarioFile) -> f64 {
    let median = file.clients.budget_median as f64;
    file.population
        .iter()
        .find_map(|g| match g {
            PopulationGroup::Gaming(g) => Some(g.high_value_factor * median),
            _ => None,
        })
        .unwrap_or(f64::INFINITY)
}

impl Draws {
    /// The distributions of `file`, built once per run (the same values each draw used to
    /// rebuild: bit-identical samples).
    fn new(file: &crate::scenario::ScenarioFile) -> Self {
        let clients = &file.clients;
        Self {
            arrival: Exp::new(clients.jobs_per_hour / 3_600.0).expect("validated rate"),
            budget: LogNormal::new((clients.budget_median as f64).ln(), clients.budget_sigma)
                .expect("validated"),
            review: Exp::new(1.0 / clients.review_seconds.max(1) as f64).expect("positive"),
            dispute: Exp::new(1.0 / clients.dispute_seconds.max(1) as f64).expect("positive"),
        }
    }
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

//! What a scenario will cost before it runs (issue 16): an estimate of peak memory and of the
//! number of events, so that a scenario that cannot fit is refused with the key to change, and
//! one that will take very long is announced.
//!
//! The memory estimate counts what grows with the scenario: identities (population record,
//! packed bidder, reputation state and cache, statistics, pool entries), client accounts,
//! timeseries samples, jobs in flight (arrival rate × how long a job lives) and the collusion
//! detectors' pair records (which grow with the run, not the population). It is an
//! estimate, within a small factor; it leaves out identities created later by whitewashing.

use super::{GamingStrategy, PopulationGroup, Problem, Scenario, ScenarioFile};

/// Largest estimated peak memory a run may need: 16 GiB, two thirds of the 24 GiB machine
/// this project runs on, leaving room for the system and the output writers.
pub const MEMORY_LIMIT: u64 = 16 << 30;

/// Event count above which `marketsim run` warns that a run will take very long (around ten
/// minutes or more at a few million events per second).
pub const HUGE_WORK: f64 = 2e9;

/// Per identity: its record (88 bytes), packed bidder entry (16), statistics (88), reputation
/// state (88), R/T cache (16), pool entries and the sample's buffers (36): measured ≈ 350
/// bytes per identity alone (docs/performance.md). A world test checks the real sizes fit.
pub const IDENTITY_BYTES: u64 = 400;
/// Per client account: ledger balances and bookkeeping.
pub const CLIENT_BYTES: u64 = 96;
/// Per timeseries sample: counters, concentration and one aggregate per kind (with the
/// performance market's counters and calibrations). A world test checks the real size fits.
pub const SAMPLE_BYTES: u64 = 1_536;
/// Per job in flight: demand, proposals, contract, escrow and the world's record.
pub const JOB_BYTES: u64 = 512;
/// Per pair record of the collusion detectors: its running statistics (64 bytes), its index
/// entry and both tables' growth slack. Measured: a week of 10^5 honest identities with
/// `[collusion]` on peaked at ≈ 106 bytes per pair (3.6 GB for 3.4·10^7 pairs).
pub const PAIR_BYTES: u64 = 110;

/// The most reputation recordings one identity may get: the reputation engine counts them in
/// 32 bits (its running state at 104 bytes, issue 15).
pub const MAX_RECORDINGS: f64 = u32::MAX as f64;

/// What a run of a scenario is expected to need.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Peak memory, bytes, by part: `(what, the key that drives it, bytes)`.
    pub memory: Vec<(String, String, u64)>,
    /// Events handled (job postings and their lifecycle, wash jobs, prior recordings).
    pub events: f64,
    /// The key that drives the event count.
    pub events_key: String,
    /// A bound on any one identity's reputation recordings: every job of the run (ordinary
    /// and wash) plus the largest `prior_jobs`.
    pub recordings: f64,
}

impl Estimate {
    /// Total peak memory, bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.memory
            .iter()
            .fold(0u64, |sum, (_, _, b)| sum.saturating_add(*b))
    }

    /// A warning when the work is huge.
    pub fn warning(&self) -> Option<String> {
        (self.events > HUGE_WORK).then(|| {
            format!(
                "this scenario is estimated at {:.1e} events, which will take a long time \
                 (lower `{}` to shorten it)",
                self.events, self.events_key
            )
        })
    }
}

/// Identities of a group when the run starts.
fn identities(group: &PopulationGroup) -> u64 {
    match group {
        PopulationGroup::Honest(g) => g.count.into(),
        PopulationGroup::Gaming(g) => g.count.into(),
        PopulationGroup::Sybil(g) => u64::from(g.owners) * u64::from(g.identities_per_owner),
        PopulationGroup::Ring(g) => u64::from(g.rings) * u64::from(g.size),
    }
}

/// The key that sets a group's size.
fn size_key(i: usize, group: &PopulationGroup) -> String {
    let name = match group {
        PopulationGroup::Honest(_) | PopulationGroup::Gaming(_) => "count",
        PopulationGroup::Sybil(_) => "owners",
        PopulationGroup::Ring(_) => "rings",
    };
    format!("population[{i}].{name}")
}

/// Colluding client accounts a group opens.
pub(super) fn colluding_clients(group: &PopulationGroup) -> u64 {
    match group {
        PopulationGroup::Honest(_) => 0,
        PopulationGroup::Gaming(g) if g.strategy == GamingStrategy::SelfReport => 0,
        PopulationGroup::Gaming(g) => g.count.into(),
        PopulationGroup::Sybil(g) if !g.collude => 0,
        PopulationGroup::Sybil(g) if g.independent == Some(true) => identities(group),
        PopulationGroup::Sybil(g) => g.owners.into(),
        PopulationGroup::Ring(_) => identities(group),
    }
}

impl Scenario {
    /// The cost estimate of a run of this scenario.
    pub fn estimate(&self) -> Estimate {
        let wash_gaps: Vec<Option<(f64, &'static str)>> = self
            .file()
            .population
            .iter()
            .map(|group| self.mean_wash_gap(group))
            .collect();
        estimate(self.file(), self.mean_gap(), &wash_gaps)
    }

    /// Mean seconds between one agent's wash jobs, and the key that sets it; `None` when the
    /// group posts none.
    fn mean_wash_gap(&self, group: &PopulationGroup) -> Option<(f64, &'static str)> {
        let (interval, per_hour) = match group {
            PopulationGroup::Gaming(g) if g.strategy.uses_wash_jobs() => {
                (&g.wash_interval, g.wash_jobs_per_hour)
            }
            PopulationGroup::Sybil(g) if g.collude => (&g.wash_interval, g.wash_jobs_per_hour),
            PopulationGroup::Ring(g) => (&g.wash_interval, g.wash_jobs_per_hour),
            _ => return None,
        };
        Some(match interval {
            Some(spec) => (self.moments(spec).mean, "wash_interval"),
            None => (3_600.0 / per_hour, "wash_jobs_per_hour"),
        })
    }

    /// Mean seconds between ordinary postings (infinite with an empty trace).
    fn mean_gap(&self) -> f64 {
        let c = &self.file().clients;
        if let Some(times) = self.arrival_trace() {
            return self.file().run.horizon as f64 / times.len().max(1) as f64;
        }
        match &c.interarrival {
            Some(spec) => self.moments(spec).mean,
            None => 3_600.0 / c.jobs_per_hour,
        }
    }
}

/// The estimate from the file's values, the mean gap between ordinary postings and, per group,
/// the mean gap between one agent's wash jobs (seconds).
fn estimate(f: &ScenarioFile, mean_gap: f64, wash_gaps: &[Option<(f64, &str)>]) -> Estimate {
    let mut memory = Vec::new();
    for (i, group) in f.population.iter().enumerate() {
        memory.push((
            format!("identities of population[{i}]"),
            size_key(i, group),
            identities(group).saturating_mul(IDENTITY_BYTES),
        ));
    }
    let colluders: u64 = f.population.iter().map(colluding_clients).sum();
    memory.push((
        "client accounts".into(),
        "clients.count".into(),
        (u64::from(f.clients.count) + colluders).saturating_mul(CLIENT_BYTES),
    ));
    let horizon = f.run.horizon as f64;
    let samples = horizon / f.run.sample_interval.max(1) as f64 + 2.0;
    memory.push((
        "timeseries samples".into(),
        "run.horizon".into(),
        to_bytes(samples * SAMPLE_BYTES as f64),
    ));
    // Ordinary jobs posted, and how many are alive at once: a job lives until matched or
    // expired, then works, is reviewed and may be disputed.
    let c = &f.clients;
    let mut jobs = if mean_gap > 0.0 {
        horizon / mean_gap
    } else {
        f64::INFINITY
    };
    if f.clients.max_jobs > 0 {
        jobs = jobs.min(f.clients.max_jobs as f64);
    }
    let lifetime = (c.deadline.min(f.market.bidding_window.max(1)) as f64)
        + 7_200.0
        + c.review_seconds as f64
        + c.dispute_seconds as f64 * c.p_dispute;
    let in_flight = if mean_gap > 0.0 {
        (lifetime / mean_gap).min(jobs)
    } else {
        f64::INFINITY
    };
    memory.push((
        "jobs in flight".into(),
        if c.interarrival.is_some() {
            "clients.interarrival".into()
        } else {
            "clients.jobs_per_hour".into()
        },
        to_bytes(in_flight * JOB_BYTES as f64),
    ));
    if let Some(collusion) = &f.collusion {
        // Without a pair memory the records of every job's pairs are kept; with one M, only
        // those of the jobs of the last 2M seconds (`market::collusion`).
        let remembered = collusion.pair_memory.map(|m| 2.0 * m as f64 / mean_gap);
        let (held, key) = match remembered {
            Some(r) if r < jobs => (r, "collusion.pair_memory"),
            _ if f.clients.max_jobs > 0 && jobs == f.clients.max_jobs as f64 => {
                (jobs, "clients.max_jobs")
            }
            _ => (jobs, "run.horizon"),
        };
        memory.push((
            "the collusion detectors' pair records".into(),
            key.into(),
            to_bytes(collusion_pairs(f, held) * PAIR_BYTES as f64),
        ));
    }
    let events_per_job = 6.0 + f64::from(c.proposals_per_job.min(1_000));
    let mut events = jobs * events_per_job;
    let (mut all_jobs, mut most_prior) = (jobs, 0.0f64);
    let mut events_key = "run.horizon".to_string();
    for (i, (group, wash_gap)) in f.population.iter().zip(wash_gaps).enumerate() {
        let n = identities(group) as f64;
        if let Some((gap, key)) = wash_gap {
            // A wash job lives for its work (about an hour at most) and a review of seconds.
            let per_second = if *gap > 0.0 { n / gap } else { f64::INFINITY };
            memory.push((
                format!("wash jobs in flight of population[{i}]"),
                format!("population[{i}].{key}"),
                to_bytes((per_second * 7_200.0).min(per_second * horizon) * JOB_BYTES as f64),
            ));
            all_jobs += per_second * horizon;
            let wash = per_second * horizon * 6.0;
            if wash > events {
                events_key = format!("population[{i}].{key}");
            }
            events += wash;
        }
        if let PopulationGroup::Honest(g) = group {
            most_prior = most_prior.max(f64::from(g.prior_jobs));
            let prior = n * f64::from(g.prior_jobs);
            if prior > events {
                events_key = format!("population[{i}].prior_jobs");
            }
            events += prior;
        }
    }
    Estimate {
        memory,
        events,
        events_key,
        recordings: all_jobs + most_prior,
    }
}

/// The pair records the collusion detectors hold for `jobs` ordinary jobs: they keep one for
/// every pair of identities that co-bid (`market::collusion`), and every pair of a job's
/// bidders co-bids (the world submits a job's bids at once). Bidders per job: the invitations
/// plus the cover bids a covering group adds when one of its identities is invited. With a
/// large pool nearly every pair is new, so the records grow with the run, up to every pair of
/// identities. (Wash jobs have one bidder: no pair.)
fn collusion_pairs(f: &ScenarioFile, jobs: f64) -> f64 {
    let n: f64 = f.population.iter().map(|g| identities(g) as f64).sum();
    let invited = f64::from(f.clients.proposals_per_job.min(1_000));
    let cover: f64 = (f.population.iter())
        .map(|g| {
            let share = identities(g) as f64 / n.max(1.0);
            (invited * share).min(1.0) * f64::from(g.cover().map_or(0, |c| c.bidders))
        })
        .sum();
    let bidders = invited + cover;
    (jobs * bidders * (bidders - 1.0) / 2.0).min(n * (n - 1.0) / 2.0)
}

fn to_bytes(x: f64) -> u64 {
    if x.is_finite() { x as u64 } else { u64::MAX }
}

/// The refusal when the estimate does not fit [`MEMORY_LIMIT`], naming the key that drives
/// the largest part, with its value.
pub(super) fn memory_problem(f: &ScenarioFile, estimate: &Estimate) -> Option<Problem> {
    let total = estimate.memory_bytes();
    if total <= MEMORY_LIMIT {
        return None;
    }
    let (what, key, bytes) = estimate
        .memory
        .iter()
        .max_by_key(|(_, _, b)| *b)
        .expect("parts");
    Some(Problem {
        key: key.clone(),
        value: format!(
            "{} (estimated peak memory {}, of which {} for {what})",
            value_at(f, key),
            gib(total),
            gib(*bytes)
        ),
        allowed: format!(
            "a scenario whose estimated peak memory fits in {} (change `{key}`)",
            gib(MEMORY_LIMIT)
        ),
    })
}

/// The refusal when one identity could be recorded more than [`MAX_RECORDINGS`] times, naming
/// the key that drives the number of jobs. (Such a run is far beyond [`HUGE_WORK`]: it is
/// refused before it starts rather than stopped by the engine's overflow check hours in.)
pub(super) fn recordings_problem(f: &ScenarioFile, estimate: &Estimate) -> Option<Problem> {
    let key = &estimate.events_key;
    (estimate.recordings > MAX_RECORDINGS).then(|| Problem {
        key: key.clone(),
        value: format!(
            "{} (estimated {:.1e} jobs and prior recordings, so one identity could be recorded \
             more than {} times)",
            value_at(f, key),
            estimate.recordings,
            u32::MAX
        ),
        allowed: format!(
            "a scenario with at most {} jobs and prior recordings in all (change `{key}`)",
            u32::MAX
        ),
    })
}

/// The value of `key` (`a.b` or `population[N].c`) in `f`, as TOML.
fn value_at(f: &ScenarioFile, key: &str) -> String {
    let mut v = toml::Value::try_from(f).expect("a scenario serialises");
    for segment in key.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let next = v.get(name).cloned();
        v = match (next, index) {
            (Some(x), Some(i)) => x.get(i).cloned().unwrap_or(toml::Value::from("?")),
            (Some(x), None) => x,
            (None, _) => return "(default)".into(),
        };
    }
    v.to_string()
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

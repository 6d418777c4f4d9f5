//! Issue 11's measures on whole runs: attacker economics add up against the ledger and the
//! staking book, and the new output files and columns agree with the older ones.

mod common;
use marketsim::agents::Kind;
use marketsim::metrics::economics;
use marketsim::metrics::{Outcome, detection};
use marketsim::scenario::Scenario;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn run(file: &str, overrides: &[&str]) -> Outcome {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let scenario = Scenario::load(&path, &overrides).expect("valid scenario");
    marketsim::world::simulate(scenario, |_| {})
}

/// Sybils that collude (wash jobs), whitewash, pay for identities and are slashed.
const SYBIL_SHORT: [&str; 11] = [
    "run.horizon=172800",
    "clients.count=200",
    "clients.jobs_per_hour=60",
    "population[0].count=60",
    "population[1].owners=3",
    "population[1].identities_per_owner=4",
    "population[1].collude=true",
    "population[1].wash_jobs_per_hour=2",
    "population[1].identity_cost=75",
    // Colluding sybils keep a high trust; this threshold makes them whitewash all the same.
    "population[1].whitewash_trust=0.6",
    "staking.enabled=true",
];

fn with_set<'a>(overrides: &[&'a str]) -> Vec<&'a str> {
    overrides.iter().flat_map(|o| ["--set", o]).collect()
}

#[test]
fn attacker_profit_adds_up_against_ledger_and_stakes() {
    let o = run("scenarios/sybil-whitewash.toml", &SYBIL_SHORT);
    let rec = &o.recorder;
    let ledger = o.market.ledger();
    // Revenue (operator payouts) plus the platform's shares is everything escrow released.
    let revenue: u64 = rec.agents.iter().map(|a| a.earnings).sum();
    assert!(revenue > 0);
    assert_eq!(revenue + rec.platform_fees, ledger.totals().distributed.0);
    // Wash fees are exactly what the colluding clients' accounts released.
    let colluders: BTreeSet<_> = o
        .population
        .identities
        .iter()
        .filter_map(|i| i.colluding_client())
        .collect();
    let released: u64 = colluders
        .iter()
        .map(|&c| ledger.released(c).unwrap().0)
        .sum();
    let wash: u64 = rec.agents.iter().map(|a| a.costs.wash_fees).sum();
    assert!(wash > 0, "the scenario must exercise wash jobs");
    assert_eq!(wash, released);
    // Stake lost is what the staking book slashed into its pool.
    let lost: u64 = rec.agents.iter().map(|a| a.costs.stake_lost).sum();
    let pool = o
        .market
        .stakes()
        .expect("staking on")
        .totals()
        .slashed_pool
        .0;
    assert_eq!(lost, pool);
    // Identity cost: 75 per sybil identity ever created (registrations and whitewashes).
    let sybils = o
        .population
        .identities
        .iter()
        .filter(|i| i.kind == Kind::Sybil)
        .count() as u64;
    assert!(sybils > 12, "some sybil whitewashed");
    assert_eq!(sybils, 12 + rec.counters.whitewashes);
    let per_type = economics::per_type(&o);
    let sybil = per_type.iter().find(|(k, _)| *k == Kind::Sybil).unwrap().1;
    assert_eq!(sybil.costs.identity, 75 * sybils);
    // Per type and per owner partition the same identities: the sums agree, and net profit is
    // revenue − costs in exact integers.
    let owners = economics::per_owner(&o);
    let work: u64 = rec.agents.iter().map(|a| a.costs.work).sum();
    let identity: u64 = rec.agents.iter().map(|a| a.costs.identity).sum();
    let net = i128::from(revenue)
        - i128::from(work)
        - i128::from(wash)
        - i128::from(lost)
        - i128::from(identity);
    let type_net: i128 = per_type.iter().map(|(_, e)| e.net_profit()).sum();
    let owner_net: i128 = owners.iter().map(|(_, _, e)| e.net_profit()).sum();
    assert_eq!((type_net, owner_net), (net, net));
    let type_revenue: u64 = per_type.iter().map(|(_, e)| e.revenue).sum();
    assert_eq!(type_revenue, revenue);
    let honest = per_type.iter().find(|(k, _)| *k == Kind::Honest).unwrap().1;
    // Clients lose to low-quality sybils, not (on average) to honest agents.
    assert!(
        sybil.costs.client_loss * honest.value_won > honest.costs.client_loss * sybil.value_won
    );
}

#[test]
fn identity_cost_defaults_to_zero_and_changes_nothing_else() {
    let mut absent = SYBIL_SHORT;
    absent[8] = "population[0].count=60"; // a repeat, in place of `identity_cost`
    let base = run("scenarios/sybil-whitewash.toml", &absent);
    let mut zero = SYBIL_SHORT;
    zero[8] = "population[1].identity_cost=0";
    let zero = run("scenarios/sybil-whitewash.toml", &zero);
    assert_eq!(base.recorder.agents, zero.recorder.agents);
    assert!(base.recorder.agents.iter().all(|a| a.costs.identity == 0));
    // A positive cost is charged and changes nothing but the identity cost.
    let priced = run("scenarios/sybil-whitewash.toml", &SYBIL_SHORT);
    let strip = |o: &Outcome| -> Vec<_> {
        o.recorder
            .agents
            .iter()
            .map(|a| {
                let mut a = a.clone();
                a.costs.identity = 0;
                a
            })
            .collect()
    };
    assert_eq!(strip(&priced), strip(&base));
    assert!(
        priced
            .recorder
            .agents
            .iter()
            .any(|a| a.costs.identity == 75)
    );
}

#[test]
fn suspicion_separates_perfect_streakers_from_honest_agents() {
    let o = run(
        "scenarios/gaming-mix.toml",
        &["run.horizon=172800", "clients.jobs_per_hour=100"],
    );
    let rocs = detection::rocs(&o);
    let auc = |kind: &str, stat: &str| {
        rocs.iter()
            .find(|r| r.kind.label() == kind && r.statistic.name() == stat)
            .unwrap()
            .roc
            .auc
    };
    // Perfect streakers and score inflaters are what the detectors are built for.
    assert!(auc("perfect_streak", "suspicion") > 0.9);
    assert!(auc("score_inflation", "score_variance") > 0.9);
    for steps in detection::time_to_flag(&o).iter().map(|(_, s)| s) {
        assert!(steps.windows(2).all(|w| w[0].survival >= w[1].survival));
    }
}

#[test]
fn run_writes_detection_and_economics_and_new_columns_agree_with_old_ones() {
    let root = common::scratch("run");
    let dir = root.join("run");
    let mut args = vec!["run", "scenarios/sybil-whitewash.toml", "--out"];
    let out = dir.to_string_lossy().into_owned();
    args.push(&out);
    let sets = with_set(&SYBIL_SHORT);
    args.extend(sets.iter());
    let status = Command::new(env!("CARGO_BIN_EXE_marketsim"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let read = |name: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = csv::Reader::from_path(dir.join(name)).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let col = |h: &[String], name: &str| h.iter().position(|c| c == name).unwrap();
    // Σ value_won per type at the last sample = Σ value_won of agents.csv.
    let (th, trows) = read("timeseries.csv");
    let last = trows.last().unwrap();
    let ts_value: u64 = ["honest", "sybil"]
        .iter()
        .map(|t| {
            last[col(&th, &format!("value_won_{t}"))]
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    let (ah, arows) = read("agents.csv");
    let agents_value: u64 = arows
        .iter()
        .map(|r| r[col(&ah, "value_won")].parse::<u64>().unwrap())
        .sum();
    assert_eq!(ts_value, agents_value);
    // economics.csv's type rows agree with agents.csv's earnings.
    let (eh, erows) = read("economics.csv");
    let revenue: u64 = erows
        .iter()
        .filter(|r| r[0] == "type")
        .map(|r| r[col(&eh, "revenue")].parse::<u64>().unwrap())
        .sum();
    let earnings: u64 = arows
        .iter()
        .map(|r| r[col(&ah, "earnings")].parse::<u64>().unwrap())
        .sum();
    assert_eq!(revenue, earnings);
    // detection.csv: an AUC row per (adversary type, statistic), and the summary's AUC of
    // suspicion is the same number.
    let (dh, drows) = read("detection.csv");
    let auc_rows: Vec<_> = drows.iter().filter(|r| r[0] == "auc").collect();
    assert_eq!(auc_rows.len(), detection::Statistic::ALL.len());
    let (sh, srows) = read("summary.csv");
    let suspicion = auc_rows.iter().find(|r| r[2] == "suspicion").unwrap();
    assert_eq!(
        suspicion[col(&dh, "auc")],
        srows[0][col(&sh, "auc_suspicion_sybil")]
    );
    // Floors of adversaries with manufactured scores are empty; the honest one is not.
    assert!(srows[0][col(&sh, "ewma_floor_sybil")].is_empty());
    assert!(!srows[0][col(&sh, "ewma_floor_honest")].is_empty());
    // Honest agents are ranked better than chance by R.
    let tau: f64 = srows[0][col(&sh, "kendall_r_honest")].parse().unwrap();
    assert!(tau > 0.2, "kendall_r_honest {tau}");
}

/// Mean R of the `label` kind's live identities at the sample taken at `time`.
fn mean_r_at(o: &Outcome, label: &str, time: u64) -> f64 {
    let k = o
        .recorder
        .kinds
        .iter()
        .position(|k| k.label() == label)
        .unwrap();
    let sample = o.recorder.samples.iter().find(|s| s.time == time).unwrap();
    sample.per_kind[k].mean_reputation
}

#[test]
fn on_off_reputation_falls_in_cheating_phases_and_recovers_in_honest_ones() {
    // Phases of on-off.toml: honest [0, 86400), cheating [86400, 108000), honest until
    // 194400, cheating until 216000.
    let o = run("scenarios/on-off.toml", &[]);
    let (honest_end, cheat_end) = (
        mean_r_at(&o, "on_off", 86_400),
        mean_r_at(&o, "on_off", 108_000),
    );
    assert!(cheat_end < honest_end - 0.15, "{honest_end} → {cheat_end}");
    let recovered = mean_r_at(&o, "on_off", 194_400);
    assert!(recovered > cheat_end + 0.1, "{cheat_end} → {recovered}");
    assert!(mean_r_at(&o, "on_off", 216_000) < recovered - 0.1);
    // Honest agents never cheat: no such swings.
    let h: Vec<f64> = [86_400, 108_000, 194_400, 216_000]
        .iter()
        .map(|&t| mean_r_at(&o, "honest", t))
        .collect();
    assert!(h.windows(2).all(|w| (w[0] - w[1]).abs() < 0.03), "{h:?}");
}

#[test]
fn detector_aware_gamers_are_never_flagged_over_100_seeds() {
    let (mut recorded, mut careless_flagged) = (0u64, 0u64);
    for seed in 1..=100 {
        let seed = format!("run.seed={seed}");
        let o = run(
            "scenarios/detector-aware.toml",
            &[
                &seed,
                "run.horizon=43200",
                "clients.count=60",
                "clients.jobs_per_hour=40",
                "population[0].count=20",
                "population[1].count=4",
                "population[2].count=2",
            ],
        );
        let engine = o.market.reputation();
        for i in &o.population.identities {
            let stats = &o.recorder.agents[i.id.index()];
            match i.kind.label() {
                "detector_aware" => {
                    assert_eq!(stats.flags, [0, 0, 0], "{seed}: agent {}", i.id);
                    recorded += engine.recordings(i.id);
                }
                "perfect_streak" => careless_flagged += u64::from(stats.first_flag.get().is_some()),
                _ => {}
            }
        }
    }
    // The evaders were exercised (wash recordings), and the same detectors caught careless
    // gamers in the same runs.
    assert!(recorded > 100 * 4 * 5, "{recorded} recordings");
    assert!(
        careless_flagged > 150,
        "{careless_flagged} of 200 perfect streakers flagged"
    );
}

#[test]
fn unfair_raters_push_honest_reputation_down_and_their_partners_up() {
    let share = |s: &str| {
        let set = format!("population[1].badmouth_share={s}");
        run("scenarios/unfair-raters.toml", &["run.horizon=86400", &set])
    };
    let (stuffing, badmouthing) = (share("0"), share("1"));
    let end = |o: &Outcome, label: &str| {
        let k = o
            .recorder
            .kinds
            .iter()
            .position(|k| k.label() == label)
            .unwrap();
        o.recorder.samples.last().unwrap().per_kind[k].mean_reputation
    };
    assert!(
        end(&badmouthing, "honest") < end(&stuffing, "honest") - 0.05,
        "{} vs {}",
        end(&badmouthing, "honest"),
        end(&stuffing, "honest")
    );
    assert!(end(&stuffing, "unfair_rating") > end(&badmouthing, "unfair_rating") + 0.2);
    // Bad-mouthing jobs are paid by the raters and earned by honest agents.
    let paid = |o: &Outcome| {
        economics::per_type(o)
            .into_iter()
            .find(|(k, _)| k.label() == "unfair_rating")
            .unwrap()
            .1
            .costs
            .wash_fees
    };
    assert!(paid(&badmouthing) > 0);
}

#[test]
fn camouflage_gamers_whitewash_only_when_a_high_value_job_comes() {
    let o = run("scenarios/camouflage.toml", &["run.horizon=172800"]);
    let camouflage = |o: &Outcome| {
        o.population
            .identities
            .iter()
            .filter(|i| i.kind.label() == "camouflage")
            .count()
    };
    assert!(o.recorder.counters.whitewashes > 0);
    assert_eq!(camouflage(&o) as u64, 10 + o.recorder.counters.whitewashes);
    // No job reaches a value threshold of 1000 × the median budget: they stay honest.
    let never = run(
        "scenarios/camouflage.toml",
        &["run.horizon=172800", "population[1].high_value_factor=1000"],
    );
    assert_eq!(never.recorder.counters.whitewashes, 0);
    assert_eq!(camouflage(&never), 10);
}

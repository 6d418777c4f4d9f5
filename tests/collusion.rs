//! The bid-stream collusion detectors and cover bidding on whole runs (README "Collusion and
//! shill detection"): the detectors only observe, cover bidding is caught without any rating
//! detector firing, honest agents are not flagged, and the outputs agree with each other.

use marketsim::agents::Kind;
use marketsim::agents::behaviour::{Ask, cover_ask};
use marketsim::agents::config::Cover;
use marketsim::market::Credits;
use marketsim::market::collusion::BidDetector;
use marketsim::metrics::Outcome;
use marketsim::metrics::detection::{self, Statistic};
use marketsim::metrics::summary::{Value, summary};
use marketsim::scenario::Scenario;
use rand::SeedableRng;
use std::path::Path;

fn run(file: &str, overrides: &[&str]) -> Outcome {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let scenario = Scenario::load(&path, &overrides).expect("valid scenario");
    marketsim::world::simulate(scenario, |_| {})
}

fn column(o: &Outcome, name: &str) -> Value {
    summary(o)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
}

/// One simulated day of the shipped scenario.
const DAY: &str = "run.horizon=86400";

#[test]
fn the_detectors_only_observe() {
    // `--set collusion.window=60` adds a `[collusion]` table: detectors on, nothing else.
    let off = run("scenarios/collusion-ring.toml", &[DAY]);
    let on = run(
        "scenarios/collusion-ring.toml",
        &[DAY, "collusion.window=60"],
    );
    assert!(off.recorder.bid_detection.is_none());
    assert!(on.recorder.bid_detection.is_some());
    assert_eq!(off.recorder.agents, on.recorder.agents);
    assert_eq!(off.recorder.counters, on.recorder.counters);
    assert_eq!(off.end_time, on.end_time);
    let names = |o: &Outcome| -> Vec<String> { summary(o).into_iter().map(|c| c.0).collect() };
    let (a, b) = (names(&off), names(&on));
    assert_eq!(a[..], b[..a.len()], "older columns keep their positions");
    assert!(
        b[a.len()..]
            .iter()
            .all(|n| n.contains("synchronised_bids") || n.contains("price_coordination"))
    );
}

#[test]
fn cover_bidders_are_caught_by_the_bid_detectors_only_and_honest_agents_are_not() {
    for seed in ["run.seed=1", "run.seed=2", "run.seed=3"] {
        let o = run("scenarios/collusion-detection.toml", &[DAY, seed]);
        let bids = o.recorder.bid_detection.as_ref().unwrap();
        for i in &o.population.identities {
            let flags = bids.first_flag[i.id.index()];
            // The premise: no rating detector ever fires on this scenario's adversaries.
            assert_eq!(
                o.recorder.agents[i.id.index()].first_flag.get(),
                None,
                "{seed} {:?}",
                i.kind
            );
            match i.kind {
                Kind::Honest => assert_eq!(flags, [None, None], "{seed} honest {}", i.id),
                Kind::Ring => assert!(
                    flags[0].is_some(),
                    "{seed} ring member {} not flagged",
                    i.id
                ),
                _ => {}
            }
        }
        assert_eq!(
            column(&o, "false_positive_rate_honest_synchronised_bids"),
            Value::Float(0.0)
        );
        assert_eq!(
            column(&o, "detection_rate_synchronised_bids_ring"),
            Value::Float(1.0)
        );
        assert_eq!(column(&o, "auc_synchronised_bids_ring"), Value::Float(1.0));
        assert_eq!(column(&o, "detection_rate_ring"), Value::Float(0.0));
    }
}

#[test]
fn detection_outputs_agree_with_the_first_flags() {
    let o = run("scenarios/collusion-detection.toml", &[DAY]);
    let bids = o.recorder.bid_detection.as_ref().unwrap();
    let rocs = detection::rocs(&o);
    for d in BidDetector::ALL {
        assert!(
            rocs.iter()
                .any(|r| r.statistic == Statistic::Bids(d) && r.kind == Kind::Ring)
        );
    }
    for (kind, d, steps) in detection::bid_time_to_flag(&o) {
        let members: Vec<_> = o
            .population
            .identities
            .iter()
            .filter(|i| i.kind == kind)
            .collect();
        let flagged = members
            .iter()
            .filter(|i| bids.first_flag[i.id.index()][d.index()].is_some())
            .count();
        let events: u64 = steps.iter().map(|s| s.events).sum();
        assert_eq!(events as usize, flagged, "{kind:?} {d:?}");
        if kind != Kind::Honest {
            let rate = column(&o, &format!("detection_rate_{}_{}", d.name(), kind.label()));
            assert_eq!(rate, Value::Float(flagged as f64 / members.len() as f64));
        }
        // Every flagged identity has a statistic over the threshold at the flag, so it has a
        // supported pair at the end: a finite statistic.
        for i in &members {
            if bids.first_flag[i.id.index()][d.index()].is_some() {
                assert!(bids.statistics[i.id.index()][d.index()].is_finite());
            }
        }
    }
}

#[test]
fn a_cover_ask_never_undercuts_the_designated_ask() {
    let designated = Ask {
        price: Credits(1000),
        confidence: 0.7,
        duration: 600,
    };
    let cover = Cover {
        bidders: 3,
        markup: 0.05,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for _ in 0..1000 {
        let a = cover_ask(designated, &cover, &mut rng);
        // 1000 × (1 + 0.05 × U[0.5, 1.5)): 1025 ..= 1075.
        assert!((1025..=1075).contains(&a.price.0), "{}", a.price.0);
        assert_eq!((a.confidence, a.duration), (0.7, 600));
    }
}

#[test]
fn collusion_keys_are_validated_with_the_key_and_the_allowed_values() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/collusion-detection.toml");
    let err = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Scenario::load(&path, &sets).unwrap_err().to_string()
    };
    let m = err(&[
        "collusion.sync_threshold=0",
        "collusion.price_min_support=2",
    ]);
    assert!(
        m.contains("collusion.sync_threshold") && m.contains("(0, 1]"),
        "{m}"
    );
    assert!(
        m.contains("collusion.price_min_support") && m.contains("≥ 3"),
        "{m}"
    );
    let m = err(&[
        "population[1].cover_bids=0",
        "population[1].cover_markup=0.1",
    ]);
    assert!(
        m.contains("population[1].cover_markup") && m.contains("cover_bids"),
        "{m}"
    );
    let m = err(&["population[2].cover_markup=-1"]);
    assert!(
        m.contains("population[2].cover_markup") && m.contains("≥ 0"),
        "{m}"
    );
    for memory in ["0", "1099511627777"] {
        let m = err(&[&format!("collusion.pair_memory={memory}")]);
        assert!(
            m.contains("collusion.pair_memory") && m.contains("1..=2^40"),
            "{m}"
        );
    }
}

/// collusion-memory.toml is collusion-detection.toml with a six-hour pair memory: the market
/// is the same (the detectors only observe), every ring member is still flagged and no honest
/// agent is, and a pair memory longer than the run changes nothing at all.
#[test]
fn forgetting_idle_pairs_changes_only_what_the_detectors_remember() {
    for seed in ["run.seed=1", "run.seed=2"] {
        let remembering = run("scenarios/collusion-detection.toml", &[DAY, seed]);
        let forgetting = run("scenarios/collusion-memory.toml", &[DAY, seed]);
        assert_eq!(remembering.recorder.agents, forgetting.recorder.agents);
        assert_eq!(remembering.recorder.counters, forgetting.recorder.counters);
        let flags = &forgetting
            .recorder
            .bid_detection
            .as_ref()
            .unwrap()
            .first_flag;
        for i in &forgetting.population.identities {
            match i.kind {
                Kind::Honest => assert_eq!(flags[i.id.index()], [None, None], "{seed}"),
                Kind::Ring => assert!(flags[i.id.index()][0].is_some(), "{seed} {}", i.id),
                _ => {}
            }
        }
        let longer = run(
            "scenarios/collusion-detection.toml",
            &[DAY, seed, "collusion.pair_memory=86401"],
        );
        assert_eq!(
            remembering.recorder.bid_detection,
            longer.recorder.bid_detection
        );
    }
}

//! Tests of the reputation engine (SPEC §6): unit tests of each rule, and proptests comparing
//! the O(1) engine with the naive whole-history [`Reference`] after every operation.

use super::reference::Reference;
use super::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn q(scores: [f64; DIMENSIONS]) -> QualityVector {
    QualityVector::new(scores).unwrap()
}

fn engine() -> ReputationEngine {
    ReputationEngine::new(ReputationConfig::default()).unwrap()
}

/// Scores with a large spread and no value above 0.9: never flagged by any detector.
const CLEAN: [f64; DIMENSIONS] = [0.2, 0.4, 0.6, 0.8, 0.5, 0.3];

// ---------------------------------------------------------------- unit tests: detectors

/// Issue 15: the per-agent running state stays within 88 bytes (32-bit N, 16-bit runs).
#[test]
fn the_running_state_stays_within_88_bytes() {
    assert!(std::mem::size_of::<AgentState>() <= 88);
}

#[test]
fn perfect_streak_fires_exactly_on_the_tenth_recording() {
    let mut e = engine();
    let a = e.register();
    let mut streaks = 0;
    for i in 1..=15u64 {
        let r = e.record(a, q([1.0; 6]), None).unwrap();
        assert_eq!(
            r.flags.contains(Detector::PerfectStreak),
            i >= 10,
            "recording {i}"
        );
        assert!(!r.flags.contains(Detector::RapidCycling), "no time given");
        streaks += u32::from(r.flags.contains(Detector::PerfectStreak));
    }
    assert_eq!(streaks, 6);
}

/// The 16-bit run lengths saturate at the longest allowed window, so a streak as long as
/// that fires on its last recording and on every one after it (issue 15).
#[test]
fn the_longest_windows_fire_and_keep_firing_past_the_run_counters_limit() {
    let mut e = ReputationEngine::new(ReputationConfig {
        rapid_window: MAX_WINDOW,
        streak_len: MAX_WINDOW,
        ..ReputationConfig::default()
    })
    .unwrap();
    let a = e.register();
    for i in 1..=u64::from(MAX_WINDOW) + 1000 {
        let r = e.record(a, q([1.0; 6]), Some(1)).unwrap();
        let long_enough = i >= u64::from(MAX_WINDOW);
        assert_eq!(
            r.flags.contains(Detector::PerfectStreak),
            long_enough,
            "{i}"
        );
        assert_eq!(r.flags.contains(Detector::RapidCycling), long_enough, "{i}");
    }
}

#[test]
fn perfect_streak_threshold_is_inclusive_and_a_miss_restarts_the_count() {
    let mut e = engine();
    let a = e.register();
    let at = q([0.99; 6]);
    let mut just_below = [1.0; 6];
    just_below[4] = 0.99f64.next_down();
    for _ in 0..9 {
        assert!(
            !e.record(a, at, None)
                .unwrap()
                .flags
                .contains(Detector::PerfectStreak)
        );
    }
    // The 10th would have fired; one dimension just under 0.99 breaks the run.
    let r = e.record(a, q(just_below), None).unwrap();
    assert!(!r.flags.contains(Detector::PerfectStreak));
    for i in 1..=10 {
        let r = e.record(a, at, None).unwrap();
        assert_eq!(r.flags.contains(Detector::PerfectStreak), i == 10, "{i}");
    }
}

#[test]
fn rapid_cycling_needs_strictly_less_than_sixty_seconds() {
    let high = q([0.95, 0.96, 0.97, 0.98, 0.91, 0.93]);
    for (secs, fires) in [
        (Some(59), true),
        (Some(0), true),
        (Some(60), false),
        (Some(61), false),
        (None, false),
    ] {
        let mut e = engine();
        let a = e.register();
        // Fast completions before the third recording cannot fire (fewer than 3 recordings).
        for _ in 0..2 {
            let r = e.record(a, high, Some(1)).unwrap();
            assert!(!r.flags.contains(Detector::RapidCycling));
        }
        let r = e.record(a, high, secs).unwrap();
        assert_eq!(
            r.flags.contains(Detector::RapidCycling),
            fires,
            "secs = {secs:?}"
        );
    }
}

#[test]
fn rapid_cycling_threshold_is_strict_over_the_last_three() {
    let high = q([0.95; 6]);
    let mut edge = [0.95; 6];
    edge[2] = 0.9;
    let mut e = engine();
    let a = e.register();
    e.record(a, q(edge), Some(1)).unwrap();
    e.record(a, high, Some(1)).unwrap();
    // The window still holds the 0.9 recording: 0.9 is not > 0.9.
    assert!(
        !e.record(a, high, Some(1))
            .unwrap()
            .flags
            .contains(Detector::RapidCycling)
    );
    // Now the last three are all > 0.9.
    assert!(
        e.record(a, high, Some(1))
            .unwrap()
            .flags
            .contains(Detector::RapidCycling)
    );
}

#[test]
fn score_inflation_fires_on_the_third_constant_recording() {
    let mut e = engine();
    let a = e.register();
    let c = q([0.7; 6]);
    assert!(e.record(a, c, None).unwrap().flags.is_empty());
    assert!(e.record(a, c, None).unwrap().flags.is_empty());
    let r = e.record(a, c, None).unwrap();
    assert_eq!(
        r.flags.iter().collect::<Vec<_>>(),
        [Detector::ScoreInflation]
    );
    assert!(e.score_variance(a).unwrap() < 1e-30);
}

#[test]
fn score_inflation_threshold_is_strict_on_the_sample_variance() {
    // Values ±d around 0.5, 9 of each sign over 3 recordings: sample variance = 18 d² / 17.
    let below = (0.00099f64 * 17.0 / 18.0).sqrt();
    let above = (0.00101f64 * 17.0 / 18.0).sqrt();
    for (d, fires) in [(below, true), (above, false)] {
        let v = [0.5 + d, 0.5 - d, 0.5 + d, 0.5 - d, 0.5 + d, 0.5 - d];
        let mut e = engine();
        let a = e.register();
        e.record(a, q(v), None).unwrap();
        e.record(a, q(v), None).unwrap();
        let r = e.record(a, q(v), None).unwrap();
        assert_eq!(r.flags.contains(Detector::ScoreInflation), fires, "d = {d}");
    }
}

// ---------------------------------------------------------------- unit tests: suspicion, R, T

#[test]
fn suspicion_rises_by_step_per_flag_caps_at_one_and_decays_to_a_floor_of_zero() {
    let mut e = engine();
    let a = e.register();
    let fresh = e.register();
    // Clean recording on a fresh agent: floored at 0, not −0.01.
    assert_eq!(e.record(fresh, q(CLEAN), None).unwrap().suspicion, 0.0);

    // All-1.0 in 1 s: from the 3rd recording inflation + rapid (+0.2), from the 10th all three.
    let mut expected = 0.0f64;
    let mut counts = [0; 3];
    for i in 1..=10u64 {
        let r = e.record(a, q([1.0; 6]), Some(1)).unwrap();
        for d in r.flags.iter() {
            counts[d as usize] += 1;
        }
        let fired = match i {
            1 | 2 => 0,
            3..=9 => 2,
            _ => 3,
        };
        assert_eq!(r.flags.len(), fired, "recording {i}");
        expected = if fired == 0 {
            (expected - 0.01).max(0.0)
        } else {
            (expected + 0.1 * f64::from(fired)).min(1.0)
        };
        assert!((r.suspicion - expected).abs() < 1e-12, "recording {i}");
    }
    assert_eq!(e.suspicion(a), 1.0, "capped");
    // Zero vectors: the history's variance jumps and nothing is high, so they are clean.
    for i in 1..=5 {
        let r = e.record(a, q([0.0; 6]), None).unwrap();
        assert!(r.flags.is_empty());
        assert!((r.suspicion - (1.0 - 0.01 * f64::from(i))).abs() < 1e-12);
    }
    // Score inflation, rapid cycling, perfect streak.
    assert_eq!(counts, [8, 8, 1]);
}

#[test]
fn no_history_means_reputation_one_half_and_trust_zero() {
    let mut e = engine();
    let a = e.register();
    let unknown = AgentId(99);
    for id in [a, unknown] {
        assert_eq!(e.reputation(id), 0.5);
        assert_eq!(e.trust(id), 0.0);
        assert_eq!(e.suspicion(id), 0.0);
        assert_eq!(e.recordings(id), 0);
        assert_eq!(e.score_variance(id), None);
    }
    // Recording for an unknown id is refused and changes nothing.
    let before = e.clone();
    assert_eq!(
        e.record(unknown, q(CLEAN), None),
        Err(ReputationError::UnknownAgent { agent: unknown })
    );
    assert_eq!(
        e.reset(unknown),
        Err(ReputationError::UnknownAgent { agent: unknown })
    );
    assert_eq!(e.agents, before.agents);
    assert_eq!(e.len(), 1);
}

#[test]
fn trust_ramps_linearly_over_the_first_min_jobs_recordings() {
    let mut e = engine();
    let a = e.register();
    let expected_r = Weights::uniform().dot(&q(CLEAN)); // constant history: R = ⟨w, q⟩
    for n in 1..=7u32 {
        let r = e.record(a, q(CLEAN), None).unwrap();
        assert!(r.flags.is_empty());
        assert!((r.reputation - expected_r).abs() < 1e-12);
        let ramp = [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0][n as usize - 1];
        assert!((r.trust - expected_r * ramp).abs() < 1e-12, "N = {n}");
        assert_eq!(r.trust, e.trust(a));
    }
}

#[test]
fn decayed_reputation_matches_the_closed_form() {
    let mut e = engine();
    let a = e.register();
    e.record(a, q([0.2; 6]), None).unwrap();
    let r = e.record(a, q([0.8; 6]), None).unwrap();
    // (0.95·0.2 + 0.8) / (0.95 + 1)
    assert!((r.reputation - (0.95 * 0.2 + 0.8) / 1.95).abs() < 1e-12);
}

#[test]
fn changing_weights_reweights_the_whole_history_as_the_reference_does() {
    let history = [
        [0.9, 0.1, 0.5, 0.5, 0.5, 0.5],
        [0.3, 0.7, 0.2, 0.6, 0.4, 0.8],
        [0.6, 0.2, 0.9, 0.1, 0.3, 0.7],
    ];
    let mut e = engine();
    let mut reference = Reference::new(ReputationConfig::default(), 1);
    let a = e.register();
    for v in history {
        e.record(a, q(v), None).unwrap();
        reference.record(0, q(v), None);
    }
    let before = e.reputation(a);
    let accuracy_only = ReputationConfig::weights_from_raw([1.0, 0.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
    e.set_weights(accuracy_only);
    reference.set_weights(accuracy_only);
    let after = e.reputation(a);
    // Hand computation: decayed mean of the accuracy column.
    let hand = (0.95f64.powi(2) * 0.9 + 0.95 * 0.3 + 0.6) / (0.95f64.powi(2) + 0.95 + 1.0);
    assert!((after - hand).abs() < 1e-12);
    assert!((after - reference.reputation(0)).abs() < 1e-12);
    assert!((after - before).abs() > 0.01, "the weights change moved R");
    assert_eq!(e.weights(), &accuracy_only);
}

#[test]
fn weights_summing_slightly_above_one_cannot_push_reputation_above_one() {
    let heavy = ReputationConfig::weights_from_raw([0.1668; 6]).unwrap(); // sums to 1.0008
    let mut e = engine();
    e.set_weights(heavy);
    let a = e.register();
    for _ in 0..3 {
        let r = e.record(a, q([1.0; 6]), None).unwrap();
        assert_eq!(r.reputation, 1.0);
        assert!(r.trust <= 1.0);
    }
}

#[test]
fn reset_and_fresh_identities_start_from_no_history() {
    let mut e = engine();
    let a = e.register();
    for _ in 0..12 {
        e.record(a, q([1.0; 6]), Some(5)).unwrap();
    }
    assert!(e.suspicion(a) > 0.0 && e.recordings(a) == 12);
    // Whitewashing: a new identity ranks at R = 0.5 yet has T = 0 (SPEC §8 last bullet).
    let fresh = e.register();
    assert_eq!(fresh, AgentId(1));
    assert_eq!((e.reputation(fresh), e.trust(fresh)), (0.5, 0.0));
    e.reset(a).unwrap();
    assert_eq!(e.agents[0], AgentState::FRESH);
    assert_eq!(
        (e.reputation(a), e.trust(a), e.suspicion(a)),
        (0.5, 0.0, 0.0)
    );
    // After a reset the streak starts over: the 3rd recording cannot see the old history.
    for _ in 0..2 {
        assert!(e.record(a, q([1.0; 6]), Some(5)).unwrap().flags.is_empty());
    }
    assert_eq!(e.recordings(a), 2);
}

#[test]
fn ensure_registers_densely_up_to_the_id() {
    let mut e = engine();
    e.ensure(AgentId(3));
    assert_eq!(e.len(), 4);
    assert!(e.contains(AgentId(3)) && !e.contains(AgentId(4)));
    e.ensure(AgentId(1)); // no-op
    assert_eq!(e.len(), 4);
    assert_eq!(e.register(), AgentId(4));
    assert!(e.record(AgentId(2), q(CLEAN), None).is_ok());
    assert_eq!(e.recordings(AgentId(2)), 1);
    assert_eq!(e.recordings(AgentId(1)), 0);
}

#[test]
fn flags_bitset_round_trips() {
    let mut f = Flags::EMPTY;
    assert!(f.is_empty());
    assert_eq!(f.len(), 0);
    f.insert(Detector::PerfectStreak);
    f.insert(Detector::ScoreInflation);
    f.insert(Detector::ScoreInflation);
    assert_eq!(f.len(), 2);
    assert_eq!(f.bits(), 0b101);
    assert!(!f.contains(Detector::RapidCycling));
    assert_eq!(
        f.iter().map(Detector::name).collect::<Vec<_>>(),
        ["score_inflation", "perfect_streak"]
    );
}

// ---------------------------------------------------------------- config validation

#[test]
fn default_config_is_the_papers_and_validates() {
    let c = ReputationConfig::default();
    assert_eq!(c.validate(), Ok(()));
    assert_eq!((c.decay, c.min_jobs, c.initial_reputation), (0.95, 5, 0.5));
    assert_eq!(
        (c.suspicion_step, c.suspicion_decay, c.inflation_variance),
        (0.1, 0.01, 0.001)
    );
    assert_eq!(
        (c.rapid_seconds, c.rapid_window, c.rapid_threshold),
        (60, 3, 0.9)
    );
    assert_eq!((c.streak_len, c.streak_threshold), (10, 0.99));
    assert_eq!(c.min_recordings_for_inflation, 3);
    assert_eq!(c.weights, Weights::uniform());
}

#[test]
fn config_validation_refuses_bad_values_naming_the_field() {
    type Edit = fn(&mut ReputationConfig);
    let cases: [(Edit, &str); 19] = [
        (|c| c.decay = 0.0, "decay"),
        (|c| c.decay = -0.5, "decay"),
        (|c| c.decay = 1.0 + 1e-12, "decay"),
        (|c| c.decay = f64::NAN, "decay"),
        (|c| c.min_jobs = 0, "min_jobs"),
        (|c| c.initial_reputation = 1.5, "initial_reputation"),
        (|c| c.suspicion_step = f64::NAN, "suspicion_step"),
        (|c| c.suspicion_decay = -0.01, "suspicion_decay"),
        (|c| c.inflation_variance = -1e-9, "inflation_variance"),
        (
            |c| c.inflation_variance = f64::INFINITY,
            "inflation_variance",
        ),
        (
            |c| c.min_recordings_for_inflation = 0,
            "min_recordings_for_inflation",
        ),
        (|c| c.rapid_window = 0, "rapid_window"),
        (|c| c.rapid_window = MAX_WINDOW + 1, "rapid_window"),
        (|c| c.rapid_threshold = 1.1, "rapid_threshold"),
        (|c| c.rapid_threshold = f64::NAN, "rapid_threshold"),
        (|c| c.streak_len = 0, "streak_len"),
        (|c| c.streak_len = MAX_WINDOW + 1, "streak_len"),
        (|c| c.streak_threshold = -0.1, "streak_threshold"),
        (|c| c.streak_threshold = f64::NAN, "streak_threshold"),
    ];
    for (edit, field) in cases {
        let mut c = ReputationConfig::default();
        edit(&mut c);
        let err = c.validate().unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.to_string().contains(field));
        assert!(ReputationEngine::new(c).is_err());
    }
    // λ = 1 (no decay) is allowed, as is a zero inflation threshold (detector off) and the
    // longest windows.
    let c = ReputationConfig {
        decay: 1.0,
        inflation_variance: 0.0,
        rapid_window: MAX_WINDOW,
        streak_len: MAX_WINDOW,
        ..ReputationConfig::default()
    };
    assert_eq!(c.validate(), Ok(()));

    for raw in [
        [0.2; 6],                            // sums to 1.2
        [0.6, 0.6, -0.2, 0.0, 0.0, 0.0],     // negative
        [f64::NAN, 1.0, 0.0, 0.0, 0.0, 0.0], // NaN
    ] {
        let err = ReputationConfig::weights_from_raw(raw).unwrap_err();
        assert_eq!(err.field(), Some("weights"));
        assert!(err.to_string().contains("weights"), "{err}");
    }
}

// ---------------------------------------------------------------- cost independent of history

#[test]
fn per_agent_state_is_fixed_size_and_heap_free() {
    fn is_copy<T: Copy>() {}
    is_copy::<AgentState>(); // Copy ⇒ no Vec, Box or other heap field per agent.
    let size = std::mem::size_of::<AgentState>();
    assert!(size <= 160, "AgentState is {size} bytes");

    // A long history leaves the state (and the engine's memory) exactly as big as a short one.
    let mut e = engine();
    let a = e.register();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..20_000 {
        let v: [f64; 6] = std::array::from_fn(|_| rng.random::<f64>());
        e.record(a, q(v), Some(rng.random_range(0..120))).unwrap();
    }
    assert_eq!(e.agents.len(), 1);
    let before = e.agents.capacity();
    assert_eq!(e.recordings(a), 20_000);
    e.record(a, q(CLEAN), None).unwrap();
    assert_eq!(e.agents.capacity(), before, "recording never grows storage");
    // R of 20 000 uniform recordings with λ = 0.95 stays a valid decayed mean.
    assert!((0.0..=1.0).contains(&e.reputation(a)));
}

// ---------------------------------------------------------------- SPEC §8 "Proposition 3"

#[test]
fn stationary_variance_of_reputation_is_sigma_squared_times_one_minus_lambda_over_one_plus() {
    const AGENTS: usize = 2_000;
    const RECORDINGS: usize = 200;
    let lambda = 0.95;
    let mut e = engine();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_0003);
    let ids: Vec<AgentId> = (0..AGENTS).map(|_| e.register()).collect();
    for _ in 0..RECORDINGS {
        for &a in &ids {
            let v: [f64; 6] = std::array::from_fn(|_| rng.random::<f64>());
            e.record(a, q(v), None).unwrap();
        }
    }
    assert!(
        ids.iter().all(|&a| e.suspicion(a) == 0.0),
        "honest noise is never flagged"
    );
    // Independent U(0,1) dimensions: σ_d² = 1/12, uniform weights: σ² = Σ w_d² σ_d² = 1/72.
    let sigma = (1.0f64 / 72.0).sqrt();
    let rs: Vec<f64> = ids.iter().map(|&a| e.reputation(a)).collect();
    let mean = rs.iter().sum::<f64>() / AGENTS as f64;
    let var = rs.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (AGENTS - 1) as f64;
    let formula = ewma_stationary_std(sigma, lambda).powi(2);
    assert!((formula - sigma * sigma * 0.05 / 1.95).abs() < 1e-15);
    assert!(
        (var / formula - 1.0).abs() < 0.15,
        "empirical {var}, formula {formula}"
    );
    assert!((mean - 0.5).abs() < 0.01);
    // The floor is far above what a converging (plain-mean) estimator would show at N = 200.
    assert!(var > 3.0 * sigma * sigma / RECORDINGS as f64);
    // The finite-N formula is already at the floor by N = 200.
    let finite = ewma_std_after(sigma, lambda, RECORDINGS as u64).powi(2);
    assert!((finite / formula - 1.0).abs() < 1e-3);
}

#[test]
fn finite_n_formula_matches_its_limits() {
    let s = 0.3;
    assert!(
        (ewma_std_after(s, 0.95, 1) - s).abs() < 1e-12,
        "one sample: σ"
    );
    assert!(
        (ewma_std_after(s, 1.0, 25) - s / 5.0).abs() < 1e-12,
        "λ = 1: σ/√N"
    );
    assert_eq!(ewma_stationary_std(s, 1.0), 0.0);
    assert!((ewma_std_after(s, 0.9, 10_000) - ewma_stationary_std(s, 0.9)).abs() < 1e-12);
    assert!(ewma_std_after(s, 0.9, 0).is_nan());
}

// ---------------------------------------------------------------- proptests vs the reference

const AGENTS: usize = 3;

#[derive(Debug, Clone, Copy)]
enum Regime {
    Uniform,
    /// Every score within ±spread of `center` (spread 1e-3, 1e-4 or 0 = exact constant).
    NearConstant {
        center: f64,
        spread: f64,
    },
    /// 0.985..=1.0 with exact 0.99 and 1.0 mixed in.
    NearPerfect,
    /// Only the detectors' boundary values and their neighbouring floats.
    Boundary,
    /// 0.9..=1.0 with exact 0.9 mixed in.
    High,
    /// At or just above 0.99, with a rare value just below it that breaks a streak.
    Perfect,
}

fn regime() -> impl Strategy<Value = Regime> {
    prop_oneof![
        Just(Regime::Uniform),
        (0.0..=1.0f64, prop::sample::select(vec![1e-3, 1e-4, 0.0]))
            .prop_map(|(center, spread)| Regime::NearConstant { center, spread }),
        Just(Regime::NearPerfect),
        Just(Regime::Boundary),
        Just(Regime::High),
        Just(Regime::Perfect),
    ]
}

fn score(regime: Regime) -> BoxedStrategy<f64> {
    match regime {
        Regime::Uniform => (0.0..=1.0f64).boxed(),
        Regime::NearConstant {
            center,
            spread: 0.0,
        } => Just(center).boxed(),
        Regime::NearConstant { center, spread } => ((center - spread)..=(center + spread)).boxed(),
        Regime::NearPerfect => prop_oneof![
            3 => 0.985..=1.0f64,
            1 => Just(0.99),
            1 => Just(1.0),
        ]
        .boxed(),
        Regime::Boundary => prop::sample::select(vec![
            0.9,
            0.9f64.next_up(),
            0.9f64.next_down(),
            0.99,
            0.99f64.next_up(),
            0.99f64.next_down(),
            1.0,
        ])
        .boxed(),
        Regime::High => prop_oneof![4 => 0.9..=1.0f64, 1 => Just(0.9)].boxed(),
        Regime::Perfect => prop_oneof![
            100 => prop::sample::select(vec![0.99, 0.99f64.next_up(), 0.995, 1.0]),
            1 => Just(0.99f64.next_down()),
        ]
        .boxed(),
    }
}

fn completion_seconds() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        Just(None),
        Just(Some(59)),
        Just(Some(60)),
        Just(Some(61)),
        Just(Some(0)),
        (0..200u64).prop_map(Some),
    ]
}

/// Valid weights: normalised random, one-hot, and random with a sum off by up to ±0.0009.
fn weights() -> impl Strategy<Value = Weights> {
    let normalised = |raw: [f64; 6], scale: f64| {
        let sum: f64 = raw.iter().sum();
        (sum > 1e-6)
            .then(|| Weights::new(raw.map(|w| w / sum * scale)).ok())
            .flatten()
    };
    prop_oneof![
        prop::array::uniform6(0.0..=1.0f64)
            .prop_filter_map("all zero", move |raw| normalised(raw, 1.0)),
        (0..DIMENSIONS).prop_map(|d| {
            let mut raw = [0.0; 6];
            raw[d] = 1.0;
            Weights::new(raw).unwrap()
        }),
        (prop::array::uniform6(0.0..=1.0f64), -0.0009..=0.0009f64)
            .prop_filter_map("all zero", move |(raw, e)| normalised(raw, 1.0 + e)),
    ]
}

fn config() -> impl Strategy<Value = ReputationConfig> {
    let swept = (
        prop_oneof![Just(0.95), Just(1.0), 0.05..=1.0f64],
        1..=7u32,
        1..=4u32,
        1..=12u32,
        1..=4u32,
        weights(),
    )
        .prop_map(
            |(decay, min_jobs, rapid_window, streak_len, min_rec, weights)| ReputationConfig {
                weights,
                decay,
                min_jobs,
                rapid_window,
                streak_len,
                min_recordings_for_inflation: min_rec,
                ..ReputationConfig::default()
            },
        );
    prop_oneof![2 => Just(ReputationConfig::default()), 1 => swept]
}

#[derive(Debug, Clone)]
enum Op {
    Record {
        agent: usize,
        q: QualityVector,
        secs: Option<u64>,
    },
    SetWeights(Weights),
    Reset(usize),
}

/// A segment: one agent receives a run of recordings from one regime, with occasional weight
/// changes and (rarely) a reset.
fn segment(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    (regime(), 0..AGENTS, 1..=max_len).prop_flat_map(|(r, agent, len)| {
        let step = (
            prop::array::uniform6(score(r)).prop_map(QualityVector::clamped),
            completion_seconds(),
            prop::option::weighted(0.04, weights()),
            prop::bool::weighted(0.01),
        );
        prop::collection::vec(step, len).prop_map(move |steps| {
            let mut ops = Vec::with_capacity(steps.len() + 2);
            for (q, secs, w, reset) in steps {
                if reset {
                    ops.push(Op::Reset(agent));
                }
                ops.push(Op::Record { agent, q, secs });
                if let Some(w) = w {
                    ops.push(Op::SetWeights(w));
                }
            }
            ops
        })
    })
}

fn history(segments: usize, max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(segment(max_len), 1..=segments).prop_map(|s| s.concat())
}

fn assert_agent_matches(
    e: &ReputationEngine,
    reference: &Reference,
    agent: usize,
) -> Result<(), TestCaseError> {
    let id = AgentId(agent as u32);
    let ra = &reference.agents[agent];
    prop_assert_eq!(e.recordings(id), ra.scores.len() as u64);
    prop_assert!((e.suspicion(id) - ra.suspicion).abs() < 1e-12);
    let (r, t) = (e.reputation(id), e.trust(id));
    prop_assert!(
        (r - reference.reputation(agent)).abs() < 1e-9,
        "R {} vs {}",
        r,
        reference.reputation(agent)
    );
    prop_assert!(
        (t - reference.trust(agent)).abs() < 1e-9,
        "T {} vs {}",
        t,
        reference.trust(agent)
    );
    prop_assert!((0.0..=1.0).contains(&r) && (0.0..=1.0).contains(&t));
    // The cached R and T are bit for bit what the running state gives now.
    let state = e.state(id);
    prop_assert_eq!(r.to_bits(), state.reputation(&e.config).to_bits());
    prop_assert_eq!(
        t.to_bits(),
        state
            .trust(&e.config, state.reputation(&e.config))
            .to_bits()
    );
    Ok(())
}

fn run_against_reference(config: ReputationConfig, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut e = ReputationEngine::new(config).unwrap();
    for _ in 0..AGENTS {
        e.register();
    }
    let mut reference = Reference::new(config, AGENTS);
    for op in ops {
        match *op {
            Op::Record { agent, q, secs } => {
                let got = e.record(AgentId(agent as u32), q, secs).unwrap();
                let want = reference.record(agent, q, secs);
                prop_assert_eq!(
                    got.flags,
                    want,
                    "flags after recording {}",
                    reference.agents[agent].scores.len()
                );
                prop_assert!((got.suspicion - reference.agents[agent].suspicion).abs() < 1e-12);
                prop_assert!((got.reputation - reference.reputation(agent)).abs() < 1e-9);
                prop_assert!((got.trust - reference.trust(agent)).abs() < 1e-9);
                assert_agent_matches(&e, &reference, agent)?;
            }
            Op::SetWeights(w) => {
                e.set_weights(w);
                reference.set_weights(w);
                for agent in 0..AGENTS {
                    assert_agent_matches(&e, &reference, agent)?;
                }
            }
            Op::Reset(agent) => {
                e.reset(AgentId(agent as u32)).unwrap();
                reference.reset(agent);
                assert_agent_matches(&e, &reference, agent)?;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Many short-to-medium mixed histories over three agents, default or swept constants.
    #[test]
    fn engine_matches_whole_history_reference(config in config(), ops in history(6, 14)) {
        run_against_reference(config, &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Fewer, longer histories (streaks of 10 and regime switches deep into the history).
    #[test]
    fn engine_matches_reference_on_long_histories(config in config(), ops in history(10, 40)) {
        run_against_reference(config, &ops)?;
    }

    /// R and T stay in [0, 1] whatever the (valid) weights, even summing to 1 ± 0.001.
    #[test]
    fn reputation_and_trust_stay_in_the_unit_interval(
        w in weights(),
        values in prop::collection::vec(prop::array::uniform6(prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64]), 1..30),
    ) {
        let mut e = engine();
        e.set_weights(w);
        let a = e.register();
        for v in values {
            let r = e.record(a, QualityVector::new(v).unwrap(), Some(1)).unwrap();
            prop_assert!((0.0..=1.0).contains(&r.reputation), "R = {}", r.reputation);
            prop_assert!((0.0..=1.0).contains(&r.trust), "T = {}", r.trust);
            prop_assert!((0.0..=1.0).contains(&r.suspicion));
        }
    }
}

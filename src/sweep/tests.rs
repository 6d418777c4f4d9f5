use super::*;
use std::path::Path;

const BASE: &str = "[run]\nhorizon = 3600\n[clients]\ncount = 10\njobs_per_hour = 20.0\n\
                    [[population]]\nkind = \"honest\"\ncount = 10\n";

fn sweep(text: &str) -> Result<Sweep, SweepError> {
    let file: SweepFile = toml::from_str(text).map_err(|e| SweepError::Parse {
        file: "s.toml".into(),
        message: e.to_string(),
    })?;
    Sweep::new(
        file,
        Path::new("s.toml"),
        BASE.to_string(),
        "base.toml".into(),
    )
}

fn problems(text: &str) -> Vec<String> {
    match sweep(text) {
        Err(SweepError::Invalid { problems, .. }) => problems.into_iter().map(|p| p.key).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn grid_is_the_cartesian_product_first_parameter_outermost() {
    let s = sweep(
        "scenario = \"b\"\nreplicates = 2\n\
         [[param]]\nkey = \"clients.count\"\nvalues = [5, 7]\n\
         [[param]]\nkey = \"reputation.decay\"\nlinear = { from = 0.8, to = 1.0, steps = 3 }\n",
    )
    .unwrap();
    let got: Vec<Vec<String>> = (0..s.points().len()).map(|p| s.overrides(p)).collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], ["clients.count=5", "reputation.decay=0.8"]);
    assert_eq!(got[1], ["clients.count=5", "reputation.decay=0.9"]);
    assert_eq!(got[2], ["clients.count=5", "reputation.decay=1.0"]);
    assert_eq!(got[3][0], "clients.count=7");
    assert_eq!(s.runs().len(), 12);
}

#[test]
fn log_ranges_and_integer_rounding() {
    let s = sweep(
        "scenario = \"b\"\n[[param]]\nkey = \"clients.count\"\nlog = { from = 1.0, to = 100.0, steps = 3 }\ninteger = true\n",
    )
    .unwrap();
    let got: Vec<String> = (0..3).map(|p| s.overrides(p)[0].clone()).collect();
    assert_eq!(
        got,
        ["clients.count=1", "clients.count=10", "clients.count=100"]
    );
}

#[test]
fn latin_hypercube_uses_every_stratum_of_every_parameter_once() {
    let n = 40;
    let s = sweep(&format!(
        "scenario = \"b\"\ndesign = \"lhs\"\npoints = {n}\nseed = 9\n\
         [[param]]\nkey = \"reputation.decay\"\nlinear = {{ from = 0.5, to = 1.0 }}\n\
         [[param]]\nkey = \"clients.rating_noise\"\nlinear = {{ from = 0.0, to = 0.2 }}\n"
    ))
    .unwrap();
    for (i, (lo, hi)) in [(0.5, 1.0), (0.0, 0.2)].into_iter().enumerate() {
        let mut strata: Vec<usize> = s
            .points()
            .iter()
            .map(|p| {
                let x = p.values[i].as_float().unwrap();
                assert!((lo..=hi).contains(&x));
                ((x - lo) / (hi - lo) * n as f64) as usize
            })
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..n).collect::<Vec<_>>(), "parameter {i}");
    }
    // Same seed, same design; another seed, another design.
    let again = sweep(&format!(
        "scenario = \"b\"\ndesign = \"lhs\"\npoints = {n}\nseed = 9\n\
         [[param]]\nkey = \"reputation.decay\"\nlinear = {{ from = 0.5, to = 1.0 }}\n\
         [[param]]\nkey = \"clients.rating_noise\"\nlinear = {{ from = 0.0, to = 0.2 }}\n"
    ))
    .unwrap();
    assert_eq!(s.points(), again.points());
}

#[test]
fn random_design_stays_in_range_and_picks_listed_values() {
    let s = sweep(
        "scenario = \"b\"\ndesign = \"random\"\npoints = 50\n\
         [[param]]\nkey = \"reputation.decay\"\nlog = { from = 0.5, to = 1.0 }\n\
         [[param]]\nkey = \"market.ranking\"\nvalues = [\"reputation\", \"trust\"]\n",
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for p in s.points() {
        let x = p.values[0].as_float().unwrap();
        assert!((0.5..=1.0).contains(&x));
        seen.insert(p.values[1].as_str().unwrap().to_string());
    }
    assert_eq!(seen.len(), 2);
}

#[test]
fn invalid_sweeps_are_refused_naming_the_key() {
    assert_eq!(
        problems(
            "scenario = \"b\"\nreplicates = 0\n[[param]]\nkey = \"clients.count\"\nvalues = [1]\n"
        ),
        ["replicates"]
    );
    assert_eq!(
        problems(
            "scenario = \"b\"\ndesign = \"lhs\"\n[[param]]\nkey = \"clients.count\"\nvalues = [1]\n"
        ),
        ["points"]
    );
    assert_eq!(problems("scenario = \"b\"\n"), ["param"]);
    assert_eq!(
        problems(
            "scenario = \"b\"\n[[param]]\nkey = \"clients.count\"\nvalues = [1]\nlinear = { from = 1.0, to = 2.0 }\n"
        ),
        ["param[0].values|linear|log"]
    );
    assert_eq!(
        problems(
            "scenario = \"b\"\n[[param]]\nkey = \"reputation.decay\"\nlog = { from = 0.0, to = 1.0, steps = 3 }\n"
        ),
        ["param[0].log.from"]
    );
    assert_eq!(
        problems(
            "scenario = \"b\"\n[[param]]\nkey = \"clients.count\"\nvalues = [1]\n[[param]]\nkey = \"clients.count\"\nvalues = [2]\n"
        ),
        ["param[1].key"]
    );
    assert!(matches!(
        sweep("scenario = \"b\"\nreplicats = 2\n"),
        Err(SweepError::Parse { .. })
    ));
}

#[test]
fn a_varied_key_the_scenario_does_not_have_is_refused() {
    let e = sweep("scenario = \"b\"\n[[param]]\nkey = \"clients.cuont\"\nvalues = [1, 2]\n")
        .unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, SweepError::Point { point: 0, .. }), "{m}");
    assert!(m.contains("cuont") && m.contains("s.toml"), "{m}");
    let e = sweep("scenario = \"b\"\n[[param]]\nkey = \"clients.p_cancel\"\nvalues = [0.5, 2.0]\n")
        .unwrap_err();
    assert!(matches!(e, SweepError::Point { point: 1, .. }), "{e}");
}

#[test]
fn run_seeds_are_distinct_and_depend_only_on_seed_point_and_replicate() {
    let text = "scenario = \"b\"\nreplicates = 20\nseed = 3\n[[param]]\nkey = \"clients.count\"\nvalues = [5, 6, 7]\n";
    let s = sweep(text).unwrap();
    let seeds: std::collections::BTreeSet<u64> = s.runs().into_iter().map(|r| s.seed(r)).collect();
    assert_eq!(seeds.len(), 60);
    let run = RunId {
        point: 2,
        replicate: 7,
    };
    assert_eq!(s.seed(run), sweep(text).unwrap().seed(run));
    assert_ne!(
        s.seed(run),
        sweep(&text.replace("seed = 3", "seed = 4"))
            .unwrap()
            .seed(run)
    );
    assert_eq!(s.scenario(run).seed(), s.seed(run));
}

#[test]
fn shards_partition_the_runs_evenly() {
    let s = sweep("scenario = \"b\"\nreplicates = 7\n[[param]]\nkey = \"clients.count\"\nvalues = [5, 6, 7]\n").unwrap();
    let n = 4;
    let mut all = Vec::new();
    for k in 1..=n {
        let mine = runner::Shard { k, n }.select(s.runs());
        assert!(mine.len() == 5 || mine.len() == 6);
        all.extend(mine);
    }
    all.sort();
    assert_eq!(all, s.runs());
    for bad in ["0/4", "5/4", "1/0", "x/2", "3"] {
        assert!(bad.parse::<runner::Shard>().is_err(), "{bad}");
    }
    assert_eq!(
        "2/4".parse::<runner::Shard>().unwrap(),
        runner::Shard { k: 2, n: 4 }
    );
}

#[test]
fn record_names_round_trip_at_any_width_and_only_in_their_one_spelling() {
    use runner::{parse_record_name, record_name};
    for (point, replicate, name) in [
        (0, 0, "000000-0000.csv"),
        (3, 9_999, "000003-9999.csv"),
        (0, 10_000, "000000-10000.csv"),
        (1_234_567, 4_000_000_000, "1234567-4000000000.csv"),
    ] {
        let run = RunId { point, replicate };
        assert_eq!(record_name(run), name);
        assert_eq!(parse_record_name(name), Some(run));
    }
    for other in [
        "0-1.csv",
        "00000-0001.csv",
        "000000-00001.csv",
        "000000-0001",
        "000000-+001.csv",
        "000000-0001.csv.partial",
        ".000000-0001.csv.1-2.partial",
        "runs.csv",
    ] {
        assert_eq!(parse_record_name(other), None, "{other}");
    }
}

#[test]
fn sweeps_beyond_the_run_cap_are_refused_naming_the_largest_factor() {
    let grid: String = (0..7)
        .map(|i| {
            format!("[[param]]\nkey = \"k{i}\"\nlinear = {{ from = 0.0, to = 1.0, steps = 10 }}\n")
        })
        .collect();
    // 10^7 points: refused before any point is generated or tried on the scenario.
    let err = sweep(&format!("scenario = \"b\"\n{grid}")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("key `param[0].linear.steps` = 10"), "{text}");
    assert!(
        text.contains("10000000 point(s) × 1 replicate(s) = 10000000 runs"),
        "{text}"
    );
    let reps = "scenario = \"b\"\nreplicates = 4000000000\n\
                [[param]]\nkey = \"clients.count\"\nvalues = [5, 7]\n";
    assert_eq!(problems(reps), ["replicates"]);
    assert_eq!(
        problems(
            "scenario = \"b\"\ndesign = \"lhs\"\npoints = 2000000\n[[param]]\nkey = \"clients.count\"\nlinear = { from = 1.0, to = 9.0 }\n"
        ),
        ["points"]
    );
    // Exactly at the cap is allowed, one more replicate is not (counted, not generated).
    let file = |replicates: u32| -> SweepFile {
        toml::from_str(&format!(
            "scenario = \"b\"\nreplicates = {replicates}\n\
             [[param]]\nkey = \"x\"\nlinear = {{ from = 0.0, to = 1.0, steps = 1000 }}\n"
        ))
        .unwrap()
    };
    assert_eq!(design::point_count(&file(1000), 0) * 1000, MAX_RUNS);
    assert!(design::problems(&file(1000), None).is_empty());
    assert_eq!(design::problems(&file(1001), None).len(), 1);
}

/// Two varied parameters and a fixed one, for the sensitivity designs.
const SENS_PARAMS: &str = "[[param]]
key = \"reputation.decay\"
linear = { from = 0.5, to = 1.0 }
     [[param]]
key = \"run.horizon\"
values = [1800]
     [[param]]
key = \"clients.count\"
linear = { from = 4.0, to = 20.0 }
integer = true
";

/// The sobol design's points are Saltelli's rows over the varied parameters, mapped through
/// their ranges: N(2D + 2) points, the fixed parameter constant, and within each block of
/// 2D + 2 rows, AB^j equal to A but for parameter j (taken from B), BA^j to B but for j.
#[test]
fn sobol_points_are_saltelli_blocks_over_the_varied_parameters() {
    for (second, step) in [(true, 6), (false, 4)] {
        let s = sweep(&format!(
            "scenario = \"b\"\ndesign = \"sobol\"\npoints = 8\nsecond_order = {second}\nseed = 4\n{SENS_PARAMS}"
        ))
        .unwrap();
        assert_eq!(s.points().len(), 8 * step);
        assert_eq!(s.varied(), [0, 2]);
        let unit = s.unit_points().unwrap();
        for (p, u) in s.points().iter().zip(unit) {
            assert_eq!(p.values[1], toml::Value::Integer(1800));
            assert_eq!(p.values[0].as_float().unwrap(), 0.5 + 0.5 * u[0]);
            assert_eq!(
                p.values[2].as_integer().unwrap(),
                (4.0 + 16.0 * u[1]).round() as i64
            );
        }
        for block in unit.chunks(step) {
            let (a, b) = (&block[0], &block[step - 1]);
            assert_eq!(block[1], vec![b[0], a[1]]);
            assert_eq!(block[2], vec![a[0], b[1]]);
            if second {
                assert_eq!(block[3], vec![a[0], b[1]]);
                assert_eq!(block[4], vec![b[0], a[1]]);
            }
        }
        // Stream 0 of the sweep seed: same seed, same design; another seed, another.
        let again = |seed: u64| {
            sweep(&format!(
                "scenario = \"b\"\ndesign = \"sobol\"\npoints = 8\nsecond_order = {second}\nseed = {seed}\n{SENS_PARAMS}"
            ))
            .unwrap()
            .points()
            .to_vec()
        };
        assert_eq!(again(4), s.points());
        assert_ne!(again(5), s.points());
    }
}

/// The morris design: r trajectories of D + 1 points; each step moves one varied parameter
/// by Δ = p/(2(p − 1)) of its range, every varied parameter once per trajectory.
#[test]
fn morris_points_are_trajectories_over_the_varied_parameters() {
    let s = sweep(&format!(
        "scenario = \"b\"\ndesign = \"morris\"\ntrajectories = 5\nlevels = 6\n{SENS_PARAMS}"
    ))
    .unwrap();
    assert_eq!(s.points().len(), 5 * 3);
    let unit = s.unit_points().unwrap();
    for t in unit.chunks(3) {
        let moved: Vec<usize> = (1..3)
            .map(|i| {
                let j: Vec<usize> = (0..2).filter(|&j| t[i][j] != t[i - 1][j]).collect();
                assert_eq!(j.len(), 1);
                assert!(((t[i][j[0]] - t[i - 1][j[0]]).abs() - 0.6).abs() < 1e-12);
                j[0]
            })
            .collect();
        let mut sorted = moved.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1]);
    }
    assert!(
        s.points()
            .iter()
            .all(|p| p.values[1] == toml::Value::Integer(1800))
    );
}

#[test]
fn sensitivity_design_keys_are_checked() {
    let sobol =
        |extra: &str| format!("scenario = \"b\"\ndesign = \"sobol\"\n{extra}\n{SENS_PARAMS}");
    let morris =
        |extra: &str| format!("scenario = \"b\"\ndesign = \"morris\"\n{extra}\n{SENS_PARAMS}");
    assert_eq!(problems(&sobol("")), ["points"]);
    assert_eq!(problems(&sobol("points = 6")), ["points"]);
    assert_eq!(problems(&sobol("points = 1")), ["points"]);
    assert_eq!(problems(&sobol("points = 8\nlevels = 4")), ["levels"]);
    assert_eq!(
        problems(&sobol("points = 8\ntrajectories = 4")),
        ["trajectories"]
    );
    assert_eq!(
        problems(&sobol("points = 8\nsample = \"x.csv\"")),
        ["sample"]
    );
    assert_eq!(problems(&morris("")), ["trajectories"]);
    assert_eq!(problems(&morris("trajectories = 1")), ["trajectories"]);
    assert_eq!(
        problems(&morris("trajectories = 4\nlevels = 3")),
        ["levels"]
    );
    assert_eq!(
        problems(&morris("trajectories = 4\nlevels = 0")),
        ["levels"]
    );
    assert_eq!(
        problems(&morris("trajectories = 4\npoints = 8")),
        ["points"]
    );
    assert_eq!(
        problems(&morris("trajectories = 4\nsecond_order = false")),
        ["second_order"]
    );
    assert_eq!(
        problems(
            "scenario = \"b\"\nsecond_order = true\n[[param]]\nkey = \"clients.count\"\nvalues = [1, 2]\n"
        ),
        ["second_order"]
    );
    // Only fixed parameters: nothing to analyse.
    assert_eq!(
        problems(
            "scenario = \"b\"\ndesign = \"sobol\"\npoints = 4\n[[param]]\nkey = \"clients.count\"\nvalues = [5]\n"
        ),
        ["param"]
    );
    // More parameters than the shipped direction numbers cover.
    let many: String = (0..65)
        .map(|i| format!("[[param]]\nkey = \"k{i}\"\nlinear = {{ from = 0.0, to = 1.0 }}\n"))
        .collect();
    assert_eq!(
        problems(&format!(
            "scenario = \"b\"\ndesign = \"sobol\"\npoints = 2\n{many}"
        )),
        ["param"]
    );
    // A wrong type is a parse error naming the key.
    let e = sweep(&sobol("points = 8\nsecond_order = \"yes\"")).unwrap_err();
    assert!(
        matches!(e, SweepError::Parse { .. }) && e.to_string().contains("second_order"),
        "{e}"
    );
    // Messages name the allowed values.
    let e = sweep(&morris("trajectories = 4\nlevels = 5"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("key `levels` = 5: allowed an even integer ≥ 2"),
        "{e}"
    );
    let e = sweep(&sobol("points = 12")).unwrap_err().to_string();
    assert!(
        e.contains("key `points` = 12: allowed a power of 2 ≥ 2"),
        "{e}"
    );
    // Size: N(2D + 2) points count toward the cap.
    assert_eq!(problems(&sobol("points = 262144")), ["points"]);
}

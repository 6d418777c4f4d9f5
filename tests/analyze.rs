//! End-to-end tests of the sensitivity designs (sobol, morris, file) and `marketsim analyze`,
//! driving the built binary on a tiny baseline.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{marketsim, ok, scratch};

fn refused(args: &[&str], needles: &[&str]) {
    let out = marketsim(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "marketsim {args:?} must be refused"
    );
    let msg = String::from_utf8_lossy(&out.stderr);
    for needle in needles {
        assert!(msg.contains(needle), "{needle:?} not in: {msg}");
    }
}

/// The baseline shrunk to a few minutes of a small market.
fn tiny() -> String {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    format!(
        "scenario = {base:?}\nseed = 3\nreplicates = 2\n\
         [[param]]\nkey = \"run.horizon\"\nvalues = [7200]\n\
         [[param]]\nkey = \"population[0].count\"\nvalues = [30]\n\
         [[param]]\nkey = \"clients.count\"\nvalues = [20]\n"
    )
}

/// A sobol sweep over a parameter that drives the market (jobs per hour) and one that no
/// summary metric can see (the time-series sampling interval).
fn sobol_sweep(dir: &Path) -> PathBuf {
    let path = dir.join("sobol.toml");
    fs::write(
        &path,
        format!(
            "design = \"sobol\"\npoints = 64\n{}\
             [[param]]\nkey = \"clients.jobs_per_hour\"\nlinear = {{ from = 5.0, to = 60.0 }}\n\
             [[param]]\nkey = \"run.sample_interval\"\nlinear = {{ from = 600.0, to = 3600.0 }}\ninteger = true\n",
            tiny()
        ),
    )
    .unwrap();
    path
}

/// `sensitivity.csv` as (metric, index, parameter, parameter_2) → (value, conf, noise_share).
fn indices(dir: &Path) -> Vec<(Vec<String>, Vec<Option<f64>>)> {
    let mut r = csv::Reader::from_path(dir.join("sensitivity.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "metric",
            "index",
            "parameter",
            "parameter_2",
            "value",
            "conf",
            "ci_low",
            "ci_high",
            "noise_share"
        ]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let num = |i: usize| rec[i].parse::<f64>().ok();
            let keys = (0..4).map(|i| rec[i].to_string()).collect();
            let (v, c) = (num(4), num(5));
            if let (Some(v), Some(c)) = (v, c) {
                assert_eq!(num(6), Some(v - c));
                assert_eq!(num(7), Some(v + c));
            }
            (keys, vec![v, c, num(8)])
        })
        .collect()
}

fn find<'a>(
    rows: &'a [(Vec<String>, Vec<Option<f64>>)],
    metric: &str,
    index: &str,
    parameter: &str,
) -> &'a [Option<f64>] {
    &rows
        .iter()
        .find(|(k, _)| k[0] == metric && k[1] == index && k[2] == parameter)
        .unwrap_or_else(|| panic!("no {metric} {index} {parameter}"))
        .1
}

/// The same sobol sweep run with --jobs 1 and --jobs 2 and analysed twice gives byte-identical
/// sensitivity files; the indices say what the model does: jobs per hour explains nearly all
/// of jobs_posted, the sampling interval (which no summary metric sees) next to nothing, and
/// jobs_posted has little seed noise; every metric has 2 S1, 2 ST and 1 S2 rows.
#[test]
fn sobol_analysis_is_identical_for_any_jobs_and_finds_the_driving_parameter() {
    let dir = scratch("sobol");
    let sweep = sobol_sweep(&dir);
    let (a, b) = (dir.join("a"), dir.join("b"));
    for (out, jobs) in [(&a, "1"), (&b, "2")] {
        ok(&[
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            jobs,
            "--quiet",
        ]);
        ok(&["analyze", out.to_str().unwrap(), "--resamples", "200"]);
    }
    for name in ["sensitivity.csv", "sensitivity.parquet"] {
        assert_eq!(
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
    let first = fs::read(a.join("sensitivity.csv")).unwrap();
    ok(&["analyze", a.to_str().unwrap(), "--resamples", "200"]);
    assert_eq!(fs::read(a.join("sensitivity.csv")).unwrap(), first);

    let rows = indices(&a);
    let jobs = "clients.jobs_per_hour";
    let s1 = find(&rows, "jobs_posted", "S1", jobs);
    let st = find(&rows, "jobs_posted", "ST", jobs);
    assert!(
        s1[0].unwrap() > 0.8 && st[0].unwrap() > 0.8,
        "{s1:?} {st:?}"
    );
    // The whole 95% interval says "important".
    assert!(
        s1[1].unwrap() > 0.0 && s1[0].unwrap() - s1[1].unwrap() > 0.5,
        "interval {s1:?}"
    );
    let inert = find(&rows, "jobs_posted", "ST", "run.sample_interval");
    assert!(inert[0].unwrap() < 0.1, "{inert:?}");
    assert!(s1[2].unwrap() < 0.1, "noise share {s1:?}");
    let metrics: std::collections::BTreeSet<&str> =
        rows.iter().map(|(k, _)| k[0].as_str()).collect();
    for m in &metrics {
        let count = |index: &str| {
            rows.iter()
                .filter(|(k, _)| k[0] == *m && k[1] == index)
                .count()
        };
        assert_eq!((count("S1"), count("ST"), count("S2")), (2, 2, 1), "{m}");
    }
    let s2 = rows.iter().find(|(k, _)| k[1] == "S2").unwrap();
    assert_eq!(
        (s2.0[2].as_str(), s2.0[3].as_str()),
        (jobs, "run.sample_interval")
    );
}

/// A morris sweep: μ*, μ and σ per parameter and metric, μ* ≥ |μ|, and jobs per hour the
/// larger effect on jobs_posted, with μ = μ* (more jobs per hour never posts fewer jobs).
#[test]
fn morris_analysis_ranks_the_driving_parameter_first() {
    let dir = scratch("morris");
    let sweep = dir.join("morris.toml");
    let text = fs::read_to_string(sobol_sweep(&dir)).unwrap().replace(
        "design = \"sobol\"\npoints = 64",
        "design = \"morris\"\ntrajectories = 10\nlevels = 4",
    );
    fs::write(&sweep, text).unwrap();
    let out = dir.join("out");
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    ok(&["analyze", out.to_str().unwrap()]);
    let rows = indices(&out);
    for (k, v) in &rows {
        if k[1] == "mu_star" {
            let mu = find(&rows, &k[0], "mu", &k[2])[0].unwrap();
            assert!(v[0].unwrap() >= mu.abs() - 1e-9, "{k:?}");
            assert!(v[1].is_some());
        } else {
            assert_eq!(v[1], None, "{k:?}: only mu_star has an interval");
        }
    }
    let jobs = find(&rows, "jobs_posted", "mu_star", "clients.jobs_per_hour")[0].unwrap();
    let mu = find(&rows, "jobs_posted", "mu", "clients.jobs_per_hour")[0].unwrap();
    let inert = find(&rows, "jobs_posted", "mu_star", "run.sample_interval")[0].unwrap();
    assert!(
        jobs > 5.0 * inert && (jobs - mu).abs() < 1e-9,
        "{jobs} {mu} {inert}"
    );
    // Replacing the sweep removes its analysis, which would no longer describe it.
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--force",
    ]);
    assert!(!out.join("sensitivity.csv").exists() && !out.join("sensitivity.parquet").exists());
}

/// A file design runs the sample's rows in order (outputs in sample row order), keeps a copy
/// of the sample so that the resolved sweep reproduces it, and is refused by analyze.
#[test]
fn file_design_runs_the_sample_rows_in_order() {
    let dir = scratch("file");
    fs::write(
        dir.join("sample.txt"),
        "# clients.jobs_per_hour run.sample_interval\n\
         4.000000000000000000e+01 6.000000000000000000e+02\n\
         1.0e+01 3600\n2.55e+01 1.2e+03\n",
    )
    .unwrap();
    let sweep = dir.join("file.toml");
    fs::write(
        &sweep,
        format!("design = \"file\"\nsample = \"sample.txt\"\n{}", tiny()),
    )
    .unwrap();
    let out = dir.join("out");
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let mut r = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    assert_eq!(&h[1], "clients.jobs_per_hour");
    assert_eq!(&h[2], "run.sample_interval");
    assert_eq!(&h[3], "run.horizon");
    let rows: Vec<(String, String)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (x[1].to_string(), x[2].to_string())
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("40".into(), "600".into()),
            ("10".into(), "3600".into()),
            ("25.5".into(), "1200".into())
        ]
    );
    assert_eq!(
        fs::read(out.join("sample.txt")).unwrap(),
        fs::read(dir.join("sample.txt")).unwrap()
    );
    let again = dir.join("again");
    ok(&[
        "sweep",
        out.join("sweep.resolved.toml").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        fs::read(out.join("summary.csv")).unwrap(),
        fs::read(again.join("summary.csv")).unwrap()
    );
    refused(
        &["analyze", out.to_str().unwrap()],
        &["a file sweep", "needs design = \"sobol\" or \"morris\""],
    );
}

/// Bad sensitivity sweep files are refused before anything runs, naming the file, the key
/// and the allowed values.
#[test]
fn bad_sensitivity_sweeps_are_refused_with_clear_messages() {
    let dir = scratch("refusals");
    let write = |name: &str, head: &str| {
        let path = dir.join(name);
        fs::write(
            &path,
            format!(
                "{head}\n{}[[param]]\nkey = \"clients.jobs_per_hour\"\nlinear = {{ from = 5.0, to = 60.0 }}\n",
                tiny()
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_string()
    };
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            write(
                "unknown.toml",
                "design = \"sobol\"\npoints = 8\nsecond_ordr = true",
            ),
            vec!["unknown.toml", "unknown field `second_ordr`"],
        ),
        (
            write("type.toml", "design = \"morris\"\ntrajectories = \"ten\""),
            vec!["type.toml", "trajectories", "invalid type"],
        ),
        (
            write("pow2.toml", "design = \"sobol\"\npoints = 10"),
            vec!["pow2.toml", "key `points` = 10: allowed a power of 2 ≥ 2"],
        ),
        (
            write(
                "levels.toml",
                "design = \"morris\"\ntrajectories = 4\nlevels = 1",
            ),
            vec![
                "levels.toml",
                "key `levels` = 1: allowed an even integer ≥ 2",
            ],
        ),
        (
            write(
                "nosample.toml",
                "design = \"file\"\nsample = \"missing.csv\"",
            ),
            vec!["missing.csv", "cannot read"],
        ),
    ];
    for (file, needles) in &cases {
        refused(&["sweep", file, "--out", out], needles);
    }
    fs::write(
        dir.join("badcol.csv"),
        "clients.jobs_per_hour,clients.nope\n10,1\n20,2\n",
    )
    .unwrap();
    let path = dir.join("badcol.toml");
    fs::write(
        &path,
        format!("design = \"file\"\nsample = \"badcol.csv\"\n{}", tiny()),
    )
    .unwrap();
    refused(
        &["sweep", path.to_str().unwrap(), "--out", out],
        &[
            "badcol.csv: column `clients.nope` (first value 1) is refused by the scenario",
            "unknown field `nope`",
        ],
    );
    fs::write(
        dir.join("ragged.csv"),
        "clients.jobs_per_hour,run.sample_interval\n10,600\n20\n",
    )
    .unwrap();
    fs::write(
        &path,
        format!("design = \"file\"\nsample = \"ragged.csv\"\n{}", tiny()),
    )
    .unwrap();
    refused(
        &["sweep", path.to_str().unwrap(), "--out", out],
        &["ragged.csv: sample file: line 3: 1 cell(s); the header names 2 column(s)"],
    );
    assert!(!Path::new(out).exists(), "nothing ran");
    refused(
        &["analyze", dir.join("nowhere").to_str().unwrap()],
        &["nowhere: not a directory"],
    );
    assert!(!dir.join("nowhere").exists());
}

/// The shipped sensitivity sweeps load, validate every point against gaming-mix, and have the
/// sizes their headers state.
#[test]
fn shipped_sensitivity_sweeps_are_valid_and_sized_as_stated() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    for (name, dimensions, points) in [
        ("sensitivity-gaming.toml", 8, 64 * (2 * 8 + 2)),
        ("screening.toml", 63, 8 * 64),
    ] {
        let sweep = marketsim::sweep::Sweep::load(&dir.join(name)).unwrap();
        assert_eq!(sweep.varied().len(), dimensions, "{name}");
        assert_eq!(sweep.points().len(), points, "{name}");
        assert_eq!(sweep.runs().len(), 2 * points, "{name}");
        let text = fs::read_to_string(dir.join(name)).unwrap();
        assert!(
            text.contains(&format!("{} one-day runs", 2 * points)),
            "{name}"
        );
    }
}

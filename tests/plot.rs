//! End-to-end tests of `marketsim plot`, driving the built binary on small runs and sweeps of
//! every shipped scenario and sweep.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{Scratch, marketsim, ok, scratch};

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Decodes a PNG: (width, height, number of distinct RGB colours).
fn png_stats(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let colours: HashSet<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    (info.width, info.height, colours.len())
}

/// Every `src`/`href` of `index.html` names a file that exists next to it, and every chart
/// in the directory is shown.
fn check_index(out: &Path, charts: &[&str], ext: &str) {
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        !html.contains("<script"),
        "index.html must not use JavaScript"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    let mut referenced = HashSet::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let target = part.split('"').next().unwrap();
            if target.starts_with('#') {
                continue;
            }
            assert!(
                out.join(target).is_file(),
                "index.html references missing {target}"
            );
            referenced.insert(target.to_string());
        }
    }
    for c in charts {
        assert!(
            referenced.contains(&format!("{c}.{ext}")),
            "{c}.{ext} not shown"
        );
    }
    assert!(html.contains("Summary table"));
}

/// Each PNG chart is 1400 px wide (at least 1200), at least 700 px high, and not blank: many distinct colours
/// (text anti-aliasing, lines, bands).
fn check_pngs(out: &Path, charts: &[&str]) {
    for c in charts {
        let (w, h, colours) = png_stats(&out.join(format!("{c}.png")));
        assert!(w >= 1200 && w == 1400, "{c}: width {w}");
        assert!(h >= 700, "{c}: height {h}");
        assert!(colours >= 20, "{c}.png looks blank: {colours} colours");
    }
}

const RUN_CHARTS: [&str; 5] = [
    "reputation",
    "detection",
    "value_share",
    "lorenz",
    "time_to_flag",
];

#[test]
fn every_run_chart_renders_for_every_shipped_scenario() {
    let root = scratch("scenarios");
    let mut scenarios: Vec<PathBuf> = fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 6);
    for s in &scenarios {
        let name = s.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = root.join(&name);
        let d = dir.to_str().unwrap();
        // Small runs: 6 simulated hours (the paper walkthrough is one hour anyway).
        ok(&[
            "run",
            s.to_str().unwrap(),
            "--out",
            d,
            "--quiet",
            "--set",
            "run.horizon=21600",
            "--set",
            "run.sample_interval=3600",
        ]);
        let out = dir.join("plots");
        ok(&["plot", d, "--format", "both"]);
        let mut expected: Vec<String> = RUN_CHARTS
            .iter()
            .flat_map(|c| [format!("{c}.png"), format!("{c}.svg")])
            .collect();
        expected.push("index.html".into());
        expected.sort();
        assert_eq!(names(&out), expected, "{name}");
        check_pngs(&out, &RUN_CHARTS);
        check_index(&out, &RUN_CHARTS, "png");
        for c in RUN_CHARTS {
            let svg = fs::read_to_string(out.join(format!("{c}.svg"))).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("<text"),
                "{name}/{c}.svg"
            );
        }
    }
}

#[test]
fn every_sweep_chart_renders_for_every_shipped_sweep() {
    let root = scratch("sweeps");
    for (sweep, heatmap) in [
        ("detection-vs-decay", true),
        ("sybil-ranking", false),
        ("concentration-routing", false),
    ] {
        let dir = root.join(sweep);
        let d = dir.to_str().unwrap();
        // The shipped sweep shrunk: 2 replicates of 3 simulated hours per point. Its points are
        // those of the shipped file; only the horizon and the replicates change, and its base
        // scenario is named by an absolute path.
        let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let text = fs::read_to_string(scenarios.join(format!("sweeps/{sweep}.toml")))
            .unwrap()
            .replace("replicates = 5", "replicates = 2")
            .replace("values = [172800]", "values = [10800]")
            .replace(
                "scenario = \"../",
                &format!("scenario = \"{}/", scenarios.display()),
            );
        assert!(
            text.contains("values = [10800]"),
            "{sweep}: horizon not shrunk"
        );
        let file = root.join(format!("{sweep}.toml"));
        fs::write(&file, text).unwrap();
        ok(&[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            d,
            "--quiet",
            "--jobs",
            "2",
        ]);
        let out = root.join(format!("{sweep}-plots"));
        ok(&["plot", d, "--out", out.to_str().unwrap()]);
        let mut charts: Vec<String> = names(&out)
            .into_iter()
            .filter_map(|n| n.strip_suffix(".png").map(String::from))
            .collect();
        charts.sort();
        let mut expected = vec!["sweep_detection", "sweep_market"];
        if sweep != "concentration-routing" {
            expected.push("sweep_value_share");
        }
        if heatmap {
            expected.extend(["heatmap_detection", "heatmap_market", "heatmap_value_share"]);
        }
        expected.sort();
        assert_eq!(charts, expected, "{sweep}");
        let refs: Vec<&str> = charts.iter().map(String::as_str).collect();
        check_pngs(&out, &refs);
        check_index(&out, &refs, "png");
        // The sweep table lists every point.
        let html = fs::read_to_string(out.join("index.html")).unwrap();
        let points = fs::read_to_string(dir.join("summary.csv"))
            .unwrap()
            .lines()
            .count()
            - 1;
        assert_eq!(html.matches("<tr><td>").count(), points, "{sweep}");
    }
}

/// A sensitivity sweep (sobol or morris) is charted from `sensitivity.csv`: one bar chart per
/// group of headline metrics and no metric-vs-parameter charts, in a few hundred kilobytes;
/// before `marketsim analyze` the plot is refused, saying so, and writes nothing.
#[test]
fn a_sensitivity_sweep_is_drawn_as_bars_of_its_indices() {
    let root = scratch("sensitivity");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gaming-mix.toml");
    let params = "[[param]]\nkey = \"reputation.decay\"\nlinear = { from = 0.8, to = 0.99 }\n\
                  [[param]]\nkey = \"reputation.suspicion_step\"\nlinear = { from = 0.05, to = 0.3 }\n\
                  [[param]]\nkey = \"market.bidding_window\"\nlinear = { from = 300.0, to = 1200.0 }\ninteger = true\n\
                  [[param]]\nkey = \"run.horizon\"\nvalues = [10800]\n";
    for (design, keys) in [
        ("sobol", "points = 8\nsecond_order = false\n"),
        ("morris", "trajectories = 4\nlevels = 4\n"),
    ] {
        let file = root.join(format!("{design}.toml"));
        fs::write(
            &file,
            format!(
                "scenario = \"{}\"\nseed = 1\ndesign = \"{design}\"\n{keys}replicates = 2\n{params}",
                scenario.display()
            ),
        )
        .unwrap();
        let dir = root.join(design);
        let d = dir.to_str().unwrap();
        ok(&[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            d,
            "--quiet",
            "--jobs",
            "2",
        ]);
        let out = root.join(format!("{design}-plots"));
        let o = out.to_str().unwrap();
        let refused = marketsim(&["plot", d, "--out", o]);
        assert_eq!(refused.status.code(), Some(2), "{design}");
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(
            err.contains("sensitivity.csv") && err.contains("marketsim analyze"),
            "{err}"
        );
        assert!(!out.exists(), "{design}: a refused plot wrote {o}");
        ok(&["analyze", d, "--resamples", "100"]);
        ok(&["plot", d, "--out", o]);
        let mut charts: Vec<String> = names(&out)
            .into_iter()
            .filter_map(|n| n.strip_suffix(".png").map(String::from))
            .collect();
        charts.sort();
        assert_eq!(
            charts,
            [
                "sensitivity_detection",
                "sensitivity_market",
                "sensitivity_value_share"
            ],
            "{design}"
        );
        let refs: Vec<&str> = charts.iter().map(String::as_str).collect();
        check_pngs(&out, &refs);
        check_index(&out, &refs, "png");
        let bytes: u64 = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(bytes < 4_000_000, "{design}: {bytes} bytes of charts");
    }
}

/// A finished small run to break in the error tests.
fn small_run(name: &str) -> Scratch {
    let dir = scratch(name);
    ok(&[
        "run",
        "scenarios/baseline.toml",
        "--out",
        dir.join("run").to_str().unwrap(),
        "--quiet",
        "--set",
        "run.horizon=7200",
        "--set",
        "run.sample_interval=3600",
    ]);
    dir
}

/// `plot` exits 2, names `file` in its message, and leaves `out` absent.
fn refused(dir: &Path, out: &Path, file: &str) {
    let o = marketsim(&[
        "plot",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(file), "error should name {file}: {err}");
    assert!(!out.exists(), "nothing may be written to --out");
}

#[test]
fn bad_input_exits_2_naming_the_file_and_writes_nothing() {
    let base = small_run("errors");
    let run = base.join("run");
    let out = base.join("out");

    // A directory with no results.
    let empty = base.join("empty");
    fs::create_dir_all(&empty).unwrap();
    fs::write(empty.join("notes.txt"), "hello").unwrap();
    refused(&empty, &out, "no results found");
    refused(&empty, &out, empty.to_str().unwrap());

    // A missing column.
    let agents = fs::read_to_string(run.join("agents.csv")).unwrap();
    let cut: String = agents
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect(); // drops the last column, `whitewashed`: still fine ...
    fs::write(run.join("agents.csv"), &cut).unwrap();
    let o = marketsim(&[
        "plot",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "an unused column may be missing");
    fs::remove_dir_all(&out).unwrap();
    let no_earnings = agents.replace("earnings", "income");
    fs::write(run.join("agents.csv"), &no_earnings).unwrap();
    refused(&run, &out, "agents.csv: missing column `earnings`");

    // A foreign file in place of a results file.
    fs::write(run.join("agents.csv"), "name,age\nbob,3\n").unwrap();
    refused(&run, &out, "agents.csv");
    fs::write(run.join("agents.csv"), &agents).unwrap();
    fs::write(run.join("timeseries.csv"), "\u{0}\u{1}binary").unwrap();
    refused(&run, &out, "timeseries.csv");

    // A missing file.
    fs::remove_file(run.join("timeseries.csv")).unwrap();
    refused(&run, &out, "timeseries.csv: missing");

    // A bad cell, with its line and column.
    ok(&[
        "run",
        "scenarios/baseline.toml",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
        "--force",
        "--set",
        "run.horizon=7200",
    ]);
    let summary = fs::read_to_string(run.join("summary.csv")).unwrap();
    let (header, row) = summary.split_once('\n').unwrap();
    let (_, rest) = row.split_once(',').unwrap();
    let (_, rest) = rest.split_once(',').unwrap();
    fs::write(run.join("summary.csv"), format!("{header}\n1,soon,{rest}")).unwrap();
    refused(
        &run,
        &out,
        "summary.csv: line 2, column `end_time`: `soon` is not a number",
    );
}

#[test]
fn a_non_empty_out_is_refused_without_force() {
    let base = small_run("force");
    let run = base.join("run");
    let out = base.join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("mine.txt"), "user data").unwrap();
    let o = marketsim(&[
        "plot",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(names(&out), vec!["mine.txt"]);
    ok(&[
        "plot",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
        "--format",
        "svg",
    ]);
    let n = names(&out);
    assert!(n.contains(&"mine.txt".to_string()) && n.contains(&"lorenz.svg".to_string()));
    assert!(
        !n.iter()
            .any(|f| f.ends_with(".png") || f.contains("partial"))
    );
    check_index(&out, &RUN_CHARTS, "svg");
}

#[test]
fn plotting_is_deterministic() {
    let base = small_run("determinism");
    let run = base.join("run");
    let (a, b) = (base.join("a"), base.join("b"));
    for o in [&a, &b] {
        ok(&["plot", run.to_str().unwrap(), "--out", o.to_str().unwrap()]);
    }
    for n in names(&a) {
        if n == "index.html" {
            continue; // it names its source directory, which is the same here anyway
        }
        assert_eq!(
            fs::read(a.join(&n)).unwrap(),
            fs::read(b.join(&n)).unwrap(),
            "{n}"
        );
    }
}

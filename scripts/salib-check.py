#!/usr/bin/env python3
"""CI check: marketsim's sensitivity indices equal SALib's on the same samples and outputs.

Usage: salib-check.py MARKETSIM WORKDIR

Shrinks the shipped sweeps scenarios/sweeps/sensitivity-gaming.toml (sobol, with and without
second-order rows) and scenarios/sweeps/screening.toml (morris) to a few base samples or
trajectories and a 6-hour horizon, runs each with `marketsim sweep`, analyses it with
`marketsim analyze`, then recomputes every index with SALib from the sweep's own summary.csv:

- sobol: Y = the metric's M_mean column in point order (SALib's Saltelli row order);
  SALib.analyze.sobol.analyze(problem, Y, calc_second_order) gives S1, ST (and S2);
- morris: X = the varied parameters' columns of summary.csv (the values the runs used),
  Y as above; SALib.analyze.morris.analyze(problem, X, Y, num_levels) gives mu, mu_star, sigma.

Every point estimate must agree within 1e-9 (absolute); bootstrap intervals are not compared
(each side draws its own resamples). A metric marketsim leaves out (missing at a point, or the
same at every point) must be one SALib cannot analyse either: a missing or constant Y.
Exits 0 when everything agrees, 1 otherwise, and prints one line per sweep.
"""

import csv
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_sobol

TOLERANCE = 1e-9
ROOT = Path(__file__).resolve().parent.parent


def shrink(src, dst, replace):
    """Writes the sweep `src` to `dst` with the base scenario path made absolute and each
    `key = value` line of `replace` substituted; the horizon parameter becomes 6 hours."""
    text = (ROOT / "scenarios/sweeps" / src).read_text()
    text = text.replace('"../gaming-mix.toml"', '"%s"' % (ROOT / "scenarios/gaming-mix.toml"))
    for key, value in replace.items():
        text, n = re.subn(r"(?m)^%s = .*$" % re.escape(key), "%s = %s" % (key, value), text)
        assert n == 1, "%s: no line `%s = ...`" % (src, key)
    text, n = re.subn(r"values = \[86400\]", "values = [21600]", text)
    assert n == 1, "%s: no one-day horizon parameter" % src
    dst.write_text(text)


def run(marketsim, *args):
    subprocess.run([marketsim, *args], check=True)


def read_table(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


def varied_keys(sweep_path):
    """The keys of the sweep's [[param]]s that have a range (the design's dimensions)."""
    keys, current = [], None
    for line in sweep_path.read_text().splitlines():
        m = re.match(r'^key = "(.*)"$', line)
        if m:
            current = m.group(1)
        elif current and re.match(r"^(linear|log) = ", line):
            keys.append(current)
            current = None
    return keys


def compare(label, ours, theirs, failures):
    if ours is None or not math.isfinite(theirs) or abs(ours - theirs) > TOLERANCE:
        failures.append("%s: marketsim %r, SALib %r" % (label, ours, theirs))


def check(marketsim, workdir, name, src, replace, method):
    sweep = workdir / ("%s.toml" % name)
    out = workdir / name
    shrink(src, sweep, replace)
    run(marketsim, "sweep", str(sweep), "--out", str(out), "--force", "--quiet", "--jobs", "2")
    run(marketsim, "analyze", str(out), "--resamples", "100")
    keys = varied_keys(sweep)
    summary = read_table(out / "summary.csv")
    ours = {}
    for r in read_table(out / "sensitivity.csv"):
        ours[(r["metric"], r["index"], r["parameter"], r["parameter_2"])] = float(r["value"])
    # Metric M has the five columns M_mean … M_n (a parameter such as quality_mean does not).
    metrics = [c[: -len("_mean")] for c in summary[0]
               if c.endswith("_mean") and c[: -len("_mean")] + "_n" in summary[0]]
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    failures, compared, skipped = [], 0, 0
    for metric in metrics:
        cells = [r[metric + "_mean"] for r in summary]
        analysed = any(k[0] == metric for k in ours)
        if "" in cells or len(set(cells)) == 1:
            skipped += 1
            if analysed:
                failures.append("%s: marketsim analysed a missing or constant output" % metric)
            continue
        if not analysed:
            failures.append("%s: marketsim left out an output SALib can analyse" % metric)
            continue
        y = np.array([float(c) for c in cells])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "sobol":
                second = replace.get("second_order", "true") == "true"
                si = salib_sobol.analyze(problem, y, calc_second_order=second, num_resamples=2, seed=1)
                for j, key in enumerate(keys):
                    for index in ("S1", "ST"):
                        compare("%s %s %s" % (metric, index, key), ours.get((metric, index, key, "")), si[index][j], failures)
                        compared += 1
                    if second:
                        for k in range(j + 1, len(keys)):
                            compare("%s S2 %s %s" % (metric, key, keys[k]), ours.get((metric, "S2", key, keys[k])), si["S2"][j, k], failures)
                            compared += 1
            else:
                x = np.array([[float(r[k]) for k in keys] for r in summary])
                si = salib_morris.analyze(problem, x, y, num_resamples=2, num_levels=int(replace["levels"]), seed=1)
                for j, key in enumerate(keys):
                    for index in ("mu_star", "mu", "sigma"):
                        compare("%s %s %s" % (metric, index, key), ours.get((metric, index, key, "")), float(si[index][j]), failures)
                        compared += 1
    print("%s: %d indices of %d metrics compared with SALib (%d metrics missing or constant), %d differ"
          % (name, compared, len(metrics) - skipped, skipped, len(failures)))
    for f in failures[:20]:
        print("  " + f)
    return not failures and compared > 0


def main():
    marketsim, workdir = sys.argv[1], Path(sys.argv[2])
    workdir.mkdir(parents=True, exist_ok=True)
    ok = all([
        check(marketsim, workdir, "sobol-second-order", "sensitivity-gaming.toml",
              {"points": "8", "second_order": "true"}, "sobol"),
        check(marketsim, workdir, "sobol-first-order", "sensitivity-gaming.toml",
              {"points": "8", "second_order": "false"}, "sobol"),
        check(marketsim, workdir, "morris", "screening.toml",
              {"trajectories": "4", "levels": "4"}, "morris"),
    ])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Regenerates every committed reference result in results/reference/ (see results/README.md):
# a run of every shipped scenario, the variant runs that measure SPEC §8's contradictions, every
# shipped research sweep, and the charts of each (`marketsim plot`).
#
#   scripts/regen-results.sh [MARKETSIM_BINARY]     (default: target/debug/marketsim)
#
# Deterministic: the same binary writes the same bytes (every run is seeded; sweeps are
# byte-identical for any --jobs). CI runs it and fails if any committed CSV changed
# (.ci/run). Sizes are chosen so that the whole script takes a few minutes on 2 cores with the
# dev binary; they are recorded here, and each run's scenario.resolved.toml /
# each sweep's sweep.resolved.toml records every parameter actually used.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/marketsim}
if [ ! -x "$BIN" ]; then
  echo "regen-results: $BIN is not an executable marketsim binary (build it with cargo build)" >&2
  exit 2
fi
OUT=results/reference
start=$SECONDS

# Everything under results/reference/ is generated: start from nothing so that no stale file
# survives a renamed scenario.
rm -rf "$OUT"
mkdir -p "$OUT/variants" "$OUT/sweeps" "$OUT/compare"

# run NAME SCENARIO [--set KEY=VALUE]...: one run into $OUT/NAME.
run() {
  local name=$1 scenario=$2
  shift 2
  echo "-- run $name: $scenario $*"
  "$BIN" run "$scenario" --out "$OUT/$name" --quiet "$@"
}

# Every shipped scenario at its own size (one simulated week of postings; the paper
# walkthrough is one job), with its charts.
for scenario in scenarios/*.toml; do
  name=$(basename "$scenario" .toml)
  run "$name" "$scenario"
  "$BIN" plot "$OUT/$name"
done

# Variants that measure SPEC §8 (results/README.md); only their numbers are used, so no charts
# (keeping the repository small):
# - sybils when proposals are ranked by trust T instead of reputation R;
run variants/sybil-whitewash-trust scenarios/sybil-whitewash.toml --set market.ranking=trust
# - the paper's §7.7 active→completed shortcut allowed;
run variants/gaming-mix-active-completion scenarios/gaming-mix.toml \
  --set market.allow_active_completion=true
# - honest |R − true quality| against the EWMA floor: all agents of one quality (no spread),
#   agents far from the clamp at 1 (quality 0.5), and agents near it (quality 0.9);
run variants/baseline-spread-0 scenarios/baseline.toml --set 'population[0].quality_spread=0'
run variants/baseline-quality-0.5 scenarios/baseline.toml --set 'population[0].quality_mean=0.5'
run variants/baseline-quality-0.9 scenarios/baseline.toml --set 'population[0].quality_mean=0.9'
# - the gaming mix cleared by the continuous rule (paper §4.5) instead of the call rule (§7.2).
run variants/gaming-mix-continuous scenarios/gaming-mix.toml --set market.clearing=continuous

# Every research sweep as shipped (5 replicates, two simulated days per run).
# throughput-benchmark.toml is not a research question but the README's speed benchmark of
# 1000 runs, so it has no reference results.
for sweep in scenarios/sweeps/*.toml; do
  name=$(basename "$sweep" .toml)
  if [ "$name" = throughput-benchmark ]; then continue; fi
  echo "-- sweep $name"
  "$BIN" sweep "$sweep" --out "$OUT/sweeps/$name" --quiet --jobs 2
  # The per-run records are folded into runs.csv / runs.parquet; keep the repository small.
  rm -rf "$OUT/sweeps/$name/runs"
  # A sensitivity sweep (sobol, morris) is analysed (sensitivity.csv / .parquet) and charted
  # from its indices; its runs table (one row per run, thousands of runs) is not committed:
  # summary.csv has every point's mean, which is what the analysis reads.
  if grep -Eq '^design *= *"(sobol|morris)"' "$sweep"; then
    "$BIN" analyze "$OUT/sweeps/$name"
    rm -f "$OUT/sweeps/$name/runs.csv" "$OUT/sweeps/$name/runs.parquet"
  fi
  "$BIN" plot "$OUT/sweeps/$name"
done

# Common random numbers (README "Comparing two variants"): sybil-whitewash ranked by R (A)
# against by T (B), 20 seeds of one simulated day, paired and independent-seed CIs.
echo "-- compare sybil-ranking"
"$BIN" compare scenarios/sybil-whitewash.toml scenarios/sybil-whitewash.toml \
  --set-b market.ranking=trust --seeds 1..21 --set run.horizon=86400 \
  --out "$OUT/compare/sybil-ranking" --jobs 2 > /dev/null

echo "regen-results: $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1), $((SECONDS - start)) s"

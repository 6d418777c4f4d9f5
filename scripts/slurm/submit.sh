#!/usr/bin/env bash
# Submits a marketsim sweep to Slurm: a job array of N shards, then a merge job that starts
# only when every shard succeeded (--dependency=afterok).
#
#   scripts/slurm/submit.sh SWEEP.toml OUT_ROOT N [extra sbatch options...]
#
# Environment: MARKETSIM = path of the marketsim binary (default: `marketsim` on PATH, else
# target/release/marketsim). Results: OUT_ROOT/shard-K/ per shard, OUT_ROOT/merged/ in the end
# (byte-identical to a single-machine `marketsim sweep`). Prints the two job ids.
set -euo pipefail

sweep=${1:?usage: submit.sh SWEEP.toml OUT_ROOT N [sbatch options...]}
out=${2:?usage: submit.sh SWEEP.toml OUT_ROOT N [sbatch options...]}
n=${3:?usage: submit.sh SWEEP.toml OUT_ROOT N [sbatch options...]}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
bin=${MARKETSIM:-$(command -v marketsim || echo target/release/marketsim)}
bin=$(realpath "$bin")
sweep=$(realpath "$sweep")
mkdir -p "$out"
out=$(realpath "$out")

array=$(sbatch --parsable --array=1-"$n" --output="$out/shard-%a.log" "$@" \
  "$here/sweep.sbatch" "$sweep" "$out" "$bin")
array=${array%%;*}

shards=()
for k in $(seq 1 "$n"); do shards+=("$out/shard-$k"); done
merge=$(sbatch --parsable --dependency=afterok:"$array" --job-name=marketsim-merge \
  --output="$out/merge.log" "$@" --wrap "$(printf '%q ' "$bin" merge "$out/merged" "${shards[@]}")")
merge=${merge%%;*}

echo "array=$array merge=$merge out=$out/merged"

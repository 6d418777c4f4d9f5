#!/usr/bin/env bash
# marketsim's CPU time per job against the speed-of-light kernel (issue 15, docs/performance.md).
#
#   scripts/bench-vs-kernel.sh [PAIRS]            (default PAIRS=5)
#
# Environment:
#   MARKETSIM   a release marketsim binary (default: builds target/release/marketsim)
#   KERNEL_DIR  the kernel's sources (default: ../shared/anchors/speed-of-light)
#   SIZES       "IDENTITIES:JOBS ..." (default: "10000:1000000 100000:3000000")
#
# For each size it runs `marketsim bench` and the kernel PAIRS times, alternating the two so that
# both see the same load on a shared machine, and compares CPU time (user + system, from
# /usr/bin/time), not wall time. It prints one row per size: the median CPU seconds of each,
# the median of the per-pair ratios, and marketsim's median lifecycles per CPU second.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${1:-5}
KERNEL_DIR=${KERNEL_DIR:-../shared/anchors/speed-of-light}
SIZES=${SIZES:-"10000:1000000 100000:3000000"}

if ! [[ "$PAIRS" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench-vs-kernel: PAIRS must be a positive integer, got '$PAIRS'" >&2
  exit 2
fi
if [ ! -f "$KERNEL_DIR/Cargo.toml" ]; then
  echo "bench-vs-kernel: no kernel at $KERNEL_DIR (set KERNEL_DIR)" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench-vs-kernel: /usr/bin/time is needed to measure CPU time (apt-get install time)" >&2
  exit 2
fi

if [ -z "${MARKETSIM:-}" ]; then
  cargo build --release --locked --quiet
  MARKETSIM=${CARGO_TARGET_DIR:-target}/release/marketsim
fi
# The kernel's directory may be read-only: build it under our own target directory.
KERNEL_TARGET=${CARGO_TARGET_DIR:-target}/speed-of-light
cargo build --release --quiet --manifest-path "$KERNEL_DIR/Cargo.toml" \
  --target-dir "$KERNEL_TARGET"
KERNEL=$KERNEL_TARGET/release/speed-of-light

# cpu CMD...: runs CMD, prints its user + system CPU seconds.
cpu() {
  local log
  log=$(mktemp)
  /usr/bin/time -f '%U %S' -o "$log" "$@" > /dev/null
  awk '{ printf "%.3f\n", $1 + $2 }' "$log"
  rm -f "$log"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The ratio and the rates depend on the machine (docs/performance.md measured 7.1 at 10^4 on one
# 2-core machine kind and 9.6 on another): say which one ran them, and how loaded it was.
cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cpu_family=$(awk -F': ' '/^cpu family/ { f = $2 } /^model[[:space:]]*:/ { m = $2 } END { if (f != "") print "family " f " model " m }' /proc/cpuinfo 2>/dev/null)
echo "machine: ${cpu_model:-unknown CPU}${cpu_family:+ ($cpu_family)}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo
echo "| identities | jobs | marketsim CPU s | kernel CPU s | ratio (median of $PAIRS pairs) | lifecycles per CPU s |"
echo "|---:|---:|---:|---:|---:|---:|"
for size in $SIZES; do
  ids=${size%%:*}
  jobs=${size##*:}
  ms=() ks=() ratios=()
  for ((i = 0; i < PAIRS; i++)); do
    m=$(cpu "$MARKETSIM" bench --agents "$ids" --jobs "$jobs" --seed 1)
    k=$(cpu "$KERNEL" "$jobs" "$ids")
    ms+=("$m")
    ks+=("$k")
    # A kernel run too short for /usr/bin/time's 10 ms resolution gives no ratio.
    if awk -v k="$k" 'BEGIN { exit !(k > 0) }'; then
      ratios+=("$(awk -v m="$m" -v k="$k" 'BEGIN { printf "%.3f", m / k }')")
    fi
  done
  m=$(printf '%s\n' "${ms[@]}" | median)
  k=$(printf '%s\n' "${ks[@]}" | median)
  r="— (kernel under 10 ms: use more jobs)"
  if [ ${#ratios[@]} -gt 0 ]; then r=$(printf '%s\n' "${ratios[@]}" | median); fi
  rate=$(awk -v m="$m" -v j="$jobs" 'BEGIN { printf "%.0f", j / m }')
  echo "| $ids | $jobs | $m | $k | $r | $rate |"
done

#!/usr/bin/env bash
# End-to-end test of sweeps on a real Slurm: a single-node cluster on localhost.
#
#   scripts/slurm/e2e.sh [MARKETSIM_BINARY]     (default: target/debug/marketsim)
#
# Installs slurm-wlm and munge from Debian packages if needed (needs root), starts munged,
# slurmctld and slurmd, submits a 4-task array sweep plus its dependent merge job through
# scripts/slurm/submit.sh, waits for the queue to drain, and compares every merged file with a
# single-process sweep of the same file, byte for byte. Stops the daemons it started.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${1:-$repo/target/debug/marketsim}")
work=$(mktemp -d /tmp/marketsim-slurm-e2e.XXXXXX)
started=()

log() { echo "[slurm-e2e] $*"; }

cleanup() {
  for pidfile in "${started[@]}"; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  sleep 1
}
trap cleanup EXIT

# --- install -----------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# --- munge -------------------------------------------------------------------------------
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 400 /etc/munge/munge.key
chmod 700 /etc/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- munged --pid-file=/run/munge/e2e-munged.pid
  started+=(/run/munge/e2e-munged.pid)
  sleep 1
fi
munge -n | unmunge >/dev/null

# --- slurm -------------------------------------------------------------------------------
host=$(hostname -s)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=marketsim-e2e
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SlurmctldPidFile=/run/slurmctld-e2e.pid
SlurmdPidFile=/run/slurmd-e2e.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=2048 State=UNKNOWN
PartitionName=e2e Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
log "starting slurmctld and slurmd"
slurmctld -i
started+=(/run/slurmctld-e2e.pid)
slurmd
started+=(/run/slurmd-e2e.pid)
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then break; fi
  sleep 1
done
sinfo

# --- the sweep ---------------------------------------------------------------------------
cat > "$work/sweep.toml" <<SWEEP
# Slurm end-to-end sweep: small and fast.
scenario = "$repo/scenarios/baseline.toml"
seed = 11
replicates = 3

[[param]]
key = "market.clearing"
values = ["continuous", "call"]

[[param]]
key = "clients.jobs_per_hour"
values = [20.0, 40.0]

[[param]]
key = "run.horizon"
values = [21600]
SWEEP

log "submitting 4 shards + merge"
MARKETSIM="$bin" "$repo/scripts/slurm/submit.sh" "$work/sweep.toml" "$work/cluster" 4
for _ in $(seq 1 300); do
  if [ -z "$(squeue -h 2>/dev/null)" ]; then break; fi
  sleep 1
done
if [ -n "$(squeue -h)" ]; then
  squeue
  log "FAIL: queue did not drain in 300 s"
  exit 1
fi
cat "$work/cluster/merge.log" || true

log "single-process sweep of the same file"
"$bin" sweep "$work/sweep.toml" --out "$work/single" --quiet --jobs 2

status=0
for f in $(cd "$work/single" && find . -type f | sort); do
  if ! cmp -s "$work/single/$f" "$work/cluster/merged/$f"; then
    log "DIFFERENT: $f"
    status=1
  fi
done
extra=$(cd "$work/cluster/merged" && find . -type f | sort | diff - <(cd "$work/single" && find . -type f | sort) || true)
if [ -n "$extra" ]; then log "file lists differ: $extra"; status=1; fi
if [ "$status" -eq 0 ]; then
  log "OK: merged Slurm sweep is byte-identical to the single-process sweep ($(cd "$work/single" && find . -type f | wc -l) files)"
  rm -rf "$work"
fi
exit "$status"

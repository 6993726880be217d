#!/usr/bin/env bash
# Start (or find running) a one-node SLURM cluster on localhost: munged, slurmctld, slurmd.
# Idempotent: a second call with everything up only checks it. Needs root and Debian's
# slurm-wlm + munge (installed here when missing). Prints nothing on success but one line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
host="$(hostname -s)"
cpus="$(nproc)"
# leave 1 GiB to the system: slurmd refuses a node that declares more memory than it has
memory="$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/log/munge /var/lib/munge
sed -e "s/@HOST@/$host/g" -e "s/@CPUS@/$cpus/g" -e "s/@MEMORY@/$memory/g" \
  "$here/slurm.conf.in" > /etc/slurm/slurm.conf.new
# a changed config (another machine size, a new template) restarts the daemons below
changed=1
if cmp -s /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf; then changed=0; fi
mv /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf

if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged 2>/dev/null || /usr/sbin/munged --force
fi

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop() { if running "$1"; then kill "$(cat "$1")"; sleep 2; fi; }
if [ "$changed" = 1 ]; then stop /run/slurmd.pid; stop /run/slurmctld.pid; fi
if ! running /run/slurmctld.pid; then /usr/sbin/slurmctld; fi
if ! running /run/slurmd.pid; then /usr/sbin/slurmd; fi

# up means: the node is idle (or already running jobs) and a job can be submitted
for _ in $(seq 1 30); do
  state="$(sinfo -h -n "$host" -o %T 2>/dev/null || true)"
  case "$state" in
    idle*|mixed*|allocated*) echo "slurm: one-node cluster up on $host ($cpus CPUs, $memory MB)"; exit 0 ;;
    down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
  esac
  sleep 1
done
echo "slurm did not come up on $host; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
exit 1

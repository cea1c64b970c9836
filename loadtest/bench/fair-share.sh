#!/usr/bin/env bash
# fair-share.sh: does one heavy client network take the whole of a global limit, with and without fair share?
#
# The project's generator offers RATE sessions a second (one message each) for DURATION seconds from client networks
# (NETWORKS, default one heavy network sending 80% and fifty small ones sharing 20%; each network its own loopback
# /24) through one Sluice node to the project's sink. Sluice has one global message rate rule at LIMIT_SHARE of the
# offered rate. Each mode in MODES gets a run of its own, one after the other, with its own Sluice and sink:
#   fair    the rule has fair-share: client-net (shares per /24)
#   plain   the same rule without it
# Retry priority is off in both, so that the rule alone decides. Per run the script prints each group's offered and
# accepted messages, the refusals for fair share (Sluice's sluice_limit_fairshare_refused_total), and Jain's fairness
# index over the networks' admitted / demand-capped shares: each network's max-min fair share, given what it offered,
# of the limit's budget over the run (LIMIT x DURATION plus the burst of LIMIT; what the run admitted if more). Target
# (issue 18): >= 0.9 with fair share, where it is about 0.3 without.
# See README.md beside this script.
#
# Settings (environment):
#   RATE=200                 offered sessions/s (one message each)
#   LIMIT_SHARE=0.25         the global limit as a share of RATE (rate LIMIT/1s, burst one second's worth)
#   DURATION=30              seconds of load per run
#   NETWORKS=heavy:1:80%,small:50:20%    the generator's --networks
#   MODES="fair plain"       which runs, in this order
#   REPLY_TIMEOUT=30  STARTUP_TIMEOUT=120  BASE_PORT=random in 20000-31000 (4 ports)  KEEP_WORKDIR=0
#   SLUICE_CMD="./sluice run --config"  SINK_CMD="./sluice sink"  LOAD_CMD="./sluice load"   (from the repository root)
#   PYTHON=python3
set -euo pipefail

RATE=${RATE:-200}
LIMIT_SHARE=${LIMIT_SHARE:-0.25}
DURATION=${DURATION:-30}
NETWORKS=${NETWORKS:-heavy:1:80%,small:50:20%}
MODES=${MODES:-fair plain}
REPLY_TIMEOUT=${REPLY_TIMEOUT:-30}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BASE_PORT=${BASE_PORT:-}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
SLUICE_CMD=${SLUICE_CMD:-./sluice run --config}
SINK_CMD=${SINK_CMD:-./sluice sink}
LOAD_CMD=${LOAD_CMD:-./sluice load}
PYTHON=${PYTHON:-python3}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1

log() { printf '%s\n' "$*" >&2; }
die() {
    log "fair-share: FAILED: $*"
    FAILED=1
    exit 1
}

# --- settings -------------------------------------------------------------------------------------------------

for name in RATE DURATION REPLY_TIMEOUT STARTUP_TIMEOUT; do
    [[ ${!name} =~ ^[0-9]+$ ]] && ((${!name} > 0)) || die "$name=${!name} (expected: a whole number above 0)"
done
[[ $LIMIT_SHARE =~ ^0?\.[0-9]+$ ]] || die "LIMIT_SHARE=$LIMIT_SHARE (expected: a decimal between 0 and 1, e.g. 0.25)"
read -r -a modes <<<"$MODES"
((${#modes[@]} > 0)) || die "MODES is empty (expected: fair, plain or both)"
for mode in "${modes[@]}"; do
    [[ $mode == fair || $mode == plain ]] || die "MODES: unknown mode \"$mode\" (expected: fair, plain)"
done
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (it computes the report)"
command -v curl >/dev/null 2>&1 || die "curl not found (it reads Sluice's refusal counter)"
LIMIT=$(awk -v r="$RATE" -v s="$LIMIT_SHARE" 'BEGIN { l = int(r * s + 0.5); print (l < 1 ? 1 : l) }')
RUN_TIMEOUT=$((DURATION + 2 * REPLY_TIMEOUT + 60))

# The services' settings, as the shared library reads them.
# shellcheck disable=SC2034 # read by lib/services.sh
SESSIONS=1
SIZE=2000
SOURCE_OPTS=
ROUND_TIMEOUT=$RUN_TIMEOUT
BENCH="fair-share"
# shellcheck source=lib/services.sh
source "$REPO_ROOT/loadtest/bench/lib/services.sh"

TOKEN=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d " \n")
printf 'bench:%s:read\n' "$TOKEN" >"$WORKDIR/admin-tokens"

# Writes the node's configuration for MODE into $WORKDIR/MODE/sluice.yaml.
write_config() {
    local mode=$1 fair=""
    [[ $mode == fair ]] && fair=", fair-share: client-net"
    cat >"$WORKDIR/$mode/sluice.yaml" <<CONFIG
smtp: { hostname: sluice.bench.local }
listeners:
  - { name: mx, role: inbound, bind: "$HOST:$SMTP_PORT", backend-pool: mta }
backends:
  mta: { servers: ["$HOST:$SINK_PORT"], xclient: false }
cluster: { mode: embedded, bind: "$HOST:$CLUSTER_PORT" }
admin: { bind: "$HOST:$ADMIN_PORT", token-file: $WORKDIR/admin-tokens }
drain: { announce: 0s, timeout: 5s }
policy:
  retry-priority: { enabled: false }
  limits:
    - { name: budget, key: global, counts: messages, rate: $LIMIT/1s$fair, reply: "451 4.7.1 Busy, try again later" }
CONFIG
}

# One run of MODE: the generator's results go to $WORKDIR/MODE/load, Sluice's refusal counter to refused.txt.
run_mode() {
    local mode=$1 sluice_pid sink_pid
    mkdir -p "$WORKDIR/$mode"
    choose_ports 4
    SINK_PORT=${PORTS[0]} SMTP_PORT=${PORTS[1]} ADMIN_PORT=${PORTS[2]} CLUSTER_PORT=${PORTS[3]}
    write_config "$mode"
    start_from_root "$mode-sink" "$SINK_CMD" --listen "$HOST:$SINK_PORT" --out "$WORKDIR/$mode/sink"
    sink_pid=$LAST_PID
    wait_ready "$mode-sink" "$SINK_PORT" "$sink_pid"
    start_from_root "$mode-sluice" "$SLUICE_CMD" "$WORKDIR/$mode/sluice.yaml"
    sluice_pid=$LAST_PID
    wait_ready "$mode-sluice" "$SMTP_PORT" "$sluice_pid"

    log "fair-share: $mode: ${RATE}/s for ${DURATION}s from $NETWORKS, limit $LIMIT/s, load $(cut -d' ' -f1-3 /proc/loadavg)"
    run_generator "$mode" "$RUN_TIMEOUT" "$WORKDIR/$mode/load.log" --target "$HOST:$SMTP_PORT" --size 2KB \
        --networks "$NETWORKS" --schedule "$RATE/s:${DURATION}s" --reply-timeout "${REPLY_TIMEOUT}s" \
        --grace "${REPLY_TIMEOUT}s" --out "$WORKDIR/$mode/load"
    curl -s -m 5 -H "Authorization: Bearer $TOKEN" "http://$HOST:$ADMIN_PORT/metrics" 2>/dev/null |
        awk '/^sluice_limit_fairshare_refused_total/ { n += $NF } END { printf "%d\n", n }' >"$WORKDIR/$mode/refused.txt" ||
        true
    stop_group "$sluice_pid"
    stop_group "$sink_pid"
}

# --- main ------------------------------------------------------------------------------------------------------

log "fair-share: $RATE sessions/s for ${DURATION}s from $NETWORKS, global limit $LIMIT/s ($LIMIT_SHARE of offered)," \
    "modes \"${modes[*]}\", cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in "${modes[@]}"; do
    run_mode "$mode"
done

"$PYTHON" "$REPO_ROOT/loadtest/bench/lib/fair-share.py" --workdir "$WORKDIR" --budget $((LIMIT * DURATION + LIMIT)) \
    "${modes[@]}" ||
    die "the report could not be computed from $WORKDIR"

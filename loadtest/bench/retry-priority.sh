#!/usr/bin/env bash
# retry-priority.sh: do deferred senders come back first?
#
# A replayed Friday burst through one Sluice node with a global message rule of LIMIT/1s: BURST_RATE sessions/s
# (one message each) for BURST_SECONDS, then TAIL_RATE for TAIL_SECONDS, from senders that retry what is deferred on
# RETRY (an MTA's schedule, run TIME_SCALE times faster) and give up after its last wait. Every message has a sender
# of its own (the generator's --retry does that), so a returning message is known by its client network and sender.
# Each mode gets a run of its own, with its own Sluice and sink:
#   priority   policy.retry-priority: { enabled: true }   (Sluice's default: 30% of the bucket kept for returners)
#   lottery    policy.retry-priority: { enabled: false }  (every retry is a fresh ticket)
# Per mode it prints, from the generator's summary.json: messages accepted at the first attempt and after retries,
# given up (bounced) and still queued, and the p50/p95 time from first deferral to acceptance (senders' time);
# then the ratio of the two p95s and of the give-ups. Target (issue 18): priority's p95 <= 50% of lottery's, and
# fewer give-ups. See README.md beside this script.
#
# Settings (environment):
#   LIMIT=20                     the global rule's rate, messages/s (burst the same)
#   BURST_RATE=40  BURST_SECONDS=15   the burst: sessions/s and its length (2x the limit)
#   TAIL_RATE=16   TAIL_SECONDS=60    after it: sessions/s and the length (a busy day: 80% of the limit)
#   RETRY=5m,10m,20m  TIME_SCALE=30   the senders' waits after a deferral (give up after the last, at 35 min)
#   RESERVED_SHARE=                   priority's reserved-share (default: Sluice's, 0.3)
#   TIERS=                            priority's tiers (default: Sluice's, 1: every returning sender takes the whole reserve)
#   MARK_TTL=                         priority's mark-ttl in seconds (default: Sluice's 4 hours / TIME_SCALE, so that
#                                     its 16 generations span the senders' 15 minutes each, as the retries do)
#   SYNC=auto                         the rule's sync (Sluice's default; predicting by 10 tokens for this bucket), or exact, batching, predicting
#   MODES="priority lottery"          which runs, in this order
#   STARTUP_TIMEOUT=120  BASE_PORT=random  KEEP_WORKDIR=0
#   SLUICE_CMD="./sluice run --config"  SINK_CMD="./sluice sink"  LOAD_CMD="./sluice load"   (from the repository root)
set -euo pipefail

LIMIT=${LIMIT:-20}
BURST_RATE=${BURST_RATE:-40}
BURST_SECONDS=${BURST_SECONDS:-15}
TAIL_RATE=${TAIL_RATE:-16}
TAIL_SECONDS=${TAIL_SECONDS:-60}
RETRY=${RETRY:-5m,10m,20m}
TIME_SCALE=${TIME_SCALE:-30}
RESERVED_SHARE=${RESERVED_SHARE:-}
MARK_TTL=${MARK_TTL:-}
TIERS=${TIERS:-}
SYNC=${SYNC:-auto}
MODES=${MODES:-priority lottery}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BASE_PORT=${BASE_PORT:-}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
SLUICE_CMD=${SLUICE_CMD:-./sluice run --config}
SINK_CMD=${SINK_CMD:-./sluice sink}
LOAD_CMD=${LOAD_CMD:-./sluice load}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1

log() { printf '%s\n' "$*" >&2; }
die() {
    log "retry-priority: FAILED: $*"
    FAILED=1
    exit 1
}

for name in LIMIT BURST_RATE BURST_SECONDS TAIL_RATE TAIL_SECONDS TIME_SCALE STARTUP_TIMEOUT; do
    [[ ${!name} =~ ^[0-9]+$ ]] || die "$name=${!name} (expected: a whole number)"
done
[[ $SYNC =~ ^(exact|batching|auto|predicting)$ ]] || die "SYNC=$SYNC (expected: exact, batching, auto or predicting)"
[[ -z $RESERVED_SHARE || $RESERVED_SHARE =~ ^0(\.[0-9]+)?$ ]] || die "RESERVED_SHARE=$RESERVED_SHARE (expected: 0-0.9)"
[[ -z $MARK_TTL || $MARK_TTL =~ ^[0-9]+$ ]] || die "MARK_TTL=$MARK_TTL (expected: whole seconds)"
[[ -z $TIERS || $TIERS =~ ^[0-9]+$ ]] || die "TIERS=$TIERS (expected: 1-16)"
((TIME_SCALE > 0)) || die "TIME_SCALE=$TIME_SCALE (expected: above 0)"
# The senders' clock runs TIME_SCALE times faster than Sluice's: the marks' generations are scaled to it too.
MARK_TTL=${MARK_TTL:-$((4 * 3600 / TIME_SCALE))}
((MARK_TTL >= 16)) || die "MARK_TTL=$MARK_TTL (expected: at least 16 s, one second per generation)"
((BURST_RATE > LIMIT)) || die "BURST_RATE=$BURST_RATE (expected: above LIMIT=$LIMIT, or nothing is deferred)"
read -r -a modes <<<"$MODES"
((${#modes[@]} > 0)) || die "MODES is empty (expected: priority, lottery or both)"
for mode in "${modes[@]}"; do
    [[ $mode == priority || $mode == lottery ]] || die "MODES: unknown mode \"$mode\" (expected: priority, lottery)"
done
command -v jq >/dev/null 2>&1 || die "jq not found (it reads the generator's summary.json)"

# shellcheck disable=SC2034 # read by lib/services.sh
SESSIONS=1
# shellcheck disable=SC2034
SIZE=2000
# shellcheck disable=SC2034
SOURCE_OPTS=
# shellcheck disable=SC2034
ROUND_TIMEOUT=900 # the generator's longest run, retries included
BENCH="retry-priority"
# shellcheck source=lib/services.sh
source "$REPO_ROOT/loadtest/bench/lib/services.sh"

# One run of MODE: its sink, its Sluice, the burst; the generator's results go to $WORKDIR/MODE/load.
run_mode() {
    local mode=$1 enabled=true sink_pid sluice_pid
    [[ $mode == lottery ]] && enabled=false
    mkdir -p "$WORKDIR/$mode"
    choose_ports 4
    local sink_port=${PORTS[0]} smtp_port=${PORTS[1]} admin_port=${PORTS[2]} cluster_port=${PORTS[3]}
    start_from_root "$mode-sink" "$SINK_CMD" --listen "$HOST:$sink_port" --report-interval 10s
    sink_pid=$LAST_PID
    wait_ready "$mode-sink" "$sink_port" "$sink_pid"
    cat >"$WORKDIR/$mode/sluice.yaml" <<EOF
smtp: { hostname: bench.local }
listeners:
  - { name: mx, role: inbound, bind: "$HOST:$smtp_port", backend-pool: mta }
backends:
  mta: { servers: ["$HOST:$sink_port"], xclient: false }
cluster: { mode: embedded, bind: "$HOST:$cluster_port" }
admin: { bind: "$HOST:$admin_port" }
drain: { announce: 0s, timeout: 5s }
policy:
  retry-priority: { enabled: $enabled, mark-ttl: ${MARK_TTL}s${TIERS:+, tiers: $TIERS}${RESERVED_SHARE:+, reserved-share: $RESERVED_SHARE} }
  limits:
    - { name: friday, key: global, counts: messages, rate: $LIMIT/1s, burst: $LIMIT, sync: $SYNC,
        reply: "451 4.7.1 Friday limit reached, try again later" }
EOF
    start_from_root "$mode-sluice" "$SLUICE_CMD" "$WORKDIR/$mode/sluice.yaml"
    sluice_pid=$LAST_PID
    wait_ready "$mode-sluice" "$smtp_port" "$sluice_pid"
    log "retry-priority: $mode: ${BURST_RATE}/s for ${BURST_SECONDS}s then ${TAIL_RATE}/s for ${TAIL_SECONDS}s" \
        "through a limit of $LIMIT/s, senders retrying at $RETRY (x$TIME_SCALE)"
    run_generator "$mode" "$ROUND_TIMEOUT" "$WORKDIR/$mode/load.log" --target "$HOST:$smtp_port" --size 2KB \
        --schedule "$BURST_RATE/s:${BURST_SECONDS}s,$TAIL_RATE/s:${TAIL_SECONDS}s" --retry "$RETRY" \
        --time-scale "$TIME_SCALE" --out "$WORKDIR/$mode/load"
    [[ -f $WORKDIR/$mode/load/summary.json ]] || die "$mode: no summary.json in $WORKDIR/$mode/load"
    stop_group "$sluice_pid"
    stop_group "$sink_pid"
}

# One mode's line of figures from its summary.json: first-attempt, after-retries, given-up, queued, p50, p95.
figures() {
    jq -r '.retries | [.first_attempt, (.after_retries | add), .given_up, .still_queued,
        .first_deferral_to_acceptance_seconds.p50, .first_deferral_to_acceptance_seconds.p95] | @tsv' \
        "$WORKDIR/$1/load/summary.json"
}

log "retry-priority: limit $LIMIT/s, burst ${BURST_RATE}/s x ${BURST_SECONDS}s, tail ${TAIL_RATE}/s x" \
    "${TAIL_SECONDS}s, retries $RETRY at x$TIME_SCALE, mark-ttl ${MARK_TTL}s, tiers ${TIERS:-default}, sync $SYNC, modes \"${modes[*]}\", cores $(nproc)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in "${modes[@]}"; do
    run_mode "$mode"
done

printf '%-10s %10s %14s %9s %7s %22s %8s\n' mode "at once" "after retries" "given up" queued \
    "deferral->accept p50" p95
declare -A P95 GIVEN_UP
for mode in "${modes[@]}"; do
    IFS=$'\t' read -r first after given queued p50 p95 < <(figures "$mode")
    P95[$mode]=$p95
    GIVEN_UP[$mode]=$given
    printf '%-10s %10s %14s %9s %7s %21.0fs %7.0fs\n' "$mode" "$first" "$after" "$given" "$queued" "$p50" "$p95"
done
if [[ -n ${P95[priority]:-} && -n ${P95[lottery]:-} ]]; then
    awk -v p="${P95[priority]}" -v l="${P95[lottery]}" -v gp="${GIVEN_UP[priority]}" -v gl="${GIVEN_UP[lottery]}" \
        'BEGIN { r = l > 0 ? p / l : 0; printf "priority / lottery: p95 %.2f (target <= 0.50), given up %d vs %d (target: fewer)\n", r, gp, gl }'
fi
log "retry-priority: load after the runs $(cut -d' ' -f1-3 /proc/loadavg)"

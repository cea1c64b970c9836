#!/usr/bin/env bash
# idle-sessions.sh: how many idle SMTP sessions Sluice holds in a given heap, and what each one costs.
#
# Sluice runs with -Xmx$HEAP in front of $SINKS of the project's sinks (each backend connection needs a local port,
# and one address reaches one port about 28,000 times). The generator opens SESSIONS sessions at RATE per second,
# each from its own address in 127.9.0.0/16; every session says EHLO and then stays idle. Once Sluice reports them
# all open (its admin API's session count), a full GC is forced and the heap in use is read with jcmd. Then the
# generator cuts the sessions and everything stops. Everything runs on 127.0.0.1; see BENCHMARKS.md.
#
# Settings (environment):
#   SESSIONS=50000  RATE=1000  HEAP=512m  SINKS=3  HOLD=60 (seconds the sessions stay open once all started)
#   STARTUP_TIMEOUT=120  BASE_PORT=random in 20000-31000  KEEP_WORKDIR=0
#   SLUICE_CMD="./sluice run --config"  SINK_CMD="./sluice sink"  LOAD_CMD="./sluice load"  (repository root)
# Needs an open-file limit of 2 x SESSIONS + 1000 per process (raised here if the hard limit allows).
set -euo pipefail

SESSIONS=${SESSIONS:-50000}
RATE=${RATE:-1000}
HEAP=${HEAP:-512m}
SINKS=${SINKS:-3}
HOLD=${HOLD:-60}
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
    log "idle-sessions: FAILED: $*"
    FAILED=1
    exit 1
}

for name in SESSIONS RATE SINKS HOLD; do
    [[ ${!name} =~ ^[0-9]+$ ]] && ((${!name} > 0)) || die "$name=${!name} (expected: a whole number > 0)"
done
[[ $HEAP =~ ^[0-9]+[mg]$ ]] || die "HEAP=$HEAP (expected: e.g. 512m or 1g)"
command -v jcmd >/dev/null || die "jcmd not found (it comes with the JDK)"
command -v curl >/dev/null || die "curl not found"
# Sluice holds two descriptors per session (client and backend), the generator one: each process's own limit.
descriptors=$((2 * SESSIONS + 1000))
if (($(ulimit -n) < descriptors)); then
    if ! ulimit -n "$descriptors" 2>/dev/null; then
        ulimit -Hn "$descriptors" 2>/dev/null && ulimit -n "$descriptors" ||
            die "cannot raise the open-file limit to $descriptors (hard limit $(ulimit -Hn), raising it needs" \
                "CAP_SYS_RESOURCE); lower SESSIONS to $((($(ulimit -Hn) - 1000) / 2)) or below"
    fi
fi

BENCH=idle-sessions
# shellcheck source=lib/services.sh
source "$REPO_ROOT/loadtest/bench/lib/services.sh"

# The session count in Sluice's liveness answer, e.g. {"live": true, "phase": "serving", "sessions": 3}.
open_sessions() {
    curl -s --max-time 5 "http://$HOST:$ADMIN_PORT/healthz/live" | sed -n 's/.*"sessions" *: *\([0-9]*\).*/\1/p'
}

choose_ports $((SINKS + 3))
SLUICE_PORT=${PORTS[0]}
ADMIN_PORT=${PORTS[1]}
CLUSTER_PORT=${PORTS[2]}
servers=
for ((i = 0; i < SINKS; i++)); do
    port=${PORTS[$((i + 3))]}
    start_from_root "sink-$i" "$SINK_CMD" --listen "$HOST:$port" --report-interval 0
    wait_ready "sink-$i" "$port" "$LAST_PID"
    servers+="${servers:+, }\"$HOST:$port\""
done

config="$WORKDIR/sluice.yaml"
cat >"$config" <<EOF
smtp: { hostname: bench.local }
listeners:
  - { name: mx, role: inbound, bind: "$HOST:$SLUICE_PORT", backend-pool: mta }
backends:
  mta: { servers: [$servers], xclient: false }
cluster: { mode: embedded, bind: "$HOST:$CLUSTER_PORT" }
admin: { bind: "$HOST:$ADMIN_PORT" }
drain: { announce: 0s, timeout: 5s }
EOF
SLUICE_JAVA_OPTS="-Xmx$HEAP ${SLUICE_JAVA_OPTS:-}" start_from_root sluice "$SLUICE_CMD" "$config"
sluice_pid=$LAST_PID
wait_ready sluice "$SLUICE_PORT" "$sluice_pid"
log "idle-sessions: Sluice (pid $sluice_pid, -Xmx$HEAP) on $HOST:$SLUICE_PORT in front of $SINKS sinks;" \
    "opening $SESSIONS idle sessions at $RATE/s"

# Heap in use after a full GC, in KiB.
heap_used() {
    jcmd "$1" GC.run >/dev/null
    jcmd "$1" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") {
        v = $(i + 1); gsub(/[K,]/, "", v); print v; exit } }'
}

baseline=$(heap_used "$sluice_pid")
seconds=$(((SESSIONS + RATE - 1) / RATE))
start_from_root load "$LOAD_CMD" --target "$HOST:$SLUICE_PORT" --schedule "$RATE/s:${seconds}s" \
    --max-sessions "$SESSIONS" --idle 60m --grace "$((HOLD))s" --reply-timeout 120s \
    --sources 127.9.0.0/16 --out "$WORKDIR/load"
load_pid=$LAST_PID

deadline=$((SECONDS + seconds + HOLD))
held=0
while ((SECONDS < deadline)); do
    held=$(open_sessions)
    held=${held:-0}
    log "idle-sessions: $held sessions open"
    ((held >= SESSIONS)) && break
    kill -0 "$load_pid" 2>/dev/null || die "the generator ended early; see $WORKDIR/load.log"
    kill -0 "$sluice_pid" 2>/dev/null || die "Sluice ended; see $WORKDIR/sluice.log"
    sleep 5
done

heap=$(heap_used "$sluice_pid")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$sluice_pid/status")
held_after=$(open_sessions)
printf 'sessions %s (asked %s); heap used after full GC: %.1f MiB idle, %.1f MiB with them (-Xmx%s);' \
    "${held_after:-0}" "$SESSIONS" "$(awk -v k="$baseline" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$heap" 'BEGIN { print k / 1024 }')" "$HEAP"
printf ' %.0f bytes/session; RSS %.0f MiB\n' \
    "$(awk -v k="$heap" -v b="$baseline" -v n="${held_after:-0}" 'BEGIN { print (n > 0 ? (k - b) * 1024 / n : 0) }')" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
grep -h '"sluice_sessions\|OutOfMemory' "$WORKDIR/sluice.log" | head -3 >&2 || true

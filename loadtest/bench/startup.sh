#!/usr/bin/env bash
# startup.sh: how long Sluice takes from the process's start to /healthz/ready answering 200, the median of N runs.
#
# Each run starts SLUICE_CMD with config/examples/local.yaml moved to ports of its own (an embedded single-member
# Hazelcast, one inbound listener, the admin listener), polls /healthz/ready every 10 ms, then stops the process
# with SIGKILL (a drain would only lengthen the benchmark). The clock starts just before the exec, so the JVM's own
# start counts. The poll is bash's own /dev/tcp and read, so no process is forked per poll: a curl every 10 ms
# takes processor time from the start it measures (POLLER=curl measures with it). See README.md beside this script.
#
# Settings (environment):
#   RUNS=7  TIMEOUT=60 (seconds per run)  BASE_PORT=random free run in 20000-31000 (4 ports)  KEEP_WORKDIR=0
#   SLUICE_CMD="java -jar proxy/target/sluice.jar run --config"  (repository root; build it first:
#   ./mvnw -o -q package -DskipTests -Ddist.skip)
#   JAVA_OPTS="" (options for the JVM, e.g. -XX:SharedArchiveFile=...; only with the default SLUICE_CMD)
#   POLLER=tcp (bash's /dev/tcp, nothing forked) or curl (a curl process per poll, as the script did before)
set -euo pipefail

RUNS=${RUNS:-7}
TIMEOUT=${TIMEOUT:-60}
BASE_PORT=${BASE_PORT:-}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
JAVA_OPTS=${JAVA_OPTS:-}
POLLER=${POLLER:-tcp}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SLUICE_CMD=${SLUICE_CMD:-java $JAVA_OPTS -jar $REPO_ROOT/proxy/target/sluice.jar run --config}
HOST=127.0.0.1
BENCH=startup

log() { printf '%s\n' "$*" >&2; }
die() {
    log "startup: FAILED: $*"
    FAILED=1
    exit 1
}

[[ $POLLER == tcp || $POLLER == curl ]] || die "POLLER=$POLLER (expected: tcp or curl)"
[[ -n ${EPOCHREALTIME:-} ]] || die "bash 5 or later is needed (EPOCHREALTIME)"
for name in RUNS TIMEOUT; do
    [[ ${!name} =~ ^[0-9]+$ ]] && ((${!name} > 0)) || die "$name=${!name} (expected: a whole number above 0)"
done

# shellcheck source=lib/services.sh
source "$REPO_ROOT/loadtest/bench/lib/services.sh"

choose_ports 4
sed -e "s/127.0.0.1:2525/$HOST:${PORTS[0]}/" \
    -e "s/127.0.0.1:2526/$HOST:${PORTS[1]}/" \
    -e "s/127.0.0.1:5701/$HOST:${PORTS[2]}/" \
    -e "s/127.0.0.1:8025/$HOST:${PORTS[3]}/" \
    "$REPO_ROOT/config/examples/local.yaml" >"$WORKDIR/sluice.yaml"
grep -q "$HOST:${PORTS[3]}" "$WORKDIR/sluice.yaml" || die "no admin bind 127.0.0.1:8025 in config/examples/local.yaml"
ready_url="http://$HOST:${PORTS[3]}/healthz/ready"

# Whether /healthz/ready answers 200 now. With POLLER=tcp it forks nothing: bash opens the connection itself.
ready() {
    if [[ $POLLER == curl ]]; then
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$ready_url" || true) == 200 ]]
        return
    fi
    local status=""
    { exec 3<>"/dev/tcp/$HOST/${PORTS[3]}"; } 2>/dev/null || return 1
    printf 'GET /healthz/ready HTTP/1.0\r\nHost: %s\r\n\r\n' "$HOST" >&3
    read -r -t 1 status <&3 || true
    exec 3<&- 3>&-
    [[ $status == "HTTP/1."?" 200 "* ]]
}

# A 10 ms pause without a sleep process: a read that times out on a pipe this shell holds open at both ends.
exec 9<> <(:)
pause() { read -r -t 0.01 -u 9 _ || true; }

# Times are bash's own EPOCHREALTIME in microseconds: a date process per poll would be a fork too.
seconds=()
for run in $(seq 1 "$RUNS"); do
    start_us=${EPOCHREALTIME//[.,]/}
    start_from_root "run-$run" "$SLUICE_CMD" "$WORKDIR/sluice.yaml"
    pid=$LAST_PID
    deadline=$((start_us + TIMEOUT * 1000000))
    until ready; do
        if ((${EPOCHREALTIME//[.,]/} > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
            log "--- last lines of run-$run.log:"
            tail -n 20 "$WORKDIR/run-$run.log" >&2 || true
            die "run $run: not ready within ${TIMEOUT}s"
        fi
        if [[ $POLLER == curl ]]; then sleep 0.01; else pause; fi
    done
    ready_us=${EPOCHREALTIME//[.,]/}
    seconds+=("$(awk -v s="$start_us" -v e="$ready_us" 'BEGIN { printf "%.3f", (e - s) / 1e6 }')")
    log "run $run: ready after ${seconds[-1]} s"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done

sorted=$(printf '%s\n' "${seconds[@]}" | sort -g)
echo "median of $RUNS runs: $(median "${seconds[@]}") s (min $(head -n 1 <<<"$sorted"), max $(tail -n 1 <<<"$sorted"))"

#!/usr/bin/env bash
# startup.sh: how long Sluice takes from the process's start to /healthz/ready answering 200, the median of N runs.
#
# Each run starts SLUICE_CMD with config/examples/local.yaml moved to ports of its own (an embedded single-member
# Hazelcast, one inbound listener, the admin listener), polls /healthz/ready every 10 ms, then stops the process
# with SIGKILL (a drain would only lengthen the benchmark). The clock starts just before the exec, so the JVM's own start counts.
#
# Settings (environment):
#   RUNS=7  BASE_PORT=random in 20000-31000  TIMEOUT=60 (seconds per run)
#   SLUICE_CMD="java -jar proxy/target/sluice.jar run --config"  (repository root; build it first:
#   ./mvnw -o -q package -DskipTests -Ddist.skip)
#   JAVA_OPTS="" (options for the JVM, e.g. -XX:SharedArchiveFile=...; only with the default SLUICE_CMD)
set -euo pipefail

RUNS=${RUNS:-7}
TIMEOUT=${TIMEOUT:-60}
BASE_PORT=${BASE_PORT:-$((20000 + RANDOM % 11000))}
JAVA_OPTS=${JAVA_OPTS:-}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SLUICE_CMD=${SLUICE_CMD:-java $JAVA_OPTS -jar $REPO_ROOT/proxy/target/sluice.jar run --config}

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

sed -e "s/127.0.0.1:2525/127.0.0.1:$BASE_PORT/" \
    -e "s/127.0.0.1:2526/127.0.0.1:$((BASE_PORT + 1))/" \
    -e "s/127.0.0.1:5701/127.0.0.1:$((BASE_PORT + 2))/" \
    -e "s/127.0.0.1:8025/127.0.0.1:$((BASE_PORT + 3))/" \
    "$REPO_ROOT/config/examples/local.yaml" > "$work/sluice.yaml"
grep -q "127.0.0.1:$((BASE_PORT + 3))" "$work/sluice.yaml" || { echo "no admin bind in local.yaml" >&2; exit 1; }
ready_url="http://127.0.0.1:$((BASE_PORT + 3))/healthz/ready"

millis=()
for run in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  # Word splitting of the command is intended.
  # shellcheck disable=SC2086
  $SLUICE_CMD "$work/sluice.yaml" > "$work/run-$run.log" 2>&1 &
  pid=$!
  deadline=$((start + TIMEOUT * 1000000000))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$ready_url" || true)" = 200 ]; do
    if [ "$(date +%s%N)" -gt "$deadline" ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "run $run: not ready within ${TIMEOUT}s; its log:" >&2
      tail -n 20 "$work/run-$run.log" >&2
      exit 1
    fi
    sleep 0.01
  done
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  millis+=("$ready")
  echo "run $run: ready after $ready ms"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
done

sorted=$(printf '%s\n' "${millis[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "median of $RUNS runs: $median ms (min $(echo "$sorted" | head -n 1), max $(echo "$sorted" | tail -n 1))"

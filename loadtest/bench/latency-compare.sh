#!/usr/bin/env bash
# latency-compare.sh: peak throughput and the latency a relay adds per transaction, with the project's generator.
#
# The same load goes to Postfix's smtp-sink directly, through HAProxy in TCP mode, through nginx's mail proxy and
# through Sluice, in interleaved rounds. First each target's peak: a closed loop of CONCURRENCY sessions for
# PEAK_SECONDS. Then the latency: an open loop at half of the lowest median peak for LATENCY_SECONDS, the same
# rate for every target, and each message's transaction time (MAIL to the reply to the final dot). The result
# is each relay's p50 and p99 minus the direct ones. Everything runs on 127.0.0.1; see BENCHMARKS.md.
#
# Settings (environment):
#   TARGETS="direct haproxy nginx sluice"   columns; direct is the baseline and always needed
#   ROUNDS=3                                rounds of each measurement, each running every target once
#   CONCURRENCY=20                          sessions open at once while measuring the peak
#   PEAK_SECONDS=10  LATENCY_SECONDS=20     length of one peak run and of one latency run
#   WARMUP_SECONDS=10                       closed-loop warm-up per target before the rounds, not measured
#   SIZE=2000                               message body in bytes; one message per session
#   RATE=                                   latency runs at this rate (sessions/s) instead of half the peak
#   STARTUP_TIMEOUT=120  BASE_PORT=random in 20000-31000 (5 ports)  KEEP_WORKDIR=0
#   SLUICE_CMD="./sluice run --config"      LOAD_CMD="./sluice load"   (from the repository root)
#   SMTP_SINK, HAPROXY, NGINX               the programs (default: /usr/sbin/smtp-sink, haproxy, nginx)
set -euo pipefail

TARGETS=${TARGETS:-direct haproxy nginx sluice}
ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-20}
PEAK_SECONDS=${PEAK_SECONDS:-10}
LATENCY_SECONDS=${LATENCY_SECONDS:-20}
WARMUP_SECONDS=${WARMUP_SECONDS:-10}
SIZE=${SIZE:-2000}
RATE=${RATE:-}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BASE_PORT=${BASE_PORT:-}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
SLUICE_CMD=${SLUICE_CMD:-./sluice run --config}
LOAD_CMD=${LOAD_CMD:-./sluice load}
SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
HAPROXY=${HAPROXY:-haproxy}
NGINX=${NGINX:-nginx}
# The services' own settings, as the shared library reads them.
SESSIONS=$CONCURRENCY
SOURCE_OPTS=
ROUND_TIMEOUT=0

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1

log() { printf '%s\n' "$*" >&2; }
die() {
    log "latency-compare: FAILED: $*"
    FAILED=1
    exit 1
}

for name in ROUNDS CONCURRENCY PEAK_SECONDS LATENCY_SECONDS WARMUP_SECONDS SIZE; do
    [[ ${!name} =~ ^[0-9]+$ ]] || die "$name=${!name} (expected: a whole number)"
done
((ROUNDS > 0 && CONCURRENCY > 0 && PEAK_SECONDS > 0 && LATENCY_SECONDS > 0)) ||
    die "ROUNDS, CONCURRENCY, PEAK_SECONDS and LATENCY_SECONDS must be > 0"
[[ -z $RATE || $RATE =~ ^[0-9]+$ ]] || die "RATE=$RATE (expected: a whole number of sessions/s)"

BENCH=latency-compare
# shellcheck source=lib/services.sh
source "$REPO_ROOT/loadtest/bench/lib/services.sh"
check_targets

# Runs the generator against TARGET with the given arrival options; its results go to $WORKDIR/LABEL.
generate() {
    local target=$1 label=$2 status=0
    shift 2
    local -a command
    read -r -a command <<<"$LOAD_CMD"
    (cd "$REPO_ROOT" && "${command[@]}" --target "$HOST:$(port_of "$target")" --size "${SIZE}B" --grace 10s \
        --reply-timeout 30s --warmup 5s --out "$WORKDIR/$label" "$@") >"$WORKDIR/$label.log" 2>&1 || status=$?
    if ((status != 0)); then
        tail -n 20 "$WORKDIR/$label.log" >&2 || true
        die "$label: the generator exited with status $status"
    fi
    local refused
    refused=$(json_total "$WORKDIR/$label/summary.json" tempfailed rejected errors)
    ((refused == 0)) || die "$label: $refused messages were refused or failed (see $WORKDIR/$label/summary.json)"
}

# The sum of the named totals in a summary.json (Jackson's indented output: one "key" : value per line).
json_total() {
    local file=$1
    shift
    awk -v keys=" $* " '
        /"totals"/ { inside = 1 }
        inside && /}/ { inside = 0 }
        inside { key = $1; gsub(/[",]/, "", key); value = $3; gsub(/,/, "", value)
                 if (index(keys, " " key " ")) sum += value }
        END { printf "%d\n", sum }' "$file"
}

# Admitted messages per second of a run.
admitted_rate() {
    local file=$1 admitted elapsed
    admitted=$(json_total "$file" admitted)
    elapsed=$(awk '/"elapsed_seconds"/ { v = $3; gsub(/,/, "", v); print v; exit }' "$file")
    awk -v a="$admitted" -v e="$elapsed" 'BEGIN { printf "%.0f\n", a / e }'
}

# A column (3: p50, 5: p99, in ms) of the transaction row of a run's latency.csv.
transaction() {
    awk -F, -v col="$2" '$1 == "transaction" { print $col }' "$1/latency.csv"
}

assign_ports
log "latency-compare: targets=\"${targets[*]}\" rounds=$ROUNDS concurrency=$CONCURRENCY size=${SIZE}B" \
    "peak=${PEAK_SECONDS}s latency=${LATENCY_SECONDS}s cores=$(nproc)"

start_targets

if ((WARMUP_SECONDS > 0)); then
    for target in "${targets[@]}"; do
        generate "$target" "warmup-$target" --concurrency "$CONCURRENCY" --duration "${WARMUP_SECONDS}s"
        printf 'warmup   %-8s %6s msg/s (not counted)\n' "$target" "$(admitted_rate "$WORKDIR/warmup-$target/summary.json")"
    done
fi

declare -A peaks p50s p99s
for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
        generate "$target" "peak$round-$target" --concurrency "$CONCURRENCY" --duration "${PEAK_SECONDS}s"
        peak=$(admitted_rate "$WORKDIR/peak$round-$target/summary.json")
        peaks[$target]+="$peak "
        printf 'peak  %-2s %-8s %6s msg/s\n' "$round" "$target" "$peak"
    done
done

declare -A median_peak
lowest=
for target in "${targets[@]}"; do
    # shellcheck disable=SC2086 # the list is meant to split
    median_peak[$target]=$(median ${peaks[$target]} | awk '{ printf "%.0f", $1 }')
    if [[ -z $lowest ]] || ((median_peak[$target] < lowest)); then
        lowest=${median_peak[$target]}
    fi
done
rate=${RATE:-$((lowest / 2))}
((rate > 0)) || die "a peak of $lowest msg/s leaves no rate to measure latency at"
log "latency-compare: latency runs at $rate sessions/s (half of the lowest median peak, $lowest msg/s)"

for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
        label="latency$round-$target"
        generate "$target" "$label" --schedule "$rate/s:${LATENCY_SECONDS}s"
        p50s[$target]+="$(transaction "$WORKDIR/$label" 3) "
        p99s[$target]+="$(transaction "$WORKDIR/$label" 5) "
        printf 'latency %-2s %-8s p50 %7s ms  p99 %7s ms\n' "$round" "$target" "$(transaction "$WORKDIR/$label" 3)" \
            "$(transaction "$WORKDIR/$label" 5)"
    done
done

printf '\n%-8s %12s %10s %10s %14s %14s\n' target "peak msg/s" "p50 ms" "p99 ms" "added p50 ms" "added p99 ms"
# shellcheck disable=SC2086 # the lists are meant to split
direct_p50=$(median ${p50s[direct]})
# shellcheck disable=SC2086
direct_p99=$(median ${p99s[direct]})
for target in "${targets[@]}"; do
    # shellcheck disable=SC2086
    p50=$(median ${p50s[$target]})
    # shellcheck disable=SC2086
    p99=$(median ${p99s[$target]})
    printf '%-8s %12s %10s %10s %14s %14s\n' "$target" "${median_peak[$target]}" "$p50" "$p99" \
        "$(awk -v a="$p50" -v b="$direct_p50" 'BEGIN { printf "%.3f", a - b }')" \
        "$(awk -v a="$p99" -v b="$direct_p99" 'BEGIN { printf "%.3f", a - b }')"
done

#!/usr/bin/env bash
# latency-compare.sh: the latency a relay adds, and its peak throughput.
#
# The same load goes to Postfix's smtp-sink directly, through HAProxy in TCP mode, through nginx's mail proxy and
# through Sluice, in interleaved rounds. Everything runs on 127.0.0.1; see BENCHMARKS.md. Two modes:
#
# MODE=load, with the project's generator. First each target's peak: a closed loop of CONCURRENCY sessions for
# PEAK_SECONDS. Then the latency: an open loop at half of the lowest median peak for LATENCY_SECONDS, the same
# rate for every target, and each message's transaction time (MAIL to the reply to the final dot). The result
# is each relay's p50 and p99 minus the direct ones.
#
# MODE=sequential, unloaded: one session at a time (connect, EHLO, MAIL, RCPT, DATA, the message, QUIT), timed
# whole from the connect to the reply to QUIT by a small client (lib/sequential-sessions.py), which sends each
# session to every target in turn. ROUNDS rounds of SEQUENTIAL_SESSIONS sessions per target after
# SEQUENTIAL_WARMUP unmeasured ones; the result is each path's p50 and p99, what each relay adds to the direct
# ones, and whether Sluice meets its targets against HAProxy's in the same run: added p50 <= 1.5 x HAProxy's
# added p50, added p99 <= the larger of 1 ms and HAProxy's added p99.
#
# Settings (environment):
#   MODE=load                               load (peak, then latency under load) or sequential (unloaded)
#   TARGETS="direct haproxy nginx sluice"   columns; direct is the baseline and always needed; nginx only when
#                                           nginx and its mail module are installed, unless named here
#   ROUNDS=3 (sequential: 5)                rounds of each measurement, each running every target once
#   SIZE=2000                               message body in bytes; one message per session
#   SLUICE_LIMITS=1                         1: Sluice evaluates a rate and a concurrency rule per client address
#                                           (never refusing); 0: no policy
#   SLUICE_CLUSTER_MODE=embedded            Sluice's cluster.mode: embedded (a Hazelcast member) or local
#   STARTUP_TIMEOUT=120  BASE_PORT=random in 20000-31000 (11 ports)  KEEP_WORKDIR=0
#   SLUICE_CMD="./sluice run --config"      (from the repository root)
#   BASELINE_CMD=                           with baseline among TARGETS: another Sluice build, same configuration,
#                                           e.g. "java -jar OLD.jar run --config", to compare two builds in one run
#                                           pump among TARGETS: a byte pump on Netty (lib/NettyPump.java, on Sluice's
#                                           jar), what the JVM and Netty cost a relay here, beside what Sluice adds
#   SMTP_SINK, HAPROXY, NGINX               the programs (default: /usr/sbin/smtp-sink, haproxy, nginx)
# MODE=load only:
#   CONCURRENCY=20                          sessions open at once while measuring the peak
#   PEAK_SECONDS=10  LATENCY_SECONDS=20     length of one peak run and of one latency run
#   WARMUP_SECONDS=10                       closed-loop warm-up per target before the rounds, not measured
#   RATE=                                   latency runs at this rate (sessions/s) instead of half the peak
#   LOAD_CMD="./sluice load"                the generator, from the repository root
# MODE=sequential only:
#   SEQUENTIAL_SESSIONS=200                 measured sessions per target and round
#   SEQUENTIAL_WARMUP=5000                  unmeasured sessions per target before round 1, at least
#   JIT_SETTLE_MS=10                        then more, 1000 per target at a time, until the compiler threads of
#                                           each JVM target spent under this much CPU over the last 1000 (a
#                                           compile holding one of two cores stalls a session for a scheduler tick
#                                           or more: after 5000 sessions C2 still spent 0.9 s in 3000, and the
#                                           p99 was 4.6 ms against 1.6 ms once it had settled); 0: no more
#   SEQUENTIAL_SETTLE_MAX=100000            at most this many more per target (0: none); the warm-up line then
#                                           says the JIT was still compiling
#   SEQUENTIAL_STEPS=0                      1: after each round, each step's median time per target and the steps
#                                           of its slowest 1% of sessions (microseconds), to see where they waited
#   PYTHON=python3                          runs the client
set -euo pipefail

MODE=${MODE:-load}
NGINX=${NGINX:-nginx}
if [[ -z ${TARGETS:-} ]]; then
    TARGETS="direct haproxy sluice"
    if command -v "$NGINX" >/dev/null 2>&1 && [[ -f ${NGINX_MODULES:-/usr/lib/nginx/modules}/ngx_mail_module.so ]]; then
        TARGETS="direct haproxy nginx sluice"
    fi
fi
ROUNDS=${ROUNDS:-}
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
SLUICE_LIMITS=${SLUICE_LIMITS:-1}
SLUICE_CLUSTER_MODE=${SLUICE_CLUSTER_MODE:-embedded}
SEQUENTIAL_SESSIONS=${SEQUENTIAL_SESSIONS:-200}
SEQUENTIAL_WARMUP=${SEQUENTIAL_WARMUP:-5000}
JIT_SETTLE_MS=${JIT_SETTLE_MS:-10}
SEQUENTIAL_SETTLE_MAX=${SEQUENTIAL_SETTLE_MAX:-100000}
SEQUENTIAL_STEPS=${SEQUENTIAL_STEPS:-0}
PYTHON=${PYTHON:-python3}
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

case $MODE in
    load) ROUNDS=${ROUNDS:-3} ;;
    sequential) ROUNDS=${ROUNDS:-5} ;;
    *) die "MODE=$MODE (expected: load or sequential)" ;;
esac
for name in ROUNDS CONCURRENCY PEAK_SECONDS LATENCY_SECONDS WARMUP_SECONDS SIZE SEQUENTIAL_SESSIONS SEQUENTIAL_WARMUP \
    JIT_SETTLE_MS SEQUENTIAL_SETTLE_MAX; do
    [[ ${!name} =~ ^[0-9]+$ ]] || die "$name=${!name} (expected: a whole number)"
done
((ROUNDS > 0 && CONCURRENCY > 0 && PEAK_SECONDS > 0 && LATENCY_SECONDS > 0 && SEQUENTIAL_SESSIONS > 0)) ||
    die "ROUNDS, CONCURRENCY, PEAK_SECONDS, LATENCY_SECONDS and SEQUENTIAL_SESSIONS must be > 0"
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

# --- MODE=sequential ------------------------------------------------------------------------------------------

# Runs the client for SESSIONS sessions per target; its lines (target, sessions, p50 ms, p99 ms) go to
# $WORKDIR/LABEL.txt. Any refused or failed session fails the script.
sequential() {
    local sessions=$1 label=$2 status=0 target
    local -a servers=()
    for target in "${targets[@]}"; do
        servers+=("$target=$(port_of "$target")")
    done
    local steps_file=""
    if [[ $SEQUENTIAL_STEPS == 1 && $label != warmup ]]; then
        steps_file="$WORKDIR/$label-steps.txt"
    fi
    SEQUENTIAL_STEPS_FILE=$steps_file "$PYTHON" "$REPO_ROOT/loadtest/bench/lib/sequential-sessions.py" \
        "$HOST" "$sessions" "$SIZE" "${servers[@]}" >"$WORKDIR/$label.txt" 2>"$WORKDIR/$label.log" </dev/null ||
        status=$?
    if ((status != 0)); then
        tail -n 5 "$WORKDIR/$label.log" >&2 || true
        die "$label: the client exited with status $status"
    fi
}

# A column (3: p50, 4: p99) of TARGET's line in a client's output.
sequential_figure() {
    awk -v t="$2" -v col="$3" '$1 == t { print $col }' "$WORKDIR/$1.txt"
}

# PASS or FAIL of VALUE <= LIMIT.
verdict() {
    awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l ? "PASS" : "FAIL") }'
}

# Unmeasured sessions, 1000 per target at a time, until each JVM's compiler threads spent under JIT_SETTLE_MS over
# the last 1000, or SEQUENTIAL_SETTLE_MAX more went by.
settle_jit() {
    [[ -n $(jvm_targets) ]] && ((JIT_SETTLE_MS > 0 && SEQUENTIAL_SETTLE_MAX > 0)) || return 0
    local extra=0 target spent busy
    while ((extra < SEQUENTIAL_SETTLE_MAX)); do
        jit_mark
        sequential 1000 warmup
        extra=$((extra + 1000))
        busy=""
        for target in $(jvm_targets); do
            spent=$(jit_since "$target")
            if ((spent >= JIT_SETTLE_MS)); then
                busy+=" $target $spent ms"
            fi
        done
        if [[ -z $busy ]]; then
            printf 'warmup   %s more per target until the JIT settled (under %s ms of compiling in 1000)\n' \
                "$extra" "$JIT_SETTLE_MS"
            return 0
        fi
    done
    printf 'warmup   %s more per target; the JIT still compiling in the last 1000:%s\n' "$extra" "$busy"
}

run_sequential() {
    local round target label p50 p99 limit50 limit99 jit
    if ((SEQUENTIAL_WARMUP > 0)); then
        sequential "$SEQUENTIAL_WARMUP" warmup
        printf 'warmup   %s sessions per target (not counted)\n' "$SEQUENTIAL_WARMUP"
    fi
    settle_jit

    declare -A p50s p99s
    for round in $(seq 1 "$ROUNDS"); do
        label="sequential$round"
        jit_mark
        sequential "$SEQUENTIAL_SESSIONS" "$label"
        for target in "${targets[@]}"; do
            p50=$(sequential_figure "$label" "$target" 3)
            p99=$(sequential_figure "$label" "$target" 4)
            p50s[$target]+="$p50 "
            p99s[$target]+="$p99 "
            jit=""
            if [[ -n ${JIT_MARK[$target]:-} ]]; then
                jit="  JIT $(jit_since "$target") ms"
            fi
            printf 'round %-2s %-8s p50 %7s ms  p99 %7s ms%s\n' "$round" "$target" "$p50" "$p99" "$jit"
        done
        if [[ $SEQUENTIAL_STEPS == 1 ]]; then
            # Each step's median and the slowest sessions' steps, in microseconds.
            sed "s/^/round $round  /" "$WORKDIR/$label-steps.txt"
        fi
    done

    # The medians over the rounds of each round's p50 and p99; added is a path's median minus direct's.
    declare -A median50 median99 added50 added99
    for target in "${targets[@]}"; do
        # shellcheck disable=SC2086 # the lists are meant to split
        median50[$target]=$(median ${p50s[$target]})
        # shellcheck disable=SC2086
        median99[$target]=$(median ${p99s[$target]})
        added50[$target]=$(awk -v a="${median50[$target]}" -v b="${median50[direct]}" 'BEGIN { printf "%.3f", a - b }')
        added99[$target]=$(awk -v a="${median99[$target]}" -v b="${median99[direct]}" 'BEGIN { printf "%.3f", a - b }')
    done
    printf '\n%-8s %10s %10s %14s %14s\n' path "p50 ms" "p99 ms" "added p50 ms" "added p99 ms"
    for target in "${targets[@]}"; do
        if [[ $target == direct ]]; then
            printf '%-8s %10s %10s %14s %14s\n' "$target" "${median50[$target]}" "${median99[$target]}" - -
        else
            printf '%-8s %10s %10s %14s %14s\n' "$target" "${median50[$target]}" "${median99[$target]}" "${added50[$target]}" \
                "${added99[$target]}"
        fi
    done

    if [[ -n ${median50[haproxy]:-} && ( -n ${median50[sluice]:-} || -n ${median50[baseline]:-} ) ]]; then
        limit50=$(awk -v h="${added50[haproxy]}" 'BEGIN { printf "%.3f", 1.5 * h }')
        limit99=$(awk -v h="${added99[haproxy]}" 'BEGIN { printf "%.3f", (h > 1 ? h : 1) }')
        printf '\n'
        for target in sluice baseline; do
            [[ -n ${median50[$target]:-} ]] || continue
            printf 'target added p50: %s %s ms <= 1.5 x haproxy %s ms = %s ms: %s\n' "$target" "${added50[$target]}" \
                "${added50[haproxy]}" "$limit50" "$(verdict "${added50[$target]}" "$limit50")"
            printf 'target added p99: %s %s ms <= max(1 ms, haproxy %s ms) = %s ms: %s\n' "$target" \
                "${added99[$target]}" "${added99[haproxy]}" "$limit99" "$(verdict "${added99[$target]}" "$limit99")"
        done
    else
        log "latency-compare: the targets compare sluice with haproxy; measure both to check them"
    fi
}

# --- MODE=load -------------------------------------------------------------------------------------------------

run_load() {
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
}

# --- main ------------------------------------------------------------------------------------------------------

assign_ports
if [[ $MODE == sequential ]]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (the sequential client needs Python 3)"
    log "latency-compare: sequential, targets=\"${targets[*]}\" rounds=$ROUNDS sessions=$SEQUENTIAL_SESSIONS" \
        "warmup=$SEQUENTIAL_WARMUP jit-settle=${JIT_SETTLE_MS}ms size=${SIZE}B sluice-limits=$SLUICE_LIMITS" \
        "sluice-cluster=$SLUICE_CLUSTER_MODE cores=$(nproc)"
else
    log "latency-compare: targets=\"${targets[*]}\" rounds=$ROUNDS concurrency=$CONCURRENCY size=${SIZE}B" \
        "peak=${PEAK_SECONDS}s latency=${LATENCY_SECONDS}s sluice-limits=$SLUICE_LIMITS" \
        "sluice-cluster=$SLUICE_CLUSTER_MODE cores=$(nproc)"
fi
start_targets
if [[ $MODE == sequential ]]; then
    run_sequential
else
    run_load
fi

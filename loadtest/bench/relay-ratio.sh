#!/usr/bin/env bash
# relay-ratio.sh: what a relay costs in throughput.
#
# Postfix's smtp-source sends the same load to Postfix's smtp-sink directly, through HAProxy in TCP mode, and
# through Sluice, in interleaved rounds, and prints each relay's throughput as a fraction of the direct one.
# Everything runs on 127.0.0.1. See README.md beside this script for the method and how to read the numbers.
#
# Settings (environment):
#   MESSAGES=20000  SESSIONS=20  SIZE=2000   smtp-source -m, -s, -l for each measured round
#   ROUNDS=3                                 rounds; each round runs every target once, in TARGETS order
#   TARGETS="direct haproxy sluice"          which columns to measure; direct is always needed for ratios
#   WARMUP_MESSAGES=MESSAGES                 sent once to each target before round 1, not measured; 0 = none
#   SOURCE_OPTS=""                           extra smtp-source options, e.g. "-d" to keep connections open
#   ROUND_TIMEOUT=300                        seconds one smtp-source run may take before the benchmark fails
#   STARTUP_TIMEOUT=120                      seconds a service may take to answer with its 220 greeting
#   BASE_PORT=random in 20000-31000          the sink, HAProxy and Sluice listen on BASE_PORT, +1, +2
#   SLUICE_CMD="./sluice run --config"       how Sluice is started, from the repository root; the config follows
#   KEEP_WORKDIR=0                           1 keeps configs and logs (they are always kept on failure)
#   SMTP_SOURCE, SMTP_SINK, HAPROXY          the programs (default: /usr/sbin/smtp-source, /usr/sbin/smtp-sink,
#                                            haproxy)
set -euo pipefail

MESSAGES=${MESSAGES:-20000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-2000}
ROUNDS=${ROUNDS:-3}
TARGETS=${TARGETS:-direct haproxy sluice}
WARMUP_MESSAGES=${WARMUP_MESSAGES:-$MESSAGES}
SOURCE_OPTS=${SOURCE_OPTS:-}
ROUND_TIMEOUT=${ROUND_TIMEOUT:-300}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BASE_PORT=${BASE_PORT:-}
SLUICE_CMD=${SLUICE_CMD:-./sluice run --config}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
HAPROXY=${HAPROXY:-haproxy}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1

log() { printf '%s\n' "$*" >&2; }
die() {
    log "relay-ratio: FAILED: $*"
    FAILED=1
    exit 1
}

# --- settings -------------------------------------------------------------------------------------------------

for name in MESSAGES SESSIONS SIZE ROUNDS WARMUP_MESSAGES ROUND_TIMEOUT STARTUP_TIMEOUT; do
    value=${!name}
    [[ $value =~ ^[0-9]+$ ]] || die "$name=$value (expected: a whole number)"
done
((MESSAGES > 0)) || die "MESSAGES=$MESSAGES (expected: > 0)"
((SESSIONS > 0)) || die "SESSIONS=$SESSIONS (expected: > 0)"
((ROUNDS > 0)) || die "ROUNDS=$ROUNDS (expected: > 0)"
((ROUND_TIMEOUT > 0)) || die "ROUND_TIMEOUT=$ROUND_TIMEOUT (expected: > 0)"

read -r -a targets <<<"$TARGETS"
for target in "${targets[@]}"; do
    case $target in
        direct | haproxy | sluice) ;;
        *) die "TARGETS: unknown target \"$target\" (expected: direct, haproxy, sluice)" ;;
    esac
done
[[ " ${targets[*]} " == *" direct "* ]] || die "TARGETS=\"$TARGETS\" (expected: to include direct, the baseline)"

if [[ " ${targets[*]} " == *" sluice "* ]]; then
    sluice_program=${SLUICE_CMD%% *}
    if [[ ! -x "$REPO_ROOT/${sluice_program#./}" ]] && ! command -v "$sluice_program" >/dev/null 2>&1; then
        log "relay-ratio: SKIPPING the sluice column: $sluice_program not found in the repository root."
        log "relay-ratio: build Sluice first, or run with TARGETS=\"direct haproxy\" to measure the others only."
        kept=()
        for target in "${targets[@]}"; do
            [[ $target == sluice ]] || kept+=("$target")
        done
        targets=("${kept[@]}")
        SLUICE_SKIPPED=1
    fi
fi

for program in "$SMTP_SOURCE" "$SMTP_SINK"; do
    [[ -x $program ]] || die "$program not found (install Postfix, which ships smtp-source and smtp-sink)"
done
if [[ " ${targets[*]} " == *" haproxy "* ]]; then
    command -v "$HAPROXY" >/dev/null 2>&1 || die "$HAPROXY not found (install HAProxy or drop haproxy from TARGETS)"
fi

# --- processes and cleanup -------------------------------------------------------------------------------------

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/relay-ratio.XXXXXX")
FAILED=0
SOURCE_PID= # the running smtp-source's timeout wrapper, if any
STARTED=() # process ids; each is the leader of its own process group (setsid), so its children go with it

cleanup() {
    local status=$? pid waited
    if [[ -n ${SOURCE_PID:-} ]]; then
        kill -TERM "$SOURCE_PID" 2>/dev/null || true # timeout passes it on to smtp-source
        wait "$SOURCE_PID" 2>/dev/null || true
    fi
    for pid in "${STARTED[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED[@]}"; do
        waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if ((FAILED || status != 0)) || [[ $KEEP_WORKDIR == 1 ]]; then
        log "relay-ratio: configs and logs kept in $WORKDIR"
    else
        rm -rf "$WORKDIR"
    fi
}
trap cleanup EXIT
trap 'FAILED=1; exit 130' INT
trap 'FAILED=1; exit 143' TERM

# Starts a program in its own session and process group, so cleanup can stop it and everything it forks.
start() {
    local name=$1
    shift
    setsid "$@" >"$WORKDIR/$name.log" 2>&1 </dev/null &
    STARTED+=("$!")
    LAST_PID=$!
}

port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]
    else
        (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
    fi
}

# True once something on the port answers with an SMTP greeting: through a relay this proves the whole path.
smtp_ready() {
    (
        exec 3<>"/dev/tcp/$HOST/$1" || exit 1
        IFS= read -r -t 5 greeting <&3 || exit 1
        printf 'QUIT\r\n' >&3
        [[ $greeting == 220* ]]
    ) 2>/dev/null
}

wait_ready() {
    local name=$1 port=$2 pid=$3 hint=${4:-} deadline=$((SECONDS + STARTUP_TIMEOUT))
    until smtp_ready "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "--- last lines of $name.log:"
            tail -n 20 "$WORKDIR/$name.log" >&2 || true
            die "$name exited before answering on $HOST:$port${hint:+; $hint}"
        fi
        if ((SECONDS >= deadline)); then
            log "--- last lines of $name.log:"
            tail -n 20 "$WORKDIR/$name.log" >&2 || true
            die "$name did not answer with 220 on $HOST:$port within ${STARTUP_TIMEOUT}s${hint:+; $hint}"
        fi
        sleep 0.2
    done
}

choose_ports() {
    local base
    if [[ -n $BASE_PORT ]]; then
        if ! [[ $BASE_PORT =~ ^[0-9]+$ ]] || ((BASE_PORT < 1024 || BASE_PORT > 65533)); then
            die "BASE_PORT=$BASE_PORT (expected: 1024-65533)"
        fi
        for port in "$BASE_PORT" $((BASE_PORT + 1)) $((BASE_PORT + 2)); do
            ! port_in_use "$port" || die "BASE_PORT=$BASE_PORT: port $port is in use"
        done
        base=$BASE_PORT
    else
        # Below the kernel's ephemeral range, so that no outgoing connection holds one of them.
        for _ in $(seq 1 50); do
            base=$((20000 + RANDOM % 11000))
            if ! port_in_use "$base" && ! port_in_use $((base + 1)) && ! port_in_use $((base + 2)); then
                break
            fi
            base=
        done
        [[ -n $base ]] || die "found no three free consecutive ports in 20000-31000"
    fi
    SINK_PORT=$base
    HAPROXY_PORT=$((base + 1))
    SLUICE_PORT=$((base + 2))
}

# --- services --------------------------------------------------------------------------------------------------

start_sink() {
    local -a options=(-m $((SESSIONS * 2 + 64)))
    # smtp-sink refuses to run as root without a user to switch to.
    if ((EUID == 0)); then
        options+=(-u nobody)
    fi
    start smtp-sink "$SMTP_SINK" "${options[@]}" "$HOST:$SINK_PORT" 1024
    wait_ready smtp-sink "$SINK_PORT" "$LAST_PID"
}

start_haproxy() {
    local config="$WORKDIR/haproxy.cfg"
    cat >"$config" <<EOF
global
    maxconn $((SESSIONS * 4 + 256))

defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s

frontend bench
    bind $HOST:$HAPROXY_PORT
    default_backend sink

backend sink
    server sink $HOST:$SINK_PORT
EOF
    "$HAPROXY" -c -q -f "$config" >"$WORKDIR/haproxy-check.log" 2>&1 ||
        die "HAProxy rejected $config: $(cat "$WORKDIR/haproxy-check.log")"
    start haproxy "$HAPROXY" -db -f "$config"
    wait_ready haproxy "$HAPROXY_PORT" "$LAST_PID"
}

start_sluice() {
    local config="$WORKDIR/sluice.yaml"
    cat >"$config" <<EOF
smtp: { hostname: bench.local }
listeners:
  - { name: mx, role: inbound, bind: "$HOST:$SLUICE_PORT", backend-pool: mta }
backends:
  mta: { servers: ["$HOST:$SINK_PORT"], xclient: false }
EOF
    local -a command
    read -r -a command <<<"$SLUICE_CMD"
    # Started from the repository root, as ./sluice expects.
    cd "$REPO_ROOT"
    start sluice "${command[@]}" "$config"
    cd - >/dev/null
    wait_ready sluice "$SLUICE_PORT" "$LAST_PID" "run with TARGETS=\"direct haproxy\" until Sluice works"
}

port_of() {
    case $1 in
        direct) echo "$SINK_PORT" ;;
        haproxy) echo "$HAPROXY_PORT" ;;
        sluice) echo "$SLUICE_PORT" ;;
    esac
}

# --- measuring -------------------------------------------------------------------------------------------------

# Sends COUNT messages to TARGET and sets ELAPSED to the seconds taken; any smtp-source complaint fails the run.
# smtp-source runs in the background so that a signal reaches the traps at once, not after the round.
send() {
    local target=$1 count=$2 label=$3 port output start_ns end_ns status
    port=$(port_of "$target")
    output="$WORKDIR/smtp-source-$label.log"
    local -a extra
    read -r -a extra <<<"$SOURCE_OPTS"
    start_ns=$(date +%s%N)
    status=0
    timeout "$ROUND_TIMEOUT" "$SMTP_SOURCE" -s "$SESSIONS" -m "$count" -l "$SIZE" "${extra[@]}" \
        "$HOST:$port" >"$output" 2>&1 </dev/null &
    SOURCE_PID=$!
    wait "$SOURCE_PID" || status=$?
    SOURCE_PID=
    end_ns=$(date +%s%N)
    if ((status == 124)); then
        die "$label: smtp-source to $target ($HOST:$port) timed out after ${ROUND_TIMEOUT}s"
    elif ((status != 0)); then
        log "--- smtp-source output:"
        tail -n 20 "$output" >&2 || true
        die "$label: smtp-source to $target ($HOST:$port) exited with status $status"
    elif grep -qiE 'fatal|error|warning|panic' "$output"; then
        log "--- smtp-source output:"
        tail -n 20 "$output" >&2 || true
        die "$label: smtp-source to $target ($HOST:$port) reported a problem"
    fi
    ELAPSED=$(awk -v s="$start_ns" -v e="$end_ns" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }

# --- main ------------------------------------------------------------------------------------------------------

choose_ports
log "relay-ratio: messages=$MESSAGES sessions=$SESSIONS size=$SIZE rounds=$ROUNDS warmup=$WARMUP_MESSAGES" \
    "targets=\"${targets[*]}\" source-options=\"$SOURCE_OPTS\" cores=$(nproc)"
log "relay-ratio: smtp-sink on $HOST:$SINK_PORT, haproxy on $HOST:$HAPROXY_PORT, sluice on $HOST:$SLUICE_PORT"

start_sink
for target in "${targets[@]}"; do
    case $target in
        haproxy) start_haproxy ;;
        sluice) start_sluice ;;
    esac
done

if ((WARMUP_MESSAGES > 0)); then
    for target in "${targets[@]}"; do
        send "$target" "$WARMUP_MESSAGES" "warmup-$target"
        printf 'warmup   %-8s %8ss %8s msg/s (not counted)\n' "$target" "$ELAPSED" "$(rate "$WARMUP_MESSAGES" "$ELAPSED")"
    done
fi

declare -A times
for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
        send "$target" "$MESSAGES" "round$round-$target"
        times[$target]+="$ELAPSED "
        printf 'round %-2s %-8s %8ss %8s msg/s\n' "$round" "$target" "$ELAPSED" "$(rate "$MESSAGES" "$ELAPSED")"
    done
done

declare -A medians
for target in "${targets[@]}"; do
    # shellcheck disable=SC2086 # the list of times is meant to split
    medians[$target]=$(median ${times[$target]})
    printf 'median   %-8s %8ss %8s msg/s  (rounds: %s)\n' "$target" "${medians[$target]}" \
        "$(rate "$MESSAGES" "${medians[$target]}")" "${times[$target]% }"
done

# throughput(relay) / throughput(direct) = median time(direct) / median time(relay)
summary="ratio"
for relay in sluice haproxy; do
    if [[ -n ${medians[$relay]:-} ]]; then
        value=$(awk -v d="${medians[direct]}" -v r="${medians[$relay]}" 'BEGIN { printf "%.2f", d / r }')
        printf 'throughput(%s)/throughput(direct) = %s\n' "$relay" "$value"
    else
        value=n/a
    fi
    summary+=" $relay=$value"
done
if [[ ${SLUICE_SKIPPED:-0} == 1 ]]; then
    log "relay-ratio: sluice was skipped (not built yet)"
fi
echo "$summary"

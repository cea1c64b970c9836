#!/usr/bin/env bash
# relay-ratio.sh: what a relay costs in throughput.
#
# Postfix's smtp-source sends the same load to Postfix's smtp-sink directly, through HAProxy in TCP mode,
# through nginx's mail proxy (if asked for) and through Sluice, in interleaved rounds, and prints each relay's throughput as a fraction of the direct one.
# Everything runs on 127.0.0.1. See README.md beside this script for the method and how to read the numbers.
#
# Settings (environment):
#   MESSAGES=20000  SESSIONS=20  SIZE=2000   smtp-source -m, -s, -l for each measured round
#   ROUNDS=3                                 rounds; each round runs every target once, in TARGETS order
#   TARGETS="direct haproxy sluice"          which columns to measure (also: nginx); direct is always needed
#   WARMUP_MESSAGES=MESSAGES                 sent once to each target before round 1, not measured; 0 = none
#   SOURCE_OPTS=""                           extra smtp-source options, e.g. "-d" to keep connections open
#   ROUND_TIMEOUT=300                        seconds one smtp-source run may take before the benchmark fails
#   STARTUP_TIMEOUT=120                      seconds a service may take to answer with its 220 greeting
#   BASE_PORT=random in 20000-31000          the sink, HAProxy, Sluice, nginx and its auth service listen on
#                                            BASE_PORT, +1, +2, +3, +4
#   SLUICE_CMD="./sluice run --config"       how Sluice is started, from the repository root; the config follows
#   KEEP_WORKDIR=0                           1 keeps configs and logs (they are always kept on failure)
#   SMTP_SOURCE, SMTP_SINK, HAPROXY, NGINX   the programs (default: /usr/sbin/smtp-source, /usr/sbin/smtp-sink,
#                                            haproxy, nginx)
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
NGINX=${NGINX:-nginx}

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

# --- processes, services, measuring ----------------------------------------------------------------------------

BENCH=relay-ratio
# shellcheck source=lib/services.sh
source "$REPO_ROOT/loadtest/bench/lib/services.sh"

check_targets

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

[[ -x $SMTP_SOURCE ]] || die "$SMTP_SOURCE not found (install Postfix, which ships smtp-source and smtp-sink)"


# --- main ------------------------------------------------------------------------------------------------------

assign_ports
log "relay-ratio: messages=$MESSAGES sessions=$SESSIONS size=$SIZE rounds=$ROUNDS warmup=$WARMUP_MESSAGES" \
    "targets=\"${targets[*]}\" source-options=\"$SOURCE_OPTS\" cores=$(nproc)"
log "relay-ratio: smtp-sink on $HOST:$SINK_PORT, haproxy on $HOST:$HAPROXY_PORT, sluice on $HOST:$SLUICE_PORT," \
    "nginx on $HOST:$NGINX_PORT"

start_targets

if ((WARMUP_MESSAGES > 0)); then
    for target in "${targets[@]}"; do
        send "$target" "$WARMUP_MESSAGES" "warmup-$target"
        printf 'warmup   %-8s %8ss %8s msg/s (not counted)\n' "$target" "$ELAPSED" "$(rate "$WARMUP_MESSAGES" "$ELAPSED")"
    done
fi

# CPU per message in microseconds, of the relay (or of the sink, for direct): what the relay costs the machine.
cpu_per_message() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.0f", c * 1e6 / n }'; }

declare -A times cpus
for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
        send "$target" "$MESSAGES" "round$round-$target"
        times[$target]+="$ELAPSED "
        cpu=${CPU_RELAY:-$CPU_SINK}
        cpus[$target]+="$cpu "
        printf 'round %-2s %-8s %8ss %8s msg/s  cpu %6ss %5s us/msg (%s)  sink cpu %ss\n' "$round" "$target" \
            "$ELAPSED" "$(rate "$MESSAGES" "$ELAPSED")" "$cpu" "$(cpu_per_message "$cpu" "$MESSAGES")" \
            "$([[ -n $CPU_RELAY ]] && echo relay || echo sink)" "$CPU_SINK"
    done
done

declare -A medians
for target in "${targets[@]}"; do
    # shellcheck disable=SC2086 # the list of times is meant to split
    medians[$target]=$(median ${times[$target]})
    # shellcheck disable=SC2086
    cpu=$(median ${cpus[$target]})
    printf 'median   %-8s %8ss %8s msg/s  cpu %6ss %5s us/msg  (rounds: %s)\n' "$target" "${medians[$target]}" \
        "$(rate "$MESSAGES" "${medians[$target]}")" "$cpu" "$(cpu_per_message "$cpu" "$MESSAGES")" "${times[$target]% }"
done

# throughput(relay) / throughput(direct) = median time(direct) / median time(relay)
summary="ratio"
for relay in sluice haproxy nginx; do
    if [[ $relay == nginx && -z ${medians[nginx]:-} ]]; then
        continue # an optional column: only reported when measured
    fi
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

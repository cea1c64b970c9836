#!/usr/bin/env bash
# relay-ratio.sh: what a relay costs in throughput.
#
# Postfix's smtp-source sends the same load to Postfix's smtp-sink directly, through HAProxy in TCP mode,
# through nginx's mail proxy (if asked for) and through Sluice, in interleaved rounds, and prints each relay's
# throughput as a fraction of the direct one, for up to three shapes of load:
#   small   2 KB messages, one message per connection
#   large   100 KB messages, one message per connection
#   reuse   2 KB messages, many messages per connection (smtp-source -d)
# Everything runs on 127.0.0.1. See README.md beside this script for the method and how to read the numbers.
#
# Settings (environment):
#   SHAPES="small large reuse"               which shapes to measure, in this order within each round
#   MESSAGES=20000  SESSIONS=20  SIZE=2000   smtp-source -m, -s, -l for each measured round of small and reuse
#   LARGE_MESSAGES=MESSAGES/5                smtp-source -m for each measured round of large
#   LARGE_SIZE=100000                        smtp-source -l for large
#   ROUNDS=3                                 rounds; each round runs every shape on every target, in TARGETS order
#   TARGETS="direct haproxy sluice"          which columns to measure (also: nginx, baseline, pump: a byte pump on
#                                            Netty, lib/NettyPump.java); direct is always needed
#   BASELINE_CMD=                            the baseline column: another Sluice build with the same configuration,
#                                            e.g. "java -jar OLD.jar run --config", to compare two builds in one run
#   WARMUP_MESSAGES=the shape's messages     sent once per target and shape before round 1, not measured; 0 = none
#   JIT_SETTLE_PERCENT=1                     then again to each JVM target, at most SETTLE_RUNS=10 more times,
#                                            until its JIT's compiler threads spent under this share of its CPU
#                                            (one round left C2 compiling through a reuse-only run: 232 us/msg,
#                                            against 116-173 after longer warm-ups); 0: no more
#   SOURCE_OPTS=""                           extra smtp-source options for every shape, e.g. "-r 5"
#   SLUICE_LIMITS=1                          1: Sluice evaluates a rate and a concurrency rule per client address
#                                            (never refusing); 0: no policy
#   SLUICE_CLUSTER_MODE=embedded             Sluice's cluster.mode: embedded (a Hazelcast member) or local
#   ROUND_TIMEOUT=300                        seconds one smtp-source run may take before the benchmark fails
#   STARTUP_TIMEOUT=120                      seconds a service may take to answer with its 220 greeting
#   BASE_PORT=random in 20000-31000          the sink, HAProxy, Sluice, nginx, its auth service, Sluice's admin
#                                            listener and cluster member, the baseline's listener, admin listener
#                                            and cluster member, and the pump listen on BASE_PORT, +1, ... +10
#   SLUICE_CMD="./sluice run --config"       how Sluice is started, from the repository root; the config follows
#   KEEP_WORKDIR=0                           1 keeps configs and logs (they are always kept on failure)
#   SMTP_SOURCE, SMTP_SINK, HAPROXY, NGINX   the programs (default: /usr/sbin/smtp-source, /usr/sbin/smtp-sink,
#                                            haproxy, nginx)
set -euo pipefail

SHAPES=${SHAPES:-small large reuse}
MESSAGES=${MESSAGES:-20000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-2000}
LARGE_SIZE=${LARGE_SIZE:-100000}
ROUNDS=${ROUNDS:-3}
TARGETS=${TARGETS:-direct haproxy sluice}
WARMUP_MESSAGES=${WARMUP_MESSAGES:-}
JIT_SETTLE_PERCENT=${JIT_SETTLE_PERCENT:-1}
SETTLE_RUNS=${SETTLE_RUNS:-10}
SOURCE_OPTS=${SOURCE_OPTS:-}
SLUICE_LIMITS=${SLUICE_LIMITS:-1}
SLUICE_CLUSTER_MODE=${SLUICE_CLUSTER_MODE:-embedded}
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

for name in MESSAGES SESSIONS SIZE LARGE_SIZE ROUNDS ROUND_TIMEOUT STARTUP_TIMEOUT JIT_SETTLE_PERCENT SETTLE_RUNS; do
    value=${!name}
    [[ $value =~ ^[0-9]+$ ]] || die "$name=$value (expected: a whole number)"
done
LARGE_MESSAGES=${LARGE_MESSAGES:-$((MESSAGES / 5 > 0 ? MESSAGES / 5 : 1))}
for name in LARGE_MESSAGES WARMUP_MESSAGES; do
    value=${!name}
    [[ -z $value || $value =~ ^[0-9]+$ ]] || die "$name=$value (expected: a whole number)"
done
((MESSAGES > 0)) || die "MESSAGES=$MESSAGES (expected: > 0)"
((LARGE_MESSAGES > 0)) || die "LARGE_MESSAGES=$LARGE_MESSAGES (expected: > 0)"
((SESSIONS > 0)) || die "SESSIONS=$SESSIONS (expected: > 0)"
((ROUNDS > 0)) || die "ROUNDS=$ROUNDS (expected: > 0)"
((ROUND_TIMEOUT > 0)) || die "ROUND_TIMEOUT=$ROUND_TIMEOUT (expected: > 0)"

# Each shape's messages per round, message size, smtp-source options and description.
declare -A shape_messages shape_size shape_options shape_about
read -r -a shapes <<<"$SHAPES"
((${#shapes[@]} > 0)) || die "SHAPES is empty (expected: one or more of small, large, reuse)"
for shape in "${shapes[@]}"; do
    [[ -z ${shape_about[$shape]:-} ]] || die "SHAPES=\"$SHAPES\": $shape is named twice"
    case $shape in
        small)
            shape_messages[$shape]=$MESSAGES shape_size[$shape]=$SIZE shape_options[$shape]=$SOURCE_OPTS
            shape_about[$shape]="$SIZE-byte messages, one per connection"
            ;;
        large)
            shape_messages[$shape]=$LARGE_MESSAGES shape_size[$shape]=$LARGE_SIZE shape_options[$shape]=$SOURCE_OPTS
            shape_about[$shape]="$LARGE_SIZE-byte messages, one per connection"
            ;;
        reuse)
            shape_messages[$shape]=$MESSAGES shape_size[$shape]=$SIZE shape_options[$shape]="-d $SOURCE_OPTS"
            shape_about[$shape]="$SIZE-byte messages, many per connection (-d)"
            ;;
        *) die "SHAPES: unknown shape \"$shape\" (expected: small, large, reuse)" ;;
    esac
done

# --- processes, services, measuring ----------------------------------------------------------------------------

BENCH="relay-ratio"
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

# CPU per message in microseconds, of the relay (or of the sink, for direct): what the relay costs the machine.
cpu_per_message() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.0f", c * 1e6 / n }'; }

# A / B with two decimals, or n/a when either is missing.
quotient() {
    if [[ -z $1 || -z $2 ]]; then
        echo n/a
    else
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    fi
}

# Sends SHAPE's warm-up of MESSAGES to TARGET again, if it is a JVM target, until its compiler threads spent under
# JIT_SETTLE_PERCENT of its CPU in the last one, at most SETTLE_RUNS times.
settle_jit() {
    local shape=$1 target=$2 messages=$3 runs=0 spent=
    is_jvm_target "$target" && ((JIT_SETTLE_PERCENT > 0)) || return 0
    while ((runs < SETTLE_RUNS)); do
        jit_mark
        send "$target" "$messages" "settle-$shape-$target" "${shape_size[$shape]}" "${shape_options[$shape]}"
        runs=$((runs + 1))
        spent=$(jit_since "$target")
        if awk -v j="$spent" -v c="$CPU_RELAY" -v p="$JIT_SETTLE_PERCENT" 'BEGIN { exit !(j < c * 10 * p) }'; then
            printf 'warmup   %-5s %-8s %s more until the JIT settled (%s ms of compiling in %ss of CPU)\n' \
                "$shape" "$target" "$runs" "$spent" "$CPU_RELAY"
            return 0
        fi
    done
    printf 'warmup   %-5s %-8s %s more; the JIT still compiling (%s ms in %ss of CPU)\n' "$shape" "$target" "$runs" \
        "$spent" "$CPU_RELAY"
}

# --- main ------------------------------------------------------------------------------------------------------

assign_ports
log "relay-ratio: shapes=\"${shapes[*]}\" messages=$MESSAGES large-messages=$LARGE_MESSAGES sessions=$SESSIONS" \
    "size=$SIZE large-size=$LARGE_SIZE rounds=$ROUNDS warmup=${WARMUP_MESSAGES:-one round}" \
    "jit-settle=$JIT_SETTLE_PERCENT% targets=\"${targets[*]}\"" \
    "source-options=\"$SOURCE_OPTS\" sluice-limits=$SLUICE_LIMITS sluice-cluster=$SLUICE_CLUSTER_MODE cores=$(nproc)"
log "relay-ratio: smtp-sink on $HOST:$SINK_PORT, haproxy on $HOST:$HAPROXY_PORT, sluice on $HOST:$SLUICE_PORT," \
    "nginx on $HOST:$NGINX_PORT"

start_targets

for shape in "${shapes[@]}"; do
    warmup=${WARMUP_MESSAGES:-${shape_messages[$shape]}}
    ((warmup > 0)) || continue
    for target in "${targets[@]}"; do
        send "$target" "$warmup" "warmup-$shape-$target" "${shape_size[$shape]}" "${shape_options[$shape]}"
        printf 'warmup   %-5s %-8s %8ss %8s msg/s (not counted)\n' "$shape" "$target" "$ELAPSED" \
            "$(rate "$warmup" "$ELAPSED")"
        settle_jit "$shape" "$target" "$warmup"
    done
done

# Keyed by "shape/target": each round's time, the relay's (for direct the sink's) CPU seconds, the sink's.
declare -A times cpus sink_cpus
for round in $(seq 1 "$ROUNDS"); do
    for shape in "${shapes[@]}"; do
        messages=${shape_messages[$shape]}
        for target in "${targets[@]}"; do
            send "$target" "$messages" "round$round-$shape-$target" "${shape_size[$shape]}" "${shape_options[$shape]}"
            times[$shape/$target]+="$ELAPSED "
            cpu=${CPU_RELAY:-$CPU_SINK}
            cpus[$shape/$target]+="$cpu "
            sink_cpus[$shape/$target]+="$CPU_SINK "
            printf 'round %-2s %-5s %-8s %8ss %8s msg/s  cpu %6ss %5s us/msg (%s)  sink cpu %ss\n' "$round" "$shape" \
                "$target" "$ELAPSED" "$(rate "$messages" "$ELAPSED")" "$cpu" "$(cpu_per_message "$cpu" "$messages")" \
                "$([[ -n $CPU_RELAY ]] && echo relay || echo sink)" "$CPU_SINK"
        done
    done
done

# Per shape and target: the median time, the ratio of direct, the median CPU per message of relay and sink.
declare -A medians ratios cpu_us sink_us
for shape in "${shapes[@]}"; do
    messages=${shape_messages[$shape]}
    printf '\n%s: %s, %s sessions, %s messages a round\n' "$shape" "${shape_about[$shape]}" "$SESSIONS" "$messages"
    for target in "${targets[@]}"; do
        key="$shape/$target"
        # shellcheck disable=SC2086 # the lists are meant to split
        medians[$key]=$(median ${times[$key]})
        # shellcheck disable=SC2086
        cpu_us[$key]=$(cpu_per_message "$(median ${cpus[$key]})" "$messages")
        # shellcheck disable=SC2086
        sink_us[$key]=$(cpu_per_message "$(median ${sink_cpus[$key]})" "$messages")
        # throughput(relay) / throughput(direct) = median time(direct) / median time(relay)
        ratios[$key]=$(quotient "${medians[$shape/direct]}" "${medians[$key]}")
        printf 'median   %-5s %-8s %8ss %8s msg/s  ratio %5s  cpu %5s us/msg  sink cpu %5s us/msg  (rounds: %s)\n' \
            "$shape" "$target" "${medians[$key]}" "$(rate "$messages" "${medians[$key]}")" "${ratios[$key]}" \
            "${cpu_us[$key]}" "${sink_us[$key]}" "${times[$key]% }"
    done
done

# Per shape: each relay's ratio of direct; Sluice's ratio divided by HAProxy's, which is median time(haproxy) /
# median time(sluice); CPU per message of each relay's processes and of the sink behind it.
printf '\n%-6s %-46s %8s %8s %8s %15s %s\n' shape "" haproxy nginx sluice sluice/haproxy "cpu us/msg"
for shape in "${shapes[@]}"; do
    cpu_column=
    for target in "${targets[@]}"; do
        cpu_column+="${cpu_column:+  }$target ${cpu_us[$shape/$target]}"
        [[ $target == direct ]] || cpu_column+=" (sink ${sink_us[$shape/$target]})"
    done
    printf '%-6s %-46s %8s %8s %8s %15s %s\n' "$shape" "${shape_about[$shape]}" "${ratios[$shape/haproxy]:-n/a}" \
        "${ratios[$shape/nginx]:-n/a}" "${ratios[$shape/sluice]:-n/a}" \
        "$(quotient "${medians[$shape/haproxy]:-}" "${medians[$shape/sluice]:-}")" "$cpu_column"
done
if [[ ${SLUICE_SKIPPED:-0} == 1 ]]; then
    log "relay-ratio: sluice was skipped (not built yet)"
fi

# One line per shape, for scripts and for comparing runs.
for shape in "${shapes[@]}"; do
    summary="ratio $shape"
    for relay in sluice haproxy nginx; do
        if [[ $relay == nginx && -z ${ratios[$shape/nginx]:-} ]]; then
            continue # an optional column: only reported when measured
        fi
        summary+=" $relay=${ratios[$shape/$relay]:-n/a}"
    done
    summary+=" sluice/haproxy=$(quotient "${medians[$shape/haproxy]:-}" "${medians[$shape/sluice]:-}")"
    if [[ -n ${ratios[$shape/baseline]:-} ]]; then
        summary+=" baseline=${ratios[$shape/baseline]} baseline/haproxy=$(quotient "${medians[$shape/haproxy]:-}" \
            "${medians[$shape/baseline]}") sluice/baseline=$(quotient "${medians[$shape/baseline]}" "${medians[$shape/sluice]:-}")"
    fi
    echo "$summary"
done

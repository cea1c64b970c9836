# Shared by the benchmark scripts beside this file: starting the services under test, waiting for them,
# stopping everything on exit, and timing smtp-source runs. The caller sets BENCH (its name, for messages),
# HOST, STARTUP_TIMEOUT, KEEP_WORKDIR, BASE_PORT, SESSIONS, SIZE, SOURCE_OPTS, ROUND_TIMEOUT, REPO_ROOT,
# SLUICE_CMD, BASELINE_CMD, SMTP_SOURCE, SMTP_SINK, HAPROXY, NGINX, SLUICE_LIMITS, SLUICE_CLUSTER_MODE and the *_PORT variables
# of the services it starts, and defines log and die.

# --- processes and cleanup -------------------------------------------------------------------------------------

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH.XXXXXX")
FAILED=0
SOURCE_PID= # the running smtp-source's timeout wrapper, if any
STARTED=() # process ids; each is the leader of its own process group (setsid), so its children go with it
declare -A SESSION_OF # service name (sink, haproxy, sluice, baseline, nginx, pump) -> the session id of its processes
declare -A JIT_MARK # JVM target (sluice, baseline, pump) -> its compiler threads' CPU (ms) at the last jit_mark

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
    if [[ -z $(ls -A "$WORKDIR") ]]; then
        rmdir "$WORKDIR" # stopped before anything was written
    elif ((FAILED || status != 0)) || [[ $KEEP_WORKDIR == 1 ]]; then
        log "$BENCH: configs and logs kept in $WORKDIR"
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

# Starts a program from the repository root as NAME, with the given command line (a string, split on spaces)
# and arguments.
start_from_root() {
    local name=$1 command_line=$2
    shift 2
    local -a command
    read -r -a command <<<"$command_line"
    cd "$REPO_ROOT"
    start "$name" "${command[@]}" "$@"
    cd - >/dev/null
}

# Stops a process group started with start and waits for it to end (at most 30 s): the sink writes its results then.
stop_group() {
    local pid=$1 waited=0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Runs the project's generator (LOAD_CMD, from the repository root) with ARGS for at most SECONDS, its output in
# LOG_FILE, as SOURCE_PID so that cleanup can stop it; dies naming LABEL if it times out or fails.
run_generator() {
    local label=$1 seconds=$2 log_file=$3 status=0
    shift 3
    local -a load
    read -r -a load <<<"$LOAD_CMD"
    (cd "$REPO_ROOT" && exec timeout "$seconds" "${load[@]}" "$@") >"$log_file" 2>&1 </dev/null &
    SOURCE_PID=$!
    wait "$SOURCE_PID" || status=$?
    SOURCE_PID=
    if ((status == 124)); then
        die "$label: the generator did not finish within ${seconds}s"
    elif ((status != 0)); then
        tail -n 20 "$log_file" >&2 || true
        die "$label: the generator exited with status $status (log: $log_file)"
    fi
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

# Sets PORTS to COUNT consecutive free ports: BASE_PORT.. if set, else a random run below the ephemeral range.
choose_ports() {
    local count=$1 base port free
    PORTS=()
    if [[ -n $BASE_PORT ]]; then
        if ! [[ $BASE_PORT =~ ^[0-9]+$ ]] || ((BASE_PORT < 1024 || BASE_PORT > 65535 - count)); then
            die "BASE_PORT=$BASE_PORT (expected: 1024-$((65535 - count)))"
        fi
        for ((port = BASE_PORT; port < BASE_PORT + count; port++)); do
            ! port_in_use "$port" || die "BASE_PORT=$BASE_PORT: port $port is in use"
        done
        base=$BASE_PORT
    else
        # Below the kernel's ephemeral range, so that no outgoing connection holds one of them.
        for _ in $(seq 1 50); do
            base=$((20000 + RANDOM % 11000))
            free=1
            for ((port = base; port < base + count; port++)); do
                if port_in_use "$port"; then
                    free=0
                    break
                fi
            done
            ((free)) && break
            base=
        done
        [[ -n $base ]] || die "found no $count free consecutive ports in 20000-31000"
    fi
    for ((port = base; port < base + count; port++)); do
        PORTS+=("$port")
    done
}

# --- services --------------------------------------------------------------------------------------------------

start_sink() {
    local -a options=(-m $((SESSIONS * 2 + 64)))
    # smtp-sink refuses to run as root without a user to switch to.
    if ((EUID == 0)); then
        options+=(-u nobody)
    fi
    start smtp-sink "$SMTP_SINK" "${options[@]}" "$HOST:$SINK_PORT" 1024
    SESSION_OF[sink]=$LAST_PID
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
    SESSION_OF[haproxy]=$LAST_PID
    wait_ready haproxy "$HAPROXY_PORT" "$LAST_PID"
}

# The rules Sluice evaluates with SLUICE_LIMITS=1: a message rate per client address and a concurrency rule per
# client address, both far above anything smtp-source reaches on one machine, so that every message pays for the
# decisions and none is refused (a refusal fails the round).
SLUICE_LIMITS_POLICY='policy:
  limits:
    - { name: bench-messages-per-ip, key: client-ip, counts: messages, rate: 1000000/1s }
  concurrency:
    - { name: bench-sessions-per-ip, key: client-ip, max: 100000 }'

# Starts a Sluice as NAME (sluice, or baseline: another build to compare with, BASELINE_CMD) with the generated
# configuration on its own listener, admin and cluster ports.
start_sluice() {
    local name=${1:-sluice} port=${2:-$SLUICE_PORT} admin_port=${3:-$SLUICE_ADMIN_PORT}
    local cluster_port=${4:-$SLUICE_CLUSTER_PORT} sluice_cmd=${5:-$SLUICE_CMD}
    local config="$WORKDIR/$name.yaml" cluster="{ mode: local }"
    if [[ $SLUICE_CLUSTER_MODE == embedded ]]; then
        cluster="{ mode: embedded, bind: \"$HOST:$cluster_port\" }"
    fi
    # The reuse shape sends every message of a session on one connection (20,000 / 20 sessions), past the
    # inbound default of 1000 transactions per session that a real sender meets.
    cat >"$config" <<EOF
smtp: { hostname: bench.local, max-transactions: 1000000 }
listeners:
  - { name: mx, role: inbound, bind: "$HOST:$port", backend-pool: mta }
backends:
  mta: { servers: ["$HOST:$SINK_PORT"], xclient: false }
cluster: $cluster
admin: { bind: "$HOST:$admin_port" }
drain: { announce: 0s, timeout: 5s }
EOF
    if [[ $SLUICE_LIMITS == 1 ]]; then
        printf '%s\n' "$SLUICE_LIMITS_POLICY" >>"$config"
    fi
    local -a command
    read -r -a command <<<"$sluice_cmd"
    # Started from the repository root, as ./sluice expects.
    cd "$REPO_ROOT"
    start "$name" "${command[@]}" "$config"
    SESSION_OF[$name]=$LAST_PID
    cd - >/dev/null
    wait_ready "$name" "$port" "$LAST_PID" "run with TARGETS=\"direct haproxy\" until Sluice works"
}

# The pump target: a byte pump on Netty (NettyPump.java beside this file), on Sluice's jar and with the Netty settings
# Sluice starts with (NettyDefaults), so that it costs what the JVM and Netty cost any relay on the machine.
PUMP_JAR=proxy/target/sluice.jar
start_pump() {
    start_from_root pump java -cp "$PUMP_JAR" loadtest/bench/lib/NettyPump.java "$HOST" "$PUMP_PORT" "$SINK_PORT"
    SESSION_OF[pump]=$LAST_PID
    wait_ready pump "$PUMP_PORT" "$LAST_PID"
}

# nginx's mail proxy asks an auth_http service which backend to use; its own http module answers.
start_nginx() {
    local config="$WORKDIR/nginx.conf" modules=${NGINX_MODULES:-/usr/lib/nginx/modules}
    mkdir -p "$WORKDIR/nginx"
    cat >"$config" <<EOF
load_module $modules/ngx_mail_module.so;
worker_processes auto;
pid $WORKDIR/nginx/nginx.pid;
error_log $WORKDIR/nginx/error.log warn;
events { worker_connections $((SESSIONS * 4 + 1024)); }
http {
    access_log off;
    server {
        listen $HOST:$NGINX_AUTH_PORT;
        location /auth {
            add_header Auth-Status OK;
            add_header Auth-Server $HOST;
            add_header Auth-Port $SINK_PORT;
            return 204;
        }
    }
}
mail {
    server_name bench.local;
    auth_http $HOST:$NGINX_AUTH_PORT/auth;
    proxy on;
    xclient off;
    smtp_auth none;
    server {
        listen $HOST:$NGINX_PORT;
        protocol smtp;
    }
}
EOF
    "$NGINX" -t -q -p "$WORKDIR/nginx" -c "$config" >"$WORKDIR/nginx-check.log" 2>&1 ||
        die "nginx rejected $config: $(cat "$WORKDIR/nginx-check.log")"
    start nginx "$NGINX" -p "$WORKDIR/nginx" -c "$config" -g 'daemon off;'
    SESSION_OF[nginx]=$LAST_PID
    wait_ready nginx "$NGINX_PORT" "$LAST_PID"
}

# Checks TARGETS (split into the array targets): known names, direct among them, the programs they need, and
# Sluice's settings.
check_targets() {
    local target
    read -r -a targets <<<"$TARGETS"
    for target in "${targets[@]}"; do
        case $target in
            direct | haproxy | nginx | sluice | baseline | pump) ;;
            *) die "TARGETS: unknown target \"$target\" (expected: direct, haproxy, nginx, sluice, baseline, pump)" ;;
        esac
    done
    [[ " ${targets[*]} " == *" direct "* ]] || die "TARGETS=\"$TARGETS\" (expected: to include direct, the baseline)"
    if [[ " ${targets[*]} " == *" baseline "* && -z ${BASELINE_CMD:-} ]]; then
        die "TARGETS has baseline: set BASELINE_CMD to the other build's command, e.g. \"java -jar OLD.jar run --config\""
    fi
    if [[ " ${targets[*]} " == *" sluice "* || " ${targets[*]} " == *" baseline "* ]]; then
        [[ $SLUICE_LIMITS == [01] ]] || die "SLUICE_LIMITS=$SLUICE_LIMITS (expected: 1 for limits on, 0 for none)"
        [[ $SLUICE_CLUSTER_MODE == embedded || $SLUICE_CLUSTER_MODE == local ]] ||
            die "SLUICE_CLUSTER_MODE=$SLUICE_CLUSTER_MODE (expected: embedded or local)"
    fi
    [[ -x $SMTP_SINK ]] || die "$SMTP_SINK not found (install Postfix, which ships smtp-sink and smtp-source)"
    if [[ " ${targets[*]} " == *" haproxy "* ]]; then
        command -v "$HAPROXY" >/dev/null 2>&1 || die "$HAPROXY not found (install HAProxy or drop haproxy from TARGETS)"
    fi
    if [[ " ${targets[*]} " == *" nginx "* ]]; then
        command -v "$NGINX" >/dev/null 2>&1 ||
            die "$NGINX not found (install nginx and libnginx-mod-mail, or drop nginx from TARGETS)"
    fi
    if [[ " ${targets[*]} " == *" pump "* ]]; then
        [[ -f $REPO_ROOT/$PUMP_JAR ]] ||
            die "TARGETS has pump, which runs on Sluice's jar: build it first (./mvnw -q -DskipTests package, or ./sluice --help)"
    fi
}

# Picks the ports of the sink and the relays: BASE_PORT (or a free run) and the next ten. Sluice's admin listener
# and cluster member get ports of their own, so that a benchmark never meets another Sluice on the defaults; so do
# the baseline's.
assign_ports() {
    choose_ports 11
    SINK_PORT=${PORTS[0]}
    HAPROXY_PORT=${PORTS[1]}
    SLUICE_PORT=${PORTS[2]}
    NGINX_PORT=${PORTS[3]}
    NGINX_AUTH_PORT=${PORTS[4]}
    SLUICE_ADMIN_PORT=${PORTS[5]}
    SLUICE_CLUSTER_PORT=${PORTS[6]}
    BASELINE_PORT=${PORTS[7]}
    BASELINE_ADMIN_PORT=${PORTS[8]}
    BASELINE_CLUSTER_PORT=${PORTS[9]}
    PUMP_PORT=${PORTS[10]}
}

# Starts smtp-sink and every relay among the targets, each answering before this returns.
start_targets() {
    local target
    start_sink
    for target in "${targets[@]}"; do
        case $target in
            haproxy) start_haproxy ;;
            nginx) start_nginx ;;
            sluice) start_sluice ;;
            baseline) start_sluice baseline "$BASELINE_PORT" "$BASELINE_ADMIN_PORT" "$BASELINE_CLUSTER_PORT" "$BASELINE_CMD" ;;
            pump) start_pump ;;
        esac
    done
}

port_of() {
    case $1 in
        direct) echo "$SINK_PORT" ;;
        haproxy) echo "$HAPROXY_PORT" ;;
        nginx) echo "$NGINX_PORT" ;;
        sluice) echo "$SLUICE_PORT" ;;
        baseline) echo "$BASELINE_PORT" ;;
        pump) echo "$PUMP_PORT" ;;
    esac
}

# --- measuring -------------------------------------------------------------------------------------------------

# Sends COUNT messages of SIZE bytes (default: $SIZE) to TARGET with smtp-source's OPTIONS (default: $SOURCE_OPTS)
# and sets ELAPSED to the seconds taken, CPU_RELAY to the CPU seconds the relay used meanwhile (empty for direct)
# and CPU_SINK to the sink's; any smtp-source complaint fails the run. smtp-source runs in the background so that
# a signal reaches the traps at once, not after the round.
send() {
    local target=$1 count=$2 label=$3 size=${4:-$SIZE} source_options=${5-$SOURCE_OPTS} port output start_ns end_ns status
    port=$(port_of "$target")
    output="$WORKDIR/smtp-source-$label.log"
    local -a extra
    read -r -a extra <<<"$source_options"
    local relay_sid=${SESSION_OF[$target]:-} relay_before= sink_before
    [[ -z $relay_sid ]] || relay_before=$(cpu_seconds "$relay_sid")
    sink_before=$(cpu_seconds "${SESSION_OF[sink]}")
    start_ns=$(date +%s%N)
    status=0
    timeout "$ROUND_TIMEOUT" "$SMTP_SOURCE" -s "$SESSIONS" -m "$count" -l "$size" "${extra[@]}" \
        "$HOST:$port" >"$output" 2>&1 </dev/null &
    SOURCE_PID=$!
    wait "$SOURCE_PID" || status=$?
    SOURCE_PID=
    end_ns=$(date +%s%N)
    CPU_RELAY=
    [[ -z $relay_sid ]] || CPU_RELAY=$(awk -v a="$relay_before" -v b="$(cpu_seconds "$relay_sid")" 'BEGIN { printf "%.2f", b - a }')
    CPU_SINK=$(awk -v a="$sink_before" -v b="$(cpu_seconds "${SESSION_OF[sink]}")" 'BEGIN { printf "%.2f", b - a }')
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

# CPU ticks (user + system) used so far in the session SID by the live entries of /proc/[0-9]*/PART (stat: processes;
# task/[0-9]*/stat: their threads) whose name matches the awk pattern NAME (empty: every one).
session_ticks() {
    local sid=$1 part=$2 name=${3:-}
    # A process may end between the glob and the read: cat goes on without it. PART's own glob expands here too.
    # shellcheck disable=SC2086
    { cat /proc/[0-9]*/$part 2>/dev/null || true; } | awk -v sid="$sid" -v name="$name" '
        { comm = $0; sub(/^[^(]*\(/, "", comm); sub(/\).*$/, "", comm)
          sub(/^.*\) /, "") }                             # the name may hold spaces; fields now start at the state
        $4 == sid && comm ~ name { ticks += $12 + $13 }   # session id, utime, stime (fields 6, 14, 15 of the line)
        END { print ticks + 0 }'
}

# CPU seconds (user + system) used so far by every live process of the session SID: a relay and its workers.
cpu_seconds() {
    awk -v ticks="$(session_ticks "$1" stat)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", ticks / hz }'
}

# CPU milliseconds used so far by the JIT's compiler threads (C1 and C2) of every live process of the session SID: 0
# for a relay that is not a JVM.
jit_millis() {
    awk -v ticks="$(session_ticks "$1" 'task/[0-9]*/stat' '^C[12] CompilerThre')" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.0f", ticks * 1000 / hz }'
}

# Whether TARGET is a JVM (Sluice or the pump), whose compiler threads are watched.
is_jvm_target() {
    [[ $1 == sluice || $1 == baseline || $1 == pump ]]
}

# The JVM targets (Sluice and the pump) among the caller's targets.
jvm_targets() {
    local target
    for target in "${targets[@]}"; do
        if is_jvm_target "$target"; then
            echo "$target"
        fi
    done
}

# Notes what the compiler threads of each JVM target have spent so far, for jit_since.
jit_mark() {
    local target
    for target in $(jvm_targets); do
        JIT_MARK[$target]=$(jit_millis "${SESSION_OF[$target]}")
    done
}

# CPU (ms) the compiler threads of the JVM target TARGET spent since the last jit_mark.
jit_since() {
    echo $(($(jit_millis "${SESSION_OF[$1]}") - JIT_MARK[$1]))
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }


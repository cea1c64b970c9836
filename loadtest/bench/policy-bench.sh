#!/usr/bin/env bash
# Benchmarks of the policy engine, from the policy module's test classes:
#
#   loadtest/bench/policy-bench.sh jmh [JMH options]       decision path: local decisions/s on one thread, and
#                                                           the latency of a decision owned by another member
#   loadtest/bench/policy-bench.sh sync-accuracy [SECONDS]  admitted vs burst + rate x time for each bucket sync
#                                                           mode, three members on loopback
#   MODULE=proxy loadtest/bench/policy-bench.sh jmh         the proxy's benchmarks (io.sluice.proxy.bench): the
#                                                           framing of a message's content
#
# Runs from any directory; needs only a JDK. JMH results also go to target/jmh-decision.json (policy) or
# target/jmh-proxy.json.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO_ROOT"

MODULE=${MODULE:-policy}
[[ $MODULE == policy || $MODULE == proxy ]] || { echo "MODULE=$MODULE (expected: policy or proxy)" >&2; exit 2; }
what="${1:-}"
shift || true
case "$what" in
    jmh) main=org.openjdk.jmh.Main ;;
    sync-accuracy)
        [[ $MODULE == policy ]] || { echo "sync-accuracy is the policy module's (MODULE=policy)" >&2; exit 2; }
        main=io.sluice.policy.bench.SyncAccuracy ;;
    *) echo "usage: $0 jmh [JMH options] | sync-accuracy [SECONDS]" >&2; exit 2 ;;
esac

# One reactor build, so that the module's classpath names the modules it needs; $MODULE is built last and writes
# the file last.
./mvnw -q -pl "$MODULE" -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$REPO_ROOT/$MODULE/target/bench-classpath.txt"
CLASSPATH="$MODULE/target/test-classes:$MODULE/target/classes:$(cat "$MODULE/target/bench-classpath.txt")"
# Hazelcast's access to JDK internals, as the proxy grants it.
JAVA_OPTS=(--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    -Dlogback.configurationFile="$REPO_ROOT/loadtest/bench/logback-bench.xml")

if [[ "$what" == jmh ]]; then
    mkdir -p target
    results=target/jmh-decision.json
    [[ $MODULE == proxy ]] && results=target/jmh-proxy.json
    exec java "${JAVA_OPTS[@]}" -cp "$CLASSPATH" "$main" -rf json -rff "$results" \
        -jvmArgsAppend "${JAVA_OPTS[*]}" \
        "${@:-io.sluice.$MODULE.bench}"
fi
exec java "${JAVA_OPTS[@]}" -cp "$CLASSPATH" "$main" "$@"

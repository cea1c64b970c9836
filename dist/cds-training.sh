#!/usr/bin/env bash
# The image's AppCDS training run (dist/Dockerfile): starts an unpacked Sluice with ARCHIVE written at exit, waits
# until it is ready, walks one SMTP session through its listener so the session's classes load too, then stops it
# with SIGTERM (a drain, then exit) and checks that the archive was written. It takes as long as the start and the
# drain's announce, not a fixed wait.
#
#   dist/cds-training.sh SLUICE_HOME CONFIG ADMIN_HOST:PORT SMTP_HOST:PORT
#
# TIMEOUT (seconds, default 120) bounds the start and the drain each.
set -euo pipefail

home=$1 config=$2 admin=$3 smtp=$4
timeout=${TIMEOUT:-120}
archive=$home/lib/sluice.jsa

SLUICE_JAVA_OPTS="-XX:ArchiveClassesAtExit=$archive -Xlog:cds=off" "$home/bin/sluice" run --config "$config" &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null || true' EXIT

ready() {
    (
        exec 3<>"/dev/tcp/${admin%:*}/${admin##*:}" || exit 1
        printf 'GET /healthz/ready HTTP/1.0\r\nHost: %s\r\n\r\n' "$admin" >&3
        IFS= read -r -t 5 status <&3 || exit 1
        [[ $status == *" 200 "* ]]
    ) 2>/dev/null
}

deadline=$((SECONDS + timeout))
until ready; do
    kill -0 "$pid" 2>/dev/null || { echo "cds-training: sluice exited before it was ready" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "cds-training: not ready within ${timeout}s" >&2; exit 1; }
    sleep 0.2
done

# One session, whatever the replies: greeting, EHLO, MAIL, RCPT, QUIT. With no backend behind the example (as in
# the image's build) the greeting is already a 421 and the session ends there.
(
    exec 3<>"/dev/tcp/${smtp%:*}/${smtp##*:}"
    IFS= read -r -t 30 reply <&3
    for command in "EHLO training.invalid" "MAIL FROM:<a@training.invalid>" "RCPT TO:<b@training.invalid>" QUIT; do
        [[ ${reply:0:3} != 421 ]] || break
        printf '%s\r\n' "$command" >&3
        while IFS= read -r -t 30 reply <&3 && [[ ${reply:3:1} == - ]]; do :; done
    done
) 2>/dev/null || echo "cds-training: the SMTP session did not finish (the archive is written all the same)" >&2

kill -TERM "$pid"
deadline=$((SECONDS + timeout))
while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "cds-training: no exit within ${timeout}s of SIGTERM" >&2; exit 1; }
    sleep 0.2
done
status=0
wait "$pid" || status=$?
trap - EXIT
((status == 0)) || { echo "cds-training: sluice exited with status $status" >&2; exit 1; }
[[ -s $archive ]] || { echo "cds-training: no archive at $archive" >&2; exit 1; }
echo "cds-training: wrote $archive"

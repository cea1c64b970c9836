#!/usr/bin/env python3
"""Times whole SMTP sessions, one at a time, interleaved over several servers.

Usage: sequential-sessions.py HOST SESSIONS SIZE NAME=PORT...

Each session connects, reads the greeting and sends EHLO, MAIL, RCPT, DATA, a message of SIZE bytes with its
final dot, and QUIT; its time runs from before the connect to the reply to QUIT. Session i goes to every server
in turn, starting with a different one each time, so that no server always follows the same other. Prints one
line per server: NAME, sessions, p50 and p99 in milliseconds (nearest rank). Any unexpected reply, timeout or
connection error ends the run with status 1 and says where. Only the standard library, so that the client costs
every path the same and needs nothing installed.

With SEQUENTIAL_STEPS_FILE set, each step of a session is timed too (the connect, the greeting, each command to its
reply), and that file gets, per server, the median of each step and the steps of its slowest 1% of sessions: where
a slow session lost its time.
"""
import gc
import math
import os
import socket
import sys
import time

REPLY_TIMEOUT = 10.0


STEPS = ("connect", "greeting", "EHLO", "MAIL", "RCPT", "DATA", "message", "QUIT")


class SessionError(Exception):
    pass


def message(size):
    """A message of SIZE bytes (give or take two; at least its headers) before its final dot, in short lines."""
    head = b"From: <bench@bench.local>\r\nTo: <sink@bench.local>\r\nSubject: latency\r\n\r\n"
    body = bytearray()
    line = b"x" * 76 + b"\r\n"
    while len(head) + len(body) + len(line) <= size:
        body += line
    rest = size - len(head) - len(body)
    if rest >= 3:
        body += b"x" * (rest - 2) + b"\r\n"
    return head + bytes(body) + b".\r\n"


def expect(reader, code, step):
    """Reads one reply, all its lines, and fails unless its code is CODE."""
    while True:
        line = reader.readline(1024)
        if not line:
            raise SessionError(f"{step}: connection closed (expected: {code.decode()})")
        if line[:3] != code:
            raise SessionError(f"{step}: {line.decode('ascii', 'replace').strip()!r} (expected: {code.decode()})")
        if line[3:4] != b"-":
            return


def session(host, port, content):
    """One session; returns the time of each step in nanoseconds, in the order of STEPS."""
    marks = [time.perf_counter_ns()]
    with socket.create_connection((host, port), timeout=REPLY_TIMEOUT) as sock:
        marks.append(time.perf_counter_ns())
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        expect(reader, b"220", "greeting")
        marks.append(time.perf_counter_ns())
        for command, code in ((b"EHLO client.bench.local\r\n", b"250"),
                              (b"MAIL FROM:<bench@bench.local>\r\n", b"250"),
                              (b"RCPT TO:<sink@bench.local>\r\n", b"250"),
                              (b"DATA\r\n", b"354"),
                              (content, b"250"),
                              (b"QUIT\r\n", b"221")):
            sock.sendall(command)
            expect(reader, code, "message" if command is content else command.split()[0].decode())
            marks.append(time.perf_counter_ns())
        reader.close()
    return [marks[i + 1] - marks[i] for i in range(len(marks) - 1)]


def write_steps(path, steps):
    """Per server, in microseconds: each step's median, then the steps of the slowest 1% of sessions (at least 3),
    slowest last."""
    with open(path, "w") as out:
        for name, sessions in steps.items():
            medians = [sorted(s[k] for s in sessions)[len(sessions) // 2] for k in range(len(STEPS))]
            out.write(f"{name} median " + " ".join(f"{step}={t // 1000}" for step, t in zip(STEPS, medians)) + "\n")
            for s in sorted(sessions, key=sum)[-max(3, len(sessions) // 100):]:
                out.write(f"{name} slow {sum(s) // 1000} "
                          + " ".join(f"{step}={t // 1000}" for step, t in zip(STEPS, s)) + "\n")


def percentile(ordered, p):
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    host, sessions, size = argv[1], int(argv[2]), int(argv[3])
    servers = [(name, int(port)) for name, port in (arg.split("=", 1) for arg in argv[4:])]
    content = message(size)
    steps = {name: [] for name, _ in servers}
    gc.disable()  # a collection in the client would land in one path's samples
    for i in range(sessions):
        for j in range(len(servers)):
            name, port = servers[(i + j) % len(servers)]
            try:
                steps[name].append(session(host, port, content))
            except (OSError, SessionError) as e:
                print(f"sequential-sessions: {name} ({host}:{port}), session {i + 1}: {e}", file=sys.stderr)
                return 1
    for name, _ in servers:
        ordered = sorted(sum(s) // 1000 for s in steps[name])
        print(f"{name} {len(ordered)} {percentile(ordered, 50) / 1000:.3f} {percentile(ordered, 99) / 1000:.3f}")
    if os.environ.get("SEQUENTIAL_STEPS_FILE"):
        write_steps(os.environ["SEQUENTIAL_STEPS_FILE"], steps)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""The report of admission-steps.sh: per run and plateau, what the sink took against its capacity and how long
its replies to final dots waited, from the sink's sink.json (per plateau) and sink-rate.csv (per second), and the
adaptive limit sampled from each node. Standard library only."""

import argparse
import csv
import json
import os
import statistics
import sys

LATENCY_FACTOR = 2.0  # the target: p99 <= 2x the unloaded p99
SHARE_TARGET = 0.90  # adaptive: admitted >= 90% of capacity in each plateau
CLUSTER_TOLERANCE = 0.10  # three nodes: the sum within +/-10% of capacity


def read_run(workdir, run):
    with open(os.path.join(workdir, run, "sink", "sink.json")) as f:
        sink = json.load(f)
    seconds = []
    with open(os.path.join(workdir, run, "sink", "sink-rate.csv")) as f:
        for row in csv.DictReader(f):
            seconds.append((int(row["elapsed_ms"]) / 1000.0, int(row["messages"]), float(row["dot_p99_ms"])))
    limits = {}
    path = os.path.join(workdir, run, "limits.csv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                ms, node, limit, _ = line.strip().split(",")
                # The sum over the nodes of each one's limit, per whole second since the sink's start.
                limits.setdefault(int(ms) // 1000, {})[node] = int(limit)
    return sink, seconds, limits


def slope(points):
    """Least-squares slope of (x, y) points; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--plateaus", required=True, help="starts of plateaus 1-3 and the end, in seconds")
    parser.add_argument("--calibration", type=float, required=True)
    parser.add_argument("--settle", type=float, required=True)
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    bounds = [float(x) for x in args.plateaus.split(",")]
    summary = []
    for run in args.runs:
        mode = run.rsplit("-", 1)[0]
        sink, seconds, limits = read_run(args.workdir, run)
        plateaus = sink["final_dot_latency"]
        # Plateau 0 is the calibration, 1 the ramp, 2-4 the three measured plateaus.
        if len(plateaus) != 5:
            sys.exit(f"{run}: sink.json has {len(plateaus)} plateaus (expected: 5)")
        unloaded = plateaus[0]["p99_ms"]
        print(f"\n{run}: {args.nodes} node(s), {mode}; unloaded p99 {unloaded:.1f} ms"
              f" ({plateaus[0]['messages']} messages in the calibration plateau), target p99 <= "
              f"{LATENCY_FACTOR * unloaded:.1f} ms from {args.settle:g}s after each step")
        print(f"  {'plateau':<16} {'capacity':>8} {'admitted/s':>10} {'share':>6} {'p99 ms':>8} {'x unl.':>6}"
              f" {'p99 after settle':>16} {'x unl.':>6} {'within 2x from':>14} {'p99 growth':>11} {'limit':>6}")
        for index in range(3):
            p = plateaus[index + 2]
            capacity = float(p["plateau"].split("/")[0])
            start, end = bounds[index], bounds[index + 1]
            share = p["accepted_per_second"] / capacity
            # The per-second rows of this plateau: a row covers the second that ends at its elapsed time.
            rows = [(t, n, p99) for t, n, p99 in seconds if start < t <= end and n > 0]
            settled = [p99 for t, _, p99 in rows if t > start + args.settle]
            worst = max(settled) if settled else float("nan")
            # The first second from which every later second of the plateau stays within 2x.
            within = None
            for i in range(len(rows)):
                if all(p99 <= LATENCY_FACTOR * unloaded for _, _, p99 in rows[i:]):
                    within = max(0.0, rows[i][0] - 1 - start)
                    break
            growth = slope([(t, p99) for t, _, p99 in rows])
            sampled = [sum(v.values()) for s, v in sorted(limits.items()) if start <= s < end
                       and len(v) == args.nodes]
            limit = f"{statistics.median(sampled):.0f}" if sampled and mode == "adaptive" else "-"
            print(f"  {p['plateau']:<16} {capacity:>8g} {p['accepted_per_second']:>10.1f} {share:>6.0%}"
                  f" {p['p99_ms']:>8.1f} {p['p99_ms'] / unloaded:>6.1f} {worst:>16.1f} {worst / unloaded:>6.1f}"
                  f" {'never' if within is None else f'{within:.0f}s':>14} {growth:>8.1f}ms/s {limit:>6}")
            if mode == "adaptive":
                if args.nodes > 1:
                    met = abs(share - 1) <= CLUSTER_TOLERANCE
                    summary.append(f"{run} plateau {index + 1} ({capacity:g}/s): sum admitted {share:.0%} of capacity"
                                   f" (target 90-110%: {'met' if met else 'MISSED'})")
                else:
                    met = share >= SHARE_TARGET
                    summary.append(f"{run} plateau {index + 1} ({capacity:g}/s): admitted {share:.0%} of capacity"
                                   f" (target >= 90%: {'met' if met else 'MISSED by %.0f points' % ((SHARE_TARGET - share) * 100)})")
                if index > 0:
                    ok = worst <= LATENCY_FACTOR * unloaded
                    summary.append(f"{run} step into plateau {index + 1}: worst p99 {worst:.0f} ms = {worst / unloaded:.1f}x"
                                   f" unloaded from {args.settle:g}s after the step"
                                   f" (target <= 2x: {'met' if ok else 'MISSED'};"
                                   f" within 2x from {'never' if within is None else f'{within:.0f}s'})")
            elif index == 1:
                first = rows[0][2] if rows else float("nan")
                last = rows[-1][2] if rows else float("nan")
                summary.append(f"{run} low plateau: p99 from {first:.0f} ms to {last:.0f} ms"
                               f" ({last / unloaded:.0f}x unloaded), growing {growth:.0f} ms a second")
    print()
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The report of admission-steps.sh: per run and plateau, what the sink took against its capacity and how long
its replies to final dots waited, from the sink's sink.json (per plateau) and sink-rate.csv (per second), the
adaptive limit and what the admission refused (shadow: would have refused) sampled from each node, and the 4xx replies
the generator got. With several rounds of adaptive and shadow, each mode's medians and shadow's count against
adaptive's refusals. Standard library only."""

import argparse
import csv
import json
import os
import statistics
import sys

LATENCY_FACTOR = 2.0  # the target: p99 <= 2x the unloaded p99
SHARE_TARGET = 0.90  # adaptive: admitted >= 90% of capacity in each plateau
CLUSTER_TOLERANCE = 0.10  # three nodes: the sum within +/-10% of capacity
SHADOW_TOLERANCE = 0.10  # shadow's count within 10% of what adaptive refuses in the same scenario
ADMISSION_MODES = ("adaptive", "shadow")


def read_run(workdir, run):
    with open(os.path.join(workdir, run, "sink", "sink.json")) as f:
        sink = json.load(f)
    seconds = []
    with open(os.path.join(workdir, run, "sink", "sink-rate.csv")) as f:
        for row in csv.DictReader(f):
            seconds.append((int(row["elapsed_ms"]) / 1000.0, int(row["messages"]), float(row["dot_p99_ms"])))
    limits = {}
    refused = {}
    path = os.path.join(workdir, run, "limits.csv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                ms, node, limit, _, count = (line.strip().split(",") + [""])[:5]
                # Each node's limit and refusals so far, per whole second since the sink's start.
                limits.setdefault(int(ms) // 1000, {})[node] = int(limit)
                if count:
                    refused.setdefault(int(ms) // 1000, {})[node] = int(count)
    load = {}
    path = os.path.join(workdir, run, "load", "summary.json")
    if os.path.exists(path):
        with open(path) as f:
            load = json.load(f)
    return sink, seconds, limits, refused, load


def refused_by(refused, nodes, second):
    """The refusals of all nodes up to the last second before SECOND in which every node was sampled (0 before)."""
    complete = [s for s, v in refused.items() if s < second and len(v) == nodes]
    return sum(refused[max(complete)].values()) if complete else 0


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
    counts = {}  # mode -> per run: (refused in the run, refused per plateau, the generator's 4xx)
    for run in args.runs:
        mode = run.split("-")[0]
        sink, seconds, limits, refused, load = read_run(args.workdir, run)
        plateaus = sink["final_dot_latency"]
        # Plateau 0 is the calibration, 1 the ramp, 2-4 the three measured plateaus.
        if len(plateaus) != 5:
            sys.exit(f"{run}: sink.json has {len(plateaus)} plateaus (expected: 5)")
        # A machine too starved to answer in the calibration plateau leaves no unloaded p99: its ratios are nan.
        unloaded = plateaus[0]["p99_ms"] or float("nan")
        print(f"\n{run}: {args.nodes} node(s), {mode}; unloaded p99 {unloaded:.1f} ms"
              f" ({plateaus[0]['messages']} messages in the calibration plateau), target p99 <= "
              f"{LATENCY_FACTOR * unloaded:.1f} ms from {args.settle:g}s after each step")
        print(f"  {'plateau':<16} {'capacity':>8} {'admitted/s':>10} {'share':>6} {'p99 ms':>8} {'x unl.':>6}"
              f" {'p99 after settle':>16} {'x unl.':>6} {'within 2x from':>14} {'p99 growth':>11} {'limit':>6}"
              f" {'refused':>8}")
        per_plateau = []
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
            limit = f"{statistics.median(sampled):.0f}" if sampled and mode in ADMISSION_MODES else "-"
            per_plateau.append(refused_by(refused, args.nodes, end) - refused_by(refused, args.nodes, start))
            count = f"{per_plateau[-1]}" if mode in ADMISSION_MODES else "-"
            print(f"  {p['plateau']:<16} {capacity:>8g} {p['accepted_per_second']:>10.1f} {share:>6.0%}"
                  f" {p['p99_ms']:>8.1f} {p['p99_ms'] / unloaded:>6.1f} {worst:>16.1f} {worst / unloaded:>6.1f}"
                  f" {'never' if within is None else f'{within:.0f}s':>14} {growth:>8.1f}ms/s {limit:>6} {count:>8}")
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
        tempfailed = load.get("totals", {}).get("tempfailed")
        if mode in ADMISSION_MODES:
            # The whole run's count, from the last round of samples: on a starved machine the samples are sparse and
            # a plateau's count, between two of them, is rough.
            total = refused_by(refused, args.nodes, float("inf"))
            counts.setdefault(mode, []).append((total, per_plateau, tempfailed))
            print(f"  {'refused' if mode == 'adaptive' else 'would have refused'} in the run: {total}"
                  f" ({sum(per_plateau)} in the three plateaus); 4xx replies the generator got: {tempfailed}")
    print()
    for line in summary:
        print(line)
    compare_shadow(counts)


def compare_shadow(counts):
    """Shadow's count against adaptive's refusals, medians over the rounds of each (issue 18: within 10%)."""
    if not all(counts.get(mode) for mode in ADMISSION_MODES):
        return
    medians = {mode: statistics.median(total for total, _, _ in counts[mode]) for mode in ADMISSION_MODES}
    for mode in ADMISSION_MODES:
        runs = counts[mode]
        plateaus = [statistics.median(p[i] for _, p, _ in runs) for i in range(3)]
        print(f"{mode}: {'refused' if mode == 'adaptive' else 'would have refused'} in the run, median of"
              f" {len(runs)} run(s): {medians[mode]:.0f} (per plateau, rough: {', '.join(f'{c:.0f}' for c in plateaus)};"
              f" runs {', '.join(str(total) for total, _, _ in runs)}); the generator's 4xx replies:"
              f" {', '.join(str(t) for _, _, t in runs)}")
    if medians["adaptive"]:
        ratio = medians["shadow"] / medians["adaptive"]
        met = abs(ratio - 1) <= SHADOW_TOLERANCE
        refuses_nothing = all(not t for _, _, t in counts["shadow"])
        print(f"shadow / adaptive: {ratio:.2f} (target 0.90-1.10: {'met' if met else 'MISSED'});"
              f" shadow refused nothing: {'yes' if refuses_nothing else 'NO'}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Report of fair-share.sh: per run, each group's offered and accepted messages and Jain's fairness index over the
networks' admitted / demand-capped shares: each network's max-min fair share, given what it offered, of the limit's
budget over the run (its rate times the run's length, plus the burst), or of what the run admitted if that was more
(a loaded machine lets a backlog through after the schedule's end)."""

import argparse
import json
import os
import sys


def max_min_shares(capacity, demands):
    """Water filling: every demand or the level, whichever is less, the level as high as the capacity allows."""
    if sum(demands) <= capacity:
        return list(demands)
    remaining, left = capacity, len(demands)
    level = 0.0
    for demand in sorted(demands):
        level = remaining / left
        if demand > level:
            break
        remaining -= demand
        left -= 1
    return [min(d, level) for d in demands]


def jain(values):
    total, squares = sum(values), sum(v * v for v in values)
    return 1.0 if squares == 0 else total * total / (len(values) * squares)


def report(workdir, mode, budget):
    with open(os.path.join(workdir, mode, "load", "summary.json")) as f:
        summary = json.load(f)
    networks = [n for n in summary.get("networks", []) if n["offered"] > 0]
    if not networks:
        raise SystemExit(f"{mode}: no per-network counts in summary.json")
    offered = [n["offered"] for n in networks]
    accepted = [n["accepted"] for n in networks]
    capacity = max(budget, sum(accepted))
    shares = max_min_shares(capacity, offered)
    index = jain([a / s for a, s in zip(accepted, shares)])
    refused_path = os.path.join(workdir, mode, "refused.txt")
    refused = open(refused_path).read().strip() if os.path.exists(refused_path) else "n/a"
    groups = {}
    for n, share in zip(networks, shares):
        g = groups.setdefault(n["group"], [0, 0, 0.0, 0])
        g[0] += n["offered"]
        g[1] += n["accepted"]
        g[2] += share
        g[3] += 1
    print(f"{mode}: admitted {sum(accepted)} of {sum(offered)} offered, fair shares of {capacity:.0f};"
          f" refused for fair share {refused}")
    for name, (o, a, s, count) in groups.items():
        print(f"  {name:<8} {count:>3} networks  offered {o:>6}  accepted {a:>6} ({100 * a / max(1, o):5.1f}%)"
              f"  fair share {s:8.1f}  accepted/fair {a / max(s, 1e-9):5.2f}")
    print(f"  jain {index:.3f}")
    return index


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--budget", type=float, required=True, help="the limit's tokens over the run")
    parser.add_argument("modes", nargs="+")
    args = parser.parse_args()
    results = {mode: report(args.workdir, mode, args.budget) for mode in args.modes}
    print("jain " + " ".join(f"{mode}={value:.3f}" for mode, value in results.items()))
    if "fair" in results and results["fair"] < 0.9:
        print("fair-share: Jain's index with fair share below 0.9", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The soak's growth check: does the daemon's RSS, thread count, descriptor count or state file grow?

    chaos/soak_report.py SAMPLES.csv [--warmup SECONDS]

Samples younger than --warmup are left out (the first passes load code, fill caches and the JIT's
tiers). The rest is cut in thirds; a resource grows when the last third's median exceeds the first
third's by more than its tolerance (absolute plus relative: small counts jitter by a few, memory by a
few percent as the GC chooses when to give pages back). The least-squares slope per hour is printed too,
for the reader; the verdict rests on the medians, which a single spike (an engine restart: every
container's events at once) does not move. Prints one line per resource; exits 1 on any growth.

Only the standard library (no numpy on a fresh machine).
"""
import argparse
import csv
import statistics
import sys

# resource: (column, unit divisor, unit, absolute tolerance in that unit, relative tolerance)
RESOURCES = [
    ("RSS", "rss_kib", 1024, "MiB", 16, 0.15),
    ("threads", "threads", 1, "", 4, 0.10),
    ("descriptors", "fds", 1, "", 8, 0.10),
    # The state file grows until its history holds 20 passes (AppliedState.HistoryLimit): a short run
    # sees that; a leak shows in the long run.
    ("state file", "state_bytes", 1024, "KiB", 32, 0.25),
]


def slope_per_hour(xs, ys):
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var * 3600


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("samples")
    p.add_argument("--warmup", type=float, default=60)
    args = p.parse_args()

    with open(args.samples, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("rss_kib")]
    steady = [r for r in rows if float(r["elapsed_s"]) >= args.warmup]
    if len(steady) < 6:
        print(f"trend: only {len(steady)} samples after a {args.warmup:.0f} s warm-up (need 6): no verdict")
        return 1

    third = len(steady) // 3
    first, last = steady[:third], steady[-third:]
    grew = False
    for name, column, divisor, unit, absolute, relative in RESOURCES:
        values = [float(r[column]) / divisor for r in steady]
        m_first = statistics.median(float(r[column]) / divisor for r in first)
        m_last = statistics.median(float(r[column]) / divisor for r in last)
        limit = m_first * (1 + relative) + absolute
        slope = slope_per_hour([float(r["elapsed_s"]) for r in steady], values)
        verdict = "ok" if m_last <= limit else "GROWS"
        grew |= verdict != "ok"
        print(f"trend {name}: first third median {m_first:.1f}{unit}, last third {m_last:.1f}{unit} "
              f"(limit {limit:.1f}{unit}), max {max(values):.1f}{unit}, slope {slope:+.2f}{unit}/h: {verdict}")
    return 1 if grew else 0


if __name__ == "__main__":
    sys.exit(main())

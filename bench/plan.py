#!/usr/bin/env python3
"""The run's plan for bench/run.sh: which (size, repetition, tool) cells run, in which order, and how long
the run should take.

  plan.py cells    ...   one line per cell, "size<TAB>rep<TAB>tool<TAB>scenarios left out<TAB>estimated s"
                         ("-": none left out), in run order: per size, per repetition, tool after tool
                         (berth, compose, ansible, raw), so that a change in the machine's load hits
                         every tool alike
  plan.py estimate ...   markdown lines: the estimated duration per size and in total, and every cell
                         that is not run, with why and what it would have cost

--reps "10=3 50=3 200=1" gives repetitions per size ("3" alone: every size; "2 200=1": 2, except 200).
--tool-sizes "ansible=10,50:1" limits a tool to the sizes listed, ":R" capping its repetitions at that
size (it runs in repetitions 1..R, so the api counts of repetition 1 are always among them).
--scenario-reps "change-all=1 change-all@200=0" measures change all in the first repetition of each
size only, and not at all at N = 200.

The estimate is a model, not a measurement: per tool and scenario, seconds as a function of N and the
health-check interval, fitted to the calibration run of 2026-12-05 (docs/benchmarks.md, "Planning a
run"). A loaded machine runs longer, and a berth that rolls out differently changes its part.
"""
import argparse
import math
import os
import sys

TOOLS = ["berth", "compose", "ansible", "raw"]
# Scenarios --scenario-reps can limit to the first repetitions: the others set up the stack for them
# (deploy, teardown) or are counted once anyway (api).
CAPPABLE = ["change-all"]

# The model: per tool and scenario, seconds as a function of N and the health-check interval, fitted to
# the calibration run of 2026-12-05 (main at 69c584d, N = 10 and 30, 1 repetition, load 6-11) and the
# run of 2026-12-04 (N = 50). Every sequence runs deploy, no-op, plan (berth), change one and teardown
# whatever --scenarios records (the others need a deployed stack); change all only where it is recorded.
MONITOR_S = 5.0   # berth's gate watches a healthy container this long (docs/rollout.md, `monitor`)


# How many times in a row each repetition runs the no-op converge and the no-op plan. Set by --quick-reps.
QUICK_REPS = 1

# How many services berth rolls out at once while their gates wait; 0: no such bound. Set by --berth-units.
BERTH_UNITS = None


def berth_units():
    # berth before issue #16's fix rolled out at most max(4, 2 x cores) services at once, each holding its
    # unit through its gate and monitor window (measured: 48 s at N = 10, 126 s at N = 30, 2 cores): pass
    # --berth-units to estimate such a build. Since the fix services have no bound of their own: 0.
    return BERTH_UNITS if BERTH_UNITS is not None else 0


def berth_waves_s(n, interval):
    units = berth_units()
    if units == 0:
        # No unit held through the gates: starts bounded by the core count (~0.35 s each on this engine,
        # 2 at once), then one wave of health check + monitor.
        return 3.0 + 0.35 * n / 2 + interval + MONITOR_S + 1.0
    return 3.0 + math.ceil(n / units) * (interval + MONITOR_S + 1.0)


def scenario_s(tool, scenario, n, interval):
    """Seconds of one measured scenario (the command, and for compose and ansible the wait for health)."""
    if tool == "berth":
        model = {"deploy": lambda: berth_waves_s(n, interval), "noop": lambda: 1.3 + 0.005 * n,
                 "plan": lambda: 1.4 + 0.005 * n, "change-one": lambda: interval + MONITOR_S + 2.0,
                 "change-all": lambda: berth_waves_s(n, interval), "teardown": lambda: 0.5 + 0.2 * n}
    elif tool == "compose":
        # up -d does not wait; the harness polls docker ps until healthy: one interval per change.
        model = {"deploy": lambda: interval + 0.6 + 0.25 * n, "noop": lambda: 0.5 + 0.025 * n,
                 "change-one": lambda: interval + 1.3 + 0.025 * n, "change-all": lambda: interval + 0.7 + 0.33 * n,
                 "teardown": lambda: 1.0 + 0.07 * n}
    elif tool == "ansible":
        # One module process per loop item, one after the other: 1 network + N/2 volumes + N containers
        # (teardown: N containers + 1 network); creating costs more per item than finding it unchanged.
        # Change one recreates the first service early in the loop: its health check passes while the
        # playbook goes on, unless the playbook is shorter than an interval.
        items = 1 + math.ceil(n / 2) + n
        model = {"deploy": lambda: interval + 3.0 + 0.55 * items, "noop": lambda: 3.0 + 0.45 * items,
                 "change-one": lambda: max(interval + 4.0, 3.0 + 0.45 * items), "change-all": lambda: interval + 3.0 + 0.8 * items,
                 "teardown": lambda: 3.0 + 0.65 * (n + 1)}
    else:
        raise ValueError(tool)
    return model[scenario]() if scenario in model else 0.0


def raw_s(n, interval):
    # engine_floor.py: sequential create+start until healthy, list, list+inspect, remove, parallel
    # create+start until healthy, remove: two health-check waits, ~0.35 s per container to create and
    # start and ~0.15 s to remove, each twice.
    return 2.0 + 2 * interval + 0.9 * n


def overhead_s(n):
    # Per tool sequence, outside the measured commands: generating the stacks, removing the volumes.
    return 3.0 + 0.02 * n


# The daemon: start and deploy of --daemon-n services, then passes through `berth sync`, which /sync
# rate-limits to 5 at once and one per 10 s after that; each webhook commit waits for a health check.
SYNC_BURST, SYNC_PERIOD_S = 5, 10.0
# build-deb.sh's publish (ReadyToRun: 159 s at load 12; Native AOT not measured here yet) or `dotnet build`.
PUBLISH_S, BUILD_S = 240.0, 90.0
# Prerequisites, the machine's description, the summary.
SETUP_S = 30.0

# Why a tool is usually left out of some cells (printed with the cells it does not run).
WHY = {"ansible": "its playbook runs one module process per volume and per service, one after the other"}


def sequence_s(tool, n, interval, rep, scenario_caps, with_api):
    """One tool's cell at size n in repetition rep, plus (repetition 1) the api scenario's extra runs."""
    if tool == "raw":
        return raw_s(n, interval)
    scenarios = ["deploy", "noop", "plan", "change-one", "teardown"]
    if scenario_runs(scenario_caps, "change-all", n, rep):
        scenarios.append("change-all")
    total = sum(scenario_s(tool, scenario, n, interval) for scenario in scenarios)
    quick = 1 if tool == "ansible" else QUICK_REPS   # the no-op converge and plan run QUICK_REPS times (run.sh)
    total += (quick - 1) * (scenario_s(tool, "noop", n, interval) + (scenario_s(tool, "plan", n, interval) if tool == "berth" else 0))
    if with_api:
        total += scenario_s(tool, "noop", n, interval)
        if tool == "berth":   # no-op plan and a change one to serving, behind the counting proxy
            total += scenario_s(tool, "plan", n, interval) + scenario_s(tool, "change-one", n, interval)
    return total + overhead_s(n)


def daemon_s(args):
    deploy = berth_waves_s(args.daemon_n, args.interval)
    # Each measured idle pass waits 10.5 s first, for a token of its own (run.sh); the other syncs (start,
    # settle, the RSS passes, two per webhook) share the burst.
    measured = args.daemon_passes * (SYNC_PERIOD_S + 0.5)
    others = 4 + 2 * args.webhooks
    limited = max(0, others - SYNC_BURST) * SYNC_PERIOD_S
    return 10.0 + deploy + measured + limited + args.webhooks * (args.interval + 2.0)


def parse_per_size(spec, option, sizes, bare=None, strict=True):
    """A value for every size, or per size, or both: "3", "10=1 50=3", "2 200=1". (bare value, {size: value}).
    strict: a size not in --sizes is an error (a --reps typo), else ignored (--interval's default names 200)."""
    per_size = {}
    for word in spec.split():
        if "=" in word:
            size, value = word.split("=", 1)
            per_size[int(size)] = int(value)
        else:
            bare = int(word)
    unknown = sorted(set(per_size) - set(sizes))
    if unknown and strict:
        sys.exit(f"run.sh: {option} names sizes not in --sizes: {' '.join(map(str, unknown))}")
    return bare, per_size


def parse_reps(spec, sizes):
    default, per_size = parse_per_size(spec, "--reps", sizes)
    missing = [s for s in sizes if s not in per_size and default is None]
    if missing:
        sys.exit(f"run.sh: --reps gives no repetitions for size {' '.join(map(str, missing))}")
    return {s: per_size.get(s, default) for s in sizes}


def parse_intervals(spec, sizes):
    """--interval: "10" for every stack, or per size ("10 200=30"); the bare value (default 10) is also the daemon's."""
    bare, per_size = parse_per_size(spec, "--interval", sizes, bare=10, strict=False)
    return {s: per_size.get(s, bare) for s in sizes}, bare


def parse_tool_sizes(spec, tools):
    """{tool: {size: max reps or None}}; a tool not named runs at every size and repetition."""
    limits = {}
    for word in spec.split():
        tool, _, cells = word.partition("=")
        if tool not in TOOLS:
            sys.exit(f"run.sh: --tool-sizes: unknown tool '{tool}' (one of {' '.join(TOOLS)})")
        limits[tool] = {}
        for cell in filter(None, cells.split(",")):
            size, _, cap = cell.partition(":")
            limits[tool][int(size)] = int(cap) if cap else None
    return limits


def parse_scenario_reps(spec):
    """{(scenario, size or None): max repetition}: "change-all=1" measures change all in repetition 1
    only, "change-all@200=0" not at all at N = 200 (a size's entry wins over the general one)."""
    caps = {}
    for word in spec.split():
        key, _, cap = word.partition("=")
        scenario, _, size = key.partition("@")
        if scenario not in CAPPABLE or not cap.isdigit() or (size and not size.isdigit()):
            sys.exit(f"run.sh: --scenario-reps: '{word}' is not SCENARIO=R or SCENARIO@SIZE=R "
                     f"with SCENARIO one of {' '.join(CAPPABLE)}")
        caps[(scenario, int(size) if size else None)] = int(cap)
    return caps


def scenario_runs(caps, scenario, size, rep):
    cap = caps.get((scenario, size), caps.get((scenario, None)))
    return cap is None or rep <= cap


def plan(args):
    sizes = [int(s) for s in args.sizes.split()]
    reps = parse_reps(args.reps, sizes)
    tools = [t for t in TOOLS if t in args.tools.split()]
    limits = parse_tool_sizes(args.tool_sizes, tools)
    cells, skipped = [], []
    for size in sizes:
        for tool in tools:
            limit = limits.get(tool)
            if limit is None:
                runs = reps[size]
            elif size not in limit:
                runs = 0
            else:
                runs = min(reps[size], limit[size] or reps[size])
            if runs < reps[size]:
                skipped.append((size, tool, runs, reps[size]))
        for rep in range(1, reps[size] + 1):
            for tool in tools:
                limit = limits.get(tool)
                if limit is not None and (size not in limit or (limit[size] is not None and rep > limit[size])):
                    continue
                cells.append((size, rep, tool))
    return sizes, reps, tools, cells, skipped


def minutes(seconds):
    return f"{seconds / 60:.1f} min"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["cells", "estimate"])
    p.add_argument("--sizes", required=True)
    p.add_argument("--reps", required=True)
    p.add_argument("--tools", required=True)
    p.add_argument("--tool-sizes", default="")
    p.add_argument("--scenario-reps", default="")
    p.add_argument("--tool-scenarios", type=int, default=1, help="0: no tool scenario is asked for (raw only)")
    p.add_argument("--api", type=int, default=1)
    p.add_argument("--daemon", type=int, default=1)
    p.add_argument("--interval", default="10", help='"S", or per size: "10 200=30"')
    p.add_argument("--quick-reps", type=int, default=1)
    p.add_argument("--daemon-n", type=int, default=20)
    p.add_argument("--daemon-passes", type=int, default=10)
    p.add_argument("--webhooks", type=int, default=3)
    p.add_argument("--berth-from", choices=["publish", "build", "path"], default="publish")
    p.add_argument("--berth-units", type=int, default=None,
                   help="services berth rolls out at once (default: max(4, 2 x cores), as main does); 0: unbounded")
    args = p.parse_args()
    global BERTH_UNITS, QUICK_REPS
    BERTH_UNITS = args.berth_units
    QUICK_REPS = args.quick_reps
    sizes, reps, tools, cells, skipped = plan(args)
    caps = parse_scenario_reps(args.scenario_reps)
    interval, args.interval = parse_intervals(args.interval, sizes)   # per size; args.interval: the daemon's

    def cell_s(size, rep, tool):
        if tool != "raw" and not args.tool_scenarios:
            return 0.0
        return sequence_s(tool, size, interval[size], rep, caps, with_api=bool(args.api) and rep == 1)

    if args.what == "cells":
        for size, rep, tool in cells:
            if tool == "raw" or args.tool_scenarios:
                skip = ",".join(sc for sc in CAPPABLE if not scenario_runs(caps, sc, size, rep)) or "-"
                print(f"{size}\t{rep}\t{tool}\t{skip}\t{cell_s(size, rep, tool):.0f}")
        return

    per_size = {s: sum(cell_s(*c) for c in cells if c[0] == s) for s in sizes}
    total = SETUP_S + sum(per_size.values())
    lines = []
    prep = {"publish": PUBLISH_S, "build": BUILD_S, "path": 0.0}[args.berth_from] if "berth" in tools else 0.0
    total += prep
    daemon = daemon_s(args) if args.daemon and "berth" in tools else 0.0
    total += daemon
    parts = [f"N = {s} ({reps[s]} rep.): {minutes(per_size[s])}" for s in sizes]
    if prep:
        parts.insert(0, f"berth's {args.berth_from}: {minutes(prep)}")
    if daemon:
        parts.append(f"daemon: {minutes(daemon)}")
    lines.append(f"- estimated duration: **{minutes(total)}** ({'; '.join(parts)}; a model fitted to earlier runs, "
                 "longer on a loaded machine)")
    for size, tool, runs, wanted in skipped:
        would = sum(sequence_s(tool, size, interval[size], rep, caps, with_api=bool(args.api) and rep == 1)
                    for rep in range(runs + 1, wanted + 1))
        what = "not run" if runs == 0 else f"{runs} of {wanted} repetitions"
        why = f"{WHY[tool]}; " if tool in WHY else ""
        lines.append(f"- {tool} at N = {size}: {what}, by `--tool-sizes \"{args.tool_sizes}\"` ({why}"
                     f"the missing {wanted - runs} would have taken about {minutes(would)})")
    for scenario in CAPPABLE:
        left_out = [(size, rep) for size in sizes for rep in range(1, reps[size] + 1)
                    if not scenario_runs(caps, scenario, size, rep)]
        if not left_out:
            continue
        saved = sum(sequence_s(tool, size, interval[size], rep, {}, False) - sequence_s(tool, size, interval[size], rep, caps, False)
                    for size, rep, tool in cells if tool != "raw" and (size, rep) in left_out)
        where = "; ".join(f"N = {size}: " + ", ".join(str(r) for r, in [(r,) for s2, r in left_out if s2 == size])
                          for size in sorted({size for size, _ in left_out}))
        lines.append(f"- {scenario}: not measured in these repetitions ({where}), by `--scenario-reps \"{args.scenario_reps}\"` "
                     f"(they would have taken about {minutes(saved)} more)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

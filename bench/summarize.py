#!/usr/bin/env python3
"""Turns the harness's results.tsv into markdown tables: min / median / max per size, scenario and tool.

results.tsv columns (tab-separated, one line per measurement):
  size  rep  tool  scenario  wall_s  cpu_s  maxrss_kib  rc  note
cpu_s and maxrss_kib are those of the measured command and its children (/usr/bin/time), empty where
they mean nothing (e.g. time spent polling for health after the command returned is wall only).
api.tsv: size tool command requests pattern-counts
daemon.tsv: idle wall_s cpu_s requests rss_kib n pass_s | idle-kinds kinds | rss passes - - rss_kib | webhook wall_s - - - n
            | background wall_s cpu_s (the daemon between passes, no pass running)
meta.tsv: interval_s@SIZE (each size's health-check interval; the goals' table needs it) and daemon_n

After the per-size tables: issue #16's goals at N = 50, each met or missed (medians; the largest size
below 50 when 50 was not run), and how each measure grows from the smallest to the largest size.
"""
import collections
import statistics
import sys

SCENARIO_ORDER = ["deploy", "noop", "plan", "change-one", "change-all", "teardown",
                  "create_start_seq", "create_start_seq_healthy", "create_start_par", "create_start_par_healthy",
                  "list", "list_inspect", "remove"]
SCENARIO_TEXT = {
    "deploy": "cold deploy, until all healthy",
    "noop": "no-op converge (`apply` / `up -d` / playbook)",
    "plan": "no-op `berth plan`",
    "change-one": "change one (env), until the new container is healthy",
    "change-all": "change all (env), until all new containers are healthy",
    "teardown": "teardown (containers + network)",
    "create_start_seq": "raw: create+start, sequential",
    "create_start_seq_healthy": "raw: create+start, sequential, until all healthy",
    "create_start_par": "raw: create+start, parallel",
    "create_start_par_healthy": "raw: create+start, parallel, until all healthy",
    "list": "raw: list (`GET /containers/json`)",
    "list_inspect": "raw: list + inspect each",
    "remove": "raw: force-remove each, sequential",
}
TOOLS = ["berth", "compose", "ansible", "raw"]


def mmm(values, fmt="{:.2f}"):
    if not values:
        return "-"
    values = sorted(values)
    if len(values) == 1:
        return fmt.format(values[0])
    return " / ".join(fmt.format(v) for v in (values[0], statistics.median(values), values[-1]))


def number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_tsv(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]
    except FileNotFoundError:
        return []


# The gate's monitor window (docs/rollout.md, `monitor`, default 5 s; the generated stacks do not set it).
MONITOR_S = 5.0
GOAL_N = 50
TABLES_MARKER = "<!-- tables: bench/summarize.py -->"
GROWTH_TOOLS = ["berth", "compose"]


def median_of(table, size, scenario, tool):
    """(median wall, samples, failed) of one cell, or None when it was not measured."""
    samples = table.get(size, {}).get((scenario, tool), [])
    if not samples:
        return None
    return statistics.median(s[0] for s in samples), len(samples), sum(1 for s in samples if s[3] != "0")


def verdict(met, failed=0):
    if met is None:
        return "not measured"
    if failed:
        return f"**missed** ({failed} run(s) failed)"
    return "met" if met else "**missed**"


def goals_table(by_size, daemon, meta):
    """Issue #16's two goal tables, filled from this run: one row per goal, met or missed."""
    sizes = sorted(by_size)
    below = [s for s in sizes if s <= GOAL_N]
    size = GOAL_N if GOAL_N in by_size else (below[-1] if below else (sizes[0] if sizes else None))
    # The health-check interval of the stacks the table shows (run.sh writes one per size; older runs one in all).
    interval = float(meta.get(f"interval_s@{size}", meta.get("interval_s", 10)))
    title = f"### Goals at N = {GOAL_N} (issue #16; medians)"
    lines = [title, ""]
    if size != GOAL_N:
        lines += [f"N = {GOAL_N} was not run; the stack rows below are at N = {size}.", ""]
    lines += ["| goal | measured | target | |", "|---|---|---|---|"]

    def row(goal, measured, target, status):
        lines.append(f"| {goal} | {measured} | {target} | {status} |")

    berth_noop = median_of(by_size, size, "noop", "berth")
    compose_noop = median_of(by_size, size, "noop", "compose")
    if berth_noop and compose_noop:
        ratio = compose_noop[0] / berth_noop[0] if berth_noop[0] else float("inf")
        row("no-op converge, wall: berth `apply` vs `docker-compose up -d`",
            f"{berth_noop[0]:.2f} s vs {compose_noop[0]:.2f} s: compose ÷ berth = **{ratio:.1f}×**",
            "≥ 10×", verdict(ratio >= 10, berth_noop[2]))
    else:
        row("no-op converge, wall: berth vs compose", "-", "≥ 10×", verdict(None))
    plan = median_of(by_size, size, "plan", "berth")
    row("no-op `berth plan`, wall", f"{plan[0]:.2f} s" if plan else "-", "≤ 0.15 s",
        verdict(plan[0] <= 0.15 if plan else None, plan[2] if plan else 0))
    change = median_of(by_size, size, "change-one", "berth")
    limit = interval + MONITOR_S + 1
    row("change one, until the new container serves (berth `apply`)", f"{change[0]:.2f} s" if change else "-",
        f"≤ {limit:.0f} s (health interval {interval:.0f} s + monitor {MONITOR_S:.0f} s + 1 s)",
        verdict(change[0] <= limit if change else None, change[2] if change else 0))
    deploy = median_of(by_size, size, "deploy", "berth")
    floor = median_of(by_size, size, "create_start_par_healthy", "raw")
    if deploy and floor:
        ratio = deploy[0] / floor[0]
        row("cold deploy until all healthy: berth vs raw parallel create+start until healthy",
            f"{deploy[0]:.2f} s vs {floor[0]:.2f} s: **{ratio:.2f}×**", "succeeds, ≤ 1.1×",
            verdict(ratio <= 1.1, deploy[2]))
    else:
        row("cold deploy: berth vs raw parallel create+start", "-", "succeeds, ≤ 1.1×", verdict(None))

    idle = [r for r in daemon if r[0] == "idle"]
    rss = [r for r in daemon if r[0] == "rss"]
    n = meta.get("daemon_n", "?")
    requests = [float(r[3]) for r in idle if r[3]]
    cpu = [float(r[2]) * 1000 for r in idle if r[2]]
    row(f"daemon ({n} services): Engine API requests per idle pass (the most of {len(requests)})",
        f"{max(requests):.0f}" if requests else "-", "≤ 3", verdict(max(requests) <= 3 if requests else None))
    row(f"daemon ({n} services): berth's CPU per idle pass (median of {len(cpu)})",
        f"{statistics.median(cpu):.0f} ms" if cpu else "-", "≤ 20 ms",
        verdict(statistics.median(cpu) <= 20 if cpu else None))
    rss_mib = float(rss[0][4]) / 1024 if rss and rss[0][4] else None
    row(f"daemon ({n} services): RSS after {rss[0][1] if rss else '?'} passes",
        f"{rss_mib:.0f} MiB" if rss_mib is not None else "-", "≤ 64 MiB",
        verdict(rss_mib <= 64 if rss_mib is not None else None))
    lines.append("")
    return lines


def growth_table(by_size, api):
    """Each measure per size for berth and compose, and its factor from the smallest to the largest size."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return []
    first, last = sizes[0], sizes[-1]
    lines = [f"### Growth from {first} to {last} services (medians)", "",
             "| measure | tool | " + " | ".join(f"N = {s}" for s in sizes) + f" | {last} / {first} |",
             "|---|---|" + "---|" * (len(sizes) + 1)]

    def add(label, tool, values, fmt):
        if not any(v is not None for v in values):
            return
        cells = [fmt.format(v) if v is not None else "-" for v in values]
        factor = f"{values[-1] / values[0]:.1f}×" if values[0] and values[-1] is not None else "-"
        lines.append(f"| {label} | {tool} | " + " | ".join(cells) + f" | {factor} |")

    for scenario in ["deploy", "noop", "plan", "change-one", "change-all", "teardown"]:
        for tool in GROWTH_TOOLS:
            values = []
            for size in sizes:
                m = median_of(by_size, size, scenario, tool)
                values.append(m[0] if m else None)
            add(f"{SCENARIO_TEXT[scenario]}, wall s", tool, values, "{:.2f}")
    floor = [median_of(by_size, s, "create_start_par_healthy", "raw") for s in sizes]
    add(SCENARIO_TEXT["create_start_par_healthy"] + ", wall s", "raw", [m[0] if m else None for m in floor], "{:.2f}")
    for tool in GROWTH_TOOLS:
        values = []
        for size in sizes:
            samples = [float(s[1]) for s in by_size[size].get(("noop", tool), []) if number(s[1])]
            values.append(statistics.median(samples) if samples else None)
        add("no-op converge, CPU s", tool, values, "{:.2f}")
    for tool in GROWTH_TOOLS:
        values = []
        for size in sizes:
            counts = [float(r[3]) for r in api if int(r[0]) == size and r[1] == tool and r[2].startswith("no-op converge")]
            values.append(counts[0] if counts else None)
        add("no-op converge, Engine API requests", tool, values, "{:.0f}")
    lines.append("")
    return lines


def read_meta(out_dir):
    return {r[0]: r[1] for r in read_tsv(f"{out_dir}/meta.tsv") if len(r) > 1}


def main():
    out_dir = sys.argv[1]
    rows = read_tsv(f"{out_dir}/results.tsv")
    by_size = collections.defaultdict(lambda: collections.defaultdict(list))
    reps = collections.defaultdict(set)
    for size, rep, tool, scenario, wall, cpu, rss, rc, *note in rows:
        by_size[int(size)][(scenario, tool)].append((float(wall), cpu, rss, rc))
        reps[int(size)].add(rep)
    lines = []
    for size in sorted(by_size):
        table = by_size[size]
        tools = [t for t in TOOLS if any(k[1] == t for k in table)]
        lines += [f"### N = {size} services ({len(reps[size])} repetition(s); wall seconds, min / median / max)", ""]
        lines.append("| scenario | " + " | ".join(tools) + " |")
        lines.append("|---|" + "---|" * len(tools))
        for scenario in SCENARIO_ORDER:
            cells = []
            present = False
            for tool in tools:
                samples = table.get((scenario, tool), [])
                if samples:
                    present = True
                    ok = [s for s in samples if s[3] == "0"]
                    failed = len(samples) - len(ok)
                    cell = mmm([s[0] for s in samples])
                    if len(samples) < len(reps[size]):
                        cell += f" (n={len(samples)})"
                    if failed:
                        cell += f" ({failed} of {len(samples)} exited non-zero)"
                    cells.append(cell)
                else:
                    cells.append("")
            if present:
                lines.append(f"| {SCENARIO_TEXT[scenario]} | " + " | ".join(cells) + " |")
        lines.append("")
        # CPU and RSS of the measured process (berth's own; for compose and ansible their client processes).
        lines += [f"CPU seconds (user+sys of the command and its children) and max RSS (MiB), N = {size}:", ""]
        lines.append("| scenario | " + " | ".join(f"{t} CPU s | {t} RSS MiB" for t in tools if t != "raw") + " |")
        lines.append("|---|" + "---|---|" * len([t for t in tools if t != "raw"]))
        for scenario in ["deploy", "noop", "plan", "change-one", "change-all", "teardown"]:
            cells, present = [], False
            for tool in tools:
                if tool == "raw":
                    continue
                samples = [s for s in table.get((scenario, tool), []) if number(s[1]) and number(s[2])]
                present |= bool(samples)
                cells.append(mmm([float(s[1]) for s in samples]))
                cells.append(mmm([float(s[2]) / 1024 for s in samples], "{:.0f}"))
            if present:
                lines.append(f"| {SCENARIO_TEXT[scenario]} | " + " | ".join(cells) + " |")
        lines.append("")

    api = read_tsv(f"{out_dir}/api.tsv")
    if api:
        lines += ["### Engine API requests (counting proxy)", "",
                  "| N | tool | command | requests | by kind |", "|---|---|---|---|---|"]
        for size, tool, command, total, kinds in api:
            lines.append(f"| {size} | {tool} | {command} | {total} | {kinds} |")
        lines.append("")

    daemon = read_tsv(f"{out_dir}/daemon.tsv")
    idle = [r for r in daemon if r[0] == "idle"]
    if idle:
        # The first row may be the background measure (fewer fields): the size is on the idle rows.
        n = idle[0][5] if len(idle[0]) > 5 else read_meta(out_dir).get("daemon_n", "?")
        lines += [f"### Daemon, {n} services, {len(idle)} idle passes (`berth sync`)", "",
                  "| measure | min / median / max |", "|---|---|",
                  f"| wall per idle pass, s (the `berth sync` round trip) | {mmm([float(r[1]) for r in idle])} |",
                  f"| pass duration as `berth sync` reports it, s | {mmm([float(r[6]) for r in idle if len(r) > 6 and r[6]])} |",
                  f"| daemon CPU per idle pass, ms | {mmm([float(r[2]) * 1000 for r in idle], '{:.0f}')} |",
                  f"| Engine API requests per idle pass | {mmm([float(r[3]) for r in idle], '{:.0f}')} |"]
        background = [r for r in daemon if r[0] == "background" and float(r[1]) > 0]
        if background:
            lines.append(f"| daemon CPU between passes (the informer's events), ms per s | {mmm([float(r[2]) * 1000 / float(r[1]) for r in background], '{:.1f}')} |")
        rss = [r for r in daemon if r[0] == "rss"]
        if rss:
            lines.append(f"| daemon RSS after {rss[0][1]} passes, MiB | {float(rss[0][4]) / 1024:.0f} |")
        hooks = [r for r in daemon if r[0] == "webhook"]
        if hooks:
            lines.append(f"| commit to serving through the webhook, s ({len(hooks)} commits) | {mmm([float(r[1]) for r in hooks])} |")
        kinds = [r for r in daemon if r[0] == "idle-kinds"]
        if kinds:
            lines += ["", f"Requests of one idle pass by kind: {kinds[0][1] if len(kinds[0]) > 1 and kinds[0][1] else 'none'}"]
        lines.append("")

    # by_size maps size -> {(scenario, tool): samples}; the goals and growth tables read medians from it.
    lines += growth_table(by_size, api)
    lines += goals_table(by_size, daemon, read_meta(out_dir))
    text = "\n".join(lines)
    print(text)
    # results.md is run.sh's description of the run, then these tables after TABLES_MARKER: a second
    # summary (e.g. after editing a .tsv) replaces the tables instead of appending them again.
    path = f"{out_dir}/results.md"
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read().split(TABLES_MARKER)[0]
    except FileNotFoundError:
        head = ""
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + TABLES_MARKER + "\n\n" + text + "\n")


if __name__ == "__main__":
    main()

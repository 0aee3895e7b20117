#!/usr/bin/env python3
"""Turns the harness's results.tsv into markdown tables: min / median / max per size, scenario and tool.

results.tsv columns (tab-separated, one line per measurement):
  size  rep  tool  scenario  wall_s  cpu_s  maxrss_kib  rc  note
cpu_s and maxrss_kib are those of the measured command and its children (/usr/bin/time), empty where
they mean nothing (e.g. time spent polling for health after the command returned is wall only).
api.tsv: size tool command requests pattern-counts
daemon.tsv: idle wall_s cpu_s requests rss_kib n pass_s | idle-kinds kinds | rss passes - - rss_kib | webhook wall_s - - - n
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
        n = daemon[0][5] if len(daemon[0]) > 5 else "?"
        lines += [f"### Daemon, {n} services, {len(idle)} idle passes (`berth sync`)", "",
                  "| measure | min / median / max |", "|---|---|",
                  f"| wall per idle pass, s (the `berth sync` round trip) | {mmm([float(r[1]) for r in idle])} |",
                  f"| pass duration as `berth sync` reports it, s | {mmm([float(r[6]) for r in idle if len(r) > 6 and r[6]])} |",
                  f"| daemon CPU per idle pass, ms | {mmm([float(r[2]) * 1000 for r in idle], '{:.0f}')} |",
                  f"| Engine API requests per idle pass | {mmm([float(r[3]) for r in idle], '{:.0f}')} |"]
        rss = [r for r in daemon if r[0] == "rss"]
        if rss:
            lines.append(f"| daemon RSS after {rss[0][1]} passes, MiB | {float(rss[0][4]) / 1024:.0f} |")
        hooks = [r for r in daemon if r[0] == "webhook"]
        if hooks:
            lines.append(f"| commit to serving through the webhook, s ({len(hooks)} commits) | {mmm([float(r[1]) for r in hooks])} |")
        kinds = [r for r in daemon if r[0] == "idle-kinds"]
        if kinds:
            lines += ["", f"Requests of one idle pass by kind: {kinds[0][1]}"]
        lines.append("")
    text = "\n".join(lines)
    print(text)
    with open(f"{out_dir}/results.md", "a", encoding="utf-8") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The soak's graphs: one small SVG per resource from samples.csv (chaos/soak.sh), engine restarts marked.

    chaos/plot.py SAMPLES.csv OUTDIR [--title TEXT]

Writes OUTDIR/soak-memory.svg, soak-threads.svg, soak-descriptors.svg and soak-state-file.svg. A tiny
SVG writer rather than gnuplot: nothing to install, and the files render on GitHub as they are.
Works on a CSV that is still being written (the soak can be watched while it runs).
"""
import argparse
import csv
import os

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 260, 64, 16, 28, 40

CHARTS = [
    ("soak-memory.svg", "daemon RSS (MiB)", "rss_kib", 1024),
    ("soak-threads.svg", "daemon threads", "threads", 1),
    ("soak-descriptors.svg", "daemon open file descriptors", "fds", 1),
    ("soak-state-file.svg", "state file size (KiB)", "state_bytes", 1024),
]


def nice_max(value):
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    return (int(value / step) + 1) * step


def chart(rows, title, column, divisor):
    xs = [float(r["elapsed_s"]) / 60 for r in rows]
    ys = [float(r[column]) / divisor for r in rows]
    x_max = max(xs[-1] if xs else 1, 1)
    y_max = nice_max(max(ys) if ys else 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + x / x_max * plot_w

    def py(y):
        return TOP + plot_h - y / y_max * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="18" font-size="13">{title}</text>']
    for i in range(5):   # horizontal grid with labels
        y = y_max * i / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
    for i in range(7):
        x = x_max * i / 6
        out.append(f'<text x="{px(x):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{x:.0f}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle">minutes</text>')
    for r, x in zip(rows, xs):   # engine restarts: a red tick at the top
        if "engine-stopped" in (r.get("events") or ""):
            out.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#e88" stroke-dasharray="3,3"/>')
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
    out.append(f'<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="{points}"/>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>')
    out.append(f'<text x="{WIDTH - RIGHT}" y="18" text-anchor="end" fill="#c44">dashed: engine restarts</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("samples")
    p.add_argument("outdir")
    args = p.parse_args()
    with open(args.samples, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("rss_kib")]
    os.makedirs(args.outdir, exist_ok=True)
    for name, title, column, divisor in CHARTS:
        with open(os.path.join(args.outdir, name), "w", encoding="utf-8") as f:
            f.write(chart(rows, title, column, divisor))
        print(os.path.join(args.outdir, name))


if __name__ == "__main__":
    main()

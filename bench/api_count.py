#!/usr/bin/env python3
"""Counts the requests api_proxy.py logged after line FROM (exclusive) up to line TO of its log:
prints "<total>\t<count> <METHOD path>, ..." (most frequent first; HEAD /_ping included)."""
import collections
import sys

log, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(log, encoding="utf-8") as f:
    lines = f.readlines()[start:end]
kinds = collections.Counter(" ".join(line.split()[1:3]) for line in lines if line.strip())
print(f"{sum(kinds.values())}\t" + ", ".join(f"{n} {k}" for k, n in kinds.most_common()))

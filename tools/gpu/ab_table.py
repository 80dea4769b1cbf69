#!/usr/bin/env python3
"""The table of tools/gpu/ab.sh: each tree's median time per package and shape, and its
ratio to the first tree's (the baseline). Input lines: `PACKAGE TREE round R: ms T1 T2 ...`."""
import collections
import statistics
import sys

times = collections.defaultdict(lambda: collections.defaultdict(list))
order = []
for line in open(sys.argv[1]):
    name, tree, _, _, _, *ms = line.split()
    if tree not in order:
        order.append(tree)
    times[name][tree].append([float(x) for x in ms])
print("| package | shape | " + " | ".join(f"{t} ms" for t in order) + " | "
      + " | ".join(f"{t} / {order[0]}" for t in order[1:]) + " |")
print("|---" * (2 * len(order) + 1) + "|")
for name, trees in times.items():
    for i in range(len(trees[order[0]][0])):
        med = [statistics.median(r[i] for r in trees[t]) for t in order]
        print(f"| {name} | {i} | " + " | ".join(f"{m:.3f}" for m in med) + " | "
              + " | ".join(f"{m / med[0]:.3f}" for m in med[1:]) + " |")

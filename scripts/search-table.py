#!/usr/bin/env python3
"""The search table of README.md and docs/search.md from `vsgae search` summaries.

Usage: scripts/search-table.py SUMMARY.json [SUMMARY.json ...]

Regret is taken from the first summary that has the method at the budget asked; the queries to
reach the pool's top 0.1 % and 1 % from the summary with the method's largest budget (a run
that never reached the share within its budget is counted in "reached", not in the mean).
"""
import json
import sys

methods = {}
for path in sys.argv[1:]:
    summary = json.load(open(path))
    for m in summary["methods"]:
        entry = methods.setdefault(m["method"], {"regret": {}, "reach": None, "budget": 0})
        for queries, value in m["regret_after"]:
            entry["regret"].setdefault(queries, value)
        if m["budget"] > entry["budget"]:
            entry["budget"], entry["reach"] = m["budget"], m["reach"]

def pp(value):
    return f"{value['mean'] * 100:.3f} ± {value['sd'] * 100:.3f}"

def reach(r, budget):
    if r is None:
        return "—"
    text = f"{r['queries']['mean']:.0f} ± {r['queries']['sd']:.0f}" if r["queries"] else "none"
    if r["reached"] < r["runs"]:
        text += f" ({r['reached']} of {r['runs']} runs within {budget})"
    return text

print("| method | regret after 50 | after 100 | after 150 | queries to a top-0.1 % cell | to a top-1 % cell |")
print("| --- | --- | --- | --- | --- | --- |")
for name, entry in methods.items():
    regret = [pp(entry["regret"][q]) if q in entry["regret"] else "—" for q in (50, 100, 150)]
    shares = {r["share"]: r for r in entry["reach"] or []}
    print(f"| {name} | " + " | ".join(regret) + f" | {reach(shares.get(0.001), entry['budget'])} | {reach(shares.get(0.01), entry['budget'])} |")

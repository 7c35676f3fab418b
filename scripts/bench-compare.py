#!/usr/bin/env python3
"""Interleaved `vsgae bench --json` runs of two builds: the median of each figure and their ratio.

Usage: scripts/bench-compare.py BASELINE_BINARY CURRENT_BINARY [--runs 3] [-- BENCH ARGS...]

Each run of the baseline is followed by a run of the current build, so both see the same
machine state; the medians over the runs are compared. The output is a Markdown table.
"""
import argparse
import json
import statistics
import subprocess
import sys

KEYS = [
    ("predictor_train_graphs_per_s", "predictor training (graphs/s)"),
    ("predictor_inference_graphs_per_s", "predictor inference, batch 4,096 (graphs/s)"),
    ("vae_train_graphs_per_s", "VS-GAE training (graphs/s)"),
    ("decode_points_per_s_batch_1", "decoding, batch 1 (points/s)"),
    ("decode_points_per_s_batch_1024", "decoding, batch 1,024 (points/s)"),
    ("matmul_gflops", "one 2,048² matmul (GFLOP/s)"),
]


def bench(binary, extra):
    out = subprocess.run([binary, "bench", "--json", *extra], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("baseline")
    parser.add_argument("current")
    parser.add_argument("--runs", type=int, default=3)
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    runs = {"baseline": [], "current": []}
    for run in range(args.runs):
        for name, binary in (("baseline", args.baseline), ("current", args.current)):
            result = bench(binary, extra)
            runs[name].append(result)
            print(f"run {run + 1} {name}: {json.dumps(result)}", file=sys.stderr)
    print("| work | baseline | current | current / baseline |")
    print("| --- | --- | --- | --- |")
    for key, label in KEYS:
        base = [r[key] for r in runs["baseline"] if key in r]
        cur = [r[key] for r in runs["current"] if key in r]
        if not base and not cur:
            continue
        b = statistics.median(base) if base else None
        c = statistics.median(cur) if cur else None
        ratio = f"{c / b:.2f}×" if b and c else "—"
        fmt = lambda v: "—" if v is None else f"{v:,.0f}"
        print(f"| {label} | {fmt(b)} | {fmt(c)} | {ratio} |")


if __name__ == "__main__":
    main()

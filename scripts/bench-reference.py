#!/usr/bin/env python3
"""Our training and inference beside the PyTorch reference on the CPU, interleaved: each round
runs `vsgae bench --backend cpu --threads N` and then `reference_bench.py --device cpu --threads N`
on the same 4,096 seven-vertex cells, batch 128; the table gives the median over the rounds and
ours / PyTorch. The cells are the search space's first (`vsgae bench`'s default), or with
--cells CSV the first seven-vertex cells of a NAS-Bench-101 CSV: the space's first cells share 19
graphs, so only real cells time training as it runs on NAS-Bench-101.

Usage: scripts/bench-reference.py VSGAE_BINARY REFERENCE_DIR [--threads 1 2] [--rounds 2] [--cells CSV]

REFERENCE_DIR holds scripts/gpu-bench's reference_bench.py, cells.py and the reference's code in
vs_gae/ (scripts/gpu-bench/README.md says how to gather them); it needs a Python with torch and
torch_geometric.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

WORKS = [
    ("predictor training (graphs/s)", "predictor_train_graphs_per_s", "pred_train"),
    ("predictor inference, 4,096 cells (graphs/s)", "predictor_inference_graphs_per_s", "pred_infer"),
    ("VS-GAE training (graphs/s)", "vae_train_graphs_per_s", "vae_train"),
]


def ours(binary, threads, cells):
    command = [binary, "bench", "--backend", "cpu", "--threads", str(threads), "--repeats", "5", "--json",
               "--only", "predictor-train", "predictor-inference", "vae-train"]
    if cells:
        command += ["--cells", cells, "--vertices", "7"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return {work: result[key] for _, key, work in WORKS if key in result}


def reference(directory, threads, cells):
    command = [sys.executable, f"{directory}/reference_bench.py", "--device", "cpu", "--threads", str(threads),
               "--batches", "128", "--seconds", "4", "--works", ",".join(work for _, _, work in WORKS)]
    if cells:
        command += ["--csv", os.path.abspath(cells), "--vertices", "7"]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=directory).stdout
    rates = {}
    for line in out.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            rates[record["work"]] = record["per_s"]
    return rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("reference")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cells", help="a NAS-Bench-101 CSV whose first seven-vertex cells both sides bench on")
    args = parser.parse_args()
    print("| threads | work | PyTorch | ours | ours / PyTorch |")
    print("| --- | --- | --- | --- | --- |")
    for threads in args.threads:
        runs = {"ours": [], "pytorch": []}
        for round_ in range(args.rounds):
            runs["ours"].append(ours(args.binary, threads, args.cells))
            runs["pytorch"].append(reference(args.reference, threads, args.cells))
            print(f"threads {threads}, round {round_ + 1}: ours {runs['ours'][-1]}, "
                  f"pytorch {runs['pytorch'][-1]}", file=sys.stderr)
        for label, _, work in WORKS:
            mine = statistics.median(r[work] for r in runs["ours"])
            theirs = statistics.median(r[work] for r in runs["pytorch"])
            print(f"| {threads} | {label} | {theirs:,.0f} | {mine:,.0f} | {mine / theirs:.2f}× |")


if __name__ == "__main__":
    main()

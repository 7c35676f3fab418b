#!/usr/bin/env python3
"""How often the VS-GAE's interpolation strips pass through valid cells: 40 random pairs of the
20k CSV's cells (seed 0), 8 greedy decodings from one to the other, linear and spherical, with
`vsgae interpolate`; prints, per kind, the share of inner points that are NAS-Bench-101 cells, the
strips whose inner points all are, and the ends that decode back to the chosen cells.

Usage: scripts/interpolation-validity.py VSGAE_BINARY MODEL_DIR CSV
"""
import collections
import csv
import json
import random
import subprocess
import sys


def main(vsgae, model, data):
    rows = list(csv.DictReader(open(data)))
    rng = random.Random(0)
    pairs = [(rng.choice(rows)["hash"], rng.choice(rows)["hash"]) for _ in range(40)]
    for mode in ["linear", "spherical"]:
        inner = valid = whole = ends = 0
        for a, b in pairs:
            command = [vsgae, "interpolate", "--model", model, "--from", a, "--to", b, "--steps", "8", "--greedy"]
            if mode == "spherical":
                command.append("--spherical")
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            strip = [json.loads(line) for line in out.strip().splitlines()]
            inner += len(strip) - 2
            cells = [p["nasbench_cell"] for p in strip[1:-1]]
            valid += sum(cells)
            whole += all(cells)
            ends += (strip[0]["hash"] == a) + (strip[-1]["hash"] == b)
        print(f"{mode}: inner points that are cells {valid}/{inner} ({valid / inner:.3f}); "
              f"strips all valid {whole}/{len(pairs)}; ends reconstructed {ends}/{2 * len(pairs)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

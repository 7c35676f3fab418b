#!/usr/bin/env bash
# The VS-GAE recipe study: arms on the search space's 90/10 split, each for one epoch of
# training graphs (381,262), measured every ~19,000 graphs on the same 200 held-out cells.
# Resumable: a finished arm is skipped, an interrupted one continues from its checkpoint.
#
# Usage: scripts/vsgae-recipe-study.sh RUNS_DIR [VSGAE_BINARY]
# Then:  vsgae plot-curves --runs RUNS_DIR/* --out docs/results/vsgae-recipes.png --budgets ...
set -euo pipefail
runs=${1:?usage: $0 RUNS_DIR [VSGAE_BINARY]}
vsgae=${2:-vsgae}
budget=381262
mkdir -p "$runs"

source "$(dirname "$0")/study-arm.sh"

# Each arm changes one thing of the one before it.
arm 1-reference 128 --lr 1e-4
arm 2-lr1e-3 128 --lr 1e-3
arm 3-per-graph 128 --lr 1e-3 --edge-pairing per-graph
arm 4-edge-sum 128 --lr 1e-3 --edge-pairing per-graph --edge-loss sum
arm 5-batch32 32 --lr 1e-3 --edge-pairing per-graph --edge-loss sum
arm 6-cosine 128 --lr 2e-3 --edge-pairing per-graph --edge-loss sum --schedule warmup-cosine --warmup-steps 300 --epochs 1

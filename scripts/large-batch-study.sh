#!/usr/bin/env bash
# Large batches that learn: the VS-GAE at batch 1,024 against batch 128, at equal graphs seen,
# on the search space's 90/10 split. Every arm trains the shipped recipe (per-graph edge pairing,
# summed edge losses, warm-up then cosine over one planned epoch) for BUDGET graphs and is
# measured every ~19,200 graphs on the same 200 held-out cells (reconstruction, validity).
# What changes with the batch: the learning rate (square-root or linear scaling), and the KL
# term, which the reference sums over the batch while it averages the reconstruction loss, so its
# weight per graph grows 8-fold from batch 128 to 1,024 (--kl-reduction mean with β = 0.64 keeps
# batch 128's weight per graph at every batch size).
# Resumable: a finished arm is skipped, an interrupted one continues from its checkpoint.
#
# Usage: scripts/large-batch-study.sh RUNS_DIR [VSGAE_BINARY]
# Then:  vsgae plot-curves --runs RUNS_DIR/* --out docs/results/large-batch.png
set -euo pipefail
runs=${1:?usage: $0 RUNS_DIR [VSGAE_BINARY]}
vsgae=${2:-vsgae}
budget=${BUDGET:-192000}
mkdir -p "$runs"

source "$(dirname "$0")/study-arm.sh"

# The shipped recipe, over one planned epoch, in every arm.
recipe=(--epochs 1 --seed 0 --edge-pairing per-graph --edge-loss sum --schedule warmup-cosine --final-lr-factor 0.01)

# Warm-up over the first 38,400 graphs in every arm.
arm b128 128 "${recipe[@]}" --lr 1e-3 --warmup-steps 300
arm b1024-sqrt 1024 "${recipe[@]}" --lr 2.83e-3 --warmup-steps 38
arm b1024-sqrt-klmean 1024 "${recipe[@]}" --lr 2.83e-3 --warmup-steps 38 --kl-reduction mean --beta 0.64
arm b1024-linear-klmean 1024 "${recipe[@]}" --lr 8e-3 --warmup-steps 38 --kl-reduction mean --beta 0.64
# The KL term's weight ramped from 0 over the warm-up, at batch 128 (a prior study's arm).
arm b128-betawarm 128 "${recipe[@]}" --lr 1e-3 --warmup-steps 300 --beta-warmup-steps 300
arm b1024-sqrt-klmean-betawarm 1024 "${recipe[@]}" --lr 2.83e-3 --warmup-steps 38 --kl-reduction mean --beta 0.64 \
    --beta-warmup-steps 38

#!/usr/bin/env bash
# Trains the VS-GAE on the whole generated search space (423,624 cells, 90/10) within a fixed
# budget of minutes, then runs the ability tests, leaving the weights and results in OUT. Made
# for a GPU machine lent for a few minutes (one prepared run) and for long CPU runs alike:
# - a new run first measures VS-GAE training at batch 128, 512 and 2,048 on this device
#   (`vsgae bench --only vae-train`) and takes the largest batch that still runs at least 90 %
#   of batch 128's steps per second, that is, the largest one the device fills at no cost in
#   steps. More graphs per second alone is not enough: on the CPU, batch 1,024 learned far less
#   than batch 128 after the same 192,000 graphs, under every recipe of docs/speed.md's large-batch
#   study, because it had taken an eighth of the steps; per step it was ahead;
# - above batch 128 the KL term is averaged over the batch with batch 128's weight per graph
#   (`--kl-reduction mean --beta 0.64`; summed, as the reference does, its weight per graph grows
#   with the batch, which cost the most in that study);
# - the learning rate grows with the square root of the batch (LR at batch 128), the usual rule
#   for Adam, after a linear warm-up of WARMUP_GRAPHS graphs, then a cosine decay sized to the
#   epochs the measured speed fits into the budget;
# - it resumes OUT where a run is already there, so repeated calls add up to one run;
# - the run checkpoints inside epochs (`--checkpoint-steps`), so stopping it at the budget loses
#   at most those steps;
# - the ability tests reconstruct the first TEST_LIMIT held-out cells (all 42,362 take hours).
#
# Usage: bash scripts/train-vsgae-space.sh OUT
# Environment (defaults in brackets): VSGAE [target/release/vsgae; build it with
# `--features wgpu` for BACKEND=wgpu], BACKEND [wgpu], MINUTES [10, everything included],
# BATCHES ["128 512 2048"], LR [0.001], WARMUP_GRAPHS [38400], TEST_MINUTES [1.5],
# TEST_LIMIT [1000], PRIOR_POINTS [1000].
set -euo pipefail
OUT=${1:?usage: train-vsgae-space.sh OUT}
VSGAE=${VSGAE:-target/release/vsgae}
BACKEND=${BACKEND:-wgpu}
MINUTES=${MINUTES:-10}
TEST_SECONDS=$(python3 -c "print(int(60 * ${TEST_MINUTES:-1.5}))")
TRAIN_GRAPHS=381262
started=$(date +%s)
mkdir -p "$OUT"

if [ -f "$OUT/progress.json" ]; then
    run=(--resume "$OUT")
else
    best_batch=0 best_rate=0 base_steps=0
    for batch in ${BATCHES:-128 512 2048}; do
        rate=$("$VSGAE" bench --backend "$BACKEND" --only vae-train --batch-size "$batch" --repeats 2 --json |
            python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['vae_train_graphs_per_s'])")
        echo "batch $batch: $rate graphs/s" | tee -a "$OUT/batch-choice.txt"
        steps=$(python3 -c "print($rate / $batch)")
        if [ "$best_batch" = 0 ]; then
            base_steps=$steps best_batch=$batch best_rate=$rate
        elif python3 -c "import sys; sys.exit(0 if $steps >= 0.9 * $base_steps else 1)"; then
            best_batch=$batch best_rate=$rate
        fi
    done
    left=$((MINUTES * 60 - ($(date +%s) - started) - TEST_SECONDS - 30))
    read -r lr warmup epochs < <(python3 -c "
import math
batch, rate, left = $best_batch, $best_rate, $left
lr = ${LR:-0.001} * math.sqrt(batch / 128)
warmup = max(1, ${WARMUP_GRAPHS:-38400} // batch)
epochs = max(1, math.ceil(rate * left / $TRAIN_GRAPHS))
print(f'{lr:.6g} {warmup} {epochs}')")
    echo "chosen: batch $best_batch, lr $lr, warm-up $warmup steps, cosine over $epochs epochs" | tee -a "$OUT/batch-choice.txt"
    run=(--space --epochs "$epochs" --lr "$lr" --batch-size "$best_batch" --seed 0 --checkpoint-every 1
        --edge-pairing per-graph --edge-loss sum --schedule warmup-cosine --warmup-steps "$warmup")
    if [ "$best_batch" != 128 ]; then
        run+=(--kl-reduction mean --beta "$(python3 -c 'print(0.005 * 128)')")
    fi
fi

left=$((MINUTES * 60 - ($(date +%s) - started) - TEST_SECONDS))
# `timeout` ends the run at the budget (exit 124); the last checkpoint holds its work.
status=0
timeout "$left" "$VSGAE" train-vae "${run[@]}" --backend "$BACKEND" \
    --checkpoint-steps "${CHECKPOINT_STEPS:-100}" --out "$OUT" || status=$?
if [ "$status" != 0 ] && [ "$status" != 124 ]; then
    echo "train-vae failed with status $status" >&2
    exit "$status"
fi
echo "trained; $(($(date +%s) - started)) s so far"
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print('epochs done:', p['epochs_done'], '· steps into the next:', p.get('within_epoch', {}).get('step', 0))" "$OUT/progress.json"
# The ability tests encode the training cells for the prior, which takes minutes on a CPU.
if ! timeout "$TEST_SECONDS" "$VSGAE" test-vae --model "$OUT" --backend "$BACKEND" --limit "${TEST_LIMIT:-1000}" \
    --prior-points "${PRIOR_POINTS:-1000}" --json > "$OUT/abilities.json"; then
    echo "the ability tests did not finish within TEST_MINUTES; the trained model is in $OUT:" \
        "run vsgae test-vae --model $OUT there" >&2
    exit 1
fi
cat "$OUT/abilities.json"

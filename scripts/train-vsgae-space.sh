#!/usr/bin/env bash
# Trains the VS-GAE on the whole generated search space (423,624 cells, 90/10) for a fixed
# budget of minutes, then runs the ability tests, leaving the weights and results in OUT. Made
# for a lent GPU (one prepared run within the device budget) and for long CPU runs alike:
# - it resumes OUT where a run is already there, so repeated calls add up to one run;
# - the run checkpoints inside epochs (`--checkpoint-steps`), so stopping it at the budget loses
#   at most those steps;
# - the ability tests reconstruct the first TEST_LIMIT held-out cells (all 42,362 take hours).
#
# Usage: bash scripts/train-vsgae-space.sh OUT
# Environment (defaults in brackets): VSGAE [target/release/vsgae; build it with
# `--features wgpu` for BACKEND=wgpu], BACKEND [wgpu], MINUTES [8], BATCH [128], LR [0.001],
# CHECKPOINT_STEPS [100], TEST_LIMIT [1000], PRIOR_POINTS [1000].
set -euo pipefail
OUT=${1:?usage: train-vsgae-space.sh OUT}
VSGAE=${VSGAE:-target/release/vsgae}
BACKEND=${BACKEND:-wgpu}
MINUTES=${MINUTES:-8}
if [ -f "$OUT/progress.json" ]; then
    run=(--resume "$OUT")
else
    run=(--space --epochs 300 --lr "${LR:-0.001}" --batch-size "${BATCH:-128}" --seed 0 --checkpoint-every 1)
fi
started=$(date +%s)
# `timeout` ends the run at the budget (exit 124); the last checkpoint holds its work.
status=0
timeout "$((MINUTES * 60))" "$VSGAE" train-vae "${run[@]}" --backend "$BACKEND" \
    --checkpoint-steps "${CHECKPOINT_STEPS:-100}" --out "$OUT" || status=$?
if [ "$status" != 0 ] && [ "$status" != 124 ]; then
    echo "train-vae failed with status $status" >&2
    exit "$status"
fi
echo "trained for $(($(date +%s) - started)) s"
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print('epochs done:', p['epochs_done'], '· steps into the next:', p.get('within_epoch', {}).get('step', 0))" "$OUT/progress.json"
"$VSGAE" test-vae --model "$OUT" --backend "$BACKEND" --limit "${TEST_LIMIT:-1000}" \
    --prior-points "${PRIOR_POINTS:-1000}" --json > "$OUT/abilities.json"
cat "$OUT/abilities.json"

#!/usr/bin/env bash
# The paper's stability experiment: the plain predictor (GNN encoder and head trained end to end)
# against the accuracy head on frozen VS-GAE latents and against the predictor whose encoder starts
# from the VS-GAE's and is fine-tuned, by training size and sampling method, over several seeds. Each run writes OUT/<model>-<size>pct-<sampling>-seed<seed>/results.json; runs
# with a results.json are skipped, so a killed study continues where it stopped. At 100 % every
# sampling method gives the whole split, so only `random` runs there. The summary (mean ± std of
# the test RMSE and Kendall τ) goes to OUT/summary.md.
#
# Environment (defaults in brackets): VSGAE [target/release/vsgae], DATA
# [../shared/data/nb101_val_20k.csv], VAE [data/vsgae], OUT [target/stability], SIZES [1 10 100],
# SAMPLINGS [random even edit], SEEDS [0 1 2 3 4], MODELS [plain latent finetuned], LR [0.001],
# BATCH [128], EPOCHS_1 [100], EPOCHS_10 [30], EPOCHS_100 [10], LATENT_EPOCHS_FACTOR [10]: the
# head on frozen latents starts far from the targets and costs almost nothing per epoch, so it
# trains this many times as many epochs as the end-to-end predictor.
set -euo pipefail
cd "$(dirname "$0")/.."
VSGAE=${VSGAE:-target/release/vsgae}
DATA=${DATA:-../shared/data/nb101_val_20k.csv}
VAE=${VAE:-data/vsgae}
OUT=${OUT:-target/stability}
LR=${LR:-0.001}
BATCH=${BATCH:-128}
mkdir -p "$OUT"
for size in ${SIZES:-1 10 100}; do
    epochs=10
    case $size in 1) epochs=${EPOCHS_1:-100} ;; 10) epochs=${EPOCHS_10:-30} ;; 100) epochs=${EPOCHS_100:-10} ;; esac
    samplings=${SAMPLINGS:-random even edit}
    [ "$size" = 100 ] && samplings=random
    for sampling in $samplings; do
        for seed in ${SEEDS:-0 1 2 3 4}; do
            for model in ${MODELS:-plain latent finetuned}; do
                run="$OUT/$model-${size}pct-$sampling-seed$seed"
                [ -f "$run/results.json" ] && continue
                common=(--data "$DATA" --training-size "$size" --sampling "$sampling" --seed "$seed"
                    --lr "$LR" --batch-size "$BATCH" --out "$run")
                echo "$(date +%T) $run"
                if [ "$model" = plain ]; then
                    "$VSGAE" train-predictor "${common[@]}" --epochs "$epochs" --evaluate-every "$epochs" \
                        --checkpoint-every 0 > "$run.log" 2>&1
                elif [ "$model" = finetuned ]; then
                    "$VSGAE" train-predictor --encoder-from "$VAE" "${common[@]}" --epochs "$epochs" \
                        --evaluate-every "$epochs" --checkpoint-every 0 > "$run.log" 2>&1
                else
                    "$VSGAE" train-latent-predictor --vae "$VAE" "${common[@]}" \
                        --epochs $((epochs * ${LATENT_EPOCHS_FACTOR:-10})) > "$run.log" 2>&1
                fi
            done
        done
    done
done
python3 scripts/summarize-study.py "$OUT" > "$OUT/summary.md"
cat "$OUT/summary.md"

#!/usr/bin/env bash
# The predictor study: each variant of the training recipe trained on the interpolation split of
# nb101_val_20k.csv (14,001 training cells) or on PINAT's 4,236 of them, and read on the
# validation part only (the test part is read once, at the end, by eval-predictor).
#
# Usage: bash scripts/predictor-study.sh RUNS VARIANT [VARIANT ...]
# Each VARIANT is NAME:SEED, with NAME one of the recipes below (NAME-pinat: the same on 4,236
# training cells; ensembleK: RECIPE [rank-mse] with K networks); a run lives in RUNS/NAME-sSEED
# and is resumed where it stopped (a finished one is skipped). Every seed shares split seed 0,
# so every run is read on the same validation and test cells. Runs niced, one after another.
# The head on frozen VS-GAE latents is `vsgae train-latent-predictor` (the stability study).
# Environment: VSGAE [target/release/vsgae], DATA [../shared/data/nb101_val_20k.csv],
# EPOCHS [60], MSE_WEIGHT [100], RECIPE [rank-mse].
set -euo pipefail
RUNS=${1:?usage: predictor-study.sh RUNS VARIANT...}
shift
VSGAE=${VSGAE:-target/release/vsgae}
DATA=${DATA:-../shared/data/nb101_val_20k.csv}
EPOCHS=${EPOCHS:-60}
COSINE=(--schedule warmup-cosine --warmup-steps 200 --final-lr-factor 0.01 --keep-best)
AUX=(--auxiliary-targets val_acc_4,val_acc_12,val_acc_36)
# 4,236 of the 14,001 training cells (1 % of the search space, PINAT's training size).
PINAT=(--training-cells 4236)

recipe() {
    case "$1" in
        reference) echo "--lr 0.001" ;;
        cosine) echo "--lr 0.001 ${COSINE[*]}" ;;
        rank) echo "--lr 0.001 ${COSINE[*]} --loss ranking --mse-weight 0" ;;
        rank-mse) echo "--lr 0.001 ${COSINE[*]} --loss ranking --mse-weight ${MSE_WEIGHT:-100}" ;;
        aux) echo "--lr 0.001 ${COSINE[*]} ${AUX[*]}" ;;
        rank-mse-aux) echo "$(recipe rank-mse) ${AUX[*]}" ;;
        finetune) echo "$(recipe rank-mse) --encoder-from data/vsgae" ;;
        ensemble*) echo "$(recipe "${RECIPE:-rank-mse}") --ensemble ${1#ensemble}" ;;
        *-pinat) echo "$(recipe "${1%-pinat}") ${PINAT[*]}" ;;
        *) echo "unknown recipe $1" >&2; return 1 ;;
    esac
}

for variant in "$@"; do
    name=${variant%%:*} seed=${variant##*:}
    out="$RUNS/$name-s$seed"
    if [ -f "$out/results.json" ]; then
        echo "$out: done"
        continue
    fi
    flags=$(recipe "$name")
    if [ -f "$out/progress.json" ]; then
        run=(--resume "$out")
    else
        # shellcheck disable=SC2206
        run=(--out "$out" --epochs "$EPOCHS" --seed "$seed" --split-seed 0 --checkpoint-every 5 $flags)
    fi
    echo "$out: $flags"
    nice -n 10 "$VSGAE" train-predictor --data "$DATA" "${run[@]}" >"$out.log" 2>&1 || {
        echo "$out failed; see $out.log"
        exit 1
    }
done

#!/usr/bin/env bash
# Measures the native app in a real window (Xvfb where there is no display): the time to the
# first prediction, frame times while training the predictor for a minute, and the time to rank
# all 423,624 cells. Each run writes the app's status JSON (see src/status.rs) to target/measure/.
#
#   bash scripts/measure-native.sh [--cpu]     # --cpu: Burn's CPU backend instead of wgpu
#
# Needs ../shared/data/nb101_val_20k.csv (or VSGAE_SHARED_DIR) and, without a display, xvfb-run.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${VSGAE_SHARED_DIR:-../shared}"
out=target/measure
mkdir -p "$out"
cargo build --release -p vsgae-studio --features probe
app="${CARGO_TARGET_DIR:-target}/release/vsgae-studio"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
run() {
    if [ -n "${DISPLAY:-}" ]; then "$app" "$@"; else xvfb-run -a -s "-screen 0 1280x820x24" "$app" "$@"; fi
}
suffix=${1:+-cpu}
# Training: the default form (predictor), on the 20k CSV; the last minute of frames is reported.
run --fresh "$@" --open "$shared/data/nb101_val_20k.csv" --train --report "$out/train$suffix.json" --quit-after 80
# Ranking the search space (the run closes itself once it is done or after 20 minutes).
run --fresh "$@" --rank --report "$out/rank$suffix.json" --quit-after 1200
cat "$out/train$suffix.json" "$out/rank$suffix.json"

#!/bin/bash
# One device run, side by side on the same GPU and the same 4,096 seven-vertex cells:
#   - `vsgae bench` of each build carried here (vsgae-BUILD.xz or .gz, see prepare.sh) on each GPU
#     backend it has, at several batch sizes, with its launches, readbacks and compilations per step;
#   - the PyTorch reference (the paper's code, CUDA) at the same batch sizes;
#   - both on the machine's CPU cores at batch 128;
#   - a short VS-GAE training on the backend that trained fastest at the recipe's batch, warm-started
#     from the shipped model (data/vsgae), whose run folder comes back so the run continues on a CPU.
# Results: one JSON line per measurement in $OUT/results.jsonl (side = ours | pytorch), the rest in
# $OUT/log.txt, the table in $OUT/table.txt, the training run as $OUT/train-run.tar.xz.NN parts of at
# most 15 MiB (cat them, then untar). Every part is capped in time, and the caps are cut to fit
# TOTAL seconds in all (default 420), so the table and the run folder are always written. See
# README.md beside this file for how to prepare and call it.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-/tmp/gpu-bench-out}; mkdir -p "$OUT"
LOG=$OUT/log.txt; RES=$OUT/results.jsonl
BATCHES=${BATCHES:-"128 512 2048 4096"}
CAP_OURS=${CAP_OURS:-40} CAP_TORCH=${CAP_TORCH:-120} CAP_CPU=${CAP_CPU:-45} CAP_TRAIN=${CAP_TRAIN:-90}
TOTAL=${TOTAL:-420} TRAIN_BATCH=${TRAIN_BATCH:-128} TRAIN_CHECKPOINT_STEPS=${TRAIN_CHECKPOINT_STEPS:-100}
MODEL=${MODEL:-$ROOT/data/vsgae} CAP_PROBE=${CAP_PROBE:-60}
# Timed repeats and steps of each training bench (fewer for a rehearsal on lavapipe).
REPEATS=${REPEATS:-3} STEPS=${STEPS:-5}
export REFERENCE=${REFERENCE:-$HERE/vs_gae}
start=$(date +%s)
say() { echo "[$(($(date +%s) - start))s] $*" | tee -a "$LOG"; }
# cap N: N seconds, or fewer where the run's TOTAL would otherwise be passed (keeping the last 30 s
# for the table and the run folder); at least 1.
cap() { local left=$((TOTAL - 30 - ($(date +%s) - start))); local c=$(($1 < left ? $1 : left)); echo $((c > 1 ? c : 1)); }

# Vulkan and EGL loaders carried as .deb files in .gl/ (see README.md).
for dir in "$HERE/../.gl" "$HERE/.gl" "$HERE/../../.gl"; do
  if ls "$dir"/*.deb >/dev/null 2>&1; then for f in "$dir"/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
done
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $icd ] && export VK_DRIVER_FILES=$icd
# Burn's CUDA kernels link libdevice.10.bc, carried in cuda/ by prepare.sh.
if [ -f "$HERE/cuda/nvvm/libdevice/libdevice.10.bc" ] && [ ! -f "${CUDA_PATH:-/nonexistent}/nvvm/libdevice/libdevice.10.bc" ]; then
  export CUDA_PATH=$HERE/cuda
fi
say "host: $(nproc) cores; $(nvidia-smi -L 2>&1 | head -1)"
say "driver: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>&1 | head -1); CUDA_PATH=${CUDA_PATH:-unset}"

ours() { # ours BINARY LABEL CAP ARGS...: one `vsgae bench --json`, its line tagged and kept
  local bin=$1 label=$2 cap=$3 line
  shift 3
  line=$(timeout "$(cap "$cap")" "$bin" bench "$@" --json 2>>"$LOG" | tail -1)
  say "$label: ${line:0:200}"
  [ -n "$line" ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); d['side']='ours'; d['label']=sys.argv[2]; print(json.dumps(d))" "$line" "$label" >>"$RES"
}

# Each build: vsgae-BUILD.xz (or .gz) → /tmp/vsgae-BUILD; BUILD names what it was built with
# (prepare.sh), e.g. cuda (wgpu and CUDA with Burn's kernel fusion and autotune). Backends are tried
# in turn; a build without one answers nothing for it.
builds=()
for packed in "$HERE"/vsgae-*.xz "$HERE"/vsgae-*.gz; do
  [ -f "$packed" ] || continue
  build=$(basename "$packed"); build=${build%.*}; build=${build#vsgae-}
  case $packed in
    *.xz) python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$packed" "/tmp/vsgae-$build" ;;
    *.gz) gzip -dc "$packed" >"/tmp/vsgae-$build" ;;
  esac && chmod +x "/tmp/vsgae-$build" && builds+=("$build")
done
[ ${#builds[@]} -gt 0 ] || { say "no vsgae-*.xz or vsgae-*.gz beside run.sh"; exit 1; }
declare -A backends_of
for build in "${builds[@]}"; do
  bin=/tmp/vsgae-$build
  for backend in ${BACKENDS:-wgpu cuda}; do
    if ! timeout "$(cap "$CAP_PROBE")" "$bin" bench --backend "$backend" --only matmul --repeats 1 --json >/dev/null 2>>"$LOG"; then
      say "$build: no $backend backend here"; continue
    fi
    backends_of[$build]+="$backend "
    for b in $BATCHES; do
      ours "$bin" "$backend-$build-train-b$b" "$CAP_OURS" --backend "$backend" --only vae-train predictor-train \
        --batch-size "$b" --repeats "$REPEATS" --steps "$STEPS"
    done
    ours "$bin" "$backend-$build-infer" "$CAP_OURS" --backend "$backend" --only predictor-inference decode-batch matmul --repeats "$REPEATS"
  done
done
PYTHONUNBUFFERED=1 timeout "$(cap "$CAP_TORCH")" python3 "$HERE/reference_bench.py" --device cuda \
  --batches "$(echo $BATCHES | tr ' ' ,)" --works pred_train,vae_train,pred_infer >>"$RES" 2>>"$LOG"
say "pytorch cuda: exit $?"
ours "/tmp/vsgae-${builds[0]}" cpu-b128 "$CAP_CPU" --backend cpu --repeats 3 --only vae-train predictor-train predictor-inference
PYTHONUNBUFFERED=1 timeout "$(cap "$CAP_CPU")" python3 "$HERE/reference_bench.py" --device cpu --threads "$(nproc)" \
  --batches 128 --seconds 3 --works pred_train,vae_train,pred_infer >>"$RES" 2>>"$LOG"
say "pytorch cpu: exit $?"

# The short training: the label that trained the VS-GAE fastest at TRAIN_BATCH above (the CPU
# included), warm-started from the shipped model with its recipe, for about CAP_TRAIN seconds.
read -r label rate < <(python3 "$HERE/training.py" fastest "$RES" "$TRAIN_BATCH")
if [ -n "${label:-}" ] && [ -d "$MODEL" ]; then
  backend=${label%%-*}
  bin=/tmp/vsgae-${builds[0]}
  for build in "${builds[@]}"; do [[ $label == *-$build-* ]] && bin=/tmp/vsgae-$build; done
  seconds=$(cap "$CAP_TRAIN")
  # Stop at a checkpoint after about `seconds` at the rate the bench measured (start-up and the
  # space's enumeration aside); `timeout` is the hard cap, with a checkpoint every
  # TRAIN_CHECKPOINT_STEPS steps. Its rate is measured between its first and last checkpoints.
  graphs=$(python3 -c "import sys; print(max(int(float(sys.argv[1]) * 0.6 * int(sys.argv[2])), 2 * int(sys.argv[3])))" "$rate" "$seconds" "$TRAIN_BATCH")
  say "training: $label ($rate graphs/s in the bench), up to $graphs graphs in ${seconds} s"
  run=/tmp/train-run; rm -rf "$run"
  timeout "$seconds" "$bin" train-vae --space --warm-start "$MODEL" --backend "$backend" --epochs 6 \
    --batch-size "$TRAIN_BATCH" --lr 1e-4 --edge-pairing per-graph --edge-loss sum --schedule warmup-cosine \
    --warmup-steps 300 --final-lr-factor 0.01 --seed 0 --checkpoint-steps "$TRAIN_CHECKPOINT_STEPS" \
    --max-graphs "$graphs" --out "$run" >/tmp/train.json 2>>"$LOG" &
  pid=$!
  python3 "$HERE/training.py" watch "$run" "$pid" >/tmp/train-checkpoints.txt 2>>"$LOG" &
  wait "$pid"; say "training: exit $?"; wait
  python3 "$HERE/training.py" result "$run" "$label" /tmp/train.json /tmp/train-checkpoints.txt >>"$RES" 2>>"$LOG"
  if [ -f "$run/progress.json" ]; then
    tar -C /tmp -cf - train-run | xz -T0 -3 | split -b 15M -d - "$OUT/train-run.tar.xz."
    say "training: run folder in $(ls "$OUT"/train-run.tar.xz.* | wc -l) parts"
  fi
else
  say "training: no backend trained the VS-GAE at batch $TRAIN_BATCH, or no model at $MODEL"
fi
python3 "$HERE/table.py" "$RES" | tee "$OUT/table.txt"
say "done"

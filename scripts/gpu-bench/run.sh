#!/bin/bash
# One device run, side by side on the same GPU and the same 4,096 seven-vertex cells:
#   - `vsgae bench` of each build carried here (vsgae-*.gz, see prepare.sh) on each GPU backend it
#     has, at several batch sizes, with its launches, readbacks and compilations per step;
#   - the PyTorch reference (the paper's code, CUDA) at the same batch sizes;
#   - both on the machine's CPU cores at batch 128.
# Results: one JSON line per measurement in $OUT/results.jsonl (side = ours | pytorch), the rest in
# $OUT/log.txt, the table in $OUT/table.txt. Every part has its own time cap; the default caps keep
# the whole run near 8 minutes. See README.md beside this file for how to prepare and call it.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/gpu-bench-out}; mkdir -p "$OUT"
LOG=$OUT/log.txt; RES=$OUT/results.jsonl
BATCHES=${BATCHES:-"128 512 2048 4096"}
CAP_OURS=${CAP_OURS:-45} CAP_TORCH=${CAP_TORCH:-150} CAP_CPU=${CAP_CPU:-60}
export REFERENCE=${REFERENCE:-$HERE/vs_gae}
start=$(date +%s)
say() { echo "[$(($(date +%s) - start))s] $*" | tee -a "$LOG"; }

# Vulkan and EGL loaders carried as .deb files in .gl/ (see README.md).
for dir in "$HERE/../.gl" "$HERE/.gl" "$HERE/../../.gl"; do
  if ls "$dir"/*.deb >/dev/null 2>&1; then for f in "$dir"/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
done
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $icd ] && export VK_DRIVER_FILES=$icd
say "host: $(nproc) cores; $(nvidia-smi -L 2>&1 | head -1)"

ours() { # ours BINARY LABEL CAP ARGS...: one `vsgae bench --json`, its line tagged and kept
  local bin=$1 label=$2 cap=$3 line
  shift 3
  line=$(timeout "$cap" "$bin" bench "$@" --json 2>>"$LOG" | tail -1)
  say "$label: ${line:0:200}"
  [ -n "$line" ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); d['side']='ours'; d['label']=sys.argv[2]; print(json.dumps(d))" "$line" "$label" >>"$RES"
}

# Each build: vsgae-BUILD.gz → /tmp/vsgae-BUILD; BUILD names what it was built with (prepare.sh),
# e.g. fusion (wgpu with Burn's kernel fusion and autotune) and plain (wgpu alone). Backends are
# tried in turn; a build without one answers nothing for it.
builds=()
for gz in "$HERE"/vsgae-*.gz; do
  [ -f "$gz" ] || continue
  build=$(basename "$gz" .gz); build=${build#vsgae-}
  gzip -dc "$gz" >"/tmp/vsgae-$build" && chmod +x "/tmp/vsgae-$build" && builds+=("$build")
done
[ ${#builds[@]} -gt 0 ] || { say "no vsgae-*.gz beside run.sh"; exit 1; }
for build in "${builds[@]}"; do
  bin=/tmp/vsgae-$build
  for backend in ${BACKENDS:-wgpu cuda}; do
    if ! timeout 60 "$bin" bench --backend "$backend" --only matmul --repeats 1 --json >/dev/null 2>>"$LOG"; then
      say "$build: no $backend backend here"; continue
    fi
    for b in $BATCHES; do
      ours "$bin" "$backend-$build-train-b$b" "$CAP_OURS" --backend "$backend" --only vae-train predictor-train \
        --batch-size "$b" --repeats 3 --steps 5
    done
    ours "$bin" "$backend-$build-infer" "$CAP_OURS" --backend "$backend" --only predictor-inference decode-batch matmul --repeats 3
  done
done
PYTHONUNBUFFERED=1 timeout "$CAP_TORCH" python3 "$HERE/reference_bench.py" --device cuda \
  --batches "$(echo $BATCHES | tr ' ' ,)" --works pred_train,vae_train,pred_infer >>"$RES" 2>>"$LOG"
say "pytorch cuda: exit $?"
ours "/tmp/vsgae-${builds[0]}" cpu-b128 "$CAP_CPU" --backend cpu --repeats 3 --only vae-train predictor-train predictor-inference
PYTHONUNBUFFERED=1 timeout "$CAP_CPU" python3 "$HERE/reference_bench.py" --device cpu --threads "$(nproc)" \
  --batches 128 --seconds 3 --works pred_train,vae_train,pred_infer >>"$RES" 2>>"$LOG"
say "pytorch cpu: exit $?"
python3 "$HERE/table.py" "$RES" | tee "$OUT/table.txt"
say "done"

#!/usr/bin/env bash
# Prepares one call of run.sh on a GPU machine (which has CUDA, PyTorch and PyTorch Geometric but
# no Rust and no network): builds our benchmark binaries here, and gathers them with the scripts,
# the reference's code and the Vulkan loaders in .gpu/ (git-ignored).
#
# Usage: bash scripts/gpu-bench/prepare.sh REFERENCE_GIT_DIR
#   REFERENCE_GIT_DIR: a git directory of github.com/jovitalukasik/vs_gae (the paper's code).
# Environment: BUILDS ["cuda"]: which builds to carry; each is a release build of the
# `vsgae` CLI with its own target directory under target/gpu-BUILD:
#   fusion  wgpu with Burn's kernel fusion and autotuning (features cli,wgpu,fusion,autotune)
#   plain   wgpu alone (cli,wgpu), the build without fusion
#   cuda    fusion plus Burn's CUDA backend (cli,wgpu,cuda,fusion,autotune). Its kernels compile
#           through LLVM, which llvm.sh prepares from PyPI (no download from github.com); the
#           CUDA bindings are pinned to CUDARC_CUDA_VERSION [12080], and libdevice.10.bc (for
#           exp, log, tanh in kernels) comes from PyPI's nvidia-cuda-nvcc-cu12 into .gpu/cuda/,
#           for run.sh to point CUDA_PATH at.
# WHEELS [unset]: a folder of already downloaded wheels (mlc-llvm-static, nvidia-cuda-nvcc-cu12)
# to take first.
set -euo pipefail
cd "$(dirname "$0")/../.."
G=${1:?usage: prepare.sh REFERENCE_GIT_DIR}
mkdir -p .gpu
cp scripts/gpu-bench/{run.sh,table.py,training.py,cells.py,reference_bench.py,patch_reference.py} .gpu/
for build in ${BUILDS:-cuda}; do
  case $build in
    fusion) features=cli,wgpu,fusion,autotune ;;
    plain) features=cli,wgpu ;;
    cuda)
      features=cli,wgpu,cuda,fusion,autotune
      bash scripts/gpu-bench/llvm.sh >/dev/null
      export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-12080}
      libdevice=.gpu/cuda/nvvm/libdevice
      if [ ! -f "$libdevice/libdevice.10.bc" ]; then
        wheels=$(mktemp -d)
        python3 -m pip download --quiet --disable-pip-version-check --no-deps \
          ${WHEELS:+--find-links "$WHEELS"} "nvidia-cuda-nvcc-cu12==12.9.86" -d "$wheels"
        mkdir -p "$libdevice"
        unzip -q -j -o "$wheels"/nvidia_cuda_nvcc_cu12-*.whl 'nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc' -d "$libdevice"
        rm -rf "$wheels"
      fi
      ;;
    *) echo "unknown build $build" >&2; exit 2 ;;
  esac
  cargo build --release --locked -p vsgae --features "$features" --target-dir "target/gpu-$build"
  if [ "$build" = cuda ] && [ ! -e /proc/driver/nvidia ]; then
    # Here, without an NVIDIA driver, the CUDA backend must be refused by name, not by a panic.
    if said=$("target/gpu-$build/release/vsgae" bench --backend cuda --only matmul 2>&1); then
      echo "prepare.sh: --backend cuda ran without a driver" >&2; exit 1
    fi
    if ! grep -q "no CUDA device answers" <<<"$said" || grep -q "panicked at" <<<"$said"; then
      echo "prepare.sh: --backend cuda without a driver said: $said" >&2; exit 1
    fi
  fi
  strip -o ".gpu/vsgae-$build" "target/gpu-$build/release/vsgae"
  rm -f ".gpu/vsgae-$build.gz"
  xz -9 -T0 -f ".gpu/vsgae-$build"
done
for f in models/GNN.py models/__init__.py utils/__init__.py utils/prepData.py utils/sample.py utils/utils.py; do
  mkdir -p ".gpu/vs_gae/$(dirname $f)"
  git --git-dir="$G" show "HEAD:$f" >".gpu/vs_gae/$f"
done
python3 .gpu/patch_reference.py .gpu/vs_gae
# The Vulkan and EGL loaders for wgpu, as Debian packages unpacked on the GPU machine by run.sh.
mkdir -p .gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update >/dev/null
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
du -shc .gpu .gl
bash scripts/gpu-bench/travel.sh size || true
echo "ready: 'bash scripts/gpu-bench/travel.sh stage', then call run.sh on the GPU machine with .gpu and .gl"
echo "carried (command 'bash .gpu/run.sh', timeout about 480 s), then 'bash scripts/gpu-bench/travel.sh restore'"

#!/usr/bin/env bash
# Prepares one call of run.sh on a GPU machine (which has CUDA, PyTorch and PyTorch Geometric but
# no Rust and no network): builds our benchmark binaries here, and gathers them with the scripts,
# the reference's code and the Vulkan loaders in .gpu/ (git-ignored).
#
# Usage: bash scripts/gpu-bench/prepare.sh REFERENCE_GIT_DIR
#   REFERENCE_GIT_DIR: a git directory of github.com/jovitalukasik/vs_gae (the paper's code).
# Environment: BUILDS ["fusion plain"]: which builds to carry; each is a release build of the
# `vsgae` CLI with its own target directory under target/gpu-BUILD:
#   fusion  wgpu with Burn's kernel fusion and autotuning (features cli,wgpu,fusion,autotune)
#   plain   wgpu alone (cli,wgpu), the build without fusion
#   cuda    fusion plus Burn's CUDA backend (cli,wgpu,cuda,fusion,autotune); its build script
#           downloads an LLVM bundle from github.com, so it builds only where that is reachable.
set -euo pipefail
cd "$(dirname "$0")/../.."
G=${1:?usage: prepare.sh REFERENCE_GIT_DIR}
mkdir -p .gpu
cp scripts/gpu-bench/{run.sh,table.py,cells.py,reference_bench.py,patch_reference.py} .gpu/
for build in ${BUILDS:-fusion plain}; do
  case $build in
    fusion) features=cli,wgpu,fusion,autotune ;;
    plain) features=cli,wgpu ;;
    cuda) features=cli,wgpu,cuda,fusion,autotune ;;
    *) echo "unknown build $build" >&2; exit 2 ;;
  esac
  cargo build --release --locked -p vsgae --features "$features" --target-dir "target/gpu-$build"
  strip -o ".gpu/vsgae-$build" "target/gpu-$build/release/vsgae"
  gzip -9 -f ".gpu/vsgae-$build"
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
echo "ready: call run.sh on the GPU machine with .gpu and .gl carried, e.g. command 'bash .gpu/run.sh'"

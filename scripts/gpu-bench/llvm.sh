#!/usr/bin/env bash
# The LLVM that Burn's CUDA backend compiles its kernels with (cubecl-cuda: LLVM to PTX), from the
# package registries alone. `tracel-llvm-bundler` (the version Cargo.lock pins, 23.1.0-4) would
# download its bundle from github.com; it skips the download wherever its folder
# ${XDG_DATA_HOME:-$HOME/.local/share}/tracel/tracel-llvm-23.1.0-4 holds a `.tracel-llvm-installed`
# marker. PyPI's mlc-llvm-static[all] ships LLVM 23.1's static libraries (NVPTX among the extra
# targets) with zlib and zstd, so that folder becomes a link to its prefix, with the marker
# written inside. Its llvm-config is a Python script, so the build needs python3 on PATH.
#
# Idempotent. Prints the prefix. Environment: WHEELS [unset]: a folder of already downloaded
# wheels to install from first; VSGAE_LLVM_VENV [$data/vsgae-llvm]: where the package goes.
set -euo pipefail
version=23.1.1.post0
bundle=tracel-llvm-23.1.0-4
data=${XDG_DATA_HOME:-$HOME/.local/share}
venv=${VSGAE_LLVM_VENV:-$data/vsgae-llvm}

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c "import mlc_llvm_static" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        ${WHEELS:+--find-links "$WHEELS"} "mlc-llvm-static[all]==$version" >&2
fi
prefix=$("$venv/bin/python" -m mlc_llvm_static.config --prefix)
[ -d "$prefix/lib" ] || { echo "llvm.sh: $prefix has no lib/ (mlc-llvm-static $version)" >&2; exit 1; }
mkdir -p "$data/tracel"
ln -sfn "$prefix" "$data/tracel/$bundle"
touch "$prefix/.tracel-llvm-installed"
echo "$prefix"

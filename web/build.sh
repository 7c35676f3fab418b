#!/usr/bin/env bash
# Builds the web app into dist/ with trunk, offline (no tool downloads at build time).
#
# Installs what is missing, from the package registries: the wasm32 target, trunk 0.21.14
# (the newest trunk needs a newer rustc), the wasm-bindgen-cli of exactly the wasm-bindgen
# version in Cargo.lock, Debian's binaryen for wasm-opt (index.html switches wasm-opt off:
# on a 2-core machine it costs minutes for a few percent of size) and Debian's brotli.
# Writes FILE.gz and FILE.br beside every file of dist/ and prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
wasm_bindgen_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! command -v trunk >/dev/null || ! trunk --version | grep -q '0.21.14'; then
    cargo install trunk --version 0.21.14 --locked
fi
if ! command -v wasm-bindgen >/dev/null || ! wasm-bindgen --version | grep -q "$wasm_bindgen_version"; then
    # `--locked` fails on one of its locked dependencies (DESIGN.md §5).
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi
if ! command -v wasm-opt >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y binaryen >/dev/null || echo "binaryen not installed; wasm-opt stays off"
fi
if ! command -v brotli >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y brotli >/dev/null || echo "brotli not installed; only .gz files are written"
fi

# Extra arguments go to trunk, e.g. `--features probe` for the browser test's build.
trunk build --release --offline "$@"
# Precompressed copies for servers that serve them (Content-Encoding gzip or br), and the sizes.
python3 web/precompress.py dist

#!/usr/bin/env bash
# Builds the web app into dist/ with trunk, offline (no tool downloads at build time).
#
# Installs what is missing, from the package registries: the wasm32 target, trunk 0.21.14
# (the newest trunk needs a newer rustc), the wasm-bindgen-cli of exactly the wasm-bindgen
# version in Cargo.lock and Debian's brotli. The wasm is built with Cargo.toml's `web` profile
# (size-optimised, fat LTO); index.html leaves wasm-opt off: Debian's binaryen (108) breaks
# wasm-bindgen's externref table (the page fails to start) for 0.65 MB of brotli size.
# Writes the models beside the page (dist/models/), FILE.gz and FILE.br beside every file of
# dist/, and prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
wasm_bindgen_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! command -v trunk >/dev/null || ! trunk --version | grep -q '0.21.14'; then
    cargo install trunk --version 0.21.14 --locked
fi
if ! command -v wasm-bindgen >/dev/null || ! wasm-bindgen --version | grep -q "$wasm_bindgen_version"; then
    # Without `--locked`: the install fails with it at this version, so its dependencies resolve
    # afresh.
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi
if ! command -v brotli >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y brotli >/dev/null || echo "brotli not installed; only .gz files are written"
fi

# Extra arguments go to trunk, e.g. `--features probe` for the browser test's build.
trunk build --release --offline "$@"

# The models live beside the page, not in the wasm: the predictor in row-scaled int8 (a quarter
# of its bytes), the VS-GAE, which downloads only when a latent feature needs it, in f16 (docs/web.md
# gives the measured change in predictions), with a manifest of sizes and digests that the page
# reads to download them and to version its cache.
for model_precision in predictor:int8 vsgae:f16; do
    model=${model_precision%%:*}
    mkdir -p "dist/models/$model"
    cp "data/$model/config.json" "dist/models/$model/config.json"
    cargo run -q -p vsgae --features cli --bin vsgae -- convert-weights --to "${model_precision##*:}" \
        "data/$model/weights.safetensors" "dist/models/$model/weights.safetensors"
done
python3 web/manifest.py dist/models

# Precompressed copies for servers that serve them (Content-Encoding gzip or br), and the sizes.
python3 web/precompress.py dist

#!/usr/bin/env bash
# The browser end-to-end test: builds the web app (web/build.sh), then drives Debian's headless
# Chromium through it with playwright-core (tests/browser/e2e.mjs), on WebGPU and on the CPU
# fallback. Screenshots go to docs/screenshots/, figures to target/e2e/figures.json.
# Not part of .ci/run: the release wasm build alone takes longer than CI's budget allows.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
    apt-get install -y chromium
fi
bash web/build.sh --features probe
(cd tests/browser && npm ci --no-audit --no-fund)
node tests/browser/e2e.mjs

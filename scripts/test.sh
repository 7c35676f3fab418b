#!/usr/bin/env bash
# The project's tests: every package of the workspace, on Burn's CPU backend.
# Tests that read ../shared skip where it is absent, and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"

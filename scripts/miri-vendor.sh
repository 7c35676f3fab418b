#!/usr/bin/env bash
# The patched CPU backend's unsafe code under Miri (vendor/README.md): its vector loops on every
# length and misaligned start, and matrix products written into unzeroed memory. Miri interprets
# every operation, so these tests take small sizes there; the ulp tests against libm are left to
# the native run (Miri perturbs libm's results on purpose). Needs a nightly toolchain with Miri,
# which this script installs where it is missing.
set -euo pipefail
cd "$(dirname "$0")/../vendor/burn-flex"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component add --toolchain nightly miri rust-src
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-../../target}/burn-flex-miri"
# cargo-miri's test "binaries" are stubs that record the folder they were built in, and cargo
# keeps a cached one when the same sources sit in another clone: rebuild this crate's own (its
# dependencies stay cached), so the tests run here.
rm -rf "$CARGO_TARGET_DIR"/miri/*/debug/deps/burn_flex-* "$CARGO_TARGET_DIR"/miri/*/debug/.fingerprint/burn-flex-*
cargo +nightly miri test --locked --lib -- fast_math:: products_written_into_unzeroed_memory

#!/usr/bin/env bash
# The Python package's tests (crates/vsgae-py): builds the module in debug with `maturin develop`
# into a virtual environment, then runs pytest against it and the CLI binaries that
# `cargo test` built (crates/vsgae-py/tests/conftest.py compares the two).
# Like the Rust tests, tests that need ../shared skip without it and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="${VSGAE_PY_VENV:-$target/python-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'maturin>=1.9.4,<2' 'numpy>=1.21' 'pytest>=7'
(cd crates/vsgae-py && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --locked --quiet)
VSGAE_CLI_DIR="$target/debug" "$venv/bin/python" -m pytest -rs -p no:cacheprovider crates/vsgae-py/tests "$@"

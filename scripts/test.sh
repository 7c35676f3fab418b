#!/usr/bin/env bash
# The project's tests: every package of the workspace, on Burn's CPU backend, then the Python
# package's (scripts/test-python.sh).
# Tests that read ../shared (docs/testing.md) skip where it is absent, and fail under CI=true.
# The run ends by saying how many tests skipped and why.
set -euo pipefail
cd "$(dirname "$0")/.."

skip_log=$(mktemp)
trap 'rm -f "$skip_log"' EXIT
status=0
# The command-line tools' tests need their `cli` feature, which the library crates leave off.
VSGAE_SKIP_LOG="$skip_log" cargo test --workspace --locked --features vsgae/cli,nasbench/cli "$@" || status=$?
# The Python package, against the CLI binaries just built.
VSGAE_SKIP_LOG="$skip_log" bash scripts/test-python.sh || status=$?

skipped=$(sort -u "$skip_log" | wc -l)
echo "::: ${skipped} tests skipped"
if [ "$skipped" -gt 0 ]; then
    sort -u "$skip_log" | cut -f2 | sort | uniq -c | sed 's/^ */:::   /'
fi
exit "$status"

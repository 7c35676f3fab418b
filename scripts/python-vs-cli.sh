#!/usr/bin/env bash
# The Python package's speed against the CLI's, in one run on one machine: predicting all
# 423,624 cells of the search space with the shipped predictor, and encoding 10,000 real cells
# with the shipped VS-GAE. Each side is timed as a whole process (start, loading the model,
# enumerating or reading the cells, computing), alternately, REPEATS times; the table gives the
# medians and the ratio Python / CLI.
#
#   cargo build --release -p vsgae --features cli      # the CLI (target/release/vsgae)
#   pip install ./crates/vsgae-py                      # the package, into the python below
#   bash scripts/python-vs-cli.sh [PYTHON]             # needs ../shared for the real cells
set -euo pipefail
cd "$(dirname "$0")/.."

python="${1:-python3}"
cli="${CARGO_TARGET_DIR:-target}/release/vsgae"
repeats="${REPEATS:-3}"
cells="${VSGAE_SHARED_DIR:-../shared}/data/nb101_val_20k.csv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n 10001 "$cells" > "$work/cells_10k.csv"
"$python" -c "import vsgae" || { echo "the package vsgae is not installed for $python" >&2; exit 1; }
[ -x "$cli" ] || { echo "no CLI at $cli (cargo build --release -p vsgae --features cli)" >&2; exit 1; }

seconds() {
    local t0
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    echo "$(date +%s.%N) - $t0" | bc -l
}

declare -A times
for _ in $(seq "$repeats"); do
    times[cli_predict]+=" $(seconds "$cli" predict --model data/predictor --space --top 10)"
    times[py_predict]+=" $(seconds "$python" -c 'import vsgae; vsgae.Predictor.load().predict(vsgae.space())')"
    times[cli_encode]+=" $(seconds "$cli" encode --model data/vsgae --cells "$work/cells_10k.csv" --out "$work/z.npy")"
    times[py_encode]+=" $(seconds "$python" -c "import vsgae; vsgae.VsGae.load().encode(vsgae.read_cells('$work/cells_10k.csv'))")"
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $repeats runs each, medians"
printf '%-40s %10s %10s %8s\n' "task" "CLI (s)" "Python (s)" "ratio"
for task in predict encode; do
    c=$(echo "${times[cli_$task]}" | median)
    p=$(echo "${times[py_$task]}" | median)
    label=$([ "$task" = predict ] && echo "predict all 423,624 cells" || echo "encode 10,000 real cells")
    printf '%-40s %10.2f %10.2f %8.3f\n' "$label" "$c" "$p" "$(echo "$p / $c" | bc -l)"
done

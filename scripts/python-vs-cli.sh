#!/usr/bin/env bash
# The Python package's speed against the CLI's, in one run on one machine: predicting all
# 423,624 cells of the search space with the shipped predictor, and encoding 10,000 real cells
# with the shipped VS-GAE. Each side runs as a whole process, alternately, REPEATS times. The
# table gives the medians of the whole process (start, loading the model, enumerating or reading
# the cells, computing) and of the computation alone (the CLI's logged `seconds`, the Python
# call's own time), and the ratios Python / CLI.
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

py_predict='import time, vsgae
cells, model = vsgae.space(), vsgae.Predictor.load()
t = time.perf_counter(); model.predict(cells); print("seconds", time.perf_counter() - t)'
py_encode="import time, vsgae
cells, model = vsgae.read_cells('$work/cells_10k.csv'), vsgae.VsGae.load()
t = time.perf_counter(); model.encode(cells); print('seconds', time.perf_counter() - t)"

# Runs a command; appends its wall time to $1_wall and its computation's time (the number after
# `seconds` in its output) to $1_compute.
run() {
    local name=$1
    shift
    local t0 out
    t0=$(date +%s.%N)
    out=$("$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
    echo "$(date +%s.%N) - $t0" | bc -l >> "$work/${name}_wall"
    echo "$out" | grep -o 'seconds[= ][0-9.]*' | tail -1 | tr -c '0-9.\n' ' ' | awk '{print $1}' >> "$work/${name}_compute"
}

for _ in $(seq "$repeats"); do
    run cli_predict "$cli" predict --model data/predictor --space --top 10
    run py_predict "$python" -c "$py_predict"
    run cli_encode "$cli" encode --model data/vsgae --cells "$work/cells_10k.csv" --out "$work/z.npy"
    run py_encode "$python" -c "$py_encode"
done

median() { sort -g "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $repeats runs each, medians"
printf '%-28s %-12s %9s %11s %7s\n' "task" "timed" "CLI (s)" "Python (s)" "ratio"
for task in predict encode; do
    label=$([ "$task" = predict ] && echo "predict all 423,624 cells" || echo "encode 10,000 real cells")
    for part in wall compute; do
        c=$(median "$work/cli_${task}_$part")
        p=$(median "$work/py_${task}_$part")
        printf '%-28s %-12s %9.2f %11.2f %7.3f\n' "$label" "$([ $part = wall ] && echo process || echo computation)" "$c" "$p" "$(echo "$p / $c" | bc -l)"
    done
done

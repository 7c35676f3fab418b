#!/usr/bin/env bash
# What a device call sends: the working tree (tracked files and untracked ones git does not
# ignore) plus the carried .gpu and .gl, at most 64 MiB in all. The shipped predictors' weights
# (43 MB) alone would leave no room for the CUDA binary, and run.sh needs none of them, so for the
# call they are taken out of git's index and ignored (the files stay where they are), and put back
# after it.
#
# Usage: bash scripts/gpu-bench/travel.sh size|stage|restore
#   size     prints what would travel, in MiB, and fails over 64 MiB
#   stage    takes the predictors' weights out of what travels (before the call)
#   restore  puts them back (after the call; also safe to run when nothing is staged)
set -euo pipefail
cd "$(dirname "$0")/../.."
away=(data/predictor/weights.safetensors data/predictor-reference/weights.safetensors)
exclude=.git/info/exclude
limit=$((64 * 1024 * 1024))

case ${1:-} in
  size)
    bytes=$( { git ls-files -z --cached --others --exclude-standard; find .gpu .gl -type f -print0 2>/dev/null || true; } |
      while IFS= read -r -d "" f; do if [ -f "$f" ]; then stat -c %s "$f"; fi; done | awk '{s += $1} END {print s + 0}')
    awk -v b="$bytes" 'BEGIN {printf "the device call would send %.1f MiB (at most 64 MiB)\n", b / 1048576}'
    [ "$bytes" -le "$limit" ] || { echo "travel.sh: over the limit; run 'travel.sh stage' first" >&2; exit 1; }
    ;;
  stage)
    git rm -q --cached -- "${away[@]}"
    for f in "${away[@]}"; do grep -qxF "/$f" "$exclude" 2>/dev/null || echo "/$f" >>"$exclude"; done
    echo "staged out: ${away[*]} (run 'travel.sh restore' after the call)"
    ;;
  restore)
    git reset -q -- "${away[@]}"
    for f in "${away[@]}"; do [ -f "$exclude" ] && sed -i "\|^/$f\$|d" "$exclude"; done
    git diff --quiet HEAD -- "${away[@]}" || { echo "travel.sh: ${away[*]} differ from HEAD" >&2; exit 1; }
    echo "restored: ${away[*]}"
    ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac

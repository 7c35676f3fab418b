"""Summarises the predictor study (scripts/predictor-study.sh): one Markdown row per recipe with
the mean ± sd over its seeds of the VALIDATION part's Kendall τ, RMSE and top-10 % precision at
the epoch each run kept, the training cells, the kept epoch and the mean wall time of a run.
The test part is not read here; `vsgae eval-predictor --part test` reads it once, at the end.

Usage: python3 scripts/summarize-predictor-study.py RUNS"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def spread(values: list[float], digits: int) -> str:
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def main(runs: Path) -> None:
    groups = defaultdict(list)
    for results in sorted(runs.glob("*/results.json")):
        recipe = results.parent.name.rsplit("-s", 1)[0]
        groups[recipe].append(json.loads(results.read_text()))
    print("| recipe | training cells | seeds | epochs (kept) | validation τ | validation RMSE | validation top-10 % | wall time per run |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for recipe, rows in sorted(groups.items(), key=lambda kv: (kv[1][0]["train_cells"], kv[0])):
        validation = [r["validation"] for r in rows]
        kept = ", ".join(str(r.get("result_epoch") or r["epochs"]) for r in rows)
        print(
            f"| {recipe} | {rows[0]['train_cells']:,} | {len(rows)} | {rows[0]['epochs']} ({kept}) "
            f"| {spread([v['kendall_tau'] for v in validation], 3)} "
            f"| {spread([v['rmse'] for v in validation], 4)} "
            f"| {spread([v['top_10pct_precision'] for v in validation], 3)} "
            f"| {statistics.fmean(r['wall_seconds'] for r in rows):,.0f} s |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))

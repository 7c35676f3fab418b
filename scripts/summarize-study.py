"""Summarises a stability study (scripts/stability-study.sh): one Markdown row per model,
training size and sampling method with the mean ± std over seeds of the test RMSE and Kendall τ,
the seeds counted, the epochs and the mean wall time of a run."""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def main(out: Path) -> None:
    groups = defaultdict(list)
    for results in sorted(out.glob("*/results.json")):
        model = results.parent.name.split("-")[0]
        r = json.loads(results.read_text())
        if not r.get("test"):
            continue
        groups[(model, int(r["training_size"]), r["sampling"])].append(r)
    print("| model | training size | sampling | seeds | epochs | test RMSE | test Kendall τ | wall time per run |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    names = {
        "plain": "GNN predictor (end to end)",
        "latent": "head on frozen VS-GAE latents",
        "finetuned": "VS-GAE encoder, fine-tuned",
    }
    for (model, size, sampling), runs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        def spread(key):
            values = [r["test"][key] for r in runs]
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            return f"{statistics.mean(values):.4f} ± {std:.4f}"
        wall = statistics.mean(r.get("wall_seconds", float("nan")) for r in runs)
        print(
            f"| {names.get(model, model)} | {size} % | {sampling} | {len(runs)} | {runs[0]['epochs']} "
            f"| {spread('rmse')} | {spread('kendall_tau')} | {wall:.0f} s |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))

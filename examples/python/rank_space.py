"""Ranks NAS-Bench-101's whole search space (423,624 cells) with the shipped predictor, prints
the best cells with their 95 % intervals, and plots the top cells' predicted accuracy.

    pip install ./crates/vsgae-py matplotlib
    python examples/python/rank_space.py --top 50 --plot top-cells.png

matplotlib is optional: without it the script prints the ranking and says it drew no plot.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import vsgae


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=50, help="how many of the best cells to show")
    parser.add_argument("--plot", default="top-cells.png", help="where to draw the plot (PNG)")
    args = parser.parse_args()

    started = time.perf_counter()
    space = vsgae.space()
    predictor = vsgae.Predictor.load()
    predicted, intervals = predictor.predict(space, interval=0.95)
    seconds = time.perf_counter() - started
    print(f"predicted {len(space):,} cells in {seconds:.1f} s ({len(space) / seconds:,.0f} cells/s)")

    best = np.argsort(-predicted, kind="stable")[: args.top]
    for rank, k in enumerate(best[:10], start=1):
        low, high = intervals[k]
        print(f"{rank:3d}. {predicted[k]:.4f} [{low:.4f}, {high:.4f}]  {space[int(k)]}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot drawn (pip install matplotlib)")
        return
    ranks = np.arange(1, len(best) + 1)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.errorbar(
        ranks,
        predicted[best],
        yerr=[predicted[best] - intervals[best, 0], intervals[best, 1] - predicted[best]],
        fmt="o",
        markersize=3,
        capsize=2,
    )
    ax.set_xlabel("rank by predicted accuracy")
    ax.set_ylabel("predicted validation accuracy (95 % interval)")
    ax.set_title(f"The {len(best)} best of {len(space):,} NAS-Bench-101 cells, as predicted")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"drew {args.plot}")


if __name__ == "__main__":
    main()

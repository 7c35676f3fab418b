"""Search: the same runs as the CLI's, and bad pools refused."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import vsgae


@pytest.mark.parametrize("method", ["random", "evolution", "latent-bo"])
def test_a_search_run_queries_what_the_clis_run_queries(method, first_1000_csv, cli, tmp_path) -> None:
    pool = vsgae.read_cells(first_1000_csv)
    result = vsgae.search(pool, method=method, budget=20, seed=0)
    cli.run(
        "vsgae", "search", "--pool", str(first_1000_csv), "--methods", method,
        "--seeds", "1", "--budget", "20", "--report-after", "20", "--threads", "1", "--out", str(tmp_path),
    )
    with (tmp_path / "curves.csv").open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["method"] == method]
    assert result.queried.hashes() == [row["cell"] for row in rows]
    np.testing.assert_array_equal(result.best_so_far, [float(row["best"]) for row in rows])
    assert result.best_accuracy == max(result.accuracies) == result.best_so_far[-1]
    assert result.best_cell.hash() in result.queried.hashes()


def test_pools_without_accuracies_and_bad_settings_are_refused() -> None:
    cells = vsgae.space()[:50]
    with pytest.raises(ValueError, match="the pool has no accuracies"):
        vsgae.search(cells, method="random")
    accuracies = np.linspace(0.8, 0.9, 50)
    result = vsgae.search(cells, method="random", budget=10, seed=1, accuracies=accuracies)
    assert len(result.queried) == 10
    with pytest.raises(ValueError, match="one of random, evolution, predictor-guided, latent-bo"):
        vsgae.search(cells, method="bayes", accuracies=accuracies)
    with pytest.raises(ValueError, match="budget"):
        vsgae.search(cells, method="random", budget=51, accuracies=accuracies)
    with pytest.raises(ValueError, match="50 cells but 3 accuracies"):
        vsgae.search(cells, method="random", accuracies=[0.1, 0.2, 0.3])

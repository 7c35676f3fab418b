"""The NASLib-style adapter on NAS-Bench-101 specs."""

from __future__ import annotations

import numpy as np
import pytest

import vsgae


class FakeNasLibArch:
    """What NASLib's NAS-Bench-101 search space hands a predictor: an object with get_spec()."""

    def __init__(self, cell: vsgae.Cell) -> None:
        self.spec = {"matrix": cell.adjacency.astype(np.int64), "ops": cell.ops}

    def get_spec(self) -> dict:
        return self.spec


def test_fit_and_query_on_naslib_specs_in_percent() -> None:
    cells = vsgae.space()[::1500]
    rng = np.random.default_rng(0)
    ytrain = 80 + 10 * rng.random(len(cells))
    xtrain = [FakeNasLibArch(cell) for cell in cells]
    adapter = vsgae.NasLibPredictor(epochs=2, ensemble_size=1, seed=0)
    assert adapter.get_data_reqs()["requires_partial_lc"] is False
    with pytest.raises(ValueError, match="query before fit"):
        adapter.query(xtrain)
    info = adapter.fit(xtrain, ytrain)
    assert np.isfinite(info["rmse"])
    # Specs as dicts, (matrix, ops) pairs and cells predict alike, in percent.
    dicts = [arch.get_spec() for arch in xtrain[:5]]
    pairs = [(spec["matrix"], spec["ops"]) for spec in dicts]
    predicted = adapter.query(dicts)
    assert predicted.dtype == np.float64 and predicted.shape == (5,)
    np.testing.assert_array_equal(adapter.query(pairs), predicted)
    np.testing.assert_allclose(predicted, adapter.predictor.predict(cells[:5]).astype(np.float64) * 100)


def test_unpruned_specs_are_pruned_and_bad_ones_refused() -> None:
    from vsgae.naslib import to_cell

    spec = {
        "matrix": np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]),
        "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"],
    }
    assert to_cell(spec) == vsgae.Cell.parse("010,001,000 | input,conv3x3-bn-relu,output")
    with pytest.raises(ValueError, match="needs 'matrix' and 'ops'"):
        to_cell({"matrix": spec["matrix"]})
    with pytest.raises(ValueError, match="not a NAS-Bench-101 architecture"):
        to_cell(42)
    with pytest.raises(ValueError, match="accuracy_scale"):
        vsgae.NasLibPredictor(accuracy_scale=0)

"""The predictor: the shipped one against the CLI, intervals, fitting, saving, and bad input."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import vsgae


@pytest.fixture(scope="module")
def shipped() -> vsgae.Predictor:
    return vsgae.Predictor.load()


def test_predictions_and_intervals_equal_the_clis_on_1000_real_cells(shipped, first_1000_csv, cli) -> None:
    cells = vsgae.read_cells(first_1000_csv)
    predicted, intervals = shipped.predict(cells, interval=0.95)
    assert predicted.dtype == np.float32 and predicted.shape == (1000,)
    assert intervals.shape == (1000, 2)
    rows = json.loads(cli.run("vsgae", "predict", "--model", "data/predictor", "--cells", str(first_1000_csv), "--json"))
    assert [row["hash"] for row in rows] == cells.hashes()
    np.testing.assert_allclose(predicted, [row["predicted"] for row in rows], rtol=0, atol=1e-6)
    np.testing.assert_allclose(intervals, [row["interval_95"] for row in rows], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(shipped.predict(cells), predicted)


def test_intervals_widen_with_their_level_and_other_levels_are_refused(shipped) -> None:
    cells = vsgae.space()[:64]
    predicted, narrow = shipped.predict(cells, interval=0.5)
    _, wide = shipped.predict(cells, interval=0.95)
    assert np.all(narrow[:, 0] <= predicted) and np.all(predicted <= narrow[:, 1])
    assert np.all(wide[:, 0] < narrow[:, 0]) and np.all(narrow[:, 1] < wide[:, 1])
    with pytest.raises(ValueError, match="0.5, 0.8 and 0.95"):
        shipped.predict(cells, interval=0.9)
    reference = vsgae.Predictor.load(reference=True)
    assert not reference.has_intervals and shipped.has_intervals
    with pytest.raises(ValueError, match="no calibrated intervals"):
        reference.predict(cells, interval=0.95)


def test_one_cell_a_list_and_cells_predict_alike(shipped) -> None:
    cells = vsgae.space()[1000:1003]
    together = shipped.predict(cells)
    assert shipped.predict(list(cells)).tolist() == together.tolist()
    assert shipped.predict(cells[1]).tolist() == [together[1]]
    with pytest.raises(ValueError, match="cells: expected vsgae.Cells"):
        shipped.predict(np.zeros((3, 7, 7)))
    with pytest.raises(ValueError, match="item 0 is int"):
        shipped.predict([1, 2])


def test_a_fitted_predictor_learns_saves_and_loads_in_python_and_the_cli(first_1000_csv, cli, tmp_path) -> None:
    cells = vsgae.read_cells(first_1000_csv)
    accuracies = cells.accuracies
    fitted = vsgae.Predictor.fit(
        cells, accuracies, epochs=5, ensemble_size=1, learning_rate=1e-3, schedule="constant", seed=0, progress=False
    )
    assert fitted.ensemble_size == 1 and not fitted.has_intervals
    predicted = fitted.predict(cells).astype(np.float64)
    # Five epochs already rank the cells it trained on far better than chance.
    ranks = lambda values: np.argsort(np.argsort(values))  # noqa: E731
    assert np.corrcoef(ranks(predicted), ranks(accuracies))[0, 1] > 0.3
    fitted.save(tmp_path / "fitted")
    again = vsgae.Predictor.load(tmp_path / "fitted")
    np.testing.assert_array_equal(again.predict(cells), fitted.predict(cells))
    rows = json.loads(cli.run("vsgae", "predict", "--model", str(tmp_path / "fitted"), "--cells", str(first_1000_csv), "--json"))
    np.testing.assert_allclose(predicted, [row["predicted"] for row in rows], rtol=0, atol=1e-6)


def test_fit_options_are_the_shipped_recipe_and_bad_ones_are_refused() -> None:
    options = vsgae.Predictor.fit_options()
    assert options["epochs"] == 40 and options["learning_rate"] == 1e-3 and options["ensemble_size"] == 4
    assert options["task"] == "all"
    cells = vsgae.space()[:10]
    accuracies = np.linspace(0.8, 0.9, 10)
    with pytest.raises(ValueError, match='unknown fit option "epoch"; the options are .*epochs'):
        vsgae.Predictor.fit(cells, accuracies, epoch=3)
    with pytest.raises(ValueError, match="epochs"):
        vsgae.Predictor.fit(cells, accuracies, epochs=0)
    with pytest.raises(ValueError, match="the fit options"):
        vsgae.Predictor.fit(cells, accuracies, epochs="many")
    with pytest.raises(ValueError, match="10 cells but 9 accuracies"):
        vsgae.Predictor.fit(cells, accuracies[:9])
    with pytest.raises(ValueError, match="accuracy 3 is NaN"):
        vsgae.Predictor.fit(cells, np.where(np.arange(10) == 3, np.nan, accuracies))


def test_model_folders_that_are_not_there_raise_file_not_found(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere: no such model folder"):
        vsgae.Predictor.load(tmp_path / "nowhere")
    half = tmp_path / "half"
    half.mkdir()
    shutil.copy(vsgae_data("predictor-reference") / "config.json", half / "config.json")
    with pytest.raises(FileNotFoundError, match="no weights.safetensors"):
        vsgae.Predictor.load(half)
    (half / "weights.safetensors").write_bytes(b"not weights")
    with pytest.raises(ValueError, match="half/weights.safetensors"):
        vsgae.Predictor.load(half)


def vsgae_data(folder: str):
    from conftest import REPO

    return REPO / "data" / folder

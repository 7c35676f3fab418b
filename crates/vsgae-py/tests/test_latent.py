"""The VS-GAE: encoding against the CLI, decoding round trips, interpolation, prior samples."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import vsgae
from conftest import REPO


@pytest.fixture(scope="module")
def model() -> vsgae.VsGae:
    return vsgae.VsGae.load()


@pytest.fixture(scope="module")
def some_cells() -> vsgae.Cells:
    # Every 2,000th cell of the space: all vertex counts from 4 to 7.
    return vsgae.space()[::2000]


def test_encodings_equal_the_clis(model, first_1000_csv, cli, tmp_path) -> None:
    cells = vsgae.read_cells(first_1000_csv)
    z = model.encode(cells)
    assert z.shape == (1000, model.latent_dim) == (1000, 56) and z.dtype == np.float32
    cli.run("vsgae", "encode", "--model", "data/vsgae", "--cells", str(first_1000_csv), "--out", str(tmp_path / "z.npy"))
    np.testing.assert_allclose(z, np.load(tmp_path / "z.npy"), rtol=0, atol=1e-6)


def test_decoding_the_means_gives_the_cells_back(model, some_cells) -> None:
    decoded = model.decode(model.encode(some_cells))
    assert len(decoded) == len(some_cells)
    assert all(cell is not None for cell in decoded), "masked decoding gives a cell for every point"
    same = sum(a == b for a, b in zip(decoded, some_cells))
    # The shipped model reconstructs about 97 % of cells.
    assert same / len(some_cells) >= 0.9, f"{same} of {len(some_cells)}"
    unmasked = model.decode(model.encode(some_cells), masked=False)
    assert sum(a == b for a, b in zip(unmasked, some_cells)) >= 0.9 * len(some_cells)


def test_interpolation_runs_from_one_cell_to_the_other(model, some_cells) -> None:
    decoded = model.decode(model.encode(some_cells))
    a, b = [cell for cell, back in zip(some_cells, decoded) if cell == back][:2]
    path = model.interpolate(a, b, 6)
    assert len(path) == 6 and all(cell is not None for cell in path)
    assert path[0] == a and path[-1] == b
    assert model.interpolate(a, b, 6, spherical=True)[-1] == b
    with pytest.raises(ValueError, match="steps 1"):
        model.interpolate(a, b, 1)


def test_prior_samples_are_valid_seeded_cells(model) -> None:
    cells = model.sample(40, seed=3)
    assert len(cells) == 40 and all(cell is not None for cell in cells)
    assert [c.hash() for c in model.sample(40, seed=3)] == [c.hash() for c in cells]
    assert [c.hash() for c in model.sample(40, seed=4)] != [c.hash() for c in cells]
    assert len({c.hash() for c in cells}) >= 30


def test_bad_points_raise_value_errors(model) -> None:
    with pytest.raises(ValueError, match=r"\(N, 56\)"):
        model.decode(np.zeros((2, 55)))
    with pytest.raises(ValueError, match="2-D"):
        model.decode(np.zeros(56))
    with pytest.raises(ValueError, match="finite"):
        model.decode(np.full((1, 56), np.nan))
    with pytest.raises(ValueError, match="expected an array of numbers"):
        model.decode([["a"] * 56])


def test_a_model_folder_without_a_prior_cannot_sample(tmp_path) -> None:
    folder = tmp_path / "vsgae"
    folder.mkdir()
    for name in ["config.json", "weights.safetensors"]:
        shutil.copy(REPO / "data" / "vsgae" / name, folder / name)
    model = vsgae.VsGae.load(folder)
    assert model.encode(vsgae.space()[:3]).shape == (3, 56)
    with pytest.raises(ValueError, match="no prior.json; `vsgae fit-prior"):
        model.sample(3)
    (folder / "prior.json").write_text("{")
    with pytest.raises(ValueError, match="prior.json"):
        vsgae.VsGae.load(folder)
    with pytest.raises(FileNotFoundError, match="no such model folder"):
        vsgae.VsGae.load(tmp_path / "nowhere")

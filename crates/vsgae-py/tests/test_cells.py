"""Cells one at a time and in bulk: construction, validation, the official hash, arrays, files."""

from __future__ import annotations

import numpy as np
import pytest

import vsgae

INCEPTION_LIKE = (
    [
        [0, 1, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"],
)


def test_the_nasbench_readme_cell_has_its_official_hash() -> None:
    matrix, ops = INCEPTION_LIKE
    cell = vsgae.Cell(matrix, ops)
    assert cell.hash() == "28cfc7874f6d200472e1a9dcd8650aa0"
    assert vsgae.Cell(np.array(matrix, dtype=np.uint8), ops) == cell
    assert vsgae.Cell(np.array(matrix, dtype=bool), ops).hash() == cell.hash()
    assert cell.num_vertices == 7 and cell.num_edges == 9
    assert cell.ops == ops
    np.testing.assert_array_equal(cell.adjacency, np.array(matrix, dtype=np.uint8))
    assert vsgae.Cell.parse(str(cell)) == cell
    assert len({cell, vsgae.Cell(matrix, ops)}) == 1


@pytest.mark.parametrize(
    ("matrix", "ops", "words"),
    [
        ([[0, 1], [0, 0]], ["input", "conv3x3-bn-relu", "output"], "3 operations given for 2 vertices"),
        ([[0, 1], [0, 0]], ["input", "conv5x5"], "unknown operation"),
        ([[0, 2], [0, 0]], ["input", "output"], "0/1"),
        ([[0, 1], [1, 0]], ["input", "output"], "upper-triangular"),
        ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", "maxpool3x3", "output"], "not connected"),
        ([[0, 1], [0, 0]], ["output", "input"], "vertex 0 must be the input"),
        ([[0] * 8] * 8, ["input"] + ["maxpool3x3"] * 6 + ["output"], "at most 7 vertices"),
        ("0110", ["input", "output"], "square 0/1 matrix"),
        ([[0, 1], [0, 0]], "input,output", "list of op names"),
        (None, ["input", "output"], "square 0/1 matrix"),
    ],
)
def test_bad_cells_raise_value_errors_that_name_the_problem(matrix: object, ops: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        vsgae.Cell(matrix, ops)


def test_pruning_removes_vertices_off_every_path_as_nasbench_does() -> None:
    # Vertex 2 feeds nothing: nasbench's ModelSpec prunes it; a strict Cell refuses it.
    matrix = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
    with pytest.raises(ValueError, match="vertex 2 is not on a path"):
        vsgae.Cell(matrix, ops)
    pruned = vsgae.Cell(matrix, ops, prune=True)
    assert pruned == vsgae.Cell.parse("010,001,000 | input,conv3x3-bn-relu,output")


def test_arrays_round_trip_and_bad_arrays_name_the_cell() -> None:
    cells = vsgae.Cells([vsgae.Cell(*INCEPTION_LIKE), vsgae.Cell.parse("010,001,000 | input,maxpool3x3,output")])
    adjacency, ops = cells.adjacency, cells.ops
    assert adjacency.shape == (2, 7, 7) and adjacency.dtype == np.uint8
    assert ops.shape == (2, 7) and ops.dtype == np.int64
    assert list(ops[1]) == [0, 3, 4, -1, -1, -1, -1]
    assert [vsgae.OPS[k] for k in ops[0]] == INCEPTION_LIKE[1]
    again = vsgae.Cells.from_arrays(adjacency, ops)
    assert again.hashes() == cells.hashes()
    broken = ops.copy()
    broken[1, 1] = 9
    with pytest.raises(ValueError, match="cell 1: op code 9"):
        vsgae.Cells.from_arrays(adjacency, broken)
    with pytest.raises(ValueError, match="integers or booleans"):
        vsgae.Cells.from_arrays(adjacency.astype(np.float32), ops)
    with pytest.raises(ValueError, match=r"\(N, 7, 7\)"):
        vsgae.Cells.from_arrays(adjacency[:, :6, :6], ops)


def test_cells_index_and_slice_like_a_sequence() -> None:
    assert len(vsgae.Cells()) == 0
    one = vsgae.Cell.parse("011,001,000 | input,conv3x3-bn-relu,output")
    two = vsgae.Cell.parse("010,001,000 | input,maxpool3x3,output")
    cells = vsgae.Cells([one, two, one])
    assert len(cells) == 3 and cells[0] == one and cells[-2] == two
    assert cells[1:].hashes() == [two.hash(), one.hash()]
    assert list(cells)[2] == one
    with pytest.raises(IndexError):
        cells[3]
    with pytest.raises(ValueError, match="item 1 is str"):
        vsgae.Cells([one, "010,001,000 | input,maxpool3x3,output"])


def test_the_search_space_has_every_unique_cell() -> None:
    space = vsgae.space()
    assert len(space) == 423_624
    assert len(set(space[:2000].hashes())) == 2000


def test_read_cells_reads_the_shared_data_with_hashes_the_cli_agrees_on(real_cells_csv, real_rows, cli) -> None:
    cells = vsgae.read_cells(real_cells_csv)
    assert len(cells) == len(real_rows) == 20_001
    # The file's hash column, recomputed by the package from each row's cell.
    assert cells.hashes() == [row["hash"] for row in real_rows]
    np.testing.assert_allclose(cells.accuracies, [float(row["val_acc_108"]) for row in real_rows], rtol=0, atol=0)
    # A cell built from each row's matrix and ops hashes as the CLI's `nasbench hash` does.
    for k in range(0, 20_001, 1000):
        row = real_rows[k]
        ops = row["operations"].split("|")
        matrix = [[int(c) for c in line] for line in row["adjacency_rows"].split(",")]
        cli_hash = cli.run("nasbench", "hash", "--matrix", row["adjacency_rows"], "--ops", ",".join(ops)).strip()
        assert vsgae.Cell(matrix, ops).hash() == cli_hash == row["hash"]


@pytest.mark.parametrize(
    "name",
    ["data/energy_4V9E.tfrecord", "fixtures/enc_data_sample.zip", "fixtures/vae_cells16.pth"],
)
def test_every_format_reads_the_cells_the_cli_reads(name, real_cells_csv, cli) -> None:
    import json

    path = real_cells_csv.parents[1] / name
    cells = vsgae.read_cells(path)
    summary = json.loads(cli.run("nasbench", "inspect", "--json", str(path)))
    assert len(cells) == summary["cells"] > 0
    assert len(set(cells.hashes())) == summary["cells"]
    with_metric = summary["cells_with_metric"].get("val_acc_108", 0)
    if with_metric:
        assert int(np.sum(~np.isnan(cells.accuracies))) == with_metric
    else:
        assert cells.accuracies is None


def test_bad_files_raise_errors_that_name_them(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no_such_file.csv"):
        vsgae.read_cells(tmp_path / "no_such_file.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.csv: empty file"):
        vsgae.read_cells(empty)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)))
    with pytest.raises(ValueError, match="garbage.bin: not a format"):
        vsgae.read_cells(garbage)
    bad_row = tmp_path / "bad_row.csv"
    bad_row.write_text('adjacency_rows,operations\n"011,001,000",input|conv9x9|output\n')
    with pytest.raises(ValueError, match="bad_row.csv: CSV line 2"):
        vsgae.read_cells(bad_row)
    with pytest.raises(ValueError, match='metric "top1"'):
        vsgae.read_cells(garbage, metric="top1")

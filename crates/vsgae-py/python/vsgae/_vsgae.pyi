"""Types of the compiled part of ``vsgae``."""

from os import PathLike
from typing import Any, Iterator, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str

OPS: list[str]
"""NAS-Bench-101's op names: ``input``, ``conv1x1-bn-relu``, ``conv3x3-bn-relu``,
``maxpool3x3``, ``output``. ``Cells.ops`` gives ops as indices into this list."""

CellsLike = Union["Cells", "Cell", Sequence["Cell"]]

class Cell:
    """A valid, pruned NAS-Bench-101 cell: input first, output last, at most 7 vertices and 9
    edges, every vertex on a path from input to output.

    ``adjacency`` is a square 0/1 matrix (nested lists or a numpy array, ``[i][j]`` the edge
    ``i -> j``, upper triangular); ``ops`` the vertices' op names (``vsgae.OPS``). Raises
    ``ValueError`` naming what is wrong. With ``prune=True``, vertices off every path from input
    to output are removed first, as nasbench's ``ModelSpec`` does.
    """

    def __init__(self, adjacency: Any, ops: Sequence[str], *, prune: bool = False) -> None: ...
    @staticmethod
    def parse(text: str) -> "Cell":
        """A cell written as ``adjacency rows | ops``, e.g.
        ``"011,001,000 | input,conv3x3-bn-relu,output"``."""
    def hash(self) -> str:
        """The official NAS-Bench-101 hash (32 hex digits), as nasbench's ``hash_module``."""
    @property
    def adjacency(self) -> npt.NDArray[np.uint8]:
        """The adjacency matrix, ``(n, n)`` of 0/1."""
    @property
    def ops(self) -> list[str]:
        """The vertices' op names."""
    @property
    def num_vertices(self) -> int: ...
    @property
    def num_edges(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Cells:
    """Many cells, indexable and sliceable, with the accuracies their file gave.

    ``Cells(sequence_of_cells)`` gathers ``Cell`` objects; ``Cells.from_arrays`` reads numpy
    arrays.
    """

    def __init__(self, cells: Optional[Sequence[Cell]] = None) -> None: ...
    @staticmethod
    def from_arrays(adjacency: npt.ArrayLike, ops: npt.ArrayLike) -> "Cells":
        """Cells from ``adjacency`` ``(N, 7, 7)`` of 0/1 and ``ops`` ``(N, 7)`` of indices into
        ``vsgae.OPS``, -1 past each cell's last vertex (the layout ``Cells.adjacency`` and
        ``Cells.ops`` give). Raises ``ValueError`` naming the first bad cell."""
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> Cell: ...
    @overload
    def __getitem__(self, index: slice) -> "Cells": ...
    def __iter__(self) -> Iterator[Cell]: ...
    @property
    def adjacency(self) -> npt.NDArray[np.uint8]:
        """``(N, 7, 7)`` adjacency matrices, zero past each cell's last vertex."""
    @property
    def ops(self) -> npt.NDArray[np.int64]:
        """``(N, 7)`` ops as indices into ``vsgae.OPS``, -1 past each cell's last vertex."""
    @property
    def accuracies(self) -> Optional[npt.NDArray[np.float64]]:
        """The metric ``read_cells`` read with each cell (NaN where a cell has none), or None."""
    def hashes(self) -> list[str]:
        """Each cell's official hash."""

def read_cells(path: Union[str, PathLike[str]], metric: str = "val_acc_108") -> Cells:
    """Every cell of a file in any format the CLI reads: our CSV, the official tfrecord, the
    reference's ``.pth`` files and zips (detected from the content), with ``metric``'s values as
    ``accuracies``. A missing file raises ``FileNotFoundError``, a malformed one ``ValueError``
    naming the file and the problem."""

def space() -> Cells:
    """Every cell of NAS-Bench-101's search space (423,624)."""

class Predictor:
    """A trained accuracy predictor: the VS-GAE paper's GNN encoder and MLP, or an ensemble of
    them with calibrated intervals."""

    @staticmethod
    def load(path: Union[str, PathLike[str], None] = None, *, reference: bool = False) -> "Predictor":
        """The predictor in a model folder (as ``vsgae train-predictor --out`` or ``save``
        writes), or without a path the shipped one: the best (an ensemble with calibrated
        intervals), or with ``reference=True`` the paper's predictor trained as the paper
        trains it."""
    def predict(self, cells: CellsLike, interval: Optional[float] = None) -> Any:
        """Predicted accuracies, float32 ``(N,)``, in one call for all cells. With ``interval``
        (0.5, 0.8 or 0.95) a pair ``(predictions, intervals)``, intervals ``(N, 2)`` of
        ``[low, high]`` that hold the truth for that share of cells."""
    @staticmethod
    def fit(cells: CellsLike, accuracies: npt.ArrayLike, *, progress: bool = True, **config: Any) -> "Predictor":
        """Trains a new predictor on ``cells`` and their ``accuracies`` (0-1) with the recipe of
        the shipped one: 90 % of the cells train and 10 % choose the best epoch. Keyword
        arguments change the recipe (``fit_options()`` lists them, e.g. ``epochs``,
        ``learning_rate``, ``ensemble_size``, ``seed``). A progress bar shows on a terminal;
        Ctrl-C stops it."""
    @staticmethod
    def fit_options() -> dict[str, Any]:
        """The keyword arguments ``fit`` takes, with their values in the shipped recipe."""
    def save(self, path: Union[str, PathLike[str]]) -> None:
        """Writes a model folder (``config.json``, ``weights.safetensors``) that ``load`` and the
        CLI's ``--model`` read."""
    @property
    def ensemble_size(self) -> int: ...
    @property
    def has_intervals(self) -> bool: ...
    @property
    def target(self) -> str:
        """The metric it predicts, e.g. ``val_acc_108``."""
    @property
    def config(self) -> str:
        """Its training config, as JSON."""

class VsGae:
    """A trained variational-sequential graph autoencoder and the prior its points are drawn from."""

    @staticmethod
    def load(path: Union[str, PathLike[str], None] = None) -> "VsGae":
        """The VS-GAE in a model folder (with its ``prior.json`` where it has one), or the
        shipped one with its prior."""
    @property
    def latent_dim(self) -> int: ...
    def encode(self, cells: CellsLike) -> npt.NDArray[np.float32]:
        """The encoder's latent means, ``(N, latent_dim)``."""
    def decode(
        self, z: npt.ArrayLike, *, masked: bool = True, greedy: bool = True, seed: int = 0
    ) -> list[Optional[Cell]]:
        """Decodes latent points ``(N, latent_dim)`` node by node: each point's most likely
        graph, or with ``greedy=False`` a sample. ``masked`` keeps each choice within
        NAS-Bench-101's rules, so every point gives a cell; unmasked, a point whose graph is no
        cell gives None."""
    def interpolate(
        self,
        a: Cell,
        b: Cell,
        steps: int = 8,
        *,
        spherical: bool = False,
        masked: bool = True,
        greedy: bool = True,
        seed: int = 0,
    ) -> list[Optional[Cell]]:
        """``steps`` cells from ``a`` to ``b``: their latent means joined by a line (or a great
        circle), each point decoded as ``decode`` does."""
    def sample(self, n: int, seed: int = 0, *, masked: bool = True, greedy: bool = True) -> list[Optional[Cell]]:
        """``n`` points drawn from the prior, each decoded as ``decode`` does."""

class SearchResult:
    """What one search run queried and found."""

    @property
    def queried(self) -> Cells:
        """The cells queried, in order, with the accuracies they revealed."""
    @property
    def accuracies(self) -> npt.NDArray[np.float64]: ...
    @property
    def best_so_far(self) -> npt.NDArray[np.float64]:
        """The best accuracy found after each query."""
    @property
    def best_cell(self) -> Optional[Cell]: ...
    @property
    def best_accuracy(self) -> Optional[float]: ...

def search(
    pool: CellsLike,
    method: str = "latent-bo",
    budget: int = 150,
    seed: int = 0,
    *,
    accuracies: Optional[npt.ArrayLike] = None,
    vsgae: Optional[VsGae] = None,
) -> SearchResult:
    """One search run over ``pool`` (cells whose accuracies ``read_cells`` read, or given as
    ``accuracies``), ``budget`` queries each revealing one cell's accuracy, seeded: the same run
    as the CLI's ``vsgae search`` for that seed. Methods: ``random``, ``evolution``,
    ``predictor-guided`` (BANANAS-style) and ``latent-bo`` (a Gaussian process in the VS-GAE's
    latent space, the shipped VS-GAE unless ``vsgae`` is given)."""

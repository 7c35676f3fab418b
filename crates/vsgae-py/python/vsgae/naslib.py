"""A predictor with NASLib's interface (``fit(xtrain, ytrain)``, ``query(xtest)``) on
NAS-Bench-101 cells, so the VS-GAE paper's predictor can run in NASLib's predictor experiments.

NASLib is not a dependency. To use it there, subclass NASLib's ``Predictor`` with this class
first, or register an instance where NASLib builds its predictors (see the README)::

    from naslib.predictors import Predictor
    from vsgae import NasLibPredictor

    class VsGaePredictor(NasLibPredictor, Predictor):
        pass
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from ._vsgae import Cell, Predictor


def to_cell(arch: Any) -> Cell:
    """A NAS-Bench-101 architecture as a ``vsgae.Cell``.

    Takes a ``vsgae.Cell``; a NASLib NAS-Bench-101 search-space object (its ``get_spec()``); a
    dict with ``matrix`` and ``ops`` (NASLib's spec, nasbench's ``ModelSpec`` fields); an object
    with ``matrix`` and ``ops`` attributes (nasbench's ``ModelSpec``); or a ``(matrix, ops)`` pair.
    Vertices off every path from input to output are pruned, as nasbench's ``ModelSpec`` does.
    """
    if isinstance(arch, Cell):
        return arch
    if hasattr(arch, "get_spec"):
        arch = arch.get_spec()
    if isinstance(arch, dict):
        if "matrix" not in arch or "ops" not in arch:
            raise ValueError(f"a NAS-Bench-101 spec needs 'matrix' and 'ops', found keys {sorted(arch)}")
        matrix, ops = arch["matrix"], arch["ops"]
    elif hasattr(arch, "matrix") and hasattr(arch, "ops"):
        matrix, ops = arch.matrix, arch.ops
    elif isinstance(arch, (tuple, list)) and len(arch) == 2:
        matrix, ops = arch
    else:
        raise ValueError(f"not a NAS-Bench-101 architecture: {type(arch).__name__}")
    return Cell(np.asarray(matrix), list(ops), prune=True)


class NasLibPredictor:
    """The VS-GAE paper's GNN predictor behind NASLib's predictor interface.

    ``fit`` trains a new predictor with the recipe of the shipped one (keyword arguments, given
    here or to ``fit``, change it: ``vsgae.Predictor.fit_options()`` lists them); ``query``
    predicts. NASLib gives NAS-Bench-101 accuracies in percent, so targets are divided by
    ``accuracy_scale`` (100) before training and predictions multiplied back.
    """

    def __init__(self, accuracy_scale: float = 100.0, progress: bool = False, **config: Any) -> None:
        if not accuracy_scale > 0:
            raise ValueError(f"accuracy_scale must be positive, found {accuracy_scale}")
        self.accuracy_scale = float(accuracy_scale)
        self.progress = progress
        self.config = dict(config)
        self.predictor: Predictor | None = None

    def pre_process(self) -> None:
        """Nothing to prepare: the cells are encoded as they come."""

    def get_data_reqs(self) -> dict:
        """What NASLib must hand ``fit``: the architectures and their accuracies, nothing more."""
        return {
            "requires_partial_lc": False,
            "metric": None,
            "requires_hyperparameters": False,
            "hyperparams": None,
            "unlabeled": False,
            "unlabeled_factor": 0,
        }

    def fit(self, xtrain: Iterable[Any], ytrain: Sequence[float], train_info: Any = None, **config: Any) -> dict:
        """Trains on the architectures ``xtrain`` and their accuracies ``ytrain``.

        Returns the root-mean-square error on ``xtrain``, in ``ytrain``'s units.
        """
        cells = [to_cell(arch) for arch in xtrain]
        targets = np.asarray(ytrain, dtype=np.float64) / self.accuracy_scale
        options = {**self.config, **config}
        self.predictor = Predictor.fit(cells, targets, progress=self.progress, **options)
        predicted = self.predictor.predict(cells).astype(np.float64)
        rmse = float(np.sqrt(np.mean((predicted - targets) ** 2))) * self.accuracy_scale
        return {"rmse": rmse}

    def query(self, xtest: Iterable[Any], info: Any = None) -> np.ndarray:
        """Predicted accuracies of the architectures ``xtest``, in ``ytrain``'s units."""
        if self.predictor is None:
            raise ValueError("query before fit: call fit(xtrain, ytrain) first")
        cells = [to_cell(arch) for arch in xtest]
        return self.predictor.predict(cells).astype(np.float64) * self.accuracy_scale

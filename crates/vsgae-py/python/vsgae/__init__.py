"""NAS-Bench-101 accuracy prediction and the VS-GAE's latent space, with trained models built in.

>>> import vsgae
>>> cells = vsgae.read_cells("nb101_val_20k.csv")
>>> vsgae.Predictor.load().predict(cells)[:3]

Every bulk call crosses into Rust once for the whole batch and releases the GIL while it
computes. Bad input raises ValueError, a missing file FileNotFoundError, anything else
RuntimeError, each with a message that names the problem.
"""

from ._vsgae import (
    OPS,
    Cell,
    Cells,
    Predictor,
    SearchResult,
    VsGae,
    __version__,
    read_cells,
    search,
    space,
)
from .naslib import NasLibPredictor

__all__ = [
    "OPS",
    "Cell",
    "Cells",
    "NasLibPredictor",
    "Predictor",
    "SearchResult",
    "VsGae",
    "__version__",
    "read_cells",
    "search",
    "space",
]

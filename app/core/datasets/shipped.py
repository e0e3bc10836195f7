"""The shipped sets: the 8×8 handwritten digits and Iris, stored in ``app/core/datasets/data/*.npz``
(see ``scripts/export_datasets.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=4)
def load_shipped(name: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """A shipped set as stored: x (n, d) raw dtype, y (n,) uint8, class names, feature names."""
    with np.load(DATA_DIR / f"{name}.npz", allow_pickle=False) as data:
        x, y = data["x"], data["y"]
        class_names = [str(c) for c in data["class_names"]]
        feature_names = [str(f) for f in data["feature_names"]]
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y, class_names, feature_names

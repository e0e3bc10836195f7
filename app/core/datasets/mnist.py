"""MNIST, read from the standard IDX files in ``Settings.mnist_dir`` (``app.core.datasets.idx``) and cached
while the files are unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from app.core.datasets import idx
from app.core.errors import InputError


@lru_cache(maxsize=1)
def _mnist_cached(folder: str, stamp: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """MNIST arrays, cached while the files' modification times (``stamp``) are unchanged."""
    arrays = idx.load_mnist(folder)
    for a in arrays:
        a.setflags(write=False)
    return arrays


def mnist_arrays(mnist_dir: Path | str | None, field: str) -> tuple[np.ndarray, ...]:
    """MNIST (x_train, y_train, x_test, y_test), or InputError if the folder is not set up."""
    files = idx.find_mnist_files(mnist_dir)
    if files is None:
        # The setting, not the folder: no server path in an error body (docs/API.md, "Errors").
        lacks = "the folder PLAYGROUND_MNIST_DIR names lacks the IDX files"
        where = "PLAYGROUND_MNIST_DIR is not set" if mnist_dir is None else lacks
        raise InputError(f"{field}.name", f"MNIST is not available: {where}")
    stamp = tuple(p.stat().st_mtime for p in files.values())
    try:
        return _mnist_cached(str(mnist_dir), stamp)
    except InputError as exc:
        raise InputError(f"{field}.name", f"MNIST files unusable: {exc.message}") from exc

"""One-off: regenerate ``app/core/datasets/data/digits.npz`` and ``app/core/datasets/data/iris.npz``.

Only needed to REGENERATE the shipped data; the app itself never runs this and does not depend on
scikit-learn. It needs scikit-learn, which reads the two public-domain UCI sets bundled inside its
own package (no network), so run it from a throwaway environment::

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn
    /tmp/skvenv/bin/python scripts/export_datasets.py

What is written (``np.savez_compressed``; every array loads with ``allow_pickle=False``):

``digits.npz`` — UCI "Optical Recognition of Handwritten Digits" (the 8×8 test set)
    ``x`` (1797, 64) uint8, pixel counts 0..16, row-major 8×8 images;
    ``y`` (1797,) uint8, labels 0..9; ``class_names`` (10,) str; ``feature_names`` (64,) str.
``iris.npz`` — Fisher's Iris
    ``x`` (150, 4) float32, centimetres; ``y`` (150,) uint8, labels 0..2;
    ``class_names`` (3,) str; ``feature_names`` (4,) str.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, load_iris

OUT = Path(__file__).resolve().parent.parent / "app" / "core" / "datasets" / "data"


def export_digits(path: Path) -> None:
    """Write the 8×8 digits as uint8 pixels (the values are exact integers 0..16)."""
    bunch = load_digits()
    x = bunch.data
    assert x.shape == (1797, 64) and x.min() == 0 and x.max() == 16
    assert np.array_equal(x, np.round(x))
    np.savez_compressed(
        path,
        x=x.astype(np.uint8),
        y=bunch.target.astype(np.uint8),
        class_names=np.array([str(c) for c in bunch.target_names]),
        feature_names=np.array(bunch.feature_names),
    )


def export_iris(path: Path) -> None:
    """Write Iris as float32 measurements in centimetres (one decimal in the source)."""
    bunch = load_iris()
    assert bunch.data.shape == (150, 4)
    np.savez_compressed(
        path,
        x=bunch.data.astype(np.float32),
        y=bunch.target.astype(np.uint8),
        class_names=np.array([str(c) for c in bunch.target_names]),
        feature_names=np.array(bunch.feature_names),
    )


def main() -> None:
    """Export both sets and print their sizes."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, export in (("digits", export_digits), ("iris", export_iris)):
        path = OUT / f"{name}.npz"
        export(path)
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()

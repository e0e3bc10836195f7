"""The train/validation/test split of a data set, standardised with training statistics only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.core.datasets.pool import Pool, padded_bounds, raw_pool
from app.core.datasets.request import DEFAULT_MAX_SAMPLES, Request, parse_request
from app.core.datasets.sampling import stratified_take
from app.core.errors import InputError


@dataclass(frozen=True, eq=False)
class Split:
    """A data set split into train/validation/test, standardised with training statistics.

    Attributes
    ----------
    x_train, x_val, x_test : np.ndarray, shape (n_split, n_features), float32, standardised
    y_train, y_val, y_test : np.ndarray, shape (n_split,), int64 in 0..n_classes-1
    n_features, n_classes : int
    class_names : list of str, length n_classes
    is_2d : bool
        A generated 2-D set (decision boundaries can be drawn).
    mean, std : np.ndarray, shape (n_features,), float64
        z = (raw − mean) / std. "raw" means the stored units: coordinates for 2-D sets, cm for
        Iris, pixel counts 0..16 for digits, [0, 1]-scaled pixels for MNIST.
    raw_bounds : ((x_min, x_max), (y_min, y_max)) or None
        For 2-D sets: the range of all points plus a 10 % margin, in raw coordinates.
    name, kind : str
        Data set id and ``"image" | "table" | "2d"``.
    image_shape : (rows, cols) or None
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_features: int
    n_classes: int
    class_names: list[str]
    is_2d: bool
    mean: npt.NDArray[np.float64]
    std: npt.NDArray[np.float64]
    raw_bounds: tuple[tuple[float, float], tuple[float, float]] | None
    name: str = ""
    kind: str = ""
    image_shape: tuple[int, int] | None = None

    def transform(self, raw: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Raw points (m, n_features) → model inputs (m, n_features) float32 (e.g. a grid)."""
        return ((np.asarray(raw, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def inverse_transform(self, z: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Model inputs (m, n_features) → raw units (m, n_features) float64."""
        return np.asarray(z, dtype=np.float64) * self.std + self.mean

    @property
    def sizes(self) -> dict[str, int]:
        """Number of samples in each split."""
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def _share(n: int, fraction: float) -> int:
    """Samples a split of ``fraction`` gets out of n: round(n·fraction), but ≥ 1 if fraction > 0."""
    return 0 if fraction == 0 else max(1, round(n * fraction))


def _moments(x: np.ndarray, scale: float, per_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of x·scale, shape (d,) each, float64, computed in row chunks (x may be uint8).

    per_feature=False gives the per-feature mean with one shared std: the root-mean-square of all
    centred entries. A std of 0 (a constant feature) becomes 1 so z stays finite.
    """
    n, d = x.shape
    chunks = range(0, n, 8192)
    mean = sum(x[i : i + 8192].sum(axis=0, dtype=np.float64) for i in chunks) * scale / n
    sq = sum(((x[i : i + 8192] * scale - mean) ** 2).sum(axis=0) for i in chunks) / n
    std = np.sqrt(sq) if per_feature else np.full(d, math.sqrt(float(np.mean(sq))))
    std[~(std > 1e-12)] = 1.0
    return mean, std


def _standardise(x: np.ndarray, mean: np.ndarray, std: np.ndarray, scale: float) -> np.ndarray:
    """z = (x·scale − mean) / std as float32, in row chunks (x may be uint8 pixels)."""
    out = np.empty(x.shape, dtype=np.float32)
    for i in range(0, len(x), 8192):
        out[i : i + 8192] = (x[i : i + 8192] * scale - mean) / std
    return out


Indices = npt.NDArray[np.intp]


def _test_split(
    pool: Pool, fraction: float, field: str, rng: np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], Indices]:
    """The test set — the official files (MNIST) or a stratified holdout of ``fraction`` of the
    pool — as ``(x_test (n_test, d), y_test (n_test,))``, and the indices of the rest of the pool."""
    if pool.test is not None:
        return pool.test, np.arange(len(pool.y))
    n_test = _share(len(pool.y), fraction)
    if n_test >= len(pool.y):
        raise InputError(f"{field}.n_samples", f"{len(pool.y)} samples leave nothing after the test split")
    test_idx, rest = stratified_take(pool.y, n_test, rng)
    return (pool.x[test_idx], pool.y[test_idx]), rest


def _validation_split(
    y: np.ndarray, rest: Indices, req: Request, field: str, rng: np.random.Generator
) -> tuple[Indices, Indices]:
    """Validation and training indices into the pool: a stratified ``val_fraction`` of ``rest``
    (disjoint from the test set), the remainder trimmed to ``train_limit``."""
    n_val = _share(len(rest), req.val_fraction)
    if n_val >= len(rest):
        raise InputError(
            f"{field}.n_samples",
            f"{len(y)} samples leave no training data after the test and validation splits",
        )
    val_pos, train_pos = stratified_take(y[rest], n_val, rng)
    val_idx, train_idx = rest[val_pos], rest[train_pos]
    if req.train_limit is not None and req.train_limit < len(train_idx):
        keep, _ = stratified_take(y[train_idx], req.train_limit, rng)
        train_idx = train_idx[keep]
    return val_idx, train_idx


def load_dataset(
    spec: dict[str, Any],
    mnist_dir: Path | str | None = None,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    *,
    field: str = "dataset",
    data_dir: Path | str | None = None,
) -> Split:
    """Build the train/validation/test split a training job asks for.

    Parameters
    ----------
    spec : dict
        The ``dataset`` object of docs/API.md: ``name`` (required), ``n_samples``, ``noise``,
        ``classes``, ``seed`` (default 0), ``train_limit``, ``val_fraction`` (default 0.2),
        ``test_fraction`` (default 0.2; ignored for MNIST, whose official test files are the
        test split). A fraction of 0 gives an empty split (shape (0, n_features)); a fraction
        > 0 always gives at least one sample. Missing/None fields take defaults; fields a set
        does not use (``noise``/``classes`` for digits, ``classes`` for moons, …) are ignored.
        ``n_samples`` is the number of points to generate, or for shipped sets and MNIST the size
        of a stratified subsample (None or more than the set holds → the whole set).
    mnist_dir : Path, optional
        ``Settings.mnist_dir``; needed only for ``name == "mnist"``.
    max_samples : int
        ``Settings.max_samples``: the largest ``n_samples`` accepted (and a cap on loaded sets).
    field : str
        Prefix for error field names (``"dataset"`` → ``"dataset.n_samples"``).
    data_dir : Path, optional
        ``Settings.data_dir``: where uploaded sets (``name == "upload:<hex>"``) are stored.

    Returns
    -------
    Split

    Raises
    ------
    InputError
        Unknown name, MNIST not configured or unreadable, a value out of bounds, or too few
        samples to give every split at least one.
    """
    req = parse_request(spec, max_samples, field)
    # generation uses default_rng(seed); splitting an independent child stream of the same seed
    rng = np.random.default_rng(np.random.SeedSequence(req.seed).spawn(1)[0])
    pool = raw_pool(req, mnist_dir, max_samples, field, rng, data_dir)
    x, y = pool.x, pool.y
    (x_test, y_test), rest = _test_split(pool, req.test_fraction, field, rng)
    val_idx, train_idx = _validation_split(y, rest, req, field, rng)

    # standardise with training statistics only (images: per-pixel mean, one shared std)
    mean, std = _moments(x[train_idx], pool.scale, per_feature=pool.kind != "image")
    return Split(
        x_train=_standardise(x[train_idx], mean, std, pool.scale),
        y_train=y[train_idx],
        x_val=_standardise(x[val_idx], mean, std, pool.scale),
        y_val=y[val_idx],
        x_test=_standardise(x_test, mean, std, pool.scale),
        y_test=y_test,
        n_features=int(x.shape[1]),
        n_classes=len(pool.class_names),
        class_names=list(pool.class_names),
        is_2d=pool.kind == "2d",
        mean=mean,
        std=std,
        raw_bounds=padded_bounds(x) if pool.kind == "2d" else None,
        name=req.name,
        kind=pool.kind,
        image_shape=pool.image_shape,
    )

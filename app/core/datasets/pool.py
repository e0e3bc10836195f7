"""The pool: the samples a request is drawn from, generated or loaded (and subsampled)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.datasets import store
from app.core.datasets.catalogue import CATALOGUE
from app.core.datasets.generated import GENERATORS
from app.core.datasets.mnist import mnist_arrays
from app.core.datasets.request import Request
from app.core.datasets.sampling import subsample
from app.core.datasets.shipped import load_shipped
from app.core.datasets.upload_common import is_upload_id


@dataclass(frozen=True, eq=False)
class Pool:
    """The data before splitting.

    x (n, d) in the stored dtype; y (n,) int64; test = the official (x, y) test set or None;
    scale multiplies x into raw units (1/255 for MNIST pixels, else 1); kind = "image" | "table" | "2d".
    """

    x: np.ndarray
    y: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None
    class_names: list[str]
    scale: float = 1.0
    image_shape: tuple[int, int] | None = None
    feature_names: list[str] | None = None
    kind: str = "table"


def raw_pool(
    req: Request,
    mnist_dir: Path | str | None,
    max_samples: int,
    field: str,
    rng: np.random.Generator,
    data_dir: Path | str | None = None,
) -> Pool:
    """Generate, or load and subsample, the samples a request is drawn from (uploads from ``data_dir``)."""
    if is_upload_id(req.name):
        return _upload_pool(req, data_dir, max_samples, field, rng)
    info = CATALOGUE[req.name]
    if info.generated:
        n = req.n_samples if req.n_samples is not None else min(info.n_samples, max_samples)
        noise = info.default_noise if req.noise is None else req.noise
        kwargs: dict[str, Any] = {"n_samples": n, "noise": noise, "seed": req.seed}
        if info.variable_classes:
            kwargs["classes"] = req.classes if req.classes is not None else info.n_classes
        x, y = GENERATORS[req.name](**kwargs)
        n_classes = kwargs.get("classes", info.n_classes)
        return Pool(x, y, None, [str(k) for k in range(n_classes)], feature_names=["x", "y"], kind="2d")
    if req.name == "mnist":
        x_tr, y_tr, x_te, y_te = mnist_arrays(mnist_dir, field)
        pool = subsample(y_tr, min(req.n_samples or len(y_tr), max_samples), rng)
        test = subsample(y_te, min(len(y_te), max_samples), rng)
        shape = (int(x_tr.shape[1]), int(x_tr.shape[2]))
        x_tr, x_te = x_tr.reshape(len(x_tr), -1), x_te.reshape(len(x_te), -1)  # 28×28 → 784
        return Pool(
            x_tr[pool],
            y_tr[pool].astype(np.int64),
            (x_te[test], y_te[test].astype(np.int64)),
            [str(k) for k in range(10)],
            scale=1.0 / 255.0,
            image_shape=shape,
            kind="image",
        )
    x, y, class_names, feature_names = load_shipped(req.name)
    pool = subsample(y, min(req.n_samples or len(y), max_samples), rng)
    return Pool(
        x[pool],
        y[pool].astype(np.int64),
        None,
        class_names,
        image_shape=info.image_shape,
        feature_names=feature_names,
        kind=info.kind,
    )


def _upload_pool(
    req: Request, data_dir: Path | str | None, max_samples: int, field: str, rng: np.random.Generator
) -> Pool:
    """An uploaded set (``app.core.datasets.store``), subsampled like a shipped one; IDX uploads with
    test files keep them as the test split, as MNIST does."""
    meta = store.read_meta(data_dir, req.name)
    arrays = store.load_arrays(data_dir, req.name, field)
    if meta is None:  # deleted between the two reads
        raise store.not_found(req.name, f"{field}.name")
    x, y = arrays["x"], arrays["y"]
    pool = subsample(y, min(req.n_samples or len(y), max_samples), rng)
    test = None
    if "x_test" in arrays:
        x_te, y_te = arrays["x_test"], arrays["y_test"]
        keep = subsample(y_te, min(len(y_te), max_samples), rng)
        test = (x_te[keep], y_te[keep].astype(np.int64))
    image_shape = meta.get("image_shape")
    return Pool(
        x[pool],
        y[pool].astype(np.int64),
        test,
        [str(c) for c in arrays["class_names"]],
        scale=1.0 / 255.0 if meta["kind"] == "image" else 1.0,
        image_shape=(int(image_shape[0]), int(image_shape[1])) if image_shape else None,
        feature_names=list(meta.get("feature_names") or []) or None,
        kind=str(meta["kind"]),
    )


def padded_bounds(x: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_min, x_max), (y_min, y_max)) of 2-D points widened by 10 % of the range (≥ 0.1)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    margin = np.maximum(0.1 * (hi - lo), 0.1)
    (x0, y0), (x1, y1) = lo - margin, hi + margin
    return (float(x0), float(x1)), (float(y0), float(y1))

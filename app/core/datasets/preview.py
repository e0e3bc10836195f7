"""A preview of a data set: a few raw samples to show on the page."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from app.core.datasets.pool import Pool, padded_bounds, raw_pool
from app.core.datasets.request import DEFAULT_MAX_SAMPLES, parse_request

PREVIEW_MAX_IMAGES = 64


def preview_dataset(
    spec: dict[str, Any],
    mnist_dir: Path | str | None = None,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    limit: int = 200,
    *,
    field: str = "dataset",
    data_dir: Path | str | None = None,
) -> dict[str, Any]:
    """A few raw samples to show on the page (no splitting, no standardisation).

    Parameters
    ----------
    spec : dict
        As for ``load_dataset`` (only name, n_samples, noise, classes, seed matter).
    limit : int
        Most samples returned; images are further capped at ``PREVIEW_MAX_IMAGES``.
    data_dir : Path, optional
        ``Settings.data_dir``, for uploaded sets.

    Returns
    -------
    dict
        Always ``id``, ``kind``, ``class_names``, ``n_total``, ``label`` [m]. Plus, for 2-D sets,
        ``x`` [m], ``y`` [m] and ``bounds`` {"x": [lo, hi], "y": [lo, hi]}; for images,
        ``image_shape`` [rows, cols], ``value_range`` [lo, hi] and ``images`` [m][rows][cols];
        for tables, ``feature_names`` [d] and ``rows`` [m][d].
    """
    req = parse_request(spec, max_samples, field)
    pool = raw_pool(req, mnist_dir, max_samples, field, np.random.default_rng(req.seed), data_dir)
    out: dict[str, Any] = {
        "id": req.name,
        "kind": pool.kind,
        "class_names": pool.class_names,
        "n_total": len(pool.y),
    }
    if pool.kind == "2d":
        out.update(_points(pool, limit))
    elif pool.kind == "image":
        out.update(_images(pool, min(limit, PREVIEW_MAX_IMAGES), req.name))
    else:
        out.update(_rows(pool, limit))
    return out


def _points(pool: Pool, limit: int) -> dict[str, Any]:
    """The first ``limit`` points of a 2-D set: ``x`` [m], ``y`` [m], ``label`` [m], ``bounds``."""
    x, y = pool.x, pool.y
    m = min(limit, len(y))
    (x0, x1), (y0, y1) = padded_bounds(x)
    return {
        "x": x[:m, 0].round(5).tolist(),
        "y": x[:m, 1].round(5).tolist(),
        "label": y[:m].tolist(),
        "bounds": {"x": [x0, x1], "y": [y0, y1]},
    }


def _images(pool: Pool, limit: int, name: str) -> dict[str, Any]:
    """Up to ``limit`` images cycling through the classes (first of each class, then second, …)
    so every digit shows: ``image_shape``, ``value_range``, ``images`` [m][rows][cols], ``label``."""
    x, y = pool.x, pool.y
    m = min(limit, len(y))
    order = np.lexsort((y, _rank_within_class(y)))[:m]
    shape = pool.image_shape or (math.isqrt(x.shape[1]),) * 2
    return {
        "image_shape": list(shape),
        "value_range": [0, 16] if name == "digits" else [0, 255],
        "images": x[order].reshape(m, *shape).astype(int).tolist(),
        "label": y[order].tolist(),
    }


def _rows(pool: Pool, limit: int) -> dict[str, Any]:
    """The first ``limit`` rows of a table: ``feature_names`` [d], ``rows`` [m][d], ``label`` [m]."""
    m = min(limit, len(pool.y))
    return {
        "feature_names": pool.feature_names,
        "rows": np.asarray(pool.x[:m], dtype=np.float64).round(4).tolist(),
        "label": pool.y[:m].tolist(),
    }


def _rank_within_class(y: np.ndarray) -> np.ndarray:
    """For each sample, how many earlier samples share its class (0 for the first of each)."""
    rank = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        rank[members] = np.arange(len(members))
    return rank

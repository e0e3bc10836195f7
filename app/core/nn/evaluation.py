"""Evaluating a trained MLP: loss and accuracy, the confusion matrix, a 2-D decision boundary.

Everything here runs the network in inference mode (no dropout; batch norm with its running
statistics), as docs/telemetry.md describes for the validation curves and the final summary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.datasets import Split
from app.core.nn.network import MLP
from app.core.nn.telemetry import finite_or_none

#: Grid points per axis of a decision boundary.
BOUNDARY_GRID = 60
#: Most training points sent with a decision boundary.
BOUNDARY_POINTS = 400


def evaluate(net: MLP, x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """Mean cross-entropy and accuracy of ``net`` on ``x`` ``(N, D)``, ``y`` ``(N,)`` (None, None for N = 0)."""
    if len(y) == 0:
        return None, None
    logits = net.logits(x)
    loss = net.loss_layer.forward(logits, y)
    acc = float(np.mean(np.argmax(logits, axis=1) == y))
    return finite_or_none(loss), acc


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> list[list[int]]:
    """C×C counts: row = true class, column = predicted class."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, dtype=np.intp), np.asarray(y_pred, dtype=np.intp)), 1)
    counts: list[list[int]] = m.tolist()
    return counts


def _identity(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def decision_boundary(net: MLP, data: Any, n: int = BOUNDARY_GRID, points: np.ndarray | None = None) -> dict[str, Any]:
    """Class predictions on an n×n grid over a 2-D data set's raw range.

    Returns ``{"x": [n], "y": [n], "z": [[n] × n] (z[i][j] = class at (x[j], y[i])),
    "points": {"x", "y", "label"}}`` in raw (unstandardised) coordinates; ``points`` indexes the
    training samples sent along (the first ``BOUNDARY_POINTS`` when None).
    """
    bounds = getattr(data, "raw_bounds", None)
    to_raw = getattr(data, "inverse_transform", None)
    to_model = getattr(data, "transform", None)
    x_train = data.x_train
    if to_raw is None or to_model is None:  # no transform known: draw in model coordinates
        to_raw = to_model = _identity
    raw_train = to_raw(x_train)
    if bounds is None:
        lo, hi = raw_train.min(axis=0), raw_train.max(axis=0)
        pad = np.maximum(0.1 * (hi - lo), 0.1)
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    gx = np.linspace(bounds[0][0], bounds[0][1], n)
    gy = np.linspace(bounds[1][0], bounds[1][1], n)
    xx, yy = np.meshgrid(gx, gy)  # xx[i, j] = gx[j], yy[i, j] = gy[i]
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    z = net.predict(np.asarray(to_model(grid), dtype=net.dtype)).reshape(n, n)
    idx = points if points is not None else np.arange(min(len(x_train), BOUNDARY_POINTS))
    pts = raw_train[idx]
    return {
        "x": [float(v) for v in gx],
        "y": [float(v) for v in gy],
        "z": z.astype(int).tolist(),
        "points": {
            "x": [finite_or_none(v) for v in pts[:, 0]],
            "y": [finite_or_none(v) for v in pts[:, 1]],
            "label": [int(v) for v in data.y_train[idx]],
        },
    }


def final_metrics(net: MLP, data: Split) -> dict[str, Any]:
    """Loss and accuracy on every split, and the test confusion matrix (None without test samples)."""
    out: dict[str, Any] = {}
    for split in ("train", "val", "test"):
        x = getattr(data, f"x_{split}")
        y = np.asarray(getattr(data, f"y_{split}"), dtype=np.intp)
        out[f"{split}_loss"], out[f"{split}_acc"] = evaluate(net, x, y)
    y_test = np.asarray(data.y_test, dtype=np.intp)
    out["confusion"] = confusion_matrix(y_test, net.predict(data.x_test), int(data.n_classes)) if len(y_test) else None
    return out

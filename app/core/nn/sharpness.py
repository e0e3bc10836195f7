"""Sharpness during training: λ_max of the training loss's Hessian every N steps (docs/landscape.md).

Cohen et al. (2021), "Gradient descent on neural networks typically occurs at the edge of
stability": with full-batch gradient descent at step size η, the sharpness λ_max rises until it
reaches 2/η — the value above which GD on a quadratic with that curvature diverges — and then hovers
there while the loss keeps falling, non-monotonically. Each estimate here is a power iteration on
Hessian-vector products (``hessian.py``) on a fixed subset of the training data, warm-started from
the previous eigenvector, and is reported with the threshold 2/η of the current learning rate.
The loss is the objective the optimizer minimises: mean cross-entropy plus the L1/L2 penalty, batch
norm on the subset's own statistics (as training computes it), no dropout. For adaptive optimizers
(Adam, RMSProp …) 2/η is not their stability limit (their step is preconditioned); the chart still
shows it, labelled as GD's threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.nn.config import SharpnessConfig
from app.core.nn.hessian import LossCurvature, top_eigenvalue
from app.core.nn.landscape import flatten
from app.core.nn.network import MLP
from app.core.nn.telemetry import finite_or_none


class SharpnessProbe:
    """Estimates λ_max of a training run's loss every ``config.every`` steps.

    Parameters
    ----------
    config : SharpnessConfig
    x, y : np.ndarray, shapes (N, D), (N,)
        The training split; the first ``config.samples`` of an evenly strided subset are used.
    l1, l2 : float
        The run's penalties.
    seed : int
        Seed of the first power iteration's random start.
    """

    def __init__(self, config: SharpnessConfig, x: np.ndarray, y: np.ndarray, l1: float, l2: float, seed: int) -> None:
        self.config = config
        idx = np.unique(np.linspace(0, len(y) - 1, min(len(y), config.samples)).astype(np.intp))
        self.x, self.y = x[idx], y[idx]
        self.l1, self.l2, self.seed = l1, l2, seed
        self._v: np.ndarray | None = None

    def due(self, step: int) -> bool:
        """True at step 0 and every ``every`` steps."""
        return step % self.config.every == 0

    def measure(self, net: MLP, step: int, lr: float) -> dict[str, Any]:
        # λ_max is the largest algebraic eigenvalue (hessian.top_eigenvalue: a shifted second
        # power iteration when negative curvature dominates), so the chart never shows a negative "sharpness"
        # for a loss that has positive curvature somewhere.
        """The ``sharpness`` event: ``{"step", "lambda_max", "threshold"}`` (threshold = 2/η; None when not finite)."""
        mode = "batch" if any(b.bn is not None for b in net.blocks) else "eval"
        curvature = LossCurvature(net, self.x, self.y, mode=mode, l1=self.l1, l2=self.l2)
        theta = flatten(net.params())
        with np.errstate(all="ignore"):
            lam, v = top_eigenvalue(curvature, theta, self.config.iterations, seed=self.seed, start=self._v)
        self._v = v if np.all(np.isfinite(v)) else None
        return {
            "step": int(step),
            "lambda_max": finite_or_none(lam),
            "threshold": finite_or_none(2.0 / lr) if lr > 0 else None,
            "iterations": curvature.gradient_evaluations // 2,
        }

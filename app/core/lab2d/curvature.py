"""Curvature of a surface: Hessian eigenvalues and eigen-directions, and the learning-rate
thresholds they set for gradient descent and momentum (docs/stability.md).

Near a minimum f ≈ ½ δᵀHδ, so each eigen-direction of H (eigenvalue λ) evolves on its own:
plain GD multiplies it by 1 − ηλ each step, stable while η < 2/λ; heavy-ball momentum
(v ← μv − ηg, θ ← θ + v) is stable while η < 2(1 + μ)/λ; Nesterov's look-ahead form while
η < 2(1 + μ)/((1 + 2μ)λ). The binding direction is the one with λ_max.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from app.core.lab2d.surfaces import Surface

Array = npt.NDArray[np.float64]

STABLE_RULES = {"sgd": "gd", "momentum": "momentum", "nesterov": "nesterov"}
"""Optimizer id → the stability rule that applies to it (others have no closed-form threshold)."""


def stable_rule(optimizer: str) -> str | None:
    """``"gd"``, ``"momentum"`` or ``"nesterov"`` for the optimizers with a known threshold, else ``None``."""
    return STABLE_RULES.get(optimizer)


def eigen(surface: Surface, points: Array) -> tuple[Array, Array]:
    """Hessian eigenvalues and unit eigenvectors at points (m, 2).

    Returns
    -------
    eigenvalues : (m, 2) ascending: ``[λ_min, λ_max]``.
    eigenvectors : (m, 2, 2) with ``eigenvectors[i, j]`` the unit direction of eigenvalue ``j``
        (rows, unlike ``numpy.linalg.eigh``'s columns), NaN where the Hessian is not finite.
    """
    h = surface.hessian(points)
    ok = np.isfinite(h).all(axis=(1, 2))
    w = np.full((len(points), 2), np.nan)
    v = np.full((len(points), 2, 2), np.nan)
    if ok.any():
        wk, vk = np.linalg.eigh(h[ok])
        w[ok], v[ok] = wk, np.swapaxes(vk, 1, 2)
    return w, v


def lambda_max(surface: Surface, point: Array) -> float | None:
    """λ_max of the Hessian at ``point`` (2,); ``None`` when not finite or not positive.

    For H = [[a, b], [b, c]]: λ_max = (a + c)/2 + √(((a − c)/2)² + b²) (no eigen-solver needed).
    """
    (a, b), (_, c) = surface.hessian(np.asarray(point, dtype=float).reshape(2)).tolist()
    lam = 0.5 * (a + c) + math.hypot(0.5 * (a - c), b)
    return lam if math.isfinite(lam) and lam > 0 else None


def threshold_for(rule: str, lam: float, params: Mapping[str, float]) -> float:
    """The learning rate below which ``rule`` is stable on curvature ``lam`` > 0."""
    mu = float(params.get("momentum", 0.9))
    if rule == "momentum":
        return 2.0 * (1.0 + mu) / lam
    if rule == "nesterov":
        return 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * lam)
    return 2.0 / lam


def stability_threshold(surface: Surface, rule: str, params: Mapping[str, float], point: Array) -> float | None:
    """``rule``'s threshold at ``point`` (2,), or ``None`` where λ_max is not positive."""
    lam = lambda_max(surface, point)
    return None if lam is None else threshold_for(rule, lam, params)


def global_lambda_max(surface: Surface) -> float | None:
    """λ_max of the Hessian at the first (global) minimum; ``None`` without known minima."""
    if not surface.minima:
        return None
    return lambda_max(surface, np.asarray(surface.minima[0], dtype=float))

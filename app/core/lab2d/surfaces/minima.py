"""Minima: estimating them numerically for surfaces without a known list, and the distance from
points to the nearest known one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.core.lab2d.surfaces.base import Array, Point, Surface


def _grid_minima_candidates(surface: Surface, n: int = 61, k: int = 8) -> Array:
    """Interior grid points no higher than their 8 neighbours, lowest first: (m, 2), m ≤ k."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    z = surface.value(np.stack([gx, gy], axis=-1))
    z = np.where(np.isfinite(z), z, np.inf)
    centre = z[1:-1, 1:-1]
    is_min = np.isfinite(centre)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= centre <= z[1 + di : n - 1 + di, 1 + dj : n - 1 + dj]
    rows, cols = np.nonzero(is_min)
    order = np.argsort(centre[rows, cols], kind="stable")[:k]
    rows, cols = rows[order] + 1, cols[order] + 1
    return np.stack([gx[rows, cols], gy[rows, cols]], axis=-1)


def estimate_minima(surface: Surface, iterations: int = 60) -> list[Point]:
    """Refine grid candidates with damped Newton steps; see :class:`ExpressionSurface`."""
    p = _grid_minima_candidates(surface)
    if len(p) == 0:
        return []
    (x0, x1), (y0, y1) = surface.domain
    width = max(x1 - x0, y1 - y0)
    steps = 0.5 ** np.arange(0, 30)  # backtracking factors t = 1, 1/2, …, 2⁻²⁹
    with np.errstate(all="ignore"):
        f = surface.value(p)
        for _ in range(iterations):
            g = surface.gradient(p)
            h = surface.hessian(p)
            if not (np.isfinite(g).all() and np.isfinite(h).all()):
                bad = ~(np.isfinite(g).all(axis=1) & np.isfinite(h).all(axis=(1, 2)))
                g[bad] = 0.0
                h[bad] = np.eye(2)
            # Newton step with |eigenvalues| (a descent direction even where H is indefinite).
            w, v = np.linalg.eigh(h)
            floor = 1e-10 * (1.0 + np.abs(w).max(axis=1, keepdims=True))
            w = np.maximum(np.abs(w), floor)
            step = -np.einsum("kij,kj->ki", v, np.einsum("kji,kj->ki", v, g) / w)
            length = np.linalg.norm(step, axis=1, keepdims=True)
            step = np.where(length > 0.25 * width, step * (0.25 * width / np.maximum(length, 1e-300)), step)
            # Backtracking: the largest t whose value satisfies Armijo's condition.
            trial = p[:, None, :] + steps[None, :, None] * step[:, None, :]
            ft = surface.value(trial)
            slope = np.einsum("ki,ki->k", g, step)
            armijo = ft <= f[:, None] + 1e-4 * steps[None, :] * slope[:, None]
            armijo &= np.isfinite(ft)
            found = armijo.any(axis=1)
            first = np.argmax(armijo, axis=1)
            t = np.where(found, steps[first], 0.0)
            moves = t[:, None] * step
            if not (np.abs(moves) > 1e-14 * width).any():
                break  # every candidate has converged (or cannot descend any further)
            p = p + moves
            f = np.where(found, ft[np.arange(len(p)), first], f)
        g = surface.gradient(p)
        h = surface.hessian(p)
    scale = max(1.0, float(np.nanmax(np.abs(f)))) / width if np.isfinite(f).any() else 1.0
    kept: list[tuple[float, Point]] = []
    for i in range(len(p)):
        if not (np.isfinite(p[i]).all() and np.isfinite(f[i]) and np.isfinite(h[i]).all()):
            continue
        inside = x0 - 1e-9 <= p[i, 0] <= x1 + 1e-9 and y0 - 1e-9 <= p[i, 1] <= y1 + 1e-9
        stationary = np.linalg.norm(g[i]) <= 1e-7 * scale
        lam = np.linalg.eigvalsh(h[i])
        psd = lam.min() >= -1e-8 * (1.0 + abs(lam).max())
        if inside and stationary and psd:
            point = (float(p[i, 0]), float(p[i, 1]))
            if all(math.dist(point, q) > 1e-6 * width for _, q in kept):
                kept.append((float(f[i]), point))
    kept.sort(key=lambda item: item[0])
    return [q for _, q in kept]


def split_global(surface: Surface, minima: list[Point]) -> tuple[list[Point], list[Point]]:
    """Split minima sorted by value into those as low as the first (relative 1e-9) and the rest."""
    if not minima:
        return [], []
    values = surface.value(np.array(minima))
    best = float(values[0])
    tol = 1e-9 * (1.0 + abs(best))
    glob = [m for m, v in zip(minima, values, strict=True) if v - best <= tol]
    local = [m for m, v in zip(minima, values, strict=True) if v - best > tol]
    return glob, local


def nearest_minimum(surface: Surface, points: Array | Sequence[float]) -> tuple[Array, Array]:
    """The closest known minimum to each point and its Euclidean distance.

    Parameters
    ----------
    surface : its ``minima`` (global and local) are the candidates.
    points : (..., 2).

    Returns
    -------
    nearest : (..., 2) — NaN where the surface lists no minima or the point is not finite.
    distance : (...) — NaN likewise.
    """
    pts = np.asarray(points, dtype=float)
    shape = pts.shape[:-1]
    flat = pts.reshape(-1, 2)
    minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
    nearest = np.full(flat.shape, np.nan)
    distance = np.full(flat.shape[0], np.nan)
    if len(minima) == 0:
        return nearest.reshape(*shape, 2), distance.reshape(shape)
    chunk = max(1, 2_000_000 // len(minima))  # bounds the (chunk, m) distance matrix
    with np.errstate(all="ignore"):
        for lo in range(0, len(flat), chunk):
            block = flat[lo : lo + chunk]
            d2 = ((block[:, None, :] - minima[None, :, :]) ** 2).sum(axis=-1)
            finite = np.isfinite(d2).all(axis=1)
            idx = np.argmin(np.where(np.isfinite(d2), d2, np.inf), axis=1)
            rows = np.nonzero(finite)[0]
            nearest[lo + rows] = minima[idx[rows]]
            distance[lo + rows] = np.sqrt(d2[rows, idx[rows]])
    return nearest.reshape(*shape, 2), distance.reshape(shape)

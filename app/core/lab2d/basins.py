"""Which minimum each run of a start map reached, and the rounding floor for its final loss
(docs/surfaces.md, "Basins and the rounding floor").

A run *reached* minimum m when its final point lies within ``BASIN_RADIUS`` · (the domain's
larger side) of m, the nearest known minimum; otherwise (or when it diverged) its basin is −1.
A final loss within ``ROUNDING_FLOOR`` · (1 + |f_m|) of the nearest minimum's value f_m is
reported as exactly f_m, the global minima sharing the lowest of their values: float64 leaves
values such as 1e-31 near a minimum of value 0, and a log-scaled map would draw that noise as
structure.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from app.core.lab2d.surfaces import Surface

Array = npt.NDArray[np.float64]
Indices = npt.NDArray[np.int_]

BASIN_RADIUS = 0.01
"""A run reached a minimum when it ends within this fraction of the domain's larger side of it."""

ROUNDING_FLOOR = 1e-12
"""|f − f_min| ≤ this · (1 + |f_min|) counts as exactly f_min."""


def minima_values(surface: Surface) -> Array:
    """(m,) f at each known minimum, the global ones all set to the lowest of their values."""
    if not surface.minima:
        return np.zeros(0)
    values = surface.value(np.asarray(surface.minima, dtype=float))
    n_global = len(surface.global_minima)
    if n_global:
        values[:n_global] = values[:n_global].min()
    return values


def nearest_minima(surface: Surface, final: Array) -> tuple[Indices, Array]:
    """Index of the nearest known minimum to each point (N, 2) and the distance to it.

    Returns (N,) indices into ``surface.minima`` (−1 without minima or for a non-finite point) and
    (N,) distances (NaN there).
    """
    n = len(final)
    nearest, distance = np.full(n, -1), np.full(n, np.nan)
    if not surface.minima:
        return nearest, distance
    minima = np.asarray(surface.minima, dtype=float)
    chunk = max(1, 2_000_000 // len(minima))  # bounds the (chunk, m) distance matrix
    with np.errstate(all="ignore"):
        for lo in range(0, n, chunk):
            d2 = ((final[lo : lo + chunk, None, :] - minima[None, :, :]) ** 2).sum(axis=-1)
            ok = np.isfinite(d2).all(axis=1)
            idx = np.argmin(np.where(np.isfinite(d2), d2, np.inf), axis=1)
            nearest[lo : lo + chunk] = np.where(ok, idx, -1)
            distance[lo : lo + chunk] = np.where(ok, np.sqrt(d2[np.arange(len(idx)), idx]), np.nan)
    return nearest, distance


def basins(surface: Surface, nearest: Indices, distance: Array, diverged: npt.NDArray[np.bool_]) -> Indices:
    """(N,) basin index of each run: its nearest minimum (from :func:`nearest_minima`) when it
    ended within the basin radius of it and did not diverge, else −1."""
    (x0, x1), (y0, y1) = surface.domain
    radius = BASIN_RADIUS * max(x1 - x0, y1 - y0)
    with np.errstate(invalid="ignore"):
        reached = (nearest >= 0) & (distance <= radius) & ~diverged
    return np.where(reached, nearest, -1)


def snap_to_minima(surface: Surface, nearest: Indices, final_loss: Array) -> Array:
    """``final_loss`` (N,) with values within the rounding floor of the nearest minimum's value
    (``nearest`` from :func:`nearest_minima`) set to exactly that value."""
    values = minima_values(surface)
    if not len(values):
        return final_loss
    f_min = values[np.maximum(nearest, 0)]
    with np.errstate(invalid="ignore"):
        close = (nearest >= 0) & (np.abs(final_loss - f_min) <= ROUNDING_FLOOR * (1.0 + np.abs(f_min)))
    return np.where(close, f_min, final_loss)

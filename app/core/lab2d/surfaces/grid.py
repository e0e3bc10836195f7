"""Contour grids: f sampled on an n×n grid, with linear or logarithmic contour levels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.errors import InputError
from app.core.lab2d.surfaces.base import Array, Surface

MAX_BOUND = 1e6  # |x|, |y| of a requested plotting window
LOG_OFFSET = 1e-4  # lowest log level sits this fraction of the value range above the minimum


@dataclass(frozen=True)
class SurfaceGrid:
    """f sampled on a grid: ``z[i, j] = f(x[j], y[i])``; NaN where f is not finite."""

    x: Array  # (n,)
    y: Array  # (n,)
    z: Array  # (n, n)
    levels: Array  # (L,) contour values, increasing
    z_min: float | None
    z_max: float | None


def _bounds(surface: Surface, bounds: Sequence[float | None] | None) -> tuple[float, float, float, float]:
    (dx0, dx1), (dy0, dy1) = surface.domain
    defaults = (dx0, dx1, dy0, dy1)
    names = ("x_min", "x_max", "y_min", "y_max")
    given = list(bounds) if bounds is not None else [None] * 4
    if len(given) != 4:
        raise InputError("bounds", "give x_min, x_max, y_min, y_max", "grid.bounds_incomplete")
    out = []
    for name, value, default in zip(names, given, defaults, strict=True):
        v = default if value is None else float(value)
        if not math.isfinite(v) or abs(v) > MAX_BOUND:
            raise InputError(
                name,
                f"must be a finite number with |{name}| <= {MAX_BOUND:g}",
                "grid.bound_range",
                {"limit": MAX_BOUND},
            )
        out.append(v)
    x0, x1, y0, y1 = out
    if not x0 < x1:
        raise InputError("x_max", f"must be greater than x_min ({x0:g})", "grid.bounds_order", {"min": x0})
    if not y0 < y1:
        raise InputError("y_max", f"must be greater than y_min ({y0:g})", "grid.bounds_order", {"min": y0})
    return x0, x1, y0, y1


def contour_levels(z: Array, scale: str, count: int = 30) -> tuple[Array, float | None, float | None]:
    """Contour values for the finite entries of ``z``.

    ``linear``: ``count`` equally spaced values strictly between min and max.
    ``log``: with span = z_max − z_min and ε = LOG_OFFSET·span, the shifted values
    s = z − z_min + ε range over [ε, span + ε]; the levels are ``count`` values of s spaced
    evenly in log s from ε (exclusive) to span + ε (inclusive), mapped back as z_min − ε + s. Most
    levels therefore sit just above the minimum, which draws the floors of narrow valleys
    (Rosenbrock, ill-conditioned bowls) that linear levels miss.

    Returns
    -------
    levels (L,), z_min, z_max (None when no entry is finite).
    """
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.empty(0), None, None
    lo, hi = float(finite.min()), float(finite.max())
    with np.errstate(all="ignore"):
        span = hi - lo
        if not math.isfinite(span):
            # Values too far apart for float64 differences: fall back to the central 98%.
            lo_q, hi_q = np.percentile(finite, [1, 99])
            span = float(hi_q - lo_q)
        if not (span > 0 and math.isfinite(span)):
            return np.array([lo]), lo, hi
        eps = LOG_OFFSET * span
        if scale == "linear" or not (eps > 0 and math.isfinite(span + eps)):
            # Linear levels also when the span is so small (subnormal) that ε underflows to 0,
            # or so large that span + ε overflows: a geometric sequence needs 0 < ε < ∞.
            levels = np.linspace(lo, lo + span, count + 2)[1:-1]
        else:
            shifted = np.geomspace(eps, span + eps, count + 1)[1:]
            levels = lo - eps + shifted
    levels = levels[np.isfinite(levels)]
    return levels, lo, hi


def grid(
    surface: Surface,
    n: int = 120,
    scale: str = "log",
    bounds: Sequence[float | None] | None = None,
    levels: int = 30,
) -> SurfaceGrid:
    """Sample f on an n×n grid for contour plots.

    Parameters
    ----------
    surface : the surface.
    n : points per axis (≥ 2; the API caps it with ``max_grid``).
    scale : ``"log"`` or ``"linear"`` contour levels (see :func:`contour_levels`).
    bounds : optional (x_min, x_max, y_min, y_max); ``None`` entries use the surface's domain.
    levels : number of contour levels.

    Returns
    -------
    SurfaceGrid with x (n,), y (n,), z (n, n) where ``z[i, j] = f(x[j], y[i])``.
    """
    if n < 2:
        raise InputError("n", "must be at least 2", "grid.too_few_points", {"min": 2})
    if scale not in ("log", "linear"):
        raise InputError("scale", f"must be 'log' or 'linear', got {scale!r}", "grid.scale", {"value": str(scale)[:20]})
    x0, x1, y0, y1 = _bounds(surface, bounds)
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)  # gx[i, j] = xs[j], gy[i, j] = ys[i]
    z = surface.value(np.stack([gx, gy], axis=-1))
    z = np.where(np.isfinite(z), z, np.nan)
    lv, z_min, z_max = contour_levels(z, scale, levels)
    return SurfaceGrid(x=xs, y=ys, z=z, levels=lv, z_min=z_min, z_max=z_max)

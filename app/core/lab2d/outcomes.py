"""How a run on a 2-D surface ended: converged, still moving, diverged or escaped (docs/stability.md).

Computed after the run from its recorded positions and losses, so the simulation loop stays as
it is. The rules, with f_ref = the surface's lowest known minimum value (f₀ when it lists none):

- **diverged**: a position or f was non-finite (f = −∞ at a finite position excepted), or f rose
  beyond the divergence bound, or at some step
  f − f_ref > ``DIVERGENCE_GROWTH`` · max(f₀ − f_ref, tiny) while f was rising; ``step`` is the
  first step where that happened.
- **escaped**: the run ends outside the plotting domain (widened by ``ESCAPE_MARGIN`` of its
  width on every side), below f₀ and not rising (a saddle or a surface unbounded below); ``step``
  is the first position outside it.
- **converged**: ‖∇f‖ at the end ≤ ``CONVERGED_GRADIENT`` · ‖∇f(start)‖ (at least 1e-8), the
  last step ≤ ``CONVERGED_STEP`` · the domain's width and, on a surface with known minima, the end
  within ``CONVERGED_DISTANCE`` · the domain's width of one (a slow crawl along Rosenbrock's flat
  valley floor has a tiny gradient and tiny steps but is still moving).
- **moving**: anything else.

``exit`` is where the path first crosses the plotting domain's edge and the unit direction it was
going; ``minimum`` the known minimum nearest the end of a converged or moving run; ``stable``
the learning-rate threshold of GD and heavy-ball/Nesterov momentum at a minimum
(:mod:`app.core.lab2d.curvature`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.lab2d.curvature import stability_threshold, stable_rule
from app.core.lab2d.surfaces import Domain, Surface

Array = npt.NDArray[np.float64]

DIVERGENCE_GROWTH = 1e3
"""A run diverges once f − f_ref exceeds this factor times f₀ − f_ref while rising."""

ESCAPE_MARGIN = 0.0
"""Escaping means ending outside the domain widened by this fraction of its width on each side
(0: the plotting domain itself, so every path that leaves the plot falling is called escaped)."""

CONVERGED_GRADIENT = 1e-2
"""Converged: final ‖∇f‖ at most this fraction of the starting ‖∇f‖ …"""

CONVERGED_STEP = 1e-3
"""… and the last step at most this fraction of the domain's width …"""

CONVERGED_DISTANCE = 1e-2
"""… and, where the surface lists minima, the end this fraction of the domain's width from one."""


@dataclass(frozen=True)
class Outcome:
    """The status of one run and what goes with it (the API's ``outcome`` object)."""

    status: str
    step: int | None
    exit: dict[str, list[float]] | None
    minimum: dict[str, object] | None
    stable: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form: status, step, exit, minimum, stable (new containers, one level deep:
        ``dataclasses.asdict`` deep-copies every value, a tenth of a small request's time)."""
        return {
            "status": self.status,
            "step": self.step,
            "exit": None if self.exit is None else {key: list(value) for key, value in self.exit.items()},
            "minimum": None if self.minimum is None else dict(self.minimum),
            "stable": dict(self.stable),
        }


def reference_value(surface: Surface, f0: float) -> float:
    """f_ref: the lowest value among the surface's known minima, or f₀ when it lists none."""
    if not surface.minima:
        return f0
    values = surface.value(np.asarray(surface.minima, dtype=float))
    finite = values[np.isfinite(values)]
    return float(finite.min()) if len(finite) else f0


def grew_too_much(f0: Array, f_final: Array, f_ref: float) -> npt.NDArray[np.bool_]:
    """(N,) the growth rule on final values only (sweeps keep no path): f − f_ref above
    ``DIVERGENCE_GROWTH`` · max(f₀ − f_ref, tiny), for starts f₀ (N,) or one start (scalar array)."""
    base = np.maximum(f0 - f_ref, 1e-3 * (1.0 + abs(f_ref)))
    with np.errstate(invalid="ignore"):
        return np.asarray(f_final - f_ref > DIVERGENCE_GROWTH * base)


def divergence_step(loss: Array, f_ref: float, invalid: float | None) -> int | None:
    """First step where the growth rule fires, or where the run left the finite, bounded region.

    Parameters
    ----------
    loss : (n,) f at the run's valid positions (n ≥ 1).
    f_ref : reference value (see :func:`reference_value`).
    invalid : f at the first position that was not kept (index n), or ``None`` if all were kept;
        NaN/+inf or a value above the last valid one is a divergence, −inf or a value below it
        (f falling past the bound) is not.
    """
    f0 = float(loss[0])
    base = max(f0 - f_ref, 1e-3 * (1.0 + abs(f_ref)))
    with np.errstate(invalid="ignore"):
        rising = np.zeros(len(loss), dtype=bool)
        rising[1:] = loss[1:] > loss[:-1]
        fired = np.nonzero(rising & (loss - f_ref > DIVERGENCE_GROWTH * base))[0]
    if len(fired):
        return int(fired[0])
    if invalid is not None and (np.isnan(invalid) or invalid >= loss[-1]):
        return len(loss)
    return None


def _widened(domain: Domain, margin: float) -> Domain:
    (x0, x1), (y0, y1) = domain
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    return (x0 - dx, x1 + dx), (y0 - dy, y1 + dy)


def _outside(path: Array, domain: Domain) -> npt.NDArray[np.bool_]:
    """(n,) True where a position (n, 2) lies outside the rectangle (non-finite counts as outside)."""
    (x0, x1), (y0, y1) = domain
    with np.errstate(invalid="ignore"):
        inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
    return ~inside


def exit_point(path: Array, domain: Domain) -> dict[str, list[float]] | None:
    """Where the path (n, 2) first goes from inside the domain to outside: the crossing on the edge.

    Returns ``{"point": [x, y], "direction": [dx, dy]}`` with a unit direction, or ``None`` when the
    path never leaves (or never was inside).
    """
    out = _outside(path, domain)
    crossings = np.nonzero(~out[:-1] & out[1:] & np.isfinite(path[1:]).all(axis=1))[0]
    if not len(crossings):
        return None
    k = int(crossings[0])
    a, b = path[k], path[k + 1]
    d = b - a
    # Largest t in [0, 1] keeping a + t·d inside each of the four edges (a is inside).
    (x0, x1), (y0, y1) = domain
    t = 1.0
    for coord, lo, hi in ((0, x0, x1), (1, y0, y1)):
        if d[coord] > 0:
            t = min(t, (hi - a[coord]) / d[coord])
        elif d[coord] < 0:
            t = min(t, (lo - a[coord]) / d[coord])
    point = a + t * d
    unit = d / np.abs(d).max()  # scaled first, so a step of 1e300 does not overflow the norm
    direction = unit / np.linalg.norm(unit)
    return {"point": [float(point[0]), float(point[1])], "direction": [float(direction[0]), float(direction[1])]}


def _escape_step(path: Array, loss: Array, domain: Domain, fell_past_bound: bool) -> int | None:
    """First position outside the widened domain when the run ends there, below f₀ and not rising."""
    out = _outside(path, _widened(domain, ESCAPE_MARGIN))
    falling = fell_past_bound or len(loss) < 2 or bool(loss[-1] <= loss[-2])
    if not (falling and loss[-1] < loss[0]):
        return None
    if out[-1]:
        return int(np.argmax(out))
    return len(path) if fell_past_bound else None


def _converged(surface: Surface, path: Array, domain: Domain) -> bool:
    """‖∇f‖ at the end small against ‖∇f(start)‖, the last step small, and near a known minimum."""
    if len(path) < 2:
        return False
    g = surface.gradient(path[[0, -1]])
    g0, g_end = (float(v) for v in np.linalg.norm(g, axis=1))
    width = max(domain[0][1] - domain[0][0], domain[1][1] - domain[1][0])
    last_step = float(np.linalg.norm(path[-1] - path[-2]))
    if not (g_end <= max(CONVERGED_GRADIENT * g0, 1e-8) and last_step <= CONVERGED_STEP * width):
        return False
    index = nearest_minimum_index(surface, path[-1])
    if index is None:
        return True
    distance = float(np.linalg.norm(path[-1] - np.asarray(surface.minima[index], dtype=float)))
    return distance <= CONVERGED_DISTANCE * width


def nearest_minimum_index(surface: Surface, point: Array) -> int | None:
    """Index into ``surface.minima`` of the known minimum closest to ``point`` (2,); ``None`` if none."""
    if not surface.minima or not np.isfinite(point).all():
        return None
    minima = np.asarray(surface.minima, dtype=float)
    return int(np.argmin(((minima - point) ** 2).sum(axis=1)))


def minimum_entry(surface: Surface, index: int) -> dict[str, object]:
    """``{"point", "value", "global"}`` for ``surface.minima[index]`` (global ones come first)."""
    point = surface.minima[index]
    value = float(surface.value(np.asarray(point, dtype=float)))
    return {"point": [point[0], point[1]], "value": value, "global": index < len(surface.global_minima)}


def stability(surface: Surface, optimizer: str, params: Mapping[str, float], index: int | None) -> dict[str, object]:
    """The run's stable-range check at ``surface.minima[index]`` (docs/stability.md)."""
    rule = stable_rule(optimizer)
    threshold = None
    if rule is not None and index is not None:
        threshold = stability_threshold(surface, rule, params, np.asarray(surface.minima[index], dtype=float))
    inside = None if threshold is None else bool(float(params.get("lr", 0.0)) < threshold)
    return {"rule": rule, "threshold": threshold, "inside": inside}


def run_outcome(
    surface: Surface,
    path: Array,
    loss: Array,
    invalid: tuple[Array, float] | None,
    optimizer: str = "",
    params: Mapping[str, float] | None = None,
) -> Outcome:
    """The outcome of one run from its valid positions.

    Parameters
    ----------
    surface : the surface the run was on.
    path : (n, 2) the run's valid positions, ``path[0]`` the start.
    loss : (n,) f at them.
    invalid : the first position that was not kept (non-finite or beyond the bound) and f there,
        or ``None`` when the run kept every position.
    optimizer, params : the run's optimizer id and resolved hyperparameters (for ``stable``).
    """
    domain = surface.domain
    f_ref = reference_value(surface, float(loss[0]))
    full_path = path if invalid is None else np.vstack([path, invalid[0][None, :]])
    # A non-finite position is a divergence whatever f did; a finite one past the bound with f
    # falling (f → −∞) is not.
    invalid_f = None if invalid is None else invalid[1] if np.isfinite(invalid[0]).all() else math.nan
    step = divergence_step(loss, f_ref, invalid_f)
    status = "diverged" if step is not None else "moving"
    if step is None:
        step = _escape_step(path, loss, domain, fell_past_bound=invalid is not None)
        status = "escaped" if step is not None else status
    if status == "moving" and _converged(surface, path, domain):
        status = "converged"
    minimum = None
    index = nearest_minimum_index(surface, path[-1])
    if status in ("converged", "moving") and index is not None:
        minimum = minimum_entry(surface, index)
    if index is None:  # a non-finite end: the minimum nearest the start
        index = nearest_minimum_index(surface, path[0])
    stable = stability(surface, optimizer, params or {}, index)
    return Outcome(status, step, exit_point(full_path, domain), minimum, stable)

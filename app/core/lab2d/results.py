"""JSON-ready results of recorded runs: per-step arrays, the final summary and the outcome.

The summary's ``outcome`` follows ``app/core/lab2d/outcomes.py`` (docs/stability.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from app.core.lab2d.outcomes import Outcome, run_outcome
from app.core.lab2d.surfaces import Surface, nearest_minimum
from app.core.lab2d.trajectory import Array, Simulation, clean


def run_summary(
    surface: Surface, sim: Simulation, i: int, optimizer: str = "", params: Mapping[str, float] | None = None
) -> dict[str, object]:
    """Final point, loss, nearest minimum and outcome of run ``i`` as JSON-ready values.

    With a recording, ``outcome`` follows the rules of ``app/core/lab2d/outcomes.py``
    (docs/stability.md) and ``diverged`` is ``outcome.status == "diverged"``; ``diverged_at`` is
    the first position the engine could not keep (non-finite or beyond the bound) or, for a run
    that stayed within the bound, the step where the growth rule fired.
    """
    final = sim.final[i]
    summary: dict[str, object] = {
        "diverged": bool(sim.diverged[i]),
        "diverged_at": int(sim.alive_until[i]) if sim.diverged[i] else None,
        "final_point": clean(final),
        "final_loss": clean(sim.final_loss[i]),
        "nearest_min": None,
        "distance_to_min": None,
    }
    if surface.minima:
        nearest, dist = nearest_minimum(surface, final[None, :])
        summary["nearest_min"] = clean(nearest[0])
        summary["distance_to_min"] = clean(dist[0])
    if sim.recording is not None:
        outcome = recorded_outcome(surface, sim, i, optimizer, params)
        diverged = outcome.status == "diverged"
        summary["diverged"] = diverged
        summary["diverged_at"] = (int(sim.alive_until[i]) if sim.diverged[i] else outcome.step) if diverged else None
        summary["outcome"] = outcome.as_dict()
    return summary


def recorded_outcome(
    surface: Surface, sim: Simulation, i: int, optimizer: str = "", params: Mapping[str, float] | None = None
) -> Outcome:
    """The outcome of recorded run ``i`` (see ``app/core/lab2d/outcomes.py``)."""
    n = int(sim.alive_until[i])  # valid positions: path[0 .. n-1]
    invalid = None
    if n <= sim.path.shape[0] - 1 and sim.diverged[i]:
        invalid = (sim.path[n, i], float(sim.loss[n, i]))
    if n == 0:  # the start itself was invalid (cannot happen through the API)
        return Outcome("diverged", 0, None, None, {"rule": None, "threshold": None, "inside": None})
    return run_outcome(surface, sim.path[:n, i], sim.loss[:n, i], invalid, optimizer, params)


def run_record(
    surface: Surface,
    sim: Simulation,
    i: int,
    with_state: bool = True,
    optimizer: str = "",
    params: Mapping[str, float] | None = None,
) -> dict[str, object]:
    """Per-step arrays of run ``i`` (up to its last valid position) plus its summary."""
    n = int(sim.alive_until[i])  # valid positions: path[0 .. n-1]
    rec: dict[str, object] = {
        "path": clean(sim.path[:n, i]),
        "loss": clean(sim.loss[:n, i]),
        "grad": clean(sim.grad[:n, i]),
        "update": clean(sim.update[: max(n - 1, 0), i]),
        "lr": clean(sim.lr[: max(n - 1, 0), i]),
        "state": {k: clean(v[: max(n - 1, 0), i]) for k, v in sim.state.items()} if with_state else {},
    }
    if surface.minima:
        pts = sim.path[:n, i]
        rec["distance"] = clean(nearest_minimum(surface, pts)[1])
    rec.update(run_summary(surface, sim, i, optimizer, params))
    return rec


PER_STEP_ARRAYS = ("grad", "update", "lr", "state", "distance")
"""The per-step arrays a trajectory answer may leave out (``path`` and ``loss`` are always sent)."""


def run_arrays(
    surface: Surface, sim: Simulation, i: int, arrays: Collection[str] = PER_STEP_ARRAYS, every: int = 1
) -> dict[str, object]:
    """Per-step arrays of run ``i`` as C-contiguous NumPy arrays (for an encoder that writes NaN as null).

    Parameters
    ----------
    surface, sim, i : the run (its arrays stop at its last valid position, n = ``alive_until[i]``).
    arrays : which of :data:`PER_STEP_ARRAYS` to include besides ``path`` and ``loss``.
    every : keep every ``every``-th position (and always the last valid one); with ``every > 1``
        the answer adds ``index``, the kept position indices, and per-update arrays (``update``,
        ``lr``, ``state``) hold the updates that start at those positions (one fewer entry).

    Returns
    -------
    ``path`` (m, 2), ``loss`` (m,), then the requested ones among ``grad`` (m, 2), ``update``
    (m−1, 2), ``lr`` (m−1,), ``state`` (key → (m−1, 2)), ``distance`` (m,) — m = n without
    down-sampling, in the order of the response model.
    """
    n = int(sim.alive_until[i])
    idx: Array | None = None
    if every > 1 and n > 0:
        idx = np.unique(np.append(np.arange(0, n, every), n - 1))

    def positions(a: Array) -> Array:
        rows = a[:n, i] if idx is None else a[idx, i]
        return np.ascontiguousarray(rows, dtype=float)

    def updates(a: Array) -> Array:
        rows = a[: max(n - 1, 0), i] if idx is None else a[idx[:-1], i]
        return np.ascontiguousarray(rows, dtype=float)

    out: dict[str, object] = {}
    if idx is not None:
        out["index"] = idx
    out["path"], out["loss"] = positions(sim.path), positions(sim.loss)
    if "grad" in arrays:
        out["grad"] = positions(sim.grad)
    if "update" in arrays:
        out["update"] = updates(sim.update)
    if "lr" in arrays:
        out["lr"] = updates(sim.lr)
    if "state" in arrays:
        out["state"] = {k: updates(v) for k, v in sim.state.items()}
    if "distance" in arrays and surface.minima:
        pts = sim.path[:n, i] if idx is None else sim.path[idx, i]
        out["distance"] = np.ascontiguousarray(nearest_minimum(surface, pts)[1], dtype=float)
    return out

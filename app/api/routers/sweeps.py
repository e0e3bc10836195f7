"""Sweeps that run many optimizer copies at once: learning rates and start points.

Responses are typed (``app/api/schemas/lab_results.py``) and written by orjson straight from the
engine's NumPy arrays, as in ``trajectories.py``: a 200 × 200 start map is 80,000 numbers the
engine has already checked. Non-finite numbers are ``null`` (orjson, like the engine's ``clean()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter

from app.api.deps import SettingsDep
from app.api.lab import check_budget, resolve_surface, run_spec
from app.api.numpy_json import NumpyJSONResponse, contiguous
from app.api.responses import error_responses
from app.api.schemas.lab_results import LrSweepResponse, StartMapResponse
from app.api.schemas.trajectories import LrSweepRequest, StartMapRequest
from app.core.lab2d.basins import basins, nearest_minima, snap_to_minima
from app.core.lab2d.curvature import global_lambda_max, stable_rule, threshold_for
from app.core.lab2d.outcomes import grew_too_much, reference_value
from app.core.lab2d.trajectory import gd_stability_threshold, lr_sweep, start_map

router = APIRouter(tags=["sweeps"])

ERRORS = error_responses(400, 413, 422)
"""What a sweep request can fail with: unparseable or oversized body, invalid field or budget."""


@router.post("/sweeps/lr", response_model=LrSweepResponse, response_class=NumpyJSONResponse, responses=ERRORS)
def sweep_learning_rate(req: LrSweepRequest, settings: SettingsDep) -> NumpyJSONResponse:
    """Final loss versus log-spaced learning rate for each optimizer (all rates run at once)."""
    surface = resolve_surface(req, settings)
    check_budget(surface, req.runs, req.steps, req.n, settings, knobs="steps, n or the number of runs")
    lrs = np.logspace(np.log10(req.lr_min), np.log10(req.lr_max), req.n)
    lam = global_lambda_max(surface)  # thresholds at the global minimum (docs/stability.md)
    f0 = surface.value(np.asarray(req.start, dtype=float))
    f_ref = reference_value(surface, float(f0))
    results: list[dict[str, Any]] = []
    for i, run in enumerate(req.runs):
        spec = run_spec(run, i)
        sim = lr_sweep(
            surface,
            np.asarray(req.start),
            req.steps,
            spec,
            lrs,
            bound=settings.divergence_bound,
            field_prefix=f"runs.{i}.",
        )
        # The growth rule of docs/stability.md on the final values, as for a single run's outcome.
        diverged = sim.diverged | grew_too_much(f0, sim.final_loss, f_ref)
        final = np.where(diverged, np.nan, sim.final_loss)
        rule = stable_rule(spec.optimizer)
        params = spec.build(f"runs.{i}.").params
        threshold = None if rule is None or lam is None else threshold_for(rule, lam, params)
        results.append(
            {
                "label": spec.label,
                "optimizer": spec.optimizer,
                "final_loss": contiguous(final),
                "diverged": diverged.tolist(),
                "threshold": threshold,
            }
        )
    return NumpyJSONResponse(
        {"lrs": lrs.tolist(), "gd_threshold": gd_stability_threshold(surface), "lambda_max": lam, "results": results}
    )


@router.post("/sweeps/start-map", response_model=StartMapResponse, response_class=NumpyJSONResponse, responses=ERRORS)
def sweep_start_points(req: StartMapRequest, settings: SettingsDep) -> NumpyJSONResponse:
    """Final loss and distance to the nearest minimum from every start on an n × n grid."""
    surface = resolve_surface(req, settings)
    check_budget(surface, [req.run], req.steps, req.n * req.n, settings, knobs="steps or n")
    (x0, x1), (y0, y1) = (req.domain.x, req.domain.y) if req.domain else surface.domain
    xs, ys = np.linspace(x0, x1, req.n), np.linspace(y0, y1, req.n)
    sim = start_map(surface, xs, ys, req.steps, run_spec(req.run), bound=settings.divergence_bound)
    nearest, dist = nearest_minima(surface, sim.final)
    basin = basins(surface, nearest, dist, sim.diverged).reshape(req.n, req.n)
    # The rounding floor (docs/surfaces.md): 1e-31 next to a minimum of value 0 is 0, not structure.
    loss = snap_to_minima(surface, nearest, sim.final_loss)
    final = np.where(sim.diverged, np.nan, loss).reshape(req.n, req.n)
    distance = None
    if surface.minima:
        distance = contiguous(np.where(sim.diverged, np.nan, dist).reshape(req.n, req.n))
    return NumpyJSONResponse(
        {
            "x": xs.tolist(),
            "y": ys.tolist(),
            "final_loss": contiguous(final),
            "diverged_fraction": float(sim.diverged.mean()),
            "distance_to_min": distance,
            "basin": np.ascontiguousarray(basin, dtype=np.int64),
            "minima": [[float(x), float(y)] for x, y in surface.minima],
        }
    )

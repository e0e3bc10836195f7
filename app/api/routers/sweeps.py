"""Sweeps that run many optimizer copies at once: learning rates and start points.

Responses are typed (``app/api/schemas/lab_results.py``) and written by orjson straight from the
engine's NumPy arrays, as in ``trajectories.py``: a 200 × 200 start map is 80,000 numbers the
engine has already checked. Non-finite numbers are ``null`` (orjson, like the engine's ``clean()``).
Admission control (``app/api/admission.py``) decides where the work runs (a worker process or a
pool thread); the functions it runs are module-level so they can be sent to a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.api.admission import Ticket, admitted
from app.api.deps import SettingsDep
from app.api.lab import check_budget, resolve_surface, run_spec
from app.api.numpy_json import contiguous, dumps
from app.api.responses import error_responses
from app.api.schemas.lab_results import LrSweepResponse, StartMapResponse
from app.api.schemas.trajectories import LrSweepRequest, StartMapRequest
from app.config import Settings
from app.core.lab2d.basins import basins, nearest_minima, snap_to_minima
from app.core.lab2d.curvature import global_lambda_max, stable_rule, threshold_for
from app.core.lab2d.outcomes import grew_too_much, reference_value
from app.core.lab2d.surfaces import Surface
from app.core.lab2d.trajectory import gd_stability_threshold, lr_sweep, start_map

router = APIRouter(tags=["sweeps"])

ERRORS = error_responses(400, 413, 422, 503)
"""What a sweep request can fail with: unparseable or oversized body, invalid field or budget, no
admission slot in time (``app/api/admission.py``)."""


@dataclass
class PreparedLr:
    """A validated lr sweep, its surface and its estimated work (for admission)."""

    req: LrSweepRequest
    surface: Surface
    work: float


@dataclass
class PreparedMap:
    """A validated start-point map, its surface and its estimated work (for admission)."""

    req: StartMapRequest
    surface: Surface
    work: float


def prepare_lr(req: LrSweepRequest, settings: SettingsDep) -> PreparedLr:
    """Resolve the surface and check the sweep's budget (422 before any slot is taken)."""
    surface = resolve_surface(req, settings)
    work = check_budget(surface, req.runs, req.steps, req.n, settings, knobs="steps, n or the number of runs")
    return PreparedLr(req, surface, work)


def prepare_map(req: StartMapRequest, settings: SettingsDep) -> PreparedMap:
    """Resolve the surface and check the map's budget (n² starts side by side)."""
    surface = resolve_surface(req, settings)
    work = check_budget(surface, [req.run], req.steps, req.n * req.n, settings, knobs="steps or n")
    return PreparedMap(req, surface, work)


@router.post("/sweeps/lr", response_model=LrSweepResponse, responses=ERRORS)
async def sweep_learning_rate(ticket: Annotated[Ticket[PreparedLr], Depends(admitted(prepare_lr))]) -> Response:
    """Final loss versus log-spaced learning rate for each optimizer (all rates run at once)."""
    return await ticket.json(lr_sweep_json, ticket.prep.req)


@router.post("/sweeps/start-map", response_model=StartMapResponse, responses=ERRORS)
async def sweep_start_points(ticket: Annotated[Ticket[PreparedMap], Depends(admitted(prepare_map))]) -> Response:
    """Final loss and distance to the nearest minimum from every start on an n × n grid."""
    return await ticket.json(start_map_json, ticket.prep.req)


def lr_sweep_json(req: LrSweepRequest, settings: Settings) -> bytes:
    """The lr sweep's answer as JSON, computed where admission runs it (``app/api/admission.py``)."""
    return dumps(run_lr_sweep(prepare_lr(req, settings), settings))


def start_map_json(req: StartMapRequest, settings: Settings) -> bytes:
    """The start map's answer as JSON, computed where admission runs it."""
    return dumps(run_start_map(prepare_map(req, settings), settings))


def run_lr_sweep(prep: PreparedLr, settings: Settings) -> dict[str, Any]:
    """Every optimizer at every learning rate, side by side (an ``LrSweepResponse`` for orjson)."""
    req, surface = prep.req, prep.surface
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
    return {"lrs": lrs.tolist(), "gd_threshold": gd_stability_threshold(surface), "lambda_max": lam, "results": results}


def run_start_map(prep: PreparedMap, settings: Settings) -> dict[str, Any]:
    """Every start of the n × n grid, side by side (a ``StartMapResponse`` for orjson)."""
    req, surface = prep.req, prep.surface
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
    return {
        "x": xs.tolist(),
        "y": ys.tolist(),
        "final_loss": contiguous(final),
        "diverged_fraction": float(sim.diverged.mean()),
        "distance_to_min": distance,
        "basin": np.ascontiguousarray(basin, dtype=np.int64),
        "minima": [[float(x), float(y)] for x, y in surface.minima],
    }

"""Landscape requests: find a run's configuration and trajectory, compute the plane (no HTTP here)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.config import Settings
from app.core.errors import InputError
from app.core.lab2d.surfaces.landscape import SURFACES_CACHE, LandscapeSurface, surface_id_for
from app.core.lab2d.trajectory import clean
from app.core.nn.landscape_plane import Plane, grid_values, make_plane
from app.core.nn.trajectory_files import open_trajectory
from app.jobs.job import JobNotFoundError
from app.jobs.manager import JobManager

#: max/min of the grid beyond which the colours are log-scaled.
LOG_RANGE = 100.0


@dataclass(frozen=True)
class RunRecord:
    """What a landscape needs of a run: its configuration and its summary."""

    run_id: str
    config: dict[str, Any]
    summary: dict[str, Any]


def find_run(run_id: str, manager: JobManager) -> RunRecord:
    """A finished training run by id: a job of the manager, else a saved run.

    Raises
    ------
    InputError
        ``run_id``: unknown (``landscape.run_not_found``), not finished (``landscape.run_not_done``)
        or without weight trajectory (``landscape.no_trajectory``).
    """
    record = _job(run_id, manager) or _saved_run(run_id)
    if record is None:
        raise InputError("run_id", f"no training run {run_id[:64]!r}", "landscape.run_not_found", {"id": run_id[:64]})
    if not record.summary or record.summary.get("status") not in (None, "done"):
        raise InputError(
            "run_id", "the run has not finished (or did not end normally)", "landscape.run_not_done", {"id": run_id}
        )
    if not record.summary.get("trajectory_id"):
        raise InputError(
            "run_id",
            "this run recorded no weight trajectory (turned off, or the network is larger than "
            "PLAYGROUND_LANDSCAPE_MAX_PARAMETERS)",
            "landscape.no_trajectory",
            {"id": run_id},
        )
    return record


def _job(run_id: str, manager: JobManager) -> RunRecord | None:
    try:
        job = manager.get(run_id)
    except JobNotFoundError:
        return None
    if job.summary is None:
        return RunRecord(run_id, dict(job.config), {"status": job.status.value})
    return RunRecord(run_id, dict(job.config), dict(job.summary))


def _saved_run(run_id: str) -> RunRecord | None:
    """HOOK for the saved-run store (branch ``runs``, CONTRACTS.md §2): a saved training run's
    config and summary. Until ``app.store`` is merged there are no saved runs."""
    try:
        from app.store import get_run_store  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        saved = get_run_store().get(run_id)
    except (KeyError, LookupError):
        return None
    if saved is None or getattr(saved, "kind", "training") != "training":
        return None
    return RunRecord(run_id, dict(saved.config or {}), dict(saved.summary or {}))


def load_plane(record: RunRecord, kind: str, samples: int, seed: int, settings: Settings) -> Plane:
    """The run's plane (:func:`~app.core.nn.landscape_plane.make_plane`) from its stored trajectory."""
    trajectory_id = str(record.summary["trajectory_id"])
    trajectory = open_trajectory(settings.data_dir, trajectory_id)
    if trajectory is None:
        raise InputError(
            "run_id",
            f"the weight trajectory {trajectory_id} of this run is no longer stored",
            "landscape.trajectory_gone",
            {"id": record.run_id},
        )
    return make_plane(
        record.config,
        trajectory,
        kind,
        samples,
        seed,
        mnist_dir=settings.mnist_dir,
        max_samples=settings.max_samples,
        data_dir=settings.data_dir,
    )


def check_grid_work(plane: Plane, grid: int, settings: Settings) -> None:
    """Refuse (``grid``) a grid whose multiply-adds exceed ``Settings.landscape_max_work``."""
    work = grid * grid * plane.macs_per_point
    limit = settings.landscape_max_work
    if work > limit:
        raise InputError(
            "grid",
            f"a {grid} × {grid} grid on {len(plane.y)} samples needs {work / 1e9:.1f} G multiply-adds, above the "
            f"limit of {limit / 1e9:.1f} G (setting PLAYGROUND_LANDSCAPE_MAX_WORK); "
            "use a coarser grid or fewer samples",
            "landscape.too_much_work",
            {"work": round(work / 1e9, 1), "limit": round(limit / 1e9, 1)},
        )


def landscape(record: RunRecord, kind: str, grid: int, samples: int, seed: int, settings: Settings) -> dict[str, Any]:
    """The ``POST /api/landscapes`` answer (docs/API.md)."""
    t0 = time.perf_counter()
    plane = load_plane(record, kind, samples, seed, settings)
    check_grid_work(plane, grid, settings)
    a, b, z = grid_values(plane, grid)
    coords = plane.coords
    path_loss = plane.loss.value(coords)
    finite = z[np.isfinite(z)]
    lo = float(finite.min()) if finite.size else None
    hi = float(finite.max()) if finite.size else None
    scale = "log" if lo is not None and hi is not None and lo > 0 and hi / lo > LOG_RANGE else "linear"
    traj = plane.trajectory
    return {
        "run_id": record.run_id,
        "trajectory_id": str(record.summary["trajectory_id"]),
        "directions": kind,
        "a": clean(a),
        "b": clean(b),
        "loss": clean(z),
        "loss_min": lo,
        "loss_max": hi,
        "color_scale": scale,
        "path": {
            "a": clean(coords[:, 0]),
            "b": clean(coords[:, 1]),
            "epochs": [int(e) for e in traj.epochs],
            "steps": [int(s) for s in traj.steps],
            "loss": clean(path_loss),
        },
        "explained_variance": plane.ratios,
        "captured": plane.captured,
        "final_loss": clean(path_loss[-1]),
        "run_train_loss": record.summary.get("train_loss"),
        "samples": len(plane.y),
        "parameters": int(traj.theta_star.size),
        "snapshots": len(traj.epochs),
        "seconds": time.perf_counter() - t0,
    }


def grid_csv(body: dict[str, Any]) -> str:
    """The grid as CSV rows ``a,b,loss`` (empty loss where not finite)."""
    lines = ["a,b,loss"]
    for i, bv in enumerate(body["b"]):
        for j, av in enumerate(body["a"]):
            v = body["loss"][i][j]
            lines.append(f"{av:.8g},{bv:.8g},{'' if v is None else format(v, '.8g')}")
    return "\n".join(lines) + "\n"


def register_surface(record: RunRecord, kind: str, samples: int, seed: int, settings: Settings) -> dict[str, Any]:
    """Register the run's plane as an Optimizer-Lab surface (bounded LRU cache) and describe it.

    The surface uses at most ``Settings.landscape_race_samples`` training samples: every optimizer step
    on it is a forward and backward pass over them."""
    samples = min(samples, settings.landscape_race_samples)
    trajectory_id = str(record.summary["trajectory_id"])
    surface_id = surface_id_for(trajectory_id, kind, samples, seed)
    surface = SURFACES_CACHE.peek(surface_id)
    if surface is None:
        plane = load_plane(record, kind, samples, seed, settings)
        start = (float(plane.coords[0, 0]), float(plane.coords[0, 1]))
        surface = LandscapeSurface(
            plane.loss, surface_id, plane.bounds, start, plane.macs_per_point, record.run_id, kind
        )
    SURFACES_CACHE.put(surface, settings.landscape_max_surfaces)
    (a0, a1), (b0, b1) = surface.domain
    return {"surface": surface_id, "domain": {"x": [a0, a1], "y": [b0, b1]}, "start": list(surface.start)}

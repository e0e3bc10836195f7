"""The response model of ``GET /api/lab/catalogue``: the Optimizer Lab's request bounds and starting values.

``bounds`` are generated from the request models' own field constraints
(:func:`~app.api.schemas.model_bounds.model_bounds`), so the run card's inputs show exactly what
``POST /api/trajectories``, ``/api/sweeps/lr`` and ``/api/sweeps/start-map`` accept.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas.model_bounds import model_bounds
from app.api.schemas.training import FieldBounds
from app.api.schemas.trajectories import (
    ClipSpec,
    LrSweepRequest,
    NoiseSpec,
    RunsFromStart,
    StartMapRequest,
    TrajectoryRequest,
)
from app.core.nn.config import ClipConfig
from app.core.nn.options import to_dict

NOISE_STARTING_STD = 0.1
"""The noise std a run card starts from when noise is switched on: ``NoiseSpec``'s own default (0)
would add nothing, so a student would see no effect (docs/optimizers.md, gradient noise)."""


def lab_bounds() -> dict[str, dict[str, Any]]:
    """Bounds by dotted path: a trajectory body's fields, ``sweep.*`` (lr sweep) and ``map.*`` (start map)."""
    return {
        **model_bounds(TrajectoryRequest),
        **model_bounds(LrSweepRequest, "sweep.", skip=frozenset(RunsFromStart.model_fields)),
        **model_bounds(StartMapRequest, "map."),
    }


def optional_defaults() -> dict[str, dict[str, Any]]:
    """What ``clip`` and ``noise`` start from when a run card switches them on, validated by their models.

    Clipping starts as the Training Lab's (``ClipConfig`` in ``app/core/nn/config.py``: same
    semantics, one source); noise from ``NoiseSpec``'s seed default with a visible std.
    """
    return {
        "clip": ClipSpec(**to_dict(ClipConfig())).model_dump(),
        "noise": NoiseSpec(std=NOISE_STARTING_STD).model_dump(),
    }


class LabDefaults(BaseModel):
    """Starting values of a run's optional parts (each is null in a run until switched on)."""

    clip: ClipSpec
    noise: NoiseSpec


class LabCatalogue(BaseModel):
    """The Optimizer Lab's request bounds and optional parts' starting values (sizes: GET /api/limits)."""

    bounds: dict[str, FieldBounds] = Field(
        description="By dotted path as in the POST bodies: `steps`, `runs.clip.max`, `runs.noise.std`, "
        "`runs.noise.seed`, `sweep.lr_min`, `map.n`, …"
    )
    defaults: LabDefaults

"""Glue between the Optimizer Lab's request models and the engine (no HTTP here)."""

from __future__ import annotations

from collections.abc import Sequence

from app.api.schemas.trajectories import RunConfig, SurfaceChoice
from app.config import Settings
from app.core.lab2d.cost import check_work, update_cost
from app.core.lab2d.expression import ExpressionLimits
from app.core.lab2d.surfaces import CUSTOM_ID, Surface, get_surface
from app.core.lab2d.trajectory import RunSpec


def resolve_surface(choice: SurfaceChoice, settings: Settings) -> Surface:
    """The surface a request names: a built-in id with parameters, or a parsed custom f(x, y).

    An expression with ``surface`` left out (its default is a built-in id), null or ``"custom"``
    is a custom surface; an expression together with an explicit built-in id is refused (422 on
    ``expression``, docs/API.md).
    """
    explicit = "surface" in choice.model_fields_set and choice.surface not in (None, CUSTOM_ID)
    return get_surface(
        choice.surface if choice.expression is None or explicit else None,
        choice.surface_params,
        expression=choice.expression,
        limits=ExpressionLimits.from_settings(settings),
    )


def check_budget(
    surface: Surface,
    runs: Sequence[RunConfig],
    steps: int,
    points: int,
    settings: Settings,
    knobs: str,
    streamed: bool = False,
) -> float:
    """Refuse (422 on ``steps``) a request whose estimated work exceeds its budget; return the work.

    ``points`` is how many points each run updates side by side: 1 for a path, the number of
    learning rates of an lr sweep, n² for a start map. A streamed request shows its first steps at
    once, so it may run longer: ``Settings.max_stream_work`` instead of ``Settings.max_work``.
    The work (units of ``app/core/lab2d/cost.py``) also chooses the request's admission lane
    (``app/api/admission.py``).
    """
    work = sum(update_cost(surface, run.optimizer, run.params).work(steps, points) for run in runs)
    if streamed:
        check_work(work, settings.max_stream_work, "steps", knobs, "PLAYGROUND_MAX_STREAM_WORK")
    else:
        hint = f"{knobs}, or stream the run with POST /api/trajectories/stream" if points == 1 else knobs
        check_work(work, settings.max_work, "steps", hint)
    return work


def run_spec(run: RunConfig, index: int | None = None) -> RunSpec:
    """The engine's description of one run; its default label is the optimizer id."""
    label = run.label or (run.optimizer if index is None else f"{run.optimizer} #{index + 1}")
    return RunSpec(
        optimizer=run.optimizer,
        params=run.params,
        schedule=run.schedule,
        clip=run.clip.model_dump() if run.clip else None,
        noise=run.noise.model_dump() if run.noise else None,
        label=label,
    )

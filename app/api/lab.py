"""Glue between the Optimizer Lab's request models and the engine (no HTTP here)."""

from __future__ import annotations

from app.api.schemas.trajectories import RunConfig, SurfaceChoice
from app.config import Settings
from app.core.expression import ExpressionLimits
from app.core.surfaces import Surface, get_surface
from app.core.trajectory import RunSpec


def resolve_surface(choice: SurfaceChoice, settings: Settings) -> Surface:
    """The surface a request names: a built-in id with parameters, or a parsed custom f(x, y)."""
    return get_surface(
        None if choice.expression is not None else choice.surface,
        choice.surface_params,
        expression=choice.expression,
        limits=ExpressionLimits.from_settings(settings),
    )


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

"""Optimizer and learning-rate-schedule catalogues."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from app.api.deps import SettingsDep
from app.api.responses import error_responses
from app.api.schemas.common import limit
from app.api.schemas.optimizers import OptimizerInfo, ScheduleInfo
from app.core.optim.optimizers import list_optimizers
from app.core.optim.schedules import list_schedules

router = APIRouter(tags=["optimizers"])


@router.get("/optimizers", response_model=list[OptimizerInfo])
def optimizers() -> list[dict[str, Any]]:
    """List optimizers with hyperparameters (defaults, bounds), state keys and update equations."""
    return list_optimizers()


@router.get("/schedules", response_model=list[ScheduleInfo], responses=error_responses(422))
def schedules(
    settings: SettingsDep,
    steps: Annotated[
        int | None, Query(ge=1, description="Scale the defaults to a run of this many steps (docs/schedules.md).")
    ] = None,
) -> list[dict[str, Any]]:
    """List learning-rate schedules with their parameters and formulas (defaults scaled to ``steps``)."""
    if steps is not None and steps > settings.max_steps:
        raise HTTPException(
            status_code=422,
            detail=[
                {
                    "type": "value_error",
                    "loc": ["query", "steps"],
                    "msg": limit("steps", settings.max_steps, "max_steps"),
                    "code": "limit.exceeded",
                    "params": {"limit": settings.max_steps, "setting": "max_steps", "value": steps},
                }
            ],
        )
    return list_schedules(steps)

"""Optimizer and learning-rate-schedule catalogues."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.schemas.optimizers import OptimizerInfo, ScheduleInfo
from app.core.optim.optimizers import list_optimizers
from app.core.optim.schedules import list_schedules

router = APIRouter(tags=["optimizers"])


@router.get("/optimizers", response_model=list[OptimizerInfo])
def optimizers() -> list[dict[str, Any]]:
    """List optimizers with hyperparameters (defaults, bounds), state keys and update equations."""
    return list_optimizers()


@router.get("/schedules", response_model=list[ScheduleInfo])
def schedules() -> list[dict[str, Any]]:
    """List learning-rate schedules with their parameters and formulas."""
    return list_schedules()

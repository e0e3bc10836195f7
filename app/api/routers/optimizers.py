"""Optimizer and learning-rate-schedule catalogues."""

from fastapi import APIRouter

from app.core.optim.optimizers import list_optimizers
from app.core.optim.schedules import list_schedules

router = APIRouter(tags=["optimizers"])


@router.get("/optimizers")
def optimizers() -> list[dict[str, object]]:
    """List optimizers with hyperparameters (defaults, bounds), state keys and update equations."""
    return list_optimizers()


@router.get("/schedules")
def schedules() -> list[dict[str, object]]:
    """List learning-rate schedules with their parameters and formulas."""
    return list_schedules()

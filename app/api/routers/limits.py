"""Every limit the server enforces, so clients (the pages, notebooks) need not hard-code any."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import SettingsDep
from app.api.schemas.limits import Limits, LimitsBase, limits_of

router = APIRouter(tags=["limits"])


@router.get("/limits", response_model=Limits)
def limits(settings: SettingsDep) -> LimitsBase:
    """List every size limit (``max_steps``, ``max_runs``, …) with the server's current values."""
    return limits_of(settings)

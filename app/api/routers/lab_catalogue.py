"""The Optimizer Lab's catalogue: bounds and starting values generated from its request models (docs/API.md)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas.lab_catalogue import LabCatalogue, lab_bounds, optional_defaults

router = APIRouter(tags=["limits"])


@router.get("/lab/catalogue", response_model=LabCatalogue)
def lab_catalogue() -> LabCatalogue:
    """Bounds of every numeric field of the Optimizer Lab's requests, and the starting clip/noise."""
    return LabCatalogue.model_validate({"bounds": lab_bounds(), "defaults": optional_defaults()})

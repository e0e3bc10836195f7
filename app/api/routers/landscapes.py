"""The loss landscape of a training run (docs/landscape.md): a grid over a plane through its final weights,
the projected training path, and that plane as an Optimizer-Lab surface."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from app.api.deps import JobManagerDep, SettingsDep
from app.api.responses import error_responses
from app.api.schemas.landscapes import LandscapeRequest, LandscapeResponse, LandscapeSurfaceResponse
from app.landscapes.service import find_run, grid_csv, landscape, register_surface

router = APIRouter(tags=["landscapes"])

ERRORS = error_responses(400, 413, 422)
"""Unparseable or oversized body, or an invalid field (an unknown or unfinished run is a 422 on ``run_id``)."""


@router.post(
    "/landscapes",
    response_model=LandscapeResponse,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv."}},
)
def post_landscape(
    req: LandscapeRequest,
    settings: SettingsDep,
    manager: JobManagerDep,
    format: Literal["json", "csv"] = Query("json", description="'csv': the grid as rows a,b,loss."),
) -> LandscapeResponse | PlainTextResponse:
    """The training loss on a grid over θ* + a·d₁ + b·d₂ and the projected weight path."""
    record = find_run(req.run_id, manager)
    body = landscape(record, req.directions, req.grid, req.samples, req.seed, settings)
    if format == "csv":
        return PlainTextResponse(
            grid_csv(body),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="landscape-{req.run_id}.csv"'},
        )
    return LandscapeResponse(**body)


@router.post("/landscapes/surfaces", response_model=LandscapeSurfaceResponse, responses=ERRORS)
def post_landscape_surface(
    req: LandscapeRequest, settings: SettingsDep, manager: JobManagerDep
) -> LandscapeSurfaceResponse:
    """Register the run's plane as an Optimizer-Lab surface; returns its id (kept in a bounded cache)."""
    record = find_run(req.run_id, manager)
    return LandscapeSurfaceResponse(**register_surface(record, req.directions, req.samples, req.seed, settings))

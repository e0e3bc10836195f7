"""Curvature tools of the Optimizer Lab: the Hessian's eigen-decomposition at points (for the
inspector's eigen-direction arrows) and a learning rate that moves on the current surface (for
"+ Add optimizer"). The rules are in docs/stability.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import TypeAdapter

from app.api.admission import Ticket, admitted
from app.api.deps import SettingsDep
from app.api.lab import resolve_surface
from app.api.responses import error_responses
from app.api.schemas.curvature import (
    CurvaturePoint,
    CurvatureRequest,
    CurvatureResponse,
    LrSuggestionRequest,
    LrSuggestionResponse,
    SuggestionSource,
)
from app.config import Settings
from app.core.lab2d.cost import update_cost
from app.core.lab2d.curvature import eigen
from app.core.lab2d.suggestions import suggest_lr
from app.core.lab2d.surfaces import Surface
from app.core.lab2d.trajectory import clean

router = APIRouter(tags=["curvature"])

ERRORS = error_responses(400, 413, 422)
"""Unparseable or oversized body, or an invalid field."""


@dataclass
class PreparedPoints:
    """A validated curvature request, its surface and its estimated work (for admission)."""

    req: CurvatureRequest
    surface: Surface
    work: float


def prepare_points(req: CurvatureRequest, settings: SettingsDep) -> PreparedPoints:
    """Resolve the surface; the work is that of one Newton update (f, ∇f, ∇²f) of every point."""
    surface = resolve_surface(req, settings)
    return PreparedPoints(req, surface, update_cost(surface, "newton").work(1, len(req.points)))


@router.post("/curvature", response_model=CurvatureResponse, responses={**ERRORS, **error_responses(503)})
async def curvature(ticket: Annotated[Ticket[PreparedPoints], Depends(admitted(prepare_points))]) -> Response:
    """f, ∇f and the Hessian's eigenvalues and eigenvectors at each point."""
    return await ticket.json(curvature_json, ticket.prep.req)


CURVATURE_JSON = TypeAdapter(CurvatureResponse)


def curvature_json(req: CurvatureRequest, settings: Settings) -> bytes:
    """The answer as JSON, computed where admission runs it (``app/api/admission.py``)."""
    return CURVATURE_JSON.dump_json(run_curvature(prepare_points(req, settings)), by_alias=True)


def run_curvature(prep: PreparedPoints) -> CurvatureResponse:
    """The eigen-decomposition of the Hessian, ∇f and f at every point."""
    req, surface = prep.req, prep.surface
    points = np.asarray(req.points, dtype=float)
    w, v = eigen(surface, points)
    g, f = surface.gradient(points), surface.value(points)
    rows = zip(_rows(w), _rows(v), _rows(g), _rows(f), strict=True)
    out = [
        CurvaturePoint.model_construct(eigenvalues=wi, eigenvectors=vi, gradient=gi, value=fi)
        for wi, vi, gi, fi in rows
    ]
    return CurvatureResponse.model_construct(points=out)


@router.post("/lr-suggestion", response_model=LrSuggestionResponse, responses=ERRORS)
def lr_suggestion(req: LrSuggestionRequest, settings: SettingsDep) -> LrSuggestionResponse:
    """The optimizer's defaults with a learning rate that makes visible progress within ``steps``."""
    surface = resolve_surface(req, settings)
    s = suggest_lr(surface, req.start, req.steps, req.optimizer)
    return LrSuggestionResponse(
        optimizer=s.optimizer,
        params=s.params,
        lr=s.lr,
        source=SuggestionSource(code=s.code, params=s.source),
    )


def _rows(a: np.ndarray[Any, Any]) -> list[Any]:
    """:func:`clean` of an array with at least one axis: one JSON-ready entry per point."""
    rows = clean(a)
    assert isinstance(rows, list)
    return rows

"""Routes for the 2-D test surfaces, their contour grids and custom expressions."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NoReturn

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from app.api.schemas.surfaces import ExpressionIn, ExpressionOut, SurfaceGridOut, SurfaceInfo
from app.config import Settings, get_settings
from app.core.errors import InputError
from app.core.lab2d.expression import ExpressionLimits
from app.core.lab2d.surfaces import CUSTOM_ID, SURFACES, ExpressionSurface, Surface, get_surface, grid, list_surfaces

router = APIRouter(tags=["surfaces"])

# Query names of the grid endpoint itself; every other query parameter is a surface parameter.
_GRID_QUERY = frozenset({"n", "scale", "x_min", "x_max", "y_min", "y_max", "expression"})


def _fail(loc: list[str], message: str, status: int = 422, kind: str = "value_error") -> NoReturn:
    raise HTTPException(status_code=status, detail=[{"type": kind, "loc": loc, "msg": message}])


def _query_loc(field: str) -> list[str]:
    """``surface_params.kappa`` → ``["query", "kappa"]`` (the query parameter the user typed)."""
    name = field.removeprefix("surface_params.")
    return ["query", name]


def _clean(a: np.ndarray) -> list[Any]:
    """Nested lists with non-finite numbers as ``None`` (JSON has no NaN)."""
    arr = np.asarray(a, dtype=float)
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()


def _surface_from_query(
    id: str, request: Request, settings: Settings, reserved: frozenset[str], expression: str | None
) -> Surface:
    """The surface named in the path, with parameters from the remaining query parameters."""
    if id != CUSTOM_ID and id not in SURFACES:
        known = ", ".join([*SURFACES, CUSTOM_ID])
        _fail(["path", "id"], f"unknown surface {id!r}; known surfaces are {known}", status=404, kind="not_found")
    params: dict[str, float] = {}
    for key, raw in request.query_params.multi_items():
        if key in reserved:
            continue
        try:
            params[key] = float(raw)
        except ValueError:
            _fail(["query", key], f"must be a number, got {raw[:40]!r}")
    try:
        return get_surface(id, params, expression=expression, limits=ExpressionLimits.from_settings(settings))
    except InputError as exc:
        _fail(_query_loc(exc.field), exc.message)


@router.get("/surfaces", response_model=list[SurfaceInfo])
def surfaces() -> list[dict[str, Any]]:
    """List the built-in test surfaces with formulas, domains, minima and parameters."""
    return [s.info() for s in list_surfaces()]


@router.get("/surfaces/{id}/grid", response_model=SurfaceGridOut)
def surface_grid(
    id: str,
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    n: Annotated[int, Query(ge=2, description="Grid points per axis (at most `max_grid`).")] = 120,
    scale: Annotated[Literal["log", "linear"], Query(description="Spacing of the contour levels.")] = "log",
    x_min: float | None = None,
    x_max: float | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    expression: Annotated[
        str | None, Query(description="Formula for id `custom` (URL-encode it: `+` must be %2B).")
    ] = None,
) -> dict[str, Any]:
    """Sample a surface on an n×n grid with contour levels (other query parameters set surface parameters)."""
    if n > settings.max_grid:
        _fail(["query", "n"], f"must be at most {settings.max_grid} (max_grid), got {n}")
    surface = _surface_from_query(id, request, settings, _GRID_QUERY, expression)
    try:
        g = grid(surface, n, scale, bounds=(x_min, x_max, y_min, y_max))
    except InputError as exc:
        _fail(_query_loc(exc.field), exc.message)
    return {
        "x": g.x.tolist(),
        "y": g.y.tolist(),
        "z": _clean(g.z),
        "levels": g.levels.tolist(),
        "z_min": g.z_min,
        "z_max": g.z_max,
    }


@router.get("/surfaces/{id}", response_model=SurfaceInfo)
def surface_info(
    id: str,
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    expression: Annotated[str | None, Query(description="Formula for id `custom`.")] = None,
) -> dict[str, Any]:
    """Describe one surface for given parameters (minima and domain can move with them)."""
    surface = _surface_from_query(id, request, settings, frozenset({"expression"}), expression)
    return surface.info()


@router.post("/expressions/validate", response_model=ExpressionOut)
def validate_expression(body: ExpressionIn, settings: Annotated[Settings, Depends(get_settings)]) -> dict[str, Any]:
    """Parse a custom f(x, y) safely and return its normalised form and exact gradient."""
    surface = ExpressionSurface(body.expression, limits=ExpressionLimits.from_settings(settings))
    (x0, x1), (y0, y1) = surface.domain
    return {
        "ok": True,
        "expression": surface.expression,
        "gradient": surface.gradient_text,
        "tex": surface.formula,
        "gradient_tex": surface.gradient_tex,
        "domain": {"x": [x0, x1], "y": [y0, y1]},
        "start": list(surface.start),
        "minima": [list(p) for p in surface.minima],
    }

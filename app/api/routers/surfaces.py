"""Routes for the 2-D test surfaces, their contour grids and custom expressions.

Responses are validated against their models (``app/api/schemas/surfaces.py``): a 400 × 400
grid validates in about 10 ms. Non-finite values of f are ``null`` (the engine's ``clean()``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Query, Request

from app.api.deps import SettingsDep
from app.api.responses import error_responses
from app.api.schemas.surfaces import ExpressionIn, ExpressionOut, SurfaceGridOut, SurfaceInfo
from app.config import Settings
from app.core.errors import InputError
from app.core.lab2d.expression import ExpressionLimits
from app.core.lab2d.surfaces import CUSTOM_ID, SURFACES, ExpressionSurface, Surface, get_surface, grid, list_surfaces
from app.core.lab2d.surfaces.landscape import PREFIX as LANDSCAPE_PREFIX
from app.core.lab2d.trajectory import clean

router = APIRouter(tags=["surfaces"])

# Query names of the grid endpoint itself; every other query parameter is a surface parameter.
_GRID_QUERY = frozenset({"n", "scale", "x_min", "x_max", "y_min", "y_max", "expression"})


def _fail(
    loc: list[str], message: str, status: int = 422, kind: str = "value_error", error: InputError | None = None
) -> NoReturn:
    """An HTTP error naming ``loc``; with ``error``, that engine error's code and params (docs/errors.md)."""
    coded = {"code": error.code, "params": error.params} if error is not None else {}
    raise HTTPException(status_code=status, detail=[{"type": kind, "loc": loc, "msg": message, **coded}])


def _query_loc(field: str) -> list[str]:
    """``surface_params.kappa`` → ``["query", "kappa"]`` (the query parameter the user typed)."""
    name = field.removeprefix("surface_params.")
    return ["query", name]


def _surface_from_query(
    id: str, request: Request, settings: Settings, reserved: frozenset[str], expression: str | None
) -> Surface:
    """The surface named in the path, with parameters from the remaining query parameters."""
    if id != CUSTOM_ID and id not in SURFACES and not id.startswith(LANDSCAPE_PREFIX):
        known = ", ".join([*SURFACES, CUSTOM_ID])
        _fail(["path", "id"], f"unknown surface {id!r}; known surfaces are {known}", status=404, kind="not_found")
    params: dict[str, float] = {}
    for key, raw in request.query_params.multi_items():
        if key in reserved:
            continue
        try:
            params[key] = float(raw)
        except ValueError:
            _fail(
                ["query", key],
                f"must be a number, got {raw[:40]!r}",
                error=InputError(key, "", "pydantic.float_parsing"),
            )
    try:
        return get_surface(id, params, expression=expression, limits=ExpressionLimits.from_settings(settings))
    except InputError as exc:
        _fail(_query_loc(exc.field), exc.message, error=exc)


@router.get("/surfaces", response_model=list[SurfaceInfo])
def surfaces() -> list[dict[str, Any]]:
    """List the built-in test surfaces with formulas, domains, minima and parameters."""
    return [s.info() for s in list_surfaces()]


@router.get("/surfaces/{id}/grid", response_model=SurfaceGridOut, responses=error_responses(404, 422))
def surface_grid(
    id: str,
    request: Request,
    settings: SettingsDep,
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
        limit = InputError("n", "", "limit.exceeded", {"limit": settings.max_grid, "setting": "max_grid", "value": n})
        _fail(["query", "n"], f"must be at most {settings.max_grid} (max_grid), got {n}", error=limit)
    surface = _surface_from_query(id, request, settings, _GRID_QUERY, expression)
    try:
        # A surface whose values are costly (a network's loss landscape) caps its own contour grid.
        g = grid(surface, min(n, int(getattr(surface, "grid_limit", n))), scale, bounds=(x_min, x_max, y_min, y_max))
    except InputError as exc:
        _fail(_query_loc(exc.field), exc.message, error=exc)
    return {
        "x": g.x.tolist(),
        "y": g.y.tolist(),
        "z": clean(g.z),
        "levels": g.levels.tolist(),
        "z_min": g.z_min,
        "z_max": g.z_max,
    }


@router.get("/surfaces/{id}", response_model=SurfaceInfo, responses=error_responses(404, 422))
def surface_info(
    id: str,
    request: Request,
    settings: SettingsDep,
    expression: Annotated[str | None, Query(description="Formula for id `custom`.")] = None,
) -> dict[str, Any]:
    """Describe one surface for given parameters (minima and domain can move with them)."""
    surface = _surface_from_query(id, request, settings, frozenset({"expression"}), expression)
    return surface.info()


@router.post("/expressions/validate", response_model=ExpressionOut, responses=error_responses(400, 413, 422))
def validate_expression(body: ExpressionIn, settings: SettingsDep) -> dict[str, Any]:
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

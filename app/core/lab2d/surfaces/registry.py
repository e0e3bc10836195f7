"""The catalogue of built-in surfaces and :func:`get_surface`, the single entry point that validates
parameters and builds a :class:`ExpressionSurface` for user-typed formulas (``id = "custom"``).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import InputError
from app.core.lab2d.expression import ExpressionLimits
from app.core.lab2d.surfaces.base import Domain, Surface
from app.core.lab2d.surfaces.bowls import BookBowl, CourseQuadratic, IllConditioned
from app.core.lab2d.surfaces.custom import ExpressionSurface
from app.core.lab2d.surfaces.landscape import PREFIX as LANDSCAPE_PREFIX
from app.core.lab2d.surfaces.landscape import SURFACES_CACHE
from app.core.lab2d.surfaces.multimodal import Himmelblau, LocalMinima, Rastrigin, SixHumpCamel
from app.core.lab2d.surfaces.saddles import MonkeySaddle, Saddle
from app.core.lab2d.surfaces.valleys import Beale, Rosenbrock

SURFACES: dict[str, type[Surface]] = {
    cls.id: cls
    for cls in (
        BookBowl, CourseQuadratic, Rosenbrock, Beale, Himmelblau, Saddle, MonkeySaddle,
        LocalMinima, Rastrigin, SixHumpCamel, IllConditioned,
    )
}  # fmt: skip

CUSTOM_ID = "custom"


def list_surfaces() -> list[Surface]:
    """Every built-in surface with default parameters, in display order."""
    return [cls() for cls in SURFACES.values()]


def get_surface(
    id: str | None,
    params: Mapping[str, float] | None = None,
    expression: str | None = None,
    limits: ExpressionLimits | None = None,
    domain: Domain | None = None,
) -> Surface:
    """Build a surface by id, or an :class:`ExpressionSurface` for ``"custom"`` (or ``None``).

    Parameters
    ----------
    id : a key of :data:`SURFACES`, ``"custom"``, or ``None`` together with ``expression``.
    params : surface parameters (e.g. ``{"kappa": 100}``); unknown names and out-of-range
        values raise ``InputError`` on ``surface_params.<name>``.
    expression : the formula for a custom surface; field ``expression`` in errors.
    limits : size limits for the expression (defaults: :class:`ExpressionLimits`).
    domain : plotting domain of a custom surface (default [−5, 5]²).

    Raises
    ------
    InputError
        ``surface`` for an unknown id, ``expression`` for a bad or misplaced formula,
        ``surface_params.<name>`` for parameters.
    """
    params = dict(params or {})
    if isinstance(id, str) and id.startswith(LANDSCAPE_PREFIX):  # a training run's plane (docs/landscape.md)
        return SURFACES_CACHE.get(id)
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(
                f"surface_params.{name}", f"must be a number, got {type(value).__name__}", "surface.param_not_a_number"
            )
    if id is None or id == CUSTOM_ID:
        if expression is None or (isinstance(expression, str) and not expression.strip()):
            raise InputError(
                "expression", "is required for a custom surface: type a formula in x and y", "expression.required"
            )
        if params:
            name = next(iter(params))
            raise InputError(
                f"surface_params.{name}", "a custom surface has no parameters", "surface.custom_has_no_params"
            )
        return ExpressionSurface(expression, domain=domain, limits=limits)
    cls = SURFACES.get(id)
    if cls is None:
        known = ", ".join([*SURFACES, CUSTOM_ID])
        raise InputError(
            "surface",
            f"unknown surface {id!r}; known surfaces are {known}",
            "surface.unknown",
            {"surface": str(id)[:40], "known": known},
        )
    if expression is not None:
        raise InputError(
            "expression",
            f"only used with the custom surface, not with surface {id!r}: set surface to null (or 'custom') "
            "or leave expression out",
            "surface.expression_with_builtin",
            {"surface": id},
        )
    return cls(**params)

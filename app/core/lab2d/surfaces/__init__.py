"""Two-dimensional test surfaces f(x, y) with exact gradients and Hessians (docs/surfaces.md).

Every surface works on points of shape ``(..., 2)`` (the last axis holds x and y) and returns
``value`` (...), ``gradient`` (..., 2) and ``hessian`` (..., 2, 2), all derived by hand. Each one
carries its plotting domain, its known minima (global ones first) and saddle points, a suggested
start and a bilingual description for students.

``get_surface(id, params, expression)`` is the single entry point: it validates parameters and
builds a :class:`ExpressionSurface` for user-typed formulas (``id = "custom"``).

Modules: ``base`` (the :class:`Surface` interface), the built-in surfaces in ``bowls``,
``valleys``, ``saddles`` and ``multimodal``, ``custom`` (:class:`ExpressionSurface`), ``minima``
(estimating minima, nearest minimum), ``registry`` (:data:`SURFACES`, :func:`get_surface`) and
``grid`` (contour grids and levels).
"""

from __future__ import annotations

from app.core.lab2d.surfaces.base import Array, Domain, Point, Surface, SurfaceParam
from app.core.lab2d.surfaces.bowls import BookBowl, CourseQuadratic, IllConditioned
from app.core.lab2d.surfaces.custom import ExpressionSurface
from app.core.lab2d.surfaces.grid import LOG_OFFSET, MAX_BOUND, SurfaceGrid, contour_levels, grid
from app.core.lab2d.surfaces.minima import nearest_minimum
from app.core.lab2d.surfaces.multimodal import Himmelblau, LocalMinima, Rastrigin, SixHumpCamel
from app.core.lab2d.surfaces.registry import CUSTOM_ID, SURFACES, get_surface, list_surfaces
from app.core.lab2d.surfaces.saddles import MonkeySaddle, Saddle
from app.core.lab2d.surfaces.valleys import Beale, Rosenbrock

__all__ = [
    "CUSTOM_ID", "LOG_OFFSET", "MAX_BOUND", "SURFACES", "Array", "Beale", "BookBowl",
    "CourseQuadratic", "Domain", "ExpressionSurface", "Himmelblau", "IllConditioned",
    "LocalMinima", "MonkeySaddle", "Point", "Rastrigin", "Rosenbrock", "Saddle", "SixHumpCamel",
    "Surface", "SurfaceGrid", "SurfaceParam", "contour_levels", "get_surface", "grid",
    "list_surfaces", "nearest_minimum",
]  # fmt: skip

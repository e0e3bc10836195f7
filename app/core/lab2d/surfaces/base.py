"""The :class:`Surface` interface: f(x, y) on points of shape (..., 2) with exact derivatives.

Every surface works on points of shape ``(..., 2)`` (the last axis holds x and y) and returns
``value`` (...), ``gradient`` (..., 2) and ``hessian`` (..., 2, 2), all derived by hand. Each one
carries its plotting domain, its known minima (global ones first) and saddle points, a suggested
start and a bilingual description for students.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import numpy as np
import numpy.typing as npt

from app.core.errors import InputError

Array = npt.NDArray[np.float64]
Point = tuple[float, float]
Domain = tuple[tuple[float, float], tuple[float, float]]
FloatValue = Callable[[float, float], float]
"""f(x, y) on Python floats."""
FloatGradient = Callable[[float, float], tuple[float, float]]
"""(∂f/∂x, ∂f/∂y) at Python floats x, y."""
FloatHessian = Callable[[float, float], tuple[float, float, float]]
"""(∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²) at Python floats x, y (an entry may be a constant)."""


@dataclass(frozen=True)
class SurfaceParam:
    """A user-adjustable constant of a surface (e.g. the condition number κ)."""

    name: str
    default: float
    min: float
    max: float
    log: bool = False
    description: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: name, default, min, max, log (slider hint), description."""
        return {
            "name": self.name,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "log": self.log,
            "description": dict(self.description),
        }


def _xy(p: Array | Sequence[float]) -> tuple[Array, Array]:
    """Split points (..., 2) into x (...) and y (...)."""
    a = np.asarray(p, dtype=float)
    if a.ndim == 0 or a.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got {a.shape}")
    return a[..., 0], a[..., 1]


def _full(v: Array | float, shape: tuple[int, ...]) -> Array:
    a = np.asarray(v, dtype=float)
    # broadcast_to costs microseconds per call; skip it when the shape already fits (the common
    # case), which matters for single-point runs that evaluate f and ∇f once per step.
    return a if a.shape == shape else np.broadcast_to(a, shape)


class Surface(ABC):
    """A function f(x, y) to minimise, with exact first and second derivatives.

    Subclasses set the class attributes and implement ``_f``, ``_grad`` and ``_hess`` on
    arrays x, y of equal shape; the public methods take points of shape ``(..., 2)``.

    Attributes
    ----------
    id, name (en/ko), formula (TeX subset), description (en/ko), domain ((x_min, x_max),
    (y_min, y_max)), start (x, y), param_specs.
    """

    id: ClassVar[str] = ""
    name: ClassVar[dict[str, str]] = {}
    formula: str = ""
    """TeX of f; a class constant for the built-in surfaces, set per instance for a custom one."""
    description: ClassVar[dict[str, str]] = {}
    param_specs: ClassVar[tuple[SurfaceParam, ...]] = ()
    domain: Domain = ((-5.0, 5.0), (-5.0, 5.0))
    start: Point = (-4.0, 4.0)
    scalar_safe: ClassVar[bool] = False
    """True when ``_f``, ``_grad`` and ``_hess`` also take Python floats x, y and give exactly the
    numbers of the array path there: built only from +, −, ×, ÷ (x² written x·x: a float's ``**`` is the C
    library's ``pow``, not NumPy's) and NumPy functions, which give a float the same result as a
    1-element array. The 2-D engine then runs a few recorded runs on floats
    (``app/core/lab2d/scalar_runs.py``), and Newton and L-BFGS evaluate f, ∇f and ∇²f on floats."""
    process_local: ClassVar[bool] = False
    """True when the surface exists only in the process that built it (a network's plane held in
    the web process's cache), so work on it cannot be sent to another process."""

    def __init__(self, **values: float) -> None:
        self.param_values: dict[str, float] = {}
        for spec in self.param_specs:
            value = float(values.pop(spec.name, spec.default))
            if not (math.isfinite(value) and spec.min <= value <= spec.max):
                raise InputError(
                    f"surface_params.{spec.name}",
                    f"must be between {spec.min:g} and {spec.max:g}, got {value:g}",
                    "surface.param_range",
                    {
                        "name": spec.name,
                        "min": spec.min,
                        "max": spec.max,
                        "value": value if math.isfinite(value) else str(value),
                    },
                )
            self.param_values[spec.name] = value
        if values:
            name = next(iter(values))
            known = [s.name for s in self.param_specs]
            raise InputError(
                f"surface_params.{name}",
                _unknown_param_message(self, name),
                "surface.unknown_param",
                {"name": name[:40], "surface": self.id, "known": ", ".join(known)},
            )
        self._points: tuple[list[Point], list[Point], list[Point]] | None = None

    # -- metadata --------------------------------------------------------------------------------

    @property
    def params(self) -> list[dict[str, Any]]:
        """Adjustable parameters as dicts (name, default, min, max, log, description)."""
        return [spec.as_dict() for spec in self.param_specs]

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        """(global minima, other local minima, saddle points); override per surface."""
        return [], [], []

    def _cached_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        if self._points is None:
            self._points = self._stationary_points()
        return self._points

    @property
    def global_minima(self) -> list[Point]:
        """Global minimisers (within the domain for surfaces with infinitely many)."""
        return list(self._cached_points()[0])

    @property
    def minima(self) -> list[Point]:
        """All known minimisers, global ones first (``minima[0]`` is a global minimum)."""
        glob, local, _ = self._cached_points()
        return [*glob, *local]

    @property
    def saddles(self) -> list[Point]:
        """Known saddle points."""
        return list(self._cached_points()[2])

    def info(self) -> dict[str, Any]:
        """JSON-ready description (the ``GET /api/surfaces`` item)."""
        (x0, x1), (y0, y1) = self.domain
        return {
            "id": self.id,
            "name": dict(self.name),
            "formula": self.formula,
            "description": dict(self.description),
            "domain": {"x": [x0, x1], "y": [y0, y1]},
            "minima": [list(p) for p in self.minima],
            "global_minima": [list(p) for p in self.global_minima],
            "saddles": [list(p) for p in self.saddles],
            "start": list(self.start),
            "params": self.params,
            "param_values": dict(self.param_values),
            **self.loss_scale(),
        }

    def loss_scale(self) -> dict[str, Any]:
        """``f_min`` (the lowest known minimum value, ``None`` without minima) and the loss axis
        that reads best (docs/surfaces.md): ``log`` when f ≥ f_min ≥ 0, ``symlog`` without a known
        minimum (the saddles: f unbounded below), ``linear`` when the minimum is negative."""
        if not self.minima:
            return {"f_min": None, "loss_scale": "symlog"}
        values = self.value(np.asarray(self.minima, dtype=float))
        f_min = float(values.min()) if np.isfinite(values).all() else None
        scale = "symlog" if f_min is None else "log" if f_min >= 0 else "linear"
        return {"f_min": f_min, "loss_scale": scale}

    # -- numerics ----------------------------------------------------------------------------------

    def value(self, p: Array | Sequence[float]) -> Array:
        """f at points ``p`` of shape (..., 2) → (...)."""
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            return np.array(_full(self._f(x, y), x.shape), dtype=float)

    def gradient(self, p: Array | Sequence[float]) -> Array:
        """∇f at points (..., 2) → (..., 2)."""
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            gx, gy = self._grad(x, y)
            return np.stack([_full(gx, x.shape), _full(gy, x.shape)], axis=-1)

    def value_at(self, theta: Array) -> Array:
        """f at points θ of shape (R, 2) → (R,), the engine's lean form of :meth:`value`.

        Same numbers as :meth:`value` (the same ``_f`` on the same strided views x = θ[:, 0],
        y = θ[:, 1]) without validating the shape or entering ``np.errstate``: the engine enters
        it once around its loop. The result may share memory with nothing the caller keeps.
        """
        x, y = theta[:, 0], theta[:, 1]
        return _full(self._f(x, y), x.shape)

    def gradient_into(self, theta: Array, out: Array) -> Array:
        """∇f at points θ (R, 2) written into ``out`` (R, 2), which is returned.

        The lean form of :meth:`gradient` for the engine's loop: the two partial derivatives
        are written into preallocated columns instead of stacked into a new array (same numbers).
        """
        gx, gy = self._grad(theta[:, 0], theta[:, 1])
        out[:, 0] = gx
        out[:, 1] = gy
        return out

    def value_and_gradient_into(self, theta: Array, out: Array) -> Array:
        """f at points θ (R, 2) → (R,), with ∇f there written into ``out`` (R, 2).

        :meth:`value_at` and :meth:`gradient_into` in one call on the same views (same numbers):
        the engine evaluates both at each new position.
        """
        x, y = theta[:, 0], theta[:, 1]
        gx, gy = self._grad(x, y)
        out[:, 0] = gx
        out[:, 1] = gy
        return _full(self._f(x, y), x.shape)

    def hessian(self, p: Array | Sequence[float]) -> Array:
        """∇²f at points (..., 2) → (..., 2, 2) (symmetric)."""
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self._hess(x, y)
        # Fill the (..., 2, 2) array entry by entry (each assignment broadcasts a constant entry);
        # three np.stack calls cost more than the arithmetic for the one point of a Newton race.
        h = np.empty((*x.shape, 2, 2))
        h[..., 0, 0] = hxx
        h[..., 0, 1] = hxy
        h[..., 1, 0] = hxy
        h[..., 1, 1] = hyy
        return h

    def float_functions(self) -> tuple[FloatValue, FloatGradient] | None:
        """``(f, ∇f)`` of Python floats x, y — ``_f`` and ``_grad`` themselves — when the surface is
        :attr:`scalar_safe` (their results may be NumPy float scalars), else ``None``."""
        if not self.scalar_safe:
            return None
        return cast(FloatValue, self._f), cast(FloatGradient, self._grad)

    def value_bound(self, r: float) -> float | None:
        """An upper bound of |f(x, y)| over the box |x|, |y| ≤ r (r ≥ 0), or ``None`` when unknown.

        A built-in surface derives it from its formula, usually by the triangle inequality term
        by term (loose but valid, and nondecreasing in r). The 2-D engine uses it to skip f in
        unrecorded runs while every position stays where |f| cannot exceed the divergence bound
        (docs/surfaces.md, "Value bounds"). Custom formulas and network planes give ``None``.
        It is written with products, not ``**``, so a huge r gives inf instead of an OverflowError.
        """
        return None

    def float_hessian(self) -> FloatHessian | None:
        """∇²f's entries (hxx, hxy, hyy) of Python floats x, y — ``_hess`` itself — when the surface
        is :attr:`scalar_safe` (entries may be NumPy float scalars or constants), else ``None``."""
        if not self.scalar_safe:
            return None
        return cast(FloatHessian, self._hess)

    @abstractmethod
    def _f(self, x: Array, y: Array) -> Array | float: ...

    @abstractmethod
    def _grad(self, x: Array, y: Array) -> tuple[Array | float, Array | float]: ...

    @abstractmethod
    def _hess(self, x: Array, y: Array) -> tuple[Array | float, Array | float, Array | float]: ...


def _unknown_param_message(surface: Surface, name: str) -> str:
    known = ", ".join(s.name for s in surface.param_specs)
    if known:
        return f"surface {surface.id!r} has no parameter {name!r}; its parameters are {known}"
    return f"surface {surface.id!r} has no parameters (got {name!r})"

"""Custom surfaces: a user-typed f(x, y) parsed safely by ``app.core.lab2d.expression``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from app.core.lab2d.expression import Expr, ExpressionLimits, differentiate, parse_with, to_string, to_tex
from app.core.lab2d.expression.nodes import evaluator
from app.core.lab2d.surfaces.base import Array, Domain, Point, Surface, _full
from app.core.lab2d.surfaces.minima import estimate_minima, split_global

SMALL = 4096
"""Most points evaluated by the compiled programs in :meth:`ExpressionSurface.value` and ``hessian``;
larger grids use :meth:`Expr.evaluate`, which frees intermediate arrays as it goes."""


class ExpressionSurface(Surface):
    """A user-typed f(x, y), parsed safely, with gradient and Hessian from exact symbolic derivatives.

    Minima are *estimated*: f is sampled on a 61×61 grid over the domain, every interior grid
    point that is no higher than its 8 neighbours (at most 8 of them, lowest first) is refined by
    up to 60 damped Newton steps (|eigenvalues| of the Hessian, with a backtracking line search),
    and a point is kept when it ends inside the domain with |∇f| ≈ 0 and a positive
    semi-definite Hessian. Points whose value matches the best one (relative 1e-9) are reported as
    global. The list can be empty (e.g. for f = x + y). Saddles are not searched for.
    """

    id = "custom"
    name: ClassVar[dict[str, str]] = {"en": "Custom f(x, y)", "ko": "사용자 정의 f(x, y)"}
    description: ClassVar[dict[str, str]] = {
        "en": "Your own function of x and y, parsed safely and differentiated exactly.",
        "ko": "직접 입력한 x, y의 함수입니다. 안전하게 해석하고 정확하게 미분합니다.",
    }
    DEFAULT_DOMAIN: ClassVar[Domain] = ((-5.0, 5.0), (-5.0, 5.0))

    def __init__(self, text: str, domain: Domain | None = None, limits: ExpressionLimits | None = None) -> None:
        super().__init__()
        self.expr: Expr = parse_with(text, limits or ExpressionLimits())
        self.dx = differentiate(self.expr, "x")
        self.dy = differentiate(self.expr, "y")
        self.dxx = differentiate(self.dx, "x")
        self.dxy = differentiate(self.dx, "y")
        self.dyy = differentiate(self.dy, "y")
        # The engine's per-step evaluations: f, ∂f/∂x, ∂f/∂y as one program (shared nodes once).
        self._f_program = evaluator([self.expr])
        self._grad_program = evaluator([self.dx, self.dy])
        self._value_grad_program = evaluator([self.expr, self.dx, self.dy])
        self._hess_program = evaluator([self.dxx, self.dxy, self.dyy])
        self.formula = "f(x,y) = " + to_tex(self.expr)
        self.domain = domain or self.DEFAULT_DOMAIN
        self.start = self._choose_start()

    @property
    def expression(self) -> str:
        """The normalised formula (what the parser read)."""
        return to_string(self.expr)

    @property
    def gradient_text(self) -> list[str]:
        """[∂f/∂x, ∂f/∂y] as plain text."""
        return [to_string(self.dx), to_string(self.dy)]

    @property
    def gradient_tex(self) -> list[str]:
        """[∂f/∂x, ∂f/∂y] as TeX."""
        return [to_tex(self.dx), to_tex(self.dy)]

    def value_at(self, theta: Array) -> Array:
        """f at (R, 2) points, by the compiled program (same numbers as :meth:`value`)."""
        x = theta[:, 0]
        (f,) = self._f_program(x, theta[:, 1])
        return _as_float(f, x.shape)

    def gradient_into(self, theta: Array, out: Array) -> Array:
        """∇f at (R, 2) points into ``out``, by the compiled program."""
        gx, gy = self._grad_program(theta[:, 0], theta[:, 1])
        out[:, 0] = gx
        out[:, 1] = gy
        return out

    def value_and_gradient_into(self, theta: Array, out: Array) -> Array:
        """f and ∇f at (R, 2) points in one program: nodes ∂f shares with f are evaluated once."""
        x = theta[:, 0]
        f, gx, gy = self._value_grad_program(x, theta[:, 1])
        out[:, 0] = gx
        out[:, 1] = gy
        return _as_float(f, x.shape)

    def value(self, p: Array | Sequence[float]) -> Array:
        """f at points (..., 2); a few points (L-BFGS's line search) go through the compiled program."""
        a = np.asarray(p, dtype=float)
        if a.ndim != 2 or a.shape[0] > SMALL or a.shape[1] != 2:
            return super().value(a)
        with np.errstate(all="ignore"):
            return np.array(self.value_at(a), dtype=float)

    def hessian(self, p: Array | Sequence[float]) -> Array:
        """∇²f at points (..., 2); a few points (Newton's steps) go through the compiled program."""
        a = np.asarray(p, dtype=float)
        if a.ndim != 2 or a.shape[0] > SMALL or a.shape[1] != 2:
            return super().hessian(a)
        x, y = a[:, 0], a[:, 1]
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = (_full(h, x.shape) for h in self._hess_program(x, y))
            return np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)

    def _f(self, x: Array, y: Array) -> Array:
        return self.expr.evaluate(x, y)

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return self.dx.evaluate(x, y), self.dy.evaluate(x, y)

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        return self.dxx.evaluate(x, y), self.dxy.evaluate(x, y), self.dyy.evaluate(x, y)

    def _choose_start(self) -> Point:
        """(−4, 4) scaled to the domain, or the first point of a coarse grid where f is finite."""
        (x0, x1), (y0, y1) = self.domain
        preferred = (x0 + 0.1 * (x1 - x0), y0 + 0.9 * (y1 - y0))
        if np.isfinite(self.value(preferred)):
            return preferred
        xs, ys = np.linspace(x0, x1, 21), np.linspace(y0, y1, 21)
        gx, gy = np.meshgrid(xs, ys)
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
        ok = np.isfinite(self.value(pts))
        return (float(pts[ok][0, 0]), float(pts[ok][0, 1])) if ok.any() else preferred

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        glob, local = split_global(self, estimate_minima(self))
        return glob, local, []


def _as_float(v: object, shape: tuple[int, ...]) -> Array:
    """A program's value as a float array of ``shape`` (what :meth:`Expr.evaluate` returns)."""
    return _full(np.asarray(v, dtype=float), shape)

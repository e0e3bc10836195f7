"""Saddles: x² − y² and the degenerate monkey saddle (no minimum, only a saddle at the origin)."""

from __future__ import annotations

from typing import ClassVar

from app.core.lab2d.surfaces.base import Array, Point, Surface


class Saddle(Surface):
    """f = x² − y²: a saddle at the origin, unbounded below along y."""

    id = "saddle"
    name: ClassVar[dict[str, str]] = {"en": "Saddle x² − y²", "ko": "안장점 x² − y²"}
    formula = r"f(x,y) = x^2 - y^2"
    description: ClassVar[dict[str, str]] = {
        "en": "A saddle point at the origin: starting just off the x axis, plain gradient descent "
        "crawls towards the saddle and escapes slowly; momentum and noise escape much faster.",
        "ko": "원점이 안장점입니다. x축 바로 옆에서 출발하면 경사하강법은 안장점으로 다가갔다가 아주 천천히 "
        "빠져나오고, 모멘텀이나 잡음이 있으면 훨씬 빨리 빠져나옵니다.",
    }
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (-4.0, 0.001)
    scalar_safe = True

    def _f(self, x: Array, y: Array) -> Array:
        return x * x - y * y

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 2.0 * x, -2.0 * y

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return 2.0, 0.0, -2.0

    def value_bound(self, r: float) -> float | None:
        """|x² − y²| ≤ max(x², y²) ≤ r² on |x|, |y| ≤ r."""
        return r * r

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [], [], [(0.0, 0.0)]


class MonkeySaddle(Surface):
    """f = x³ − 3xy²: a degenerate saddle (zero Hessian) with three descending valleys."""

    id = "monkey_saddle"
    name: ClassVar[dict[str, str]] = {"en": "Monkey saddle", "ko": "원숭이 안장"}
    formula = r"f(x,y) = x^3 - 3xy^2"
    description: ClassVar[dict[str, str]] = {
        "en": "A monkey saddle: three valleys go down from the origin, where even the Hessian "
        "vanishes, so gradient descent stalls there for a long time before escaping.",
        "ko": "원숭이 안장입니다. 원점에서 세 골짜기가 아래로 뻗어 있고 원점에서는 헤세 행렬까지 0이어서, "
        "경사하강법이 오랫동안 멈춘 듯이 머물다가 빠져나갑니다.",
    }
    domain = ((-3.0, 3.0), (-3.0, 3.0))
    start = (2.0, 0.05)

    def _f(self, x: Array, y: Array) -> Array:
        return x**3 - 3.0 * x * y**2

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 3.0 * x**2 - 3.0 * y**2, -6.0 * x * y

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        return 6.0 * x, -6.0 * y, -6.0 * x

    def value_bound(self, r: float) -> float | None:
        """|x³ − 3xy²| ≤ r³ + 3r³ on |x|, |y| ≤ r."""
        return 4.0 * (r * r * r)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [], [], [(0.0, 0.0)]

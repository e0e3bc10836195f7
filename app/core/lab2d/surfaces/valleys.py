"""Narrow curved valleys: Rosenbrock's banana valley and Beale's plateaus and steep walls."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from app.core.lab2d.surfaces.base import Array, Point, Surface, SurfaceParam


class Rosenbrock(Surface):
    """f = (a − x)² + b(y − x²)², minimum at (a, a²)."""

    id = "rosenbrock"
    name: ClassVar[dict[str, str]] = {"en": "Rosenbrock valley", "ko": "로젠브록 골짜기"}
    formula = r"f(x,y) = (a - x)^2 + b(y - x^2)^2"
    description: ClassVar[dict[str, str]] = {
        "en": "A long, curved, narrow valley: finding the valley is easy, following its floor to "
        "the minimum at (a, a²) is hard. A classic test of momentum and adaptive methods.",
        "ko": "길고 휘어진 좁은 골짜기입니다. 골짜기에 들어가기는 쉽지만 바닥을 따라 최솟값 (a, a²)까지 "
        "가기는 어렵습니다. 모멘텀과 적응형 방법을 시험하는 고전적인 함수입니다.",
    }
    param_specs = (
        SurfaceParam("a", 1.0, -2.0, 2.0, description={"en": "minimum at (a, a²)", "ko": "최솟값 위치 (a, a²)"}),
        SurfaceParam(
            "b", 100.0, 1.0, 1000.0, log=True,
            description={"en": "steepness of the valley walls", "ko": "골짜기 벽의 가파름"},
        ),
    )  # fmt: skip
    start = (-1.5, 2.0)
    scalar_safe = True

    def __init__(self, **values: float) -> None:
        super().__init__(**values)
        self.a = self.param_values["a"]
        self.b = self.param_values["b"]
        a = self.a
        self.domain = ((min(-2.0, a - 1.0), max(2.0, a + 1.0)), (-1.0, max(3.0, a * a + 1.0)))

    def _f(self, x: Array, y: Array) -> Array:
        u, r = self.a - x, y - x * x
        return u * u + self.b * (r * r)

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        r = y - x * x
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, float]:
        b = self.b
        return 2.0 - 4.0 * b * y + 12.0 * b * (x * x), -4.0 * b * x, 2.0 * b  # x·x: float-safe

    def value_and_gradient_into(self, theta: Array, out: Array) -> Array:
        """f and ∇f at (R, 2) points sharing a − x and r = y − x² (the same operations as ``_f``
        and ``_grad``, so the same numbers, in 12 NumPy calls instead of 15)."""
        x, y = theta[:, 0], theta[:, 1]
        u, r = self.a - x, y - x * x
        out[:, 0] = -2.0 * u - 4.0 * self.b * x * r
        out[:, 1] = 2.0 * self.b * r
        return u * u + self.b * (r * r)

    def value_bound(self, r: float) -> float | None:
        """(a − x)² + b(y − x²)² ≤ (|a| + r)² + b(r + r²)² on |x|, |y| ≤ r (both terms ≥ 0)."""
        u, w = abs(self.a) + r, r + r * r
        return u * u + self.b * (w * w)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(self.a, self.a**2)], [], []


class Beale(Surface):
    """Beale's function; minimum f(3, 0.5) = 0."""

    id = "beale"
    name: ClassVar[dict[str, str]] = {"en": "Beale", "ko": "빌(Beale) 함수"}
    formula = r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    description: ClassVar[dict[str, str]] = {
        "en": "Flat plateaus next to very steep walls, with the minimum (3, 0.5) in a narrow curved "
        "basin and two saddle points: step sizes that suit one region fail in another.",
        "ko": "아주 평평한 고원과 매우 가파른 벽이 붙어 있고, 최솟값 (3, 0.5)는 좁게 휜 분지 안에 있으며 "
        "안장점이 두 개 있습니다. 한 곳에 맞는 학습률이 다른 곳에서는 실패합니다.",
    }
    domain = ((-4.5, 4.5), (-4.5, 4.5))
    start = (1.0, 1.5)
    _C = (1.5, 2.25, 2.625)

    def _terms(self, x: Array, y: Array) -> list[tuple[Array, Array, Array, Array, Array, int]]:
        # r_k = c_k − x + x yᵏ; ∂r/∂x = yᵏ − 1, ∂r/∂y = k x yᵏ⁻¹, ∂²r/∂x∂y = k yᵏ⁻¹, ∂²r/∂y² = k(k−1) x yᵏ⁻²
        out = []
        for k, c in enumerate(self._C, start=1):
            yk = y**k
            r = c - x + x * yk
            rx = yk - 1.0
            ry = k * x * y ** (k - 1)
            rxy = k * y ** (k - 1)
            ryy = k * (k - 1) * x * y ** (k - 2) if k >= 2 else np.zeros_like(x)
            out.append((r, rx, ry, rxy, ryy, k))
        return out

    def _f(self, x: Array, y: Array) -> Array | float:
        return sum(t[0] ** 2 for t in self._terms(x, y))

    def _grad(self, x: Array, y: Array) -> tuple[Array | float, Array | float]:
        terms = self._terms(x, y)
        return sum(2 * r * rx for r, rx, *_ in terms), sum(2 * r * ry for r, _, ry, *_ in terms)

    def _hess(self, x: Array, y: Array) -> tuple[Array | float, Array | float, Array | float]:
        # f = Σ r², so ∂²f = Σ 2(∂r ∂r + r ∂²r); ∂²r/∂x² = 0.
        terms = self._terms(x, y)
        hxx = sum(2 * rx * rx for _, rx, *_ in terms)
        hxy = sum(2 * (rx * ry + r * rxy) for r, rx, ry, rxy, _, _ in terms)
        hyy = sum(2 * (ry * ry + r * ryy) for r, _, ry, _, ryy, _ in terms)
        return hxx, hxy, hyy

    def value_bound(self, r: float) -> float | None:
        """Σₖ (cₖ − x + x yᵏ)² ≤ Σₖ (cₖ + r + r^(k+1))² on |x|, |y| ≤ r (k = 1, 2, 3)."""
        total, rk = 0.0, r
        for c in self._C:
            rk = rk * r  # r^(k+1)
            term = c + r + rk
            total += term * term
        return total

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        # Saddles found by Newton's method from a 60×60 grid (float64, |∇f| < 1e-12).
        return [(3.0, 0.5)], [], [(0.0, 1.0), (0.1005379373241584, -2.6445135850231245)]

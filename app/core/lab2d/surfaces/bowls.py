"""Quadratic bowls: the textbook's elongated bowl, the course's quadratic J and a rotated bowl of
adjustable condition number (constant Hessians, one minimum at the origin).
"""

from __future__ import annotations

import math
from typing import ClassVar

from app.core.lab2d.surfaces.base import Array, Point, Surface, SurfaceParam


class BookBowl(Surface):
    """f = x²/20 + y²: the textbook's (DL from scratch, ch. 6) elongated bowl."""

    id = "book_bowl"
    name: ClassVar[dict[str, str]] = {"en": "Textbook bowl", "ko": "교과서 그릇"}
    formula = r"f(x,y) = \frac{x^2}{20} + y^2"
    description: ClassVar[dict[str, str]] = {
        "en": "The textbook's elongated bowl: the slope along y is 20 times steeper than along x, "
        "so plain SGD zig-zags across the valley while momentum and Adam head for the minimum.",
        "ko": "교과서의 길쭉한 그릇 모양 함수입니다. y 방향 기울기가 x 방향보다 훨씬 가팔라서 "
        "SGD는 지그재그로 움직이고, 모멘텀과 Adam은 최솟값으로 곧장 나아갑니다.",
    }
    domain = ((-10.0, 10.0), (-5.0, 5.0))
    start = (-7.0, 2.0)
    scalar_safe = True

    def _f(self, x: Array, y: Array) -> Array:
        return x * x / 20.0 + y * y

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return x / 10.0, 2.0 * y

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return 0.1, 0.0, 2.0

    def value_bound(self, r: float) -> float | None:
        """|x²/20 + y²| ≤ r²/20 + r² on |x|, |y| ≤ r."""
        return 1.05 * (r * r)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(0.0, 0.0)], [], []


class CourseQuadratic(Surface):
    """J = x² + 2y² − xy: the course's convex example (Hessian eigenvalues 3 ± √2)."""

    id = "course_quadratic"
    name: ClassVar[dict[str, str]] = {"en": "Course quadratic J", "ko": "강의 예제 이차함수 J"}
    formula = r"J(x,y) = x^2 + 2y^2 - xy"
    description: ClassVar[dict[str, str]] = {
        "en": "The course's convex quadratic. Its Hessian has eigenvalues 3 ± √2, so plain gradient "
        "descent converges only for η < 2/(3+√2) ≈ 0.453: try η = 0.1, 0.01 and 0.5.",
        "ko": "강의에서 다룬 볼록 이차함수입니다. 헤세 행렬의 고윳값이 3 ± √2이므로 경사하강법은 "
        "η < 2/(3+√2) ≈ 0.453일 때만 수렴합니다. η = 0.1, 0.01, 0.5를 비교해 보세요.",
    }
    domain = ((-6.0, 6.0), (-6.0, 6.0))
    start = (-5.0, 4.0)
    scalar_safe = True

    def _f(self, x: Array, y: Array) -> Array:
        return x * x + 2.0 * (y * y) - x * y

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 2.0 * x - y, 4.0 * y - x

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return 2.0, -1.0, 4.0

    def value_bound(self, r: float) -> float | None:
        """|x² + 2y² − xy| ≤ r² + 2r² + r² on |x|, |y| ≤ r."""
        return 4.0 * (r * r)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(0.0, 0.0)], [], []


class IllConditioned(Surface):
    """f = ½ pᵀ A p with A = R(θ) diag(1, κ) R(θ)ᵀ: a rotated bowl with condition number κ."""

    id = "ill_conditioned"
    name: ClassVar[dict[str, str]] = {"en": "Ill-conditioned bowl", "ko": "조건수가 나쁜 그릇"}
    formula = r"f(p) = \frac{1}{2} p^T R_\theta \, \mathrm{diag}(1, \kappa) \, R_\theta^T p"
    description: ClassVar[dict[str, str]] = {
        "en": "A rotated quadratic whose curvatures differ by the factor κ: gradient descent needs "
        "η < 2/κ to stay stable and then crawls along the flat direction; adaptive methods and "
        "Newton cope.",
        "ko": "두 방향의 곡률이 κ배 차이 나는 회전된 이차함수입니다. 경사하강법은 η < 2/κ여야 안정적이고 "
        "그러면 평평한 방향으로는 아주 느리게 움직입니다. 적응형 방법과 뉴턴 방법은 잘 대처합니다.",
    }
    param_specs = (
        SurfaceParam(
            "kappa", 10.0, 1.0, 1e4, log=True,
            description={"en": "condition number κ = λ_max/λ_min", "ko": "조건수 κ = λ_max/λ_min"},
        ),
        SurfaceParam(
            "angle_deg", 30.0, -90.0, 90.0,
            description={"en": "rotation θ of the axes, in degrees", "ko": "축의 회전각 θ (도)"},
        ),
    )  # fmt: skip
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (-4.0, 2.0)
    scalar_safe = True

    def __init__(self, **values: float) -> None:
        super().__init__(**values)
        kappa = self.param_values["kappa"]
        theta = math.radians(self.param_values["angle_deg"])
        c, s = math.cos(theta), math.sin(theta)
        # R diag(1, κ) Rᵀ with R = [[c, −s], [s, c]]
        self.a11 = c * c + kappa * s * s
        self.a12 = (1.0 - kappa) * c * s
        self.a22 = s * s + kappa * c * c

    def _f(self, x: Array, y: Array) -> Array:
        return 0.5 * (self.a11 * (x * x) + 2.0 * self.a12 * x * y + self.a22 * (y * y))

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return self.a11 * x + self.a12 * y, self.a12 * x + self.a22 * y

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return self.a11, self.a12, self.a22

    def value_bound(self, r: float) -> float | None:
        """|½(a₁₁x² + 2a₁₂xy + a₂₂y²)| ≤ ½(|a₁₁| + 2|a₁₂| + |a₂₂|) r² on |x|, |y| ≤ r."""
        return 0.5 * (abs(self.a11) + 2.0 * abs(self.a12) + abs(self.a22)) * (r * r)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(0.0, 0.0)], [], []

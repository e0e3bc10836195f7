"""Surfaces with several minima: Himmelblau, a local-versus-global pair of wells, Rastrigin and the
six-hump camel (which minimum a run reaches depends on the start and the optimizer).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from app.core.lab2d.surfaces.base import Array, Point, Surface


class Himmelblau(Surface):
    """Himmelblau's function: four global minima with f = 0."""

    id = "himmelblau"
    name: ClassVar[dict[str, str]] = {"en": "Himmelblau", "ko": "힘멜블라우 함수"}
    formula = r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    description: ClassVar[dict[str, str]] = {
        "en": "Four equally deep minima separated by saddle points: which one an optimizer reaches "
        "depends on the start and on the optimizer.",
        "ko": "깊이가 같은 최솟값 네 개가 안장점으로 나뉘어 있습니다. 어느 최솟값에 도착할지는 "
        "시작점과 옵티마이저에 따라 달라집니다.",
    }
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (0.0, 0.0)
    scalar_safe = True

    def _f(self, x: Array, y: Array) -> Array:
        u, v = x * x + y - 11.0, x + y * y - 7.0
        return u * u + v * v

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        return 12.0 * (x * x) + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * (y * y) + 4.0 * x - 26.0  # x·x: float-safe

    def value_bound(self, r: float) -> float | None:
        """(x² + y − 11)² + (x + y² − 7)² ≤ (r² + r + 11)² + (r² + r + 7)² on |x|, |y| ≤ r."""
        u, v = r * r + r + 11.0, r * r + r + 7.0
        return u * u + v * v

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        # Newton's method from a 60×60 grid, float64 (|∇f| < 1e-12); (3, 2) is exact.
        minima = [
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.2831859912861696),
            (3.5844283403304917, -1.8481265269644036),
        ]
        saddles = [
            (3.385154183607021, 0.07385187983774928),
            (0.08667750455539634, 2.884254701174776),
            (-3.0730257507643897, -0.08135304428796751),
            (-0.12796134673068005, -1.9537149802445766),
        ]
        return minima, [], saddles


class LocalMinima(Surface):
    """A shallow bowl minus two Gaussian wells of different depth (one global, one local minimum)."""

    id = "local_minima"
    name: ClassVar[dict[str, str]] = {"en": "Local vs global minimum", "ko": "지역 최솟값과 전역 최솟값"}
    formula = (
        r"f(x,y) = \frac{x^2 + y^2}{20} - 3e^{-\frac{(x-2)^2 + (y-1.5)^2}{2}}"
        r" - 1.5e^{-\frac{(x+2)^2 + (y+1.5)^2}{2.88}}"
    )
    description: ClassVar[dict[str, str]] = {
        "en": "A deep global minimum near (1.93, 1.45) and a shallower local one near (−1.82, −1.37), "
        "separated by a saddle: from the default start plain descent gets trapped in the local one.",
        "ko": "(1.93, 1.45) 근처의 깊은 전역 최솟값과 (−1.82, −1.37) 근처의 얕은 지역 최솟값이 안장점으로 "
        "나뉘어 있습니다. 기본 시작점에서 경사하강법은 지역 최솟값에 갇힙니다.",
    }
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (-4.0, -3.0)
    scalar_safe = True
    # (depth A, centre cx, cy, width s) of each well  −A exp(−((x−cx)² + (y−cy)²) / (2 s²))
    WELLS = ((3.0, 2.0, 1.5, 1.0), (1.5, -2.0, -1.5, 1.2))
    BOWL = 0.05  # f includes BOWL · (x² + y²)

    def _wells(self, x: Array, y: Array) -> list[tuple[Array, Array, Array, float]]:
        out = []
        for depth, cx, cy, s in self.WELLS:
            # w = A e^{−q}, with q_x = (x − cx)/s², q_y = (y − cy)/s², q_xx = q_yy = 1/s²
            qx = (x - cx) / s**2
            qy = (y - cy) / s**2
            dx, dy = x - cx, y - cy
            w = depth * np.exp(-(dx * dx + dy * dy) / (2.0 * s**2))
            out.append((w, qx, qy, 1.0 / s**2))
        return out

    def _f(self, x: Array, y: Array) -> Array:
        return self.BOWL * (x * x + y * y) - sum(w for w, *_ in self._wells(x, y))

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        # ∂(−A e^{−q}) = A e^{−q} ∂q
        wells = self._wells(x, y)
        gx = 2 * self.BOWL * x + sum(w * qx for w, qx, _, _ in wells)
        gy = 2 * self.BOWL * y + sum(w * qy for w, _, qy, _ in wells)
        return gx, gy

    def _hess(self, x: Array, y: Array) -> tuple[Array | float, Array | float, Array | float]:
        # ∂²(−A e^{−q}) = A e^{−q} (∂²q − ∂q ∂qᵀ)
        wells = self._wells(x, y)
        hxx = 2 * self.BOWL + sum(w * (c - qx * qx) for w, qx, _, c in wells)
        hxy = sum(-w * qx * qy for w, qx, qy, _ in wells)
        hyy = 2 * self.BOWL + sum(w * (c - qy * qy) for w, _, qy, c in wells)
        return hxx, hxy, hyy

    def value_bound(self, r: float) -> float | None:
        """|BOWL (x² + y²) − Σ wells| ≤ 2·BOWL·r² + Σ depths on |x|, |y| ≤ r (each well is in [0, A])."""
        return 2.0 * self.BOWL * (r * r) + sum(depth for depth, *_ in self.WELLS)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        # Newton's method from an 80×80 grid, float64 (|∇f| < 1e-15): f ≈ −2.698, −1.215, −0.303.
        return (
            [(1.9349792476016814, 1.451234435701261)],
            [(-1.8219355209786885, -1.3664516407340164)],
            [(-0.026414225443268834, -0.01981066908245171)],
        )


# Positive local minimisers of the 1-D Rastrigin term x² − 10 cos(2πx) on [0, 5.12]: roots of
# 2x + 20π sin(2πx) = 0 next to each integer (Newton's method, float64; each is slightly pulled
# towards 0 by the x² term).
_RASTRIGIN_1D = (0.0, 0.9949586376523348, 1.9899122337085497, 2.984855701039481,
                 3.9797838603007536, 4.974691390895051)  # fmt: skip


class Rastrigin(Surface):
    """2-D Rastrigin (A = 10): a bowl covered with a regular grid of local minima."""

    id = "rastrigin"
    name: ClassVar[dict[str, str]] = {"en": "Rastrigin", "ko": "라스트리긴 함수"}
    formula = r"f(x,y) = 20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)"
    description: ClassVar[dict[str, str]] = {
        "en": "A bowl covered by an egg-box of 121 local minima; only (0, 0) is global. Local "
        "methods stop in the nearest dip: it shows why the start and the noise matter.",
        "ko": "달걀판처럼 121개의 지역 최솟값이 덮인 그릇이며 전역 최솟값은 (0, 0)뿐입니다. 지역적인 "
        "방법은 가장 가까운 웅덩이에 멈추므로 시작점과 잡음이 왜 중요한지 보여 줍니다.",
    }
    domain = ((-5.12, 5.12), (-5.12, 5.12))
    start = (-4.3, 3.6)
    scalar_safe = True
    A = 10.0

    def _f(self, x: Array, y: Array) -> Array:
        two_pi = 2.0 * np.pi
        return 2 * self.A + x * x - self.A * np.cos(two_pi * x) + y * y - self.A * np.cos(two_pi * y)

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        two_pi = 2.0 * np.pi
        return (2.0 * x + self.A * two_pi * np.sin(two_pi * x), 2.0 * y + self.A * two_pi * np.sin(two_pi * y))

    def _hess(self, x: Array, y: Array) -> tuple[Array, float, Array]:
        two_pi = 2.0 * np.pi
        c = self.A * two_pi**2
        return 2.0 + c * np.cos(two_pi * x), 0.0, 2.0 + c * np.cos(two_pi * y)

    def value_bound(self, r: float) -> float | None:
        """|2A + x² − A cos 2πx + y² − A cos 2πy| ≤ 2A + 2r² + 2A on |x|, |y| ≤ r (|cos| ≤ 1)."""
        return 4.0 * self.A + 2.0 * (r * r)

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        # The function is separable, so its minima are all pairs of 1-D minimisers.
        coords = sorted({s * r + 0.0 for r in _RASTRIGIN_1D for s in (-1.0, 1.0)})  # +0.0 drops −0
        points = [(float(a), float(b)) for a in coords for b in coords if (a, b) != (0.0, 0.0)]
        values = self.value(np.array(points))
        local = [points[i] for i in np.argsort(values, kind="stable")]
        # Saddles (a 1-D maximum in one coordinate) are not listed: there are 220 of them.
        return [(0.0, 0.0)], local, []


class SixHumpCamel(Surface):
    """The six-hump camel function: six minima, two of them global (f ≈ −1.0316)."""

    id = "six_hump_camel"
    name: ClassVar[dict[str, str]] = {"en": "Six-hump camel", "ko": "여섯 혹 낙타 함수"}
    formula = r"f(x,y) = \left(4 - 2.1x^2 + \frac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)y^2"
    description: ClassVar[dict[str, str]] = {
        "en": "Six minima: two global ones at about (±0.0898, ∓0.7127) and four local ones, "
        "separated by saddles — a small landscape where the start decides the outcome.",
        "ko": "최솟값이 여섯 개 있습니다. (±0.0898, ∓0.7127) 부근의 두 전역 최솟값과 네 개의 지역 "
        "최솟값이 안장점으로 나뉘어 있어 시작점이 결과를 좌우합니다.",
    }
    domain = ((-3.0, 3.0), (-2.0, 2.0))
    start = (-1.5, 1.5)

    def _f(self, x: Array, y: Array) -> Array:
        return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 8.0 * x - 8.4 * x**3 + 2.0 * x**5 + y, x - 8.0 * y + 16.0 * y**3

    def _hess(self, x: Array, y: Array) -> tuple[Array, float, Array]:
        return 8.0 - 25.2 * x**2 + 10.0 * x**4, 1.0, -8.0 + 48.0 * y**2

    def value_bound(self, r: float) -> float | None:
        """|(4 − 2.1x² + x⁴/3)x² + xy + (4y² − 4)y²| ≤ (4 + 2.1r² + r⁴/3)r² + r² + (4r² + 4)r²."""
        r2 = r * r
        return (4.0 + 2.1 * r2 + r2 * r2 / 3.0) * r2 + r2 + (4.0 * r2 + 4.0) * r2

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        # Newton's method from a 60×60 grid, float64; f(−x, −y) = f(x, y) makes them come in pairs.
        def pair(x: float, y: float) -> list[Point]:
            return [(x, y), (-x, -y)]

        glob = pair(0.08984201310031807, -0.7126564030207396)
        local = [*pair(1.7036067149699814, -0.7960835686726251), *pair(1.6071047529201978, 0.5686514548841313)]
        saddles = [
            (0.0, 0.0),
            *pair(1.1092053368047863, -0.7682680925095399),
            *pair(1.2960702671671092, 0.6050843880386585),
            *pair(1.6380679841897787, 0.22867406904439408),
        ]
        return glob, local, saddles

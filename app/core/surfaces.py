"""Two-dimensional test surfaces f(x, y) with exact gradients and Hessians (SPEC §2).

Every surface works on points of shape ``(..., 2)`` (the last axis holds x and y) and returns
``value`` (...), ``gradient`` (..., 2) and ``hessian`` (..., 2, 2), all derived by hand. Each one
carries its plotting domain, its known minima (global ones first) and saddle points, a suggested
start and a bilingual description for students.

``get_surface(id, params, expression)`` is the single entry point: it validates parameters and
builds a :class:`ExpressionSurface` for user-typed formulas (``id = "custom"``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from app.core.errors import InputError
from app.core.expression import Expr, ExpressionLimits, parse_with

Array = np.ndarray
Point = tuple[float, float]
Domain = tuple[tuple[float, float], tuple[float, float]]


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
    formula: ClassVar[str] = ""
    description: ClassVar[dict[str, str]] = {}
    param_specs: ClassVar[tuple[SurfaceParam, ...]] = ()
    domain: Domain = ((-5.0, 5.0), (-5.0, 5.0))
    start: Point = (-4.0, 4.0)

    def __init__(self, **values: float) -> None:
        self.param_values: dict[str, float] = {}
        for spec in self.param_specs:
            value = float(values.pop(spec.name, spec.default))
            if not (math.isfinite(value) and spec.min <= value <= spec.max):
                raise InputError(
                    f"surface_params.{spec.name}", f"must be between {spec.min:g} and {spec.max:g}, got {value:g}"
                )
            self.param_values[spec.name] = value
        if values:
            name = next(iter(values))
            raise InputError(f"surface_params.{name}", _unknown_param_message(self, name))
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
        }

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

    def hessian(self, p: Array | Sequence[float]) -> Array:
        """∇²f at points (..., 2) → (..., 2, 2) (symmetric)."""
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = (_full(h, x.shape) for h in self._hess(x, y))
            return np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)

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


# =============================================================================================
# The built-in surfaces
# =============================================================================================


class BookBowl(Surface):
    """f = x²/20 + y²: the textbook's (DL from scratch, ch. 6) elongated bowl."""

    id = "book_bowl"
    name = {"en": "Textbook bowl", "ko": "교과서 그릇"}
    formula = r"f(x,y) = \frac{x^2}{20} + y^2"
    description = {
        "en": "The textbook's elongated bowl: the slope along y is 20 times steeper than along x, "
        "so plain SGD zig-zags across the valley while momentum and Adam head for the minimum.",
        "ko": "교과서의 길쭉한 그릇 모양 함수입니다. y 방향 기울기가 x 방향보다 훨씬 가팔라서 "
        "SGD는 지그재그로 움직이고, 모멘텀과 Adam은 최솟값으로 곧장 나아갑니다.",
    }
    domain = ((-10.0, 10.0), (-5.0, 5.0))
    start = (-7.0, 2.0)

    def _f(self, x: Array, y: Array) -> Array:
        return x**2 / 20.0 + y**2

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return x / 10.0, 2.0 * y

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return 0.1, 0.0, 2.0

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(0.0, 0.0)], [], []


class CourseQuadratic(Surface):
    """J = x² + 2y² − xy: the course's convex example (Hessian eigenvalues 3 ± √2)."""

    id = "course_quadratic"
    name = {"en": "Course quadratic J", "ko": "강의 예제 이차함수 J"}
    formula = r"J(x,y) = x^2 + 2y^2 - xy"
    description = {
        "en": "The course's convex quadratic. Its Hessian has eigenvalues 3 ± √2, so plain gradient "
        "descent converges only for η < 2/(3+√2) ≈ 0.453: try η = 0.1, 0.01 and 0.5.",
        "ko": "강의에서 다룬 볼록 이차함수입니다. 헤세 행렬의 고윳값이 3 ± √2이므로 경사하강법은 "
        "η < 2/(3+√2) ≈ 0.453일 때만 수렴합니다. η = 0.1, 0.01, 0.5를 비교해 보세요.",
    }
    domain = ((-6.0, 6.0), (-6.0, 6.0))
    start = (-5.0, 4.0)

    def _f(self, x: Array, y: Array) -> Array:
        return x**2 + 2.0 * y**2 - x * y

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 2.0 * x - y, 4.0 * y - x

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return 2.0, -1.0, 4.0

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(0.0, 0.0)], [], []


class Rosenbrock(Surface):
    """f = (a − x)² + b(y − x²)², minimum at (a, a²)."""

    id = "rosenbrock"
    name = {"en": "Rosenbrock valley", "ko": "로젠브록 골짜기"}
    formula = r"f(x,y) = (a - x)^2 + b(y - x^2)^2"
    description = {
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

    def __init__(self, **values: float) -> None:
        super().__init__(**values)
        self.a = self.param_values["a"]
        self.b = self.param_values["b"]
        a = self.a
        self.domain = ((min(-2.0, a - 1.0), max(2.0, a + 1.0)), (-1.0, max(3.0, a * a + 1.0)))

    def _f(self, x: Array, y: Array) -> Array:
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        r = y - x**2
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, float]:
        b = self.b
        return 2.0 - 4.0 * b * y + 12.0 * b * x**2, -4.0 * b * x, 2.0 * b

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(self.a, self.a**2)], [], []


class Beale(Surface):
    """Beale's function; minimum f(3, 0.5) = 0."""

    id = "beale"
    name = {"en": "Beale", "ko": "빌(Beale) 함수"}
    formula = r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    description = {
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

    def _f(self, x: Array, y: Array) -> Array:
        return sum(t[0] ** 2 for t in self._terms(x, y))

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        terms = self._terms(x, y)
        return sum(2 * r * rx for r, rx, *_ in terms), sum(2 * r * ry for r, _, ry, *_ in terms)

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        # f = Σ r², so ∂²f = Σ 2(∂r ∂r + r ∂²r); ∂²r/∂x² = 0.
        terms = self._terms(x, y)
        hxx = sum(2 * rx * rx for _, rx, *_ in terms)
        hxy = sum(2 * (rx * ry + r * rxy) for r, rx, ry, rxy, _, _ in terms)
        hyy = sum(2 * (ry * ry + r * ryy) for r, _, ry, _, ryy, _ in terms)
        return hxx, hxy, hyy

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        # Saddles found by Newton's method from a 60×60 grid (float64, |∇f| < 1e-12).
        return [(3.0, 0.5)], [], [(0.0, 1.0), (0.1005379373241584, -2.6445135850231245)]


class Himmelblau(Surface):
    """Himmelblau's function: four global minima with f = 0."""

    id = "himmelblau"
    name = {"en": "Himmelblau", "ko": "힘멜블라우 함수"}
    formula = r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    description = {
        "en": "Four equally deep minima separated by saddle points: which one an optimizer reaches "
        "depends on the start and on the optimizer.",
        "ko": "깊이가 같은 최솟값 네 개가 안장점으로 나뉘어 있습니다. 어느 최솟값에 도착할지는 "
        "시작점과 옵티마이저에 따라 달라집니다.",
    }
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (0.0, 0.0)

    def _f(self, x: Array, y: Array) -> Array:
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        u = x**2 + y - 11.0
        v = x + y**2 - 7.0
        return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        return 12.0 * x**2 + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * y**2 + 4.0 * x - 26.0

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


class Saddle(Surface):
    """f = x² − y²: a saddle at the origin, unbounded below along y."""

    id = "saddle"
    name = {"en": "Saddle x² − y²", "ko": "안장점 x² − y²"}
    formula = r"f(x,y) = x^2 - y^2"
    description = {
        "en": "A saddle point at the origin: starting just off the x axis, plain gradient descent "
        "crawls towards the saddle and escapes slowly; momentum and noise escape much faster.",
        "ko": "원점이 안장점입니다. x축 바로 옆에서 출발하면 경사하강법은 안장점으로 다가갔다가 아주 천천히 "
        "빠져나오고, 모멘텀이나 잡음이 있으면 훨씬 빨리 빠져나옵니다.",
    }
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (-4.0, 0.001)

    def _f(self, x: Array, y: Array) -> Array:
        return x**2 - y**2

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return 2.0 * x, -2.0 * y

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return 2.0, 0.0, -2.0

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [], [], [(0.0, 0.0)]


class MonkeySaddle(Surface):
    """f = x³ − 3xy²: a degenerate saddle (zero Hessian) with three descending valleys."""

    id = "monkey_saddle"
    name = {"en": "Monkey saddle", "ko": "원숭이 안장"}
    formula = r"f(x,y) = x^3 - 3xy^2"
    description = {
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

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [], [], [(0.0, 0.0)]


class LocalMinima(Surface):
    """A shallow bowl minus two Gaussian wells of different depth (one global, one local minimum)."""

    id = "local_minima"
    name = {"en": "Local vs global minimum", "ko": "지역 최솟값과 전역 최솟값"}
    formula = (
        r"f(x,y) = \frac{x^2 + y^2}{20} - 3e^{-\frac{(x-2)^2 + (y-1.5)^2}{2}}"
        r" - 1.5e^{-\frac{(x+2)^2 + (y+1.5)^2}{2.88}}"
    )
    description = {
        "en": "A deep global minimum near (1.93, 1.45) and a shallower local one near (−1.82, −1.37), "
        "separated by a saddle: from the default start plain descent gets trapped in the local one.",
        "ko": "(1.93, 1.45) 근처의 깊은 전역 최솟값과 (−1.82, −1.37) 근처의 얕은 지역 최솟값이 안장점으로 "
        "나뉘어 있습니다. 기본 시작점에서 경사하강법은 지역 최솟값에 갇힙니다.",
    }
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    start = (-4.0, -3.0)
    # (depth A, centre cx, cy, width s) of each well  −A exp(−((x−cx)² + (y−cy)²) / (2 s²))
    WELLS = ((3.0, 2.0, 1.5, 1.0), (1.5, -2.0, -1.5, 1.2))
    BOWL = 0.05  # f includes BOWL · (x² + y²)

    def _wells(self, x: Array, y: Array) -> list[tuple[Array, Array, Array, float]]:
        out = []
        for depth, cx, cy, s in self.WELLS:
            # w = A e^{−q}, with q_x = (x − cx)/s², q_y = (y − cy)/s², q_xx = q_yy = 1/s²
            qx = (x - cx) / s**2
            qy = (y - cy) / s**2
            w = depth * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2.0 * s**2))
            out.append((w, qx, qy, 1.0 / s**2))
        return out

    def _f(self, x: Array, y: Array) -> Array:
        return self.BOWL * (x**2 + y**2) - sum(w for w, *_ in self._wells(x, y))

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        # ∂(−A e^{−q}) = A e^{−q} ∂q
        wells = self._wells(x, y)
        gx = 2 * self.BOWL * x + sum(w * qx for w, qx, _, _ in wells)
        gy = 2 * self.BOWL * y + sum(w * qy for w, _, qy, _ in wells)
        return gx, gy

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        # ∂²(−A e^{−q}) = A e^{−q} (∂²q − ∂q ∂qᵀ)
        wells = self._wells(x, y)
        hxx = 2 * self.BOWL + sum(w * (c - qx * qx) for w, qx, _, c in wells)
        hxy = sum(-w * qx * qy for w, qx, qy, _ in wells)
        hyy = 2 * self.BOWL + sum(w * (c - qy * qy) for w, _, qy, c in wells)
        return hxx, hxy, hyy

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
    name = {"en": "Rastrigin", "ko": "라스트리긴 함수"}
    formula = r"f(x,y) = 20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)"
    description = {
        "en": "A bowl covered by an egg-box of 121 local minima; only (0, 0) is global. Local "
        "methods stop in the nearest dip: it shows why the start and the noise matter.",
        "ko": "달걀판처럼 121개의 지역 최솟값이 덮인 그릇이며 전역 최솟값은 (0, 0)뿐입니다. 지역적인 "
        "방법은 가장 가까운 웅덩이에 멈추므로 시작점과 잡음이 왜 중요한지 보여 줍니다.",
    }
    domain = ((-5.12, 5.12), (-5.12, 5.12))
    start = (-4.3, 3.6)
    A = 10.0

    def _f(self, x: Array, y: Array) -> Array:
        two_pi = 2.0 * np.pi
        return 2 * self.A + x**2 - self.A * np.cos(two_pi * x) + y**2 - self.A * np.cos(two_pi * y)

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        two_pi = 2.0 * np.pi
        return (2.0 * x + self.A * two_pi * np.sin(two_pi * x), 2.0 * y + self.A * two_pi * np.sin(two_pi * y))

    def _hess(self, x: Array, y: Array) -> tuple[Array, float, Array]:
        two_pi = 2.0 * np.pi
        c = self.A * two_pi**2
        return 2.0 + c * np.cos(two_pi * x), 0.0, 2.0 + c * np.cos(two_pi * y)

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
    name = {"en": "Six-hump camel", "ko": "여섯 혹 낙타 함수"}
    formula = r"f(x,y) = \left(4 - 2.1x^2 + \frac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)y^2"
    description = {
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


class IllConditioned(Surface):
    """f = ½ pᵀ A p with A = R(θ) diag(1, κ) R(θ)ᵀ: a rotated bowl with condition number κ."""

    id = "ill_conditioned"
    name = {"en": "Ill-conditioned bowl", "ko": "조건수가 나쁜 그릇"}
    formula = r"f(p) = \frac{1}{2} p^T R_\theta \, \mathrm{diag}(1, \kappa) \, R_\theta^T p"
    description = {
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
        return 0.5 * (self.a11 * x**2 + 2.0 * self.a12 * x * y + self.a22 * y**2)

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        return self.a11 * x + self.a12 * y, self.a12 * x + self.a22 * y

    def _hess(self, x: Array, y: Array) -> tuple[float, float, float]:
        return self.a11, self.a12, self.a22

    def _stationary_points(self) -> tuple[list[Point], list[Point], list[Point]]:
        return [(0.0, 0.0)], [], []


# =============================================================================================
# Custom expressions
# =============================================================================================


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
    name = {"en": "Custom f(x, y)", "ko": "사용자 정의 f(x, y)"}
    description = {
        "en": "Your own function of x and y, parsed safely and differentiated exactly.",
        "ko": "직접 입력한 x, y의 함수입니다. 안전하게 해석하고 정확하게 미분합니다.",
    }
    DEFAULT_DOMAIN: ClassVar[Domain] = ((-5.0, 5.0), (-5.0, 5.0))

    def __init__(
        self, text: str, domain: Domain | None = None, limits: ExpressionLimits | None = None
    ) -> None:
        super().__init__()
        self.expr: Expr = parse_with(text, limits or ExpressionLimits())
        self.dx = self.expr.diff("x")
        self.dy = self.expr.diff("y")
        self.dxx = self.dx.diff("x")
        self.dxy = self.dx.diff("y")
        self.dyy = self.dy.diff("y")
        self.domain = domain or self.DEFAULT_DOMAIN
        self.start = self._choose_start()

    @property
    def expression(self) -> str:
        """The normalised formula (what the parser read)."""
        return self.expr.to_string()

    @property
    def formula(self) -> str:  # type: ignore[override]
        """TeX of the formula."""
        return "f(x,y) = " + self.expr.to_tex()

    @property
    def gradient_text(self) -> list[str]:
        """[∂f/∂x, ∂f/∂y] as plain text."""
        return [self.dx.to_string(), self.dy.to_string()]

    @property
    def gradient_tex(self) -> list[str]:
        """[∂f/∂x, ∂f/∂y] as TeX."""
        return [self.dx.to_tex(), self.dy.to_tex()]

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
        glob, local = _split_global(self, _estimate_minima(self))
        return glob, local, []


def _grid_minima_candidates(surface: Surface, n: int = 61, k: int = 8) -> Array:
    """Interior grid points no higher than their 8 neighbours, lowest first: (m, 2), m ≤ k."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    z = surface.value(np.stack([gx, gy], axis=-1))
    z = np.where(np.isfinite(z), z, np.inf)
    centre = z[1:-1, 1:-1]
    is_min = np.isfinite(centre)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= centre <= z[1 + di : n - 1 + di, 1 + dj : n - 1 + dj]
    rows, cols = np.nonzero(is_min)
    order = np.argsort(centre[rows, cols], kind="stable")[:k]
    rows, cols = rows[order] + 1, cols[order] + 1
    return np.stack([gx[rows, cols], gy[rows, cols]], axis=-1)


def _estimate_minima(surface: Surface, iterations: int = 60) -> list[Point]:
    """Refine grid candidates with damped Newton steps; see :class:`ExpressionSurface`."""
    p = _grid_minima_candidates(surface)
    if len(p) == 0:
        return []
    (x0, x1), (y0, y1) = surface.domain
    width = max(x1 - x0, y1 - y0)
    steps = 0.5 ** np.arange(0, 30)  # backtracking factors t = 1, 1/2, …, 2⁻²⁹
    with np.errstate(all="ignore"):
        f = surface.value(p)
        for _ in range(iterations):
            g = surface.gradient(p)
            h = surface.hessian(p)
            if not (np.isfinite(g).all() and np.isfinite(h).all()):
                bad = ~(np.isfinite(g).all(axis=1) & np.isfinite(h).all(axis=(1, 2)))
                g[bad] = 0.0
                h[bad] = np.eye(2)
            # Newton step with |eigenvalues| (a descent direction even where H is indefinite).
            w, v = np.linalg.eigh(h)
            floor = 1e-10 * (1.0 + np.abs(w).max(axis=1, keepdims=True))
            w = np.maximum(np.abs(w), floor)
            step = -np.einsum("kij,kj->ki", v, np.einsum("kji,kj->ki", v, g) / w)
            length = np.linalg.norm(step, axis=1, keepdims=True)
            step = np.where(length > 0.25 * width, step * (0.25 * width / np.maximum(length, 1e-300)), step)
            # Backtracking: the largest t whose value satisfies Armijo's condition.
            trial = p[:, None, :] + steps[None, :, None] * step[:, None, :]
            ft = surface.value(trial)
            slope = np.einsum("ki,ki->k", g, step)
            armijo = ft <= f[:, None] + 1e-4 * steps[None, :] * slope[:, None]
            armijo &= np.isfinite(ft)
            found = armijo.any(axis=1)
            first = np.argmax(armijo, axis=1)
            t = np.where(found, steps[first], 0.0)
            moves = t[:, None] * step
            if not (np.abs(moves) > 1e-14 * width).any():
                break  # every candidate has converged (or cannot descend any further)
            p = p + moves
            f = np.where(found, ft[np.arange(len(p)), first], f)
        g = surface.gradient(p)
        h = surface.hessian(p)
    scale = max(1.0, float(np.nanmax(np.abs(f)))) / width if np.isfinite(f).any() else 1.0
    kept: list[tuple[float, Point]] = []
    for i in range(len(p)):
        if not (np.isfinite(p[i]).all() and np.isfinite(f[i]) and np.isfinite(h[i]).all()):
            continue
        inside = x0 - 1e-9 <= p[i, 0] <= x1 + 1e-9 and y0 - 1e-9 <= p[i, 1] <= y1 + 1e-9
        stationary = np.linalg.norm(g[i]) <= 1e-7 * scale
        lam = np.linalg.eigvalsh(h[i])
        psd = lam.min() >= -1e-8 * (1.0 + abs(lam).max())
        if inside and stationary and psd:
            point = (float(p[i, 0]), float(p[i, 1]))
            if all(math.dist(point, q) > 1e-6 * width for _, q in kept):
                kept.append((float(f[i]), point))
    kept.sort(key=lambda item: item[0])
    return [q for _, q in kept]


def _split_global(surface: Surface, minima: list[Point]) -> tuple[list[Point], list[Point]]:
    """Split minima sorted by value into those as low as the first (relative 1e-9) and the rest."""
    if not minima:
        return [], []
    values = surface.value(np.array(minima))
    best = float(values[0])
    tol = 1e-9 * (1.0 + abs(best))
    glob = [m for m, v in zip(minima, values, strict=True) if v - best <= tol]
    local = [m for m, v in zip(minima, values, strict=True) if v - best > tol]
    return glob, local


# =============================================================================================
# Registry, lookup and helpers
# =============================================================================================

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
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"surface_params.{name}", f"must be a number, got {type(value).__name__}")
    if id is None or id == CUSTOM_ID:
        if expression is None or (isinstance(expression, str) and not expression.strip()):
            raise InputError("expression", "is required for a custom surface: type a formula in x and y")
        if params:
            name = next(iter(params))
            raise InputError(f"surface_params.{name}", "a custom surface has no parameters")
        return ExpressionSurface(expression, domain=domain, limits=limits)
    cls = SURFACES.get(id)
    if cls is None:
        known = ", ".join([*SURFACES, CUSTOM_ID])
        raise InputError("surface", f"unknown surface {id!r}; known surfaces are {known}")
    if expression is not None:
        raise InputError("expression", f"only used with the custom surface, not with {id!r}: set surface to null")
    return cls(**params)


def nearest_minimum(surface: Surface, points: Array | Sequence[float]) -> tuple[Array, Array]:
    """The closest known minimum to each point and its Euclidean distance.

    Parameters
    ----------
    surface : its ``minima`` (global and local) are the candidates.
    points : (..., 2).

    Returns
    -------
    nearest : (..., 2) — NaN where the surface lists no minima or the point is not finite.
    distance : (...) — NaN likewise.
    """
    pts = np.asarray(points, dtype=float)
    shape = pts.shape[:-1]
    flat = pts.reshape(-1, 2)
    minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
    nearest = np.full(flat.shape, np.nan)
    distance = np.full(flat.shape[0], np.nan)
    if len(minima) == 0:
        return nearest.reshape(*shape, 2), distance.reshape(shape)
    chunk = max(1, 2_000_000 // len(minima))  # bounds the (chunk, m) distance matrix
    with np.errstate(all="ignore"):
        for lo in range(0, len(flat), chunk):
            block = flat[lo : lo + chunk]
            d2 = ((block[:, None, :] - minima[None, :, :]) ** 2).sum(axis=-1)
            finite = np.isfinite(d2).all(axis=1)
            idx = np.argmin(np.where(np.isfinite(d2), d2, np.inf), axis=1)
            rows = np.nonzero(finite)[0]
            nearest[lo + rows] = minima[idx[rows]]
            distance[lo + rows] = np.sqrt(d2[rows, idx[rows]])
    return nearest.reshape(*shape, 2), distance.reshape(shape)


# =============================================================================================
# Contour grids
# =============================================================================================

MAX_BOUND = 1e6  # |x|, |y| of a requested plotting window
LOG_OFFSET = 1e-4  # lowest log level sits this fraction of the value range above the minimum


@dataclass(frozen=True)
class SurfaceGrid:
    """f sampled on a grid: ``z[i, j] = f(x[j], y[i])``; NaN where f is not finite."""

    x: Array  # (n,)
    y: Array  # (n,)
    z: Array  # (n, n)
    levels: Array  # (L,) contour values, increasing
    z_min: float | None
    z_max: float | None


def _bounds(surface: Surface, bounds: Sequence[float | None] | None) -> tuple[float, float, float, float]:
    (dx0, dx1), (dy0, dy1) = surface.domain
    defaults = (dx0, dx1, dy0, dy1)
    names = ("x_min", "x_max", "y_min", "y_max")
    given = list(bounds) if bounds is not None else [None] * 4
    if len(given) != 4:
        raise InputError("bounds", "give x_min, x_max, y_min, y_max")
    out = []
    for name, value, default in zip(names, given, defaults, strict=True):
        v = default if value is None else float(value)
        if not math.isfinite(v) or abs(v) > MAX_BOUND:
            raise InputError(name, f"must be a finite number with |{name}| <= {MAX_BOUND:g}")
        out.append(v)
    x0, x1, y0, y1 = out
    if not x0 < x1:
        raise InputError("x_max", f"must be greater than x_min ({x0:g})")
    if not y0 < y1:
        raise InputError("y_max", f"must be greater than y_min ({y0:g})")
    return x0, x1, y0, y1


def contour_levels(z: Array, scale: str, count: int = 30) -> tuple[Array, float | None, float | None]:
    """Contour values for the finite entries of ``z``.

    ``linear``: ``count`` equally spaced values strictly between min and max.
    ``log``: with span = z_max − z_min and ε = LOG_OFFSET·span, the shifted values
    s = z − z_min + ε range over [ε, span + ε]; the levels are ``count`` values of s spaced
    evenly in log s from ε (exclusive) to span + ε (inclusive), mapped back as z_min − ε + s. Most
    levels therefore sit just above the minimum, which draws the floors of narrow valleys
    (Rosenbrock, ill-conditioned bowls) that linear levels miss.

    Returns
    -------
    levels (L,), z_min, z_max (None when no entry is finite).
    """
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.empty(0), None, None
    lo, hi = float(finite.min()), float(finite.max())
    with np.errstate(all="ignore"):
        span = hi - lo
        if not math.isfinite(span):
            # Values too far apart for float64 differences: fall back to the central 98%.
            lo_q, hi_q = np.percentile(finite, [1, 99])
            span = float(hi_q - lo_q)
        if not (span > 0 and math.isfinite(span)):
            return np.array([lo]), lo, hi
        eps = LOG_OFFSET * span
        if scale == "linear" or not (eps > 0 and math.isfinite(span + eps)):
            # Linear levels also when the span is so small (subnormal) that ε underflows to 0,
            # or so large that span + ε overflows: a geometric sequence needs 0 < ε < ∞.
            levels = np.linspace(lo, lo + span, count + 2)[1:-1]
        else:
            shifted = np.geomspace(eps, span + eps, count + 1)[1:]
            levels = lo - eps + shifted
    levels = levels[np.isfinite(levels)]
    return levels, lo, hi


def grid(
    surface: Surface,
    n: int = 120,
    scale: str = "log",
    bounds: Sequence[float | None] | None = None,
    levels: int = 30,
) -> SurfaceGrid:
    """Sample f on an n×n grid for contour plots.

    Parameters
    ----------
    surface : the surface.
    n : points per axis (≥ 2; the API caps it with ``max_grid``).
    scale : ``"log"`` or ``"linear"`` contour levels (see :func:`contour_levels`).
    bounds : optional (x_min, x_max, y_min, y_max); ``None`` entries use the surface's domain.
    levels : number of contour levels.

    Returns
    -------
    SurfaceGrid with x (n,), y (n,), z (n, n) where ``z[i, j] = f(x[j], y[i])``.
    """
    if n < 2:
        raise InputError("n", "must be at least 2")
    if scale not in ("log", "linear"):
        raise InputError("scale", f"must be 'log' or 'linear', got {scale!r}")
    x0, x1, y0, y1 = _bounds(surface, bounds)
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)  # gx[i, j] = xs[j], gy[i, j] = ys[i]
    z = surface.value(np.stack([gx, gy], axis=-1))
    z = np.where(np.isfinite(z), z, np.nan)
    lv, z_min, z_max = contour_levels(z, scale, levels)
    return SurfaceGrid(x=xs, y=ys, z=z, levels=lv, z_min=z_min, z_max=z_max)

"""A training run's loss-landscape plane as an Optimizer-Lab surface (docs/landscape.md, "Race on it").

f(a, b) = L(θ* + a·d₁ + b·d₂), the run's mean training cross-entropy in inference mode on a fixed
set of training samples; ∇f = (d₁·∇L, d₂·∇L) from the network's backward pass (exact, batched over
the R points the engine advances together). The 2 × 2 Hessian, for Newton and the stability view,
is by central differences of that exact gradient with step h = 10⁻³ × the domain's width
(truncation error O(h²); the network runs in float32, so entries carry a relative error of roughly
1e-3), symmetrised.

Surfaces are registered in a process-wide, bounded least-recently-used cache (:class:`SurfaceCache`)
under an id the page can put in its URL (``landscape-<12 hex>``); an id that has been evicted (or a
restarted server) is a 422 asking the student to open the landscape again from the Training Lab.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np

from app.core.errors import InputError
from app.core.lab2d.surfaces.base import Array, Domain, Point, Surface
from app.core.nn.landscape import PlaneLoss

PREFIX = "landscape-"

#: Work units (Optimizer-Lab cost model, ``app/core/lab2d/cost.py``) per multiply-add of the
#: network: one unit is about 0.15 µs, and a forward + backward pass runs at roughly 2e10 MAC/s,
#: so one point-gradient of M multiply-adds (×3 for the backward pass) costs 3M / 2e10 s ≈ M / 1000 units.
UNITS_PER_MAC = 1e-3

#: Grid points per axis served for the contour of a landscape surface (its values are costly).
GRID_LIMIT = 61


class LandscapeSurface(Surface):
    """The plane of one run (see the module docstring).

    Parameters
    ----------
    plane : PlaneLoss
    surface_id : str
    domain : ((a_min, a_max), (b_min, b_max))
    start : (a, b)
        The projected initial weights: the race starts where training started.
    macs : int
        Multiply-adds of one loss evaluation at one point (samples × Σ fan_in·fan_out).
    run_id : str
    """

    id: ClassVar[str] = "landscape"
    formula = r"L(\theta^{\ast} + a\,d_1 + b\,d_2)"
    process_local: ClassVar[bool] = True  # the network and its data live in this process's SURFACES_CACHE

    def __init__(
        self, plane: PlaneLoss, surface_id: str, domain: Domain, start: Point, macs: int, run_id: str, kind: str
    ) -> None:
        super().__init__()
        self.plane = plane
        self.surface_id = surface_id
        self.domain = domain
        self.start = start
        self.run_id = run_id
        self.kind = kind
        self.cost_per_point = UNITS_PER_MAC * 3 * macs
        self.grid_limit = GRID_LIMIT
        (a0, a1), (b0, b1) = domain
        self.h = 1e-3 * max(a1 - a0, b1 - b0)

    def info(self) -> dict[str, Any]:
        out = super().info()
        out["id"] = self.surface_id
        out["plane"] = self.kind  # the page names the coordinates a, b (along d₁, d₂) and their kind
        directions = {"pca": ("PCA", "PCA"), "random": ("random", "무작위")}[self.kind]
        out["name"] = {
            "en": f"Loss landscape of {self.run_id} ({directions[0]} plane)",
            "ko": f"{self.run_id}의 손실 지형 ({directions[1]} 평면)",
        }
        out["description"] = {
            "en": "A trained network's training loss on a plane through its final weights θ* (at (0, 0)); "
            "the start is where the weights began. Gradients come from the network's backward pass.",
            "ko": "학습된 신경망의 훈련 손실을 최종 가중치 θ*((0, 0))를 지나는 평면 위에 그린 것입니다. "
            "시작점은 학습이 시작된 가중치입니다. 기울기는 신경망의 역전파로 계산합니다.",
        }
        return out

    def loss_scale(self) -> dict[str, Any]:
        """Cross-entropy is positive: a log loss axis, no known minimum."""
        return {"f_min": None, "loss_scale": "log"}

    # The engine calls the public methods with points (..., 2); they go to the batched plane.

    def value(self, p: Array | Any) -> Array:
        pts = np.asarray(p, dtype=float)
        return self.plane.value(pts.reshape(-1, 2)).reshape(pts.shape[:-1])

    def gradient(self, p: Array | Any) -> Array:
        pts = np.asarray(p, dtype=float)
        _, g = self.plane.value_and_gradient(pts.reshape(-1, 2))
        return g.reshape(pts.shape)

    def hessian(self, p: Array | Any) -> Array:
        pts = np.asarray(p, dtype=float).reshape(-1, 2)
        h = self.h
        offsets = np.array([[h, 0.0], [-h, 0.0], [0.0, h], [0.0, -h]])
        probe = (pts[:, None, :] + offsets[None]).reshape(-1, 2)
        _, g = self.plane.value_and_gradient(probe)
        g = g.reshape(-1, 4, 2)
        col_a = (g[:, 0] - g[:, 1]) / (2 * h)  # ∂∇f/∂a
        col_b = (g[:, 2] - g[:, 3]) / (2 * h)  # ∂∇f/∂b
        hess = np.stack([col_a, col_b], axis=-1)  # (K, 2, 2): H[:, i, j] = ∂²f/∂xᵢ∂xⱼ
        hess = 0.5 * (hess + hess.transpose(0, 2, 1))
        shape = np.asarray(p).shape[:-1]
        out: Array = hess.reshape(*shape, 2, 2)
        return out

    def _f(self, x: Array, y: Array) -> Array:
        return self.value(np.stack([x, y], axis=-1))

    def _grad(self, x: Array, y: Array) -> tuple[Array, Array]:
        g = self.gradient(np.stack([x, y], axis=-1))
        return g[..., 0], g[..., 1]

    def _hess(self, x: Array, y: Array) -> tuple[Array, Array, Array]:
        h = self.hessian(np.stack([x, y], axis=-1))
        return h[..., 0, 0], h[..., 0, 1], h[..., 1, 1]


def surface_id_for(*parts: object) -> str:
    """A stable id for the plane described by ``parts`` (trajectory id, directions, samples, seed)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:12]
    return PREFIX + digest


class SurfaceCache:
    """Landscape surfaces by id, at most ``capacity`` of them (least recently used dropped)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, LandscapeSurface] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, surface: LandscapeSurface, capacity: int) -> None:
        with self._lock:
            self._items[surface.surface_id] = surface
            self._items.move_to_end(surface.surface_id)
            while len(self._items) > max(1, capacity):
                self._items.popitem(last=False)

    def get(self, surface_id: str) -> LandscapeSurface:
        """The surface, or ``InputError`` on ``surface`` (code ``landscape.surface_gone``)."""
        with self._lock:
            surface = self._items.get(surface_id)
            if surface is not None:
                self._items.move_to_end(surface_id)
        if surface is None:
            raise InputError(
                "surface",
                f"the landscape surface {surface_id[:40]!r} is no longer kept on the server: open it again from "
                "the Training Lab's Landscape view",
                "landscape.surface_gone",
                {"surface": surface_id[:40]},
            )
        return surface

    def peek(self, surface_id: str) -> LandscapeSurface | None:
        with self._lock:
            return self._items.get(surface_id)


#: The process-wide cache (web process; the Optimizer Lab's requests are served there).
SURFACES_CACHE = SurfaceCache()

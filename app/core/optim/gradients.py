"""What happens to a gradient before the optimizer sees it: Gaussian noise, then clipping.

Both work on the same list of arrays the optimizers take (docs/optimizers.md, "What happens
to g before the rule"): in the 2-D lab one ``(R, 2)`` array of R runs, in the MLP one array per parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from app.core.errors import InputError
from app.core.optim.elementwise import clip, maximum, minimum, sqrt

Array = np.ndarray
V = TypeVar("V", float, Array)


def _positive(spec: Mapping[str, object], key: str, field: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        raise InputError(
            f"{field}.{key}", f"{key} must be a positive finite number", "clip.not_positive", {"name": key}
        )
    return float(value)


def clip_gradients(
    grads: Sequence[Array], spec: Mapping[str, object] | None, per_run: bool = False, field: str = "clip"
) -> list[Array]:
    """Clip by value (each entry into [−c, c]) or by global L2 norm (g ← g·min(1, c/‖g‖)).

    Parameters
    ----------
    grads : arrays gᵢ of any shapes; the norm ‖g‖ is taken over all of them together.
    spec : ``{"mode": "value" | "norm", "max": c}`` with c > 0, or ``None`` (no clipping).
    per_run : the arrays are ``(R, n)`` run batches: the norm is taken per row (per run), so
        each run is clipped on its own.
    field : prefix of the field named in an ``InputError`` (``clip.max``, ``clip.mode``).

    Returns
    -------
    list of arrays with the shapes of ``grads``.
    """
    rule = clip_rule(spec, field)
    if rule is None:
        return list(grads)
    mode, c = rule
    if mode == "value":
        return [clip(g, -c, c) for g in grads]
    if per_run:
        rows: Array = sum(np.sum(g * g, axis=-1, keepdims=True) for g in grads)  # (R, 1) ‖g‖² per run
        return [g * norm_scale(rows, c) for g in grads]
    scale = norm_scale(sum(float(np.sum(g * g)) for g in grads), c)
    return [g * scale for g in grads]


def clip_rule(spec: Mapping[str, object] | None, field: str = "clip") -> tuple[str, float] | None:
    """``(mode, c)`` of a clipping spec (see :func:`clip_gradients`), validated; ``None`` for no clipping."""
    if spec is None:
        return None
    mode = spec.get("mode")
    c = _positive(spec, "max", field)
    if mode not in ("value", "norm"):
        raise InputError(f"{field}.mode", "mode must be 'value' or 'norm'", "clip.mode")
    return str(mode), c


def norm_scale(sq: V, c: float) -> V:
    """The factor min(1, c/‖g‖) that clipping by norm multiplies g by, from ‖g‖² = ``sq`` (a float
    or an array of per-run squared norms)."""
    # ‖g‖ ≤ c leaves g alone; otherwise g · c/‖g‖ (the guard avoids 0/0 for a zero gradient).
    return minimum(1.0, c / maximum(sqrt(sq), 1e-300))


def clip_pair(gx: float, gy: float, mode: str, c: float) -> tuple[float, float]:
    """:func:`clip_gradients` of one run's gradient (gx, gy) on Python floats, with the same numbers
    (the 2-D engine's float path, ``app/core/lab2d/scalar_runs.py``); ``(mode, c)`` from :func:`clip_rule`."""
    if mode == "value":
        return clip(gx, -c, c), clip(gy, -c, c)
    scale = norm_scale(gx * gx + gy * gy, c)  # the row sum of g ⊙ g, in the same order
    return gx * scale, gy * scale


class GradientNoise:
    """Seeded Gaussian noise g ← g + ξ, ξ ~ N(0, σ²) per entry, imitating mini-batch gradient noise.

    Parameters
    ----------
    spec : ``{"std": σ ≥ 0, "seed": s}`` (defaults σ = 0, s = 0), or ``None`` for no noise.
    field : prefix of the field named in an ``InputError`` (``noise.std``, ``noise.seed``).
    """

    def __init__(self, spec: Mapping[str, object] | None, field: str = "noise") -> None:
        self.std = 0.0
        self.seed = 0
        self._rng: np.random.Generator | None = None
        if spec is None:
            return
        std = spec.get("std", 0.0)
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not np.isfinite(std) or std < 0:
            raise InputError(f"{field}.std", "std must be a non-negative finite number", "noise.std")
        seed = spec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise InputError(f"{field}.seed", "seed must be an integer in [0, 2³²)", "noise.seed")
        self.std, self.seed = float(std), seed

    @property
    def rng(self) -> np.random.Generator:
        """The seeded generator, made on first use (a run without noise never pays for one)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    def __call__(self, grads: Sequence[Array]) -> list[Array]:
        """The gradients plus fresh noise (unchanged when σ = 0)."""
        if self.std == 0.0:
            return list(grads)
        return [g + self.rng.normal(0.0, self.std, size=g.shape) for g in grads]

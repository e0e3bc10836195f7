"""What happens to a gradient before the optimizer sees it: Gaussian noise, then clipping.

Both work on the same list of arrays the optimizers take (docs/optimizers.md, "What happens
to g before the rule"): in the 2-D lab one ``(R, 2)`` array of R runs, in the MLP one array per parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from app.core.errors import InputError

Array = np.ndarray


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
    if spec is None:
        return list(grads)
    mode = spec.get("mode")
    c = _positive(spec, "max", field)
    if mode == "value":
        return [np.clip(g, -c, c) for g in grads]
    if mode != "norm":
        raise InputError(f"{field}.mode", "mode must be 'value' or 'norm'", "clip.mode")
    if per_run:
        sq = sum(np.sum(g * g, axis=-1, keepdims=True) for g in grads)
    else:
        sq = sum(float(np.sum(g * g)) for g in grads)
    norm = np.sqrt(sq)
    # ‖g‖ ≤ c leaves g alone; otherwise g · c/‖g‖ (the guard avoids 0/0 for a zero gradient).
    scale = np.minimum(1.0, c / np.maximum(norm, 1e-300))
    return [g * scale for g in grads]


class GradientNoise:
    """Seeded Gaussian noise g ← g + ξ, ξ ~ N(0, σ²) per entry, imitating mini-batch gradient noise.

    Parameters
    ----------
    spec : ``{"std": σ ≥ 0, "seed": s}`` (defaults σ = 0, s = 0), or ``None`` for no noise.
    field : prefix of the field named in an ``InputError`` (``noise.std``, ``noise.seed``).
    """

    def __init__(self, spec: Mapping[str, object] | None, field: str = "noise") -> None:
        self.std = 0.0
        self.rng = np.random.default_rng(0)
        if spec is None:
            return
        std = spec.get("std", 0.0)
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not np.isfinite(std) or std < 0:
            raise InputError(f"{field}.std", "std must be a non-negative finite number", "noise.std")
        seed = spec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise InputError(f"{field}.seed", "seed must be an integer in [0, 2³²)", "noise.seed")
        self.std = float(std)
        self.rng = np.random.default_rng(seed)

    def __call__(self, grads: Sequence[Array]) -> list[Array]:
        """The gradients plus fresh noise (unchanged when σ = 0)."""
        if self.std == 0.0:
            return list(grads)
        return [g + self.rng.normal(0.0, self.std, size=g.shape) for g in grads]

"""A learning rate that makes visible progress on a surface within a run's steps (docs/stability.md,
"Suggested learning rates").

The rule depends on how each optimizer's step scales:

- **GD, momentum, Nesterov** (step ∝ η∇f): η = 1/λ with λ the larger λ_max of the start and
  of the known minimum nearest it. For GD that is half its threshold 2/λ (it removes the
  stiffest direction in one step); for heavy ball 1/(2(1 + μ)) of 2(1 + μ)/λ and for Nesterov
  (1 + 2μ)/(2(1 + μ)) of 2(1 + μ)/((1 + 2μ)λ), both inside their stable range, while momentum
  still multiplies the speed along flat directions by 1/(1 − μ).
- **Adam family** (step ≈ η per coordinate): 2d/K, so the run covers the distance d from the
  start to that minimum in about half of its K steps; **RMSProp** (first steps ≈ 3η): d/K;
  **AdaGrad** (steps η/√k, whose sum over K steps is about 2η√K): d/√K; **AdaDelta** (first
  step √(ε/(1 − ρ)) before η): η scales that first step to 2d/K.
- **Newton, L-BFGS**: η = 1 (the full (quasi-)Newton step).

Without a known minimum, d is a quarter of the domain's larger side; without positive
curvature, the optimizer's default is returned (``source.code = "default"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.core.lab2d.curvature import lambda_max, stable_rule
from app.core.lab2d.outcomes import nearest_minimum_index
from app.core.lab2d.surfaces import Surface
from app.core.optim.registry import make_optimizer

SPEED = {"rmsprop": 1.0, "adam": 2.0, "adamw": 2.0, "nadam": 2.0, "amsgrad": 2.0}
"""Optimizers whose step is about η per coordinate, and how many distances d they budget over K steps
(RMSProp's first steps are η/√(1 − ρ) ≈ 3η, so it gets half of Adam's)."""

UNIT_STEP = frozenset({"newton", "lbfgs"})
"""Optimizers whose natural step is η = 1."""


SuggestionCode = Literal["curvature_at_start", "distance_over_steps", "unit_step", "default"]
"""Which rule gave the learning rate (see the module docstring)."""


@dataclass(frozen=True)
class Suggestion:
    """A suggested learning rate, the optimizer's full defaults with it, and where it came from."""

    optimizer: str
    params: dict[str, int | float]
    lr: float
    code: SuggestionCode
    source: dict[str, float | int | None]


def _round(lr: float) -> float:
    """Two significant digits, rounded down (so a fraction of a threshold stays below it)."""
    q = 10.0 ** (math.floor(math.log10(lr)) - 1)
    return float(f"{math.floor(lr / q) * q:.2g}")


def _distance(surface: Surface, start: np.ndarray) -> float:
    """Distance from the start to the nearest known minimum (a quarter of the domain without one)."""
    index = nearest_minimum_index(surface, start)
    if index is not None:
        d = float(np.linalg.norm(np.asarray(surface.minima[index]) - start))
        if d > 0:
            return d
    (x0, x1), (y0, y1) = surface.domain
    return 0.25 * max(x1 - x0, y1 - y0)


def _curvature(surface: Surface, start: np.ndarray) -> float | None:
    """The larger λ_max of the start and of the known minimum nearest it (``None`` if neither is > 0)."""
    values = [lambda_max(surface, start)]
    index = nearest_minimum_index(surface, start)
    if index is not None:
        values.append(lambda_max(surface, np.asarray(surface.minima[index], dtype=float)))
    positive = [v for v in values if v is not None]
    return max(positive) if positive else None


def suggest_lr(surface: Surface, start: tuple[float, float], steps: int, optimizer: str) -> Suggestion:
    """The learning rate of :mod:`this module's rule <app.core.lab2d.suggestions>` for one optimizer.

    Parameters
    ----------
    surface : the surface of the run.
    start : (x, y) start of the run.
    steps : K, the run's number of updates (≥ 1).
    optimizer : an optimizer id (unknown ids raise ``InputError`` naming ``optimizer``).
    """
    opt = make_optimizer(optimizer)
    defaults = {k: float(v) for k, v in opt.params.items()}
    spec = next(hp for hp in opt.hyperparams if hp.name == "lr")
    p0 = np.asarray(start, dtype=float)
    source: dict[str, float | int | None] = {"steps": steps}
    rule = stable_rule(optimizer)
    lr: float | None = None
    code: SuggestionCode = "default"
    if rule is not None:
        lam = _curvature(surface, p0)
        source["lambda_max"] = lam
        if lam is not None:
            lr, code = 1.0 / lam, "curvature_at_start"
    elif optimizer in SPEED or optimizer == "adagrad":
        d = _distance(surface, p0)
        source["distance"] = d
        lr = d / math.sqrt(steps) if optimizer == "adagrad" else SPEED[optimizer] * d / steps
        code = "distance_over_steps"
    elif optimizer == "adadelta":
        # Its first step is about √(ε/(1 − ρ)) per coordinate before η: scale it to 2d/K.
        d = _distance(surface, p0)
        source["distance"] = d
        lr = 2.0 * d / steps / math.sqrt(defaults["eps"] / (1.0 - defaults["rho"]))
        code = "distance_over_steps"
    elif optimizer in UNIT_STEP:
        lr, code = 1.0, "unit_step"
    if lr is None or not math.isfinite(lr) or lr <= 0:
        lr, code = defaults["lr"], "default"
    lr = min(max(_round(lr), 1e-6), spec.high)
    return Suggestion(optimizer, {**opt.params, "lr": lr}, lr, code, source)

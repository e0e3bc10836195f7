"""Per-activation saturation rules (docs/telemetry.md "saturated — saturation").

"Saturated" means a unit's output sits where the activation's derivative (almost) vanishes, so
little gradient flows back through it. Each activation has its own region:

==============  ==========================  =====================================================
activation      saturated when              why
==============  ==========================  =====================================================
sigmoid         a < 0.01 or a > 0.99        σ′ = a(1 − a) < 0.0099 there (0.25 at the centre)
tanh            |a| > 0.99                  tanh′ = 1 − a² < 0.0199 there (1 at the centre)
relu            a = 0 exactly               ReLU′ = 0 for u ≤ 0: the unit passes no gradient
leaky_relu      a < 0 (u < 0)               the slope is α = 0.01: gradient shrunk a hundredfold
elu             a < −0.99 α                 ELU′ = a + α < 0.01 α there (1 for u > 0)
==============  ==========================  =====================================================

The rules are returned as ``{"code", "params"}`` so the page names the column in the user's
language ("share < 0.01 or > 0.99", "share = 0", …) without copying the thresholds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Sigmoid's saturated tails: outputs below LOW or above HIGH.
SIGMOID_LOW, SIGMOID_HIGH = 0.01, 0.99
#: tanh is saturated where |a| exceeds this.
TANH_ABS = 0.99
#: ELU (α = 1) is saturated below this fraction of its floor −α.
ELU_FLOOR_FRACTION = 0.99
#: The Leaky ReLU slope of ``layers.LeakyReLU`` (default α) and ELU's α.
LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


def saturation_rule(activation: str) -> dict[str, Any]:
    """The rule of ``activation`` as ``{"code": str, "params": {...}}`` (codes: ``outside``,
    ``abs_above``, ``zero``, ``negative``, ``below``; ``none`` for an unknown id)."""
    rules: dict[str, dict[str, Any]] = {
        "sigmoid": {"code": "outside", "params": {"low": SIGMOID_LOW, "high": SIGMOID_HIGH}},
        "tanh": {"code": "abs_above", "params": {"threshold": TANH_ABS}},
        "relu": {"code": "zero", "params": {}},
        "leaky_relu": {"code": "negative", "params": {"slope": LEAKY_SLOPE}},
        "elu": {"code": "below", "params": {"threshold": -ELU_FLOOR_FRACTION * ELU_ALPHA}},
    }
    return rules.get(activation, {"code": "none", "params": {}})


def saturated_mask(activation: str, act: np.ndarray) -> np.ndarray:
    """Boolean mask of the saturated entries of the activations ``act`` (any shape).

    Non-finite entries are never counted as saturated (telemetry counts them separately).
    """
    a = np.asarray(act)
    mask: np.ndarray
    if activation == "sigmoid":
        mask = (a < SIGMOID_LOW) | (a > SIGMOID_HIGH)
    elif activation == "tanh":
        mask = np.abs(a) > TANH_ABS
    elif activation == "relu":
        mask = a == 0
    elif activation == "leaky_relu":
        mask = a < 0
    elif activation == "elu":
        mask = a < -ELU_FLOOR_FRACTION * ELU_ALPHA
    else:
        mask = np.zeros(a.shape, dtype=bool)
    return mask


def fraction_saturated(activation: str, act: np.ndarray, n_finite: int | None = None) -> float | None:
    """Share of the finite entries of ``act`` that are saturated by ``activation``'s rule.

    Parameters
    ----------
    activation : str
        The activation id.
    act : np.ndarray
        Activations, any shape (e.g. ``(N, units)``).
    n_finite : int or None
        The number of finite entries of ``act`` when the caller already knows it (telemetry
        counts them for the histogram); when it equals ``act.size`` the element-wise finiteness
        mask is skipped.

    Returns
    -------
    float or None
        In [0, 1]; None when there is no finite value.
    """
    a = np.asarray(act)
    if n_finite is not None and n_finite == a.size:
        return float(np.count_nonzero(saturated_mask(activation, a))) / n_finite if n_finite else None
    finite = np.isfinite(a)
    n = int(np.count_nonzero(finite))
    if n == 0:
        return None
    return float(np.count_nonzero(saturated_mask(activation, a) & finite)) / n

"""The textbook's activation-distribution experiment (docs/experiments.md §2; "Deep Learning from Scratch" ch. 6).

1,000 random inputs of 100 features go through 5 layers of 100 units with no training; each
layer's activations are histogrammed. With sigmoid, weights of std 1 push activations to 0 and 1
(saturation: vanishing gradients), std 0.01 squeezes them around 0.5 (every unit says the same:
limited expressiveness), and Xavier (σ = 1/√100 for these square layers) spreads them. With
ReLU, He init (σ = √(2/fan_in)) keeps the scale of the activations constant across layers.
"""

from __future__ import annotations

import math

import numpy as np

from app.core.errors import InputError
from app.core.nn.initializers import init_std as resolved_std
from app.core.nn.initializers import initialize
from app.core.nn.layers import make_activation
from app.core.nn.saturation import fraction_saturated, saturation_rule
from app.core.nn.telemetry import activation_range, finite_or_none


def run_activation_experiment(
    n_samples: int = 1000,
    n_features: int = 100,
    layers: int = 5,
    width: int = 100,
    activation: str = "sigmoid",
    init: str = "normal",
    init_std: float = 1.0,
    bins: int = 30,
    seed: int = 0,
    bias: bool = False,
    hist_range: tuple[float, float] | None = None,
) -> dict[str, object]:
    """Push standard-normal inputs through freshly initialised layers and histogram each layer.

    Parameters
    ----------
    n_samples, n_features : int
        The input batch X ~ N(0, 1) has shape ``(n_samples, n_features)``.
    layers, width : int
        Number of layers and units per layer; layer i computes z_i = act(z_{i−1} W_i [+ b_i]).
    activation : str
        ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu`` or ``elu``.
    init : str
        Initialiser id (``normal`` uses ``init_std``).
    init_std : float
        Standard deviation for ``init="normal"``.
    bins : int
        Histogram bins. Edges span (0, 1) for sigmoid, (−1, 1) for tanh and each layer's data
        range [min, max] otherwise.
    seed : int
        Seed of the inputs and weights.
    bias : bool
        Add a bias vector drawn from the same distribution as the weights (the textbook uses none).
    hist_range : (lo, hi) or None
        Fixed histogram edges for every layer (values outside are counted in the end bins), so
        several panels of one activation can share an axis: e.g. ReLU with std 0.01 against He on
        [0, max of both]. None: the defaults above.

    Returns
    -------
    dict
        ``{"activation", "init", "saturation_rule", "layers": [{"index", "edges" (bins + 1),
        "counts" (bins), "mean", "std", "min", "max", "saturated", "frac_low" (< 0.1),
        "frac_high" (> 0.9), "frac_zero" (== 0), "weight_std"}]}``; ``saturated`` follows the
        activation's own rule (``saturation.py``), ``min``/``max`` are the finite data range.
    """
    for name, value in (("n_samples", n_samples), ("n_features", n_features), ("layers", layers), ("width", width)):
        if int(value) < 1:
            raise InputError(name, f"must be ≥ 1, got {value}", "pydantic.greater_than_equal", {"ge": 1})
    if int(bins) < 1:
        raise InputError("bins", f"must be ≥ 1, got {bins}", "pydantic.greater_than_equal", {"ge": 1})
    if hist_range is not None and not (
        math.isfinite(hist_range[0]) and math.isfinite(hist_range[1]) and hist_range[0] < hist_range[1]
    ):
        raise InputError(
            "hist_range",
            f"must be two finite numbers lo < hi, got {list(hist_range)}",
            "range.invalid",
            {"lo": finite_or_none(hist_range[0]), "hi": finite_or_none(hist_range[1])},
        )
    act = make_activation(activation, dtype=np.float64, field="activation")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_samples, n_features))
    fixed = (float(hist_range[0]), float(hist_range[1])) if hist_range is not None else activation_range(activation)
    out_layers = []
    for i in range(layers):
        fan_in = z.shape[1]
        W = initialize(init, fan_in, width, rng, std=init_std, dtype=np.float64, field="init")
        a = z @ W
        if bias:
            a += initialize(init, fan_in, width, rng, std=init_std, dtype=np.float64, field="init", shape=(width,))
        with np.errstate(over="ignore", invalid="ignore"):
            z = act.forward(a, training=False)
        layer = {"index": i + 1, **layer_histogram(z, bins, fixed)}
        layer["saturated"] = fraction_saturated(activation, z)
        layer["weight_std"] = finite_or_none(resolved_std(init, fan_in, width, init_std))
        out_layers.append(layer)
    rule = saturation_rule(activation)
    return {"activation": activation, "init": init, "saturation_rule": rule, "layers": out_layers}


def layer_histogram(z: np.ndarray, bins: int, fixed: tuple[float, float] | None) -> dict[str, object]:
    """Histogram and fractions of one layer's activations ``z`` ``(n_samples, width)``.

    The edges are ``fixed`` (bounded activations) or the finite data range [min, max].
    """
    finite = z[np.isfinite(z)]
    if fixed is not None:
        lo, hi = fixed
    elif finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if not hi > lo:
            hi = lo + 1.0
    else:
        lo, hi = 0.0, 1.0
    edges = np.linspace(lo, hi, bins + 1)
    # Equal-width bins given as (bins, range) take NumPy's linear-time path; explicit edges
    # would sort every value (seconds for 10,000 × 512 activations). Same edges, same counts.
    counts, _ = np.histogram(np.clip(finite, lo, hi), bins=bins, range=(lo, hi))
    return {
        "edges": [finite_or_none(e) for e in edges],
        "counts": [int(c) for c in counts],
        "mean": finite_or_none(finite.mean()) if finite.size else None,
        "std": finite_or_none(finite.std()) if finite.size else None,
        "min": finite_or_none(finite.min()) if finite.size else None,
        "max": finite_or_none(finite.max()) if finite.size else None,
        "frac_low": float(np.mean(z < 0.1)),
        "frac_high": float(np.mean(z > 0.9)),
        "frac_zero": float(np.mean(z == 0.0)),
    }

"""The telemetry recorder as it was before the cost work of issue 9 (main 94359da), kept verbatim
as a reference: tests/test_telemetry_cost.py checks that the faster ``app.core.nn.telemetry``
gives the same frames on fixed seeds. Not used by the application.

One change: ``FixedHistogram.bin_counts`` counts with ``np.histogram`` on the edges (the
definition). The old arithmetic ⌊(v − lo)·bins/(hi − lo)⌋ put values lying *on* an interior edge
into the wrong bin when linspace's rounded edge disagreed with it — e.g. 99 exact zeros of a
diverging ReLU network's pre-activations, where the middle edge of [−9e23, 9e23] is not exactly 0
— which the new implementation corrects.

Original module docstring follows.
Per-layer training telemetry (docs/telemetry.md): what happens inside each hidden layer over time.

For every hidden layer a frame holds

* histograms (plus mean, std and the 5/25/50/75/95th percentiles) of the *pre-activations*
  (input of the activation) and of the *activations*, over a fixed telemetry sample;
* ``saturated``: the share of activations in the activation's own saturated region
  (``saturation.py``: sigmoid outside [0.01, 0.99], tanh |a| > 0.99, ReLU exactly 0, …) with the
  rule as ``saturation_rule``; ``act.saturated`` keeps the sigmoid/tanh-only share;
* ``dead``: for ReLU-like activations (relu, leaky_relu, elu) the fraction of the layer's units
  whose pre-activation is ≤ 0 for *every* sample of the telemetry batch — for ReLU exactly the
  units whose activation is 0 everywhere (None for sigmoid/tanh);
* ``grad_norm`` ‖∂L/∂W‖, ``weight_norm`` ‖W‖ and ``update_ratio`` ‖ΔW‖/‖W‖ (Frobenius norms of
  the layer's incoming weight matrix; CS231n's rule of thumb is a ratio near 1e-3);
* ``weights``: a histogram of that weight matrix (symmetric edges, widened like the others), so
  L1's pile of near-zero weights shows;
* ``inference`` (networks with batch norm only): ``pre``, ``act`` and ``saturated`` of the same
  sample in inference mode (running statistics), beside the main view's batch statistics.

Histogram edges are fixed per layer and quantity for the whole job, so frames are comparable:

* sigmoid activations span (0, 1) and tanh activations (−1, 1), never widened;
* pre-activations start on the symmetric range [−a, a] with a = max |x| of the first frame;
  ReLU activations on [0, max] and other ReLU-like activations on [min, max] of the first frame
  (a degenerate range becomes width 1);
* later, if more than 1% of a frame's values fall outside the range, each exceeded side is
  extended by doubling its distance from the range centre (both sides together for symmetric
  ranges) until the values are covered — so edges change only a few times in a job. Otherwise
  the few outliers are clamped into the end bins, so counts always add up to the number of
  finite values.

Every float in a frame is finite or None: non-finite values are left out of the statistics and
counted in each histogram's ``nonfinite``; edges stay within ±MAX_EDGE so binning never overflows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.core.nn.saturation import fraction_saturated, saturation_rule

PERCENTILES = (5, 25, 50, 75, 95)
#: Fraction of out-of-range values above which a histogram range is widened.
WIDEN_FRACTION = 0.01
#: Most values used for the percentiles of one frame (an evenly strided subsample).
PERCENTILE_SAMPLE = 4096
RELU_LIKE = ("relu", "leaky_relu", "elu")
#: Histogram edges never go beyond ±MAX_EDGE, so an edge width hi − lo stays a finite float64.
MAX_EDGE = 1e300


def finite_or_none(value: float | np.floating | None) -> float | None:
    """``float(value)`` when finite, else None (JSON cannot carry NaN or ±∞)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _finite(values: np.ndarray) -> np.ndarray:
    """The finite entries of ``values`` as a flat array (no copy when all are finite)."""
    v = values.ravel()
    # One reduction decides the common case; only a non-finite sum needs the element-wise mask.
    if v.size and not np.isfinite(np.sum(v, dtype=np.float64)):
        v = v[np.isfinite(v)]
    return v


def _percentiles(sorted_v: np.ndarray) -> list[float]:
    """PERCENTILES of sorted values by linear interpolation between order statistics (NumPy's
    default "linear" method: position p/100 · (n − 1)), without np.percentile's overhead."""
    n = sorted_v.size
    out = []
    for p in PERCENTILES:
        pos = p / 100 * (n - 1)
        lo = int(pos)
        hi = min(lo + 1, n - 1)
        out.append(float(sorted_v[lo]) + (pos - lo) * (float(sorted_v[hi]) - float(sorted_v[lo])))
    return out


def describe(values: np.ndarray) -> dict[str, object]:
    """Mean, std and percentiles of the finite entries of ``values`` (None when there are none)."""
    return _describe_finite(_finite(values))


def _describe_finite(v: np.ndarray) -> dict[str, object]:
    if v.size == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "percentiles": {str(p): None for p in PERCENTILES}}
    mean = float(np.mean(v, dtype=np.float64))
    # float64 (pairwise sums): accurate for tiny spreads, and no overflow for a diverging run's 1e38s.
    var = float(np.var(v, dtype=np.float64))
    # Percentiles from an evenly strided subsample of at most PERCENTILE_SAMPLE values: the
    # 5/25/50/75/95 % points of 4,096 values are within about ±1 % rank of the full sample's,
    # at a fraction of the cost of partitioning tens of thousands of values every frame.
    stride = max(1, v.size // PERCENTILE_SAMPLE)
    pct = _percentiles(np.sort(v[::stride]))
    return {
        "mean": finite_or_none(mean),
        "std": finite_or_none(math.sqrt(var)),
        # The exact finite range, so several runs' or layers' histograms can share one axis.
        "min": finite_or_none(v.min()),
        "max": finite_or_none(v.max()),
        "percentiles": {str(p): finite_or_none(q) for p, q in zip(PERCENTILES, pct, strict=True)},
    }


class FixedHistogram:
    """A histogram whose range is set by the first frame and only ever widened.

    Parameters
    ----------
    bins : int
        Number of bins.
    fixed_range : tuple or None
        A range that is never changed (sigmoid, tanh); None to take it from the first frame.
    kind : str
        For a data-derived range: ``symmetric`` ([−a, a]), ``nonnegative`` ([0, max]) or
        ``minmax``.
    """

    def __init__(self, bins: int, fixed_range: tuple[float, float] | None = None, kind: str = "minmax") -> None:
        self.bins = int(bins)
        self.fixed = fixed_range is not None
        self.kind = kind
        self.lo, self.hi = fixed_range if fixed_range is not None else (math.nan, math.nan)

    def _initial_range(self, v: np.ndarray) -> tuple[float, float]:
        if self.kind == "symmetric":
            a = min(float(np.abs(v).max()), MAX_EDGE) if v.size else 0.0
            return (-a, a) if a > 0 else (-1.0, 1.0)
        lo = 0.0 if self.kind == "nonnegative" else (max(float(v.min()), -MAX_EDGE) if v.size else 0.0)
        hi = min(float(v.max()), MAX_EDGE) if v.size else lo
        return (lo, hi) if hi > lo else (lo, lo + 1.0)

    def _widen(self, v: np.ndarray) -> None:
        vmin, vmax = float(v.min()), float(v.max())
        outside = np.count_nonzero((v < self.lo) | (v > self.hi))
        if outside <= WIDEN_FRACTION * v.size:
            return
        centre = 0.5 * (self.lo + self.hi)
        symmetric = self.kind == "symmetric"
        # Doubling from any positive width passes MAX_EDGE well within 2,100 steps.
        for _ in range(2100):
            grow_lo = vmin < self.lo or (symmetric and vmax > self.hi)
            grow_hi = vmax > self.hi or (symmetric and vmin < self.lo)
            if not (grow_lo or grow_hi):
                break
            lo = centre - 2 * (centre - self.lo) if grow_lo else self.lo
            hi = centre + 2 * (self.hi - centre) if grow_hi else self.hi
            if max(abs(lo), abs(hi)) > MAX_EDGE:
                break  # keep the last edges within ±MAX_EDGE; the rest is clamped into the end bins
            self.lo, self.hi = lo, hi

    def edges(self) -> np.ndarray:
        """Current bin edges, shape ``(bins + 1,)``."""
        return np.linspace(self.lo, self.hi, self.bins + 1)

    def summarize(self, values: np.ndarray) -> dict[str, object]:
        """Histogram and statistics of ``values`` (any shape) on this layer's edges.

        ``nonfinite`` counts the NaN/±∞ entries, which are left out of the histogram and the
        statistics.
        """
        v = _finite(values)
        if not self.fixed:
            if math.isnan(self.lo):
                self.lo, self.hi = self._initial_range(v)
            elif v.size:
                self._widen(v)
        edges = self.edges()
        return {
            "edges": [finite_or_none(e) for e in edges],
            "counts": [int(c) for c in self.bin_counts(v)],
            "nonfinite": int(np.size(values) - v.size),
            **_describe_finite(v),
        }

    def bin_counts(self, v: np.ndarray) -> np.ndarray:
        """Counts of the finite values ``v`` in the current equal-width bins, shape ``(bins,)``.

        Bin index ⌊(v − lo)·bins/(hi − lo)⌋, outliers clamped into the end bins and the right edge
        belonging to the last bin (as in np.histogram). The arithmetic is in float64 with the
        edges bounded by ``MAX_EDGE``, so hi − lo is finite and no index can overflow whatever
        the (finite) values are — a diverging run's 1e38 activations included.
        """
        counts, _ = np.histogram(np.clip(v.astype(np.float64), self.lo, self.hi), bins=self.edges())
        return counts


def activation_range(activation: str) -> tuple[float, float] | None:
    """The natural output range of a bounded activation, None for unbounded ones."""
    return {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(activation)


def squashing_saturated(activation: str, act: np.ndarray) -> float | None:
    """``act.saturated`` (kept as before the per-activation rule): the saturated share for sigmoid
    and tanh, None for ReLU-like activations (their ``dead`` field says more)."""
    if activation not in ("sigmoid", "tanh"):
        return None
    return fraction_saturated(activation, act)


def fraction_dead(activation: str, pre: np.ndarray) -> float | None:
    """Share of units with pre-activation ≤ 0 on every sample (ReLU-like only; shape ``(N, units)``)."""
    if activation not in RELU_LIKE or pre.ndim != 2 or pre.shape[0] == 0:
        return None
    dead = np.all(pre <= 0, axis=0)
    return float(dead.mean())


def _norm(a: np.ndarray | None) -> float | None:
    if a is None:
        return None
    return finite_or_none(np.linalg.norm(a.astype(np.float64, copy=False).ravel()))


class TelemetryRecorder:
    """Builds the ``layers`` list of ``metrics`` events, keeping each layer's histogram edges.

    Parameters
    ----------
    activation : str
        The network's activation id.
    n_layers : int
        Number of hidden layers.
    bins : int
        Histogram bins.
    """

    def __init__(self, activation: str, n_layers: int, bins: int = 30) -> None:
        self.activation = activation
        self.rule = saturation_rule(activation)
        relu_kind = "nonnegative" if activation == "relu" else "minmax"

        def histograms() -> tuple[list[FixedHistogram], list[FixedHistogram]]:
            pre = [FixedHistogram(bins, None, "symmetric") for _ in range(n_layers)]
            act = [FixedHistogram(bins, activation_range(activation), relu_kind) for _ in range(n_layers)]
            return pre, act

        self.pre_hist, self.act_hist = histograms()
        # The inference-mode view has its own edges: at step 0 its BN output is un-normalised.
        self.inference_pre_hist, self.inference_act_hist = histograms()
        self.weight_hist = [FixedHistogram(bins, None, "symmetric") for _ in range(n_layers)]

    def _distributions(self, i: int, p: np.ndarray, a: np.ndarray, inference: bool = False) -> dict[str, object]:
        """``{"pre", "act"}`` summaries of layer ``i`` (0-based) on the batch or inference edges."""
        pre_hist = self.inference_pre_hist if inference else self.pre_hist
        act_hist = self.inference_act_hist if inference else self.act_hist
        act_summary = act_hist[i].summarize(a)
        act_summary["saturated"] = squashing_saturated(self.activation, a)
        act_summary["dead"] = fraction_dead(self.activation, p)
        return {
            "pre": pre_hist[i].summarize(p),
            "act": act_summary,
            "saturated": fraction_saturated(self.activation, a),
        }

    def frame(
        self,
        pre: Sequence[np.ndarray],
        act: Sequence[np.ndarray],
        weights: Sequence[np.ndarray],
        grads: Sequence[np.ndarray | None],
        updates: Sequence[np.ndarray | None],
        inference: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None,
    ) -> list[dict[str, object]]:
        """One telemetry frame.

        Parameters
        ----------
        pre, act : sequence of np.ndarray
            Per hidden layer, pre-activations and activations of the telemetry sample, each
            ``(N, units)``, as the network computes them in training (BN on batch statistics).
        weights : sequence of np.ndarray
            Per hidden layer, its incoming weight matrix W ``(fan_in, units)``.
        grads : sequence of np.ndarray or None
            ∂L/∂W of the latest step (None before the first).
        updates : sequence of np.ndarray or None
            ΔW of the latest update (None before the first).
        inference : (pre, act) or None
            The same sample's pre-activations and activations in inference mode (BN on running
            statistics); given only when they differ (networks with batch norm).

        Returns
        -------
        list of dict
            ``{"index", "name", "pre", "act", "saturated", "saturation_rule", "weights",
            "grad_norm", "weight_norm", "update_ratio"}`` per layer, plus ``"inference": {"pre",
            "act", "saturated"}`` when ``inference`` is given.
        """
        layers = []
        for i, (p, a, W, g, d) in enumerate(zip(pre, act, weights, grads, updates, strict=True)):
            w_norm = _norm(W)
            d_norm = _norm(d)
            ratio = d_norm / w_norm if d_norm is not None and w_norm else None
            layer: dict[str, object] = {
                "index": i + 1,
                "name": f"hidden {i + 1}",
                **self._distributions(i, p, a),
                "saturation_rule": self.rule,
                "weights": self.weight_hist[i].summarize(W),
                "grad_norm": _norm(g),
                "weight_norm": w_norm,
                "update_ratio": finite_or_none(ratio),
            }
            if inference is not None:
                layer["inference"] = self._distributions(i, inference[0][i], inference[1][i], inference=True)
            layers.append(layer)
        return layers

"""Per-layer training telemetry (docs/telemetry.md): what happens inside each hidden layer over time.

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


class Scratch:
    """Work arrays reused from frame to frame.

    A frame bins tens of thousands of values per histogram; a fresh float64 temporary of that
    size is a new memory mapping each time (glibc maps blocks above 128 kB), and its page faults
    cost more than the arithmetic. One recorder's histograms share one ``Scratch`` (a job runs in
    one thread, so there is no sharing across threads).
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, n: int, dtype: type[np.generic]) -> np.ndarray:
        """A 1-D work array of ``n`` elements of ``dtype`` (contents undefined), reused by name."""
        a = self._arrays.get(name)
        if a is None or a.size < n or a.dtype != dtype:
            a = self._arrays[name] = np.empty(n, dtype=dtype)
        return a[:n]


def _order_statistics(n: int) -> list[tuple[int, int, float]]:
    """For each of PERCENTILES, ``(lo, hi, t)``: the percentile of n sorted values is
    ``s[lo] + t · (s[hi] − s[lo])`` (NumPy's default "linear" method: position p/100 · (n − 1))."""
    out = []
    for p in PERCENTILES:
        pos = p / 100 * (n - 1)
        lo = int(pos)
        out.append((lo, min(lo + 1, n - 1), pos - lo))
    return out


def _percentiles(sample: np.ndarray) -> list[float]:
    """PERCENTILES of ``sample`` (1-D, finite, any order) by linear interpolation between order
    statistics, exactly as np.percentile's default method — but with one partial sort
    (``np.partition`` at the ≤ 10 positions needed) instead of a full sort."""
    stats = _order_statistics(sample.size)
    kth = sorted({k for lo, hi, _ in stats for k in (lo, hi)})
    part = np.partition(sample, kth)
    # float() of each order statistic first: the interpolation is done in Python floats (float64)
    # whatever the sample's dtype, as before.
    return [float(part[lo]) + t * (float(part[hi]) - float(part[lo])) for lo, hi, t in stats]


def describe(values: np.ndarray) -> dict[str, object]:
    """Mean, std and percentiles of the finite entries of ``values`` (None when there are none)."""
    v = _finite(values)
    if v.size == 0:
        return _empty_description()
    return _describe_finite(v, float(np.sum(v, dtype=np.float64)), float(v.min()), float(v.max()), Scratch())


def _empty_description() -> dict[str, object]:
    return {"mean": None, "std": None, "min": None, "max": None, "percentiles": {str(p): None for p in PERCENTILES}}


def _describe_finite(v: np.ndarray, total: float, vmin: float, vmax: float, scratch: Scratch) -> dict[str, object]:
    """Statistics of the finite values ``v`` (1-D, non-empty) given their float64 sum and range.

    Mean and variance in float64 — accurate for tiny spreads, no overflow for a diverging run's
    float32 1e38s; the variance is the two-pass Σ(v − mean)²/n (a BLAS dot product of the
    centred values, one float64 temporary).
    """
    n = v.size
    mean = total / n
    centred = np.subtract(v, mean, out=scratch.get("centred", n, np.float64), dtype=np.float64)
    var = float(np.dot(centred, centred)) / n
    # Percentiles from an evenly strided subsample of at most PERCENTILE_SAMPLE values: the
    # 5/25/50/75/95 % points of 4,096 values are within about ±1 % rank of the full sample's,
    # at a fraction of the cost of partitioning tens of thousands of values every frame.
    stride = max(1, n // PERCENTILE_SAMPLE)
    pct = _percentiles(v[::stride])
    return {
        "mean": finite_or_none(mean),
        "std": finite_or_none(math.sqrt(var)) if math.isfinite(var) else None,
        # The exact finite range, so several runs' or layers' histograms can share one axis.
        "min": finite_or_none(vmin),
        "max": finite_or_none(vmax),
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
    scratch : Scratch or None
        Work arrays shared with other histograms of the same recorder (a new set when None).
    """

    def __init__(
        self,
        bins: int,
        fixed_range: tuple[float, float] | None = None,
        kind: str = "minmax",
        scratch: Scratch | None = None,
    ) -> None:
        self.bins = int(bins)
        self.scratch = scratch if scratch is not None else Scratch()
        self.fixed = fixed_range is not None
        self.kind = kind
        self.lo, self.hi = fixed_range if fixed_range is not None else (math.nan, math.nan)
        # The JSON edges of the current range, rebuilt only when the range changes (rarely).
        self._edges_for: tuple[float, float] | None = None
        self._edges: np.ndarray = np.empty(0)
        self._edges_json: list[float | None] = []

    def _initial_range(self, v: np.ndarray, vmin: float, vmax: float) -> tuple[float, float]:
        if self.kind == "symmetric":
            a = min(max(abs(vmin), abs(vmax)), MAX_EDGE) if v.size else 0.0
            return (-a, a) if a > 0 else (-1.0, 1.0)
        lo = 0.0 if self.kind == "nonnegative" else (max(vmin, -MAX_EDGE) if v.size else 0.0)
        hi = min(vmax, MAX_EDGE) if v.size else lo
        return (lo, hi) if hi > lo else (lo, lo + 1.0)

    def _widen(self, v: np.ndarray, vmin: float, vmax: float) -> None:
        if vmin >= self.lo and vmax <= self.hi:
            return  # nothing outside: the common case costs no pass over the values
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
        """Current bin edges, shape ``(bins + 1,)`` — ``np.linspace(lo, hi, bins + 1)``, as
        np.histogram builds them for ``bins=bins, range=(lo, hi)``."""
        if self._edges_for != (self.lo, self.hi):
            self._edges = np.linspace(self.lo, self.hi, self.bins + 1)
            self._edges_json = [finite_or_none(e) for e in self._edges]
            self._edges_for = (self.lo, self.hi)
        return self._edges

    def summarize(self, values: np.ndarray) -> dict[str, object]:
        """Histogram and statistics of ``values`` (any shape) on this layer's edges.

        ``nonfinite`` counts the NaN/±∞ entries, which are left out of the histogram and the
        statistics.
        """
        v = values.ravel()
        total = float(np.sum(v, dtype=np.float64)) if v.size else 0.0
        if not math.isfinite(total):  # a NaN or ±∞ somewhere (or a float64 sum beyond 1.8e308)
            v = v[np.isfinite(v)]
            total = float(np.sum(v, dtype=np.float64))
        vmin, vmax = (float(v.min()), float(v.max())) if v.size else (math.nan, math.nan)
        if not self.fixed:
            if math.isnan(self.lo):
                self.lo, self.hi = self._initial_range(v, vmin, vmax)
            elif v.size:
                self._widen(v, vmin, vmax)
        self.edges()
        out: dict[str, object] = {
            "edges": list(self._edges_json),
            "counts": self.bin_counts(v).tolist(),
            "nonfinite": int(np.size(values) - v.size),
        }
        out.update(_describe_finite(v, total, vmin, vmax, self.scratch) if v.size else _empty_description())
        return out

    def bin_counts(self, v: np.ndarray) -> np.ndarray:
        """Counts of the finite values ``v`` (1-D) in the current equal-width bins, shape ``(bins,)``.

        Exactly ``np.histogram(np.clip(v, lo, hi), bins=self.edges())[0]``: bin k holds
        edges[k] ≤ v < edges[k + 1], the last bin includes its right edge, outliers are clamped
        into the end bins. The bin index is first computed by arithmetic, ⌊(v − lo)·bins/(hi − lo)⌋,
        in float64 (float32 values directly, others clipped to [lo, hi] first, so nothing
        overflows whatever the finite values are — a diverging run's 1e38 activations included;
        edges are bounded by ``MAX_EDGE``). Rounding can put a value that lies within a few ulps
        of an interior edge on the wrong side of it, so exactly those values (usually none) are
        re-binned by comparison with the edges themselves (``np.searchsorted``), as np.histogram
        does. The work arrays come from ``self.scratch``.
        """
        bins, edges = self.bins, self.edges()
        if v.size == 0:
            return np.zeros(bins, dtype=np.intp)
        lo, hi = np.float64(self.lo), np.float64(self.hi)
        scale = bins / (self.hi - self.lo)
        f = self.scratch.get("scaled", v.size, np.float64)
        if v.dtype == np.float32:
            # float32 values are below 3.5e38 and the scale below 1e47 (the narrowest data range
            # of distinct float32s is 1.4e-45 wide), so (v − lo)·scale cannot overflow float64.
            np.subtract(v, lo, out=f, dtype=np.float64)
        else:
            np.clip(v, lo, hi, out=f)
            f -= lo
        f *= scale
        # Clamp into [½, bins − ½]: values below edge 1 all land in bin 0 and values above edge
        # bins − 1 in the last bin (so edge 0 and edge bins never need a correction).
        np.clip(f, 0.5, bins - 0.5, out=f)
        index = self.scratch.get("index", v.size, np.intp)
        np.copyto(index, f, casting="unsafe")  # truncation = ⌊f⌋ for f ≥ ½
        counts = np.bincount(index, minlength=bins)
        # A value is near interior edge k when |f − k| < ε, k = rint(f). ε bounds the rounding of
        # f: relative errors of a few ulps in v − lo, the scale and the edges (linspace's
        # lo + k·step), the latter relative to max(|lo|, |hi|).
        eps = 64 * np.finfo(np.float64).eps * bins * (1.0 + max(abs(self.lo), abs(self.hi)) / (self.hi - self.lo))
        nearest = self.scratch.get("nearest", v.size, np.float64)
        np.rint(f, out=nearest)
        f -= nearest
        np.abs(f, out=f)
        near = np.flatnonzero(f < eps)
        if near.size:
            exact = np.searchsorted(edges, v[near], side="right") - 1
            np.clip(exact, 0, bins - 1, out=exact)
            counts -= np.bincount(index[near], minlength=bins)
            counts += np.bincount(exact, minlength=bins)
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
        scratch = Scratch()

        def histograms() -> tuple[list[FixedHistogram], list[FixedHistogram]]:
            pre = [FixedHistogram(bins, None, "symmetric", scratch) for _ in range(n_layers)]
            act = [FixedHistogram(bins, activation_range(activation), relu_kind, scratch) for _ in range(n_layers)]
            return pre, act

        self.pre_hist, self.act_hist = histograms()
        # The inference-mode view has its own edges: at step 0 its BN output is un-normalised.
        self.inference_pre_hist, self.inference_act_hist = histograms()
        self.weight_hist = [FixedHistogram(bins, None, "symmetric", scratch) for _ in range(n_layers)]

    def _distributions(self, i: int, p: np.ndarray, a: np.ndarray, inference: bool = False) -> dict[str, object]:
        """``{"pre", "act"}`` summaries of layer ``i`` (0-based) on the batch or inference edges."""
        pre_hist = self.inference_pre_hist if inference else self.pre_hist
        act_hist = self.inference_act_hist if inference else self.act_hist
        act_summary = act_hist[i].summarize(a)
        nonfinite = act_summary["nonfinite"]
        n_finite = a.size - nonfinite if isinstance(nonfinite, int) else None
        saturated = fraction_saturated(self.activation, a, n_finite)
        # act.saturated is the same share for sigmoid and tanh (None for ReLU-like activations).
        act_summary["saturated"] = saturated if self.activation in ("sigmoid", "tanh") else None
        act_summary["dead"] = fraction_dead(self.activation, p)
        return {"pre": pre_hist[i].summarize(p), "act": act_summary, "saturated": saturated}

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

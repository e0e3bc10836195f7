"""The network views of a metrics frame (docs/telemetry.md): per-layer telemetry and the per-unit view.

:meth:`~app.core.nn.run.TrainingRun.metrics` calls these on the fixed telemetry sample:

* :func:`layer_telemetry` pushes the sample through the network as training computes it — batch
  norm on the sample's own batch statistics, no dropout (``MLP.forward(batch_stats=True)``) — and,
  for networks with batch norm, a second time in inference mode (running statistics) for the
  labelled ``inference`` view beside it. Without batch norm both passes are the same function, so
  the second one is skipped.
* :func:`unit_view` reports the first hidden layer's weight matrix and its units' mean activation,
  bounded by two settings, so a heatmap shows whether units differ: with zero initialisation
  every column is identical at every step (each unit gets the same gradient — the symmetry
  problem), with random initialisation they are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.nn.evaluation import evaluate
from app.core.nn.network import EVAL_CHUNK, MLP
from app.core.nn.telemetry import TelemetryRecorder, finite_or_none

#: Defaults of the per-unit view's bounds (``Settings.max_unit_view_inputs`` / ``_units``): 32 × 32
#: weights at 4 significant digits are about 9 kB of JSON per frame, like the layer histograms.
UNIT_VIEW_INPUTS = 32
UNIT_VIEW_UNITS = 32
#: Significant digits of the per-unit view's numbers (a heatmap needs no more; equal stays equal).
UNIT_VIEW_DIGITS = 4


def has_batch_norm(net: MLP) -> bool:
    """True when any hidden layer has batch normalisation."""
    return any(block.bn is not None for block in net.blocks)


Views = tuple[list[np.ndarray], list[np.ndarray]]


def layer_telemetry(
    net: MLP,
    x_tel: np.ndarray,
    recorder: TelemetryRecorder,
    weights: Sequence[np.ndarray],
    grads: Sequence[np.ndarray | None],
    updates: Sequence[np.ndarray | None],
    inference_view: Views | None = None,
) -> tuple[list[dict[str, object]], np.ndarray | None]:
    """The ``layers`` of a frame for the telemetry sample ``x_tel`` ``(N, n_in)``, and the first
    hidden layer's activations of the main view (None without hidden layers).

    The main view uses batch statistics; ``inference`` (BN networks only) uses running ones.
    ``inference_view``: the sample's inference-mode (pre-activations, activations) when the
    caller already has them (:meth:`FrameSource.network_frame` takes them from its training-subset
    pass) — then that pass is not repeated, and without batch norm it *is* the main view (the
    batch-statistics pass is the same function), so no pass over ``x_tel`` is needed at all.
    """
    bn = has_batch_norm(net)
    if inference_view is not None and not bn:
        pre, act = inference_view
        layers = recorder.frame(pre, act, weights, grads, updates)
        return layers, act[0] if act else None
    inference: Views | None = None
    if bn:
        if inference_view is None:
            net.forward(x_tel, training=False)
            inference_view = (net.pre_activations, net.activations)
        inference = inference_view
    net.forward(x_tel, training=False, batch_stats=True)
    layers = recorder.frame(net.pre_activations, net.activations, weights, grads, updates, inference=inference)
    return layers, net.activations[0] if net.activations else None


def rows_within(subset: np.ndarray, sample: np.ndarray) -> np.ndarray | None:
    """Positions of the sorted indices ``sample`` within the sorted indices ``subset`` — so
    ``x[subset][rows] == x[sample]`` — or None when some sample index is not in ``subset``."""
    if sample.size == 0 or subset.size == 0:
        return None
    rows = np.searchsorted(subset, sample)
    if rows.max() >= subset.size or not np.array_equal(subset[rows], sample):
        return None
    return rows


def _strided(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` evenly spread indices of ``range(n)`` (all of them when n ≤ limit)."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.intp))


def _rounded(value: float) -> float | None:
    """``value`` to ``UNIT_VIEW_DIGITS`` significant digits (None when not finite)."""
    v = finite_or_none(value)
    return None if v is None else float(f"{v:.{UNIT_VIEW_DIGITS}g}")


#: Largest power of ten that float64 holds exactly (10²² < 2⁵³ · 2²²): scaling by 10^k with
#: |k| ≤ this is exact, so one correctly rounded division or product gives the nearest double.
_EXACT_POW10 = 22


def rounded_array(values: np.ndarray) -> list[Any]:
    """:func:`_rounded` of every entry of ``values`` (same nested-list shape), vectorised.

    With e = ⌊log₁₀|v|⌋ and d = UNIT_VIEW_DIGITS − 1 − e, the rounded value is k / 10^d
    (k · 10^−d when d < 0) with k = rint(v · 10^d) — one correctly rounded operation on exact
    powers of ten, hence the double nearest to the decimal with UNIT_VIEW_DIGITS digits, which is
    what ``float(f"{v:.4g}")`` returns. Entries where this shortcut might differ — v · 10^d within
    10⁻⁶ of a tie (the product itself is rounded), |d| beyond the exact powers, non-finite — are
    formatted one by one, so the result equals :func:`_rounded` exactly.
    """
    with np.errstate(all="ignore"):  # 10^(e+1) may overflow for |v| near 1.8e308: such v are "careful"
        v = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(v)
        mag = np.abs(np.where(finite, v, 1.0))
        nonzero = mag > 0
        e = np.floor(np.log10(np.where(nonzero, mag, 1.0)))
        # log10 can be off by one next to a power of ten: fix e so that 10^e ≤ |v| < 10^(e+1).
        e += mag >= 10.0 ** (e + 1)
        e -= mag < 10.0**e
        d = (UNIT_VIEW_DIGITS - 1 - e).astype(np.intp)
        exact = finite & (np.abs(d) <= _EXACT_POW10)  # ±0 stays ±0 (k = 0)
        d = np.where(exact, d, 0)
        up = 10.0 ** np.abs(d)
        scaled = np.where(d >= 0, v * up, v / up)
        k = np.rint(scaled)
        out = np.where(d >= 0, k / up, k * up)
        # Near a tie (x.5) the rounded product may round the other way than the exact decimal would.
        careful = ~exact | (np.abs(np.abs(scaled - k) - 0.5) < 1e-6)
    result = out.astype(object)
    for idx in zip(*np.nonzero(careful), strict=True):
        result[idx] = _rounded(float(v[idx]))
    listed: list[Any] = result.tolist()
    return listed


def unit_view(
    net: MLP,
    max_inputs: int = UNIT_VIEW_INPUTS,
    max_units: int = UNIT_VIEW_UNITS,
    first_activations: np.ndarray | None = None,
) -> dict[str, Any] | None:
    """The per-unit view of the first hidden layer, after a forward pass of the telemetry sample.

    Parameters
    ----------
    net : MLP
        The network; ``net.activations`` must hold the last telemetry pass.
    max_inputs, max_units : int
        Most rows (inputs) and columns (units) reported; larger layers are subsampled evenly
        (e.g. every 25th of MNIST's 784 pixels), so the corners of an image are not all one sees.
        Numbers are rounded to ``UNIT_VIEW_DIGITS`` significant digits to keep frames small.
    first_activations : np.ndarray or None
        The first hidden layer's activations of the telemetry sample ``(N, units)``;
        ``net.activations[0]`` when None.

    Returns
    -------
    dict or None
        ``{"layer": 0, "inputs": [row indices], "units_index": [column indices],
        "weights": [[...]] (len(inputs) × len(units_index), W₁[inputs][:, units]),
        "activations_mean": [...] (len(units_index), mean activation per unit over the sample)}``;
        None for a network without hidden layers.
    """
    if not net.blocks:
        return None
    W = net.blocks[0].affine.W
    rows, cols = _strided(W.shape[0], max_inputs), _strided(W.shape[1], max_units)
    sub = W[np.ix_(rows, cols)].astype(np.float64)
    first = first_activations if first_activations is not None else (net.activations[0] if net.activations else None)
    act = first[:, cols] if first is not None else None
    mean = act.astype(np.float64).mean(axis=0) if act is not None and len(act) else np.full(len(cols), np.nan)
    return {
        "layer": 0,
        "inputs": rows.tolist(),
        "units_index": cols.tolist(),
        "weights": rounded_array(sub),
        "activations_mean": rounded_array(mean),
    }


#: Most validation (and training) samples evaluated for a metrics frame.
VAL_EVENT_SAMPLES = 2000


@dataclass
class FrameSource:
    """What every metrics frame measures, fixed for the whole run so frames are comparable.

    Attributes
    ----------
    x_tel : np.ndarray
        The telemetry sample ``(n_tel, n_in)``.
    x_val, y_val : np.ndarray
        At most ``VAL_EVENT_SAMPLES`` validation samples ``(n, n_in)``, ``(n,)``.
    x_train, y_train : np.ndarray
        The fixed training subset measured in inference mode (``train_accuracy_eval``); frames use
        its first ``VAL_EVENT_SAMPLES``, epoch records all of it.
    recorder : TelemetryRecorder
        Histogram edges per layer.
    hidden_w : list of int
        Indices into ``MLP.params()`` of the hidden layers' weight matrices.
    unit_view_size : (int, int)
        Most inputs and units of the per-unit view.
    tel_rows : np.ndarray or None
        Where the telemetry sample's rows are in the frames' training subset
        (``x_train[:VAL_EVENT_SAMPLES][tel_rows] == x_tel``, see :func:`rows_within`), or None.
        When known, the inference-mode pass that measures ``train_accuracy_eval`` also gives the
        sample's inference-mode activations: one forward pass fewer per frame.
    """

    x_tel: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    recorder: TelemetryRecorder
    hidden_w: list[int]
    unit_view_size: tuple[int, int] = (UNIT_VIEW_INPUTS, UNIT_VIEW_UNITS)
    tel_rows: np.ndarray | None = None

    def network_frame(
        self,
        net: MLP,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray],
        last_deltas: Sequence[np.ndarray] | None,
    ) -> dict[str, Any]:
        """The network's part of a metrics frame: ``{"val_loss", "val_acc", "train_loss_eval",
        "train_accuracy_eval", "mode", "layers", "units"}`` (grad and update norms null before the
        first step, when ``last_deltas`` is None)."""
        w, n = self.hidden_w, VAL_EVENT_SAMPLES
        val_loss, val_acc = evaluate(net, self.x_val, self.y_val)
        x_sub, y_sub = self.x_train[:n], self.y_train[:n]
        shared: Views | None = None
        if self.tel_rows is not None and 0 < len(y_sub) <= EVAL_CHUNK:
            # One inference-mode pass over the training subset: its loss and accuracy, and (by
            # row selection) the telemetry sample's inference-mode activations. Rows of a matrix
            # product do not depend on the other rows, so these equal a pass over x_tel alone.
            logits = net.forward(x_sub, training=False)
            train_loss_eval = finite_or_none(net.loss_layer.forward(logits, y_sub))
            train_accuracy_eval: float | None = float(np.mean(np.argmax(logits, axis=1) == y_sub))
            rows = self.tel_rows
            shared = ([u[rows] for u in net.pre_activations], [a[rows] for a in net.activations])
        else:
            train_loss_eval, train_accuracy_eval = evaluate(net, x_sub, y_sub)
        none: list[np.ndarray | None] = [None] * len(w)
        layers, first = layer_telemetry(
            net,
            self.x_tel,
            self.recorder,
            [params[i] for i in w],
            [grads[i] for i in w] if last_deltas is not None else none,
            [last_deltas[i] for i in w] if last_deltas is not None else none,
            inference_view=shared,
        )
        return {
            "val_loss": val_loss,
            "val_acc": val_acc,
            "train_loss_eval": train_loss_eval,
            "train_accuracy_eval": train_accuracy_eval,
            "mode": "batch",
            "layers": layers,
            "units": unit_view(net, *self.unit_view_size, first_activations=first),
        }

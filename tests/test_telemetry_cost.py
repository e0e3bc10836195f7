"""The cheaper telemetry (issue 9 point 6) gives the same numbers, and its time budget holds.

* Histograms: ``FixedHistogram.bin_counts`` equals ``np.histogram`` on the same (clamped) data
  exactly, values on and next to the edges included.
* Frames: the recorder equals the implementation it replaced (``tests/telemetry_reference.py``,
  verbatim from main) on fixed seeds — counts, edges, non-finite counts, saturation, dead units and
  percentiles exactly; mean and std to float64 rounding — for every activation, batch norm's
  inference view and a diverging run.
* The per-unit view's vectorised rounding equals ``float(f"{v:.4g}")`` exactly.
* ``FrameBudget`` (an injected clock, so no timing enters the test): frames cost at most the
  budget share of the training time apart from the frames always sent and the one that crossed
  the budget, the interval in force is
  the smallest power-of-two multiple of the requested one that fits, and it comes back down when
  frames get cheaper.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.core.nn.frame_budget import FrameBudget
from app.core.nn.frames import _rounded, rounded_array
from app.core.nn.run import TrainingRun
from app.core.nn.telemetry import MAX_EDGE, FixedHistogram, TelemetryRecorder
from tests import telemetry_reference as reference

# ----------------------------------------------------------------------------- histograms


def _edge_cases(edges: np.ndarray, dtype: type[np.floating[Any]]) -> np.ndarray:
    """The edges themselves and their neighbours one ulp either side, in ``dtype``."""
    e = edges.astype(dtype)
    with np.errstate(over="ignore"):
        return np.concatenate([e, np.nextafter(e, dtype(np.inf)), np.nextafter(e, dtype(-np.inf))])


@pytest.mark.parametrize("bins", [2, 3, 7, 30, 101])
@pytest.mark.parametrize(
    "bounds",
    [(0.0, 1.0), (-1.0, 1.0), (-3.7, 3.7), (0.0, 0.013), (1000.0, 1000.001), (-1e300, 1e300), (-2.5e-30, 5e-30)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bin_counts_equal_np_histogram_exactly(bins: int, bounds: tuple[float, float], dtype: Any) -> None:
    lo, hi = bounds
    hist = FixedHistogram(bins, bounds)
    edges = hist.edges()
    assert np.array_equal(edges, np.histogram_bin_edges([], bins=bins, range=bounds))
    rng = np.random.default_rng(bins)
    centre, width = 0.5 * (lo + hi), hi - lo
    random = centre + width * rng.uniform(-0.7, 0.7, 20_000)  # about 30 % outside, clamped
    with np.errstate(over="ignore"):
        values = np.concatenate([random.astype(dtype), _edge_cases(edges, dtype)])
    values = values[np.isfinite(values)]
    counts = hist.bin_counts(values)
    expected, _ = np.histogram(np.clip(values.astype(np.float64), lo, hi), bins=edges)
    assert counts.tolist() == expected.tolist()
    assert counts.sum() == values.size


def test_summarize_counts_equal_np_histogram_on_data_derived_edges() -> None:
    rng = np.random.default_rng(0)
    hist = FixedHistogram(30, None, "symmetric")
    for scale in (1.0, 1.0, 1.3, 7.0, 50.0):  # widened twice on the way
        v = (rng.standard_normal((256, 100)) * scale).astype(np.float32)
        out = hist.summarize(v)
        edges = np.array(out["edges"])
        assert np.array_equal(edges, hist.edges())
        expected, _ = np.histogram(np.clip(v.astype(np.float64), edges[0], edges[-1]), bins=edges)
        assert out["counts"] == expected.tolist()


# ----------------------------------------------------------------------------- frames vs the old implementation

EXACT = ("edges", "counts", "nonfinite", "min", "max", "percentiles", "saturated", "dead")


def _assert_same(new: Any, old: Any, path: str = "", *, float32: bool = False) -> None:
    """Equal structures; floats exactly equal except mean/std (float64 summation order).

    ``float32``: every float equal up to float32 rounding (relative 1e-4, absolute 1e-7), for
    activations computed by two different matrix products (the BLAS may round a row differently
    when it sits in a larger matrix: 1.3e-5 relative at most on an AMD EPYC's OpenBLAS, 0 on the
    machines the suite ran on before).
    """
    if isinstance(old, dict):
        assert set(new) == set(old), path
        for key in old:
            _assert_same(new[key], old[key], f"{path}.{key}", float32=float32)
    elif isinstance(old, list):
        assert len(new) == len(old), path
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _assert_same(a, b, f"{path}[{i}]", float32=float32)
    elif isinstance(old, float) and float32:
        assert isinstance(new, float) and new == pytest.approx(old, rel=1e-4, abs=1e-7), path
    elif isinstance(old, float) and path.rsplit(".", 1)[-1] in ("mean", "std"):
        assert new == pytest.approx(old, rel=1e-12, abs=1e-300), path
    else:
        assert new == old and type(new) is type(old), (path, new, old)


def _frames(activation: str, seed: int, inference: bool) -> list[tuple[Any, ...]]:
    """Per frame: (pre, act, weights, grads, updates, inference) for 3 layers, the scale growing
    (so edges widen) and the last frame with NaN and ±∞ in it."""
    rng = np.random.default_rng(seed)
    out = []
    for k, scale in enumerate((0.5, 0.5, 0.8, 3.0, 3.0, 40.0)):
        pre = [(rng.standard_normal((64, 20)) * scale).astype(np.float32) for _ in range(3)]
        if k == 5:
            pre[1][0, :3] = [np.nan, np.inf, -np.inf]
        with np.errstate(over="ignore", invalid="ignore"):
            act = [_activate(activation, p) for p in pre]
        weights = [(rng.standard_normal((20, 20)) * 0.1 * (1 + k)).astype(np.float32) for _ in range(3)]
        grads = [None] * 3 if k == 0 else [rng.standard_normal((20, 20)).astype(np.float32) for _ in range(3)]
        updates = [None] * 3 if k == 0 else [g * np.float32(1e-3) for g in grads]  # type: ignore[operator]
        inf = ([p * 2 for p in pre], [a * 0.5 for a in act]) if inference else None
        out.append((pre, act, weights, grads, updates, inf))
    return out


def _activate(activation: str, u: np.ndarray) -> np.ndarray:
    if activation == "sigmoid":
        return (1 / (1 + np.exp(-u))).astype(np.float32)
    if activation == "tanh":
        return np.tanh(u)
    if activation == "relu":
        return np.maximum(u, 0)
    if activation == "leaky_relu":
        return np.where(u > 0, u, np.float32(0.01) * u)
    return np.where(u > 0, u, np.expm1(u)).astype(np.float32)  # elu


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu"])
@pytest.mark.parametrize("inference", [False, True])
def test_recorder_frames_equal_the_old_implementation(activation: str, inference: bool) -> None:
    new, old = TelemetryRecorder(activation, 3, bins=30), reference.TelemetryRecorder(activation, 3, bins=30)
    for pre, act, weights, grads, updates, inf in _frames(activation, seed=len(activation), inference=inference):
        _assert_same(
            new.frame(pre, act, weights, grads, updates, inference=inf),
            old.frame(pre, act, weights, grads, updates, inference=inf),
        )


def _run_frames(config: dict[str, Any], recorder_cls: Callable[..., Any], steps: int) -> list[dict[str, Any]]:
    run = TrainingRun(config)
    run.frames.recorder = recorder_cls(config["model"]["activation"], len(run.network.blocks), 20)
    frames = [run.metrics()]
    for _ in range(steps):
        if run.finished or not run.step():
            break
        frames.append(run.metrics())
        if run.epoch_complete:
            run.end_epoch()
    frames.append(run.metrics())
    return frames


@pytest.mark.parametrize(
    "config",
    [
        {  # batch norm: the batch view and the labelled inference view
            "dataset": {"name": "digits", "train_limit": 300},
            "model": {"hidden": [32, 32], "activation": "tanh", "batch_norm": True},
            "batch_size": 50,
            "epochs": 2,
            "telemetry": {"sample_size": 120, "bins": 20},
        },
        {  # diverging: huge and then non-finite values in every frame until the run stops
            "dataset": {"name": "iris"},
            "model": {"hidden": [32, 32], "activation": "relu"},
            "optimizer": {"optimizer": "sgd", "params": {"lr": 100}},
            "epochs": 20,
            "telemetry": {"bins": 20},
        },
    ],
    ids=["batch_norm", "diverging"],
)
def test_training_frames_equal_the_old_implementation(config: dict[str, Any]) -> None:
    new = _run_frames(config, TelemetryRecorder, steps=12)
    old = _run_frames(config, reference.TelemetryRecorder, steps=12)
    strip = ("elapsed", "eta")
    for a, b in zip(new, old, strict=True):
        _assert_same({k: v for k, v in a.items() if k not in strip}, {k: v for k, v in b.items() if k not in strip})
    if "batch_norm" in str(config):
        assert all("inference" in layer for layer in new[-1]["layers"])
    else:
        assert any(h["nonfinite"] for f in new for layer in f["layers"] for h in (layer["pre"], layer["act"]))
        assert all(abs(e) <= MAX_EDGE for f in new for layer in f["layers"] for e in layer["pre"]["edges"])


def test_rounded_array_equals_formatting_to_four_digits() -> None:
    rng = np.random.default_rng(5)
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, 9.9995, 0.00012345, 12345.0, 99995.0, 0.5, 1.25, 5e-324, 1.7e308]
    for scale in (1e-30, 1e-8, 1e-3, 0.1, 1.0, 10.0, 1e4, 1e8, 1e30, 1e300):
        v = rng.standard_normal((40, 40)) * scale
        for arr in (v, np.round(v / scale, 3) * scale, np.array([special])):
            assert rounded_array(arr) == [[_rounded(x) for x in row] for row in arr]
    assert rounded_array(np.array([1.23456, np.nan])) == [1.235, None]


# ----------------------------------------------------------------------------- the time budget


class ManualClock:
    """A clock the test advances by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def simulate(
    total_steps: int,
    interval: int,
    step_seconds: float,
    frame_seconds: Callable[[int], float],
    budget: float = 0.15,
    adaptive: bool = True,
    requested: Callable[[int], bool] = lambda step: False,
) -> tuple[FrameBudget, list[dict[str, Any]], ManualClock]:
    """A run where each step costs ``step_seconds`` and the frame after step s ``frame_seconds(s)``."""
    clock = ManualClock()
    rule = FrameBudget(interval, total_steps, budget, adaptive, clock)
    sent: list[dict[str, Any]] = []
    step = 0

    def build() -> dict[str, Any]:
        clock.t += frame_seconds(step)
        return {"step": step}

    emit = lambda _name, payload: sent.append(payload)  # noqa: E731
    rule.send(emit, build, 0)
    for step in range(1, total_steps + 1):
        clock.t += step_seconds
        if rule.due(step, requested(step)):
            rule.send(emit, build, step)
    return rule, sent, clock


@pytest.mark.parametrize(
    ("interval", "frame_cost"),
    [(10, 8.0), (10, 0.5), (1, 3.0), (50, 30.0), (7, 100.0)],
)
def test_frames_stay_within_the_budget(interval: int, frame_cost: float) -> None:
    """Steps cost 1 s: frames cost ≤ 15 % of the training time apart from the always-sent ones."""
    total = 5000
    rule, sent, clock = simulate(total, interval, 1.0, lambda _s: frame_cost)
    training = clock.t - 100.0 - rule.frame_seconds
    assert training == pytest.approx(total)
    # Beyond the budget: at most the frame that crossed it, the first frame and the last of the grid.
    assert rule.frame_seconds - 3 * frame_cost <= 0.15 * training + 1e-9
    assert rule.frame_seconds <= 0.15 * training + 3 * frame_cost
    steps = [f["step"] for f in sent]
    assert steps[0] == 0 and steps[-1] == (total // interval) * interval
    assert all(s % interval == 0 for s in steps) and steps == sorted(set(steps))
    for f in sent:  # the interval in force is N · 2^k, and "adaptive" says whether k > 0
        k = math.log2(f["interval"] / interval)
        assert k == int(k) and f["adaptive"] == (k > 0)
    # The interval at the end is the smallest N · 2^k whose steady-state cost c / (I · s) fits.
    final = sent[-1]["interval"]
    assert frame_cost / final <= 0.15 + 1e-12
    assert final == interval or frame_cost / (final / 2) > 0.15
    # Cheap frames are not thinned: every requested frame is sent.
    if frame_cost / interval <= 0.15 / 2:
        assert len(sent) == total // interval + 1


def test_the_interval_comes_back_down_when_frames_get_cheaper() -> None:
    # Frames cost 20 steps' worth for the first half of the run, then a tenth of that.
    _, sent, _ = simulate(4000, 10, 1.0, lambda s: 20.0 if s < 2000 else 2.0)
    intervals = {f["step"]: f["interval"] for f in sent}
    early = [i for s, i in intervals.items() if 500 < s < 2000]
    late = [i for s, i in intervals.items() if s > 3000]
    assert set(early) == {160} and set(late) == {20}  # 20 / (160 · 1) ≤ 0.15 < 20 / 80; 2 / 20 ≤ 0.15


def test_requested_frames_are_always_sent_and_not_adaptive_sends_every_interval() -> None:
    _, sent, _ = simulate(300, 10, 1.0, lambda _s: 50.0, requested=lambda s: s in (7, 123))
    steps = [f["step"] for f in sent]
    assert 7 in steps and 123 in steps and 300 in steps
    _, fixed, _ = simulate(300, 10, 1.0, lambda _s: 50.0, adaptive=False)
    assert [f["step"] for f in fixed] == list(range(0, 301, 10))
    assert all(f["interval"] == 10 and f["adaptive"] is False for f in fixed)


def test_train_frames_say_the_interval_in_force() -> None:
    from app.core.nn.training import train

    frames: list[dict[str, Any]] = []
    config = {
        "dataset": {"name": "iris"},
        "model": {"hidden": [8]},
        "epochs": 30,
        "batch_size": 10,
        "telemetry": {"interval": 1},
    }
    summary = train(config, lambda name, p: frames.append(p) if name == "metrics" else None, lambda: False)
    assert summary["status"] == "done"
    assert frames[0]["step"] == 0 and frames[-1]["step"] == summary["steps"]  # first and last always
    assert all(isinstance(f["interval"], int) and f["interval"] >= 1 for f in frames)
    assert all(f["adaptive"] == (f["interval"] > 1) for f in frames)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_the_shared_inference_pass_gives_the_frames_of_separate_passes(batch_norm: bool) -> None:
    """The telemetry sample's activations taken from the training-subset pass (rows selected)
    equal a pass over the sample alone, up to float32 rounding (the histogram counts exactly);
    with batch norm they are the inference view."""
    config = {
        "dataset": {"name": "digits", "train_limit": 300},
        "model": {"hidden": [40, 30], "activation": "relu", "batch_norm": batch_norm, "dropout": 0.1},
        "batch_size": 50,
        "epochs": 2,
        "telemetry": {"sample_size": 90, "bins": 20},
    }
    shared, separate = TrainingRun(config), TrainingRun(config)
    assert shared.frames.tel_rows is not None and len(shared.frames.tel_rows) == 90
    separate.frames.tel_rows = None
    strip = ("elapsed", "eta")
    for _ in range(8):
        a, b = shared.metrics(), separate.metrics()
        _assert_same(
            {k: v for k, v in a.items() if k not in strip}, {k: v for k, v in b.items() if k not in strip}, float32=True
        )
        assert shared.step() and separate.step()
        if shared.epoch_complete:
            shared.end_epoch(), separate.end_epoch()
    assert all(("inference" in layer) == batch_norm for layer in a["layers"])

"""Issue 8 telemetry: batch-statistics view, saturation rules, weight histograms, per-unit view,
training accuracy in inference mode, and telemetry that survives a diverging run."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.core.nn.run import TrainingRun
from app.core.nn.saturation import fraction_saturated, saturation_rule
from app.core.nn.telemetry import MAX_EDGE, FixedHistogram
from app.core.nn.training import train

#: The textbook's batch-norm set-up ("Deep Learning from Scratch" §6.3): 5 ReLU layers of 100, N(0, 0.01²).
TEXTBOOK: dict[str, Any] = {
    "dataset": {"name": "digits"},
    "model": {"hidden": [100] * 5, "activation": "relu", "init": "normal", "init_std": 0.01},
    "telemetry": {"sample_size": 256},
}

#: std of max(0, Z) for Z ~ N(0, 1): E[a²] = ½, E[a] = 1/√(2π), so √(½ − 1/(2π)) ≈ 0.5838.
RELU_OF_STANDARD_NORMAL_STD = math.sqrt(0.5 - 1 / (2 * math.pi))


def textbook(batch_norm: bool) -> dict[str, Any]:
    return {**TEXTBOOK, "model": {**TEXTBOOK["model"], "batch_norm": batch_norm}}


def test_batch_norm_spreads_the_deepest_activations_at_step_0() -> None:
    with_bn = TrainingRun(textbook(True)).metrics()
    without = TrainingRun(textbook(False)).metrics()
    assert with_bn["mode"] == "batch" and without["mode"] == "batch"
    deep_bn, deep_plain = with_bn["layers"][-1], without["layers"][-1]
    # BN with γ = 1, β = 0 on the sample's own statistics: every unit's pre-activation has mean 0
    # and variance σ²/(σ² + ε) ≈ 1, so each ReLU layer's output has the std of max(0, N(0, 1)).
    for layer in with_bn["layers"]:
        assert layer["pre"]["std"] == pytest.approx(1.0, abs=1e-3)
        assert layer["act"]["std"] == pytest.approx(RELU_OF_STANDARD_NORMAL_STD, abs=0.04)
    # Without BN each layer multiplies the scale by about 0.01·√100·√½ ≈ 0.07: collapsed by layer 5.
    assert deep_plain["act"]["std"] < 1e-5
    assert deep_bn["act"]["std"] > 1e4 * deep_plain["act"]["std"]
    assert "inference" not in deep_plain  # no BN: inference mode is the same function


def test_inference_view_at_step_0_is_the_unnormalised_network() -> None:
    frame = TrainingRun(textbook(True)).metrics()
    plain = TrainingRun(textbook(False)).metrics()
    # Running mean 0 and variance 1 at step 0: BN is x/√(1 + ε), so the inference view equals
    # the network without BN (same initial weights: the seed's init stream is the same).
    for bn_layer, plain_layer in zip(frame["layers"], plain["layers"], strict=True):
        inference = bn_layer["inference"]
        assert inference["act"]["std"] == pytest.approx(plain_layer["act"]["std"], rel=1e-3)
        assert set(inference) == {"pre", "act", "saturated"}


def test_telemetry_leaves_the_running_statistics_alone() -> None:
    run = TrainingRun(textbook(True))
    for _ in range(3):
        run.step()
    bn = run.network.blocks[0].bn
    assert bn is not None
    before = (bn.running_mean.copy(), bn.running_var.copy())
    run.metrics()
    np.testing.assert_array_equal(bn.running_mean, before[0])
    np.testing.assert_array_equal(bn.running_var, before[1])


@pytest.mark.parametrize(
    ("activation", "values", "expected"),
    [
        ("sigmoid", [0.005, 0.5, 0.995, 0.2], 0.5),
        ("tanh", [-0.995, 0.5, 0.999, 0.0], 0.5),
        ("relu", [0.0, 0.0, 0.0, 1.5], 0.75),
        ("leaky_relu", [-0.001, 0.3, 0.0, 2.0], 0.25),
        ("elu", [-0.995, -0.5, 0.1, -0.999], 0.5),
    ],
)
def test_saturation_rule_of_each_activation_by_hand(activation: str, values: list[float], expected: float) -> None:
    assert fraction_saturated(activation, np.array([values])) == expected


def test_saturation_rules_name_their_thresholds() -> None:
    assert saturation_rule("sigmoid") == {"code": "outside", "params": {"low": 0.01, "high": 0.99}}
    assert saturation_rule("tanh") == {"code": "abs_above", "params": {"threshold": 0.99}}
    assert saturation_rule("relu") == {"code": "zero", "params": {}}
    # Non-finite values are neither saturated nor counted.
    assert fraction_saturated("relu", np.array([0.0, np.nan, 1.0])) == 0.5


def test_relu_frames_count_zero_outputs_as_saturated() -> None:
    frame = TrainingRun({"dataset": {"name": "iris"}, "model": {"hidden": [16], "activation": "relu"}}).metrics()
    layer = frame["layers"][0]
    assert layer["saturation_rule"]["code"] == "zero"
    # The layer's own activations: the share of exact zeros, counted here independently.
    run = TrainingRun({"dataset": {"name": "iris"}, "model": {"hidden": [16], "activation": "relu"}})
    run.metrics()
    act = run.network.activations[0]
    assert layer["saturated"] == pytest.approx(float(np.mean(act == 0)))
    assert layer["act"]["saturated"] is None  # the old sigmoid/tanh-only field is unchanged


def test_weight_histogram_counts_every_weight() -> None:
    frame = TrainingRun({"dataset": {"name": "iris"}, "model": {"hidden": [8, 5]}}).metrics()
    first, second = frame["layers"]
    assert sum(first["weights"]["counts"]) == 4 * 8 and sum(second["weights"]["counts"]) == 8 * 5
    edges = first["weights"]["edges"]
    assert edges[0] == -edges[-1]  # symmetric around 0


def test_zero_init_keeps_every_unit_identical_in_the_unit_view() -> None:
    config = {
        "dataset": {"name": "iris"},
        "model": {"hidden": [6], "activation": "sigmoid", "init": "zeros"},
        "optimizer": {"optimizer": "sgd", "params": {"lr": 0.5}},
        "epochs": 100,
    }
    run = TrainingRun(config)
    for _ in range(40):
        run.step()
        if run.epoch_complete:
            run.end_epoch()
    units = run.metrics()["units"]
    W = np.array(units["weights"])
    assert units["layer"] == 0 and W.shape == (4, 6) and units["units_index"] == list(range(6))
    # Symmetry: equal units get equal gradients, so every column stays equal — but the weights moved.
    assert np.abs(W).max() > 0
    np.testing.assert_allclose(W, np.repeat(W[:, :1], 6, axis=1), rtol=1e-6)
    assert np.ptp(units["activations_mean"]) < 1e-6
    he = TrainingRun({**config, "model": {"hidden": [6], "activation": "sigmoid", "init": "he_normal"}}).metrics()
    assert np.ptp(np.array(he["units"]["weights"]), axis=1).min() > 0  # random init: units differ


def test_unit_view_is_bounded_by_its_setting() -> None:
    run = TrainingRun({"dataset": {"name": "digits"}, "model": {"hidden": [100]}}, unit_view_size=(10, 7))
    units = run.metrics()["units"]
    assert len(units["inputs"]) == 10 and len(units["units_index"]) == 7
    assert units["inputs"][0] == 0 and units["inputs"][-1] == 63  # spread over all 64 pixels
    assert np.array(units["weights"]).shape == (10, 7)


def test_dropout_run_reports_training_accuracy_in_inference_mode_like_the_table() -> None:
    config = {
        "dataset": {"name": "iris"},
        "model": {"hidden": [32], "dropout": 0.5},
        "epochs": 3,
        "seed": 1,
    }
    epochs: list[dict[str, Any]] = []
    frames: list[dict[str, Any]] = []

    def emit(name: str, payload: dict[str, Any]) -> None:
        (epochs if name == "epoch" else frames).append(payload)

    summary = train(config, emit, lambda: False)
    last = epochs[-1]
    # Iris' training split has < TRAIN_EVAL_SAMPLES samples: the epoch record's inference-mode
    # accuracy is the results table's train_acc (final weights, whole split, no dropout).
    assert last["train_accuracy_eval"] == pytest.approx(summary["train_acc"])
    assert last["train_loss_eval"] == pytest.approx(summary["train_loss"], rel=1e-5)
    assert all(f["train_accuracy_eval"] is not None for f in frames)


def test_histogram_survives_huge_and_non_finite_values() -> None:
    hist = FixedHistogram(10, None, "symmetric")
    hist.summarize(np.array([-1.0, 1.0]))
    f32 = np.array([-3e38, 3e38, 1e38, np.inf, np.nan, -np.inf], dtype=np.float32)
    out = hist.summarize(f32)
    assert sum(out["counts"]) == 3 and out["nonfinite"] == 3
    assert out["min"] == pytest.approx(-3e38, rel=1e-6) and out["max"] == pytest.approx(3e38, rel=1e-6)
    assert all(e is not None and abs(e) <= MAX_EDGE for e in out["edges"])
    with np.errstate(over="ignore"):  # the variance overflows: std is reported as None
        huge = hist.summarize(np.array([-1e307, 1e307, 5e306]))  # float64 beyond float32
    assert sum(huge["counts"]) == 3 and huge["edges"][0] >= -MAX_EDGE


@pytest.mark.parametrize("interval", [1, 2, 3, 7, 50])
def test_diverging_run_ends_diverged_for_every_telemetry_interval(interval: int) -> None:
    config = {
        "dataset": {"name": "iris"},
        "model": {"hidden": [32, 32]},
        "optimizer": {"optimizer": "sgd", "params": {"lr": 100}},
        "telemetry": {"interval": interval},
        "epochs": 20,
    }
    frames: list[dict[str, Any]] = []
    summary = train(config, lambda name, p: frames.append(p) if name == "metrics" else None, lambda: False)
    assert summary["status"] == "diverged" and summary["diverged_at"] is not None
    # Every value of the sample is either binned or counted as non-finite, in every frame.
    sizes = {
        sum(h["counts"]) + h["nonfinite"]
        for frame in frames
        for layer in frame["layers"]
        for h in (layer["pre"], layer["act"])
    }
    assert len(sizes) == 1 and sizes.pop() % 32 == 0


def test_diverging_job_ends_done_with_status_diverged() -> None:
    from app.config import Settings
    from app.jobs.manager import JobManager

    manager = JobManager(settings=Settings())
    config = {
        "dataset": {"name": "iris"},
        "model": {"hidden": [32, 32]},
        "optimizer": {"optimizer": "sgd", "params": {"lr": 100}},
        "telemetry": {"interval": 1},
        "epochs": 20,
    }
    job = manager.submit(config)
    assert job.wait_finished(30)
    assert job.status.value == "done" and job.summary is not None and job.summary["status"] == "diverged"
    manager.shutdown()


def test_frames_stay_small_with_the_unit_view() -> None:
    """32 × 32 weights at 4 significant digits: the unit view costs about what the histograms do."""
    from app.jobs.events import to_json_text

    run = TrainingRun({})  # the default: digits, three ReLU layers of 100
    run.step()
    frame = run.metrics()
    units = frame["units"]
    assert len(units["inputs"]) == 32 and len(units["units_index"]) == 32
    assert all(float(f"{w:.4g}") == w for row in units["weights"] for w in row if w is not None)
    assert len(to_json_text(units)) < 12_000 and len(to_json_text(frame)) < 30_000

"""Training loop, telemetry and early stopping: claims of docs/networks.md, docs/telemetry.md and
docs/experiments.md on real (shipped/generated) data; TrainingRun driven by hand."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.nn.early_stopping import EarlyStopping
from app.core.nn.telemetry import FixedHistogram, TelemetryRecorder, fraction_dead, fraction_saturated
from app.core.nn.training import train

TIMING = ("elapsed", "eta", "telemetry_seconds")


def run(config: dict[str, Any], should_stop=lambda: False, **kw) -> tuple[dict[str, Any], list[tuple[str, dict]]]:
    events: list[tuple[str, dict]] = []
    summary = train(config, lambda name, payload: events.append((name, payload)), should_stop, **kw)
    return summary, events


def of(events: list[tuple[str, dict]], name: str) -> list[dict]:
    return [p for n, p in events if n == name]


DIGITS_SMALL = {
    "dataset": {"name": "digits", "train_limit": 200, "seed": 0},
    "model": {"hidden": [32, 32], "activation": "tanh", "init": "xavier_normal", "batch_norm": True, "dropout": 0.2},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.005}},
    "batch_size": 50,
    "epochs": 3,
    "seed": 3,
    # Not adaptive: these tests count frames, and the telemetry budget's choice depends on timing.
    "telemetry": {"interval": 2, "bins": 20, "sample_size": 100, "adaptive": False},
}


# ----------------------------------------------------------------------------- learning claims


def test_spiral_reaches_95_percent_training_accuracy() -> None:
    summary, _ = run(
        {
            "dataset": {"name": "spiral", "n_samples": 300, "classes": 3, "seed": 0},
            "model": {"hidden": [100], "activation": "relu", "init": "he_normal"},
            "optimizer": {"optimizer": "adam", "params": {"lr": 0.01}},
            "batch_size": 50,
            "epochs": 100,
            "telemetry": {"interval": 100},
        }
    )
    assert summary["status"] == "done"
    assert summary["train_acc"] >= 0.95


def test_digits_reach_95_percent_validation_accuracy_with_adam_in_30_epochs() -> None:
    summary, events = run(
        {
            "dataset": {"name": "digits"},
            "model": {"hidden": [100, 100], "activation": "relu", "init": "he_normal"},
            "optimizer": {"optimizer": "adam", "params": {"lr": 0.001}},
            "batch_size": 100,
            "epochs": 30,
            "telemetry": {"interval": 50},
        }
    )
    assert summary["epochs_run"] == 30
    assert max(e["val_acc"] for e in of(events, "epoch")) >= 0.95
    assert summary["val_acc"] >= 0.95 and summary["test_acc"] >= 0.9
    confusion = np.array(summary["confusion"])
    assert confusion.shape == (10, 10)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(summary["test_acc"])
    assert summary["classes"] == [str(k) for k in range(10)]


def test_tiny_init_stalls_relu_net_under_sgd_where_he_learns() -> None:
    """Textbook ch. 6: 5 ReLU layers of 100, std 0.01 → signals vanish, the loss stays at ln 10."""
    losses = {}
    for init in ("normal", "he_normal"):
        _, events = run(
            {
                "dataset": {"name": "digits"},
                "model": {"hidden": [100] * 5, "activation": "relu", "init": init, "init_std": 0.01},
                "optimizer": {"optimizer": "sgd", "params": {"lr": 0.01}},
                "batch_size": 100,
                "epochs": 5,
                "telemetry": {"interval": 100},
            }
        )
        losses[init] = [e["train_loss"] for e in of(events, "epoch")]
    assert all(abs(v - math.log(10)) < 0.01 for v in losses["normal"])
    assert losses["he_normal"][-1] < 1.5
    assert losses["he_normal"][-1] < losses["he_normal"][0] - 0.8


def test_l2_shrinks_the_weights() -> None:
    norms = {}
    for l2 in (0.0, 0.1):
        _, events = run({**DIGITS_SMALL, "regularization": {"l2": l2, "l1": 0.0}, "epochs": 5})
        norms[l2] = of(events, "metrics")[-1]["layers"][0]["weight_norm"]
    assert norms[0.1] < 0.8 * norms[0.0]


# ----------------------------------------------------------------------------- loop mechanics


def test_same_seed_same_run_and_other_seed_differs() -> None:
    s1, e1 = run(DIGITS_SMALL)
    s2, e2 = run(DIGITS_SMALL)
    strip = lambda d: {k: v for k, v in d.items() if k not in TIMING}  # noqa: E731
    assert strip(s1) == strip(s2)
    assert [(n, strip(p)) for n, p in e1] == [(n, strip(p)) for n, p in e2]
    s3, _ = run({**DIGITS_SMALL, "seed": 4})
    assert s3["test_loss"] != s1["test_loss"]


def test_events_follow_the_contract() -> None:
    summary, events = run(DIGITS_SMALL)
    metrics, epochs = of(events, "metrics"), of(events, "epoch")
    steps_per_epoch = math.ceil(200 / 50)
    # A frame at initialisation (step 0, no training loss yet), then every `interval` steps.
    assert [m["step"] for m in metrics] == [0, *range(2, 3 * steps_per_epoch + 1, 2)]
    init, metrics = metrics[0], metrics[1:]
    assert init["epoch"] == 0 and init["train_loss"] is None and init["val_loss"] > 0
    assert all(layer["grad_norm"] is None and layer["update_ratio"] is None for layer in init["layers"])
    assert sum(init["layers"][0]["act"]["counts"]) == 100 * 32
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert [e["step"] for e in epochs] == [4, 8, 12]
    assert metrics[0]["epoch"] == pytest.approx(0.5)
    assert epochs[-1]["progress"] == pytest.approx(1.0)
    assert summary["steps"] == 12 and summary["epochs_run"] == 3 and summary["best_epoch"] in (1, 2, 3)
    for m in metrics:
        assert {
            "step",
            "epoch",
            "progress",
            "elapsed",
            "eta",
            "train_loss",
            "train_acc",
            "val_loss",
            "val_acc",
            "lr",
            "layers",
        } <= set(m)
        assert len(m["layers"]) == 2
        for i, layer in enumerate(m["layers"]):
            assert layer["index"] == i + 1 and layer["name"] == f"hidden {i + 1}"
            for key in ("pre", "act"):
                assert len(layer[key]["edges"]) == 21 and len(layer[key]["counts"]) == 20
                assert sum(layer[key]["counts"]) == 100 * 32  # sample_size × units
                assert set(layer[key]["percentiles"]) == {"5", "25", "50", "75", "95"}
            assert layer["act"]["edges"][0] == -1.0 and layer["act"]["edges"][-1] == 1.0  # tanh
            assert 0.0 <= layer["act"]["saturated"] <= 1.0 and layer["act"]["dead"] is None
            assert layer["grad_norm"] > 0 and layer["weight_norm"] > 0 and 0 < layer["update_ratio"] < 1
        assert m["lr"] == pytest.approx(0.005)
    assert "layers" not in epochs[0]
    json.dumps(events, allow_nan=False)  # no NaN / Infinity anywhere
    json.dumps(summary, allow_nan=False)


def test_update_ratio_is_norm_of_last_update_over_weight_norm() -> None:
    # plain SGD with batch GD: ΔW = −η ∂L/∂W, so ‖ΔW‖/‖W‖ = η · grad_norm / weight_norm exactly
    _, events = run(
        {
            **DIGITS_SMALL,
            "model": {"hidden": [16], "activation": "relu"},
            "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}},
            "batch_size": 0,
            "telemetry": {"interval": 1, "bins": 10, "sample_size": 50},
        }
    )
    for m in of(events, "metrics")[1:]:  # [0] is the frame at initialisation (no update yet)
        layer = m["layers"][0]
        assert layer["update_ratio"] == pytest.approx(0.1 * layer["grad_norm"] / layer["weight_norm"], rel=1e-4)


def test_histogram_edges_fixed_within_a_job_for_bounded_activations() -> None:
    _, events = run({**DIGITS_SMALL, "model": {"hidden": [16], "activation": "sigmoid"}})
    edges = {tuple(m["layers"][0]["act"]["edges"]) for m in of(events, "metrics")}
    assert len(edges) == 1 and next(iter(edges))[0] == 0.0 and next(iter(edges))[-1] == 1.0


@pytest.mark.parametrize(("batch_size", "steps_per_epoch"), [(0, 1), (10_000, 1), (1, None), (7, None)])
def test_batch_gd_sgd_and_minibatch_step_counts(batch_size: int, steps_per_epoch: int | None) -> None:
    config = {
        "dataset": {"name": "moons", "n_samples": 50, "seed": 1},
        "model": {"hidden": [8]},
        "batch_size": batch_size,
        "epochs": 2,
        "telemetry": {"interval": 1000},
    }
    summary, events = run(config)
    n_train = summary_train_size(config)
    expected = steps_per_epoch or math.ceil(n_train / batch_size)
    assert summary["steps"] == 2 * expected
    assert of(events, "epoch")[0]["step"] == expected


def summary_train_size(config: dict[str, Any]) -> int:
    from app.core.datasets import load_dataset

    return len(load_dataset(config["dataset"]).y_train)


def test_two_d_sets_get_a_decision_boundary() -> None:
    summary, events = run(
        {
            "dataset": {"name": "spiral", "n_samples": 150, "classes": 3},
            "model": {"hidden": [20]},
            "batch_size": 30,
            "epochs": 4,
            "telemetry": {"interval": 2, "adaptive": False},
        }
    )
    metrics = of(events, "metrics")
    with_boundary = [i for i, m in enumerate(metrics) if "boundary" in m]
    assert with_boundary[0] == 0 and 1 < len(with_boundary) < len(metrics)
    b = metrics[0]["boundary"]
    assert len(b["x"]) == 60 and len(b["y"]) == 60
    z = np.array(b["z"])
    assert z.shape == (60, 60) and set(np.unique(z)) <= {0, 1, 2}
    assert b["x"][0] < min(b["points"]["x"]) and max(b["points"]["x"]) < b["x"][-1]  # raw coordinates
    assert len(b["points"]["x"]) == len(b["points"]["label"]) > 0
    assert "boundary" in summary
    _, digit_events = run({**DIGITS_SMALL, "epochs": 1})
    assert not any("boundary" in m for m in of(digit_events, "metrics"))


def test_divergence_is_a_result_not_an_exception() -> None:
    summary, events = run(
        {
            "dataset": {"name": "digits"},
            "model": {"hidden": [100, 100], "activation": "relu"},
            "optimizer": {"optimizer": "sgd", "params": {"lr": 100}},
            "epochs": 3,
        }
    )
    assert summary["status"] == "diverged"
    assert summary["diverged_at"] is not None and summary["steps"] == summary["diverged_at"]
    json.dumps(summary, allow_nan=False)
    json.dumps(events, allow_nan=False)


def test_cancel_stops_before_the_next_step_quickly() -> None:
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 5

    t0 = time.perf_counter()
    summary, _ = run({**DIGITS_SMALL, "epochs": 500}, should_stop)
    assert time.perf_counter() - t0 < 1.0
    assert summary["status"] == "cancelled" and summary["steps"] == 5
    assert summary["test_acc"] is None


# ----------------------------------------------------------------------------- early stopping


ES_CONFIG = {
    "dataset": {"name": "digits", "train_limit": 100},
    "model": {"hidden": [100, 100], "activation": "relu"},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.01}},
    "batch_size": 20,
    "epochs": 100,
    "telemetry": {"interval": 1000},
}


def test_early_stopping_stops_and_restores_best_weights() -> None:
    es = {"monitor": "val_loss", "min_delta": 0.0, "patience": 3, "mode": "auto", "restore_best_weights": True}
    summary, events = run({**ES_CONFIG, "early_stopping": es})
    val = [e["val_loss"] for e in of(events, "epoch")]
    best = int(np.argmin(val)) + 1
    assert summary["stopped_early"] and summary["restored_best_weights"]
    assert summary["best_epoch"] == best
    assert summary["epochs_run"] == best + 3 < 100
    assert summary["val_loss"] == pytest.approx(val[best - 1], rel=1e-6)  # the best epoch's weights are back
    summary_keep, events_keep = run({**ES_CONFIG, "early_stopping": {**es, "restore_best_weights": False}})
    assert summary_keep["epochs_run"] == summary["epochs_run"]
    assert summary_keep["val_loss"] == pytest.approx(of(events_keep, "epoch")[-1]["val_loss"], rel=1e-6)
    assert summary_keep["val_loss"] > summary["val_loss"]


def test_early_stopping_keras_semantics() -> None:
    es = EarlyStopping(monitor="val_loss", min_delta=0.1, patience=2)
    assert es.mode == "min"
    values = [1.0, 0.95, 0.85, 0.8, 0.79]
    assert [es.on_epoch_end(e, v) for e, v in enumerate(values, start=1)] == [False, False, False, False, True]
    assert es.best == 0.85 and es.best_epoch == 3  # 0.95 is not 0.1 better than 1.0; 0.85 is
    assert es.stopped_epoch == 5  # 0.8 and 0.79 are not 0.1 better than 0.85: patience 2 runs out
    acc = EarlyStopping(monitor="val_accuracy", patience=1)
    assert acc.mode == "max"
    assert [acc.on_epoch_end(e, v) for e, v in enumerate([0.5, 0.6, 0.6], start=1)] == [False, False, True]
    forced = EarlyStopping(monitor="val_accuracy", mode="min", patience=1)
    assert [forced.on_epoch_end(e, v) for e, v in enumerate([0.5, 0.4, 0.6], start=1)] == [False, False, True]
    snap = EarlyStopping(patience=1, restore_best_weights=True)
    snap.on_epoch_end(1, 1.0, lambda: ["a"])
    snap.on_epoch_end(2, 2.0, lambda: ["b"])
    restored: list = []
    assert snap.restore(restored.extend) and restored == ["a"]


# ----------------------------------------------------------------------------- telemetry units


def test_fixed_histogram_rules() -> None:
    sig = FixedHistogram(10, (0.0, 1.0))
    out = sig.summarize(np.array([0.0, 0.05, 0.5, 1.0, 1.0]))
    assert out["counts"][0] == 2 and out["counts"][-1] == 2 and sum(out["counts"]) == 5
    assert out["edges"][0] == 0.0 and out["edges"][-1] == 1.0

    sym = FixedHistogram(4, None, "symmetric")
    first = sym.summarize(np.array([-2.0, 0.5, 1.0]))
    assert first["edges"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    # one outlier in 1,000 (≤ 1 %) is clamped, not widened
    v = np.concatenate([np.zeros(999), [100.0]])
    out = sym.summarize(v)
    assert out["edges"][-1] == 2.0 and out["counts"][-1] == 1
    # 5 % beyond the range: both sides double until covered (2 → 4 → 8)
    v = np.concatenate([np.zeros(95), np.full(5, 5.0)])
    out = sym.summarize(v)
    assert out["edges"] == [-8.0, -4.0, 0.0, 4.0, 8.0] and out["counts"] == [0, 0, 95, 5]

    relu = FixedHistogram(5, None, "nonnegative")
    assert relu.summarize(np.zeros(10))["edges"] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])  # width 1
    out = relu.summarize(np.array([np.nan, np.inf, 0.5]))
    assert sum(out["counts"]) == 1 and out["mean"] == 0.5  # non-finite values are left out


def test_saturation_and_dead_fractions_by_hand() -> None:
    act = np.array([[0.005, 0.5], [0.995, 0.2]])
    assert fraction_saturated("sigmoid", act) == 0.5
    assert fraction_saturated("tanh", np.array([[-0.995, 0.5, 0.999, 0.0]])) == 0.5
    # Issue 8 point 2 changed this: ReLU is saturated where its output is exactly 0 (was None).
    assert fraction_saturated("relu", np.array([[0.0, 0.5], [0.0, 0.0]])) == 0.75
    pre = np.array([[-1.0, 2.0, 0.0, -3.0], [-0.5, -1.0, 0.0, 1.0]])  # units 0 and 2 never positive
    assert fraction_dead("relu", pre) == 0.5
    assert fraction_dead("elu", pre) == 0.5
    assert fraction_dead("sigmoid", pre) is None


def test_recorder_norms_and_first_frame_without_update() -> None:
    rec = TelemetryRecorder("relu", 1, bins=5)
    W = np.array([[3.0, 0.0], [0.0, 4.0]])
    pre = np.array([[1.0, -1.0], [2.0, -2.0]])
    layers = rec.frame([pre], [np.maximum(pre, 0)], [W], [None], [None])
    assert layers[0]["weight_norm"] == 5.0 and layers[0]["grad_norm"] is None and layers[0]["update_ratio"] is None
    assert layers[0]["act"]["dead"] == 0.5
    layers = rec.frame([pre], [np.maximum(pre, 0)], [W], [np.ones((2, 2))], [np.full((2, 2), 0.005)])
    assert layers[0]["grad_norm"] == pytest.approx(2.0)
    assert layers[0]["update_ratio"] == pytest.approx(0.01 / 5.0)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"model": {"hidden": [10], "activation": "swish"}}, "model.activation"),
        ({"model": {"hidden": [10], "init": "orthogonal"}}, "model.init"),
        ({"model": {"hidden": [10, 0]}}, "model.hidden.1"),
        ({"optimizer": {"optimizer": "newton", "params": {}}}, "optimizer.optimizer"),
        ({"optimizer": {"optimizer": "adam", "params": {"momentum": 0.9}}}, "optimizer.params.momentum"),
        ({"optimizer": {"optimizer": "adam", "params": {}, "schedule": {"type": "zigzag"}}}, "optimizer.schedule.type"),
        ({"optimizer": {"optimizer": "adam", "params": {}, "clip": {"mode": "norm", "max": -1}}}, "optimizer.clip.max"),
        ({"early_stopping": {"monitor": "train_loss"}}, "early_stopping.monitor"),
        ({"epochs": 0}, "epochs"),
        ({"telemetry": {"interval": 0}}, "telemetry.interval"),
        ({"regularization": {"l2": -1.0}}, "regularization.l2"),
    ],
)
def test_inconsistent_config_raises_input_error(patch: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        run({**DIGITS_SMALL, **patch})
    assert err.value.field == field


def test_server_limits_are_enforced() -> None:
    with pytest.raises(InputError) as err:
        run({**DIGITS_SMALL, "model": {"hidden": [8, 8, 8]}}, limits={"max_layers": 2})
    assert err.value.field == "model.hidden" and err.value.params["setting"] == "max_layers"  # issue 8 pt 10
    with pytest.raises(InputError) as err:
        run({**DIGITS_SMALL, "model": {"hidden": [64]}}, limits={"max_width": 32})
    assert err.value.field == "model.hidden.0"
    with pytest.raises(InputError) as err:
        run({**DIGITS_SMALL, "epochs": 11}, limits={"max_epochs": 10})
    assert err.value.field == "epochs"


# ----------------------------------------------------------------------------- TrainingRun


def test_training_run_driven_by_hand_matches_train() -> None:
    """A search or a probe can drive a run step by step and end where train() ends."""
    from app.core.nn.run import TrainingRun

    summary, events = run(DIGITS_SMALL)
    manual = TrainingRun(DIGITS_SMALL)
    assert manual.step_count == 0 and manual.epoch == 0 and manual.status == "running"
    weights0 = [w.copy() for w in manual.network.get_weights()]
    epochs = []
    while not manual.finished:
        assert manual.step()
        if manual.epoch_complete:
            epochs.append(manual.end_epoch())
    assert manual.status == "done" and manual.step_count == 12 and manual.epochs_run == 3
    assert not any(
        np.array_equal(a, b) for a, b in zip(weights0, manual.network.get_weights(), strict=True) if a.size > 1
    )
    strip = lambda d: {k: v for k, v in d.items() if k not in TIMING}  # noqa: E731
    # No metrics frames were asked for, yet the weights (and so every summary number) are the same:
    # watching a run does not change it.
    assert strip(manual.summary()) == strip(summary)
    assert [strip(e) for e in epochs] == [strip(p) for p in of(events, "epoch")]
    assert manual.history == epochs


def test_first_training_run_step_is_one_sgd_step_by_hand() -> None:
    """Batch GD with plain SGD: after step 1, W = W₀ − η ∂L/∂W₀ with the gradient of the whole training set."""
    from app.core.nn.run import TrainingRun

    config = {
        "dataset": {"name": "moons", "n_samples": 60, "seed": 2},
        "model": {"hidden": [5], "activation": "tanh", "init": "xavier_normal"},
        "optimizer": {"optimizer": "sgd", "params": {"lr": 0.5}},
        "batch_size": 0,
        "epochs": 2,
    }
    probe = TrainingRun(config)
    net = probe.network
    w0 = [w.copy() for w in net.params()]
    net.loss(probe.x_train, probe.y_train, training=True)  # full batch: the order does not matter
    net.backward()
    expected = [w - 0.5 * g for w, g in zip(w0, net.grads(), strict=True)]
    assert probe.step() and probe.epoch_complete and probe.step_count == 1
    for got, want in zip(net.params(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    record = probe.end_epoch()
    assert record["epoch"] == 1 and record["step"] == 1 and not probe.finished
    probe.cancel()
    assert probe.status == "cancelled" and probe.summary()["test_acc"] is None
    with pytest.raises(RuntimeError):
        probe.step()


def test_config_objects_are_parsed_once_with_defaults_and_field_paths() -> None:
    from app.core.nn.config import TrainingConfig, parse_config
    from app.core.nn.options import to_dict

    cfg = parse_config({"model": {"hidden": [7, 3.0]}, "early_stopping": {}})
    assert cfg.model.hidden == (7, 3) and cfg.model.activation == "relu" and cfg.epochs == 20
    assert cfg.early_stopping is not None and cfg.early_stopping.patience == 5
    assert parse_config(cfg) is cfg and to_dict(parse_config(to_dict(cfg))) == to_dict(cfg)
    assert to_dict(TrainingConfig())["optimizer"] == {"optimizer": "adam", "params": {}, "schedule": None, "clip": None}
    for bad, field in [
        ({"model": {"dropout": 0.96}}, "model.dropout"),
        ({"model": {"hidden": [4, 2.5]}}, "model.hidden.1"),
        ({"model": {"bn_momentum": 1.0}}, "model.bn_momentum"),
        ({"telemetry": {"bins": True}}, "telemetry.bins"),
        ({"dataset": {"name": "cifar"}}, "dataset.name"),
        ({"optimizer": {"clip": {"mode": "norm", "max": 0}}}, "optimizer.clip.max"),
        ({"modle": {}}, "modle"),
    ]:
        with pytest.raises(InputError) as err:
            parse_config(bad)
        assert err.value.field == field

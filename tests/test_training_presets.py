"""The course's Training Lab presets (issue 8 point 6) work through the engine and POST /api/jobs,
each checked against an independent truth: a hand-computed step, the schedule's formula, a
sparsity count, the early-stopping rule."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_job_manager
from app.config import Settings
from app.core.nn.run import TrainingRun
from app.core.nn.training import train
from app.jobs.manager import JobManager

IRIS: dict[str, Any] = {"dataset": {"name": "iris"}, "model": {"hidden": [8]}}


def first_step(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, TrainingRun]:
    """(W₁ before, W₁ after) one optimizer step of ``config``, float64 copies."""
    run = TrainingRun(config)
    before = run.network.blocks[0].affine.W.astype(np.float64)
    run.step()
    return before, run.network.blocks[0].affine.W.astype(np.float64), run


def test_adamw_differs_from_adam_with_l2_by_the_hand_computed_amount() -> None:
    lr, lam, eps = 0.01, 0.1, 1e-8
    adam = {"optimizer": "adam", "params": {"lr": lr, "eps": eps}}
    plain_w0, _, plain = first_step({**IRIS, "optimizer": adam})
    g = plain.grads[0].astype(np.float64)  # ∂CE/∂W₁ of the first batch, no penalty
    w0_l2, w1_l2, _ = first_step({**IRIS, "optimizer": adam, "regularization": {"l2": lam}})
    w0_aw, w1_aw, _ = first_step(
        {**IRIS, "optimizer": {"optimizer": "adamw", "params": {**adam["params"], "weight_decay": lam}}}
    )
    np.testing.assert_array_equal(plain_w0, w0_l2)  # same seed: same initial weights and batch
    np.testing.assert_array_equal(plain_w0, w0_aw)
    # Step 1 of Adam: m̂ = g, v̂ = g², so Δ = −η g/(|g| + ε).
    #   Adam + L2:  g' = g + λW  ⇒  Δ = −η g'/(|g'| + ε)
    #   AdamW:      Δ = −η g/(|g| + ε) − ηλW   (decay outside the moments)
    g_l2 = g + lam * plain_w0
    expected_l2 = plain_w0 - lr * g_l2 / (np.abs(g_l2) + eps)
    expected_aw = plain_w0 - lr * g / (np.abs(g) + eps) - lr * lam * plain_w0
    np.testing.assert_allclose(w1_l2, expected_l2, atol=2e-6)
    np.testing.assert_allclose(w1_aw, expected_aw, atol=2e-6)
    difference = w1_aw - w1_l2
    # Where g and g' have the same sign and |g| ≫ ε the normalised steps are both ±η: the runs
    # differ by exactly −ηλW there — Adam + L2's decay is normalised away, AdamW's is not.
    same = (np.sign(g) == np.sign(g_l2)) & (np.abs(g) > 1e3 * eps)
    assert same.mean() > 0.5
    np.testing.assert_allclose(difference[same], -lr * lam * plain_w0[same], atol=2e-6)
    assert np.abs(difference).max() > 1e-4  # a visible difference, not rounding


def test_adam_weight_decay_is_the_same_as_an_l2_penalty() -> None:
    """Adam's own (coupled) weight_decay and regularization.l2 both add λW to the gradient."""
    adam = {"optimizer": "adam", "params": {"lr": 0.01}}
    _, via_penalty, _ = first_step({**IRIS, "optimizer": adam, "regularization": {"l2": 0.1}})
    _, via_decay, _ = first_step(
        {**IRIS, "optimizer": {"optimizer": "adam", "params": {"lr": 0.01, "weight_decay": 0.1}}}
    )
    np.testing.assert_allclose(via_penalty, via_decay, atol=1e-6)


def trained_first_layer(penalty: str, lam: float) -> tuple[np.ndarray, dict[str, Any]]:
    run = TrainingRun(
        {
            "dataset": {"name": "digits"},
            "model": {"hidden": [50]},
            "regularization": {penalty: lam},
            "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}},
            "epochs": 30,
        }
    )
    while not run.finished:
        run.step()
        if run.epoch_complete:
            run.end_epoch()
    return run.network.blocks[0].affine.W.astype(np.float64), run.metrics()["layers"][0]["weights"]


def test_l1_makes_first_layer_weights_sparse_where_l2_only_shrinks_them() -> None:
    w_l1, hist_l1 = trained_first_layer("l1", 0.01)
    w_l2, hist_l2 = trained_first_layer("l2", 0.01)
    # L1's subgradient λ·sign(w) pulls every weight toward 0 by a constant amount per step, so
    # weights without a stronger data gradient reach 0 (and hover within ηλ = 1e-3 of it); L2's
    # λw pull fades as w shrinks, so weights get small but not zero.
    near_zero_l1 = float(np.mean(np.abs(w_l1) < 1e-3))
    near_zero_l2 = float(np.mean(np.abs(w_l2) < 1e-3))
    assert near_zero_l1 > 0.5 and near_zero_l2 < 0.05
    # The frame's weight histogram shows it: the two bins around 0 hold most of L1's weights.
    for hist, low, high in ((hist_l1, 0.7, 1.0), (hist_l2, 0.0, 0.4)):
        counts = np.array(hist["counts"])
        mid = len(counts) // 2
        share = counts[mid - 1 : mid + 1].sum() / counts.sum()
        assert low <= share <= high


def lr_by_step(config: dict[str, Any]) -> dict[int, float]:
    epochs: list[dict[str, Any]] = []
    train(config, lambda name, p: epochs.append(p) if name == "epoch" else None, lambda: False)
    return {e["step"]: e["lr"] for e in epochs}


SCHEDULE_BASE: dict[str, Any] = {
    **IRIS,
    "batch_size": 10,  # Iris' 96 training samples: 10 steps per epoch
    "epochs": 100,
    "telemetry": {"interval": 1000},
}


@pytest.mark.parametrize(
    ("schedule", "formula"),
    [
        # Keras PiecewiseConstantDecay: values[i] while boundaries[i−1] < t ≤ boundaries[i].
        (
            {"type": "piecewise", "boundaries": [700, 900], "values": [0.1, 0.05, 0.01]},
            lambda t: 0.1 if t <= 700 else (0.05 if t <= 900 else 0.01),
        ),
        ({"type": "exponential", "decay_rate": 0.5, "decay_steps": 200}, lambda t: 0.1 * 0.5 ** (t / 200)),
        (
            {"type": "polynomial", "decay_steps": 1000, "end_lr": 0.001, "power": 2.0},
            lambda t: (0.1 - 0.001) * (1 - min(t, 1000) / 1000) ** 2 + 0.001,
        ),
    ],
)
def test_schedules_drive_the_training_learning_rate(schedule: dict[str, Any], formula: Any) -> None:
    config = {**SCHEDULE_BASE, "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}, "schedule": schedule}}
    lrs = lr_by_step(config)
    assert len(lrs) == 100
    for step, lr in lrs.items():
        # An epoch record's lr is the rate of its last update, the update with index step − 1.
        assert lr == pytest.approx(formula(step - 1), rel=1e-9)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights() -> None:
    config = {
        "dataset": {"name": "digits"},
        "model": {"hidden": [64]},
        "optimizer": {"optimizer": "adam", "params": {"lr": 0.01}},
        "epochs": 200,
        "early_stopping": {"monitor": "val_loss", "patience": 3, "restore_best_weights": True},
    }
    epochs: list[dict[str, Any]] = []
    summary = train(config, lambda name, p: epochs.append(p) if name == "epoch" else None, lambda: False)
    losses = [e["val_loss"] for e in epochs]
    best = int(np.argmin(losses))  # the rule, applied by hand to the reported validation losses
    assert summary["stopped_early"] and summary["restored_best_weights"]
    assert summary["best_epoch"] == best + 1
    assert len(epochs) == best + 1 + 3  # stopped after 3 epochs without improvement
    # The restored network is the best epoch's: its validation loss is that epoch's again.
    assert summary["val_loss"] == pytest.approx(losses[best], rel=1e-5)


@pytest.mark.parametrize(("batch_size", "steps_per_epoch"), [(0, 1), (1, 96), (16, 6)])
def test_batch_gd_sgd_and_mini_batch_take_the_planned_number_of_steps(batch_size: int, steps_per_epoch: int) -> None:
    config = {**IRIS, "batch_size": batch_size, "epochs": 3, "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}}}
    summary = train(config, lambda name, p: None, lambda: False)
    assert summary["steps"] == 3 * steps_per_epoch  # ⌈96 / B⌉ updates per epoch; B = 0 is the whole set


# --- through POST /api/jobs ----------------------------------------------------------------------


@pytest.fixture
def manager(client: TestClient) -> Iterator[JobManager]:
    manager = JobManager(settings=Settings())
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    yield manager
    client.app.dependency_overrides.pop(get_job_manager, None)
    manager.shutdown(timeout=3.0)


PRESETS: dict[str, dict[str, Any]] = {
    "adamw": {**IRIS, "optimizer": {"optimizer": "adamw", "params": {"lr": 0.01, "weight_decay": 0.1}}},
    "adam_l2": {**IRIS, "optimizer": {"optimizer": "adam", "params": {"lr": 0.01}}, "regularization": {"l2": 0.1}},
    "l1": {**IRIS, "regularization": {"l1": 0.01}},
    "piecewise": {
        **SCHEDULE_BASE,
        "optimizer": {
            "optimizer": "sgd",
            "params": {"lr": 0.1},
            "schedule": {"type": "piecewise", "boundaries": [700, 900], "values": [0.1, 0.05, 0.01]},
        },
    },
    "early_stopping": {**IRIS, "epochs": 50, "early_stopping": {"patience": 2}},
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_runs_through_the_api(client: TestClient, manager: JobManager, name: str) -> None:
    r = client.post("/api/jobs", json={"batch_size": 16, "epochs": 30, **PRESETS[name]})
    assert r.status_code == 202, r.text
    job = manager.get(r.json()["id"])
    assert job.wait_finished(60)
    detail = client.get(f"/api/jobs/{job.id}").json()
    assert detail["status"] == "done" and detail["summary"]["status"] == "done"
    assert detail["summary"]["test_acc"] > 0.5
    assert all(math.isfinite(e["data"]["val_loss"]) for e in detail["history"] if e["event"] == "epoch")


def test_comparison_members_each_have_their_own_telemetry(client: TestClient, manager: JobManager) -> None:
    configs = [
        {**IRIS, "label": label, "model": {"hidden": [8], "init": init, "init_std": 0.01}, "epochs": 2}
        for label, init in (("std 0.01", "normal"), ("Xavier", "xavier_normal"), ("He", "he_normal"))
    ]
    r = client.post("/api/comparisons", json={"configs": configs})
    assert r.status_code == 202
    ids = r.json()["job_ids"]
    for job_id in ids:
        assert manager.get(job_id).wait_finished(30)
    stds = []
    for job_id in ids:
        detail = client.get(f"/api/jobs/{job_id}").json()
        frames = [e["data"] for e in detail["history"] if e["event"] == "metrics"]
        assert frames and "layers" in frames[0] and frames[0]["units"] is not None
        stds.append(frames[0]["layers"][0]["weights"]["std"])
    # Step 0 weight std: 0.01 for N(0, 0.01²), √(2/(4+8)) ≈ 0.41 Xavier, √(2/4) ≈ 0.71 He (fan_in 4).
    assert stds[0] == pytest.approx(0.01, rel=0.4)
    assert stds[1] == pytest.approx(math.sqrt(2 / 12), rel=0.4)
    assert stds[2] == pytest.approx(math.sqrt(2 / 4), rel=0.4)


def test_thirty_two_runs_fit_one_comparison_with_a_shared_event_budget(client: TestClient) -> None:
    manager = JobManager(settings=Settings(max_comparison_event_bytes=32 * 2**20))
    configs = [{**IRIS, "epochs": 1, "label": f"run {i}"} for i in range(32)]
    comparison = manager.submit_comparison(configs)
    jobs = [manager.get(j) for j in comparison.job_ids]
    assert len(jobs) == 32
    assert all(job.log._max_bytes == 2**20 for job in jobs)  # 32 MiB / 32 runs each
    for job in jobs:
        assert job.wait_finished(60)
    assert all(json.loads(job.log.history_json())[-1]["event"] == "done" for job in jobs)
    manager.shutdown()


def test_comparison_lists_its_runs_in_order(client: TestClient, manager: JobManager) -> None:
    configs = [{**IRIS, "epochs": 1, "label": f"σ = {s}"} for s in (1, 0.1)]
    created = client.post("/api/comparisons", json={"configs": configs}).json()
    for job_id in created["job_ids"]:
        assert manager.get(job_id).wait_finished(30)
    detail = client.get(f"/api/comparisons/{created['id']}").json()
    assert detail["job_ids"] == created["job_ids"]
    assert [j["label"] for j in detail["jobs"]] == ["σ = 1", "σ = 0.1"]
    assert {j["status"] for j in detail["jobs"]} == {"done"}
    assert client.get("/api/comparisons/c-000000000000").status_code == 404

"""Run outcomes (docs/stability.md "Outcomes"): hand-computed truths on the course's J, the
textbook bowl, the saddle and the local-minima surface; exit points on the domain's edge."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.lab2d.outcomes import DIVERGENCE_GROWTH, exit_point
from app.core.lab2d.results import run_summary
from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.trajectory import RunSpec, simulate


def _j(p: np.ndarray) -> float:
    x1, x2 = p
    return float(x1**2 + 2 * x2**2 - x1 * x2)


def _gd_on_j(lr: float, steps: int = 30) -> list[float]:
    """GD on J = x₁² + 2x₂² − x₁x₂ written out independently: ∇J = (2x₁ − x₂, 4x₂ − x₁)."""
    p = np.array([-5.0, 4.0])
    losses = [_j(p)]
    for _ in range(steps):
        p = p - lr * np.array([2 * p[0] - p[1], 4 * p[1] - p[0]])
        losses.append(_j(p))
    return losses


def _outcome(surface_id: str, start: list[float], steps: int, optimizer: str, params: dict[str, float], **kw: Any):
    surface = get_surface(surface_id)
    sim = simulate(surface, start, steps, RunSpec(optimizer, params, **kw))
    return run_summary(surface, sim, 0, optimizer, sim_params(optimizer, params))


def sim_params(optimizer: str, params: dict[str, float]) -> dict[str, float]:
    return {"momentum": 0.9, **params} if optimizer in ("momentum", "nesterov") else params


def test_course_eta_0_5_diverges_at_the_step_the_growth_rule_fires() -> None:
    losses = _gd_on_j(0.5)
    # J(−5, 4) = 25 + 32 + 20 = 77; f_ref = 0 at the minimum (0, 0).
    assert losses[0] == 77.0
    expected = next(k for k in range(1, 31) if losses[k] > DIVERGENCE_GROWTH * 77 and losses[k] > losses[k - 1])
    summary = _outcome("course_quadratic", [-5, 4], 30, "sgd", {"lr": 0.5})
    assert summary["diverged"] is True and summary["diverged_at"] == expected
    outcome = summary["outcome"]
    assert outcome["status"] == "diverged" and outcome["step"] == expected and outcome["minimum"] is None
    # 2/(3 + √2) ≈ 0.4531 < 0.5: outside GD's stable range.
    assert outcome["stable"] == {"rule": "gd", "threshold": pytest.approx(2 / (3 + math.sqrt(2))), "inside": False}


@pytest.mark.parametrize(("lr", "status"), [(0.1, "converged"), (0.01, "moving")])
def test_course_eta_0_1_and_0_01_do_not_diverge(lr: float, status: str) -> None:
    summary = _outcome("course_quadratic", [-5, 4], 30, "sgd", {"lr": lr})
    outcome = summary["outcome"]
    assert summary["diverged"] is False and outcome["status"] == status and outcome["step"] is None
    assert outcome["minimum"] == {"point": [0.0, 0.0], "value": 0.0, "global": True}
    assert outcome["stable"]["inside"] is True and outcome["exit"] is None


def test_textbook_sgd_0_95_is_inside_the_threshold_1_and_not_diverged() -> None:
    # f = x²/20 + y²: Hessian diag(0.1, 2), λ_max = 2, GD threshold 2/2 = 1.
    summary = _outcome("book_bowl", [-7, 2], 30, "sgd", {"lr": 0.95})
    assert summary["diverged"] is False and summary["outcome"]["status"] in ("converged", "moving")
    assert summary["outcome"]["stable"] == {"rule": "gd", "threshold": pytest.approx(1.0), "inside": True}


def test_heavy_ball_threshold_is_2_1_plus_mu_over_lambda_max() -> None:
    summary = _outcome("book_bowl", [-7, 2], 30, "momentum", {"lr": 0.1, "momentum": 0.5})
    assert summary["outcome"]["stable"]["threshold"] == pytest.approx(2 * 1.5 / 2)
    nesterov = _outcome("book_bowl", [-7, 2], 30, "nesterov", {"lr": 0.1, "momentum": 0.5})
    assert nesterov["outcome"]["stable"]["threshold"] == pytest.approx(2 * 1.5 / (2 * 2))


def test_momentum_leaving_the_saddle_is_escaped_not_diverged() -> None:
    # The page's saddle preset: f = x² − y² from (−4, 0.001), 80 steps, η = 0.05, μ = 0.9.
    summary = _outcome("saddle", [-4, 0.001], 80, "momentum", {"lr": 0.05, "momentum": 0.9})
    outcome = summary["outcome"]
    assert summary["diverged"] is False and summary["diverged_at"] is None
    assert outcome["status"] == "escaped" and outcome["minimum"] is None
    surface = get_surface("saddle")
    sim = simulate(surface, [-4, 0.001], 80, RunSpec("momentum", {"lr": 0.05, "momentum": 0.9}))
    y = sim.path[:, 0, 1]
    # escaped at the first position outside the plotting domain |y| ≤ 5.
    assert outcome["step"] == int(np.argmax(np.abs(y) > 5))
    # It left through the top or bottom edge, going mostly along ±y.
    assert abs(outcome["exit"]["point"][1]) == 5.0 and abs(outcome["exit"]["direction"][1]) > 0.9


def test_adam_leaving_the_saddle_plot_falling_is_escaped() -> None:
    # Adam in the saddle preset ends just outside the plot (|y| a little above 5) with f falling:
    # a student sees it leave the plot, so it must not read "still moving".
    surface = get_surface("saddle")
    y = simulate(surface, [-4, 0.001], 80, RunSpec("adam", {"lr": 0.05})).path[:, 0, 1]
    assert 5 < abs(y[-1]) < 6  # outside the plot, inside the old 10 % margin
    outcome = _outcome("saddle", [-4, 0.001], 80, "adam", {"lr": 0.05})["outcome"]
    assert outcome["status"] == "escaped" and outcome["step"] == int(np.argmax(np.abs(y) > 5))


def test_a_slow_crawl_along_the_rosenbrock_valley_is_moving_not_converged() -> None:
    # The Rosenbrock preset's Momentum (η = 0.0002) creeps along the flat valley floor: small
    # gradient, tiny steps, yet 0.27 from the minimum (1, 1) — more than 1 % of the 4-wide domain.
    summary = _outcome("rosenbrock", [-1.5, 2], 2000, "momentum", {"lr": 0.0002, "momentum": 0.9})
    assert math.dist(summary["final_point"], (1.0, 1.0)) > 0.04
    assert summary["outcome"]["status"] == "moving"
    adam = _outcome("rosenbrock", [-1.5, 2], 2000, "adam", {"lr": 0.02})
    assert math.dist(adam["final_point"], (1.0, 1.0)) < 0.04 and adam["outcome"]["status"] == "converged"


def test_a_run_trapped_in_the_shallow_basin_reports_the_local_minimum() -> None:
    surface = get_surface("local_minima")
    summary = _outcome("local_minima", list(surface.start), 300, "sgd", {"lr": 0.05})
    minimum = summary["outcome"]["minimum"]
    assert minimum is not None and minimum["global"] is False
    assert tuple(minimum["point"]) in surface.minima and tuple(minimum["point"]) not in surface.global_minima
    glob = surface.value(np.asarray(surface.global_minima[0]))
    assert minimum["value"] > glob  # shallower than the global one
    assert summary["distance_to_min"] == pytest.approx(math.dist(summary["final_point"], minimum["point"]))


def test_non_finite_values_are_diverged() -> None:
    summary = _outcome("course_quadratic", [-5, 4], 100, "sgd", {"lr": 100})
    assert summary["outcome"]["status"] == "diverged" and summary["outcome"]["step"] == 1


def test_exit_point_lies_on_the_edge_in_the_direction_of_travel() -> None:
    domain = ((-1.0, 1.0), (-1.0, 1.0))
    path = np.array([[0.0, 0.0], [0.5, 0.25], [3.0, 1.5]])
    out = exit_point(path, domain)
    assert out == {"point": [1.0, pytest.approx(0.5)], "direction": pytest.approx([2 / math.sqrt(5), 1 / math.sqrt(5)])}
    assert exit_point(path[:2], domain) is None
    huge = exit_point(np.array([[0.0, 0.0], [1e308, -1e308]]), domain)
    assert huge == {"point": pytest.approx([1.0, -1.0]), "direction": pytest.approx([2**-0.5, -(2**-0.5)])}


def test_the_api_and_the_stream_report_the_same_outcome(client: TestClient) -> None:
    body = {
        "surface": "course_quadratic",
        "start": [-5, 4],
        "steps": 30,
        "runs": [{"optimizer": "sgd", "params": {"lr": lr}} for lr in (0.1, 0.01, 0.5)],
    }
    runs = client.post("/api/trajectories", json=body).json()["runs"]
    assert [r["outcome"]["status"] for r in runs] == ["converged", "moving", "diverged"]
    assert [r["diverged"] for r in runs] == [False, False, True]
    text = client.post("/api/trajectories/stream", json=body).text
    done = [line for line in text.splitlines() if line.startswith("data:")][-1]
    streamed = json.loads(done[5:])["runs"]
    assert [r["outcome"] for r in streamed] == [r["outcome"] for r in runs]

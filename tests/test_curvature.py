"""Curvature tools (docs/stability.md): Hessian eigen-decomposition at points, thresholds, and the
learning-rate suggestion that must make visible progress for every optimizer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.lab2d.outcomes import reference_value
from app.core.lab2d.suggestions import suggest_lr
from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.trajectory import RunSpec, simulate
from app.core.optim.registry import OPTIMIZERS


def test_curvature_of_the_course_j_is_3_plus_minus_root_2(client: TestClient) -> None:
    # J = x₁² + 2x₂² − x₁x₂ has H = [[2, −1], [−1, 4]]: λ = 3 ± √2 everywhere.
    r = client.post("/api/curvature", json={"surface": "course_quadratic", "points": [[-5, 4], [1, 2]]})
    assert r.status_code == 200
    first, second = r.json()["points"]
    assert first["eigenvalues"] == pytest.approx([3 - math.sqrt(2), 3 + math.sqrt(2)])
    assert first["gradient"] == [-14.0, 21.0] and first["value"] == 77.0  # (2x₁ − x₂, 4x₂ − x₁) at (−5, 4)
    h = np.array([[2.0, -1.0], [-1.0, 4.0]])
    for lam, vec in zip(first["eigenvalues"], first["eigenvectors"], strict=True):
        v = np.array(vec)
        assert np.linalg.norm(v) == pytest.approx(1.0) and h @ v == pytest.approx(lam * v)
    assert second["eigenvalues"] == pytest.approx(first["eigenvalues"])
    assert 2 / first["eigenvalues"][1] == pytest.approx(0.4531, abs=1e-4)


def test_curvature_of_the_bowl_and_the_points_limit(client: TestClient) -> None:
    r = client.post("/api/curvature", json={"surface": "book_bowl", "points": [[3, 1]]})
    (p,) = r.json()["points"]
    # f = x²/20 + y²: H = diag(0.1, 2), eigen-directions the axes.
    assert p["eigenvalues"] == pytest.approx([0.1, 2.0]) and p["value"] == pytest.approx(9 / 20 + 1)
    assert [abs(c) for c in p["eigenvectors"][0]] == [1.0, 0.0] and [abs(c) for c in p["eigenvectors"][1]] == [0.0, 1.0]
    r = client.post("/api/curvature", json={"surface": "book_bowl", "points": [[0, 0]] * 1001})
    assert r.status_code == 422 and "max_curvature_points".upper() in r.text


def test_curvature_of_a_custom_expression_where_f_is_undefined_is_null(client: TestClient) -> None:
    r = client.post("/api/curvature", json={"surface": None, "expression": "log(x) + y^2", "points": [[-1, 0], [1, 0]]})
    bad, good = r.json()["points"]
    assert bad["value"] is None and good["eigenvalues"] == pytest.approx([-1.0, 2.0])


def _fraction_left(surface_id: str, start: tuple[float, float], steps: int, optimizer: str) -> float:
    surface = get_surface(surface_id)
    s = suggest_lr(surface, start, steps, optimizer)
    sim = simulate(surface, start, steps, RunSpec(optimizer, s.params))
    f0 = float(sim.loss[0, 0])
    f_ref = reference_value(surface, f0)
    return (float(sim.final_loss[0]) - f_ref) / (f0 - f_ref)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize(
    ("surface", "start", "steps"),
    [("book_bowl", (-7.0, 2.0), 30), ("course_quadratic", (-5.0, 4.0), 30), ("rosenbrock", (-1.5, 2.0), 30)],
)
def test_the_suggested_lr_makes_visible_progress(optimizer: str, surface: str, start: tuple, steps: int) -> None:
    # "Visible": f − f_min at most 80 % of its start value within the run's steps, not diverged.
    assert _fraction_left(surface, start, steps, optimizer) < 0.8


def test_suggestions_follow_the_documented_rules(client: TestClient) -> None:
    body = {"surface": "course_quadratic", "start": [-5, 4], "steps": 30}
    sgd = client.post("/api/lr-suggestion", json={**body, "optimizer": "sgd"}).json()
    # 1/λ_max = 1/(3 + √2) ≈ 0.2265, two significant digits rounded down.
    assert sgd["lr"] == 0.22 and sgd["params"] == {"lr": 0.22, "weight_decay": 0.0}
    assert sgd["source"] == {"code": "curvature_at_start", "params": {"steps": 30, "lambda_max": 3 + math.sqrt(2)}}
    adam = client.post("/api/lr-suggestion", json={**body, "optimizer": "adam"}).json()
    # 2d/K with d = |(−5, 4)| = √41.
    assert adam["lr"] == float(f"{math.floor(2 * math.sqrt(41) / 30 * 100) / 100:.2g}")
    assert adam["params"]["beta1"] == 0.9 and adam["source"]["code"] == "distance_over_steps"
    newton = client.post("/api/lr-suggestion", json={**body, "optimizer": "newton"}).json()
    assert newton["lr"] == 1.0 and newton["source"]["code"] == "unit_step"
    lbfgs = client.post("/api/lr-suggestion", json={**body, "optimizer": "lbfgs"}).json()
    assert lbfgs["params"]["memory"] == 10 and isinstance(lbfgs["params"]["memory"], int)
    r = client.post("/api/lr-suggestion", json={**body, "optimizer": "banana"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "optimizer"]


def test_the_suggestion_is_inside_the_stable_range() -> None:
    for surface_id in ("book_bowl", "course_quadratic", "ill_conditioned"):
        surface = get_surface(surface_id)
        lam = max(np.linalg.eigvalsh(surface.hessian(np.asarray(surface.minima[0]))))
        for optimizer, threshold in (("sgd", 2 / lam), ("momentum", 2 * 1.9 / lam), ("nesterov", 3.8 / (2.8 * lam))):
            assert suggest_lr(surface, surface.start, 30, optimizer).lr < threshold

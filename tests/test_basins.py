"""Start-map basins and the rounding floor (docs/surfaces.md), LR-sweep thresholds (docs/stability.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.lab2d.basins import ROUNDING_FLOOR, basins, nearest_minima, snap_to_minima
from app.core.lab2d.surfaces import get_surface

HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


def _grid(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows])


def test_himmelblau_basin_map_has_one_index_per_minimum(client: TestClient) -> None:
    body = {"surface": "himmelblau", "run": {"optimizer": "sgd", "params": {"lr": 0.01}}, "steps": 200, "n": 40}
    data = client.post("/api/sweeps/start-map", json=body).json()
    basin = np.array(data["basin"])
    assert basin.shape == (40, 40) and set(np.unique(basin)) == {0, 1, 2, 3}
    # The listed minima are Himmelblau's four (textbook values), in the surface's order.
    for listed in data["minima"]:
        assert min(math.dist(listed, m) for m in HIMMELBLAU_MINIMA) < 1e-5
    # Each start's basin is the minimum its final point is nearest to; the corner starts reach
    # the minimum in their own quadrant (x, y signs), as in Himmelblau's picture.
    minima = np.array(data["minima"])
    signs = {(int(np.sign(x)), int(np.sign(y))): i for i, (x, y) in enumerate(minima)}
    assert basin[-1, -1] == signs[(1, 1)] and basin[0, 0] == signs[(-1, -1)]
    assert basin[-1, 0] == signs[(-1, 1)] and basin[0, -1] == signs[(1, -1)]


@pytest.mark.parametrize(
    "body",
    [
        {"surface": "course_quadratic", "run": {"optimizer": "sgd", "params": {"lr": 0.1}}, "steps": 300, "n": 30},
        {"surface": "himmelblau", "run": {"optimizer": "momentum", "params": {"lr": 0.01}}, "steps": 300, "n": 30},
    ],
)
def test_no_rounding_noise_in_final_loss(client: TestClient, body: dict) -> None:
    loss = _grid(client.post("/api/sweeps/start-map", json=body).json()["final_loss"])
    positive = loss[np.isfinite(loss) & (loss > 0)]
    # Values like 1e-29 … 1e-33 next to a minimum of value 0 are reported as exactly 0.
    assert not ((positive > 0) & (positive < 1e-12)).any()
    assert (loss[np.isfinite(loss)] == 0.0).sum() > 0.1 * loss.size  # the converged starts


def test_rounding_floor_and_basin_radius_by_hand() -> None:
    surface = get_surface("local_minima")  # minima: global (1.93, 1.45), local (−1.82, −1.37)
    glob, local = np.array(surface.global_minima[0]), np.array(surface.minima[1])
    final = np.array([glob + 1e-9, local + np.array([0.05, 0.0]), local + np.array([0.2, 0.0]), [np.nan, np.nan]])
    nearest, distance = nearest_minima(surface, final)
    assert nearest.tolist() == [0, 1, 1, -1] and distance[1] == pytest.approx(0.05)
    # Radius 1 % of the domain's side 10 = 0.1: the third point is still too far.
    assert basins(surface, nearest, distance, np.zeros(4, dtype=bool)).tolist() == [0, 1, -1, -1]
    assert basins(surface, nearest, distance, np.array([True, False, False, False])).tolist()[0] == -1
    f_glob = float(surface.value(glob))
    loss = np.array([f_glob + 0.5 * ROUNDING_FLOOR, f_glob + 1e-6, -1.0, np.nan])
    snapped = snap_to_minima(surface, nearest, loss)
    assert snapped[0] == f_glob and snapped[1] == f_glob + 1e-6 and np.isnan(snapped[3])


def test_lr_sweep_reports_each_optimizers_threshold(client: TestClient) -> None:
    body = {
        "surface": "course_quadratic",
        "start": [-5, 4],
        "steps": 30,
        "runs": [{"optimizer": "sgd"}, {"optimizer": "momentum", "params": {"momentum": 0.5}}, {"optimizer": "adam"}],
        "lr_min": 0.01,
        "lr_max": 1,
        "n": 5,
    }
    data = client.post("/api/sweeps/lr", json=body).json()
    lam = 3 + math.sqrt(2)  # J's Hessian [[2, −1], [−1, 4]]
    assert data["lambda_max"] == pytest.approx(lam)
    sgd, momentum, adam = (r["threshold"] for r in data["results"])
    assert sgd == pytest.approx(0.4531, abs=1e-4) == data["gd_threshold"]
    assert momentum == pytest.approx(2 * 1.5 / lam) and adam is None
    # The sweep itself agrees: GD at η = 1 (above 0.453) ends far above its start, 0.1 below it.
    assert data["results"][0]["final_loss"][2] < 77 and (
        data["results"][0]["diverged"][-1] or data["results"][0]["final_loss"][-1] > 77
    )


def test_lr_sweep_flags_the_course_eta_0_5_as_diverged_like_its_outcome(client: TestClient) -> None:
    # The growth rule on the final value: J after 30 steps at η = 0.5 is ≈ 5.6e6 > 10³ · 77.
    body = {"surface": "course_quadratic", "start": [-5, 4], "steps": 30, "runs": [{"optimizer": "sgd"}]}
    data = client.post("/api/sweeps/lr", json={**body, "lr_min": 0.1, "lr_max": 0.5, "n": 2}).json()
    assert data["results"][0]["diverged"] == [False, True] and data["results"][0]["final_loss"][1] is None
    runs = client.post("/api/trajectories", json={**body, "runs": [{"optimizer": "sgd", "params": {"lr": 0.5}}]})
    assert runs.json()["runs"][0]["outcome"]["status"] == "diverged"

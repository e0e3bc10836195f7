"""Schedule defaults scaled to a run's steps (docs/schedules.md, "Defaults scaled to the run")."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.optim.schedules import make_schedule


def _defaults(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["id"]: {p["name"]: p["default"] for p in s["params"]} for s in items}


def test_without_steps_the_defaults_are_unchanged(client: TestClient) -> None:
    d = _defaults(client.get("/api/schedules").json())
    assert d["exponential"] == {"decay_rate": 0.96, "decay_steps": 100, "staircase": False}
    assert d["piecewise"]["boundaries"] == [700, 900] and d["warmup"]["warmup_steps"] == 100


def test_defaults_scaled_to_30_steps_change_the_rate_visibly_within_the_run(client: TestClient) -> None:
    d = _defaults(client.get("/api/schedules", params={"steps": 30}).json())
    # 70 % and 90 % of 30; warm-up 10 % of 30; every decay spans the run.
    assert d["piecewise"] == {"boundaries": [21, 27], "values": [0.1, 0.05, 0.01]}
    assert d["warmup"] == {"warmup_steps": 3}
    assert d["exponential"] == {"decay_rate": 0.1, "decay_steps": 30, "staircase": False}
    assert d["polynomial"]["decay_steps"] == 30 and d["cosine"]["decay_steps"] == 30
    for kind in ("exponential", "polynomial", "cosine"):
        eta = make_schedule({"type": kind, **d[kind]}, 1.0)
        assert eta(29) <= 0.2 * eta(0), kind  # at least a five-fold drop by the last update
    warm = make_schedule({"type": "warmup", **d["warmup"]}, 1.0)
    assert warm(0) == pytest.approx(1 / 3) and warm(2) == 1.0
    piece = make_schedule({"type": "piecewise", **d["piecewise"]}, 1.0)
    assert [piece(21), piece(22), piece(27), piece(28)] == [0.1, 0.05, 0.05, 0.01]


def test_tiny_runs_keep_valid_defaults(client: TestClient) -> None:
    for steps in (1, 2, 3):
        d = _defaults(client.get("/api/schedules", params={"steps": steps}).json())
        for kind, params in d.items():
            make_schedule({"type": kind, **params}, 0.1)  # raises if a scaled default were invalid


def test_staircase_has_its_own_equation(client: TestClient) -> None:
    exp = next(s for s in client.get("/api/schedules").json() if s["id"] == "exponential")
    assert r"\lfloor t / T \rfloor" in exp["equation_variants"]["staircase"]
    assert exp["equation"] != exp["equation_variants"]["staircase"]


@pytest.mark.parametrize("steps", [0, 10**9])
def test_steps_out_of_range_is_a_422(client: TestClient, steps: int) -> None:
    r = client.get("/api/schedules", params={"steps": steps})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "steps"]

"""Trajectory answers written by orjson from NumPy: the same JSON as the list-based encoding, and
the ``format`` option (docs/API.md) that leaves out or down-samples per-step arrays."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.numpy_json import dumps
from app.api.schemas.lab_results import Outcome
from app.core.lab2d.results import run_record
from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.trajectory import RunSpec, simulate

RACE = {
    "surface": "rosenbrock",
    "start": [-1.5, 2.0],
    "steps": 400,
    "runs": [
        {"optimizer": "adam", "params": {"lr": 0.05}},
        {"optimizer": "sgd", "params": {"lr": 0.01}},  # diverges: arrays stop early, NaN beyond the bound
        {"optimizer": "lbfgs"},
        {"optimizer": "momentum", "params": {"lr": 0.001}, "noise": {"std": 1.0, "seed": 2}},
    ],
}


def strict_json(text: str) -> Any:
    def reject(name: str) -> None:
        raise ValueError(f"non-JSON constant {name}")

    return json.loads(text, parse_constant=reject)


def list_encoded(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Each run as the engine's clean() lists give it (the encoding the API used before orjson)."""
    surface = get_surface(body["surface"])
    out = []
    for i, run in enumerate(body["runs"]):
        spec = RunSpec(
            run["optimizer"], run.get("params", {}), noise=run.get("noise"), label=f"{run['optimizer']} #{i + 1}"
        )
        opt = spec.build()
        sim = simulate(surface, body["start"], body["steps"], spec)
        rec = run_record(surface, sim, 0, True, spec.optimizer, opt.params)
        rec["outcome"] = Outcome.model_validate(rec["outcome"]).model_dump(mode="json", by_alias=True)
        out.append({"label": spec.label, "optimizer": spec.optimizer, "params": opt.params, **rec})
    return out


def test_orjson_answer_equals_the_list_encoding(client: TestClient) -> None:
    res = client.post("/api/trajectories", json=RACE)
    assert res.status_code == 200 and res.headers["content-type"].startswith("application/json")
    runs = strict_json(res.text)["runs"]
    assert runs[1]["diverged"] and len(runs[1]["path"]) < RACE["steps"] + 1
    expected = json.loads(json.dumps(list_encoded(RACE)))
    assert runs == expected
    assert list(runs[0]) == list(expected[0])  # same keys in the same order


def test_non_finite_numbers_are_null() -> None:
    assert json.loads(dumps({"a": np.array([1.0, np.nan, np.inf, -np.inf]), "b": float("nan")})) == {
        "a": [1.0, None, None, None],
        "b": None,
    }


def test_format_leaves_out_arrays(client: TestClient) -> None:
    full = client.post("/api/trajectories", json=RACE).json()["runs"][0]
    lean = client.post("/api/trajectories", json={**RACE, "format": {"arrays": ["lr"]}}).json()["runs"][0]
    assert {"grad", "update", "state", "distance"}.isdisjoint(lean)
    assert lean["path"] == full["path"] and lean["lr"] == full["lr"] and lean["outcome"] == full["outcome"]
    none = client.post("/api/trajectories", json={**RACE, "format": {"arrays": []}}).json()["runs"][0]
    assert {"path", "loss", "final_loss"} <= set(none) and "lr" not in none


@pytest.mark.parametrize("every", [7, 1000])
def test_format_down_samples_positions(client: TestClient, every: int) -> None:
    full = client.post("/api/trajectories", json=RACE).json()["runs"]
    thin = client.post("/api/trajectories", json={**RACE, "format": {"every": every}}).json()["runs"]
    for f, t in zip(full, thin, strict=True):
        n = len(f["path"])
        want = sorted({*range(0, n, every), n - 1})
        assert t["index"] == want
        assert t["path"] == [f["path"][i] for i in want] and t["loss"] == [f["loss"][i] for i in want]
        assert t["update"] == [f["update"][i] for i in want[:-1]]
        assert t["final_point"] == f["final_point"] and t["diverged_at"] == f["diverged_at"]


def test_format_is_validated(client: TestClient) -> None:
    res = client.post("/api/trajectories", json={**RACE, "format": {"arrays": ["weights"]}})
    assert res.status_code == 422 and res.json()["detail"][0]["loc"][:3] == ["body", "format", "arrays"]
    res = client.post("/api/trajectories", json={**RACE, "format": {"every": 0}})
    assert res.status_code == 422 and res.json()["detail"][0]["loc"][:3] == ["body", "format", "every"]

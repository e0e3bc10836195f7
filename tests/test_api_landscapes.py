"""POST /api/landscapes and /api/landscapes/surfaces on real training jobs (real JobManager, real files)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_job_manager
from app.config import Settings
from app.jobs.manager import JobManager

CONFIG: dict[str, Any] = {
    "dataset": {"name": "digits"},
    "model": {"hidden": [16, 16]},
    "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}},
    "epochs": 4,
    "seed": 1,
}


@pytest.fixture(scope="module")
def trained(client: TestClient) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """A client whose manager has one finished digits job; yields (client, the job's final body)."""
    manager = JobManager(Settings())
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    job_id = client.post("/api/jobs", json=CONFIG).json()["id"]
    deadline = time.monotonic() + 60
    body = client.get(f"/api/jobs/{job_id}").json()
    while body["status"] not in ("done", "error", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.05)
        body = client.get(f"/api/jobs/{job_id}").json()
    assert body["status"] == "done", body
    yield client, body
    client.app.dependency_overrides.pop(get_job_manager, None)
    manager.shutdown(timeout=3.0)


def test_summary_names_a_trajectory(trained: tuple[TestClient, dict[str, Any]]) -> None:
    _, body = trained
    assert body["summary"]["trajectory_id"].startswith("t-")


def test_catalogue_states_the_defaults_a_bare_request_gets(trained: tuple[TestClient, dict[str, Any]]) -> None:
    """GET /api/training/catalogue's ``landscape`` is what POST /api/landscapes does with only a run id."""
    client, body = trained
    defaults = client.get("/api/training/catalogue").json()["landscape"]
    r = client.post("/api/landscapes", json={"run_id": body["id"]})
    assert r.status_code == 200, r.text
    bare = r.json()
    explicit = client.post(
        "/api/landscapes",
        json={
            "run_id": body["id"],
            "directions": defaults["directions"],
            "grid": defaults["grid"],
            "samples": defaults["samples"],
            "seed": defaults["seed"],
        },
    ).json()
    assert bare["directions"] == defaults["directions"]
    assert len(bare["a"]) == len(bare["b"]) == defaults["grid"]
    assert bare["samples"] == explicit["samples"] <= defaults["samples"]
    assert bare["loss"] == explicit["loss"]


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_landscape_of_a_finished_job(trained: tuple[TestClient, dict[str, Any]], directions: str) -> None:
    client, body = trained
    r = client.post(
        "/api/landscapes", json={"run_id": body["id"], "directions": directions, "grid": 9, "samples": 5000}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out["a"]) == len(out["b"]) == 9 and len(out["loss"]) == 9 and len(out["loss"][0]) == 9
    # The plane's value at (0, 0) on all training samples is the run's reported final training loss.
    assert out["samples"] < 5000  # all of the training split
    assert out["final_loss"] == pytest.approx(body["summary"]["train_loss"], rel=1e-5)
    assert out["path"]["a"][-1] == 0 and out["path"]["b"][-1] == 0
    assert out["path"]["epochs"] == [0, 1, 2, 3, 4]
    if directions == "pca":
        assert sum(out["explained_variance"]) <= 1 + 1e-9
        assert out["captured"] == pytest.approx(sum(out["explained_variance"]))
    else:
        assert out["explained_variance"] is None
    assert min(min(v for v in row if v is not None) for row in out["loss"]) == pytest.approx(out["loss_min"])


def test_landscape_csv(trained: tuple[TestClient, dict[str, Any]]) -> None:
    client, body = trained
    r = client.post("/api/landscapes?format=csv", json={"run_id": body["id"], "grid": 5, "samples": 100})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = r.text.strip().splitlines()
    assert rows[0] == "a,b,loss" and len(rows) == 1 + 25


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        ({"run_id": "j-nope"}, "run_id", "landscape.run_not_found"),
        ({"grid": 10_000}, "grid", "limit.exceeded"),
        ({"samples": 10**7}, "samples", "limit.exceeded"),
        ({"directions": "hessian"}, "directions", "pydantic.literal_error"),
    ],
)
def test_bad_requests_name_the_field(
    trained: tuple[TestClient, dict[str, Any]], patch: dict[str, Any], field: str, code: str
) -> None:
    client, body = trained
    r = client.post("/api/landscapes", json={"run_id": body["id"], "grid": 5, **patch})
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["loc"][-1] == field and item["code"] == code


def test_landscape_surface_races_in_the_optimizer_lab(trained: tuple[TestClient, dict[str, Any]]) -> None:
    client, body = trained
    r = client.post("/api/landscapes/surfaces", json={"run_id": body["id"], "samples": 200})
    assert r.status_code == 200, r.text
    surface = r.json()
    sid = surface["surface"]
    assert sid.startswith("landscape-")
    info = client.get(f"/api/surfaces/{sid}").json()
    assert info["id"] == sid
    # the page names its coordinates a, b along the PCA directions (the request's default plane)
    assert info["plane"] == "pca"
    assert all(s["plane"] is None for s in client.get("/api/surfaces").json())
    grid = client.get(f"/api/surfaces/{sid}/grid", params={"n": 200}).json()
    assert len(grid["x"]) <= 61
    start = surface["start"]
    race = client.post(
        "/api/trajectories",
        json={
            "surface": sid,
            "start": start,
            "steps": 20,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.5}}, {"optimizer": "adam", "params": {"lr": 0.05}}],
        },
    )
    assert race.status_code == 200, race.text
    runs = race.json()["runs"]
    for run in runs:
        losses = [v for v in run["loss"] if v is not None]
        assert losses[-1] < losses[0]  # both descend the real network's loss from its initial weights
    # The lab's gradient is the directional derivative of the plane's values.
    pts = np.array([start, [0.0, 0.0]])
    curv = client.post("/api/curvature", json={"surface": sid, "points": pts.tolist()}).json()["points"]
    h = 1e-2
    for p, c in zip(pts, curv, strict=True):
        near = client.post(
            "/api/curvature",
            json={"surface": sid, "points": [[p[0] + h, p[1]], [p[0] - h, p[1]], [p[0], p[1] + h], [p[0], p[1] - h]]},
        ).json()["points"]
        fd = [(near[0]["value"] - near[1]["value"]) / (2 * h), (near[2]["value"] - near[3]["value"]) / (2 * h)]
        np.testing.assert_allclose(c["gradient"], fd, rtol=2e-2, atol=1e-3)


def test_start_map_on_a_landscape_is_bounded_by_the_cost_model(trained: tuple[TestClient, dict[str, Any]]) -> None:
    client, body = trained
    sid = client.post("/api/landscapes/surfaces", json={"run_id": body["id"], "samples": 1000}).json()["surface"]
    r = client.post(
        "/api/sweeps/start-map",
        json={"surface": sid, "n": 100, "steps": 500, "run": {"optimizer": "sgd", "params": {"lr": 0.1}}},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["code"] == "budget.exceeded"


def test_a_heavy_race_on_a_landscape_runs_where_its_surface_lives(trained: tuple[TestClient, dict[str, Any]]) -> None:
    """The plane lives in the web process's cache, so a request heavy enough for the admission
    workers (other processes, which do not have it) must still be answered, in this process."""
    from app.api.admission import admission_for
    from app.api.lab import check_budget
    from app.api.schemas.trajectories import RunConfig
    from app.core.lab2d.surfaces.landscape import SURFACES_CACHE

    client, body = trained
    settings = Settings()
    answer = client.post("/api/landscapes/surfaces", json={"run_id": body["id"], "samples": 200})
    assert answer.status_code == 200, answer.text
    surface = answer.json()
    run = {"optimizer": "momentum", "params": {"lr": 0.2}}
    gate = admission_for(settings)
    assert gate is not None and settings.admission_worker_processes
    work = check_budget(
        SURFACES_CACHE.get(surface["surface"]), [RunConfig(**run)] * 2, 1500, 1, settings, knobs="steps"
    )
    assert work > gate.light_work  # the heavy lane, whose work normally goes to a worker process
    race = client.post(
        "/api/trajectories",
        json={"surface": surface["surface"], "start": surface["start"], "steps": 1500, "runs": [run, run]},
    )
    assert race.status_code == 200, race.text
    losses = [v for v in race.json()["runs"][0]["loss"] if v is not None]
    assert losses[-1] < losses[0]


def test_unknown_landscape_surface(client: TestClient) -> None:
    r = client.get("/api/surfaces/landscape-000000000000")
    assert r.status_code == 422
    assert r.json()["detail"][0]["code"] == "landscape.surface_gone"


def test_a_job_with_the_sharpness_option_streams_sharpness_events(client: TestClient) -> None:
    manager = JobManager(Settings())
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    try:
        config = {
            "dataset": {"name": "iris"},
            "model": {"hidden": [8]},
            "optimizer": {"optimizer": "sgd", "params": {"lr": 0.5}},
            "batch_size": 0,
            "epochs": 20,
            "sharpness": {"every": 5, "iterations": 10},
        }
        job_id = client.post("/api/jobs", json=config).json()["id"]
        deadline = time.monotonic() + 60
        body = client.get(f"/api/jobs/{job_id}").json()
        while body["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
            body = client.get(f"/api/jobs/{job_id}").json()
        sharp = [e["data"] for e in body["history"] if e["event"] == "sharpness"]
        assert [s["step"] for s in sharp] == [0, 5, 10, 15, 20]
        assert all(s["threshold"] == pytest.approx(4.0) and s["lambda_max"] > 0 for s in sharp)
        too_many = {**config, "sharpness": {"every": 5, "iterations": 10_000}}
        r = client.post("/api/jobs", json=too_many)
        assert r.status_code == 422 and r.json()["detail"][0]["params"]["setting"] == "landscape_max_power_iterations"
    finally:
        client.app.dependency_overrides.pop(get_job_manager, None)
        manager.shutdown(timeout=3.0)

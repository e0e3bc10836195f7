"""``/api/runs`` with a real job manager, the saved-runs recorder and a real SQLite file.

Each test gets its own database (under ``tmp_path``) and its own :class:`JobManager` with a
:class:`RunRecorder` attached, installed through ``dependency_overrides``. Jobs train for real
(the default trainer, a tiny XOR net), so what is saved is compared with what the job itself
reports over ``GET /api/jobs/{id}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_job_manager
from app.api.routers.runs import store_dep
from app.config import Settings
from app.jobs.manager import JobManager
from app.store import RunStore
from app.store.recorder import RunRecorder

XOR: dict[str, Any] = {
    "label": "xor",
    "dataset": {"name": "xor", "n_samples": 200, "seed": 1},
    "model": {"hidden": [8], "activation": "tanh", "init": "xavier_normal"},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.05}},
    "batch_size": 20,
    "epochs": 2,
    "seed": 0,
    "telemetry": {"interval": 4, "bins": 12, "sample_size": 100},
}


@dataclass
class Env:
    client: TestClient
    store: RunStore
    manager: JobManager
    recorder: RunRecorder

    def train(self, config: dict[str, Any]) -> str:
        """Run one job to its end and wait until its saved run is committed; returns its id."""
        response = self.client.post("/api/jobs", json=config)
        assert response.status_code == 202, response.text
        job_id: str = response.json()["id"]
        assert self.manager.get(job_id).wait_finished(30)
        assert self.recorder.wait_idle(10)
        return job_id


@pytest.fixture
def env(client: TestClient, tmp_path: Path) -> Iterator[Env]:
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    manager = JobManager(Settings(max_concurrent_jobs=2))
    recorder = RunRecorder(store, manager, flush_seconds=0.05)
    manager.add_observer(recorder)
    client.app.dependency_overrides[store_dep] = lambda: store
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    yield Env(client, store, manager, recorder)
    client.app.dependency_overrides.pop(store_dep, None)
    client.app.dependency_overrides.pop(get_job_manager, None)
    manager.shutdown(timeout=3.0)
    recorder.close()
    store.close()


def items(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    detail: list[dict[str, Any]] = response.json()["detail"]
    return detail


def test_a_finished_job_is_saved_exactly_as_the_job_reports_it(env: Env) -> None:
    job_id = env.train(XOR)
    job = env.client.get(f"/api/jobs/{job_id}").json()
    listing = env.client.get("/api/runs").json()
    assert listing["total"] == 1
    (entry,) = listing["runs"]
    assert (entry["id"], entry["kind"], entry["status"], entry["label"]) == (job_id, "training", "done", "xor")
    saved = env.client.get(f"/api/runs/{job_id}").json()
    assert saved["config"] == job["config"]
    assert saved["summary"] == job["summary"]
    assert saved["events"] == job["history"]  # every event, same ids, same payloads, the terminal one last
    assert saved["events"][-1]["event"] == "done"
    assert saved["next_after"] is None and saved["finished"] is not None
    assert 0 < saved["stored_bytes"] < len(json.dumps(job["history"]))  # compressed


def test_events_come_in_pages(env: Env) -> None:
    job_id = env.train(XOR)
    everything = env.client.get(f"/api/runs/{job_id}").json()["events"]
    pages, after = [], 0
    while after is not None:
        body = env.client.get(f"/api/runs/{job_id}", params={"after": after, "limit": 3}).json()
        assert len(body["events"]) <= 3
        pages.extend(body["events"])
        after = body["next_after"]
    assert pages == everything
    over = env.client.get(f"/api/runs/{job_id}", params={"limit": 10**6})
    (item,) = items(over, 422)
    assert item["code"] == "limit.exceeded" and item["params"]["setting"] == "max_saved_events_page"


def test_a_diverged_run_is_saved_as_diverged(env: Env) -> None:
    config = {
        **XOR,
        "label": "too fast",
        "model": {"hidden": [32, 32], "activation": "relu", "init": "he_normal"},
        "optimizer": {"optimizer": "sgd", "params": {"lr": 100.0}},
    }
    job_id = env.train(config)
    assert env.client.get(f"/api/jobs/{job_id}").json()["summary"]["status"] == "diverged"
    assert env.client.get(f"/api/runs/{job_id}").json()["status"] == "diverged"


def test_a_comparison_is_one_run_with_its_jobs_in_order(env: Env) -> None:
    configs = [{**XOR, "label": "a"}, {**XOR, "label": "b", "seed": 1}]
    body = env.client.post("/api/comparisons", json={"configs": configs}).json()
    comparison_id, job_ids = body["id"], body["job_ids"]
    for job_id in job_ids:
        assert env.manager.get(job_id).wait_finished(30)
    assert env.recorder.wait_idle(10)
    saved = env.client.get(f"/api/runs/{comparison_id}").json()
    assert (saved["kind"], saved["status"], saved["config"]) == ("comparison", "done", {"job_ids": job_ids})
    assert [c["id"] for c in saved["children"]] == job_ids
    assert [r["label"] for r in saved["summary"]["runs"]] == ["a", "b"]
    assert saved["label"] == "a · b"
    assert all(c["parent_id"] == comparison_id for c in saved["children"])
    assert env.client.get("/api/runs", params={"kind": "comparison"}).json()["total"] == 1
    assert [r["id"] for r in env.client.get("/api/runs").json()["runs"]] == [comparison_id]  # its runs are inside
    listed = env.client.get("/api/runs", params={"children": True}).json()["runs"]
    assert {r["id"] for r in listed} == {comparison_id, *job_ids}
    assert env.client.delete(f"/api/runs/{comparison_id}").status_code == 204
    assert env.client.get("/api/runs").json()["total"] == 0  # its runs went with it


def test_list_searches_labels_filters_kinds_and_pages(env: Env) -> None:
    for k in range(5):
        env.store.create(kind="training", label=f"Adam {k}", config={}, status="done")
    env.store.create(kind="lab", label="rosenbrock", config={}, status="done")
    found = env.client.get("/api/runs", params={"q": "adam", "limit": 2, "offset": 1}).json()
    assert [r["label"] for r in found["runs"]] == ["Adam 3", "Adam 2"] and found["total"] == 5
    assert [r["label"] for r in env.client.get("/api/runs", params={"kind": "lab"}).json()["runs"]] == ["rosenbrock"]
    (item,) = items(env.client.get("/api/runs", params={"limit": 201}), 422)
    assert item["code"] == "limit.exceeded" and item["params"] == {
        "limit": 200,
        "setting": "max_saved_runs_page",
        "value": 201,
    }
    (item,) = items(env.client.get("/api/runs", params={"kind": "movie"}), 422)
    assert item["loc"] == ["query", "kind"]


def test_rename_and_delete(env: Env) -> None:
    run_id = env.store.create(kind="training", label="old", config={}, status="done")
    renamed = env.client.patch(f"/api/runs/{run_id}", json={"label": "  new name "})
    assert renamed.status_code == 200 and renamed.json()["label"] == "new name"
    assert env.client.get("/api/runs", params={"q": "new"}).json()["runs"][0]["id"] == run_id
    (item,) = items(env.client.patch(f"/api/runs/{run_id}", json={"label": "   "}), 422)
    assert item["loc"] == ["body", "label"]
    assert env.client.delete(f"/api/runs/{run_id}").status_code == 204
    for response in (
        env.client.get(f"/api/runs/{run_id}"),
        env.client.patch(f"/api/runs/{run_id}", json={"label": "x"}),
        env.client.delete(f"/api/runs/{run_id}"),
        env.client.get(f"/api/runs/{run_id}/export"),
    ):
        (item,) = items(response, 404)
        assert item["code"] == "run.not_found" and item["params"] == {"id": run_id}
        assert run_id in item["msg"]
    live = env.store.create(kind="training", label="live", config={})
    (item,) = items(env.client.delete(f"/api/runs/{live}"), 409)
    assert item["code"] == "run.running"


def test_korean_message_for_an_unknown_run(env: Env) -> None:
    (item,) = items(env.client.get("/api/runs/r-nope", headers={"Accept-Language": "ko"}), 404)
    assert "r-nope" in item["msg"] and "저장된 실행" in item["msg"]


def test_an_optimizer_lab_configuration_is_saved_with_its_results(env: Env) -> None:
    config = {"s": "book_bowl", "runs": [{"optimizer": "sgd", "lr": 0.95}], "steps": 30}
    summary = {"runs": [{"label": "SGD", "outcome": "converged", "final_loss": 1.2e-9}]}
    response = env.client.post("/api/runs", json={"label": "bowl race", "config": config, "summary": summary})
    assert response.status_code == 201, response.text
    info = response.json()
    assert (info["kind"], info["status"]) == ("lab", "done")
    detail = env.client.get(f"/api/runs/{info['id']}").json()
    assert (detail["config"], detail["summary"], detail["events"]) == (config, summary, [])
    (item,) = items(env.client.post("/api/runs", json={"label": "", "config": {}}), 422)
    assert item["loc"] == ["body", "label"]
    (item,) = items(env.client.post("/api/runs", json={"kind": "training", "label": "x", "config": {}}), 422)
    assert item["loc"] == ["body", "kind"]


def page_export(job: dict[str, Any]) -> dict[str, Any]:
    """What the Training Lab's "Export JSON" writes for one run (result_charts.js runToJSON)."""
    return {
        "label": job["label"],
        "job_id": job["id"],
        "status": job["status"],
        "config": job["config"],
        "summary": job["summary"],
        "events": [{"id": e["id"], "event": e["event"], "data": e["data"]} for e in job["history"]],
    }


def test_import_the_training_labs_export_one_or_several(env: Env) -> None:
    job = env.client.get(f"/api/jobs/{env.train(XOR)}").json()
    one = env.client.post("/api/runs/import", json=page_export(job))
    assert one.status_code == 201, one.text
    (info,) = one.json()["runs"]
    assert info["id"] != job["id"] and info["status"] == "done" and info["label"] == "xor"
    imported = env.client.get(f"/api/runs/{info['id']}").json()
    assert (imported["config"], imported["summary"], imported["events"]) == (
        job["config"],
        job["summary"],
        job["history"],
    )
    # every second event before the end (ids 1, 3, 5, …): a thinned log keeps its ids
    thinned = [e for e in page_export(job)["events"] if e["event"] not in ("done", "cancelled", "error")][::2]
    other = {**page_export(job), "label": "second", "status": "running", "events": thinned}
    several = env.client.post("/api/runs/import", json={"runs": [page_export(job), other]})
    assert several.status_code == 201, several.text
    assert [(r["label"], r["status"]) for r in several.json()["runs"]] == [("xor", "done"), ("second", "interrupted")]
    diverged = {**page_export(job), "label": "too fast", "summary": {"status": "diverged", "diverged_at": 3}}
    (info,) = env.client.post("/api/runs/import", json=diverged).json()["runs"]
    assert info["status"] == "diverged"  # the page exports a diverged run as done + summary.status
    second = several.json()["runs"][1]["id"]
    assert env.client.get(f"/api/runs/{second}").json()["events"] == thinned


def test_our_export_imports_back_to_the_same_run(env: Env) -> None:
    configs = [{**XOR, "label": "a"}, {**XOR, "label": "b", "seed": 3}]
    body = env.client.post("/api/comparisons", json={"configs": configs}).json()
    for job_id in body["job_ids"]:
        assert env.manager.get(job_id).wait_finished(30)
    assert env.recorder.wait_idle(10)
    exported = env.client.get(f"/api/runs/{body['id']}/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["format"] == "optimizer-playground/run" and len(data["runs"]) == 2
    (info,) = env.client.post("/api/runs/import", json=data).json()["runs"]
    copy = env.client.get(f"/api/runs/{info['id']}").json()
    assert copy["kind"] == "comparison" and [c["label"] for c in copy["children"]] == ["a", "b"]
    for original_id, child in zip(body["job_ids"], copy["children"], strict=True):
        original = env.client.get(f"/api/runs/{original_id}").json()
        again = env.client.get(f"/api/runs/{child['id']}").json()
        assert (again["events"], again["summary"], again["status"]) == (
            original["events"],
            original["summary"],
            original["status"],
        )


def test_bad_imports_are_4xx_naming_the_problem(env: Env, client: TestClient) -> None:
    post: Callable[..., Any] = env.client.post
    events = [{"id": 2, "event": "metrics", "data": {}}, {"id": 1, "event": "epoch", "data": {}}]
    (item,) = items(post("/api/runs/import", json={"label": "x", "events": events}), 422)
    assert item["loc"] == ["body"] and "increase" in item["msg"]
    bad_name = [{"id": 1, "event": "<script>", "data": {}}]
    (item,) = items(post("/api/runs/import", json={"runs": [{"label": "x", "events": bad_name}]}), 422)
    assert item["loc"] == ["body", "runs", 0, "events", 0, "event"]
    (item,) = items(post("/api/runs/import", json={}), 422)
    assert item["code"] == "run.import_empty"
    too_many = {"runs": [{"label": f"r{k}", "config": {"k": k}} for k in range(33)]}
    (item,) = items(post("/api/runs/import", json=too_many), 422)
    assert item["code"] == "limit.exceeded" and item["params"]["setting"] == "max_import_runs"
    huge = {"label": "x", "config": {"pad": "x" * (2**20 + 10)}}
    (item,) = items(post("/api/runs/import", json=huge), 413)
    assert item["code"] == "http.413"
    response = post("/api/runs/import", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert env.client.get("/api/runs").json()["total"] == 0  # nothing half-imported


def test_a_run_deleted_while_running_does_not_stop_the_recorder(env: Env) -> None:
    run_id = env.store.create(kind="training", label="x", config={})
    env.store.delete(run_id)
    env.store.create(kind="training", label="y", config={}, run_id="j-000000000001")
    job_id = env.train(XOR)
    assert env.client.get(f"/api/runs/{job_id}").json()["status"] == "done"


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def test_a_cancelled_comparison_saves_every_run_even_one_that_never_started(env: Env) -> None:
    long = {**XOR, "label": "long", "epochs": 500}
    body = env.client.post("/api/comparisons", json={"configs": [long, {**XOR, "label": "never ran"}]}).json()
    first, second = body["job_ids"]
    assert env.client.delete(f"/api/jobs/{second}").status_code == 200  # still queued: cancelled at once
    wait_for(lambda: env.client.get(f"/api/jobs/{first}").json()["status"] == "running")
    assert env.client.delete(f"/api/jobs/{first}").status_code == 200
    assert env.manager.get(first).wait_finished(10)
    assert env.recorder.wait_idle(10)
    saved = env.client.get(f"/api/runs/{body['id']}").json()
    assert saved["status"] == "cancelled"
    assert [(c["id"], c["status"]) for c in saved["children"]] == [(first, "cancelled"), (second, "cancelled")]
    never = env.client.get(f"/api/runs/{second}").json()
    assert [e["event"] for e in never["events"]] == ["cancelled"]


def test_the_first_page_of_a_run_names_its_kind_and_holds_its_whole_configuration(env: Env) -> None:
    """What the page reads to open a saved run and to "Train again with these settings"
    (docs/runs.md §7): ``GET /api/runs/{id}?limit=1`` answers the kind and the configuration the
    job ran with, whole, with at most one event; an imported run's configuration comes back exactly
    as the file had it — values beyond this server's limits and keys this release does not know
    included (the page fits them to today's catalogue and says what it changed)."""
    job_id = env.train(XOR)
    first = env.client.get(f"/api/runs/{job_id}", params={"limit": 1}).json()
    job = env.client.get(f"/api/jobs/{job_id}").json()
    assert (first["kind"], first["config"]) == ("training", job["config"])
    assert len(first["events"]) == 1 and first["next_after"] == first["events"][0]["id"]

    limits = env.client.get("/api/training/catalogue").json()["limits"]
    old = {
        **XOR,
        "epochs": limits["max_epochs"] + 400,
        "model": {**XOR["model"], "hidden": [8, limits["max_width"] * 2]},
        "from_a_newer_release": {"knob": [1, 2, 3]},
    }
    record = {"label": "from elsewhere", "status": "done", "config": old, "summary": None, "events": []}
    (info,) = env.client.post("/api/runs/import", json=record).json()["runs"]
    stored = env.client.get(f"/api/runs/{info['id']}", params={"limit": 1}).json()
    assert (stored["kind"], stored["config"], stored["events"], stored["next_after"]) == ("training", old, [], None)
    # the same configuration is refused by POST /api/jobs until it is fitted (the page's clamping)
    refused = items(
        env.client.post("/api/jobs", json={k: v for k, v in old.items() if k != "from_a_newer_release"}), 422
    )
    assert {tuple(i["loc"][1:]) for i in refused} >= {("epochs",)}
    fitted = {**old, "epochs": limits["max_epochs"], "model": {**XOR["model"], "hidden": [8, limits["max_width"]]}}
    del fitted["from_a_newer_release"]
    started = env.client.post("/api/jobs", json={**fitted, "epochs": 1})
    assert started.status_code == 202, started.text

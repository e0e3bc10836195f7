"""Pause, resume and single steps of a running job (issue 8 point 7) over HTTP, with the real trainer."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_job_manager
from app.config import Settings
from app.jobs.manager import JobManager

#: Long enough to pause mid-run: Iris, 1-sample batches, many epochs, frames only every 10⁶ steps.
SLOW: dict[str, Any] = {
    "dataset": {"name": "iris"},
    "model": {"hidden": [8]},
    "batch_size": 1,
    "epochs": 500,
    "telemetry": {"interval": 1_000_000},
}


@pytest.fixture
def manager(client: TestClient) -> Iterator[JobManager]:
    manager = JobManager(settings=Settings(max_pause_seconds=60))
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    yield manager
    client.app.dependency_overrides.pop(get_job_manager, None)
    manager.shutdown(timeout=3.0)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (or fail after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def events(manager: JobManager, job_id: str, name: str) -> list[dict[str, Any]]:
    history = json.loads(manager.get(job_id).log.history_json())
    return [e["data"] for e in history if e["event"] == name]


def test_pause_step_resume(client: TestClient, manager: JobManager) -> None:
    job_id = client.post("/api/jobs", json=SLOW).json()["id"]
    wait_for(lambda: manager.get(job_id).status.value == "running")
    r = client.post(f"/api/jobs/{job_id}/pause")
    assert r.status_code == 200 and r.json() == {"id": job_id, "status": "paused"}
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "paused"
    assert events(manager, job_id, "status") == [{"status": "paused"}]

    # One step, then three: each request ends with a metrics frame, exactly that many steps later.
    assert client.post(f"/api/jobs/{job_id}/step").json()["status"] == "paused"
    first = wait_for(lambda: events(manager, job_id, "metrics")[1:])[-1]
    assert client.post(f"/api/jobs/{job_id}/step", json={"steps": 3}).status_code == 200
    second = wait_for(lambda: events(manager, job_id, "metrics")[2:])[-1]
    assert second["step"] - first["step"] == 3
    time.sleep(0.2)  # paused: no further frame and no further step
    assert len(events(manager, job_id, "metrics")) == 3

    assert client.post(f"/api/jobs/{job_id}/resume").json()["status"] == "running"
    assert events(manager, job_id, "status") == [{"status": "paused"}, {"status": "running"}]
    # Running again: stepping needs a paused job; resuming a running one too.
    for action in ("step", "resume"):
        r = client.post(f"/api/jobs/{job_id}/{action}")
        assert r.status_code == 409
        assert r.json()["detail"][0]["code"] == "job.not_paused"
    client.delete(f"/api/jobs/{job_id}")
    stream = client.get(f"/api/jobs/{job_id}/events").text
    # The SSE stream carries both status events, in order, before the terminal one.
    statuses = re.findall(r'event: status\r?\ndata: \{"status":"(\w+)"\}', stream)
    assert statuses == ["paused", "running"]


def test_cancel_wakes_a_paused_job(client: TestClient, manager: JobManager) -> None:
    job_id = client.post("/api/jobs", json=SLOW).json()["id"]
    wait_for(lambda: manager.get(job_id).status.value == "running")
    client.post(f"/api/jobs/{job_id}/pause")
    r = client.delete(f"/api/jobs/{job_id}")
    assert r.json()["status"] == "cancelled"
    r = client.post(f"/api/jobs/{job_id}/pause")
    assert r.status_code == 409 and r.json()["detail"][0]["code"] == "job.not_running"


def test_a_forgotten_pause_cancels_the_job(client: TestClient) -> None:
    manager = JobManager(settings=Settings(max_pause_seconds=0.2))
    job = manager.submit(SLOW)
    wait_for(lambda: job.status.value == "running")
    manager.pause(job.id)
    assert job.wait_finished(10) and job.status.value == "cancelled"
    manager.shutdown()


def test_control_of_an_unknown_job_is_404_and_bad_steps_422(client: TestClient, manager: JobManager) -> None:
    assert client.post("/api/jobs/j-000000000000/pause").status_code == 404
    job_id = client.post("/api/jobs", json=SLOW).json()["id"]
    assert client.post(f"/api/jobs/{job_id}/step", json={"steps": 0}).status_code == 422
    client.delete(f"/api/jobs/{job_id}")


#: A frame every optimizer step: any frame that slipped in after "paused" or between step frames shows.
EVERY_STEP: dict[str, Any] = {**SLOW, "telemetry": {"interval": 1, "bins": 8, "sample_size": 16, "adaptive": False}}


def test_paused_comes_after_the_last_frame_and_step_requests_give_one_frame_n_steps_later(
    client: TestClient, manager: JobManager
) -> None:
    """Issue 9 point 2: the status event is logged when the worker has stopped, never before a frame."""
    job_id = client.post("/api/jobs", json=EVERY_STEP).json()["id"]
    job = manager.get(job_id)
    wait_for(lambda: len(events(manager, job_id, "metrics")) >= 5)
    assert client.post(f"/api/jobs/{job_id}/pause").json()["status"] == "paused"

    def history() -> list[tuple[str, Any]]:
        return [(e.event, json.loads(e.data_json)) for e in job.log.after(0)]

    at_pause = history()
    assert at_pause[-1] == ("status", {"status": "paused"})  # no frame of the in-flight step after it
    last_step = next(data["step"] for name, data in reversed(at_pause) if name == "metrics")
    for n in (7, 7, 3):
        before = len(history())
        assert client.post(f"/api/jobs/{job_id}/step", json={"steps": n}).status_code == 200
        wait_for(lambda before=before: any(name == "metrics" for name, _ in history()[before:]))
        new_frames = [data["step"] for name, data in history()[before:] if name == "metrics"]
        assert new_frames == [last_step + n]  # exactly one frame, exactly n steps on
        last_step = new_frames[0]
    assert [data for name, data in history() if name == "status"] == [{"status": "paused"}]
    client.delete(f"/api/jobs/{job_id}")


def test_job_history_pages_with_after_and_limit(client: TestClient, manager: JobManager) -> None:
    job_id = client.post("/api/jobs", json={**EVERY_STEP, "epochs": 1}).json()["id"]
    full = wait_for(lambda: (body := client.get(f"/api/jobs/{job_id}").json())["status"] == "done" and body)
    assert full["next_after"] is None and full["history"][-1]["event"] == "done"
    pages, after = [], 0
    while True:
        page = client.get(f"/api/jobs/{job_id}", params={"after": after, "limit": 17}).json()
        assert len(page["history"]) <= 17 and page["status"] == "done" and page["config"] == full["config"]
        pages.extend(page["history"])
        if page["next_after"] is None:
            break
        assert page["next_after"] == page["history"][-1]["id"]
        after = page["next_after"]
    assert pages == full["history"]
    tail = client.get(f"/api/jobs/{job_id}", params={"after": full["history"][-2]["id"]}).json()["history"]
    assert tail == full["history"][-1:]
    for bad in ({"limit": 0}, {"after": -1}):
        response = client.get(f"/api/jobs/{job_id}", params=bad)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][0] == "query"

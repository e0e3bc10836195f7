"""The training queue (issue 9 point 3): FIFO beyond the workers, positions streamed, bounded per client.

Fake trainers run in real worker processes; the class-sized test starts a real uvicorn server and
30 HTTP clients, each from its own loopback address (127.0.0.2 … 127.0.0.31), so the server sees
30 distinct client hosts exactly as it would on a classroom network.
"""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_job_manager
from app.config import Settings
from app.jobs.manager import JobManager, JobStatus, QueueFullError
from live_server import serve_app
from tests.job_trainers import FileGate, wait_until

SMALL: dict[str, Any] = {"label": "tiny", "model": {"hidden": [4]}, "epochs": 2}


def settings(**overrides: Any) -> Settings:
    base = {"max_concurrent_jobs": 1, "worker_processes": 1, "max_queued_jobs": 64, "max_queued_per_client": 3}
    return Settings(**{**base, **overrides})


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[FileGate]:
    g = FileGate(tmp_path)
    yield g
    g.release()


def queue_positions(job) -> list[int]:
    return [json.loads(e.data_json)["position"] for e in job.log.after(0) if e.event == "queue"]


def test_units_beyond_capacity_wait_first_come_first_served_and_hear_their_place(gate: FileGate) -> None:
    manager = JobManager(settings(), trainer=gate)
    try:
        a = manager.submit({"label": "a"}, client="1")
        gate.wait_started()
        wait_until(lambda: a.status is JobStatus.RUNNING)
        b, c, d = (manager.submit({"label": label}, client=label) for label in "bcd")
        assert [j.status for j in (a, b, c, d)] == [JobStatus.RUNNING] + [JobStatus.QUEUED] * 3
        assert [queue_positions(j) for j in (a, b, c, d)] == [[], [1], [2], [3]]
        assert manager.cancel(c.id).status is JobStatus.CANCELLED  # at once: it never reached a worker
        assert [e.event for e in c.log.after(0)] == ["queue", "cancelled"]
        assert queue_positions(d) == [3, 2]  # d moved up
        gate.release()
        for job in (a, b, d):
            assert job.wait_finished(20) and job.status is JobStatus.DONE
        assert gate.calls == ["a", "b", "d"]  # in the order they came, without the cancelled one
        assert queue_positions(d) == [3, 2, 1]
        assert queue_positions(b) == [1]
    finally:
        manager.shutdown(timeout=3.0)


def test_the_queue_is_bounded_per_client_and_in_all(gate: FileGate) -> None:
    manager = JobManager(settings(max_queued_per_client=2, max_queued_jobs=3), trainer=gate)
    try:
        manager.submit({"label": "running"}, client="x")  # runs at once: not counted as waiting
        manager.submit({"label": "w1"}, client="x")
        manager.submit_comparison([{"label": "w2"}, {"label": "w2"}], client="x")  # a comparison counts once
        with pytest.raises(QueueFullError) as mine:
            manager.submit({"label": "w3"}, client="x")
        assert (mine.value.setting, mine.value.limit, mine.value.queued) == ("max_queued_per_client", 2, 2)
        manager.submit({"label": "y1"}, client="y")  # another client still may
        with pytest.raises(QueueFullError) as everyone:
            manager.submit({"label": "z1"}, client="z")
        assert (everyone.value.setting, everyone.value.limit, everyone.value.queued) == ("max_queued_jobs", 3, 3)
        assert manager.queued_units == 3
    finally:
        manager.shutdown(timeout=3.0)


def test_submissions_from_inside_the_server_are_bounded_only_in_all(gate: FileGate) -> None:
    manager = JobManager(settings(max_queued_per_client=1, max_queued_jobs=3), trainer=gate)
    try:
        for k in range(4):  # one runs, three wait: no client bound without a client
            manager.submit({"label": f"internal{k}"})
        with pytest.raises(QueueFullError) as full:
            manager.submit({"label": "one too many"})
        assert full.value.setting == "max_queued_jobs"
    finally:
        manager.shutdown(timeout=3.0)


@pytest.fixture
def installed(client: TestClient, gate: FileGate) -> Iterator[JobManager]:
    manager = JobManager(settings(max_queued_per_client=2, max_queued_jobs=3), trainer=gate)
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    yield manager
    client.app.dependency_overrides.pop(get_job_manager, None)
    manager.shutdown(timeout=3.0)


def test_over_the_queue_bounds_is_429_with_a_code_in_the_users_language(
    client: TestClient, installed: JobManager, gate: FileGate
) -> None:
    from app.main import app

    ids = [client.post("/api/jobs", json=SMALL).json()["id"] for _ in range(3)]  # 1 running, 2 waiting
    refused = client.post("/api/jobs", json=SMALL)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "5"
    detail = refused.json()["detail"][0]
    assert detail["code"] == "job.client_queue_full" and detail["type"] == "queue_full"
    assert detail["params"] == {"limit": 2, "setting": "max_queued_per_client", "queued": 2}
    assert "waiting" in detail["msg"]
    # a second client host (no lifespan: same app)
    other = TestClient(app, base_url="http://localhost", client=("10.0.0.9", 50000))
    assert other.post("/api/jobs", json=SMALL).status_code == 202
    third = TestClient(app, base_url="http://localhost", client=("10.0.0.10", 50000))
    korean = third.post("/api/comparisons", json={"configs": [SMALL]}, headers={"Accept-Language": "ko"})
    assert korean.status_code == 429
    detail = korean.json()["detail"][0]
    assert detail["code"] == "job.queue_full" and detail["params"]["limit"] == 3
    assert "대기열" in detail["msg"]
    # A queued job is cancelled at once; its stream says where it was, then that it was cancelled.
    waiting = ids[2]
    assert client.get(f"/api/jobs/{waiting}").json()["status"] == "queued"
    assert client.delete(f"/api/jobs/{waiting}").json() == {"id": waiting, "status": "cancelled"}
    text = client.get(f"/api/jobs/{waiting}/events").text
    assert [line for line in text.splitlines() if line.startswith("event:")] == ["event: queue", "event: cancelled"]
    gate.release()


DIGITS: dict[str, Any] = {
    "dataset": {"name": "digits"},
    "model": {"hidden": [16]},
    "batch_size": 100,
    "epochs": 2,
    "telemetry": {"interval": 20, "bins": 10, "sample_size": 64},
}


def _one_student(base: str, k: int) -> dict[str, Any]:
    """Client ``k`` (from 127.0.0.<k+2>): start a digits run and follow its stream to the end."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{k + 2}")
    with httpx.Client(base_url=base, transport=transport, timeout=120.0) as http:
        created = http.post("/api/jobs", json={**DIGITS, "label": f"student {k}", "seed": k})
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        names: list[str] = []
        positions: list[int] = []
        with http.stream("GET", f"/api/jobs/{job_id}/events") as response:
            event = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                    names.append(event)
                elif line.startswith("data: ") and event == "queue":
                    positions.append(json.loads(line[len("data: ") :])["position"])
                if event in ("done", "cancelled", "error") and line.startswith("data: "):
                    break
        return {"status": http.get(f"/api/jobs/{job_id}").json()["status"], "names": names, "positions": positions}


def test_thirty_clients_each_starting_a_digits_run_at_once_all_finish_done() -> None:
    with serve_app("queue-class") as base, concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda k: _one_student(base, k), range(30)))
    assert [r["status"] for r in results] == ["done"] * 30
    assert all(r["names"][-1] == "done" and "error" not in r["names"] for r in results)
    waited = [r["positions"] for r in results if r["positions"]]
    assert waited, "with 30 runs and a few workers some must have waited"
    for positions in waited:  # the place in line only ever improves
        assert positions == sorted(positions, reverse=True) and len(set(positions)) == len(positions)

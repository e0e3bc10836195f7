"""Nothing committed is lost: a real server process, a real database file, SIGKILL, restart.

The server is ``python -m app`` (the ``optimizer-playground`` console script's code) in a process
of its own with its own data directory; the test talks to it over HTTP only and reads the database
file with the standard library's ``sqlite3`` after the kill.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

XOR: dict[str, Any] = {
    "label": "finished xor",
    "dataset": {"name": "xor", "n_samples": 200, "seed": 1},
    "model": {"hidden": [8], "activation": "tanh"},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.05}},
    "batch_size": 20,
    "epochs": 2,
    "seed": 0,
}
LONG: dict[str, Any] = {
    "label": "in flight",
    "dataset": {"name": "digits"},
    "model": {"hidden": [64, 64]},
    "epochs": 500,
    "telemetry": {"interval": 2},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except httpx.TransportError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def server(data_dir: Path, log: Path, **env: str) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    """Start ``python -m app`` on a free port with its own data dir; yield a client and the process."""
    port = free_port()
    environ = {
        **os.environ,
        "PLAYGROUND_DATA_DIR": str(data_dir),
        "PLAYGROUND_SAVED_RUNS_FLUSH_SECONDS": "0.2",
        "OPENBLAS_NUM_THREADS": "1",
        **env,
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--port", str(port)], env=environ, stdout=out, stderr=subprocess.STDOUT
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0)
    try:
        wait_for(lambda: client.get("/api/health").status_code == 200, what="the server to start")
        yield client, proc
    finally:
        client.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def saved(client: httpx.Client, run_id: str) -> dict[str, Any] | None:
    response = client.get(f"/api/runs/{run_id}")
    return response.json() if response.status_code == 200 else None


def test_sigkill_mid_training_loses_nothing_committed(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    with server(data_dir, log) as (client, proc):
        finished_id = client.post("/api/jobs", json=XOR).json()["id"]
        before = wait_for(
            lambda: (r := saved(client, finished_id)) and r["status"] == "done" and r, what="the finished run"
        )
        flight_id = client.post("/api/jobs", json=LONG).json()["id"]
        recorded = wait_for(
            lambda: (r := saved(client, flight_id)) and r["n_events"] >= 5 and r, what="in-flight events"
        )
        assert client.get(f"/api/jobs/{flight_id}").json()["status"] == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    database = data_dir / "runs.sqlite3"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT status FROM runs WHERE id = ?", (flight_id,)).fetchone() == ("running",)

    with server(data_dir, log) as (client, _):
        after = saved(client, finished_id)
        assert after is not None
        assert (after["status"], after["summary"], after["n_events"]) == ("done", before["summary"], before["n_events"])
        assert after["events"] == before["events"]
        flight = saved(client, flight_id)
        assert flight is not None
        assert flight["status"] == "interrupted" and flight["finished"] is None
        assert flight["n_events"] >= recorded["n_events"]
        assert flight["events"][: recorded["n_events"]] == recorded["events"]  # what it had recorded, unchanged
        listed = {r["id"]: r["status"] for r in client.get("/api/runs").json()["runs"]}
        assert listed == {finished_id: "done", flight_id: "interrupted"}
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and "database is locked" not in text, text[-3000:]


def test_a_run_stopped_by_a_graceful_shutdown_is_interrupted_not_cancelled(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    with server(data_dir, log) as (client, proc):
        flight_id = client.post("/api/jobs", json=LONG).json()["id"]
        wait_for(lambda: (r := saved(client, flight_id)) and r["n_events"] >= 2, what="in-flight events")
        proc.send_signal(signal.SIGTERM)  # what Docker and systemd send; uvicorn shuts down gracefully
        proc.wait(timeout=30)  # (it re-raises the signal afterwards, so the exit code is -15)
    with server(data_dir, log) as (client, _):
        run = saved(client, flight_id)
        assert run is not None
        assert (run["status"], run["finished"]) == ("interrupted", None)
        assert run["events"][-1]["event"] == "cancelled"  # the stream's own end, kept


def test_jobs_finishing_while_the_api_lists_runs(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    n_jobs = 16
    statuses: list[int] = []
    stop = threading.Event()
    with server(data_dir, log, PLAYGROUND_MAX_CONCURRENT_JOBS="4", PLAYGROUND_SAVED_RUNS_FLUSH_SECONDS="0.05") as (
        client,
        _,
    ):

        def lister() -> None:
            with httpx.Client(base_url=str(client.base_url), timeout=30.0) as own:
                while not stop.is_set():
                    page = own.get("/api/runs", params={"limit": 50})
                    statuses.append(page.status_code)
                    for run in page.json().get("runs", [])[:3] if page.status_code == 200 else []:
                        statuses.append(own.get(f"/api/runs/{run['id']}").status_code)

        readers = [threading.Thread(target=lister) for _ in range(2)]
        for reader in readers:
            reader.start()
        job_ids: list[str] = []
        try:
            while len(job_ids) < n_jobs:
                response = client.post("/api/jobs", json={**XOR, "label": f"job {len(job_ids)}", "seed": len(job_ids)})
                if response.status_code == 429:
                    time.sleep(0.05)
                    continue
                assert response.status_code == 202, response.text
                job_ids.append(response.json()["id"])
            wait_for(
                lambda: (
                    sum(r["status"] == "done" for r in client.get("/api/runs", params={"limit": 50}).json()["runs"])
                    == n_jobs
                ),
                what="every job saved",
            )
        finally:
            stop.set()
            for reader in readers:
                reader.join()
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "database is locked" not in text and "Traceback" not in text, text[-3000:]

"""SIGTERM to a real ``optimizer-playground`` server with a job training and its stream open (issue 9 point 7).

The server runs as its own process (the console script of this environment), trains in its
worker processes, and must exit within 3 s; the open event stream must end with a ``cancelled``
event, and no worker process may outlive the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.job_trainers import wait_until

LONG_RUN: dict[str, Any] = {
    "dataset": {"name": "digits"},
    "model": {"hidden": [64, 64]},
    "batch_size": 16,
    "epochs": 500,
    "telemetry": {"interval": 20, "bins": 10, "sample_size": 64},
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), "X")
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process trees from /proc")
def test_sigterm_exits_within_3_s_ending_open_streams_with_cancelled_and_leaves_no_workers(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "optimizer-playground"
    assert script.exists(), script
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(script), "--port", str(port)], stdout=out, stderr=out, env=dict(os.environ))
    try:
        with httpx.Client(base_url=base, timeout=30.0) as http:
            wait_until(lambda: _health(http, server, log), 60.0, "the server did not start")
            job_id = http.post("/api/jobs", json=LONG_RUN).json()["id"]
            names: list[str] = []
            got_frame = threading.Event()

            def follow() -> None:
                url = f"{base}/api/jobs/{job_id}/events"
                with httpx.Client(timeout=30.0) as stream_client, stream_client.stream("GET", url) as response:
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            names.append(line[len("event: ") :])
                            if names[-1] == "metrics":
                                got_frame.set()

            reader = threading.Thread(target=follow, daemon=True)
            reader.start()
            assert got_frame.wait(60.0), "the job never sent a frame"
            assert http.get(f"/api/jobs/{job_id}").json()["status"] == "running"
        workers = _children(server.pid)
        assert workers, "the server has no worker processes"
        t0 = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        elapsed = time.monotonic() - t0
        reader.join(5.0)
        assert not reader.is_alive(), "the open stream did not close"
        assert elapsed < 3.0, (elapsed, log.read_text(errors="replace"))
        assert names[-1] == "cancelled", names[-5:]  # the open stream heard the end before it closed
        wait_until(lambda: not any(_alive(pid) for pid in workers), 5.0, "worker processes outlived the server")
        # uvicorn re-raises the signal once it has shut down cleanly, so the exit status is SIGTERM's.
        assert server.returncode in (0, -signal.SIGTERM), log.read_text(errors="replace")
        assert "Application shutdown complete" in log.read_text(errors="replace")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)


def _health(http: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> bool:
    assert server.poll() is None, log.read_text(errors="replace")
    try:
        return http.get("/api/health").status_code == 200
    except httpx.TransportError:
        return False

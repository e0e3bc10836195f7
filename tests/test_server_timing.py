"""The ``Server-Timing: app;dur=<ms>`` header (app/api/middleware/server_timing.py)."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from app.main import app

DURATION = re.compile(r"^app;dur=(\d+\.\d+)$")


def test_every_answer_carries_its_server_time() -> None:
    client = TestClient(app, base_url="http://localhost")
    body = {"surface": "book_bowl", "start": [-7, 2], "steps": 30, "runs": [{"optimizer": "adam"}]}
    t = time.perf_counter()
    r = client.post("/api/trajectories", json=body)
    round_trip_ms = (time.perf_counter() - t) * 1e3
    assert r.status_code == 200
    match = DURATION.match(r.headers["server-timing"])
    assert match is not None, r.headers["server-timing"]
    assert 0.0 < float(match.group(1)) <= round_trip_ms  # the server's share of the round trip
    # Errors and pages carry it too (one header, added once).
    for answer in (client.post("/api/trajectories", json={**body, "steps": -1}), client.get("/")):
        assert DURATION.match(answer.headers["server-timing"]) is not None
        assert len(answer.headers.get_list("server-timing")) == 1


def test_a_refused_host_is_timed_too() -> None:
    r = TestClient(app, base_url="http://evil.example").get("/api/optimizers")
    assert r.status_code == 400 and DURATION.match(r.headers["server-timing"]) is not None

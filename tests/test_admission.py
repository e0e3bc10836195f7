"""Admission control of the Optimizer Lab (app/api/admission.py): lanes, the 503, worker processes.

Three layers:

- the lane itself (first come, first served, a bounded wait, slots handed over, cancelled waiters);
- the app in-process with overridden settings: a full heavy lane answers 503 with ``Retry-After``
  and the ``admission.busy`` item while light requests pass; answers computed in a worker process
  equal the answers computed without admission (the reference path, in a thread);
- a real server in a subprocess with one heavy slot: while a long streamed run holds it, a second
  heavy request gets the 503 after waiting, ``/api/health`` and a light request are answered, and
  once the stream is closed heavy requests are admitted again; nothing answers 500.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.admission import BUSY_CODE, MAX_RETRY_AFTER, Lane
from app.config import Settings, get_settings
from live_server import serve_subprocess

T = TypeVar("T")

TEXTBOOK = {
    "surface": "book_bowl",
    "start": [-7, 2],
    "steps": 30,
    "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.95}},
        {"optimizer": "momentum", "params": {"lr": 0.1}},
        {"optimizer": "adagrad", "params": {"lr": 1.5}},
        {"optimizer": "adam", "params": {"lr": 0.3}},
    ],
    "record_state": True,
}
"""The textbook preset: 4 × 30 steps ≈ 0.05 M work units, a light request."""

HEAVY = {
    "surface": "rosenbrock",
    "start": [-1.5, 2],
    "steps": 4000,
    "runs": [{"optimizer": "adam", "params": {"lr": 0.05}}, {"optimizer": "momentum", "params": {"lr": 0.001}}],
    "record_state": True,
}
"""2 × 4,000 steps ≈ 3.2 M units: above the light threshold (1 M), within the budget (15 M)."""

SWEEP = {**{k: v for k, v in HEAVY.items() if k != "record_state"}, "steps": 2000, "n": 40, "lr_min": 1e-4, "lr_max": 1}
"""2 optimizers × 40 learning rates × 2,000 steps ≈ 3.5 M units."""

LONG_STREAM = {
    "surface": "himmelblau",
    "start": [0, 0],
    "steps": 20_000,
    "runs": [{"optimizer": "sgd", "params": {"lr": 0.001}}] * 16,
    "record_state": False,
}
"""16 × 20,000 steps ≈ 128 M units (≈ 15 s or more): holds its slot far longer than the tests need."""


# --- The lane ---------------------------------------------------------------------------------------


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own (a Playwright test earlier in the session may have left
    an event loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_lane_admits_up_to_its_slots_then_refuses_without_waiting() -> None:
    async def scenario() -> list[bool]:
        lane = Lane("heavy", 2)
        return [await lane.acquire(0), await lane.acquire(0), await lane.acquire(0)]

    assert run(scenario()) == [True, True, False]


def test_retry_after_estimates_when_a_slot_frees_from_the_lanes_hold_times() -> None:
    lane = Lane("heavy", 2)
    assert lane.retry_after(2) == 2  # nothing finished yet: the configured floor
    lane.held(6.0)
    assert lane.mean_hold == 6.0
    lane.held(1.0)  # moving average: 0.2 · 1 + 0.8 · 6 = 5
    assert lane.mean_hold == pytest.approx(5.0)
    # a newcomer behind 3 waiters on 2 slots: (3 + 1) · 5 s / 2 = 10 s
    loop = asyncio.new_event_loop()
    try:
        lane.waiters.extend(loop.create_future() for _ in range(3))
        assert lane.retry_after(2) == 10
        assert lane.retry_after(12) == 12  # never below the floor
        lane.waiters.extend(loop.create_future() for _ in range(100))
        assert lane.retry_after(2) == MAX_RETRY_AFTER  # nor above the cap
    finally:
        loop.close()
    assert Lane("heavy", 0, mean_hold=5.0).retry_after(3) == 3  # no slots: nothing to estimate


def test_a_released_slot_goes_to_the_first_waiter_in_line() -> None:
    async def scenario() -> tuple[list[str], int]:
        lane = Lane("heavy", 1)
        assert await lane.acquire(0)
        order: list[str] = []

        async def wait(name: str) -> None:
            if await lane.acquire(30):
                order.append(name)

        first = asyncio.create_task(wait("first"))
        await asyncio.sleep(0)  # let "first" queue up before "second"
        second = asyncio.create_task(wait("second"))
        await asyncio.sleep(0)
        lane.release()  # handed to "first"; the busy count stays 1
        await first
        lane.release()  # "first" is done: handed to "second"
        await second
        lane.release()
        return order, lane.busy

    assert run(scenario()) == (["first", "second"], 0)


def test_a_waiter_that_times_out_leaves_the_queue() -> None:
    async def scenario() -> tuple[bool, int, int]:
        lane = Lane("heavy", 1)
        assert await lane.acquire(0)
        admitted = await lane.acquire(0.01)
        waiting = len(lane.waiters)
        lane.release()
        return admitted, waiting, lane.busy

    assert run(scenario()) == (False, 0, 0)


def test_a_cancelled_waiter_passes_a_slot_it_was_handed_to_the_next() -> None:
    async def scenario() -> tuple[bool, int]:
        lane = Lane("heavy", 1)
        assert await lane.acquire(0)
        gone = asyncio.create_task(lane.acquire(30))
        await asyncio.sleep(0)
        later = asyncio.create_task(lane.acquire(30))
        await asyncio.sleep(0)
        lane.release()  # the slot is handed to ``gone`` …
        gone.cancel()  # … whose client went away before it ran
        with pytest.raises(asyncio.CancelledError):
            await gone
        ok = await later
        lane.release()
        return ok, lane.busy

    assert run(scenario()) == (True, 0)


# --- In-process, with overridden settings ------------------------------------------------------------


@pytest.fixture
def settings_of(client: TestClient) -> Iterator[object]:
    """Serve the app with ``Settings(**kwargs)`` for the rest of the test."""

    def use(**kwargs: object) -> None:
        client.app.dependency_overrides[get_settings] = lambda: Settings(**kwargs)

    yield use
    client.app.dependency_overrides.pop(get_settings, None)


def test_a_full_heavy_lane_answers_503_with_retry_after(client: TestClient, settings_of: object) -> None:
    settings_of(admission_heavy_slots=0, admission_wait_seconds=0, admission_retry_after_seconds=7)  # type: ignore[operator]
    for path, body in (
        ("/api/trajectories", HEAVY),
        ("/api/trajectories/stream", HEAVY),
        ("/api/sweeps/lr", SWEEP),
        ("/api/sweeps/start-map", {"surface": "himmelblau", "steps": 500, "n": 60, "run": {"optimizer": "sgd"}}),
    ):
        r = client.post(path, json=body)
        assert r.status_code == 503, path
        assert r.headers["retry-after"] == "7"
        [item] = r.json()["detail"]
        assert item["code"] == BUSY_CODE and item["loc"] == []
        assert item["params"] == {"lane": "heavy", "slots": 0, "wait": 0.0, "retry_after": 7}
        assert "try again in 7 s" in item["msg"]
    korean = client.post("/api/trajectories", json=HEAVY, headers={"Accept-Language": "ko-KR"})
    assert (
        korean.json()["detail"][0]["msg"]
        == "서버가 다른 실행으로 바쁩니다 (자리 0개가 모두 사용 중). 7초 후에 다시 시도하세요"
    )


def test_light_requests_pass_while_the_heavy_lane_is_full(client: TestClient, settings_of: object) -> None:
    settings_of(admission_enabled=False)  # type: ignore[operator]
    reference = client.post("/api/trajectories", json=TEXTBOOK)
    settings_of(admission_heavy_slots=0, admission_wait_seconds=0)  # type: ignore[operator]
    r = client.post("/api/trajectories", json=TEXTBOOK)
    assert r.status_code == 200 and r.json() == reference.json()
    curvature = client.post("/api/curvature", json={"surface": "book_bowl", "points": [[1.0, 2.0]] * 200})
    assert curvature.status_code == 200
    # f = x²/20 + y²: the Hessian is diag(1/10, 2) everywhere.
    assert curvature.json()["points"][0]["eigenvalues"] == pytest.approx([0.1, 2.0])


def test_budget_errors_come_before_admission(client: TestClient, settings_of: object) -> None:
    settings_of(admission_heavy_slots=0, admission_wait_seconds=0)  # type: ignore[operator]
    r = client.post("/api/trajectories", json={**HEAVY, "steps": 20_000, "runs": HEAVY["runs"] * 4})
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "budget.exceeded"


def _sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/trajectories", HEAVY),
        ("/api/trajectories", {**HEAVY, "surface": "custom", "expression": "x^2 + 3*y^2 - x*y"}),
        ("/api/sweeps/lr", SWEEP),
        ("/api/sweeps/start-map", {"surface": "himmelblau", "steps": 500, "n": 60, "run": {"optimizer": "sgd"}}),
    ],
)
def test_a_worker_process_answers_exactly_what_a_thread_answers(
    client: TestClient, settings_of: object, path: str, body: dict[str, object]
) -> None:
    settings_of(admission_enabled=False)  # type: ignore[operator]
    reference = client.post(path, json=body)
    settings_of()  # type: ignore[operator]  # defaults: heavy requests go to a worker process
    r = client.post(path, json=body)
    assert reference.status_code == r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == reference.json()


def test_a_streamed_run_from_a_worker_equals_the_thread_stream(client: TestClient, settings_of: object) -> None:
    body = {**HEAVY, "steps": 3000, "record_state": False}
    settings_of(admission_enabled=False)  # type: ignore[operator]
    reference = _sse(client.post("/api/trajectories/stream", json=body).text)
    settings_of()  # type: ignore[operator]
    events = _sse(client.post("/api/trajectories/stream", json=body).text)
    assert [name for name, _ in events][:2] == ["meta", "chunk"] and events[-1][0] == "done"
    assert events == reference


def test_an_input_error_raised_in_a_worker_is_a_422(client: TestClient, settings_of: object) -> None:
    settings_of()  # type: ignore[operator]
    body = {**SWEEP}
    body["runs"] = [{"optimizer": "sgd", "params": {"foo": 1}}] * 2
    r = client.post("/api/sweeps/lr", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["code"] == "optimizer.unknown_param"


# --- A real server with one heavy slot -----------------------------------------------------------------

WAIT = 0.5
RETRY_AFTER = 3


@pytest.fixture(scope="module")
def one_slot_server() -> Iterator[str]:
    settings = {
        "PLAYGROUND_ADMISSION_HEAVY_SLOTS": "1",
        "PLAYGROUND_ADMISSION_WAIT_SECONDS": str(WAIT),
        "PLAYGROUND_ADMISSION_RETRY_AFTER_SECONDS": str(RETRY_AFTER),
    }
    with serve_subprocess(settings) as url:
        yield url


@pytest.mark.slow
def test_a_second_heavy_request_gets_503_while_health_and_light_requests_are_answered(one_slot_server: str) -> None:
    statuses: list[int] = []
    with httpx.Client(base_url=one_slot_server, timeout=120) as http:
        with http.stream("POST", "/api/trajectories/stream", json=LONG_STREAM) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            assert next(lines) == "event: meta"  # the long run holds the only heavy slot now

            t0 = time.monotonic()
            busy = http.post("/api/trajectories", json=HEAVY)
            waited = time.monotonic() - t0
            statuses.append(busy.status_code)
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == str(RETRY_AFTER)
            [item] = busy.json()["detail"]
            assert item["code"] == BUSY_CODE and item["params"]["retry_after"] == RETRY_AFTER
            assert waited >= WAIT  # it waited for a slot before giving up

            health = http.get("/api/health")
            statuses.append(health.status_code)
            assert health.json() == {"status": "ok"}
            light = http.post("/api/trajectories", json=TEXTBOOK)
            statuses.append(light.status_code)
            assert light.status_code == 200 and len(light.json()["runs"]) == 4
            assert next(lines).startswith(("id:", "data:", "event:", ""))  # still streaming

        # The stream was closed: its worker stops after its current chunk and the slot frees.
        deadline = time.monotonic() + 120
        while True:
            r = http.post("/api/trajectories", json=HEAVY)
            statuses.append(r.status_code)
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            assert r.status_code == 503
            time.sleep(float(r.headers["retry-after"]))  # as the page does
        assert r.status_code == 200 and [run["optimizer"] for run in r.json()["runs"]] == ["adam", "momentum"]
    assert 500 not in statuses

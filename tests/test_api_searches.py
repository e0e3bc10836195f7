"""``/api/searches``: start, follow (SSE, resumable), ranked trials, narrow, cancel, bounds and bad input."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.routers.searches import get_searches
from app.config import Settings, get_settings
from app.searches.executors import TrialExecutor, process_pool
from app.searches.manager import SearchManager

SMALL: dict[str, Any] = {"trials": 4, "epochs": 2, "subset": 200, "seed": 1}


@pytest.fixture(scope="module")
def pool() -> Iterator[TrialExecutor]:
    executor = process_pool(2)
    yield executor
    executor.shutdown()


@pytest.fixture
def api(client: TestClient, pool: TrialExecutor) -> Iterator[TestClient]:
    manager = SearchManager(Settings(), executor=lambda _: pool, store=lambda _: None)
    client.app.dependency_overrides[get_searches] = lambda: manager  # type: ignore[attr-defined]
    yield client
    manager.shutdown()
    client.app.dependency_overrides.pop(get_searches, None)  # type: ignore[attr-defined]


def wait_done(api: TestClient, search_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = api.get(f"/api/searches/{search_id}").json()
        if body["status"] in ("done", "cancelled", "error"):
            return body
        time.sleep(0.1)
    raise AssertionError("search did not finish")


def sse_events(text: str) -> list[tuple[int, str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return out


def test_catalogue_serves_knobs_defaults_and_limits(api: TestClient) -> None:
    body = api.get("/api/searches/catalogue").json()
    knobs = {k["knob"]: k for k in body["knobs"]}
    assert (knobs["lr"]["low"], knobs["lr"]["high"], knobs["lr"]["scale"]) == (1e-6, 1e-2, "log")
    assert (knobs["weight_decay"]["low"], knobs["weight_decay"]["high"]) == (1e-8, 1e-4)
    assert body["defaults"]["trials"] == 100 and body["defaults"]["subset"] == 500
    assert body["defaults"]["val_fraction"] == 0.2 and body["limits"]["max_search_trials"] == 1000


def test_search_runs_streams_and_ranks(api: TestClient) -> None:
    r = api.post("/api/searches", json=SMALL)
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["total"] == 4 and [a["knob"] for a in created["space"]] == ["lr", "weight_decay"]
    body = wait_done(api, created["id"])
    assert body["status"] == "done" and body["done"] == 4 and body["progress"] == 1.0
    accs = [t["val_acc"] for t in body["trials"]]
    assert accs == sorted(accs, reverse=True)
    for t in body["trials"]:
        assert 1e-6 <= t["values"]["lr"] <= 1e-2 and 1e-8 <= t["values"]["weight_decay"] <= 1e-4
        assert [p["epoch"] for p in t["epochs"]] == [1, 2]
    # SSE: status, 4 trials, done; resumable after any id
    stream = api.get(f"/api/searches/{created['id']}/events")
    events = sse_events(stream.text)
    names = [e[1] for e in events]
    assert names[0] == "status" and names.count("trial") == 4 and names[-1] == "done"
    assert events[-1][2]["summary"]["counts"] == {"done": 4}
    trial_events = [e for e in events if e[1] == "trial"]
    assert [e[2]["done"] for e in trial_events] == [1, 2, 3, 4]
    resumed = sse_events(api.get(f"/api/searches/{created['id']}/events", headers={"Last-Event-ID": "3"}).text)
    assert [e[0] for e in resumed] == [e[0] for e in events if e[0] > 3]
    last = events[-1][0]
    assert api.get(f"/api/searches/{created['id']}/events", headers={"Last-Event-ID": str(last)}).status_code == 204


def test_grid_search_uses_the_budget_and_narrow_starts_a_finer_search(api: TestClient) -> None:
    r = api.post("/api/searches", json={**SMALL, "method": "grid", "trials": 9})
    assert r.status_code == 202 and r.json()["total"] == 9
    first = wait_done(api, r.json()["id"])
    lrs = sorted({t["values"]["lr"] for t in first["trials"]})
    assert len(lrs) == 3 and math.isclose(lrs[0], 1e-6) and math.isclose(lrs[-1], 1e-2)
    n = api.post(f"/api/searches/{first['id']}/narrow", json={"best": 2})
    assert n.status_code == 202, n.text
    finer = n.json()
    assert finer["parent_id"] == first["id"] and finer["total"] == 9 and finer["narrowed_best"] == 2
    best = first["trials"][:2]
    for axis in finer["space"]:
        old = next(a for a in created_space() if a["knob"] == axis["knob"])
        assert old["low"] <= axis["low"] < axis["high"] <= old["high"]
        assert all(axis["low"] <= t["values"][axis["knob"]] <= axis["high"] for t in best)
    assert wait_done(api, finer["id"])["config"]["parent_id"] == first["id"]


def created_space() -> list[dict[str, Any]]:
    return [{"knob": "lr", "low": 1e-6, "high": 1e-2}, {"knob": "weight_decay", "low": 1e-8, "high": 1e-4}]


def test_cancel_stops_the_search(api: TestClient) -> None:
    r = api.post("/api/searches", json={"trials": 40, "epochs": 100})
    sid = r.json()["id"]
    deadline = time.monotonic() + 60
    while api.get(f"/api/searches/{sid}").json()["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    c = api.delete(f"/api/searches/{sid}")
    assert c.status_code == 200
    body = wait_done(api, sid, 30)
    assert body["status"] == "cancelled" and body["done"] <= 2
    assert all(t["status"] == "cancelled" for t in body["trials"])


@pytest.mark.parametrize(
    ("patch", "loc", "code"),
    [
        ({"space": [{"knob": "momentum"}]}, ["body", "space", "0", "knob"], "search.unknown_knob"),
        (
            {"space": [{"knob": "lr", "low": 1e-2, "high": 1e-4}]},
            ["body", "space", "0", "high"],
            "search.inverted_range",
        ),
        ({"space": [{"knob": "lr", "low": 1e-3, "high": 1e-3}]}, ["body", "space", "0", "high"], "search.empty_range"),
        (
            {"space": [{"knob": "lr", "low": 0, "high": 1e-2}]},
            ["body", "space", "0", "low"],
            "search.log_bound_not_positive",
        ),
        ({"space": [{"knob": "lr", "lo": 1}]}, ["body", "space", 0, "lo"], "pydantic.extra_forbidden"),
        ({"trials": 5000}, ["body", "trials"], "limit.exceeded"),
        ({"epochs": 101}, ["body", "epochs"], "limit.exceeded"),
        ({"parallelism": 99}, ["body", "parallelism"], "limit.exceeded"),
        ({"subset": 5000}, ["body", "subset"], "search.subset_too_large"),
        ({"trials": 1000, "epochs": 100}, ["body", "trials"], "limit.exceeded"),
        ({"method": "bayes"}, ["body", "method"], "pydantic.literal_error"),
        ({"val_fraction": 0}, ["body", "val_fraction"], "pydantic.greater_than"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api: TestClient, patch: dict[str, Any], loc: list[Any], code: str) -> None:
    r = api.post("/api/searches", json={**SMALL, **patch})
    assert r.status_code == 422, r.text
    item = r.json()["detail"][0]
    assert item["loc"] == loc and item["code"] == code, item
    if code == "limit.exceeded":
        assert item["params"]["setting"] in (
            "max_search_trials",
            "max_search_epochs",
            "max_search_parallelism",
            "max_search_bytes",
        )


def test_korean_message_and_unknown_ids(api: TestClient) -> None:
    r = api.post(
        "/api/searches", json={"space": [{"knob": "lr", "low": 1e-2, "high": 1e-4}]}, headers={"Accept-Language": "ko"}
    )
    assert "뒤집혔습니다" in r.json()["detail"][0]["msg"]
    assert api.get("/api/searches/s-000000000000").status_code == 404
    assert api.delete("/api/searches/s-000000000000").status_code == 404
    assert api.post("/api/searches/s-000000000000/narrow").status_code == 404


def test_limits_follow_the_settings(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    api.app.dependency_overrides[get_settings] = lambda: Settings(max_search_trials=3)  # type: ignore[attr-defined]
    try:
        monkeypatch.setenv("PLAYGROUND_MAX_SEARCH_TRIALS", "3")
        get_settings.cache_clear()
        r = api.post("/api/searches", json={**SMALL, "trials": 4})
        assert r.status_code == 422 and r.json()["detail"][0]["params"]["limit"] == 3
    finally:
        api.app.dependency_overrides.pop(get_settings, None)  # type: ignore[attr-defined]
        monkeypatch.delenv("PLAYGROUND_MAX_SEARCH_TRIALS")
        get_settings.cache_clear()

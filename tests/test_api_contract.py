"""The Optimizer Lab's API contract as OpenAPI states it, held against what the server sends.

The routers build their responses with ``model_construct`` (no validation at run time, for
speed), so these tests validate real responses against the declared models in full; they also
check the documented status codes, the SSE event schemas, the JSON-error statuses and the
request-body limit.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from app.api.schemas.curvature import CurvatureResponse, LrSuggestionResponse
from app.api.schemas.lab_results import (
    LrSweepResponse,
    StartMapResponse,
    StreamChunk,
    StreamDone,
    StreamMeta,
    TrajectoryResponse,
    TrajectoryRun,
)
from app.api.schemas.optimizers import OptimizerInfo, ScheduleInfo
from app.config import get_settings

COURSE = {"surface": "course_quadratic", "start": [-5, 4], "steps": 30}
"""The course's J(θ) = θ₁² + 2θ₂² + θ₁θ₂ − ... from (−5, 4); see docs/surfaces.md."""

EVENT_MODELS: dict[str, type[BaseModel]] = {"meta": StreamMeta, "chunk": StreamChunk, "done": StreamDone}


def _sse(text: str) -> list[dict[str, Any]]:
    """The events of an SSE body as ``{"event", "id", "data"}`` with ``data`` parsed."""
    events = []
    for block in text.strip().split("\n\n"):
        event: dict[str, Any] = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            event[key] = json.loads(value) if key == "data" else value
        events.append(event)
    return events


def _strict(model: type[BaseModel], data: Any) -> BaseModel:
    """``data`` validated against ``model`` with no coercion (an int must not pass for a bool …)."""
    return model.model_validate(data, strict=True)


# --- responses equal their declared models ------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {**COURSE, "runs": [{"optimizer": o} for o in ("sgd", "adam", "lbfgs", "newton", "adagrad", "amsgrad")]},
        {**COURSE, "steps": 200, "runs": [{"optimizer": "sgd", "params": {"lr": 0.9}}]},  # diverges
        {"surface": "saddle", "start": [1, 0.1], "steps": 20, "runs": [{"optimizer": "momentum"}]},  # no minima
        {"surface": None, "expression": "x^2 + 3*y^2", "start": [1, 1], "steps": 3, "runs": [{"optimizer": "sgd"}]},
    ],
)
def test_trajectory_responses_validate_against_their_model(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/trajectories", json=body)
    assert r.status_code == 200
    data = r.json()
    parsed = _strict(TrajectoryResponse, data)
    assert isinstance(parsed, TrajectoryResponse)
    # Nothing beyond the model is sent, and `distance` is absent (not null) without known minima.
    allowed = set(TrajectoryRun.model_fields)
    for run in data["runs"]:
        assert set(run) <= allowed
        assert ("distance" in run) == (body.get("surface") != "saddle")
    lbfgs = next((run for run in data["runs"] if run["optimizer"] == "lbfgs"), None)
    if lbfgs is not None:  # integer hyperparameters stay integers
        assert isinstance(lbfgs["params"]["memory"], int)


def test_stream_events_validate_against_their_models(client: TestClient) -> None:
    body = {**COURSE, "steps": 2500, "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}}, {"optimizer": "adam"}]}
    events = _sse(client.post("/api/trajectories/stream", json=body).text)
    assert [e["event"] for e in events][:1] == ["meta"] and events[-1]["event"] == "done"
    for event in events:
        _strict(EVENT_MODELS[event["event"]], event["data"])
    chunks = [e["data"] for e in events if e["event"] == "chunk"]
    # 2,501 positions per run in chunks of ≤ 1,001: "from" numbers them without gaps.
    for run in (0, 1):
        starts = [c["from"] for c in chunks if c["run"] == run]
        sizes = [len(c["path"]) for c in chunks if c["run"] == run]
        assert starts == [sum(sizes[:k]) for k in range(len(sizes))] and sum(sizes) == 2501


def test_sweep_and_catalogue_responses_validate(client: TestClient) -> None:
    lr = client.post(
        "/api/sweeps/lr", json={**COURSE, "runs": [{"optimizer": "sgd"}], "lr_min": 0.01, "lr_max": 1, "n": 9}
    )
    _strict(LrSweepResponse, lr.json())
    body = {"surface": "himmelblau", "run": {"optimizer": "sgd", "params": {"lr": 0.01}}, "steps": 50, "n": 6}
    _strict(StartMapResponse, client.post("/api/sweeps/start-map", json=body).json())
    saddle = {"surface": "saddle", "run": {"optimizer": "sgd"}, "steps": 10, "n": 4}
    data = client.post("/api/sweeps/start-map", json=saddle).json()
    assert _strict(StartMapResponse, data) and data["distance_to_min"] is None
    TypeAdapter(list[OptimizerInfo]).validate_python(client.get("/api/optimizers").json(), strict=True)
    TypeAdapter(list[ScheduleInfo]).validate_python(client.get("/api/schedules").json(), strict=True)


def test_non_finite_numbers_are_null_even_past_the_engine() -> None:
    # The engine's clean() turns NaN into None; a NaN that skipped it is still written as null.
    run = TrajectoryRun.model_construct(final_loss=math.nan, loss=[1.0, math.inf, -math.inf])
    assert json.loads(run.model_dump_json(include={"final_loss", "loss"})) == {
        "final_loss": None,
        "loss": [1.0, None, None],
    }


# --- OpenAPI -------------------------------------------------------------------------------------


def _spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


@pytest.mark.parametrize(
    ("method", "path", "model", "errors"),
    [
        ("get", "/api/health", "Health", set()),
        ("get", "/api/limits", "Limits", set()),
        ("get", "/api/optimizers", "OptimizerInfo", set()),
        ("get", "/api/schedules", "ScheduleInfo", {"422"}),  # ?steps= (issue 7) can be out of range
        ("get", "/api/surfaces", "SurfaceInfo", set()),
        ("get", "/api/surfaces/{id}", "SurfaceInfo", {"404", "422"}),
        ("get", "/api/surfaces/{id}/grid", "SurfaceGridOut", {"404", "422"}),
        ("post", "/api/expressions/validate", "ExpressionOut", {"400", "413", "422"}),
        ("post", "/api/trajectories", "TrajectoryResponse", {"400", "413", "422", "503"}),
        ("post", "/api/sweeps/lr", "LrSweepResponse", {"400", "413", "422", "503"}),
        ("post", "/api/sweeps/start-map", "StartMapResponse", {"400", "413", "422", "503"}),
        ("post", "/api/curvature", "CurvatureResponse", {"400", "413", "422", "503"}),
        ("post", "/api/lr-suggestion", "LrSuggestionResponse", {"400", "413", "422"}),
    ],
)
def test_each_operation_documents_its_shape_and_statuses(
    client: TestClient, method: str, path: str, model: str, errors: set[str]
) -> None:
    operation = _spec(client)["paths"][path][method]
    responses = operation["responses"]
    assert set(responses) == {"200", *errors}
    assert model in json.dumps(responses["200"]["content"]["application/json"]["schema"])
    for code in errors:  # every error documents the one error shape, not FastAPI's default
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }


def test_the_stream_documents_each_event(client: TestClient) -> None:
    operation = _spec(client)["paths"]["/api/trajectories/stream"]["post"]
    assert set(operation["responses"]) == {"200", "400", "413", "422", "503"}
    content = operation["responses"]["200"]["content"]["text/event-stream"]
    items = content["itemSchema"]["oneOf"]
    assert [item["properties"]["event"]["const"] for item in items] == ["meta", "chunk", "done"]
    chunk = items[1]["properties"]["data"]["contentSchema"]
    assert set(chunk["required"]) == {"run", "from", "path", "loss"}
    assert "$ref" not in json.dumps(items)  # self-contained: nothing points at a missing definition
    # The documented example stream is itself valid: each event's data fits its model.
    example = _sse(content["example"])
    assert [e["event"] for e in example] == ["meta", "chunk", "done"] and [e["id"] for e in example] == ["0", "1", "2"]
    for event in example:
        _strict(EVENT_MODELS[event["event"]], event["data"])


# --- JSON that cannot be read, and bodies over the limit ----------------------------------------


def test_malformed_json_is_a_422_naming_the_offset(client: TestClient) -> None:
    # FastAPI's own answer (kept; docs/API.md says so): 422, type json_invalid, loc [body, offset].
    raw = b'{"expression": '
    r = client.post("/api/expressions/validate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["type"] == "json_invalid" and item["loc"] == ["body", len(raw)]


def test_json_that_cannot_be_decoded_is_a_400(client: TestClient) -> None:
    raw = b'{"expression": "\xff"}'  # not UTF-8
    r = client.post("/api/expressions/validate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    item = r.json()["detail"][0] | {"msg": ""}
    assert item == {"type": "json_invalid", "loc": ["body"], "msg": "", "code": "http.400", "params": {}}


def test_a_streamed_oversized_body_is_counted_by_the_framework(client: TestClient) -> None:
    # Our only body-limit middleware checks the declared Content-Length; a body sent without one
    # passes it and is counted by FastAPI's max_body_size, whose 413 the error handler rephrases.
    # (The other middleware never reads the body: host allow-list, security headers, gzip, and the
    # quiet handling of clients that leave an event stream, the Server-Timing header.)
    from starlette.middleware.gzip import GZipMiddleware

    from app.api.body_limit import DeclaredBodyLimit
    from app.api.middleware.hosts import AllowedHosts
    from app.api.middleware.security_headers import SecurityHeaders
    from app.api.middleware.server_timing import ServerTiming
    from app.api.middleware.stream_disconnects import QuietStreamDisconnects

    transfer = (AllowedHosts, SecurityHeaders, GZipMiddleware, QuietStreamDisconnects, ServerTiming)
    assert [m.cls for m in client.app.user_middleware if m.cls not in transfer] == [DeclaredBodyLimit]
    limit = get_settings().max_body_bytes
    chunks = iter([b'{"expression": "', b"x" * limit, b'"}'])
    r = client.post("/api/expressions/validate", content=chunks, headers={"content-type": "application/json"})
    assert r.status_code == 413
    item = r.json()["detail"][0]
    assert item["type"] == "body_too_large" and f"exceeds {limit} bytes" in item["msg"]
    assert item["ctx"] == {"limit": limit, "env": "PLAYGROUND_MAX_BODY_BYTES"}


def test_a_declared_oversized_body_is_refused_unread_in_the_contract_shape(client: TestClient) -> None:
    limit = get_settings().max_body_bytes
    for method, url in (("GET", "/api/health"), ("POST", "/api/trajectories"), ("POST", "/api/no-such-thing")):
        r = client.request(method, url, content=b"x" * (limit + 1))
        assert r.status_code == 413, (url, r.text)
        item = r.json()["detail"][0]
        assert item["type"] == "body_too_large" and item["loc"] == ["body"]
        assert f"is {limit + 1} bytes" in item["msg"] and f"limit is {limit} bytes" in item["msg"]


# --- one settings dependency -------------------------------------------------------------------


def test_no_router_reads_the_settings_directly() -> None:
    from pathlib import Path

    routers = Path(__file__).resolve().parents[1] / "app" / "api" / "routers"
    for name in ("health", "limits", "optimizers", "surfaces", "sweeps", "trajectories"):
        source = (routers / f"{name}.py").read_text(encoding="utf-8")
        assert "get_settings" not in source, name


def test_curvature_and_suggestion_responses_validate(client: TestClient) -> None:
    body = {"surface": "rosenbrock", "points": [[-1.5, 2], [1, 1]]}
    _strict(CurvatureResponse, client.post("/api/curvature", json=body).json())
    for optimizer in ("sgd", "adam", "lbfgs", "adadelta"):
        body = {"surface": "rosenbrock", "start": [-1.5, 2], "steps": 30, "optimizer": optimizer}
        _strict(LrSuggestionResponse, client.post("/api/lr-suggestion", json=body).json())
    TypeAdapter(list[ScheduleInfo]).validate_python(client.get("/api/schedules?steps=30").json(), strict=True)

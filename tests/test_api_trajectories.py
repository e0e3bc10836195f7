"""The Optimizer Lab's REST API: trajectories, streaming, sweeps, catalogues, errors."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

COURSE = {
    "surface": "course_quadratic",
    "start": [-5, 4],
    "steps": 30,
    "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}}],
}


def strict_json(text: str) -> object:
    """Parse JSON, refusing NaN/Infinity (which real JSON does not have)."""

    def reject(name: str) -> None:
        raise ValueError(f"non-JSON constant {name}")

    return json.loads(text, parse_constant=reject)


def test_health(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_catalogues(client: TestClient) -> None:
    opts = {o["id"]: o for o in client.get("/api/optimizers").json()}
    assert len(opts) >= 12 and opts["adam"]["hyperparams"][1] == {
        "name": "beta1", "default": 0.9, "min": 0.0, "max": 0.9999, "log": False, "integer": False,
        "description": {"en": "first-moment decay β₁", "ko": "1차 모멘트 감쇠율 β₁"},
    }  # fmt: skip
    assert opts["newton"]["mlp"] is False and opts["adagrad"]["state_keys"] == ["h", "eff_lr"]
    assert [s["id"] for s in client.get("/api/schedules").json()][:3] == ["constant", "piecewise", "exponential"]


def test_course_trajectory(client: TestClient) -> None:
    res = client.post("/api/trajectories", json=COURSE)
    assert res.status_code == 200
    run = strict_json(res.text)["runs"][0]
    assert len(run["path"]) == 31 and len(run["loss"]) == 31 and len(run["update"]) == 30 and len(run["lr"]) == 30
    assert run["path"][1] == pytest.approx([-3.6, 1.9]) and run["path"][2] == pytest.approx([-2.69, 0.78])
    assert run["path"][30] == pytest.approx([-0.0161, -0.00665], rel=2e-2)
    assert run["diverged"] is False and run["diverged_at"] is None
    assert run["nearest_min"] == [0, 0] and run["distance_to_min"] < 0.02
    assert run["params"] == {"lr": 0.1, "weight_decay": 0.0}


def test_diverging_run_is_valid_json(client: TestClient) -> None:
    body = {**COURSE, "steps": 2000, "runs": [{"optimizer": "sgd", "params": {"lr": 0.9}}]}
    res = client.post("/api/trajectories", json=body)
    assert res.status_code == 200
    run = strict_json(res.text)["runs"][0]
    assert run["diverged"] is True and isinstance(run["diverged_at"], int)
    assert len(run["path"]) == run["diverged_at"] and all(v is not None for p in run["path"] for v in p)


def test_custom_expression_run(client: TestClient) -> None:
    body = {
        "surface": None,
        "expression": "x^2 + 3*y^2",
        "start": [1, 1],
        "steps": 2,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}}],
    }
    run = client.post("/api/trajectories", json=body).json()["runs"][0]
    # ∇f = (2x, 6y): (1, 1) → (0.8, 0.4) → (0.64, 0.16)
    assert run["path"][2] == pytest.approx([0.64, 0.16])


def test_state_for_the_inspector(client: TestClient) -> None:
    body = {**COURSE, "steps": 3, "runs": [{"optimizer": "adagrad", "params": {"lr": 0.5}}]}
    run = client.post("/api/trajectories", json=body).json()["runs"][0]
    g0 = run["grad"][0]  # (2·−5 − 4, 4·4 + 5) = (−14, 21)
    assert g0 == pytest.approx([-14, 21])
    assert run["state"]["h"][0] == pytest.approx([196, 441])
    assert run["state"]["eff_lr"][0] == pytest.approx([0.5 / 14, 0.5 / 21], rel=1e-6)


def parse_sse(text: str) -> list[dict[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        ev: dict[str, object] = {}
        for line in block.splitlines():
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            ev[key] = strict_json(value) if key == "data" else value
        if ev:
            events.append(ev)
    return events


def test_stream_equals_whole_response(client: TestClient) -> None:
    runs = [{"optimizer": "adam", "params": {"lr": 0.01}}, {"optimizer": "sgd", "params": {"lr": 0.1}}]
    body = {"surface": "rosenbrock", "start": [-1.5, 2], "steps": 2500, "runs": runs}
    whole = client.post("/api/trajectories", json=body).json()["runs"]
    res = client.post("/api/trajectories/stream", json=body)
    assert res.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(res.text)
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(set(ids))
    assert events[0]["event"] == "meta" and events[-1]["event"] == "done"
    for i, run in enumerate(whole):
        chunks = [e["data"] for e in events if e["event"] == "chunk" and e["data"]["run"] == i]
        assert all(len(c["path"]) <= 1001 for c in chunks)
        path = [p for c in chunks for p in c["path"]]
        assert path == run["path"]
        assert events[-1]["data"]["runs"][i]["diverged"] == run["diverged"]
    assert whole[1]["diverged"] is True  # sgd with lr 0.1 blows up on Rosenbrock


def test_lr_sweep(client: TestClient) -> None:
    body = {
        "surface": "course_quadratic",
        "start": [-5, 4],
        "steps": 100,
        "runs": [{"optimizer": "sgd"}],
        "lr_min": 0.01,
        "lr_max": 1,
        "n": 21,
    }
    res = client.post("/api/sweeps/lr", json=body)
    data = strict_json(res.text)
    assert len(data["lrs"]) == 21 and data["gd_threshold"] == pytest.approx(0.4531, abs=1e-4)
    r = data["results"][0]
    for lr, loss, div in zip(data["lrs"], r["final_loss"], r["diverged"], strict=True):
        if lr < 0.4:
            assert not div and loss < 1.0
        if lr > 0.5:
            assert div or loss > 1e3


def test_start_map(client: TestClient) -> None:
    body = {"surface": "himmelblau", "run": {"optimizer": "sgd", "params": {"lr": 0.01}}, "steps": 300, "n": 20}
    data = strict_json(client.post("/api/sweeps/start-map", json=body).text)
    assert len(data["x"]) == 20 and len(data["final_loss"]) == 20 and len(data["final_loss"][0]) == 20
    assert max(d for row in data["distance_to_min"] for d in row if d is not None) < 1e-2


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"steps": 10**7}, ["body", "steps"]),
        ({"steps": 0}, ["body", "steps"]),
        ({"start": [1]}, ["body", "start"]),
        ({"runs": []}, ["body", "runs"]),
        ({"runs": [{"optimizer": "sgd"}] * 100}, ["body", "runs"]),
        ({"runs": [{"optimizer": "magic"}]}, ["body", "runs", "0", "optimizer"]),
        ({"runs": [{"optimizer": "sgd", "params": {"lr": -1}}]}, ["body", "runs", "0", "params", "lr"]),
        ({"runs": [{"optimizer": "sgd", "params": {"beta9": 1}}]}, ["body", "runs", "0", "params", "beta9"]),
        ({"runs": [{"optimizer": "sgd", "schedule": {"type": "nope"}}]}, ["body", "runs", "0", "schedule", "type"]),
        ({"runs": [{"optimizer": "sgd", "clip": {"mode": "norm", "max": 0}}]}, ["body", "runs", 0, "clip", "max"]),
        ({"surface": "nope"}, ["body", "surface"]),
        ({"surface_params": {"a": 1e9}}, None),
        ({"bogus": 1}, ["body", "bogus"]),
    ],
)
def test_bad_input_is_a_clear_422(client: TestClient, patch: dict, loc: list | None) -> None:
    res = client.post("/api/trajectories", json={**COURSE, **patch})
    assert res.status_code in (404, 422), res.text
    detail = res.json()["detail"]
    if loc is not None:
        assert [str(x) for x in detail[0]["loc"]][: len(loc)] == [str(x) for x in loc], detail
    assert detail[0]["msg"]


def test_nan_in_body_is_rejected(client: TestClient) -> None:
    res = client.post(
        "/api/trajectories",
        content='{"surface": "book_bowl", "start": [NaN, 1], "steps": 3, "runs": [{"optimizer": "sgd"}]}',
        headers={"content-type": "application/json"},
    )
    assert res.status_code == 422


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/trajectories",
        "/api/trajectories/stream",
        "/api/sweeps/lr",
        "/api/sweeps/start-map",
        "/api/optimizers",
        "/api/schedules",
    ):
        assert path in spec["paths"], path
        for op in spec["paths"][path].values():
            assert op.get("summary") or op.get("description"), path


def test_api_docs_and_plotly_are_served_locally(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "cdn" not in html.lower() and "/vendor/swagger-ui/swagger-ui-bundle.js" in html
    for path in (
        "/vendor/swagger-ui/swagger-ui-bundle.js",
        "/vendor/swagger-ui/swagger-ui.css",
        "/vendor/plotly.min.js",
    ):
        res = client.get(path)
        assert res.status_code == 200 and len(res.content) > 10_000, path


def test_long_races_are_refused_whole_but_allowed_streamed(client: TestClient) -> None:
    # 12 optimizers × 10,000 steps exceeds the ~2 s budget of a whole response, and the error says
    # how to get it: streaming, whose larger budget fits it.
    runs = [{"optimizer": o} for o in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
                                       "adamw", "nadam", "amsgrad", "adadelta", "newton", "lbfgs")]  # fmt: skip
    body = {"surface": "rosenbrock", "start": [-1.5, 2], "steps": 10_000, "runs": runs}
    res = client.post("/api/trajectories", json=body)
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"][-1] == "steps" and "stream" in res.json()["detail"][0]["msg"]
    res = client.post("/api/trajectories/stream", json={**body, "steps": 3000, "runs": runs[:2]})
    assert res.status_code == 200 and parse_sse(res.text)[-1]["event"] == "done"


@pytest.mark.parametrize("path", ["/api/trajectories", "/api/sweeps/lr"])
def test_a_builtin_surface_with_an_expression_is_a_422_naming_both(client: TestClient, path: str) -> None:
    # docs/API.md: a built-in id together with an expression is refused, not silently replaced.
    body = {**COURSE, "surface": "book_bowl", "expression": "x^2"}
    r = client.post(path, json=body)
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["loc"] == ["body", "expression"] and "surface" in item["msg"] and "custom" in item["msg"]
    # Without the id (or with null / "custom") the expression is the surface.
    for surface in ({}, {"surface": None}, {"surface": "custom"}):
        body = {**{k: v for k, v in COURSE.items() if k != "surface"}, **surface, "expression": "x^2 + y^2"}
        assert client.post("/api/trajectories", json=body).status_code == 200, surface

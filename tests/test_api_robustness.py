"""The REST API against bad and hostile input: a clear 4xx naming the field and the limit, never a
500 or a hang, never NaN/Infinity in JSON, and diverging runs reported as diverged.

Each ``test_bug_*`` pins one bug found by fuzzing the OpenAPI spec (schemathesis) and hostile
hand-written requests; the parametrised test at the end throws a set of hostile bodies at every
POST endpoint.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from app.core.lab2d.cost import FIXED_POINTS, update_cost
from app.core.lab2d.surfaces import get_surface
from app.jobs.events import EventLog

BIG_EXPRESSION = "+".join(f"sin(x*y+{i})^2*cos(x-y)" for i in range(20))[:500]
"""A long but legal f(x, y) (449 characters; its gradient trees have ~440 nodes each)."""


def _strict_json(text: str) -> Any:
    """Parse JSON, failing on the non-standard NaN / Infinity / -Infinity tokens."""

    def reject(token: str) -> Any:
        raise AssertionError(f"non-finite number {token} in JSON")

    return json.loads(text, parse_constant=reject)


def _detail(response: Any) -> dict[str, Any]:
    """The first error item, after checking the contract's error shape."""
    body = _strict_json(response.text)
    assert isinstance(body["detail"], list) and body["detail"], body
    item = body["detail"][0]
    assert isinstance(item["loc"], list) and item["loc"] and item["msg"], item
    return item


@pytest.fixture
def settings_override(client: TestClient) -> Iterator[Any]:
    """Call with keyword limits to serve them through the ``get_settings`` dependency."""

    def apply(**values: Any) -> None:
        client.app.dependency_overrides[get_settings] = lambda: Settings(**values)

    yield apply
    client.app.dependency_overrides.pop(get_settings, None)


def test_request_models_check_the_request_settings(client: TestClient, settings_override: Any) -> None:
    # The request models' limits come from the request's SettingsDep (app/api/deps.py), like the rest.
    body = {"surface": "course_quadratic", "start": [-5, 4], "steps": 6, "runs": [{"optimizer": "sgd"}] * 3}
    assert client.post("/api/trajectories", json=body).status_code == 200
    settings_override(max_steps=5, max_runs=2)
    r = client.post("/api/trajectories", json=body)
    assert r.status_code == 422
    locs = {tuple(item["loc"]): item["msg"] for item in r.json()["detail"]}
    assert "at most 5" in locs[("body", "steps")] and "at most 2" in locs[("body", "runs")]
    client.app.dependency_overrides.pop(get_settings)
    assert client.post("/api/trajectories", json=body).status_code == 200  # nothing lingers


# --- bugs found by fuzzing --------------------------------------------------------------------


def test_bug_grid_over_a_subnormal_window_is_not_a_500(client: TestClient) -> None:
    # Log levels use ε = 1e-4 · span; a window 1e-320 wide made ε underflow to 0 and
    # np.geomspace(0, …) raised → 500. Now the levels fall back to linear spacing.
    r = client.get("/api/surfaces/custom/grid", params={"expression": "x", "x_min": 0, "x_max": 1e-320, "n": 5})
    assert r.status_code == 200, r.text
    body = _strict_json(r.text)
    levels = body["levels"]
    assert levels and all(0 < v < 1e-320 for v in levels)
    assert levels == sorted(levels)


@pytest.mark.parametrize(
    ("schedule", "field", "fragment"),
    [
        ({"type": ["exponential"]}, "type", "must be a string"),  # was a 500: unhashable list
        ({"type": {"a": 1}}, "type", "must be a string"),
        ({"type": "exponential", "decay_steps": 10**400}, "decay_steps", "finite"),  # was a 500: OverflowError
        ({"type": "piecewise", "boundaries": [10**400], "values": [1, 2]}, "boundaries", "finite"),
        ({"type": "exponential", "staircase": "no"}, "staircase", "true or false"),  # was silently True
    ],
)
def test_bug_bad_schedule_objects_are_422_naming_the_parameter(
    client: TestClient, schedule: dict[str, Any], field: str, fragment: str
) -> None:
    body = {
        "surface": "course_quadratic",
        "start": [-5, 4],
        "steps": 3,
        "runs": [{"optimizer": "sgd", "schedule": schedule}],
    }
    r = client.post("/api/trajectories", json=body)
    assert r.status_code == 422, r.text
    d = _detail(r)
    assert d["loc"] == ["body", "runs", "0", "schedule", field] and fragment in d["msg"]
    # The Training Lab vets schedules with the same engine code.
    r = client.post("/api/jobs", json={"epochs": 1, "optimizer": {"optimizer": "sgd", "schedule": schedule}})
    assert r.status_code == 422 and _detail(r)["loc"] == ["body", "optimizer", "schedule", field]


def test_bug_huge_runs_list_fails_once_on_the_count(client: TestClient) -> None:
    # 100,000 empty runs used to be validated one by one: 100,000 "missing optimizer" errors,
    # an 8 MB response. The count is now checked first, and no 422 lists more than 21 items.
    for url, extra in (("/api/trajectories", {}), ("/api/sweeps/lr", {"n": 4})):
        r = client.post(url, json={"surface": "rosenbrock", "start": [0, 0], "runs": [{}] * 100_000, **extra})
        assert r.status_code == 422 and len(r.content) < 2_000
        d = _detail(r)
        assert d["loc"] == ["body", "runs"] and "PLAYGROUND_MAX_RUNS" in d["msg"]
    r = client.post(
        "/api/jobs",
        json={
            "model": {"hidden": [{}] * 5},
            "batch_size": [],
            "epochs": {},
            "seed": "x",
            "dataset": {"name": 1, "noise": "a", "seed": [], "classes": {}},
            "regularization": {"l1": "a", "l2": "b"},
            "telemetry": {"interval": "a", "bins": "b"},
            "optimizer": {"params": {str(i): "x" for i in range(30)}},
        },
    )
    assert r.status_code == 422 and len(_strict_json(r.text)["detail"]) <= 21


def test_bug_start_beyond_the_divergence_bound_is_422(client: TestClient) -> None:
    # A start outside ±divergence_bound came back as a "run" with empty path and loss arrays.
    body = {"surface": "course_quadratic", "start": [1e308, 1e308], "steps": 10, "runs": [{"optimizer": "sgd"}]}
    for url in ("/api/trajectories", "/api/trajectories/stream", "/api/sweeps/lr"):
        r = client.post(url, json=body)
        assert r.status_code == 422, (url, r.text)
        d = _detail(r)
        assert d["loc"] == ["body", "start"] and "PLAYGROUND_DIVERGENCE_BOUND" in d["msg"]


def test_bug_start_map_domain_is_bounded_like_grid_windows(client: TestClient) -> None:
    # x ∈ [−1e308, 1e308] overflowed np.linspace's spacing (inf/NaN starts, RuntimeWarnings).
    body = {
        "surface": "himmelblau",
        "run": {"optimizer": "sgd"},
        "steps": 5,
        "n": 5,
        "domain": {"x": [-1e308, 1e308], "y": [0, 1]},
    }
    r = client.post("/api/sweeps/start-map", json=body)
    assert r.status_code == 422
    d = _detail(r)
    assert d["loc"] == ["body", "domain"] and "1e+06" in d["msg"]


def test_bug_deeply_nested_json_is_a_4xx_naming_the_body(client: TestClient) -> None:
    # FastAPI answered {"detail": "There was an error parsing the body"}: a string, no field.
    raw = b'{"expression": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post("/api/expressions/validate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    d = _detail(r)
    assert d["loc"] == ["body"] and d["type"] == "json_invalid"


def test_bug_framework_errors_use_the_contract_shape(client: TestClient) -> None:
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404 and _detail(r)["loc"] == ["path"]
    r = client.delete("/api/trajectories")
    assert r.status_code == 405 and _detail(r)["loc"] == ["method"]


def test_bug_request_bodies_are_bounded(client: TestClient) -> None:
    # No body limit existed: a multi-gigabyte POST was buffered whole before validation.
    limit = get_settings().max_body_bytes
    declared = client.post("/api/expressions/validate", json={"expression": "x" * (limit + 10)})
    streamed = client.post(  # no Content-Length: counted as it arrives
        "/api/expressions/validate",
        content=iter([b'{"expression": "', b"x" * limit, b'"}']),
        headers={"content-type": "application/json"},
    )
    for r in (declared, streamed):
        assert r.status_code == 413, r.text
        d = _detail(r)
        assert d["loc"] == ["body"] and str(limit) in d["msg"] and "PLAYGROUND_MAX_BODY_BYTES" in d["msg"]


def test_bug_activation_experiment_size_is_bounded(client: TestClient, settings_override: Any) -> None:
    # 10,000 inputs through 10 layers of 512 units (each within its own limit) took ~9 s.
    r = client.post("/api/activations", json={"n_samples": 10_000, "n_features": 512, "width": 512, "layers": 10})
    assert r.status_code == 422
    d = _detail(r)
    assert d["loc"] == ["body", "n_samples"] and "51200000" in d["msg"]
    assert d["params"]["setting"] == "max_activation_values"  # issue 8 point 10: in params, not msg
    settings_override(max_activation_values=1_000)
    r = client.post("/api/activations", json={"n_samples": 100, "width": 5, "layers": 3})  # 1,500 values
    assert r.status_code == 422 and "1000" in _detail(r)["msg"]


def test_bug_event_log_is_bounded_in_bytes() -> None:
    # 2,000 kept frames of a 10×512 net with 200-bin histograms were ~250 MB per job.
    log = EventLog(max_events=2_000, max_bytes=20_000)
    payload = {"pad": "x" * 1_000}
    for step in range(200):
        log.append("metrics", {**payload, "step": step})
    log.append("epoch", {"step": 200})
    log.append("done", {"status": "done"})
    kept = log.after(0)
    assert sum(len(e.data_json) for e in kept) <= 20_000
    ids = [e.id for e in kept]
    assert ids == sorted(ids) and ids[0] == 1 and ids[-1] == 202  # first frame and the end are kept
    assert [e.event for e in kept[-2:]] == ["epoch", "done"]
    steps = [json.loads(e.data_json)["step"] for e in kept if e.event == "metrics"]
    assert len(steps) >= 5 and steps[-1] == 199  # thinned, but still spread to the newest frame


# --- the work budget (steps × points × cost per update) ---------------------------------------


def test_work_budget_refuses_oversized_requests_before_running(client: TestClient) -> None:
    # Each of these took 11 s to 13 min before; every one is refused in milliseconds.
    requests = [
        (
            "/api/trajectories",
            {"surface": "rosenbrock", "start": [-1, 1], "steps": 20_000, "runs": [{"optimizer": "adam"}] * 16},
        ),
        (
            "/api/trajectories/stream",
            {
                "surface": None,
                "expression": BIG_EXPRESSION,
                "start": [0, 0],
                "steps": 20_000,
                "runs": [{"optimizer": "lbfgs"}] * 16,
            },
        ),
        (
            "/api/sweeps/lr",
            {
                "surface": "rosenbrock",
                "start": [-1, 1],
                "steps": 2_000,
                "n": 200,
                "runs": [{"optimizer": "lbfgs"}] * 16,
            },
        ),
        ("/api/sweeps/start-map", {"surface": "rosenbrock", "run": {"optimizer": "newton"}, "steps": 2_000, "n": 200}),
    ]
    for url, body in requests:
        t0 = time.perf_counter()
        r = client.post(url, json=body)
        assert time.perf_counter() - t0 < 1.0
        assert r.status_code == 422, (url, r.text[:300])
        d = _detail(r)
        assert d["loc"] == ["body", "steps"] and re.search(r"PLAYGROUND_MAX_(STREAM_)?WORK", d["msg"])


def test_work_budget_counts_the_size_of_a_custom_expression(client: TestClient) -> None:
    body = {"start": [-1, 1], "steps": 2_000, "runs": [{"optimizer": "sgd"}], "record_state": False}
    assert client.post("/api/trajectories", json={**body, "surface": "rosenbrock"}).status_code == 200
    r = client.post("/api/trajectories", json={**body, "surface": None, "expression": BIG_EXPRESSION})
    assert r.status_code == 422 and "PLAYGROUND_MAX_WORK" in _detail(r)["msg"]


def test_work_budget_is_a_setting(client: TestClient, settings_override: Any) -> None:
    body = {"surface": "course_quadratic", "start": [-5, 4], "steps": 30, "runs": [{"optimizer": "sgd"}]}
    assert client.post("/api/trajectories", json=body).status_code == 200
    # 30 updates of one point cost 30 · (1 + 400) = 12,030 units.
    settings_override(max_work=12_029)
    r = client.post("/api/trajectories", json=body)
    assert r.status_code == 422 and "PLAYGROUND_MAX_WORK" in _detail(r)["msg"]
    settings_override(max_work=12_030)
    assert client.post("/api/trajectories", json=body).status_code == 200


def test_work_budget_admits_the_front_end_presets() -> None:
    # static/js/lab_model.js's Rosenbrock race (6 runs × 2,000 steps, Newton and L-BFGS among
    # them) and its lr sweep at the page's default n = 40 must stay within the default budget.
    budget = Settings().max_work
    surface = get_surface("rosenbrock")
    optimizers = ["sgd", "momentum", "rmsprop", "adam", "newton", "lbfgs"]
    race = sum(update_cost(surface, o).work(2_000, 1) for o in optimizers)
    sweep = sum(update_cost(surface, o).work(2_000, 40) for o in optimizers)
    assert race <= budget and sweep <= budget
    # Hand-computed: four first-order runs at 2,000 · (1 + 400) units each.
    assert update_cost(surface, "sgd").work(2_000, 1) == 2_000 * (1 + FIXED_POINTS)


# --- divergence is a result, not an error; no NaN/Infinity anywhere ---------------------------


def test_diverging_runs_are_reported_as_diverged_with_finite_json(client: TestClient) -> None:
    base = {"surface": "course_quadratic", "start": [-5, 4], "steps": 100}
    r = client.post("/api/trajectories", json={**base, "runs": [{"optimizer": "sgd", "params": {"lr": 100}}]})
    assert r.status_code == 200
    run = _strict_json(r.text)["runs"][0]
    # GD on J with η = 100 > 2/(3+√2): (−5, 4) → (1395, −2096) → beyond the 1e8 bound.
    assert run["diverged"] is True and run["diverged_at"] == 2 and run["path"][1] == [1395.0, -2096.0]

    r = client.post(
        "/api/sweeps/lr", json={**base, "runs": [{"optimizer": "sgd"}], "lr_min": 0.1, "lr_max": 100, "n": 4}
    )
    res = _strict_json(r.text)["results"][0]
    assert res["diverged"] == [False, True, True, True] and res["final_loss"][1:] == [None, None, None]

    body = {
        "surface": None,
        "expression": "-exp(x^2)",
        "run": {"optimizer": "sgd", "params": {"lr": 1}},
        "steps": 50,
        "n": 5,
    }
    r = client.post("/api/sweeps/start-map", json=body)
    out = _strict_json(r.text)
    assert r.status_code == 200 and out["diverged_fraction"] == pytest.approx(0.8)  # all but the x = 0 column

    r = client.post(
        "/api/trajectories/stream", json={**base, "steps": 3, "runs": [{"optimizer": "sgd", "params": {"lr": 100}}]}
    )
    data = [_strict_json(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
    assert data[-1]["runs"][0]["diverged"] is True

    r = client.get("/api/surfaces/custom/grid", params={"expression": "1/x + log(y)", "n": 21})
    z = _strict_json(r.text)["z"]
    assert z[0][0] is None and all(v is None or math.isfinite(v) for row in z for v in row)


# --- hostile bodies at every POST endpoint ----------------------------------------------------

# url → (a valid body, a numeric field, a list field, a string field); paths are key tuples.
ENDPOINTS: dict[str, tuple[dict[str, Any], tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]] = {
    "/api/trajectories": (
        {"surface": "course_quadratic", "start": [-5, 4], "steps": 5, "runs": [{"optimizer": "sgd"}]},
        ("steps",),
        ("runs",),
        ("surface",),
    ),
    "/api/trajectories/stream": (
        {"surface": "course_quadratic", "start": [-5, 4], "steps": 5, "runs": [{"optimizer": "sgd"}]},
        ("start",),
        ("runs",),
        ("runs", 0, "optimizer"),
    ),
    "/api/sweeps/lr": (
        {"surface": "course_quadratic", "start": [-5, 4], "steps": 5, "runs": [{"optimizer": "sgd"}], "n": 4},
        ("lr_max",),
        ("runs",),
        ("runs", 0, "label"),
    ),
    "/api/sweeps/start-map": (
        {"surface": "himmelblau", "run": {"optimizer": "sgd"}, "steps": 5, "n": 5},
        ("n",),
        ("domain", "x"),
        ("surface",),
    ),
    "/api/expressions/validate": ({"expression": "x^2"}, ("expression",), ("expression",), ("expression",)),
    "/api/activations": ({"n_samples": 10}, ("init_std",), ("n_samples",), ("activation",)),
    "/api/jobs": ({"epochs": 1}, ("epochs",), ("model", "hidden"), ("label",)),
    "/api/comparisons": ({"configs": [{"epochs": 1}]}, ("configs", 0, "seed"), ("configs",), ("configs", 0, "label")),
}

PLACEHOLDER = "__HOSTILE__"


def _with(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``body`` with ``value`` at ``path``."""
    out = json.loads(json.dumps(body))
    node = out
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value
    return out


def _hostile(kind: str, spec: tuple[Any, ...]) -> tuple[bytes, tuple[Any, ...] | None]:
    """The raw body of one hostile request and the field path its error must name."""
    base, number, array, text = spec
    if kind == "wrong_type":
        body, path = _with(base, number, {"a": [1, 2]}), number
    elif kind in ("nan", "infinity"):
        token = "NaN" if kind == "nan" else "-Infinity"
        raw = json.dumps(_with(base, number, PLACEHOLDER)).replace(f'"{PLACEHOLDER}"', token)
        return raw.encode(), number
    elif kind == "huge_array":
        body, path = _with(base, array, [0] * 200_000), array
    elif kind == "nested_500":
        raw = json.dumps(_with(base, number, PLACEHOLDER)).replace(f'"{PLACEHOLDER}"', "[" * 500 + "]" * 500)
        return raw.encode(), number
    elif kind == "nested_100k":
        raw = json.dumps(_with(base, number, PLACEHOLDER)).replace(f'"{PLACEHOLDER}"', "[" * 100_000 + "]" * 100_000)
        return raw.encode(), None  # unparseable: the error can only name the body
    elif kind == "string_1mb":
        body, path = _with(base, text, "x" * 1_000_000), text
    else:  # pragma: no cover
        raise AssertionError(kind)
    return json.dumps(body).encode(), path


@pytest.mark.parametrize(
    "kind", ["wrong_type", "nan", "infinity", "huge_array", "nested_500", "nested_100k", "string_1mb"]
)
@pytest.mark.parametrize("url", list(ENDPOINTS))
def test_hostile_bodies_get_a_4xx_naming_the_field(client: TestClient, url: str, kind: str) -> None:
    raw, path = _hostile(kind, ENDPOINTS[url])
    t0 = time.perf_counter()
    r = client.post(url, content=raw, headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - t0
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert elapsed < 2.0
    assert len(r.content) < 10_000  # the 1 MB input is not echoed back
    d = _detail(r)
    assert d["loc"][0] == "body"
    if path is not None:
        # Engine errors (InputError) spell list indices as strings; compare as text.
        named = [str(p) for p in d["loc"][1 : 1 + len(path)]]
        assert named == [str(p) for p in path], d

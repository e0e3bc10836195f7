"""HTTP contract of the Optimizer Lab's surface routes (docs/API.md)."""

from __future__ import annotations

import builtins
import itertools
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from app.main import app

REQUIRED_IDS = {
    "book_bowl", "course_quadratic", "rosenbrock", "beale", "himmelblau", "saddle",
    "monkey_saddle", "local_minima", "rastrigin", "six_hump_camel", "ill_conditioned",
}  # fmt: skip


def _strict_json(text: str) -> object:
    """Parse JSON refusing NaN/Infinity (which Python's json would otherwise accept)."""

    def reject(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in JSON")

    return json.loads(text, parse_constant=reject)


def _detail(response) -> dict:
    body = response.json()
    assert isinstance(body["detail"], list) and body["detail"]
    return body["detail"][0]


# --------------------------------------------------------------------------------------------
# GET /api/surfaces
# --------------------------------------------------------------------------------------------


def test_list_surfaces(client: TestClient) -> None:
    r = client.get("/api/surfaces")
    assert r.status_code == 200
    items = _strict_json(r.text)
    by_id = {s["id"]: s for s in items}
    assert set(by_id) == REQUIRED_IDS
    bowl = by_id["book_bowl"]
    assert bowl["domain"] == {"x": [-10, 10], "y": [-5, 5]}
    assert bowl["start"] == [-7, 2] and bowl["minima"] == [[0, 0]] and bowl["saddles"] == []
    assert bowl["formula"].startswith("f(x,y)") and r"\frac" in bowl["formula"]
    assert set(bowl["name"]) == {"en", "ko"} and bowl["description"]["ko"]
    assert by_id["course_quadratic"]["start"] == [-5, 4]
    assert by_id["saddle"]["saddles"] == [[0, 0]]
    assert len(by_id["himmelblau"]["minima"]) == 4
    kappa = next(p for p in by_id["ill_conditioned"]["params"] if p["name"] == "kappa")
    assert (kappa["default"], kappa["min"], kappa["max"]) == (10, 1, 1e4)
    assert {p["name"] for p in by_id["rosenbrock"]["params"]} == {"a", "b"}


def test_one_surface_with_parameters(client: TestClient) -> None:
    r = client.get("/api/surfaces/rosenbrock", params={"a": -1.0, "b": 50})
    assert r.status_code == 200
    body = r.json()
    assert body["minima"] == [[-1.0, 1.0]] and body["param_values"] == {"a": -1.0, "b": 50.0}
    r = client.get("/api/surfaces/custom", params={"expression": "(x-1)^2 + (y+2)^2"})
    assert r.status_code == 200
    assert r.json()["minima"] == [[1.0, -2.0]]


# --------------------------------------------------------------------------------------------
# GET /api/surfaces/{id}/grid
# --------------------------------------------------------------------------------------------


def test_grid_values_and_orientation(client: TestClient) -> None:
    r = client.get("/api/surfaces/book_bowl/grid", params={"n": 5, "scale": "linear"})
    assert r.status_code == 200
    g = _strict_json(r.text)
    assert g["x"] == [-10, -5, 0, 5, 10] and g["y"] == [-5, -2.5, 0, 2.5, 5]
    for i, y in enumerate(g["y"]):
        for j, x in enumerate(g["x"]):
            assert g["z"][i][j] == pytest.approx(x * x / 20 + y * y)
    assert g["z_min"] == 0 and g["z_max"] == 30
    assert len(g["levels"]) == 30 and all(0 < v < 30 for v in g["levels"])


def test_grid_default_size_and_log_levels(client: TestClient) -> None:
    r = client.get("/api/surfaces/rosenbrock/grid")
    assert r.status_code == 200
    g = r.json()
    assert len(g["x"]) == len(g["y"]) == len(g["z"]) == len(g["z"][0]) == 120
    lv = g["levels"]
    assert all(b > a for a, b in itertools.pairwise(lv))
    # log spacing: the gaps grow geometrically
    assert (lv[-1] - lv[-2]) > 100 * (lv[1] - lv[0])


def test_grid_surface_parameters_come_from_the_query(client: TestClient) -> None:
    base = {"n": 3, "x_min": -1, "x_max": 1, "y_min": -1, "y_max": 1, "angle_deg": 0}
    low = client.get("/api/surfaces/ill_conditioned/grid", params={**base, "kappa": 1}).json()
    high = client.get("/api/surfaces/ill_conditioned/grid", params={**base, "kappa": 100}).json()
    # angle 0: f = (x² + κ y²)/2, so f(0, 1) = κ/2
    assert low["z"][2][1] == pytest.approx(0.5) and high["z"][2][1] == pytest.approx(50)
    assert low["x"] == [-1, 0, 1]


def test_grid_max_n_is_accepted(client: TestClient) -> None:
    limit = get_settings().max_grid
    t0 = time.perf_counter()
    r = client.get("/api/surfaces/rastrigin/grid", params={"n": limit})
    assert r.status_code == 200 and len(r.json()["x"]) == limit
    assert time.perf_counter() - t0 < 5


def test_grid_n_too_large_names_n_and_the_limit(client: TestClient) -> None:
    limit = get_settings().max_grid
    r = client.get("/api/surfaces/book_bowl/grid", params={"n": limit + 1})
    assert r.status_code == 422
    d = _detail(r)
    assert d["loc"] == ["query", "n"] and str(limit) in d["msg"]


@pytest.fixture
def small_grid_limit() -> Iterator[int]:
    app.dependency_overrides[get_settings] = lambda: Settings(max_grid=20)
    try:
        yield 20
    finally:
        app.dependency_overrides.pop(get_settings, None)


def test_grid_limit_follows_settings(client: TestClient, small_grid_limit: int) -> None:
    assert client.get("/api/surfaces/book_bowl/grid", params={"n": 20}).status_code == 200
    r = client.get("/api/surfaces/book_bowl/grid", params={"n": 21})
    assert r.status_code == 422 and "at most 20" in _detail(r)["msg"]


def test_unknown_surface_is_404(client: TestClient) -> None:
    r = client.get("/api/surfaces/banana/grid")
    assert r.status_code == 404
    d = _detail(r)
    assert d["loc"] == ["path", "id"] and "banana" in d["msg"] and "rosenbrock" in d["msg"]
    assert client.get("/api/surfaces/banana").status_code == 404


@pytest.mark.parametrize(
    ("params", "loc", "fragment"),
    [
        ({"kappa": 1e9}, "kappa", "between 1 and 10000"),
        ({"kappa": "big"}, "kappa", "must be a number"),
        ({"kapa": 3}, "kapa", "no parameter"),
        ({"scale": "cubic"}, "scale", ""),
        ({"n": 1}, "n", ""),
        ({"n": "many"}, "n", ""),
        ({"x_min": 2, "x_max": 1}, "x_max", "greater than x_min"),
        ({"y_min": "nan"}, "y_min", "finite"),
        ({"expression": "x^2"}, "expression", "only used with the custom surface"),
    ],
)
def test_grid_bad_queries_are_422(client: TestClient, params: dict, loc: str, fragment: str) -> None:
    r = client.get("/api/surfaces/ill_conditioned/grid", params=params)
    assert r.status_code == 422
    d = _detail(r)
    assert d["loc"][-1] == loc and fragment in d["msg"]


def test_custom_grid_has_nulls_where_f_is_undefined(client: TestClient) -> None:
    r = client.get("/api/surfaces/custom/grid", params={"n": 5, "expression": "log(x) + y"})
    assert r.status_code == 200
    g = _strict_json(r.text)
    for i, y in enumerate(g["y"]):
        for j, x in enumerate(g["x"]):
            if x <= 0:
                assert g["z"][i][j] is None
            else:
                assert g["z"][i][j] == pytest.approx(math.log(x) + y)
    assert g["z_min"] == pytest.approx(math.log(2.5) - 5)


def test_custom_grid_needs_an_expression(client: TestClient) -> None:
    r = client.get("/api/surfaces/custom/grid")
    assert r.status_code == 422 and _detail(r)["loc"] == ["query", "expression"]


def test_custom_grid_rejects_hostile_expressions(client: TestClient) -> None:
    r = client.get("/api/surfaces/custom/grid", params={"expression": "__import__('os').getcwd()"})
    assert r.status_code == 422 and _detail(r)["loc"] == ["query", "expression"]


# --------------------------------------------------------------------------------------------
# POST /api/expressions/validate
# --------------------------------------------------------------------------------------------


def test_validate_returns_normalised_form_and_gradient(client: TestClient) -> None:
    r = client.post("/api/expressions/validate", json={"expression": "x^2 + 3*sin(y)"})
    assert r.status_code == 200
    body = _strict_json(r.text)
    assert body["ok"] is True
    assert body["expression"] == "x^2 + 3*sin(y)"
    assert body["gradient"] == ["2*x", "3*cos(y)"]
    assert body["domain"] == {"x": [-5, 5], "y": [-5, 5]}
    # minima of x² + 3 sin y on [−5, 5]²: x = 0, sin y = −1 (y = −π/2 and 3π/2)
    found = sorted(tuple(m) for m in body["minima"])
    truth = [(0.0, -math.pi / 2), (0.0, 3 * math.pi / 2)]
    assert len(found) == 2
    for (fx, fy), (tx, ty) in zip(found, truth, strict=True):
        assert fx == pytest.approx(tx, abs=1e-9) and fy == pytest.approx(ty, abs=1e-9)


def test_validate_normalises_spacing_and_redundancy(client: TestClient) -> None:
    body = client.post("/api/expressions/validate", json={"expression": "  x**2*1 + 0*y + (y)^2 "}).json()
    assert body["expression"] == "x^2 + y^2"
    assert body["gradient"] == ["2*x", "2*y"]


@pytest.mark.parametrize("payload", [{}, {"expression": 42}, {"expression": None}, {"expr": "x"}])
def test_validate_rejects_malformed_bodies(client: TestClient, payload: dict) -> None:
    r = client.post("/api/expressions/validate", json=payload)
    assert r.status_code == 422
    assert "expression" in _detail(r)["loc"]


HOSTILE = [
    "x.__class__",
    "__import__('os')",
    "import os",
    "open('/etc/passwd').read()",
    "lambda: 1",
    "exec",
    "eval(x)",
    "9^9^9^9",
    "x**1e9",
    "(" * 1000 + "x" + ")" * 1000,
    "((((",
    "",
    "    ",
    "x" * 10_240,
    "ｘ + y",
    "x\u202e + y",  # right-to-left override
    "1;2",
    "x,y",
    "[x]",
    "'a'",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:20]) for t in HOSTILE])
def test_validate_rejects_hostile_input_quickly(client: TestClient, text: str) -> None:
    t0 = time.perf_counter()
    r = client.post("/api/expressions/validate", json={"expression": text})
    elapsed = time.perf_counter() - t0
    assert r.status_code == 422, r.text
    d = _detail(r)
    assert d["loc"] == ["body", "expression"] and d["msg"]
    assert len(r.content) < 2000  # huge inputs are not echoed back
    assert elapsed < 0.5


def test_validate_rejects_with_the_configured_length_limit(client: TestClient) -> None:
    limit = get_settings().max_expression_length
    ok = "x+" * ((limit - 1) // 2) + "x"
    assert len(ok) <= limit
    too_long = ok + "+y"
    assert client.post("/api/expressions/validate", json={"expression": too_long}).status_code == 422
    r = client.post("/api/expressions/validate", json={"expression": too_long})
    assert str(limit) in _detail(r)["msg"]


def test_hostile_requests_execute_nothing(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With Python's evaluators booby-trapped, hostile formulas still just get a 422."""
    calls: list[str] = []

    def trap(name: str):
        def forbidden(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return forbidden

    canary = tmp_path / "pwned"
    texts = [
        f"__import__('os').system('touch {canary}')",
        f"eval(\"open('{canary}', 'w')\")",
        f"exec(\"open('{canary}', 'w')\")",
        "compile('1', 'x', 'eval')",
    ]
    monkeypatch.setattr(builtins, "eval", trap("eval"))
    monkeypatch.setattr(builtins, "exec", trap("exec"))
    monkeypatch.setattr(builtins, "compile", trap("compile"))
    for text in texts:
        r = client.post("/api/expressions/validate", json={"expression": text})
        assert r.status_code == 422
    monkeypatch.undo()
    assert calls == []
    assert not canary.exists()


def test_each_surface_suggests_its_loss_axis(client: TestClient) -> None:
    # issue 7: symlog where f is unbounded below (no minimum), log where f ≥ f_min ≥ 0.
    by_id = {s["id"]: s for s in client.get("/api/surfaces").json()}
    assert by_id["saddle"]["loss_scale"] == "symlog" and by_id["saddle"]["f_min"] is None
    assert by_id["monkey_saddle"]["loss_scale"] == "symlog"
    assert by_id["course_quadratic"]["loss_scale"] == "log" and by_id["course_quadratic"]["f_min"] == 0.0
    assert by_id["six_hump_camel"]["loss_scale"] == "linear"
    assert by_id["six_hump_camel"]["f_min"] == pytest.approx(-1.0316284534898774)

"""Every Optimizer Lab error names a specific code and its params (docs/errors.md, Optimizer Lab)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

COURSE = {"surface": "course_quadratic", "start": [-5, 4], "steps": 30, "runs": [{"optimizer": "sgd"}]}
CUSTOM = {**COURSE, "surface": None}


def _item(client: TestClient, body: dict[str, Any], path: str = "/api/trajectories") -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    (item,) = r.json()["detail"]
    return item


@pytest.mark.parametrize(
    ("expression", "code", "params"),
    [
        ("x^^2", "expression.unexpected_token", {"token": "^", "position": 3}),
        ("foo(x)", "expression.unknown_name", {"name": "foo", "position": 1}),
        ("2x", "expression.missing_operator", {"token": "x", "position": 2}),
        ("x +", "expression.unexpected_end", {"position": 4}),
        ("(x", "expression.missing_close", {"position": 1}),
        ("x)", "expression.unmatched_close", {"position": 2}),
        ("x; y", "expression.semicolon", {"character": ";", "position": 2}),
        ("x²", "expression.non_ascii", {"character": "²", "position": 2}),
        ("x^1000", "expression.exponent_too_large", {"value": 1000.0, "limit": 100.0, "position": 2}),
        ("max(x)", "expression.function_arguments", {"function": "max", "position": 1, "arity": 2, "count": 1}),
        ("sin x", "expression.function_needs_parenthesis", {"function": "sin", "position": 1}),
        ("log(0) + x", "expression.constant_not_finite", {"position": 1}),
        ("__x", "expression.dunder_name", {"name": "__x", "position": 1}),
        ("x" + "+x" * 300, "expression.too_long", {"limit": 500, "length": 601}),
        ("   ", "expression.required", {}),
    ],
)
def test_expression_errors_carry_code_and_params(client: TestClient, expression: str, code: str, params: dict) -> None:
    item = _item(client, {**CUSTOM, "expression": expression})
    assert item["loc"] == ["body", "expression"] and item["code"] == code and item["params"] == params


@pytest.mark.parametrize(
    ("patch", "loc", "code", "params"),
    [
        ({"surface": "book_bowl", "expression": "x^2"}, ["expression"], "surface.expression_with_builtin",
         {"surface": "book_bowl"}),
        ({"surface": "banana"}, ["surface"], "surface.unknown", None),
        ({"surface_params": {"kappa": 3}}, ["surface_params", "kappa"], "surface.unknown_param", None),
        ({"runs": [{"optimizer": "banana"}]}, ["runs", "0", "optimizer"], "optimizer.unknown", None),
        ({"runs": [{"optimizer": "sgd", "params": {"lr": 1000}}]}, ["runs", "0", "params", "lr"],
         "optimizer.param_range", {"name": "lr", "min": 0.0, "max": 100.0, "value": 1000.0}),
        ({"runs": [{"optimizer": "sgd", "params": {"mu": 1}}]}, ["runs", "0", "params", "mu"],
         "optimizer.unknown_param", {"name": "mu", "optimizer": "sgd", "allowed": "lr, weight_decay"}),
        ({"runs": [{"optimizer": "sgd", "schedule": {"type": "piecewise", "boundaries": [5], "values": [1]}}]},
         ["runs", "0", "schedule", "values"], "schedule.values_count", {"boundaries": 1, "values": 1}),
        ({"runs": [{"optimizer": "sgd", "schedule": {"type": "spiral"}}]}, ["runs", "0", "schedule", "type"],
         "schedule.unknown", None),
        ({"runs": [{"optimizer": "sgd", "schedule": {"type": "exponential", "decay_rate": 2}}]},
         ["runs", "0", "schedule", "decay_rate"], "schedule.param_range", None),
        ({"runs": [{"optimizer": "sgd", "schedule": {"type": "exponential", "staircase": 1}}]},
         ["runs", "0", "schedule", "staircase"], "schedule.staircase", {}),
        ({"runs": [{"optimizer": "sgd", "noise": {"std": 1, "seed": 0}, "clip": {"mode": "norm", "max": 1}}],
          "steps": 20000, "surface": None, "expression": "x^2" + "+sin(x*y)" * 40}, ["steps"], "budget.exceeded",
         None),
        ({"start": [1e9, 0]}, ["start"], "start.beyond_bound", {"limit": 1e8, "setting": "divergence_bound"}),
    ],
)  # fmt: skip
def test_lab_errors_carry_code_and_params(
    client: TestClient, patch: dict, loc: list[str], code: str, params: dict | None
) -> None:
    item = _item(client, {**COURSE, **patch})
    assert [str(p) for p in item["loc"]] == ["body", *loc] and item["code"] == code
    if params is not None:
        assert item["params"] == params


def test_sweep_curvature_and_schedule_errors_are_coded(client: TestClient) -> None:
    sweep = {**COURSE, "lr_min": 1, "lr_max": 0.5}
    assert _item(client, sweep, "/api/sweeps/lr")["code"] == "sweep.lr_order"
    item = _item(client, {"surface": "book_bowl", "points": [[0, 0]] * 1001}, "/api/curvature")
    assert item["code"] == "limit.exceeded" and item["params"]["setting"] == "max_curvature_points"
    body = {"surface": "himmelblau", "run": {"optimizer": "sgd"}, "domain": {"x": [1, 0], "y": [0, 1]}}
    assert _item(client, body, "/api/sweeps/start-map")["code"] == "domain.order"
    r = client.get("/api/schedules", params={"steps": 10**9})
    (item,) = r.json()["detail"]
    assert item["code"] == "limit.exceeded" and item["params"] == {
        "limit": 20000,
        "setting": "max_steps",
        "value": 10**9,
    }
    grid = client.get("/api/surfaces/book_bowl/grid", params={"x_min": 2, "x_max": 1})
    assert grid.json()["detail"][0]["code"] == "grid.bounds_order"


def test_every_lab_code_raised_in_the_engine_is_documented() -> None:
    # Codes are string literals at the raise sites (expression codes: the second argument of fail()).
    root = Path(__file__).resolve().parents[1]
    documented = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", (root / "docs" / "errors.md").read_text("utf-8"), re.M))
    raised = set()
    families = "expression|surface|grid|domain|start|sweep|budget|optimizer|clip|noise|schedule"
    lab = [root / "app" / "core" / "lab2d", root / "app" / "core" / "optim", root / "app" / "api" / "routers"]
    files = [*(p for d in lab for p in d.rglob("*.py")), root / "app" / "api" / "lab.py"]
    files += [root / "app" / "api" / "schemas" / f"{name}.py" for name in ("trajectories", "curvature", "surfaces")]
    for path in files:
        text = path.read_text("utf-8")
        raised |= set(re.findall(rf'"((?:{families})\.[a-z_]+)"', text))
        if path.parent.name == "expression":
            raised |= {f"expression.{c}" for c in re.findall(r'^\s*"([a-z_]+)",$', text, re.M)}
            raised |= {f"expression.{c}" for c in re.findall(r'\), "([a-z_]+)"\)?$', text, re.M)}
            raised |= {f"expression.{c}" for c in re.findall(r'fail\(message, "([a-z_]+)"', text)}
    assert "expression.unexpected_token" in raised and "schedule.values_count" in raised
    assert raised - documented == set()

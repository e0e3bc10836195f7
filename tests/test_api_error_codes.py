"""Every error item carries a stable ``code`` and JSON-safe ``params`` (docs/errors.md, contract A).

One request per code path: a pydantic error, an engine ``InputError``, a 404 (framework and
router), a 413 (declared and streamed), a settings limit (Optimizer Lab and Training Lab), and
the Korean ``msg`` for ``Accept-Language: ko``. No error body names a file or folder of the server.
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import app
from app.api.errors import KO, json_safe, localize, pydantic_item, wants_korean
from app.config import Settings, get_settings
from app.core.errors import InputError

ROOT = Path(app.__file__).resolve().parent.parent
DOC = ROOT / "docs" / "errors.md"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
BOWL = {"surface": "book_bowl", "start": [1, 1]}


def _items(response: Any, status: int = 422) -> list[dict[str, Any]]:
    """The detail items, after checking the status and that every item has the contract's keys."""
    assert response.status_code == status, response.text
    text = response.text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-finite {c} in an error body"))
    items: list[dict[str, Any]] = response.json()["detail"]
    for item in items:
        assert {"type", "loc", "msg", "code", "params"} <= set(item), item
        assert isinstance(item["code"], str) and item["code"]
        assert isinstance(item["params"], dict)
        assert str(ROOT) not in text and "site-packages" not in text and ".py" not in text, text
    return items


def _one(response: Any, status: int = 422) -> dict[str, Any]:
    items = _items(response, status)
    assert len(items) == 1, items
    return items[0]


def test_a_pydantic_bound_is_pydantic_type_with_its_ctx(client: TestClient) -> None:
    r = client.post("/api/trajectories", json={**BOWL, "steps": 0, "runs": [{"optimizer": "sgd"}]})
    item = _one(r)
    assert item["loc"] == ["body", "steps"]
    assert item["code"] == "pydantic.greater_than_equal" and item["params"] == {"ge": 1}


def test_an_unknown_field_and_a_missing_one(client: TestClient) -> None:
    r = client.post("/api/trajectories", json={"surface": "book_bowl", "runs": [{"optimizer": "sgd"}], "stepz": 3})
    codes = {tuple(i["loc"]): i["code"] for i in _items(r)}
    assert codes == {("body", "start"): "pydantic.missing", ("body", "stepz"): "pydantic.extra_forbidden"}


def test_a_literal_error_lists_the_choices(client: TestClient) -> None:
    r = client.post("/api/activations", json={"activation": "swish"})
    item = _one(r)
    assert item["code"] == "pydantic.literal_error"
    assert "'relu'" in item["params"]["expected"] and "'sigmoid'" in item["params"]["expected"]


def test_a_value_error_from_a_validator_drops_the_exception_object(client: TestClient) -> None:
    r = client.post("/api/sweeps/lr", json={**BOWL, "runs": [{"optimizer": "sgd"}], "lr_min": 1, "lr_max": 0.5})
    item = _one(r)
    # issue 7: this raise site now has its own code (docs/errors.md, Optimizer Lab codes).
    assert item["code"] == "sweep.lr_order" and item["params"] == {}
    assert "lr_min must be smaller than lr_max" in item["msg"]


def test_an_engine_input_error_keeps_its_code_and_params(client: TestClient) -> None:
    r = client.post("/api/trajectories", json={**BOWL, "runs": [{"optimizer": "no_such"}]})
    item = _one(r)
    assert item["loc"][:3] == ["body", "runs", "0"] and item["type"] == "value_error"
    assert not item["code"].startswith(("pydantic.", "http."))


def test_input_error_detail_shape() -> None:
    exc = InputError("expression", "unexpected '^' at position 3", "expression.unexpected_token", {"token": "^"})
    assert exc.prefixed("runs.0.").as_detail() == {
        "type": "value_error",
        "loc": ["body", "runs", "0", "expression"],
        "msg": "unexpected '^' at position 3",
        "code": "expression.unexpected_token",
        "params": {"token": "^"},
    }
    assert InputError("x", "bad").as_detail()["code"] == "invalid"


def test_an_input_error_raised_in_a_validator_keeps_its_code() -> None:
    cause = InputError("n", "too big", "limit.exceeded", {"limit": 3, "setting": "max_x", "value": 4})
    item = pydantic_item(
        {"type": "value_error", "loc": ("body", "n"), "msg": "Value error, n: too big", "ctx": {"error": cause}}
    )
    assert item["code"] == "limit.exceeded" and item["params"] == {"limit": 3, "setting": "max_x", "value": 4}
    assert item["msg"] == "too big"


@pytest.mark.parametrize("url", ["/api/no-such-thing", "/api/jobs/j-000000000000", "/api/surfaces/nope/grid"])
def test_a_404_is_http_404(client: TestClient, url: str) -> None:
    assert _one(client.get(url), 404)["code"] == "http.404"


def test_a_405_is_http_405(client: TestClient) -> None:
    assert _one(client.delete("/api/health"), 405)["code"] == "http.405"


def test_a_413_gives_the_limit_in_bytes(client: TestClient) -> None:
    limit = get_settings().max_body_bytes
    declared = _one(client.post("/api/trajectories", content=b"x" * (limit + 1)), 413)
    chunks = iter([b'{"expression": "', b"x" * limit, b'"}'])
    streamed = _one(
        client.post("/api/expressions/validate", content=chunks, headers={"content-type": "application/json"}), 413
    )
    for item in (declared, streamed):
        assert item["code"] == "http.413" and item["params"] == {"limit": limit}


def test_an_optimizer_lab_limit_is_limit_exceeded(client: TestClient) -> None:
    bound = get_settings().max_steps
    r = client.post("/api/trajectories", json={**BOWL, "steps": bound + 1, "runs": [{"optimizer": "sgd"}]})
    item = _one(r)
    assert item["code"] == "limit.exceeded" and item["loc"] == ["body", "steps"]
    assert item["params"] == {"limit": bound, "setting": "max_steps", "value": bound + 1}


def test_a_training_lab_limit_is_limit_exceeded(client: TestClient) -> None:
    bound = get_settings().max_epochs
    r = client.post("/api/comparisons", json={"configs": [{"epochs": 2}, {"epochs": bound + 100}]})
    item = _one(r)
    assert item["loc"] == ["body", "configs", 1, "epochs"]
    assert item["params"] == {"limit": bound, "setting": "max_epochs", "value": bound + 100}
    width = _one(client.post("/api/jobs", json={"model": {"hidden": [8, 10_000]}}))
    assert width["code"] == "limit.exceeded"
    assert width["params"] == {"limit": get_settings().max_width, "setting": "max_width", "value": 10_000, "index": 1}


def test_the_activation_experiment_limits_are_limit_exceeded(client: TestClient) -> None:
    bound = get_settings().max_layers
    item = _one(client.post("/api/activations", json={"layers": bound + 1}))
    assert item["code"] == "limit.exceeded"
    assert item["params"] == {"limit": bound, "setting": "max_layers", "value": bound + 1}


def test_korean_msg_when_the_request_asks_for_korean(client: TestClient) -> None:
    body = {**BOWL, "steps": 0, "runs": [{"optimizer": "sgd"}]}
    ko = _one(client.post("/api/trajectories", json=body, headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}))
    en = _one(client.post("/api/trajectories", json=body, headers={"Accept-Language": "en-US,ko;q=0.9"}))
    assert ko["msg"] == "1 이상이어야 합니다" and HANGUL.search(ko["msg"])
    assert not HANGUL.search(en["msg"]) and ko["code"] == en["code"] and ko["params"] == en["params"]
    not_found = _one(client.get("/api/nope", headers={"Accept-Language": "ko"}), 404)
    assert not_found["msg"] == "찾을 수 없습니다"


def test_localize_keeps_english_without_the_params_a_template_needs() -> None:
    item = {"code": "pydantic.greater_than", "params": {}, "msg": "Input should be greater than 0"}
    assert localize([dict(item)], "ko")[0]["msg"] == item["msg"]
    assert [wants_korean(h) for h in ("ko", "ko-KR,en", "KO-kr", "en,ko", "kok", None)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_params_are_json_safe() -> None:
    assert json_safe(float("inf")) == "inf" and json_safe(ValueError("x" * 500)) == "x" * 200 + "…"
    assert json_safe((1, 2.5, "a", None, True)) == [1, 2.5, "a", None, True]
    assert json_safe([[[[1]]]]) == [["[[1]]"]]
    item = pydantic_item({"type": "greater_than", "loc": ("body", "lr"), "msg": "m", "ctx": {"gt": float("nan")}})
    json.dumps(item["params"], allow_nan=False)


def test_no_server_folder_in_the_mnist_errors(client: TestClient, tmp_path: Path) -> None:
    client.app.dependency_overrides[get_settings] = lambda: Settings(mnist_dir=tmp_path)
    try:
        r = client.get("/api/datasets/mnist/preview")
    finally:
        client.app.dependency_overrides.clear()
    item = _one(r)
    assert str(tmp_path) not in r.text and "PLAYGROUND_MNIST_DIR" in item["msg"]


def test_the_server_korean_texts_are_the_documented_ones() -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "error_texts.py"))
    documented = script["documented_codes"](DOC.read_text("utf-8"))
    assert {code: ko for code, (_, ko) in documented.items()} == KO
    assert (ROOT / "app" / "api" / "error_texts.py").read_text("utf-8") == script["render_server"](), (
        "run scripts/error_texts.py"
    )
    assert {"invalid", "limit.exceeded", "http.404", "http.413", "pydantic.missing", "expression.unknown_name"} <= set(
        KO
    )


def test_an_unexpected_failure_is_http_500_without_a_traceback() -> None:
    from fastapi import FastAPI

    from app.main import internal_error_handler

    probe = FastAPI()
    probe.add_exception_handler(Exception, internal_error_handler)

    @probe.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"secret at {ROOT}/app/core/x.py")

    with TestClient(probe, raise_server_exceptions=False) as c:
        item = _one(c.get("/boom", headers={"Accept-Language": "ko"}), 500)
    assert item["code"] == "http.500" and item["msg"] == "서버 내부 오류입니다"

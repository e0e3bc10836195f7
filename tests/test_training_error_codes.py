"""Every Training Lab error names a specific code and its params, documented in docs/errors.md
(issue 8 point 10): the page renders "<field label>: <text>" in the user's language from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.errors import InputError
from app.core.nn.config import OptimizerConfig, make_mlp_optimizer, parse_config
from app.core.nn.run import TrainingRun

DOCUMENTED = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")


def documented(code: str) -> bool:
    return f"| `{code}` |" in DOCUMENTED


def _item(client: TestClient, body: dict[str, Any], path: str = "/api/jobs") -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]


@pytest.mark.parametrize(
    ("body", "loc", "code", "params"),
    [
        ({"epochs": 600}, ["body", "epochs"], "limit.exceeded", {"limit": 500, "setting": "max_epochs", "value": 600}),
        (
            {"model": {"hidden": [8, 1000]}},
            ["body", "model", "hidden"],
            "limit.exceeded",
            {"limit": 512, "setting": "max_width", "value": 1000, "index": 1},
        ),
        (
            {"dataset": {"val_fraction": 0}, "early_stopping": {}},
            ["body", "early_stopping"],
            "early_stopping.needs_validation",
            {"monitor": "val_loss"},
        ),
    ],
)
def test_job_errors_carry_code_and_params(
    client: TestClient, body: dict[str, Any], loc: list[str], code: str, params: dict[str, Any]
) -> None:
    item = _item(client, body)
    assert item["loc"] == loc and item["code"] == code and item["params"] == params
    assert documented(code)
    assert "PLAYGROUND_" not in item["msg"] and "max_" not in item["msg"]  # plain words for a student


def test_activation_range_error(client: TestClient) -> None:
    item = _item(client, {"hist_range": [3, 1]}, "/api/activations")
    assert item["code"] == "range.invalid" and item["params"] == {"lo": 3.0, "hi": 1.0} and documented("range.invalid")


@pytest.mark.parametrize(
    ("config", "field", "code"),
    [
        ({"model": {"activation": "swish"}}, "model.activation", "pydantic.literal_error"),
        ({"epochs": 0}, "epochs", "pydantic.greater_than_equal"),
        ({"model": {"init_std": 0}}, "model.init_std", "pydantic.greater_than"),
        ({"model": {"dropout": 0.99}}, "model.dropout", "pydantic.less_than_equal"),
        ({"optimizer": {"optimizer": "newton"}}, "optimizer.optimizer", "pydantic.literal_error"),
        ({"modle": {}}, "modle", "pydantic.extra_forbidden"),
        ({"epochs": 2.5}, "epochs", "pydantic.int_from_float"),
        ({"model": {"batch_norm": "yes"}}, "model.batch_norm", "pydantic.bool_type"),
    ],
)
def test_engine_config_errors_use_the_request_models_codes(config: dict[str, Any], field: str, code: str) -> None:
    """Direct engine callers get the same codes the API's request model gives (documented ones)."""
    with pytest.raises(InputError) as info:
        parse_config(config)
    assert info.value.field == field and info.value.code == code and documented(code)


def test_run_errors_carry_codes() -> None:
    with pytest.raises(InputError) as info:
        TrainingRun({"dataset": {"name": "iris", "val_fraction": 0}, "early_stopping": {}})
    assert info.value.code == "early_stopping.needs_validation" and documented(info.value.code)
    with pytest.raises(InputError) as info:  # a config built without parsing (parse_config refuses the id)
        make_mlp_optimizer(OptimizerConfig(optimizer="lbfgs"))
    assert info.value.code == "pydantic.optimizer_not_for_mlp" and documented(info.value.code)
    assert info.value.params["value"] == "lbfgs"


def test_pause_codes_are_documented() -> None:
    assert documented("job.not_running") and documented("job.not_paused")

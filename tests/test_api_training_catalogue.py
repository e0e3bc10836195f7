"""GET /api/training/catalogue: the form's defaults, bounds, ids and limits agree with what POST /api/jobs does.

The bounds are checked against the validator itself: every numeric bound is posted at the bound
(accepted, or refused for an exclusive one) and just beyond it (refused, naming the field).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_job_manager
from app.config import Settings, get_settings
from app.jobs.manager import JobManager

TOP_LEVEL = {
    *("defaults", "bounds", "activations", "initializers", "optimizers", "schedules", "datasets", "limits"),
    *("optional_defaults", "activation_experiment", "landscape"),
}


def instant_trainer(config, emit, should_stop, mnist_dir=None, limits=None):
    return {"epochs_run": 0}


@pytest.fixture
def jobs(client: TestClient) -> Iterator[TestClient]:
    """The client with a job manager whose trainer returns at once."""
    # Submissions queue, never 429: the probes test validation, not admission.
    limits = Settings(max_concurrent_jobs=64, max_queued_per_client=10_000, max_queued_jobs=10_000, max_kept_jobs=1000)
    manager = JobManager(limits, trainer=instant_trainer)
    client.app.dependency_overrides[get_job_manager] = lambda: manager
    yield client
    client.app.dependency_overrides.pop(get_job_manager, None)
    manager.shutdown(timeout=3.0)


def catalogue(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/training/catalogue")
    assert response.status_code == 200, response.text
    return response.json()


def used_config(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    """The configuration the server runs for ``body`` (as stored with the job)."""
    response = client.post("/api/jobs", json=body)
    assert response.status_code == 202, response.text
    return client.get(f"/api/jobs/{response.json()['id']}").json()["config"]


def test_catalogue_shape_and_ids(client: TestClient) -> None:
    cat = catalogue(client)
    assert set(cat) == TOP_LEVEL
    assert [a["id"] for a in cat["activations"]] == ["sigmoid", "tanh", "relu", "leaky_relu", "elu"]
    assert all(set(a["label"]) == {"en", "ko"} and a["label"]["en"] for a in cat["activations"] + cat["initializers"])
    assert "he_normal" in [i["id"] for i in cat["initializers"]]
    assert "adam" in cat["optimizers"] and "newton" not in cat["optimizers"] and "lbfgs" not in cat["optimizers"]
    optimizers = {o["id"]: o for o in client.get("/api/optimizers").json()}
    assert cat["optimizers"] == [key for key, o in optimizers.items() if o["mlp"]]
    assert cat["schedules"] == [s["id"] for s in client.get("/api/schedules").json()]
    assert cat["datasets"] == [d["id"] for d in client.get("/api/datasets").json()]
    assert cat["bounds"]["model.dropout"] == {"minimum": 0, "maximum": 0.95, "integer": False}
    assert cat["bounds"]["model.activation"]["choices"] == [a["id"] for a in cat["activations"]]


def test_defaults_are_what_the_server_uses_and_are_accepted_back(jobs: TestClient) -> None:
    defaults = catalogue(jobs)["defaults"]
    assert used_config(jobs, {}) == defaults  # an empty body runs exactly the catalogue's defaults
    assert used_config(jobs, defaults) == defaults  # and the defaults, posted back, change nothing
    assert used_config(jobs, {"epochs": 3})["epochs"] == 3
    assert defaults["model"] == {
        "hidden": [100, 100, 100],
        "activation": "relu",
        "init": "he_normal",
        "init_std": 0.01,
        "batch_norm": False,
        "bn_momentum": 0.9,
        "dropout": 0.0,
    }


def test_limits_and_settings_bounds_follow_the_environment(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_MAX_EPOCHS", "7")
    monkeypatch.setenv("PLAYGROUND_MAX_LAYERS", "3")
    get_settings.cache_clear()
    try:
        cat = catalogue(client)
        assert cat["limits"]["max_epochs"] == 7 and cat["limits"]["max_layers"] == 3
        assert cat["bounds"]["epochs"] == {"minimum": 1, "maximum": 7, "integer": True, "setting": "max_epochs"}
        assert cat["bounds"]["model.hidden"]["max_items"] == 3
        assert cat["bounds"]["early_stopping.patience"]["maximum"] == 7
    finally:
        monkeypatch.delenv("PLAYGROUND_MAX_EPOCHS")
        monkeypatch.delenv("PLAYGROUND_MAX_LAYERS")
        get_settings.cache_clear()
    settings = get_settings()
    limits = catalogue(client)["limits"]
    assert limits == {name: getattr(settings, name) for name in limits}


def _with(defaults: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(defaults)
    node = body
    *parents, leaf = path.split(".")
    for key in parents:
        if node.get(key) is None:
            node[key] = {}  # an optional object (early_stopping, optimizer.clip) switched on
        node = node[key]
    node[leaf] = value
    return body


def _probes(bounds: dict[str, Any]) -> Iterator[tuple[float, bool]]:
    """(value, accepted?) pairs at and just beyond each numeric bound."""
    step = 1 if bounds["integer"] else 1e-3
    if "minimum" in bounds:
        yield bounds["minimum"], True
        yield bounds["minimum"] - step, False
    if "maximum" in bounds:
        yield bounds["maximum"], True
        yield bounds["maximum"] + step, False
    if "exclusive_minimum" in bounds:
        yield bounds["exclusive_minimum"], False
        yield bounds["exclusive_minimum"] + step, True
    if "exclusive_maximum" in bounds:
        yield bounds["exclusive_maximum"], False
        yield bounds["exclusive_maximum"] - step, True


def test_every_numeric_bound_is_the_validators_bound(jobs: TestClient) -> None:
    cat = catalogue(jobs)
    defaults, checked = cat["defaults"], 0
    for path, bounds in cat["bounds"].items():
        if "integer" not in bounds:
            continue
        is_list = path == "model.hidden"
        for value, accepted in _probes(bounds):
            body = _with(defaults, path, [value] if is_list else value)
            response = jobs.post("/api/jobs", json=body)
            assert (response.status_code == 202) is accepted, (path, value, response.text)
            if not accepted:
                assert response.status_code == 422
                loc = [str(p) for p in response.json()["detail"][0]["loc"][1:]]
                assert loc[: len(path.split("."))] == path.split("."), (path, response.json())
            checked += 1
    assert checked > 60


def test_list_length_bound(jobs: TestClient) -> None:
    cat = catalogue(jobs)
    n = cat["bounds"]["model.hidden"]["max_items"]
    assert jobs.post("/api/jobs", json={"model": {"hidden": [2] * n}}).status_code == 202
    response = jobs.post("/api/jobs", json={"model": {"hidden": [2] * (n + 1)}})
    assert response.status_code == 422 and response.json()["detail"][0]["params"]["setting"] == "max_layers"


def test_docs_show_the_real_defaults(client: TestClient) -> None:
    """Every value in the configuration block of docs/API.md is the catalogue's default.

    (A subset check: a new option does not have to be added to the docs for this to pass.)
    """
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "API.md").read_text(encoding="utf-8")
    section = text[text.index("### Training configuration") :]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    documented, defaults = json.loads(block.group(1)), catalogue(client)["defaults"]
    assert documented.keys() == defaults.keys()  # the doc shows every section

    def agree(doc: Any, real: Any, path: str) -> None:
        if isinstance(doc, dict):
            assert isinstance(real, dict) and doc.keys() <= real.keys(), path
            for key, value in doc.items():
                agree(value, real[key], f"{path}.{key}")
        else:
            assert doc == real, path

    agree(documented, defaults, "config")


def test_optional_defaults_are_the_engines_and_are_accepted(jobs: TestClient) -> None:
    """Each optional section's default object, posted, runs unchanged; posted empty, the engine fills in the same."""
    cat = catalogue(jobs)
    optional = cat["optional_defaults"]
    assert set(optional) == {"early_stopping", "optimizer.clip", "sharpness"}
    assert all(_get(cat["defaults"], path) is None for path in optional)  # null until switched on
    assert optional["early_stopping"] == {
        "monitor": "val_loss",
        "min_delta": 0.0,
        "patience": 5,
        "mode": "auto",
        "restore_best_weights": True,
    }
    for path, default in optional.items():
        assert _get(used_config(jobs, _with({}, path, default)), path) == default
        assert _get(used_config(jobs, _with({}, path, {})), path) == default  # what the engine uses


def _get(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for key in path.split("."):
        node = node[key]
    return node


def test_activation_experiment_bounds_are_the_requests(client: TestClient) -> None:
    bounds = catalogue(client)["activation_experiment"]
    assert bounds["bins"] == {"minimum": 2, "maximum": 200, "integer": True}
    small = {"n_samples": 20, "n_features": 4, "layers": 1, "width": 4}
    checked = 0
    for name, field_bounds in bounds.items():
        for value, accepted in _probes(field_bounds):
            response = client.post("/api/activations", json={**small, name: value})
            assert (response.status_code == 200) is accepted, (name, value, response.text)
            if not accepted:
                assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == name
            checked += 1
    assert checked >= 12

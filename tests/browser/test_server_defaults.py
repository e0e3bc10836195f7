"""The pages take their defaults and limits from the server, not from their own copies.

Independent truth: the server's own answers (``GET /api/limits``, ``GET /api/training/catalogue``)
and settings chosen by the test (``dependency_overrides`` on ``get_settings``, so the page must
follow a changed limit, not a number that happens to match the shipped default).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.config import Settings, get_settings
from app.main import app

READY_LAB = "#optimizer-lab[data-ready=true]"
READY_TRAINING = "#training-lab[data-ready=true]"


@pytest.fixture
def settings_override() -> Iterator[Any]:
    """``use(**limits)`` serves those limits for the rest of the test (restored afterwards)."""

    def use(**limits: Any) -> Settings:
        settings = Settings(**limits)
        app.dependency_overrides[get_settings] = lambda: settings
        return settings

    try:
        yield use
    finally:
        app.dependency_overrides.pop(get_settings, None)


def get_path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj[part]
    return obj


def test_optimizer_lab_max_runs_and_steps_follow_the_server(page, settings_override) -> None:
    settings_override(max_runs=5, max_steps=500)
    page.goto("/")
    page.wait_for_selector(READY_LAB, timeout=20_000)
    limits = page.evaluate("fetch('/api/limits').then(r => r.json())")
    assert limits["max_runs"] == 5 and limits["max_steps"] == 500

    # the textbook figure has four runs: one more fits, the sixth is refused
    cards = page.locator("[data-testid=run-card]")
    assert cards.count() == 4
    page.click("#add-run")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-card]').length === 5")
    assert all(cards.nth(i).get_by_test_id("run-duplicate").is_disabled() for i in range(5))
    page.click("#add-run")
    page.wait_for_selector("[data-testid=toasts] .toast-error")
    assert "5" in page.inner_text("[data-testid=toasts]")
    assert cards.count() == 5

    # the step count is bounded by the server's max_steps
    assert page.get_attribute("#steps-input", "max") == "500"
    page.fill("#steps-input", "501")
    assert page.get_attribute("#steps-input", "aria-invalid") == "true"
    page.fill("#steps-input", "500")
    assert page.get_attribute("#steps-input", "aria-invalid") == "false"


# form control → path in the job config (and in the catalogue's defaults)
CONTROLS = {
    "ds-select": "dataset.name",
    "ds-seed": "dataset.seed",
    "ds-val": "dataset.val_fraction",
    "ds-test": "dataset.test_fraction",
    "act-select": "model.activation",
    "init-select": "model.init",
    "init-std": "model.init_std",
    "bn-momentum": "model.bn_momentum",
    "dropout-input": "model.dropout",
    "l2-input": "regularization.l2",
    "l1-input": "regularization.l1",
    "opt-select": "optimizer.optimizer",
    "batch-size": "batch_size",
    "epochs-input": "epochs",
    "seed-input": "seed",
    "tel-interval": "telemetry.interval",
    "tel-bins": "telemetry.bins",
    "tel-sample": "telemetry.sample_size",
}


def same_value(shown: str, expected: Any) -> bool:
    if isinstance(expected, (bool, str)):
        return shown == expected
    return float(shown) == float(expected)


def test_training_form_defaults_and_bounds_are_the_servers(page, settings_override) -> None:
    settings_override(max_epochs=50)
    page.goto("/training")
    page.wait_for_selector(READY_TRAINING, timeout=20_000)
    catalogue = page.evaluate("fetch('/api/training/catalogue').then(r => r.json())")
    defaults = catalogue["defaults"]

    # every control of a first visit shows the server's default
    for testid, path in CONTROLS.items():
        shown = page.get_by_test_id(testid).input_value()
        assert same_value(shown, get_path(defaults, path)), (testid, shown, get_path(defaults, path))
    assert page.get_by_test_id("hidden-input").input_value() == ", ".join(map(str, defaults["model"]["hidden"]))
    assert page.get_by_test_id("bn-check").is_checked() == defaults["model"]["batch_norm"]
    assert page.get_by_test_id("es-check").is_checked() == (defaults["early_stopping"] is not None)
    assert (page.get_by_test_id("sched-select").input_value() == "constant") == (
        defaults["optimizer"]["schedule"] is None
    )

    # the choices are the server's, in its order
    options = page.evaluate(
        "id => [...document.getElementById(id).options].map(o => o.value)",
        "act-select",
    )
    assert options == [a["id"] for a in catalogue["activations"]]
    assert page.evaluate("[...document.getElementById('init-select').options].map(o => o.value)") == [
        i["id"] for i in catalogue["initializers"]
    ]
    assert (
        page.evaluate("[...document.getElementById('opt-select').options].map(o => o.value)") == catalogue["optimizers"]
    )

    # bounds follow the server's settings: max_epochs = 50 here
    assert catalogue["bounds"]["epochs"]["maximum"] == 50
    assert page.get_by_test_id("epochs-input").get_attribute("max") == "50"
    page.get_by_test_id("epochs-input").fill("51")
    assert page.get_by_test_id("epochs-input").get_attribute("aria-invalid") == "true"
    page.get_by_test_id("epochs-input").fill("20")
    assert page.get_by_test_id("epochs-input").get_attribute("aria-invalid") == "false"

    # and the job a first visit starts is the default job (apart from what the data set resolves)
    sent: list[dict[str, Any]] = []

    def capture(route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=503, content_type="application/json", body='{"detail": "not in this test"}')

    page.route("**/api/jobs", capture)
    page.get_by_test_id("start-button").click()
    page.wait_for_selector("#run-error:not([hidden])")
    (body,) = sent
    for path in [*CONTROLS.values(), "model.hidden", "model.batch_norm", "optimizer.schedule", "optimizer.clip"]:
        assert get_path(body, path) == get_path(defaults, path), path
    assert body["early_stopping"] == defaults["early_stopping"]
    assert body["dataset"]["train_limit"] == defaults["dataset"]["train_limit"]

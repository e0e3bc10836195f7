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


def started_jobs(page) -> list[dict[str, Any]]:
    """The bodies the Start button posts to /api/jobs (answered 503, so nothing runs)."""
    sent: list[dict[str, Any]] = []

    def capture(route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=503, content_type="application/json", body='{"detail": "not in this test"}')

    page.route("**/api/jobs", capture)
    page.get_by_test_id("start-button").click()
    page.wait_for_selector("#run-error:not([hidden])")
    return sent


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
    sent = started_jobs(page)
    (body,) = sent
    for path in [*CONTROLS.values(), "model.hidden", "model.batch_norm", "optimizer.schedule", "optimizer.clip"]:
        assert get_path(body, path) == get_path(defaults, path), path
    assert body["early_stopping"] == defaults["early_stopping"]
    assert body["dataset"]["train_limit"] == defaults["dataset"]["train_limit"]


def serve_modified(page, url: str, change: Any) -> dict[str, Any]:
    """Serve ``url`` as the server answers it, changed by ``change(body)``: the page must show the changed values."""
    body = json.loads(page.request.get(url).text())
    change(body)
    page.route(
        f"**{url}", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
    )
    return body


def _lab_change(cat: dict[str, Any]) -> None:
    cat["bounds"]["runs.clip.max"]["maximum"] = 50
    cat["bounds"]["runs.noise.std"]["maximum"] = 7
    cat["defaults"] = {"clip": {"mode": "norm", "max": 2.5}, "noise": {"std": 0.3, "seed": 4}}


def test_run_card_clip_and_noise_follow_the_lab_catalogue(page) -> None:
    page.goto("/")  # the real catalogue first: its bounds are the request models'
    real = page.evaluate("fetch('/api/lab/catalogue').then(r => r.json())")["bounds"]
    assert real["runs.noise.seed"] == {"minimum": 0, "exclusive_maximum": 2**32, "integer": True}
    cat = serve_modified(page, "/api/lab/catalogue", _lab_change)
    page.goto("/?fresh=1")
    page.wait_for_selector(READY_LAB, timeout=20_000)
    card = page.get_by_test_id("run-card").first
    card.get_by_test_id("run-more").locator("summary").click()
    card.get_by_test_id("run-clip-mode").select_option("norm")
    clip = page.get_by_test_id("run-card").first.get_by_test_id("run-clip-max")
    assert clip.input_value() == "2.5" and clip.get_attribute("max") == "50"
    for value, invalid in (("50", "false"), ("51", "true"), ("0", "true"), ("0.001", "false")):  # 0 < max ≤ 50
        clip.fill(value)
        assert clip.get_attribute("aria-invalid") == invalid, value
    page.get_by_test_id("run-card").first.get_by_test_id("run-noise-on").check()
    std = page.get_by_test_id("run-card").first.get_by_test_id("run-noise-std")
    seed = page.get_by_test_id("run-card").first.get_by_test_id("run-noise-seed")
    assert std.input_value() == "0.3" and std.get_attribute("max") == "7" and std.get_attribute("min") == "0"
    assert seed.input_value() == "4" and seed.get_attribute("max") == str(2**32 - 1)  # exclusive 2^32, integers
    seed.fill(str(2**32))
    assert seed.get_attribute("aria-invalid") == "true"
    assert cat["bounds"]["runs.clip.max"]["exclusive_minimum"] == 0


def _training_change(cat: dict[str, Any]) -> None:
    cat["optional_defaults"]["early_stopping"] = {
        "monitor": "val_accuracy",
        "min_delta": 0.01,
        "patience": 9,
        "mode": "max",
        "restore_best_weights": False,
    }
    cat["activation_experiment"]["bins"]["maximum"] = 120


def test_training_early_stopping_and_init_bounds_follow_the_catalogue(page) -> None:
    page.goto("/training")
    real = page.evaluate("fetch('/api/training/catalogue').then(r => r.json())")
    assert real["optional_defaults"]["early_stopping"]["patience"] == 5
    cat = serve_modified(page, "/api/training/catalogue", _training_change)
    page.goto("/training?fresh=1")
    page.wait_for_selector(READY_TRAINING, timeout=20_000)
    page.evaluate("document.querySelectorAll('details').forEach((d) => (d.open = true))")
    page.get_by_test_id("es-check").check()
    page.wait_for_function("() => !document.getElementById('es-fields').hidden")
    es = cat["optional_defaults"]["early_stopping"]
    assert page.get_by_test_id("es-monitor").input_value() == es["monitor"]
    assert float(page.get_by_test_id("es-patience").input_value()) == es["patience"]
    assert float(page.get_by_test_id("es-min-delta").input_value()) == es["min_delta"]
    assert page.get_by_test_id("es-mode").input_value() == es["mode"]
    assert page.get_by_test_id("es-restore").is_checked() == es["restore_best_weights"]
    assert page.get_by_test_id("ie-bins").get_attribute("max") == "120"

    sent = started_jobs(page)
    assert sent[0]["early_stopping"] == es

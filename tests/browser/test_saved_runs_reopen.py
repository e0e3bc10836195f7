"""Saved runs opened again, as a student sees them (docs/runs.md "Opening a saved run"):

- a saved search opens in the Hyperparameter search view with its trials (scatter, table, curves),
  from the Saved runs list and from its link;
- a saved comparison opens in the Training view with all its runs;
- "Train again with these settings" puts a saved (or imported) run's stored configuration into the
  Training form — every field the form has; fields the form does not know are ignored; values
  beyond today's limits are clamped and listed, in the page's language.

Runs are made over the API of the same live server; every wait is on page state.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from test_saved_runs import XOR, api, row, show_saved_runs, train_saved
from training_page import open_lab


def post_retrying(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """POST, waiting while another test's work holds the server's slots (429 / 503)."""
    for _ in range(600):
        response = client.post(path, json=body)
        if response.status_code not in (429, 503):
            return response
        time.sleep(0.1)
    raise AssertionError(f"{path} stayed busy")


def wait_saved_done(client: httpx.Client, run_id: str) -> dict[str, Any]:
    for _ in range(1200):
        saved = client.get(f"/api/runs/{run_id}", params={"limit": 1})
        if saved.status_code == 200 and saved.json()["status"] == "done":
            return saved.json()
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} was not saved as done")


def saved_search(live_server: str, label: str, trials: int) -> str:
    """A small search run over the API and saved (kind search); returns its id."""
    body = {"trials": trials, "epochs": 1, "subset": 200, "seed": 3, "label": label}
    with api(live_server) as client:
        response = post_retrying(client, "/api/searches", body)
        assert response.status_code == 202, response.text
        search_id: str = response.json()["id"]
        wait_saved_done(client, search_id)
    return search_id


SEARCH_SHOWN = """([id, n]) => {
  const v = document.getElementById('view-search');
  const main = window.trainingLab.search.main;
  return !v.hidden && v.dataset.search === 'done' && main && main.id === id
    && document.querySelectorAll('#search-table-body tr').length === n;
}"""


def scatter_points(page) -> int:
    return page.evaluate(
        "() => (document.getElementById('search-scatter').data || []).reduce((n, d) => n + (d.x ? d.x.length : 0), 0)"
    )


def test_a_saved_search_opens_in_the_search_view_from_the_list_and_from_its_link(page, new_page, live_server):
    tag = uuid.uuid4().hex[:6]
    search_id = saved_search(live_server, f"search {tag}", trials=5)
    open_lab(page)
    show_saved_runs(page, query=tag)
    saved = row(page, search_id)
    saved.wait_for(timeout=20_000)
    assert "search" in saved.get_by_test_id("saved-meta").inner_text()
    saved.get_by_test_id("saved-open").click()

    page.wait_for_function(SEARCH_SHOWN, arg=[search_id, 5], timeout=30_000)
    assert page.get_by_test_id("tab-search").get_attribute("aria-selected") == "true"
    assert page.is_hidden("#view-train") and page.is_hidden("#view-runs")
    page.wait_for_function("() => document.getElementById('search-scatter').data", timeout=10_000)
    assert scatter_points(page) == 5
    assert page.get_by_test_id("search-progress-text").inner_text().startswith("5 / 5 trials")
    # the form shows the saved search's settings (its budget), not the page's defaults
    assert page.get_by_test_id("search-trials").input_value() == "5"
    assert page.get_by_test_id("search-epochs").input_value() == "1"
    assert page.get_by_test_id("search-subset").input_value() == "200"
    assert f"id:{search_id}" in page.url

    # its link (the list's "Link") opens the same view on a fresh page, in Korean too
    other = new_page(locale="ko-KR")
    open_lab(other, f"/training?run={search_id}")
    other.wait_for_function(SEARCH_SHOWN, arg=[search_id, 5], timeout=30_000)
    assert other.get_by_test_id("tab-search").inner_text() == "하이퍼파라미터 탐색"
    assert other.is_hidden("[data-testid=saved-note]")  # not shown as a (broken) training run


def test_a_saved_comparison_opens_with_all_its_runs_and_trains_again_as_a_comparison(page, live_server):
    tag = uuid.uuid4().hex[:6]
    configs = [
        {**XOR, "label": f"sgd {tag}", "optimizer": {"optimizer": "sgd", "params": {"lr": 0.2}}},
        {**XOR, "label": f"adam {tag}", "optimizer": {"optimizer": "adam", "params": {"lr": 0.02}}},
    ]
    with api(live_server) as client:
        response = post_retrying(client, "/api/comparisons", {"configs": configs})
        assert response.status_code == 202, response.text
        comparison_id = response.json()["id"]
        wait_saved_done(client, comparison_id)
    open_lab(page)
    show_saved_runs(page, query=tag)
    row(page, comparison_id).wait_for(timeout=20_000)
    row(page, comparison_id).get_by_test_id("saved-open").click()
    page.get_by_test_id("saved-note").wait_for(state="visible", timeout=20_000)
    assert page.is_visible("#view-train")
    labels = page.evaluate("() => window.trainingLab.session.runs.map(r => r.label)")
    assert labels == [f"sgd {tag}", f"adam {tag}"]
    page.wait_for_function(
        "() => (document.getElementById('loss-plot').data || []).filter(t => t.x && t.x.length > 0).length >= 2",
        timeout=20_000,
    )

    page.get_by_test_id("saved-retrain").click()
    page.wait_for_function("() => window.trainingLab.state.runs.length === 2", timeout=10_000)
    forms = page.evaluate("() => window.trainingLab.state.runs.map(r => [r.opt, r.hp.lr, r.label, r.ep])")
    assert forms == [["sgd", 0.2, f"sgd {tag}", 3], ["adam", 0.02, f"adam {tag}", 3]]
    # the form shows the first run; the notes say what was loaded and nothing had to change
    assert page.get_by_test_id("opt-select").input_value() == "sgd"
    assert page.get_by_test_id("hp-lr").input_value() == "0.2"
    notes = page.get_by_test_id("saved-retrain-notes")
    assert "2 runs" in notes.inner_text()
    assert notes.get_by_test_id("saved-retrain-fitted").count() == 0


def imported_run(live_server: str, label: str) -> str:
    """An exported run from an older / bigger server: more epochs and a wider layer than this one
    allows, a field this release does not know; imported (stored, never run)."""
    config = {
        "label": label,
        "dataset": {
            "name": "moons",
            "n_samples": 300,
            "noise": 0.25,
            "seed": 4,
            "val_fraction": 0.1,
            "test_fraction": 0.3,
        },
        "model": {"hidden": [16, 900], "activation": "tanh", "init": "xavier_normal", "dropout": 0.1},
        "regularization": {"l2": 0.001, "l1": 0.0},
        "optimizer": {"optimizer": "momentum", "params": {"lr": 0.05, "momentum": 0.8}, "schedule": None, "clip": None},
        "batch_size": 25,
        "epochs": 900,
        "seed": 7,
        "telemetry": {"interval": 5, "bins": 40, "sample_size": 128, "adaptive": False},
        "a_setting_from_the_future": {"whatever": [1, 2, 3]},
    }
    record = {"label": label, "status": "done", "config": config, "summary": None, "events": []}
    with api(live_server) as client:
        response = client.post("/api/runs/import", json=record)
        assert response.status_code == 201, response.text
        run_id: str = response.json()["runs"][0]["id"]
        detail = client.get(f"/api/runs/{run_id}").json()
        assert detail["config"]["epochs"] == 900  # the stored configuration is what the page reads
    return run_id


def open_saved(page, run_id: str, tag: str) -> None:
    show_saved_runs(page, query=tag)
    row(page, run_id).wait_for(timeout=20_000)
    row(page, run_id).get_by_test_id("saved-open").click()
    page.get_by_test_id("saved-note").wait_for(state="visible", timeout=20_000)


def test_train_again_loads_an_imported_run_into_the_form_clamped_to_todays_limits(page, live_server):
    tag = uuid.uuid4().hex[:6]
    run_id = imported_run(live_server, f"old server {tag}")
    open_lab(page)
    open_saved(page, run_id, tag)
    button = page.get_by_test_id("saved-retrain")
    assert button.inner_text() == "Train again with these settings"
    button.click()
    page.wait_for_function("() => window.trainingLab.state.runs[0].ep === 500", timeout=10_000)
    max_epochs = page.evaluate("() => window.trainingLab.catalogue.limits.max_epochs")
    max_width = page.evaluate("() => window.trainingLab.catalogue.limits.max_width")
    # every field of the form holds the run's value (or the clamped one)
    values = {
        "ds-select": "moons",
        "ds-n": "300",
        "ds-noise": "0.25",
        "ds-seed": "4",
        "ds-val": "0.1",
        "ds-test": "0.3",
        "hidden-input": f"16, {max_width}",
        "act-select": "tanh",
        "init-select": "xavier_normal",
        "dropout-input": "0.1",
        "l2-input": "0.001",
        "opt-select": "momentum",
        "hp-lr": "0.05",
        "hp-momentum": "0.8",
        "batch-size": "25",
        "epochs-input": str(max_epochs),
        "seed-input": "7",
        "run-label": f"old server {tag}",
        "tel-interval": "5",
        "tel-bins": "40",
        "tel-sample": "128",
    }
    shown = {testid: page.get_by_test_id(testid).input_value() for testid in values}
    assert shown == values
    assert page.evaluate("() => window.trainingLab.state.runs.length") == 1
    assert "a_setting_from_the_future" not in page.evaluate("() => JSON.stringify(window.trainingLab.state.runs[0])")
    fitted = page.get_by_test_id("saved-retrain-fitted").locator("li").all_inner_texts()
    assert len(fitted) == 2, fitted
    assert any("900" in line and str(max_epochs) in line and "maximum" in line for line in fitted)
    assert any("[16, 900]" in line and f"[16, {max_width}]" in line for line in fitted)
    # the fitted form is what this server accepts: Start training sends it and the job starts
    with page.expect_response(lambda r: r.url.endswith("/api/jobs") and r.request.method == "POST") as created:
        page.get_by_test_id("start-button").click()
    assert created.value.status == 202, created.value.text()
    sent = created.value.request.post_data_json
    assert (sent["epochs"], sent["model"]["hidden"], sent["optimizer"]["params"]["momentum"]) == (
        max_epochs,
        [16, max_width],
        0.8,
    )
    assert "a_setting_from_the_future" not in sent
    with api(live_server) as client:  # 500 epochs: not this test's business, stop it
        assert client.delete(f"/api/jobs/{created.value.json()['id']}").status_code == 200
    page.wait_for_function(
        "() => document.getElementById('training-lab').dataset.session !== 'running'", timeout=30_000
    )


def test_train_again_speaks_korean_and_reads_a_finished_runs_stored_configuration(new_page, live_server):
    tag = uuid.uuid4().hex[:6]
    trained = train_saved(live_server, f"xor {tag}")
    imported = imported_run(live_server, f"old {tag}")
    page = new_page(locale="ko-KR")
    open_lab(page)
    open_saved(page, imported, f"old {tag}")
    assert page.get_by_test_id("saved-retrain").inner_text() == "이 설정으로 다시 학습"
    page.get_by_test_id("saved-retrain").click()
    page.get_by_test_id("saved-retrain-fitted").wait_for(timeout=10_000)
    fitted = page.get_by_test_id("saved-retrain-fitted").locator("li").all_inner_texts()
    assert any("최댓값" in line and "900" in line for line in fitted), fitted

    open_saved(page, trained, f"xor {tag}")
    page.get_by_test_id("saved-retrain").click()
    page.wait_for_function("() => window.trainingLab.state.runs[0].ds === 'xor'", timeout=10_000)
    form = page.evaluate("() => window.trainingLab.state.runs[0]")
    assert (form["ds"], form["h"], form["act"], form["opt"], form["hp"], form["bs"], form["ep"], form["ti"]) == (
        "xor",
        [8],
        "tanh",
        "adam",
        {"lr": 0.05},
        20,
        3,
        2,
    )
    assert page.get_by_test_id("saved-retrain-fitted").count() == 0
    assert "학습 시작" in page.get_by_test_id("saved-retrain-notes").inner_text()

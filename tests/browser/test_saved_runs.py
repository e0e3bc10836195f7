"""The Training Lab's "Saved runs" view and the Optimizer Lab's Save, as a student sees them.

Runs are made the way the page makes them (Start training) or over the API of the same live
server; every wait is on page state (a row, a badge, a drawn plot), never on a clock.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from training_page import FINISHED, open_lab, type_into

XOR: dict[str, Any] = {
    "dataset": {"name": "xor", "n_samples": 200, "seed": 1},
    "model": {"hidden": [8], "activation": "tanh"},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.05}},
    "batch_size": 20,
    "epochs": 3,
    "seed": 0,
    "telemetry": {"interval": 2},
}


def api(live_server: str) -> httpx.Client:
    return httpx.Client(base_url=live_server, timeout=30.0)


def train_saved(live_server: str, label: str) -> str:
    """Train one small job over the API and wait until its saved run is done; returns its id."""
    with api(live_server) as client:
        for _ in range(600):
            response = client.post("/api/jobs", json={**XOR, "label": label})
            if response.status_code != 429:
                break
            time.sleep(0.1)  # another test's job holds the slots: the server said to retry
        assert response.status_code == 202, response.text
        run_id: str = response.json()["id"]
        for _ in range(600):
            saved = client.get(f"/api/runs/{run_id}")
            if saved.status_code == 200 and saved.json()["status"] == "done":
                return run_id
            time.sleep(0.05)
    raise AssertionError(f"run {run_id} was not saved")


def show_saved_runs(page, query: str | None = None) -> None:
    page.get_by_test_id("tab-runs").click()
    page.wait_for_function("document.getElementById('view-runs').dataset.state === 'ready'", timeout=20_000)
    if query is not None:
        page.get_by_test_id("saved-search").fill(query)
        page.wait_for_function(
            """q => [...document.querySelectorAll('[data-testid=saved-label]')].every(e => e.textContent.includes(q))
                   && document.getElementById('view-runs').dataset.state === 'ready'""",
            arg=query,
            timeout=20_000,
        )


def row(page, run_id: str):
    return page.locator(f"[data-testid=saved-row][data-run-id='{run_id}']")


def test_a_finished_run_appears_is_renamed_and_its_link_opens_it(page, new_page):
    open_lab(page)
    type_into(page, "epochs-input", "2")
    page.get_by_test_id("start-button").click()
    page.wait_for_function(FINISHED, timeout=90_000)
    job_id = page.evaluate("() => window.trainingLab.session.runs[0].jobId")

    show_saved_runs(page)
    saved = row(page, job_id)
    saved.wait_for(timeout=20_000)  # the server saves within a second; the view looks again
    page.wait_for_function(
        "id => document.querySelector(`[data-run-id='${id}'] [data-testid=saved-status]`)?.dataset.status === 'done'",
        arg=job_id,
        timeout=20_000,
    )
    assert saved.get_by_test_id("saved-status").inner_text() == "done"
    assert "test acc." in saved.get_by_test_id("saved-meta").inner_text()

    new_label = f"my first saved run {uuid.uuid4().hex[:6]}"
    saved.get_by_test_id("saved-rename").click()
    field = saved.get_by_test_id("saved-rename-input")
    field.fill(new_label)
    field.press("Enter")
    page.wait_for_function(
        """([id, label]) =>
             document.querySelector(`[data-run-id='${id}'] [data-testid=saved-label]`)?.textContent === label""",
        arg=[job_id, new_label],
    )
    show_saved_runs(page, query=new_label[-6:])  # searched on the server: the new name is stored
    assert row(page, job_id).get_by_test_id("saved-label").inner_text() == new_label

    row(page, job_id).get_by_test_id("saved-link").click()
    link = page.get_by_test_id("saved-link-input").input_value()
    assert link.endswith(f"/training?run={job_id}")

    other = new_page()
    other.goto(link)
    note = other.get_by_test_id("saved-note")
    note.wait_for(state="visible", timeout=20_000)
    assert new_label in note.inner_text()
    other.wait_for_function(
        "() => (document.getElementById('loss-plot').data || []).some(t => t.x.length > 0)", timeout=20_000
    )
    assert other.get_by_test_id("legend-run-0").inner_text() == new_label


def test_overlay_draws_two_runs_with_both_labels_and_their_histograms(page, live_server):
    tag = uuid.uuid4().hex[:6]
    labels = [f"alpha {tag}", f"beta {tag}"]
    ids = [train_saved(live_server, label) for label in labels]
    open_lab(page)
    show_saved_runs(page, query=tag)
    for run_id in ids:
        row(page, run_id).get_by_test_id("saved-select").check()
    assert page.get_by_test_id("saved-overlay").inner_text() == "Overlay selected (2)"
    page.get_by_test_id("saved-overlay").click()
    page.wait_for_function("document.getElementById('view-runs').dataset.overlay === 'drawn'", timeout=20_000)
    loss = page.evaluate(
        """() => document.getElementById('saved-loss').data
                 .filter(t => t.showlegend !== false).map(t => ({name: t.name, n: t.x.length}))"""
    )
    assert sorted(t["name"] for t in loss) == sorted(labels)
    assert all(t["n"] > 0 for t in loss)
    legend = page.locator("[data-testid=saved-loss] .legendtext").all_text_contents()
    assert sorted(legend) == sorted(labels)  # what the student reads next to the lines
    acc_names = page.evaluate(
        "() => document.getElementById('saved-acc').data.filter(t => t.showlegend !== false).map(t => t.name)"
    )
    assert sorted(acc_names) == sorted(labels)
    bars = page.evaluate("() => document.getElementById('saved-hist').data.filter(t => t.type === 'bar').length")
    assert bars == 2  # one hidden layer, two runs side by side


def test_status_badges_import_and_delete(page, tmp_path: Path):
    tag = uuid.uuid4().hex[:6]
    events = [
        {"id": 1, "event": "metrics", "data": {"step": 1, "epoch": 0.5, "train_loss": 1.0}},
        {"id": 2, "event": "epoch", "data": {"epoch": 1, "train_loss": 0.9}},
    ]
    done = [*events, {"id": 3, "event": "done", "data": {"status": "done", "summary": {"test_acc": 0.5}}}]
    stopped = [*events, {"id": 3, "event": "cancelled", "data": {"status": "cancelled", "summary": None}}]
    diverged = [*events, {"id": 3, "event": "done", "data": {"status": "done", "summary": {"status": "diverged"}}}]
    export = {  # what the Training Lab's "Export JSON" writes for several runs
        "runs": [
            {
                "label": f"done {tag}",
                "job_id": "j-1",
                "status": "done",
                "config": {},
                "summary": {"test_acc": 0.5},
                "events": done,
            },
            {
                "label": f"stopped {tag}",
                "job_id": "j-2",
                "status": "cancelled",
                "config": {},
                "summary": None,
                "events": stopped,
            },
            {
                "label": f"diverged {tag}",
                "job_id": "j-3",
                "status": "done",
                "config": {},
                "summary": {"status": "diverged"},
                "events": diverged,
            },
            {
                "label": f"cut off {tag}",
                "job_id": "j-4",
                "status": "running",
                "config": {},
                "summary": None,
                "events": events,
            },
        ]
    }
    path = tmp_path / "training-4-runs.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    open_lab(page)
    show_saved_runs(page)
    page.get_by_test_id("saved-import").set_input_files(str(path))
    page.get_by_test_id("saved-row").filter(has_text=f"cut off {tag}").wait_for(timeout=20_000)
    assert "Imported 4 run(s)" in page.get_by_test_id("toasts").inner_text()
    show_saved_runs(page, query=tag)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=saved-row]').length === 4", timeout=20_000)
    badges = {
        page.locator("[data-testid=saved-row]").nth(i).get_by_test_id("saved-label").inner_text(): page.locator(
            "[data-testid=saved-row]"
        )
        .nth(i)
        .get_by_test_id("saved-status")
        .inner_text()
        for i in range(4)
    }
    assert badges == {
        f"done {tag}": "done",
        f"stopped {tag}": "stopped by you",
        f"diverged {tag}": "diverged",
        f"cut off {tag}": "interrupted (server stopped)",
    }
    colours = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=saved-status]')]
                 .map(b => getComputedStyle(b).backgroundColor)"""
    )
    assert len(set(colours)) == 4  # four looks, not only four words

    victim = page.locator("[data-testid=saved-row]", has_text=f"stopped {tag}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    victim.get_by_test_id("saved-delete").click()
    assert page.locator("[data-testid=saved-row]").count() == 4  # dismissed: nothing deleted
    page.once("dialog", lambda dialog: dialog.accept())
    victim.get_by_test_id("saved-delete").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=saved-row]').length === 3")
    assert f"stopped {tag}" not in page.get_by_test_id("saved-list").inner_text()


def test_optimizer_lab_save_and_reopen(page):
    page.goto("/")
    page.wait_for_selector("#optimizer-lab[data-ready=true]", timeout=30_000)
    page.get_by_test_id("save-run").click()
    link = page.get_by_test_id("saved-run-link")
    link.wait_for(timeout=20_000)
    href = link.get_attribute("href")
    assert href.startswith("/?run=r-")
    before = page.evaluate("() => window.location.hash")
    steps = page.get_by_test_id("steps-input").input_value()
    page.goto("/")  # a fresh page with nothing in its address
    page.wait_for_selector("#optimizer-lab[data-ready=true]", timeout=30_000)
    page.goto(href)
    page.wait_for_selector("#optimizer-lab[data-ready=true]", timeout=30_000)
    assert "Reopened the saved configuration" in page.get_by_test_id("saved-run-line").inner_text()
    assert page.get_by_test_id("steps-input").input_value() == steps
    page.wait_for_function("h => window.location.hash === h && !window.location.search", arg=before)
    assert page.locator("[data-testid=outcome-badge]").count() >= 1  # the runs ran again

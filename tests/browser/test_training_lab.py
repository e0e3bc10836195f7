"""The Training Lab page driven in Chromium the way a person would use it.

What is checked against independent truth:
- live telemetry really streams: the plotted point counts grow between two reads while a job runs;
- the histograms have exactly the configured number of bins per hidden layer;
- the confusion matrix counts add up to the size of the test split (500 spiral points, 20% test);
- the textbook's init experiment (docs/experiments.md §2): with sigmoid and weight std 1 most of every layer's
  activations sit in the outer bins (saturation), with std 0.01 they sit in the middle bins;
- a reload restores the typed configuration, the chosen views and the language.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from training_page import FINISHED, READY, open_lab, type_into

# --------------------------------------------------------------------------------------------
# helpers


def plot_counts(page) -> dict:
    """How much data each live chart holds right now."""
    return page.evaluate(
        """() => {
          const data = id => document.getElementById(id).data || [];
          const bars = data('hist-plot').filter(t => t.type === 'bar');
          return {
            loss: Math.max(0, ...data('loss-plot').map(t => t.x.length)),
            grad: Math.max(0, ...data('grad-plot').map(t => t.x.length)),
            histBars: bars.length,
            histBins: bars.map(t => t.y.length),
            frame: Number(document.getElementById('step-slider').max),
            boundary: data('boundary-plot').some(t => t.type === 'heatmap'),
          };
        }"""
    )


def wait_finished(page, timeout: int = 60_000) -> None:
    page.wait_for_function(FINISHED, timeout=timeout)


# --------------------------------------------------------------------------------------------
# tests


def test_train_live_stop_results_language_and_reload(page):
    open_lab(page)
    page.get_by_test_id("preset-spiral").click()
    assert page.get_by_test_id("ds-select").input_value() == "spiral"
    # make the run long enough to watch it stream, then stop it
    type_into(page, "epochs-input", "500")
    type_into(page, "batch-size", "1")  # ~30 s of training in a worker process: long enough to stop it live
    page.get_by_test_id("start-button").click()

    page.wait_for_function(
        """() => { const d = document.getElementById('hist-plot').data || [];
                   const l = document.getElementById('loss-plot').data || [];
                   return d.some(t => t.type === 'bar') && l.length && l[0].x.length >= 3; }""",
        timeout=30_000,
    )
    first = plot_counts(page)
    page.wait_for_function(
        "n => (document.getElementById('loss-plot').data[0].x.length) > n + 3", arg=first["loss"], timeout=30_000
    )
    second = plot_counts(page)
    assert second["loss"] > first["loss"]
    assert second["grad"] >= first["grad"] > 0
    assert second["frame"] > first["frame"]
    # the spiral preset has two hidden layers; 30 bins each (the textbook's figures)
    assert first["histBars"] == 2 and first["histBins"] == [30, 30]
    assert page.evaluate("document.getElementById('ratio-plot').data.length") == 2
    # progress bar: epoch and time left
    assert re.search(r"epoch [\d.]+ / 500", page.get_by_test_id("progress-text").inner_text())
    badges = page.get_by_test_id("layer-badges").inner_text()
    assert "layer 1" in badges and "dead" in badges
    # the decision boundary is drawn while training (2-D data set)
    page.wait_for_function(
        "() => (document.getElementById('boundary-plot').data || []).some(t => t.type === 'heatmap')", timeout=20_000
    )

    page.get_by_test_id("stop-button").click()
    wait_finished(page, timeout=15_000)
    assert "stopped" in page.get_by_test_id("summary-row-0").inner_text()
    assert page.get_by_test_id("progress-text").inner_text() == "Stopped."

    # scrub back in time with the step slider: the histogram shows an earlier step
    last = page.evaluate("document.getElementById('step-slider').max")
    page.evaluate(
        "() => { const s = document.getElementById('step-slider'); s.value = 1; s.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_function("() => !document.getElementById('follow-live').checked")
    assert "frame 2 / " in page.get_by_test_id("step-label").inner_text()
    assert int(last) > 1

    # a complete short run: confusion matrix and test accuracy at the end
    type_into(page, "epochs-input", "25")
    type_into(page, "batch-size", "32")
    page.get_by_test_id("start-button").click()
    wait_finished(page)
    row = page.get_by_test_id("summary-row-0").inner_text()
    assert "done" in row
    summary = page.get_by_test_id("summary-line").inner_text()
    acc = float(re.search(r"Test accuracy ([\d.]+)%", summary).group(1))
    assert 50 <= acc <= 100  # three spiral arms: far above chance (33%) after 25 epochs
    confusion = page.evaluate(
        "() => document.getElementById('confusion-plot').data.find(t => t.type === 'heatmap').customdata"
    )
    assert len(confusion) == 3 and all(len(r) == 3 for r in confusion)
    assert sum(map(sum, confusion)) == 100  # 20% of the 500 spiral points are the test split
    diagonal = sum(confusion[i][i] for i in range(3))
    assert abs(diagonal / 100 - acc / 100) < 1e-9

    # export the run's history (JSON: every event; CSV: one row per metrics/epoch event)
    with page.expect_download() as info:
        page.get_by_test_id("export-json").click()
    exported = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert exported["config"]["dataset"]["name"] == "spiral"
    assert exported["events"][-1]["event"] == "done"
    n_rows = sum(1 for e in exported["events"] if e["event"] in ("metrics", "epoch"))
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == n_rows
    assert {"train_loss", "val_acc", "layer1_grad_norm", "layer2_update_ratio"} <= set(rows[0])

    # choose a histogram view, then switch the language
    page.get_by_test_id("hv-d").click()
    page.get_by_test_id("lang-ko").click()
    assert page.get_by_test_id("start-button").inner_text() == "학습 시작"
    assert page.get_by_test_id("hv-a").inner_text() == "층별"
    assert "테스트 정확도" in page.get_by_test_id("summary-line").inner_text()

    # reload: same configuration, same view, same language
    page.reload()
    page.wait_for_selector(READY, timeout=20_000)
    assert page.get_by_test_id("ds-select").input_value() == "spiral"
    assert page.get_by_test_id("epochs-input").input_value() == "25"
    assert page.get_by_test_id("batch-size").input_value() == "32"
    assert page.get_by_test_id("hidden-input").input_value() == "50, 50"
    assert page.get_by_test_id("hp-lr").input_value() == "0.01"
    assert page.get_by_test_id("hv-d").get_attribute("aria-pressed") == "true"
    assert page.get_by_test_id("start-button").inner_text() == "학습 시작"


def test_comparison_preset_overlays_runs(page):
    open_lab(page)
    page.get_by_test_id("preset-init_compare").click()
    assert page.locator("[data-testid^=run-item-]").count() == 3
    # a setting all runs share changes for all of them
    type_into(page, "epochs-input", "2")
    page.get_by_test_id("run-item-2").locator(".run-pick").click()
    assert page.get_by_test_id("epochs-input").input_value() == "2"
    assert page.get_by_test_id("init-select").input_value() == "he_normal"
    assert page.get_by_test_id("start-button").inner_text() == "Start 3 runs"
    page.get_by_test_id("start-button").click()
    wait_finished(page, timeout=90_000)

    legend = [page.get_by_test_id(f"legend-run-{i}").inner_text() for i in range(3)]
    assert legend == ["std = 0.01", "Xavier (σ = 1/√n)", "He (σ = √(2/n))"]
    traces = page.evaluate(
        "() => document.getElementById('loss-plot').data.map(t => ({name: t.name, color: t.line.color, n: t.x.length}))"
    )
    assert len(traces) == 6  # training + validation per run
    assert len({t["color"] for t in traces}) == 3  # one colour per run
    assert all(t["n"] > 0 for t in traces)
    statuses = [page.get_by_test_id(f"summary-row-{i}").inner_text() for i in range(3)]
    assert all("done" in s for s in statuses)
    # docs/experiments.md §3: with std 0.01 the 5-layer ReLU net does not learn (chance level, 10 classes); He does.
    test_acc = page.evaluate("() => window.trainingLab.session.runs.map(r => r.summary.test_acc)")
    assert test_acc[0] < 0.2 < test_acc[2]


def test_init_experiment_view(page):
    open_lab(page)
    page.get_by_test_id("tab-init").click()
    page.wait_for_function("document.getElementById('init-panels').dataset.state === 'ready'", timeout=20_000)
    panels = page.get_by_test_id("init-panel")
    assert panels.count() == 4
    data = page.evaluate(
        """() => [...document.querySelectorAll('.init-card')].map(c => ({
              id: c.dataset.panel,
              layers: c.querySelector('.init-plot').data.map(t => Array.from(t.y)),
              edges: c.querySelector('.init-plot').data.map(t => t.customdata.map(r => r[0]))}))"""
    )
    assert [d["id"] for d in data] == ["sig_std1", "sig_std001", "sig_xavier", "relu_he"]
    for d in data:
        assert len(d["layers"]) == 5 and all(len(counts) == 30 for counts in d["layers"])
        assert all(sum(counts) == 1000 * 100 for counts in d["layers"])  # 1,000 inputs × 100 units
    # sigmoid, std 1: saturation — the outer 3 bins on each side ((0, 0.1) and (0.9, 1)) hold most values
    for counts in data[0]["layers"]:
        assert (sum(counts[:3]) + sum(counts[-3:])) / sum(counts) > 0.6
    # sigmoid, std 0.01: everything near 0.5 — the four middle bins (0.433, 0.567) hold nearly everything
    # (layer 1: pre-activation std = 0.01·√100 = 0.1, so activation std ≈ 0.1·σ'(0) = 0.025; ±0.067 ≈ ±2.7 std)
    for counts in data[1]["layers"]:
        assert sum(counts[13:17]) / sum(counts) > 0.95
    # and the two panels differ where it matters: almost nothing in the outer bins at std 0.01
    for counts in data[1]["layers"]:
        assert sum(counts[:3]) + sum(counts[-3:]) == 0
    assert "Activations pile up at 0 and 1" in panels.nth(0).inner_text()

    # the tanh option adds a fifth panel; the choice survives a reload
    page.get_by_test_id("ie-panel-tanh_xavier").check()
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=init-panel]').length === 5 && "
        "document.getElementById('init-panels').dataset.state === 'ready'",
        timeout=20_000,
    )
    tanh_edges = page.evaluate(
        "() => document.getElementById('init-plot-tanh_xavier').data[0].customdata.map(r => r[0])"
    )
    assert abs(tanh_edges[0] + 1) < 1e-9  # tanh histograms span (−1, 1)
    page.reload()
    page.wait_for_selector(READY, timeout=20_000)
    page.wait_for_function("document.getElementById('init-panels').dataset.state === 'ready'", timeout=20_000)
    assert page.get_by_test_id("init-panel").count() == 5
    assert page.get_by_test_id("tab-init").get_attribute("aria-selected") == "true"


def test_a_run_waiting_for_a_worker_shows_its_place_in_line_and_can_be_stopped(page, live_server) -> None:
    """Issue 9 point 3: beyond the server's workers a run waits in line and the page says where."""
    import urllib.request

    from app.jobs.manager import get_manager

    def call(method: str, path: str, body: object = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            live_server + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    other = {"dataset": {"name": "digits"}, "model": {"hidden": [32]}, "batch_size": 1, "epochs": 500}
    # Fill every worker, and put two runs in line ahead of the page's (the per-client bound is 3).
    ahead = get_manager().capacity + 2
    ids = [call("POST", "/api/jobs", {**other, "label": "another student"})["id"] for _ in range(ahead)]
    try:
        open_lab(page)
        page.get_by_test_id("start-button").click()
        page.wait_for_function(
            "document.getElementById('progress-text').textContent.includes('3rd in line')", timeout=30_000
        )
        assert page.get_by_test_id("progress-text").inner_text() == "waiting for the server: 3rd in line"
        for job_id in ids[-2:]:  # the two ahead leave the line: the page's run moves up
            call("DELETE", f"/api/jobs/{job_id}")
        page.wait_for_function(
            "document.getElementById('progress-text').textContent.includes('next in line')", timeout=30_000
        )
        page.get_by_test_id("stop-button").click()  # cancelling a waiting run works at once
        page.wait_for_function(FINISHED, timeout=20_000)
        assert page.get_by_test_id("progress-text").inner_text() == "Stopped."
    finally:
        for job_id in ids:
            call("DELETE", f"/api/jobs/{job_id}")

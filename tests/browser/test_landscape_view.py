"""The Training Lab's Landscape view and the race on it, driven in Chromium (docs/landscape.md).

Checked against independent truth: the value the page reports at (0, 0) is the run's own final
training loss (from GET /api/jobs/{id}); the PCA axis titles carry the explained variance the API
returned; one click opens the Optimizer Lab on the landscape surface and its races run there.
"""

from __future__ import annotations

import json
import time
import urllib.request

from training_page import READY

CONFIG = {
    "dataset": {"name": "digits"},
    "model": {"hidden": [16, 16]},
    "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}},
    "epochs": 5,
    "seed": 2,
}


def finished_job(base: str) -> dict:
    request = urllib.request.Request(
        f"{base}/api/jobs", data=json.dumps(CONFIG).encode(), headers={"Content-Type": "application/json"}
    )
    job_id = json.loads(urllib.request.urlopen(request, timeout=30).read())["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = json.loads(urllib.request.urlopen(f"{base}/api/jobs/{job_id}", timeout=30).read())
        if body["status"] in ("done", "error", "cancelled"):
            return body
        time.sleep(0.2)  # polling the server for the job, not waiting on the page
    raise AssertionError("the job did not finish")


def test_landscape_view_draws_the_run_and_races_on_it(page, live_server: str) -> None:
    job = finished_job(live_server)
    assert job["status"] == "done"
    page.goto(f"/training#(v:landscape,ls:(run:{job['id']},g:9,n:5000))")
    page.wait_for_selector(READY, timeout=20_000)
    page.wait_for_function(f"document.getElementById('ls-run').value === '{job['id']}'", timeout=30_000)
    page.get_by_test_id("ls-compute").click()
    page.wait_for_function("!document.getElementById('ls-race').disabled", timeout=120_000)
    status = page.get_by_test_id("ls-status").inner_text()
    assert "9 × 9 grid" in status
    summary = page.get_by_test_id("ls-summary").inner_text()
    reported = job["summary"]["train_loss"]
    assert f"the run reported {reported:.4g}" in summary or f"{reported:.4f}"[:5] in summary
    axes = page.evaluate(
        "() => { const l = document.getElementById('ls-plot').layout;"
        " return [l.xaxis.title.text, l.yaxis.title.text]; }"
    )
    assert axes[0].startswith("PC1 (") and axes[1].startswith("PC2 (")
    # the projected path ends at θ* = (0, 0), with one marker per epoch 0 … 5
    path = page.evaluate("() => document.getElementById('ls-plot').data[1]")
    assert path["x"][-1] == 0 and path["y"][-1] == 0 and len(path["x"]) == 6
    # the URL carries the view's state
    assert "ls:" in page.evaluate("() => location.hash") or "ls%3A" in page.evaluate("() => location.hash")
    page.get_by_test_id("ls-race").click()
    page.wait_for_url("**/#*", timeout=60_000)
    page.wait_for_function(
        "() => document.getElementById('surface-select')?.value?.startsWith('landscape-')", timeout=60_000
    )
    page.wait_for_function(
        "() => (document.getElementById('main-plot').data || []).some(t => t.mode && t.x && t.x.length > 5)",
        timeout=120_000,
    )
    page.wait_for_selector("#optimizer-lab[data-ready=true]", timeout=120_000)
    first_path = (
        "(document.getElementById('main-plot').data || []).find(t => t.meta?.kind === 'path' && t.meta.run === 0)"
    )
    page.wait_for_function(f"() => ({first_path})?.x?.length > 10", timeout=120_000)
    # the race opens with the training run itself: its optimizer and its η, labelled as such
    first = page.locator("[data-testid=run-card][data-index='0']")
    assert first.get_by_test_id("run-optimizer").input_value() == CONFIG["optimizer"]["optimizer"]
    assert float(first.get_by_test_id("param-lr").input_value()) == CONFIG["optimizer"]["params"]["lr"]
    assert first.get_by_test_id("run-label").input_value() == "SGD η=0.1 (as trained)"
    # …next to contrasting optimizers with the server's suggested η (not the textbook bowl's runs)
    optimizers = page.eval_on_selector_all(
        "[data-testid=run-card] [data-testid=run-optimizer]", "els => els.map(e => e.value)"
    )
    assert optimizers == ["sgd", "adam", "rmsprop"]
    # the training run's path stays on the plotted plane (no "diverged" / "escaped" badge)
    status = first.get_by_test_id("run-status").inner_text()
    assert "diverged" not in status and "escaped" not in status, status
    plot = page.evaluate(
        "() => { const d = document.getElementById('main-plot'); const l = d._fullLayout;"
        f" const run = {first_path};"
        " return {x: run.x, y: run.y, xr: l.xaxis.range, yr: l.yaxis.range,"
        " xt: l.xaxis.title.text, yt: l.yaxis.title.text}; }"
    )
    for a, b in list(zip(plot["x"], plot["y"], strict=True))[:10]:
        assert plot["xr"][0] <= a <= plot["xr"][1] and plot["yr"][0] <= b <= plot["yr"][1], (a, b, plot)
    # the axes are the plane's coordinates a, b along the PCA directions, not x / y
    assert plot["xt"].startswith("a (PC1") and plot["yt"].startswith("b (PC2"), plot
    assert page.get_by_test_id("start-x").locator("xpath=..").inner_text().startswith("start a")
    # a built-in surface keeps x / y
    page.get_by_test_id("preset-textbook").click()
    page.wait_for_function(
        "() => document.getElementById('main-plot')._fullLayout?.xaxis?.title?.text === 'x'"
        " && document.getElementById('main-plot')._fullLayout.yaxis.title.text === 'y'",
        timeout=60_000,
    )
    assert page.get_by_test_id("start-x").locator("xpath=..").inner_text().startswith("start x")


def test_landscape_view_in_korean_says_when_there_is_no_run(new_page) -> None:
    page = new_page(locale="ko-KR")
    page.goto("/training#(v:landscape,ls:(run:j-000000000000))")
    page.wait_for_selector(READY, timeout=20_000)
    page.wait_for_function("document.getElementById('ls-status').textContent.length > 0", timeout=30_000)
    assert page.get_by_test_id("tab-landscape").inner_text() == "손실 지형"


def test_sharpness_chart_shows_lambda_max_against_two_over_eta(page) -> None:
    from training_page import FINISHED

    page.goto("/training#(b:(ds:iris,h:!(8),opt:sgd,hp:(lr:0.5),bs:0,ep:30,shp:(every:5,iterations:10,samples:100)))")
    page.wait_for_selector(READY, timeout=20_000)
    assert page.get_by_test_id("shp-check").is_checked()
    page.get_by_test_id("start-button").click()
    page.wait_for_function(FINISHED, timeout=120_000)
    page.wait_for_function("!document.getElementById('sharpness-panel').hidden", timeout=30_000)
    traces = page.evaluate(
        "() => document.getElementById('sharpness-plot').data.map(t => ({name: t.name, x: t.x, y: t.y}))"
    )
    lam, threshold = traces[0], traces[1]
    assert lam["x"] == [0, 5, 10, 15, 20, 25, 30]
    assert all(abs(v - 4.0) < 1e-9 for v in threshold["y"])  # 2/η for η = 0.5
    assert all(v > 0 for v in lam["y"])

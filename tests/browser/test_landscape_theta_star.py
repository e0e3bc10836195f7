"""θ* on the Optimizer Lab's race over a network's loss-landscape plane (docs/landscape.md).

The plane is L(θ* + a·d₁ + b·d₂): its origin is the trained weights θ*. The main plot marks it at
(0, 0) with its own trace (legend "θ* (trained weights)", Korean "θ* (학습된 가중치)"), drawn after
the contour and the minima and before the start and the runs' paths. On a random-direction plane
the start projects almost onto θ* (random directions are nearly orthogonal to θ₀ − θ*); the
legend then says so, with the distance, and θ* is an open diamond around the start's circle.
"""

from __future__ import annotations

import json
import math
import time
import urllib.request

READY = "#optimizer-lab[data-ready=true]"
CONFIG = {
    "dataset": {"name": "digits"},
    "model": {"hidden": [16, 16]},
    "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}},
    "epochs": 4,
    "seed": 5,
    "telemetry": {"adaptive": False},
}


def post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{base}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    for _ in range(600):
        try:
            return json.loads(urllib.request.urlopen(request, timeout=60).read())
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 503):
                raise
            time.sleep(0.1)  # another test's work holds the server's slots
    raise AssertionError(f"{path} stayed busy")


def planes(base: str) -> dict[str, dict]:
    """A finished run's PCA and random planes, registered as Optimizer Lab surfaces."""
    job_id = post(base, "/api/jobs", CONFIG)["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = json.loads(urllib.request.urlopen(f"{base}/api/jobs/{job_id}", timeout=30).read())["status"]
        if status in ("done", "error", "cancelled"):
            break
        time.sleep(0.2)  # polling the server for the job, not waiting on the page
    assert status == "done"
    body = {"run_id": job_id, "grid": 9, "samples": 300}
    return {d: post(base, "/api/landscapes/surfaces", {**body, "directions": d}) for d in ("pca", "random")}


def open_race(page, registered: dict) -> list[dict]:
    a, b = registered["start"]
    page.goto(f"/#(s:{registered['surface']},x0:!({a!r},{b!r}),n:20)")
    page.wait_for_selector(READY, timeout=120_000)
    page.wait_for_function(
        "() => (document.getElementById('main-plot').data || []).some(t => t.meta?.kind === 'path' && t.x.length > 5)",
        timeout=120_000,
    )
    return page.evaluate(
        "() => document.getElementById('main-plot').data.map(t => ({kind: t.meta?.kind, near: t.meta?.near,"
        " x: t.x, y: t.y, name: t.name, text: t.text, showlegend: t.showlegend, symbol: t.marker?.symbol,"
        " size: t.marker?.size}))"
    )


def test_theta_star_is_marked_at_the_origin_above_the_contour_and_under_the_paths(page, new_page, live_server):
    registered = planes(live_server)
    traces = open_race(page, registered["pca"])
    kinds = [t["kind"] for t in traces]
    assert kinds.count("theta_star") == 1
    star = traces[kinds.index("theta_star")]
    assert (star["x"], star["y"]) == ([0], [0])
    assert star["name"] == "θ* (trained weights)" and star["text"] == ["θ*"] and star["showlegend"]
    assert star["symbol"] == "diamond" and not star["near"]  # the PCA plane's start is far from θ*
    # order = drawing order: the contour is the surface plot under this one; θ* before start and paths
    assert kinds.index("theta_star") < kinds.index("start") < kinds.index("ghost") < kinds.index("path")
    legend = page.locator("#main-plot .legend").text_content() or ""
    assert "θ* (trained weights)" in legend
    # the race still steps (the per-step update addresses the traces after θ*)
    page.get_by_test_id("race-back").click()
    page.wait_for_function(
        "() => { const p = document.getElementById('main-plot').data"
        ".find(t => t.meta?.kind === 'path' && t.meta.run === 0);"
        " return p && p.x.filter(v => v !== null).length === 20; }",
        timeout=20_000,
    )
    assert (
        page.evaluate(
            "() => document.getElementById('main-plot').data.filter(t => t.meta?.kind === 'theta_star').length"
        )
        == 1
    )

    # the random plane: the start is a hair from θ*; both markers are drawn, the legend says how close
    page = new_page()
    traces = open_race(page, registered["random"])
    kinds = [t["kind"] for t in traces]
    star = traces[kinds.index("theta_star")]
    start = traces[kinds.index("start")]
    a, b = registered["random"]["start"]
    assert (start["x"], start["y"]) == ([a], [b]) and (star["x"], star["y"]) == ([0], [0])
    assert star["near"] and "≈ start" in star["name"]
    assert f"{math.hypot(a, b):.2g}" in star["name"]
    # an open diamond around the start's open circle (size 16) and the runs' markers sitting there
    assert star["symbol"] == "diamond-open" and star["size"] > 16
    assert star["text"] == [""]  # no "θ*" beside it to collide with the inspector's arrow labels there
    legend = page.locator("#main-plot .legend").text_content() or ""
    assert "θ* (trained weights) ≈ start" in legend and "start" in legend

    ko = new_page(locale="ko-KR")
    traces = open_race(ko, registered["pca"])
    star = next(t for t in traces if t["kind"] == "theta_star")
    assert star["name"] == "θ* (학습된 가중치)"


def test_no_theta_star_on_the_lab_surfaces(page) -> None:
    page.goto("/")
    page.wait_for_selector(READY, timeout=30_000)
    kinds = page.evaluate("() => document.getElementById('main-plot').data.map(t => t.meta?.kind)")
    assert "theta_star" not in kinds and "start" in kinds

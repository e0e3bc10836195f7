"""The Optimizer Lab page driven in Chromium the way a person would use it.

Numbers are checked against independent truth: the course's worked example (docs/surfaces.md: GD with
η = 0.1 on J from (−5, 4) gives x(1) = (−3.6, 1.9), x(2) = (−2.69, 0.78), x(30) ≈ (−0.0161,
−0.00665); stability limit 2/(3+√2)), hand-computed first steps (Nesterov, custom f), and the
AdaGrad accumulator recomputed from the plotted path and the known gradient of x²/20 + y².
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import math
import re
from pathlib import Path

import pytest

READY = "#optimizer-lab[data-ready=true]"


# --------------------------------------------------------------------------------------------
# helpers


def open_lab(page, url: str = "/"):
    """Open the page and wait for the first run to be drawn."""
    page.goto(url)
    page.wait_for_selector(READY, timeout=20_000)
    return page


def runs_done(page) -> int:
    return int(page.get_attribute("#optimizer-lab", "data-runs") or 0)


def wait_new_run(page, before: int) -> None:
    """Wait until a run newer than `before` has finished and none is in flight or scheduled."""
    page.wait_for_function(
        """n => { const r = document.getElementById('optimizer-lab');
                  return Number(r.dataset.runs || 0) > n && r.dataset.busy === 'false'
                         && r.dataset.pending === 'false'; }""",
        arg=before,
        timeout=20_000,
    )


def traces(page, kind: str) -> list[dict]:
    """The main plot's traces of one kind (path, current, ghost, arrow_update, …), in run order."""
    return page.evaluate(
        """kind => document.getElementById('main-plot').data
             .filter(d => d.meta && d.meta.kind === kind)
             .map(d => ({x: Array.from(d.x), y: Array.from(d.y), name: d.name, run: d.meta.run}))""",
        kind,
    )


def wait_path_lengths(page, lengths: list[int]) -> None:
    page.wait_for_function(
        """want => { const d = document.getElementById('main-plot').data || [];
                     const got = d.filter(t => t.meta && t.meta.kind === 'path').map(t => t.x.length);
                     return JSON.stringify(got) === JSON.stringify(want); }""",
        arg=lengths,
        timeout=20_000,
    )


def to_last_step(page) -> None:
    """Move the race to its last step (a preset opens at step 0, issue 7), as dragging the slider does."""
    page.evaluate(
        """() => { const s = document.getElementById('race-slider');
                   s.value = s.max; s.dispatchEvent(new Event('input', {bubbles: true})); }"""
    )
    # drawn: every run's path as long as its whole (ghost) path
    page.wait_for_function(
        """() => { const d = document.getElementById('main-plot').data || [];
                   const len = (kind) => d.filter(t => t.meta && t.meta.kind === kind).map(t => t.x.length);
                   const paths = len('path'), ghosts = len('ghost');
                   return paths.length > 0 && JSON.stringify(paths) === JSON.stringify(ghosts); }""",
        timeout=20_000,
    )


def lab_at_preset(page, preset: str = "textbook", at_end: bool = True):
    """The shared page, reset to a preset (opening the lab first if needed); at its last step
    unless ``at_end`` is false (a preset opens at step 0)."""
    if not page.url.startswith("http") or page.query_selector(READY) is None:
        open_lab(page)
    before = runs_done(page)
    page.click(f"[data-testid=preset-{preset}]")
    wait_new_run(page, before)
    if at_end:
        to_last_step(page)
    page.evaluate("window.scrollTo(0, 0)")
    return page


@pytest.fixture
def lab(module_page):
    """The module's shared page showing the textbook figure (the first visit's configuration)."""
    return lab_at_preset(module_page, "textbook")


def card(page, index: int):
    return page.locator(f'[data-testid=run-card][data-index="{index}"]')


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol


# --------------------------------------------------------------------------------------------
# tests


def test_pick_surface_configure_two_optimizers_and_run(lab):
    page = lab
    page.uncheck("#auto-run")  # drive it with the Run button, like a careful teacher
    page.select_option("#surface-select", "course_quadratic")
    assert page.input_value("#start-x") == "-5"
    assert page.input_value("#start-y") == "4"
    assert "x^2 + 2y^2 - xy" in page.get_attribute("#surface-formula math", "data-tex")

    # textbook preset has four runs: keep two
    card(page, 3).get_by_test_id("run-remove").click()
    card(page, 2).get_by_test_id("run-remove").click()
    assert page.locator("[data-testid=run-card]").count() == 2

    card(page, 0).get_by_test_id("run-optimizer").select_option("sgd")
    card(page, 0).get_by_test_id("param-lr").fill("0.1")
    card(page, 1).get_by_test_id("run-optimizer").select_option("nesterov")
    card(page, 1).get_by_test_id("param-lr").fill("0.05")
    # the card shows Nesterov's update rule as MathML
    tex = card(page, 1).locator("[data-testid=run-equation] math").evaluate_all("ms => ms.map(m => m.dataset.tex)")
    assert any("\\mu v" in line for line in tex)
    assert card(page, 1).locator("[data-testid=run-equation] mfrac, [data-testid=run-equation] mi").count() > 0
    page.fill("#steps-input", "25")

    before = runs_done(page)
    page.click("#run-button")
    wait_new_run(page, before)
    wait_path_lengths(page, [26, 26])
    sgd, nesterov = traces(page, "path")
    # GD: x(1) = x(0) − 0.1 ∇J(−5, 4) = (−5, 4) − 0.1 (−14, 21) = (−3.6, 1.9)
    assert close(sgd["x"][1], -3.6) and close(sgd["y"][1], 1.9)
    # Nesterov, v0 = 0: v = −η g = (0.7, −1.05); θ ← θ + μ v − η g = (−5 + 0.63 + 0.7, 4 − 0.945 − 1.05)
    assert close(nesterov["x"][1], -3.67) and close(nesterov["y"][1], 2.005)
    assert page.locator("[data-testid=result-row]").count() == 2
    assert "SGD η=0.1" in page.inner_text("#results-body")

    # more than 2,000 steps: streamed, drawn while it arrives, every point there at the end
    page.fill("#steps-input", "2500")
    before = runs_done(page)
    page.click("#run-button")
    wait_new_run(page, before)
    wait_path_lengths(page, [2501, 2501])
    assert "2,000" in page.inner_text("#inspector")  # streamed runs carry no per-step internals


def test_course_preset_worked_numbers_threshold_and_divergence(module_page):
    page = lab_at_preset(module_page, "course")
    wait_path_lengths(page, [31, 31, 31])
    gd01 = traces(page, "path")[0]
    assert gd01["name"] == "GD η=0.1"
    assert close(gd01["x"][1], -3.6) and close(gd01["y"][1], 1.9)
    assert close(gd01["x"][2], -2.69) and close(gd01["y"][2], 0.78)
    assert close(gd01["x"][30], -0.0161, 5e-4) and close(gd01["y"][30], -0.00665, 5e-5)
    table = page.inner_text("#results-body")
    for label in ("GD η=0.1", "GD η=0.01", "GD η=0.5"):
        assert label in table

    # the lr sweep marks plain GD's stability limit 2/λ_max = 2/(3 + √2) ≈ 0.453
    page.click("#sweep-button")
    page.wait_for_function(
        """() => { const d = document.getElementById('sweep-plot');
                   return d.data && d.data.some(t => t.meta && t.meta.kind === 'sweep'); }""",
        timeout=20_000,
    )
    x0 = page.evaluate("document.getElementById('sweep-plot').layout.shapes[0].x0")
    assert close(x0, 2 / (3 + math.sqrt(2)), 1e-6)

    # η = 0.5 > 0.453 diverges: a badge with the step, not an error
    before = runs_done(page)
    page.fill("#steps-input", "200")
    wait_new_run(page, before)
    row = page.locator("[data-testid=result-row]").nth(2)
    match = re.search(r"diverged at step (\d+)", row.inner_text())
    assert match, row.inner_text()
    diverged_at = int(match.group(1))
    # independent (issue 7, docs/stability.md "Run outcomes"): the first step where J grew past
    # 10³ × J(θ0) while rising (J's minimum is 0), iterating GD with η = 0.5 by hand
    x, y, k = -5.0, 4.0, 0
    j0 = x * x + 2 * y * y - x * y
    j_prev = j0
    while True:
        x, y, k = x - 0.5 * (2 * x - y), y - 0.5 * (4 * y - x), k + 1
        j = x * x + 2 * y * y - x * y
        if j > 1e3 * j0 and j > j_prev:
            break
        j_prev = j
    assert diverged_at == k
    # the engine keeps iterating to its 1e8 bound: the path ends at the first iterate beyond it
    x, y, k = -5.0, 4.0, 0
    while max(abs(x), abs(y), abs(x * x + 2 * y * y - x * y)) <= 1e8:
        x, y, k = x - 0.5 * (2 * x - y), y - 0.5 * (4 * y - x), k + 1
    to_last_step(page)
    # the drawn path holds exactly the in-bound iterates θ0 … θ(k−1) (docs/API.md)
    assert len(traces(page, "path")[2]["x"]) == k
    assert card(page, 2).get_by_test_id("run-status").is_visible()
    assert page.is_hidden("#run-error")
    assert len(traces(page, "path")[0]["x"]) == 201  # η = 0.1 still runs all 200 steps


def test_click_on_contour_sets_start_then_export(lab):
    page = lab  # textbook figure: x ∈ [−10, 10], y ∈ [−5, 5]
    page.locator("#main-plot").scroll_into_view_if_needed()
    box = page.locator("#main-plot .nsewdrag").bounding_box()
    before = runs_done(page)
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.75 * box["height"])
    x = float(page.input_value("#start-x"))
    y = float(page.input_value("#start-y"))
    assert abs(x - (-5.0)) < 0.1 and abs(y - (-2.5)) < 0.1
    start = traces(page, "start")[0]
    assert close(start["x"][0], x) and close(start["y"][0], y)
    wait_new_run(page, before)  # re-run on change is on by default
    for path in traces(page, "path"):
        assert close(path["x"][0], x) and close(path["y"][0], y)

    # export what is on screen: JSON (request + full runs) and CSV (one row per run and step)
    with page.expect_download() as info:
        page.click("#export-json")
    download = info.value
    assert download.suggested_filename == "optimizer-runs.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["request"]["steps"] == 30 and data["request"]["surface"] == "book_bowl"
    assert data["request"]["start"] == [x, y]
    assert [len(r["path"]) for r in data["runs"]] == [31, 31, 31, 31]
    assert [r["optimizer"] for r in data["runs"]] == ["sgd", "momentum", "adagrad", "adam"]

    with page.expect_download() as info:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 4 * 31
    assert (rows[0]["step"], float(rows[0]["x"]), float(rows[0]["y"])) == ("0", x, y)


def test_language_switch_reload_and_shared_link(page, new_page, live_server):
    open_lab(page)
    assert page.inner_text("#run-button") == "Run"
    before = runs_done(page)
    page.select_option("#surface-select", "himmelblau")
    card(page, 0).get_by_test_id("param-lr").fill("0.005")
    card(page, 1).get_by_test_id("run-optimizer").select_option("rmsprop")
    wait_new_run(page, before)

    page.click("[data-testid=lang-ko]")
    assert page.inner_text("#run-button") == "실행"
    assert page.inner_text("h2[data-i18n='lab.surface']") == "함수 곡면"
    assert page.inner_text("[data-testid=nav-optimizer]") == "옵티마이저 실험실"
    assert page.get_attribute("html", "lang") == "ko"
    assert re.search("[가-힣]", page.inner_text("#surface-description"))
    # no raw i18n key is left visible anywhere
    raw = page.evaluate(
        "[...document.querySelectorAll('[data-i18n]')].filter(e => e.textContent === e.dataset.i18n).length"
    )
    assert raw == 0

    page.wait_for_function(
        "() => ['himmelblau', 'rmsprop', '0.005'].every(s => location.hash.includes(s))", timeout=5_000
    )
    url = page.url
    page.reload()
    page.wait_for_selector(READY, timeout=20_000)

    def same_configuration(pg) -> None:
        assert pg.input_value("#surface-select") == "himmelblau"
        assert pg.locator("[data-testid=run-card]").count() == 4
        assert card(pg, 0).get_by_test_id("run-optimizer").input_value() == "sgd"
        assert card(pg, 0).get_by_test_id("param-lr").input_value() == "0.005"
        assert card(pg, 1).get_by_test_id("run-optimizer").input_value() == "rmsprop"
        assert card(pg, 3).get_by_test_id("param-lr").input_value() == "0.3"  # Adam untouched

    same_configuration(page)
    assert page.inner_text("#run-button") == "실행"  # the language choice is remembered

    # the shared link in another browser: same configuration, in that browser's language
    # (a Korean browser with no stored choice gets Korean; English reload above kept its choice)
    page.click("[data-testid=lang-en]")
    assert page.inner_text("#run-button") == "Run"
    other = new_page(locale="ko-KR")
    open_lab(other, url.replace(live_server, ""))
    same_configuration(other)
    assert other.inner_text("#run-button") == "실행"


def test_animation_slider_moves_marker_and_inspector(lab):
    page = lab  # textbook figure, 30 steps
    page.select_option("[data-testid=arrow-run]", "-1")  # arrows for every run (default: one run)
    page.locator("#race-slider").fill("5")
    wait_path_lengths(page, [6, 6, 6, 6])
    assert page.inner_text("#race-label") == "step 5 / 30"
    paths = traces(page, "path")
    for path, marker in zip(paths, traces(page, "current"), strict=True):
        assert marker["x"] == [path["x"][5]] and marker["y"] == [path["y"][5]]

    # the update arrow of each run goes from θ5 to θ6 (read θ6 from the faint whole path)
    ghosts = traces(page, "ghost")
    for ghost, arrow in zip(ghosts, traces(page, "arrow_update"), strict=True):
        assert close(arrow["x"][0], ghost["x"][5]) and close(arrow["x"][1], ghost["x"][6])
        assert close(arrow["y"][0], ghost["y"][5]) and close(arrow["y"][1], ghost["y"][6])

    # AdaGrad's accumulator h after update 5 = Σ_{i≤5} g_i², with ∇(x²/20 + y²) = (x/10, 2y)
    adagrad = ghosts[2]
    h = [
        sum((adagrad["x"][i] / 10) ** 2 for i in range(6)),
        sum((2 * adagrad["y"][i]) ** 2 for i in range(6)),
    ]
    insp = page.locator("[data-testid=inspector-card]").nth(2)
    assert "step 5 → 6" in insp.inner_text()
    h_row = insp.locator("tr", has_text="h = Σg²").locator("td")
    shown = [float(h_row.nth(i).inner_text().replace("−", "-")) for i in range(2)]
    assert all(abs(a - b) <= 1e-3 * abs(b) for a, b in zip(shown, h, strict=True))
    eff_row = insp.locator("tr", has_text="effective")
    assert eff_row.count() >= 1
    eff = float(eff_row.first.locator("td").nth(1).inner_text().replace("−", "-"))
    assert abs(eff - 1.5 / (math.sqrt(h[1]) + 1e-7)) <= 1e-3 * eff

    page.click("#race-forward")
    wait_path_lengths(page, [7, 7, 7, 7])
    page.click("#race-back")
    page.click("#race-back")
    wait_path_lengths(page, [5, 5, 5, 5])
    # the current step is part of the shareable state
    page.wait_for_function("() => location.hash.includes(',k:4')", timeout=5_000)
    # 2 steps/s: the race is still playing when the pause is clicked, even on a loaded machine
    # (at 10/s a 2 s delay lets it reach the end, and the click would start it again)
    page.select_option("#race-speed", "2")
    page.click("#race-play")
    page.wait_for_function("() => Number(document.getElementById('race-slider').value) >= 8", timeout=10_000)
    page.click("#race-play")
    assert page.get_attribute("#race-play", "data-state") == "paused"


ARROW_LABELS_JS = """tips => {
  const d = document.getElementById('main-plot');
  const xa = d._fullLayout.xaxis, ya = d._fullLayout.yaxis;
  const area = d.querySelector('.nsewdrag').getBoundingClientRect();
  const px = ([x, y]) => [area.left + xa.d2p(x), area.top + ya.d2p(y)];
  // every label Plotly actually rendered (SVG), with its box's bottom-left corner
  const labels = [...d.querySelectorAll('.scatterlayer .textpoint text')]
    .filter(t => t.textContent)
    .map(t => { const r = t.getBoundingClientRect(); return {text: t.textContent, at: [r.left, r.bottom]}; });
  return {labels, tips: tips.map(([text, xy]) => ({text, at: px(xy)}))};
}"""


def wait_drawn(page) -> None:
    """Wait until the main plot has no draw request in flight."""
    page.wait_for_function(
        "() => { const q = document.getElementById('main-plot')._drawQueue; return q && !q.running && !q.next; }",
        timeout=10_000,
    )


def assert_arrow_labels_of_step(page, k: int) -> None:
    """Every arrow label on screen is at the tip of one of step k's arrows, and none is missing.

    Expected arrows, from independent truth (textbook runs GD, momentum, AdaGrad, Adam on
    f = x²/20 + y², all arrow kinds on): −∇f of every run, of fixed length 0.07·diag(domain)
    along −(x/10, 2y) from θ_k; Δθ of every run to θ_{k+1} (read from the whole path), none at the
    last step; momentum's carried velocity v from step 1 on and Adam's −m, starting at θ_k.
    """
    wait_drawn(page)
    ghosts = traces(page, "ghost")
    n = len(ghosts[0]["x"]) - 1
    fixed = 0.07 * math.hypot(20, 10)
    tips = []
    for ghost in ghosts:
        x, y = ghost["x"][k], ghost["y"][k]
        g = (x / 10, 2 * y)
        s = fixed / math.hypot(*g)
        tips.append(("−∇f", (x - s * g[0], y - s * g[1])))
        if k < n:
            tips.append(("Δθ", (ghost["x"][k + 1], ghost["y"][k + 1])))
    for kind, label in (("arrow_velocity", "v"), ("arrow_velocity", "−m")):
        for arrow in traces(page, kind):
            if arrow["name"] != label or arrow["x"][0] is None:
                continue
            start = (ghosts[arrow["run"]]["x"][k], ghosts[arrow["run"]]["y"][k])
            assert close(arrow["x"][0], start[0]) and close(arrow["y"][0], start[1])
            tips.append((label, (arrow["x"][1], arrow["y"][1])))
    want = {"−∇f": 4, "Δθ": 4 if k < n else 0, "v": 1 if k >= 1 else 0, "−m": 1}
    assert sorted(t[0] for t in tips) == sorted(label for label, c in want.items() for _ in range(c))

    shown = page.evaluate(ARROW_LABELS_JS, [[text, list(xy)] for text, xy in tips])
    assert sorted(lab["text"] for lab in shown["labels"]) == sorted(tip["text"] for tip in shown["tips"])
    free = list(shown["tips"])
    for lab in shown["labels"]:
        # Plotly puts a "top right" label just right of and above its point (≈ 10–12 px each way)
        match = [
            tip
            for tip in free
            if tip["text"] == lab["text"]
            and 0 <= lab["at"][0] - tip["at"][0] <= 20
            and 0 <= tip["at"][1] - lab["at"][1] <= 20
        ]
        assert match, f"label {lab['text']} at {lab['at']} is not at the tip of a step-{k} arrow"
        free.remove(match[0])


def test_arrow_labels_belong_to_the_current_step(page):
    # a fresh page: the first run arrives while the grid and the first draw are in flight
    open_lab(page)
    # the page opens at step 0 (issue 7); every run's arrows, then the last step
    page.wait_for_function("() => document.getElementById('race-slider').value === '0'", timeout=10_000)
    page.select_option("[data-testid=arrow-run]", "-1")
    to_last_step(page)
    assert_arrow_labels_of_step(page, 30)
    for k in (5, 29, 30, 0, 30):
        page.locator("#race-slider").fill(str(k))
        wait_path_lengths(page, [k + 1] * 4)
        assert_arrow_labels_of_step(page, k)


def test_custom_expression_is_validated_inline(lab):
    page = lab
    page.select_option("#surface-select", "custom")
    page.fill("#expression-input", "x^2 + foo*y")
    page.wait_for_selector("#expression-error:not([hidden])")
    assert "foo" in page.inner_text("#expression-error")
    assert page.get_attribute("#expression-input", "aria-invalid") == "true"

    before = runs_done(page)
    page.fill("#expression-input", "(x^2 + y^2)/4")
    page.wait_for_selector("#expression-error", state="hidden")
    wait_new_run(page, before)
    wait_path_lengths(page, [31, 31, 31, 31])
    sgd = traces(page, "path")[0]
    x0, y0 = sgd["x"][0], sgd["y"][0]
    # SGD η = 0.95 on (x² + y²)/4, ∇f = (x/2, y/2): θ1 = θ0 − 0.95 θ0/2
    assert close(sgd["x"][1], x0 * (1 - 0.475), 1e-9) and close(sgd["y"][1], y0 * (1 - 0.475), 1e-9)
    # the API locates the custom function's minimum (0, 0): distance from the start is |θ0|
    dist = page.evaluate("document.getElementById('distance-plot').data[0].y[0]")
    assert close(dist, math.hypot(x0, y0), 1e-9)
    check_shell_modules(page)
    # issue 7 (formulas fit their box): ∇f is shown one component per line, ∂f/∂x then ∂f/∂y
    assert page.locator("#expression-gradient math").count() == 2


def check_shell_modules(page) -> None:
    """state.js round trip, math.js output and dictionary completeness, inside the page."""
    result = page.evaluate(
        """async () => {
      const state = await import('/static/js/shared/url_state.js');
      const math = await import('/static/js/shared/math.js');
      const dicts = [(await import('/static/js/shared/dictionary.js')).default,
                     (await import('/static/js/optimizer_lab/dictionary.js')).default];
      const value = {s: "book_bowl", e: "x^2 + 3*sin(y) # it's 100%!", n: -1.5e-7, k: 0,
                     l: "학습률 η=0.1", b: [true, false, null], o: {"0": "a b", "-x": []}};
      const round = state.fromHash('#' + state.toHash(value));
      const frac = math.mathElement(
        '\\\\theta \\\\leftarrow \\\\theta - \\\\frac{\\\\eta}{\\\\sqrt{\\\\hat{v}} + \\\\epsilon} \\\\odot g');
      const keys = dicts.map(d => [Object.keys(d.en).filter(k => !(k in d.ko)),
                                   Object.keys(d.ko).filter(k => !(k in d.en))]);
      const contour = await import('/static/js/optimizer_lab/contour_grid.js');
      const toIndex = contour.levelIndexer([1, 10, 100]);
      const fmt = (await import('/static/js/shared/format.js')).fmt;
      return {same: JSON.stringify(round) === JSON.stringify(value), hash: state.toHash({x0: [-7, 2]}),
              bad: state.fromHash('#(unterminated'),
              tags: ['mfrac', 'msqrt', 'mover', 'mo'].map(t => frac.querySelectorAll(t).length),
              text: frac.textContent, keys,
              index: [toIndex(5), toIndex(55), toIndex(0.5), toIndex(1000), toIndex(null)],
              fmt: [fmt(-3.6), fmt(0.000123), fmt(123456), fmt(null)]};
    }"""
    )
    assert result["same"]
    assert result["hash"] == "(x0:!(-7,2))"
    assert result["bad"] is None
    assert all(n >= 1 for n in result["tags"])
    for symbol in ("θ", "←", "η", "ε", "⊙", "ˆ"):
        assert symbol in result["text"]
    assert result["keys"] == [[[], []], [[], []]], "every string must exist in English and Korean"
    # levels 1, 10, 100 ↦ 0, 1, 2, linear in between, clamped at the ends
    assert result["index"] == [pytest.approx(4 / 9), pytest.approx(1.5), 0, 2, None]
    assert result["fmt"] == ["−3.6", "1.23e-4", "1.235e5", "—"]


def test_presets_load_and_run(module_page):
    page = lab_at_preset(module_page, "saddle")
    assert page.input_value("#surface-select") == "saddle"
    assert page.locator("[data-testid=result-row]").count() == 4
    assert "noise" in card(page, 2).get_by_test_id("run-label").get_attribute("placeholder")
    assert page.is_hidden("#run-error")
    # plain GD on x² − y² from (−4, 0.001): x_k = −4 (1 − 2η)^k, y_k = 0.001 (1 + 2η)^k
    paths = traces(page, "path")
    assert close(paths[0]["x"][10], -4 * 0.9**10) and close(paths[0]["y"][10], 0.001 * 1.1**10)
    assert not close(paths[2]["y"][10], 0.001 * 1.1**10, 1e-6)  # the same GD, with gradient noise

    before = runs_done(page)
    page.click("[data-testid=preset-textbook]")
    wait_new_run(page, before)
    wait_path_lengths(page, [1, 1, 1, 1])  # a preset opens at step 0 (issue 7)
    to_last_step(page)
    wait_path_lengths(page, [31, 31, 31, 31])
    assert page.input_value("#surface-select") == "book_bowl"


# --------------------------------------------------------------------------------------------
# the 2-D surface: a Plotly contour trace in its own plot under the (transparent) main plot

SURFACE_STATE = """() => {
  const s = document.getElementById('main-surface'), m = document.getElementById('main-plot');
  const box = d => { const r = d.querySelector('.nsewdrag').getBoundingClientRect();
                     return [r.x, r.y, r.width, r.height]; };
  const ranges = d => [Array.from(d._fullLayout.xaxis.range), Array.from(d._fullLayout.yaxis.range)];
  return {traces: s.data.map(d => ({type: d.type, kind: d.meta && d.meta.kind, x: Array.from(d.x), y: Array.from(d.y),
                                    z: d.z.map(r => Array.from(r)), contours: d.contours})),
          mainTypes: m.data.map(d => d.type), surfaceBox: box(s), mainBox: box(m),
          surfaceRanges: ranges(s), mainRanges: ranges(m),
          contourPaths: s.querySelectorAll('g.contour path').length,
          mainContourLayers: m.querySelectorAll('.contourlayer').length};
}"""


SURFACE_SYNCED = """() => {
  const s = document.getElementById('main-surface'), m = document.getElementById('main-plot');
  if (!s._fullLayout || !m._fullLayout) return false;
  const ranges = d => [...d._fullLayout.xaxis.range, ...d._fullLayout.yaxis.range];
  const box = d => { const r = d.querySelector('.nsewdrag').getBoundingClientRect();
                     return [r.x, r.y, r.width, r.height]; };
  const near = (a, b, tol) => a.every((v, i) => Math.abs(v - b[i]) <= tol(b[i]));
  return near(ranges(s), ranges(m), v => 1e-9 * Math.max(1, Math.abs(v))) && near(box(s), box(m), () => 0.5);
}"""


def wait_surface_synced(page) -> None:
    """Wait until the surface plot has followed the main plot's axes and plot area."""
    page.wait_for_function(SURFACE_SYNCED, timeout=10_000)


def surface_state(page) -> dict:
    return page.evaluate(SURFACE_STATE)


def same_box(a: list[float], b: list[float]) -> bool:
    return all(abs(u - v) <= 0.5 for u, v in zip(a, b, strict=True))


def same_ranges(a, b) -> bool:
    return all(
        close(u, v, 1e-9 * max(1.0, abs(v))) for ra, rb in zip(a, b, strict=True) for u, v in zip(ra, rb, strict=True)
    )


def book_bowl(x: float, y: float) -> float:
    return x * x / 20 + y * y


def test_surface_is_a_plotly_contour_under_the_paths(lab):
    page = lab  # textbook figure: f = x²/20 + y² on [−10, 10] × [−5, 5], log-spaced levels
    page.locator("#main-plot").scroll_into_view_if_needed()
    api = page.evaluate("fetch('/api/surfaces/book_bowl/grid?n=120&scale=log').then(r => r.json())")
    levels = api["levels"]
    state = surface_state(page)

    # one genuine Plotly contour trace over the grid's nodes; the main plot holds only scatters
    (surface,) = state["traces"]
    assert surface["type"] == "contour" and surface["kind"] == "surface"
    assert len(surface["z"]) == len(api["y"]) == 120 and all(len(row) == len(api["x"]) == 120 for row in surface["z"])
    assert surface["x"] == api["x"] and surface["y"] == api["y"]
    assert set(state["mainTypes"]) == {"scatter"} and state["mainContourLayers"] == 0
    assert state["contourPaths"] > len(levels)  # filled bands and lines are in the DOM

    # the contours are the API's log-spaced levels (gaps grow with f): z holds the fractional level
    # index, so the integer contours 0, 1, …, L−1 are the levels; undoing the index gives back
    # f = x²/20 + y² at the grid nodes
    gaps = [b - a for a, b in itertools.pairwise(levels)]
    assert all(0 < a < b for a, b in itertools.pairwise(gaps))
    assert surface["contours"]["start"] == 0 and surface["contours"]["end"] == len(levels) - 1
    assert surface["contours"]["size"] == 1 and surface["contours"]["coloring"] == "fill"
    checked = 0
    for i in range(0, 120, 7):
        for j in range(0, 120, 5):
            f = book_bowl(api["x"][j], api["y"][i])
            if not levels[0] <= f <= levels[-1]:
                continue
            index = surface["z"][i][j]
            k = min(int(index), len(levels) - 2)
            assert close(levels[k] + (index - k) * (levels[k + 1] - levels[k]), f, 1e-9 * max(1.0, f))
            checked += 1
    assert checked > 100

    # both plots share one plot area (the colour bar does not shift the surface)
    assert same_box(state["surfaceBox"], state["mainBox"])
    assert same_ranges(state["surfaceRanges"], [[-10, 10], [-5, 5]])

    # pointing at an empty spot shows the contour's own hover with f at that grid node
    x0, y0, w, h = state["mainBox"]
    px, py = x0 + (7.5 + 10) / 20 * w, y0 + (5 + 4) / 10 * h  # data (7.5, −4): far from every path
    page.mouse.move(px - 3, py)
    page.mouse.move(px, py)
    page.wait_for_function("() => document.querySelector('#main-surface .hoverlayer .hovertext')", timeout=5_000)
    label = page.text_content("#main-surface .hoverlayer .hovertext").replace("−", "-")
    match = re.search(r"\(x, y\) = \(([-\d.e]+), ([-\d.e]+)\)\s*f = ([-\d.e]+)", label)
    assert match, label
    hx, hy, hf = (float(v) for v in match.groups())
    assert abs(hx - 7.5) < 0.2 and abs(hy + 4) < 0.1
    assert close(hf, book_bowl(hx, hy), 2e-3 * hf)
    assert "f =" in page.inner_text("#plot-readout")

    # zoom on the main plot: the surface follows; "reset axes" brings both back
    page.mouse.move(x0 + 0.3 * w, y0 + 0.3 * h)
    page.mouse.down()
    page.mouse.move(x0 + 0.6 * w, y0 + 0.7 * h, steps=5)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('main-plot')._fullLayout.xaxis.range[0] > -9")
    wait_surface_synced(page)
    zoomed = surface_state(page)
    assert same_ranges(zoomed["surfaceRanges"], zoomed["mainRanges"])
    assert zoomed["mainRanges"][0][1] - zoomed["mainRanges"][0][0] < 10
    assert same_box(zoomed["surfaceBox"], zoomed["mainBox"])
    page.locator("#main-plot .modebar-btn[data-title='Reset axes']").click()
    page.wait_for_function("() => document.getElementById('main-plot')._fullLayout.xaxis.range[0] === -10")
    wait_surface_synced(page)
    reset = surface_state(page)
    assert same_ranges(reset["surfaceRanges"], [[-10, 10], [-5, 5]]) and same_box(reset["surfaceBox"], reset["mainBox"])

    # line contours: the same trace with coloring "lines"
    page.click("#view-filled")
    page.wait_for_function("() => document.getElementById('main-surface').data[0].contours.coloring === 'lines'")
    page.click("#view-filled")
    page.wait_for_function("() => document.getElementById('main-surface').data[0].contours.coloring === 'fill'")

    # the race animates only the main plot: the contour stays drawn while it plays and after
    page.locator("#race-slider").fill("0")
    wait_path_lengths(page, [1, 1, 1, 1])
    page.select_option("#race-speed", "2")  # still playing when paused below, even under load
    page.click("#race-play")
    page.wait_for_function("() => Number(document.getElementById('race-slider').value) >= 3", timeout=10_000)
    assert surface_state(page)["contourPaths"] > len(levels)
    page.wait_for_function("() => Number(document.getElementById('race-slider').value) >= 6", timeout=10_000)
    page.click("#race-play")
    playing = surface_state(page)
    assert playing["contourPaths"] > len(levels)
    assert min(len(p["x"]) for p in traces(page, "path")) >= 7
    assert same_box(playing["surfaceBox"], playing["mainBox"])

    # the mode bar's PNG holds both layers: a spot of empty plot area has the contour's colour
    with page.expect_download() as info:
        page.locator("#main-plot .modebar-btn[data-title='Download plot as a PNG']").click()
    png = Path(info.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixel = page.evaluate(
        """async ([b64, fx, fy]) => {
          const img = new Image(); img.src = 'data:image/png;base64,' + b64; await img.decode();
          const m = document.getElementById('main-plot')._fullLayout, s = img.width / m.width;
          const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
          const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
          const px = (m._size.l + fx * m._size.w) * s, py = (m._size.t + fy * m._size.h) * s;
          return [img.width / m.width, ...ctx.getImageData(Math.round(px), Math.round(py), 1, 1).data];
        }""",
        [base64.b64encode(png).decode(), (8.5 + 10) / 20, (5 + 4.5) / 10],
    )
    scale, r, g, b, _ = pixel
    assert scale == 2
    assert b > r + 20 and (r, g, b) != (255, 255, 255)  # the light-blue band of high f, not white
    page.locator("#race-slider").fill("30")
    wait_path_lengths(page, [31, 31, 31, 31])


HOLD_JS = """() => {
  // hold the page's requests of one kind until the test releases them; an abort still rejects at
  // once, as a real fetch does
  const real = window.fetch.bind(window);
  const kindOf = url => url.startsWith('/api/trajectories') && !url.includes('stream') ? 'run'
                      : url.startsWith('/api/expressions/validate') ? 'check' : null;
  window.__hold = {run: false, check: false};
  window.__held = {run: [], check: []};
  window.fetch = (url, init = {}) => {
    const kind = kindOf(String(url));
    if (!kind || !window.__hold[kind]) return real(url, init);
    return new Promise((resolve, reject) => {
      if (init.signal) init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      window.__held[kind].push(() => real(url, init).then(resolve, reject));
    });
  };
}"""
RELEASE_JS = """kind => { window.__hold[kind] = false;
                     const go = window.__held[kind]; window.__held[kind] = []; go.forEach(f => f()); }"""


def test_answer_of_a_superseded_run_is_dropped(page):
    """A run still in flight when f(x, y) is edited must not land on screen (it answers an old problem).

    The run for f = (x² + y²)/4 is held until the next edit is typed (and its check held too); its
    late answer must be ignored: what is drawn is the run of the second function, checked by its
    first SGD step from independent truth.
    """
    open_lab(page)
    page.select_option("#surface-select", "custom")
    page.wait_for_selector("#expression-error", state="hidden")
    wait_new_run(page, runs_done(page) - 1)
    page.evaluate(HOLD_JS)

    page.evaluate("() => { window.__hold.run = true; }")
    page.fill("#expression-input", "(x^2 + y^2)/4")
    page.wait_for_function("() => window.__held.run.length === 1", timeout=10_000)

    page.evaluate("() => { window.__hold.check = true; }")
    page.fill("#expression-input", "(x^2 + y^2)/2")
    page.wait_for_function("() => window.__held.check.length === 1", timeout=10_000)
    before = runs_done(page)
    page.evaluate(RELEASE_JS, "run")  # the old run's answer arrives late (or not at all: the page aborted it)
    page.evaluate(RELEASE_JS, "check")
    wait_new_run(page, before)
    wait_path_lengths(page, [31, 31, 31, 31])
    sgd = traces(page, "path")[0]
    x0, y0 = sgd["x"][0], sgd["y"][0]
    # SGD η = 0.95 on (x² + y²)/2, ∇f = (x, y): θ1 = θ0 (1 − 0.95); the held run's f would give 1 − 0.475
    assert close(sgd["x"][1], x0 * 0.05, 1e-9) and close(sgd["y"][1], y0 * 0.05, 1e-9)
    assert runs_done(page) == before + 1

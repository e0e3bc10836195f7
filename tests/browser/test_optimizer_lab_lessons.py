"""Issue 7: each Optimizer Lab preset shows its lesson — driven as a teacher would, asserting what a
student reads. Independent truths: the course's J = x² + xy + 2y² … has Hessian [[2, 1], [1, 3]]·…
with λ_max = 3 + √2 (docs/surfaces.md), so GD is stable for η < 2/(3 + √2) = 0.4531; Himmelblau has
four minima, all global (docs/surfaces.md); Rastrigin's only global minimum is the origin.
"""

from __future__ import annotations

import math

from test_optimizer_lab import lab_at_preset, open_lab, runs_done, wait_new_run

PLOT_DATA = "document.getElementById('{div}').data"


def plot_eval(page, div: str, expr: str):
    """Evaluate `expr` with `d` = the Plotly traces of `div` (its `data`)."""
    return page.evaluate(f"(() => {{ const d = {PLOT_DATA.format(div=div)}; return {expr}; }})()")


def trace_of(page, div: str, kind: str, expr: str):
    """Evaluate `expr` with `t` = the first trace of `div` whose meta.kind is `kind`."""
    return plot_eval(page, div, f"(t => {expr})(d.find(x => x.meta && x.meta.kind === '{kind}'))")


GD_LIMIT_J = 2 / (3 + math.sqrt(2))


def badges(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=result-row] [data-testid=outcome-badge]')]
             .map(b => ({status: b.dataset.status, text: b.textContent, colour: getComputedStyle(b).color}))"""
    )


def test_course_preset_opens_at_step_0_and_eta_half_diverges(module_page):
    page = lab_at_preset(module_page, "course", at_end=False)
    assert page.inner_text("#race-label") == "step 0 / 30"
    got = badges(page)
    assert [b["status"] for b in got[:2]] == ["converged", "moving"]
    assert got[2]["status"] == "diverged"
    k = int(got[2]["text"].split()[-1])
    assert 1 <= k <= 30 and got[2]["text"] == f"diverged at step {k}"
    # only diverged is alarming: its colour differs from the converged badge's
    assert got[2]["colour"] != got[0]["colour"]
    # its path leaves the plot: an arrow marks the exit on the edge
    exits = page.evaluate("document.getElementById('main-plot').data.find(d => d.meta.kind === 'exits').x.length")
    assert exits == 1
    # stability note per run, against 2/(3+√2)
    rows = page.locator("[data-testid=result-row]")
    assert f"{GD_LIMIT_J:.3g}" in rows.nth(0).inner_text() and "stable" in rows.nth(0).inner_text()
    assert "unstable" in rows.nth(2).inner_text()


def test_saddle_momentum_escapes_and_loss_axis_is_symlog(module_page):
    page = lab_at_preset(module_page, "saddle")
    got = badges(page)
    assert got[1]["status"] == "escaped", got
    assert not any(b["status"] == "diverged" for b in got)
    assert page.get_attribute("#loss-plot", "data-scale") == "symlog"  # the saddle suggests symlog (f unbounded below)
    page.select_option("[data-testid=loss-scale]", "linear")
    page.wait_for_function("document.getElementById('loss-plot').dataset.scale === 'linear'")
    # the choice is part of the URL state (a reload or a shared link keeps it)
    page.wait_for_function("decodeURIComponent(location.hash).includes('ls:linear')")


def test_lr_sweep_merges_runs_and_draws_the_gd_threshold(module_page):
    page = lab_at_preset(module_page, "course")
    page.click("[data-testid=sweep-button]")
    page.wait_for_function(
        "(document.getElementById('sweep-plot').layout?.annotations || []).some(a => /0\\.453/.test(a.text))"
    )
    names = plot_eval(page, "sweep-plot", "d.filter(t => t.meta.kind === 'sweep').map(t => t.name)")
    assert len(names) == 1  # three GD runs that differ only in η: one curve
    x = page.evaluate("document.getElementById('sweep-plot').layout.shapes.map(s => s.x0)")
    assert any(abs(v - GD_LIMIT_J) < 1e-9 for v in x)


def test_rastrigin_has_exactly_one_global_minimum_marker(module_page):
    page = lab_at_preset(module_page, "textbook")
    before = runs_done(page)
    page.select_option("[data-testid=surface-select]", "rastrigin")
    wait_new_run(page, before)
    page.wait_for_function(
        "document.getElementById('main-plot').data.some(d => d.meta.kind === 'local_minima' && d.x.length > 0)"
    )
    glob = trace_of(page, "main-plot", "minima", "[t.x, t.y, t.marker.symbol]")
    local = trace_of(page, "main-plot", "local_minima", "[t.x.length, t.marker.symbol]")
    assert list(glob[0]) == [0] and list(glob[1]) == [0] and glob[2] == "star"
    assert local[0] == 120 and local[1] != "star"


def test_himmelblau_basin_map_has_one_colour_per_minimum(module_page):
    page = lab_at_preset(module_page, "textbook")
    before = runs_done(page)
    page.select_option("[data-testid=surface-select]", "himmelblau")
    wait_new_run(page, before)
    first = page.locator('[data-testid=run-card][data-index="0"]')
    first.locator("[data-testid=param-lr]").fill("0.01")
    page.select_option("[data-testid=map-mode]", "basin")
    page.fill("[data-testid=map-n]", "20")
    page.click("[data-testid=map-button]")
    page.wait_for_function("document.getElementById('map-plot').dataset.basins")
    assert page.get_attribute("#map-plot", "data-basins") == "4"
    legend = plot_eval(page, "map-plot", "d.filter(t => t.meta.kind === 'basin_minimum').length")
    assert legend == 4


def test_add_optimizer_gets_a_suggested_eta_and_says_why(module_page):
    page = lab_at_preset(module_page, "course")
    page.click("[data-testid=add-run]")
    note = page.locator('[data-testid=run-card][data-index="3"] [data-testid=lr-source]')
    note.wait_for()
    assert "distance" in note.inner_text()
    page.locator('[data-testid=run-card][data-index="3"] [data-testid=run-optimizer]').select_option("momentum")
    page.wait_for_function(
        """() => { const n = document.querySelector('[data-testid=run-card][data-index="3"] [data-testid=lr-source]');
                   return n && n.textContent.includes('λ_max'); }"""
    )
    assert "λ_max = 4.41" in note.inner_text()


def test_korean_outcomes_and_labels(new_page, live_server):
    page = new_page(locale="ko-KR")
    open_lab(page, f"{live_server}/?lang=ko")
    lab_at_preset(page, "course", at_end=False)
    got = badges(page)
    assert got[2]["text"].endswith("스텝에서 발산")
    assert page.inner_text("#race-label").startswith("스텝 0") or "0" in page.inner_text("#race-label")


def test_loss_axis_toggle_changes_the_axis_type(module_page):
    page = lab_at_preset(module_page, "textbook")
    assert page.evaluate("document.getElementById('loss-plot').layout.yaxis.type") == "log"
    page.select_option("[data-testid=loss-scale]", "symlog")
    page.wait_for_function("document.getElementById('loss-plot').dataset.scale === 'symlog'")
    axis = page.evaluate("(a => [a.type, a.ticktext])(document.getElementById('loss-plot').layout.yaxis)")
    assert axis[0] == "linear" and "0" in axis[1] and any(t.startswith("10") for t in axis[1])
    # the true f is kept for the hover: y = log10(1 + f) on the symlog axis
    y, f = plot_eval(page, "loss-plot", "[d[0].y[0], d[0].customdata[0]]")
    assert math.isclose(y, math.log10(1 + f), rel_tol=1e-12)


def test_opening_step_shows_one_runs_arrows_and_its_internals(module_page):
    page = lab_at_preset(module_page, "textbook", at_end=False)
    assert page.inner_text("#race-label") == "step 0 / 30"
    drawn = page.evaluate(
        """document.getElementById('main-plot').data
             .filter(d => d.meta.kind === 'arrow_update' && d.x[0] !== null).map(d => d.meta.run)"""
    )
    assert drawn == [0]
    # the inspector shows the update from θ0 = (−7, 2) with SGD η = 0.95: Δθ = −0.95·(−0.7, 4)
    text = page.locator("[data-testid=inspector-card]").first.inner_text()
    assert "0.665" in text and "−3.8" in text
    # and the Hessian of x²/20 + y² there: eigenvalues 0.1 and 2 (GD limit η < 1)
    page.wait_for_function("document.querySelector('[data-testid=inspector-card]').textContent.includes('λ₂')")
    text = page.locator("[data-testid=inspector-card]").first.inner_text()
    assert "λ₁ = 0.1" in text and "λ₂ = 2" in text and "η < 1" in text


def test_textbook_layout_draws_one_panel_per_optimizer(module_page):
    page = lab_at_preset(module_page, "textbook")
    page.check("[data-testid=view-textbook]")
    page.wait_for_function("document.querySelectorAll('[data-testid=textbook-panel]').length === 4")
    lengths = page.evaluate(
        """[...document.querySelectorAll('[data-testid=textbook-panel]')]
             .map(d => d.data.find(t => t.meta && t.meta.kind === 'textbook_path').x.length)"""
    )
    assert lengths == [31, 31, 31, 31]
    # offline: the small panels use the one Plotly config without share / cloud buttons
    cloud = page.evaluate(
        """[...document.querySelectorAll('[data-testid=textbook-panel]')].map(d => [d._context.showSendToCloud,
             [...d.querySelectorAll('.modebar-btn')].some(b => /cloud|share|studio/i.test(b.dataset.title || ''))])"""
    )
    assert cloud == [[False, False]] * 4
    page.uncheck("[data-testid=view-textbook]")
    assert page.is_visible("#main-plot")


def test_schedule_defaults_scale_with_steps_and_staircase_shows_the_floor(module_page):
    page = lab_at_preset(module_page, "course")  # 30 steps
    first = page.locator('[data-testid=run-card][data-index="0"]')
    first.locator("[data-testid=run-more] summary").click()
    before = runs_done(page)
    first.locator("[data-testid=run-schedule]").select_option("exponential")
    # GET /api/schedules?steps=30: the decay length is the run's 30 steps (docs/schedules.md)
    first.locator("[data-testid=sched-decay_steps]").wait_for()
    assert first.locator("[data-testid=sched-decay_steps]").input_value() == "30"
    wait_new_run(page, before)
    # η_t = 0.1 · 0.1^(t/30) drawn per step on the η chart
    lr = plot_eval(page, "lr-plot", "Array.from(d[0].y)")
    assert math.isclose(lr[0], 0.1) and math.isclose(lr[15], 0.1 * 0.1 ** (15 / 30), rel_tol=1e-9)
    assert "⌊" not in first.locator("[data-testid=schedule-equation]").inner_text()
    first.locator("[data-testid=sched-staircase]").check()
    page.wait_for_function(
        """() => document.querySelector('[data-testid=run-card][data-index="0"] [data-testid=schedule-equation]')
                   ?.textContent.includes('⌊')"""
    )

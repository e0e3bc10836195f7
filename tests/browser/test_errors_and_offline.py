"""What a student sees of server errors, in Korean and English, and that no chart offers the cloud.

- Korean: a formula the server rejects (``x^``) in the Optimizer Lab and a hidden layer wider than
  the server allows in the Training Lab show a Korean message (Hangul, not the server's English
  ``msg``) that names the field by its label on the page ("f(x, y)", "은닉층 크기").
- The same errors in English name the same fields and say what is wrong.
- Offline: no chart of either lab (main plot, side charts, sweep, start map, training curves,
  histograms, results, initialisation experiment) has a mode-bar button that shares or uploads it
  (Plotly's "Share chart…", Chart Studio), while the PNG download is there.
"""

from __future__ import annotations

import json
import re

HANGUL = re.compile(r"[\uac00-\ud7a3]")
CLOUD = re.compile(r"share|cloud|chart studio|plotly\.com|edit chart", re.I)

LAB_READY = "#optimizer-lab[data-ready=true]"
TRAIN_READY = "#training-lab[data-ready=true]"

# Every mode-bar button of every chart on the page, by chart.
MODEBARS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
  id: gd.id || gd.className,
  shown: Boolean(gd._context && gd._context.displayModeBar !== false && gd.data),
  buttons: Array.from(gd.querySelectorAll('.modebar-btn')).map(b =>
    ['data-title', 'title', 'href'].map(a => b.getAttribute(a) || '').join(' ')),
}))"""


def expression_error(page) -> str:
    page.goto("/")
    page.wait_for_selector(LAB_READY, timeout=20_000)
    page.select_option("#surface-select", "custom")
    page.fill("#expression-input", "x^")
    page.wait_for_selector("#expression-error:not([hidden])", timeout=20_000)
    return page.inner_text("#expression-error")


def too_wide_error(page) -> str:
    page.goto("/training")
    page.wait_for_selector(TRAIN_READY, timeout=20_000)
    field = page.get_by_test_id("hidden-input")
    field.fill("8, 10000")  # the form accepts it; the server's max_width (512) refuses it
    field.dispatch_event("change")
    page.get_by_test_id("start-button").click()
    page.wait_for_selector("#run-error:not([hidden])", timeout=20_000)
    return page.inner_text("#run-error")


def assert_no_cloud_buttons(page, at_least: int) -> None:
    charts = page.evaluate(MODEBARS)
    assert len(charts) >= at_least, charts
    for chart in charts:
        offending = [b for b in chart["buttons"] if CLOUD.search(b)]
        assert offending == [], (chart["id"], offending)
        if chart["shown"]:
            # the mode bar is really there (so the check above is not vacuous): PNG export kept
            assert any("PNG" in b for b in chart["buttons"]), chart


def test_korean_errors_name_the_field_in_korean(new_page) -> None:
    page = new_page(locale="ko-KR", width=1024, height=768)
    text = expression_error(page)
    assert text.startswith("f(x, y): ") and HANGUL.search(text), text
    assert "unexpected" not in text and "expression" not in text, text

    text = too_wide_error(page)
    label = page.inner_text("label:has(#hidden-input) .field-label").strip()
    assert HANGUL.search(label) and text.startswith(label), (label, text)
    assert "512" in text and "10000" in text and HANGUL.search(text.removeprefix(label)), text
    assert "max_width" not in text and "PLAYGROUND" not in text and "must be" not in text, text


def test_english_errors_name_the_same_fields(new_page) -> None:
    page = new_page(locale="en-US", width=1024, height=768)
    text = expression_error(page)
    assert text.startswith("f(x, y): ") and "position 3" in text and not HANGUL.search(text), text
    text = too_wide_error(page)
    assert text == "hidden layer sizes, layer 2: at most 512 (got 10000)", text


def test_the_error_line_follows_a_language_switch(new_page) -> None:
    page = new_page(locale="en-US")
    english = too_wide_error(page)
    page.get_by_test_id("lang-ko").click()
    page.wait_for_function("t => document.getElementById('run-error').textContent !== t", arg=english)
    korean = page.inner_text("#run-error")
    assert HANGUL.search(korean) and "512" in korean and "10000" in korean, korean


def test_no_chart_of_the_optimizer_lab_offers_to_share(page) -> None:
    page.goto("/")
    page.wait_for_selector(LAB_READY, timeout=20_000)
    page.click("#sweep-button")
    page.wait_for_function("() => (document.getElementById('sweep-plot')?.data || []).length > 0", timeout=30_000)
    page.click("#map-button")
    page.wait_for_function("() => (document.getElementById('map-plot')?.data || []).length > 0", timeout=30_000)
    assert_no_cloud_buttons(page, at_least=5)
    page.check("#view-3d")
    page.wait_for_function("() => (document.getElementById('main-plot')?.data || []).some(t => t.type === 'surface')")
    assert_no_cloud_buttons(page, at_least=5)


def test_no_chart_of_the_training_lab_offers_to_share(page) -> None:
    page.goto("/training")
    page.wait_for_selector(TRAIN_READY, timeout=20_000)
    page.get_by_test_id("preset-spiral").click()
    field = page.get_by_test_id("epochs-input")
    field.fill("2")
    field.dispatch_event("change")
    page.get_by_test_id("start-button").click()
    page.wait_for_function("document.getElementById('training-lab').dataset.session === 'finished'", timeout=60_000)
    assert_no_cloud_buttons(page, at_least=6)
    page.get_by_test_id("tab-init").click()
    page.wait_for_function("() => document.querySelectorAll('#init-panels .js-plotly-plot').length > 0", timeout=30_000)
    assert_no_cloud_buttons(page, at_least=7)


def test_a_run_cards_field_is_named_with_its_run(new_page) -> None:
    # a learning rate the server refuses (the card's own input would not send it: the request is
    # altered on its way) comes back naming the card's field and the run, in Korean
    page = new_page(locale="ko-KR")
    page.goto("/")
    page.wait_for_selector(LAB_READY, timeout=20_000)

    def too_large_lr(route) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["runs"][1]["params"]["lr"] = 1e9
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/trajectories", too_large_lr)
    page.click("#run-button")
    page.wait_for_selector("#run-error:not([hidden])", timeout=20_000)
    card = page.locator("[data-testid=run-card][data-index='1']")
    field = card.locator("label:has([data-testid=param-lr]) .field-label").inner_text().strip()
    run = card.get_by_test_id("run-label").get_attribute("placeholder")
    text = page.inner_text("#run-error")
    assert text.startswith(f"{field} ({run}): ") and HANGUL.search(text), text
    assert "must be" not in text, text

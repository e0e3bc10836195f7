"""The Training Lab's "Hyperparameter search" view in Chromium: a small search fills the table and the
scatter best-first, "Narrow to the best region" starts a finer search whose ranges the form shows,
and a bad range is refused with the field named in the page's language."""

from __future__ import annotations

import re

import pytest
from training_page import open_lab, type_into

pytestmark = pytest.mark.browser

SEARCH_DONE = "document.getElementById('view-search').dataset.search === 'done'"


def start_small_search(page, trials: int = 6) -> None:
    page.get_by_test_id("tab-search").click()
    type_into(page, "search-trials", str(trials))
    type_into(page, "search-epochs", "1")
    type_into(page, "search-subset", "200")
    page.get_by_test_id("search-start").click()


def percent(text: str) -> float:
    return float(text.replace("%", "").strip())


def test_small_search_ranks_trials_and_narrowing_starts_a_finer_search(page) -> None:
    open_lab(page)
    start_small_search(page)
    page.wait_for_function(SEARCH_DONE, timeout=180_000)
    page.wait_for_function("document.querySelectorAll('#search-table-body tr').length === 6", timeout=10_000)
    # the table: six trials, best validation accuracy first
    accs = [percent(c) for c in page.locator("#search-table-body tr td:nth-child(4)").all_inner_texts()]
    assert len(accs) == 6 and accs == sorted(accs, reverse=True)
    assert page.get_by_test_id("search-progress-text").inner_text().startswith("6 / 6 trials")
    # the scatter: every trial is a point on log axes (x: learning rate, y: weight decay)
    page.wait_for_function(
        "(() => { const d = document.getElementById('search-scatter').data;"
        " return d && d[0].x.length + d[1].x.length === 6; })()",
        timeout=10_000,
    )
    layout = page.evaluate("document.getElementById('search-scatter').layout")
    assert layout["xaxis"]["type"] == "log" and layout["yaxis"]["type"] == "log"
    assert "learning rate" in layout["xaxis"]["title"]["text"]
    first = page.evaluate("window.trainingLab.search.main")
    best = sorted((t for t in first["trials"] if t["status"] == "done"), key=lambda t: (-t["val_acc"], t["index"]))[:2]
    old = {a["knob"]: a for a in first["space"]}
    # one click: the finer search starts, its ranges in the form
    page.get_by_test_id("search-narrow").click()
    page.wait_for_function(
        f"window.trainingLab.search.main && window.trainingLab.search.main.parentId === {first['id']!r}",
        timeout=30_000,
    )
    page.wait_for_function(
        f"Number(document.querySelector('[data-testid=sax-lr-low]').value) > {old['lr']['low']}"
        f" || Number(document.querySelector('[data-testid=sax-lr-high]').value) < {old['lr']['high']}",
        timeout=10_000,
    )
    for knob in ("lr", "weight_decay"):
        low = float(page.get_by_test_id(f"sax-{knob}-low").input_value())
        high = float(page.get_by_test_id(f"sax-{knob}-high").input_value())
        assert old[knob]["low"] <= low < high <= old[knob]["high"]
        assert (high / low) < (old[knob]["high"] / old[knob]["low"])  # narrower on the log scale
        for t in best:  # the best trials lie inside the new ranges
            assert low * (1 - 1e-6) <= t["values"][knob] <= high * (1 + 1e-6)
    assert "#(" in page.url and re.search(r"id:s-[0-9a-f]{12}", page.url)
    page.wait_for_function(SEARCH_DONE, timeout=180_000)
    assert "Narrowed from the best" in page.get_by_test_id("search-status").inner_text()


def test_inverted_range_is_refused_in_korean(new_page) -> None:
    page = new_page(locale="ko-KR")
    open_lab(page)
    page.get_by_test_id("tab-search").click()
    assert page.get_by_test_id("tab-search").inner_text() == "하이퍼파라미터 탐색"
    type_into(page, "sax-lr-low", "0.01")
    type_into(page, "sax-lr-high", "0.0001")
    page.get_by_test_id("search-start").click()
    error = page.get_by_test_id("search-error")
    error.wait_for(state="visible", timeout=15_000)
    text = error.inner_text()
    assert "학습률 η, 최댓값" in text and "뒤집혔습니다" in text
    assert page.evaluate("window.trainingLab.search.main") is None


def test_grid_contrast_with_the_same_budget_counts_the_learning_rates(page) -> None:
    open_lab(page)
    start_small_search(page, trials=9)
    page.wait_for_function(SEARCH_DONE, timeout=180_000)
    button = page.get_by_test_id("search-contrast-start")
    assert button.inner_text() == "Same budget with grid search"
    button.click()
    page.wait_for_function(
        "window.trainingLab.search.contrast && window.trainingLab.search.contrast.status === 'done'", timeout=180_000
    )
    note = page.get_by_test_id("search-contrast-note")
    page.wait_for_function(
        "document.querySelector('[data-testid=search-contrast-note]').textContent.includes('the grid only')",
        timeout=10_000,
    )
    # 9 random draws: 9 distinct learning rates; a 3 × 3 grid: 3 (⌊√9⌋ per axis)
    assert "random search tried 9 different learning rates, the grid only 3 (3 per axis)" in note.inner_text()
    rows = page.evaluate("document.getElementById('search-contrast-plot').data.map(d => d.x.length)")
    assert rows == [9, 9]

"""Helpers shared by the Training Lab's browser tests (imported by the test modules)."""

from __future__ import annotations

READY = "#training-lab[data-ready=true]"
FINISHED = "document.getElementById('training-lab').dataset.session === 'finished'"


def open_lab(page, url: str = "/training"):
    """Open the Training Lab and wait until it has read its catalogues."""
    page.goto(url)
    page.wait_for_selector(READY, timeout=20_000)
    return page


def type_into(page, testid: str, text: str) -> None:
    """Replace a field's text the way a person does (select all, type)."""
    field = page.get_by_test_id(testid)
    field.fill(text)
    field.dispatch_event("change")

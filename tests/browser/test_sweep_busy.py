"""The Optimizer Lab's LR-sweep and start-map panels when the server is busy (admission control,
docs/errors.md ``admission.busy``): like the main run (test_admission_busy.py) they show "server
busy, retrying in N s" in the page's language and send the request again by themselves; after a
few busy answers in a row they stop and say so; a change of the request cancels the countdown.

The 503s are forced with Playwright's route interception (the session's server has free slots);
the body is the one the server sends when its lane is full. The cancellation test drives the
page's timers with Playwright's clock, so nothing waits on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from busy_answers import busy_for

READY = "#optimizer-lab[data-ready=true]"
ATTEMPTS = 3  # sweep_panels.js BUSY_ATTEMPTS


def wait_line(page, name: str, text: str, **flags: str) -> None:
    page.wait_for_function(
        """([name, want, flags]) => { const s = document.getElementById(`${name}-busy`);
             return s && !s.hidden && s.textContent.includes(want)
               && Object.entries(flags).every(([k, v]) => s.dataset[k] === v); }""",
        arg=[name, text, flags],
        timeout=20_000,
    )


def open_lab(page) -> None:
    page.goto("/")
    page.wait_for_selector(READY, timeout=30_000)


def test_the_sweep_is_retried_after_retry_after_and_then_drawn(page) -> None:
    open_lab(page)
    seen = busy_for(page, "/api/sweeps/lr", times=2)
    page.click("[data-testid=sweep-button]")
    wait_line(page, "sweep", "Server busy with other runs — retrying in 1 s (try 1 of 3)", retry="true")
    wait_line(page, "sweep", "(try 2 of 3)", retry="true")  # the first retry was busy too
    page.wait_for_function(
        """() => { const d = document.getElementById('sweep-plot'); const s = document.getElementById('sweep-busy');
                   return d.data && d.data.some(t => t.meta && t.meta.kind === 'sweep') && s.hidden
                     && s.dataset.retry === 'false'; }""",
        timeout=30_000,
    )
    assert seen == {"busy": 2, "passed": 1}
    assert page.locator(".toast-error").count() == 0  # a busy server is not an error for the student


def test_the_start_map_gives_up_after_a_few_busy_answers_and_says_so_in_korean(new_page) -> None:
    page = new_page(locale="ko-KR")
    open_lab(page)
    seen = busy_for(page, "/api/sweeps/start-map", times=100)
    page.fill("[data-testid=map-n]", "10")
    page.click("[data-testid=map-button]")
    wait_line(page, "map", "서버가 다른 실행으로 바쁩니다 — 1초 후에 다시 시도합니다 (1/3번째)", retry="true")
    wait_line(
        page,
        "map",
        "3번 시도했지만 서버가 아직 바쁩니다. 잠시 후 “지도 계산”을 다시 누르세요.",
        retry="false",
        gaveUp="true",
    )
    assert seen == {"busy": 1 + ATTEMPTS, "passed": 0}  # the first answer and three retries, then no more
    # a new click is a fresh request: its own three tries, and this time the server answers
    page.unroute("**/api/sweeps/start-map")
    seen = busy_for(page, "/api/sweeps/start-map", times=1)
    page.click("[data-testid=map-button]")
    page.wait_for_function(
        """() => { const s = document.getElementById('map-busy');
                   return document.getElementById('map-plot').data?.some(t => t.type === 'heatmap') && s.hidden; }""",
        timeout=30_000,
    )
    assert seen == {"busy": 1, "passed": 1}


def test_changing_the_request_cancels_the_countdown(page) -> None:
    open_lab(page)
    page.clock.install()
    seen = busy_for(page, "/api/sweeps/lr", times=100, retry_after=2)
    page.click("[data-testid=sweep-button]")
    wait_line(page, "sweep", "retrying in 2 s", retry="true")
    page.clock.run_for(1000)
    wait_line(page, "sweep", "retrying in 1 s", retry="true")
    page.fill("[data-testid=sweep-n]", "7")  # the student changes the sweep: the old one is out of date
    page.wait_for_function("() => document.getElementById('sweep-busy').hidden")
    page.clock.run_for(5000)
    assert seen["busy"] == 1  # nothing was sent again
    assert page.is_hidden("#sweep-busy")
    # control: left alone, the countdown does resend
    page.click("[data-testid=sweep-button]")
    wait_line(page, "sweep", "retrying in 2 s (try 1 of 3)", retry="true")
    page.clock.run_for(2500)
    page.wait_for_function("() => document.getElementById('sweep-busy').textContent.includes('(try 2 of 3)')")
    assert seen["busy"] == 3


@pytest.fixture
def no_slots() -> Iterator[Callable[[], None]]:
    """The live server with admission control of 0 slots (every lab request is answered 503 with
    Retry-After 1 at once); the test calls the yielded function to give the server its slots back."""
    from app.config import Settings, get_settings
    from app.main import app

    full = Settings(
        admission_heavy_slots=0,
        admission_light_slots=0,
        admission_wait_seconds=0,
        admission_light_wait_seconds=0,
        admission_retry_after_seconds=1,
    )
    app.dependency_overrides[get_settings] = lambda: full
    try:
        yield lambda: app.dependency_overrides.pop(get_settings, None)
    finally:
        app.dependency_overrides.pop(get_settings, None)


def test_a_real_full_server_makes_the_sweep_retry_and_it_succeeds_once_slots_free(page, no_slots) -> None:
    page.goto("/")
    # the main run is busy too (the page retries it on its own)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-status-line]')?.dataset.retry === 'true'", timeout=30_000
    )
    page.click("[data-testid=sweep-button]")
    wait_line(page, "sweep", "Server busy with other runs — retrying in 1 s (try 1 of 3)", retry="true")
    no_slots()  # the other runs finish: the next try is admitted
    page.wait_for_function(
        """() => { const d = document.getElementById('sweep-plot'); const s = document.getElementById('sweep-busy');
                   return d.data && d.data.some(t => t.meta && t.meta.kind === 'sweep') && s.hidden; }""",
        timeout=30_000,
    )
    page.wait_for_selector(READY, timeout=30_000)  # and the main run was drawn after its own retry

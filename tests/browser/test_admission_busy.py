"""The Optimizer Lab when the server is busy: a 503 with ``Retry-After`` (admission control, docs/errors.md
``admission.busy``) shows "server busy, retrying in N s" in the page's language, then the page sends
the run again by itself and draws it.

The 503 is forced with Playwright's route interception (the session's server has free slots): the
first ``POST /api/trajectories`` is answered with the body the server sends when its lane is full;
later ones reach the real server.
"""

from __future__ import annotations

from busy_answers import busy_for

READY = "#optimizer-lab[data-ready=true]"


def wait_busy_message(page, text: str) -> None:
    page.wait_for_function(
        """want => { const s = document.querySelector('[data-testid=run-status-line]');
                     return s && s.dataset.retry === 'true' && s.textContent.includes(want); }""",
        arg=text,
        timeout=20_000,
    )


def wait_retried_and_drawn(page) -> None:
    page.wait_for_selector(READY, timeout=30_000)
    page.wait_for_function(
        """() => { const r = document.getElementById('optimizer-lab');
                   const s = document.querySelector('[data-testid=run-status-line]');
                   return Number(r.dataset.runs || 0) >= 1 && r.dataset.pending === 'false'
                          && s.dataset.retry === 'false'; }""",
        timeout=30_000,
    )


def test_a_busy_server_is_retried_after_retry_after_and_the_run_is_drawn(page) -> None:
    seen = busy_for(page, "/api/trajectories", times=1, retry_after=2)
    page.goto("/")
    wait_busy_message(page, "Server busy with other runs — retrying in")
    assert page.get_attribute("#optimizer-lab", "data-ready") != "true"  # nothing drawn yet
    assert page.is_hidden("#run-error")  # not shown as an error
    wait_retried_and_drawn(page)
    assert seen == {"busy": 1, "passed": 1}
    status = page.text_content("[data-testid=run-status-line]") or ""
    assert "4 runs · 30 steps" in status  # the textbook preset, answered by the real server
    paths = page.evaluate(
        "() => document.getElementById('main-plot').data.filter(d => d.meta && d.meta.kind === 'ghost').length"
    )
    assert paths == 4


def test_the_busy_message_is_in_korean_on_a_korean_page(new_page) -> None:
    page = new_page(locale="ko-KR")
    seen = busy_for(page, "/api/trajectories", times=1, retry_after=1)
    page.goto("/")
    wait_busy_message(page, "서버가 바쁩니다 — 1초 후에 다시 실행합니다")
    wait_retried_and_drawn(page)
    assert seen["busy"] == 1

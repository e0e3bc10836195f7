"""A busy server for browser tests: Playwright route interception that answers a page's first POSTs to a
path with the 503 the server sends when its admission lane is full (docs/errors.md ``admission.busy``),
then lets later ones reach the real server (the session's server has free slots)."""

from __future__ import annotations

import json


def busy_body(retry_after: int) -> str:
    item = {
        "type": "server_busy",
        "loc": [],
        "msg": f"the server is busy with other runs; try again in {retry_after} s",
        "code": "admission.busy",
        "params": {"lane": "heavy", "slots": 2, "wait": 1.0, "retry_after": retry_after},
    }
    return json.dumps({"detail": [item]})


def busy_for(page, path: str, times: int, retry_after: int = 1) -> dict[str, int]:
    """Answer the first `times` POSTs to `path` with the server's 503; later ones reach the server."""
    seen = {"busy": 0, "passed": 0}

    def handle(route) -> None:
        if route.request.method == "POST" and seen["busy"] < times:
            seen["busy"] += 1
            route.fulfill(
                status=503,
                headers={"Retry-After": str(retry_after), "Content-Type": "application/json"},
                body=busy_body(retry_after),
            )
        else:
            seen["passed"] += 1
            route.continue_()

    page.route(f"**{path}", handle)
    return seen

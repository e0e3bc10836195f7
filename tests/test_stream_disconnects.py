"""QuietStreamDisconnects: a stream whose client left logs one INFO line; every other failure is raised.

The real-server test (tests/test_connections.py) drops streams against uvicorn, where FastAPI's
keep-alive task only sometimes loses the race that raises; these tests raise it on purpose.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Any

import anyio
import pytest

from app.api.middleware.stream_disconnects import QuietStreamDisconnects, only_disconnects


def run(app: Any) -> list[dict[str, Any]]:
    """Call the middleware around ``app`` for one HTTP request; return what it sent."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/jobs/j-1/events"}
    # A thread of its own: the browser tests' Playwright may hold an event loop in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, QuietStreamDisconnects(app)(scope, receive, send)).result()
    return sent


def failing_app(exc: BaseException, *, start: bool) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"event: metrics\n\n", "more_body": True})
        raise exc

    return app


def test_a_stream_broken_by_its_client_logs_one_info_line(caplog: pytest.LogCaptureFixture) -> None:
    exc = BaseExceptionGroup("unhandled errors in a TaskGroup", [anyio.BrokenResourceError()])
    with caplog.at_level(logging.DEBUG, logger="app.api.middleware.stream_disconnects"):
        sent = run(failing_app(exc, start=True))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    records = [r for r in caplog.records if r.name == "app.api.middleware.stream_disconnects"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("INFO", "client closed GET /api/jobs/j-1/events before its stream ended")
    ]


def test_any_other_failure_is_raised_unchanged() -> None:
    with pytest.raises(BaseExceptionGroup):  # a real error in the group
        run(failing_app(BaseExceptionGroup("g", [anyio.BrokenResourceError(), ValueError("bug")]), start=True))
    with pytest.raises(anyio.BrokenResourceError):  # before the answer started: not a client leaving
        run(failing_app(anyio.BrokenResourceError(), start=False))
    with pytest.raises(RuntimeError):
        run(failing_app(RuntimeError("bug"), start=True))


def test_only_disconnects_looks_into_nested_groups() -> None:
    nested = BaseExceptionGroup("outer", [BaseExceptionGroup("inner", [anyio.ClosedResourceError()])])
    assert only_disconnects(nested) and only_disconnects(anyio.BrokenResourceError())
    assert not only_disconnects(BaseExceptionGroup("g", [asyncio.CancelledError()]))
    assert not only_disconnects(OSError())

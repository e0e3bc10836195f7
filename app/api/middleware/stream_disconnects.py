"""A client that closes an event stream is an ordinary event: one INFO line, never an ERROR traceback.

When a browser tab closes or an ``EventSource`` is replaced, the server's next write to that
stream fails. FastAPI's SSE machinery (``fastapi.routing``: a producer task and a keep-alive task
joined by memory streams) can then end the request with an exception group whose only members are
anyio's ``BrokenResourceError`` / ``ClosedResourceError`` — the keep-alive task writing to a stream
the response has already closed. Nothing is wrong with the job or the run: only the listener left.
Uvicorn would log that as "Exception in ASGI application" with a traceback.

:class:`QuietStreamDisconnects` catches exactly that case — the response has started and every
exception in the group is one of those two — and logs a single INFO line instead. Anything else,
or any exception before the response started, is re-raised unchanged (and still becomes a 500 in
the contract's shape).
"""

from __future__ import annotations

import logging

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

DISCONNECTS: tuple[type[BaseException], ...] = (anyio.BrokenResourceError, anyio.ClosedResourceError)
"""What a write to a stream the client already left raises inside the SSE machinery."""


def only_disconnects(exc: BaseException) -> bool:
    """True when ``exc`` is one of :data:`DISCONNECTS`, or a (nested) group made only of them."""
    if isinstance(exc, BaseExceptionGroup):
        return all(only_disconnects(inner) for inner in exc.exceptions)
    return isinstance(exc, DISCONNECTS)


class QuietStreamDisconnects:
    """ASGI middleware: a started response that ends because its client left logs one INFO line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except BaseException as exc:
            if started and only_disconnects(exc):
                logger.info("client closed %s %s before its stream ended", scope.get("method"), scope.get("path"))
                return
            raise

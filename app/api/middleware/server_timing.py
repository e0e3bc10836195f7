"""A ``Server-Timing: app;dur=<ms>`` header on every HTTP answer: how long the server took.

The duration runs from the moment the request reaches the app's outermost middleware to the
moment the answer's headers leave it, so it covers validation, admission, the computation, the
JSON encoding and compression (all of which happen before a whole answer's headers are sent),
but not the network. For an event stream it is the time to the first event's headers. Browsers
show it in the developer tools' timing tab; ``bench/engine2d.py`` reads it to separate the
server's time from the client's round trip.
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    """Add ``Server-Timing: app;dur=<milliseconds>`` to every HTTP answer (plain ASGI, not buffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - start) * 1e3
                MutableHeaders(scope=message).append("server-timing", f"app;dur={elapsed_ms:.3f}")
            await send(message)

        await self.app(scope, receive, send_timed)

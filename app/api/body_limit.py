"""ASGI middleware that refuses request bodies larger than ``Settings.max_body_bytes`` (413)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Stop reading a request body once it exceeds ``max_bytes`` and answer 413.

    A declared ``Content-Length`` above the limit is refused before anything is read; a body
    streamed without one is counted as it arrives. The 413 is raised as an ``HTTPException``
    from the body read, so the app's error handler renders it like every other error
    (``{"detail": [{"loc": ["body"], "msg": …, "type": "body_too_large"}]}``).

    Parameters
    ----------
    app : the wrapped ASGI app.
    max_bytes : largest accepted body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: int, declared: bool) -> HTTPException:
        what = f"is {size} bytes" if declared else f"exceeds {self.max_bytes} bytes"
        return HTTPException(
            status_code=413,
            detail=[
                {
                    "type": "body_too_large",
                    "loc": ["body"],
                    "msg": f"the request body {what}; the limit is {self.max_bytes} bytes "
                    "(setting PLAYGROUND_MAX_BODY_BYTES)",
                    "ctx": {"limit": self.max_bytes, "env": "PLAYGROUND_MAX_BODY_BYTES"},
                }
            ],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            declared: int | None = int(Headers(scope=scope).get("content-length", ""))
        except ValueError:
            declared = None
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > self.max_bytes:
                raise self._too_large(declared, declared=True)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large(received, declared=False)
            return message

        await self.app(scope, limited_receive, send)

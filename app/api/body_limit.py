"""The request-body limit (``Settings.max_body_bytes``): the framework's, plus the one case it cannot phrase.

FastAPI 0.165.0 (on Starlette 1.10.0, both checked as installed) has a request-body limit of its
own: ``max_body_size`` on the app, a router or an operation, enforced by Starlette's
``RequestBodyLimitMiddleware`` (``starlette/middleware/body_limit.py``). ``app/main.py`` sets
it on every ``/api`` router, and it counts a body streamed without ``Content-Length`` as it
arrives. The body read then raises ``HTTPException(413, "Content Too Large")``, which the app's
error handler rewrites with :func:`too_large_detail`.

What it cannot do is answer a *declared* ``Content-Length`` above the limit in the contract's
shape: Starlette then replaces whatever response the app starts with its own plain-text
``Content Too Large`` (``send_with_limit``), bypassing every handler. :class:`DeclaredBodyLimit`
answers those requests first (it sits outside the routers' limit), before any body is read.
So both 413s read ``{"detail": [{"type": "body_too_large", "loc": ["body"], "msg": …}]}``.
The limit is read once, when the app is created.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

ENV = "PLAYGROUND_MAX_BODY_BYTES"
"""The setting that changes the limit."""


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length`` in bytes, or ``None`` when absent or not a number."""
    try:
        return int(Headers(scope=scope).get("content-length", ""))
    except ValueError:
        return None


def too_large_detail(scope: Scope, limit: int | None = None) -> list[dict[str, object]]:
    """The ``detail`` of a 413 for the request ``scope``: declared size (if any), limit and setting.

    ``limit`` defaults to the one Starlette's limiter recorded in the scope.
    """
    limit = limit if limit is not None else scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    declared = declared_length(scope)
    what = f"is {declared} bytes" if declared is not None else f"exceeds {limit} bytes"
    return [
        {
            "type": "body_too_large",
            "loc": ["body"],
            "msg": f"the request body {what}; the limit is {limit} bytes (setting {ENV})",
            "ctx": {"limit": limit, "env": ENV},
            "code": "http.413",
            "params": {"limit": limit},
        }
    ]


class DeclaredBodyLimit:
    """Answer 413 to a request whose declared ``Content-Length`` exceeds ``max_bytes``, unread.

    Parameters
    ----------
    app : the wrapped ASGI app.
    max_bytes : largest accepted body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = declared_length(scope) if scope["type"] == "http" else None
        if declared is not None and declared > self.max_bytes:
            content = {"detail": too_large_detail(scope, self.max_bytes)}
            await JSONResponse(status_code=413, content=content)(scope, receive, send)
            return
        await self.app(scope, receive, send)

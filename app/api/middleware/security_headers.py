"""Security headers on every answer: no MIME sniffing, a Content-Security-Policy, no framing, no referrer.

The pages load only what the app serves itself (scripts, styles, Plotly, the API), so the policy
allows only the app's own origin:

- ``script-src 'self'``: no inline script, no ``eval``; the pages' HTML has none, and the parts of
  Plotly the pages use (2-D and 3-D traces) run without it.
- ``style-src 'self' 'unsafe-inline'``: Plotly injects a ``<style>`` element with its own rules
  and sets ``style`` attributes on the SVG it builds; styles cannot run code.
- ``img-src 'self' data: blob:``: Plotly's PNG export and the mode bar's icons are data/blob URLs,
  as is the pages' empty favicon.
- ``connect-src 'self'``: the API (fetch and the SSE streams).
- ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old browsers): no other site can
  frame a page to trick a click on it.

A route may set its own ``Content-Security-Policy`` (``/docs``: Swagger UI starts from an inline
script, allowed by its hash, see :func:`swagger_policy`); the middleware keeps a header the answer
already has.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""The policy of every answer that does not bring its own."""

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": APP_POLICY,
}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def swagger_policy(html: str) -> str:
    """The policy of the Swagger UI page ``html``: the app's, plus its inline scripts by SHA-256 hash."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    return APP_POLICY.replace("script-src 'self'", " ".join(["script-src 'self'", *hashes]))


class SecurityHeaders:
    """Add :data:`HEADERS` to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""The ``Host`` allow-list (``Settings.allowed_hosts``), against DNS rebinding.

A page on an attacker's site can make its own host name resolve to 127.0.0.1 ("DNS rebinding")
and then talk to a server on the student's machine as if it were the same origin. The browser
still sends the attacker's name in ``Host``, so answering only the names the server is really
reached by closes that door. Starlette's ``TrustedHostMiddleware`` does the same, but answers in
plain text and cuts ``[::1]:8000`` at the first colon; :class:`AllowedHosts` answers 400 in the
contract's error shape (docs/API.md, "Errors") and understands bracketed IPv6 literals.

Names compare case-insensitively and without the port; ``*.example.org`` allows every subdomain
of ``example.org``; ``*`` allows any host.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import localize

WILDCARD_BIND = frozenset({"0.0.0.0", "::", ""})
"""Bind addresses that mean "every interface": they name no host a client could send."""


def host_name(header: str) -> str:
    """The host part of a ``Host`` header, lower-case, without port or IPv6 brackets.

    ``"LocalHost:8000"`` → ``"localhost"``, ``"[::1]:8000"`` → ``"::1"``, ``"::1"`` → ``"::1"``.
    """
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value  # no port, or a bare IPv6 literal


def allowed_names(configured: Iterable[str], bind_host: str | None = None) -> frozenset[str]:
    """The configured names (normalised like :func:`host_name`) plus the bind host when it names one."""
    names = {host_name(name) if name != "*" else "*" for name in configured}
    if bind_host is not None and bind_host not in WILDCARD_BIND:
        names.add(host_name(bind_host))
    return frozenset(name for name in names if name)


def is_allowed(name: str, allowed: frozenset[str]) -> bool:
    """Whether host ``name`` (from :func:`host_name`) is in ``allowed`` (exact, ``*`` or ``*.suffix``)."""
    if "*" in allowed or name in allowed:
        return True
    return any(pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in allowed)


def host_error(name: str, accept_language: str | None) -> dict[str, object]:
    """The 400 body for a request to host ``name``."""
    shown = name[:100]
    item = {
        "type": "host_not_allowed",
        "loc": ["header", "host"],
        "msg": f"host {shown!r} is not served here (setting PLAYGROUND_ALLOWED_HOSTS)",
        "code": "http.host_not_allowed",
        "params": {"host": shown, "setting": "allowed_hosts"},
    }
    return {"detail": localize([item], accept_language)}


class AllowedHosts:
    """Answer 400 to HTTP requests whose ``Host`` is not in the allow-list; pass the rest on."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        name = host_name(headers.get("host", ""))
        if is_allowed(name, self.allowed):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(status_code=400, content=host_error(name, headers.get("accept-language")))
        await response(scope, receive, send)

"""Connection timeouts for uvicorn: idle and slow-header connections are closed.

uvicorn (0.54, h11 protocol, checked as installed) closes a keep-alive connection that stays idle
``timeout_keep_alive`` seconds *after an answer*, but a connection that never sends a request, or
sends its request head a byte at a time, is kept open forever: each holds a file descriptor, and
a few hundred of them (idle browser tabs, a flaky network, a deliberate "slowloris") exhaust the
process's descriptors and take the server down. h11 itself has no clock.

:func:`header_timeout_protocol` returns uvicorn's h11 protocol with one more timer, independent
of the ASGI app: from the moment a connection opens, and again after each complete answer, the
client has ``seconds`` to deliver a complete request head (request line and headers); otherwise
the connection is closed. The timer stops as soon as h11 has parsed the head, so a long upload
or a long-lived stream (SSE) is not affected. It uses uvicorn's protocol internals (``conn``,
``transport``, ``loop``, the hooks below), pinned by ``tests/test_connections.py`` against a
real server.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request head is not complete in time."""

    header_timeout: float = 10.0
    """Seconds a connection may take to send a request head (set by :func:`header_timeout_protocol`)."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request head."""
        super().connection_made(transport)
        self._sync_header_timer()

    def data_received(self, data: bytes) -> None:
        """Feed h11; stop the clock once a whole request head is in."""
        super().data_received(data)
        self._sync_header_timer()

    def on_response_complete(self) -> None:
        """After an answer, the next request head gets a fresh clock."""
        self._cancel_header_timer()
        super().on_response_complete()
        self._sync_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the clock with the connection."""
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _waiting_for_head(self) -> bool:
        """Whether the connection is open and h11 still waits for (the rest of) a request head."""
        return not self.transport.is_closing() and self.conn.their_state is h11.IDLE

    def _sync_header_timer(self) -> None:
        if not self._waiting_for_head():
            self._cancel_header_timer()
        elif self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self._waiting_for_head():
            self.logger.debug("closing a connection that sent no complete request head in %s s", self.header_timeout)
            self.transport.close()


def header_timeout_protocol(seconds: float) -> type[HeaderTimeoutProtocol]:
    """:class:`HeaderTimeoutProtocol` with a request-head deadline of ``seconds`` (uvicorn's ``http=``)."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": float(seconds)})

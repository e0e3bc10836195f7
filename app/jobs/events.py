"""A bounded, thread-safe log of one job's events, readable while it grows.

The web process appends events as they arrive from the job's worker process (``metrics``,
``epoch``, then one terminal ``done`` / ``cancelled`` / ``error``); any number of SSE streams
read them from the event loop. Each event gets the next integer id (from 1, never reused) so an
``EventSource`` can resume with ``Last-Event-ID``.

Memory is bounded by ``max_events`` and ``max_bytes``: when the log is full, every second
``metrics`` event is dropped (the first and the newest stay), so older telemetry gets coarser while
``epoch`` events and the terminal event are kept. (A wide, deep net with fine histograms makes
frames of ~100 kB, so the byte bound is what limits such jobs.) Payloads are stored once, as
compact JSON text with every non-finite number replaced by ``null``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

TERMINAL_EVENTS = frozenset({"done", "cancelled", "error"})
"""Event names that end a job's stream."""

THINNED_EVENT = "metrics"
"""The high-rate event kind dropped first when a log is full."""


def json_safe(value: Any) -> Any:
    """Return ``value`` as plain JSON-compatible Python, non-finite floats turned into ``None``.

    Parameters
    ----------
    value : Any
        Nested dicts / lists / tuples of numbers, strings, booleans, ``None``, NumPy scalars and
        NumPy arrays of any shape (converted with ``tolist``). Other objects become ``str(value)``.

    Returns
    -------
    Any
        The same structure made only of ``dict``, ``list``, ``str``, ``int``, finite ``float``,
        ``bool`` and ``None``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def to_json_text(value: Any) -> str:
    """Serialise ``value`` compactly after :func:`json_safe` (never emits NaN/Infinity)."""
    return json.dumps(json_safe(value), allow_nan=False, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One stored event.

    Attributes
    ----------
    id : int
        Position in the job's stream, from 1, strictly increasing.
    event : str
        The SSE event name (``metrics``, ``epoch``, ``done``, ``cancelled``, ``error``).
    data_json : str
        The payload as compact JSON text (one line, no NaN/Infinity).
    """

    id: int
    event: str
    data_json: str

    def as_json(self) -> str:
        """The event as the JSON object ``{"id", "event", "data"}`` (for job history)."""
        return f'{{"id":{self.id},"event":{json.dumps(self.event)},"data":{self.data_json}}}'


class EventLog:
    """Bounded event history of one job, appended by one thread and read by many.

    Parameters
    ----------
    max_events : int
        Most events kept at once (at least 3: the first frame, the newest, the terminal event).
    max_bytes : int or None
        Most bytes of payload JSON kept at once (``None``: no byte bound).
    """

    def __init__(self, max_events: int, max_bytes: int | None = None) -> None:
        if max_events < 3:
            raise ValueError(f"max_events must be at least 3 (got {max_events})")
        self._max = max_events
        self._max_bytes = max_bytes
        self._bytes = 0  # total len(data_json) of the kept events
        self._events: list[JobEvent] = []
        self._ids: list[int] = []  # parallel to _events, for bisecting by id
        self._next_id = 1
        self._version = 0  # bumped on every change; async readers wait for it to move
        self._closed = False
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    # --- writing (worker thread) -------------------------------------------------------------

    def append(self, event: str, data: Any) -> int:
        """Store one event and wake the readers; returns its id.

        Appending a terminal event closes the log; appending to a closed log raises
        ``RuntimeError``.
        """
        return self.append_json(event, to_json_text(data))  # serialise outside the lock

    def append_json(self, event: str, text: str) -> int:
        """:meth:`append` for a payload already serialised by :func:`to_json_text` (in a worker)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("event log is closed")
            while self._events and (len(self._events) >= self._max or self._over_bytes(len(text))):
                self._thin()  # drops at least one event, so this ends
            item = JobEvent(self._next_id, event, text)
            self._next_id += 1
            self._events.append(item)
            self._bytes += len(text)
            self._ids.append(item.id)
            if event in TERMINAL_EVENTS:
                self._closed = True
            self._version += 1
            waiters = list(self._waiters)
        for loop, flag in waiters:
            with contextlib.suppress(RuntimeError):  # that reader's loop has closed; it no longer listens
                loop.call_soon_threadsafe(flag.set)
        return item.id

    def _over_bytes(self, incoming: int) -> bool:
        return self._max_bytes is not None and self._bytes + incoming > self._max_bytes

    def _thin(self) -> None:
        """Drop about half of the droppable events (caller holds the lock).

        Candidates are the ``metrics`` events other than the first and the newest; every second
        one goes, so the kept frames stay evenly spread over the run. Only when there are none
        (tiny ``max_events`` or epoch-only logs) are other non-terminal events thinned the same
        way, and as a last resort the oldest event is dropped.
        """
        for kinds in ({THINNED_EVENT}, None):
            positions = [
                i
                for i, e in enumerate(self._events)
                if e.event not in TERMINAL_EVENTS and (kinds is None or e.event in kinds)
            ]
            droppable = positions[1:-1]
            drop = set(droppable[::2])
            if drop:
                break
        else:
            drop = {0}
        self._events = [e for i, e in enumerate(self._events) if i not in drop]
        self._ids = [e.id for e in self._events]
        self._bytes = sum(len(e.data_json) for e in self._events)

    # --- reading (any thread, or the event loop) ---------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the terminal event is stored."""
        return self._closed

    @property
    def version(self) -> int:
        """A counter that moves on every append (compare before and after waiting)."""
        return self._version

    @property
    def last_id(self) -> int:
        """Id of the newest event, 0 when empty."""
        return self._next_id - 1

    def __len__(self) -> int:
        return len(self._events)

    def after(self, last_id: int) -> list[JobEvent]:
        """Kept events with ``id > last_id``, oldest first."""
        with self._lock:
            start = bisect.bisect_right(self._ids, last_id)
            return self._events[start:]

    def history_json(self) -> str:
        """All kept events as a JSON array of ``{"id", "event", "data"}`` objects."""
        events = self.after(0)
        return "[" + ",".join(e.as_json() for e in events) + "]"

    def page(self, after: int = 0, limit: int | None = None) -> tuple[list[JobEvent], bool]:
        """Kept events with ``id > after``, at most ``limit`` of them, and whether more follow."""
        events = self.after(after)
        if limit is not None and len(events) > limit:
            return events[:limit], True
        return events, False

    async def wait_changed(self, version: int, timeout: float) -> None:
        """Wait (without blocking the event loop) until :attr:`version` differs from ``version``.

        Returns early if it already differs, and after ``timeout`` seconds in any case.
        """
        loop = asyncio.get_running_loop()
        flag = asyncio.Event()
        key = (loop, flag)
        with self._lock:
            if self._version != version:
                return
            self._waiters.add(key)
        try:
            await asyncio.wait_for(flag.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(key)

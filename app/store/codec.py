"""How a run's telemetry is stored: zlib-compressed JSON batches, thinned to a byte budget.

One batch is the compact JSON array ``[[id, name, payload], …]`` compressed with zlib (level 6).
Telemetry frames repeat the same keys and similar numbers, so a batch of a digits run's metrics
frames shrinks about 4–6×. The payloads pass through :func:`app.jobs.events.json_safe` first, so a
non-finite number is stored as ``null`` and JSON out of the store is always valid.

Thinning (when a run's batches would exceed ``max_saved_bytes_per_run``) follows the rule of the
in-memory event log (``app/jobs/events.py``): every second ``metrics`` event goes, except the
first and the newest, so the kept frames stay spread over the whole run; ``epoch`` events and the
terminal event are always kept. Only when no ``metrics`` event is left to drop are other
non-epoch, non-terminal events thinned the same way.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from app.jobs.events import to_json_text

StoredEvent = tuple[int, str, Any]
"""``(id, name, payload)``: an event as stored (ids from 1, increasing, never reused)."""

KEPT_EVENTS = frozenset({"epoch", "done", "cancelled", "error", "diverged", "interrupted"})
"""Events thinning never drops: the per-epoch curve and every terminal event."""

THINNED_FIRST = "metrics"
"""The high-rate event kind dropped first."""

LEVEL = 6


class RawJson(str):
    """A payload that already is compact JSON text (an event log's ``data_json``): stored as is."""

    __slots__ = ()


def encode(events: Sequence[StoredEvent]) -> bytes:
    """A batch as zlib-compressed compact JSON ``[[id, name, payload], …]`` (never NaN/Infinity).

    A :class:`RawJson` payload goes in verbatim (it was serialised by ``to_json_text`` already).
    """
    parts = [f"[{int(i)},{json.dumps(n)},{p if isinstance(p, RawJson) else to_json_text(p)}]" for i, n, p in events]
    return zlib.compress(("[" + ",".join(parts) + "]").encode("utf-8"), LEVEL)


def decode(blob: bytes) -> list[StoredEvent]:
    """The events of one batch, oldest first."""
    items = json.loads(zlib.decompress(blob).decode("utf-8"))
    return [(int(i), str(n), p) for i, n, p in items]


def thin_once(events: list[StoredEvent]) -> list[StoredEvent] | None:
    """Drop every second droppable event (first and newest of the kind stay); None if none can go.

    ``metrics`` events are dropped first; when none can go, other events that are neither
    ``epoch`` nor terminal.
    """
    for metrics_only in (True, False):
        positions = [
            k
            for k, (_, name, _) in enumerate(events)
            if (name == THINNED_FIRST if metrics_only else name not in KEPT_EVENTS)
        ]
        drop = set(positions[1:-1][::2])
        if drop:
            return [e for k, e in enumerate(events) if k not in drop]
    return None


def fit(events: list[StoredEvent], max_bytes: int, chunk: int = 256) -> list[tuple[list[StoredEvent], bytes]]:
    """Thin ``events`` until their batches take at most ``max_bytes``; returns ``(events, blob)`` batches.

    Batches hold ``chunk`` events each. When nothing more can be dropped (only epochs and
    terminal events are left) the batches are returned even if still over the budget.
    """
    while True:
        parts = [events[k : k + chunk] for k in range(0, len(events), chunk)]
        batches = [(part, encode(part)) for part in parts]
        if sum(len(blob) for _, blob in batches) <= max_bytes:
            return batches
        thinner = thin_once(events)
        if thinner is None:
            return batches
        events = thinner


def decode_all(blobs: Iterable[bytes]) -> list[StoredEvent]:
    """The events of several batches in order."""
    out: list[StoredEvent] = []
    for blob in blobs:
        out.extend(decode(blob))
    return out

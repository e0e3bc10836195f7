"""Responses as OpenAPI sees them: the contract's error shape, and Server-Sent Event streams.

Every error body is ``{"detail": [{"type", "loc", "msg", "code", "params", ...}]}`` (see ``app/main.py``'s handlers).
List the statuses an operation really sends with
``@router.post(..., responses=error_responses(400, 413, 422))``. Describe an SSE operation's
events with ``responses={**sse_responses(description, [SseEvent(...), ...]), **error_responses(...)}``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.sse import ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from app.jobs.events import TERMINAL_EVENTS, EventLog

Param = str | int | float | bool | None | list[Any]
"""A JSON-safe parameter value of an error item."""


class ErrorItem(BaseModel):
    """One problem: what kind, where (``loc``), what (``msg``), and ``code`` + ``params`` to render it.

    ``code`` is a stable id (docs/errors.md lists every one with its params and its English and
    Korean text); ``params`` holds the values the message mentions, so a page can phrase the
    problem in the user's language and name the form field itself.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "value_error",
                    "loc": ["body", "expression"],
                    "msg": "unexpected '^' at position 3",
                    "code": "expression.unexpected_token",
                    "params": {"token": "^", "position": 3},
                },
                {
                    "type": "limit_exceeded",
                    "loc": ["body", "configs", 0, "epochs"],
                    "msg": "epochs is 600, above the limit (limit max_epochs=500, env PLAYGROUND_MAX_EPOCHS)",
                    "code": "limit.exceeded",
                    "params": {"limit": 500, "setting": "max_epochs", "value": 600},
                },
            ]
        }
    )

    type: str = Field(examples=["value_error"])
    loc: list[str | int] = Field(examples=[["body", "runs", 0, "params", "lr"]])
    msg: str = Field(
        examples=["lr must be > 0"],
        description="English text; Korean when the request's `Accept-Language` starts with `ko` and the code has one.",
    )
    code: str = Field(
        examples=["pydantic.greater_than"],
        description="Stable id of the problem: `pydantic.<type>`, `limit.exceeded`, `http.<status>`, or a "
        "domain code such as `expression.unexpected_token` (docs/errors.md).",
    )
    params: dict[str, Param] = Field(
        default_factory=dict,
        examples=[{"gt": 0}],
        description="The values the message mentions (a limit, a position, …), plain JSON values.",
    )
    ctx: dict[str, str | int] | None = Field(None, description="Details such as the limit and its setting.")


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer."""

    detail: list[ErrorItem]


_DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be decoded as JSON at all (nested too deeply, or not UTF-8): `type: json_invalid`",
    404: "No such resource",
    409: "The resource is in a state that does not allow this",
    413: "The request body is larger than PLAYGROUND_MAX_BODY_BYTES: `type: body_too_large`",
    422: (
        "A field is invalid or over a limit (`loc` names it), or the body is malformed JSON "
        '(`type: json_invalid`, `loc: ["body", <character offset>]`)'
    ),
    429: "The server is at capacity; retry later",
    503: "The server is busy; retry after `Retry-After` seconds",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for ``codes``, each with the shared error body."""
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(code, "Error")} for code in codes}


@dataclass(frozen=True)
class SseEvent:
    """One kind of Server-Sent Event of a stream: its ``event:`` name and the model of its ``data:``."""

    name: str
    data: type[BaseModel]
    description: str
    example: dict[str, Any]


def _inline_refs(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with every ``{"$ref": "#/$defs/X"}`` replaced by ``defs["X"]`` (models here are not recursive)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline_refs(value, defs) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(item, defs) for item in schema]
    return schema


def data_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of ``model`` as serialised, self-contained (nested models inlined).

    Self-contained because an SSE item schema lives inside one operation's ``responses`` and
    cannot add entries to ``components/schemas``.
    """
    schema = model.model_json_schema(mode="serialization")
    inlined: dict[str, Any] = _inline_refs(schema, schema.get("$defs", {}))
    return inlined


def _wire(events: Sequence[SseEvent]) -> str:
    """The example stream as it appears on the wire (one ``event``/``data``/``id`` block per event)."""
    return "".join(
        f"event: {e.name}\ndata: {json.dumps(e.example, separators=(',', ':'))}\nid: {i}\n\n"
        for i, e in enumerate(events)
    )


def sse_responses(description: str, events: Sequence[SseEvent]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``200`` entry of an SSE operation: one item schema per event kind, and an example stream.

    Each item is ``{"event": name, "id": "<n>", "data": "<JSON text>"}``; ``data``'s
    ``contentSchema`` is the event's model (OpenAPI 3.2's way to describe Server-Sent Events,
    which FastAPI also uses for its generic item schema). Merge with ``error_responses(...)``.
    """
    items = [
        {
            "title": f"{e.name} event",
            "description": e.description,
            "type": "object",
            "properties": {
                "event": {"const": e.name},
                "id": {"type": "string", "description": "Increasing integer, as text."},
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": data_schema(e.data),
                },
            },
            "required": ["event", "id", "data"],
        }
        for e in events
    ]
    content = {"text/event-stream": {"itemSchema": {"oneOf": items}, "example": _wire(events)}}
    return {200: {"description": description, "content": content}}


RETRY_MS = 2000
"""Reconnection delay suggested to ``EventSource`` clients (the SSE ``retry:`` field)."""

WAIT_SECONDS = 5.0
"""Longest a stream sleeps without re-checking its log (wake-ups normally come at once)."""


async def follow_event_log(log: EventLog, start: int, comment: str) -> AsyncIterator[ServerSentEvent]:
    """The SSE stream of ``log`` after event id ``start``, as it grows, until its terminal event.

    First a comment-only block (it carries the retry hint without dispatching an event), then every
    stored event with its id, so an ``EventSource`` resumes with ``Last-Event-ID``. Used by the job
    and the search streams.
    """
    last = start
    yield ServerSentEvent(comment=comment, retry=RETRY_MS)
    while True:
        version = log.version
        batch = log.after(last)
        for item in batch:
            yield ServerSentEvent(raw_data=item.data_json, event=item.event, id=str(item.id))
            last = item.id
            if item.event in TERMINAL_EVENTS:
                return
        if not batch:
            if log.closed:
                return
            await log.wait_changed(version, timeout=WAIT_SECONDS)

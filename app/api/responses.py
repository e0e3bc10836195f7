"""Error responses as OpenAPI sees them: one model for the contract's error shape, and a helper
that lists the statuses an operation really sends.

Every error body is ``{"detail": [{"type", "loc", "msg", ...}]}`` (see ``app/main.py``'s handlers).
Use it on a route as ``@router.post(..., responses=error_responses(404, 422))``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    """One problem: what kind, where (``loc``: a path such as ``["body", "runs", 0, "params", "lr"]``), what."""

    type: str = Field(examples=["value_error"])
    loc: list[str | int] = Field(examples=[["body", "runs", 0, "params", "lr"]])
    msg: str = Field(examples=["lr must be > 0"])
    ctx: dict[str, str] | None = None


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer."""

    detail: list[ErrorItem]


_DESCRIPTIONS: dict[int, str] = {
    400: "The body is not valid JSON",
    404: "No such resource",
    409: "The resource is in a state that does not allow this",
    413: "The request body is larger than PLAYGROUND_MAX_BODY_BYTES",
    415: "The body is not application/json",
    422: "A field is invalid or over a limit; `loc` names it",
    429: "The server is at capacity; retry later",
    503: "The server is busy; retry after `Retry-After` seconds",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for ``codes``, each with the shared error body."""
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(code, "Error")} for code in codes}

"""Error items with a stable ``code`` and JSON-safe ``params``, for ``app/main.py``'s handlers.

Every item of an error body is ``{"type", "loc", "msg", "code", "params"}`` (docs/errors.md):

- pydantic errors: ``code`` = ``"pydantic." + type`` (``"pydantic.greater_than"``), ``params`` =
  pydantic's ``ctx`` made JSON-safe; a validator that raises an :class:`~app.core.errors.InputError`
  keeps that error's code and params; a custom error type that already is a code (it contains a
  dot, e.g. ``PydanticCustomError("surface.expression_with_builtin", …)``) is used as is; a
  settings limit (``app.api.schemas.common.limit_exceeded``) is ``"limit.exceeded"`` with
  ``{"limit", "setting", "value"}``;
- HTTP errors: ``"http.<status>"`` (``"http.404"``, ``"http.413"`` with ``{"limit": bytes}``)
  unless the raise site gave a code.

:func:`localize` replaces ``msg`` by its Korean text when the request asks for Korean
(``Accept-Language: ko…``) and a Korean template exists for the item's code; the page itself
renders ``code`` + ``params`` (``app/static/js/shared/errors.js``).
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

from app.api.error_texts import KO
from app.api.schemas.common import LIMIT_EXCEEDED
from app.core.errors import InputError, Param

MAX_ECHO = 200
"""Longest user-derived text (a loc segment, a param, a message) echoed back in an error."""

LIMIT_CODE = "limit.exceeded"
LIMIT_PARAMS = ("limit", "setting", "value", "index")
"""The params of a ``limit.exceeded`` item (``index`` only for an item of a list)."""


def short(value: object, limit: int = MAX_ECHO) -> object:
    """Strings cut to ``limit`` characters (a 1 MB dict key must not come back in the 422)."""
    return value[:limit] + "…" if isinstance(value, str) and len(value) > limit else value


def json_safe(value: object, depth: int = 0) -> Param:
    """``value`` as a plain JSON value: finite numbers, short strings, lists of those.

    Non-finite floats and other objects (exceptions, Decimals, …) become their text, cut to
    :data:`MAX_ECHO`; containers deeper than 2 levels become text too.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple) and depth < 2:
        return [json_safe(item, depth + 1) for item in value[:20]]
    text = value if isinstance(value, str) else str(value)
    return str(short(text))


def safe_params(params: Mapping[str, object]) -> dict[str, Param]:
    """Every value of ``params`` through :func:`json_safe`, keys cut short."""
    return {str(short(str(key), 40)): json_safe(value) for key, value in list(params.items())[:20]}


def pydantic_item(err: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error (``RequestValidationError.errors()`` entry) in the contract's shape."""
    kind = str(err.get("type", "value_error"))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    item: dict[str, Any] = {
        "type": kind,
        "loc": [short(part) for part in err.get("loc", ())],
        "msg": short(str(err.get("msg", "")), 1000),
    }
    if ctx:
        item["ctx"] = {k: str(v)[:MAX_ECHO] for k, v in ctx.items()}  # the pre-code shape, kept
    cause = ctx.get("error")
    if isinstance(cause, InputError):
        item["code"], item["params"] = cause.code, safe_params(cause.params)
        item["msg"] = short(cause.message, 1000)
    elif kind == LIMIT_EXCEEDED:
        item["code"] = LIMIT_CODE
        item["params"] = safe_params({k: ctx[k] for k in LIMIT_PARAMS if k in ctx})
    elif "." in kind:
        item["code"], item["params"] = kind, safe_params(ctx)
    else:
        item["code"] = f"pydantic.{kind}"
        item["params"] = safe_params({k: v for k, v in ctx.items() if k != "error"})
    return item


def input_item(exc: InputError) -> dict[str, Any]:
    """An engine :class:`InputError` in the contract's shape, user text cut short."""
    detail = exc.as_detail()
    loc = detail.get("loc")
    detail["loc"] = [short(part) for part in loc] if isinstance(loc, list) else ["body"]
    detail["msg"] = short(str(detail["msg"]), 1000)
    detail["params"] = safe_params(exc.params)
    return detail


def coded(status: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """An HTTP error's item with ``code`` (``"http.<status>"`` unless given) and JSON-safe ``params``."""
    out = dict(item)
    out.setdefault("code", f"http.{status}")
    given = out.get("params", out.get("ctx", {}))
    out["params"] = safe_params(given if isinstance(given, Mapping) else {})
    return out


def too_many_errors(count: int) -> dict[str, Any]:
    """The last item of a 422 that lists only the first errors."""
    return {
        "type": "too_many_errors",
        "loc": ["body"],
        "msg": f"{count} more errors not shown",
        "code": "too_many_errors",
        "params": {"count": count},
    }


# --- Korean messages: KO (app/api/error_texts.py, generated from docs/errors.md) -----------------


def wants_korean(accept_language: str | None) -> bool:
    """Whether the request's first preferred language is Korean (``ko``, ``ko-KR``, …)."""
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower()
    return first == "ko" or first.startswith("ko-")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def localize(items: list[dict[str, Any]], accept_language: str | None) -> list[dict[str, Any]]:
    """``items`` with ``msg`` in Korean where the request asks for it and the code has a template.

    An item whose template needs a param it lacks keeps its English ``msg``.
    """
    if not wants_korean(accept_language):
        return items
    for item in items:
        template = KO.get(str(item.get("code")))
        params = item.get("params") or {}
        if template is not None and _placeholders(template) <= set(params):
            item["msg"] = template.format(**params)
    return items

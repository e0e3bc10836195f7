"""Numeric bounds of a pydantic request model, read from its own field constraints.

The catalogues (``GET /api/lab/catalogue``, ``GET /api/training/catalogue``) serve these so a
client shows the same limits the request model enforces, from that one source (docs/API.md).
Only static constraints (``ge``/``gt``/``le``/``lt``) are read; settings-dependent maxima are
``GET /api/limits``.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel

from app.core.nn.options import unwrap_optional

#: annotated-types constraint → the JSON-Schema keyword a client reads.
CONSTRAINT_KEYS: tuple[tuple[type[Any], str, str], ...] = (
    (at.Ge, "ge", "minimum"),
    (at.Gt, "gt", "exclusive_minimum"),
    (at.Le, "le", "maximum"),
    (at.Lt, "lt", "exclusive_maximum"),
)


def _item_type(annotation: Any) -> Any:
    """``X`` for ``X``, ``X | None`` and ``list[X]``."""
    inner, _ = unwrap_optional(annotation)
    return get_args(inner)[0] if get_origin(inner) is list else inner


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    """The bounds in a field's metadata, e.g. ``[Gt(0), Le(1e6)]`` → ``{exclusive_minimum: 0, maximum: 1e6}``."""
    out: dict[str, Any] = {}
    for item in metadata:
        for kind, attr, key in CONSTRAINT_KEYS:
            if isinstance(item, kind):
                out[key] = getattr(item, attr)
    return out


def model_bounds(
    model: type[BaseModel], prefix: str = "", skip: frozenset[str] = frozenset()
) -> dict[str, dict[str, Any]]:
    """``{dotted path: {minimum?, maximum?, exclusive_minimum?, exclusive_maximum?, integer}}``.

    Nested models (also optional ones and lists of them, e.g. ``runs: list[RunConfig]``) are
    walked with their field name as prefix (``runs.clip.max``); fields named in ``skip`` are left out.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        item = _item_type(info.annotation)
        path = f"{prefix}{name}"
        if isinstance(item, type) and issubclass(item, BaseModel):
            out.update(model_bounds(item, f"{path}."))
            continue
        bounds = _constraints(info.metadata)
        if bounds and item in (int, float):
            out[path] = {**bounds, "integer": item is int}
    return out

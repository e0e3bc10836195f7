"""Option metadata for configuration dataclasses: one place for a field's default, bounds and help.

A configuration field is declared once, with :func:`option`::

    epochs: int = option(20, "Passes over the training data.", minimum=1, limit="max_epochs")

and everything else is derived from that declaration:

* :func:`parse` builds the (frozen) dataclass from a JSON-shaped mapping, filling defaults and
  checking types, static bounds and choices (errors are :class:`~app.core.errors.InputError`
  naming the dotted field path);
* :func:`walk` yields ``(dotted path, Spec, type)`` for every field, which the API uses to generate
  its pydantic request model and the ``bounds`` of ``GET /api/training/catalogue``;
* :func:`check_limits` checks the *settings-dependent* maxima (``limit="max_epochs"`` etc.)
  against a mapping of current limits (``Settings``), which only the caller knows;
* :func:`to_dict` turns a configuration back into the JSON shape ``POST /api/jobs`` accepts.

Kept free of pydantic (``app/core`` is NumPy + stdlib); the pydantic side lives in
``app/api/schemas/training.py``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from app.core.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Spec:
    """What a configuration field accepts (``field(metadata={"spec": Spec(...)})``).

    Attributes
    ----------
    doc : str
        One-line description (the OpenAPI field description).
    minimum, maximum, exclusive_minimum, exclusive_maximum : float or None
        Static bounds of a number; for a list of numbers they bound each item.
    choices : tuple of str or None
        The accepted ids of a string field.
    limit : str or None
        Name of a server setting (``Settings`` attribute, e.g. ``"max_epochs"``) whose current
        value is the field's maximum; for a list of numbers it bounds each item.
    count_limit : str or None
        Setting that bounds the length of a list (``"max_layers"``).
    max_items : int or None
        Static bound on the length of a list or the size of a mapping.
    max_length : int or None
        Longest string.
    item_name : str or None
        How an item of a list is called in errors, e.g. ``"hidden layer {number} has {value} units"``
        (``{number}`` is 1-based).
    """

    doc: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    choices: tuple[str, ...] | None = None
    limit: str | None = None
    count_limit: str | None = None
    max_items: int | None = None
    max_length: int | None = None
    item_name: str | None = None

    def number_bounds(self) -> dict[str, float]:
        """The static numeric bounds that are set, keyed like JSON Schema."""
        keys = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
        return {k: v for k in keys if (v := getattr(self, k)) is not None}


def option(default: Any, doc: str, **bounds: Any) -> Any:
    """A dataclass field with its default and :class:`Spec` (a mutable ``{}`` default is copied)."""
    spec = Spec(doc, **bounds)
    if isinstance(default, dict):
        value = dict(default)
        return dataclasses.field(default_factory=lambda: dict(value), metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


def described(doc: str) -> dict[str, Spec]:
    """Field metadata with only a description, for ``dataclasses.field`` (nested configurations)."""
    return {"spec": Spec(doc)}


def spec_of(f: dataclasses.Field[Any]) -> Spec:
    """The :class:`Spec` of a dataclass field."""
    spec = f.metadata.get("spec")
    if not isinstance(spec, Spec):
        raise TypeError(f"field {f.name} has no option() spec")
    return spec


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``, else ``(tp, False)``."""
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


def fields_of(cls: type[Any]) -> Iterator[tuple[dataclasses.Field[Any], Any]]:
    """Each field of dataclass ``cls`` with its resolved type."""
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        yield f, hints[f.name]


def walk(cls: type[Any], prefix: str = "") -> Iterator[tuple[str, Spec, Any]]:
    """``(dotted path, Spec, type)`` for every leaf field of ``cls``, nested dataclasses expanded."""
    for f, tp in fields_of(cls):
        inner, _ = unwrap_optional(tp)
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(inner):
            yield from walk(inner, f"{path}.")  # type: ignore[arg-type]  # is_dataclass narrows to instance | type
        else:
            yield path, spec_of(f), tp


# ---------------------------------------------------------------------------- parsing


def parse(cls: type[T], data: Mapping[str, Any] | None, prefix: str = "") -> T:
    """Build dataclass ``cls`` from a JSON-shaped mapping, checking every field's :class:`Spec`.

    Missing keys (and ``None`` for a field that cannot be null) take the default; nested mappings
    are parsed recursively; unknown keys are refused.

    Raises
    ------
    InputError
        Naming ``prefix + field``, for a wrong type, a value outside its bounds or choices, or an
        unknown key.
    """
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise InputError(prefix.rstrip(".") or "body", "must be an object", "pydantic.dict_type")
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            raise InputError(
                f"{prefix}{key}",
                f"unknown field; expected one of {sorted(known)}",
                "pydantic.extra_forbidden",
                {"expected": ", ".join(sorted(known))},
            )
    values: dict[str, Any] = {}
    for f, tp in fields_of(cls):
        if f.name not in data:
            continue
        inner, optional = unwrap_optional(tp)
        value = data[f.name]
        if value is None and not optional:
            continue
        values[f.name] = None if value is None else _value(inner, value, spec_of(f), f"{prefix}{f.name}")
    return cls(**values)


def _value(tp: Any, value: Any, spec: Spec, path: str) -> Any:
    """One field's value converted to ``tp`` and checked against ``spec``."""
    if dataclasses.is_dataclass(tp):
        return parse(tp, value, f"{path}.")  # type: ignore[arg-type]
    origin = get_origin(tp)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise InputError(path, f"must be a list, got {value!r}"[:200], "pydantic.list_type")
        if spec.max_items is not None and len(value) > spec.max_items:
            params = {"max_length": spec.max_items, "actual_length": len(value)}
            raise InputError(path, f"at most {spec.max_items} items, got {len(value)}", "pydantic.too_long", params)
        item_tp = get_args(tp)[0]
        return tuple(_scalar(item_tp, v, spec, f"{path}.{i}") for i, v in enumerate(value))
    if origin in (dict, Mapping) or tp is typing.Any:
        if not isinstance(value, Mapping):
            raise InputError(path, f"must be an object, got {value!r}"[:200], "pydantic.dict_type")
        if spec.max_items is not None and len(value) > spec.max_items:
            params = {"max_length": spec.max_items, "actual_length": len(value)}
            raise InputError(path, f"at most {spec.max_items} entries, got {len(value)}", "pydantic.too_long", params)
        return dict(value)
    return _scalar(tp, value, spec, path)


def _scalar(tp: Any, value: Any, spec: Spec, path: str) -> Any:
    """A bool, int, float or str checked against ``spec``."""
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(path, f"must be true or false, got {value!r}"[:200], "pydantic.bool_type")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise InputError(path, f"must be a string, got {value!r}"[:200], "pydantic.string_type")
        if spec.choices is not None and value not in spec.choices:
            raise InputError(
                path,
                f"unknown value {value[:40]!r}; choose one of {', '.join(spec.choices)}",
                "pydantic.literal_error",
                {"expected": ", ".join(spec.choices)},
            )
        if spec.max_length is not None and len(value) > spec.max_length:
            raise InputError(
                path,
                f"at most {spec.max_length} characters",
                "pydantic.string_too_long",
                {"max_length": spec.max_length},
            )
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(path, f"must be a finite number, got {value!r}"[:200], "pydantic.finite_number")
    if tp is int:
        if isinstance(value, float) and not value.is_integer():
            raise InputError(path, f"must be an integer, got {value!r}", "pydantic.int_from_float")
        value = int(value)
    else:
        value = float(value)
    _check_bounds(value, spec, path)
    return value


def _check_bounds(value: float, spec: Spec, path: str) -> None:
    """Raise ``InputError`` when ``value`` breaks one of the static bounds of ``spec``."""
    # The same codes and params as the request model's own validation (pydantic's ge/le/gt/lt).
    broken = [
        (bound, sign, key)
        for bound, sign, key, ok in (
            (spec.minimum, "≥", "ge", spec.minimum is None or value >= spec.minimum),
            (spec.maximum, "≤", "le", spec.maximum is None or value <= spec.maximum),
            (spec.exclusive_minimum, ">", "gt", spec.exclusive_minimum is None or value > spec.exclusive_minimum),
            (spec.exclusive_maximum, "<", "lt", spec.exclusive_maximum is None or value < spec.exclusive_maximum),
        )
        if not ok
    ]
    if broken:
        bound, sign, key = broken[0]
        code = {"ge": "greater_than_equal", "le": "less_than_equal", "gt": "greater_than", "lt": "less_than"}[key]
        raise InputError(path, f"must be {sign} {bound:g}, got {value:g}", f"pydantic.{code}", {key: bound})


def construct(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build dataclass ``cls`` from data already validated against its specs (lists → tuples), without checks.

    For the API, whose generated request model has checked every field (see ``parse`` otherwise).
    """
    values: dict[str, Any] = {}
    for f, tp in fields_of(cls):
        value = data[f.name]
        inner, _ = unwrap_optional(tp)
        if value is not None and dataclasses.is_dataclass(inner):
            value = construct(inner, value)  # type: ignore[arg-type]  # is_dataclass narrows to instance | type
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


# ---------------------------------------------------------------------------- limits and output


def check_limits(config: Any, limits: Mapping[str, Any], prefix: str = "") -> None:
    """Check the settings-dependent maxima (``Spec.limit``/``count_limit``) of a parsed config.

    ``limits`` maps setting names to current values (e.g. ``Settings.model_dump()``); settings it
    lacks are not checked.

    Raises
    ------
    InputError
        Naming the field, the limit and its setting, e.g. ``epochs: must be ≤ 500 (server limit
        max_epochs), got 600``.
    """
    for f, _ in fields_of(type(config)):
        value = getattr(config, f.name)
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            check_limits(value, limits, f"{path}.")
            continue
        spec = spec_of(f)
        count = limits.get(spec.count_limit) if spec.count_limit else None
        if count is not None and len(value) > count:
            message = f"at most {count} items (got {len(value)})"
            params = {"limit": count, "setting": spec.count_limit, "value": len(value)}
            raise InputError(path, message, "limit.exceeded", params)
        top = limits.get(spec.limit) if spec.limit else None
        if top is None or value is None:
            continue
        for item_path, item in _items(path, value):
            if item > top:
                message = f"must be at most {top} (got {item})"
                params = {"limit": top, "setting": spec.limit, "value": item}
                raise InputError(item_path, message, "limit.exceeded", params)


def _items(path: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, tuple):
        return [(f"{path}.{i}", v) for i, v in enumerate(value)]
    return [(path, value)]


def to_dict(config: Any) -> dict[str, Any]:
    """A configuration dataclass as JSON-shaped data (tuples → lists, nested → dicts)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            value = to_dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out

"""Learning-rate schedules (docs/schedules.md), with Keras semantics.

A schedule maps ``step`` — the number of updates already applied, from 0 — to a learning rate.
``make_schedule(spec, base_lr)`` turns the request object (``{"type": "exponential", ...}``) into a
callable; every schedule except ``piecewise`` scales the run's base rate η₀.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeGuard

from app.core.errors import InputError

Schedule = Callable[[int], float]
"""η as a function of the number of updates already applied (from 0)."""
Spec = Mapping[str, object]
"""A schedule as the request gives it: ``{"type": …, <parameter>: <value>, …}``."""


@dataclass(frozen=True)
class ScheduleParam:
    """One schedule parameter with its default and inclusive bounds."""

    name: str
    default: float | bool | list[float]
    low: float | None = None
    high: float | None = None
    kind: str = "number"  # number | integer | bool | list

    def as_dict(self) -> dict[str, object]:
        """JSON description for ``GET /api/schedules``."""
        return {"name": self.name, "default": self.default, "min": self.low, "max": self.high, "kind": self.kind}


@dataclass(frozen=True)
class ScheduleKind:
    """One kind of schedule as ``GET /api/schedules`` describes it."""

    name: dict[str, str]
    """Display name, ``{"en": …, "ko": …}``."""
    equation: str
    """η_t in TeX."""
    params: tuple[ScheduleParam, ...] = ()


_DECAY_STEPS = ScheduleParam("decay_steps", 100, 1, 1e7, "integer")

SCHEDULES: dict[str, ScheduleKind] = {
    "constant": ScheduleKind({"en": "Constant", "ko": "고정"}, r"\eta_t = \eta_0"),
    "piecewise": ScheduleKind(
        {"en": "Piecewise constant", "ko": "구간별 상수"},
        r"\eta_t = v_i \text{ for } b_{i-1} < t \le b_i",
        (
            ScheduleParam("boundaries", [700, 900], kind="list"),
            ScheduleParam("values", [0.1, 0.05, 0.01], kind="list"),
        ),
    ),
    "exponential": ScheduleKind(
        {"en": "Exponential decay", "ko": "지수 감쇠"},
        r"\eta_t = \eta_0 r^{t / T}",
        (
            ScheduleParam("decay_rate", 0.96, 1e-6, 1.0),
            _DECAY_STEPS,
            ScheduleParam("staircase", False, kind="bool"),
        ),
    ),
    "polynomial": ScheduleKind(
        {"en": "Polynomial decay", "ko": "다항식 감쇠"},
        r"\eta_t = (\eta_0 - \eta_{end}) (1 - \min(t, T) / T)^{p} + \eta_{end}",
        (_DECAY_STEPS, ScheduleParam("end_lr", 1e-4, 0.0, 100.0), ScheduleParam("power", 1.0, 0.0, 10.0)),
    ),
    "cosine": ScheduleKind(
        {"en": "Cosine decay", "ko": "코사인 감쇠"},
        r"\eta_t = \eta_0 ((1 - \alpha) \frac{1 + \cos(\pi \min(t, T) / T)}{2} + \alpha)",
        (_DECAY_STEPS, ScheduleParam("alpha", 0.0, 0.0, 1.0)),
    ),
    "warmup": ScheduleKind(
        {"en": "Linear warm-up", "ko": "선형 워밍업"},
        r"\eta_t = \eta_0 \min(1, (t + 1) / W)",
        (ScheduleParam("warmup_steps", 100, 1, 1e7, "integer"),),
    ),
}


EQUATION_VARIANTS: dict[str, dict[str, str]] = {
    "exponential": {"staircase": r"\eta_t = \eta_0 r^{\lfloor t / T \rfloor}"},
}
"""The equation a kind shows when a boolean option is on (``staircase``: the exponent is ⌊t/T⌋)."""


def scaled_defaults(steps: int) -> dict[str, dict[str, float | bool | list[float]]]:
    """Defaults that make each schedule act within a run of ``steps`` updates (docs/schedules.md).

    Decays span the whole run (T = K; exponential decay then ends at η₀/10 with r = 0.1),
    piecewise boundaries sit at 70 % and 90 % of K, and warm-up takes the first 10 % of K
    (each integer at least 1, boundaries strictly increasing).
    """
    b1 = max(1, round(0.7 * steps))
    b2 = max(b1 + 1, round(0.9 * steps))
    return {
        "piecewise": {"boundaries": [float(b1), float(b2)]},
        "exponential": {"decay_rate": 0.1, "decay_steps": steps},
        "polynomial": {"decay_steps": steps},
        "cosine": {"decay_steps": steps},
        "warmup": {"warmup_steps": max(1, round(0.1 * steps))},
    }


def list_schedules(steps: int | None = None) -> list[dict[str, object]]:
    """Descriptions of every schedule for ``GET /api/schedules``; with ``steps``, defaults scaled to it."""
    scaled = scaled_defaults(steps) if steps is not None else {}
    out: list[dict[str, object]] = []
    for key, kind in SCHEDULES.items():
        params = []
        for p in kind.params:
            entry = p.as_dict()
            entry["default"] = scaled.get(key, {}).get(p.name, p.default)
            params.append(entry)
        item: dict[str, object] = {"id": key, "name": kind.name, "equation": kind.equation, "params": params}
        item["equation_variants"] = EQUATION_VARIANTS.get(key, {})
        out.append(item)
    return out


def _is_finite_number(value: object) -> TypeGuard[int | float]:
    """True for an int or float that is finite as a float (a huge JSON integer is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range, e.g. 10**400
        return False


def _number(spec: Mapping[str, object], p: ScheduleParam, field: str) -> float:
    value = spec.get(p.name, p.default)
    if not _is_finite_number(value):
        raise InputError(
            f"{field}.{p.name}", f"{p.name} must be a finite number", "schedule.not_finite", {"name": p.name}
        )
    if p.low is not None and p.high is not None and not p.low <= value <= p.high:
        raise InputError(
            f"{field}.{p.name}",
            f"{p.name} must be between {p.low:g} and {p.high:g} (got {value})",
            "schedule.param_range",
            {"name": p.name, "min": p.low, "max": p.high, "value": value},
        )
    return float(value)


def _numbers(spec: Mapping[str, object], p: ScheduleParam, field: str, max_len: int = 100) -> list[float]:
    value = spec.get(p.name, p.default)
    if not isinstance(value, (list, tuple)) or not 0 < len(value) <= max_len:
        raise InputError(
            f"{field}.{p.name}",
            f"{p.name} must be a list of 1 to {max_len} numbers",
            "schedule.list_length",
            {"name": p.name, "max": max_len},
        )
    out = []
    for v in value:
        if not _is_finite_number(v) or v < 0:
            raise InputError(
                f"{field}.{p.name}",
                f"{p.name} must hold finite non-negative numbers",
                "schedule.list_values",
                {"name": p.name},
            )
        out.append(float(v))
    return out


def make_schedule(spec: Spec | None, base_lr: float, field: str = "schedule") -> Schedule:
    """Build ``step -> learning rate`` from a request object; ``None`` means constant η₀.

    Parameters
    ----------
    spec : ``{"type": <a key of SCHEDULES>, <parameter>: <value>, …}``; omitted parameters take
        their defaults.
    base_lr : η₀, the run's learning rate (every kind but ``piecewise`` scales it).
    field : prefix of the field named in an ``InputError`` (``schedule.decay_steps``, …).
    """
    if spec is None:
        return lambda step: base_lr
    kind = spec.get("type", "constant")
    choices = ", ".join(SCHEDULES)
    if not isinstance(kind, str):
        raise InputError(
            f"{field}.type", f"type must be a string, one of {choices}", "schedule.type", {"choices": choices}
        )
    if kind not in SCHEDULES:
        raise InputError(
            f"{field}.type",
            f"unknown schedule '{kind[:40]}'; choose one of {choices}",
            "schedule.unknown",
            {"schedule": kind[:40], "choices": choices},
        )
    params = {p.name: p for p in SCHEDULES[kind].params}
    unknown = set(spec) - set(params) - {"type"}
    if unknown:
        name = sorted(unknown)[0]
        allowed = ", ".join(params) or "none"
        raise InputError(
            f"{field}.{name}",
            f"'{name}' is not a parameter of the {kind} schedule; allowed: {allowed}",
            "schedule.unknown_param",
            {"name": name[:40], "schedule": kind, "allowed": allowed},
        )
    return _BUILDERS[kind](spec, params, base_lr, field)


Params = dict[str, "ScheduleParam"]
"""A kind's parameters by name."""


def _constant(spec: Spec, params: Params, base_lr: float, field: str) -> Schedule:
    return lambda step: base_lr


def _piecewise(spec: Spec, params: Params, base_lr: float, field: str) -> Schedule:
    bounds = _numbers(spec, params["boundaries"], field)
    values = _numbers(spec, params["values"], field)
    if len(values) != len(bounds) + 1:
        raise InputError(
            f"{field}.values",
            "values must have exactly one more entry than boundaries",
            "schedule.values_count",
            {"boundaries": len(bounds), "values": len(values)},
        )
    if any(b2 <= b1 for b1, b2 in itertools.pairwise(bounds)):
        raise InputError(f"{field}.boundaries", "boundaries must increase", "schedule.boundaries_order")

    def piecewise(step: int) -> float:
        # Keras PiecewiseConstantDecay: values[i] while boundaries[i-1] < step <= boundaries[i].
        for b, v in zip(bounds, values[:-1], strict=True):
            if step <= b:
                return v
        return values[-1]

    return piecewise


def _exponential(spec: Spec, params: Params, base_lr: float, field: str) -> Schedule:
    rate = _number(spec, params["decay_rate"], field)
    steps = _number(spec, params["decay_steps"], field)
    stair = spec.get("staircase", False)
    if not isinstance(stair, bool):
        raise InputError(f"{field}.staircase", "staircase must be true or false", "schedule.staircase")
    return lambda step: base_lr * rate ** (math.floor(step / steps) if stair else step / steps)


def _polynomial(spec: Spec, params: Params, base_lr: float, field: str) -> Schedule:
    steps = _number(spec, params["decay_steps"], field)
    end = _number(spec, params["end_lr"], field)
    power = _number(spec, params["power"], field)
    return lambda step: (base_lr - end) * (1.0 - min(step, steps) / steps) ** power + end


def _cosine(spec: Spec, params: Params, base_lr: float, field: str) -> Schedule:
    steps = _number(spec, params["decay_steps"], field)
    alpha = _number(spec, params["alpha"], field)
    return lambda step: base_lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)) + alpha)


def _warmup(spec: Spec, params: Params, base_lr: float, field: str) -> Schedule:
    warm = _number(spec, params["warmup_steps"], field)
    return lambda step: base_lr * min(1.0, (step + 1) / warm)


_BUILDERS: dict[str, Callable[[Spec, Params, float, str], Schedule]] = {
    "constant": _constant,
    "piecewise": _piecewise,
    "exponential": _exponential,
    "polynomial": _polynomial,
    "cosine": _cosine,
    "warmup": _warmup,
}

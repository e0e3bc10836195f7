"""The ``dataset`` object of a training configuration, validated against the catalogue and bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.datasets.catalogue import CATALOGUE
from app.core.datasets.upload_common import is_upload_id
from app.core.errors import InputError

DEFAULT_MAX_SAMPLES = 70_000  # mirrors Settings.max_samples; the API passes the real value
MIN_SAMPLES = 10  # smallest pool that still leaves ≥ 1 sample per split
MAX_NOISE = 5.0
MIN_CLASSES, MAX_CLASSES = 2, 10
DEFAULT_VAL_FRACTION = 0.2
DEFAULT_TEST_FRACTION = 0.2
MAX_FRACTION = 0.9


@dataclass(frozen=True)
class Request:
    """The ``dataset`` object of a training configuration, validated."""

    name: str
    n_samples: int | None
    noise: float | None
    classes: int | None
    seed: int
    train_limit: int | None
    val_fraction: float
    test_fraction: float


def _as_int(value: Any, field: str, lo: int, hi: int | None) -> int:
    """An integer (JSON ints, or floats with an integral value) within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(field, f"must be an integer, got {value!r}")
    if isinstance(value, (float, np.floating)) and not (math.isfinite(value) and value == int(value)):
        raise InputError(field, f"must be an integer, got {value!r}")
    number = int(value)
    if number < lo or (hi is not None and number > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise InputError(field, f"must be {bound}, got {number}")
    return number


def _as_float(value: Any, field: str, lo: float, hi: float) -> float:
    """A finite number within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(field, f"must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number > hi or number < lo:
        raise InputError(field, f"must be in [{lo}, {hi}], got {number}")
    return number


def parse_request(spec: dict[str, Any], max_samples: int, field: str) -> Request:
    """Validate the ``dataset`` object; fields named ``<field>.<key>`` in errors."""
    if not isinstance(spec, dict):
        raise InputError(field, "must be an object with at least a 'name'")
    name = spec.get("name")
    if not (isinstance(name, str) and (name in CATALOGUE or is_upload_id(name))):
        shown = name[:60] if isinstance(name, str) else name
        raise InputError(
            f"{field}.name", f"unknown data set {shown!r}; choose one of {', '.join(CATALOGUE)} or an upload's id"
        )
    info = CATALOGUE.get(name)
    generated = info is not None and info.generated
    variable_classes = info is not None and info.variable_classes

    def get(key: str) -> Any:
        return spec.get(key)

    n_samples = get("n_samples")
    if n_samples is not None:
        n_samples = _as_int(n_samples, f"{field}.n_samples", MIN_SAMPLES, max_samples)
    noise = get("noise")
    if noise is not None and generated:
        noise = _as_float(noise, f"{field}.noise", 0.0, MAX_NOISE)
    classes = get("classes")
    if classes is not None and variable_classes:
        classes = _as_int(classes, f"{field}.classes", MIN_CLASSES, MAX_CLASSES)
    seed = get("seed")
    seed = 0 if seed is None else _as_int(seed, f"{field}.seed", 0, 2**32 - 1)
    train_limit = get("train_limit")
    if train_limit is not None:
        train_limit = _as_int(train_limit, f"{field}.train_limit", 1, None)
    fractions = {}
    for key, default in (
        ("val_fraction", DEFAULT_VAL_FRACTION),
        ("test_fraction", DEFAULT_TEST_FRACTION),
    ):
        value = get(key)
        fractions[key] = default if value is None else _as_float(value, f"{field}.{key}", 0.0, MAX_FRACTION)
    return Request(
        name=name,
        n_samples=n_samples,
        noise=noise if generated else None,
        classes=classes if variable_classes else None,
        seed=seed,
        train_limit=train_limit,
        **fractions,
    )

"""Weight initialisers (docs/networks.md), all in terms of the weight matrix's fan_in and fan_out.

| id               | distribution                                     |
|------------------|--------------------------------------------------|
| ``zeros``        | all 0 (shows symmetry: hidden units stay identical) |
| ``normal``       | N(0, std²) with a user-chosen std (1, 0.01, …)   |
| ``xavier_uniform`` | U(−a, a), a = √(6 / (fan_in + fan_out))        |
| ``xavier_normal``  | N(0, σ²), σ = √(2 / (fan_in + fan_out))        |
| ``he_uniform``   | U(−a, a), a = √(6 / fan_in)                      |
| ``he_normal``    | N(0, σ²), σ = √(2 / fan_in)                      |
| ``lecun_normal`` | N(0, σ²), σ = √(1 / fan_in) (the textbook's "Xavier") |

A uniform U(−a, a) has std a/√3, so each uniform form has the same std as its normal sibling.
"""

from __future__ import annotations

import math

import numpy as np

from app.core.errors import InputError

INIT_IDS: tuple[str, ...] = (
    "zeros",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
)


def init_std(name: str, fan_in: int, fan_out: int, std: float = 0.01, field: str = "model.init") -> float:
    """The standard deviation the initialiser ``name`` gives a ``(fan_in, fan_out)`` matrix.

    Raises
    ------
    InputError
        For an unknown id (naming ``field``).
    """
    if name == "zeros":
        return 0.0
    if name == "normal":
        return float(std)
    if name in ("xavier_uniform", "xavier_normal"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    if name in ("he_uniform", "he_normal"):
        return math.sqrt(2.0 / fan_in)
    if name == "lecun_normal":
        return math.sqrt(1.0 / fan_in)
    choices = ", ".join(INIT_IDS)
    raise InputError(
        field,
        f"unknown initialiser {name[:40]!r}; choose one of {choices}",
        "pydantic.literal_error",
        {"expected": choices},
    )


def initialize(
    name: str,
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    std: float = 0.01,
    dtype: type[np.floating] | np.dtype = np.float32,
    field: str = "model.init",
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Draw a weight matrix.

    Parameters
    ----------
    name : str
        One of ``INIT_IDS``.
    fan_in, fan_out : int
        Fan-in and fan-out that set the scale.
    rng : np.random.Generator
        Random source.
    std : float
        Standard deviation for ``normal``.
    dtype : dtype
        Output dtype.
    field : str
        Field named in the error for an unknown id.
    shape : tuple or None
        Shape of the result; ``(fan_in, fan_out)`` by default.

    Returns
    -------
    np.ndarray
        Shape ``shape`` (default ``(fan_in, fan_out)``).
    """
    if fan_in < 1 or fan_out < 1:
        raise InputError(
            "model.hidden",
            f"layer sizes must be ≥ 1, got fan_in={fan_in}, fan_out={fan_out}",
            "pydantic.greater_than_equal",
            {"ge": 1},
        )
    if name == "normal" and not (math.isfinite(std) and std >= 0):
        raise InputError(
            "model.init_std", f"must be a finite number ≥ 0, got {std}", "pydantic.greater_than_equal", {"ge": 0}
        )
    size = shape if shape is not None else (fan_in, fan_out)
    sigma = init_std(name, fan_in, fan_out, std, field)
    if name == "zeros":
        w = np.zeros(size)
    elif name.endswith("_uniform"):
        limit = sigma * math.sqrt(3.0)  # a = √3 σ: √(6/(fi+fo)) or √(6/fi)
        w = rng.uniform(-limit, limit, size=size)
    else:
        w = rng.standard_normal(size) * sigma
    return w.astype(dtype, copy=False)

"""Element-wise operations the update rules share, on NumPy arrays and on Python floats alike.

The rules of ``first_order.py`` and ``adaptive.py`` are written once for both labs: the MLP calls
them on weight matrices, the 2-D engine on its ``(R, 2)`` array of runs and, for a few recorded
runs, on Python floats coordinate by coordinate (``app/core/lab2d/scalar_runs.py``), where one
NumPy call on a 2-element array costs more than the arithmetic. Arithmetic operators already work
on both; these helpers cover the NumPy functions the rules and the gradient clipping use. On floats they give exactly
NumPy's numbers (√ is correctly rounded in both; the maximum propagates NaN as ``np.maximum``
does), and an array costs one type test more than the NumPy call itself.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Value = TypeVar("Value", float, Array)


def sqrt(v: Value) -> Value:
    """√v element-wise; NaN for v < 0 or NaN (as ``np.sqrt``, without raising on a float)."""
    if type(v) is float:
        return math.sqrt(v) if v >= 0.0 else math.nan
    out: Value = np.sqrt(v)
    return out


def maximum(a: Value, b: Value | float) -> Value:
    """max(a, b) element-wise, NaN where either is NaN (``np.maximum``: a where a ≥ b or a is NaN, else b)."""
    if type(a) is float and type(b) is float:
        return a if a >= b or a != a else b
    out: Value = np.maximum(a, b)
    return out


def minimum(a: Value | float, b: Value) -> Value:
    """min(a, b) element-wise, NaN where either is NaN (``np.minimum``: a where a ≤ b or a is NaN, else b)."""
    if type(a) is float and type(b) is float:
        return a if a <= b or a != a else b
    out: Value = np.minimum(a, b)
    return out


def clip(v: Value, low: float, high: float) -> Value:
    """v limited to [low, high] element-wise, NaN kept (``np.clip``)."""
    if type(v) is float:
        return minimum(high, maximum(v, low))
    out: Value = np.clip(v, low, high)
    return out


def fresh(v: Value) -> Value:
    """``v`` as a value the caller may keep: a copy of an array (a state buffer), a float as it is."""
    return v.copy() if isinstance(v, np.ndarray) else v

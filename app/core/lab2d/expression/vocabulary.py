"""The closed vocabulary of f(x, y): its variables, named constants and functions.

Every name the tokenizer accepts is listed here, together with the NumPy function that evaluates
it; nothing outside these tables can appear in an expression tree.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Array = np.ndarray

VARIABLES = ("x", "y")
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
# name → number of arguments
FUNCTIONS: dict[str, int] = {
    "sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "log10": 1, "sqrt": 1,
    "tanh": 1, "sinh": 1, "cosh": 1, "abs": 1, "sigmoid": 1, "atan": 1, "asin": 1,
    "acos": 1, "sign": 1, "min": 2, "max": 2,
}  # fmt: skip


def _sigmoid(u: Array) -> Array:
    # σ(u) = 1/(1+e^{-u}) written with tanh so it never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * u))


NUMPY_FUNCS: dict[str, Callable[..., Array]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "log10": np.log10, "sqrt": np.sqrt, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
    "abs": np.abs, "sigmoid": _sigmoid, "atan": np.arctan, "asin": np.arcsin,
    "acos": np.arccos, "sign": np.sign, "min": np.minimum, "max": np.maximum,
}  # fmt: skip

BINARY_FUNCS: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
}  # fmt: skip

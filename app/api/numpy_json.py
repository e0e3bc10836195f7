"""JSON answers encoded straight from NumPy arrays with orjson (README, "why each dependency").

A 7-run × 10,000-step trajectory answer holds ~1.5 M numbers. Turning each array into nested
Python lists (the engine's ``clean()``) and letting pydantic serialise them costs ~8× more than
orjson writing the arrays directly. orjson writes every non-finite float — NaN, ±Infinity, in an
array or alone — as ``null``, the same guarantee ``clean()`` gives (no NaN/Infinity in JSON).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from fastapi.responses import JSONResponse

OPTIONS = orjson.OPT_SERIALIZE_NUMPY
"""NumPy arrays and scalars are written as JSON arrays and numbers."""


def dumps(content: Any) -> bytes:
    """``content`` (dicts, lists, numbers, C-contiguous NumPy arrays) as JSON bytes; non-finite → null."""
    return orjson.dumps(content, option=OPTIONS)


def contiguous(a: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``a`` as a C-contiguous float array (orjson writes only those); no copy when it already is one."""
    return np.ascontiguousarray(a, dtype=float)


class NumpyJSONResponse(JSONResponse):
    """A JSON response rendered by :func:`dumps`: arrays go from NumPy to bytes without Python lists."""

    def render(self, content: Any) -> bytes:
        return dumps(content)

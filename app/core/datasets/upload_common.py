"""What every upload module shares: the error an upload is refused with (field, message, stable code
and parameters), the size limits, and the form of upload ids.

Codes are ``upload.*`` (docs/API.md "Uploaded data sets"); ``params`` hold plain values (row and
column for a bad cell, the limit and its setting for a size) so the page can say it in the
learner's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.core.errors import InputError

PREFIX = "upload:"
ID_PATTERN = r"upload:[0-9a-f]{32}"
"""Upload ids: ``upload:`` and 32 hex digits (128 random bits)."""
_ID = re.compile(ID_PATTERN)


def is_upload_id(name: object) -> bool:
    """Whether ``name`` has the form of an upload id (it may still not exist)."""
    return isinstance(name, str) and _ID.fullmatch(name) is not None


class UploadError(InputError):
    """A bad upload, e.g. ``UploadError("file", "row 3, column 'x': 'abc' is not a number",
    "upload.bad_value", row=3, column="x", value="abc")``.

    Parameters
    ----------
    field : str
        The form field at fault (``"file"``, ``"label_column"``, ``"points"``, ``"name"``).
    message : str
        English text naming the row / column / limit.
    code : str
        Stable id ``upload.<what>``.
    **params : plain values for the message's translations.
    """

    def __init__(self, field: str, message: str, code: str, **params: Any) -> None:
        super().__init__(field, message)
        self.code = code
        self.params = params

    def as_detail(self) -> dict[str, object]:
        """FastAPI's ``detail`` item with ``code`` and ``params`` (contract A)."""
        return {**super().as_detail(), "code": self.code, "params": dict(self.params)}


def limit_error(field: str, what: str, limit: int, setting: str) -> UploadError:
    """``upload.too_many_<what>``: more ``what`` than ``limit`` (``Settings.<setting>``)."""
    env = f"PLAYGROUND_{setting.upper()}"
    return UploadError(
        field,
        f"more than {limit} {what}; the limit is {limit} (setting {env})",
        f"upload.too_many_{what}",
        limit=limit,
        setting=setting,
    )


@dataclass(frozen=True)
class UploadLimits:
    """The sizes an upload may have (``Settings.max_upload_rows`` / ``_columns`` / ``_classes``)."""

    max_rows: int = 70_000
    max_columns: int = 1_025
    max_classes: int = 100

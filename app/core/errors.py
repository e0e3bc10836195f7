"""Errors the engine raises for bad input; the API turns them into 422 responses.

Each error carries a stable ``code`` (e.g. ``"expression.unexpected_token"``) and ``params`` (plain
JSON values, e.g. ``{"token": "^", "position": 3}``) besides its English ``message``, so a page
can render it in the user's language (docs/errors.md lists every code).
"""

from __future__ import annotations

from collections.abc import Mapping

GENERIC_CODE = "invalid"
"""The code of an error whose raise site gives none."""

Param = str | int | float | bool | None | list["Param"]
"""A JSON-safe parameter value."""


class InputError(ValueError):
    """A user-supplied value the engine cannot accept.

    Parameters
    ----------
    field : str
        Dotted path of the offending field as the API user sees it (e.g. ``"expression"``,
        ``"runs.0.params.lr"``).
    message : str
        What is wrong and, where there is one, the limit (English).
    code : str
        Stable id of the kind of problem (docs/errors.md), ``"invalid"`` when none is given.
    params : mapping, optional
        The values the message mentions (a limit, a position, …), plain JSON values.
    """

    def __init__(
        self, field: str, message: str, code: str = GENERIC_CODE, params: Mapping[str, Param] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code
        self.params: dict[str, Param] = dict(params or {})

    def prefixed(self, prefix: str) -> InputError:
        """The same error one level down: ``prefix`` (e.g. ``"runs.2."``) before the field."""
        return InputError(prefix + self.field, self.message, self.code, self.params)

    def as_detail(self) -> dict[str, object]:
        """The error in FastAPI's ``detail`` item shape, with ``code`` and ``params``."""
        return {
            "type": "value_error",
            "loc": ["body", *self.field.split(".")],
            "msg": self.message,
            "code": self.code,
            "params": dict(self.params),
        }

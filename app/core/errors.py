"""Errors the engine raises for bad input; the API turns them into 422 responses."""

from __future__ import annotations


class InputError(ValueError):
    """A user-supplied value the engine cannot accept.

    Parameters
    ----------
    field : str
        Dotted path of the offending field as the API user sees it (e.g. ``"expression"``,
        ``"runs.0.params.lr"``).
    message : str
        What is wrong and, where there is one, the limit.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def prefixed(self, prefix: str) -> InputError:
        """The same error one level down: ``prefix`` (e.g. ``"runs.2."``) before the field."""
        return InputError(prefix + self.field, self.message)

    def as_detail(self) -> dict[str, object]:
        """The error in FastAPI's ``detail`` item shape."""
        return {"type": "value_error", "loc": ["body", *self.field.split(".")], "msg": self.message}

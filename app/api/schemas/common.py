"""Building blocks shared by the request and response models."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.config import Settings, get_settings

_REQUEST_SETTINGS: ContextVar[Settings | None] = ContextVar("request_settings", default=None)
"""The settings of the request being handled (set in the request's own task, never shared)."""


def bind_settings(settings: Settings) -> None:
    """Make ``settings`` what :func:`request_settings` returns for the rest of this request."""
    _REQUEST_SETTINGS.set(settings)


def request_settings() -> Settings:
    """The limits a request model checks against: the request's ``SettingsDep``.

    Bound by ``app.api.deps.bind_request_settings`` before FastAPI validates the body; outside
    a request (a model built in a unit test) the process-wide ``get_settings()``.
    """
    return _REQUEST_SETTINGS.get() or get_settings()


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class StrictModel(BaseModel):
    """Rejects unknown fields and non-finite numbers, so typos get a 422 instead of silence."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def limit(name: str, value: int, setting: str) -> str:
    """A message that names the limit and the env var that changes it."""
    return f"{name} must be at most {value} (setting PLAYGROUND_{setting.upper()})"


LIMIT_EXCEEDED = "limit_exceeded"
"""The pydantic error type of a settings limit; the API reports it as code ``limit.exceeded``."""


def limit_exceeded(setting: str, bound: float, value: float, message: str, **extra: Any) -> PydanticCustomError:
    """A 422 item for ``value`` above ``Settings.<setting>`` = ``bound``: code ``limit.exceeded``.

    Raise it from a validator. ``message`` is the English text, a template over the context
    (``{setting}``, ``{limit}``, ``{value}``, ``{env}`` and ``extra``), so literal braces must be
    doubled. The error handler (``app/api/errors.py``) turns the context into the item's
    ``params`` ``{"limit", "setting", "value"}`` (plus ``index`` for a list item), which the page
    renders in the user's language (docs/errors.md).
    """
    context = {"setting": setting, "limit": bound, "value": value, "env": f"PLAYGROUND_{setting.upper()}", **extra}
    return PydanticCustomError(LIMIT_EXCEEDED, message, context)


class LocalizedText(BaseModel):
    """The same text in English and Korean."""

    en: str
    ko: str

    model_config = {"json_schema_extra": {"examples": [{"en": "Textbook bowl", "ko": "교과서 그릇"}]}}


class Health(BaseModel):
    """Answer of ``GET /api/health``: the server is up."""

    status: Literal["ok"]

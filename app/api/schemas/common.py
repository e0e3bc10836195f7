"""Building blocks shared by the request and response models."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class LocalizedText(BaseModel):
    """The same text in English and Korean."""

    en: str
    ko: str

    model_config = {"json_schema_extra": {"examples": [{"en": "Textbook bowl", "ko": "교과서 그릇"}]}}


class Health(BaseModel):
    """Answer of ``GET /api/health``: the server is up."""

    status: Literal["ok"]

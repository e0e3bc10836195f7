"""Building blocks shared by the request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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

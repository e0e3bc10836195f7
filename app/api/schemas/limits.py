"""The response model of ``GET /api/limits``, generated from ``app.config.Settings``.

Every setting that bounds what the server accepts is a limit; the model has one field per limit,
named and typed as in ``Settings`` and described with its environment variable, so a new
``max_*`` setting is served (and documented in OpenAPI) without touching this file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.config import Settings

NOT_LIMITS = frozenset(
    {
        "host",
        "port",
        "mnist_dir",
        "data_dir",
        "database_url",
        "database_busy_timeout_seconds",
        "saved_runs_flush_seconds",
        "search_workers",
        "search_worker_nice",
        "dask_scheduler_address",
        # transfer, security and connections (server): how the server talks, not what it accepts
        "allowed_hosts",
        "gzip_level",
        "gzip_min_bytes",
        "keep_alive_seconds",
        "header_timeout_seconds",
        "connection_limit",
    }
)
"""Settings that configure the server rather than bound a request (never served)."""

ADMISSION_SETTINGS = frozenset(name for name in Settings.model_fields if name.startswith("admission_"))
"""How the server schedules Optimizer-Lab work (``app/api/admission.py``), not a bound on a request."""

LIMIT_NAMES: tuple[str, ...] = tuple(
    name for name in Settings.model_fields if name not in NOT_LIMITS and name not in ADMISSION_SETTINGS
)
"""The limits in the order ``Settings`` declares them."""


def _limit_field(name: str) -> Any:
    """The ``(type, Field)`` pair of limit ``name``: the setting's own type, description and env var."""
    info = Settings.model_fields[name]
    env = f"PLAYGROUND_{name.upper()}"
    description = f"{info.description} Environment variable `{env}`."
    return info.annotation, Field(description=description, examples=[info.default])


class LimitsBase(BaseModel):
    """Base of the generated model: unknown fields are refused, the model is read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_FIELDS: dict[str, Any] = {name: _limit_field(name) for name in LIMIT_NAMES}

Limits = create_model(
    "Limits",
    __base__=LimitsBase,
    __doc__="Every size limit the server enforces, by its setting's name (see docs/API.md).",
    **_FIELDS,
)
"""One field per entry of ``LIMIT_NAMES``."""


def limits_of(settings: Settings) -> LimitsBase:
    """The ``Limits`` of ``settings``."""
    return Limits(**{name: getattr(settings, name) for name in LIMIT_NAMES})

"""Application settings, read from environment variables prefixed ``PLAYGROUND_`` and a ``.env`` file.

Sources, strongest first: keyword arguments, the process environment, then the env file named by
``PLAYGROUND_ENV_FILE`` (default ``.env`` in the working directory; empty, or a path that is not a
regular file such as ``/dev/null``: none). The test suite points it at ``/dev/null`` so a
developer's ``.env`` cannot change what the tests see (``tests/conftest.py``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_FILE_VARIABLE = "PLAYGROUND_ENV_FILE"
"""Names the env file the settings read (read when ``Settings`` is built, not at import)."""

DEFAULT_ENV_FILE = ".env"


def env_file() -> Path | None:
    """The env file ``Settings()`` reads now: ``$PLAYGROUND_ENV_FILE``, else ``.env``; None when empty."""
    name = os.environ.get(ENV_FILE_VARIABLE, DEFAULT_ENV_FILE)
    return Path(name) if name else None


class Settings(BaseSettings):
    """Every size the server accepts is bounded here; each bound is an env var.

    Example: ``PLAYGROUND_MAX_STEPS=50000 make run``.
    """

    model_config = SettingsConfigDict(env_prefix="PLAYGROUND_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual order, with the env file chosen by :func:`env_file` each time settings are built."""
        dotenv = DotEnvSettingsSource(settings_cls, env_file=env_file())
        return init_settings, env_settings, dotenv, file_secret_settings

    host: str = Field("127.0.0.1", description="Bind address of `optimizer-playground` (and `make run`).")
    port: int = Field(8000, description="Port of `optimizer-playground` (and `make run`).")

    # --- Optimizer Lab -------------------------------------------------------
    max_steps: int = Field(20_000, ge=1, description="Most optimizer steps per trajectory run.")
    max_runs: int = Field(16, ge=1, description="Most optimizer runs in one trajectory request.")
    max_grid: int = Field(400, ge=10, description="Most grid points per axis for surface grids.")
    max_sweep_points: int = Field(200, ge=2, description="Most learning rates in an lr sweep.")
    max_map_starts: int = Field(40_000, ge=1, description="Most start points in a start-point map.")
    max_map_steps: int = Field(2_000, ge=1, description="Most steps in a start-point map.")
    max_curvature_points: int = Field(1_000, ge=1, description="Most points in one curvature request.")
    max_expression_length: int = Field(500, ge=10, description="Longest custom f(x, y) in characters.")
    max_expression_depth: int = Field(40, ge=2, description="Deepest nesting of a custom f(x, y).")
    max_expression_nodes: int = Field(400, ge=2, description="Most nodes in a custom f(x, y).")
    divergence_bound: float = Field(1e8, gt=0, description="|x|, |y| or |f| beyond this counts as diverged.")
    max_work: float = Field(
        15_000_000,
        gt=0,
        description="Most work units in one trajectory/sweep request (≈ 2 s; see app/core/lab2d/cost.py).",
    )
    max_stream_work: float = Field(
        150_000_000,
        gt=0,
        description="Most work units in one streamed trajectory request (drawing starts at once; ≈ 20 s in all).",
    )

    # --- Training Lab --------------------------------------------------------
    max_layers: int = Field(10, ge=1, description="Most hidden layers in an MLP.")
    max_width: int = Field(512, ge=1, description="Most units in one hidden layer.")
    max_epochs: int = Field(500, ge=1, description="Most epochs per training job.")
    max_samples: int = Field(70_000, ge=10, description="Most samples in a generated or loaded data set.")
    max_concurrent_jobs: int = Field(2, ge=1, description="Training jobs running at once; more get 429.")
    max_kept_jobs: int = Field(50, ge=1, description="Finished jobs kept in memory (oldest dropped first).")
    job_ttl_seconds: float = Field(3600.0, gt=0, description="Seconds a finished job is kept.")
    max_events_per_job: int = Field(2_000, ge=10, description="Telemetry events kept per job (older are thinned).")
    max_event_bytes_per_job: int = Field(
        16 * 2**20, ge=2**16, description="Bytes of event JSON kept per job (older metrics are thinned)."
    )
    max_comparison_runs: int = Field(
        32, ge=1, description="Most configurations in one comparison (32: the textbook's 16 BN scales × 2)."
    )
    max_comparison_event_bytes: int = Field(
        128 * 2**20,
        ge=2**16,
        description="Bytes of event JSON kept for all runs of one comparison together (split evenly per run).",
    )
    max_pause_seconds: float = Field(1800.0, gt=0, description="A job paused longer than this is cancelled.")
    max_unit_view_inputs: int = Field(32, ge=1, description="Most input rows in a frame's per-unit weight view.")
    max_unit_view_units: int = Field(32, ge=1, description="Most units (columns) in a frame's per-unit view.")
    max_activation_samples: int = Field(10_000, ge=1, description="Most inputs in the activation experiment.")
    max_activation_values: int = Field(
        20_000_000,
        ge=1,
        description="Most activations (n_samples × width × layers) in one activation experiment (≈ 2 s).",
    )
    mnist_dir: Path | None = Field(None, description="Folder holding the standard MNIST IDX files.")

    # --- Uploaded and drawn data sets (app/core/datasets/store.py) --------------
    data_dir: Path | None = Field(
        None,
        description="Where uploads are stored (unset: $XDG_DATA_HOME/optimizer-playground or "
        "~/.local/share/optimizer-playground).",
    )
    max_upload_bytes: int = Field(
        64 * 2**20, ge=2**10, description="Largest upload request body in bytes (more → 413)."
    )
    max_upload_rows: int = Field(70_000, ge=10, description="Most rows (samples) in one uploaded or drawn data set.")
    max_upload_columns: int = Field(
        1_025, ge=2, description="Most CSV columns (features + label), or pixels per uploaded IDX image."
    )
    max_upload_classes: int = Field(100, ge=2, description="Most classes in one uploaded data set.")
    max_uploads: int = Field(50, ge=1, description="Most data sets stored at once (more → 409; delete one first).")

    # --- HTTP ------------------------------------------------------------------
    max_body_bytes: int = Field(2**20, ge=2**10, description="Largest request body in bytes (more → 413).")

    # --- Transfer, security and connections (server) ---------------------------
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        ["localhost", "127.0.0.1", "::1"],
        description="Host names the server answers to (against DNS rebinding), plus the bind host; "
        'comma-separated, e.g. "localhost,192.168.0.10,lab.school.example"; "*" allows any (400 otherwise).',
    )
    gzip_level: int = Field(
        1,
        ge=0,
        le=9,
        description="gzip level of JSON and text answers compressed on the fly (0: off; docs/transfer.md).",
    )
    gzip_min_bytes: int = Field(1_024, ge=0, description="Answers smaller than this are sent uncompressed.")
    keep_alive_seconds: int = Field(
        5, ge=1, description="An idle keep-alive connection is closed after this many seconds."
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="A connection that has not sent a whole request head within this is closed."
    )
    connection_limit: int | None = Field(
        None, ge=1, description="Open connections + running requests beyond this get 503 (unset: no limit)."
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """``PLAYGROUND_ALLOWED_HOSTS=a,b`` → ``["a", "b"]`` (a list given in code is kept)."""
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests override via dependency_overrides)."""
    return Settings()

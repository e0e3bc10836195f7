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


MAX_DEFAULT_WORKERS = 8
"""The default ``worker_processes`` is the CPU count, at most this."""


def default_worker_processes() -> int:
    """One training worker per CPU, at most :data:`MAX_DEFAULT_WORKERS`."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def worker_processes(settings: Settings) -> int:
    """The number of training worker processes ``settings`` allow (``worker_processes`` or the default)."""
    return settings.worker_processes or default_worker_processes()


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
        30_000_000,
        gt=0,
        description="Most work units in one trajectory/sweep request (≈ 2 s; see app/core/lab2d/cost.py).",
    )
    max_stream_work: float = Field(
        300_000_000,
        gt=0,
        description="Most work units in one streamed trajectory request (drawing starts at once; ≈ 20 s in all).",
    )

    # --- Training Lab --------------------------------------------------------
    max_layers: int = Field(10, ge=1, description="Most hidden layers in an MLP.")
    max_width: int = Field(512, ge=1, description="Most units in one hidden layer.")
    max_epochs: int = Field(500, ge=1, description="Most epochs per training job.")
    max_samples: int = Field(70_000, ge=10, description="Most samples in a generated or loaded data set.")
    max_concurrent_jobs: int = Field(
        2, ge=1, description="Training jobs running at once (with worker_processes: the smaller of the two); more wait."
    )
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

    # --- Training workers and the job queue (workers) ------------------------------------------
    worker_processes: int | None = Field(
        None,
        ge=1,
        description="Training worker processes (unset: the CPU count, at most 8); running capacity is "
        "the smaller of this and max_concurrent_jobs.",
    )
    worker_blas_threads: int = Field(1, ge=1, description="BLAS threads each training worker process may use.")
    max_queued_jobs: int = Field(
        64, ge=0, description="Runs (a comparison counts once) waiting for a worker, all clients together; more → 429."
    )
    max_queued_per_client: int = Field(
        3, ge=1, description="Runs one client (request host) may have waiting for a worker; more → 429."
    )

    # --- Hyperparameter search (search) -------------------------------------------
    search_workers: int | None = Field(
        None, ge=1, description="Processes of the trial pool (unset: one per core the server may use)."
    )
    search_worker_nice: int = Field(
        15,
        ge=0,
        le=19,
        description="Niceness of the local trial pool's processes: when the cores are busy, the OS runs the "
        "class's training jobs and the web process first and a search takes what is left.",
    )
    dask_scheduler_address: str | None = Field(
        None, description="Run trials on this Dask cluster (e.g. tcp://10.0.0.5:8786) instead of the local pool."
    )
    max_search_trials: int = Field(1_000, ge=1, description="Most trials in one search.")
    max_search_epochs: int = Field(100, ge=1, description="Most epochs per trial of a search.")
    max_search_parallelism: int = Field(16, ge=1, description="Most trials of one search running at once.")
    max_search_bytes: int = Field(
        8 * 2**20, ge=2**16, description="Most bytes of trial events one search keeps (estimated before it starts)."
    )
    max_concurrent_searches: int = Field(2, ge=1, description="Searches running at once; more get 429.")
    max_kept_searches: int = Field(20, ge=1, description="Finished searches kept in memory (all stay in the store).")

    # --- Saved runs (runs; app/store) -------------------------------------------
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the saved-runs database (unset: SQLite file <data_dir>/runs.sqlite3).",
    )
    database_busy_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a saved-runs write waits for another process's write lock (SQLite)."
    )
    max_saved_bytes_per_run: int = Field(
        4 * 2**20,
        ge=2**14,
        description="Compressed telemetry bytes stored per saved run (over: metrics thinned, epochs kept).",
    )
    max_saved_runs_page: int = Field(200, ge=1, description="Most saved runs in one page of GET /api/runs.")
    max_saved_events_page: int = Field(
        5_000, ge=10, description="Most events of one saved run in one response (GET /api/runs/{id})."
    )
    max_import_runs: int = Field(32, ge=1, description="Most runs in one imported JSON file.")
    saved_runs_flush_seconds: float = Field(
        1.0, gt=0, description="How often the saved-runs writer commits the events it has queued."
    )

    # --- Admission control of the Optimizer Lab (admission; app/api/admission.py) ---
    admission_enabled: bool = Field(
        True, description="Bound the Optimizer Lab's concurrent CPU work (false: every request runs at once)."
    )
    admission_heavy_slots: int | None = Field(
        None,
        ge=0,
        description="Heavy lab requests (estimated work above admission_light_work) running at once, each in "
        "its own worker process (unset: the CPU cores this process may use).",
    )
    admission_light_slots: int | None = Field(
        None,
        ge=0,
        description="Light lab requests (e.g. the textbook preset) running at once, in their own lane "
        "(unset: twice the cores).",
    )
    admission_light_work: float = Field(
        1_000_000,
        ge=0,
        description="Work units (app/core/lab2d/cost.py) up to which a lab request is light (≈ 0.1–0.2 s).",
    )
    admission_wait_seconds: float = Field(
        1.0, ge=0, description="How long a heavy lab request waits for a slot before the answer is 503."
    )
    admission_light_wait_seconds: float = Field(
        5.0, ge=0, description="How long a light lab request waits for a slot before the answer is 503."
    )
    admission_retry_after_seconds: int = Field(
        2,
        ge=1,
        description="The least Retry-After (seconds) of a 503 when no slot freed in time; the header estimates "
        "when a slot frees from the lane's recent hold times (at most 60 s).",
    )
    admission_worker_processes: bool = Field(
        True,
        description="Heavy lab requests compute in worker processes (false: in the web process's threads, "
        "like light ones; bench/load_mix.py compares the two).",
    )
    admission_worker_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Niceness of the heavy lane's worker processes: the OS runs the web process (health, "
        "light requests, streaming) first when the cores are busy.",
    )
    admission_switch_interval_ms: float = Field(
        1.0,
        gt=0,
        description="The interpreter's thread switch interval (sys.setswitchinterval) set at start-up, in ms "
        "(Python's default: 5): how long a thread computing NumPy on tiny arrays may keep the event loop waiting.",
    )

    # --- Telemetry cost (telemetry) ---------------------------------------------
    telemetry_budget: float = Field(
        0.15,
        gt=0,
        le=10,
        description="Metrics frames may cost at most this share of a job's training time (telemetry.adaptive "
        "stretches the interval); 0.15 keeps a run with telemetry within 1.15× of one without.",
    )

    # --- 2-D engine (engine2d) ---------------------------------------------------
    stream_above_steps: int = Field(
        2_000,
        ge=0,
        description="The Optimizer Lab page streams trajectories with more steps than this (and any whole "
        "answer the work budget refuses); shorter ones come as one answer with every per-step array.",
    )

    # --- Loss landscape and sharpness (landscape) -------------------------------
    landscape_max_parameters: int = Field(
        200_000, ge=1, description="Most network parameters for which a weight trajectory is recorded (θ snapshots)."
    )
    landscape_max_snapshots: int = Field(
        52, ge=3, description="Most θ snapshots per run (start, epoch ends thinned evenly, final)."
    )
    landscape_max_trajectories: int = Field(
        200, ge=1, description="Weight-trajectory files kept under <data_dir>/trajectories (oldest deleted first)."
    )
    landscape_max_grid: int = Field(81, ge=3, description="Most grid points per axis of a loss landscape.")
    landscape_max_samples: int = Field(
        5_000, ge=1, description="Most training samples a landscape, its surface or a sharpness estimate uses."
    )
    landscape_max_work: float = Field(
        8e10,
        gt=0,
        description="Most multiply-adds of one landscape grid (grid² × samples × Σ fan_in·fan_out; the textbook net's "
        "41² grid on 1,000 samples is 6.3e10, ≈ 2 s on one core).",
    )
    landscape_max_power_iterations: int = Field(
        100, ge=1, description="Most power-iteration steps (Hessian-vector products) per λ_max estimate."
    )
    landscape_race_samples: int = Field(
        300, ge=1, description="Training samples a landscape surface uses at most (each optimizer step is a full pass)."
    )
    landscape_max_surfaces: int = Field(
        8,
        ge=1,
        description="Landscape planes kept server-side as Optimizer-Lab surfaces (least recently used dropped).",
    )

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


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)

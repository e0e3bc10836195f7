"""Response models of the Optimizer Lab: trajectories, their streamed events, and sweeps.

Shapes use the engine's notation (``app/core/lab2d/trajectory.py``): a run of K updates has K+1
positions ``path[0..K]``; per-position arrays (``path``, ``loss``, ``grad``, ``distance``) have
K+1 entries and per-update arrays (``update``, ``lr``, ``state``) have K. A diverged run's arrays
stop at its last valid position.

No NaN or Infinity reaches JSON: numbers the engine could not compute are ``null``. The engine's
``clean()`` writes them as ``None`` while turning arrays into lists; the models therefore type
every such number ``float | None``. (Pydantic's JSON serializer also writes a stray non-finite
float as ``null``, its default ``ser_json_inf_nan="null"``, so the guarantee holds even for a
value that bypassed ``clean()``.)

The routers build these models with ``model_construct`` from values the engine has already
checked, so a 10,000-step response is serialised by pydantic-core without re-validating ~10⁶
numbers (see ``app/api/routers/trajectories.py``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MaybeFloat = float | None
"""A number, or ``null`` where it was not finite."""

Vector2 = Annotated[list[MaybeFloat], Field(min_length=2, max_length=2)]
"""An ``[x, y]`` pair (a position, a gradient, an update or a 2-vector of optimizer state)."""

HyperValue = int | float
"""A resolved hyperparameter: ``int`` for integer ones (``memory``, ``line_search``), else ``float``."""


class RunLabel(BaseModel):
    """Which run this is: its label (default: the optimizer id) and the optimizer."""

    label: str = Field(examples=["GD η=0.1"])
    optimizer: str = Field(examples=["sgd"])


class RunSummary(BaseModel):
    """How a run ended: divergence, final point and loss, nearest known minimum."""

    diverged: bool
    diverged_at: int | None = Field(
        description="First position index that was non-finite or beyond `divergence_bound`; null if none."
    )
    final_point: Vector2 = Field(description="Last valid position.")
    final_loss: MaybeFloat
    nearest_min: Vector2 | None = Field(description="Closest known minimum to `final_point`; null without minima.")
    distance_to_min: MaybeFloat = Field(description="Distance from `final_point` to `nearest_min`.")


class RunRecord(BaseModel):
    """One run's resolved hyperparameters and per-step arrays (K updates)."""

    params: dict[str, HyperValue] = Field(description="Every hyperparameter, defaults resolved.")
    path: list[Vector2] = Field(description="(K+1) positions; `path[0]` is the start, `path[k]` after k updates.")
    loss: list[MaybeFloat] = Field(description="(K+1) f at each position.")
    grad: list[Vector2] = Field(description="(K+1) gradient used at each position (after noise and clipping).")
    update: list[Vector2] = Field(description="(K) Δθ; `update[i]` moves `path[i]` to `path[i+1]`.")
    lr: list[MaybeFloat] = Field(description="(K) learning rate of each update.")
    state: dict[str, list[Vector2]] = Field(
        description="Optimizer state after each update, by state key (K entries each); `{}` without record_state."
    )
    distance: list[MaybeFloat] | None = Field(
        None, description="(K+1) distance of each position to the nearest known minimum; absent without minima."
    )


class TrajectoryRun(RunSummary, RunRecord, RunLabel):
    """One run of ``POST /api/trajectories``: label, per-step record, summary (fields in that order)."""


class TrajectoryResponse(BaseModel):
    """Answer of ``POST /api/trajectories``: every run from one start."""

    surface: str = Field(description="The surface id, or `custom` for an expression.", examples=["course_quadratic"])
    start: Vector2 = Field(examples=[[-5, 4]])
    steps: int = Field(description="Requested updates K.", examples=[30])
    runs: list[TrajectoryRun]


# --- POST /api/trajectories/stream: the data of each Server-Sent Event ---------------------------


class StreamRun(RunLabel):
    """A run as announced by the ``meta`` event."""

    params: dict[str, HyperValue]


class StreamMeta(BaseModel):
    """``event: meta`` (id 0): the runs, in the order ``chunk.run`` indexes them."""

    runs: list[StreamRun]
    steps: int


class StreamChunk(BaseModel):
    """``event: chunk``: the next ≤ 1000 positions of run ``run``, starting at index ``from``."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    run: int = Field(description="Index into `meta.runs`.")
    start: int = Field(alias="from", description="Index of the first position in this chunk.")
    path: list[Vector2]
    loss: list[MaybeFloat]


class StreamRunSummary(RunSummary, RunLabel):
    """One run of the ``done`` event: the summary of ``POST /api/trajectories`` without arrays."""


class StreamDone(BaseModel):
    """``event: done`` (last event): every run's summary."""

    runs: list[StreamRunSummary]


# --- sweeps -------------------------------------------------------------------------------------


class LrSweepResult(RunLabel):
    """One optimizer's final loss for each learning rate."""

    final_loss: list[MaybeFloat] = Field(description="(n) final loss per rate; null where the run diverged.")
    diverged: list[bool] = Field(description="(n) whether the run at each rate diverged.")


class LrSweepResponse(BaseModel):
    """Answer of ``POST /api/sweeps/lr``."""

    lrs: list[float] = Field(description="(n) log-spaced learning rates from `lr_min` to `lr_max`.")
    gd_threshold: float | None = Field(
        description="2/λ_max of the Hessian at the global minimum (plain GD is stable below it); null if unknown."
    )
    results: list[LrSweepResult]


class StartMapResponse(BaseModel):
    """Answer of ``POST /api/sweeps/start-map``; grids are row-major: ``final_loss[i][j]`` is from ``(x[j], y[i])``."""

    x: list[float] = Field(description="(n) start x values.")
    y: list[float] = Field(description="(n) start y values.")
    final_loss: list[list[MaybeFloat]] = Field(description="(n × n) final loss; null where the run diverged.")
    diverged_fraction: float = Field(ge=0, le=1)
    distance_to_min: list[list[MaybeFloat]] | None = Field(
        description="(n × n) distance of each final point to the nearest known minimum; null without minima."
    )

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

from typing import Annotated, Literal

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


class OutcomeExit(BaseModel):
    """Where the path first leaves the plotting domain: the crossing on its edge and the unit direction."""

    point: Vector2
    direction: Vector2


class OutcomeMinimum(BaseModel):
    """The known minimum a converged or still-moving run ended nearest to."""

    point: Vector2
    value: float
    global_: bool = Field(alias="global", description="Whether it is a global minimum of the surface.")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class OutcomeStability(BaseModel):
    """Whether the run's η is inside the stable range at the minimum reached (or the nearest one).

    Thresholds (docs/stability.md): ``gd`` 2/λ_max, ``momentum`` 2(1+μ)/λ_max, ``nesterov``
    2(1+μ)/((1+2μ)λ_max), with λ_max the Hessian's largest eigenvalue there; null for other
    optimizers or where λ_max is not positive.
    """

    rule: Literal["gd", "momentum", "nesterov"] | None
    threshold: float | None
    inside: bool | None = Field(description="lr < threshold; null without a threshold.")


class Outcome(BaseModel):
    """How a run ended, by the rules of docs/stability.md ("Outcomes")."""

    status: Literal["converged", "moving", "diverged", "escaped"]
    step: int | None = Field(
        description="diverged: first step where the rule fired; escaped: first step outside the widened domain."
    )
    exit: OutcomeExit | None = Field(description="Where the path first leaves the plotting domain; null if it stays.")
    minimum: OutcomeMinimum | None = Field(description="Known minimum near the end of a converged or moving run.")
    stable: OutcomeStability


class RunSummary(BaseModel):
    """How a run ended: divergence, final point and loss, nearest known minimum."""

    diverged: bool
    diverged_at: int | None = Field(
        description="When `outcome.status` is diverged: the first position index that was non-finite or beyond "
        "`divergence_bound`, or (within the bound) the step where the growth rule fired; else null."
    )
    final_point: Vector2 = Field(description="Last valid position.")
    final_loss: MaybeFloat
    nearest_min: Vector2 | None = Field(description="Closest known minimum to `final_point`; null without minima.")
    distance_to_min: MaybeFloat = Field(description="Distance from `final_point` to `nearest_min`.")
    outcome: Outcome = Field(description="converged / moving / diverged / escaped; `diverged` = status is diverged.")


class RunRecord(BaseModel):
    """One run's resolved hyperparameters and per-step arrays (K updates).

    With the request's ``format`` some arrays may be absent (``arrays``) and all of them
    down-sampled (``every``, then ``index`` lists the kept positions).
    """

    params: dict[str, HyperValue] = Field(description="Every hyperparameter, defaults resolved.")
    index: list[int] | None = Field(
        None, description="Only with `format.every` > 1: the position indices kept, first and last valid included."
    )
    path: list[Vector2] = Field(description="(K+1) positions; `path[0]` is the start, `path[k]` after k updates.")
    loss: list[MaybeFloat] = Field(description="(K+1) f at each position.")
    grad: list[Vector2] | None = Field(
        None, description="(K+1) gradient used at each position (after noise and clipping)."
    )
    update: list[Vector2] | None = Field(None, description="(K) Δθ; `update[i]` moves `path[i]` to `path[i+1]`.")
    lr: list[MaybeFloat] | None = Field(None, description="(K) learning rate of each update.")
    state: dict[str, list[Vector2]] | None = Field(
        None,
        description="Optimizer state after each update, by state key (K entries each); `{}` without record_state.",
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
    threshold: float | None = Field(
        None,
        description="This optimizer's stability threshold at the global minimum (gd 2/λ_max, momentum "
        "2(1+μ)/λ_max, nesterov 2(1+μ)/((1+2μ)λ_max)); null for other optimizers or without known minima.",
    )


class LrSweepResponse(BaseModel):
    """Answer of ``POST /api/sweeps/lr``."""

    lrs: list[float] = Field(description="(n) log-spaced learning rates from `lr_min` to `lr_max`.")
    gd_threshold: float | None = Field(
        description="2/λ_max of the Hessian at the global minimum (plain GD is stable below it); null if unknown."
    )
    lambda_max: float | None = Field(
        None, description="Largest Hessian eigenvalue at the global minimum; null if unknown or not positive."
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
    basin: list[list[int]] = Field(
        description="(n × n) index into `minima` of the minimum each start reached (within 1 % of the domain's "
        "larger side); -1 = none, diverged or still far."
    )
    minima: list[Vector2] = Field(description="The surface's known minima, global ones first (as `GET /api/surfaces`).")

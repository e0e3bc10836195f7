"""Request models for optimizer runs on 2-D surfaces and their sweeps.

Limits that are settings (``max_steps``, ``max_runs``, …) are read through
``app.api.schemas.common.request_settings()``: the request's ``SettingsDep``, bound before the
body is validated (see ``app/api/deps.py``). The count of ``runs`` is checked before the runs themselves,
so a list of 100,000 runs fails once, on its length.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.api.schemas.common import FiniteFloat, StrictModel, limit, limit_exceeded, request_settings
from app.core.lab2d.surfaces import MAX_BOUND


class ClipSpec(StrictModel):
    """Gradient clipping: each entry into [−max, max] (``value``) or the norm to ≤ max (``norm``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"mode": "norm", "max": 1.0}]})

    mode: Literal["value", "norm"]
    max: FiniteFloat = Field(gt=0, le=1e6)


class NoiseSpec(StrictModel):
    """Seeded Gaussian gradient noise g ← g + N(0, std²)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"std": 0.5, "seed": 1}]})

    std: FiniteFloat = Field(0.0, ge=0, le=1e4)
    seed: int = Field(0, ge=0, lt=2**32)


class RunConfig(StrictModel):
    """One optimizer with its hyperparameters and extras."""

    optimizer: str = Field(max_length=40, examples=["adam"])
    params: dict[str, FiniteFloat] = Field(default_factory=dict, examples=[{"lr": 0.3}])
    schedule: dict[str, Any] | None = Field(
        None, examples=[{"type": "exponential", "decay_rate": 0.5, "decay_steps": 10}]
    )
    clip: ClipSpec | None = None
    noise: NoiseSpec | None = None
    label: str = Field("", max_length=80)

    @field_validator("params")
    @classmethod
    def _few_params(cls, v: dict[str, float]) -> dict[str, float]:
        if len(v) > 20:
            raise PydanticCustomError("optimizer.too_many_params", "at most {limit} hyperparameters", {"limit": 20})
        return v


class SurfaceChoice(StrictModel):
    """A named surface (with its parameters) or a custom expression f(x, y)."""

    surface: str | None = Field("book_bowl", max_length=40, examples=["course_quadratic"])
    expression: str | None = Field(None, max_length=100_000, examples=[None])
    surface_params: dict[str, FiniteFloat] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_surface(self) -> SurfaceChoice:
        if self.expression is None and not self.surface:
            raise PydanticCustomError(
                "surface.missing", "give either 'surface' (an id) or 'expression' (a custom f(x, y))"
            )
        return self


def check_start(v: tuple[float, float]) -> tuple[float, float]:
    bound = request_settings().divergence_bound
    if max(abs(v[0]), abs(v[1])) > bound:
        raise PydanticCustomError(
            "start.beyond_bound",
            f"start must satisfy |x|, |y| <= {bound:g} (setting PLAYGROUND_DIVERGENCE_BOUND): "
            "beyond it a run counts as diverged before its first step",
            {"limit": bound, "setting": "divergence_bound"},
        )
    return v


def check_count(v: Any, name: str, setting: str) -> Any:
    """A list's length against ``Settings.<setting>``, checked before its items (mode "before"):
    100,000 runs must fail once on the count, not once per run."""
    bound = getattr(request_settings(), setting)
    if isinstance(v, list) and len(v) > bound:
        raise limit_exceeded(setting, bound, len(v), limit(name, bound, setting))
    return v


def check_steps(v: int, setting: str = "max_steps") -> int:
    bound = getattr(request_settings(), setting)
    if v > bound:
        raise limit_exceeded(setting, bound, v, limit("steps", bound, setting))
    return v


class RunsFromStart(SurfaceChoice):
    """Optimizer runs from one start on one surface: what a race and an lr sweep share."""

    start: tuple[FiniteFloat, FiniteFloat] = Field(examples=[[-5, 4]])
    steps: int = Field(100, ge=1)
    runs: list[RunConfig] = Field(min_length=1)

    _steps = field_validator("steps")(classmethod(lambda cls, v: check_steps(v)))
    _start = field_validator("start")(classmethod(lambda cls, v: check_start(v)))

    _max_runs = field_validator("runs", mode="before")(classmethod(lambda cls, v: check_count(v, "runs", "max_runs")))


PerStepArray = Literal["grad", "update", "lr", "state", "distance"]
"""A per-step array of a trajectory answer that a client may leave out (``path``, ``loss`` always come)."""


class TrajectoryFormat(StrictModel):
    """What a trajectory answer carries, so a client receives only what it draws (docs/API.md)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"arrays": ["lr"], "every": 10}]})

    arrays: list[PerStepArray] | None = Field(
        None,
        max_length=5,
        description="Per-step arrays to send besides `path` and `loss`; null (the default) sends all of them.",
    )
    every: int = Field(
        1,
        ge=1,
        le=1_000_000,
        description="Keep every n-th position (and the last valid one); above 1 the run adds `index`, the kept "
        "position indices, and `update`/`lr`/`state` hold the updates that start at them.",
    )


class TrajectoryRequest(RunsFromStart):
    """Runs of one or more optimizers from one start."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "surface": "course_quadratic",
                    "start": [-5, 4],
                    "steps": 30,
                    "runs": [
                        {"optimizer": "sgd", "params": {"lr": 0.1}, "label": "GD η=0.1"},
                        {"optimizer": "adam", "params": {"lr": 0.3}, "label": "Adam"},
                    ],
                }
            ]
        }
    )

    record_state: bool = True
    format: TrajectoryFormat | None = Field(
        None, description="Leave out per-step arrays or down-sample them; null keeps the full answer."
    )


class LrSweepRequest(RunsFromStart):
    """Final loss versus learning rate (log-spaced) for each optimizer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "surface": "course_quadratic",
                    "start": [-5, 4],
                    "steps": 30,
                    "runs": [{"optimizer": "sgd"}, {"optimizer": "momentum"}],
                    "lr_min": 1e-3,
                    "lr_max": 1,
                    "n": 40,
                }
            ]
        }
    )

    lr_min: FiniteFloat = Field(1e-4, gt=0, le=100)
    lr_max: FiniteFloat = Field(10.0, gt=0, le=100)
    n: int = Field(60, ge=2)

    @field_validator("n")
    @classmethod
    def _max_n(cls, v: int) -> int:
        bound = request_settings().max_sweep_points
        if v > bound:
            raise limit_exceeded("max_sweep_points", bound, v, limit("n", bound, "max_sweep_points"))
        return v

    @model_validator(mode="after")
    def _ordered(self) -> LrSweepRequest:
        if self.lr_min >= self.lr_max:
            raise PydanticCustomError("sweep.lr_order", "lr_min must be smaller than lr_max")
        return self


class StartDomain(StrictModel):
    """A rectangle of starting points."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"x": [-5, 5], "y": [-5, 5]}]})

    x: tuple[FiniteFloat, FiniteFloat]
    y: tuple[FiniteFloat, FiniteFloat]

    @model_validator(mode="after")
    def _ordered(self) -> StartDomain:
        if self.x[0] >= self.x[1] or self.y[0] >= self.y[1]:
            raise PydanticCustomError("domain.order", "domain ranges must be increasing: [min, max]")
        if max(abs(v) for v in (*self.x, *self.y)) > MAX_BOUND:
            # As for contour grids: wider windows overflow the spacing of the start grid.
            raise PydanticCustomError(
                "domain.range", f"domain values must satisfy |value| <= {MAX_BOUND:g}", {"limit": MAX_BOUND}
            )
        return self


class StartMapRequest(SurfaceChoice):
    """Final loss of one optimizer from every start on an n × n grid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "surface": "himmelblau",
                    "run": {"optimizer": "momentum", "params": {"lr": 0.01}},
                    "steps": 200,
                    "n": 60,
                }
            ]
        }
    )

    run: RunConfig
    steps: int = Field(200, ge=1)
    n: int = Field(60, ge=2)
    domain: StartDomain | None = None

    _steps = field_validator("steps")(classmethod(lambda cls, v: check_steps(v, "max_map_steps")))

    @field_validator("n")
    @classmethod
    def _max_n(cls, v: int) -> int:
        bound = request_settings().max_map_starts
        if v * v > bound:
            message = f"n × n must be at most {bound} starts (setting PLAYGROUND_MAX_MAP_STARTS)"
            raise limit_exceeded("max_map_starts", bound, v * v, message)
        return v

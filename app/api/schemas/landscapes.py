"""Request and response models of the loss landscape of a training run (``POST /api/landscapes``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from app.api.schemas.common import StrictModel, limit, limit_exceeded, request_settings
from app.api.schemas.lab_results import MaybeFloat


def _bounded(v: int, name: str, setting: str) -> int:
    bound = getattr(request_settings(), setting)
    if v > bound:
        raise limit_exceeded(setting, bound, v, limit(name, bound, setting))
    return v


class LandscapeRequest(StrictModel):
    """Which run, which plane, how fine a grid on how many training samples."""

    run_id: str = Field(
        min_length=1,
        max_length=64,
        description="A training job id (j-…); a saved run's id once the run store is merged.",
        examples=["j-0123456789ab"],
    )
    directions: Literal["pca", "random"] = Field(
        "pca", description="'pca': top two PCA directions of the weight path; 'random': filter-normalised random."
    )
    grid: int = Field(41, ge=3, description="Grid points per axis (≤ landscape_max_grid).")
    samples: int = Field(1000, ge=1, description="Training samples the loss is measured on (≤ landscape_max_samples).")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the random directions.")

    _grid = field_validator("grid")(classmethod(lambda cls, v: _bounded(v, "grid", "landscape_max_grid")))
    _samples = field_validator("samples")(classmethod(lambda cls, v: _bounded(v, "samples", "landscape_max_samples")))


class LandscapePath(BaseModel):
    """The weight snapshots projected on the plane, start first; the last point is θ* at (0, 0)."""

    a: list[float]
    b: list[float]
    epochs: list[int] = Field(description="Epoch of each snapshot (0 = initialisation).")
    steps: list[int]
    loss: list[MaybeFloat] = Field(description="The plane's loss at each projected point.")


class LandscapeResponse(BaseModel):
    """The loss on a grid over θ* + a·d₁ + b·d₂ and the projected training path."""

    run_id: str
    trajectory_id: str
    directions: Literal["pca", "random"]
    a: list[float] = Field(description="Grid coordinates along d₁ (columns).")
    b: list[float] = Field(description="Grid coordinates along d₂ (rows).")
    loss: list[list[MaybeFloat]] = Field(description="loss[i][j] = L at (a[j], b[i]); null where not finite.")
    loss_min: MaybeFloat
    loss_max: MaybeFloat
    color_scale: Literal["linear", "log"] = Field(description="'log' when max/min of the grid exceeds 100.")
    path: LandscapePath
    explained_variance: list[float] | None = Field(description="PCA only: [ratio of d₁, ratio of d₂], sum ≤ 1.")
    captured: MaybeFloat = Field(description="Share of the path's squared length the plane holds.")
    final_loss: MaybeFloat = Field(description="L at (0, 0): the run's final training loss on these samples.")
    run_train_loss: MaybeFloat = Field(description="The run's reported final training loss (all training samples).")
    samples: int = Field(description="Training samples used.")
    parameters: int
    snapshots: int
    seconds: float


class LandscapeSurfaceResponse(BaseModel):
    """A landscape plane registered as an Optimizer-Lab surface."""

    surface: str = Field(description="The surface id to use in the Optimizer Lab (e.g. in ?s=…).")
    domain: dict[str, list[float]]
    start: list[float]

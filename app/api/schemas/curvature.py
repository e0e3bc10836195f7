"""Request and response models of the Optimizer Lab's curvature tools: Hessian eigen-decomposition
at points (``POST /api/curvature``) and a learning-rate suggestion (``POST /api/lr-suggestion``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.schemas.common import FiniteFloat
from app.api.schemas.lab_results import HyperValue, MaybeFloat, Vector2
from app.api.schemas.trajectories import SurfaceChoice, check_count, check_start, check_steps
from app.core.lab2d.suggestions import SuggestionCode


class CurvatureRequest(SurfaceChoice):
    """Points at which to evaluate f, ∇f and the Hessian's eigen-decomposition."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"surface": "course_quadratic", "points": [[-5, 4], [0, 0]]}]}
    )

    points: list[tuple[FiniteFloat, FiniteFloat]] = Field(min_length=1)

    _max_points = field_validator("points", mode="before")(
        classmethod(lambda cls, v: check_count(v, "points", "max_curvature_points"))
    )


class CurvaturePoint(BaseModel):
    """f, ∇f and the Hessian's eigenvalues (ascending) with their unit eigenvectors at one point."""

    eigenvalues: Vector2 = Field(description="[λ_min, λ_max].")
    eigenvectors: list[Vector2] = Field(
        min_length=2, max_length=2, description="[v_min, v_max]: unit directions of λ_min and λ_max."
    )
    gradient: Vector2
    value: MaybeFloat


class CurvatureResponse(BaseModel):
    """Answer of ``POST /api/curvature``: one entry per requested point, in order."""

    points: list[CurvaturePoint]


class LrSuggestionRequest(SurfaceChoice):
    """A run about to be added: which optimizer, from where, for how many steps."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"surface": "course_quadratic", "start": [-5, 4], "steps": 30, "optimizer": "adam"}]
        }
    )

    start: tuple[FiniteFloat, FiniteFloat]
    steps: int = Field(100, ge=1)
    optimizer: str = Field(max_length=40)

    _steps = field_validator("steps")(classmethod(lambda cls, v: check_steps(v)))
    _start = field_validator("start")(classmethod(lambda cls, v: check_start(v)))


class SuggestionSource(BaseModel):
    """Where the learning rate came from (docs/stability.md, "Suggested learning rates")."""

    code: SuggestionCode
    params: dict[str, float | int | None] = Field(
        description="steps, and lambda_max (curvature rule) or distance (distance rule)."
    )


class LrSuggestionResponse(BaseModel):
    """Answer of ``POST /api/lr-suggestion``: the optimizer's defaults with the suggested ``lr``."""

    optimizer: str
    params: dict[str, HyperValue]
    lr: float
    source: SuggestionSource

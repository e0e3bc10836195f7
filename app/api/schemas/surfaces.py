"""Request/response models for surfaces, contour grids and custom expressions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.api.schemas.common import LocalizedText


class Domain(BaseModel):
    """Plotting window: x and y ranges as [min, max]."""

    x: list[float] = Field(min_length=2, max_length=2)
    y: list[float] = Field(min_length=2, max_length=2)

    model_config = {"json_schema_extra": {"examples": [{"x": [-10, 10], "y": [-5, 5]}]}}


class SurfaceParamInfo(BaseModel):
    """An adjustable surface parameter, e.g. the condition number ``kappa``."""

    name: str
    default: float
    min: float
    max: float
    log: bool = Field(False, description="Suggests a logarithmic slider.")
    description: dict[str, str] = Field(default_factory=dict)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "kappa",
                    "default": 10,
                    "min": 1,
                    "max": 10000,
                    "log": True,
                    "description": {"en": "condition number κ = λ_max/λ_min", "ko": "조건수 κ = λ_max/λ_min"},
                }
            ]
        }
    }


class SurfaceInfo(BaseModel):
    """One built-in test surface: formula, domain, known minima and saddles, suggested start."""

    id: str
    name: LocalizedText
    formula: str = Field(description="TeX subset, rendered by static/js/shared/math.js.")
    description: LocalizedText
    domain: Domain
    minima: list[list[float]] = Field(description="All known minima, global ones first.")
    global_minima: list[list[float]] = Field(description="The global minima (a subset of `minima`).")
    saddles: list[list[float]]
    start: list[float] = Field(min_length=2, max_length=2)
    params: list[SurfaceParamInfo] = Field(default_factory=list)
    param_values: dict[str, float] = Field(default_factory=dict, description="Values used (defaults here).")
    f_min: float | None = Field(None, description="Lowest value among the known minima; null without minima.")
    plane: Literal["pca", "random"] | None = Field(
        None,
        description="A training run's landscape plane only: the kind of its directions d₁, d₂ (its coordinates "
        "are a, b along them, docs/landscape.md); null for the built-in surfaces (coordinates x, y).",
    )
    loss_scale: Literal["log", "symlog", "linear"] = Field(
        "log",
        description="The loss axis that reads best: log when f_min >= 0, symlog without a known minimum "
        "(f unbounded below, e.g. the saddles), linear when f_min < 0 (docs/surfaces.md).",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "book_bowl",
                    "name": {"en": "Textbook bowl", "ko": "교과서 그릇"},
                    "formula": r"f(x,y) = \frac{x^2}{20} + y^2",
                    "description": {"en": "The textbook's elongated bowl …", "ko": "교과서의 길쭉한 그릇 …"},
                    "domain": {"x": [-10, 10], "y": [-5, 5]},
                    "minima": [[0, 0]],
                    "global_minima": [[0, 0]],
                    "saddles": [],
                    "start": [-7, 2],
                    "params": [],
                    "param_values": {},
                    "f_min": 0.0,
                    "loss_scale": "log",
                }
            ]
        }
    }


class SurfaceGridOut(BaseModel):
    """f on an n×n grid: ``z[i][j] = f(x[j], y[i])``; ``null`` where f is not finite."""

    x: list[float]
    y: list[float]
    z: list[list[float | None]]
    levels: list[float] = Field(description="Contour values, increasing (log- or linearly spaced).")
    z_min: float | None
    z_max: float | None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "x": [-1, 0, 1],
                    "y": [-1, 0, 1],
                    "z": [[1.05, 1.0, 1.05], [0.05, 0.0, 0.05], [1.05, 1.0, 1.05]],
                    "levels": [0.1, 0.5, 1.0],
                    "z_min": 0.0,
                    "z_max": 1.05,
                }
            ]
        }
    }


class ExpressionIn(BaseModel):
    """A custom f(x, y) to check."""

    expression: str = Field(description="Formula in x and y, e.g. `x^2 + 3*sin(y)`.")

    model_config = {"json_schema_extra": {"examples": [{"expression": "x^2 + 3*sin(y)"}]}}


class ExpressionOut(BaseModel):
    """The parsed formula, its exact gradient, and estimated minima on the default domain."""

    ok: bool = True
    expression: str = Field(description="Normalised formula (what the parser read).")
    gradient: list[str] = Field(description="[∂f/∂x, ∂f/∂y] as text.")
    tex: str = Field(description="TeX of f.")
    gradient_tex: list[str] = Field(description="[∂f/∂x, ∂f/∂y] as TeX.")
    domain: Domain
    start: list[float]
    minima: list[list[float]] = Field(description="Estimated minima (grid search + Newton), lowest first.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "ok": True,
                    "expression": "x^2 + 3*sin(y)",
                    "gradient": ["2*x", "3*cos(y)"],
                    "tex": r"f(x,y) = {x}^{2} + 3 \sin\left(y\right)",
                    "gradient_tex": ["2 x", r"3 \cos\left(y\right)"],
                    "domain": {"x": [-5, 5], "y": [-5, 5]},
                    "start": [-4, 4],
                    "minima": [[0, -1.5707963267948966]],
                }
            ]
        }
    }

"""Request and response models of ``POST /api/activations`` (the textbook's init experiment)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.job_events import SaturationRule
from app.core.nn.initializers import INIT_IDS
from app.core.nn.layers import ACTIVATIONS

if TYPE_CHECKING:  # the ids come from the engine's registries at run time
    ActivationId = str
    InitId = str
else:
    ActivationId = Literal[tuple(ACTIVATIONS)]
    InitId = Literal[INIT_IDS]


class ActivationRequest(BaseModel):
    """Random inputs through freshly initialised layers, no training (docs/experiments.md §2).

    Upper bounds on ``n_samples``, ``layers``, ``width`` and ``n_features`` come from the server
    settings (``max_activation_samples``, ``max_layers``, ``max_width``), and the product
    n_samples × width × layers from ``max_activation_values``; the router checks them.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "n_samples": 1000,
                    "n_features": 100,
                    "layers": 5,
                    "width": 100,
                    "activation": "sigmoid",
                    "init": "normal",
                    "init_std": 1.0,
                    "bins": 30,
                    "seed": 0,
                    "bias": False,
                },
                {"activation": "relu", "init": "he_normal"},
            ]
        },
    )

    n_samples: int = Field(1000, ge=1, description="Number of random inputs (≤ max_activation_samples).")
    n_features: int = Field(100, ge=1, description="Features per input (≤ max_width).")
    layers: int = Field(5, ge=1, description="Number of layers (≤ max_layers).")
    width: int = Field(100, ge=1, description="Units per layer (≤ max_width).")
    activation: ActivationId = Field("sigmoid", description="Activation function.")
    init: InitId = Field("normal", description="Weight initialiser; `normal` uses `init_std`.")
    init_std: float = Field(1.0, ge=0.0, le=100.0, allow_inf_nan=False, description="Std for `init=normal`.")
    bins: int = Field(30, ge=2, le=200, description="Histogram bins.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of inputs and weights.")
    bias: bool = Field(False, description="Add a bias drawn like the weights (the textbook uses none).")
    hist_range: tuple[float, float] | None = Field(
        None,
        description="Fixed histogram edges [lo, hi] for every layer (lo < hi), so panels of one activation "
        "share an axis; values outside go to the end bins. Null: (0, 1) sigmoid, (−1, 1) tanh, else [min, max].",
    )


class ActivationLayer(BaseModel):
    """Histogram and summary of one layer's activations."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "index": 1,
                    "edges": [0.0, 0.5, 1.0],
                    "counts": [480, 520],
                    "mean": 0.5,
                    "std": 0.2,
                    "frac_low": 0.1,
                    "frac_high": 0.1,
                    "frac_zero": 0.0,
                }
            ]
        }
    }

    index: int = Field(description="1-based layer index.")
    edges: list[float | None] = Field(description="bins + 1 bin edges.")
    counts: list[int] = Field(description="bins counts (values outside the edges are clamped into the end bins).")
    mean: float | None
    std: float | None
    min: float | None = Field(None, description="Smallest finite activation (for a shared axis across panels).")
    max: float | None = Field(None, description="Largest finite activation.")
    saturated: float | None = Field(None, description="Share saturated by the activation's own rule.")
    frac_low: float = Field(description="Fraction of activations < 0.1.")
    frac_high: float = Field(description="Fraction of activations > 0.9.")
    frac_zero: float = Field(description="Fraction of activations exactly 0.")
    weight_std: float | None = Field(None, description="Std of the distribution the layer's weights were drawn from.")


class ActivationResponse(BaseModel):
    """Per-layer activation histograms."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "activation": "sigmoid",
                    "init": "normal",
                    "layers": [
                        {
                            "index": 1,
                            "edges": [0.0, 0.5, 1.0],
                            "counts": [51000, 49000],
                            "mean": 0.5,
                            "std": 0.41,
                            "frac_low": 0.4,
                            "frac_high": 0.4,
                            "frac_zero": 0.0,
                            "weight_std": 1.0,
                        }
                    ],
                }
            ]
        }
    )

    activation: str
    init: str
    saturation_rule: SaturationRule | None = Field(None, description="How `saturated` is counted.")
    layers: list[ActivationLayer]

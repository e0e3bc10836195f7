"""Response models of the optimizer and learning-rate-schedule catalogues.

The catalogues are small (a dozen optimizers, six schedules), so the routers validate the
engine's descriptions against these models normally.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import LocalizedText

Number = int | float
"""An ``int`` for integer hyperparameters (``memory``, ``decay_steps``, …), else a ``float``."""


class HyperParamInfo(BaseModel):
    """One hyperparameter of an optimizer: default and inclusive bounds."""

    name: str = Field(examples=["beta1"])
    default: Number
    min: Number
    max: Number
    log: bool = Field(description="Suggests a logarithmic slider.")
    integer: bool = Field(description="Only whole numbers are accepted.")
    description: LocalizedText


class OptimizerInfo(BaseModel):
    """An optimizer of ``GET /api/optimizers``: its hyperparameters, update equations and state."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "momentum",
                    "name": "Momentum",
                    "equation": [r"v \leftarrow \mu v - \eta g", r"\theta \leftarrow \theta + v"],
                    "hyperparams": [
                        {
                            "name": "lr",
                            "default": 0.01,
                            "min": 0.0,
                            "max": 100.0,
                            "log": True,
                            "integer": False,
                            "description": {"en": "learning rate η", "ko": "학습률 η"},
                        }
                    ],
                    "state_keys": ["v"],
                    "needs_hessian": False,
                    "mlp": True,
                }
            ]
        }
    )

    id: str
    name: str
    equation: list[str] = Field(description="The update, one TeX line per step.")
    hyperparams: list[HyperParamInfo]
    state_keys: list[str] = Field(description="Keys of `state` in a trajectory run (2-vectors per update).")
    needs_hessian: bool = Field(description="Uses second derivatives (only on 2-D surfaces).")
    mlp: bool = Field(description="Offered in the Training Lab.")


class ScheduleParamInfo(BaseModel):
    """One parameter of a learning-rate schedule; ``min``/``max`` are null for flags and lists."""

    name: str = Field(examples=["decay_steps"])
    default: bool | Number | list[Number]
    min: Number | None
    max: Number | None
    kind: Literal["number", "integer", "bool", "list"]


class ScheduleInfo(BaseModel):
    """A schedule of ``GET /api/schedules``: η_t as a function of the step t."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cosine",
                    "name": {"en": "Cosine decay", "ko": "코사인 감쇠"},
                    "equation": r"\eta_t = \eta_0 ((1 - \alpha) \frac{1 + \cos(\pi \min(t, T) / T)}{2} + \alpha)",
                    "params": [
                        {"name": "decay_steps", "default": 100, "min": 1, "max": 1e7, "kind": "integer"},
                        {"name": "alpha", "default": 0.0, "min": 0.0, "max": 1.0, "kind": "number"},
                    ],
                }
            ]
        }
    )

    id: str
    name: LocalizedText
    equation: str = Field(description="TeX.")
    equation_variants: dict[str, str] = Field(
        default_factory=dict,
        description="The equation to show when a boolean option is on, by option name (`staircase`).",
    )
    params: list[ScheduleParamInfo]

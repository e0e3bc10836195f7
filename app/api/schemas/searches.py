"""Request and response models of ``/api/searches`` (docs/API.md "Hyperparameter search").

The axes' own checks (unknown knob, empty or inverted range, non-positive log bound, a value the
engine refuses) live in the engine (``app/core/nn/search.py`` ``parse_space``), so their errors
name the exact field (``space.0.high``) with a ``search.*`` code; the models here bound the sizes by
the server's settings (``max_search_trials``, ``max_search_epochs``, ``max_search_parallelism``,
``max_samples``), read at validation time.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.api.schemas.common import FiniteFloat, StrictModel
from app.api.schemas.training import TrainingConfigModel, check_at_most
from app.core.datasets import MAX_FRACTION, MIN_SAMPLES
from app.core.nn import search as core
from app.core.nn.config import MAX_SEED


def _at_most(setting: str) -> AfterValidator:
    def check(value: int | None) -> int | None:
        check_at_most(value, setting)
        return value

    return AfterValidator(check)


class AxisModel(StrictModel):
    """One axis: a range ``[low, high]`` on a ``log`` or ``linear`` scale, or a list of ``choices``.

    Omitted ``low`` / ``high`` / ``scale`` take the knob's defaults (``GET /api/searches/catalogue``).
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {"knob": "lr", "low": 1e-6, "high": 1e-2, "scale": "log"},
                {"knob": "width", "choices": [32, 64, 128]},
            ]
        },
    )

    knob: str = Field(description=f"One of {', '.join(core.KNOBS)}.")
    low: FiniteFloat | None = Field(None, description="Lower bound (> 0 on a log scale).")
    high: FiniteFloat | None = Field(None, description="Upper bound (> low).")
    scale: Literal["log", "linear"] | None = Field(None, description="log: uniform in log10 (log-uniform).")
    choices: list[FiniteFloat] | None = Field(None, max_length=64, description="Discrete values instead of a range.")

    def as_engine(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def _default_space() -> list[AxisModel]:
    return [AxisModel(**a.to_dict()) for a in core.default_space()]


class SearchRequestModel(StrictModel):
    """Body of ``POST /api/searches``: the textbook's random search by default."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "space": [
                        {"knob": "lr", "low": 1e-6, "high": 1e-2, "scale": "log"},
                        {"knob": "weight_decay", "low": 1e-8, "high": 1e-4, "scale": "log"},
                    ],
                    "method": "random",
                    "trials": 100,
                    "epochs": core.DEFAULT_EPOCHS,
                    "subset": 500,
                    "val_fraction": 0.2,
                    "seed": 0,
                }
            ]
        },
    )

    space: list[AxisModel] = Field(
        default_factory=_default_space,
        min_length=1,
        max_length=len(core.KNOBS),
        description="The axes (default: lr ~ 10^U(−6, −2), weight decay ~ 10^U(−8, −4)).",
    )
    method: Literal["random", "grid"] = Field("random", description="random draws, or an even grid of the same budget.")
    trials: Annotated[int, Field(ge=1), _at_most("max_search_trials")] = Field(
        core.DEFAULT_TRIALS, description="Trials (≤ max_search_trials); a grid uses ⌊n^(1/d)⌋ points per axis."
    )
    epochs: Annotated[int, Field(ge=1), _at_most("max_search_epochs")] = Field(
        core.DEFAULT_EPOCHS, description="Epochs per trial (≤ max_search_epochs)."
    )
    subset: Annotated[int, Field(ge=MIN_SAMPLES), _at_most("max_samples")] = Field(
        core.DEFAULT_SUBSET, description="Samples used (training + validation; no test split)."
    )
    val_fraction: float = Field(
        core.DEFAULT_VAL_FRACTION, gt=0.0, le=MAX_FRACTION, description="Share of the subset held out for validation."
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the design and of each trial's training.")
    parallelism: Annotated[int | None, Field(ge=1), _at_most("max_search_parallelism")] = Field(
        None, description="Trials at once (default: the pool's processes or the cluster's threads)."
    )
    base: TrainingConfigModel | None = Field(
        None,
        description="The trial network and data as POST /api/jobs takes it (default: the textbook's: 6 ReLU "
        "layers of 100, He init, SGD, batch 100, digits); epochs, subset and val_fraction override it.",
    )
    label: str | None = Field(None, max_length=100)


class NarrowRequest(StrictModel):
    """Body of ``POST /api/searches/{id}/narrow`` (optional)."""

    best: int | None = Field(None, ge=1, description="Best trials to keep (default: 10 % of the finished, ≥ 2).")
    margin: float = Field(core.DEFAULT_MARGIN, ge=0.0, le=2.0, description="Widening on each side, share of span.")


class AxisOut(BaseModel):
    knob: str
    low: float
    high: float
    scale: Literal["log", "linear"] | None = None
    choices: list[float] | None = None


SearchStatus = Literal["queued", "running", "done", "cancelled", "error", "interrupted"]
TrialStatus = Literal["done", "diverged", "cancelled", "error"]


class SearchCreated(BaseModel):
    """A search was accepted (``202``): follow it at ``/api/searches/{id}/events``."""

    id: str
    status: SearchStatus
    method: Literal["random", "grid"]
    total: int = Field(description="Trials designed (a grid may use fewer than asked).")
    space: list[AxisOut]
    parent_id: str | None = Field(None, description="The search this one narrows.")
    narrowed_best: int | None = Field(None, description="How many of the parent's best trials the ranges span.")


class EpochPoint(BaseModel):
    epoch: int
    val_acc: float | None
    val_loss: float | None
    train_acc: float | None


class Trial(BaseModel):
    """One finished trial."""

    index: int = Field(description="Position in the design.")
    values: dict[str, float] = Field(description="Knob → value.")
    seed: int
    status: TrialStatus
    val_acc: float | None = Field(None, description="Validation accuracy after the last epoch (the ranking key).")
    val_loss: float | None = None
    train_acc: float | None = None
    best_val_acc: float | None = None
    epochs: list[EpochPoint] = Field(default_factory=list, description="The validation curve, one point per epoch.")
    diverged_at: int | None = None
    steps: int = 0
    elapsed: float = 0.0
    worker: str | None = Field(None, description="host:pid of the process that ran it.")
    message: str | None = Field(None, description="Why an error trial failed.")
    code: str | None = None
    field: str | None = None


class SearchDetail(BaseModel):
    """``GET /api/searches/{id}``: status, progress and the trials so far, best first."""

    id: str
    label: str
    status: SearchStatus
    created: str
    config: dict[str, Any] = Field(description="The search as POST /api/searches takes it (+ parent_id).")
    parent_id: str | None
    executor: str = Field(description="processes | dask ('' for a search read back from the store).")
    parallelism: int
    message: str | None
    done: int
    total: int
    progress: float
    elapsed: float
    eta: float | None
    trials: list[Trial]
    last_event_id: int


class SearchInfo(BaseModel):
    id: str
    label: str
    status: SearchStatus
    done: int
    total: int
    parent_id: str | None


class SearchCancelled(BaseModel):
    id: str
    status: SearchStatus


class KnobInfo(BaseModel):
    """A knob and its default range (``GET /api/searches/catalogue``)."""

    knob: str
    low: float
    high: float
    scale: Literal["log", "linear"]
    integer: bool
    minimum: float
    maximum: float
    exclusive_minimum: bool
    path: str = Field(description="Where it goes in the training config.")


class SearchCatalogue(BaseModel):
    """What the search form needs: knobs with defaults and bounds, request defaults, the server's limits."""

    knobs: list[KnobInfo]
    defaults: dict[str, Any]
    limits: dict[str, int]
    workers: int = Field(description="Trials the executor runs at once (processes or cluster threads).")
    executor: str

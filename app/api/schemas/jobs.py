"""Request and response models of the Training Lab's jobs API (docs/API.md, "Training Lab").

The job configuration itself is generated from the engine's dataclasses
(``app/api/schemas/training.py`` from ``app/core/nn/config.py``); size limits come from
:class:`app.config.Settings`, read *at validation time*, so every bound can be changed with a
``PLAYGROUND_*`` environment variable. An error names the field, the limit and the setting that
holds it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.schemas.common import StrictModel
from app.api.schemas.job_events import (
    EpochEvent,
    ErrorEvent,
    FinishedEvent,
    MetricsEvent,
    QueueEvent,
    SharpnessEvent,
    StatusEvent,
    TrainingSummary,
)
from app.api.schemas.training import TrainingConfigModel, TrainingDefaultsModel, check_at_most, to_engine
from app.core.errors import InputError
from app.core.nn.config import EarlyStoppingConfig, TrainingConfig, check_config
from app.core.nn.options import to_dict

#: The example of the OpenAPI page: the defaults with early stopping on.
EXAMPLE_CONFIG: dict[str, Any] = {
    **to_dict(TrainingConfig()),
    "label": "He + Adam",
    "early_stopping": to_dict(EarlyStoppingConfig()),
}


def engine_config(body: BaseModel, prefix: str = "") -> TrainingConfig:
    """The request as the engine's typed config, after the engine's own checks.

    Parameters
    ----------
    body : TrainingConfigModel
        A config that passed pydantic validation.
    prefix : str
        Dotted path of ``body`` in the request (e.g. ``"configs.2."``), put in front of the
        engine's field paths here, once.

    Raises
    ------
    InputError
        Naming the full field path, e.g. ``optimizer.params.lr`` or ``optimizer.schedule.decay_steps``.
    """
    config = to_engine(body)
    try:
        check_config(config)
    except InputError as exc:
        raise exc.prefixed(prefix) from exc
    return config


class ComparisonRequest(StrictModel):
    """Several training runs that share one worker slot: the body of ``POST /api/comparisons``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "configs": [
                        {**EXAMPLE_CONFIG, "label": "SGD", "optimizer": {"optimizer": "sgd", "params": {"lr": 0.01}}},
                        {
                            **EXAMPLE_CONFIG,
                            "label": "Adam",
                            "optimizer": {"optimizer": "adam", "params": {"lr": 0.001}},
                        },
                    ]
                }
            ]
        },
    )

    configs: list[TrainingConfigModel] = Field(
        min_length=1, description="The runs, executed in this order (≤ max_comparison_runs)."
    )

    @field_validator("configs", mode="before")
    @classmethod
    def _run_count(cls, value: Any) -> Any:
        if isinstance(value, list):
            check_at_most(len(value), "max_comparison_runs", "configurations")
        return value


# --- responses -------------------------------------------------------------------------------

JobStatusName = Literal["queued", "running", "paused", "done", "cancelled", "error"]

#: Most optimizer steps one ``POST /api/jobs/{id}/step`` grants (the job's epochs bound it anyway).
MAX_SINGLE_STEPS = 10_000


class StepRequest(StrictModel):
    """Body of ``POST /api/jobs/{id}/step`` (optional: one step)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"steps": 1}, {"steps": 10}]})

    steps: int = Field(1, ge=1, le=MAX_SINGLE_STEPS, description="Optimizer steps to take before pausing again.")


class JobControlled(BaseModel):
    """Result of pause / resume / step: the job's status now."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "j-3f2a9c1d0b7e", "status": "paused"}]})

    id: str
    status: JobStatusName


class JobCreated(BaseModel):
    """A job was accepted (``202``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "j-3f2a9c1d0b7e", "status": "running"}]})

    id: str
    status: JobStatusName


class ComparisonCreated(BaseModel):
    """A comparison was accepted (``202``); each job has its own id and event stream."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "c-8d1e0f2a3b4c", "job_ids": ["j-3f2a9c1d0b7e", "j-77aa01bc23de"]}]}
    )

    id: str
    job_ids: list[str]


class JobInfo(BaseModel):
    """One line of ``GET /api/jobs``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "j-3f2a9c1d0b7e",
                    "status": "running",
                    "label": "He + Adam",
                    "created": "2025-03-01T09:30:00.000Z",
                    "progress": 0.42,
                }
            ]
        }
    )

    id: str
    status: JobStatusName
    label: str
    created: str = Field(description="Submission time, ISO 8601 UTC.")
    progress: float = Field(description="Fraction of the planned optimizer steps done, 0–1.")


class ComparisonDetail(ComparisonCreated):
    """``GET /api/comparisons/{id}``: the runs in order with their status (kept ones only in ``jobs``)."""

    jobs: list[JobInfo] = Field(description="Each kept run's listing line, in the comparison's order.")


class JobEventRecord(BaseModel):
    """One stored event, as in the SSE stream."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 7, "event": "epoch", "data": {"step": 40, "epoch": 1.0, "train_loss": 0.52}}]
        }
    )

    id: int
    event: Literal["queue", "metrics", "epoch", "status", "sharpness", "done", "cancelled", "error"]
    data: QueueEvent | MetricsEvent | EpochEvent | StatusEvent | SharpnessEvent | FinishedEvent | ErrorEvent = Field(
        description="As in the SSE stream."
    )


class JobDetail(JobInfo):
    """``GET /api/jobs/{id}``: status, the config, the kept event history and the summary."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "j-3f2a9c1d0b7e",
                    "status": "done",
                    "label": "He + Adam",
                    "created": "2025-03-01T09:30:00.000Z",
                    "progress": 1.0,
                    "config": EXAMPLE_CONFIG,
                    "history": [
                        {"id": 1, "event": "metrics", "data": {"step": 0}},
                        {"id": 2, "event": "done", "data": {"status": "done", "summary": {"epochs_run": 20}}},
                    ],
                    "summary": {"epochs_run": 20, "test_acc": 0.95},
                    "next_after": None,
                }
            ]
        }
    )

    config: TrainingDefaultsModel = Field(description="The configuration the job runs, every field filled in.")
    history: list[JobEventRecord] = Field(
        description="The kept events (older metrics thinned), oldest first; with `after` / `limit` one page of them."
    )
    next_after: int | None = Field(
        None, description="With `limit`: pass this as `after` for the next page; null when nothing follows."
    )
    summary: TrainingSummary | None = Field(description="The result once finished (as in the terminal event).")


class JobCancelled(BaseModel):
    """Result of ``DELETE /api/jobs/{id}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "j-3f2a9c1d0b7e", "status": "cancelled"}]})

    id: str
    status: JobStatusName

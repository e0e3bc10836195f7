"""Payloads of a training job's events (``GET /api/jobs/{id}/events``, docs/API.md "Training Lab").

The stream is Server-Sent Events: each block is ``id: <n>``, ``event: <name>`` and ``data: <JSON>``
with one of these payloads. ``metrics`` and ``epoch`` come from
:class:`~app.core.nn.run.TrainingRun`; the stream ends with exactly one of ``done``,
``cancelled`` or ``error`` (written by the job manager). Every number is finite or ``null``.
These models document the payloads in OpenAPI; the server streams the stored JSON as it is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Histogram(BaseModel):
    """A histogram of one layer's values in the fixed telemetry sample, with summary statistics."""

    edges: list[float | None] = Field(description="bins + 1 edges (fixed within a job for bounded activations).")
    counts: list[int] = Field(description="bins counts; values beyond the edges are clamped into the end bins.")
    mean: float | None
    std: float | None
    min: float | None = Field(None, description="Smallest finite value (for an axis shared by runs or layers).")
    max: float | None = Field(None, description="Largest finite value.")
    percentiles: dict[str, float | None] = Field(description='Keys "5", "25", "50", "75", "95".')
    nonfinite: int = Field(0, description="NaN/±∞ values, left out of the counts and statistics.")
    saturated: float | None = Field(None, description="act only: share of sigmoid/tanh outputs near their limits.")
    dead: float | None = Field(None, description="act only: share of ReLU/ELU units never positive on the sample.")


class SaturationRule(BaseModel):
    """How ``saturated`` is counted for this activation (docs/telemetry.md), for the column's label."""

    code: Literal["outside", "abs_above", "zero", "negative", "below", "none"] = Field(
        description="outside: a < low or a > high (sigmoid); abs_above: |a| > threshold (tanh); zero: a = 0 "
        "(ReLU); negative: a < 0 (Leaky ReLU, slope α); below: a < threshold (ELU)."
    )
    params: dict[str, float] = Field(description="The thresholds: low/high, threshold or slope.")


class InferenceView(BaseModel):
    """The same sample in inference mode (BN on running statistics); BN networks only."""

    pre: Histogram
    act: Histogram
    saturated: float | None


class UnitView(BaseModel):
    """The first hidden layer per unit: a heatmap shows whether units differ (zero init: they never do)."""

    layer: int = Field(description="0-based hidden layer (the first).")
    inputs: list[int] = Field(description="Row indices of W₁ shown (evenly subsampled, ≤ max_unit_view_inputs).")
    units_index: list[int] = Field(description="Column (unit) indices shown (≤ max_unit_view_units).")
    weights: list[list[float | None]] = Field(description="W₁[inputs][:, units_index], shape (inputs, units).")
    activations_mean: list[float | None] = Field(description="Mean activation of each shown unit on the sample.")


class LayerTelemetry(BaseModel):
    """One hidden layer in a metrics frame (docs/telemetry.md)."""

    index: int = Field(description="1-based hidden-layer index.")
    name: str
    pre: Histogram = Field(description="Pre-activations z = xW + b (after batch norm when enabled).")
    act: Histogram = Field(description="Activations.")
    saturated: float | None = Field(None, description="Share of activations saturated by saturation_rule.")
    saturation_rule: SaturationRule | None = None
    weights: Histogram | None = Field(None, description="Histogram of the layer's incoming weight matrix W.")
    inference: InferenceView | None = Field(None, description="BN networks only: inference-mode view.")
    grad_norm: float | None = Field(description="‖∂L/∂W‖ of the latest step, before clipping (null at step 0).")
    weight_norm: float | None = Field(description="‖W‖.")
    update_ratio: float | None = Field(description="‖ΔW‖ / ‖W‖ of the latest update (null at step 0).")


class BoundaryPoints(BaseModel):
    """Training points drawn over a decision boundary (raw coordinates)."""

    x: list[float | None]
    y: list[float | None]
    label: list[int]


class DecisionBoundary(BaseModel):
    """Predicted class on a grid over a 2-D data set: ``z[i][j]`` is the class at ``(x[j], y[i])``."""

    x: list[float]
    y: list[float]
    z: list[list[int]]
    points: BoundaryPoints


EPOCH_EXAMPLE: dict[str, Any] = {
    "step": 12,
    "epoch": 1,
    "progress": 0.05,
    "elapsed": 0.4,
    "eta": 7.6,
    "train_loss": 0.61,
    "train_acc": 0.83,
    "val_loss": 0.42,
    "val_acc": 0.88,
    "lr": 0.001,
}


class EpochEvent(BaseModel):
    """``event: epoch`` — the end of an epoch; validation on the full split."""

    model_config = ConfigDict(json_schema_extra={"examples": [EPOCH_EXAMPLE]})

    step: int = Field(description="Optimizer steps done.")
    epoch: float = Field(description="Epochs done (an integer in epoch events; fractional in metrics events).")
    progress: float = Field(description="step / planned steps, 0–1.")
    elapsed: float = Field(description="Seconds since the job started.")
    eta: float | None = Field(description="Estimated seconds left (null at step 0).")
    train_loss: float | None = Field(description="Mean cross-entropy (no penalty) over this epoch's batches so far.")
    train_acc: float | None = Field(
        description="Running accuracy over this epoch's batches (training mode: dropout on)."
    )
    train_loss_eval: float | None = Field(
        None, description="Training split (fixed subset) in inference mode, like the results table."
    )
    train_accuracy_eval: float | None = Field(None, description="Accuracy of train_loss_eval's measurement.")
    val_loss: float | None = Field(description="On the validation split (≤ 2000 samples in metrics events).")
    val_acc: float | None
    lr: float | None = Field(description="Learning rate of the latest step.")


class MetricsEvent(EpochEvent):
    """``event: metrics`` — a telemetry frame at step 0 and every ``interval`` steps (docs/telemetry.md)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **EPOCH_EXAMPLE,
                    "step": 50,
                    "epoch": 4.17,
                    "layers": [
                        {
                            "index": 1,
                            "name": "hidden 1",
                            "pre": {"edges": [-2, 0, 2], "counts": [60, 40], "mean": -0.1, "std": 0.9,
                                    "percentiles": {"5": -1.5, "25": -0.6, "50": -0.1, "75": 0.5, "95": 1.4}},
                            "act": {"edges": [0, 1, 2], "counts": [70, 30], "mean": 0.3, "std": 0.5,
                                    "percentiles": {"5": 0, "25": 0, "50": 0, "75": 0.5, "95": 1.4},
                                    "saturated": None, "dead": 0.02},
                            "grad_norm": 0.8,
                            "weight_norm": 11.3,
                            "update_ratio": 0.0009,
                        }
                    ],
                }
            ]
        }
    )  # fmt: skip

    mode: Literal["batch"] = Field("batch", description="BN uses the telemetry sample's batch statistics.")
    interval: int | None = Field(
        None,
        description="Steps between frames in force when this frame was sent: telemetry.interval, or a "
        "power-of-two multiple of it when the server's telemetry budget stretched it.",
    )
    adaptive: bool | None = Field(
        None, description="True when `interval` is stretched beyond telemetry.interval by the telemetry budget."
    )
    layers: list[LayerTelemetry]
    units: UnitView | None = Field(None, description="Per-unit view of the first hidden layer.")
    boundary: DecisionBoundary | None = Field(
        None, description="2-D data sets only, on every third metrics event (the first included)."
    )


class TrainingSummary(BaseModel):
    """The result of a run (the ``summary`` of ``done``/``cancelled``; final metrics skipped when cancelled)."""

    status: Literal["done", "diverged", "cancelled"] = Field(description="'diverged': the loss became non-finite.")
    epochs_run: int
    steps: int
    stopped_early: bool
    best_epoch: int | None = Field(description="Early stopping's best epoch, or that of the lowest val_loss.")
    restored_best_weights: bool
    diverged_at: int | None = Field(description="The step whose loss was non-finite.")
    test_loss: float | None
    test_acc: float | None
    train_loss: float | None
    train_acc: float | None
    val_loss: float | None
    val_acc: float | None
    confusion: list[list[int]] | None = Field(description="Test-set counts: row = true class, column = predicted.")
    classes: list[str]
    elapsed: float
    telemetry_seconds: float = Field(description="Seconds spent building metrics frames.")
    boundary: DecisionBoundary | None = Field(None, description="2-D data sets only.")
    trajectory_id: str | None = Field(
        None,
        description="The stored weight trajectory for the loss landscape (null: none recorded; docs/landscape.md).",
    )


class FinishedEvent(BaseModel):
    """``event: done`` or ``event: cancelled`` — the last event of the stream."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "done", "summary": {"status": "done", "epochs_run": 20}}]}
    )

    status: Literal["done", "cancelled"]
    summary: TrainingSummary | None = Field(description="null when cancelled before training began.")


class ErrorEvent(BaseModel):
    """``event: error`` — the run could not train (the last event of the stream)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "error", "message": "the training split is empty", "field": "dataset", "summary": None}
            ]
        }
    )

    status: Literal["error"]
    message: str
    field: str | None = Field(None, description="The configuration field at fault, when there is one.")
    code: str | None = Field(None, description="Stable error code (docs/errors.md), when the field is at fault.")
    params: dict[str, Any] | None = Field(None, description="The values the message mentions.")
    summary: None = None


class StatusEvent(BaseModel):
    """``event: status`` — the job was paused or resumed (``POST /api/jobs/{id}/pause`` / ``resume``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "paused"}]})

    status: Literal["paused", "running"]


class QueueEvent(BaseModel):
    """``event: queue`` — the job waits for a worker; sent whenever its place in line changes."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"position": 3}]})

    position: int = Field(ge=1, description="Place in line: 1 = the next to start.")


class SharpnessEvent(BaseModel):
    """``event: sharpness`` — λ_max of the training loss's Hessian (option ``sharpness``, docs/landscape.md)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"step": 200, "lambda_max": 19.6, "threshold": 20.0}]})

    step: int
    lambda_max: float | None = Field(description="Power-iteration estimate (null when not finite).")
    threshold: float | None = Field(description="2/η for the current learning rate η (GD's stability limit).")
    iterations: int = Field(description="Hessian-vector products used.")


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "queue": QueueEvent,
    "metrics": MetricsEvent,
    "epoch": EpochEvent,
    "status": StatusEvent,
    "done": FinishedEvent,
    "cancelled": FinishedEvent,
    "error": ErrorEvent,
    "sharpness": SharpnessEvent,
}


def sse_openapi() -> dict[str, Any]:
    """The ``200`` entry of the events route: ``text/event-stream``, one schema and example per event."""
    example = "\n".join(
        (
            "retry: 2000",
            "",
            "id: 1",
            "event: metrics",
            'data: {"step": 0, "epoch": 0.0, "progress": 0.0, "train_loss": null, "layers": [...]}',
            "",
            "id: 2",
            "event: epoch",
            'data: {"step": 12, "epoch": 1, "progress": 0.05, "val_loss": 0.42, "val_acc": 0.88}',
            "",
            "id: 30",
            "event: done",
            'data: {"status": "done", "summary": {"status": "done", "epochs_run": 20, "test_acc": 0.95}}',
        )
    )
    events = [
        {
            "type": "object",
            "title": f"{name} event",
            "properties": {
                "id": {"type": "string", "description": "Event id (1, 2, …); resume with Last-Event-ID."},
                "event": {"const": name},
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": f"#/components/schemas/{model.__name__}"},
                },
            },
            "required": ["id", "event", "data"],
        }
        for name, model in EVENT_MODELS.items()
    ]
    return {
        "description": (
            "Server-Sent Events. Each block has `id`, `event` and `data` (JSON); the `data` schema per event: "
            + ", ".join(f"{name} → {model.__name__}" for name, model in EVENT_MODELS.items())
            + ". A first comment block carries `retry: 2000`; the stream ends after done, cancelled or error."
        ),
        "content": {"text/event-stream": {"itemSchema": {"oneOf": events}, "example": example}},
    }

"""Request and response models of the Training Lab's jobs API (docs/API.md, "Training Lab").

Size limits come from :class:`app.config.Settings` and are read *at validation time*
(``get_settings()``), so every bound can be changed with a ``PLAYGROUND_*`` environment variable.
An error names the field, the limit and the setting that holds it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.api.schemas.common import StrictModel
from app.api.schemas.trajectories import ClipSpec
from app.config import Settings, get_settings
from app.core.errors import InputError
from app.core.nn.early_stopping import MONITORS
from app.core.nn.initializers import INIT_IDS
from app.core.nn.layers import ACTIVATIONS
from app.core.optim.optimizers import OPTIMIZERS, make_optimizer
from app.core.optim.schedules import make_schedule

# The engine's registries are the single source of the accepted ids.
MLP_OPTIMIZER_IDS: tuple[str, ...] = tuple(key for key, cls in OPTIMIZERS.items() if cls.mlp)
DATASET_IDS = ("digits", "iris", "spiral", "moons", "circles", "xor", "blobs", "mnist")

DatasetId = Literal[DATASET_IDS]  # type: ignore[valid-type]
ActivationId = Literal[tuple(ACTIVATIONS)]  # type: ignore[valid-type]
InitId = Literal[INIT_IDS]  # type: ignore[valid-type]
MlpOptimizerId = Literal[MLP_OPTIMIZER_IDS]  # type: ignore[valid-type]
MonitorId = Literal[MONITORS]  # type: ignore[valid-type]

MAX_HISTOGRAM_BINS = 200
MAX_TELEMETRY_INTERVAL = 1_000_000
MAX_SEED = 2**32 - 1

EXAMPLE_CONFIG: dict[str, Any] = {
    "label": "He + Adam",
    "dataset": {
        "name": "digits",
        "n_samples": 500,
        "noise": 0.1,
        "classes": None,
        "seed": 0,
        "train_limit": None,
        "val_fraction": 0.2,
        "test_fraction": 0.2,
    },
    "model": {
        "hidden": [100, 100, 100],
        "activation": "relu",
        "init": "he_normal",
        "init_std": 0.01,
        "batch_norm": False,
        "bn_momentum": 0.9,
        "dropout": 0.0,
    },
    "regularization": {"l2": 0.0, "l1": 0.0},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.001}, "schedule": None, "clip": None},
    "batch_size": 100,
    "epochs": 20,
    "seed": 0,
    "early_stopping": {
        "monitor": "val_loss",
        "min_delta": 0.0,
        "patience": 5,
        "mode": "auto",
        "restore_best_weights": True,
    },
    "telemetry": {"interval": 50, "bins": 30, "sample_size": 256},
}


def _settings() -> Settings:
    return get_settings()


def _limit_error(setting: str, limit: int, message: str, **values: Any) -> PydanticCustomError:
    """A 422 item that names the limit, its setting and the environment variable behind it."""
    env = f"PLAYGROUND_{setting.upper()}"
    return PydanticCustomError(
        "limit_exceeded",
        message + " (limit {setting}={limit}, env {env})",
        {"setting": setting, "limit": limit, "env": env, **values},
    )


def _at_most(value: int | None, setting: str, what: str) -> int | None:
    """Check ``value ≤ Settings.<setting>``; ``None`` passes."""
    if value is None:
        return value
    limit = getattr(_settings(), setting)
    if value > limit:
        raise _limit_error(setting, limit, "{what} is {value}, above the limit", what=what, value=value)
    return value


def _model_config(example: dict[str, Any]) -> ConfigDict:
    """An example for the OpenAPI page (``StrictModel`` already refuses unknown keys and NaN/inf)."""
    return ConfigDict(json_schema_extra={"examples": [example]})


class DatasetSpec(StrictModel):
    """Which data set, how much of it and how it is split."""

    model_config = _model_config(EXAMPLE_CONFIG["dataset"])

    name: DatasetId = Field("digits", description="Data set id (see GET /api/datasets).")
    n_samples: int | None = Field(None, ge=10, description="Samples to generate or use (≤ max_samples).")
    noise: float | None = Field(
        None, ge=0.0, le=5.0, description="Noise level of the generated 2-D sets (None: the set's default)."
    )
    classes: int | None = Field(None, ge=2, le=10, description="Classes of the generated sets that take it.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of generation and of the split.")
    train_limit: int | None = Field(None, ge=1, description="Keep only this many training samples.")
    val_fraction: float = Field(0.2, ge=0.0, le=0.9, description="Share of the training data held out for validation.")
    test_fraction: float = Field(0.2, ge=0.0, le=0.9, description="Share of all data held out for the test set.")

    @field_validator("n_samples", "train_limit")
    @classmethod
    def _within_max_samples(cls, value: int | None) -> int | None:
        return _at_most(value, "max_samples", "the sample count")

    @field_validator("name")
    @classmethod
    def _mnist_needs_files(cls, value: str) -> str:
        if value == "mnist" and _settings().mnist_dir is None:
            raise PydanticCustomError(
                "dataset_unavailable",
                "mnist is not available on this server: set PLAYGROUND_MNIST_DIR to the folder "
                "holding the standard MNIST IDX files",
            )
        return value


class ModelSpec(StrictModel):
    """The MLP: hidden widths, activation, initialisation, batch norm, dropout."""

    model_config = _model_config(EXAMPLE_CONFIG["model"])

    hidden: list[int] = Field(
        default_factory=lambda: [100, 100, 100],
        description="Width of each hidden layer (≤ max_layers layers of ≤ max_width units; [] = softmax regression).",
    )
    activation: ActivationId = Field("relu", description="Hidden-layer activation.")
    init: InitId = Field("he_normal", description="Weight initialiser (init_std is used by 'normal').")
    init_std: float = Field(0.01, gt=0.0, le=100.0, description="Standard deviation for init='normal'.")
    batch_norm: bool = Field(False, description="Batch normalisation before each activation.")
    bn_momentum: float = Field(0.9, ge=0.0, lt=1.0, description="Momentum of batch norm's running averages.")
    dropout: float = Field(0.0, ge=0.0, le=0.95, description="Drop probability after each hidden activation.")

    @field_validator("hidden", mode="before")
    @classmethod
    def _layer_count(cls, value: Any) -> Any:
        # Checked before the items so a huge list fails fast, naming max_layers.
        if isinstance(value, list):
            _at_most(len(value), "max_layers", "the number of hidden layers")
        return value

    @field_validator("hidden")
    @classmethod
    def _layer_widths(cls, value: list[int]) -> list[int]:
        limit = _settings().max_width
        for i, width in enumerate(value):
            if width < 1:
                raise PydanticCustomError(
                    "greater_than_equal",
                    "hidden layer {index} has {width} units; each needs at least 1",
                    {"index": i, "width": width},
                )
            if width > limit:
                raise _limit_error(
                    "max_width",
                    limit,
                    "hidden layer {index} has {width} units, above the limit",
                    index=i,
                    width=width,
                )
        return value


class RegularizationSpec(StrictModel):
    """Penalties on the weight matrices (never on biases or batch-norm parameters)."""

    model_config = _model_config(EXAMPLE_CONFIG["regularization"])

    l2: float = Field(0.0, ge=0.0, le=10.0, description="L2 penalty λ: loss + ½λ‖W‖².")
    l1: float = Field(0.0, ge=0.0, le=10.0, description="L1 penalty λ: loss + λ‖W‖₁.")


class OptimizerSpec(StrictModel):
    """Optimizer id, its hyperparameters, a learning-rate schedule and clipping."""

    model_config = _model_config(EXAMPLE_CONFIG["optimizer"])

    optimizer: MlpOptimizerId = Field("adam", description="Optimizer id with mlp=true in GET /api/optimizers.")
    params: dict[str, float] = Field(
        default_factory=dict,
        max_length=16,
        description="Hyperparameters (lr, momentum, rho, beta1, beta2, eps, weight_decay); omitted ones take defaults.",
    )
    schedule: dict[str, Any] | None = Field(
        None,
        max_length=16,
        description='Learning-rate schedule object, e.g. {"type": "exponential", "decay_rate": 0.5, "decay_steps": 10}.',
    )
    clip: ClipSpec | None = Field(None, description="Gradient clipping, or null.")

    @field_validator("optimizer", mode="before")
    @classmethod
    def _not_second_order(cls, value: Any) -> Any:
        engine = OPTIMIZERS.get(value) if isinstance(value, str) else None
        if engine is not None and not engine.mlp:
            raise PydanticCustomError(
                "optimizer_not_for_mlp",
                "{value} works only on the 2-D surfaces (it needs the exact Hessian or full-batch line "
                "searches); choose one of {choices}",
                {"value": value, "choices": ", ".join(MLP_OPTIMIZER_IDS)},
            )
        return value


class EarlyStoppingSpec(StrictModel):
    """Keras-style early stopping on a validation quantity."""

    model_config = _model_config(EXAMPLE_CONFIG["early_stopping"])

    monitor: MonitorId = Field("val_loss", description="Quantity watched at each epoch end.")
    min_delta: float = Field(0.0, ge=0.0, le=1e6, description="Smallest change that counts as an improvement.")
    patience: int = Field(5, ge=0, description="Epochs without improvement before stopping (≤ max_epochs).")
    mode: Literal["auto", "min", "max"] = Field("auto", description="'auto': max for accuracies, min otherwise.")
    restore_best_weights: bool = Field(True, description="Put back the best epoch's weights when stopping early.")

    @field_validator("patience")
    @classmethod
    def _patience_bound(cls, value: int) -> int:
        return _at_most(value, "max_epochs", "patience")  # type: ignore[return-value]


class TelemetrySpec(StrictModel):
    """How often and how finely the per-layer telemetry is recorded."""

    model_config = _model_config(EXAMPLE_CONFIG["telemetry"])

    interval: int = Field(
        50,
        ge=1,
        le=MAX_TELEMETRY_INTERVAL,
        description="Optimizer steps between metrics events (50 keeps telemetry under ~10 % of training time for the reference net; lower for denser frames).",
    )
    bins: int = Field(30, ge=2, le=MAX_HISTOGRAM_BINS, description="Histogram bins per layer.")
    sample_size: int = Field(
        256,
        ge=1,
        description="Inputs used for the histograms (≤ max_activation_samples); 256 inputs × units give smooth 30-bin histograms at a small cost.",
    )

    @field_validator("sample_size")
    @classmethod
    def _sample_bound(cls, value: int) -> int:
        return _at_most(value, "max_activation_samples", "telemetry.sample_size")  # type: ignore[return-value]


class TrainingConfig(StrictModel):
    """One training run: the body of ``POST /api/jobs``."""

    model_config = _model_config(EXAMPLE_CONFIG)

    label: str | None = Field(None, max_length=100, description="Display name (derived from the config when null).")
    dataset: DatasetSpec = Field(default_factory=DatasetSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)
    regularization: RegularizationSpec = Field(default_factory=RegularizationSpec)
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    batch_size: int = Field(100, ge=0, description="Mini-batch size: 1 = SGD, 0 or ≥ n_train = batch GD.")
    epochs: int = Field(20, ge=1, description="Passes over the training data (≤ max_epochs).")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of initialisation, shuffling and dropout.")
    early_stopping: EarlyStoppingSpec | None = Field(None, description="Early stopping, or null.")
    telemetry: TelemetrySpec = Field(default_factory=TelemetrySpec)

    @field_validator("epochs")
    @classmethod
    def _epoch_bound(cls, value: int) -> int:
        return _at_most(value, "max_epochs", "epochs")  # type: ignore[return-value]

    @field_validator("batch_size")
    @classmethod
    def _batch_bound(cls, value: int) -> int:
        return _at_most(value, "max_samples", "batch_size")  # type: ignore[return-value]

    @model_validator(mode="after")
    def _early_stopping_needs_validation(self) -> TrainingConfig:
        if self.early_stopping is not None and self.dataset.val_fraction == 0:
            raise PydanticCustomError(
                "value_error",
                "early_stopping.monitor={monitor} needs a validation split: set dataset.val_fraction > 0 "
                "or early_stopping to null",
                {"monitor": self.early_stopping.monitor},
            )
        return self


def check_with_engine(config: TrainingConfig, prefix: str = "") -> None:
    """Let the engine vet the optimizer's hyperparameters and schedule before a job starts.

    Parameters
    ----------
    config : TrainingConfig
        A config that passed pydantic validation.
    prefix : str
        Dotted path of ``config`` in the request (e.g. ``"configs.2."``).

    Raises
    ------
    InputError
        Naming the full field path, e.g. ``optimizer.params.lr`` or ``optimizer.schedule.decay_steps``.
    """
    spec = config.optimizer
    try:
        optimizer = make_optimizer(spec.optimizer, spec.params, field="optimizer")
        make_schedule(spec.schedule, optimizer.params.get("lr", 1.0), field="schedule")
    except InputError as exc:
        raise InputError(f"{prefix}optimizer.{exc.field}", exc.message) from exc


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

    configs: list[TrainingConfig] = Field(
        min_length=1, description="The runs, executed in this order (≤ max_comparison_runs)."
    )

    @field_validator("configs", mode="before")
    @classmethod
    def _run_count(cls, value: Any) -> Any:
        if isinstance(value, list):
            _at_most(len(value), "max_comparison_runs", "the number of configurations")
        return value


# --- responses -------------------------------------------------------------------------------

JobStatusName = Literal["queued", "running", "done", "cancelled", "error"]


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


class JobEventRecord(BaseModel):
    """One stored event, as in the SSE stream."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 7, "event": "epoch", "data": {"step": 40, "epoch": 1.0, "train_loss": 0.52}}]
        }
    )

    id: int
    event: str
    data: Any


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
                }
            ]
        }
    )

    config: dict[str, Any]
    history: list[JobEventRecord]
    summary: dict[str, Any] | None


class JobCancelled(BaseModel):
    """Result of ``DELETE /api/jobs/{id}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "j-3f2a9c1d0b7e", "status": "cancelled"}]})

    id: str
    status: JobStatusName

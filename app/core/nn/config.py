"""The training configuration: the one place where every option's default and bounds are declared.

``POST /api/jobs`` accepts exactly :func:`~app.core.nn.options.to_dict` of :class:`TrainingConfig`
(the request model in ``app/api/schemas/training.py`` is generated from these dataclasses), and
``GET /api/training/catalogue`` serves the defaults and bounds from here. Adding an option means
adding a field here (with :func:`~app.core.nn.options.option`), using it in the engine
(``run.py``) and showing it in the form.

Bounds are of two kinds (docs/API.md "Training Lab"):

* static ones (``minimum``, ``maximum``, ``exclusive_*``, ``choices``) are checked when a config is
  built from a mapping (:func:`parse_config`) and by the generated pydantic model;
* settings-dependent maxima (``limit="max_epochs"``, ``count_limit="max_layers"``…) name a server
  setting; the API checks them against the current ``Settings``
  (:func:`~app.core.nn.options.check_limits` for direct callers).

Dropout: the drop probability is at most 0.95 (``DROPOUT_MAX``): at p → 1 inverted dropout scales
the few survivors by 1/(1 − p) → ∞, and no useful network trains beyond that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.datasets import CATALOGUE, MAX_CLASSES, MAX_FRACTION, MAX_NOISE, MIN_CLASSES, MIN_SAMPLES
from app.core.datasets.upload_common import ID_PATTERN as UPLOAD_ID_PATTERN
from app.core.errors import InputError
from app.core.nn.early_stopping import MONITORS
from app.core.nn.initializers import INIT_IDS
from app.core.nn.layers import ACTIVATIONS
from app.core.nn.options import described, option, parse
from app.core.optim.optimizers import Optimizer, make_optimizer, mlp_optimizer_ids
from app.core.optim.schedules import make_schedule

#: Optimizers that can train an MLP (Newton and L-BFGS need exact Hessians / full-batch line searches).
MLP_OPTIMIZER_IDS: tuple[str, ...] = mlp_optimizer_ids()
DATASET_IDS: tuple[str, ...] = tuple(CATALOGUE)
MAX_SEED = 2**32 - 1
DROPOUT_MAX = 0.95
MAX_HISTOGRAM_BINS = 200
MAX_TELEMETRY_INTERVAL = 1_000_000
MAX_PENALTY = 10.0


@dataclass(frozen=True)
class DatasetConfig:
    """Which data set, how much of it and how it is split (docs/networks.md "Data")."""

    name: str = option(
        "digits",
        "Data set id (see GET /api/datasets): a built-in one, or an upload's 'upload:<hex>'.",
        choices=DATASET_IDS,
        pattern=UPLOAD_ID_PATTERN,
    )
    n_samples: int | None = option(
        None, "Samples to generate or use (≤ max_samples).", minimum=MIN_SAMPLES, limit="max_samples"
    )
    noise: float | None = option(
        None, "Noise level of the generated 2-D sets (None: the set's default).", minimum=0.0, maximum=MAX_NOISE
    )
    classes: int | None = option(
        None, "Classes of the generated sets that take it.", minimum=MIN_CLASSES, maximum=MAX_CLASSES
    )
    seed: int = option(0, "Seed of generation and of the split.", minimum=0, maximum=MAX_SEED)
    train_limit: int | None = option(None, "Keep only this many training samples.", minimum=1, limit="max_samples")
    val_fraction: float = option(
        0.2, "Share of the training data held out for validation.", minimum=0.0, maximum=MAX_FRACTION
    )
    test_fraction: float = option(
        0.2, "Share of all data held out for the test set.", minimum=0.0, maximum=MAX_FRACTION
    )


@dataclass(frozen=True)
class NetworkConfig:
    """The MLP: hidden widths, activation, initialisation, batch norm, dropout (docs/networks.md)."""

    hidden: tuple[int, ...] = option(
        (100, 100, 100),
        "Width of each hidden layer (≤ max_layers layers of ≤ max_width units; [] = softmax regression).",
        minimum=1,
        limit="max_width",
        count_limit="max_layers",
        item_name="hidden layer {number} has {value} units",
    )
    activation: str = option("relu", "Hidden-layer activation.", choices=tuple(ACTIVATIONS))
    init: str = option("he_normal", "Weight initialiser (init_std is used by 'normal').", choices=INIT_IDS)
    init_std: float = option(0.01, "Standard deviation for init='normal'.", exclusive_minimum=0.0, maximum=100.0)
    batch_norm: bool = option(False, "Batch normalisation before each activation.")
    bn_momentum: float = option(0.9, "Momentum of batch norm's running averages.", minimum=0.0, exclusive_maximum=1.0)
    dropout: float = option(
        0.0, f"Drop probability after each hidden activation (≤ {DROPOUT_MAX}).", minimum=0.0, maximum=DROPOUT_MAX
    )


@dataclass(frozen=True)
class RegularizationConfig:
    """Penalties on the weight matrices (never on biases or batch-norm parameters)."""

    l2: float = option(0.0, "L2 penalty λ: loss + ½λ‖W‖².", minimum=0.0, maximum=MAX_PENALTY)
    l1: float = option(0.0, "L1 penalty λ: loss + λ‖W‖₁.", minimum=0.0, maximum=MAX_PENALTY)


@dataclass(frozen=True)
class ClipConfig:
    """Gradient clipping: each entry into [−max, max] (``value``) or the global norm to ≤ max (``norm``)."""

    mode: str = option("norm", "'value' clips each entry, 'norm' the global norm.", choices=("value", "norm"))
    max: float = option(1.0, "The clipping threshold.", exclusive_minimum=0.0, maximum=1e6)


@dataclass(frozen=True)
class OptimizerConfig:
    """Optimizer id, its hyperparameters, a learning-rate schedule and clipping (docs/optimizers.md)."""

    optimizer: str = option("adam", "Optimizer id with mlp=true in GET /api/optimizers.", choices=MLP_OPTIMIZER_IDS)
    params: Mapping[str, float] = option(
        {},
        "Hyperparameters (lr, momentum, rho, beta1, beta2, eps, weight_decay); omitted ones take defaults.",
        max_items=16,
    )
    schedule: Mapping[str, Any] | None = option(
        None,
        'Learning-rate schedule object, e.g. {"type": "exponential", "decay_rate": 0.5, "decay_steps": 10}.',
        max_items=16,
    )
    clip: ClipConfig | None = field(default=None, metadata=described("Gradient clipping, or null."))


@dataclass(frozen=True)
class EarlyStoppingConfig:
    """Keras-style early stopping on a validation quantity (``early_stopping.py``)."""

    monitor: str = option("val_loss", "Quantity watched at each epoch end.", choices=MONITORS)
    min_delta: float = option(0.0, "Smallest change that counts as an improvement.", minimum=0.0, maximum=1e6)
    patience: int = option(
        5, "Epochs without improvement before stopping (≤ max_epochs).", minimum=0, limit="max_epochs"
    )
    mode: str = option("auto", "'auto': max for accuracies, min otherwise.", choices=("auto", "min", "max"))
    restore_best_weights: bool = option(True, "Put back the best epoch's weights when stopping early.")


@dataclass(frozen=True)
class TelemetryConfig:
    """How often and how finely the per-layer telemetry is recorded (docs/telemetry.md)."""

    interval: int = option(
        50,
        "Optimizer steps between metrics events (lower for denser frames; with adaptive, the server "
        "stretches it when frames would cost more than its telemetry_budget).",
        minimum=1,
        maximum=MAX_TELEMETRY_INTERVAL,
    )
    bins: int = option(30, "Histogram bins per layer.", minimum=2, maximum=MAX_HISTOGRAM_BINS)
    sample_size: int = option(
        256,
        "Inputs used for the histograms (≤ max_activation_samples); 256 inputs × units give smooth 30-bin "
        "histograms at a small cost.",
        minimum=1,
        limit="max_activation_samples",
    )
    adaptive: bool = option(
        True,
        "Stretch the interval (doubling it) when frames would cost more than the server's telemetry_budget "
        "share of the training time; every frame says the interval in force. false: exactly every interval steps.",
    )


@dataclass(frozen=True)
class SharpnessConfig:
    """Sharpness during training: λ_max of the training loss's Hessian by power iteration (docs/landscape.md)."""

    every: int = option(10, "Optimizer steps between estimates.", minimum=1, maximum=MAX_TELEMETRY_INTERVAL)
    iterations: int = option(
        20,
        "Power-iteration steps per estimate (≤ landscape_max_power_iterations).",
        minimum=1,
        limit="landscape_max_power_iterations",
    )
    samples: int = option(
        1000,
        "Training samples the loss is measured on (≤ landscape_max_samples).",
        minimum=1,
        limit="landscape_max_samples",
    )


@dataclass(frozen=True)
class TrainingConfig:
    """One training run: the body of ``POST /api/jobs``."""

    label: str | None = option(None, "Display name (derived from the config when null).", max_length=100)
    dataset: DatasetConfig = field(default_factory=DatasetConfig, metadata=described("Data set and split."))
    model: NetworkConfig = field(default_factory=NetworkConfig, metadata=described("The network."))
    regularization: RegularizationConfig = field(
        default_factory=RegularizationConfig, metadata=described("Weight penalties.")
    )
    optimizer: OptimizerConfig = field(
        default_factory=OptimizerConfig, metadata=described("Optimizer, schedule and clipping.")
    )
    batch_size: int = option(
        100, "Mini-batch size: 1 = SGD, 0 or ≥ n_train = batch GD.", minimum=0, limit="max_samples"
    )
    epochs: int = option(20, "Passes over the training data (≤ max_epochs).", minimum=1, limit="max_epochs")
    seed: int = option(0, "Seed of initialisation, shuffling and dropout.", minimum=0, maximum=MAX_SEED)
    early_stopping: EarlyStoppingConfig | None = field(default=None, metadata=described("Early stopping, or null."))
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig, metadata=described("Per-layer telemetry."))
    trajectory: bool = option(
        True,
        "Record the weights at the start and each epoch end for the loss landscape (skipped when the network "
        "has more than landscape_max_parameters parameters).",
    )
    sharpness: SharpnessConfig | None = field(
        default=None,
        metadata=described("λ_max of the training-loss Hessian every N steps (edge of stability), or null."),
    )


def parse_config(data: Mapping[str, Any] | TrainingConfig | None) -> TrainingConfig:
    """A :class:`TrainingConfig` from a JSON-shaped mapping (missing fields take their defaults).

    Raises
    ------
    InputError
        Naming the dotted field path of a wrong type, an out-of-bound value or an unknown key.
    """
    if isinstance(data, TrainingConfig):
        return data
    return parse(TrainingConfig, data)


def make_mlp_optimizer(config: OptimizerConfig) -> Optimizer:
    """The optimizer of ``config``, its errors named ``optimizer.…`` (e.g. ``optimizer.params.lr``)."""
    try:
        optimizer = make_optimizer(config.optimizer, config.params, field="optimizer.optimizer")
    except InputError as exc:
        field = exc.field if exc.field.startswith("optimizer") else f"optimizer.{exc.field}"
        raise InputError(field, exc.message, exc.code, exc.params) from exc
    if not optimizer.mlp:
        raise InputError(
            "optimizer.optimizer",
            f"{optimizer.id} works on 2-D surfaces only; it cannot train an MLP",
            "pydantic.optimizer_not_for_mlp",
            {"value": optimizer.id, "choices": ", ".join(MLP_OPTIMIZER_IDS)},
        )
    return optimizer


def check_config(config: TrainingConfig) -> None:
    """The engine's invariants that need no data, for a pre-flight check before a job is admitted.

    The optimizer's hyperparameters and the schedule are vetted by their registries
    (``app.core.optim``), and early stopping needs a validation split. A
    :class:`~app.core.nn.run.TrainingRun` meets the same checks as it builds (the split's size
    only once the data is loaded). Field paths are relative to the configuration
    (``optimizer.params.lr``); the API prefixes them once.

    Raises
    ------
    InputError
        Naming the field.
    """
    optimizer = make_mlp_optimizer(config.optimizer)
    make_schedule(config.optimizer.schedule, optimizer.params["lr"], field="optimizer.schedule")
    if config.early_stopping is not None and config.dataset.val_fraction == 0:
        raise InputError(
            "early_stopping",
            f"early stopping on {config.early_stopping.monitor} needs a validation split: set the validation "
            "share above 0 or turn early stopping off",
            "early_stopping.needs_validation",
            {"monitor": config.early_stopping.monitor},
        )

"""One training run as an object that can be driven step by step (docs/networks.md, docs/telemetry.md).

:class:`TrainingRun` is the Training Lab's counterpart of the 2-D lab's ``Simulator``
(``app/core/lab2d/trajectory.py``): ``__init__`` sets everything up, :meth:`TrainingRun.step` does
one optimizer step on one mini-batch (the textbook's ``train_step``), :meth:`TrainingRun.end_epoch`
does the end-of-epoch work and :meth:`TrainingRun.summary` reports. A job
(``training.train``), a hyperparameter search or a loss-landscape probe drive it the same way and
read its state (``network``, ``step_count``, ``epoch``, ``history``, ``status``)::

    run = TrainingRun(config)
    while not run.finished:
        if not run.step():  # False: the loss became non-finite (status "diverged")
            break
        if run.epoch_complete:
            run.end_epoch()  # validation, early stopping; the epoch record
    summary = run.summary()

Decisions worth knowing:

* **Losses reported** (``train_loss``, ``val_loss``, ``test_loss``) are the mean cross-entropy
  *without* the L1/L2 penalty, so training and validation numbers are comparable; the optimizer
  minimises cross-entropy + penalty, and divergence is judged on that total.
* **Telemetry** (:meth:`TrainingRun.metrics`, ``frames.py``) uses a fixed sample of
  ``telemetry.sample_size`` training inputs (drawn once from the seed), the same inputs in every
  frame so the histograms are comparable, pushed through the network as training computes it:
  batch norm on the sample's batch statistics, no dropout (``"mode": "batch"``); networks with
  batch norm also get an inference-mode view per layer. ``grad_norm`` is ‖∂L/∂W‖ of the latest
  step before clipping; ``update_ratio`` uses the latest update ΔW.
* **Training accuracy in inference mode** (``train_loss_eval``, ``train_accuracy_eval``): the
  running ``train_loss``/``train_acc`` are measured in training mode (dropout on) as the batches
  go by; the ``_eval`` pair measures a fixed, evenly strided subset of the training split in
  inference mode, as the results table does — at most ``VAL_EVENT_SAMPLES`` samples in metrics
  frames, ``TRAIN_EVAL_SAMPLES`` in epoch records.
* **Validation in metrics frames** uses at most ``VAL_EVENT_SAMPLES`` validation samples (a fixed
  subset); epoch records and the summary use the full split.
* **Reproducibility**: the seed feeds independent streams (``SeedSequence.spawn``) for the initial
  weights, the shuffling, the dropout masks and the telemetry sample, so two runs that differ only
  in, say, the optimizer start from identical weights and see the same batches.
* **Early stopping** follows Keras (``early_stopping.py``): best weights are restored only when
  training stops early.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import InputError
from app.core.nn.config import TrainingConfig, make_mlp_optimizer, parse_config
from app.core.nn.early_stopping import EarlyStopping
from app.core.nn.evaluation import BOUNDARY_POINTS, decision_boundary, evaluate, final_metrics
from app.core.nn.frames import UNIT_VIEW_INPUTS, UNIT_VIEW_UNITS, VAL_EVENT_SAMPLES, FrameSource, rows_within
from app.core.nn.landscape import WeightTrajectory
from app.core.nn.network import MLP
from app.core.nn.options import to_dict
from app.core.nn.telemetry import TelemetryRecorder, finite_or_none
from app.core.optim.gradients import clip_gradients
from app.core.optim.schedules import make_schedule

#: Most training samples measured in inference mode for an epoch record (``train_accuracy_eval``).
TRAIN_EVAL_SAMPLES = 10_000
#: A decision boundary is attached to every this-many-th metrics frame (the first one included).
BOUNDARY_EVERY = 3
#: NumPy floating-point warnings are silenced: overflow is detected and reported as divergence.
QUIET: dict[str, str] = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}


def load_data(
    config: TrainingConfig, mnist_dir: Path | str | None, max_samples: int | None, data_dir: Path | str | None = None
) -> Any:
    """The train/validation/test :class:`~app.core.datasets.Split` that ``config.dataset`` asks for
    (uploaded sets from ``data_dir``, ``Settings.data_dir``)."""
    from app.core.datasets import DEFAULT_MAX_SAMPLES, load_dataset

    return load_dataset(to_dict(config.dataset), mnist_dir, max_samples or DEFAULT_MAX_SAMPLES, data_dir=data_dir)


class TrainingRun:
    """An MLP, its data, optimizer, schedule, telemetry and early stopping, advanced one step at a time.

    Parameters
    ----------
    config : TrainingConfig or mapping
        The run's configuration (a mapping is parsed with :func:`~app.core.nn.config.parse_config`).
    data : object or None
        A ready :class:`~app.core.datasets.Split` (or any object with ``x_train`` ``(N, D)``,
        ``y_train`` ``(N,)``, ``x_val``, ``y_val``, ``x_test``, ``y_test``, ``n_classes``,
        ``class_names``, ``is_2d``); loaded from ``config.dataset`` when None.
    mnist_dir : path or None
        Folder of the MNIST IDX files (``Settings.mnist_dir``).
    max_samples : int or None
        Largest data set to load (``Settings.max_samples``).
    data_dir : path or None
        Where uploaded data sets are stored (``Settings.data_dir``).
    clock : callable
        Seconds, for ``elapsed``/``eta`` (``time.perf_counter``).
    unit_view_size : (int, int)
        Most inputs and units of the per-unit view (``Settings.max_unit_view_inputs``/``_units``).
    trajectory_limits : (int, int) or None
        (most parameters, most snapshots) of a weight trajectory (``Settings.landscape_max_parameters``,
        ``landscape_max_snapshots``); None records none. One is recorded when ``config.trajectory`` is on
        and the network has at most that many parameters (docs/landscape.md).

    Attributes
    ----------
    network : MLP
        The network being trained.
    step_count : int
        Optimizer steps done.
    epoch : int
        The epoch in progress or last begun (1-based; 0 before the first step).
    batch : int
        Mini-batches done in that epoch.
    epochs_run : int
        Completed epochs.
    history : list of dict
        The epoch records (:meth:`end_epoch`).
    status : str
        ``"running"``, then ``"done"``, ``"diverged"`` or ``"cancelled"``.
    trajectory : WeightTrajectory or None
        θ at the start and after each epoch (``trajectory_limits``).

    Raises
    ------
    InputError
        Inconsistent configuration: an empty training split, early stopping without a validation
        split, optimizer hyperparameters or a schedule the engine refuses.
    """

    def __init__(
        self,
        config: TrainingConfig | Mapping[str, Any],
        *,
        data: Any = None,
        mnist_dir: Path | str | None = None,
        max_samples: int | None = None,
        data_dir: Path | str | None = None,
        clock: Callable[[], float] = time.perf_counter,
        unit_view_size: tuple[int, int] = (UNIT_VIEW_INPUTS, UNIT_VIEW_UNITS),
        trajectory_limits: tuple[int, int] | None = None,
    ) -> None:
        self.clock = clock
        self.unit_view_size = unit_view_size
        self.started = clock()
        self.config = cfg = parse_config(config)
        # The optimizer and schedule first: their registries vet the hyperparameters before any data loads.
        self.optimizer = make_mlp_optimizer(cfg.optimizer)
        self.schedule = make_schedule(cfg.optimizer.schedule, self.optimizer.params["lr"], field="optimizer.schedule")
        self.data = data if data is not None else load_data(cfg, mnist_dir, max_samples, data_dir)
        self._set_up_data()
        seeds = np.random.SeedSequence(cfg.seed).spawn(4)
        init_rng, self._shuffle_rng, dropout_rng, telemetry_rng = (np.random.default_rng(s) for s in seeds)
        self.network = self._build_network(init_rng, dropout_rng)
        self._set_up_training()
        self._set_up_telemetry(telemetry_rng)
        self.step_count = self.epoch = self.batch = self.epochs_run = 0
        self.history: list[dict[str, Any]] = []
        self.status = "running"
        self.diverged_at: int | None = None
        self.stopped_early = self.restored = False
        self.lr = float(self.schedule(0))
        self.telemetry_seconds = 0.0
        self._best_val: tuple[float, int] | None = None  # (val_loss, epoch) when not early stopping
        self._order = np.arange(self.n_train)
        self._loss_sum, self._correct, self._seen = 0.0, 0, 0
        self._last_deltas: list[np.ndarray] | None = None
        self._n_metrics = 0
        self.trajectory: WeightTrajectory | None = None
        if trajectory_limits is not None and cfg.trajectory:
            max_parameters, max_snapshots = trajectory_limits
            if sum(p.size for p in self.params) <= max_parameters:
                self.trajectory = WeightTrajectory(self.network, cfg.epochs, max_snapshots)

    # ------------------------------------------------------------------------ set-up

    def _set_up_data(self) -> None:
        data = self.data
        self.x_train, self.y_train = data.x_train, np.asarray(data.y_train, dtype=np.intp)
        self.x_val, self.y_val = data.x_val, np.asarray(data.y_val, dtype=np.intp)
        self.n_train = len(self.y_train)
        if self.n_train == 0:
            raise InputError("dataset", "the training split is empty", "dataset.empty_training_split")
        self.is_2d = bool(getattr(data, "is_2d", False)) and self.x_train.shape[1] == 2

    def _build_network(self, init_rng: np.random.Generator, dropout_rng: np.random.Generator) -> MLP:
        model = self.config.model
        return MLP(
            n_in=self.x_train.shape[1],
            hidden=list(model.hidden),
            n_out=int(self.data.n_classes),
            activation=model.activation,
            init=model.init,
            init_std=model.init_std,
            batch_norm=model.batch_norm,
            bn_momentum=model.bn_momentum,
            dropout=model.dropout,
            rng=init_rng,
            dropout_rng=dropout_rng,
        )

    def _set_up_training(self) -> None:
        cfg = self.config
        clip = cfg.optimizer.clip
        self.clip = to_dict(clip) if clip is not None else None
        self.stopper: EarlyStopping | None = None
        if cfg.early_stopping is not None:
            if len(self.y_val) == 0:
                raise InputError(
                    "early_stopping",
                    "early stopping needs a validation split (a validation share above 0)",
                    "early_stopping.needs_validation",
                    {"monitor": cfg.early_stopping.monitor},
                )
            es = cfg.early_stopping
            self.stopper = EarlyStopping(es.monitor, es.min_delta, es.patience, es.mode, es.restore_best_weights)
        batch_size = cfg.batch_size
        self.batch_size = self.n_train if batch_size == 0 or batch_size >= self.n_train else batch_size
        self.steps_per_epoch = math.ceil(self.n_train / self.batch_size)
        self.total_steps = cfg.epochs * self.steps_per_epoch
        net = self.network
        self.params, self.grads = net.params(), net.grads()
        self.opt_state = self.optimizer.init_state(self.params)

    def _set_up_telemetry(self, rng: np.random.Generator) -> None:
        tel, net = self.config.telemetry, self.network
        tel_idx = np.sort(rng.choice(self.n_train, size=min(tel.sample_size, self.n_train), replace=False))
        x_tel = self.x_train[tel_idx]
        self.boundary_idx = (
            np.sort(rng.choice(self.n_train, size=min(BOUNDARY_POINTS, self.n_train), replace=False))
            if self.is_2d
            else None
        )
        # An evenly strided training subset (no random draw, so the other streams are unchanged).
        train_ev = np.unique(np.linspace(0, self.n_train - 1, min(self.n_train, TRAIN_EVAL_SAMPLES)).astype(np.intp))
        self.frames = FrameSource(
            x_tel=x_tel,
            x_val=self.x_val[:VAL_EVENT_SAMPLES],
            y_val=self.y_val[:VAL_EVENT_SAMPLES],
            x_train=self.x_train[train_ev],
            y_train=self.y_train[train_ev],
            recorder=TelemetryRecorder(self.config.model.activation, len(net.blocks), tel.bins),
            hidden_w=[i for i, info in enumerate(net.param_info) if info.is_weight and info.layer <= len(net.blocks)],
            unit_view_size=self.unit_view_size,
            tel_rows=rows_within(train_ev[:VAL_EVENT_SAMPLES], tel_idx),
        )

    # ------------------------------------------------------------------------ state

    @property
    def finished(self) -> bool:
        """True once the run is done, diverged or cancelled."""
        return self.status != "running"

    @property
    def epoch_complete(self) -> bool:
        """True when the current epoch's mini-batches are all done (time for :meth:`end_epoch`)."""
        return self.epoch > self.epochs_run and self.batch == self.steps_per_epoch

    @property
    def epoch_progress(self) -> float:
        """Epochs done as a fraction, e.g. 2.5 halfway through the third epoch."""
        return 0.0 if self.epoch == 0 else (self.epoch - 1) + self.batch / self.steps_per_epoch

    def timing(self) -> dict[str, Any]:
        """``{"progress", "elapsed", "eta"}``: share of the planned steps done, seconds so far and left."""
        step, total = self.step_count, self.total_steps
        elapsed = self.clock() - self.started
        eta = elapsed / step * (total - step) if step else None
        return {"progress": step / total, "elapsed": elapsed, "eta": finite_or_none(eta)}

    def running_train_metrics(self) -> tuple[float | None, float | None]:
        """Mean training loss and accuracy over the current epoch's batches so far."""
        if not self._seen:
            return None, None
        return finite_or_none(self._loss_sum / self._seen), self._correct / self._seen

    # ------------------------------------------------------------------------ driving

    def step(self) -> bool:
        """One optimizer step on the next mini-batch (beginning an epoch when needed).

        Returns False (and sets ``status`` to ``"diverged"``) when the training loss is not finite.
        """
        if self.finished:
            raise RuntimeError(f"the run is {self.status}")
        if self.epoch == self.epochs_run:  # the previous epoch has ended: begin the next one
            self.epoch += 1
            self.batch = 0
            self._order = self._shuffle_rng.permutation(self.n_train)
            self._loss_sum, self._correct, self._seen = 0.0, 0, 0
        if self.batch == self.steps_per_epoch:
            raise RuntimeError("the epoch is complete: call end_epoch() first")
        idx = self._order[self.batch * self.batch_size : (self.batch + 1) * self.batch_size]
        with np.errstate(**QUIET):  # type: ignore[arg-type]  # keys are errstate's
            return self._train_step(self.x_train[idx], self.y_train[idx])

    def _train_step(self, xb: np.ndarray, yb: np.ndarray) -> bool:
        """Forward, backward, clip, update on one batch ``xb`` ``(B, D)``, ``yb`` ``(B,)``."""
        net, reg = self.network, self.config.regularization
        total = net.loss(xb, yb, l1=reg.l1, l2=reg.l2, training=True)
        if not math.isfinite(total):
            self.status, self.diverged_at = "diverged", self.step_count
            return False
        net.backward()
        used = clip_gradients(self.grads, self.clip, field="optimizer.clip")
        self.lr = float(self.schedule(self.step_count))
        self.step_count += 1
        deltas = self.optimizer.update(
            self.params, used, self.opt_state, self.step_count, self.lr, decay_mask=net.decay_mask
        )
        for p, d in zip(self.params, deltas, strict=True):
            p += d
        self._last_deltas = deltas
        self.batch += 1
        self._loss_sum += net.data_loss * len(yb)
        self._correct += int(np.sum(np.argmax(net.last_logits, axis=1) == yb))
        self._seen += len(yb)
        return True

    def end_epoch(self) -> dict[str, Any]:
        """Validate on the full split, apply early stopping and return the epoch record.

        The record is ``{"step", "epoch", "progress", "elapsed", "eta", "train_loss", "train_acc",
        "train_loss_eval", "train_accuracy_eval", "val_loss", "val_acc", "lr"}``; it is also
        appended to ``history``. The run is ``done`` after its last epoch or when early stopping
        fires.
        """
        if not self.epoch_complete:
            raise RuntimeError("the epoch is not complete")
        self.epochs_run = self.epoch
        with np.errstate(**QUIET):  # type: ignore[arg-type]
            val_loss, val_acc = evaluate(self.network, self.x_val, self.y_val)
            train_eval = evaluate(self.network, self.frames.x_train, self.frames.y_train)
        train_loss, train_acc = self.running_train_metrics()
        record = {
            "step": self.step_count,
            "epoch": self.epoch,
            **self.timing(),
            "train_loss": train_loss,
            "train_acc": train_acc,
            "train_loss_eval": train_eval[0],
            "train_accuracy_eval": train_eval[1],
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": finite_or_none(self.lr),
        }
        self.history.append(record)
        if self.trajectory is not None:
            self.trajectory.record(self.network, self.epoch, self.step_count)
        if self.stopper is not None:
            monitored = val_loss if self.stopper.monitor == "val_loss" else val_acc
            if self.stopper.on_epoch_end(self.epoch, monitored, self.network.get_weights):
                self.stopped_early = True
                self.restored = self.stopper.restore(self.network.set_weights)
                self.status = "done"
        elif val_loss is not None and (self._best_val is None or val_loss < self._best_val[0]):
            self._best_val = (val_loss, self.epoch)
        if self.epochs_run == self.config.epochs:
            self.status = "done"
        return record

    def cancel(self) -> None:
        """Stop the run where it is (its summary then skips the final evaluation)."""
        if not self.finished:
            self.status = "cancelled"

    # ------------------------------------------------------------------------ reporting

    def metrics(self) -> dict[str, Any]:
        """A metrics frame: running training metrics, validation on a fixed subset, per-layer telemetry.

        ``{"step", "epoch", "progress", "elapsed", "eta", "train_loss", "train_acc",
        "train_loss_eval", "train_accuracy_eval", "val_loss", "val_acc", "lr", "mode": "batch",
        "layers", "units"}`` plus, for 2-D data, a ``boundary`` every ``BOUNDARY_EVERY``-th frame.
        The time spent here is counted in ``telemetry_seconds`` (the cost of watching).
        """
        t_frame = time.perf_counter()
        net = self.network
        with np.errstate(**QUIET):  # type: ignore[arg-type]
            train_loss, train_acc = self.running_train_metrics()
            payload: dict[str, Any] = {
                "step": self.step_count,
                "epoch": self.epoch_progress,
                **self.timing(),
                "train_loss": train_loss,
                "train_acc": train_acc,
                "lr": finite_or_none(self.lr),
                **self.frames.network_frame(net, self.params, self.grads, self._last_deltas),
            }
            if self.is_2d and self._n_metrics % BOUNDARY_EVERY == 0:
                payload["boundary"] = decision_boundary(net, self.data, points=self.boundary_idx)
        self._n_metrics += 1
        self.telemetry_seconds += time.perf_counter() - t_frame
        return payload

    @property
    def best_epoch(self) -> int | None:
        """The early-stopping best epoch, or the epoch of the lowest validation loss."""
        if self.stopper is not None:
            return self.stopper.best_epoch
        return self._best_val[1] if self._best_val else None

    def summary(self) -> dict[str, Any]:
        """The ``done`` summary (docs/API.md): final metrics on every split (skipped when cancelled)."""
        out: dict[str, Any] = {
            "status": self.status,
            "epochs_run": self.epochs_run,
            "steps": self.step_count,
            "stopped_early": self.stopped_early,
            "best_epoch": self.best_epoch,
            "restored_best_weights": self.restored,
            "diverged_at": self.diverged_at,
            **dict.fromkeys(("test_loss", "test_acc", "train_loss", "train_acc", "val_loss", "val_acc")),
            "confusion": None,
            "classes": [str(c) for c in self.data.class_names],
            "elapsed": self.clock() - self.started,
        }
        if self.status != "cancelled":
            with np.errstate(**QUIET):  # type: ignore[arg-type]
                out.update(final_metrics(self.network, self.data))
                if self.is_2d:
                    out["boundary"] = decision_boundary(self.network, self.data, points=self.boundary_idx)
        out["telemetry_seconds"] = self.telemetry_seconds
        return out

"""The Training Lab's job loop: :func:`train` drives a :class:`~app.core.nn.run.TrainingRun` and streams events.

``train(config, emit, should_stop)`` reports as it goes (docs/API.md "Training Lab"):

* ``emit("metrics", …)`` at step 0 (the network at initialisation: telemetry and validation
  metrics, no training loss yet) and then every ``telemetry.interval`` optimizer steps
  (:meth:`TrainingRun.metrics`) — stretched by :class:`~app.core.nn.frame_budget.FrameBudget` so
  frames cost at most ``limits["telemetry_budget"]`` of the training time (``telemetry.adaptive``);
* ``emit("epoch", …)`` at each epoch end (:meth:`TrainingRun.end_epoch`);
* the return value is the summary (:meth:`TrainingRun.summary`, the ``done`` event).

* **Divergence**: a non-finite training loss stops the run; the summary has ``status:
  "diverged"`` and ``diverged_at`` (the step). This is a result, not an error.
* **Cancellation**: ``should_stop()`` is polled before every step; a cancelled run returns at once
  with ``status: "cancelled"`` and no test evaluation.
* **Pause and single steps**: ``should_stop`` may block (the job manager's gate does while a job
  is paused) and may be a :class:`StepGate`: ``frame_due()`` is True right after the last of a
  granted number of single steps, so a metrics frame follows that step whatever the interval, and
  ``stepping()`` is True while granted single steps run, when no interval frame is emitted (the
  frames of two step requests of n steps are then exactly n steps apart).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from app.core.nn.config import TrainingConfig, parse_config
from app.core.nn.evaluation import BOUNDARY_GRID, BOUNDARY_POINTS, confusion_matrix, decision_boundary, evaluate
from app.core.nn.frame_budget import DEFAULT_BUDGET, FrameBudget
from app.core.nn.frames import UNIT_VIEW_INPUTS, UNIT_VIEW_UNITS, VAL_EVENT_SAMPLES
from app.core.nn.options import check_limits
from app.core.nn.run import BOUNDARY_EVERY, TrainingRun
from app.core.nn.sharpness import SharpnessProbe
from app.core.nn.trajectory_files import save_trajectory

__all__ = [
    "BOUNDARY_EVERY", "BOUNDARY_GRID", "BOUNDARY_POINTS", "VAL_EVENT_SAMPLES", "Emit", "ShouldStop", "StepGate",
    "TrainingRun", "confusion_matrix", "decision_boundary", "evaluate", "train",
]  # fmt: skip

Emit = Callable[[str, dict[str, Any]], None]
ShouldStop = Callable[[], bool]


@runtime_checkable
class StepGate(Protocol):
    """A ``should_stop`` that can also ask for a metrics frame after the step it lets through."""

    def __call__(self) -> bool: ...

    def frame_due(self) -> bool: ...

    def stepping(self) -> bool: ...


def train(
    config: TrainingConfig | Mapping[str, Any],
    emit: Emit,
    should_stop: ShouldStop,
    mnist_dir: Path | str | None = None,
    limits: Mapping[str, Any] | None = None,
    *,
    max_samples: int | None = None,
    data: Any = None,
    unit_view_size: tuple[int, int] | None = None,
    data_dir: Path | str | None = None,
    telemetry_budget: float | None = None,
) -> dict[str, Any]:
    """Train an MLP as ``config`` says, streaming events through ``emit``.

    Parameters
    ----------
    config : TrainingConfig or mapping
        The training configuration (a mapping is parsed; missing fields take their defaults).
    emit : callable
        ``emit(name, payload)`` with name ``"metrics"`` or ``"epoch"``.
    should_stop : callable
        Polled before every optimizer step; True ends the run (``status: "cancelled"``).
    mnist_dir : path or None
        Folder of the MNIST IDX files (``Settings.mnist_dir``).
    limits : mapping or None
        Server limits (``Settings.model_dump()``) for callers that bypass the API: the fields'
        settings-dependent maxima (``max_layers``, ``max_width``, ``max_epochs``, …) are checked
        against those present, and ``max_samples`` bounds the data set loaded.
    max_samples : int or None
        Largest data set to load (``Settings.max_samples``; ``limits["max_samples"]`` when None).
    data : object or None
        A ready :class:`~app.core.datasets.Split`; loaded from ``config.dataset`` when None.
    unit_view_size : (int, int) or None
        Most inputs and units of the per-unit view (``limits["max_unit_view_inputs"]`` and
        ``["max_unit_view_units"]``, or the engine's defaults, when None).
    data_dir : path or None
        Where uploaded data sets are stored (``Settings.data_dir``; ``limits["data_dir"]`` when None).
    telemetry_budget : float or None
        Share of the training time the frames may cost (``Settings.telemetry_budget``;
        ``limits["telemetry_budget"]`` or ``DEFAULT_BUDGET`` when None), see ``frame_budget.py``.

    Returns
    -------
    dict
        ``{"status": "done" | "diverged" | "cancelled", "epochs_run", "steps", "stopped_early",
        "best_epoch", "restored_best_weights", "diverged_at", "test_loss", "test_acc",
        "train_loss", "train_acc", "val_loss", "val_acc", "confusion", "classes", "elapsed",
        "telemetry_seconds"}`` plus ``"boundary"`` for 2-D data sets. Every float is finite or None.

    Raises
    ------
    InputError
        Inconsistent configuration (see :class:`TrainingRun`) or a value above ``limits``.
    """
    cfg = parse_config(config)
    limits = dict(limits or {})
    check_limits(cfg, limits)
    max_samples = max_samples if max_samples is not None else limits.get("max_samples")
    if unit_view_size is None:
        unit_view_size = (
            int(limits.get("max_unit_view_inputs", UNIT_VIEW_INPUTS)),
            int(limits.get("max_unit_view_units", UNIT_VIEW_UNITS)),
        )
    keep_trajectory = "landscape_max_parameters" in limits
    run = TrainingRun(
        cfg,
        data=data,
        mnist_dir=mnist_dir,
        max_samples=max_samples,
        unit_view_size=unit_view_size,
        data_dir=data_dir or limits.get("data_dir"),
        trajectory_limits=(int(limits["landscape_max_parameters"]), int(limits["landscape_max_snapshots"]))
        if keep_trajectory
        else None,
    )
    tel = cfg.telemetry
    if telemetry_budget is None:
        telemetry_budget = float(limits.get("telemetry_budget", DEFAULT_BUDGET))
    budget = FrameBudget(tel.interval, run.total_steps, telemetry_budget, tel.adaptive)  # thread CPU time
    gate = should_stop if isinstance(should_stop, StepGate) else None
    probe = None
    if cfg.sharpness is not None:
        reg = cfg.regularization
        probe = SharpnessProbe(cfg.sharpness, run.x_train, run.y_train, reg.l1, reg.l2, cfg.seed)
        emit("sharpness", probe.measure(run.network, 0, run.lr))
    budget.send(emit, run.metrics, 0)  # step 0: the network at initialisation
    while not run.finished:
        if should_stop():
            run.cancel()
            break
        if not run.step():
            break  # diverged
        requested = gate.frame_due() if gate is not None else False
        # while a paused job takes granted single steps, only the closing frame is sent
        stepping = gate.stepping() if gate is not None else False
        if requested or (not stepping and budget.due(run.step_count)):
            budget.send(emit, run.metrics, run.step_count)
        if probe is not None and probe.due(run.step_count):
            emit("sharpness", probe.measure(run.network, run.step_count, run.lr))
        if run.epoch_complete:
            emit("epoch", run.end_epoch())
    summary = run.summary()
    if run.trajectory is not None and keep_trajectory:
        summary["trajectory_id"] = None
        if run.status == "done":  # diverged weights are not finite; a cancelled run has no final evaluation
            run.trajectory.finish(run.network, run.epochs_run, run.step_count)
            keep = int(limits.get("landscape_max_trajectories", 200))
            summary["trajectory_id"] = save_trajectory(run.trajectory, data_dir or limits.get("data_dir"), keep)
    return summary

"""The Training Lab's training loop (docs/networks.md, docs/telemetry.md; docs/API.md "Training Lab").

``train(config, emit, should_stop)`` trains an :class:`~app.core.nn.network.MLP` on a data set and
reports as it goes:

* ``emit("metrics", …)`` at step 0 (the network at initialisation: telemetry and validation
  metrics, no training loss yet) and then every ``telemetry.interval`` optimizer steps: running averages of the
  training loss/accuracy over the current epoch's batches so far, validation loss/accuracy, the
  learning rate, per-hidden-layer telemetry (``telemetry.py``) and, for 2-D data sets, every
  ``BOUNDARY_EVERY``-th metrics event a decision-boundary grid;
* ``emit("epoch", …)`` at each epoch end (same fields without ``layers``; validation on the full
  validation split);
* the return value is the summary of docs/API.md (``done`` event).

Decisions worth knowing:

* **Losses reported** (``train_loss``, ``val_loss``, ``test_loss``) are the mean cross-entropy
  *without* the L1/L2 penalty, so training and validation numbers are comparable; the optimizer
  minimises cross-entropy + penalty, and divergence is judged on that total.
* **Telemetry** uses a fixed sample of ``telemetry.sample_size`` training inputs (drawn once from
  the job seed) pushed through the network in *inference mode*: no dropout, and batch norm with
  its running statistics — what the network computes at prediction time, and the same inputs in
  every frame so the histograms are comparable. ``grad_norm`` is ‖∂L/∂W‖ of the latest step
  before clipping; ``update_ratio`` uses the latest update ΔW.
* **Validation in metrics events** uses at most ``VAL_EVENT_SAMPLES`` validation samples (a fixed
  subset) to keep frequent events cheap; ``epoch`` events and the summary use the full split.
* **Reproducibility**: the job seed feeds independent streams (``SeedSequence.spawn``) for the
  initial weights, the shuffling, the dropout masks and the telemetry sample, so two jobs that
  differ only in, say, the optimizer start from identical weights and see the same batches.
* **Divergence**: a non-finite training loss stops the run; the summary has ``status:
  "diverged"`` and ``diverged_at`` (the step). This is a result, not an error.
* **Cancellation**: ``should_stop()`` is polled before every step; a cancelled run returns at once
  with ``status: "cancelled"`` and no test evaluation.
* **Early stopping** follows Keras (``early_stopping.py``): best weights are restored only when
  training stops early.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import InputError
from app.core.nn.early_stopping import EarlyStopping
from app.core.nn.network import MLP
from app.core.nn.telemetry import TelemetryRecorder, finite_or_none
from app.core.optim.gradients import clip_gradients
from app.core.optim.optimizers import make_optimizer
from app.core.optim.schedules import make_schedule

Emit = Callable[[str, dict[str, Any]], None]
ShouldStop = Callable[[], bool]

#: Most validation samples evaluated for a ``metrics`` event (epoch events use all of them).
VAL_EVENT_SAMPLES = 2000
#: A decision boundary is attached to every this-many-th metrics event (the first one included).
BOUNDARY_EVERY = 3
#: Grid points per axis of a decision boundary.
BOUNDARY_GRID = 60
#: Most training points sent with a decision boundary.
BOUNDARY_POINTS = 400

#: Defaults of docs/API.md, used for any field a (test) caller leaves out.
DEFAULT_CONFIG: dict[str, Any] = {
    "label": "",
    "dataset": {"name": "digits", "seed": 0, "val_fraction": 0.2, "test_fraction": 0.2},
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
    "early_stopping": None,
    "telemetry": {"interval": 50, "bins": 30, "sample_size": 256},
}


def resolve_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every missing field (at the first two levels) taken from ``DEFAULT_CONFIG``."""
    out = copy.deepcopy(DEFAULT_CONFIG)
    for key, value in config.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **{k: v for k, v in value.items() if v is not None or k in ("schedule", "clip")}}
        else:
            out[key] = copy.deepcopy(value)
    return out


# ---------------------------------------------------------------------------- validation


def _number(value: Any, field: str, lo: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < lo:
        raise InputError(field, f"must be a finite number ≥ {lo:g}, got {value!r}")
    return float(value)


def _integer(value: Any, field: str, lo: int, hi: int | None = None, limit_name: str | None = None) -> int:
    if (
        isinstance(value, bool)
        or (not isinstance(value, (int, np.integer))
        and not (isinstance(value, float) and value.is_integer()))
    ):
        raise InputError(field, f"must be an integer, got {value!r}")
    value = int(value)
    if value < lo:
        raise InputError(field, f"must be ≥ {lo}, got {value}")
    if hi is not None and value > hi:
        limit = f" (server limit {limit_name})" if limit_name else ""
        raise InputError(field, f"must be ≤ {hi}{limit}, got {value}")
    return value


def _check(cfg: dict[str, Any], limits: Mapping[str, Any]) -> None:
    """Raise ``InputError`` for values the loop cannot run with (bounds from ``limits`` if given)."""
    model = cfg["model"]
    hidden = model["hidden"]
    if not isinstance(hidden, (list, tuple)):
        raise InputError("model.hidden", "must be a list of layer widths")
    max_layers = limits.get("max_layers")
    if max_layers is not None and len(hidden) > max_layers:
        raise InputError(
            "model.hidden", f"at most {max_layers} hidden layers (server limit max_layers), got {len(hidden)}"
        )
    for i, width in enumerate(hidden):
        _integer(width, f"model.hidden.{i}", 1, limits.get("max_width"), "max_width")
    _integer(cfg["epochs"], "epochs", 1, limits.get("max_epochs"), "max_epochs")
    _integer(cfg["batch_size"], "batch_size", 0)
    _integer(cfg["seed"], "seed", 0)
    _number(model["init_std"], "model.init_std")
    _number(model["dropout"], "model.dropout")
    if model["dropout"] >= 1:
        raise InputError("model.dropout", f"must be < 1, got {model['dropout']}")
    for key in ("l1", "l2"):
        _number(cfg["regularization"].get(key, 0.0), f"regularization.{key}")
    tel = cfg["telemetry"]
    _integer(tel["interval"], "telemetry.interval", 1)
    _integer(tel["bins"], "telemetry.bins", 1, 1000)
    _integer(tel["sample_size"], "telemetry.sample_size", 1)


# ---------------------------------------------------------------------------- evaluation


def evaluate(net: MLP, x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """Mean cross-entropy and accuracy of ``net`` in inference mode (None, None for no samples)."""
    if len(y) == 0:
        return None, None
    logits = net.logits(x)
    loss = net.loss_layer.forward(logits, y)
    acc = float(np.mean(np.argmax(logits, axis=1) == y))
    return finite_or_none(loss), acc


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> list[list[int]]:
    """C×C counts: row = true class, column = predicted class."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, dtype=np.intp), np.asarray(y_pred, dtype=np.intp)), 1)
    return m.tolist()


def decision_boundary(net: MLP, data: Any, n: int = BOUNDARY_GRID, points: np.ndarray | None = None) -> dict[str, Any]:
    """Class predictions on an n×n grid over a 2-D data set's raw range.

    Returns ``{"x": [n], "y": [n], "z": [[n] × n] (z[i][j] = class at (x[j], y[i])),
    "points": {"x", "y", "label"}}`` in raw (unstandardised) coordinates.
    """
    bounds = getattr(data, "raw_bounds", None)
    to_raw = getattr(data, "inverse_transform", None)
    to_model = getattr(data, "transform", None)
    x_train = data.x_train
    if to_raw is None or to_model is None:  # no transform known: draw in model coordinates
        to_raw = to_model = lambda a: np.asarray(a, dtype=np.float64)
    raw_train = to_raw(x_train)
    if bounds is None:
        lo, hi = raw_train.min(axis=0), raw_train.max(axis=0)
        pad = np.maximum(0.1 * (hi - lo), 0.1)
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    gx = np.linspace(bounds[0][0], bounds[0][1], n)
    gy = np.linspace(bounds[1][0], bounds[1][1], n)
    xx, yy = np.meshgrid(gx, gy)  # xx[i, j] = gx[j], yy[i, j] = gy[i]
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    z = net.predict(np.asarray(to_model(grid), dtype=net.dtype)).reshape(n, n)
    idx = points if points is not None else np.arange(min(len(x_train), BOUNDARY_POINTS))
    pts = raw_train[idx]
    return {
        "x": [float(v) for v in gx],
        "y": [float(v) for v in gy],
        "z": z.astype(int).tolist(),
        "points": {
            "x": [finite_or_none(v) for v in pts[:, 0]],
            "y": [finite_or_none(v) for v in pts[:, 1]],
            "label": [int(v) for v in data.y_train[idx]],
        },
    }


# ---------------------------------------------------------------------------- the loop


def train(
    config: Mapping[str, Any],
    emit: Emit,
    should_stop: ShouldStop,
    mnist_dir: Path | str | None = None,
    limits: Mapping[str, Any] | None = None,
    *,
    data: Any = None,
) -> dict[str, Any]:
    """Train an MLP as ``config`` says, streaming events through ``emit``.

    Parameters
    ----------
    config : mapping
        The training configuration of docs/API.md (missing fields take its defaults).
    emit : callable
        ``emit(name, payload)`` with name ``"metrics"`` or ``"epoch"``.
    should_stop : callable
        Polled before every optimizer step; True ends the run (``status: "cancelled"``).
    mnist_dir : path or None
        Folder of the MNIST IDX files (``Settings.mnist_dir``).
    limits : mapping or None
        Server bounds (``Settings.model_dump()``): ``max_layers``, ``max_width``, ``max_epochs``,
        ``max_samples`` are enforced when present.
    data : object or None
        A ready :class:`~app.core.datasets.Split` (or any object with ``x_train``, ``y_train``,
        ``x_val``, ``y_val``, ``x_test``, ``y_test``, ``n_classes``, ``class_names``, ``is_2d``);
        loaded from ``config["dataset"]`` when None.

    Returns
    -------
    dict
        ``{"status": "done" | "diverged" | "cancelled", "epochs_run", "steps", "stopped_early",
        "best_epoch", "restored_best_weights", "diverged_at", "test_loss", "test_acc",
        "train_loss", "train_acc", "val_loss", "val_acc", "confusion", "classes", "elapsed"}``
        plus ``"boundary"`` for 2-D data sets. Every float is finite or None.

    Raises
    ------
    InputError
        Inconsistent configuration (unknown ids, out-of-bound values, early stopping without a
        validation split, an optimizer that cannot train an MLP, …).
    """
    t_start = time.perf_counter()
    cfg = resolve_config(config)
    limits = dict(limits or {})
    _check(cfg, limits)
    model, reg, opt_cfg, tel = cfg["model"], cfg["regularization"], cfg["optimizer"], cfg["telemetry"]

    # --- data, network, optimizer -------------------------------------------------------
    if data is None:
        from app.core.datasets import DEFAULT_MAX_SAMPLES, load_dataset

        data = load_dataset(cfg["dataset"], mnist_dir, limits.get("max_samples") or DEFAULT_MAX_SAMPLES)
    x_train, y_train = data.x_train, np.asarray(data.y_train, dtype=np.intp)
    x_val, y_val = data.x_val, np.asarray(data.y_val, dtype=np.intp)
    x_test, y_test = data.x_test, np.asarray(data.y_test, dtype=np.intp)
    n_train = len(y_train)
    if n_train == 0:
        raise InputError("dataset", "the training split is empty")

    seeds = np.random.SeedSequence(cfg["seed"]).spawn(4)
    init_rng, shuffle_rng, dropout_rng, telemetry_rng = (np.random.default_rng(s) for s in seeds)
    net = MLP(
        n_in=x_train.shape[1],
        hidden=model["hidden"],
        n_out=int(data.n_classes),
        activation=model["activation"],
        init=model["init"],
        init_std=float(model["init_std"]),
        batch_norm=bool(model["batch_norm"]),
        bn_momentum=float(model["bn_momentum"]),
        dropout=float(model["dropout"]),
        rng=init_rng,
        dropout_rng=dropout_rng,
    )
    optimizer = _make_optimizer(opt_cfg)
    schedule = make_schedule(opt_cfg.get("schedule"), optimizer.params["lr"], field="optimizer.schedule")
    clip_spec = opt_cfg.get("clip")
    if clip_spec is not None:
        clip_gradients([np.zeros(1)], clip_spec, field="optimizer.clip")  # validate before training

    es_cfg = cfg.get("early_stopping")
    stopper = None
    if es_cfg:
        if len(y_val) == 0:
            raise InputError("early_stopping", "early stopping needs a validation split (dataset.val_fraction > 0)")
        stopper = EarlyStopping(
            monitor=es_cfg.get("monitor", "val_loss"),
            min_delta=_number(es_cfg.get("min_delta", 0.0), "early_stopping.min_delta", -math.inf),
            patience=_integer(es_cfg.get("patience", 0), "early_stopping.patience", 0),
            mode=es_cfg.get("mode", "auto"),
            restore_best_weights=bool(es_cfg.get("restore_best_weights", False)),
        )

    l1, l2 = float(reg.get("l1", 0.0)), float(reg.get("l2", 0.0))
    batch_size = int(cfg["batch_size"])
    if batch_size == 0 or batch_size >= n_train:
        batch_size = n_train  # batch gradient descent
    steps_per_epoch = math.ceil(n_train / batch_size)
    epochs = int(cfg["epochs"])
    total_steps = epochs * steps_per_epoch
    interval = int(tel["interval"])

    # --- fixed samples for telemetry, validation events and boundary points -------------
    tel_idx = np.sort(telemetry_rng.choice(n_train, size=min(int(tel["sample_size"]), n_train), replace=False))
    x_tel = x_train[tel_idx]
    x_val_ev, y_val_ev = x_val[:VAL_EVENT_SAMPLES], y_val[:VAL_EVENT_SAMPLES]
    is_2d = bool(getattr(data, "is_2d", False)) and x_train.shape[1] == 2
    boundary_idx = (
        np.sort(telemetry_rng.choice(n_train, size=min(BOUNDARY_POINTS, n_train), replace=False)) if is_2d else None
    )
    recorder = TelemetryRecorder(model["activation"], len(net.blocks), int(tel["bins"]))

    params, grads = net.params(), net.grads()
    decay_mask = net.decay_mask
    hidden_w = [i for i, info in enumerate(net.param_info) if info.is_weight and info.layer <= len(net.blocks)]
    opt_state = optimizer.init_state(params)
    last_deltas: list[np.ndarray] | None = None

    status = "done"
    step = 0
    epochs_run = 0
    diverged_at: int | None = None
    lr = float(schedule(0))
    n_metrics = 0
    telemetry_seconds = 0.0
    best_val: tuple[float, int] | None = None  # (val_loss, epoch) when not early stopping
    stopped_early = False

    def timing() -> dict[str, Any]:
        elapsed = time.perf_counter() - t_start
        eta = elapsed / step * (total_steps - step) if step else None
        return {"progress": step / total_steps, "elapsed": elapsed, "eta": finite_or_none(eta)}

    def emit_metrics(epoch_value: float, train_loss: float | None, train_acc: float | None) -> None:
        """One ``metrics`` event: curves plus per-layer telemetry of the fixed sample."""
        nonlocal n_metrics, telemetry_seconds
        t_frame = time.perf_counter()
        val_loss, val_acc = evaluate(net, x_val_ev, y_val_ev)
        net.forward(x_tel, training=False)
        updates = last_deltas if last_deltas is not None else [None] * len(params)
        layers = recorder.frame(
            net.pre_activations,
            net.activations,
            [params[i] for i in hidden_w],
            [grads[i] for i in hidden_w] if last_deltas is not None else [None] * len(hidden_w),
            [updates[i] for i in hidden_w],
        )
        payload = {
            "step": step,
            "epoch": epoch_value,
            **timing(),
            "train_loss": finite_or_none(train_loss),
            "train_acc": train_acc,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": finite_or_none(lr),
            "layers": layers,
        }
        if is_2d and n_metrics % BOUNDARY_EVERY == 0:
            payload["boundary"] = decision_boundary(net, data, points=boundary_idx)
        n_metrics += 1
        telemetry_seconds += time.perf_counter() - t_frame  # the cost of watching, not of training
        emit("metrics", payload)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        # Step 0: the network at initialisation (histograms before any training; no batch yet).
        emit_metrics(0.0, None, None)
        for epoch in range(1, epochs + 1):
            order = shuffle_rng.permutation(n_train)
            loss_sum, correct, seen = 0.0, 0, 0
            for b in range(steps_per_epoch):
                if should_stop():
                    status = "cancelled"
                    break
                idx = order[b * batch_size : (b + 1) * batch_size]
                xb, yb = x_train[idx], y_train[idx]
                total = net.loss(xb, yb, l1=l1, l2=l2, training=True)
                if not math.isfinite(total):
                    status, diverged_at = "diverged", step
                    break
                net.backward()
                used = clip_gradients(grads, clip_spec, field="optimizer.clip")
                lr = float(schedule(step))
                step += 1
                last_deltas = optimizer.update(params, used, opt_state, step, lr, decay_mask=decay_mask)
                for p, d in zip(params, last_deltas, strict=True):
                    p += d
                loss_sum += net.data_loss * len(idx)
                correct += int(np.sum(np.argmax(net.last_logits, axis=1) == yb))
                seen += len(idx)

                if step % interval == 0:
                    emit_metrics((epoch - 1) + (b + 1) / steps_per_epoch, loss_sum / seen, correct / seen)
            if status != "done":
                break

            epochs_run = epoch
            val_loss, val_acc = evaluate(net, x_val, y_val)
            emit(
                "epoch",
                {
                    "step": step,
                    "epoch": epoch,
                    **timing(),
                    "train_loss": finite_or_none(loss_sum / seen) if seen else None,
                    "train_acc": correct / seen if seen else None,
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                    "lr": finite_or_none(lr),
                },
            )
            if stopper is not None:
                monitored = val_loss if stopper.monitor == "val_loss" else val_acc
                if stopper.on_epoch_end(epoch, monitored, net.get_weights):
                    stopped_early = True
                    break
            elif val_loss is not None and (best_val is None or val_loss < best_val[0]):
                best_val = (val_loss, epoch)

        restored = stopper.restore(net.set_weights) if stopper is not None and stopped_early else False
        summary = _summary(
            net,
            data,
            status,
            epochs_run,
            step,
            stopped_early,
            restored,
            diverged_at,
            stopper.best_epoch if stopper is not None else (best_val[1] if best_val else None),
            time.perf_counter() - t_start,
            is_2d,
            boundary_idx,
        )
        summary["telemetry_seconds"] = telemetry_seconds
        return summary


def _make_optimizer(opt_cfg: Mapping[str, Any]) -> Any:
    """The optimizer of the config, with error fields prefixed by ``optimizer``."""
    try:
        optimizer = make_optimizer(
            opt_cfg.get("optimizer", "adam"), opt_cfg.get("params") or {}, field="optimizer.optimizer"
        )
    except InputError as exc:
        field = exc.field if exc.field.startswith("optimizer") else f"optimizer.{exc.field}"
        raise InputError(field, exc.message) from exc
    if not getattr(optimizer, "mlp", True):
        raise InputError("optimizer.optimizer", f"{optimizer.id} works on 2-D surfaces only; it cannot train an MLP")
    return optimizer


def _summary(
    net: MLP,
    data: Any,
    status: str,
    epochs_run: int,
    steps: int,
    stopped_early: bool,
    restored: bool,
    diverged_at: int | None,
    best_epoch: int | None,
    elapsed: float,
    is_2d: bool,
    boundary_idx: np.ndarray | None,
) -> dict[str, Any]:
    """The ``done`` summary: final metrics on every split (skipped when cancelled)."""
    summary: dict[str, Any] = {
        "status": status,
        "epochs_run": epochs_run,
        "steps": steps,
        "stopped_early": stopped_early,
        "best_epoch": best_epoch,
        "restored_best_weights": restored,
        "diverged_at": diverged_at,
        "test_loss": None,
        "test_acc": None,
        "train_loss": None,
        "train_acc": None,
        "val_loss": None,
        "val_acc": None,
        "confusion": None,
        "classes": [str(c) for c in data.class_names],
        "elapsed": elapsed,
    }
    if status == "cancelled":
        return summary
    y_test = np.asarray(data.y_test, dtype=np.intp)
    summary["train_loss"], summary["train_acc"] = evaluate(net, data.x_train, np.asarray(data.y_train, dtype=np.intp))
    summary["val_loss"], summary["val_acc"] = evaluate(net, data.x_val, np.asarray(data.y_val, dtype=np.intp))
    summary["test_loss"], summary["test_acc"] = evaluate(net, data.x_test, y_test)
    if len(y_test):
        summary["confusion"] = confusion_matrix(y_test, net.predict(data.x_test), int(data.n_classes))
    if is_2d:
        summary["boundary"] = decision_boundary(net, data, points=boundary_idx)
    return summary

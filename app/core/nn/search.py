"""Hyperparameter search: search spaces, random and grid designs, trial configs, ranking, narrowing.

The textbook validates hyperparameters by random search (docs/experiments.md §7): draw the learning
rate from 10^U(−6, −2) and the weight decay from 10^U(−8, −4), train each draw for a few epochs on a
small training set with a 20 % validation split, rank the trials by validation accuracy, then
narrow the ranges to where the best trials are and search again ("coarse to fine", CS231n).
This module is the pure part of that (NumPy + stdlib); ``app/searches`` runs the trials.

* A **search space** is a tuple of :class:`Axis`, one per *knob* (:data:`KNOBS`): ``lr``,
  ``weight_decay`` (the L2 penalty λ of ``regularization.l2``, the textbook's
  ``weight_decay_lambda``), ``dropout``, ``batch_size`` and ``width`` (every hidden layer).
  An axis is a range ``[low, high]`` on a ``log`` or ``linear`` scale, or a list of ``choices``.
* **Random search** (:func:`random_design`): every trial draws every axis independently; a log
  axis draws u ~ U(log10 low, log10 high) and takes 10^u (log-uniform), a linear one U(low, high),
  a choice axis one of its values with equal probability. Integer knobs are rounded. A seed makes
  the design reproducible (``numpy.random.default_rng(seed)``).
* **Grid search** (:func:`grid_design`) with the same budget of n trials: the choice axes take all
  their values, and each of the d range axes gets k = ⌊(n / c)^(1/d)⌋ evenly spaced points (in
  log10 for log axes) from low to high inclusive, c being the number of choice combinations, so
  the grid has k^d · c ≤ n trials (100 trials, 2 axes: 10 × 10). Integer axes may merge points.
* **Trial configs** (:func:`trial_config`): the base :class:`~app.core.nn.config.TrainingConfig`
  with each knob's value put in place.
* **Ranking** (:func:`rank`): by final validation accuracy, best first; trials that diverged,
  failed or were cancelled come last.
* **Narrowing** (:func:`narrow`): the new range of each axis spans the values of the best ``k``
  finished trials, widened on both sides by ``margin`` (default 0.25) times that span — in log10
  units on log axes — and at least by ``margin × 0.1`` times the old span, then clipped to the old
  range; a choice axis keeps the choices the best trials used. The best trials lie inside the new
  ranges by construction.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.errors import InputError
from app.core.nn.config import DROPOUT_MAX, MAX_PENALTY, DatasetConfig, NetworkConfig, OptimizerConfig, TrainingConfig
from app.core.nn.config import RegularizationConfig as _Reg

SCALES = ("log", "linear")
METHODS = ("random", "grid")

#: Default number of trials (the textbook runs 100).
DEFAULT_TRIALS = 100
#: Default epochs per trial ("a few": each trial only has to show whether its region is promising).
DEFAULT_EPOCHS = 20
#: Default training subset: the textbook trains on the first 500 MNIST images, 20 % of them held out.
DEFAULT_SUBSET = 500
DEFAULT_VAL_FRACTION = 0.2
#: Default share of the finished trials that :func:`narrow` keeps (at least :data:`MIN_BEST`).
DEFAULT_BEST_FRACTION = 0.1
MIN_BEST = 2
DEFAULT_MARGIN = 0.25
#: Seconds between two polls of a trial's cancellation signal (a step takes milliseconds).
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Knob:
    """A hyperparameter a search can vary.

    Attributes
    ----------
    name : str
        The id used in a search space (``"lr"``).
    path : str
        Where it goes in the training config (dotted; ``model.hidden`` sets every hidden layer).
    low, high : float
        The default range.
    scale : str
        The default scale, ``"log"`` or ``"linear"``.
    integer : bool
        Values are rounded to integers.
    minimum, maximum : float
        What the engine accepts; ``exclusive_minimum`` when the minimum itself is refused.
    limit : str or None
        A server setting that lowers ``maximum`` (``max_width``, ``max_samples``).
    """

    name: str
    path: str
    low: float
    high: float
    scale: str
    integer: bool
    minimum: float
    maximum: float
    exclusive_minimum: bool = False
    limit: str | None = None


KNOBS: dict[str, Knob] = {
    k.name: k
    for k in (
        Knob("lr", "optimizer.params.lr", 1e-6, 1e-2, "log", False, 0.0, 10.0, exclusive_minimum=True),
        Knob("weight_decay", "regularization.l2", 1e-8, 1e-4, "log", False, 0.0, MAX_PENALTY),
        Knob("dropout", "model.dropout", 0.0, 0.5, "linear", False, 0.0, DROPOUT_MAX),
        Knob("batch_size", "batch_size", 16, 256, "log", True, 1, 70_000, limit="max_samples"),
        Knob("width", "model.hidden", 16, 256, "log", True, 1, 512, limit="max_width"),
    )
}
"""Every knob a search space can name, with its default range (the textbook's for lr and weight decay)."""


@dataclass(frozen=True)
class Axis:
    """One dimension of a search space: a range on a scale, or a list of choices.

    Attributes
    ----------
    knob : str
        A key of :data:`KNOBS`.
    low, high : float
        The range (ignored when ``choices`` is set).
    scale : str
        ``"log"``: sampled uniformly in log10; ``"linear"``: uniformly.
    choices : tuple of float or None
        Discrete values, each equally likely.
    """

    knob: str
    low: float
    high: float
    scale: str = "log"
    choices: tuple[float, ...] | None = None

    @property
    def spec(self) -> Knob:
        return KNOBS[self.knob]

    def to_dict(self) -> dict[str, Any]:
        """The axis as JSON-shaped data (what ``POST /api/searches`` takes in ``space``)."""
        if self.choices is not None:
            return {"knob": self.knob, "choices": list(self.choices)}
        return {"knob": self.knob, "low": self.low, "high": self.high, "scale": self.scale}

    def contains(self, value: float) -> bool:
        """Whether ``value`` is a value of this axis (within floating-point rounding)."""
        if self.choices is not None:
            return any(math.isclose(value, c, rel_tol=1e-9) for c in self.choices)
        tol = 1e-9 * max(abs(self.low), abs(self.high))
        return self.low - tol <= value <= self.high + tol


SearchSpace = tuple[Axis, ...]


def default_space() -> SearchSpace:
    """The textbook's space: lr ~ 10^U(−6, −2), weight decay ~ 10^U(−8, −4)."""
    return tuple(Axis(k.name, k.low, k.high, k.scale) for k in (KNOBS["lr"], KNOBS["weight_decay"]))


# ---------------------------------------------------------------------------- parsing


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(field, f"must be a finite number, got {value!r}"[:200], "pydantic.finite_number")
    return float(value)


def _knob_max(knob: Knob, limits: Mapping[str, Any]) -> float:
    top = limits.get(knob.limit) if knob.limit else None
    return min(knob.maximum, float(top)) if top is not None else knob.maximum


def _check_value(knob: Knob, value: float, field: str, limits: Mapping[str, Any], whole: bool = False) -> None:
    """Refuse a value the engine would not accept for ``knob`` (code ``search.out_of_bounds``)."""
    top = _knob_max(knob, limits)
    low_ok = value > knob.minimum if knob.exclusive_minimum else value >= knob.minimum
    if not low_ok or value > top:
        sign = ">" if knob.exclusive_minimum else "≥"
        raise InputError(
            field,
            f"{knob.name} must be {sign} {knob.minimum:g} and ≤ {top:g}, got {value:g}",
            "search.out_of_bounds",
            {"knob": knob.name, "minimum": knob.minimum, "maximum": top, "value": value},
        )
    if whole and knob.integer and not float(value).is_integer():
        raise InputError(field, f"{knob.name} takes whole numbers, got {value:g}", "pydantic.int_from_float")


def parse_axis(data: Mapping[str, Any], field: str, limits: Mapping[str, Any] | None = None) -> Axis:
    """An :class:`Axis` from ``{"knob", "low", "high", "scale"}`` or ``{"knob", "choices"}``.

    Raises
    ------
    InputError
        ``search.unknown_knob``; ``search.empty_range`` (low = high) and ``search.inverted_range``
        (low > high); ``search.log_bound_not_positive`` (a log range with low ≤ 0);
        ``search.out_of_bounds`` (a value the engine refuses for that knob, e.g. dropout 0.99);
        ``pydantic.*`` for wrong types — each naming ``field`` and what limits it.
    """
    limits = limits or {}
    if not isinstance(data, Mapping):
        raise InputError(field, "must be an object", "pydantic.dict_type")
    name = data.get("knob")
    if name not in KNOBS:
        raise InputError(
            f"{field}.knob",
            f"unknown knob {str(name)[:40]!r}; choose one of {', '.join(KNOBS)}",
            "search.unknown_knob",
            {"value": str(name)[:40], "expected": ", ".join(KNOBS)},
        )
    knob = KNOBS[str(name)]
    allowed = {"knob", "choices"} if "choices" in data else {"knob", "low", "high", "scale"}
    for key in data:
        if key not in allowed:
            raise InputError(
                f"{field}.{key}",
                f"unknown field; expected one of {sorted(allowed)}",
                "pydantic.extra_forbidden",
                {"expected": ", ".join(sorted(allowed))},
            )
    if "choices" in data:
        raw = data["choices"]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise InputError(f"{field}.choices", "must be a non-empty list", "search.empty_range", {"knob": knob.name})
        values = []
        for i, v in enumerate(raw):
            x = _number(v, f"{field}.choices.{i}")
            _check_value(knob, x, f"{field}.choices.{i}", limits, whole=True)
            values.append(x)
        return Axis(knob.name, min(values), max(values), "linear", tuple(dict.fromkeys(values)))
    scale = data.get("scale", knob.scale)
    if scale not in SCALES:
        raise InputError(
            f"{field}.scale",
            f"must be one of {', '.join(SCALES)}",
            "pydantic.literal_error",
            {"expected": "log, linear"},
        )
    low = _number(data.get("low", knob.low), f"{field}.low")
    high = _number(data.get("high", knob.high), f"{field}.high")
    if scale == "log" and low <= 0:
        raise InputError(
            f"{field}.low",
            f"a log-scale range needs low > 0, got {low:g} (use the linear scale to include 0)",
            "search.log_bound_not_positive",
            {"knob": knob.name, "value": low},
        )
    if low > high:
        raise InputError(
            f"{field}.high",
            f"the range is inverted: high {high:g} is below low {low:g}",
            "search.inverted_range",
            {"knob": knob.name, "low": low, "high": high},
        )
    if low == high:
        raise InputError(
            f"{field}.high",
            f"the range is empty: low = high = {low:g} (give a list of choices for one value)",
            "search.empty_range",
            {"knob": knob.name, "low": low, "high": high},
        )
    _check_value(knob, low, f"{field}.low", limits)
    _check_value(knob, high, f"{field}.high", limits)
    return Axis(knob.name, low, high, str(scale))


def parse_space(data: Sequence[Mapping[str, Any]] | None, limits: Mapping[str, Any] | None = None) -> SearchSpace:
    """A search space from a list of axis objects (None or [] → :func:`default_space`).

    Raises
    ------
    InputError
        As :func:`parse_axis` (fields ``space.<i>.…``), or ``search.duplicate_knob``.
    """
    if not data:
        return default_space()
    axes: list[Axis] = []
    for i, item in enumerate(data):
        axis = parse_axis(item, f"space.{i}", limits)
        if any(a.knob == axis.knob for a in axes):
            raise InputError(
                f"space.{i}.knob", f"{axis.knob} appears twice", "search.duplicate_knob", {"value": axis.knob}
            )
        axes.append(axis)
    return tuple(axes)


# ---------------------------------------------------------------------------- designs


def _finish(axis: Axis, x: float) -> float:
    """Round integer knobs; keep floats as they are."""
    return float(round(x)) if axis.spec.integer else float(x)


def sample_axis(axis: Axis, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` independent draws of one axis, shape ``(n,)``.

    A log axis draws u ~ U(log10 low, log10 high) and returns 10^u, so every decade of the range is
    equally likely (the textbook's ``10 ** np.random.uniform(-6, -2)``).
    """
    if axis.choices is not None:
        return np.asarray(axis.choices, dtype=float)[rng.integers(0, len(axis.choices), size=n)]
    if axis.scale == "log":
        values = 10.0 ** rng.uniform(math.log10(axis.low), math.log10(axis.high), size=n)
    else:
        values = rng.uniform(axis.low, axis.high, size=n)
    return np.round(values) if axis.spec.integer else values


def random_design(space: SearchSpace, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` trials, each axis drawn independently (same ``seed`` → same trials).

    The axes draw from independent streams (``SeedSequence(seed).spawn``), so adding an axis does
    not change the values drawn for the others.
    """
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(space))]
    columns = [sample_axis(axis, n, rng) for axis, rng in zip(space, streams, strict=True)]
    return [{axis.knob: float(col[i]) for axis, col in zip(space, columns, strict=True)} for i in range(n)]


def grid_points_per_axis(space: SearchSpace, n: int) -> int:
    """k = ⌊(n / c)^(1/d)⌋ ≥ 1 points for each of the d range axes (c: choice combinations)."""
    ranges = [a for a in space if a.choices is None]
    combos = math.prod(len(a.choices) for a in space if a.choices is not None)
    if not ranges:
        return 0
    k: int = math.floor(float(max(n, 1) / combos) ** (1.0 / len(ranges)) + 1e-9)
    return max(k, 1)


def axis_grid(axis: Axis, k: int) -> list[float]:
    """The grid values of one axis: its choices, or ``k`` points from low to high (log10-even on log axes)."""
    if axis.choices is not None:
        return list(axis.choices)
    if k == 1:
        mid = math.sqrt(axis.low * axis.high) if axis.scale == "log" else (axis.low + axis.high) / 2
        return [_finish(axis, mid)]
    if axis.scale == "log":
        values = np.logspace(math.log10(axis.low), math.log10(axis.high), k)
    else:
        values = np.linspace(axis.low, axis.high, k)
    values[0], values[-1] = axis.low, axis.high  # exactly the bounds, not 10^log10(x)
    return list(dict.fromkeys(_finish(axis, float(v)) for v in values))


def grid_design(space: SearchSpace, n: int) -> list[dict[str, float]]:
    """The grid with at most ``n`` trials (see the module docstring), in row-major order."""
    k = grid_points_per_axis(space, n)
    grids = [axis_grid(axis, k) for axis in space]
    trials = [dict(zip((a.knob for a in space), combo, strict=True)) for combo in itertools.product(*grids)]
    return trials[:n]


def design(space: SearchSpace, method: str, n: int, seed: int) -> list[dict[str, float]]:
    """The trials of a search: :func:`random_design` or :func:`grid_design`."""
    if method == "grid":
        return grid_design(space, n)
    if method == "random":
        return random_design(space, n, seed)
    raise InputError("method", f"unknown method {method!r}; choose random or grid", "pydantic.literal_error")


# ---------------------------------------------------------------------------- trial configs


def textbook_base(subset: int = DEFAULT_SUBSET, val_fraction: float = DEFAULT_VAL_FRACTION) -> TrainingConfig:
    """The textbook's trial network on the shipped digits: 6 ReLU layers of 100 (He), SGD, batches of 100.

    ``subset`` samples are used with no test split (the search only validates); ``val_fraction`` of
    them are held out for validation (500 samples, 20 % → 400 train, 100 validation).
    """
    return TrainingConfig(
        dataset=DatasetConfig(name="digits", n_samples=subset, val_fraction=val_fraction, test_fraction=0.0),
        model=NetworkConfig(hidden=(100,) * 6, activation="relu", init="he_normal"),
        regularization=_Reg(),
        optimizer=OptimizerConfig(optimizer="sgd", params={"lr": 0.01}),
        batch_size=100,
        epochs=DEFAULT_EPOCHS,
    )


def trial_config(base: TrainingConfig, values: Mapping[str, float], seed: int | None = None) -> TrainingConfig:
    """``base`` with each knob's value in place (``width`` sets every hidden layer; ``seed`` if given).

    Parameters
    ----------
    base : TrainingConfig
        Everything the search does not vary.
    values : mapping
        Knob name → value (one trial of a design).
    seed : int or None
        The trial's training seed (initial weights, shuffling, dropout).
    """
    cfg = base
    for name, value in values.items():
        knob = KNOBS[name]
        if knob.path == "optimizer.params.lr":
            params = {**cfg.optimizer.params, "lr": float(value)}
            cfg = dataclasses.replace(cfg, optimizer=dataclasses.replace(cfg.optimizer, params=params))
        elif knob.path == "regularization.l2":
            cfg = dataclasses.replace(cfg, regularization=dataclasses.replace(cfg.regularization, l2=float(value)))
        elif knob.path == "model.dropout":
            cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, dropout=float(value)))
        elif knob.path == "model.hidden":
            layers = max(len(cfg.model.hidden), 1)
            cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, hidden=(int(value),) * layers))
        elif knob.path == "batch_size":
            cfg = dataclasses.replace(cfg, batch_size=int(value))
    if seed is not None:
        cfg = dataclasses.replace(cfg, seed=int(seed))
    return cfg


# ---------------------------------------------------------------------------- running one trial


def run_trial(
    config: TrainingConfig,
    should_stop: Callable[[], bool],
    *,
    data: Any = None,
    clock: Callable[[], float] = time.perf_counter,
    poll_seconds: float = POLL_SECONDS,
) -> dict[str, Any]:
    """Train one trial for its epochs and report its validation curve (no telemetry frames).

    ``should_stop`` is polled before the first step and then at most every ``poll_seconds`` between
    steps (a remote signal may cost a round trip), so a cancelled trial ends within about that
    long plus one step.

    Returns
    -------
    dict
        ``{"status": "done" | "diverged" | "cancelled", "val_acc", "val_loss", "train_acc"`` (the
        last epoch's, None before one ends), ``"best_val_acc", "epochs": [{"epoch", "val_acc",
        "val_loss", "train_acc"}…], "diverged_at", "steps", "elapsed"}``; floats finite or None.
    """
    from app.core.nn.run import TrainingRun

    started = clock()
    if should_stop():
        return _trial_result("cancelled", [], None, 0, clock() - started)
    run = TrainingRun(config, data=data)
    polled = clock()
    while not run.finished:
        now = clock()
        if now - polled >= poll_seconds:
            polled = now
            if should_stop():
                run.cancel()
                break
        if not run.step():
            break
        if run.epoch_complete:
            run.end_epoch()
    curve = [
        {"epoch": r["epoch"], "val_acc": r["val_acc"], "val_loss": r["val_loss"], "train_acc": r["train_accuracy_eval"]}
        for r in run.history
    ]
    return _trial_result(run.status, curve, run.diverged_at, run.step_count, clock() - started)


def _trial_result(
    status: str, curve: list[dict[str, Any]], diverged_at: int | None, steps: int, elapsed: float
) -> dict[str, Any]:
    last = curve[-1] if curve else {}
    accs = [c["val_acc"] for c in curve if c.get("val_acc") is not None]
    return {
        "status": status,
        "val_acc": last.get("val_acc"),
        "val_loss": _finite(last.get("val_loss")),
        "train_acc": last.get("train_acc"),
        "best_val_acc": max(accs) if accs else None,
        "epochs": [{k: _finite(v) for k, v in c.items()} for c in curve],
        "diverged_at": diverged_at,
        "steps": steps,
        "elapsed": elapsed,
    }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------- ranking and narrowing


def _score(trial: Mapping[str, Any]) -> float | None:
    acc = trial.get("val_acc")
    if trial.get("status") == "done" and isinstance(acc, (int, float)) and math.isfinite(acc):
        return float(acc)
    return None


def rank(trials: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Trials best first: finished ones by validation accuracy (ties: lower ``index``), then the rest.

    Each trial is a mapping with ``"status"``, ``"val_acc"`` and ``"index"``.
    """

    def key(t: Mapping[str, Any]) -> tuple[int, float, int]:
        score = _score(t)
        return (0 if score is not None else 1, -(score or 0.0), int(t.get("index", 0)))

    return sorted(trials, key=key)


def default_best(n_finished: int) -> int:
    """How many best trials :func:`narrow` keeps by default: 10 % of the finished, at least 2."""
    return max(MIN_BEST, math.ceil(DEFAULT_BEST_FRACTION * n_finished))


def narrow(
    space: SearchSpace,
    trials: Iterable[Mapping[str, Any]],
    best: int | None = None,
    margin: float = DEFAULT_MARGIN,
) -> SearchSpace:
    """The space around the best ``best`` finished trials (see the module docstring).

    Parameters
    ----------
    space : SearchSpace
        The space the trials were drawn from.
    trials : iterable of mapping
        ``{"index", "status", "val_acc", "values": {knob: value}}``.
    best : int or None
        How many of the best finished trials to keep (None: :func:`default_best`).
    margin : float
        Widening on each side, as a share of the best trials' span (log10 units on log axes).

    Raises
    ------
    InputError
        ``search.nothing_to_narrow`` when no trial finished with a validation accuracy.
    """
    finished = [t for t in rank(trials) if _score(t) is not None]
    if not finished:
        raise InputError(
            "search_id",
            "no trial finished with a validation accuracy: nothing to narrow to",
            "search.nothing_to_narrow",
        )
    k = default_best(len(finished)) if best is None else max(1, best)
    top = finished[:k]
    out = []
    for axis in space:
        values = [float(t["values"][axis.knob]) for t in top if axis.knob in t.get("values", {})]
        if not values:
            out.append(axis)
        elif axis.choices is not None:
            kept = tuple(c for c in axis.choices if any(math.isclose(c, v) for v in values))
            out.append(dataclasses.replace(axis, choices=kept, low=min(kept), high=max(kept)))
        else:
            out.append(_narrow_range(axis, values, margin))
    return tuple(out)


def _narrow_range(axis: Axis, values: list[float], margin: float) -> Axis:
    """[min, max] of ``values`` widened by ``margin`` (in log10 on a log axis), clipped to ``axis``."""
    log = axis.scale == "log"
    fwd: Callable[[float], float] = math.log10 if log else float
    lo, hi = fwd(min(values)), fwd(max(values))
    old_lo, old_hi = fwd(axis.low), fwd(axis.high)
    pad = max(margin * (hi - lo), margin * 0.1 * (old_hi - old_lo))
    new_lo, new_hi = max(old_lo, lo - pad), min(old_hi, hi + pad)
    back: Callable[[float], float] = (lambda u: 10.0**u) if log else float
    low, high = back(new_lo), back(new_hi)
    # exact old bounds where clipped, and never a hair inside the best values through rounding
    low = axis.low if new_lo <= old_lo else min(low, min(values))
    high = axis.high if new_hi >= old_hi else max(high, max(values))
    if axis.spec.integer:
        low, high = float(math.floor(low)), float(math.ceil(high))
    if low == high:  # an integer axis whose best trials all share one value: keep a range of two
        if high < axis.high:
            high += 1
        else:
            low -= 1
    return dataclasses.replace(axis, low=low, high=high)


# ---------------------------------------------------------------------------- coverage (random vs grid)


def distinct_values(trials: Iterable[Mapping[str, Any]], knob: str, digits: int = 6) -> int:
    """How many distinct values of ``knob`` the trials tried (rounded to ``digits`` significant digits).

    Bergstra & Bengio's point: when one axis matters much more than the others, a grid of n trials
    tries only n^(1/d) values of it, random search n.
    """
    seen = {float(f"{float(t['values'][knob]):.{digits}g}") for t in trials if knob in t.get("values", {})}
    return len(seen)

"""The pure search core (app/core/nn/search.py): designs, statistics, grid coverage, narrowing, trials."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.nn import search as S  # noqa: N812  # the module under test, short
from app.core.nn.run import load_data


def ks_uniform(samples: np.ndarray, lo: float, hi: float) -> float:
    """Kolmogorov–Smirnov statistic of ``samples`` against U(lo, hi)."""
    x = np.sort((samples - lo) / (hi - lo))
    n = len(x)
    ecdf_hi = np.arange(1, n + 1) / n
    ecdf_lo = np.arange(0, n) / n
    return float(max(np.max(ecdf_hi - x), np.max(x - ecdf_lo)))


def test_log_uniform_lr_and_weight_decay_are_uniform_in_log10() -> None:
    n = 20_000
    trials = S.random_design(S.default_space(), n, seed=7)
    for knob, (lo, hi) in {"lr": (-6, -2), "weight_decay": (-8, -4)}.items():
        u = np.log10([t[knob] for t in trials])
        assert u.min() >= lo and u.max() <= hi
        # mean of U(lo, hi) is (lo + hi)/2 with standard error (hi − lo)/√12/√n; allow 4 standard errors
        assert abs(u.mean() - (lo + hi) / 2) < 4 * (hi - lo) / math.sqrt(12 * n)
        assert abs(u.var() - (hi - lo) ** 2 / 12) < 0.05 * (hi - lo) ** 2 / 12
        # KS at the 0.1 % level: D < 1.95 / √n
        assert ks_uniform(u, lo, hi) < 1.95 / math.sqrt(n)
        # each decade gets a quarter of the draws (what log-uniform means), within 4 binomial σ
        counts = np.histogram(u, bins=4, range=(lo, hi))[0]
        assert np.all(np.abs(counts - n / 4) < 4 * math.sqrt(n * 0.25 * 0.75))


def test_linear_axis_is_uniform_and_integer_axis_is_rounded() -> None:
    space = S.parse_space(
        [{"knob": "dropout", "low": 0.1, "high": 0.5}, {"knob": "batch_size", "low": 16, "high": 256}]
    )
    trials = S.random_design(space, 5000, seed=3)
    p = np.array([t["dropout"] for t in trials])
    assert ks_uniform(p, 0.1, 0.5) < 1.95 / math.sqrt(len(p))
    b = np.array([t["batch_size"] for t in trials])
    assert np.all(b == np.round(b)) and b.min() >= 16 and b.max() <= 256
    # log-uniform on [16, 256]: half of the draws below the geometric mean 64
    assert abs(np.mean(b < 64) - 0.5) < 0.03


def test_seeds_reproduce_and_differ() -> None:
    space = S.default_space()
    assert S.random_design(space, 50, 11) == S.random_design(space, 50, 11)
    assert S.random_design(space, 50, 11) != S.random_design(space, 50, 12)
    # adding an axis leaves the draws of the others as they were
    wider = (*space, S.parse_axis({"knob": "dropout", "low": 0.0, "high": 0.5, "scale": "linear"}, "x"))
    assert [t["lr"] for t in S.random_design(wider, 50, 11)] == [t["lr"] for t in S.random_design(space, 50, 11)]


def test_choices_axis_draws_each_value() -> None:
    space = S.parse_space([{"knob": "width", "choices": [32, 64, 128]}])
    values = [t["width"] for t in S.random_design(space, 3000, 0)]
    counts = {v: values.count(v) for v in (32.0, 64.0, 128.0)}
    assert all(abs(c - 1000) < 4 * math.sqrt(3000 * (1 / 3) * (2 / 3)) for c in counts.values())


def test_grid_uses_the_same_budget_and_covers_the_bounds() -> None:
    space = S.default_space()
    grid = S.grid_design(space, 100)
    assert len(grid) == 100  # 10 × 10
    lrs = sorted({t["lr"] for t in grid})
    assert len(lrs) == 10 and lrs[0] == 1e-6 and lrs[-1] == 1e-2
    # evenly spaced in log10: steps of 4/9 decades
    assert np.allclose(np.diff(np.log10(lrs)), 4 / 9)
    wds = sorted({t["weight_decay"] for t in grid})
    assert wds[0] == 1e-8 and wds[-1] == 1e-4
    # a budget that is not a square: ⌊√50⌋ = 7 points per axis, 49 trials, never more than asked
    assert S.grid_points_per_axis(space, 50) == 7 and len(S.grid_design(space, 50)) == 49
    # three axes with 100 trials: ⌊100^(1/3)⌋ = 4 per axis
    three = (*space, S.parse_axis({"knob": "dropout", "low": 0.0, "high": 0.5, "scale": "linear"}, "x"))
    assert len(S.grid_design(three, 100)) == 64
    # random search tries n distinct learning rates, the grid only √n
    assert S.distinct_values([{"values": t} for t in S.random_design(space, 100, 0)], "lr") == 100
    assert S.distinct_values([{"values": t} for t in grid], "lr") == 10


@pytest.mark.parametrize(
    ("axis", "field", "code"),
    [
        ({"knob": "momentum", "low": 0.1, "high": 0.9}, "space.0.knob", "search.unknown_knob"),
        ({"knob": "lr", "low": 1e-2, "high": 1e-6}, "space.0.high", "search.inverted_range"),
        ({"knob": "lr", "low": 1e-3, "high": 1e-3}, "space.0.high", "search.empty_range"),
        ({"knob": "lr", "low": 0, "high": 1e-2}, "space.0.low", "search.log_bound_not_positive"),
        (
            {"knob": "weight_decay", "low": -1e-3, "high": 1e-2, "scale": "log"},
            "space.0.low",
            "search.log_bound_not_positive",
        ),
        ({"knob": "dropout", "low": 0.0, "high": 0.99, "scale": "linear"}, "space.0.high", "search.out_of_bounds"),
        ({"knob": "lr", "low": 1e-4, "high": 1e-2, "step": 2}, "space.0.step", "pydantic.extra_forbidden"),
        ({"knob": "width", "choices": []}, "space.0.choices", "search.empty_range"),
    ],
)
def test_bad_axes_name_the_field(axis: dict[str, object], field: str, code: str) -> None:
    with pytest.raises(InputError) as info:
        S.parse_space([axis])
    assert info.value.field == field and info.value.code == code


def test_width_axis_respects_the_server_limit() -> None:
    with pytest.raises(InputError) as info:
        S.parse_space([{"knob": "width", "low": 16, "high": 1024}], {"max_width": 512})
    assert info.value.field == "space.0.high" and info.value.params["maximum"] == 512


def test_duplicate_knob_is_refused() -> None:
    with pytest.raises(InputError) as info:
        S.parse_space([{"knob": "lr"}, {"knob": "lr", "low": 1e-5, "high": 1e-3}])
    assert info.value.code == "search.duplicate_knob" and info.value.field == "space.1.knob"


def _fake_trials(n: int, seed: int) -> list[dict[str, object]]:
    """Trials whose accuracy peaks at lr = 1e-3 (log distance), weight decay irrelevant."""
    out: list[dict[str, object]] = []
    for i, values in enumerate(S.random_design(S.default_space(), n, seed)):
        acc = 1.0 - abs(math.log10(values["lr"]) + 3) / 4
        out.append({"index": i, "status": "done", "val_acc": acc, "values": values})
    out.append({"index": n, "status": "diverged", "val_acc": None, "values": {"lr": 1e-2, "weight_decay": 1e-4}})
    return out


def test_rank_orders_by_validation_accuracy_with_failures_last() -> None:
    trials = _fake_trials(30, 1)
    ranked = S.rank(trials)
    accs = [t["val_acc"] for t in ranked[:-1]]
    assert accs == sorted(accs, reverse=True)  # type: ignore[type-var]
    assert ranked[-1]["status"] == "diverged"


def test_narrow_contains_the_best_trials_and_shrinks() -> None:
    space = S.default_space()
    trials = _fake_trials(100, 2)
    best = S.rank(trials)[:10]
    narrowed = S.narrow(space, trials, best=10)
    for axis, old in zip(narrowed, space, strict=True):
        assert old.low <= axis.low < axis.high <= old.high
        for t in best:
            assert axis.contains(t["values"][axis.knob])  # type: ignore[index]
    lr_axis = narrowed[0]
    # the important axis shrinks around 1e-3 (the best 10 of 100 sit within ~0.2 decades of it)
    assert math.log10(lr_axis.high) - math.log10(lr_axis.low) < 1.0
    assert lr_axis.low < 1e-3 < lr_axis.high
    # the margin: 25 % of the best trials' log span on each side, at least 2.5 % of the old span (4 decades)
    lo = math.log10(min(t["values"]["lr"] for t in best))  # type: ignore[index]
    hi = math.log10(max(t["values"]["lr"] for t in best))  # type: ignore[index]
    pad = max(0.25 * (hi - lo), 0.025 * 4)
    assert math.isclose(math.log10(lr_axis.low), lo - pad, abs_tol=1e-9)
    assert math.isclose(math.log10(lr_axis.high), hi + pad, abs_tol=1e-9)
    # default: 10 % of the finished trials
    assert S.default_best(100) == 10 and S.default_best(6) == 2


def test_narrow_needs_a_finished_trial() -> None:
    with pytest.raises(InputError) as info:
        S.narrow(S.default_space(), [{"index": 0, "status": "error", "val_acc": None, "values": {}}])
    assert info.value.code == "search.nothing_to_narrow"


def test_trial_config_puts_each_knob_in_place() -> None:
    base = S.textbook_base()
    cfg = S.trial_config(base, {"lr": 1e-3, "weight_decay": 1e-5, "dropout": 0.2, "width": 64, "batch_size": 50}, 9)
    assert cfg.optimizer.params["lr"] == 1e-3 and cfg.regularization.l2 == 1e-5
    assert cfg.model.dropout == 0.2 and cfg.model.hidden == (64,) * 6 and cfg.batch_size == 50 and cfg.seed == 9
    assert base.optimizer.params["lr"] == 0.01  # the base is unchanged
    # the textbook's split: 500 samples, 20 % validation, no test split
    data = load_data(base, None, None)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (400, 100, 0)


def test_run_trial_reports_curves_divergence_and_cancellation() -> None:
    base = S.textbook_base()
    data = load_data(base, None, None)
    cfg = S.trial_config(base, {"lr": 5e-3, "weight_decay": 1e-6})
    cfg = S.trial_config(cfg.__class__(**{**cfg.__dict__, "epochs": 3}), {})
    result = S.run_trial(cfg, lambda: False, data=data)
    assert result["status"] == "done" and len(result["epochs"]) == 3
    assert result["val_acc"] == result["epochs"][-1]["val_acc"]
    assert 0.0 <= result["val_acc"] <= 1.0
    # a learning rate far beyond stability diverges: reported, not raised
    wild = S.trial_config(cfg, {"lr": 9.0})
    assert S.run_trial(wild, lambda: False, data=data)["status"] == "diverged"
    # a stop signal set from the start: nothing trains
    at_once = S.run_trial(cfg, lambda: True, data=data)
    assert at_once["status"] == "cancelled" and at_once["steps"] == 0 and at_once["epochs"] == []
    # a signal that turns on after some polls stops the run part way
    calls = iter([False, False, True])
    stopped = S.run_trial(cfg, lambda: next(calls, True), data=data, poll_seconds=0.0)
    assert stopped["status"] == "cancelled" and stopped["steps"] < 12

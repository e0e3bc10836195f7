"""The fast 2-D engine against the straightforward step-by-step loop: the same numbers, bit for bit.

``Simulator(reference=True)`` advances one update at a time and checks and masks every step (the
loop the engine had before chunking). The fast engine advances in chunks without masks and
locates divergence afterwards (docs/optimizers.md, "How the 2-D engine runs"); every recorded
array, the final points and the step counts must be identical, including NaN positions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from app.core.lab2d.surfaces import ExpressionSurface, get_surface
from app.core.lab2d.surfaces.base import Surface
from app.core.lab2d.trajectory import RunSpec, Simulator
from app.core.optim.registry import OPTIMIZERS
from tests.engine_compare import assert_same, both, run

LRS = {"sgd": 0.02, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.2,
       "adamw": 0.2, "nadam": 0.2, "amsgrad": 0.2, "adadelta": 1.0, "newton": 0.5, "lbfgs": 1.0}  # fmt: skip


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("surface_id", ["rosenbrock", "himmelblau", "rastrigin", "beale", "saddle"])
def test_one_recorded_path_is_identical(optimizer: str, surface_id: str) -> None:
    surface = get_surface(surface_id)
    spec = RunSpec(optimizer, {"lr": LRS[optimizer]})
    fast, ref = both(surface, surface.start, 600, spec)
    assert_same(fast, ref)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_many_unrecorded_starts_with_divergence_are_identical(optimizer: str) -> None:
    # A start map on Rosenbrock with a large step: many runs diverge, each at its own step.
    surface = get_surface("rosenbrock")
    xs, ys = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-1, 3, 7))
    starts = np.stack([xs.ravel(), ys.ravel()], axis=1)
    spec = RunSpec(optimizer, {"lr": 20 * LRS[optimizer]})
    fast, ref = both(surface, starts, 700, spec, record=False)
    assert ref.diverged.any() or optimizer not in {"sgd", "momentum", "nesterov", "newton"}
    assert_same(fast, ref)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "lbfgs", "newton"])
def test_several_recorded_runs_with_frozen_tails_are_identical(optimizer: str) -> None:
    surface = get_surface("course_quadratic")
    lrs = np.array([0.05, 0.3, 0.6, 1.5, 3.0])
    fast, ref = both(surface, (-5.0, 4.0), 400, RunSpec(optimizer, {"lr": 1.0}), lr_scale=lrs)
    assert_same(fast, ref)


def test_divergence_at_a_known_step() -> None:
    # GD on f = x² + 2y²/... the course J with η = 2: |y| grows by a fixed factor per step until it
    # passes the bound; the step is found inside a chunk, not at a chunk's end.
    surface = get_surface("course_quadratic")
    fast, ref = both(surface, (-5.0, 4.0), 1000, RunSpec("sgd", {"lr": 2.0}))
    assert ref.diverged[0] and 1 < int(ref.alive_until[0]) < Simulator.CHUNK
    assert_same(fast, ref)
    n = int(fast.alive_until[0])
    assert np.isnan(fast.path[n + 1 :, 0]).all() and np.isfinite(fast.path[:n, 0]).all()


def test_nan_in_the_middle_of_a_chunk() -> None:
    # log(x) is undefined for x < 0: GD from x = 1 toward the minimum at x = −… steps through 0.
    surface = get_surface(None, expression="log(x + 3) + y^2")
    steps = 400
    for reference in (False, True):
        sim = run(surface, (1.0, 1.0), steps, RunSpec("sgd", {"lr": 1.5}), reference=reference)
        assert sim.diverged[0]
    fast, ref = both(surface, (1.0, 1.0), steps, RunSpec("sgd", {"lr": 1.5}))
    assert_same(fast, ref)
    n = int(fast.alive_until[0])
    assert 1 < n < Simulator.CHUNK and not np.isfinite(fast.loss[n, 0])


SCHEDULES: list[Mapping[str, object]] = [
    {"type": "exponential", "decay_rate": 0.1, "decay_steps": 300},
    {"type": "exponential", "decay_rate": 0.5, "decay_steps": 50, "staircase": True},
    {"type": "piecewise", "boundaries": [100, 400], "values": [0.01, 0.005, 0.001]},
    {"type": "polynomial", "decay_steps": 200, "end_lr": 1e-4, "power": 2.0},
    {"type": "cosine", "decay_steps": 500, "alpha": 0.1},
    {"type": "warmup", "warmup_steps": 60},
]


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "lbfgs"])
def test_schedules_are_identical(schedule: Mapping[str, object], optimizer: str) -> None:
    surface = get_surface("rosenbrock")
    spec = RunSpec(optimizer, {"lr": 0.002 if optimizer == "sgd" else 0.05}, schedule=schedule)
    assert_same(*both(surface, surface.start, 700, spec))
    assert_same(*both(surface, surface.start, 700, spec, lr_scale=[0.5, 1.0, 2.0], record=False))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_noise_and_clipping_are_identical(optimizer: str) -> None:
    surface = get_surface("himmelblau")
    noise = {"std": 3.0, "seed": 7}
    for clip in (None, {"mode": "norm", "max": 5.0}, {"mode": "value", "max": 2.0}):
        spec = RunSpec(optimizer, {"lr": LRS[optimizer]}, clip=clip, noise=noise)
        assert_same(*both(surface, (-4.0, 4.0), 700, spec))
        assert_same(*both(surface, [(-4.0, 4.0), (3.0, -3.0), (0.1, 0.2)], 700, spec, record=False))


def test_streamed_advances_match_one_whole_run() -> None:
    # The router advances a streamed run in slices of 1,000 steps; slices end mid-chunk too.
    surface = get_surface("rosenbrock")
    spec = RunSpec("adam", {"lr": 0.05}, noise={"std": 0.5, "seed": 3})
    sliced = Simulator(surface, surface.start, 2500, spec)
    while not sliced.finished:
        sliced.advance(333)
    _, ref = both(surface, surface.start, 2500, spec)
    assert_same(sliced.result(), ref)


def test_skipping_the_state_changes_nothing_else() -> None:
    surface = get_surface("rosenbrock")
    spec = RunSpec("adam", {"lr": 0.05})
    lean, ref = (
        run(surface, surface.start, 300, spec, reference=False, record_state=False),
        run(surface, surface.start, 300, spec, reference=True),
    )
    assert lean.state == {}
    for name in ("path", "loss", "grad", "update", "lr"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(ref, name))


@pytest.mark.parametrize(
    "expression",
    [
        "x^2 + y^2",
        "x^2 + 3*sin(y)",
        "(1 - x)^2 + 100*(y - x^2)^2",
        "sqrt(x^2 + y^2 + 1) + sigmoid(x*y) - 0.1*x",
        "x + 2",
    ],
)
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "newton", "lbfgs"])
def test_custom_expressions_evaluated_by_programs_are_identical(expression: str, optimizer: str) -> None:
    # The fast engine evaluates f and ∇f by compiled programs, the reference by Expr.evaluate.
    surface = get_surface(None, expression=expression)
    spec = RunSpec(optimizer, {"lr": LRS[optimizer] / 4})
    assert_same(*both(surface, (-3.0, 2.5), 300, spec))
    assert_same(*both(surface, [(-3.0, 2.5), (1.0, 1.0), (4.0, -4.0)], 300, spec, record=False))


@pytest.mark.parametrize(
    "expression", ["x^2 + y^2", "x^2 + 3*sin(y)", "log(x) + exp(-y^2)/x - max(x, y)*abs(y)^1.5", "7", "x + 2"]
)
def test_compiled_programs_equal_tree_evaluation(expression: str) -> None:
    surface = get_surface(None, expression=expression)
    assert isinstance(surface, ExpressionSurface)
    rng = np.random.default_rng(0)
    pts = np.concatenate([rng.uniform(-5, 5, (50, 2)), [[0.0, 0.0], [-1.0, 2.0], [np.inf, 1.0], [np.nan, 0.0]]])
    with np.errstate(all="ignore"):
        f = surface.expr.evaluate(pts[:, 0], pts[:, 1])
        g = np.stack([surface.dx.evaluate(pts[:, 0], pts[:, 1]), surface.dy.evaluate(pts[:, 0], pts[:, 1])], axis=-1)
        h = Surface.hessian(surface, pts)
    np.testing.assert_array_equal(surface.value(pts), f)
    np.testing.assert_array_equal(surface.hessian(pts), h)
    out = np.empty_like(pts)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(surface.value_and_gradient_into(pts, out), f)
    np.testing.assert_array_equal(out, g)

"""Unrecorded runs (start maps, lr sweeps) of the fast engine against the step-by-step loop.

First-order rules run unrecorded in the (2, m) layout with cheap checks at every update
(``Simulator._columns_unrecorded``); Newton and L-BFGS on the (R, 2) array. Either way the final
points, their f and ``alive_until`` must equal ``Simulator(reference=True)``'s bit for bit, also for
runs that stop in the middle of a chunk because the position, or only f, left the bound or became
non-finite — including runs that would have come back inside the bound afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from app.core.lab2d.surfaces import SURFACES, get_surface
from app.core.lab2d.surfaces.base import Surface
from app.core.lab2d.trajectory import RunSpec, Simulator, start_map
from app.core.optim.registry import OPTIMIZERS

LRS = {"sgd": 0.02, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.2,
       "adamw": 0.2, "nadam": 0.2, "amsgrad": 0.2, "adadelta": 1.0, "newton": 0.5, "lbfgs": 1.0}  # fmt: skip


def grid(x: tuple[float, float], y: tuple[float, float], nx: int, ny: int) -> np.ndarray:
    """(nx · ny, 2) starts on a grid, row-major (y then x) as the start map lays them out."""
    gx, gy = np.meshgrid(np.linspace(*x, nx), np.linspace(*y, ny))
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def simulators(
    surface: Surface, starts: object, steps: int, spec: RunSpec, **kw: object
) -> tuple[Simulator, Simulator]:
    """A fast and a reference simulator, both run to the end."""
    out = []
    for reference in (False, True):
        sim = Simulator(surface, starts, steps, spec, record=False, reference=reference, **kw)  # type: ignore[arg-type]
        sim.advance()
        out.append(sim)
    return out[0], out[1]


def assert_same(fast: Simulator, ref: Simulator) -> None:
    a, b = fast.result(), ref.result()
    np.testing.assert_array_equal(a.alive_until, b.alive_until)
    np.testing.assert_array_equal(a.final, b.final)
    np.testing.assert_array_equal(a.final_loss, b.final_loss)
    np.testing.assert_array_equal(fast.alive, ref.alive)
    assert fast.k == ref.k
    assert fast.finished == ref.finished


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("surface_id", ["rosenbrock", "himmelblau", "rastrigin"])
def test_start_maps_with_divergence_are_identical(optimizer: str, surface_id: str) -> None:
    surface = get_surface(surface_id)
    (x0, x1), (y0, y1) = surface.domain
    spec = RunSpec(optimizer, {"lr": 8 * LRS[optimizer]})
    fast, ref = simulators(surface, grid((x0, x1), (y0, y1), 13, 11), 400, spec)
    assert_same(fast, ref)


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "rmsprop", "nadam", "adadelta"])
@pytest.mark.parametrize("surface_id", list(SURFACES))
def test_every_built_in_surface(optimizer: str, surface_id: str) -> None:
    # exp (the Gaussian wells), cos (Rastrigin), polynomials of every degree, unbounded saddles.
    surface = get_surface(surface_id)
    (x0, x1), (y0, y1) = surface.domain
    spec = RunSpec(optimizer, {"lr": 5 * LRS[optimizer]})
    assert_same(*simulators(surface, grid((x0, x1), (y0, y1), 9, 8), 300, spec, bound=1e4))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_f_beyond_the_bound_while_the_position_is_inside(optimizer: str) -> None:
    # |f| = 60|sin 3x| passes the bound 50 on the way between its valleys: a run crossing one
    # stops there with a finite, in-bound position, although it would have gone on to a valley.
    surface = get_surface(None, expression="60*sin(3*x) + exp(y/2) + y^2")
    spec = RunSpec(optimizer, {"lr": 2 * LRS[optimizer]})
    fast, ref = simulators(surface, grid((-3, 3), (-2, 2), 17, 5), 300, spec, bound=50.0)
    assert (ref.alive_until > 1).any() and (ref.alive_until <= 300).any()
    assert_same(fast, ref)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam", "newton"])
def test_position_beyond_the_bound_and_back(optimizer: str) -> None:
    # Momentum overshoots the minimum at x = 4 past the bound 4.5 (f stays small there) and would
    # come back; the loop stops it at the overshoot.
    surface = get_surface(None, expression="0.05*(x - 4)^2 + 0.05*y^2")
    spec = RunSpec(optimizer, {"lr": {"adam": 0.5, "newton": 1.9}.get(optimizer, 1.0)})
    fast, ref = simulators(surface, grid((-4.4, 4.4), (-4.4, 4.4), 9, 9), 300, spec, bound=4.5)
    if optimizer in {"momentum", "nesterov"}:
        assert ref.result().diverged.any() and not ref.result().diverged.all()
    assert_same(fast, ref)


@pytest.mark.parametrize("bound", [1e8, np.inf])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_nan_and_infinity_in_the_middle_of_a_chunk(optimizer: str, bound: float) -> None:
    # log(x + 3) is NaN for x < −3 while its gradient 1/(x + 3) stays finite; exp(y²) overflows.
    # Without a bound (inf) only non-finite numbers end a run.
    surface = get_surface(None, expression="log(x + 3) + exp(y^2)/50")
    spec = RunSpec(optimizer, {"lr": 4 * LRS[optimizer]})
    fast, ref = simulators(surface, grid((-2.5, 4), (-2.5, 2.5), 11, 9), 300, spec, bound=bound)
    assert ref.result().diverged.any()
    assert_same(fast, ref)


def test_every_run_diverging_stops_the_count_where_the_loop_does() -> None:
    surface = get_surface("course_quadratic")
    fast, ref = simulators(surface, grid((-5, 5), (-4, 4), 6, 4), 1000, RunSpec("sgd", {"lr": 2.0}))
    assert ref.result().diverged.all() and ref.k < 1000
    assert_same(fast, ref)


NOISE_AND_CLIP: list[tuple[Mapping[str, object] | None, Mapping[str, object] | None]] = [
    ({"std": 3.0, "seed": 7}, None),
    ({"std": 3.0, "seed": 7}, {"mode": "norm", "max": 5.0}),
    (None, {"mode": "value", "max": 2.0}),
    ({"std": 50.0, "seed": 1}, {"mode": "norm", "max": 1e3}),
]


@pytest.mark.parametrize(("noise", "clip"), NOISE_AND_CLIP)
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_noise_and_clipping_on_many_starts(
    optimizer: str, noise: Mapping[str, object] | None, clip: Mapping[str, object] | None
) -> None:
    surface = get_surface("himmelblau")
    spec = RunSpec(optimizer, {"lr": 3 * LRS[optimizer]}, clip=clip, noise=noise)
    fast, ref = simulators(surface, grid((-5, 5), (-5, 5), 8, 7), 500, spec, bound=40.0)
    assert_same(fast, ref)


@pytest.mark.parametrize(
    "schedule",
    [
        {"type": "exponential", "decay_rate": 0.5, "decay_steps": 50, "staircase": True},
        {"type": "piecewise", "boundaries": [100, 400], "values": [0.01, 0.005, 0.001]},
        {"type": "cosine", "decay_steps": 500, "alpha": 0.0},
        {"type": "warmup", "warmup_steps": 60},
    ],
)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "adam", "adadelta", "lbfgs"])
def test_lr_sweeps_with_schedules(schedule: Mapping[str, object], optimizer: str) -> None:
    # Per-run learning rates (R, 1) become (1, m) in the column layout; large ones diverge.
    surface = get_surface("rosenbrock")
    lrs = np.logspace(-5, 0.5, 23)
    spec = RunSpec(optimizer, {"lr": 0.01}, schedule=schedule)
    fast, ref = simulators(surface, surface.start, 600, spec, lr_scale=lrs)
    assert_same(fast, ref)


@pytest.mark.parametrize("optimizer", ["momentum", "adamw", "rmsprop", "sgd"])
def test_weight_decay_on_many_starts(optimizer: str) -> None:
    surface = get_surface(None, expression="cos(x)*sin(y) + 0.05*(x^2 + y^2)")
    spec = RunSpec(optimizer, {"lr": 3 * LRS[optimizer], "weight_decay": 0.1})
    assert_same(*simulators(surface, grid((-5, 5), (-5, 5), 9, 9), 400, spec, bound=6.0))


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "newton"])
def test_advancing_in_slices_matches_one_whole_run(optimizer: str) -> None:
    surface = get_surface("rosenbrock")
    starts = grid((-2, 2), (-1, 3), 9, 9)
    spec = RunSpec(optimizer, {"lr": 20 * LRS[optimizer]}, noise={"std": 0.5, "seed": 3})
    sliced = Simulator(surface, starts, 700, spec, record=False)
    while not sliced.finished:
        sliced.advance(77)
    _, ref = simulators(surface, starts, 700, spec)
    assert_same(sliced, ref)


def test_a_constant_surface_and_a_linear_one() -> None:
    # f and ∇f come back as broadcast constants; a linear f runs off to the bound.
    for expression in ("7", "x + 2*y"):
        surface = get_surface(None, expression=expression)
        spec = RunSpec("adam", {"lr": 0.5})
        assert_same(*simulators(surface, grid((-3, 3), (-3, 3), 5, 5), 300, spec, bound=60.0))


def test_large_start_map_over_several_chunks() -> None:
    # 60 × 60 starts, 600 steps: every chunk boundary of the engine is crossed with runs alive.
    surface = get_surface("rosenbrock")
    xs, ys = np.linspace(-2, 2, 60), np.linspace(-1, 3, 60)
    spec = RunSpec("momentum", {"lr": 6e-4})
    fast = start_map(surface, xs, ys, 600, spec)
    ref = Simulator(surface, grid((-2, 2), (-1, 3), 60, 60), 600, spec, record=False, reference=True)
    ref.advance()
    assert fast.diverged.any() and not fast.diverged.all()
    np.testing.assert_array_equal(fast.alive_until, ref.alive_until)
    np.testing.assert_array_equal(fast.final, ref.last_theta)
    np.testing.assert_array_equal(fast.final_loss, ref.last_f)


def test_rosenbrock_value_and_gradient_share_terms_without_changing_a_bit() -> None:
    # Its value_and_gradient_into reuses a − x and y − x² of the gradient for f.
    surface = get_surface("rosenbrock", {"a": 1.3, "b": 37.0})
    rng = np.random.default_rng(5)
    pts = np.concatenate([rng.uniform(-3, 3, (200, 2)), [[np.inf, 1.0], [np.nan, 0.0], [1e200, -1e200]]])
    out = np.empty_like(pts)
    with np.errstate(all="ignore"):
        f = surface.value_and_gradient_into(pts, out)
    np.testing.assert_array_equal(f, surface.value(pts))
    np.testing.assert_array_equal(out, surface.gradient(pts))

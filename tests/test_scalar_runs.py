"""The 2-D engine's float path (app/core/lab2d/scalar_runs.py) against the array code, bit for bit.

A few recorded runs of a first-order rule on a float-safe surface advance on Python floats with
the same rule and surface definitions; for a few runs L-BFGS runs its two-loop recursion and line
search and Newton its eigenbasis products on floats, and both evaluate f, ∇f and ∇²f on floats
(compared with the same surface with ``scalar_safe`` off, whose every evaluation is on arrays). The
reference is the step-by-step loop on arrays (``Simulator(reference=True)``, which never takes the
float path) or, for the pieces, the NumPy functions they stand for.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.lab2d.scalar_runs import SCALAR_RUNS
from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.surfaces.base import Surface
from app.core.lab2d.trajectory import RunSpec, Simulation, Simulator
from app.core.optim import elementwise
from app.core.optim.gradients import clip_gradients, clip_pair
from app.core.optim.registry import OPTIMIZERS, make_optimizer
from app.core.optim.second_order import _eigh
from tests import engine_compare as compare
from tests.engine_compare import both, run

FIRST_ORDER = [o for o in OPTIMIZERS if o not in ("newton", "lbfgs")]
LRS = {"sgd": 0.01, "momentum": 0.005, "nesterov": 0.005, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.2,
       "adamw": 0.2, "nadam": 0.2, "amsgrad": 0.2, "adadelta": 1.0, "newton": 0.5, "lbfgs": 1.0}  # fmt: skip
FLOAT_SURFACES = ["book_bowl", "course_quadratic", "ill_conditioned", "rosenbrock", "himmelblau", "local_minima",
                  "rastrigin", "saddle"]  # fmt: skip
SPECIAL = [0.0, -0.0, 1.0, -2.5, 1e-300, 5e-324, 1e300, math.inf, -math.inf, math.nan]


def assert_same(fast: Simulation, ref: Simulation) -> None:
    """Every comparison here is of recorded runs."""
    compare.assert_same(fast, ref, recorded=True)


def test_the_float_path_is_taken_where_it_applies() -> None:
    rosenbrock = get_surface("rosenbrock")
    assert Simulator(rosenbrock, (0.0, 0.0), 5, RunSpec("adam"))._floats
    assert Simulator(rosenbrock, (0.0, 0.0), 5, RunSpec("adam"), lr_scale=[0.1] * SCALAR_RUNS)._floats
    assert not Simulator(rosenbrock, (0.0, 0.0), 5, RunSpec("adam"), lr_scale=[0.1] * (SCALAR_RUNS + 1))._floats
    assert not Simulator(rosenbrock, (0.0, 0.0), 5, RunSpec("adam"), record=False)._floats
    assert not Simulator(rosenbrock, (0.0, 0.0), 5, RunSpec("newton"))._floats  # second order: arrays
    for other in (get_surface("beale"), get_surface(None, expression="x^2 + sin(y)")):
        assert not Simulator(other, (1.0, 1.0), 5, RunSpec("adam"))._floats  # `**` or compiled programs


@pytest.mark.parametrize("surface_id", FLOAT_SURFACES)
@pytest.mark.parametrize("optimizer", FIRST_ORDER)
def test_every_rule_on_every_float_surface_is_identical(optimizer: str, surface_id: str) -> None:
    surface = get_surface(surface_id)
    spec = RunSpec(optimizer, {"lr": LRS[optimizer]})
    assert_same(*both(surface, surface.start, 600, spec))


@pytest.mark.parametrize("optimizer", FIRST_ORDER)
def test_weight_decay_noise_clipping_and_schedules_are_identical(optimizer: str) -> None:
    surface = get_surface("local_minima")  # np.exp on floats
    decay = {"weight_decay": 0.05}
    for clip in ({"mode": "norm", "max": 1.5}, {"mode": "value", "max": 0.3}):
        spec = RunSpec(
            optimizer,
            {"lr": LRS[optimizer], **decay},
            schedule={"type": "cosine", "decay_steps": 300, "alpha": 0.1},
            clip=clip,
            noise={"std": 0.7, "seed": 11},
        )
        assert_same(*both(surface, surface.start, 700, spec))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "adam", "amsgrad", "adadelta"])
@pytest.mark.parametrize("runs", [2, SCALAR_RUNS])
def test_a_recorded_lr_sweep_with_runs_diverging_mid_chunk_is_identical(optimizer: str, runs: int) -> None:
    # Several recorded runs on floats; the large rates diverge at their own steps inside a chunk.
    surface = get_surface("course_quadratic")
    lrs = np.geomspace(0.05, 40.0, runs)
    spec = RunSpec(optimizer, {"lr": 1.0}, noise={"std": 0.2, "seed": 5})
    fast, ref = both(surface, (-5.0, 4.0), 700, spec, lr_scale=lrs, bound=30.0)
    assert ref.diverged.any() or optimizer not in ("sgd", "momentum")
    assert_same(fast, ref)


def test_one_run_diverging_mid_chunk_and_streamed_slices_are_identical() -> None:
    surface = get_surface("rastrigin")  # np.sin, np.cos on floats
    spec = RunSpec("momentum", {"lr": 1.2, "momentum": 0.0})  # x ← −1.4x + …: past the bound at step 14
    fast, ref = both(surface, surface.start, 900, spec)
    assert ref.diverged[0] and 1 < int(ref.alive_until[0]) < 900
    assert_same(fast, ref)
    sliced = Simulator(surface, surface.start, 900, RunSpec("adam", {"lr": 0.3}, noise={"std": 1.0, "seed": 2}))
    while not sliced.finished:
        sliced.advance(97)  # slices that end inside the engine's chunks
    _, whole = both(surface, surface.start, 900, RunSpec("adam", {"lr": 0.3}, noise={"std": 1.0, "seed": 2}))
    assert_same(sliced.result(), whole)


def test_without_the_state_the_other_arrays_are_unchanged() -> None:
    surface = get_surface("himmelblau")
    spec = RunSpec("nadam", {"lr": 0.1})
    lean = run(surface, (-4.0, 4.0), 500, spec, reference=False, record_state=False)
    ref = run(surface, (-4.0, 4.0), 500, spec, reference=True)
    assert lean.state == {}
    for name in ("path", "loss", "grad", "update", "lr"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(ref, name))


def test_a_float_operation_that_raises_sends_the_chunk_to_arrays() -> None:
    # AdaGrad with ε = 0 from the minimum: g = 0, so η/(√h + ε) is 0/0 — ZeroDivisionError on
    # floats, NaN on arrays. The chunk runs on arrays and the run diverges as in the reference.
    surface = get_surface("book_bowl")
    spec = RunSpec("adagrad", {"lr": 0.1, "eps": 0.0})
    fast, ref = both(surface, (0.0, 0.0), 50, spec)
    assert ref.diverged[0]
    assert_same(fast, ref)


def test_custom_and_other_surfaces_keep_the_array_path_and_its_numbers() -> None:
    for surface in (get_surface("beale"), get_surface(None, expression="exp(-x^2) + 0.1*y^2 + sin(x*y)")):
        assert_same(*both(surface, (1.0, 1.2), 400, RunSpec("adam", {"lr": 0.05})))


@pytest.mark.parametrize("optimizer", FIRST_ORDER)
def test_each_rule_gives_floats_the_numbers_it_gives_arrays(optimizer: str) -> None:
    # array_update on a (5, 2) array against the same rule called coordinate by coordinate on floats.
    opt = make_optimizer(optimizer, {"lr": 0.1, **({"weight_decay": 0.03} if optimizer != "adamw" else {})})
    rng = np.random.default_rng(3)
    p = rng.normal(size=(5, 2))
    state = {key: np.zeros_like(p) for key in opt.state_keys}
    floats = [[dict.fromkeys(opt.state_keys, 0.0) for _ in range(2)] for _ in range(5)]
    for t in range(1, 40):
        g = rng.normal(scale=3.0, size=(5, 2))
        delta = opt.array_update(p, g, state, t, 0.1)
        for r in range(5):
            for c in range(2):
                d = opt.array_update(float(p[r, c]), float(g[r, c]), floats[r][c], t, 0.1)  # type: ignore[arg-type]
                assert d == delta[r, c] and type(d) is float
                for key in opt.state_keys:
                    assert floats[r][c][key] == state[key][r, c]
        p = p + delta


def test_elementwise_helpers_equal_numpy_on_special_values() -> None:
    a = np.array(SPECIAL)
    for x in SPECIAL:
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(elementwise.sqrt(x), np.sqrt(np.array(x)))
        for y in SPECIAL:
            np.testing.assert_array_equal(elementwise.maximum(x, y), np.maximum(x, y))
            np.testing.assert_array_equal(elementwise.minimum(x, y), np.minimum(x, y))
        np.testing.assert_array_equal(elementwise.clip(x, -2.0, 3.0), np.clip(x, -2.0, 3.0))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(elementwise.sqrt(a), np.sqrt(a))
    assert math.copysign(1.0, elementwise.sqrt(-0.0)) == -1.0  # as np.sqrt(-0.0)
    buffer = np.ones(3)
    assert elementwise.fresh(buffer) is not buffer and elementwise.fresh(2.0) == 2.0


def test_clip_pair_equals_clip_gradients() -> None:
    rng = np.random.default_rng(0)
    g = np.concatenate([rng.normal(scale=5.0, size=(300, 2)), [[0.0, 0.0], [math.inf, 1.0], [math.nan, 2.0]]])
    for spec in ({"mode": "norm", "max": 2.0}, {"mode": "value", "max": 1.5}):
        with np.errstate(invalid="ignore"):
            (want,) = clip_gradients([g], spec, per_run=True)
        got = np.array([clip_pair(gx, gy, str(spec["mode"]), float(spec["max"])) for gx, gy in g.tolist()])
        np.testing.assert_array_equal(got, want)


SECOND_ORDER = [
    ("lbfgs", {}),
    ("lbfgs", {"line_search": 0, "lr": 0.2}),
    ("lbfgs", {"memory": 3}),
    ("newton", {}),
    ("newton", {"lr": 0.3, "damping": 0.5}),
]


@pytest.mark.parametrize("surface_id", ["rosenbrock", "himmelblau", "rastrigin", "beale"])
@pytest.mark.parametrize(("optimizer", "params"), SECOND_ORDER)
def test_second_order_floats_equal_the_batched_arrays(
    surface_id: str, optimizer: str, params: dict[str, float]
) -> None:
    # Nine runs take the batched path; each run alone the float path (Beale: L-BFGS's line search
    # stays on arrays, its surface is not float-safe): the same numbers.
    surface = get_surface(surface_id)
    rng = np.random.default_rng(1)
    (x0, x1), (y0, y1) = surface.domain
    starts = np.stack([rng.uniform(x0, x1, 9), rng.uniform(y0, y1, 9)], axis=1)
    batch = run(surface, starts, 150, RunSpec(optimizer, params), reference=True)
    for i, start in enumerate(starts):
        alone = run(surface, start, 150, RunSpec(optimizer, params), reference=True)
        n = int(alone.alive_until[0])  # after a divergence the batch records the run frozen, alone it stops
        assert n == batch.alive_until[i]
        for name in ("path", "loss", "grad"):
            np.testing.assert_array_equal(getattr(alone, name)[:n, 0], getattr(batch, name)[:n, i], err_msg=name)
        for name in ("update", "lr"):
            np.testing.assert_array_equal(getattr(alone, name)[:n, 0], getattr(batch, name)[:n, i], err_msg=name)
        for key in alone.state:
            np.testing.assert_array_equal(alone.state[key][:n, 0], batch.state[key][:n, i], err_msg=key)


def test_newton_eigh_is_numpys() -> None:
    rng = np.random.default_rng(0)
    h = rng.normal(size=(200, 2, 2))
    h = h + h.transpose(0, 2, 1)
    for rows in (h, h[:1]):
        lam, vecs = _eigh(rows)
        want = np.linalg.eigh(rows)
        np.testing.assert_array_equal(lam, want.eigenvalues)
        np.testing.assert_array_equal(vecs, want.eigenvectors)


def arrays_only(surface: Surface) -> Surface:
    """The same surface with ``scalar_safe`` off: every evaluation on arrays (the batched path)."""
    cls = type(surface)
    variant = type(f"ArraysOnly{cls.__name__}", (cls,), {"scalar_safe": False})
    out: Surface = variant(**surface.param_values)
    assert out.float_functions() is None and out.float_hessian() is None
    return out


@pytest.mark.parametrize("surface_id", FLOAT_SURFACES)
def test_hessian_on_floats_equals_the_array_hessian(surface_id: str) -> None:
    # Constant entries (the quadratics, Rosenbrock's ∂²f/∂y², Rastrigin's ∂²f/∂x∂y) included.
    surface = get_surface(surface_id)
    hess_of = surface.float_hessian()
    assert hess_of is not None
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = surface.domain
    points = np.stack([rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)], axis=1)
    points = np.concatenate([points, [[1e200, -1e200], [0.0, -0.0], [5e-324, 1e-300]]])
    with np.errstate(all="ignore"):
        want = surface.hessian(points)
        got = np.array([[[hxx, hxy], [hxy, hyy]] for hxx, hxy, hyy in (hess_of(x, y) for x, y in points.tolist())])
    np.testing.assert_array_equal(got, want)


SECOND_ORDER_FLOAT_CASES = [
    ("newton", {"lr": 0.5}),
    ("newton", {"lr": 1.0, "damping": 1e-6}),
    ("lbfgs", {}),  # line search on, η = 1: halves α on the curved surfaces
    ("lbfgs", {"line_search": 0, "lr": 0.05}),
    ("lbfgs", {"memory": 3, "lr": 2.0}),
]


@pytest.mark.parametrize("surface_id", FLOAT_SURFACES)
@pytest.mark.parametrize(("optimizer", "params"), SECOND_ORDER_FLOAT_CASES)
@pytest.mark.parametrize("runs", [1, 3])
def test_second_order_on_floats_equals_the_array_engine_bit_for_bit(
    surface_id: str, optimizer: str, params: dict[str, float], runs: int
) -> None:
    # The float-safe surface (f, ∇f, ∇²f and the line search's f on floats) against the same
    # surface with every evaluation on arrays, in the fast engine and in the step-by-step loop.
    surface = get_surface(surface_id)
    rng = np.random.default_rng(len(surface_id) + runs)
    (x0, x1), (y0, y1) = surface.domain
    starts = np.stack([rng.uniform(x0, x1, runs), rng.uniform(y0, y1, runs)], axis=1)
    spec = RunSpec(optimizer, params)
    fast = run(surface, starts, 300, spec, reference=False)
    assert_same(fast, run(arrays_only(surface), starts, 300, spec, reference=False))
    assert_same(fast, run(arrays_only(surface), starts, 300, spec, reference=True))


def test_lbfgs_line_search_halving_on_floats_is_identical() -> None:
    surface = get_surface("rosenbrock")
    spec = RunSpec("lbfgs", {"lr": 4.0})
    fast = run(surface, (-1.5, 2.0), 200, spec, reference=False)
    steps = fast.state["step_size"][:, 0, 0]
    assert (steps < 4.0).sum() > 10 and (steps <= 0.25).any()  # halved, several times over
    assert_same(fast, run(arrays_only(surface), (-1.5, 2.0), 200, spec, reference=True))


@pytest.mark.parametrize("optimizer", ["newton", "lbfgs"])
@pytest.mark.parametrize("starts", [[(0.3, 0.01)], [(0.3, 0.01), (1.0, 0.5), (-0.2, -1e-3)]])
def test_second_order_diverging_mid_run_on_floats_is_identical(
    optimizer: str, starts: list[tuple[float, float]]
) -> None:
    # On the saddle x² − y² both rules leave along −y² and pass the bound after a few dozen updates,
    # inside a chunk (several runs at different updates).
    surface = get_surface("saddle")
    spec = RunSpec(optimizer, {"lr": 0.5})
    fast = run(surface, starts, 400, spec, reference=False, bound=1e6)
    assert fast.diverged.all() and (fast.alive_until > 3).all() and (fast.alive_until < 300).all()
    assert_same(fast, run(arrays_only(surface), starts, 400, spec, reference=False, bound=1e6))
    assert_same(fast, run(arrays_only(surface), starts, 400, spec, reference=True, bound=1e6))


@pytest.mark.parametrize("optimizer", ["newton", "lbfgs"])
def test_second_order_few_runs_evaluate_on_floats(optimizer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The float path is really taken: the array evaluations of f, ∇f (per update) and ∇²f are not called.
    surface = get_surface("rosenbrock")
    want = run(surface, (-1.5, 2.0), 300, RunSpec(optimizer), reference=False)

    def refuse(*args: object) -> None:
        raise AssertionError("array evaluation on a float-safe surface")

    monkeypatch.setattr(surface, "hessian", refuse)
    monkeypatch.setattr(surface, "value_and_gradient_into", refuse)
    assert_same(run(surface, (-1.5, 2.0), 300, RunSpec(optimizer), reference=False), want)

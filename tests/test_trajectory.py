"""Optimizer runs on surfaces: the course's worked numbers, divergence, vectorisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.trajectory import RunSpec, Simulation, gd_stability_threshold, lr_sweep, simulate, start_map

J = get_surface("course_quadratic")


def gd(lr: float, steps: int = 30) -> Simulation:
    return simulate(J, [-5.0, 4.0], steps, RunSpec("sgd", {"lr": lr}))


def test_course_numbers_eta_0_1() -> None:
    # docs/surfaces.md: x(1) = (−3.6, 1.9), x(2) = (−2.69, 0.78), x(30) ≈ (−0.0161, −0.00665).
    path = gd(0.1).path[:, 0]
    np.testing.assert_allclose(path[0], [-5.0, 4.0])
    np.testing.assert_allclose(path[1], [-3.6, 1.9], atol=1e-12)
    np.testing.assert_allclose(path[2], [-2.69, 0.78], atol=1e-12)
    np.testing.assert_allclose(path[30], [-0.0161, -0.00665], rtol=2e-2)


def test_course_eta_0_5_grows_and_0_01_is_slow() -> None:
    big, small, good = gd(0.5), gd(0.01), gd(0.1)
    assert big.diverged[0] or big.loss[-1, 0] > big.loss[0, 0]
    assert good.loss[-1, 0] < 1e-3 < small.loss[-1, 0] < small.loss[0, 0]


def test_eta_0_5_is_reported_diverged_given_enough_steps() -> None:
    sim = gd(0.5, steps=400)
    assert sim.diverged[0]
    n = int(sim.alive_until[0])
    assert 0 < n <= 400 and np.isfinite(sim.path[:n, 0]).all()
    assert np.abs(sim.final[0]).max() <= 1e8


def test_gd_threshold_matches_the_hessian() -> None:
    # Hessian eigenvalues 3 ± √2 → stable only for η < 2/(3+√2) ≈ 0.453.
    thr = gd_stability_threshold(J)
    assert thr is not None
    assert thr == pytest.approx(2 / (3 + math.sqrt(2)))
    sweep = lr_sweep(J, [-5.0, 4.0], 200, RunSpec("sgd"), np.array([0.9 * thr, 1.1 * thr]))
    assert sweep.final_loss[0] < 1e-2 and (sweep.diverged[1] or sweep.final_loss[1] > 1e3)


def test_textbook_first_sgd_step() -> None:
    # f = x²/20 + y², ∇f = (x/10, 2y); from (−7, 2) with η = 0.95: (−7 + 0.665, 2 − 3.8).
    sim = simulate(get_surface("book_bowl"), [-7.0, 2.0], 1, RunSpec("sgd", {"lr": 0.95}))
    np.testing.assert_allclose(sim.path[1, 0], [-6.335, -1.8])


def test_recorded_arrays_are_consistent() -> None:
    sim = simulate(J, [-5.0, 4.0], 10, RunSpec("momentum", {"lr": 0.05}))
    path, upd = sim.path[:, 0], sim.update[:, 0]
    np.testing.assert_allclose(path[1:] - path[:-1], upd)
    np.testing.assert_allclose(sim.state["v"][:, 0], upd)  # momentum's Δθ is v
    np.testing.assert_allclose(sim.grad[:, 0], J.gradient(path))
    np.testing.assert_allclose(sim.loss[:, 0], J.value(path))


def test_batched_starts_equal_single_runs() -> None:
    surface = get_surface("himmelblau")
    xs, ys = np.linspace(-4, 4, 5), np.linspace(-4, 4, 4)
    spec = RunSpec("adam", {"lr": 0.05})
    m = start_map(surface, xs, ys, 50, spec)
    single = simulate(surface, [xs[3], ys[2]], 50, spec)
    np.testing.assert_allclose(m.final[2 * 5 + 3], single.final[0])


def test_every_optimizer_reduces_the_bowl_loss() -> None:
    surface = get_surface("book_bowl")
    lrs = {"sgd": 0.9, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5, "rmsprop": 0.1, "adam": 0.3,
           "adamw": 0.3, "nadam": 0.3, "amsgrad": 0.3, "adadelta": 1.0, "newton": 1.0, "lbfgs": 1.0}  # fmt: skip
    for opt, lr in lrs.items():
        sim = simulate(surface, [-7.0, 2.0], 100, RunSpec(opt, {"lr": lr}))
        assert not sim.diverged[0], opt
        # AdaDelta's unit-correcting steps start tiny (√ε): it only has to be descending here.
        assert sim.final_loss[0] < (0.9 if opt == "adadelta" else 0.5) * sim.loss[0, 0], opt


def test_noise_is_reproducible_and_lets_sgd_leave_the_saddle_axis() -> None:
    saddle = get_surface("saddle")
    spec = RunSpec("sgd", {"lr": 0.05}, noise={"std": 0.5, "seed": 1})
    a = simulate(saddle, [-3.0, 0.0], 60, spec)
    b = simulate(saddle, [-3.0, 0.0], 60, spec)
    np.testing.assert_array_equal(a.path, b.path)
    plain = simulate(saddle, [-3.0, 0.0], 60, RunSpec("sgd", {"lr": 0.05}))
    assert abs(plain.final[0, 1]) == 0.0 and abs(a.final[0, 1]) > 0.5


def test_clipping_bounds_every_step() -> None:
    sim = simulate(
        get_surface("rosenbrock"), [-1.5, 2.0], 50, RunSpec("sgd", {"lr": 0.01}, clip={"mode": "norm", "max": 1.0})
    )
    assert np.linalg.norm(sim.update[:, 0], axis=1).max() <= 0.01 + 1e-12


def test_schedule_is_applied_per_step() -> None:
    sim = simulate(
        J,
        [-5.0, 4.0],
        20,
        RunSpec("sgd", {"lr": 0.1}, schedule={"type": "exponential", "decay_rate": 0.5, "decay_steps": 10}),
    )
    np.testing.assert_allclose(sim.lr[[0, 10, 19], 0], [0.1, 0.05, 0.1 * 0.5**1.9])

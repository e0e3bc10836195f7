"""Value bounds of the built-in surfaces, and the unrecorded engine that skips f inside them.

``Surface.value_bound(r)`` must bound |f| on the whole box |x|, |y| ≤ r: checked against f on many
sampled points, the box's corners and edge midpoints, for several r and parameter values. The
engine (``Simulator._columns_unrecorded``) computes only ∇f at an update whose new positions all lie
within the radius where that bound stays below the divergence bound; its final points, their f
and ``alive_until`` must still equal the step-by-step loop's bit for bit, both when every update
skips f and when runs leave that box, or pass the bound only through f, and fall back to f.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.core.lab2d.surfaces import SURFACES, Surface, get_surface
from app.core.lab2d.trajectory import RunSpec, Simulator, _safe_radius

PARAMS: list[tuple[str, dict[str, float]]] = [
    *[(sid, {}) for sid in SURFACES],
    ("rosenbrock", {"a": -2.0, "b": 1000.0}),
    ("rosenbrock", {"a": 2.0, "b": 1.0}),
    ("ill_conditioned", {"kappa": 1e4, "angle_deg": -90.0}),
    ("ill_conditioned", {"kappa": 37.0, "angle_deg": 45.0}),
    ("ill_conditioned", {"kappa": 1.0, "angle_deg": 0.0}),
]
RADII = (0.0, 1e-3, 0.3, 1.0, 2.5, 7.0, 40.0, 1e3)


def box_points(r: float, n: int = 4000, seed: int = 0) -> np.ndarray:
    """(n + 8 + 1, 2) points of the box |x|, |y| ≤ r: uniform samples, corners, edge midpoints, centre."""
    rng = np.random.default_rng(seed)
    inside = rng.uniform(-r, r, size=(n, 2))
    corners = np.array([[sx * r, sy * r] for sx in (-1, 1) for sy in (-1, 1)])
    edges = np.array([[r, 0.0], [-r, 0.0], [0.0, r], [0.0, -r], [0.0, 0.0]])
    return np.concatenate([inside, corners, edges])


@pytest.mark.parametrize(("surface_id", "params"), PARAMS)
def test_value_bound_holds_on_the_box(surface_id: str, params: dict[str, float]) -> None:
    surface = get_surface(surface_id, params)
    previous = 0.0
    for r in RADII:
        bound = surface.value_bound(r)
        assert bound is not None and np.isfinite(bound)
        assert bound >= previous  # nondecreasing in r (the engine bisects on it)
        previous = bound
        f = surface.value(box_points(r))
        assert np.isfinite(f).all()
        # A bound of the exact f: the computed f may pass a tight bound (a quadratic form at a
        # corner) by rounding, which the engine's margin (half the divergence bound) covers.
        assert np.abs(f).max() <= bound * (1 + 1e-12), (r, np.abs(f).max(), bound)


def test_surfaces_without_a_formula_bound_give_none() -> None:
    assert get_surface(None, expression="x^2 + y^2").value_bound(1.0) is None


@pytest.mark.parametrize("surface_id", list(SURFACES))
@pytest.mark.parametrize("bound", [1e4, 1e8, 1.7976931348623157e308])
def test_safe_radius_is_the_largest_box_within_half_the_bound(surface_id: str, bound: float) -> None:
    surface = get_surface(surface_id)
    r = _safe_radius(surface, bound)
    assert 0.0 < r <= bound
    value_bound = surface.value_bound(r)
    assert value_bound is not None and value_bound <= 0.5 * bound
    if r < bound:  # nearly the largest: a slightly larger box may exceed half the bound
        above = surface.value_bound(r * (1 + 1e-9))
        assert above is not None and above > 0.5 * bound


def test_safe_radius_is_minus_infinity_without_a_value_bound() -> None:
    assert _safe_radius(get_surface(None, expression="x^2 + y^2"), 1e8) == -np.inf


def test_without_a_value_bound_f_is_checked_even_at_the_origin() -> None:
    # ∇f(1, 1) = (2, 2) exactly (the spike's exp underflows to 0), so one SGD step of η = ½ lands
    # exactly on (0, 0), where f = 60 passes the bound 50: the run stops at update 1 with f(1, 1).
    surface = get_surface(None, expression="x^2 + y^2 + 60*exp(-1000000*(x^2 + y^2))")
    spec = RunSpec("sgd", {"lr": 0.5})
    starts = np.ones((3, 2))
    for reference in (False, True):
        sim = Simulator(surface, starts, 10, spec, record=False, bound=50.0, reference=reference)
        sim.advance()
        np.testing.assert_array_equal(sim.result().alive_until, [1, 1, 1])
        np.testing.assert_array_equal(sim.result().final, starts)
        np.testing.assert_array_equal(sim.result().final_loss, [2.0, 2.0, 2.0])


class Calls:
    """Counts of the surface's f-and-∇f and ∇f-only evaluations (instance attributes shadow the methods)."""

    def __init__(self, surface: Surface) -> None:
        self.both = self.grad_only = 0
        both, grad_only = surface.value_and_gradient_into, surface.gradient_into

        def counted_both(theta: Any, out: Any) -> Any:
            self.both += 1
            return both(theta, out)

        def counted_grad(theta: Any, out: Any) -> Any:
            self.grad_only += 1
            return grad_only(theta, out)

        surface.value_and_gradient_into = counted_both  # type: ignore[method-assign]
        surface.gradient_into = counted_grad  # type: ignore[method-assign]


def grid(surface: Surface, nx: int, ny: int, scale: float = 1.0) -> np.ndarray:
    """(nx · ny, 2) starts on the surface's domain, shrunk by ``scale`` around its centre."""
    (x0, x1), (y0, y1) = surface.domain
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, scale * (x1 - x0) / 2, scale * (y1 - y0) / 2
    gx, gy = np.meshgrid(np.linspace(cx - hx, cx + hx, nx), np.linspace(cy - hy, cy + hy, ny))
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def run_both(surface_id: str, starts: np.ndarray, steps: int, spec: RunSpec, bound: float) -> tuple[Simulator, Calls]:
    """The fast engine (counted) against the reference loop, asserting identical results."""
    surface = get_surface(surface_id)
    calls = Calls(surface)
    fast = Simulator(surface, starts, steps, spec, record=False, bound=bound)
    fast.advance()
    ref = Simulator(get_surface(surface_id), starts, steps, spec, record=False, bound=bound, reference=True)
    ref.advance()
    a, b = fast.result(), ref.result()
    np.testing.assert_array_equal(a.alive_until, b.alive_until)
    np.testing.assert_array_equal(a.final, b.final)
    np.testing.assert_array_equal(a.final_loss, b.final_loss)
    assert fast.k == ref.k
    return fast, calls


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("surface_id", list(SURFACES))
def test_inside_the_safe_box_f_is_skipped(surface_id: str, optimizer: str) -> None:
    # Small steps from a shrunk grid with the default bound: every position stays in the safe box.
    lr = {"sgd": 1e-4, "momentum": 2e-5, "adam": 1e-3}[optimizer]
    starts = grid(get_surface(surface_id), 7, 6, scale=0.5)
    fast, calls = run_both(surface_id, starts, 300, RunSpec(optimizer, {"lr": lr}), bound=1e8)
    assert fast.alive.all()
    assert calls.grad_only >= 300 and calls.both == 0


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adadelta"])
@pytest.mark.parametrize("surface_id", list(SURFACES))
def test_leaving_the_safe_box_falls_back_to_f(surface_id: str, optimizer: str) -> None:
    # A bound near the typical |f| of the domain: r_safe is inside the domain, runs go in and out
    # of the safe box, some stop because f alone passes the bound at an in-bound position, others
    # because large steps throw them out of the bound or to non-finite numbers.
    surface = get_surface(surface_id)
    starts = grid(surface, 11, 9)
    bound = float(np.quantile(np.abs(surface.value(starts)), 0.6)) + 1.0
    lr = {"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "rmsprop": 0.3, "adam": 0.5, "adadelta": 5.0}[optimizer]
    _, calls = run_both(surface_id, starts, 200, RunSpec(optimizer, {"lr": lr}), bound=bound)
    assert calls.both > 0


DIVERGING = {"book_bowl": ("sgd", 1.5), "course_quadratic": ("momentum", 1.0), "ill_conditioned": ("momentum", 0.5)}


@pytest.mark.parametrize("surface_id", list(SURFACES))
def test_f_passes_the_bound_inside_the_bound_but_outside_the_safe_box(surface_id: str) -> None:
    # Runs stop where only f passes the bound (the position is finite and within it): the recorded
    # reference shows such a stop, and the unrecorded engine stops them at the same update.
    surface = get_surface(surface_id)
    starts = grid(surface, 11, 9)
    bound = float(np.quantile(np.abs(surface.value(starts)), 0.6)) + 1.0
    # Steps large enough to make the bowls diverge (elsewhere the valleys' walls do it).
    optimizer, lr = DIVERGING.get(surface_id, ("momentum", 0.02))
    spec = RunSpec(optimizer, {"lr": lr})
    recorded = Simulator(surface, starts, 200, spec, bound=bound, reference=True)
    recorded.advance()
    rec = recorded.recording
    assert rec is not None
    k = recorded.alive_until - 1  # the failing update of each stopped run
    stopped = np.flatnonzero((recorded.alive_until >= 1) & (recorded.alive_until <= 200))
    at = rec.path[k[stopped] + 1, stopped]
    f_only = np.isfinite(at).all(axis=1) & (np.abs(at) <= bound).all(axis=1)
    f_only &= np.abs(rec.loss[k[stopped] + 1, stopped]) > bound
    assert f_only.any()
    assert np.abs(at[f_only]).max() > _safe_radius(surface, bound)
    run_both(surface_id, starts, 200, spec, bound=bound)

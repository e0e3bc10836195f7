"""Built-in 2-D surfaces: exact derivatives, listed stationary points, lookup, nearest minimum, grids."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.lab2d.surfaces import (
    LOG_OFFSET,
    SURFACES,
    ExpressionSurface,
    Surface,
    contour_levels,
    get_surface,
    grid,
    list_surfaces,
    nearest_minimum,
)

REQUIRED_IDS = [
    "book_bowl", "course_quadratic", "rosenbrock", "beale", "himmelblau", "saddle",
    "monkey_saddle", "local_minima", "rastrigin", "six_hump_camel", "ill_conditioned",
]  # fmt: skip

# Every surface, plus parameterised ones away from their defaults.
VARIANTS: list[tuple[str, dict[str, float]]] = [(sid, {}) for sid in REQUIRED_IDS] + [
    ("rosenbrock", {"a": -1.3, "b": 7.0}),
    ("rosenbrock", {"a": 2.0, "b": 1000.0}),
    ("ill_conditioned", {"kappa": 1e4, "angle_deg": -70.0}),
    ("ill_conditioned", {"kappa": 1.0, "angle_deg": 0.0}),
]
VARIANT_IDS = [f"{sid}{params or ''}" for sid, params in VARIANTS]


def _random_points(surface: Surface, n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.domain
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


def _fd_gradient(surface: Surface, p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    out = np.empty(p.shape)
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        out[..., k] = (surface.value(p + step) - surface.value(p - step)) / (2 * h)
    return out


def _fd_hessian(surface: Surface, p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    out = np.empty((*p.shape, 2))
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        out[..., k, :] = (surface.gradient(p + step) - surface.gradient(p - step)) / (2 * h)
    return out


def test_all_required_surfaces_are_registered() -> None:
    assert list(SURFACES) == REQUIRED_IDS
    assert [s.id for s in list_surfaces()] == REQUIRED_IDS


@pytest.mark.parametrize(("sid", "params"), VARIANTS, ids=VARIANT_IDS)
def test_gradient_and_hessian_match_central_differences(sid: str, params: dict[str, float]) -> None:
    s = get_surface(sid, params)
    p = _random_points(s, 400)
    g, h = s.gradient(p), s.hessian(p)
    assert g.shape == (400, 2) and h.shape == (400, 2, 2)
    np.testing.assert_allclose(_fd_gradient(s, p), g, rtol=1e-6, atol=1e-7 * (1 + np.abs(g).max()))
    np.testing.assert_allclose(_fd_hessian(s, p), h, rtol=1e-6, atol=1e-7 * (1 + np.abs(h).max()))
    np.testing.assert_array_equal(h[:, 0, 1], h[:, 1, 0])


@pytest.mark.parametrize("sid", REQUIRED_IDS)
def test_methods_accept_any_batch_shape(sid: str) -> None:
    s = get_surface(sid)
    p = _random_points(s, 24).reshape(2, 3, 4, 2)
    assert s.value(p).shape == (2, 3, 4)
    assert s.gradient(p).shape == (2, 3, 4, 2)
    assert s.hessian(p).shape == (2, 3, 4, 2, 2)
    assert s.value(p[0, 0, 0]).shape == ()
    np.testing.assert_array_equal(s.value(p)[1, 2, 3], s.value(p[1, 2, 3]))
    np.testing.assert_array_equal(s.hessian(p)[1, 2], s.hessian(p[1, 2]))


def _gradient_tolerance(s: Surface) -> float:
    # float64 rounding of ∇f near a stationary point scales with the size of the terms in f
    z = np.abs(s.value(_random_points(s, 200)))
    return 1e-11 * (1 + float(z.max()))


@pytest.mark.parametrize(("sid", "params"), VARIANTS, ids=VARIANT_IDS)
def test_listed_minima_are_stationary_with_positive_definite_hessian(sid: str, params: dict[str, float]) -> None:
    s = get_surface(sid, params)
    tol = _gradient_tolerance(s)
    for m in s.minima:
        assert np.linalg.norm(s.gradient(m)) <= tol, m
        assert np.linalg.eigvalsh(s.hessian(m)).min() > 0, m


@pytest.mark.parametrize("sid", REQUIRED_IDS)
def test_listed_saddles_are_saddles(sid: str) -> None:
    s = get_surface(sid)
    tol = _gradient_tolerance(s)
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    for p in s.saddles:
        assert np.linalg.norm(s.gradient(p)) <= tol, p
        lam = np.linalg.eigvalsh(s.hessian(p))
        if sid == "monkey_saddle":
            np.testing.assert_array_equal(lam, [0.0, 0.0])  # degenerate: the Hessian vanishes
        else:
            assert lam.min() < 0 < lam.max(), p
        # Definition of a saddle: f goes both above and below f(p) on a small circle around p.
        ring = np.asarray(p) + 1e-3 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        f0, f = s.value(p), s.value(ring)
        assert (f > f0).any() and (f < f0).any(), p


def _newton_stationary_points(s: Surface, n: int = 24) -> list[tuple[np.ndarray, str]]:
    """Stationary points in the domain reached by Newton's method from an n×n grid of starts."""
    (x0, x1), (y0, y1) = s.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    p = np.stack([gx.ravel(), gy.ravel()], axis=-1)
    with np.errstate(all="ignore"):
        for _ in range(60):
            g, h = s.gradient(p), s.hessian(p)
            det = h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] ** 2
            # H⁻¹ g via the 2×2 adjugate
            step_x = h[:, 1, 1] * g[:, 0] - h[:, 0, 1] * g[:, 1]
            step_y = h[:, 0, 0] * g[:, 1] - h[:, 0, 1] * g[:, 0]
            p = p - np.stack([step_x, step_y], -1) / det[:, None]
        g, h = s.gradient(p), s.hessian(p)
    out = []
    tol = _gradient_tolerance(s) * 10
    for i in range(len(p)):
        inside = x0 <= p[i, 0] <= x1 and y0 <= p[i, 1] <= y1
        if np.isfinite(p[i]).all() and inside and np.linalg.norm(g[i]) < tol:
            lam = np.linalg.eigvalsh(h[i])
            kind = "min" if lam.min() > 0 else "max" if lam.max() < 0 else "saddle"
            out.append((p[i], kind))
    return out


@pytest.mark.parametrize("sid", ["beale", "himmelblau", "local_minima", "six_hump_camel", "rosenbrock", "book_bowl"])
def test_no_stationary_point_is_missing_from_the_lists(sid: str) -> None:
    # Independent search: every minimum / saddle Newton's method finds must be listed.
    s = get_surface(sid)
    found = _newton_stationary_points(s)
    assert any(kind == "min" for _, kind in found)
    for p, kind in found:
        if kind == "max":
            continue
        listed = np.asarray(s.minima if kind == "min" else s.saddles).reshape(-1, 2)
        assert len(listed) and np.min(np.linalg.norm(listed - p, axis=1)) < 1e-6, (kind, p)


def test_rastrigin_lists_every_local_minimum_in_its_domain() -> None:
    s = get_surface("rastrigin")
    assert len(s.minima) == 121 and s.global_minima == [(0.0, 0.0)]
    found = [p for p, kind in _newton_stationary_points(s, n=41) if kind == "min"]
    assert len(found) > 50
    listed = np.asarray(s.minima)
    for p in found:
        assert np.min(np.linalg.norm(listed - p, axis=1)) < 1e-9


@pytest.mark.parametrize("sid", REQUIRED_IDS)
def test_global_minima_come_first_and_are_lowest(sid: str) -> None:
    s = get_surface(sid)
    if not s.minima:
        assert sid in ("saddle", "monkey_saddle") and s.global_minima == []
        return
    values = s.value(np.asarray(s.minima))
    glob = s.value(np.asarray(s.global_minima))
    assert s.minima[: len(s.global_minima)] == s.global_minima
    np.testing.assert_allclose(glob, values.min(), atol=1e-12)
    assert (values[len(glob) :] > values.min() + 1e-6).all()
    # sampling the domain never finds anything lower than the global minimum
    assert s.value(_random_points(s, 5000)).min() >= values.min() - 1e-12


@pytest.mark.parametrize("sid", REQUIRED_IDS)
def test_metadata_is_complete_and_json_safe(sid: str) -> None:
    s = get_surface(sid)
    info = s.info()
    json.dumps(info, allow_nan=False)
    assert set(s.name) == {"en", "ko"} and set(s.description) == {"en", "ko"}
    assert any("\uac00" <= ch <= "\ud7a3" for ch in s.description["ko"])  # Hangul
    assert s.formula and "=" in s.formula
    (x0, x1), (y0, y1) = s.domain
    assert x0 < s.start[0] < x1 and y0 < s.start[1] < y1
    for p in [*s.minima, *s.saddles]:
        assert x0 <= p[0] <= x1 and y0 <= p[1] <= y1


# --------------------------------------------------------------------------------------------
# Surface-specific truths (docs/surfaces.md, hand-computed values)
# --------------------------------------------------------------------------------------------


def test_book_bowl_matches_the_textbook() -> None:
    s = get_surface("book_bowl")
    assert s.domain == ((-10.0, 10.0), (-5.0, 5.0)) and s.start == (-7.0, 2.0)
    assert s.value((-7.0, 2.0)) == pytest.approx(49 / 20 + 4)
    np.testing.assert_allclose(s.gradient((-7.0, 2.0)), [-0.7, 4.0])
    np.testing.assert_allclose(s.hessian((1.0, 1.0)), [[0.1, 0.0], [0.0, 2.0]])


def test_course_quadratic_matches_the_course_numbers() -> None:
    s = get_surface("course_quadratic")
    assert s.start == (-5.0, 4.0)
    p = np.array([[-5.0, 4.0], [1.5, -0.25]])
    np.testing.assert_array_equal(s.gradient(p), np.stack([2 * p[:, 0] - p[:, 1], 4 * p[:, 1] - p[:, 0]], -1))
    lam = np.linalg.eigvalsh(s.hessian((0.3, 0.7)))
    np.testing.assert_allclose(lam, [3 - math.sqrt(2), 3 + math.sqrt(2)], rtol=1e-14)
    # docs/surfaces.md worked numbers: plain GD with η = 0.1 from (−5, 4).
    theta = np.array([-5.0, 4.0])
    path = [theta]
    for _ in range(30):
        theta = theta - 0.1 * s.gradient(theta)
        path.append(theta)
    np.testing.assert_allclose(path[1], [-3.6, 1.9], rtol=1e-12)
    np.testing.assert_allclose(path[2], [-2.69, 0.78], rtol=1e-12)
    np.testing.assert_allclose(path[30], [-0.0161, -0.00665], rtol=5e-3)
    assert 2 / lam.max() == pytest.approx(0.453, abs=5e-4)


def test_rosenbrock_parameters_move_the_minimum() -> None:
    s = get_surface("rosenbrock", {"a": -1.5, "b": 30})
    assert s.minima == [(-1.5, 2.25)]
    assert s.value((-1.5, 2.25)) == 0.0
    assert s.value((0.0, 0.0)) == pytest.approx(1.5**2)
    (x0, x1), (y0, y1) = s.domain
    assert x0 <= -1.5 <= x1 and y0 <= 2.25 <= y1
    assert get_surface("rosenbrock").minima == [(1.0, 1.0)]
    assert get_surface("rosenbrock").start == (-1.5, 2.0)


def test_himmelblau_has_four_zero_minima() -> None:
    s = get_surface("himmelblau")
    assert len(s.minima) == 4 and len(s.global_minima) == 4
    np.testing.assert_allclose(s.value(np.asarray(s.minima)), 0.0, atol=1e-26)


def test_six_hump_camel_global_value() -> None:
    s = get_surface("six_hump_camel")
    assert len(s.minima) == 6 and len(s.global_minima) == 2
    np.testing.assert_allclose(s.value(np.asarray(s.global_minima)), -1.0316284534898774, rtol=1e-14)


def test_saddle_surfaces() -> None:
    s = get_surface("saddle")
    assert s.minima == [] and s.saddles == [(0.0, 0.0)]
    assert s.start[0] == -4.0 and 0 < abs(s.start[1]) < 0.01  # slightly off the x axis
    np.testing.assert_allclose(s.hessian((3.0, -2.0)), [[2, 0], [0, -2]])
    m = get_surface("monkey_saddle")
    assert m.value((1.0, 1.0)) == -2.0
    np.testing.assert_allclose(m.gradient((1.0, 2.0)), [3 - 12, -12])


def test_local_minima_surface_has_a_shallow_trap_and_a_deeper_global_minimum() -> None:
    s = get_surface("local_minima")
    (g,), (loc,) = s.global_minima, s.minima[1:]
    assert s.value(g) < s.value(loc) - 1.0
    # plain gradient descent from the suggested start is caught in the local minimum
    theta = np.asarray(s.start)
    for _ in range(2000):
        theta = theta - 0.1 * s.gradient(theta)
    np.testing.assert_allclose(theta, loc, atol=1e-6)


@pytest.mark.parametrize(("kappa", "angle"), [(10.0, 30.0), (1e4, 30.0), (250.0, -45.0), (1.0, 0.0)])
def test_ill_conditioned_hessian_has_eigenvalues_one_and_kappa(kappa: float, angle: float) -> None:
    s = get_surface("ill_conditioned", {"kappa": kappa, "angle_deg": angle})
    lam, vec = np.linalg.eigh(s.hessian((0.4, -2.0)))
    np.testing.assert_allclose(lam, [1.0, kappa], rtol=1e-12)
    if kappa > 1:
        # the steep direction is the y axis rotated by the angle: (−sin θ, cos θ)
        t = math.radians(angle)
        assert abs(vec[:, 1] @ np.array([-math.sin(t), math.cos(t)])) == pytest.approx(1.0, abs=1e-12)
    p = np.array([1.3, -0.7])
    assert s.value(p) == pytest.approx(0.5 * p @ s.hessian(p) @ p, rel=1e-14)


def test_ill_conditioned_defaults() -> None:
    s = get_surface("ill_conditioned")
    specs = {p["name"]: p for p in s.params}
    assert specs["kappa"]["default"] == 10 and specs["kappa"]["min"] == 1 and specs["kappa"]["max"] == 1e4
    assert specs["angle_deg"]["default"] == 30
    assert s.param_values == {"kappa": 10.0, "angle_deg": 30.0}


# --------------------------------------------------------------------------------------------
# get_surface errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field", "fragment"),
    [
        (("nope",), "surface", "unknown surface 'nope'"),
        (("ill_conditioned", {"kappa": 0.5}), "surface_params.kappa", "between 1 and 10000"),
        (("ill_conditioned", {"kappa": 1e5}), "surface_params.kappa", "between 1 and 10000"),
        (("ill_conditioned", {"kappa": float("nan")}), "surface_params.kappa", "between"),
        (("ill_conditioned", {"kapa": 3}), "surface_params.kapa", "no parameter 'kapa'"),
        (("book_bowl", {"kappa": 3}), "surface_params.kappa", "has no parameters"),
        (("rosenbrock", {"b": "100"}), "surface_params.b", "must be a number"),
        (("rosenbrock", {"a": True}), "surface_params.a", "must be a number"),
        (("book_bowl", None, "x^2"), "expression", "only used with the custom surface"),
        (("custom",), "expression", "required"),
        ((None, None, "  "), "expression", "required"),
        (("custom", {"kappa": 2}, "x^2"), "surface_params.kappa", "no parameters"),
        (("custom", None, "x.__class__"), "expression", "position 2"),
    ],
)
def test_get_surface_errors_name_the_field(args: tuple[Any, ...], field: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        get_surface(*args)
    assert info.value.field == field
    assert fragment in info.value.message


def test_get_surface_builds_custom_surfaces() -> None:
    s = get_surface(None, expression="x^2 + y^2")
    assert isinstance(s, ExpressionSurface) and s.id == "custom"
    window = ((-1.0, 1.0), (0.0, 2.0))
    assert get_surface("custom", expression="x^2 + y^2", domain=window).domain == window


# --------------------------------------------------------------------------------------------
# nearest_minimum
# --------------------------------------------------------------------------------------------


def test_nearest_minimum_picks_the_closest_listed_minimum() -> None:
    s = get_surface("himmelblau")
    minima = np.asarray(s.minima)
    offsets = np.array([[0.1, -0.2], [0.0, 0.3], [-0.25, 0.0], [0.05, 0.05]])
    pts = (minima + offsets).reshape(2, 2, 2)
    nearest, dist = nearest_minimum(s, pts)
    assert nearest.shape == (2, 2, 2) and dist.shape == (2, 2)
    np.testing.assert_allclose(nearest.reshape(4, 2), minima)
    np.testing.assert_allclose(dist.ravel(), np.linalg.norm(offsets, axis=1))
    n1, d1 = nearest_minimum(s, np.array([3.0, 2.0]))
    assert n1.shape == (2,) and d1.shape == () and d1 == 0.0


def test_nearest_minimum_matches_brute_force_on_many_points() -> None:
    s = get_surface("rastrigin")
    pts = _random_points(s, 30_000, seed=3)
    nearest, dist = nearest_minimum(s, pts)
    minima = np.asarray(s.minima)
    sub = pts[::97]
    d = np.linalg.norm(sub[:, None, :] - minima[None], axis=-1)
    np.testing.assert_allclose(dist[::97], d.min(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(nearest[::97], minima[d.argmin(axis=1)])


def test_nearest_minimum_is_nan_without_minima_or_for_bad_points() -> None:
    nearest, dist = nearest_minimum(get_surface("saddle"), np.zeros((3, 2)))
    assert np.isnan(nearest).all() and np.isnan(dist).all() and nearest.shape == (3, 2)
    nearest, dist = nearest_minimum(get_surface("book_bowl"), np.array([[np.nan, 1.0], [np.inf, 0.0], [3.0, 4.0]]))
    assert np.isnan(dist[:2]).all() and dist[2] == 5.0


# --------------------------------------------------------------------------------------------
# grid and contour levels
# --------------------------------------------------------------------------------------------


def test_grid_orientation_is_z_row_y_column_x() -> None:
    s = get_surface("book_bowl")
    g = grid(s, 9, "linear")
    np.testing.assert_array_equal(g.x, np.linspace(-10, 10, 9))
    np.testing.assert_array_equal(g.y, np.linspace(-5, 5, 9))
    for i in (0, 3, 8):
        for j in (0, 5, 8):
            assert g.z[i, j] == s.value((g.x[j], g.y[i]))
    assert g.z_min == 0.0 and g.z_max == 100 / 20 + 25


def test_grid_bounds_override_the_domain_partly() -> None:
    g = grid(get_surface("book_bowl"), 5, "log", bounds=(0.0, 1.0, None, None))
    np.testing.assert_array_equal(g.x, np.linspace(0, 1, 5))
    np.testing.assert_array_equal(g.y, np.linspace(-5, 5, 5))


@pytest.mark.parametrize(
    ("bounds", "field"),
    [
        ((1.0, 0.0, None, None), "x_max"),
        ((None, None, 2.0, 2.0), "y_max"),
        ((float("inf"), None, None, None), "x_min"),
        ((None, None, None, 1e7), "y_max"),
    ],
)
def test_grid_rejects_bad_bounds(bounds: tuple[Any, ...], field: str) -> None:
    with pytest.raises(InputError) as info:
        grid(get_surface("book_bowl"), 5, "log", bounds=bounds)
    assert info.value.field == field


def test_grid_rejects_bad_n_and_scale() -> None:
    with pytest.raises(InputError) as info:
        grid(get_surface("book_bowl"), 1, "log")
    assert info.value.field == "n"
    with pytest.raises(InputError) as info:
        grid(get_surface("book_bowl"), 5, "cubic")
    assert info.value.field == "scale"


def test_linear_levels_are_evenly_spaced_inside_the_range() -> None:
    g = grid(get_surface("himmelblau"), 50, "linear")
    lv = g.levels
    assert g.z_min is not None and g.z_max is not None
    assert len(lv) == 30 and g.z_min < lv[0] and lv[-1] < g.z_max
    np.testing.assert_allclose(np.diff(lv), (g.z_max - g.z_min) / 31)


def test_log_levels_are_geometric_above_the_minimum() -> None:
    g = grid(get_surface("rosenbrock"), 120, "log")
    assert g.z_min is not None and g.z_max is not None
    span = g.z_max - g.z_min
    eps = LOG_OFFSET * span
    shifted = g.levels - g.z_min + eps
    ratios = shifted[1:] / shifted[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    assert g.levels[-1] == pytest.approx(g.z_max)
    assert g.z_min < g.levels[0] < g.z_min + 0.001 * span  # dense near the valley floor
    assert (np.diff(g.levels) > 0).all()
    # more than half of the levels lie in the lowest 5% of the range: the valley gets drawn
    assert (g.levels < g.z_min + 0.05 * span).sum() > 15


def test_levels_ignore_non_finite_values() -> None:
    z = np.array([[np.nan, 1.0], [3.0, np.inf]])
    lv, lo, hi = contour_levels(np.where(np.isfinite(z), z, np.nan), "linear", 3)
    assert (lo, hi) == (1.0, 3.0)
    np.testing.assert_allclose(lv, [1.5, 2.0, 2.5])
    assert contour_levels(np.full((2, 2), np.nan), "log")[1:] == (None, None)
    lv, lo, hi = contour_levels(np.ones((3, 3)), "log")
    assert list(lv) == [1.0] and lo == hi == 1.0


def test_grid_of_a_partly_undefined_custom_surface() -> None:
    g = grid(get_surface("custom", expression="log(x) + y"), 11, "log")
    assert np.isnan(g.z[:, g.x <= 0]).all()
    assert np.isfinite(g.z[:, g.x > 0]).all()
    assert np.isfinite(g.levels).all() and g.z_min is not None

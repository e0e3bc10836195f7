"""The loss landscape and curvature of an MLP (app/core/nn/landscape.py, hessian.py), against independent truth."""

from __future__ import annotations

import os

import numpy as np
import pytest

from app.core.nn.hessian import LossCurvature, dense_hessian, power_iteration
from app.core.nn.landscape import (
    ParamLayout,
    PlaneLoss,
    WeightTrajectory,
    captured_share,
    flatten,
    load_theta,
    load_trajectory,
    pca_directions,
    project_path,
    random_directions,
)
from app.core.nn.network import MLP
from app.core.nn.run import TrainingRun


def tiny_data(n: int = 12, d: int = 3, c: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, c, n)


def tiny_net(batch_norm: bool = False, activation: str = "tanh", dtype: type = np.float64) -> MLP:
    return MLP(3, [4, 3], 3, activation=activation, batch_norm=batch_norm, dtype=dtype, rng=np.random.default_rng(1))


def fd_hessian_from_values(f: object, theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Dense Hessian from loss VALUES only: H_ij ≈ [f(+i+j) − f(+i−j) − f(−i+j) + f(−i−j)] / 4h²."""
    assert callable(f)
    p = theta.size
    out = np.zeros((p, p))
    eye = np.eye(p) * h
    for i in range(p):
        for j in range(i, p):
            v = (
                f(theta + eye[i] + eye[j])
                - f(theta + eye[i] - eye[j])
                - f(theta - eye[i] + eye[j])
                + f(theta - eye[i] - eye[j])
            ) / (4 * h * h)
            out[i, j] = out[j, i] = v
    return out


def test_flatten_round_trip() -> None:
    net = tiny_net(batch_norm=True)
    layout = ParamLayout.of(net)
    theta = flatten(net.params())
    assert theta.shape == (layout.size,) == (sum(p.size for p in net.params()),)
    other = tiny_net(batch_norm=True)
    for p in other.params():
        p[...] = 0
    load_theta(other, theta)
    for a, b in zip(net.params(), other.params(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert layout.is_weight().sum() == sum(
        p.size for p, i in zip(net.params(), net.param_info, strict=True) if i.is_weight
    )


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "elu"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_hvp_matches_a_finite_difference_hessian_of_values(activation: str, batch_norm: bool) -> None:
    x, y = tiny_data()
    net = tiny_net(batch_norm, activation)
    curv = LossCurvature(net, x, y, mode="batch" if batch_norm else "eval", l2=0.01)
    theta = flatten(net.params())
    h_true = fd_hessian_from_values(curv.loss, theta)
    rng = np.random.default_rng(3)
    for _ in range(3):
        v = rng.standard_normal(theta.size)
        hv = curv.hvp(theta, v)
        np.testing.assert_allclose(hv, h_true @ v, rtol=1e-4, atol=1e-5 * np.linalg.norm(h_true @ v))


def test_power_iteration_finds_the_top_eigenvalue_of_the_dense_hessian() -> None:
    x, y = tiny_data(20)
    net = tiny_net(False, "tanh")
    curv = LossCurvature(net, x, y)
    theta = flatten(net.params())
    evals = np.linalg.eigvalsh(fd_hessian_from_values(curv.loss, theta))
    top = evals[np.argmax(np.abs(evals))]
    lam, v = power_iteration(curv, theta, 500, seed=0, tol=1e-10)
    assert lam == pytest.approx(top, rel=1e-3)
    # v is an eigenvector: Hv ≈ λv
    np.testing.assert_allclose(curv.hvp(theta, v), lam * v, atol=1e-2 * abs(lam))
    np.testing.assert_allclose(np.linalg.eigvalsh(dense_hessian(curv, theta)), evals, atol=1e-4 * abs(top))


def test_top_eigenvalue_is_the_largest_algebraic_one_even_when_a_negative_one_dominates() -> None:
    from app.core.nn.hessian import top_eigenvalue

    class Quadratic(LossCurvature):
        """H = diag(−5, 1, 2): the largest-magnitude eigenvalue is negative."""

        def __init__(self) -> None:
            self.h = np.diag([-5.0, 1.0, 2.0])
            self.gradient_evaluations = 0

        def hvp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
            out: np.ndarray = self.h @ v
            return out

    lam, _ = top_eigenvalue(Quadratic(), np.zeros(3), 500, seed=0)
    assert lam == pytest.approx(2.0, rel=1e-3)
    x, y = tiny_data(20)
    net = tiny_net(False, "tanh")
    curv = LossCurvature(net, x, y)
    theta = flatten(net.params())
    evals = np.linalg.eigvalsh(fd_hessian_from_values(curv.loss, theta))
    assert top_eigenvalue(curv, theta, 500)[0] == pytest.approx(evals[-1], rel=1e-3)


def test_pca_directions_are_orthonormal_and_explain_at_most_everything() -> None:
    rng = np.random.default_rng(0)
    thetas = rng.standard_normal((8, 50)).cumsum(axis=0)
    d1, d2, ratios = pca_directions(thetas, thetas[-1])
    assert np.linalg.norm(d1) == pytest.approx(1) and np.linalg.norm(d2) == pytest.approx(1)
    assert abs(d1 @ d2) < 1e-10
    assert 0 <= ratios[1] <= ratios[0] and sum(ratios) <= 1 + 1e-12
    # Independent truth: the ratios are the top eigenvalues of the offsets' scatter matrix over its trace.
    m = thetas - thetas[-1]
    scatter = np.linalg.eigvalsh(m.T @ m)[::-1]
    np.testing.assert_allclose(ratios, scatter[:2] / scatter.sum(), rtol=1e-9)
    assert captured_share(thetas, thetas[-1], d1, d2) == pytest.approx(sum(ratios))
    # A path that lies in a plane is captured entirely.
    plane = np.outer(np.arange(5.0), d1) + np.outer(np.arange(5.0) ** 2, d2)
    _, _, r = pca_directions(plane, plane[-1])
    assert sum(r) == pytest.approx(1)


def test_projected_path_ends_at_the_origin_and_recovers_planar_coordinates() -> None:
    rng = np.random.default_rng(1)
    d1, d2 = rng.standard_normal(30), rng.standard_normal(30)  # not orthogonal
    star = rng.standard_normal(30)
    coords = rng.standard_normal((6, 2))
    coords[-1] = 0
    thetas = star + coords @ np.stack([d1, d2])
    got = project_path(thetas, star, d1, d2)
    np.testing.assert_allclose(got, coords, atol=1e-10)
    assert np.all(got[-1] == 0)


def test_random_directions_are_filter_normalised() -> None:
    net = tiny_net(batch_norm=True)
    layout = ParamLayout.of(net)
    theta = flatten(net.params())
    d1, d2 = random_directions(layout, theta, seed=5)
    assert not np.allclose(d1, d2)
    for d in (d1, d2):
        for name, w, dv in zip(layout.names, layout.split(theta), layout.split(d), strict=True):
            if name.startswith("W"):
                np.testing.assert_allclose(np.linalg.norm(dv, axis=0), np.linalg.norm(w, axis=0), rtol=1e-12)
            else:
                assert np.all(dv == 0), name


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("hidden", [[5, 4], []])
def test_plane_loss_matches_the_network_point_by_point(batch_norm: bool, hidden: list[int]) -> None:
    x, y = tiny_data(15)
    net = MLP(3, hidden, 3, activation="tanh", batch_norm=batch_norm, dtype=np.float64, rng=np.random.default_rng(2))
    for block in net.blocks:  # non-trivial running statistics
        if block.bn is not None:
            block.bn.running_mean[...] = 0.3
            block.bn.running_var[...] = 2.0
    theta = flatten(net.params())
    rng = np.random.default_rng(4)
    d1, d2 = rng.standard_normal(theta.size) * 0.3, rng.standard_normal(theta.size) * 0.3
    plane = PlaneLoss(net, theta, d1, d2, x, y)
    ab = rng.standard_normal((7, 2))
    values, grads = plane.value_and_gradient(ab)
    np.testing.assert_allclose(plane.value(ab), values, rtol=1e-12)
    probe = MLP(3, hidden, 3, activation="tanh", batch_norm=batch_norm, dtype=np.float64)
    curv = LossCurvature(net, x, y, mode="eval")
    for k, (a, b) in enumerate(ab):
        load_theta(probe, theta + a * d1 + b * d2)
        for src, dst in zip(net.blocks, probe.blocks, strict=True):
            if src.bn is not None and dst.bn is not None:
                dst.bn.running_mean[...], dst.bn.running_var[...] = src.bn.running_mean, src.bn.running_var
        truth = probe.loss_layer.forward(probe.logits(x), y)
        assert values[k] == pytest.approx(truth, rel=1e-12)
        # gradient against central differences of the plane's own values
        h = 1e-6
        fa = (plane.value(np.array([[a + h, b]]))[0] - plane.value(np.array([[a - h, b]]))[0]) / (2 * h)
        fb = (plane.value(np.array([[a, b + h]]))[0] - plane.value(np.array([[a, b - h]]))[0]) / (2 * h)
        np.testing.assert_allclose(grads[k], [fa, fb], rtol=1e-6, atol=1e-9)
        g_full = curv.gradient(theta + a * d1 + b * d2)
        np.testing.assert_allclose(grads[k], [g_full @ d1, g_full @ d2], rtol=1e-8, atol=1e-12)


def test_plane_loss_chunks_agree_with_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = tiny_data(10)
    net = tiny_net(False, "relu")
    theta = flatten(net.params())
    rng = np.random.default_rng(0)
    plane = PlaneLoss(net, theta, rng.standard_normal(theta.size), rng.standard_normal(theta.size), x, y)
    ab = rng.standard_normal((50, 2))
    whole = plane.value_and_gradient(ab)
    monkeypatch.setattr("app.core.nn.landscape.CHUNK_ELEMENTS", 1)
    parts = plane.value_and_gradient(ab)
    np.testing.assert_allclose(parts[0], whole[0], rtol=1e-12)
    np.testing.assert_allclose(parts[1], whole[1], rtol=1e-12)


def run_digits(epochs: int = 3, batch_norm: bool = False) -> TrainingRun:
    config = {
        "dataset": {"name": "digits"},
        "model": {"hidden": [20, 20], "batch_norm": batch_norm, "dropout": 0.2},
        "epochs": epochs,
        "optimizer": {"optimizer": "sgd", "params": {"lr": 0.1}},
        "seed": 3,
    }
    run = TrainingRun(config)
    run.trajectory = WeightTrajectory(run.network, epochs, 10)
    while not run.finished:
        assert run.step()
        if run.epoch_complete:
            run.end_epoch()
    return run


@pytest.mark.parametrize("batch_norm", [False, True])
def test_landscape_at_the_origin_is_the_runs_final_training_loss(batch_norm: bool, tmp_path: object) -> None:
    run = run_digits(3, batch_norm)
    summary = run.summary()
    traj = run.trajectory
    assert traj is not None
    traj.finish(run.network, run.epochs_run, run.step_count)
    path = tmp_path / "t.npz"  # type: ignore[operator]
    traj.save(path)
    stored = load_trajectory(path)
    assert list(stored.epochs) == [0, 1, 2, 3]
    d1, d2, ratios = pca_directions(stored.thetas, stored.theta_star)
    plane = PlaneLoss(run.network, stored.theta_star, d1, d2, run.x_train, run.y_train)
    assert plane.value(np.zeros((1, 2)))[0] == pytest.approx(summary["train_loss"], rel=1e-5)
    coords = project_path(stored.thetas, stored.theta_star, d1, d2)
    assert np.all(coords[-1] == 0) and sum(ratios) <= 1


def test_trajectory_is_thinned_to_its_bound() -> None:
    net = tiny_net()
    traj = WeightTrajectory(net, epochs=20, max_snapshots=6)
    for epoch in range(1, 21):
        traj.record(net, epoch, epoch * 10)
    traj.finish(net, 20, 200)
    assert len(traj.thetas) <= 6
    assert traj.epochs[0] == 0 and traj.epochs[-1] == 20


def test_sharpness_events_match_a_dense_eigen_decomposition() -> None:
    """Full-batch GD with the sharpness option: each λ_max equals the top eigenvalue at that step's weights."""
    from app.core.nn.training import train

    config = {
        "dataset": {"name": "iris"},
        "model": {"hidden": [3], "activation": "tanh"},
        "optimizer": {"optimizer": "sgd", "params": {"lr": 0.2}},
        "batch_size": 0,
        "epochs": 6,
        "sharpness": {"every": 2, "iterations": 100},
        "seed": 0,
    }
    events: list[tuple[str, dict[str, object]]] = []
    thetas: dict[int, np.ndarray] = {}

    def emit(name: str, payload: dict[str, object]) -> None:
        events.append((name, payload))

    summary = train(config, emit, lambda: False)
    sharp = [p for n, p in events if n == "sharpness"]
    assert [p["step"] for p in sharp] == [0, 2, 4, 6]
    assert all(p["threshold"] == pytest.approx(2 / 0.2) for p in sharp)
    # Re-run to the last step and compare with eigvalsh of a dense Hessian from loss values.
    run = TrainingRun(config)
    while not run.finished:
        run.step()
        thetas[run.step_count] = flatten(run.network.params())
        if run.epoch_complete:
            run.end_epoch()
    curv = LossCurvature(run.network, run.x_train, run.y_train, mode="eval")
    evals = np.linalg.eigvalsh(fd_hessian_from_values(curv.loss, thetas[6]))
    assert sharp[-1]["lambda_max"] == pytest.approx(evals[-1], rel=2e-2)
    assert summary["status"] == "done"


def test_landscape_surface_hessian_and_declared_cost() -> None:
    """The race surface's 2 × 2 Hessian (FD of exact gradients) against second differences of its values,
    and the Optimizer Lab's cost model charging its declared per-point cost."""
    from app.core.lab2d.cost import update_cost
    from app.core.lab2d.surfaces import get_surface
    from app.core.lab2d.surfaces.landscape import SURFACES_CACHE, LandscapeSurface

    x, y = tiny_data(20)
    net = tiny_net(False, "tanh")
    theta = flatten(net.params())
    rng = np.random.default_rng(7)
    d1, d2 = rng.standard_normal(theta.size) * 0.5, rng.standard_normal(theta.size) * 0.5
    plane = PlaneLoss(net, theta, d1, d2, x, y)
    surface = LandscapeSurface(
        plane, "landscape-abcdefabcdef", ((-1.0, 1.0), (-1.0, 1.0)), (0.5, -0.5), 1000, "j-x", "pca"
    )
    SURFACES_CACHE.put(surface, 4)
    assert get_surface("landscape-abcdefabcdef") is surface
    p = np.array([[0.3, -0.2], [0.0, 0.0]])
    hess = surface.hessian(p)
    h = 1e-3
    for k, (a, b) in enumerate(p):

        def f(da: float, db: float, a: float = a, b: float = b) -> float:
            return float(surface.value(np.array([a + da, b + db])))

        haa = (f(h, 0) - 2 * f(0, 0) + f(-h, 0)) / h**2
        hbb = (f(0, h) - 2 * f(0, 0) + f(0, -h)) / h**2
        hab = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
        np.testing.assert_allclose(hess[k], [[haa, hab], [hab, hbb]], rtol=1e-4, atol=1e-6)
    plain = update_cost(get_surface("book_bowl"), "sgd")
    newton = update_cost(surface, "newton")
    assert update_cost(surface, "sgd").per_point == pytest.approx(plain.per_point + surface.cost_per_point)
    assert newton.per_point > 5 * surface.cost_per_point  # one gradient + four for the FD Hessian


def test_saving_a_trajectory_ignores_other_writers_temporary_files(tmp_path) -> None:
    """Another worker's ``….tmp.npz`` (renamed away at any moment) neither counts nor breaks the pruning."""
    from app.core.nn.network import MLP
    from app.core.nn.trajectory_files import save_trajectory, trajectories_dir

    net = MLP(4, (3,), 2, rng=np.random.default_rng(0))
    folder = trajectories_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "t-0123456789abcdef.tmp.npz").write_bytes(b"half-written")
    ids = []
    for k in range(3):
        trajectory = WeightTrajectory(net, epochs=1, max_snapshots=4)
        trajectory.finish(net, 1, 1)
        ids.append(save_trajectory(trajectory, tmp_path, keep=2))
        os.utime(folder / f"{ids[-1]}.npz", ns=(k * 10**9, k * 10**9))  # distinct ages, whatever the clock's grain
    kept = sorted(p.name for p in folder.glob("t-*.npz"))
    assert kept == sorted([f"{ids[1]}.npz", f"{ids[2]}.npz", "t-0123456789abcdef.tmp.npz"])

"""A training run's landscape plane from its configuration and stored weight trajectory (docs/landscape.md).

:func:`make_plane` rebuilds the run's network and data from its configuration (the same seed gives
the same split and the same standardisation), puts the final weights θ* and batch norm's running
statistics back, picks the two directions and projects the path; :func:`grid_values` evaluates the
loss on a G × G grid over the plane.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import InputError
from app.core.nn.landscape import (
    ParamLayout,
    PlaneLoss,
    StoredTrajectory,
    captured_share,
    load_theta,
    pca_directions,
    plane_bounds,
    project_path,
    random_directions,
    set_bn_state,
)
from app.core.nn.network import MLP
from app.core.nn.run import TrainingRun

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass
class Plane:
    """Everything a landscape request or a landscape surface needs.

    Attributes
    ----------
    loss : PlaneLoss
    kind : str
        ``"pca"`` or ``"random"``.
    ratios : list of float or None
        PCA explained-variance ratios of d₁, d₂.
    coords : np.ndarray, shape (S, 2)
        The projected path (last row (0, 0)).
    bounds : ((a_min, a_max), (b_min, b_max))
    captured : float or None
    trajectory : StoredTrajectory
    network : MLP
        The run's network at θ*.
    x, y : np.ndarray
        The training samples used, shapes (N, D), (N,).
    """

    loss: PlaneLoss
    kind: str
    ratios: list[float] | None
    coords: np.ndarray
    bounds: Bounds
    captured: float | None
    trajectory: StoredTrajectory
    network: MLP
    x: np.ndarray
    y: np.ndarray

    @property
    def macs_per_point(self) -> int:
        """Multiply-adds of one loss evaluation at one point: samples × Σ fan_in·fan_out."""
        return len(self.y) * sum(a.W.size for a in self.network.affines)


def make_plane(
    config: Mapping[str, Any],
    trajectory: StoredTrajectory,
    kind: str,
    samples: int,
    seed: int,
    *,
    mnist_dir: Path | str | None = None,
    max_samples: int | None = None,
    data_dir: Path | str | None = None,
) -> Plane:
    """The plane of a run through θ*.

    Parameters
    ----------
    config : mapping
        The run's training configuration.
    trajectory : StoredTrajectory
    kind : ``"pca"`` or ``"random"``
    samples : int
        Training samples the loss is measured on (an evenly strided subset; all when ≥ n_train).
    seed : int
        Seed of random directions.

    Raises
    ------
    InputError
        ``run_id`` when the trajectory does not fit the network the configuration builds.
    """
    run = TrainingRun(config, mnist_dir=mnist_dir, max_samples=max_samples, data_dir=data_dir)
    net = run.network
    layout = ParamLayout.of(net)
    star = trajectory.theta_star
    if trajectory.names != layout.names or star.shape != (layout.size,):
        raise InputError(
            "run_id",
            "the stored weights do not fit the network of this run's configuration",
            "landscape.trajectory_mismatch",
        )
    load_theta(net, star)
    set_bn_state(net, trajectory.bn)
    n_train = len(run.y_train)
    idx = np.unique(np.linspace(0, n_train - 1, min(n_train, samples)).astype(np.intp))
    x, y = run.x_train[idx], run.y_train[idx]
    if kind == "pca":
        d1, d2, ratios = pca_directions(trajectory.thetas, star)
        ratio_list: list[float] | None = ratios
    else:
        d1, d2 = random_directions(layout, star, seed)
        ratio_list = None
    coords = project_path(trajectory.thetas, star, d1, d2)
    return Plane(
        loss=PlaneLoss(net, star, d1, d2, x, y),
        kind=kind,
        ratios=ratio_list,
        coords=coords,
        bounds=plane_bounds(coords, kind),
        captured=captured_share(trajectory.thetas, star, d1, d2),
        trajectory=trajectory,
        network=net,
        x=x,
        y=y,
    )


def grid_values(plane: Plane, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axes a ``(G,)``, b ``(G,)`` and the loss ``(G, G)`` with ``loss[i, j]`` at ``(a[j], b[i])``."""
    (a0, a1), (b0, b1) = plane.bounds
    a, b = np.linspace(a0, a1, g), np.linspace(b0, b1, g)
    aa, bb = np.meshgrid(a, b)
    z = plane.loss.value(np.stack([aa.ravel(), bb.ravel()], axis=1)).reshape(g, g)
    return a, b, z

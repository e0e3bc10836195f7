"""Generated 2-D sets: spiral, moons, circles, xor and blobs.

Each returns x (n, 2) float64 and y (n,) int64 in a random order drawn from ``seed``, so the same
configuration always gives the same points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray]


def _class_sizes(n_samples: int, classes: int) -> list[int]:
    """Split n samples as evenly as possible: the first n mod K classes get one extra."""
    return [n_samples // classes + (k < n_samples % classes) for k in range(classes)]


def _shuffled(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Arrays:
    """The same samples in a random order (generators build them class by class)."""
    order = rng.permutation(len(y))
    return x[order], y[order]


def spiral(n_samples: int = 500, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Arrays:
    """K interleaved spiral arms (CS231n "spiral data").

    Arm k: radius r from 0 to 1 evenly, angle t = 4·r + 2πk/K + ε with ε ~ N(0, noise²),
    point (r·sin t, r·cos t). ``noise`` is therefore an angle jitter in radians (CS231n: 0.2).

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64, inside the unit disc
    y : np.ndarray, shape (n_samples,), int64 in 0..classes-1
    """
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k, n in enumerate(_class_sizes(n_samples, classes)):
        r = np.linspace(0.0, 1.0, n)
        t = 4.0 * r + 2.0 * np.pi * k / classes + rng.normal(0.0, noise, n)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(n, k, dtype=np.int64))
    return _shuffled(np.concatenate(xs), np.concatenate(ys), rng)


def moons(n_samples: int = 500, noise: float = 0.1, seed: int = 0) -> Arrays:
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Class 0: (cos t, sin t); class 1: (1 − cos t, ½ − sin t); t ~ U(0, π); then Gaussian noise
    of std ``noise`` on both coordinates.

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in {0, 1}
    """
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    t0, t1 = rng.uniform(0.0, np.pi, n0), rng.uniform(0.0, np.pi, n1)
    x = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffled(x, y, rng)


def circles(n_samples: int = 500, noise: float = 0.05, seed: int = 0) -> Arrays:
    """Two concentric circles: class 0 on radius 1, class 1 on radius ½.

    Angles ~ U(0, 2π); then Gaussian noise of std ``noise`` on both coordinates.
    No line separates them; a network needs a hidden layer (the boundary is a circle).

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in {0, 1}
    """
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n_samples, 2)
    radius = np.repeat([1.0, 0.5], sizes)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    x = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat(np.array([0, 1], dtype=np.int64), sizes)
    return _shuffled(x, y, rng)


def xor(n_samples: int = 500, noise: float = 0.05, seed: int = 0) -> Arrays:
    """The XOR pattern: uniform points in [−1, 1]², class 1 where sign(x)·sign(y) > 0.

    Labels come from the clean points; Gaussian noise of std ``noise`` is added afterwards, so
    with noise some points near the axes end up in the "wrong" quadrant.

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in {0, 1} (1 = quadrants I and III)
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (np.sign(x[:, 0]) * np.sign(x[:, 1]) > 0).astype(np.int64)
    x += rng.normal(0.0, noise, x.shape)
    return x, y


def blobs(n_samples: int = 500, classes: int = 3, noise: float = 0.5, seed: int = 0) -> Arrays:
    """K isotropic Gaussian clusters with centres evenly spaced on the circle of radius 2.

    Class k ~ N(c_k, noise²·I), c_k = 2·(cos 2πk/K, sin 2πk/K): ``noise`` is the cluster std.
    Linearly separable (one vs rest) when ``noise`` is small against the gap 4·sin(π/K).

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in 0..classes-1
    """
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n_samples, classes)
    angle = 2.0 * np.pi * np.arange(classes) / classes
    centres = 2.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    y = np.repeat(np.arange(classes, dtype=np.int64), sizes)
    x = centres[y] + rng.normal(0.0, noise, (n_samples, 2))
    return _shuffled(x, y, rng)


GENERATORS: dict[str, Callable[..., Arrays]] = {
    "spiral": spiral,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "blobs": blobs,
}

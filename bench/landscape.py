"""Time of a loss-landscape grid: 41 × 41 points on 1,000 samples for the textbook-size net 64-100-100-100-100-10.

Target: under 2 s on the 2-core reference machine (one BLAS thread). Prints two ratios measured
in the same run: against a plain per-point loop (load θ* + a·d₁ + b·d₂ into the network, run its
inference forward pass; timed on a sample of points), and against the bare matrix products the grid
needs (one float32 GEMM of the same shapes per point and layer) — the floor any NumPy version has.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from app.core.nn.landscape import ParamLayout, PlaneLoss, flatten, load_theta, random_directions
from app.core.nn.network import MLP

G, N, HIDDEN, D_IN, C = 41, 1000, (100, 100, 100, 100), 64, 10
SAMPLE = 120  # grid points timed one at a time for the loop reference


def main() -> None:
    rng = np.random.default_rng(0)
    net = MLP(D_IN, HIDDEN, C, rng=np.random.default_rng(0))
    x = rng.standard_normal((N, D_IN)).astype(np.float32)
    y = rng.integers(0, C, N)
    theta = flatten(net.params())
    d1, d2 = random_directions(ParamLayout.of(net), theta, 0)
    plane = PlaneLoss(net, theta, d1, d2, x, y)
    axis = np.linspace(-1, 1, G)
    ab = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    best = min(_timed(lambda: plane.value(ab)) for _ in range(3))
    loop = _timed(lambda: _one_at_a_time(net, theta, d1, d2, x, y, ab[:SAMPLE])) / SAMPLE * len(ab)
    gemm = _gemm_floor(net, x, len(ab))
    grad = _timed(lambda: plane.value_and_gradient(ab[:SAMPLE])) / SAMPLE * len(ab)
    print(
        f"landscape {G}x{G} on {N} samples (64-100-100-100-100-10): {best:.2f} s "
        f"({'meets' if best < 2 else 'MISSES'} the 2 s target); per-point loop {loop:.2f} s (x{loop / best:.2f}); "
        f"bare GEMMs {gemm:.2f} s (grid = x{best / gemm:.2f} of them); value+gradient {grad:.2f} s for the grid"
    )


def _one_at_a_time(
    net: MLP, theta: np.ndarray, d1: np.ndarray, d2: np.ndarray, x: np.ndarray, y: np.ndarray, ab: np.ndarray
) -> None:
    for a, b in ab:
        load_theta(net, theta + a * d1 + b * d2)
        net.loss_layer.forward(net.logits(x), y)


def _gemm_floor(net: MLP, x: np.ndarray, points: int) -> float:
    """Seconds of the bare products: per point, h (N, fan_in) @ W (fan_in, fan_out) for every layer."""
    ws = [np.asarray(a.W) for a in net.affines]
    hs = [np.ones((len(x), w.shape[0]), dtype=np.float32) for w in ws]
    reps = 60
    t = time.perf_counter()
    for _ in range(reps):
        for h, w in zip(hs, ws, strict=True):
            h @ w
    return (time.perf_counter() - t) / reps * points


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()

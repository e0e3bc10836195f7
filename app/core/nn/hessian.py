"""Curvature of an MLP's training loss: Hessian-vector products and λ_max by power iteration (docs/landscape.md).

**Hessian-vector products by central differences of exact gradients**::

    H v ≈ (∇L(θ + εv̂) − ∇L(θ − εv̂)) / (2ε) · ‖v‖,   v̂ = v / ‖v‖

where ∇L is the network's own backward pass, run on a float64 copy of the network (so the
rounding error, about 1e-16 · ‖∇L‖ / ε, stays far below the truncation error, ε²/6 · ‖∇³L[v̂, v̂]‖).
With ε = 1e-4 · max(1, ‖θ‖ / √P) the relative error is about 1e-6 to 1e-8 on smooth
activations; with ReLU a difference that straddles a kink (a unit switching on or off between
θ − εv̂ and θ + εv̂) is not a derivative at all, which is rare at this ε and averages out in power
iteration. This works unchanged for every layer (batch norm in either mode, any activation),
which is why it was chosen over a forward-over-backward R-operator.

**λ_max by power iteration**: v ← Hv / ‖Hv‖ from a seeded random start (or a previous
eigenvector: a warm start); the Rayleigh quotient vᵀHv converges to the eigenvalue of largest
magnitude. For a training loss near a minimum that is the largest, positive one; a negative
result means negative curvature dominates (early in training, or at a saddle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.nn.landscape import ParamLayout, bn_state, flatten, load_theta, set_bn_state
from app.core.nn.network import MLP

#: Relative step of the finite differences (see the module docstring).
FD_STEP = 1e-4


def twin64(net: MLP) -> MLP:
    """A float64 copy of ``net`` (same structure, parameters and BN running statistics, no dropout)."""
    twin = MLP(
        net.n_in,
        net.hidden,
        net.n_out,
        activation=net.activation,
        batch_norm=any(b.bn is not None for b in net.blocks),
        dtype=np.float64,
    )
    for src, dst in zip(net.blocks, twin.blocks, strict=True):
        if src.bn is not None and dst.bn is not None:
            dst.bn.eps = src.bn.eps
    load_theta(twin, flatten(net.params()))
    set_bn_state(twin, bn_state(net))
    return twin


@dataclass
class LossCurvature:
    """∇L and H·v of the training loss of one network on fixed data.

    Parameters
    ----------
    net : MLP
        The network (copied to float64; the original is not touched).
    x : np.ndarray, shape (N, D)
    y : np.ndarray, shape (N,)
    mode : str
        ``"eval"``: inference mode (BN running statistics, no dropout) — the landscape's loss;
        ``"batch"``: BN normalises with the batch's own statistics, as training does, no dropout —
        the loss full-batch training descends (sharpness during training).
    l1, l2 : float
        Penalties added to the cross-entropy (the objective the optimizer minimises).
    """

    net: MLP
    x: np.ndarray
    y: np.ndarray
    mode: str = "eval"
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self) -> None:
        self.twin = twin64(self.net)
        self.layout = ParamLayout.of(self.twin)
        self.x = np.asarray(self.x, dtype=np.float64)
        self.y = np.asarray(self.y, dtype=np.intp)
        self.gradient_evaluations = 0

    def loss(self, theta: np.ndarray) -> float:
        """The objective at θ ``(P,)``."""
        load_theta(self.twin, theta)
        logits = self.twin.forward(self.x, training=False, batch_stats=self.mode == "batch")
        data = self.twin.loss_layer.forward(logits, self.y)
        self.twin._l1, self.twin._l2 = float(self.l1), float(self.l2)
        return float(data + self.twin.penalty(self.l1, self.l2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """∇L(θ) ``(P,)`` by the backward pass."""
        self.loss(theta)
        self.twin.backward()
        self.gradient_evaluations += 1
        return flatten(self.twin.grads())

    def hvp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """H(θ)·v ``(P,)`` by central differences of gradients (module docstring)."""
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            return np.zeros_like(v)
        u = v / norm
        eps = FD_STEP * max(1.0, float(np.linalg.norm(theta)) / np.sqrt(max(1, theta.size)))
        g_plus = self.gradient(theta + eps * u)
        g_minus = self.gradient(theta - eps * u)
        out: np.ndarray = (g_plus - g_minus) * (norm / (2.0 * eps))
        return out


def power_iteration(
    curvature: LossCurvature,
    theta: np.ndarray,
    iterations: int,
    *,
    seed: int = 0,
    start: np.ndarray | None = None,
    tol: float = 1e-4,
) -> tuple[float, np.ndarray]:
    """The Hessian eigenvalue of largest magnitude at θ and its eigenvector.

    Parameters
    ----------
    curvature : LossCurvature
    theta : np.ndarray, shape (P,)
    iterations : int
        Most Hessian-vector products (each costs two gradients).
    seed : int
        Seed of the random start.
    start : np.ndarray or None, shape (P,)
        A warm start (e.g. the previous eigenvector during training).
    tol : float
        Stop when the Rayleigh quotient changes by less than ``tol`` relative.

    Returns
    -------
    lam : float
        vᵀHv for the final unit v (NaN when H·v is not finite).
    v : np.ndarray, shape (P,)
    """
    rng = np.random.default_rng(seed)
    v = np.array(start, dtype=np.float64) if start is not None else rng.standard_normal(theta.size)
    v /= max(float(np.linalg.norm(v)), 1e-300)
    lam = float("nan")
    for _ in range(max(1, iterations)):
        w = curvature.hvp(theta, v)
        if not np.all(np.isfinite(w)):
            return float("nan"), v
        new = float(v @ w)
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            return 0.0, v
        v = w / norm
        if np.isfinite(lam) and abs(new - lam) <= tol * max(abs(new), 1e-12):
            lam = new
            break
        lam = new
    # The sign of the eigenvalue: the Rayleigh quotient of the converged vector.
    return lam, v


def top_eigenvalue(
    curvature: LossCurvature,
    theta: np.ndarray,
    iterations: int,
    *,
    seed: int = 0,
    start: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """The largest (algebraic) Hessian eigenvalue λ_max at θ and its eigenvector.

    Power iteration finds the eigenvalue of largest magnitude. When that one is negative (μ < 0:
    negative curvature dominates, as early in training), a second power iteration on the shifted
    matrix H − μI — whose eigenvalues λᵢ − μ are all ≥ 0, the largest being λ_max − μ — gives
    λ_max = μ + (its top eigenvalue). Each stage uses at most ``iterations`` products.
    """
    lam, v = power_iteration(curvature, theta, iterations, seed=seed, start=start)
    if not np.isfinite(lam) or lam >= 0:
        return lam, v
    mu = lam
    rng = np.random.default_rng(seed + 1)
    u = rng.standard_normal(theta.size)
    u /= np.linalg.norm(u)
    shifted = float("nan")
    for _ in range(max(1, iterations)):
        w = curvature.hvp(theta, u) - mu * u
        if not np.all(np.isfinite(w)):
            return float("nan"), u
        new = float(u @ w)
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            break
        u = w / norm
        if np.isfinite(shifted) and abs(new - shifted) <= 1e-4 * max(abs(new), 1e-12):
            shifted = new
            break
        shifted = new
    return mu + shifted, u


def dense_hessian(curvature: LossCurvature, theta: np.ndarray) -> np.ndarray:
    """The full P × P Hessian from P Hessian-vector products (tiny networks only), symmetrised."""
    p = theta.size
    h = np.stack([curvature.hvp(theta, np.eye(p)[i]) for i in range(p)], axis=1)
    out: np.ndarray = 0.5 * (h + h.T)
    return out

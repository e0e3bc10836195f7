"""The loss landscape of a trained MLP on a plane through its final weights (docs/landscape.md).

Pieces, in the order a landscape is built:

* **θ as one flat vector.** :class:`ParamLayout` lists the arrays of ``MLP.params()`` (``W1``, ``b1``,
  ``gamma1`` …) with their shapes and offsets, so ``θ = flatten(params)`` of shape ``(P,)`` and
  back. Batch norm's running statistics are not parameters: the landscape holds them at the final
  network's values (inference mode).
* **The weight trajectory.** :class:`WeightTrajectory` keeps θ at the start, at epoch ends (every
  ``stride``-th epoch when there are more epochs than snapshots allowed) and at the end, and is
  saved to / loaded from one ``.npz`` file.
* **Two directions.** :func:`pca_directions`: the top two principal directions of the snapshots'
  offsets θᵢ − θ* (unit vectors), with their explained-variance ratios. :func:`random_directions`:
  two Gaussian directions, filter-normalised as in Li et al. (2018): for every weight matrix each
  neuron's slice (a column of ``W``, the weights into one unit) is rescaled to the norm of the
  same slice of the trained weights; biases and batch-norm γ, β get direction 0 (the plane moves
  only the weight matrices).
* **The path.** :func:`project_path`: each θᵢ − θ* projected onto the plane by least squares, so
  the final weights sit at (0, 0).
* **The surface.** :class:`PlaneLoss` evaluates L(θ* + a·d₁ + b·d₂) — mean cross-entropy on a
  fixed set of training samples, in inference mode, without the L1/L2 penalty (the numbers the
  run reports as its training loss) — for a batch of K points (a, b) at once, and its gradient
  (d₁·∇L, d₂·∇L) by the network's backward pass, also batched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.nn.layers import make_activation
from app.core.nn.network import MLP

#: Upper bound on K × N × width floats held per layer while a chunk of grid points is evaluated.
CHUNK_ELEMENTS = 1_000_000


# --------------------------------------------------------------------------- θ as a flat vector


@dataclass(frozen=True)
class ParamLayout:
    """Names, shapes and offsets of the network's parameter arrays inside θ.

    Attributes
    ----------
    names : tuple of str
        ``W1``, ``b1``, ``gamma1``, ``beta1``, …, ``W{L+1}``, ``b{L+1}``.
    shapes : tuple of tuple of int
    offsets : tuple of int
        Start of each array in θ; ``offsets[i] + size(shapes[i])`` is its end.
    size : int
        P, the length of θ.
    """

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    offsets: tuple[int, ...]
    size: int

    @classmethod
    def of(cls, net: MLP) -> ParamLayout:
        """The layout of ``net.params()``."""
        shapes = tuple(tuple(int(s) for s in p.shape) for p in net.params())
        sizes = [math.prod(s) for s in shapes]
        offsets = tuple(int(o) for o in np.concatenate([[0], np.cumsum(sizes)[:-1]])) if sizes else ()
        return cls(tuple(info.name for info in net.param_info), shapes, offsets, int(sum(sizes)))

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        """Views of ``theta`` ``(..., P)`` as the arrays ``(..., *shape)``, in ``params()`` order."""
        lead = theta.shape[:-1]
        return [
            theta[..., o : o + math.prod(s)].reshape(*lead, *s) for o, s in zip(self.offsets, self.shapes, strict=True)
        ]

    def is_weight(self) -> np.ndarray:
        """Boolean mask ``(P,)``: True on the entries of affine weight matrices (``W…``)."""
        mask = np.zeros(self.size, dtype=bool)
        for name, o, s in zip(self.names, self.offsets, self.shapes, strict=True):
            if name.startswith("W"):
                mask[o : o + math.prod(s)] = True
        return mask


def flatten(params: Sequence[np.ndarray]) -> np.ndarray:
    """θ: every parameter array raveled and concatenated, float64, shape ``(P,)``."""
    if not params:
        return np.zeros(0)
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in params])


def load_theta(net: MLP, theta: np.ndarray) -> None:
    """Copy θ ``(P,)`` into ``net``'s live parameter arrays (in place, cast to the net's dtype)."""
    layout = ParamLayout.of(net)
    if theta.shape != (layout.size,):
        raise ValueError(f"θ has shape {theta.shape}, the network needs ({layout.size},)")
    for dst, src in zip(net.params(), layout.split(theta), strict=True):
        np.copyto(dst, src, casting="unsafe")


def bn_state(net: MLP) -> list[np.ndarray]:
    """Batch norm's running means and variances, layer by layer (empty without batch norm)."""
    out: list[np.ndarray] = []
    for block in net.blocks:
        if block.bn is not None:
            out += [block.bn.running_mean.copy(), block.bn.running_var.copy()]
    return out


def set_bn_state(net: MLP, state: Sequence[np.ndarray]) -> None:
    """Put back what :func:`bn_state` returned."""
    arrays = [a for b in net.blocks if b.bn is not None for a in (b.bn.running_mean, b.bn.running_var)]
    if len(arrays) != len(state):
        raise ValueError(f"expected {len(arrays)} running statistics, got {len(state)}")
    for dst, src in zip(arrays, state, strict=True):
        np.copyto(dst, src, casting="unsafe")


# --------------------------------------------------------------------------- the weight trajectory


class WeightTrajectory:
    """θ snapshots of one training run: the start, epoch ends, the end.

    Parameters
    ----------
    net : MLP
        The network being trained (its current θ is the first snapshot, epoch 0).
    epochs : int
        Planned epochs.
    max_snapshots : int
        Most snapshots kept (≥ 3). With more epochs than ``max_snapshots − 2``, every
        ``stride``-th epoch end is kept, ``stride = ⌈epochs / (max_snapshots − 2)⌉``; the final
        weights are always kept.

    Attributes
    ----------
    thetas : list of np.ndarray ``(P,)`` float32
    epochs, steps : list of int
        Epoch (0 = initialisation) and optimizer step of each snapshot.
    """

    def __init__(self, net: MLP, epochs: int, max_snapshots: int) -> None:
        self.layout = ParamLayout.of(net)
        self.stride = max(1, math.ceil(epochs / max(1, max_snapshots - 2)))
        self.thetas: list[np.ndarray] = []
        self.epochs: list[int] = []
        self.steps: list[int] = []
        self.final_epoch: int | None = None
        self.bn: list[np.ndarray] = []
        self.record(net, 0, 0)

    def record(self, net: MLP, epoch: int, step: int) -> None:
        """Keep θ after ``epoch`` (when it falls on the stride)."""
        if epoch == 0 or epoch % self.stride == 0:
            self.thetas.append(flatten(net.params()).astype(np.float32))
            self.epochs.append(int(epoch))
            self.steps.append(int(step))

    def finish(self, net: MLP, epoch: int, step: int) -> None:
        """Keep the final θ* (replacing an identical last snapshot) and the BN running statistics."""
        theta = flatten(net.params()).astype(np.float32)
        if self.thetas and self.epochs[-1] == epoch and np.array_equal(self.thetas[-1], theta):
            self.thetas.pop()
            self.epochs.pop()
            self.steps.pop()
        self.thetas.append(theta)
        self.epochs.append(int(epoch))
        self.steps.append(int(step))
        self.final_epoch = int(epoch)
        self.bn = bn_state(net)

    def save(self, path: Path) -> None:
        """Write ``thetas`` ``(S, P)``, ``epochs`` ``(S,)``, ``steps`` ``(S,)``, names, shapes, BN state."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        arrays: dict[str, Any] = {
            "thetas": np.stack(self.thetas),
            "epochs": np.asarray(self.epochs, dtype=np.int64),
            "steps": np.asarray(self.steps, dtype=np.int64),
            "names": np.asarray(self.layout.names),
        }
        for i, a in enumerate(self.bn):
            arrays[f"bn{i}"] = a
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)


@dataclass(frozen=True)
class StoredTrajectory:
    """A trajectory read back from its file: ``thetas`` ``(S, P)`` float64, the last is θ*."""

    thetas: np.ndarray
    epochs: np.ndarray
    steps: np.ndarray
    names: tuple[str, ...]
    bn: list[np.ndarray]

    @property
    def theta_star(self) -> np.ndarray:
        """The final weights θ*, shape ``(P,)``."""
        star: np.ndarray = self.thetas[-1]
        return star


def load_trajectory(path: Path) -> StoredTrajectory:
    """Read a file written by :meth:`WeightTrajectory.save`."""
    with np.load(path, allow_pickle=False) as f:
        n_bn = sum(1 for k in f.files if k.startswith("bn"))
        return StoredTrajectory(
            thetas=np.asarray(f["thetas"], dtype=np.float64),
            epochs=np.asarray(f["epochs"]),
            steps=np.asarray(f["steps"]),
            names=tuple(str(n) for n in f["names"]),
            bn=[np.asarray(f[f"bn{i}"]) for i in range(n_bn)],
        )


# --------------------------------------------------------------------------- directions and the path


def pca_directions(thetas: np.ndarray, theta_star: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """The top two principal directions of the offsets θᵢ − θ*.

    With M ``(S, P)`` the offsets as rows and M = U Σ Vᵀ its thin SVD, the directions are the
    first two rows of Vᵀ (unit vectors, orthogonal) and the explained-variance ratios
    σₖ² / Σⱼ σⱼ² (so they sum to at most 1). The offsets are taken about θ*, not about their mean
    (the plane must pass through θ*, as in Li et al. 2018).

    Parameters
    ----------
    thetas : np.ndarray, shape (S, P)
    theta_star : np.ndarray, shape (P,)

    Returns
    -------
    d1, d2 : np.ndarray, shape (P,)
    ratios : [float, float]
        Zero for a direction the snapshots do not span (fewer than 3 distinct snapshots).
    """
    m = np.asarray(thetas, dtype=np.float64) - theta_star
    p = m.shape[1]
    # SVD of the small S × S Gram matrix: M Mᵀ = U Σ² Uᵀ, then Vᵀ rows = Uᵀ M / σ.
    gram = m @ m.T
    evals, evecs = np.linalg.eigh(gram)
    order = np.argsort(evals)[::-1]
    evals = np.clip(evals[order], 0.0, None)
    evecs = evecs[:, order]
    total = float(evals.sum())
    dirs: list[np.ndarray] = []
    ratios: list[float] = []
    rng = np.random.default_rng(0)
    for k in range(2):
        s2 = float(evals[k]) if k < len(evals) else 0.0
        if total > 0 and s2 > 1e-12 * total:
            v = evecs[:, k] @ m
            v /= np.linalg.norm(v)
            ratios.append(s2 / total)
        else:  # not spanned: any unit vector orthogonal to the ones before
            v = rng.standard_normal(p)
            ratios.append(0.0)
        for u in dirs:
            v = v - (v @ u) * u
        v /= max(float(np.linalg.norm(v)), 1e-300)
        dirs.append(v)
    return dirs[0], dirs[1], ratios


def random_directions(layout: ParamLayout, theta_star: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two filter-normalised Gaussian directions (Li et al. 2018, §4).

    For each weight matrix W ``(fan_in, fan_out)`` and each unit j, the direction's column
    d[:, j] ~ N(0, I) is rescaled to ‖W[:, j]‖ (the weights into unit j — a "filter" of a
    fully-connected layer). Biases and batch-norm γ, β are set to 0 in both directions.

    Returns
    -------
    d1, d2 : np.ndarray, shape (P,)
    """
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for _ in range(2):
        d = np.zeros(layout.size)
        for name, w, dv in zip(layout.names, layout.split(theta_star), layout.split(d), strict=True):
            if not name.startswith("W"):
                continue
            g = rng.standard_normal(w.shape)
            norm_w = np.linalg.norm(w, axis=0)
            norm_g = np.linalg.norm(g, axis=0)
            dv[...] = g * (norm_w / np.maximum(norm_g, 1e-300))
        out.append(d)
    return out[0], out[1]


def project_path(thetas: np.ndarray, theta_star: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Coordinates ``(S, 2)`` of each θᵢ − θ* on the plane spanned by d₁, d₂ (least squares).

    Solves min_c ‖[d₁ d₂] c − (θᵢ − θ*)‖ through the 2 × 2 normal equations (d₁, d₂ need not be
    orthogonal). θ* itself projects to exactly (0, 0).
    """
    a = np.stack([d1, d2], axis=1)  # (P, 2)
    m = np.asarray(thetas, dtype=np.float64) - theta_star  # (S, P)
    gram = a.T @ a
    coords: np.ndarray = np.linalg.solve(gram, (m @ a).T).T
    return coords


def captured_share(thetas: np.ndarray, theta_star: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> float | None:
    """Σ‖projection‖² / Σ‖θᵢ − θ*‖²: how much of the path's squared length the plane holds (None: no path)."""
    m = np.asarray(thetas, dtype=np.float64) - theta_star
    total = float(np.sum(m * m))
    if total <= 0:
        return None
    coords = project_path(thetas, theta_star, d1, d2)
    proj = coords @ np.stack([d1, d2])
    return float(np.sum(proj * proj) / total)


# --------------------------------------------------------------------------- the loss on the plane


class PlaneLoss:
    """L(a, b) = L(θ* + a·d₁ + b·d₂) and its gradient for batches of points (a, b).

    Parameters
    ----------
    net : MLP
        The network's structure (activation, batch norm, its running statistics); its weights
        are not read.
    theta_star, d1, d2 : np.ndarray, shape (P,)
    x : np.ndarray, shape (N, D)
    y : np.ndarray, shape (N,)

    Notes
    -----
    Inference mode: dropout off, batch norm with the final running statistics (constants). The
    first affine layer is linear in (a, b) for fixed inputs, so x·W₁(a, b) = xW₁* + a·xD₁ + b·xD₂
    needs three products for all points together; every later layer needs one matrix product per point
    (stacked ``matmul`` over a chunk of points).
    """

    def __init__(
        self, net: MLP, theta_star: np.ndarray, d1: np.ndarray, d2: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> None:
        self.layout = ParamLayout.of(net)
        self.dtype = net.dtype
        dt = self.dtype
        self.base = [a.astype(dt) for a in self.layout.split(np.asarray(theta_star, dtype=np.float64))]
        self.d1 = [a.astype(dt) for a in self.layout.split(np.asarray(d1, dtype=np.float64))]
        self.d2 = [a.astype(dt) for a in self.layout.split(np.asarray(d2, dtype=np.float64))]
        self.x = np.asarray(x, dtype=dt)
        self.y = np.asarray(y, dtype=np.intp)
        self.activation = net.activation
        self.width = max([net.n_in, net.n_out, *net.hidden])
        # Per hidden block: (index of W, index of b, index of γ or None, BN (mean, 1/√(var+ε)) or None).
        self.blocks: list[tuple[int, int, int | None, tuple[np.ndarray, np.ndarray] | None]] = []
        i = 0
        for block in net.blocks:
            if block.bn is not None:
                bn = block.bn
                stats = (bn.running_mean.astype(dt), (1.0 / np.sqrt(bn.running_var + bn.eps)).astype(dt))
                self.blocks.append((i, i + 1, i + 2, stats))
                i += 4
            else:
                self.blocks.append((i, i + 1, None, None))
                i += 2
        self.out_index = i
        # The first affine layer (arrays 0 and 1) folded with its bias (see Notes):
        # x·W₁(a, b) + b₁(a, b) = [1, a, b] · (xW₁* + b₁*, xD₁ + d₁ᵦ, xD₂ + d₂ᵦ), one (K, 3) × (3, N·D') product.
        self.xw = np.stack([self.x @ v[0] + v[1] for v in (self.base, self.d1, self.d2)])  # (3, N, D')

    @property
    def n_samples(self) -> int:
        return len(self.y)

    def chunk(self) -> int:
        """Points per chunk so that K × N × width stays near :data:`CHUNK_ELEMENTS`."""
        return max(1, CHUNK_ELEMENTS // max(1, self.n_samples * self.width))

    def _at(self, i: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Parameter array i at K points: base + a·d₁ + b·d₂, shape ``(K, *shape)``."""
        shape = (-1,) + (1,) * self.base[i].ndim
        ak, bk = a.reshape(shape), b.reshape(shape)
        out: np.ndarray = self.base[i] + ak * self.d1[i] + bk * self.d2[i]
        return out

    def _first(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The first affine layer's output at K points, ``(K, N, D')``."""
        coef = np.stack([np.ones_like(a), a, b], axis=1)  # (K, 3)
        _, n, width = self.xw.shape
        out: np.ndarray = (coef @ self.xw.reshape(3, n * width)).reshape(len(a), n, width)
        return out

    def _forward(self, a: np.ndarray, b: np.ndarray, keep: bool) -> tuple[np.ndarray, list[Any]]:
        """Logits ``(K, N, C)`` and, with ``keep``, what the backward pass needs."""
        tape: list[Any] = []
        h: np.ndarray | None = None
        for n, (iw, ib, ig, stats) in enumerate(self.blocks):
            w = None
            if n == 0:
                z = self._first(a, b)
            else:
                assert h is not None
                w = self._at(iw, a, b)
                z = np.matmul(h, w)
                z += self._at(ib, a, b)[:, None, :]
            x_hat = gamma = None
            if stats is not None and ig is not None:
                mean, inv_std = stats
                x_hat = (z - mean) * inv_std
                gamma = self._at(ig, a, b)[:, None, :]
                z = gamma * x_hat + self._at(ig + 1, a, b)[:, None, :]
            if keep:
                act = make_activation(self.activation, dtype=self.dtype)
                h_new = act.forward(z, False)
                tape.append((h, w, x_hat, gamma, act))
            elif self.activation == "relu":
                h_new = np.maximum(z, 0, out=z)  # in place: nothing else reads z
            else:
                h_new = make_activation(self.activation, dtype=self.dtype).forward(z, False)
            h = h_new
        if h is None:  # softmax regression: the output layer is the first layer
            return self._first(a, b), [(None, None, None, None, None)]
        w_out = self._at(self.out_index, a, b)
        logits = np.matmul(h, w_out)
        logits += self._at(self.out_index + 1, a, b)[:, None, :]
        if keep:
            tape.append((h, w_out, None, None, None))
        return logits, tape

    def _losses(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean cross-entropy per point ``(K,)`` and log-probabilities ``(K, N, C)``."""
        shifted = logits - logits.max(axis=2, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        n = self.n_samples
        picked = logp[:, np.arange(n), self.y]  # (K, N)
        return -picked.mean(axis=1, dtype=np.float64), logp

    def _points(self, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ab = np.asarray(ab, dtype=np.float64).reshape(-1, 2)
        return ab[:, 0].astype(self.dtype), ab[:, 1].astype(self.dtype)

    def value(self, ab: np.ndarray) -> np.ndarray:
        """L at points ``ab`` ``(K, 2)`` → ``(K,)`` float64 (non-finite where the net overflows)."""
        a, b = self._points(ab)
        out = np.empty(len(a))
        step = self.chunk() * 2  # no tape: twice the points fit
        with np.errstate(all="ignore"):
            for s in range(0, len(a), step):
                logits, _ = self._forward(a[s : s + step], b[s : s + step], keep=False)
                out[s : s + step] = self._losses(logits)[0]
        return out

    def value_and_gradient(self, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """L ``(K,)`` and (∂L/∂a, ∂L/∂b) = (d₁·∇L, d₂·∇L) ``(K, 2)`` at points ``ab`` ``(K, 2)``.

        ∂L/∂a = Σᵢ ⟨∂L/∂Pᵢ, d₁ᵢ⟩ over the parameter arrays Pᵢ (chain rule through
        Pᵢ = Pᵢ* + a·d₁ᵢ + b·d₂ᵢ), with ∂L/∂Pᵢ from the usual backward pass of each point's network.
        """
        a, b = self._points(ab)
        values = np.empty(len(a))
        grads = np.zeros((len(a), 2))
        step = self.chunk()
        with np.errstate(all="ignore"):
            for s in range(0, len(a), step):
                sl = slice(s, s + step)
                values[sl], grads[sl] = self._value_grad_chunk(a[sl], b[sl])
        return values, grads

    def _dot(self, i: int, g: np.ndarray) -> np.ndarray:
        """(⟨g_k, d₁ᵢ⟩, ⟨g_k, d₂ᵢ⟩) for a gradient ``g`` ``(K, *shape)`` of array i → ``(K, 2)``."""
        k = g.shape[0]
        flat = g.reshape(k, -1).astype(np.float64)
        return np.stack([flat @ self.d1[i].ravel().astype(np.float64), flat @ self.d2[i].ravel().astype(np.float64)], 1)

    def _value_grad_chunk(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, tape = self._forward(a, b, keep=True)
        losses, logp = self._losses(logits)
        n = self.n_samples
        # ∂(mean CE)/∂logits = (softmax − onehot) / N
        dz = np.exp(logp)
        dz[:, np.arange(n), self.y] -= 1.0
        dz /= self.dtype.type(n)
        grad = np.zeros((len(a), 2))
        h, w_out, _, _, _ = tape[-1]
        if h is None:  # softmax regression
            grad += self._first_layer_dot(dz)
            return losses, grad
        grad += self._dot(self.out_index + 1, dz.sum(axis=1))
        grad += self._dot(self.out_index, np.matmul(h.transpose(0, 2, 1), dz))
        dh = np.matmul(dz, w_out.transpose(0, 2, 1))
        for n_block in range(len(self.blocks) - 1, -1, -1):
            iw, ib, ig, stats = self.blocks[n_block]
            h_in, w, x_hat, gamma, act = tape[n_block]
            dzb = act.backward(dh)
            if x_hat is not None and ig is not None and stats is not None:
                # y = γ x̂ + β with x̂ = (z − μ)·s (μ, s constants in inference mode)
                grad += self._dot(ig, (dzb * x_hat).sum(axis=1)) + self._dot(ig + 1, dzb.sum(axis=1))
                dzb = dzb * gamma * stats[1]
            if n_block == 0:
                grad += self._first_layer_dot(dzb)  # W₁ and b₁ together
            else:
                grad += self._dot(ib, dzb.sum(axis=1))
                grad += self._dot(iw, np.matmul(h_in.transpose(0, 2, 1), dzb))
                dh = np.matmul(dzb, w.transpose(0, 2, 1))
        return losses, grad

    def _first_layer_dot(self, dz: np.ndarray) -> np.ndarray:
        """⟨xᵀδ_k, D_W⟩ + ⟨Σₙ δ_k, d_b⟩ = Σ δ_k ⊙ (x D_W + d_b): the first layer's W and b together."""
        ga = np.einsum("knj,nj->k", dz, self.xw[1], dtype=np.float64)
        gb = np.einsum("knj,nj->k", dz, self.xw[2], dtype=np.float64)
        return np.stack([ga, gb], axis=1)


def plane_bounds(
    coords: np.ndarray, kind: str, margin: float = 0.25
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (a, b) rectangle drawn: the projected path and (0, 0) with a ``margin`` share on each side.

    Random directions are as long as the weights, so [−1, 1]² (Li et al.'s plots) is always included.
    """
    lo = np.minimum(coords.min(axis=0), 0.0)
    hi = np.maximum(coords.max(axis=0), 0.0)
    if kind == "random":
        lo, hi = np.minimum(lo, -1.0), np.maximum(hi, 1.0)
    span = hi - lo
    span = np.where(span > 0, span, 1.0)
    lo, hi = lo - margin * span, hi + margin * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))

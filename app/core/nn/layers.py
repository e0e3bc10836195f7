"""Layers of a small MLP, each with its forward and backward pass side by side (docs/networks.md).

Every layer follows one protocol:

* ``forward(x, training)`` takes a batch ``x`` of shape ``(N, D)`` and returns ``(N, D')``,
  keeping in ``self.cache`` whatever the backward pass needs;
* ``backward(dout)`` takes ∂L/∂out of shape ``(N, D')``, stores the parameter gradients and
  returns ∂L/∂x of shape ``(N, D)``;
* ``params()`` / ``grads()`` return parallel lists of arrays (the same objects every call, so an
  optimizer may update them in place).

Arrays are float32 unless a layer is built with another ``dtype`` (float64 for gradient checks).
"""

from __future__ import annotations

import numpy as np

from app.core.errors import InputError

DTypeLike = type[np.floating] | np.dtype


def check_unit_interval(value: float, field: str) -> None:
    """Raise ``InputError`` (the request model's codes ``pydantic.greater_than_equal`` /
    ``pydantic.less_than``) unless 0 ≤ ``value`` < 1 — a probability or momentum."""
    if not value >= 0.0:
        raise InputError(field, f"must be in [0, 1), got {value}", "pydantic.greater_than_equal", {"ge": 0})
    if not value < 1.0:
        raise InputError(field, f"must be in [0, 1), got {value}", "pydantic.less_than", {"lt": 1})


class Layer:
    """Base class: a layer without parameters."""

    def __init__(self, dtype: DTypeLike = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        self.cache: tuple[np.ndarray, ...] = ()

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self) -> list[np.ndarray]:
        """Learnable arrays (none by default)."""
        return []

    def grads(self) -> list[np.ndarray]:
        """Gradients of the loss w.r.t. ``params()``, same order and shapes."""
        return []


# --------------------------------------------------------------------------- affine


class Affine(Layer):
    """Fully connected layer ``out = x W + b``.

    Parameters
    ----------
    W : np.ndarray
        Weight matrix of shape ``(fan_in, fan_out)``.
    b : np.ndarray or None
        Bias of shape ``(fan_out,)``; zeros when omitted.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray | None = None, dtype: DTypeLike = np.float32) -> None:
        super().__init__(dtype)
        self.W = np.array(W, dtype=self.dtype)
        if self.W.ndim != 2:
            raise InputError(
                "model.hidden",
                f"weight matrix must be 2-D, got shape {self.W.shape}",
                "network.weights_not_2d",
                {"shape": list(self.W.shape)},
            )
        fan_out = self.W.shape[1]
        self.b = np.zeros(fan_out, dtype=self.dtype) if b is None else np.array(b, dtype=self.dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.cache = (x,)
        out: np.ndarray = x @ self.W + self.b
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (x,) = self.cache
        # out_nj = Σ_i x_ni W_ij + b_j  ⇒  ∂L/∂W = xᵀ dout,  ∂L/∂b = Σ_n dout,  ∂L/∂x = dout Wᵀ
        self.dW[...] = x.T @ dout
        self.db[...] = dout.sum(axis=0)
        dx: np.ndarray = dout @ self.W.T
        return dx

    def params(self) -> list[np.ndarray]:
        return [self.W, self.b]

    def grads(self) -> list[np.ndarray]:
        return [self.dW, self.db]


# --------------------------------------------------------------------------- activations


class Sigmoid(Layer):
    """σ(x) = 1 / (1 + e^(−x)); σ'(x) = σ(x)(1 − σ(x))."""

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        # Split by sign so that e^(−x) never overflows: for x < 0 use e^x / (1 + e^x).
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        out[~pos] = ex / (1.0 + ex)
        self.cache = (out,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (out,) = self.cache
        dx: np.ndarray = dout * out * (1.0 - out)
        return dx


class Tanh(Layer):
    """tanh(x); tanh'(x) = 1 − tanh²(x)."""

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        out: np.ndarray = np.tanh(x)
        self.cache = (out,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (out,) = self.cache
        dx: np.ndarray = dout * (1.0 - out * out)
        return dx


class ReLU(Layer):
    """max(0, x); derivative 1 where x > 0, else 0 (0 at x = 0 by convention)."""

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.cache = (x > 0,)
        out: np.ndarray = np.maximum(x, 0).astype(x.dtype, copy=False)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (mask,) = self.cache
        dx: np.ndarray = dout * mask
        return dx


class LeakyReLU(Layer):
    """x for x > 0, αx otherwise; derivative 1 or α."""

    def __init__(self, alpha: float = 0.01, dtype: DTypeLike = np.float32) -> None:
        super().__init__(dtype)
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        mask = x > 0
        self.cache = (mask,)
        return np.where(mask, x, self.alpha * x).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (mask,) = self.cache
        dx: np.ndarray = dout * np.where(mask, 1.0, self.alpha).astype(dout.dtype, copy=False)
        return dx


class ELU(Layer):
    """x for x > 0, α(eˣ − 1) otherwise; derivative 1 or α eˣ (= out + α)."""

    def __init__(self, alpha: float = 1.0, dtype: DTypeLike = np.float32) -> None:
        super().__init__(dtype)
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        mask = x > 0
        # expm1 of min(x, 0) avoids overflow for large positive x (that branch is discarded anyway).
        neg = self.alpha * np.expm1(np.minimum(x, 0))
        out = np.where(mask, x, neg).astype(x.dtype, copy=False)
        self.cache = (mask, out)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        mask, out = self.cache
        dx: np.ndarray = dout * np.where(mask, 1.0, out + self.alpha).astype(dout.dtype, copy=False)
        return dx


ACTIVATIONS: dict[str, type[Layer]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
}


def make_activation(name: str, dtype: DTypeLike = np.float32, field: str = "model.activation") -> Layer:
    """Build an activation layer by id (``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``elu``).

    Raises
    ------
    InputError
        For an unknown id, naming ``field``.
    """
    cls = ACTIVATIONS.get(name)
    if cls is None:
        choices = ", ".join(sorted(ACTIVATIONS))
        raise InputError(
            field,
            f"unknown activation {name[:40]!r}; choose one of {choices}",
            "pydantic.literal_error",
            {"expected": choices},
        )
    return cls(dtype=dtype)


# --------------------------------------------------------------------------- batch norm


class BatchNorm(Layer):
    """Batch normalisation over the batch axis of ``(N, D)`` inputs.

    Training: μ_B and the *biased* σ²_B of the mini-batch, x̂ = (x − μ_B)/√(σ²_B + ε),
    y = γ x̂ + β, and running statistics ``running = momentum·running + (1 − momentum)·batch``.
    Inference: the running mean and variance replace μ_B and σ²_B.

    Parameters
    ----------
    n_features : int
        D, the number of units normalised independently.
    momentum : float
        Weight of the old running value (0.9 by default).
    eps : float
        ε added to the variance (1e-7 as in the textbook: a larger ε swamps the tiny batch
        variances of very small initial weights, the case batch norm is meant to rescue).
    """

    def __init__(
        self,
        n_features: int,
        momentum: float = 0.9,
        eps: float = 1e-7,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__(dtype)
        check_unit_interval(momentum, "model.bn_momentum")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.gamma = np.ones(n_features, dtype=self.dtype)
        self.beta = np.zeros(n_features, dtype=self.dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        self.running_mean = np.zeros(n_features, dtype=self.dtype)
        self.running_var = np.ones(n_features, dtype=self.dtype)
        self.cached_training = True  # whether the cached forward pass used batch statistics

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        if training:
            mu = x.mean(axis=0)
            var = x.var(axis=0)  # biased: divides by N
            m = self.momentum
            self.running_mean[...] = m * self.running_mean + (1.0 - m) * mu
            self.running_var[...] = m * self.running_var + (1.0 - m) * var
        else:
            mu, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mu) * inv_std
        self.cache = (x_hat, inv_std)
        self.cached_training = training
        out: np.ndarray = self.gamma * x_hat + self.beta
        return out

    def forward_batch_stats(self, x: np.ndarray) -> np.ndarray:
        """Normalise ``x`` ``(N, D)`` with its own batch mean and biased variance — what training
        computes — without updating the running statistics (telemetry's view, docs/telemetry.md)."""
        inv_std = 1.0 / np.sqrt(x.var(axis=0) + self.eps)
        x_hat = (x - x.mean(axis=0)) * inv_std
        self.cache = (x_hat, inv_std)
        self.cached_training = True
        out: np.ndarray = self.gamma * x_hat + self.beta
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x_hat, inv_std = self.cache
        self.dgamma[...] = (dout * x_hat).sum(axis=0)
        self.dbeta[...] = dout.sum(axis=0)
        dx_hat = dout * self.gamma
        if not self.cached_training:
            # μ and σ² are constants at inference: the layer is a per-feature affine map.
            dx_inference: np.ndarray = dx_hat * inv_std
            return dx_inference
        # Training: μ_B and σ²_B depend on every sample. With x̂ = (x − μ)·s, s = (σ² + ε)^(−½),
        #   ∂L/∂x = s/N · (N·dx̂ − Σ dx̂ − x̂ · Σ(dx̂ · x̂))   (sums over the batch axis).
        n = dout.shape[0]
        dx: np.ndarray = (inv_std / n) * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
        return dx

    def params(self) -> list[np.ndarray]:
        return [self.gamma, self.beta]

    def grads(self) -> list[np.ndarray]:
        return [self.dgamma, self.dbeta]


# --------------------------------------------------------------------------- dropout


class Dropout(Layer):
    """Inverted dropout: in training each unit is zeroed with probability ``p`` and survivors are
    scaled by 1/(1 − p), so E[out] = x; at inference the layer is the identity.

    Parameters
    ----------
    p : float
        Drop probability in [0, 1).
    rng : np.random.Generator or None
        Source of the masks (a fixed-seed generator makes training reproducible).

    Attributes
    ----------
    fixed_mask : np.ndarray or None
        When set (shape ``(N, D)``, 1 = keep, 0 = drop) it replaces the random mask: used by the
        gradient-check tests.
    """

    def __init__(
        self,
        p: float,
        rng: np.random.Generator | None = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__(dtype)
        check_unit_interval(p, "model.dropout")
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.fixed_mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        if not training or self.p == 0.0:
            self.cache = ()  # identity: nothing to scale by in backward
            return x
        if self.fixed_mask is not None:
            keep = np.asarray(self.fixed_mask, dtype=bool)
        else:
            keep = self.rng.random(x.shape) >= self.p
        scale = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        self.cache = (scale,)
        out: np.ndarray = x * scale
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if not self.cache:
            return dout
        (scale,) = self.cache
        dx: np.ndarray = dout * scale
        return dx

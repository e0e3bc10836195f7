"""A small multi-layer perceptron built from ``layers.py`` (docs/networks.md).

Architecture, per hidden layer i = 1 … L::

    affine_i → [batch norm_i] → activation_i → [dropout_i]

then an output affine layer (index L + 1) and softmax cross-entropy. The *pre-activation* of a
hidden layer is the input of its activation (after batch norm when there is one); its
*activation* is the activation's output (before dropout). Both are kept after every forward pass
for telemetry.

Regularisation (weight matrices only, never biases or BN's γ, β):
L2 adds ½λ₂ Σ‖W‖² to the loss and λ₂W to ∂L/∂W; L1 adds λ₁ Σ‖W‖₁ and λ₁ sign(W).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.errors import InputError
from app.core.nn.initializers import initialize
from app.core.nn.layers import Affine, BatchNorm, Dropout, Layer, check_unit_interval, make_activation
from app.core.nn.losses import SoftmaxCrossEntropy

#: Largest batch pushed through the network at once by ``predict``/``logits`` (bounds memory).
EVAL_CHUNK = 4096


@dataclass
class HiddenBlock:
    """The layers of one hidden layer, in forward order."""

    affine: Affine
    bn: BatchNorm | None
    act: Layer
    dropout: Dropout | None

    def layers(self) -> list[Layer]:
        return [layer for layer in (self.affine, self.bn, self.act, self.dropout) if layer is not None]


@dataclass(frozen=True)
class ParamInfo:
    """What one entry of ``MLP.params()`` is.

    Attributes
    ----------
    name : str
        ``W1``, ``b1``, ``gamma1``, ``beta1``, … (output layer: index L + 1).
    layer : int
        1-based layer index (hidden layers 1 … L, output L + 1).
    is_weight : bool
        True for affine weight matrices: the only arrays that L1/L2/weight decay touch.
    """

    name: str
    layer: int
    is_weight: bool


class MLP:
    """Multi-layer perceptron classifier.

    Parameters
    ----------
    n_in : int
        Number of input features D.
    hidden : sequence of int
        Width of each hidden layer (may be empty: softmax regression).
    n_out : int
        Number of classes C.
    activation : str
        ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu`` or ``elu``.
    init : str
        Weight initialiser id (``initializers.INIT_IDS``), used for every affine layer; biases
        start at 0.
    init_std : float
        Standard deviation for ``init="normal"``.
    batch_norm : bool
        Insert batch normalisation between each hidden affine layer and its activation.
    bn_momentum : float
        Momentum of BN's running statistics.
    dropout : float
        Drop probability after each hidden activation (0 = none).
    dtype : dtype
        float32 by default; float64 for gradient checks.
    rng : np.random.Generator or None
        Source of the initial weights.
    dropout_rng : np.random.Generator or None
        Source of dropout masks (spawned from ``rng`` when omitted).
    """

    def __init__(
        self,
        n_in: int,
        hidden: Sequence[int],
        n_out: int,
        activation: str = "relu",
        init: str = "he_normal",
        init_std: float = 0.01,
        batch_norm: bool = False,
        bn_momentum: float = 0.9,
        dropout: float = 0.0,
        dtype: type[np.floating] | np.dtype = np.float32,
        rng: np.random.Generator | None = None,
        dropout_rng: np.random.Generator | None = None,
    ) -> None:
        if n_in < 1:
            raise InputError("dataset", f"the data set has no input features (n_in={n_in})", "dataset.no_features")
        if n_out < 2:
            raise InputError(
                "dataset.classes",
                f"need at least 2 classes, got {n_out}",
                "dataset.too_few_classes",
                {"classes": n_out},
            )
        for i, width in enumerate(hidden):
            if int(width) < 1:
                raise InputError(
                    f"model.hidden.{i}", f"width must be ≥ 1, got {width}", "pydantic.greater_than_equal", {"ge": 1}
                )
        check_unit_interval(dropout, "model.dropout")
        rng = rng if rng is not None else np.random.default_rng(0)
        dropout_rng = dropout_rng if dropout_rng is not None else np.random.default_rng(rng.integers(2**63))
        self.dtype = np.dtype(dtype)
        self.activation = activation
        self.hidden = [int(w) for w in hidden]
        self.n_in, self.n_out = int(n_in), int(n_out)

        self.blocks: list[HiddenBlock] = []
        fan_in = self.n_in
        for width in self.hidden:
            W = initialize(init, fan_in, width, rng, std=init_std, dtype=self.dtype)
            self.blocks.append(
                HiddenBlock(
                    affine=Affine(W, dtype=self.dtype),
                    bn=BatchNorm(width, bn_momentum, dtype=self.dtype) if batch_norm else None,
                    act=make_activation(activation, dtype=self.dtype),
                    dropout=Dropout(dropout, dropout_rng, dtype=self.dtype) if dropout > 0 else None,
                )
            )
            fan_in = width
        W_out = initialize(init, fan_in, self.n_out, rng, std=init_std, dtype=self.dtype)
        self.output = Affine(W_out, dtype=self.dtype)
        self.loss_layer = SoftmaxCrossEntropy()

        self.pre_activations: list[np.ndarray] = []
        self.activations: list[np.ndarray] = []
        self.data_loss: float = float("nan")
        self._l1 = 0.0
        self._l2 = 0.0

        self._params: list[np.ndarray] = []
        self._grads: list[np.ndarray] = []
        self.param_info: list[ParamInfo] = []
        for i, block in enumerate(self.blocks, start=1):
            self._register(block.affine, i, ("W", "b"))
            if block.bn is not None:
                self._register(block.bn, i, ("gamma", "beta"))
        self._register(self.output, len(self.blocks) + 1, ("W", "b"))

    def _register(self, layer: Layer, index: int, names: tuple[str, str]) -> None:
        for p, g, name in zip(layer.params(), layer.grads(), names, strict=True):
            self._params.append(p)
            self._grads.append(g)
            self.param_info.append(ParamInfo(f"{name}{index}", index, name == "W"))

    # ------------------------------------------------------------------ structure

    @property
    def affines(self) -> list[Affine]:
        """Every affine layer, hidden ones first, output last."""
        return [b.affine for b in self.blocks] + [self.output]

    def params(self) -> list[np.ndarray]:
        """All learnable arrays (the live objects: updating them in place updates the net)."""
        return self._params

    def grads(self) -> list[np.ndarray]:
        """Gradients parallel to ``params()`` (filled by ``backward``)."""
        return self._grads

    @property
    def decay_mask(self) -> list[bool]:
        """Parallel to ``params()``: True for weight matrices (regularised / decayed)."""
        return [info.is_weight for info in self.param_info]

    @property
    def param_layers(self) -> list[int]:
        """Parallel to ``params()``: 1-based layer index of each array."""
        return [info.layer for info in self.param_info]

    def _state_arrays(self) -> list[np.ndarray]:
        """Parameters plus BN running statistics: everything that defines the function."""
        arrays = list(self._params)
        for block in self.blocks:
            if block.bn is not None:
                arrays += [block.bn.running_mean, block.bn.running_var]
        return arrays

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter and BN running statistic (for ``restore_best_weights``)."""
        return [a.copy() for a in self._state_arrays()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy ``weights`` (from ``get_weights``) back into the live arrays, in place."""
        arrays = self._state_arrays()
        if len(weights) != len(arrays):
            raise ValueError(f"expected {len(arrays)} arrays, got {len(weights)}")
        for dst, src in zip(arrays, weights, strict=True):
            np.copyto(dst, src)

    # ------------------------------------------------------------------ passes

    def forward(self, x: np.ndarray, training: bool = False, batch_stats: bool = False) -> np.ndarray:
        """Logits of a batch, recording each hidden layer's pre-activations and activations.

        Parameters
        ----------
        x : np.ndarray
            Inputs, shape ``(N, n_in)``.
        training : bool
            Batch statistics in BN and random dropout when True; running statistics and no
            dropout when False.
        batch_stats : bool
            With ``training=False``: BN normalises with the batch's own statistics (as in
            training) but leaves its running statistics alone, and there is no dropout — the
            telemetry view of the network as it trains (docs/telemetry.md).

        Returns
        -------
        np.ndarray
            Logits, shape ``(N, n_out)``.
        """
        h = np.asarray(x, dtype=self.dtype)
        self.pre_activations, self.activations = [], []
        for block in self.blocks:
            h = block.affine.forward(h, training)
            if block.bn is not None:
                h = block.bn.forward_batch_stats(h) if batch_stats and not training else block.bn.forward(h, training)
            self.pre_activations.append(h)
            h = block.act.forward(h, training)
            self.activations.append(h)
            if block.dropout is not None:
                h = block.dropout.forward(h, training)
        return self.output.forward(h, training)

    def penalty(self, l1: float = 0.0, l2: float = 0.0) -> float:
        """Regularisation term ½λ₂ Σ‖W‖² + λ₁ Σ‖W‖₁ over the weight matrices."""
        total = 0.0
        for layer in self.affines:
            W = layer.W.astype(np.float64, copy=False)
            if l2:
                total += 0.5 * l2 * float(np.sum(W * W))
            if l1:
                total += l1 * float(np.sum(np.abs(W)))
        return total

    def loss(
        self,
        x: np.ndarray,
        y: np.ndarray,
        l1: float = 0.0,
        l2: float = 0.0,
        training: bool = True,
    ) -> float:
        """Forward pass and total loss = mean cross-entropy + penalty.

        The cross-entropy alone is kept in ``self.data_loss``. ``backward`` uses the same
        ``l1``/``l2``.

        Parameters
        ----------
        x : np.ndarray
            Shape ``(N, n_in)``.
        y : np.ndarray
            Integer labels, shape ``(N,)``.
        """
        logits = self.forward(x, training)
        self.last_logits = logits
        self.data_loss = self.loss_layer.forward(logits, y)
        self._l1, self._l2 = float(l1), float(l2)
        return self.data_loss + self.penalty(l1, l2)

    def backward(self) -> None:
        """Fill ``grads()`` with ∂(total loss)/∂θ for the last ``loss`` call."""
        dout = self.loss_layer.backward()
        dout = self.output.backward(dout)
        for block in reversed(self.blocks):
            for layer in reversed(block.layers()):
                dout = layer.backward(dout)
        for layer in self.affines:
            # The penalties' gradients: d(½λ‖W‖²)/dW = λW, d(λ‖W‖₁)/dW = λ sign(W).
            if self._l2:
                layer.dW += self.dtype.type(self._l2) * layer.W
            if self._l1:
                layer.dW += self.dtype.type(self._l1) * np.sign(layer.W)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Inference-mode logits, computed in chunks; shape ``(N, n_out)``."""
        x = np.asarray(x, dtype=self.dtype)
        if len(x) <= EVAL_CHUNK:
            return self.forward(x, training=False)
        return np.concatenate(
            [self.forward(x[i : i + EVAL_CHUNK], training=False) for i in range(0, len(x), EVAL_CHUNK)]
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted class indices (inference mode), shape ``(N,)``."""
        labels: np.ndarray = np.argmax(self.logits(x), axis=1)
        return labels

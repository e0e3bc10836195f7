"""Gradient descent and its momentum variants (docs/optimizers.md, "First-order rules").

All three work on any array shape; ``s`` holds the velocity v of the same shape as θ.
"""

from __future__ import annotations

from app.core.optim.base import Array, LearningRate, Optimizer
from app.core.optim.elementwise import fresh
from app.core.optim.hyperparams import MOMENTUM, WEIGHT_DECAY, learning_rate


class SGD(Optimizer):
    """Plain gradient descent: θ ← θ − ηg."""

    id = "sgd"
    name = "SGD"
    equation = (r"\theta \leftarrow \theta - \eta g",)
    hyperparams = (learning_rate(0.01), WEIGHT_DECAY)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        return -lr * g


class Momentum(Optimizer):
    """Heavy-ball momentum: v ← μv − ηg; θ ← θ + v."""

    id = "momentum"
    name = "Momentum"
    equation = (r"v \leftarrow \mu v - \eta g", r"\theta \leftarrow \theta + v")
    hyperparams = (learning_rate(0.01), MOMENTUM, WEIGHT_DECAY)
    state_keys = ("v",)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        s["v"] = self.params["momentum"] * s["v"] - lr * g
        return fresh(s["v"])


class Nesterov(Momentum):
    """Nesterov momentum in the look-ahead form used by Keras/PyTorch.

    v ← μv − ηg; θ ← θ + μv − ηg: the step already contains the next velocity's μv. Same
    hyperparameters and state as :class:`Momentum`.
    """

    id = "nesterov"
    name = "Nesterov"
    equation = (r"v \leftarrow \mu v - \eta g", r"\theta \leftarrow \theta + \mu v - \eta g")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        mu = self.params["momentum"]
        s["v"] = mu * s["v"] - lr * g
        return mu * s["v"] - lr * g

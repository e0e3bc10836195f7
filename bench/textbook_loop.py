"""A reference for bench/engine2d.py: the textbook's optimizer classes, in our own words.

The deep-learning textbook the course follows keeps parameters and gradients in dicts of NumPy
arrays and updates them with small classes that each have ``update(params, grads)``. This module
restates that style (not the textbook's code) for the 2-D benchmark: a point (x, y) is
``{"x": array([x]), "y": array([y])}``, the gradient a dict of the same shape, and each class
updates the dict in place. ``textbook_run`` is the minimal loop our engine is compared with:
gradient, update, nothing else (no loss, no recording, no divergence checks).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Params = dict[str, Array]


class SGD:
    """θ ← θ − η g, key by key."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    """v ← μv − ηg; θ ← θ + v."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: Params | None = None

    def update(self, params: Params, grads: Params) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class AdaGrad:
    """h ← h + g²; θ ← θ − ηg/(√h + 10⁻⁷)."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: Params | None = None

    def update(self, params: Params, grads: Params) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class RMSprop:
    """h ← ρh + (1−ρ)g²; θ ← θ − ηg/(√h + 10⁻⁷)."""

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        self.lr, self.decay_rate = lr, decay_rate
        self.h: Params | None = None

    def update(self, params: Params, grads: Params) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class Adam:
    """Adam with the bias correction folded into the step size η_t = η√(1−β₂ᵗ)/(1−β₁ᵗ)."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m: Params | None = None
        self.v: Params | None = None

    def update(self, params: Params, grads: Params) -> None:
        if self.m is None or self.v is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


TEXTBOOK = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "rmsprop": RMSprop, "adam": Adam}


def rosenbrock_grad(params: Params, a: float = 1.0, b: float = 100.0) -> Params:
    """∇f of f = (a − x)² + b(y − x²)² on the dict of 1-element arrays."""
    x, y = params["x"], params["y"]
    r = y - x**2
    return {"x": -2.0 * (a - x) - 4.0 * b * x * r, "y": 2.0 * b * r}


def textbook_run(
    optimizer: str,
    lr: float,
    start: tuple[float, float],
    steps: int,
    grad: Callable[[Params], Params] = rosenbrock_grad,
) -> Params:
    """``steps`` updates of the textbook-style class from ``start``; the final point."""
    params = {"x": np.array([start[0]]), "y": np.array([start[1]])}
    opt = TEXTBOOK[optimizer](lr=lr)
    for _ in range(steps):
        opt.update(params, grad(params))
    return params

"""Optimizer update rules (docs/optimizers.md), written once for the 2-D lab and the MLP.

Contract (used by ``trajectory.py`` for batched 2-D runs and ``training.py`` for MLPs):

* Parameters are a ``list[np.ndarray]``. In the 2-D lab the list has one array of shape
  ``(R, 2)`` (R runs side by side); in the MLP it holds each layer's W, b, γ, β.
* ``opt = make_optimizer("adam", {"lr": 0.3})`` builds an optimizer; unknown ids or
  hyperparameters, or values outside their bounds, raise ``InputError``.
* ``state = opt.init_state(params)`` gives one ``dict[str, np.ndarray]`` per parameter array.
* ``deltas = opt.update(params, grads, state, t, lr, ...)`` returns the update Δθ for each array
  (the caller does ``θ += Δθ``) and mutates ``state``. ``t`` counts from 1. ``lr`` is the scheduled
  learning rate: a float, or an array broadcastable against the parameters (e.g. shape ``(R, 1)``
  for a learning-rate sweep over R runs).
* ``state`` holds every internal quantity worth showing in the step inspector (velocity, h,
  m, v, m̂, v̂, effective per-coordinate rate, …) under the keys listed in ``state_keys``.

Weight decay: every first-order optimizer except AdamW accepts ``weight_decay`` as a *coupled*
L2 term, g ← g + λθ (PyTorch semantics); AdamW's decay is *decoupled*, θ ← θ − ηλθ, and never
enters the moment estimates. ``decay_mask`` (one bool per array) restricts either to weights.

The second-order methods (``newton``, ``lbfgs``) work on run-batched vectors of shape ``(R, n)``
only (the 2-D lab); they are flagged ``mlp = False``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from app.core.errors import InputError

Array = np.ndarray
LearningRate = float | Array
State = list[dict[str, Array]]


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter: its API name, default and inclusive bounds."""

    name: str
    default: float
    low: float
    high: float
    en: str
    ko: str
    log: bool = False
    integer: bool = False

    def as_dict(self) -> dict[str, object]:
        """The JSON description served by ``GET /api/optimizers``."""
        return {
            "name": self.name,
            "default": self.default,
            "min": self.low,
            "max": self.high,
            "log": self.log,
            "integer": self.integer,
            "description": {"en": self.en, "ko": self.ko},
        }


def _lr(default: float) -> HyperParam:
    return HyperParam("lr", default, 0.0, 100.0, "learning rate η", "학습률 η", log=True)


_MOMENTUM = HyperParam("momentum", 0.9, 0.0, 0.9999, "momentum μ", "모멘텀 계수 μ")
_RHO = HyperParam(
    "rho", 0.9, 0.0, 0.9999, "decay rate ρ of the squared-gradient average", "제곱 기울기 이동평균의 감쇠율 ρ"
)
_BETA1 = HyperParam("beta1", 0.9, 0.0, 0.9999, "first-moment decay β₁", "1차 모멘트 감쇠율 β₁")
_BETA2 = HyperParam("beta2", 0.999, 0.0, 0.999999, "second-moment decay β₂", "2차 모멘트 감쇠율 β₂")
_WD = HyperParam("weight_decay", 0.0, 0.0, 10.0, "L2 weight decay λ (added to g)", "L2 가중치 감쇠 λ (기울기에 더함)")


def _eps(default: float) -> HyperParam:
    return HyperParam("eps", default, 0.0, 1.0, "ε added for numerical stability", "수치 안정용 ε", log=True)


class Optimizer:
    """Base class: resolves hyperparameters and applies the per-array update rule."""

    id: ClassVar[str]
    name: ClassVar[str]
    equation: ClassVar[tuple[str, ...]]
    hyperparams: ClassVar[tuple[HyperParam, ...]]
    state_keys: ClassVar[tuple[str, ...]] = ()
    needs_hessian: ClassVar[bool] = False
    mlp: ClassVar[bool] = True
    decoupled_decay: ClassVar[bool] = False

    def __init__(self, params: Mapping[str, float] | None = None) -> None:
        self.params: dict[str, float] = {hp.name: hp.default for hp in self.hyperparams}
        by_name = {hp.name: hp for hp in self.hyperparams}
        for key, value in (params or {}).items():
            if key not in by_name:
                allowed = ", ".join(by_name)
                raise InputError(f"params.{key}", f"'{key}' is not a hyperparameter of {self.id}; allowed: {allowed}")
            hp = by_name[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise InputError(f"params.{key}", f"{key} must be a finite number")
            if not hp.low <= value <= hp.high:
                raise InputError(f"params.{key}", f"{key} must be between {hp.low} and {hp.high} (got {value})")
            if hp.integer and value != int(value):
                raise InputError(f"params.{key}", f"{key} must be an integer")
            self.params[key] = float(value)

    def describe(self) -> dict[str, object]:
        """The JSON description served by ``GET /api/optimizers``."""
        return {
            "id": self.id,
            "name": self.name,
            "equation": list(self.equation),
            "hyperparams": [hp.as_dict() for hp in self.hyperparams],
            "state_keys": list(self.state_keys),
            "needs_hessian": self.needs_hessian,
            "mlp": self.mlp,
        }

    def init_state(self, params: Sequence[Array]) -> State:
        """Zero-initialised buffers, one dict per parameter array (same shapes as the arrays)."""
        return [{key: np.zeros_like(p) for key in self.state_keys} for p in params]

    def update(
        self,
        params: Sequence[Array],
        grads: Sequence[Array],
        state: State,
        t: int,
        lr: LearningRate,
        decay_mask: Sequence[bool] | None = None,
        hessian: Callable[[Array], Array] | None = None,
        closure: Callable[[Array], Array] | None = None,
    ) -> list[Array]:
        """Compute Δθ for every array and update ``state`` in place.

        Parameters
        ----------
        params, grads : list of arrays, matching shapes.
        state : buffers from ``init_state``.
        t : update count, from 1 (used by bias corrections).
        lr : learning rate for this update, scalar or broadcastable array.
        decay_mask : which arrays take weight decay (default: all).
        hessian, closure : only for second-order methods on ``(R, n)`` vectors.

        Returns
        -------
        list of arrays, Δθ with the shapes of ``params``.
        """
        wd = self.params.get("weight_decay", 0.0)
        deltas = []
        for i, (p, g, s) in enumerate(zip(params, grads, state, strict=True)):
            decays = wd > 0.0 and (decay_mask is None or decay_mask[i])
            if decays and not self.decoupled_decay:
                g = g + wd * p  # coupled L2: the decay term passes through the adaptive scaling
            delta = self._delta(p, g, s, t, lr)
            if decays and self.decoupled_decay:
                delta = delta - lr * wd * p  # decoupled: θ ← θ − ηλθ, outside the moments
            deltas.append(delta)
        return deltas

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: θ ← θ − ηg."""

    id = "sgd"
    name = "SGD"
    equation = (r"\theta \leftarrow \theta - \eta g",)
    hyperparams = (_lr(0.01), _WD)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        return -lr * g


class Momentum(Optimizer):
    """Heavy-ball momentum: v ← μv − ηg; θ ← θ + v."""

    id = "momentum"
    name = "Momentum"
    equation = (r"v \leftarrow \mu v - \eta g", r"\theta \leftarrow \theta + v")
    hyperparams = (_lr(0.01), _MOMENTUM, _WD)
    state_keys = ("v",)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        s["v"] = self.params["momentum"] * s["v"] - lr * g
        return s["v"].copy()


class Nesterov(Optimizer):
    """Nesterov momentum in the look-ahead form used by Keras/PyTorch."""

    id = "nesterov"
    name = "Nesterov"
    equation = (r"v \leftarrow \mu v - \eta g", r"\theta \leftarrow \theta + \mu v - \eta g")
    hyperparams = (_lr(0.01), _MOMENTUM, _WD)
    state_keys = ("v",)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        mu = self.params["momentum"]
        s["v"] = mu * s["v"] - lr * g
        return mu * s["v"] - lr * g


class AdaGrad(Optimizer):
    """AdaGrad: h ← h + g²; θ ← θ − ηg/(√h + ε). ``eff_lr`` = η/(√h + ε) per coordinate."""

    id = "adagrad"
    name = "AdaGrad"
    equation = (r"h \leftarrow h + g \odot g", r"\theta \leftarrow \theta - \frac{\eta}{\sqrt{h} + \epsilon} g")
    hyperparams = (_lr(0.01), _eps(1e-7), _WD)
    state_keys = ("h", "eff_lr")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        s["h"] = s["h"] + g * g
        s["eff_lr"] = lr / (np.sqrt(s["h"]) + self.params["eps"]) * np.ones_like(g)
        return -s["eff_lr"] * g


class RMSProp(Optimizer):
    """RMSProp: h ← ρh + (1−ρ)g²; θ ← θ − ηg/(√h + ε)."""

    id = "rmsprop"
    name = "RMSProp"
    equation = (
        r"h \leftarrow \rho h + (1 - \rho) g \odot g",
        r"\theta \leftarrow \theta - \frac{\eta}{\sqrt{h} + \epsilon} g",
    )
    hyperparams = (_lr(0.001), _RHO, _eps(1e-7), _WD)
    state_keys = ("h", "eff_lr")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        rho = self.params["rho"]
        s["h"] = rho * s["h"] + (1.0 - rho) * g * g
        s["eff_lr"] = lr / (np.sqrt(s["h"]) + self.params["eps"]) * np.ones_like(g)
        return -s["eff_lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba): bias-corrected first and second moments."""

    id = "adam"
    name = "Adam"
    equation = (
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g",
        r"v \leftarrow \beta_2 v + (1 - \beta_2) g \odot g",
        r"\hat{m} = \frac{m}{1 - \beta_1^t}, \hat{v} = \frac{v}{1 - \beta_2^t}",
        r"\theta \leftarrow \theta - \frac{\eta \hat{m}}{\sqrt{\hat{v}} + \epsilon}",
    )
    hyperparams = (_lr(0.001), _BETA1, _BETA2, _eps(1e-8), _WD)
    state_keys = ("m", "v", "m_hat", "v_hat")

    def _moments(self, g: Array, s: dict[str, Array], t: int) -> None:
        b1, b2 = self.params["beta1"], self.params["beta2"]
        s["m"] = b1 * s["m"] + (1.0 - b1) * g
        s["v"] = b2 * s["v"] + (1.0 - b2) * g * g
        s["m_hat"] = s["m"] / (1.0 - b1**t)
        s["v_hat"] = s["v"] / (1.0 - b2**t)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        self._moments(g, s, t)
        return -lr * s["m_hat"] / (np.sqrt(s["v_hat"]) + self.params["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ − ηλθ outside the moments."""

    id = "adamw"
    name = "AdamW"
    equation = (*Adam.equation, r"\theta \leftarrow \theta - \eta \lambda \theta")
    hyperparams = (
        _lr(0.001),
        _BETA1,
        _BETA2,
        _eps(1e-8),
        HyperParam("weight_decay", 0.01, 0.0, 10.0, "decoupled weight decay λ", "분리된 가중치 감쇠 λ"),
    )
    decoupled_decay = True


class NAdam(Adam):
    """NAdam (Dozat 2016, without the momentum schedule): Adam with a Nesterov look-ahead on m̂."""

    id = "nadam"
    name = "NAdam"
    equation = (
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g",
        r"v \leftarrow \beta_2 v + (1 - \beta_2) g \odot g",
        r"\bar{m} = \frac{\beta_1 m}{1 - \beta_1^{t+1}} + \frac{(1 - \beta_1) g}{1 - \beta_1^t}",
        r"\theta \leftarrow \theta - \frac{\eta \bar{m}}{\sqrt{\hat{v}} + \epsilon}",
    )
    hyperparams = (_lr(0.002), _BETA1, _BETA2, _eps(1e-8), _WD)
    state_keys = ("m", "v", "m_hat", "v_hat")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        self._moments(g, s, t)
        b1 = self.params["beta1"]
        # Look ahead: the next step's bias-corrected momentum plus the current gradient's share.
        m_bar = b1 * s["m"] / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)
        return -lr * m_bar / (np.sqrt(s["v_hat"]) + self.params["eps"])


class AMSGrad(Adam):
    """AMSGrad (Reddi et al.): Adam with a never-decreasing second moment v_max (PyTorch form)."""

    id = "amsgrad"
    name = "AMSGrad"
    equation = (
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g",
        r"v \leftarrow \beta_2 v + (1 - \beta_2) g \odot g",
        r"v_{max} \leftarrow \max(v_{max}, v)",
        r"\theta \leftarrow \theta - \frac{\eta \hat{m}}{\sqrt{v_{max} / (1 - \beta_2^t)} + \epsilon}",
    )
    state_keys = ("m", "v", "v_max", "m_hat", "v_hat")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        self._moments(g, s, t)
        s["v_max"] = np.maximum(s["v_max"], s["v"])
        v_hat_max = s["v_max"] / (1.0 - self.params["beta2"] ** t)
        return -lr * s["m_hat"] / (np.sqrt(v_hat_max) + self.params["eps"])


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012): the step's unit comes from a running RMS of past updates."""

    id = "adadelta"
    name = "AdaDelta"
    equation = (
        r"E_g \leftarrow \rho E_g + (1 - \rho) g \odot g",
        r"\Delta = - \frac{\sqrt{E_\Delta + \epsilon}}{\sqrt{E_g + \epsilon}} g",
        r"E_\Delta \leftarrow \rho E_\Delta + (1 - \rho) \Delta \odot \Delta",
        r"\theta \leftarrow \theta + \eta \Delta",
    )
    hyperparams = (_lr(1.0), HyperParam("rho", 0.95, 0.0, 0.9999, "decay rate ρ", "감쇠율 ρ"), _eps(1e-6), _WD)
    state_keys = ("acc_grad", "acc_delta")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        rho, eps = self.params["rho"], self.params["eps"]
        s["acc_grad"] = rho * s["acc_grad"] + (1.0 - rho) * g * g
        step = -np.sqrt(s["acc_delta"] + eps) / np.sqrt(s["acc_grad"] + eps) * g
        s["acc_delta"] = rho * s["acc_delta"] + (1.0 - rho) * step * step
        return lr * step


class Newton(Optimizer):
    """Damped Newton: θ ← θ − η(H + δI)⁻¹g, with |eigenvalues| where H is not positive definite.

    Writing H = V diag(λ) Vᵀ, the step uses V diag(|λ| + δ)⁻¹ Vᵀ g. Where H is positive definite
    this is exactly (H + δI)⁻¹g; at a saddle it still descends instead of jumping to the saddle
    ("saddle-free Newton"), which is the safe fallback docs/optimizers.md asks for.
    """

    id = "newton"
    name = "Newton"
    equation = (r"\theta \leftarrow \theta - \eta (H + \delta I)^{-1} g",)
    hyperparams = (
        _lr(1.0),
        HyperParam("damping", 1e-3, 1e-12, 1e6, "damping δ added to |eigenvalues|", "고유값에 더하는 감쇠 δ", log=True),
    )
    state_keys = ("eig",)
    needs_hessian = True
    mlp = False

    def update(
        self,
        params: Sequence[Array],
        grads: Sequence[Array],
        state: State,
        t: int,
        lr: LearningRate,
        decay_mask: Sequence[bool] | None = None,
        hessian: Callable[[Array], Array] | None = None,
        closure: Callable[[Array], Array] | None = None,
    ) -> list[Array]:
        """Δθ for ``(R, n)`` points; ``hessian(θ)`` must give ``(R, n, n)``."""
        if hessian is None:
            raise InputError("optimizer", "newton needs a surface with a Hessian")
        (p,), (g,) = params, grads
        lam, vecs = np.linalg.eigh(np.nan_to_num(hessian(p)))  # (R, n), (R, n, n)
        state[0]["eig"] = lam
        g_eig = np.einsum("rji,rj->ri", vecs, g)  # g in the eigenbasis
        step = np.einsum("rij,rj->ri", vecs, g_eig / (np.abs(lam) + self.params["damping"]))
        return [-lr * step]


class LBFGS(Optimizer):
    """Limited-memory BFGS: two-loop recursion over the last m (s, y) pairs.

    With ``line_search = 1`` and a ``closure`` giving f, the step length starts at η and is
    halved until the Armijo condition f(θ + αd) ≤ f(θ) + 10⁻⁴ α gᵀd holds; otherwise α = η.
    Pairs with sᵀy ≤ 10⁻¹⁰‖s‖‖y‖ (no clear positive curvature) are skipped; a non-descent direction
    falls back to −g.
    """

    id = "lbfgs"
    name = "L-BFGS"
    equation = (
        r"d = - H_k g \quad (\text{two-loop recursion over } m \text{ pairs } s_i, y_i)",
        r"\theta \leftarrow \theta + \alpha d",
    )
    hyperparams = (
        _lr(1.0),
        HyperParam("memory", 10, 1, 100, "memory m (pairs kept)", "기억할 쌍의 수 m", integer=True),
        HyperParam(
            "line_search",
            1,
            0,
            1,
            "backtracking line search (1) or fixed step (0)",
            "백트래킹 선 탐색(1) / 고정 보폭(0)",
            integer=True,
        ),
    )
    state_keys = ("direction", "step_size")
    mlp = False

    def init_state(self, params: Sequence[Array]) -> State:
        """History buffers of shape ``(R, m, n)`` plus the previous point and gradient."""
        (p,) = params
        r, n = p.shape
        m = int(self.params["memory"])
        return [
            {
                "s": np.zeros((r, m, n)),
                "y": np.zeros((r, m, n)),
                "valid": np.zeros((r, m), dtype=bool),
                "prev_x": np.zeros_like(p),
                "prev_g": np.zeros_like(p),
                "direction": np.zeros_like(p),
                "step_size": np.zeros((r, 1)),
            }
        ]

    def update(
        self,
        params: Sequence[Array],
        grads: Sequence[Array],
        state: State,
        t: int,
        lr: LearningRate,
        decay_mask: Sequence[bool] | None = None,
        hessian: Callable[[Array], Array] | None = None,
        closure: Callable[[Array], Array] | None = None,
    ) -> list[Array]:
        """Δθ for ``(R, n)`` points; ``closure(θ)`` gives f of shape ``(R,)`` for the line search."""
        (x,), (g,) = params, grads
        s = state[0]
        if t > 1:
            sk, yk = x - s["prev_x"], g - s["prev_g"]
            for key, new in (("s", sk), ("y", yk)):
                s[key] = np.roll(s[key], 1, axis=1)
                s[key][:, 0] = new
            s["valid"] = np.roll(s["valid"], 1, axis=1)
            # Keep a pair only with clearly positive curvature, relative to its size (scale-free).
            s["valid"][:, 0] = np.sum(sk * yk, axis=1) > 1e-10 * np.linalg.norm(sk, axis=1) * np.linalg.norm(yk, axis=1)
        s["prev_x"], s["prev_g"] = x.copy(), g.copy()

        d = -self._two_loop(g, s["s"], s["y"], s["valid"])
        descent = np.sum(d * g, axis=1, keepdims=True) < 0
        d = np.where(descent, d, -g)
        alpha = np.broadcast_to(np.asarray(lr, dtype=float), (x.shape[0], 1)).copy()
        if closure is not None and self.params["line_search"] >= 1:
            alpha = self._backtrack(x, g, d, alpha, closure)
        s["direction"], s["step_size"] = d, alpha
        return [alpha * d]

    @staticmethod
    def _two_loop(g: Array, s_hist: Array, y_hist: Array, valid: Array) -> Array:
        """H_k g by the two-loop recursion, newest pair first; invalid pairs contribute nothing."""
        q = g.copy()
        m = s_hist.shape[1]
        sy = np.sum(s_hist * y_hist, axis=2)  # (R, m)
        rho = np.where(valid, 1.0 / np.where(valid, sy, 1.0), 0.0)
        alphas = np.zeros_like(rho)
        for i in range(m):
            alphas[:, i] = rho[:, i] * np.sum(s_hist[:, i] * q, axis=1)
            q -= alphas[:, i : i + 1] * y_hist[:, i]
        # Initial scaling γ = sᵀy / yᵀy from the newest valid pair (1 when none).
        yy = np.sum(y_hist[:, 0] * y_hist[:, 0], axis=1)
        gamma = np.where(valid[:, 0] & (yy > 0), sy[:, 0] / np.where(yy > 0, yy, 1.0), 1.0)
        r = gamma[:, None] * q
        for i in reversed(range(m)):
            beta = rho[:, i] * np.sum(y_hist[:, i] * r, axis=1)
            r += (alphas[:, i] - beta)[:, None] * s_hist[:, i]
        return r

    @staticmethod
    def _backtrack(x: Array, g: Array, d: Array, alpha: Array, closure: Callable[[Array], Array]) -> Array:
        """Armijo backtracking, per run: halve α (at most 40 times) until sufficient decrease."""
        f0 = closure(x)
        slope = np.sum(g * d, axis=1)
        d_norm = np.linalg.norm(d, axis=1)
        pending = np.ones(x.shape[0], dtype=bool)
        for _ in range(40):
            with np.errstate(all="ignore"):
                f_new = closure(x + alpha * d)
            ok = np.isfinite(f_new) & (f_new <= f0 + 1e-4 * alpha[:, 0] * slope)
            # Stop halving where rounding decides: a negligible step, or a predicted decrease
            # α|gᵀd| that f cannot resolve (below a few ulps of |f|).
            ok |= alpha[:, 0] * d_norm < 1e-12
            ok |= alpha[:, 0] * np.abs(slope) <= 8 * np.finfo(float).eps * np.abs(f0)
            pending &= ~ok
            if not pending.any():
                break
            alpha[pending] *= 0.5
        return alpha


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.id: cls
    for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW, NAdam, AMSGrad, AdaDelta, Newton, LBFGS)
}


def make_optimizer(optimizer_id: str, params: Mapping[str, float] | None = None, field: str = "optimizer") -> Optimizer:
    """Build an optimizer by id; unknown ids raise ``InputError`` naming ``field``."""
    cls = OPTIMIZERS.get(optimizer_id)
    if cls is None:
        raise InputError(field, f"unknown optimizer '{optimizer_id}'; choose one of {', '.join(OPTIMIZERS)}")
    return cls(params)


def list_optimizers() -> list[dict[str, object]]:
    """Descriptions of every optimizer (defaults, bounds, equations, state keys)."""
    return [cls().describe() for cls in OPTIMIZERS.values()]

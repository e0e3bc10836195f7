"""Adaptive-rate optimizers: per-coordinate steps scaled by running gradient statistics.

AdaGrad, RMSProp and AdaDelta divide by a root of accumulated squared gradients; Adam and its
variants (AdamW, NAdam, AMSGrad) add a bias-corrected first moment (docs/optimizers.md,
"First-order rules"). Every buffer has the shape of its parameter array; products such as g ⊙ g are
element-wise.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.optim.base import Array, LearningRate, Optimizer
from app.core.optim.elementwise import maximum, sqrt
from app.core.optim.hyperparams import BETA1, BETA2, RHO, WEIGHT_DECAY, HyperParam, epsilon, learning_rate


class AdaGrad(Optimizer):
    """AdaGrad: h ← h + g²; θ ← θ − ηg/(√h + ε). ``eff_lr`` = η/(√h + ε) per coordinate."""

    id = "adagrad"
    name = "AdaGrad"
    equation = (r"h \leftarrow h + g \odot g", r"\theta \leftarrow \theta - \frac{\eta}{\sqrt{h} + \epsilon} g")
    hyperparams = (learning_rate(0.01), epsilon(1e-7), WEIGHT_DECAY)
    state_keys = ("h", "eff_lr")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        s["h"] = s["h"] + g * g
        s["eff_lr"] = lr / (sqrt(s["h"]) + self.params["eps"])
        return -s["eff_lr"] * g


class RMSProp(Optimizer):
    """RMSProp: h ← ρh + (1−ρ)g²; θ ← θ − ηg/(√h + ε)."""

    id = "rmsprop"
    name = "RMSProp"
    equation = (
        r"h \leftarrow \rho h + (1 - \rho) g \odot g",
        r"\theta \leftarrow \theta - \frac{\eta}{\sqrt{h} + \epsilon} g",
    )
    hyperparams = (learning_rate(0.001), RHO, epsilon(1e-7), WEIGHT_DECAY)
    state_keys = ("h", "eff_lr")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        rho = self.params["rho"]
        s["h"] = rho * s["h"] + (1.0 - rho) * g * g
        s["eff_lr"] = lr / (sqrt(s["h"]) + self.params["eps"])
        return -s["eff_lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba): bias-corrected first and second moments.

    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ); θ ← θ − ηm̂/(√v̂ + ε).
    """

    id = "adam"
    name = "Adam"
    equation: ClassVar[tuple[str, ...]] = (
        r"m \leftarrow \beta_1 m + (1 - \beta_1) g",
        r"v \leftarrow \beta_2 v + (1 - \beta_2) g \odot g",
        r"\hat{m} = \frac{m}{1 - \beta_1^t}, \hat{v} = \frac{v}{1 - \beta_2^t}",
        r"\theta \leftarrow \theta - \frac{\eta \hat{m}}{\sqrt{\hat{v}} + \epsilon}",
    )
    hyperparams = (learning_rate(0.001), BETA1, BETA2, epsilon(1e-8), WEIGHT_DECAY)
    state_keys: ClassVar[tuple[str, ...]] = ("m", "v", "m_hat", "v_hat")

    def _moments(self, g: Array, s: dict[str, Array], t: int) -> None:
        """Update m, v and their bias-corrected m̂, v̂ in ``s`` (shared by the Adam family)."""
        b1, b2 = self.params["beta1"], self.params["beta2"]
        s["m"] = b1 * s["m"] + (1.0 - b1) * g
        s["v"] = b2 * s["v"] + (1.0 - b2) * g * g
        s["m_hat"] = s["m"] / (1.0 - b1**t)
        s["v_hat"] = s["v"] / (1.0 - b2**t)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        self._moments(g, s, t)
        return -lr * s["m_hat"] / (sqrt(s["v_hat"]) + self.params["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ − ηλθ outside the moments."""

    id = "adamw"
    name = "AdamW"
    equation = (*Adam.equation, r"\theta \leftarrow \theta - \eta \lambda \theta")
    hyperparams = (
        learning_rate(0.001),
        BETA1,
        BETA2,
        epsilon(1e-8),
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
    hyperparams = (learning_rate(0.002), BETA1, BETA2, epsilon(1e-8), WEIGHT_DECAY)
    state_keys = ("m", "v", "m_hat", "v_hat")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        self._moments(g, s, t)
        b1 = self.params["beta1"]
        # Look ahead: the next step's bias-corrected momentum plus the current gradient's share.
        m_bar = b1 * s["m"] / (1.0 - b1 ** (t + 1)) + (1.0 - b1) * g / (1.0 - b1**t)
        return -lr * m_bar / (sqrt(s["v_hat"]) + self.params["eps"])


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
        s["v_max"] = maximum(s["v_max"], s["v"])
        v_hat_max = s["v_max"] / (1.0 - self.params["beta2"] ** t)
        return -lr * s["m_hat"] / (sqrt(v_hat_max) + self.params["eps"])


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
    hyperparams = (
        learning_rate(1.0),
        HyperParam("rho", 0.95, 0.0, 0.9999, "decay rate ρ", "감쇠율 ρ"),
        epsilon(1e-6),
        WEIGHT_DECAY,
    )
    state_keys = ("acc_grad", "acc_delta")

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        rho, eps = self.params["rho"], self.params["eps"]
        s["acc_grad"] = rho * s["acc_grad"] + (1.0 - rho) * g * g
        step = -sqrt(s["acc_delta"] + eps) / sqrt(s["acc_grad"] + eps) * g
        s["acc_delta"] = rho * s["acc_delta"] + (1.0 - rho) * step * step
        return lr * step

"""Hyperparameters of the update rules: name, default, inclusive bounds, bilingual description.

The defaults and bounds here are the single source of both the validation in
:class:`~app.core.optim.base.UpdateRule` and the sliders the page draws from
``GET /api/optimizers`` (docs/optimizers.md lists them per optimizer).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter: its API name, default and inclusive bounds ``low ≤ value ≤ high``.

    Attributes
    ----------
    name : the key in a request's ``params`` (``lr``, ``beta1``, …).
    default : the value used when a request omits it.
    low, high : inclusive bounds; a value outside them is an ``InputError``.
    en, ko : one-line description for the page.
    log : the slider is logarithmic (learning rates, ε).
    integer : only whole numbers are accepted (L-BFGS ``memory``, ``line_search``).
    """

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


def learning_rate(default: float) -> HyperParam:
    """The learning rate η (every optimizer has one; only the default differs)."""
    return HyperParam("lr", default, 0.0, 100.0, "learning rate η", "학습률 η", log=True)


def epsilon(default: float) -> HyperParam:
    """The ε that keeps a denominator such as √h + ε away from zero."""
    return HyperParam("eps", default, 0.0, 1.0, "ε added for numerical stability", "수치 안정용 ε", log=True)


MOMENTUM = HyperParam("momentum", 0.9, 0.0, 0.9999, "momentum μ", "모멘텀 계수 μ")
RHO = HyperParam(
    "rho", 0.9, 0.0, 0.9999, "decay rate ρ of the squared-gradient average", "제곱 기울기 이동평균의 감쇠율 ρ"
)
BETA1 = HyperParam("beta1", 0.9, 0.0, 0.9999, "first-moment decay β₁", "1차 모멘트 감쇠율 β₁")
BETA2 = HyperParam("beta2", 0.999, 0.0, 0.999999, "second-moment decay β₂", "2차 모멘트 감쇠율 β₂")
WEIGHT_DECAY = HyperParam(
    "weight_decay", 0.0, 0.0, 10.0, "L2 weight decay λ (added to g)", "L2 가중치 감쇠 λ (기울기에 더함)"
)

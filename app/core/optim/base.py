"""What every optimizer shares, and the contract of the first-order ones (docs/optimizers.md).

:class:`UpdateRule` resolves and validates hyperparameters, describes itself for
``GET /api/optimizers`` and states what one update costs (:class:`UpdateWork`, for the 2-D lab's
request budget). Two contracts build on it:

* :class:`Optimizer` — first-order rules, written once for both labs. Parameters are a
  ``list[np.ndarray]``: in the 2-D lab one array of shape ``(R, 2)`` (R runs side by side), in the
  MLP each layer's W, b, γ, β. ``update`` sees only the gradients.
* :class:`~app.core.optim.second_order.SecondOrderOptimizer` — Newton and L-BFGS, which also ask
  the objective for its Hessian or its value, on run-batched vectors of shape ``(R, n)`` only (the
  2-D lab).

Weight decay: every first-order optimizer except AdamW accepts ``weight_decay`` as a *coupled*
L2 term, g ← g + λθ (PyTorch semantics); AdamW's decay is *decoupled*, θ ← θ − ηλθ, and never
enters the moment estimates. ``decay_mask`` (one bool per array) restricts either to weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, cast

import numpy as np
import numpy.typing as npt

from app.core.errors import InputError
from app.core.optim.hyperparams import HyperParam

Array = npt.NDArray[np.float64]
LearningRate = float | Array
"""A scheduled learning rate: a float, or an array broadcastable against the parameters (e.g.
shape ``(R, 1)`` for a learning-rate sweep over R runs)."""
State = list[dict[str, Array]]
"""First-order state: one dict of buffers per parameter array, each buffer of that array's shape."""


@dataclass(frozen=True)
class UpdateWork:
    """The work of one update of one point, relative to a first-order update on a built-in surface.

    Attributes
    ----------
    per_point : multiplier of the cost that grows with the number of points updated together.
    fixed : multiplier of the per-update overhead of NumPy calls on small arrays.
    value_evaluations : evaluations of f per update beyond the one every run makes (line searches).
    hessian_evaluations : evaluations of the Hessian ∇²f per update.

    ``app.core.lab2d.cost`` turns these into work units; docs/optimizers.md explains the budget.
    """

    per_point: float = 1.0
    fixed: float = 1.0
    value_evaluations: int = 0
    hessian_evaluations: int = 0


class UpdateRule:
    """Base of every optimizer: identity, hyperparameters, description and cost.

    Attributes
    ----------
    id, name : the API id (``"adam"``) and the display name (``"Adam"``).
    equation : the update written in TeX, one line per step.
    hyperparams : the accepted hyperparameters, ``lr`` first.
    state_keys : the state buffers shown in the step inspector (velocity, h, m, v, m̂, v̂, …).
    needs_hessian : the rule evaluates ∇²f (Newton).
    mlp : the rule can train an MLP: ``True`` on :class:`Optimizer`, ``False`` on
        :class:`~app.core.optim.second_order.SecondOrderOptimizer` (typed as literals, so
        ``if not opt.mlp: raise …`` narrows a built optimizer to :class:`Optimizer`).

    Parameters
    ----------
    params : hyperparameter values; omitted ones take their defaults. Unknown names, non-finite
        numbers, values outside the bounds and non-integers for integer hyperparameters raise
        ``InputError`` on ``params.<name>``.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    equation: ClassVar[tuple[str, ...]]
    hyperparams: ClassVar[tuple[HyperParam, ...]]
    state_keys: ClassVar[tuple[str, ...]] = ()
    needs_hessian: ClassVar[bool] = False
    mlp: ClassVar[bool]

    def __init__(self, params: Mapping[str, float] | None = None) -> None:
        self.params: dict[str, float] = self.defaults()
        by_name = {hp.name: hp for hp in self.hyperparams}
        for key, value in (params or {}).items():
            if key not in by_name:
                allowed = ", ".join(by_name)
                raise InputError(
                    f"params.{key}",
                    f"'{key}' is not a hyperparameter of {self.id}; allowed: {allowed}",
                    "optimizer.unknown_param",
                    {"name": key[:40], "optimizer": self.id, "allowed": allowed},
                )
            hp = by_name[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise InputError(
                    f"params.{key}", f"{key} must be a finite number", "optimizer.param_not_finite", {"name": key}
                )
            if not hp.low <= value <= hp.high:
                raise InputError(
                    f"params.{key}",
                    f"{key} must be between {hp.low} and {hp.high} (got {value})",
                    "optimizer.param_range",
                    {"name": key, "min": hp.low, "max": hp.high, "value": value},
                )
            if hp.integer and value != int(value):
                raise InputError(
                    f"params.{key}", f"{key} must be an integer", "optimizer.param_not_integer", {"name": key}
                )
            self.params[key] = float(value)

    @classmethod
    def defaults(cls) -> dict[str, float]:
        """Every hyperparameter at its default value."""
        return {hp.name: hp.default for hp in cls.hyperparams}

    @classmethod
    def update_work(cls, params: Mapping[str, float] | None = None) -> UpdateWork:
        """The cost of one update with hyperparameters ``params`` (not validated: the budget is
        checked before the optimizer is built, and a bad value fails later with its own message).
        """
        return UpdateWork()

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


class Optimizer(UpdateRule):
    """A first-order update rule Δθ = rule(g, state), applied array by array.

    Subclasses implement :meth:`_delta` for one array; :meth:`update` adds weight decay around it.
    ``decoupled_decay`` selects AdamW's θ ← θ − ηλθ instead of the coupled g ← g + λθ.
    """

    mlp: ClassVar[Literal[True]] = True
    decoupled_decay: ClassVar[bool] = False

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
    ) -> list[Array]:
        """Compute Δθ for every array and update ``state`` in place (the caller does θ += Δθ).

        Parameters
        ----------
        params, grads : arrays θᵢ and gᵢ = ∂L/∂θᵢ, pairwise of equal shape.
        state : buffers from :meth:`init_state`, mutated.
        t : update count, from 1 (used by bias corrections).
        lr : learning rate η of this update, scalar or broadcastable against each θᵢ.
        decay_mask : which arrays take weight decay (default: all).

        Returns
        -------
        list of arrays, Δθᵢ with the shapes of ``params``.
        """
        return [
            self.array_update(p, g, s, t, lr, decay_mask is None or decay_mask[i])
            for i, (p, g, s) in enumerate(zip(params, grads, state, strict=True))
        ]

    def array_update(
        self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate, decays: bool = True
    ) -> Array:
        """Δθ of one parameter array θ = ``p`` (any shape) with gradient ``g``, mutating its buffers ``s``.

        The rule of :meth:`_delta` with weight decay around it (when ``decays`` and λ > 0); what
        :meth:`update` applies to each array, and what the 2-D engine calls on its (R, 2) array.
        """
        wd = self.params.get("weight_decay", 0.0)
        if wd > 0.0 and decays:
            if not self.decoupled_decay:
                return self._delta(p, g + wd * p, s, t, lr)  # coupled L2: passes through the adaptive scaling
            return self._delta(p, g, s, t, lr) - lr * wd * p  # decoupled: θ ← θ − ηλθ, outside the moments
        return self._delta(p, g, s, t, lr)

    def float_rule(self) -> Callable[[float, float, dict[str, float], int, float], float]:
        """:meth:`array_update` for one coordinate on Python floats, ``(θ, g, buffers, t, η) → Δθ``.

        The rules use only arithmetic and ``app/core/optim/elementwise.py``, so the same method
        takes floats (the 2-D engine's float path, ``app/core/lab2d/scalar_runs.py``). Without
        weight decay it is :meth:`_delta` itself, the call :meth:`array_update` would make.
        """
        rule = self.array_update if self.params.get("weight_decay", 0.0) > 0.0 else self._delta
        return cast("Callable[[float, float, dict[str, float], int, float], float]", rule)

    def _delta(self, p: Array, g: Array, s: dict[str, Array], t: int, lr: LearningRate) -> Array:
        """Δθ of one array θ = ``p`` with gradient ``g`` (any shape), mutating its buffers ``s``."""
        raise NotImplementedError

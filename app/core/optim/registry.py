"""The catalogue of optimizers by id, and the functions that build them.

``OPTIMIZERS`` lists every rule in display order; :func:`make_optimizer` builds any of them (the
2-D lab), :func:`make_first_order` only those that can train an MLP (:func:`usable_for_mlp`).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import InputError
from app.core.optim.adaptive import AdaDelta, AdaGrad, Adam, AdamW, AMSGrad, NAdam, RMSProp
from app.core.optim.base import Optimizer
from app.core.optim.first_order import SGD, Momentum, Nesterov
from app.core.optim.second_order import LBFGS, Newton, SecondOrderOptimizer

AnyOptimizer = Optimizer | SecondOrderOptimizer

OPTIMIZERS: dict[str, type[Optimizer] | type[SecondOrderOptimizer]] = {
    cls.id: cls
    for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW, NAdam, AMSGrad, AdaDelta, Newton, LBFGS)
}


def usable_for_mlp(optimizer_id: str) -> bool:
    """True for the ids of first-order rules (the ones that can train an MLP); False otherwise."""
    cls = OPTIMIZERS.get(optimizer_id)
    return cls is not None and issubclass(cls, Optimizer)


def mlp_optimizer_ids() -> tuple[str, ...]:
    """The ids :func:`usable_for_mlp` accepts, in display order."""
    return tuple(key for key in OPTIMIZERS if usable_for_mlp(key))


def make_optimizer(
    optimizer_id: str, params: Mapping[str, float] | None = None, field: str = "optimizer"
) -> AnyOptimizer:
    """Build an optimizer by id; unknown ids raise ``InputError`` naming ``field``.

    Parameters
    ----------
    optimizer_id : a key of :data:`OPTIMIZERS`.
    params : hyperparameters; errors name ``params.<name>`` (see :class:`~app.core.optim.base.UpdateRule`).
    field : the field named when the id is unknown.
    """
    cls = OPTIMIZERS.get(optimizer_id)
    if cls is None:
        choices = ", ".join(OPTIMIZERS)
        raise InputError(
            field,
            f"unknown optimizer '{optimizer_id}'; choose one of {choices}",
            "optimizer.unknown",
            {"optimizer": str(optimizer_id)[:40], "choices": choices},
        )
    return cls(params)


def make_first_order(
    optimizer_id: str, params: Mapping[str, float] | None = None, field: str = "optimizer"
) -> Optimizer:
    """Like :func:`make_optimizer`, but a second-order id raises ``InputError`` naming ``field``
    (the MLP path: Newton and L-BFGS work on 2-D surfaces only)."""
    optimizer = make_optimizer(optimizer_id, params, field)
    if not isinstance(optimizer, Optimizer):
        raise InputError(
            field,
            f"{optimizer.id} works on 2-D surfaces only; it cannot train an MLP",
            "optimizer.not_for_mlp",
            {"optimizer": optimizer.id},
        )
    return optimizer


def list_optimizers() -> list[dict[str, object]]:
    """Descriptions of every optimizer (defaults, bounds, equations, state keys), ``GET /api/optimizers``."""
    return [cls().describe() for cls in OPTIMIZERS.values()]

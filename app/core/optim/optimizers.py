"""The optimizer catalogue under its historical module path.

The rules live in ``base`` (shared machinery and the first-order contract), ``first_order``,
``adaptive``, ``second_order`` and ``registry``; this module re-exports the public names so
``from app.core.optim.optimizers import make_optimizer`` keeps working.
"""

from __future__ import annotations

from app.core.optim.base import LearningRate, Optimizer, State, UpdateRule, UpdateWork
from app.core.optim.hyperparams import HyperParam
from app.core.optim.registry import (
    OPTIMIZERS,
    AnyOptimizer,
    list_optimizers,
    make_first_order,
    make_optimizer,
    mlp_optimizer_ids,
    usable_for_mlp,
)
from app.core.optim.second_order import Objective, SecondOrderOptimizer

__all__ = [
    "OPTIMIZERS", "AnyOptimizer", "HyperParam", "LearningRate", "Objective", "Optimizer",
    "SecondOrderOptimizer", "State", "UpdateRule", "UpdateWork", "list_optimizers",
    "make_first_order", "make_optimizer", "mlp_optimizer_ids", "usable_for_mlp",
]  # fmt: skip

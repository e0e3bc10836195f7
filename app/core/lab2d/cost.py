"""How much computation an Optimizer-Lab request asks for, estimated before anything runs.

The unit of work is one update of one point by a first-order optimizer on a built-in surface.
Updating R points side by side (one path, R learning rates of a sweep, or R starts of a start
map) costs

    R · per_point + FIXED_POINTS · fixed        units per update,

where ``FIXED_POINTS`` expresses the per-update cost of NumPy calls on small arrays (the reason a
single path of 20,000 steps is not 20,000 times cheaper than one step of 20,000 points) and the
two factors depend on the optimizer and the surface:

* Each optimizer class states its own factors (:meth:`~app.core.optim.base.UpdateRule.update_work`):
  1 and 1 for first-order rules; Newton also evaluates and decomposes the 2 × 2 Hessian; L-BFGS
  runs its two-loop recursion over ``memory`` pairs and a backtracking line search (about
  :data:`~app.core.optim.second_order.LINE_SEARCH_EVALUATIONS` evaluations of f per update once
  it has converged).
* A custom f(x, y) adds ``nodes / NODES_PER_UNIT`` to both factors, where ``nodes`` counts the
  expression-tree nodes evaluated per update: f, ∂f/∂x and ∂f/∂y (and the three Hessian trees for
  Newton, and f once more per line-search evaluation for L-BFGS).

The constants were measured on the project's reference machine (2 cores): one unit is about
0.1–0.2 µs, so the default budget ``Settings.max_work`` keeps a request near 2 s. The estimate is
deliberately simple; it is a bound on request size that tracks the real cost within a small
factor, not a prediction of run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.errors import InputError
from app.core.lab2d.surfaces import ExpressionSurface, Surface
from app.core.optim.base import UpdateWork
from app.core.optim.registry import OPTIMIZERS

FIXED_POINTS = 400.0
"""Per-update overhead, in point-updates of a built-in surface."""

NODES_PER_UNIT = 25.0
"""Expression-tree nodes evaluated per point that cost as much as one built-in point-update."""


@dataclass(frozen=True)
class UpdateCost:
    """Work units of one update: ``points · per_point + FIXED_POINTS · fixed``."""

    per_point: float
    fixed: float

    def work(self, steps: int, points: int) -> float:
        """Units for ``steps`` updates of ``points`` points side by side."""
        return float(steps) * (float(points) * self.per_point + FIXED_POINTS * self.fixed)


def _nodes_per_update(surface: ExpressionSurface, work: UpdateWork) -> int:
    """Expression-tree nodes one update evaluates (per point): f once per evaluation, ∇f, and ∇²f
    as often as the optimizer asks for it."""
    f_nodes = (1 + work.value_evaluations) * surface.expr.node_count()
    grad_nodes = surface.dx.node_count() + surface.dy.node_count()
    nodes = f_nodes + grad_nodes
    if work.hessian_evaluations:
        hessian_nodes = surface.dxx.node_count() + surface.dxy.node_count() + surface.dyy.node_count()
        nodes += work.hessian_evaluations * hessian_nodes
    return nodes


def update_cost(surface: Surface, optimizer: str, params: Mapping[str, float] | None = None) -> UpdateCost:
    """The cost of one update of ``optimizer`` (with hyperparameters ``params``) on ``surface``.

    Parameters
    ----------
    surface : a built-in surface or an :class:`ExpressionSurface`.
    optimizer : optimizer id (unknown ids cost like a first-order method; they fail later).
    params : the run's hyperparameters, not yet validated (each optimizer class reads the ones
        its cost depends on in :meth:`~app.core.optim.base.UpdateRule.update_work`).
    """
    cls = OPTIMIZERS.get(optimizer)
    work = cls.update_work(params) if cls is not None else UpdateWork()
    per_point, fixed = work.per_point, work.fixed
    if isinstance(surface, ExpressionSurface):
        extra = _nodes_per_update(surface, work) / NODES_PER_UNIT
        per_point, fixed = per_point + extra, fixed + extra
    # A surface may declare its own cost per gradient evaluation (a network's loss landscape, docs/landscape.md):
    # one gradient per update, plus f per line-search evaluation, plus 4 gradients per finite-difference Hessian.
    declared = float(getattr(surface, "cost_per_point", 0.0))
    if declared:
        per_point += declared * (1 + work.value_evaluations + 4 * work.hessian_evaluations)
    return UpdateCost(per_point, fixed)


def check_work(
    work: float, limit: float, field: str = "steps", knobs: str = "steps or runs", setting: str = "PLAYGROUND_MAX_WORK"
) -> None:
    """Raise ``InputError`` on ``field`` when ``work`` exceeds ``limit`` (``Settings.max_work``).

    Parameters
    ----------
    work : estimated units of the request (sum of :meth:`UpdateCost.work` over its runs).
    limit : the budget.
    setting : the environment variable that sets the budget (named in the message).
    field : the field named in the error (the one most users will want to reduce).
    knobs : the request sizes that drive the cost, for the message.
    """
    if work > limit:
        raise InputError(
            field,
            f"this request needs about {work / 1e6:,.1f} M work units, above the limit of "
            f"{limit / 1e6:,.1f} M (setting {setting}); "
            f"reduce {knobs} (a custom f(x, y) with many terms, Newton and L-BFGS cost more per step)",
            "budget.exceeded",
            {"work": round(work / 1e6, 1), "limit": round(limit / 1e6, 1), "setting": setting, "knobs": knobs},
        )

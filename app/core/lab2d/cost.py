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
* A custom f(x, y) is charged by what evaluating it costs, from a fixed table of operation
  costs applied to the parsed tree once (deterministic; no timing at request time). The engine
  evaluates f and ∇f together by a compiled program (one NumPy call per unique node, nodes that
  ∂f shares with f once; ``app/core/lab2d/expression/nodes.py``), plus the Hessian program for
  Newton and f once more per line-search evaluation for L-BFGS. Each node evaluated adds
  ``NODE_OVERHEAD`` to ``fixed`` (the Python and NumPy-call overhead of one node on a few points;
  a variable or a constant costs half) and its :data:`OP_COSTS` entry over
  ``OPS_PER_POINT_UPDATE`` to ``per_point`` (the element-wise work: a sine costs about four
  multiplications).

The constants were measured with bench/engine2d.py on the project's reference machine (2 cores,
shared): one unit is about 0.05–0.07 µs of the chunked engine (a first-order single path about
15–25 µs per update, 401 units), so the default budget ``Settings.max_work`` (30 M) keeps a
request near 2 s and admits the 12 optimizers × 2,000 steps of the page's longest race. The
estimate is deliberately simple; it is a bound on request size that tracks the real cost within a
small factor, not a prediction of run time.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from app.core.errors import InputError
from app.core.lab2d.expression import BinOp, Call, Const, Expr, Neg, Var
from app.core.lab2d.expression.nodes import postorder_many
from app.core.lab2d.surfaces import ExpressionSurface, Surface
from app.core.optim.base import UpdateWork
from app.core.optim.registry import OPTIMIZERS

FIXED_POINTS = 400.0
"""Per-update overhead, in point-updates of a built-in surface."""

NODE_OVERHEAD = 1.0 / 15.0
"""``fixed`` per node evaluated: one NumPy call on a few points is about 1/15 of a first-order
update on a built-in surface (which makes ~30 such calls)."""

OPS_PER_POINT_UPDATE = 20.0
"""Element-wise operations (multiplication = 1) of one point-update on a built-in surface."""

OP_COSTS: dict[str, float] = {
    "+": 1.0, "-": 1.0, "*": 1.0, "/": 1.0, "^": 3.0, "neg": 1.0,
    "abs": 1.0, "sign": 1.0, "min": 1.0, "max": 1.0, "sqrt": 1.5,
    "sin": 4.0, "cos": 4.0, "tan": 5.0, "exp": 4.0, "log": 4.0, "log10": 4.0,
    "tanh": 4.0, "sinh": 5.0, "cosh": 5.0, "atan": 5.0, "asin": 5.0, "acos": 5.0, "sigmoid": 7.0,
}  # fmt: skip
"""Element-wise cost of each operation relative to a multiplication (a power and the
transcendental functions are several times dearer; ``sigmoid`` is 0.5(1 + tanh(u/2)))."""


@dataclass(frozen=True)
class NodeWork:
    """What evaluating a set of trees once costs: ``fixed`` and ``per_point`` additions (see above)."""

    fixed: float
    per_point: float


def node_work(trees: list[Expr]) -> NodeWork:
    """The cost of evaluating ``trees`` together (shared nodes once), from :data:`OP_COSTS`."""
    fixed = per_point = 0.0
    for node in postorder_many(trees):
        if isinstance(node, (Var, Const)):
            fixed += 0.5 * NODE_OVERHEAD
            continue
        fixed += NODE_OVERHEAD
        if isinstance(node, BinOp):
            op = node.op
        elif isinstance(node, Call):
            op = node.func
        else:
            op = "neg" if isinstance(node, Neg) else "*"
        per_point += OP_COSTS.get(op, 5.0) / OPS_PER_POINT_UPDATE
    return NodeWork(fixed, per_point)


@dataclass(frozen=True)
class UpdateCost:
    """Work units of one update: ``points · per_point + FIXED_POINTS · fixed``."""

    per_point: float
    fixed: float

    def work(self, steps: int, points: int) -> float:
        """Units for ``steps`` updates of ``points`` points side by side."""
        return float(steps) * (float(points) * self.per_point + FIXED_POINTS * self.fixed)


_PROGRAM_WORK: weakref.WeakKeyDictionary[ExpressionSurface, tuple[NodeWork, NodeWork, NodeWork]] = (
    weakref.WeakKeyDictionary()
)
"""Per parsed surface, the cost of its programs (f with ∇f, f, ∇²f): counted once, not per run."""


def _program_work(surface: ExpressionSurface) -> tuple[NodeWork, NodeWork, NodeWork]:
    if surface not in _PROGRAM_WORK:
        _PROGRAM_WORK[surface] = (
            node_work([surface.expr, surface.dx, surface.dy]),
            node_work([surface.expr]),
            node_work([surface.dxx, surface.dxy, surface.dyy]),
        )
    return _PROGRAM_WORK[surface]


def expression_work(surface: ExpressionSurface, work: UpdateWork) -> NodeWork:
    """What one update adds on a custom f(x, y): the f-and-∇f program, f once more per value
    evaluation (a line search) and the Hessian program per Hessian evaluation (Newton)."""
    grad, f, h = _program_work(surface)
    fixed, per_point = grad.fixed, grad.per_point
    if work.value_evaluations:
        fixed += work.value_evaluations * f.fixed
        per_point += work.value_evaluations * f.per_point
    if work.hessian_evaluations:
        fixed += work.hessian_evaluations * h.fixed
        per_point += work.hessian_evaluations * h.per_point
    return NodeWork(fixed, per_point)


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
        extra = expression_work(surface, work)
        per_point, fixed = per_point + extra.per_point, fixed + extra.fixed
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

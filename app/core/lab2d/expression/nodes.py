"""The immutable expression tree: its nodes, their evaluation, and the traversal they share.

Trees are directed acyclic graphs: derivatives share sub-trees with the function (d(uv) reuses u
and v), so every traversal (evaluation, differentiation, printing) is iterative over unique nodes
(:func:`postorder`), never recursive.

Differentiation (:func:`~app.core.lab2d.expression.derivatives.differentiate`) and printing
(:func:`~app.core.lab2d.expression.printing.to_string`, ``to_tex``) build and inspect nodes, so
they are functions of the modules above this one: dependencies point one way only
(nodes ← algebra ← derivatives, nodes ← printing), and a tree needs nothing installed into it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.lab2d.expression.vocabulary import BINARY_FUNCS, NUMPY_FUNCS, Array


@dataclass(frozen=True, eq=False, repr=False)
class Expr:
    """Base class of the immutable expression tree.

    Equality and hashing are by identity (a tree is a DAG whose structural hash could be
    exponentially expensive); compare trees with :meth:`to_string` when needed.
    """

    constant: bool = field(init=False, default=False)

    @property
    def children(self) -> tuple[Expr, ...]:
        """The direct operands."""
        return ()

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- public API ----------------------------------------------------------------------------

    def evaluate(self, x: Array | float, y: Array | float) -> Array:
        """f at points (x, y).

        Parameters
        ----------
        x, y : array_like
            Any shapes that broadcast together.

        Returns
        -------
        ndarray of float64 with the broadcast shape. Overflow, division by zero and points
        outside a function's domain give ``inf``/``nan`` silently (no warnings).
        """
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
        shape = np.broadcast_shapes(xa.shape, ya.shape)
        order = postorder(self)
        # Remaining uses of each node's value, so intermediate arrays are freed as soon as the
        # last parent has consumed them (keeps a 400×400 grid of a big tree cheap).
        uses: dict[int, int] = {}
        for node in order:
            for child in node.children:
                uses[id(child)] = uses.get(id(child), 0) + 1
        values: dict[int, Any] = {}
        with np.errstate(all="ignore"):
            for node in order:
                values[id(node)] = node._local([values[id(c)] for c in node.children], xa, ya)
                for child in node.children:
                    uses[id(child)] -= 1
                    if uses[id(child)] == 0:
                        del values[id(child)]
        result = np.asarray(values[id(self)], dtype=float)
        return np.array(np.broadcast_to(result, shape), dtype=float)

    def node_count(self) -> int:
        """Number of distinct nodes (shared sub-trees counted once)."""
        return len(postorder(self))

    def __repr__(self) -> str:
        # The readable form is printing.to_string (a module above this one).
        return f"<{type(self).__name__} of {self.node_count()} nodes>"


def _set_constant(node: Expr, value: bool) -> None:
    object.__setattr__(node, "constant", value)


@dataclass(frozen=True, eq=False, repr=False)
class Const(Expr):
    """A number; ``label`` keeps the names ``pi`` and ``e`` for printing."""

    value: float = 0.0
    label: str | None = None

    def __post_init__(self) -> None:
        _set_constant(self, True)

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return np.float64(self.value)


@dataclass(frozen=True, eq=False, repr=False)
class Var(Expr):
    """The variable ``x`` or ``y``."""

    name: str = "x"

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return x if self.name == "x" else y


@dataclass(frozen=True, eq=False, repr=False)
class Neg(Expr):
    """Unary minus."""

    operand: Expr

    def __post_init__(self) -> None:
        _set_constant(self, self.operand.constant)

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return np.negative(args[0])


@dataclass(frozen=True, eq=False, repr=False)
class BinOp(Expr):
    """``left op right`` with op one of ``+ - * / ^``."""

    op: str
    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        _set_constant(self, self.left.constant and self.right.constant)

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return BINARY_FUNCS[self.op](args[0], args[1])


@dataclass(frozen=True, eq=False, repr=False)
class Call(Expr):
    """A whitelisted function applied to its arguments."""

    func: str
    args: tuple[Expr, ...] = ()

    def __post_init__(self) -> None:
        _set_constant(self, all(a.constant for a in self.args))

    @property
    def children(self) -> tuple[Expr, ...]:
        return self.args

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return NUMPY_FUNCS[self.func](*args)


ZERO = Const(0.0)
ONE = Const(1.0)
TWO = Const(2.0)


def postorder(root: Expr) -> list[Expr]:
    """Unique nodes of the DAG, children before parents (iterative, no recursion)."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in reversed(node.children):
            if id(child) not in seen:
                stack.append((child, False))
    return order


def postorder_many(roots: Sequence[Expr]) -> list[Expr]:
    """Unique nodes of several DAGs together, children before parents (shared nodes once)."""
    order: list[Expr] = []
    seen: set[int] = set()
    for root in roots:
        for node in postorder(root):
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
    return order


Evaluator = Callable[[Array, Array], list[Any]]
"""``(x, y) → [value of each root]``; a root's value may be a NumPy scalar (a constant tree)."""


def evaluator(roots: Sequence[Expr]) -> Evaluator:
    """A function that evaluates several trees at once on small arrays, each shared node once.

    The nodes are ordered (children first) and their operands resolved to slots once, here; each
    call then runs one NumPy call per unique node with no traversal, no bookkeeping of uses and no
    ``np.errstate`` (the caller enters it, as the 2-D engine does around its loop). Every node
    computes exactly what :meth:`Expr.evaluate` computes for it, so the values are the same; the
    intermediate arrays live until the call returns, which suits the engine's (R,) arrays, not
    large grids (use :meth:`Expr.evaluate` there).
    """
    order = postorder_many(roots)
    slot = {id(node): i for i, node in enumerate(order)}
    program = [(node._local, [slot[id(c)] for c in node.children]) for node in order]
    outputs = [slot[id(r)] for r in roots]

    def run(x: Array, y: Array) -> list[Any]:
        values: list[Any] = []
        for local, operands in program:
            values.append(local([values[k] for k in operands], x, y))
        return [values[i] for i in outputs]

    return run


def constant_value(node: Expr) -> float:
    """The value of a tree without variables (nan when it has variables)."""
    if not node.constant:
        return math.nan
    return float(node.evaluate(0.0, 0.0))

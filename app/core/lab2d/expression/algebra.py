"""Simplifying constructors: build nodes with light simplification so derivatives stay exact *and*
readable (0 + a → a, 1·a → a, numbers gathered into one leading factor, constants folded).
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

import numpy as np

from app.core.lab2d.expression.nodes import ONE, ZERO, BinOp, Call, Const, Expr, Neg
from app.core.lab2d.expression.vocabulary import NUMPY_FUNCS


def is_zero(node: Expr) -> TypeGuard[Const]:
    """True for the constant 0 (so a derivative rule can skip a zero term)."""
    return isinstance(node, Const) and node.value == 0.0


def _is_one(node: Expr) -> TypeGuard[Const]:
    return isinstance(node, Const) and node.value == 1.0


def _plain_const(node: Expr) -> TypeGuard[Const]:
    """A number without a name (``pi`` and ``e`` are kept symbolic in sums and products)."""
    return isinstance(node, Const) and node.label is None


def _negative_const(node: Expr) -> TypeGuard[Const]:
    return _plain_const(node) and node.value < 0


def _fold(result: Any, fallback: Expr) -> Expr:
    """A constant if ``result`` is finite, else the unfolded node (the parser rejects those)."""
    value = float(result)
    return Const(value) if math.isfinite(value) else fallback


def add(a: Expr, b: Expr) -> Expr:
    """a + b with 0 + a → a and constant folding."""
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) + b.value, BinOp("+", a, b))
    if isinstance(b, Neg):
        return sub(a, b.operand)
    if _negative_const(b):
        return sub(a, Const(-b.value))
    if isinstance(b, BinOp) and b.op == "*" and _negative_const(b.left):
        # a + (−c)·u → a − c·u
        return sub(a, mul(Const(-b.left.value), b.right))
    return BinOp("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    """a − b with a − 0 → a, 0 − a → −a and constant folding."""
    if is_zero(b):
        return a
    if is_zero(a):
        return neg(b)
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) - b.value, BinOp("-", a, b))
    if isinstance(b, Neg):
        return add(a, b.operand)
    if _negative_const(b):
        return add(a, Const(-b.value))
    if isinstance(b, BinOp) and b.op == "*" and _negative_const(b.left):
        # a − (−c)·u → a + c·u
        return add(a, mul(Const(-b.left.value), b.right))
    return BinOp("-", a, b)


def _times(c1: float, c2: float) -> Const | None:
    """c1·c2 as a constant, or None when it overflows."""
    with np.errstate(all="ignore"):
        value = float(np.float64(c1) * c2)
    return Const(value) if math.isfinite(value) else None


def _split_const(node: Expr) -> tuple[float | None, Expr]:
    """(c, rest) when ``node`` is c·rest or c/rest with a plain number c, else (None, node)."""
    if isinstance(node, BinOp) and _plain_const(node.left):
        if node.op == "*":
            return node.left.value, node.right
        if node.op == "/" and not _is_one(node.left):
            return node.left.value, BinOp("/", ONE, node.right)
    return None, node


def mul(a: Expr, b: Expr) -> Expr:
    """a · b with 0·a → 0, 1·a → a, numbers gathered into one leading factor, and folding."""
    if is_zero(a) or is_zero(b):
        return ZERO
    if _is_one(a):
        return b
    if _is_one(b):
        return a
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) * b.value, BinOp("*", a, b))
    if _plain_const(b):
        return mul(b, a)
    # Gather every plain number into one leading factor: c·(d·u) → (cd)·u, (c·u)·(d·v) → (cd)·(u·v).
    ca, ra = (a.value, ONE) if _plain_const(a) else _split_const(a)
    cb, rb = _split_const(b)
    if cb is not None or (ca is not None and not _plain_const(a)):
        factor = _times(1.0 if ca is None else ca, 1.0 if cb is None else cb)
        if factor is not None:
            return mul(factor, mul(ra, rb))
    # u·(1/v) → u/v
    if isinstance(b, BinOp) and b.op == "/" and _is_one(b.left):
        return div(a, b.right)
    if isinstance(a, BinOp) and a.op == "/" and _is_one(a.left):
        return div(b, a.right)
    if isinstance(a, Const) and a.value == -1.0 and a.label is None:
        return neg(b)
    if isinstance(a, Neg):
        return neg(mul(a.operand, b))
    if isinstance(b, Neg):
        return neg(mul(a, b.operand))
    return BinOp("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    """a / b with 0/b → 0, a/1 → a, numbers pulled in front of the fraction, and folding."""
    if is_zero(a):
        return ZERO
    if _is_one(b):
        return a
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) / b.value, BinOp("/", a, b))
    if isinstance(a, Neg):
        return neg(div(a.operand, b))
    if isinstance(a, BinOp) and a.op == "*" and _plain_const(a.left):
        if _plain_const(b):
            # (c·u)/d → (c/d)·u
            with np.errstate(all="ignore"):
                ratio = float(np.float64(a.left.value) / b.value)
            if math.isfinite(ratio):
                return mul(Const(ratio), a.right)
        else:
            # (c·u)/v → c·(u/v)
            return mul(a.left, div(a.right, b))
    return BinOp("/", a, b)


def neg(a: Expr) -> Expr:
    """−a with −(−a) → a and the sign moved into a leading number."""
    if isinstance(a, Neg):
        return a.operand
    if _plain_const(a):
        return Const(-a.value)
    if isinstance(a, BinOp) and a.op in "*/" and _plain_const(a.left):
        return BinOp(a.op, Const(-a.left.value), a.right)
    return Neg(a)


def power(a: Expr, b: Expr) -> Expr:
    """a ^ b with a^0 → 1, a^1 → a, 1^b → 1 and constant folding."""
    if is_zero(b):
        return ONE
    if _is_one(b):
        return a
    if _is_one(a):
        return ONE
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.power(np.float64(a.value), b.value), BinOp("^", a, b))
    return BinOp("^", a, b)


def call(func: str, *args: Expr) -> Expr:
    """func(args), folded when every argument is a constant and the result is finite."""
    node = Call(func, tuple(args))
    values = [np.float64(a.value) for a in args if isinstance(a, Const)]
    if len(values) == len(args):
        with np.errstate(all="ignore"):
            return _fold(NUMPY_FUNCS[func](*values), node)
    return node

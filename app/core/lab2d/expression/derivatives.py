"""Exact symbolic derivatives: one rule per node type, applied over the DAG bottom-up.

Every rule builds its result with the simplifying constructors of ``algebra``, so derivatives stay
short and readable; shared sub-trees are differentiated once (see :func:`differentiate`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.lab2d.expression.algebra import add, call, div, is_zero, mul, neg, power, sub
from app.core.lab2d.expression.nodes import ONE, TWO, ZERO, BinOp, Call, Const, Expr, Neg, Var, postorder
from app.core.lab2d.expression.vocabulary import VARIABLES


def differentiate(root: Expr, var: str) -> Expr:
    """The exact partial derivative ∂root/∂var as a new (lightly simplified) tree.

    Each unique node is differentiated once, children before parents, from the derivatives of its
    children (``dargs``); the result shares sub-trees with ``root``.

    Parameters
    ----------
    root : the tree of f(x, y).
    var : ``"x"`` or ``"y"``.
    """
    if var not in VARIABLES:
        raise ValueError(f"can only differentiate with respect to x or y, not {var!r}")
    derivs: dict[int, Expr] = {}
    for node in postorder(root):
        derivs[id(node)] = _RULES[type(node)](node, var, [derivs[id(c)] for c in node.children])
    return derivs[id(root)]


def _const_rule(node: Const, var: str, dargs: list[Expr]) -> Expr:
    return ZERO


def _var_rule(node: Var, var: str, dargs: list[Expr]) -> Expr:
    return ONE if node.name == var else ZERO


def _neg_rule(node: Neg, var: str, dargs: list[Expr]) -> Expr:
    return neg(dargs[0])


def _binop_rule(node: BinOp, var: str, dargs: list[Expr]) -> Expr:
    u, v = node.left, node.right
    du, dv = dargs
    if node.op == "+":
        return add(du, dv)
    if node.op == "-":
        return sub(du, dv)
    if node.op == "*":
        # product rule: (uv)' = u'v + uv'
        return add(mul(du, v), mul(u, dv))
    if node.op == "/":
        # quotient rule written as u'/v − u v'/v², which stays short when u' or v' is 0
        return sub(div(du, v), div(mul(u, dv), power(v, TWO)))
    # power
    if v.constant:
        # (u^c)' = c u^(c−1) u'
        return mul(mul(v, power(u, sub(v, ONE))), du)
    if u.constant:
        # (c^v)' = c^v ln(c) v'
        return mul(mul(node, call("log", u)), dv)
    # (u^v)' = u^v (v' ln u + v u'/u)
    return mul(node, add(mul(dv, call("log", u)), div(mul(v, du), u)))


def _call_rule(node: Call, var: str, dargs: list[Expr]) -> Expr:
    if node.func in ("min", "max"):
        # min(a,b) = (a + b − |a − b|)/2, so min' = ((a'+b') − sign(a−b)(a'−b'))/2 (max: +).
        a, b = node.args
        da, db = dargs
        if is_zero(da) and is_zero(db):
            return ZERO
        jump = mul(call("sign", sub(a, b)), sub(da, db))
        combined = sub(add(da, db), jump) if node.func == "min" else add(add(da, db), jump)
        return div(combined, TWO)
    (u,) = node.args
    (du,) = dargs
    if is_zero(du):
        return ZERO
    return mul(_outer_derivative(node, u), du)


def _outer_derivative(node: Call, u: Expr) -> Expr:
    """f'(u) for the one-argument function f of ``node`` (the chain rule's outer factor)."""
    name = node.func
    if name == "sin":
        return call("cos", u)
    if name == "cos":
        return neg(call("sin", u))
    if name == "tan":
        return div(ONE, power(call("cos", u), TWO))
    if name == "exp":
        return node
    if name == "log":
        return div(ONE, u)
    if name == "log10":
        return div(ONE, mul(u, call("log", Const(10.0))))
    if name == "sqrt":
        return div(Const(0.5), node)
    if name == "tanh":
        return sub(ONE, power(node, TWO))
    if name == "sinh":
        return call("cosh", u)
    if name == "cosh":
        return call("sinh", u)
    if name == "abs":
        return call("sign", u)
    if name == "sigmoid":
        return mul(node, sub(ONE, node))
    if name == "atan":
        return div(ONE, add(ONE, power(u, TWO)))
    if name == "asin":
        return div(ONE, call("sqrt", sub(ONE, power(u, TWO))))
    if name == "acos":
        return neg(div(ONE, call("sqrt", sub(ONE, power(u, TWO)))))
    if name == "sign":
        return ZERO
    raise AssertionError(f"no derivative rule for {name}")  # pragma: no cover


_RULES: dict[type[Expr], Callable[[Any, str, list[Expr]], Expr]] = {
    Const: _const_rule,
    Var: _var_rule,
    Neg: _neg_rule,
    BinOp: _binop_rule,
    Call: _call_rule,
}

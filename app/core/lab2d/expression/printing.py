"""Printing trees as plain text (which the parser reads back) and as TeX (for the formula display).

Printing is bottom-up over unique nodes, like every traversal of the DAG, and every partial string
is capped, so a huge derivative prints in bounded time and space.
"""

from __future__ import annotations

import math

from app.core.lab2d.expression.nodes import BinOp, Call, Const, Expr, Neg, Var, postorder

# Binding strength used to decide parentheses when printing.
_PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_POW, _PREC_ATOM = 1, 2, 3, 4, 5


def _precedence(node: Expr) -> int:
    if isinstance(node, BinOp):
        return {"+": _PREC_ADD, "-": _PREC_ADD, "*": _PREC_MUL, "/": _PREC_MUL, "^": _PREC_POW}[node.op]
    if isinstance(node, Neg):
        return _PREC_NEG
    if isinstance(node, Const) and node.label is None and (node.value < 0 or math.copysign(1.0, node.value) < 0):
        return _PREC_NEG
    return _PREC_ATOM


def _format_number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


class _PlainPrinter:
    """Text the parser reads back."""

    def const(self, node: Const) -> str:
        return node.label if node.label else _format_number(node.value)

    def var(self, node: Var) -> str:
        return node.name

    @staticmethod
    def _wrap(text: str, wrap: bool) -> str:
        return f"({text})" if wrap else text

    def neg(self, node: Neg, operand: str) -> str:
        return "-" + self._wrap(operand, _precedence(node.operand) <= _PREC_NEG)

    def binop(self, node: BinOp, left: str, right: str) -> str:
        pl, pr = _precedence(node.left), _precedence(node.right)
        if node.op in "+-":
            wrap_right = pr <= _PREC_ADD if node.op == "-" else pr < _PREC_ADD or pr == _PREC_NEG
            return f"{left} {node.op} {self._wrap(right, wrap_right or pr == _PREC_NEG)}"
        if node.op in "*/":
            wrap_left = pl < _PREC_MUL
            wrap_right = pr < _PREC_MUL or (node.op == "/" and pr == _PREC_MUL) or pr == _PREC_NEG
            return f"{self._wrap(left, wrap_left)}{node.op}{self._wrap(right, wrap_right)}"
        return f"{self._wrap(left, pl <= _PREC_POW)}^{self._wrap(right, pr < _PREC_POW)}"

    def call(self, node: Call, args: list[str]) -> str:
        return f"{node.func}({', '.join(args)})"


_TEX_FUNCS = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\ln",
    "log10": r"\log_{10}", "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh",
    "sigmoid": r"\sigma", "atan": r"\arctan", "asin": r"\arcsin", "acos": r"\arccos",
    "sign": r"\operatorname{sign}", "min": r"\min", "max": r"\max",
}  # fmt: skip


class _TexPrinter(_PlainPrinter):
    """TeX subset: \\frac, ^{…}, \\sqrt{…}, \\left|…\\right|, \\cdot, named functions."""

    def const(self, node: Const) -> str:
        if node.label == "pi":
            return r"\pi"
        if node.label:
            return node.label
        text = _format_number(node.value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
        return text

    def binop(self, node: BinOp, left: str, right: str) -> str:
        pl, pr = _precedence(node.left), _precedence(node.right)
        if node.op == "/":
            return rf"\frac{{{left}}}{{{right}}}"
        if node.op == "^":
            return f"{{{self._wrap(left, pl <= _PREC_POW)}}}^{{{right}}}"
        if node.op == "*":
            wrap_right = pr < _PREC_MUL or pr == _PREC_NEG
            juxtapose = (
                isinstance(node.left, Const)
                and not wrap_right
                and not right.lstrip("{").startswith(tuple("0123456789.-"))
            )
            joiner = " " if juxtapose else r" \cdot "
            return f"{self._wrap(left, pl < _PREC_MUL)}{joiner}{self._wrap(right, wrap_right)}"
        return super().binop(node, left, right)

    def call(self, node: Call, args: list[str]) -> str:
        if node.func == "sqrt":
            return rf"\sqrt{{{args[0]}}}"
        if node.func == "abs":
            return rf"\left|{args[0]}\right|"
        return rf"{_TEX_FUNCS[node.func]}\left({', '.join(args)}\right)"


def _render(root: Expr, printer: _PlainPrinter, max_chars: int) -> str:
    """Print bottom-up over unique nodes; every partial string is capped at ``max_chars``."""
    text: dict[int, str] = {}
    cut = False
    for node in postorder(root):
        args = [text[id(c)] for c in node.children]
        if isinstance(node, Const):
            s = printer.const(node)
        elif isinstance(node, Var):
            s = printer.var(node)
        elif isinstance(node, Neg):
            s = printer.neg(node, args[0])
        elif isinstance(node, BinOp):
            s = printer.binop(node, args[0], args[1])
        else:
            assert isinstance(node, Call)
            s = printer.call(node, args)
        if len(s) > max_chars:
            s, cut = s[:max_chars], True
        text[id(node)] = s
    out = text[id(root)]
    return out + "…" if cut else out


def to_string(root: Expr, max_chars: int = 4000) -> str:
    """Plain-text form that the parser reads back (``x^2 + 3*sin(y)``).

    Strings longer than ``max_chars`` are cut and end in ``…``.
    """
    return _render(root, _PlainPrinter(), max_chars)


def to_tex(root: Expr, max_chars: int = 4000) -> str:
    """TeX form (``x^{2} + 3 \\sin\\left(y\\right)``) for the formula display, cut like :func:`to_string`."""
    return _render(root, _TexPrinter(), max_chars)

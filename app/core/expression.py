"""A safe parser for user-typed functions f(x, y), with exact symbolic derivatives.

Nothing the user types is ever executed: the text is split into tokens by a hand-written
tokenizer, and a recursive-descent (precedence-climbing) parser builds an immutable expression
tree from a closed vocabulary. Python's ``eval``/``exec``/``compile``/``ast`` are not used.

Grammar (lowest to highest precedence)::

    expression := term (('+' | '-') term)*
    term       := unary (('*' | '/') unary)*
    unary      := ('+' | '-') unary | power
    power      := primary (('^' | '**') unary)?        # right-associative: 2^3^2 = 2^9
    primary    := number | 'x' | 'y' | 'pi' | 'e' | func '(' args ')' | '(' expression ')'

So ``-x^2`` is ``-(x^2)`` and ``2^-x`` is ``2^(-x)``. Implicit multiplication (``2x``) is an
error with a hint. Functions: ``sin cos tan exp log`` (natural) ``log10 sqrt tanh sinh cosh abs
sigmoid atan asin acos sign`` (one argument) and ``min max`` (two arguments).

Limits (all parameters, so this module stays free of settings): the text length is checked
before anything else, nesting depth while parsing, the node count while parsing, and every
exponent that is a constant must satisfy ``|exponent| <= max_exponent`` (so ``9^9^9^9`` and
``x^1e9`` are rejected). Constant sub-expressions are folded; one that is not finite
(``1/0``, ``log(0)``, ``exp(1000)``) is rejected.

Trees are directed acyclic graphs: derivatives share sub-trees with the function (d(uv) reuses u
and v), so every traversal (evaluation, differentiation, printing) is iterative over unique nodes,
never recursive — the size and depth of a second derivative can never hit Python's recursion
limit or blow up exponentially.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.errors import InputError

Array = np.ndarray

FIELD = "expression"

VARIABLES = ("x", "y")
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
# name → number of arguments
FUNCTIONS: dict[str, int] = {
    "sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "log10": 1, "sqrt": 1,
    "tanh": 1, "sinh": 1, "cosh": 1, "abs": 1, "sigmoid": 1, "atan": 1, "asin": 1,
    "acos": 1, "sign": 1, "min": 2, "max": 2,
}  # fmt: skip


def _sigmoid(u: Array) -> Array:
    # σ(u) = 1/(1+e^{-u}) written with tanh so it never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * u))


_NUMPY_FUNCS: dict[str, Callable[..., Array]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "log10": np.log10, "sqrt": np.sqrt, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
    "abs": np.abs, "sigmoid": _sigmoid, "atan": np.arctan, "asin": np.arcsin,
    "acos": np.arccos, "sign": np.sign, "min": np.minimum, "max": np.maximum,
}  # fmt: skip

_BINARY_FUNCS: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
}  # fmt: skip


@dataclass(frozen=True)
class ExpressionLimits:
    """Size bounds for a custom expression (the API fills them from ``Settings``)."""

    max_length: int = 500
    max_depth: int = 40
    max_nodes: int = 400
    max_exponent: float = 100.0

    @classmethod
    def from_settings(cls, settings: Any) -> ExpressionLimits:
        """Read ``max_expression_length/depth/nodes`` from any settings-like object."""
        return cls(
            max_length=int(settings.max_expression_length),
            max_depth=int(settings.max_expression_depth),
            max_nodes=int(settings.max_expression_nodes),
        )


# ---------------------------------------------------------------------------------------------
# Expression tree
# ---------------------------------------------------------------------------------------------


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
        order = _postorder(self)
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

    def diff(self, var: str) -> Expr:
        """The exact partial derivative ∂f/∂var as a new (lightly simplified) tree.

        Parameters
        ----------
        var : ``"x"`` or ``"y"``.
        """
        if var not in VARIABLES:
            raise ValueError(f"can only differentiate with respect to x or y, not {var!r}")
        derivs: dict[int, Expr] = {}
        for node in _postorder(self):
            derivs[id(node)] = node._derivative(var, [derivs[id(c)] for c in node.children])
        return derivs[id(self)]

    def _derivative(self, var: str, dargs: list[Expr]) -> Expr:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_string(self, max_chars: int = 4000) -> str:
        """Plain-text form that this parser reads back (``x^2 + 3*sin(y)``).

        Strings longer than ``max_chars`` are cut and end in ``…``.
        """
        return _render(self, _PlainPrinter(), max_chars)

    def to_tex(self, max_chars: int = 4000) -> str:
        """TeX form (``x^{2} + 3 \\sin(y)``) for the formula display."""
        return _render(self, _TexPrinter(), max_chars)

    def node_count(self) -> int:
        """Number of distinct nodes (shared sub-trees counted once)."""
        return len(_postorder(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_string(200)!r})"


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

    def _derivative(self, var: str, dargs: list[Expr]) -> Expr:
        return ZERO


@dataclass(frozen=True, eq=False, repr=False)
class Var(Expr):
    """The variable ``x`` or ``y``."""

    name: str = "x"

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return x if self.name == "x" else y

    def _derivative(self, var: str, dargs: list[Expr]) -> Expr:
        return ONE if self.name == var else ZERO


@dataclass(frozen=True, eq=False, repr=False)
class Neg(Expr):
    """Unary minus."""

    operand: Expr = field(default_factory=lambda: ZERO)

    def __post_init__(self) -> None:
        _set_constant(self, self.operand.constant)

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return np.negative(args[0])

    def _derivative(self, var: str, dargs: list[Expr]) -> Expr:
        return neg(dargs[0])


@dataclass(frozen=True, eq=False, repr=False)
class BinOp(Expr):
    """``left op right`` with op one of ``+ - * / ^``."""

    op: str = "+"
    left: Expr = field(default_factory=lambda: ZERO)
    right: Expr = field(default_factory=lambda: ZERO)

    def __post_init__(self) -> None:
        _set_constant(self, self.left.constant and self.right.constant)

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return _BINARY_FUNCS[self.op](args[0], args[1])

    def _derivative(self, var: str, dargs: list[Expr]) -> Expr:
        u, v = self.left, self.right
        du, dv = dargs
        if self.op == "+":
            return add(du, dv)
        if self.op == "-":
            return sub(du, dv)
        if self.op == "*":
            # product rule: (uv)' = u'v + uv'
            return add(mul(du, v), mul(u, dv))
        if self.op == "/":
            # quotient rule written as u'/v − u v'/v², which stays short when u' or v' is 0
            return sub(div(du, v), div(mul(u, dv), power(v, TWO)))
        # power
        if v.constant:
            # (u^c)' = c u^(c−1) u'
            return mul(mul(v, power(u, sub(v, ONE))), du)
        if u.constant:
            # (c^v)' = c^v ln(c) v'
            return mul(mul(self, call("log", u)), dv)
        # (u^v)' = u^v (v' ln u + v u'/u)
        return mul(self, add(mul(dv, call("log", u)), div(mul(v, du), u)))


@dataclass(frozen=True, eq=False, repr=False)
class Call(Expr):
    """A whitelisted function applied to its arguments."""

    func: str = "sin"
    args: tuple[Expr, ...] = ()

    def __post_init__(self) -> None:
        _set_constant(self, all(a.constant for a in self.args))

    @property
    def children(self) -> tuple[Expr, ...]:
        return self.args

    def _local(self, args: list[Any], x: Array, y: Array) -> Any:
        return _NUMPY_FUNCS[self.func](*args)

    def _derivative(self, var: str, dargs: list[Expr]) -> Expr:
        if self.func in ("min", "max"):
            # min(a,b) = (a + b − |a − b|)/2, so min' = ((a'+b') − sign(a−b)(a'−b'))/2 (max: +).
            a, b = self.args
            da, db = dargs
            if _is_zero(da) and _is_zero(db):
                return ZERO
            jump = mul(call("sign", sub(a, b)), sub(da, db))
            combined = sub(add(da, db), jump) if self.func == "min" else add(add(da, db), jump)
            return div(combined, TWO)
        (u,) = self.args
        (du,) = dargs
        if _is_zero(du):
            return ZERO
        return mul(_outer_derivative(self, u), du)


ZERO = Const(0.0)
ONE = Const(1.0)
TWO = Const(2.0)


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


# ---------------------------------------------------------------------------------------------
# Smart constructors: light simplification so derivatives stay exact *and* readable
# ---------------------------------------------------------------------------------------------


def _const_value(node: Expr) -> float | None:
    return node.value if isinstance(node, Const) else None


def _is_zero(node: Expr) -> bool:
    return isinstance(node, Const) and node.value == 0.0


def _is_one(node: Expr) -> bool:
    return isinstance(node, Const) and node.value == 1.0


def _plain_const(node: Expr) -> bool:
    """A number without a name (``pi`` and ``e`` are kept symbolic in sums and products)."""
    return isinstance(node, Const) and node.label is None


def _negative_const(node: Expr) -> bool:
    return _plain_const(node) and node.value < 0  # type: ignore[attr-defined]


def _fold(result: Any, fallback: Expr) -> Expr:
    """A constant if ``result`` is finite, else the unfolded node (the parser rejects those)."""
    value = float(result)
    return Const(value) if math.isfinite(value) else fallback


def constant_value(node: Expr) -> float:
    """The value of a tree without variables (nan when it has variables)."""
    if not node.constant:
        return math.nan
    return float(node.evaluate(0.0, 0.0))


def add(a: Expr, b: Expr) -> Expr:
    """a + b with 0 + a → a and constant folding."""
    if _is_zero(a):
        return b
    if _is_zero(b):
        return a
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) + b.value, BinOp("+", a, b))  # type: ignore[attr-defined]
    if isinstance(b, Neg):
        return sub(a, b.operand)
    if _negative_const(b):
        return sub(a, Const(-b.value))  # type: ignore[attr-defined]
    if isinstance(b, BinOp) and b.op == "*" and _negative_const(b.left):
        # a + (−c)·u → a − c·u
        return sub(a, mul(Const(-b.left.value), b.right))  # type: ignore[attr-defined]
    return BinOp("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    """a − b with a − 0 → a, 0 − a → −a and constant folding."""
    if _is_zero(b):
        return a
    if _is_zero(a):
        return neg(b)
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) - b.value, BinOp("-", a, b))  # type: ignore[attr-defined]
    if isinstance(b, Neg):
        return add(a, b.operand)
    if _negative_const(b):
        return add(a, Const(-b.value))  # type: ignore[attr-defined]
    if isinstance(b, BinOp) and b.op == "*" and _negative_const(b.left):
        # a − (−c)·u → a + c·u
        return add(a, mul(Const(-b.left.value), b.right))  # type: ignore[attr-defined]
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
            return node.left.value, node.right  # type: ignore[attr-defined]
        if node.op == "/" and not _is_one(node.left):
            return node.left.value, BinOp("/", ONE, node.right)  # type: ignore[attr-defined]
    return None, node


def mul(a: Expr, b: Expr) -> Expr:
    """a · b with 0·a → 0, 1·a → a, numbers gathered into one leading factor, and folding."""
    if _is_zero(a) or _is_zero(b):
        return ZERO
    if _is_one(a):
        return b
    if _is_one(b):
        return a
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) * b.value, BinOp("*", a, b))  # type: ignore[attr-defined]
    if _plain_const(b):
        return mul(b, a)
    # Gather every plain number into one leading factor: c·(d·u) → (cd)·u, (c·u)·(d·v) → (cd)·(u·v).
    ca, ra = (a.value, ONE) if _plain_const(a) else _split_const(a)  # type: ignore[attr-defined]
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
    if _is_zero(a):
        return ZERO
    if _is_one(b):
        return a
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.float64(a.value) / b.value, BinOp("/", a, b))  # type: ignore[attr-defined]
    if isinstance(a, Neg):
        return neg(div(a.operand, b))
    if isinstance(a, BinOp) and a.op == "*" and _plain_const(a.left):
        if _plain_const(b):
            # (c·u)/d → (c/d)·u
            with np.errstate(all="ignore"):
                ratio = float(np.float64(a.left.value) / b.value)  # type: ignore[attr-defined]
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
        return Const(-a.value)  # type: ignore[attr-defined]
    if isinstance(a, BinOp) and a.op in "*/" and _plain_const(a.left):
        return BinOp(a.op, Const(-a.left.value), a.right)  # type: ignore[attr-defined]
    return Neg(a)


def power(a: Expr, b: Expr) -> Expr:
    """a ^ b with a^0 → 1, a^1 → a, 1^b → 1 and constant folding."""
    if _is_zero(b):
        return ONE
    if _is_one(b):
        return a
    if _is_one(a):
        return ONE
    if _plain_const(a) and _plain_const(b):
        with np.errstate(all="ignore"):
            return _fold(np.power(np.float64(a.value), b.value), BinOp("^", a, b))  # type: ignore[attr-defined]
    return BinOp("^", a, b)


def call(func: str, *args: Expr) -> Expr:
    """func(args), folded when every argument is a constant and the result is finite."""
    node = Call(func, tuple(args))
    if all(isinstance(a, Const) for a in args):
        with np.errstate(all="ignore"):
            return _fold(_NUMPY_FUNCS[func](*(np.float64(a.value) for a in args)), node)  # type: ignore[attr-defined]
    return node


# ---------------------------------------------------------------------------------------------
# Traversal and printing
# ---------------------------------------------------------------------------------------------


def _postorder(root: Expr) -> list[Expr]:
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
    for node in _postorder(root):
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


# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _LETTERS | _DIGITS
_SPACE = frozenset(" \t\r\n")
_SINGLE = {"+": "+", "-": "-", "/": "/", "^": "^", "(": "(", ")": ")", ",": ","}


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``num``, ``var``, ``const``, ``func``, an operator, ``(``, ``)``,
    ``,`` or ``end``; ``pos`` is the 1-based character position in the input."""

    kind: str
    text: str
    pos: int
    value: float = 0.0


def _fail(message: str) -> InputError:
    return InputError(FIELD, message)


def _show(text: str, limit: int = 20) -> str:
    """User text quoted for an error message, shortened."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _allowed_names() -> str:
    return "x, y, pi, e and the functions " + ", ".join(FUNCTIONS)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; any character outside the grammar is an ``InputError``."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        pos = i + 1
        if c in _SPACE:
            i += 1
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            # exponent part only when digits follow (so "2e" + "xp(x)" is not swallowed)
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k] in _DIGITS:
                    while k < n and text[k] in _DIGITS:
                        k += 1
                    j = k
            literal = text[i:j]
            value = float(literal)
            if not math.isfinite(value):
                raise _fail(f"number {_show(literal)} at position {pos} is too large")
            tokens.append(Token("num", literal, pos, value))
            i = j
            continue
        if c in _LETTERS:
            j = i
            while j < n and text[j] in _NAME_CHARS:
                j += 1
            name = text[i:j]
            if "__" in name:
                raise _fail(f"names containing '__' are not allowed ({_show(name)} at position {pos})")
            if name in VARIABLES:
                tokens.append(Token("var", name, pos))
            elif name in CONSTANTS:
                tokens.append(Token("const", name, pos, CONSTANTS[name]))
            elif name in FUNCTIONS:
                tokens.append(Token("func", name, pos))
            else:
                raise _fail(f"unknown name {_show(name)} at position {pos}; allowed are {_allowed_names()}")
            i = j
            continue
        if c == "*":
            if i + 1 < n and text[i + 1] == "*":
                tokens.append(Token("^", "**", pos))
                i += 2
            else:
                tokens.append(Token("*", "*", pos))
                i += 1
            continue
        if c in _SINGLE:
            tokens.append(Token(_SINGLE[c], c, pos))
            i += 1
            continue
        raise _fail(_bad_character(c, pos))
    tokens.append(Token("end", "", n + 1))
    return tokens


def _bad_character(c: str, pos: int) -> str:
    if c == ".":
        return f"unexpected '.' at position {pos}: attribute access is not allowed (decimals need digits, e.g. 0.5)"
    if c in "[]{}":
        return f"unexpected {c!r} at position {pos}: only round parentheses ( ) are allowed"
    if c in "'\"`":
        return f"unexpected quote {c!r} at position {pos}: strings are not allowed"
    if c == ";":
        return f"unexpected ';' at position {pos}: only one expression is allowed"
    if c == "=":
        return f"unexpected '=' at position {pos}: type only the right-hand side of f(x, y) = …"
    if not c.isascii():
        return (
            f"unexpected character {c!r} (U+{ord(c):04X}) at position {pos}: "
            "only ASCII letters, digits, spaces and + - * / ^ ( ) , are allowed"
        )
    return f"unexpected character {c!r} at position {pos}"


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list, counting depth and nodes as it goes."""

    def __init__(self, tokens: list[Token], limits: ExpressionLimits) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.nodes = 0
        self.limits = limits

    # -- helpers -------------------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    @contextmanager
    def nested(self, tok: Token) -> Iterator[None]:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise _fail(
                f"nesting deeper than {self.limits.max_depth} levels at position {tok.pos} "
                "(each parenthesis, function call, sign and exponent adds a level)"
            )
        try:
            yield
        finally:
            self.depth -= 1

    def count(self, k: int = 1) -> None:
        self.nodes += k
        if self.nodes > self.limits.max_nodes:
            raise _fail(
                f"too long: more than {self.limits.max_nodes} numbers, variables and operations "
                "(the limit); simplify the formula"
            )

    def checked(self, node: Expr, tok: Token) -> Expr:
        """Reject a constant part that does not evaluate to a finite number."""
        if node.constant and not isinstance(node, Const):
            value = constant_value(node)
            if not math.isfinite(value):
                raise _fail(
                    f"the constant part ending at position {tok.pos} is not a finite number "
                    "(division by zero, overflow or outside the function's domain)"
                )
        return node

    def unexpected(self, tok: Token, expected: str) -> InputError:
        if tok.kind in ("num", "var", "const", "func", "("):
            return _fail(
                f"missing operator before {_show(tok.text)} at position {tok.pos} "
                f"(implicit multiplication is not supported: write e.g. 2*x)"
            )
        if tok.kind == "end":
            return _fail(f"unexpected end of expression at position {tok.pos}: expected {expected}")
        if tok.kind == ",":
            return _fail(
                f"unexpected ',' at position {tok.pos}: commas only separate function arguments, as in max(x, y)"
            )
        if tok.kind == ")":
            return _fail(f"unexpected ')' at position {tok.pos}: no matching '('")
        return _fail(f"unexpected {_show(tok.text)} at position {tok.pos}: expected {expected}")

    # -- grammar -------------------------------------------------------------------------------

    def parse(self) -> Expr:
        node = self.expression()
        tok = self.peek()
        if tok.kind != "end":
            raise self.unexpected(tok, "an operator or the end")
        return node

    def expression(self) -> Expr:
        left = self.term()
        while self.peek().kind in ("+", "-"):
            tok = self.next()
            right = self.term()
            self.count()
            left = self.checked(add(left, right) if tok.kind == "+" else sub(left, right), tok)
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.peek().kind in ("*", "/"):
            tok = self.next()
            right = self.unary()
            self.count()
            left = self.checked(mul(left, right) if tok.kind == "*" else div(left, right), tok)
        return left

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind in ("+", "-"):
            self.next()
            with self.nested(tok):
                operand = self.unary()
            if tok.kind == "+":
                return operand
            self.count()
            return neg(operand)
        return self.power()

    def power(self) -> Expr:
        base = self.primary()
        tok = self.peek()
        if tok.kind != "^":
            return base
        self.next()
        with self.nested(tok):
            exponent = self.unary()
        if exponent.constant:
            value = constant_value(exponent)
            bound = self.limits.max_exponent
            if not math.isfinite(value) or abs(value) > bound:
                raise _fail(
                    f"the exponent after {_show(tok.text)} at position {tok.pos} is {value:.6g}; "
                    f"a constant exponent must satisfy |exponent| <= {bound:g}"
                )
        self.count()
        return self.checked(power(base, exponent), tok)

    def primary(self) -> Expr:
        tok = self.next()
        if tok.kind == "num":
            self.count()
            return Const(tok.value)
        if tok.kind == "var":
            self.count()
            return Var(tok.text)
        if tok.kind == "const":
            self.count()
            return Const(tok.value, label=tok.text)
        if tok.kind == "func":
            return self.function(tok)
        if tok.kind == "(":
            with self.nested(tok):
                inner = self.expression()
            close = self.next()
            if close.kind != ")":
                if close.kind == "end":
                    raise _fail(f"missing ')' to close the '(' at position {tok.pos}")
                raise self.unexpected(close, f"')' to close the '(' at position {tok.pos}")
            return inner
        raise self.unexpected(tok, "a number, x, y, pi, e, a function or '('")

    def function(self, tok: Token) -> Expr:
        arity = FUNCTIONS[tok.text]
        opening = self.next()
        if opening.kind != "(":
            raise _fail(f"function {tok.text!r} at position {tok.pos} must be followed by '(', as in {tok.text}(x)")
        args: list[Expr] = []
        with self.nested(tok):
            if self.peek().kind == ")":
                raise _fail(f"function {tok.text!r} at position {tok.pos} needs {arity} argument(s)")
            args.append(self.expression())
            while self.peek().kind == ",":
                self.next()
                args.append(self.expression())
        close = self.next()
        if close.kind != ")":
            if close.kind == "end":
                raise _fail(f"missing ')' to close {tok.text}( at position {opening.pos}")
            raise self.unexpected(close, f"',' or ')' in {tok.text}(…)")
        if len(args) != arity:
            raise _fail(
                f"function {tok.text!r} at position {tok.pos} takes {arity} argument(s), got {len(args)}"
            )
        self.count()
        return self.checked(call(tok.text, *args), tok)


def parse(
    text: str,
    max_length: int = 500,
    max_depth: int = 40,
    max_nodes: int = 400,
    max_exponent: float = 100.0,
) -> Expr:
    """Parse a user's f(x, y) into an expression tree.

    Parameters
    ----------
    text : the formula, e.g. ``"x^2 + 3*sin(y)"``.
    max_length : longest accepted text, checked before any other work.
    max_depth : deepest nesting of parentheses, calls, signs and exponents.
    max_nodes : most numbers, variables and operations.
    max_exponent : bound on |exponent| when the exponent is a constant.

    Raises
    ------
    InputError
        On field ``expression``, with a message giving the position (1-based) and the limit.
    """
    if not isinstance(text, str):
        raise _fail("must be a string")
    if len(text) > max_length:
        raise _fail(f"is {len(text)} characters long; the limit is {max_length}")
    if not text.strip():
        raise _fail("is empty: type a formula in x and y, e.g. x^2 + y^2")
    limits = ExpressionLimits(max_length, max_depth, max_nodes, max_exponent)
    tokens = tokenize(text)
    try:
        return _Parser(tokens, limits).parse()
    except RecursionError:
        # Only reachable when max_depth is configured far above its default.
        raise _fail(f"nested too deeply (the limit is {max_depth} levels)") from None


def parse_with(text: str, limits: ExpressionLimits) -> Expr:
    """:func:`parse` with an :class:`ExpressionLimits` bundle."""
    return parse(text, limits.max_length, limits.max_depth, limits.max_nodes, limits.max_exponent)


def __getattr__(name: str) -> Any:
    # ``ExpressionSurface`` lives in ``surfaces`` (it is a Surface); re-exported here lazily to
    # avoid a circular import.
    if name == "ExpressionSurface":
        from app.core.surfaces import ExpressionSurface

        return ExpressionSurface
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

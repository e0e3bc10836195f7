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

Modules, lowest first: ``vocabulary`` (the names and their NumPy functions), ``limits``,
``nodes`` (the tree and its evaluation), ``algebra`` (simplifying constructors),
``derivatives``, ``printing`` (plain text and TeX), ``tokens`` (the tokenizer) and ``parser``.
The surface built from a parsed formula, ``ExpressionSurface``, lives in
``app.core.lab2d.surfaces`` (this package knows nothing of surfaces).
"""

from __future__ import annotations

from app.core.lab2d.expression.algebra import add, call, div, mul, neg, power, sub
from app.core.lab2d.expression.derivatives import differentiate
from app.core.lab2d.expression.limits import ExpressionLimits
from app.core.lab2d.expression.nodes import ONE, TWO, ZERO, BinOp, Call, Const, Expr, Neg, Var, constant_value
from app.core.lab2d.expression.parser import parse, parse_with
from app.core.lab2d.expression.printing import to_string, to_tex
from app.core.lab2d.expression.tokens import FIELD, Token, tokenize
from app.core.lab2d.expression.vocabulary import CONSTANTS, FUNCTIONS, VARIABLES, Array

__all__ = [
    "CONSTANTS", "FIELD", "FUNCTIONS", "ONE", "TWO", "VARIABLES", "ZERO", "Array", "BinOp", "Call",
    "Const", "Expr", "ExpressionLimits", "Neg", "Token", "Var", "add", "call", "constant_value",
    "differentiate", "div", "mul", "neg", "parse", "parse_with", "power", "sub", "to_string",
    "to_tex", "tokenize",
]  # fmt: skip

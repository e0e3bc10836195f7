"""The recursive-descent (precedence-climbing) parser, and the public :func:`parse`.

It reads the token list from ``tokens`` and builds the tree with the simplifying constructors of
``algebra``, counting nesting depth and nodes as it goes; see the package docstring for the
grammar and the limits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from app.core.errors import InputError
from app.core.lab2d.expression.algebra import add, call, div, mul, neg, power, sub
from app.core.lab2d.expression.limits import ExpressionLimits
from app.core.lab2d.expression.nodes import Const, Expr, Var, constant_value
from app.core.lab2d.expression.tokens import Token, fail, show, tokenize
from app.core.lab2d.expression.vocabulary import FUNCTIONS


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
            raise fail(
                f"nesting deeper than {self.limits.max_depth} levels at position {tok.pos} "
                "(each parenthesis, function call, sign and exponent adds a level)",
                "too_deep",
                limit=self.limits.max_depth,
                position=tok.pos,
            )
        try:
            yield
        finally:
            self.depth -= 1

    def count(self, k: int = 1) -> None:
        self.nodes += k
        if self.nodes > self.limits.max_nodes:
            raise fail(
                f"too long: more than {self.limits.max_nodes} numbers, variables and operations "
                "(the limit); simplify the formula",
                "too_many_nodes",
                limit=self.limits.max_nodes,
            )

    def checked(self, node: Expr, tok: Token) -> Expr:
        """Reject a constant part that does not evaluate to a finite number."""
        if node.constant and not isinstance(node, Const):
            value = constant_value(node)
            if not math.isfinite(value):
                raise fail(
                    f"the constant part ending at position {tok.pos} is not a finite number "
                    "(division by zero, overflow or outside the function's domain)",
                    "constant_not_finite",
                    position=tok.pos,
                )
        return node

    def unexpected(self, tok: Token, expected: str) -> InputError:
        if tok.kind in ("num", "var", "const", "func", "("):
            return fail(
                f"missing operator before {show(tok.text)} at position {tok.pos} "
                f"(implicit multiplication is not supported: write e.g. 2*x)",
                "missing_operator",
                token=tok.text[:20],
                position=tok.pos,
            )
        if tok.kind == "end":
            return fail(
                f"unexpected end of expression at position {tok.pos}: expected {expected}",
                "unexpected_end",
                position=tok.pos,
            )
        if tok.kind == ",":
            return fail(
                f"unexpected ',' at position {tok.pos}: commas only separate function arguments, as in max(x, y)",
                "unexpected_comma",
                position=tok.pos,
            )
        if tok.kind == ")":
            return fail(f"unexpected ')' at position {tok.pos}: no matching '('", "unmatched_close", position=tok.pos)
        return fail(
            f"unexpected {show(tok.text)} at position {tok.pos}: expected {expected}",
            "unexpected_token",
            token=tok.text[:20],
            position=tok.pos,
        )

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
                raise fail(
                    f"the exponent after {show(tok.text)} at position {tok.pos} is {value:.6g}; "
                    f"a constant exponent must satisfy |exponent| <= {bound:g}",
                    "exponent_too_large",
                    value=float(f"{value:.6g}") if math.isfinite(value) else str(value),
                    limit=bound,
                    position=tok.pos,
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
                    raise fail(f"missing ')' to close the '(' at position {tok.pos}", "missing_close", position=tok.pos)
                raise self.unexpected(close, f"')' to close the '(' at position {tok.pos}")
            return inner
        raise self.unexpected(tok, "a number, x, y, pi, e, a function or '('")

    def function(self, tok: Token) -> Expr:
        arity = FUNCTIONS[tok.text]
        opening = self.next()
        if opening.kind != "(":
            raise fail(
                f"function {tok.text!r} at position {tok.pos} must be followed by '(', as in {tok.text}(x)",
                "function_needs_parenthesis",
                function=tok.text,
                position=tok.pos,
            )
        args: list[Expr] = []
        with self.nested(tok):
            if self.peek().kind == ")":
                raise _arity_error(tok, arity, 0, f"needs {arity} argument(s)")
            args.append(self.expression())
            while self.peek().kind == ",":
                self.next()
                args.append(self.expression())
        close = self.next()
        if close.kind != ")":
            if close.kind == "end":
                raise fail(
                    f"missing ')' to close {tok.text}( at position {opening.pos}",
                    "missing_close",
                    position=opening.pos,
                )
            raise self.unexpected(close, f"',' or ')' in {tok.text}(…)")
        if len(args) != arity:
            raise _arity_error(tok, arity, len(args), f"takes {arity} argument(s), got {len(args)}")
        self.count()
        return self.checked(call(tok.text, *args), tok)


def _arity_error(tok: Token, arity: int, count: int, what: str) -> InputError:
    """A call of function ``tok`` with ``count`` arguments instead of ``arity``."""
    message = f"function {tok.text!r} at position {tok.pos} {what}"
    return fail(message, "function_arguments", function=tok.text, position=tok.pos, arity=arity, count=count)


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
        raise fail("must be a string", "not_text")
    if len(text) > max_length:
        raise fail(
            f"is {len(text)} characters long; the limit is {max_length}", "too_long", limit=max_length, length=len(text)
        )
    if not text.strip():
        raise fail("is empty: type a formula in x and y, e.g. x^2 + y^2", "empty")
    limits = ExpressionLimits(max_length, max_depth, max_nodes, max_exponent)
    tokens = tokenize(text)
    try:
        return _Parser(tokens, limits).parse()
    except RecursionError:
        # Only reachable when max_depth is configured far above its default.
        raise fail(f"nested too deeply (the limit is {max_depth} levels)", "too_deep", limit=max_depth) from None


def parse_with(text: str, limits: ExpressionLimits) -> Expr:
    """:func:`parse` with an :class:`ExpressionLimits` bundle."""
    return parse(text, limits.max_length, limits.max_depth, limits.max_nodes, limits.max_exponent)

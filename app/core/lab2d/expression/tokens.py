"""The tokenizer: a hand-written scanner that splits the text of f(x, y) into tokens.

Any character or name outside the closed vocabulary is rejected here, with its 1-based position
and a hint (``InputError`` on field ``expression``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.errors import InputError, Param
from app.core.lab2d.expression.vocabulary import CONSTANTS, FUNCTIONS, VARIABLES

FIELD = "expression"

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


def fail(message: str, code: str, **params: Param) -> InputError:
    """An ``InputError`` on the ``expression`` field with code ``expression.<code>`` (docs/errors.md)."""
    return InputError(FIELD, message, f"expression.{code}", params)


def show(text: str, limit: int = 20) -> str:
    """User text quoted for an error message, shortened."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _allowed_names() -> str:
    return "x, y, pi, e and the functions " + ", ".join(FUNCTIONS)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token; any character outside the
    grammar is an ``InputError`` naming its 1-based position."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        pos = i + 1
        if c in _SPACE:
            i += 1
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = _number_end(text, i)
            literal = text[i:j]
            value = float(literal)
            if not math.isfinite(value):
                raise fail(
                    f"number {show(literal)} at position {pos} is too large",
                    "number_too_large",
                    number=literal[:20],
                    position=pos,
                )
            tokens.append(Token("num", literal, pos, value))
            i = j
        elif c in _LETTERS:
            j = i
            while j < n and text[j] in _NAME_CHARS:
                j += 1
            tokens.append(_name_token(text[i:j], pos))
            i = j
        elif c == "*":
            power = i + 1 < n and text[i + 1] == "*"
            tokens.append(Token("^", "**", pos) if power else Token("*", "*", pos))
            i += 2 if power else 1
        elif c in _SINGLE:
            tokens.append(Token(_SINGLE[c], c, pos))
            i += 1
        else:
            message, code = _bad_character(c, pos)
            raise fail(message, code, character=c, position=pos)
    tokens.append(Token("end", "", n + 1))
    return tokens


def _number_end(text: str, i: int) -> int:
    """Index just past the number literal starting at ``text[i]`` (digits, a fraction, an exponent)."""
    n = len(text)
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
    return j


def _name_token(name: str, pos: int) -> Token:
    """The token of a name: a variable, a named constant or a function; anything else is an error."""
    if "__" in name:
        raise fail(
            f"names containing '__' are not allowed ({show(name)} at position {pos})",
            "dunder_name",
            name=name[:20],
            position=pos,
        )
    if name in VARIABLES:
        return Token("var", name, pos)
    if name in CONSTANTS:
        return Token("const", name, pos, CONSTANTS[name])
    if name in FUNCTIONS:
        return Token("func", name, pos)
    raise fail(
        f"unknown name {show(name)} at position {pos}; allowed are {_allowed_names()}",
        "unknown_name",
        name=name[:20],
        position=pos,
    )


def _bad_character(c: str, pos: int) -> tuple[str, str]:
    """The message and code (without ``expression.``) for a character outside the grammar."""
    if c == ".":
        return (
            f"unexpected '.' at position {pos}: attribute access is not allowed (decimals need digits, e.g. 0.5)",
            "attribute_access",
        )
    if c in "[]{}":
        return f"unexpected {c!r} at position {pos}: only round parentheses ( ) are allowed", "bracket"
    if c in "'\"`":
        return f"unexpected quote {c!r} at position {pos}: strings are not allowed", "quote"
    if c == ";":
        return f"unexpected ';' at position {pos}: only one expression is allowed", "semicolon"
    if c == "=":
        return f"unexpected '=' at position {pos}: type only the right-hand side of f(x, y) = …", "equals"
    if not c.isascii():
        return (
            f"unexpected character {c!r} (U+{ord(c):04X}) at position {pos}: "
            "only ASCII letters, digits, spaces and + - * / ^ ( ) , are allowed",
            "non_ascii",
        )
    return f"unexpected character {c!r} at position {pos}", "bad_character"

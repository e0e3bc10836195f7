"""The safe f(x, y) parser: grammar, values, exact derivatives, limits and hostile input."""

from __future__ import annotations

import builtins
import math
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import app.core.lab2d.expression as expression_module
from app.core.errors import InputError
from app.core.lab2d.expression import ExpressionLimits, differentiate, parse, to_string, to_tex
from app.core.lab2d.surfaces import ExpressionSurface, Himmelblau, get_surface

Array = npt.NDArray[np.float64]
RNG_SEED = 20240601
BIG = {"max_length": 1_000_000, "max_depth": 10_000, "max_nodes": 1_000_000}


# --------------------------------------------------------------------------------------------
# Grammar and values (truth: hand-computed numbers and NumPy formulas written independently)
# --------------------------------------------------------------------------------------------

CONSTANT_CASES = [
    ("2+3*4", 14.0),
    ("(2+3)*4", 20.0),
    ("2^3^2", 512.0),  # right-associative
    ("2**3**2", 512.0),
    ("(2^3)^2", 64.0),
    ("-2^2", -4.0),  # unary minus binds looser than ^
    ("(-2)^2", 4.0),
    ("2^-1", 0.5),
    ("8/4/2", 1.0),  # left-associative
    ("10-4-3", 3.0),
    ("1e-3", 0.001),
    ("2.5E2", 250.0),
    (".5", 0.5),
    ("5.", 5.0),
    ("--3", 3.0),
    ("+-+3", -3.0),
    ("pi", math.pi),
    ("e", math.e),
    ("2*pi", 2 * math.pi),
    ("e^2", math.e**2),
    ("min(3, -1)", -1.0),
    ("max(3, -1)", 3.0),
    ("sigmoid(0)", 0.5),
    ("log10(1000)", 3.0),
    ("abs(-7)", 7.0),
    ("  1 +\t2\n", 3.0),
]


@pytest.mark.parametrize(("text", "expected"), CONSTANT_CASES)
def test_constant_expressions_have_hand_computed_values(text: str, expected: float) -> None:
    assert float(parse(text).evaluate(0.0, 0.0)) == pytest.approx(expected, rel=1e-14, abs=1e-15)


def _sigmoid(u: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-u))


NUMPY_TRUTH = [
    ("x^2 + 3*sin(y)", lambda x, y: x**2 + 3 * np.sin(y)),
    ("x - y - 1", lambda x, y: x - y - 1),
    ("x/y/2", lambda x, y: x / y / 2),
    ("-x^2*y", lambda x, y: -(x**2) * y),
    ("exp(-(x^2+y^2)/2)*cos(x)", lambda x, y: np.exp(-(x**2 + y**2) / 2) * np.cos(x)),
    ("tan(x/4) + atan(y) + asin(x/9) + acos(y/9)",
     lambda x, y: np.tan(x / 4) + np.arctan(y) + np.arcsin(x / 9) + np.arccos(y / 9)),
    ("sinh(x/3)*cosh(y/3) - tanh(x*y)", lambda x, y: np.sinh(x / 3) * np.cosh(y / 3) - np.tanh(x * y)),
    ("sqrt(x^2+y^2+1) + log(1+x^2) + log10(2+y^2)",
     lambda x, y: np.sqrt(x**2 + y**2 + 1) + np.log(1 + x**2) + np.log10(2 + y**2)),
    ("abs(x) + sign(y) + min(x, y) - max(x^2, y)",
     lambda x, y: np.abs(x) + np.sign(y) + np.minimum(x, y) - np.maximum(x**2, y)),
    ("sigmoid(x - y)", lambda x, y: _sigmoid(x - y)),
    ("2^x + x**2", lambda x, y: 2.0**x + x**2),
]  # fmt: skip


@pytest.mark.parametrize(("text", "truth"), NUMPY_TRUTH, ids=[c[0] for c in NUMPY_TRUTH])
def test_evaluate_matches_numpy(text: str, truth: Callable[[Array, Array], Array]) -> None:
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.uniform(-3, 3, (2, 200))
    np.testing.assert_allclose(parse(text).evaluate(x, y), truth(x, y), rtol=1e-13, atol=1e-13)


def test_evaluate_broadcasts_and_returns_float_arrays() -> None:
    e = parse("x + 10*y")
    out = e.evaluate(np.arange(3.0)[:, None], np.arange(4.0))
    assert out.shape == (3, 4) and out.dtype == np.float64
    assert out[2, 3] == 32.0
    # A constant still fills the broadcast shape.
    assert parse("7").evaluate(np.zeros((2, 5)), 0.0).shape == (2, 5)
    assert parse("7").evaluate(0.0, 0.0).shape == ()


def test_overflow_and_domain_errors_give_inf_nan_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse("exp(x)").evaluate(1000.0, 0.0) == np.inf
        assert np.isnan(parse("log(x)").evaluate(-1.0, 0.0))
        assert parse("1/x").evaluate(0.0, 0.0) == np.inf
        assert parse("(x^50)^50").evaluate(10.0, 0.0) == np.inf
        assert np.isnan(parse("sqrt(x)").evaluate(-4.0, 0.0))


def test_tree_is_immutable() -> None:
    e = parse("x + 1")
    with pytest.raises(AttributeError):
        e.op = "-"  # type: ignore[attr-defined]  # a BinOp in fact; frozen, so assignment fails


# --------------------------------------------------------------------------------------------
# Exact derivatives (truth: central finite differences and hand-derived formulas)
# --------------------------------------------------------------------------------------------

# (text, sampler of points where f is smooth)
DERIVATIVE_CASES = [
    ("sin(x)*exp(-y^2)", (-3, 3, -2, 2)),
    ("log(1+x^2+y^2)", (-3, 3, -3, 3)),
    ("sqrt(x^2+y^2+1)", (-3, 3, -3, 3)),
    ("x^3-3*x*y^2", (-2, 2, -2, 2)),
    ("tanh(x*y)", (-1.5, 1.5, -1.5, 1.5)),
    ("abs(x)+y^2", (0.2, 3, -2, 2)),  # away from the kink at x = 0
    ("abs(x)+y^2", (-3, -0.2, -2, 2)),
    ("2^x", (-3, 3, -3, 3)),
    ("x^y", (0.3, 3, -2, 2)),  # positive base
    ("(x^2+y-11)^2+(x+y^2-7)^2", (-4, 4, -4, 4)),
    ("(1-x)^2 + 100*(y-x^2)^2", (-2, 2, -1, 3)),
    ("x/(1+y^2) - cos(x*y)/3", (-3, 3, -3, 3)),
    ("sigmoid(x)*atan(y) + log10(2+x^2)", (-3, 3, -3, 3)),
    ("tan(x/3) + asin(y/4) + acos(x/5)", (-2, 2, -2, 2)),
    ("sinh(x/2)*cosh(y/2) + e^(x/4) + pi*y", (-3, 3, -3, 3)),
    ("-x^4/12 + y^5/20 - 3/x", (0.5, 3, -2, 2)),
    ("min(x^2, y+3) + max(x, y)", (-2, 2, -2, 2)),
]


def _sample(box: tuple[float, float, float, float], n: int, rng: np.random.Generator) -> np.ndarray:
    x0, x1, y0, y1 = box
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


def _fd_gradient(f: Callable[[Array], Array], p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    out = np.empty(p.shape)
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        out[..., k] = (f(p + step) - f(p - step)) / (2 * h)
    return out


def _fd_hessian(grad: Callable[[Array], Array], p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    out = np.empty((*p.shape, 2))
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        out[..., k, :] = (grad(p + step) - grad(p - step)) / (2 * h)
    return out


@pytest.mark.parametrize(("text", "box"), DERIVATIVE_CASES, ids=[f"{c[0]}@{c[1]}" for c in DERIVATIVE_CASES])
def test_symbolic_gradient_and_hessian_match_finite_differences(
    text: str, box: tuple[float, float, float, float]
) -> None:
    rng = np.random.default_rng(RNG_SEED)
    s = ExpressionSurface(text)
    p = _sample(box, 300, rng)
    if text.startswith("min("):
        # keep away from the ties x² = y + 3 and x = y where min/max have kinks
        ok = (np.abs(p[:, 0] ** 2 - p[:, 1] - 3) > 0.05) & (np.abs(p[:, 0] - p[:, 1]) > 0.05)
        p = p[ok]
    g = s.gradient(p)
    h = s.hessian(p)
    assert np.isfinite(g).all() and np.isfinite(h).all()
    g_fd = _fd_gradient(s.value, p)
    h_fd = _fd_hessian(s.gradient, p)
    np.testing.assert_allclose(g_fd, g, rtol=1e-6, atol=1e-6 * (1 + np.abs(g).max()))
    np.testing.assert_allclose(h_fd, h, rtol=1e-5, atol=1e-6 * (1 + np.abs(h).max()))


def test_mixed_partials_agree_in_either_order() -> None:
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.uniform(0.3, 2, (2, 100))
    for text in ("x^y * sin(x*y)", "exp(x*y^2)/(1+x^2)", "log(x+y)*tanh(x-y)"):
        e = parse(text)
        dxy = differentiate(differentiate(e, "x"), "y").evaluate(x, y)
        dyx = differentiate(differentiate(e, "y"), "x").evaluate(x, y)
        np.testing.assert_allclose(dxy, dyx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("text", "dx", "dy"),
    [
        ("x^2 + 3*sin(y)", "2*x", "3*cos(y)"),
        ("x^3-3*x*y^2", "3*x^2 - 3*y^2", "-6*x*y"),
        ("x^2/20 + y^2", "0.1*x", "2*y"),
        ("x*y", "y", "x"),
        ("5", "0", "0"),
        ("exp(x)", "exp(x)", "0"),
        ("log(x)", "1/x", "0"),
    ],
)
def test_derivatives_are_simplified_for_display(text: str, dx: str, dy: str) -> None:
    e = parse(text)
    assert to_string(differentiate(e, "x")) == dx
    assert to_string(differentiate(e, "y")) == dy


def test_course_quadratic_derivatives_are_exact() -> None:
    # docs/surfaces.md: ∇J = (2x − y, 4y − x), Hessian [[2, −1], [−1, 4]] — exactly, not approximately.
    s = ExpressionSurface("x^2 + 2*y^2 - x*y")
    p = np.array([[-5.0, 4.0], [0.3, -1.7]])
    np.testing.assert_array_equal(s.gradient(p), np.stack([2 * p[:, 0] - p[:, 1], 4 * p[:, 1] - p[:, 0]], axis=-1))
    np.testing.assert_array_equal(s.hessian(p), np.broadcast_to([[2.0, -1.0], [-1.0, 4.0]], (2, 2, 2)))


@pytest.mark.parametrize("text", [c[0] for c in NUMPY_TRUTH] + [c[0] for c in DERIVATIVE_CASES])
def test_printed_forms_parse_back_to_the_same_function(text: str) -> None:
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.uniform(0.4, 2.5, (2, 50))
    e = parse(text)
    ex, ey = differentiate(e, "x"), differentiate(e, "y")
    for tree in (e, ex, ey, differentiate(ex, "y"), differentiate(ey, "y")):
        again = parse(to_string(tree), **BIG)
        np.testing.assert_allclose(again.evaluate(x, y), tree.evaluate(x, y), rtol=1e-11, atol=1e-12)


def test_tex_output_uses_tex_constructs() -> None:
    tex = to_tex(parse("sqrt(x)/2 + abs(y)^2 + pi*sin(x)"))
    assert r"\frac{\sqrt{x}}{2}" in tex
    assert r"\left|y\right|" in tex
    assert r"\pi" in tex and r"\sin" in tex


def test_long_products_stay_cheap_thanks_to_shared_subtrees() -> None:
    # x·x·…·x (100 factors): written out as trees the 2nd derivative has ~10⁶ nodes; as a DAG it
    # stays linear. Truth: d²/dx² x¹⁰⁰ = 9900 x⁹⁸.
    text = "*".join(["x"] * 100)
    t0 = time.perf_counter()
    s = ExpressionSurface(text)
    h = s.hessian(np.array([1.01, 0.0]))
    assert time.perf_counter() - t0 < 2.0
    assert h[0, 0] == pytest.approx(9900 * 1.01**98, rel=1e-10)
    assert s.dxx.node_count() < 5000
    assert len(to_string(s.dxx, max_chars=1000)) <= 1001


def test_builtin_surfaces_typed_as_expressions_agree_with_the_hand_derived_ones() -> None:
    rng = np.random.default_rng(RNG_SEED)
    cases = {
        "himmelblau": "(x^2+y-11)^2+(x+y^2-7)^2",
        "rosenbrock": "(1-x)^2 + 100*(y-x^2)^2",
        "beale": "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        "six_hump_camel": "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
        "course_quadratic": "x^2 + 2*y^2 - x*y",
    }
    for sid, text in cases.items():
        builtin, custom = get_surface(sid), get_surface("custom", expression=text)
        (x0, x1), (y0, y1) = builtin.domain
        p = _sample((x0, x1, y0, y1), 200, rng)
        for method in ("value", "gradient", "hessian"):
            a, b = getattr(builtin, method)(p), getattr(custom, method)(p)
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-9 * (1 + np.abs(a).max()), err_msg=f"{sid}.{method}")


# --------------------------------------------------------------------------------------------
# ExpressionSurface: estimated minima
# --------------------------------------------------------------------------------------------


def test_estimated_minimum_of_a_shifted_bowl() -> None:
    s = ExpressionSurface("(x-1)^2 + 2*(y+2)^2 + 0.5*x*y")
    # Truth: solve ∇f = 0, i.e. [[2, 0.5], [0.5, 4]] p = (2, −8).
    truth = np.linalg.solve([[2.0, 0.5], [0.5, 4.0]], [2.0, -8.0])
    assert len(s.minima) == 1
    np.testing.assert_allclose(s.minima[0], truth, atol=1e-9)


def test_estimated_minima_of_himmelblau_are_its_four_minima() -> None:
    s = ExpressionSurface("(x^2+y-11)^2+(x+y^2-7)^2")
    found = np.array(sorted(s.minima))
    truth = np.array(sorted(Himmelblau().minima))
    np.testing.assert_allclose(found, truth, atol=1e-9)
    assert len(s.global_minima) == 4


def test_estimated_minima_separate_global_from_local() -> None:
    # A tilted double well: f(x, 0) = (x² − 1)² + 0.3x has its lower minimum near x = −1.
    s = ExpressionSurface("(x^2-1)^2 + 0.3*x + y^2")
    assert len(s.minima) == 2 and len(s.global_minima) == 1
    (gx, gy) = s.global_minima[0]
    assert gx < 0 and abs(gy) < 1e-9
    # stationarity: 4x(x² − 1) + 0.3 = 0
    assert 4 * gx * (gx**2 - 1) + 0.3 == pytest.approx(0, abs=1e-9)
    assert s.minima[0] == s.global_minima[0]


def test_surfaces_without_minima_report_none() -> None:
    assert ExpressionSurface("x + y").minima == []
    assert ExpressionSurface("x^2 - y^2").minima == []  # a saddle is not a minimum


def test_expression_surface_exposes_texts_and_a_finite_start() -> None:
    s = ExpressionSurface("x^2 + 3*sin(y)")
    assert s.expression == "x^2 + 3*sin(y)"
    assert s.gradient_text == ["2*x", "3*cos(y)"]
    assert s.formula.startswith("f(x,y) = ")
    assert s.domain == ((-5.0, 5.0), (-5.0, 5.0))
    assert s.start == (-4.0, 4.0)
    # where the preferred start is undefined, another point with a finite value is used
    s = ExpressionSurface("log(x)")
    assert np.isfinite(s.value(s.start))


# --------------------------------------------------------------------------------------------
# Limits and hostile input
# --------------------------------------------------------------------------------------------

HOSTILE = [
    "x.__class__",
    "x.__class__.__bases__",
    "__import__('os')",
    "__import__('os').system('echo pwned')",
    "import os",
    "open('/etc/passwd')",
    "lambda: 0",
    "exec('1')",
    "eval('1')",
    "globals()",
    "os",
    "9^9^9^9",
    "x**1e9",
    "x^1e9",
    "2^(50*3)",
    "x^-101",
    "(" * 1000 + "x" + ")" * 1000,
    "((((",
    "(x+1",
    "x+1)",
    "",
    "   \t\n ",
    "x" * 10_000,
    "ｘ^2",  # full-width x
    "x\u200b+y",  # zero-width space
    "𝑥 + y",  # mathematical italic x
    "x²",
    "1;2",
    "x,y",
    "[x]",
    "{x}",
    "'a'",
    '"x"',
    "x = 1",
    "2x",
    "x y",
    "sin x",
    "sin",
    "sin()",
    "sin(x, y)",
    "max(x)",
    "x(2)",
    "1/0",
    "log(0)",
    "exp(1000)",
    "sqrt(-1)",
    "1e999",
    "x +",
    "* x",
    "x ** ** 2",
    "x***2",
    "1.2.3",
    "X^2",
    "\x00",
    "x\\y",
    "x % 2",
    "x & y",
    "x @ y",
    "#x",
    "$x",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:25]) for t in HOSTILE])
def test_hostile_or_malformed_input_is_rejected_quickly(text: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse(text)
    assert time.perf_counter() - t0 < 0.5
    assert info.value.field == "expression"
    assert info.value.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x.__class__", "position 2"),
        ("x + foo", "unknown name 'foo' at position 5"),
        ("2x", "implicit multiplication"),
        ("x^101", "|exponent| <= 100"),
        ("x" * 501, "the limit is 500"),
        ("(" * 41 + "x" + ")" * 41, "deeper than 40"),
        ("(x+1", "missing ')'"),
        ("x+1)", "unexpected ')' at position 4"),
        ("1;2", "';'"),
        ("x,y", "commas only separate function arguments"),
        ("[x]", "round parentheses"),
        ("'a'", "strings are not allowed"),
        ("ｘ", "U+FF58"),
        ("sin(x, y)", "takes 1 argument"),
        ("1/0", "not a finite number"),
        ("", "empty"),
    ],
)
def test_error_messages_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse(text)
    assert fragment in info.value.message


def test_exponent_bound_is_inclusive() -> None:
    assert float(parse("x^100").evaluate(1.01, 0)) == pytest.approx(1.01**100)
    assert float(parse("x^-100").evaluate(2.0, 0)) == pytest.approx(2.0**-100)
    parse("2^x")  # variable exponents are not bounded
    parse("x^y")
    with pytest.raises(InputError):
        parse("x^100.5")


def test_limits_are_parameters() -> None:
    with pytest.raises(InputError, match="limit is 10"):
        parse("x+y+x+y+x+y", max_length=10)
    with pytest.raises(InputError, match="deeper than 3"):
        parse("((((x))))", max_depth=3)
    parse("(((x)))", max_depth=3)
    with pytest.raises(InputError, match="more than 5"):
        parse("x+x+x+x", max_nodes=5)
    parse("x+x+x", max_nodes=5)
    with pytest.raises(InputError, match="<= 3"):
        parse("x^4", max_exponent=3)
    limits = ExpressionLimits(max_length=10)
    with pytest.raises(InputError, match="limit is 10"):
        ExpressionSurface("x^2 + y^2 + 1", limits=limits)


def test_limits_are_read_from_a_settings_object() -> None:
    class FakeSettings:
        max_expression_length = 12
        max_expression_depth = 3
        max_expression_nodes = 7

    limits = ExpressionLimits.from_settings(FakeSettings())
    assert (limits.max_length, limits.max_depth, limits.max_nodes) == (12, 3, 7)


def test_huge_depth_settings_cannot_crash_the_parser() -> None:
    # With the depth limit configured absurdly high, Python's recursion limit is reached first;
    # that must still be a clean InputError, not a RecursionError.
    text = "(" * 5000 + "x" + ")" * 5000
    with pytest.raises(InputError):
        parse(text, max_length=20_000, max_depth=100_000, max_nodes=100_000)


def test_the_length_check_comes_before_any_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def spy(text: str) -> list[object]:
        calls.append(text)
        return []

    monkeypatch.setattr(expression_module.parser, "tokenize", spy)
    with pytest.raises(InputError, match="10000 characters"):
        parse("(" * 10_000)
    assert calls == []


def test_nothing_is_executed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Parsing must never reach Python's own evaluator or import machinery."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser called a forbidden builtin")

    canary = tmp_path / "pwned"
    texts = [
        f"__import__('os').system('touch {canary}')",
        "eval('1+1')",
        "exec('import os')",
        "compile('1', 's', 'eval')",
        "x.__class__.__mro__",
    ]
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", forbidden)
    monkeypatch.setattr(builtins, "__import__", forbidden)
    for text in texts:
        with pytest.raises(InputError):
            parse(text)
    # valid input works without any of them too
    assert float(parse("sin(pi/2) + x").evaluate(1.0, 0.0)) == pytest.approx(2.0)
    assert float(differentiate(parse("x^2"), "x").evaluate(3.0, 0.0)) == 6.0
    monkeypatch.undo()
    assert not canary.exists()


def test_module_source_uses_no_python_evaluator() -> None:
    package = Path(expression_module.__file__).parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py")))
    assert not re.search(r"\b(eval|exec|compile)\s*\(", source)
    assert not re.search(r"^\s*(import ast|from ast )", source, flags=re.MULTILINE)

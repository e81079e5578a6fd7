"""User-typed landscapes (optviz.core.expressions): grammar, safety, exact gradients, kernels."""

import builtins
import math
import os
import subprocess
import sys
import time
import types

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.core import codecache
from optviz.core.expressions import (
    CompiledExpression,
    ExpressionError,
    codegen,
    compile_expression,
    grammar,
    parse_expression,
)
from optviz.core.expressions.symbolic import to_sympy

ROSENBROCK = "(a - x)**2 + b*(y - x**2)**2"
FAST = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory):
    """Generated modules go to a fresh directory (cold Numba cache, nothing left behind)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OPTVIZ_CACHE_DIR", str(tmp_path_factory.mktemp("optviz-cache")))
    yield
    mp.undo()


def refused(text, params=(), **kw):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, params, **kw)
    return info.value


# --------------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    "text",
    [
        ROSENBROCK,
        "x",
        "-x**2",
        "+x - -y",
        "x ^ 2 + y^2",
        "2**-1 * x",
        "1e-3*x + 1.5E+2*y + .5 + 3. + 12",
        "sin(x)*cos(y) + tan(x/4) + exp(-x**2) + log(1 + y**2) + log1p(x**2)",
        "sqrt(x**2 + 1) + abs(x) + tanh(x) + sinh(y) + cosh(x) + arctan(y)",
        "min(x, y) + max(x**2, a*y)",
        "pi*x + e*y",
        "((((x))))",
        "x\n + y\t* 2",
        "a*x**b",
    ],
)
def test_grammar_accepts(text):
    parsed = parse_expression(text, ["a", "b"])
    assert parsed.text == text
    assert parsed.param_names == ("a", "b")


def test_precedence_is_pythons():
    ce = compile_expression("-x**2 + 2**3**2*y + 2^-1 + x/2/4 - y - -y")
    f, _, gy = ce.value_and_grad(3.0, 1.0)
    assert f == -9.0 + 512.0 + 0.5 + 3.0 / 8.0 - 1.0 + 1.0
    assert gy == 512.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x + y*z", "unknown name 'z' at column 7"),
        ("sin(x) + 2*", "expected an operand at column 12"),
        ("x + ) + y", "expected an operand at column 5"),
        ("(x+y))", "unexpected ')' at column 6"),
        ("x + y)", "unexpected ')' at column 6"),
        ("sin(x, y)", "function 'sin' takes 1 argument, got 2 at column 1"),
        ("2 + min(x)", "function 'min' takes 2 arguments, got 1 at column 5"),
        ("sin()", "function 'sin' takes 1 argument, got 0 at column 1"),
        ("__import__('os')", "unknown function '__import__' at column 1"),
        ("().__class__", "empty parentheses at column 1"),
        ("x.real", "attribute access ('.') is not allowed at column 2"),
        ("x + x.__class__", "attribute access ('.') is not allowed at column 6"),
        ("lambda x: x", "'lambda' is not allowed at column 1"),
        ("x if y else 1", "'if' is not allowed at column 3"),
        ("[x for x in y]", "indexing and lists ('[') are not allowed at column 1"),
        ("x[0]", "indexing and lists ('[') are not allowed at column 2"),
        ("'x'", "strings are not allowed at column 1"),
        ('x + "y"', "strings are not allowed at column 5"),
        ("min(x, y=1)", "'=' is not allowed (no assignments, comparisons or keyword arguments)"
         " at column 9"),
        ("x == y", "'=' is not allowed (no assignments, comparisons or keyword arguments)"
         " at column 3"),
        ("x**100", "exponent is too large (at most 64 in absolute value) at column 4"),
        ("x**-65", "exponent is too large (at most 64 in absolute value) at column 4"),
        ("2**2**2**2**2", "exponent is too large (at most 64 in absolute value) at column 4"),
        ("x**(8*9)", "exponent is too large (at most 64 in absolute value) at column 5"),
        ("1/0", "division by zero at column 2"),
        ("x/(2-2)", "division by zero at column 2"),
        ("log(0) + x", "log() is undefined for this constant argument at column 1"),
        ("sqrt(-1)", "sqrt() is undefined for this constant argument at column 1"),
        ("(-8)**(1/3)", "power of these constants is undefined at column 5"),
        ("exp(1000)", "constant subexpression overflows at column 1"),
        ("1e999*x", "number '1e999' is too large at column 1"),
        ("1.2.3", "malformed number '1.2.3' at column 1"),
        ("2x", "missing operator before 'x' at column 2"),
        ("(x)(y)", "missing operator before '(' at column 4"),
        ("(x + y", "unclosed '(' at column 1"),
        ("2*sin(x", "unclosed '(' of sin() at column 6"),
        ("sin + x", "function 'sin' must be called, e.g. sin(x) at column 1"),
        ("a(x)", "'a' is not a function (write 'a*(...)' to multiply) at column 1"),
        ("foo(x)", "unknown function 'foo' at column 1"),
        ("x // 2", "floor division '//' is not supported at column 3"),
        ("x % 2", "'%' is not supported at column 3"),
        ("x²", "unexpected character '²' at column 2"),
        ("x;y", "';' is not allowed at column 2"),
        ("x ** ** 2", "expected an operand at column 6"),
        ("min(x,)", "expected an operand at column 7"),
        ("x\n  + $", "unexpected character '$' at line 2, column 5"),
        ("", "expression is empty"),
        ("  \n ", "expression is empty"),
    ],
)
def test_grammar_refuses_with_location(text, message):
    err = refused(text, ["a"])
    assert err.message == message
    assert str(err) == message
    assert err.field == "expression"
    if "column" in message:
        assert err.column == int(message.rsplit(" ", 1)[1])
    else:
        assert err.column is None


def test_limits():
    err = refused("x+" * 1000 + "x")
    assert err.message.startswith("expression is too long (2001 characters; at most 2000)")
    assert refused("+".join(["x"] * 501)).message.startswith(
        "expression is too large (at most 500 nodes)")
    assert refused("(" * 65 + "x" + ")" * 65).message == (
        "expression is nested too deeply (at most 64 levels) at column 65")
    assert refused("-" * 70 + "x").message.startswith("expression is nested too deeply")
    tower = "x" + "**x" * 70
    assert refused(tower).message.startswith("expression is nested too deeply")
    assert refused("sin(" * 70 + "x" + ")" * 70).message.startswith(
        "expression is nested too deeply")
    # Long flat sums are fine: + and * chains are one level.
    parse_expression("+".join(["x"] * 250))
    parse_expression("*".join(["y"] * 250))


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        (["x"], "invalid parameter name 'x' in params: it clashes with the variable 'x'"),
        (["pi"], "invalid parameter name 'pi' in params: it clashes with the constant 'pi'"),
        (["e"], "invalid parameter name 'e' in params: it clashes with the constant 'e'"),
        (["sin"], "invalid parameter name 'sin' in params: it clashes with the function 'sin'"),
        (["1a"], "invalid parameter name '1a' in params: use letters, digits and '_'"),
        (["_a"], "invalid parameter name '_a' in params: use letters, digits and '_'"),
        (["a.b"], "invalid parameter name 'a.b' in params"),
        (["lambda"], "invalid parameter name 'lambda' in params: it is a reserved word"),
        (["a" * 33], "longer than 32 characters"),
        ([3], "parameter name 3 in params is not a string"),
        ([f"p{k}" for k in range(40)], "too many parameters in params (40; at most 32)"),
    ],
)
def test_parameter_names_are_checked(names, fragment):
    for call in (lambda: parse_expression("x", names),
                 lambda: compile_expression("x", dict.fromkeys(names, 1.0))):
        with pytest.raises(ExpressionError) as info:
            call()
        assert fragment in info.value.message
        assert info.value.field == "params"
        assert info.value.column is None


def test_undeclared_parameter_is_unknown_name():
    assert refused("a*x + c", ["a"]).message == "unknown name 'c' at column 7"


# --------------------------------------------------------------------------- safety

_ALPHABET = st.sampled_from(
    list("xyab()+-*/^,.e0123456789 \t'\"[]{}=_") + ["**", "sin", "min", "pi", "__", "lambda"]
)


class _Forbidden(AssertionError):
    pass


def _forbid(*names):
    def boom(*args, **kwargs):
        raise _Forbidden(f"called during parsing: {args[:1]!r}")

    saved = {n: getattr(builtins, n) for n in names}
    for n in names:
        setattr(builtins, n, boom)
    return saved


@FAST
@given(st.one_of(st.text(max_size=80), st.lists(_ALPHABET, max_size=40).map("".join)))
def test_random_text_is_parsed_or_refused_never_executed(text):
    saved = _forbid("__import__", "eval", "exec", "compile", "open")
    try:
        try:
            parse_expression(text, ["a", "b"])
        except ExpressionError as err:
            assert err.column is None or err.column >= 1
    finally:
        for n, f in saved.items():
            setattr(builtins, n, f)


DANGEROUS = [
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "eval('1')",
    "exec('import os')",
    "open('/etc/passwd')",
    "lambda: 0",
    "[c for c in ()]",
    "{'a': 1}",
    "x[0]",
    "sin(x=1)",
    "x if x else y",
    "9**9**9**9",
    "x**1e10",
    "1" * 3000,
    "f'{x}'",
    "globals()",
    "x; import os",
    "x\nimport os",
    "#\nx",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_refused_without_running_anything(text):
    saved = _forbid("__import__", "eval", "exec", "compile", "open")
    try:
        with pytest.raises(ExpressionError):
            compile_expression(text, {"a": 1.0})
    finally:
        for n, f in saved.items():
            setattr(builtins, n, f)


def test_only_generated_code_runs_and_user_names_never_reach_it(monkeypatch):
    ran = []
    real_exec, real_compile = builtins.exec, builtins.compile

    def spy_exec(code, *args, **kwargs):
        ran.append(getattr(code, "co_filename", code))
        return real_exec(code, *args, **kwargs)

    def spy_compile(source, filename, *args, **kwargs):
        ran.append(str(filename))
        return real_compile(source, filename, *args, **kwargs)

    def no_eval(*args, **kwargs):
        raise _Forbidden("eval called")

    monkeypatch.setattr(builtins, "exec", spy_exec)
    monkeypatch.setattr(builtins, "compile", spy_compile)
    monkeypatch.setattr(builtins, "eval", no_eval)
    ce = compile_expression("alpha*x**2 + sin(beta*y) + 0.125", {"alpha": 2.0, "beta": 3.0})
    monkeypatch.undo()
    cache = str(codecache.generated_dir())
    assert ran and all(str(r).startswith(cache) for r in ran)
    source = ce.source_path.read_text()
    assert "alpha" not in source and "beta" not in source
    assert ce.param_names == ("alpha", "beta")


# --------------------------------------------------------------------------- random valid trees

_LEAF_NUMBERS = [0.5, 1, 2, 3, 0.25, 1.5, 10, 0.1]
_UNARY = ["sin", "cos", "tan", "exp", "log", "log1p", "sqrt", "abs", "tanh", "sinh", "cosh",
          "arctan", "neg"]
_BINARY = ["+", "-", "*", "/", "min", "max", "pow"]


def _leaves():
    names = st.sampled_from(["x", "y", "a", "b", "pi", "e"]).map(lambda n: ("name", n))
    numbers = st.sampled_from(_LEAF_NUMBERS).map(lambda v: ("num", v))
    return st.one_of(names, numbers)


def _extend(children):
    unary = st.tuples(st.sampled_from(_UNARY), children)
    binary = st.tuples(st.sampled_from(_BINARY), children, children)
    power = st.tuples(st.just("ipow"), children, st.sampled_from([2, 3, -1, -2, 0.5, 4]))
    return st.one_of(unary, binary, power)


TREES = st.recursive(_leaves(), _extend, max_leaves=10)


def render(node, caret=False) -> str:
    kind = node[0]
    if kind == "name":
        return node[1]
    if kind == "num":
        return repr(node[1])
    if kind == "neg":
        return f"-({render(node[1], caret)})"
    if kind in _UNARY:
        return f"{kind}({render(node[1], caret)})"
    if kind in ("min", "max"):
        return f"{kind}({render(node[1], caret)}, {render(node[2], caret)})"
    pow_op = "^" if caret else "**"
    if kind == "pow":
        return f"({render(node[1], caret)}){pow_op}({render(node[2], caret)})"
    if kind == "ipow":
        return f"({render(node[1], caret)}){pow_op}{node[2]}"
    return f"({render(node[1], caret)}) {kind} ({render(node[2], caret)})"


class Dual:
    """Forward-mode (value, d/dx, d/dy): an independent reference for the gradient."""

    def __init__(self, v, dx=0.0, dy=0.0):
        self.v, self.dx, self.dy = np.float64(v), np.float64(dx), np.float64(dy)

    def chain(self, v, dv):
        return Dual(v, dv * self.dx, dv * self.dy)


def reference(node, env, track):
    """Dual-number value of a tree; `track` collects magnitudes of all intermediates."""
    kind = node[0]
    if kind == "name":
        out = env[node[1]] if node[1] in env else Dual({"pi": math.pi, "e": math.e}[node[1]])
    elif kind == "num":
        out = Dual(node[1])
    elif kind == "ipow":
        u, n = reference(node[1], env, track), float(node[2])
        out = u.chain(u.v**n, n * u.v ** (n - 1.0))
    elif kind in _UNARY:
        u = reference(node[1], env, track)
        v = u.v
        table = {
            "sin": (np.sin(v), np.cos(v)),
            "cos": (np.cos(v), -np.sin(v)),
            "tan": (np.tan(v), 1.0 + np.tan(v) ** 2),
            "exp": (np.exp(v), np.exp(v)),
            "log": (np.log(v), 1.0 / v),
            "log1p": (np.log1p(v), 1.0 / (1.0 + v)),
            "sqrt": (np.sqrt(v), 0.5 / np.sqrt(v)),
            "abs": (abs(v), np.sign(v)),
            "tanh": (np.tanh(v), 1.0 - np.tanh(v) ** 2),
            "sinh": (np.sinh(v), np.cosh(v)),
            "cosh": (np.cosh(v), np.sinh(v)),
            "arctan": (np.arctan(v), 1.0 / (1.0 + v * v)),
            "neg": (-v, -1.0),
        }
        out = u.chain(*table[kind])
    else:
        u, w = reference(node[1], env, track), reference(node[2], env, track)
        if kind == "+":
            out = Dual(u.v + w.v, u.dx + w.dx, u.dy + w.dy)
        elif kind == "-":
            out = Dual(u.v - w.v, u.dx - w.dx, u.dy - w.dy)
        elif kind == "*":
            out = Dual(u.v * w.v, u.dx * w.v + u.v * w.dx, u.dy * w.v + u.v * w.dy)
        elif kind == "/":
            out = Dual(u.v / w.v, (u.dx * w.v - u.v * w.dx) / w.v**2,
                       (u.dy * w.v - u.v * w.dy) / w.v**2)
        elif kind == "pow":
            v = u.v**w.v
            out = Dual(v, v * (w.dx * np.log(u.v) + w.v * u.dx / u.v),
                       v * (w.dy * np.log(u.v) + w.v * u.dy / u.v))
        else:  # min / max: derivative of the chosen side, the mean at a tie
            s = np.sign(u.v - w.v) * (1.0 if kind == "max" else -1.0)
            out = Dual(min(u.v, w.v) if kind == "min" else max(u.v, w.v),
                       0.5 * ((1 + s) * u.dx + (1 - s) * w.dx),
                       0.5 * ((1 + s) * u.dy + (1 - s) * w.dy))
    track.append(max(abs(out.v), abs(out.dx), abs(out.dy)))
    return out


def _python_scalar(ce: CompiledExpression):
    """The generated scalar function run by CPython (no JIT): cheap for many examples."""
    py = ce.scalar.py_func

    def sign(u):
        return 1.0 if u > 0 else (-1.0 if u < 0 else 0.0 * u)

    return types.FunctionType(py.__code__, {**py.__globals__, "_sign": sign})


def _points(data, k):
    coord = st.floats(-2.0, 2.0, allow_nan=False)
    return [data.draw(st.tuples(coord, coord)) for _ in range(k)]


def _compare(got, ref, scale):
    tol = 1e-7 * scale + 1e-12
    assert abs(got - ref) <= tol, (got, ref, scale)


def _check_against_reference(tree, ce, f_of, points, params):
    env_params = {"a": Dual(params["a"]), "b": Dual(params["b"])}
    checked = 0
    for x, y in points:
        track = []
        with np.errstate(all="ignore"):
            ref = reference(tree, {"x": Dual(x, 1.0, 0.0), "y": Dual(y, 0.0, 1.0), **env_params},
                            track)
        scale = max(track)
        if not all(map(math.isfinite, (ref.v, ref.dx, ref.dy))) or scale > 1e12:
            continue
        try:
            f, gx, gy = f_of(x, y)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # CPython's math raises where the real function is undefined nearby
        if not all(map(math.isfinite, (f, gx, gy))):
            continue  # e.g. 0*log(x) simplified differently; only compare defined values
        _compare(f, ref.v, scale)
        _compare(gx, ref.dx, scale)
        _compare(gy, ref.dy, scale)
        checked += 1
    return checked


@settings(FAST, max_examples=60)
@given(tree=TREES, caret=st.booleans(), data=st.data())
def test_random_valid_trees_symbolic_gradient(tree, caret, data):
    text = render(tree, caret)
    try:
        ce = compile_expression(text, {"a": 1.25, "b": 0.75})
    except ExpressionError as err:
        # Only constant parts that are undefined, or complex results, may be refused.
        assert ("constant" in err.message or "undefined" in err.message or "exponent" in err.message
                or "division by zero" in err.message or "not a real number" in err.message), err
        return
    p = ce.pack_params(None)
    scalar = _python_scalar(ce)
    _check_against_reference(tree, ce, lambda x, y: scalar(x, y, p), _points(data, 6),
                             {"a": 1.25, "b": 0.75})


@settings(FAST, max_examples=6)
@given(tree=TREES, data=st.data())
def test_random_valid_trees_numba_and_finite_differences(tree, data):
    text = render(tree)
    try:
        ce = compile_expression(text, {"a": 1.25, "b": 0.75})
    except ExpressionError:
        return
    params = {"a": 1.25, "b": 0.75}
    points = _points(data, 8)
    _check_against_reference(tree, ce, lambda x, y: ce.value_and_grad(x, y), points, params)
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    f, gx, gy = ce.value_and_grad(xs, ys)
    for i in range(len(xs)):
        _check_finite_differences(ce, xs[i], ys[i], f[i], gx[i], gy[i])


def _check_finite_differences(ce, x, y, f, gx, gy):
    if not all(map(math.isfinite, (f, gx, gy))):
        return
    for g, (ex, ey) in ((gx, (1.0, 0.0)), (gy, (0.0, 1.0))):
        fds = []
        for h in (1e-5, 2e-5):
            fp = ce.value_and_grad(x + h * ex, y + h * ey)[0]
            fm = ce.value_and_grad(x - h * ex, y - h * ey)[0]
            fds.append((fp - fm) / (2 * h))
        scale = 1.0 + abs(g) + abs(f) * 1e-3
        if not all(map(math.isfinite, fds)) or abs(fds[0] - fds[1]) > 1e-5 * scale:
            continue  # not smooth (or badly conditioned) here
        assert abs(fds[0] - g) <= 1e-4 * scale, (ce.text, x, y, g, fds)


# --------------------------------------------------------------------------- specific checks


def _rosenbrock(x, y, a, b):
    r = y - x * x
    return (a - x) ** 2 + b * r * r, -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r


def test_rosenbrock_matches_standard_formula_and_kernels():
    ce = compile_expression(ROSENBROCK, params={"a": 1.0, "b": 100.0})
    assert ce.text == ROSENBROCK
    assert ce.param_names == ("a", "b")
    assert compile_expression(ROSENBROCK, {"b": 3.0, "a": 2.0})._core is ce._core  # memoized
    np.testing.assert_array_equal(ce.pack_params({"a": 1.0, "b": 100.0}), [1.0, 100.0])
    np.testing.assert_array_equal(ce.pack_params({"b": 5.0}), [1.0, 5.0])  # defaults fill in
    assert ce.value_and_grad(1.0, 1.0) == (0.0, 0.0, 0.0)
    assert "df/dx" in ce.formula and len(ce.formula_latex) == 3

    rng = np.random.default_rng(1)
    n = 200
    theta = np.ascontiguousarray(rng.uniform(-2, 2, size=(2, n)))
    for a, b in ((1.0, 100.0), (-0.5, 3.0)):  # parameters change the values
        p = ce.pack_params({"a": a, "b": b})
        want = _rosenbrock(theta[0], theta[1], a, b)
        got = ce.value_and_grad(theta[0], theta[1], p)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9)
        # evaluate_tile: the built-in signature, tiles written from index 0
        loss = np.full(64, np.nan)
        grad = np.full((2, 64), np.nan)
        ce.evaluate_tile(7, p, theta, 100, 50, loss, grad)
        np.testing.assert_array_equal(loss[:50], got[0][100:150])
        np.testing.assert_array_equal(grad[0, :50], got[1][100:150])
        np.testing.assert_array_equal(grad[1, :50], got[2][100:150])
        assert np.isnan(loss[50:]).all()
    xs, ys = np.linspace(-2, 2, 7), np.linspace(-1, 3, 5)
    grid = ce.evaluate_grid(xs, ys, {"a": 1.0, "b": 100.0})
    assert grid.shape == (5, 7) and grid.dtype == np.float64
    np.testing.assert_allclose(grid, _rosenbrock(xs[None, :], ys[:, None], 1.0, 100.0)[0],
                               rtol=1e-12)


def test_abs_min_max_derivatives_and_ties():
    ce = compile_expression("abs(x - a) + min(x, y) + 2*max(x*y, b)", {"a": 0.5, "b": 1.0})
    xs = np.array([2.0, 0.0, 0.5, 1.0, -3.0])
    ys = np.array([3.0, -1.0, 0.5, 1.0, 2.0])
    f, gx, gy = ce.value_and_grad(xs, ys)
    np.testing.assert_allclose(
        f, np.abs(xs - 0.5) + np.minimum(xs, ys) + 2 * np.maximum(xs * ys, 1.0))
    # d|x-a|: sign (0 at the kink); min: the smaller side (mean at a tie); max likewise
    want_gx = [1 + 1 + 2 * 3, -1 + 0 + 0, 0 + 0.5 + 0, 1 + 0.5 + 2 * 0.5 * 1, -1 + 1 + 0]
    want_gy = [0 + 0 + 2 * 2, 0 + 1 + 0, 0 + 0.5 + 0, 0 + 0.5 + 2 * 0.5 * 1, 0 + 0 + 0]
    np.testing.assert_allclose(gx, want_gx)
    np.testing.assert_allclose(gy, want_gy)


def test_pack_params_errors():
    ce = compile_expression("a*x + b*y", ["a", "b"])  # names only: no defaults
    with pytest.raises(ExpressionError, match="missing value of parameter 'b' in params"):
        ce.pack_params({"a": 1.0})
    with pytest.raises(ExpressionError, match=r"unknown parameter 'c' in params \(declared: a, b"):
        ce.pack_params({"a": 1.0, "b": 2.0, "c": 3.0})
    with pytest.raises(ExpressionError, match="parameter 'a' in params must be finite"):
        ce.pack_params({"a": float("inf"), "b": 2.0})
    with pytest.raises(ExpressionError, match="parameter 'a' in params must be a number"):
        ce.pack_params({"a": "1", "b": 2.0})
    with pytest.raises(ExpressionError, match="must be a number") as info:
        compile_expression("a*x", {"a": None})
    assert info.value.field == "params"


def test_sympy_simplifications_that_leave_the_reals_are_refused():
    for text in ("x + (-2)**y", "x/(y - y)"):
        with pytest.raises(ExpressionError, match="not a real number"):
            compile_expression(text)


def test_generated_module_is_cached_on_disk_and_reused():
    ce = compile_expression("x**2 + 3*y**2 + 0.25")
    path = ce.source_path
    assert path.parent == codecache.generated_dir() and path.suffix == ".py"
    stamp = path.stat().st_mtime_ns
    source = codegen.generate_source(ce.symbolic)
    assert codecache._module_path(path.stem, source) == path
    assert path.stat().st_mtime_ns == stamp  # not rewritten: Numba's cache stays valid
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_limits_are_documented_constants():
    assert grammar.MAX_LENGTH == 2000 and grammar.MAX_DEPTH == 64
    assert grammar.MAX_EXPONENT == 64 and grammar.MAX_NODES == 500
    assert grammar.MAX_CALL_NESTING == 12 and grammar.MAX_CALLS == 40
    assert grammar.MAX_COMBINED_EXPONENT == 4096 and grammar.MAX_GRADIENT_SIZE == 6000


# --------------------------------------------------------------------------- compile cost

NESTED_SIN_60 = "sin(" * 60 + "x" + ")" * 60
SIN_FACTORS_120 = "*".join(f"sin(x+{i})" for i in range(1, 121))
POWER_TOWER = "(" * 11 + "x" + ")**64" * 11  # ((((x)**64)**64)...)**64: 64**11 overflows int64


def _column_of(text, needle, occurrence=1):
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    return pos + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NESTED_SIN_60, "nests 60 function calls; at most 12 are allowed at column 1"),
        ("x + 2*exp(" + "cos(" * 12 + "y" + ")" * 13,
         "nests 13 function calls; at most 12 are allowed at column 7"),
        (SIN_FACTORS_120, "120 function calls; at most 40 are allowed at column "
         f"{_column_of(SIN_FACTORS_120, 'sin(x+41)')}"),
        (POWER_TOWER, "nested powers combine to the exponent 262144; at most 4096 in absolute value "
         f"is allowed at column {_column_of(POWER_TOWER, '**', 3)}"),
        ("(x*y**2)**64*(y**32)**64 + ((x**8)**16)**64",
         "nested powers combine to the exponent 8192; at most 4096 in absolute value is allowed "
         f"at column {_column_of('(x*y**2)**64*(y**32)**64 + ((x**8)**16)**64', '**', 7)}"),
    ],
)
def test_compile_cost_is_refused_up_front_with_the_column(text, message, monkeypatch):
    """What would compile for minutes is refused by the parser: SymPy never sees it."""
    from optviz.core.expressions import compiled

    monkeypatch.setattr(compiled, "to_sympy", lambda parsed: pytest.fail("reached SymPy"))
    t0 = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert time.perf_counter() - t0 < 5.0  # about 10 ms; generous for a loaded machine
    assert info.value.message == message
    assert info.value.field == "expression"


def test_products_too_large_to_differentiate_are_refused_where_they_grow_too_large():
    factors = [f"(x+{i})" for i in range(1, 81)]
    flat = "*".join(factors)
    err = refused(flat)
    assert err.reason.startswith("the expression and its gradient would take about ")
    assert err.reason.endswith("operations; at most 6,000 are allowed (fewer factors in a product help most)")
    crossing = flat[:err.column - 1].count("*") + 1  # the factor whose '*' crosses the limit
    assert 50 <= crossing <= 60
    parse_expression("*".join(factors[:crossing - 1]))  # one factor fewer is accepted
    # parentheses do not hide a product from the estimate: SymPy flattens it the same way
    factors = factors[:64]
    while len(factors) > 1:
        factors = [f"({a}*{b})" for a, b in zip(factors[::2], factors[1::2], strict=True)]
    assert refused(factors[0]).reason.startswith("the expression and its gradient would take about ")
    # equal factors merge into a power, as in SymPy: a long product of one factor is small
    assert parse_expression("*".join(["y"] * 250)).gradient_size < 10


def test_gradient_size_estimate_follows_sympy():
    for text in (ROSENBROCK, "*".join(f"sin(x+{i}*y)" for i in range(1, 20)),
                 "x" + "**x" * 20, "sin(" * 12 + "x*y" + ")" * 12, "x/(y+1)/(x+2)/(y+3)"):
        parsed = parse_expression(text, ["a", "b"])
        sym = to_sympy(parsed)
        ops = sum(sympy.count_ops(e) for e in (sym.f, sym.dfdx, sym.dfdy))
        assert ops <= parsed.gradient_size <= 1.5 * ops + 10, (text, ops, parsed.gradient_size)


def test_largest_accepted_expressions_compile_and_are_right():
    """At the limits: 12 nested calls (libm's sin, point compiled on its own) and ((x)**64)**64."""
    nested = "sin(" * 12 + "x" + ")" * 12 + " + y"
    ce = compile_expression(nested)
    assert ce.symbolic.parsed.call_nesting == 12
    source = ce.source_path.read_text()
    assert "INLINED = False" in source and "_sin = math.sin" in source
    xs = np.linspace(-2.0, 2.0, 9)
    f, gx, gy = ce.value_and_grad(xs, xs)
    u, du = xs.copy(), np.ones_like(xs)
    for _ in range(12):
        u, du = np.sin(u), np.cos(u) * du
    np.testing.assert_allclose(f, u + xs, rtol=1e-13)
    np.testing.assert_allclose(gx, du, rtol=1e-12)
    np.testing.assert_allclose(gy, 1.0)

    power = compile_expression("((x)**64)**64")
    assert power.value_and_grad(1.0, 0.0) == (1.0, 4096.0, 0.0)
    assert power.value_and_grad(-1.0, 0.0) == (1.0, -4096.0, 0.0)


def test_small_expressions_keep_the_vectorizable_inlined_code():
    ce = compile_expression("sin(x)*cos(y) + exp(-x**2)")
    source = ce.source_path.read_text()
    assert "INLINED = True" in source and f"from {codegen.TRIG_MODULE} import" in source
    assert codegen.is_inlined(codegen.INLINE_MAX_OPS, codegen.INLINE_MAX_FAST_CALLS)
    assert not codegen.is_inlined(codegen.INLINE_MAX_OPS + 1, 0)
    assert not codegen.is_inlined(0, codegen.INLINE_MAX_FAST_CALLS + 1)


def test_particles_run_on_an_expression_whose_point_is_not_inlined():
    """The particle kernel calls a separately compiled point() correctly (GD, checked by hand)."""
    from optviz.experiment.model import Experiment
    from optviz.experiment.runner import build_simulation

    text = "sin(sin(sin(sin(sin(x))))) + cos(cos(cos(cos(y))))"
    lr, start, steps = 0.1, (0.7, -0.4), 5
    exp = Experiment.from_dict({
        "landscape": {"expression": text}, "run": {"steps": steps},
        "groups": [{"label": "GD", "optimizer": "sgd", "hyper": {"lr": lr},
                    "init": {"kind": "point", "point": list(start)}}],
    })
    assert "INLINED = False" in compile_expression(text).source_path.read_text()
    sim = build_simulation(exp)
    sim.advance(steps)
    x, y = start
    ce = compile_expression(text)
    for _ in range(steps):
        _, gx, gy = ce.value_and_grad(x, y)
        x, y = x - lr * gx, y - lr * gy
    np.testing.assert_allclose(sim.positions(0)[0], [x, y], rtol=1e-12)


def test_huge_integer_exponents_are_printed_as_floats():
    x = sympy.Symbol("x", real=True)
    printer = codegen.CodePrinter({x: "x"})
    assert printer.pow(x, sympy.Integer(2**70)) == "(x**1.1805916207174113e+21)"
    assert printer.pow(x, sympy.Integer(4095)) == "(x**4095)"


def test_a_failure_to_compile_is_an_expression_error(monkeypatch):
    """Numba's errors (ANSI-coloured, many lines) become one line, and a ValueError."""
    from optviz.core.jit import numba

    ce = compile_expression("x*y + 0.375")

    def typing_error(*args):
        raise numba.core.errors.TypingError(
            "Failed in nopython mode pipeline (step: nopython frontend)\n"
            "\x1b[1mNo implementation of function Function(<built-in function pow>) found\x1b[0m\n"
            "During: typing of intrinsic-call")

    monkeypatch.setattr(ce, "grid_kernel", typing_error)
    with pytest.raises(ExpressionError) as info:
        ce.evaluate_grid(np.zeros(2), np.zeros(2))
    assert info.value.message == (
        "the expression's generated code could not be compiled (TypingError: No implementation of "
        "function Function(<built-in function pow>) found); simplify the expression")


@pytest.mark.parametrize(("text", "fragment"), [
    (NESTED_SIN_60, "landscape.expression: nests 60 function calls; at most 12 are allowed at column 1"),
    (POWER_TOWER, "landscape.expression: nested powers combine to the exponent 262144"),
])
def test_cli_refuses_costly_expressions_in_one_line(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(f'[landscape]\nexpression = "{text}"\n\n[[groups]]\nlabel = "g"\n', encoding="utf-8")
    env = {**os.environ, "OPTVIZ_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "optviz", "run", str(path), "-o", str(tmp_path / "o.npz")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "o.npz").exists()

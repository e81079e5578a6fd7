"""Validated syntax tree -> SymPy expression and its exact gradient.

The tree is translated node by node (no string is ever handed to SymPy).
x, y and the parameters are real symbols. ``abs``, ``min`` and ``max`` become
the small SymPy functions below, whose derivatives are written out without
piecewise terms:

- ``d|u| = sign(u) u'`` (0 at u = 0);
- ``d min(a, b) = (1 - sign(a - b))/2 a' + (1 + sign(a - b))/2 b'``, and the
  mirror image for ``max``: the derivative of the smaller (larger) argument,
  the mean of both at a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.codegen.cfunctions import log1p

from optviz.core.expressions.grammar import (
    Call,
    ExpressionError,
    Name,
    Neg,
    Number,
    ParsedExpression,
    Power,
    Product,
    Sum,
)

#: Exact rational powers of constants stay exact below this many bits.
_MAX_EXACT_BITS = 4096
#: Most operations in value + gradient after common-subexpression elimination: the size of
#: the generated code, which is what Numba's compile time grows with. A backstop: the
#: parser's estimate (grammar.MAX_GRADIENT_SIZE) refuses larger expressions first.
MAX_GRADIENT_OPS = 2500

X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)


class Abs2(sympy.Function):
    """|u| for real u, with derivative sign(u) (SymPy's Abs assumes complex input)."""

    nargs = 1

    @classmethod
    def eval(cls, u):
        if u.is_Number:
            return abs(u)
        if isinstance(u, Abs2):
            return u
        return None

    def fdiff(self, argindex=1):
        return sympy.sign(self.args[0])

    def _sympystr(self, printer):
        return f"abs({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        text = rf"\left|{printer._print(self.args[0])}\right|"
        return text if exp is None else f"{text}^{{{exp}}}"


class _MinMax(sympy.Function):
    nargs = 2
    _pick = None  # min or max
    _name = ""

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return cls._pick(a, b)
        return None

    def _sympystr(self, printer):
        a, b = (printer._print(arg) for arg in self.args)
        return f"{self._name}({a}, {b})"

    def _latex(self, printer, exp=None):
        a, b = (printer._print(arg) for arg in self.args)
        text = rf"\{self._name}\left({a}, {b}\right)"
        return text if exp is None else f"{text}^{{{exp}}}"


class Min2(_MinMax):
    """min(a, b); derivative: that of the smaller argument, the mean at a tie."""

    _pick = min
    _name = "min"

    def fdiff(self, argindex=1):
        s = sympy.sign(self.args[0] - self.args[1])
        return (1 - s) / 2 if argindex == 1 else (1 + s) / 2


class Max2(_MinMax):
    """max(a, b); derivative: that of the larger argument, the mean at a tie."""

    _pick = max
    _name = "max"

    def fdiff(self, argindex=1):
        s = sympy.sign(self.args[0] - self.args[1])
        return (1 + s) / 2 if argindex == 1 else (1 - s) / 2


_FUNCTIONS = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "exp": sympy.exp,
    "log": sympy.log,
    "log1p": log1p,
    "sqrt": sympy.sqrt,
    "abs": Abs2,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "arctan": sympy.atan,
    "min": Min2,
    "max": Max2,
}


@dataclass(frozen=True)
class SymbolicExpression:
    """f(x, y; params) and its exact gradient as SymPy expressions."""

    parsed: ParsedExpression
    params: tuple  # SymPy symbols, in the order of parsed.param_names
    f: sympy.Expr
    dfdx: sympy.Expr
    dfdy: sympy.Expr

    @property
    def symbols(self) -> dict:
        """Name -> SymPy symbol of x, y and every parameter."""
        return {"x": X, "y": Y, **dict(zip(self.parsed.param_names, self.params, strict=True))}

    def formula(self) -> str:
        """Plain-text f and gradient, one per line."""
        show = lambda e: sympy.sstr(e, full_prec=False)  # noqa: E731
        return (
            f"f = {show(self.f)}\n"
            f"df/dx = {show(self.dfdx)}\n"
            f"df/dy = {show(self.dfdy)}"
        )

    def latex(self) -> tuple:
        """LaTeX of (f, df/dx, df/dy)."""
        return tuple(sympy.latex(e) for e in (self.f, self.dfdx, self.dfdy))


def _number(value) -> sympy.Expr:
    if isinstance(value, int):
        return sympy.Integer(value)
    if float(value).is_integer() and abs(value) <= 2.0**53:
        return sympy.Integer(int(value))  # 2.0 behaves as 2: x**2.0 is x*x
    return sympy.Float(value)


def _power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    if base.is_Rational and exponent.is_Rational:
        bits = max(abs(base.p).bit_length(), base.q.bit_length()) * abs(exponent.p)
        if bits > _MAX_EXACT_BITS:  # e.g. ((10**64)**64)**64: fold in float64 instead
            return sympy.Float(float(base) ** float(exponent))
    return sympy.Pow(base, exponent)


def _convert(node, symbols: dict) -> sympy.Expr:
    if isinstance(node, Number):
        return _number(node.value)
    if isinstance(node, Name):
        if node.name == "pi":
            return sympy.pi
        if node.name == "e":
            return sympy.E
        return symbols[node.name]
    if isinstance(node, Neg):
        return -_convert(node.operand, symbols)
    if isinstance(node, Sum):
        terms = [_convert(t, symbols) for t in node.terms]
        return sympy.Add(*(t if op == "+" else -t for op, t in zip(node.ops, terms, strict=True)))
    if isinstance(node, Product):
        factors = [_convert(t, symbols) for t in node.factors]
        return sympy.Mul(
            *(t if op == "*" else 1 / t for op, t in zip(node.ops, factors, strict=True))
        )
    if isinstance(node, Power):
        return _power(_convert(node.base, symbols), _convert(node.exponent, symbols))
    if isinstance(node, Call):
        return _FUNCTIONS[node.func](*(_convert(a, symbols) for a in node.args))
    raise TypeError(f"not a syntax tree node: {node!r}")


_REAL_ATOMS = (sympy.Symbol, sympy.Integer, sympy.Rational, sympy.Float, sympy.NumberSymbol)


def check_real(expr: sympy.Expr) -> None:
    """Refuse expressions with complex or infinite constants (e.g. log(-2), 0**-1)."""
    for atom in expr.atoms():
        if not isinstance(atom, _REAL_ATOMS) or (atom.is_Number and not atom.is_finite):
            raise ExpressionError(
                "the expression or its gradient is not a real number for real x and y "
                "(e.g. a negative number to a variable power, or a division by zero)"
            )
    for power in expr.atoms(sympy.Pow):
        base, exponent = power.args
        if base.is_number and base.is_negative and not exponent.is_integer:
            raise ExpressionError(
                "the expression or its gradient is not a real number for real x and y "
                "(a negative constant to a fractional or variable power)"
            )


def to_sympy(parsed: ParsedExpression) -> SymbolicExpression:
    """The SymPy form of a parsed expression and its exact gradient."""
    params = tuple(sympy.Symbol(name, real=True) for name in parsed.param_names)
    symbols = {"x": X, "y": Y, **dict(zip(parsed.param_names, params, strict=True))}
    f = _convert(parsed.root, symbols)
    dfdx = sympy.diff(f, X)
    dfdy = sympy.diff(f, Y)
    for e in (f, dfdx, dfdy):
        check_real(e)
    return SymbolicExpression(parsed=parsed, params=params, f=f, dfdx=dfdx, dfdy=dfdy)

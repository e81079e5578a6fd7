"""SymPy expression and gradient -> Python source -> Numba-compiled functions.

The source is printed by a small whitelisting printer from the SymPy trees
(never from user text): symbols become ``x``, ``y``, ``p_0``, ``p_1``... (user
parameter names never reach the source), numbers become float literals, and
anything outside the known node types is refused. Common subexpressions are
shared (``sympy.cse``). The loops are plain float arithmetic on locals, so LLVM
can vectorize the tile loop like a hand-written landscape.

The module goes through :mod:`optviz.core.codecache` (written once, atomically,
imported from disk) so Numba's ``cache=True`` works across processes. Besides
the tile and grid evaluators it defines ``point(x, y, p_0, p_1, ...)``, the
scalar form that the particle kernel template (optviz.core.kernels) calls.

Compile time grows with the code: a small expression (at most
:data:`INLINE_MAX_OPS` operations and :data:`INLINE_MAX_FAST_CALLS` calls of
sin/cos/exp) uses the vectorizable sin/cos/exp and ``point`` is inlined into
each of the kernel's loops, so the particle loop vectorizes like a built-in
landscape's; a larger one calls libm's and ``point`` is compiled once, as a
function of its own, which keeps its compile time bounded (each inlined
vectorizable call is about as much code as 50 operations).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
from pathlib import Path

import sympy
from sympy.codegen.cfunctions import log1p

from optviz.core import codecache
from optviz.core.expressions.grammar import ExpressionError
from optviz.core.expressions.symbolic import (
    MAX_GRADIENT_OPS,
    Abs2,
    Max2,
    Min2,
    SymbolicExpression,
)

#: Bumped when the shape of the generated source changes.
CODEGEN_VERSION = 4

#: Module with Numba-vectorizable ``sin``/``cos``/``exp`` (optional); math's otherwise.
TRIG_MODULE = "optviz.core.landscapes.fastmath"
#: Most operations (after sharing common parts) of an expression whose code is inlined.
INLINE_MAX_OPS = 100
#: Most sin/cos/exp calls of an expression that uses the vectorizable (inlined) ones.
INLINE_MAX_FAST_CALLS = 8
#: Integer exponents from this size on are printed as floats (Numba types int literals as int64).
FLOAT_EXPONENT_FROM = 2**31
_MATH_TRIG = "_sin = math.sin\n_cos = math.cos\n_exp = math.exp"
_FAST = (sympy.sin, sympy.cos, sympy.exp)

_FUNCTIONS = {
    sympy.sin: "_sin",
    sympy.cos: "_cos",
    sympy.tan: "math.tan",
    sympy.exp: "_exp",
    sympy.log: "math.log",
    log1p: "math.log1p",
    sympy.tanh: "math.tanh",
    sympy.sinh: "math.sinh",
    sympy.cosh: "math.cosh",
    sympy.atan: "math.atan",
    sympy.sign: "_sign",
    sympy.Abs: "abs",
    Abs2: "abs",
    Min2: "min",
    Max2: "max",
}


def _refuse(what) -> ExpressionError:
    return ExpressionError(f"cannot generate code for {what} (internal limitation)")


class CodePrinter:
    """Prints a SymPy expression as a fully parenthesized Numba-friendly Python expression."""

    def __init__(self, names: dict):
        self.names = names  # Symbol -> identifier

    def __call__(self, e) -> str:
        if isinstance(e, sympy.Symbol):
            if e not in self.names:
                raise _refuse(f"symbol {e}")
            return self.names[e]
        if isinstance(e, sympy.Rational | sympy.Float | sympy.NumberSymbol):
            return self.number(e)
        if isinstance(e, sympy.Add):
            text = self(e.args[0])
            for a in e.args[1:]:
                if a.could_extract_minus_sign():
                    text += f" - {self(-a)}"
                else:
                    text += f" + {self(a)}"
            return f"({text})"
        if isinstance(e, sympy.Mul):
            return self.mul(e)
        if isinstance(e, sympy.Pow):
            return self.pow(*e.args)
        if isinstance(e, sympy.Function) and e.func in _FUNCTIONS:
            if e.func is sympy.log and len(e.args) != 1:
                raise _refuse(e)
            return f"{_FUNCTIONS[e.func]}({', '.join(self(a) for a in e.args)})"
        raise _refuse(type(e).__name__)

    @staticmethod
    def number(e) -> str:
        value = float(e)
        if not math.isfinite(value):
            raise _refuse(f"the number {e}")
        text = repr(value)
        return f"({text})" if value < 0 else text

    def mul(self, e) -> str:
        num, den, sign = [], [], ""
        for a in e.args:
            if a == -1:
                sign = "-"
            elif isinstance(a, sympy.Pow) and a.exp.is_Rational and a.exp.is_negative:
                den.append(self.pow(a.base, -a.exp))
            elif isinstance(a, sympy.Rational) and not isinstance(a, sympy.Integer) and a.p == 1:
                den.append(self.number(sympy.Integer(a.q)))
            else:
                num.append(self(a))
        text = "*".join(num) if num else "1.0"
        if den:
            text = f"{text}/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
        return f"({sign}{text})"

    def pow(self, base, exponent) -> str:
        if base.is_number and base.is_negative and not exponent.is_integer:
            raise _refuse(f"{base} to the power {exponent}")
        b = self(base)
        if exponent.is_Integer and abs(int(exponent)) >= FLOAT_EXPONENT_FROM:
            return f"({b}**{self.number(exponent)})"
        if exponent.is_Integer:
            n = int(exponent)
            if n == 1:
                return b
            return f"({b}**{n})" if n > 0 else f"(1.0/{b}**{-n})"
        half = None
        if exponent.is_Rational and exponent.q == 2:
            half = int(exponent.p)
        elif exponent.is_Float and float(exponent) * 2 in (1.0, -1.0):
            half = int(float(exponent) * 2)
        if half is not None:
            root = f"math.sqrt({b})"
            if half == 1:
                return root
            if half > 0:
                return f"({root}**{half})"
            return f"(1.0/{root})" if half == -1 else f"(1.0/{root}**{-half})"
        return f"({b}**{self(exponent)})"


def _trig_import() -> tuple[str, str]:
    """(import lines, fingerprint) for sin/cos/exp: the vectorizable ones when present."""
    try:
        spec = importlib.util.find_spec(TRIG_MODULE)
        if spec is not None and spec.origin:
            module = importlib.import_module(TRIG_MODULE)
            if all(callable(getattr(module, f, None)) for f in ("sin", "cos", "exp")):
                digest = hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:16]
                line = f"from {TRIG_MODULE} import cos as _cos, exp as _exp, sin as _sin"
                return line, digest
    except Exception:  # noqa: BLE001 - the module is optional; fall back to math
        pass
    return _MATH_TRIG, "math"


def _body(replacements, outputs: dict, printer: CodePrinter, indent: str) -> list[str]:
    lines = [f"{indent}{printer.names[s]} = {printer(v)}" for s, v in replacements]
    lines += [f"{indent}{name} = {printer(v)}" for name, v in outputs.items()]
    return lines


def _cse(exprs):
    """(operation count, replacements, reduced expressions) of sympy.cse."""
    temps = sympy.numbered_symbols("_t")
    replacements, reduced = sympy.cse(exprs, symbols=temps, order="none")
    ops = sum(sympy.count_ops(v) for _, v in replacements) + sum(
        sympy.count_ops(e) for e in reduced
    )
    return ops, replacements, reduced


def _shared_code(sym: SymbolicExpression):
    """(operations, replacements, reduced) of the cse of (f, df/dx, df/dy), with the gradient
    as is or with common factors pulled out (sympy.factor_terms), whichever needs fewer
    operations; refused beyond MAX_GRADIENT_OPS."""
    grads = [sym.dfdx, sym.dfdy]
    best = _cse([sym.f, *grads])
    if best[0] <= MAX_GRADIENT_OPS:
        factored = _cse([sym.f, *(sympy.factor_terms(g) for g in grads)])
        best = min(best, factored, key=lambda c: c[0])
    if best[0] > MAX_GRADIENT_OPS:
        raise ExpressionError(
            f"the expression and its gradient take {best[0]:,} operations after sharing common "
            f"parts; at most {MAX_GRADIENT_OPS:,} are allowed (fewer factors in a product help most)"
        )
    return best


def _fast_calls(exprs) -> int:
    """Calls of sin, cos and exp in the printed code of ``exprs``."""
    return sum(isinstance(node, _FAST) for e in exprs for node in sympy.preorder_traversal(e))


def is_inlined(ops: int, fast_calls: int) -> bool:
    """Whether code of this size is inlined and uses the vectorizable sin/cos/exp (see module doc)."""
    return ops <= INLINE_MAX_OPS and fast_calls <= INLINE_MAX_FAST_CALLS


def generate_source(sym: SymbolicExpression) -> str:
    """Python source of a module defining scalar, evaluate_tile, evaluate_points, grid."""
    names = {sympy.Symbol("x", real=True): "x", sympy.Symbol("y", real=True): "y"}
    names.update({p: f"p_{k}" for k, p in enumerate(sym.params)})
    ops, full_rep, (f, fx, fy) = _shared_code(sym)
    _, value_rep, (fv,) = _cse([sym.f])
    inline = is_inlined(ops, _fast_calls([v for _, v in full_rep] + [f, fx, fy]))
    for s, _ in list(full_rep) + list(value_rep):
        names[s] = str(s)
    printer = CodePrinter(names)

    def body(indent, grad=True):
        if grad:
            return _body(full_rep, {"f": f, "gx": fx, "gy": fy}, printer, indent)
        return _body(value_rep, {"f": fv}, printer, indent)

    def load_params(indent, array):
        return [f"{indent}p_{k} = {array}[{k}]" for k in range(len(sym.params))]

    trig, trig_digest = _trig_import() if inline else (_MATH_TRIG, "math")
    fingerprint = hashlib.sha256(
        "\n".join(map(str, (sym.f, sym.dfdx, sym.dfdy))).encode()
    ).hexdigest()[:16]
    lines = [
        '"""Generated by optviz.core.expressions.codegen from a validated expression."""',
        f"# codegen {CODEGEN_VERSION}, trig {trig_digest}, expression {fingerprint}",
        "import math",
        "",
        "from optviz.core.jit import INLINE_OPTIONS, KERNEL_OPTIONS, njit, prange",
        "",
        trig,
        "",
        "#: Whether ``point`` is inlined into the kernels (else compiled once, on its own).",
        f"INLINED = {inline}",
        "",
        "",
        "@njit(**INLINE_OPTIONS)",
        "def _sign(u):",
        "    if u > 0.0:",
        "        return 1.0",
        "    if u < 0.0:",
        "        return -1.0",
        "    return 0.0 * u",
        "",
        "",
        "@njit(**INLINE_OPTIONS)",
        "def scalar(x, y, p):",
        *load_params("    ", "p"),
        *body("    "),
        "    return f, gx, gy",
        "",
        "",
        "@njit(**INLINE_OPTIONS)" if inline else "@njit(**KERNEL_OPTIONS)",
        f"def point({', '.join(['x', 'y', *(f'p_{k}' for k in range(len(sym.params)))])}):",
        *body("    "),
        "    return f, gx, gy",
        "",
        "",
        "@njit(**KERNEL_OPTIONS)",
        "def evaluate_tile(landscape_id, params, theta, start, count, loss, grad):",
        *load_params("    ", "params"),
        "    xs = theta[0, start:start + count]",  # slices: indices from 0 let LLVM vectorize
        "    ys = theta[1, start:start + count]",
        "    for j in range(count):",
        "        x = xs[j]",
        "        y = ys[j]",
        *body("        "),
        "        loss[j] = f",
        "        grad[0, j] = gx",
        "        grad[1, j] = gy",
        "",
        "",
        "@njit(**KERNEL_OPTIONS)",
        "def evaluate_points(xs, ys, params, out_f, out_gx, out_gy):",
        *load_params("    ", "params"),
        "    for i in range(xs.shape[0]):",
        "        x = xs[i]",
        "        y = ys[i]",
        *body("        "),
        "        out_f[i] = f",
        "        out_gx[i] = gx",
        "        out_gy[i] = gy",
        "",
        "",
        "@njit(parallel=True, **KERNEL_OPTIONS)",
        "def evaluate_grid(xs, ys, params, out):",
        *load_params("    ", "params"),
        "    for r in prange(ys.shape[0]):",
        "        y = ys[r]",
        "        for c in range(xs.shape[0]):",
        "            x = xs[c]",
        *body("            ", grad=False),
        "            out[r, c] = f",
        "",
    ]
    return "\n".join(lines)


def load_module(source: str):
    """Import a generated expression module (through the shared generated-code cache)."""
    return codecache.load_module(source, prefix="_optviz_expr_")

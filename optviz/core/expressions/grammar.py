"""The grammar of user-typed landscapes: text -> validated syntax tree.

User text is never executed. A hand-written tokenizer and recursive-descent
parser accept exactly this grammar (``^`` is a synonym of ``**``; it is never
XOR)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := primary (("**" | "^") unary)?        right-associative
    primary    := NUMBER | NAME | FUNCTION "(" args ")" | "(" expression ")"
    args       := expression ("," expression)*

As in Python, ``-x**2`` is ``-(x**2)``, ``2**-1`` is allowed and ``2**3**2`` is
``2**(3**2)``. NUMBER is an ASCII decimal literal (``12``, ``1.5``, ``.5``,
``1e-3``); NAME is ``x``, ``y``, a declared parameter, ``pi`` or ``e``; the
functions are those of :data:`FUNCTIONS` (``min``/``max`` take two arguments,
the others one). Whitespace, including newlines, separates tokens.

Everything else is refused with an :class:`ExpressionError` that says where
(1-based column): other names, attribute access, strings, indexing, keyword
arguments, comparisons... So are inputs beyond the limits below, and constant
parts that cannot be real numbers (``log(0)``, ``1/0``, ``exp(1000)``).

Limits on compile cost: what makes the generated code large is refused here,
before SymPy and Numba see the expression: function calls nested more than
:data:`MAX_CALL_NESTING` deep, more than :data:`MAX_CALLS` calls, nested
constant powers whose combined exponent exceeds :data:`MAX_COMBINED_EXPONENT`
(``((x**64)**64)**64`` is x**262144), and expressions whose value and exact gradient would
need more than :data:`MAX_GRADIENT_SIZE` operations (an estimate from the
tree that follows SymPy's differentiation rules, e.g. the product rule makes
the gradient of a product of k factors about k² operations). Each refusal says
why and points at the call, operator or factor that crosses the limit. With these
limits the slowest accepted expression compiles in about 30 s on a loaded
2-core machine (its value, gradient and one optimizer family's kernel).
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Longest accepted expression text, in characters.
MAX_LENGTH = 2000
#: Deepest accepted syntax tree (and deepest nesting of parentheses/operators).
MAX_DEPTH = 64
#: Most nodes (numbers, names, operations, calls) in one syntax tree.
MAX_NODES = 500
#: Largest accepted absolute value of a constant exponent.
MAX_EXPONENT = 64
#: Deepest nesting of function calls (``sin(sin(...))``).
MAX_CALL_NESTING = 12
#: Most function calls in one expression.
MAX_CALLS = 40
#: Largest absolute value of the exponent that nested constant powers combine to.
MAX_COMBINED_EXPONENT = 4096
#: Most operations in f, df/dx and df/dy together, as estimated before differentiating.
MAX_GRADIENT_SIZE = 6000
#: Most declared parameters, and the longest parameter name.
MAX_PARAMS = 32
MAX_NAME_LENGTH = 32

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
#: Function name -> number of arguments.
FUNCTIONS = {
    "sin": 1,
    "cos": 1,
    "tan": 1,
    "exp": 1,
    "log": 1,
    "log1p": 1,
    "sqrt": 1,
    "abs": 1,
    "tanh": 1,
    "sinh": 1,
    "cosh": 1,
    "arctan": 1,
    "min": 2,
    "max": 2,
}


class ExpressionError(ValueError):
    """An expression or its parameters were refused.

    Attributes:
        message: the whole message, location included (same as ``str(err)``).
        reason: the message without its location.
        column: 1-based column within the line of the problem, or None.
        line: 1-based line (only differs from 1 for multi-line text), or None.
        field: ``"expression"`` or ``"params"``: which input is wrong.
    """

    def __init__(
        self,
        reason: str,
        *,
        text: str | None = None,
        pos: int | None = None,
        field: str = "expression",
    ):
        self.reason = reason
        self.field = field
        self.line: int | None = None
        self.column: int | None = None
        if pos is not None:
            text = text or ""
            pos = max(0, min(pos, len(text)))
            self.line = text.count("\n", 0, pos) + 1
            self.column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            if "\n" in text:
                reason = f"{reason} at line {self.line}, column {self.column}"
            else:
                reason = f"{reason} at column {self.column}"
        self.message = reason
        super().__init__(reason)


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Number:
    value: float  # int for integer literals, float otherwise
    pos: int


@dataclass(frozen=True)
class Name:
    name: str  # a variable, a parameter or a constant
    pos: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple
    pos: int


@dataclass(frozen=True)
class Neg:
    operand: object
    pos: int


@dataclass(frozen=True)
class Sum:
    """``terms[0] (op term)*`` with ops "+"/"-"; ops[0] is always "+"."""

    ops: tuple
    terms: tuple
    op_pos: tuple
    pos: int


@dataclass(frozen=True)
class Product:
    """``factors[0] (op factor)*`` with ops "*"/"/"; ops[0] is always "*"."""

    ops: tuple
    factors: tuple
    op_pos: tuple
    pos: int


@dataclass(frozen=True)
class Power:
    base: object
    exponent: object
    pos: int
    op_pos: int


Node = Number | Name | Call | Neg | Sum | Product | Power


def children(node) -> tuple:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Sum):
        return node.terms
    if isinstance(node, Product):
        return node.factors
    if isinstance(node, Power):
        return (node.base, node.exponent)
    return ()


@dataclass(frozen=True)
class ParsedExpression:
    """A validated expression: its text, syntax tree and declared parameters."""

    text: str
    root: object
    param_names: tuple  # sorted
    used_names: frozenset  # x/y/parameters that occur in the tree
    node_count: int
    depth: int
    calls: int = 0  # function calls
    call_nesting: int = 0  # deepest nesting of function calls
    gradient_size: int = 0  # estimated operations of f, df/dx and df/dy


# --------------------------------------------------------------------------- tokens

_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z", re.ASCII)
_WHITESPACE = " \t\r\n"

# Characters that are not in the grammar, with the reason given to the user.
_REFUSED = {
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    ".": "attribute access ('.') is not allowed",
    "[": "indexing and lists ('[') are not allowed",
    "]": "indexing and lists (']') are not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    "=": "'=' is not allowed (no assignments, comparisons or keyword arguments)",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "!": "'!' is not allowed",
    "%": "'%' is not supported",
    ":": "':' is not allowed",
    ";": "';' is not allowed",
    "@": "'@' is not allowed",
    "&": "'&' is not allowed",
    "|": "'|' is not allowed (write abs(...) for an absolute value)",
    "~": "'~' is not allowed",
    "#": "comments are not allowed",
    "\\": "'\\' is not allowed",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "(", ")", ",", "end"
    text: str
    pos: int
    value: float | None = None

    def describe(self) -> str:
        if self.kind == "end":
            return "end of expression"
        return f"'{self.text}'"


def _token_at(text: str, i: int) -> _Token:
    """The token starting at or after offset i (skipping whitespace)."""
    n = len(text)
    while i < n and text[i] in _WHITESPACE:
        i += 1
    if i >= n:
        return _Token("end", "", n)
    c = text[i]
    if c in "0123456789" or (c == "." and i + 1 < n and text[i + 1] in "0123456789"):
        m = _NUMBER.match(text, i)
        literal = m.group(0)
        end = m.end()
        if end < n and (text[end] == "." or text[end] in "0123456789"):
            j = end
            while j < n and (text[j].isascii() and (text[j].isalnum() or text[j] in "._")):
                j += 1
            raise ExpressionError(f"malformed number '{text[i:j]}'", text=text, pos=i)
        try:
            if "." in literal or "e" in literal or "E" in literal:
                value = float(literal)
            else:
                value = int(literal)
                float(value)
        except (ValueError, OverflowError):
            value = math.inf
        if not math.isfinite(value):
            raise ExpressionError(f"number '{literal}' is too large", text=text, pos=i)
        return _Token("num", literal, i, value)
    if c.isascii() and (c.isalpha() or c == "_"):
        m = _NAME.match(text, i)
        return _Token("name", m.group(0), i)
    if text.startswith("**", i):
        return _Token("op", "**", i)
    if text.startswith("//", i):
        raise ExpressionError("floor division '//' is not supported", text=text, pos=i)
    if c in "+-*/^":
        return _Token("op", c, i)
    if c in "(),":
        return _Token(c, c, i)
    if c in _REFUSED:
        raise ExpressionError(_REFUSED[c], text=text, pos=i)
    raise ExpressionError(f"unexpected character {c!r}", text=text, pos=i)


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, params: frozenset):
        self.text = text
        self.params = params
        self.nesting = 0
        self.nodes = 0
        self.used: set[str] = set()
        self.heights: dict[int, int] = {}  # id(node) -> height of its subtree
        self.keep: list = []  # keeps every node alive, so ids stay unique
        self.tok = _token_at(text, 0)

    # -- helpers
    def error(self, reason: str, pos: int | None):
        raise ExpressionError(reason, text=self.text, pos=pos)

    def advance(self) -> _Token:
        tok = self.tok
        if tok.kind != "end":
            self.tok = _token_at(self.text, tok.pos + len(tok.text))
        return tok

    def enter(self, pos: int):
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            self.error(f"expression is nested too deeply (at most {MAX_DEPTH} levels)", pos)

    def leave(self):
        self.nesting -= 1

    def make(self, node, *kids):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.error(f"expression is too large (at most {MAX_NODES} nodes)", node.pos)
        height = 1 + max((self.heights[id(k)] for k in kids), default=0)
        if height > MAX_DEPTH:
            self.error(f"expression is nested too deeply (at most {MAX_DEPTH} levels)", node.pos)
        self.heights[id(node)] = height
        self.keep.append(node)
        return node

    # -- grammar
    def parse(self) -> object:
        if self.tok.kind == "end":
            self.error("expression is empty", None)
        root = self.expression()
        if self.tok.kind != "end":
            self.unexpected(self.tok)
        return root

    def unexpected(self, tok: _Token):
        if tok.kind == "name" and keyword.iskeyword(tok.text):
            self.error(f"'{tok.text}' is not allowed", tok.pos)
        if tok.kind in ("num", "name", "("):
            self.error(f"missing operator before {tok.describe()}", tok.pos)
        self.error(f"unexpected {tok.describe()}", tok.pos)

    def expression(self):
        return self.chain(self.term, "+-", Sum)

    def term(self):
        return self.chain(self.unary, "*/", Product)

    def chain(self, operand, ops_text: str, node_type):
        """``operand (op operand)*`` with the ops of ``ops_text`` (left to right): the operand alone,
        or one ``node_type`` node (Sum, Product) of the operands whose ops begin with ``ops_text[0]``."""
        first = operand()
        ops, operands, op_pos = [ops_text[0]], [first], [first.pos]
        while self.tok.kind == "op" and self.tok.text in ops_text:
            tok = self.advance()
            ops.append(tok.text)
            op_pos.append(tok.pos)
            operands.append(operand())
        if len(operands) == 1:
            return first
        return self.make(node_type(tuple(ops), tuple(operands), tuple(op_pos), first.pos), *operands)

    def unary(self):
        tok = self.tok
        if tok.kind == "op" and tok.text in "+-":
            self.advance()
            self.enter(tok.pos)
            operand = self.unary()
            self.leave()
            if tok.text == "+":
                return operand
            return self.make(Neg(operand, tok.pos), operand)
        return self.power()

    def power(self):
        base = self.primary()
        if self.tok.kind == "op" and self.tok.text in ("**", "^"):
            op = self.advance()
            self.enter(op.pos)
            exponent = self.unary()
            self.leave()
            return self.make(Power(base, exponent, base.pos, op.pos), base, exponent)
        return base

    def primary(self):
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return self.make(Number(tok.value, tok.pos))
        if tok.kind == "(":
            self.advance()
            if self.tok.kind == ")":
                self.error("empty parentheses", tok.pos)
            self.enter(tok.pos)
            inner = self.expression()
            self.leave()
            self.close(tok, None)
            return inner
        if tok.kind == "name":
            self.advance()
            if self.tok.kind == "(":
                return self.call(tok)
            return self.name(tok)
        self.error("expected an operand", tok.pos)

    def close(self, opening: _Token, func: str | None):
        if self.tok.kind == ")":
            self.advance()
            return
        if self.tok.kind == "end":
            of = f" of {func}()" if func else ""
            self.error(f"unclosed '('{of}", opening.pos)
        self.unexpected(self.tok)

    def name(self, tok: _Token):
        name = tok.text
        if name in VARIABLES or name in self.params:
            self.used.add(name)
            return self.make(Name(name, tok.pos))
        if name in CONSTANTS:
            return self.make(Name(name, tok.pos))
        if name in FUNCTIONS:
            self.error(f"function '{name}' must be called, e.g. {name}(x)", tok.pos)
        if keyword.iskeyword(name):
            self.error(f"'{name}' is not allowed", tok.pos)
        self.error(f"unknown name '{name}'", tok.pos)

    def call(self, tok: _Token):
        name = tok.text
        if name not in FUNCTIONS:
            if name in VARIABLES or name in self.params or name in CONSTANTS:
                self.error(f"'{name}' is not a function (write '{name}*(...)' to multiply)", tok.pos)
            if keyword.iskeyword(name):
                self.error(f"'{name}' is not allowed", tok.pos)
            self.error(f"unknown function '{name}'", tok.pos)
        opening = self.advance()
        self.enter(opening.pos)
        args = []
        if self.tok.kind != ")":
            args.append(self.expression())
            while self.tok.kind == ",":
                self.advance()
                args.append(self.expression())
        self.close(opening, name)
        self.leave()
        want = FUNCTIONS[name]
        if len(args) != want:
            plural = "argument" if want == 1 else "arguments"
            self.error(f"function '{name}' takes {want} {plural}, got {len(args)}", tok.pos)
        return self.make(Call(name, tuple(args), tok.pos), *args)


# --------------------------------------------------------------------------- constants


def _check_constants(node, text: str, found: dict):
    """Float value of a constant subtree (None if it depends on x, y or parameters).

    Refuses constant parts that are undefined or overflow, and constant exponents
    beyond MAX_EXPONENT (which would make exact symbolic arithmetic explode).
    ``found`` receives id(node) -> value of every constant subtree.
    """
    value = _constant_value(node, text, found)
    if value is not None:
        found[id(node)] = value
    return value


def _constant_value(node, text: str, found: dict):
    def fail(reason, pos):
        raise ExpressionError(reason, text=text, pos=pos)

    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, Name):
        return CONSTANTS.get(node.name)
    values = [_check_constants(k, text, found) for k in children(node)]
    if isinstance(node, Power):
        b, p = values
        if p is not None and abs(p) > MAX_EXPONENT:
            fail(f"exponent is too large (at most {MAX_EXPONENT} in absolute value)",
                 node.exponent.pos)
        if b is None or p is None:
            return None
        try:
            v = math.pow(b, p)
        except (ValueError, ZeroDivisionError):
            fail("power of these constants is undefined", node.op_pos)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v):
            fail("constant power overflows", node.op_pos)
        return v
    if isinstance(node, Product):
        for op, w, pos in zip(node.ops[1:], values[1:], node.op_pos[1:], strict=True):
            if op == "/" and w == 0.0:
                fail("division by zero", pos)
    if any(v is None for v in values):
        return None
    if isinstance(node, Neg):
        return -values[0]
    if isinstance(node, Sum):
        v = values[0]
        for op, w in zip(node.ops[1:], values[1:], strict=True):
            v = v + w if op == "+" else v - w
    elif isinstance(node, Product):
        v = values[0]
        for op, w in zip(node.ops[1:], values[1:], strict=True):
            v = v * w if op == "*" else v / w
    else:  # Call
        try:
            v = _CONST_FUNCS[node.func](*values)
        except (ValueError, ZeroDivisionError):
            fail(f"{node.func}() is undefined for this constant argument", node.pos)
        except OverflowError:
            v = math.inf
    if not math.isfinite(v):
        fail("constant subexpression overflows", node.pos)
    return v


_CONST_FUNCS = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "log1p": math.log1p,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "arctan": math.atan,
    "min": min,
    "max": max,
}


# --------------------------------------------------------------------------- compile cost


@dataclass(frozen=True)
class _Factor:
    """One factor of a product as SymPy flattens it: ``(a*b)/(c*d)`` is a*b*c**-1*d**-1."""

    key: tuple  # the structure of the factor: equal keys are equal factors
    power: int  # +1 multiplied, -1 divided
    ops: int
    d: tuple
    degree: float


@dataclass(frozen=True)
class _Cost:
    """Size estimates of a subtree, following SymPy's rules of differentiation.

    ``ops``: operations of its value; ``d``: of its derivative in x and in y (None where it
    does not depend on that variable); ``factors``: the product SymPy flattens it into;
    ``nesting``: deepest nesting of calls; ``degree``: the constant exponent its variables
    carry at the top, which an enclosing constant power multiplies (SymPy writes
    ``(x**a)**b`` as ``x**(a*b)``); ``key``: its structure.
    """

    ops: int
    d: tuple
    factors: tuple
    nesting: int
    degree: float
    key: tuple

    @property
    def size(self) -> int:
        return self.ops + sum(d for d in self.d if d is not None)


def _cost(key: tuple, ops: int, d: tuple, nesting: int, degree: float) -> _Cost:
    """The cost of a subtree that is a single factor."""
    return _Cost(ops, d, (_Factor(key, 1, ops, d, degree),), nesting, degree, key)


def _power_of(ops: int, d: tuple) -> tuple:
    """(ops, d) of u**n from those of u (derivative n u**(n-1) u')."""
    return ops + 1, tuple(None if dv is None else dv + ops + 3 for dv in d)


class _Product:
    """Running size of a flat product and of its derivative (the product rule), factor by factor.

    SymPy's derivative of a product of k factors u_i is the sum over i of u_i' times the k - 1
    others: about k² operations. Equal factors merge into one power (``y*y*y`` is ``y**3``)."""

    def __init__(self):
        self.groups: dict = {}  # key -> [net power, factor]
        self.k = 0  # groups whose net power is not 0
        self.ops = 0  # sum of the groups' ops
        self.d_minus_ops = [0, 0]  # over the groups that depend on each variable: d - ops
        self.dependent = [0, 0]
        self.degree = 0.0

    def _account(self, group, sign: int) -> None:
        power, factor = group
        if power == 0:
            return
        ops, d = (factor.ops, factor.d) if power == 1 else _power_of(factor.ops, factor.d)
        self.k += sign
        self.ops += sign * ops
        for v in range(2):
            if d[v] is not None:
                self.d_minus_ops[v] += sign * (d[v] - ops)
                self.dependent[v] += sign

    def add(self, factor: _Factor, power: int) -> None:
        group = self.groups.setdefault(factor.key, [0, factor])
        self._account(group, -1)
        group[0] += power
        self._account(group, +1)
        self.degree = max(self.degree, abs(group[0]) * factor.degree)

    def size(self) -> int:
        """Operations of the product so far and of its derivatives."""
        ops, d = self.ops_and_d()
        return ops + sum(dv for dv in d if dv is not None)

    def ops_and_d(self) -> tuple:
        k = self.k
        d = tuple(self.d_minus_ops[v] + self.dependent[v] * (self.ops + k) - 1 if self.dependent[v] else None
                  for v in range(2))
        return self.ops + max(k - 1, 0), d

    def cost(self, nesting: int, key: tuple) -> _Cost:
        factors = tuple(_Factor(f.key, 1 if power > 0 else -1, f.ops, f.d, f.degree)
                        for power, f in self.groups.values() for _ in range(abs(power)))
        return _Cost(*self.ops_and_d(), factors, nesting, self.degree, key)


class _CostCheck:
    """Estimates what the generated code of a parsed tree costs; refuses, with the column, what
    would compile too slowly (see the module docstring). The first problem found is kept, and
    reported after the whole tree is measured: nesting first, then the number of calls, the
    combined exponent, the size."""

    def __init__(self, text: str, constants: dict):
        self.text = text
        self.constants = constants  # id(node) -> value of its constant subtrees
        self.calls: list = []
        self.nesting: dict = {}  # id(node) -> its nesting of calls
        self.exponent_problem: tuple | None = None
        self.size_problem: tuple | None = None

    def run(self, root) -> _Cost:
        cost = self.visit(root)
        if cost.nesting > MAX_CALL_NESTING:
            node = root
            while not (isinstance(node, Call) and self.nesting[id(node)] == cost.nesting):
                node = next(k for k in children(node) if self.nesting[id(k)] == cost.nesting)
            self.fail(f"nests {cost.nesting} function calls; at most {MAX_CALL_NESTING} are allowed",
                      node.pos)
        if len(self.calls) > MAX_CALLS:
            extra = sorted(self.calls, key=lambda c: c.pos)[MAX_CALLS]
            self.fail(f"{len(self.calls)} function calls; at most {MAX_CALLS} are allowed", extra.pos)
        for problem in (self.exponent_problem, self.size_problem):
            if problem is not None:
                self.fail(*problem)
        return cost

    def fail(self, reason: str, pos: int):
        raise ExpressionError(reason, text=self.text, pos=pos)

    def check_size(self, size: int, pos: int) -> None:
        if size > MAX_GRADIENT_SIZE and self.size_problem is None:
            self.size_problem = (
                f"the expression and its gradient would take about {size:,} operations; "
                f"at most {MAX_GRADIENT_SIZE:,} are allowed (fewer factors in a product help most)", pos)

    def visit(self, node) -> _Cost:
        if isinstance(node, Number):
            cost = _cost(("number", node.value), 0, (None, None), 0, 0.0)
        elif isinstance(node, Name):
            variable = node.name not in CONSTANTS
            d = tuple(0 if node.name == v else None for v in VARIABLES)
            cost = _cost(("name", node.name), 0, d, 0, float(variable))
        else:
            kids = [self.visit(k) for k in children(node)]
            nesting = max(k.nesting for k in kids)
            if isinstance(node, Neg):  # SymPy: the product -1 * u
                (u,) = kids
                d = tuple(None if dv is None else dv + 1 for dv in u.d)
                cost = _Cost(u.ops + 1, d, u.factors, nesting, u.degree, ("neg", u.key))
            elif isinstance(node, Sum):
                cost = self.sum(node, kids, nesting)
            elif isinstance(node, Product):
                cost = self.product(node, kids, nesting)
            elif isinstance(node, Power):
                cost = self.power(node, kids, nesting)
            else:
                cost = self.call(node, kids, nesting)
            self.check_size(cost.size, node.pos)
        self.nesting[id(node)] = cost.nesting
        return cost

    @staticmethod
    def sum(node: Sum, kids: list, nesting: int) -> _Cost:
        d = []
        for v in range(2):
            parts = [k.d[v] for k in kids if k.d[v] is not None]
            d.append(sum(parts) + len(parts) - 1 if parts else None)
        key = ("sum", node.ops, tuple(k.key for k in kids))
        return _cost(key, sum(k.ops for k in kids) + len(kids) - 1, tuple(d), nesting, 1.0)

    def product(self, node: Product, kids: list, nesting: int) -> _Cost:
        """Measured as the factors add up, so that a refusal points at the operator where the
        product becomes too large."""
        running = _Product()
        for index, (op, kid, pos) in enumerate(zip(node.ops, kids, node.op_pos, strict=True)):
            for factor in kid.factors:
                running.add(factor, factor.power if op == "*" else -factor.power)
            if index > 0:
                self.check_size(running.size(), pos)
        return running.cost(nesting, ("product", node.ops, tuple(k.key for k in kids)))

    def power(self, node: Power, kids: list, nesting: int) -> _Cost:
        base, exponent = kids
        ops = base.ops + exponent.ops + 1
        key = ("power", base.key, exponent.key)
        p = self.constants.get(id(node.exponent))
        if p is not None:  # n b**(n-1) b'
            degree = base.degree * abs(p)
            if degree > MAX_COMBINED_EXPONENT and self.exponent_problem is None:
                self.exponent_problem = (
                    f"nested powers combine to the exponent {degree:.6g}; at most "
                    f"{MAX_COMBINED_EXPONENT} in absolute value is allowed", node.op_pos)
            d = tuple(None if dv is None else base.ops + dv + 3 for dv in base.d)
            return _cost(key, ops, d, nesting, degree)
        d = []  # b**e (e' log(b) + e b'/b)
        for v in range(2):
            if base.d[v] is None and exponent.d[v] is None:
                d.append(None)
            else:
                d.append(ops + 2 * base.ops + exponent.ops + (base.d[v] or 0) + (exponent.d[v] or 0) + 6)
        return _cost(key, ops, tuple(d), nesting, 1.0)

    def call(self, node: Call, kids: list, nesting: int) -> _Cost:
        """f'(u) u' for one argument; min and max: both sides, each with a sign factor."""
        self.calls.append(node)
        d = []
        for v in range(2):
            if all(k.d[v] is None for k in kids):
                d.append(None)
            elif len(kids) == 1:
                d.append(kids[0].ops + 3 + kids[0].d[v] + 1)
            else:
                a, b = kids
                d.append(2 * (a.ops + b.ops + 4) + (a.d[v] or 0) + (b.d[v] or 0) + 3)
        degree = kids[0].degree * 0.5 if node.func == "sqrt" else 1.0  # sqrt(u) is u**(1/2)
        key = ("call", node.func, tuple(k.key for k in kids))
        return _cost(key, sum(k.ops for k in kids) + 1, tuple(d), nesting + 1, degree)


# --------------------------------------------------------------------------- public


def check_param_names(names: Iterable) -> tuple:
    """Validate declared parameter names; return them sorted."""
    names = list(names)
    if len(names) > MAX_PARAMS:
        raise ExpressionError(
            f"too many parameters in params ({len(names)}; at most {MAX_PARAMS})", field="params"
        )
    for name in names:
        if not isinstance(name, str):
            raise ExpressionError(f"parameter name {name!r} in params is not a string",
                                  field="params")
        what = f"invalid parameter name {name!r} in params"
        if name in VARIABLES:
            raise ExpressionError(f"{what}: it clashes with the variable '{name}'", field="params")
        if name in CONSTANTS:
            raise ExpressionError(f"{what}: it clashes with the constant '{name}'", field="params")
        if name in FUNCTIONS:
            raise ExpressionError(f"{what}: it clashes with the function '{name}'", field="params")
        if len(name) > MAX_NAME_LENGTH:
            raise ExpressionError(f"{what}: longer than {MAX_NAME_LENGTH} characters",
                                  field="params")
        if not _IDENTIFIER.match(name):
            raise ExpressionError(
                f"{what}: use letters, digits and '_', starting with a letter", field="params"
            )
        if keyword.iskeyword(name):
            raise ExpressionError(f"{what}: it is a reserved word", field="params")
    if len(set(names)) != len(names):
        raise ExpressionError("duplicate parameter names in params", field="params")
    return tuple(sorted(names))


def parse_expression(text: str, params: Iterable = ()) -> ParsedExpression:
    """Parse and validate ``text``; ``params`` are the declared parameter names.

    Never executes anything; raises :class:`ExpressionError` (and nothing else)
    for any refused input.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, not {type(text).__name__}")
    names = check_param_names(params)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long ({len(text)} characters; at most {MAX_LENGTH})"
        )
    parser = _Parser(text, frozenset(names))
    root = parser.parse()
    constants: dict = {}
    _check_constants(root, text, constants)
    check = _CostCheck(text, constants)
    cost = check.run(root)
    return ParsedExpression(
        text=text,
        root=root,
        param_names=names,
        used_names=frozenset(parser.used),
        node_count=parser.nodes,
        depth=parser.heights[id(root)],
        calls=len(check.calls),
        call_nesting=cost.nesting,
        gradient_size=cost.size,
    )

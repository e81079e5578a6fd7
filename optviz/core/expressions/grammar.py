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
        first = self.term()
        ops, terms, op_pos = ["+"], [first], [first.pos]
        while self.tok.kind == "op" and self.tok.text in "+-":
            tok = self.advance()
            ops.append(tok.text)
            op_pos.append(tok.pos)
            terms.append(self.term())
        if len(terms) == 1:
            return first
        return self.make(Sum(tuple(ops), tuple(terms), tuple(op_pos), first.pos), *terms)

    def term(self):
        first = self.unary()
        ops, factors, op_pos = ["*"], [first], [first.pos]
        while self.tok.kind == "op" and self.tok.text in "*/":
            tok = self.advance()
            ops.append(tok.text)
            op_pos.append(tok.pos)
            factors.append(self.unary())
        if len(factors) == 1:
            return first
        node = Product(tuple(ops), tuple(factors), tuple(op_pos), first.pos)
        return self.make(node, *factors)

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


def _check_constants(node, text: str):
    """Float value of a constant subtree (None if it depends on x, y or parameters).

    Refuses constant parts that are undefined or overflow, and constant exponents
    beyond MAX_EXPONENT (which would make exact symbolic arithmetic explode).
    """

    def fail(reason, pos):
        raise ExpressionError(reason, text=text, pos=pos)

    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, Name):
        return CONSTANTS.get(node.name)
    values = [_check_constants(k, text) for k in children(node)]
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
    _check_constants(root, text)
    return ParsedExpression(
        text=text,
        root=root,
        param_names=names,
        used_names=frozenset(parser.used),
        node_count=parser.nodes,
        depth=parser.heights[id(root)],
    )

"""User-typed landscapes: an expression in x and y with named parameters.

>>> ce = compile_expression("(a - x)**2 + b*(y - x**2)**2", params={"a": 1.0, "b": 100.0})
>>> ce.value_and_grad(0.0, 0.0)
(1.0, -2.0, 0.0)

- grammar.py: text -> validated syntax tree (``parse_expression``); user text
  is never executed.
- symbolic.py: tree -> SymPy, exact gradient.
- codegen.py: SymPy -> generated Python source -> Numba kernels (cached on disk).
- compiled.py: ``compile_expression`` and ``CompiledExpression``.
"""

from optviz.core.expressions.compiled import CompiledExpression, compile_expression
from optviz.core.expressions.grammar import ExpressionError, ParsedExpression, parse_expression

__all__ = [
    "CompiledExpression",
    "ExpressionError",
    "ParsedExpression",
    "compile_expression",
    "parse_expression",
]

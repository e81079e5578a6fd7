"""compile_expression: text + parameters -> Numba-compiled value and exact gradient."""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from optviz.core import codecache
from optviz.core.expressions import codegen
from optviz.core.expressions.grammar import ExpressionError, check_param_names, parse_expression
from optviz.core.expressions.symbolic import SymbolicExpression, to_sympy
from optviz.core.jit import numba


class CompiledExpression:
    """A user-typed landscape, compiled.

    Attributes:
        text: the expression as typed.
        param_names: declared parameter names, **sorted**; parameter arrays hold
            the values in this order (see :meth:`pack_params`).
        defaults: the parameter values given to :func:`compile_expression`.
        symbolic: the SymPy forms (``.f``, ``.dfdx``, ``.dfdy``).
        formula: plain text ``f = ...``, ``df/dx = ...``, ``df/dy = ...`` (3 lines).
        formula_latex: LaTeX of (f, df/dx, df/dy).
        source_path: the generated module (read it to see the code that runs).
        scalar: ``@njit(inline="always")`` ``(x, y, params) -> (f, df/dx, df/dy)``.
        evaluate_tile: ``@njit`` with the signature of the built-in landscapes'
            ``evaluate_tile(landscape_id, params, theta, start, count, loss, grad)``
            (``landscape_id`` is ignored).
        evaluate_points: ``@njit`` ``(xs, ys, params, out_f, out_gx, out_gy)`` over 1-D arrays.
        grid_kernel: ``@njit(parallel=True)`` ``(xs, ys, params, out)``, value only.

    The Numba functions compile on first call (``warm()`` forces it); with a
    writable cache directory the compiled code is reused by later processes. A
    failure to compile raises :class:`ExpressionError`, as every refusal does.
    """

    def __init__(self, core: _Core, defaults: dict):
        self._core = core
        self.text: str = core.sym.parsed.text
        self.param_names: tuple = core.sym.parsed.param_names
        self.symbolic: SymbolicExpression = core.sym
        self.formula: str = core.formula
        self.formula_latex: tuple = core.formula_latex
        self.source_path: Path = Path(core.module.__file__)
        self.scalar = core.module.scalar
        self.evaluate_tile = core.module.evaluate_tile
        self.evaluate_points = core.module.evaluate_points
        self.grid_kernel = core.module.evaluate_grid
        self.defaults: dict = {k: _number(k, v) for k, v in defaults.items()}

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r}, params={self.defaults!r})"

    # -- parameters
    def _pack(self, values: Mapping | None, check_missing: bool = True) -> np.ndarray:
        values = {} if values is None else values
        if not isinstance(values, Mapping):
            raise ExpressionError("params must be a mapping of parameter name to value",
                                  field="params")
        unknown = sorted(set(values) - set(self.param_names), key=str)
        if unknown:
            declared = ", ".join(self.param_names) or "none"
            raise ExpressionError(
                f"unknown parameter {unknown[0]!r} in params (declared: {declared})",
                field="params",
            )
        out = np.zeros(len(self.param_names), dtype=np.float64)
        for k, name in enumerate(self.param_names):
            if name in values:
                out[k] = _number(name, values[name])
            elif name in self.defaults:
                out[k] = self.defaults[name]
            elif check_missing:
                raise ExpressionError(f"missing value of parameter {name!r} in params",
                                      field="params")
        return out

    def pack_params(self, values: Mapping | None = None) -> np.ndarray:
        """float64 array of parameter values in ``param_names`` order.

        Missing names take the defaults given at compile time; unknown names,
        missing values without a default and non-finite values raise
        :class:`ExpressionError` (field ``"params"``).
        """
        return self._pack(values)

    def _params_array(self, params) -> np.ndarray:
        if params is None or isinstance(params, Mapping):
            return self._pack(params)
        p = np.ascontiguousarray(params, dtype=np.float64)
        if p.shape != (len(self.param_names),):
            raise ExpressionError(
                f"params array has shape {p.shape}, expected ({len(self.param_names)},)",
                field="params",
            )
        return p

    # -- evaluation
    def value_and_grad(self, x, y, params=None):
        """(f, df/dx, df/dy) at x, y (broadcast together); floats for scalar input.

        ``params``: an array from :meth:`pack_params`, a mapping, or None (defaults).
        """
        p = self._params_array(params)
        xa, ya = np.broadcast_arrays(np.asarray(x, dtype=np.float64),
                                     np.asarray(y, dtype=np.float64))
        shape = xa.shape
        xs = np.ascontiguousarray(xa).reshape(-1)
        ys = np.ascontiguousarray(ya).reshape(-1)
        f, gx, gy = (np.empty(xs.shape[0]) for _ in range(3))
        _compiled_call(self.evaluate_points, xs, ys, p, f, gx, gy)
        if shape == ():
            return float(f[0]), float(gx[0]), float(gy[0])
        return f.reshape(shape), gx.reshape(shape), gy.reshape(shape)

    def evaluate_grid(self, xs, ys, params=None) -> np.ndarray:
        """Values on the grid ``xs`` x ``ys``: shape (len(ys), len(xs)), float64."""
        p = self._params_array(params)
        xs = np.ascontiguousarray(xs, dtype=np.float64).reshape(-1)
        ys = np.ascontiguousarray(ys, dtype=np.float64).reshape(-1)
        out = np.empty((ys.shape[0], xs.shape[0]), dtype=np.float64)
        _compiled_call(self.grid_kernel, xs, ys, p, out)
        return out

    def warm(self, grid: bool = False) -> None:
        """Compile (or load from cache) the kernels now, for float64 arguments."""
        p = np.zeros(len(self.param_names))
        theta = np.zeros((2, 1))
        _compiled_call(self.evaluate_tile, 0, p, theta, 0, 1, np.empty(1), np.empty((2, 1)))
        self.value_and_grad(np.zeros(1), np.zeros(1), p)
        if grid:
            self.evaluate_grid(np.zeros(1), np.zeros(1), p)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def compile_error(exc: Exception) -> ExpressionError:
    """The one-line refusal of an expression whose generated code failed to compile or load."""
    lines = [_ANSI.sub("", line).strip() for line in str(exc).splitlines()]
    detail = next((line for line in lines if line and not line.startswith("Failed in")), "")
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return ExpressionError(
        f"the expression's generated code could not be compiled ({type(exc).__name__}"
        + (f": {detail}" if detail else "") + "); simplify the expression"
    )


def _compiled_call(function, *args):
    """Call a Numba function of the generated module; a failure to compile is an ExpressionError."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - Numba's and LLVM's errors have no common base
        raise compile_error(exc) from exc


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ExpressionError(f"parameter {name!r} in params must be a number, got {value!r}",
                              field="params")
    if not np.isfinite(float(value)):
        raise ExpressionError(f"parameter {name!r} in params must be finite, got {value!r}",
                              field="params")
    return float(value)


class _Core:
    """What is shared by every compile of the same text and parameter names."""

    def __init__(self, text: str, names: tuple):
        parsed = parse_expression(text, names)
        try:
            self.sym = to_sympy(parsed)
            self.formula = self.sym.formula()
            self.formula_latex = self.sym.latex()
            self.source = codegen.generate_source(self.sym)
        except ExpressionError:
            raise
        except RecursionError as exc:
            raise ExpressionError("the expression is too deeply nested to differentiate") from exc
        except Exception as exc:  # SymPy's own refusals (e.g. AccumulationBounds)
            raise ExpressionError(
                f"the expression could not be differentiated ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            self.module = codegen.load_module(self.source)
            if not self.module.INLINED and not numba.config.DISABLE_JIT:  # compiled once, linked into each kernel
                with codecache.compile_lock(self.module):
                    self.module.point.compile((numba.float64,) * (2 + len(names)))
        except ExpressionError:
            raise
        except Exception as exc:  # noqa: BLE001 - Numba's and LLVM's errors have no common base
            raise compile_error(exc) from exc


@functools.lru_cache(maxsize=256)
def _core(text: str, names: tuple) -> _Core:
    return _Core(text, names)


def compile_expression(
    text: str, params: Mapping | Iterable | None = None
) -> CompiledExpression:
    """Parse, differentiate and compile ``text``.

    ``params`` declares the parameters: a mapping of name to default value, or
    just names. Compiling is memoized per (text, parameter names) in-process;
    the defaults do not matter. Raises :class:`ExpressionError` for anything
    refused; never executes user text.
    """
    if params is None:
        names, defaults = (), {}
    elif isinstance(params, Mapping):
        names, defaults = tuple(params), dict(params)
    elif isinstance(params, str):
        raise ExpressionError("params must be a mapping of parameter name to value",
                              field="params")
    else:
        names, defaults = tuple(params), {}
    names = check_param_names(names)
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, not {type(text).__name__}")
    return CompiledExpression(_core(text, names), defaults)

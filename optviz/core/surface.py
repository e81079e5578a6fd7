"""A loss surface ready to run: what the engine evaluates and what viewers draw.

A :class:`Surface` unifies the kinds of landscape optviz runs on: a built-in
landscape (kernels dispatch on its integer id), a user-typed expression
(compiled to its own tile function), and, later, data-backed losses. Viewers
use its title, formula, bounds, minima and :meth:`evaluate_grid`; the engine
uses ``id``, ``param_values`` and ``tile_function``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.core.landscapes import LandscapeSpec, Minimum, ParamSpec, evaluate_grid, get_landscape, value_and_grad


@dataclass(frozen=True)
class Surface:
    """A landscape with its parameter values fixed."""

    kind: str                                   # "builtin" | "expression"
    name: str                                   # landscape name, or the expression text
    title: str
    formula: str
    description: str
    bounds: tuple[tuple[float, float], tuple[float, float]]
    log_scale: bool
    id: int                                     # the kernels' landscape id (0 for expressions)
    param_values: np.ndarray                    # packed float64 parameters
    params: tuple[ParamSpec, ...] = ()
    known_minima: tuple[Minimum, ...] = ()
    tile_function: Any = field(default=None, repr=False)      # njit tile evaluator, None for built-ins
    cache_key: str | None = None                # identifies tile_function's compiled kernels
    data: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)), repr=False)  # (n, 2) samples
    axis_names: tuple[str, str] = ("x", "y")
    _grid: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _value_and_grad: Callable | None = field(default=None, repr=False)

    @property
    def source(self) -> int:
        """Where gradients come from: 0 the landscape formula, 1 the dataset."""
        return 1 if self.kind == "data" else 0

    def minima(self, params: Any = None) -> tuple[Minimum, ...]:
        """Known minima (and saddles) at this surface's parameter values."""
        return self.known_minima

    def evaluate_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """f on the grid xs × ys: shape (len(ys), len(xs))."""
        xs = np.ascontiguousarray(xs, dtype=np.float64)
        ys = np.ascontiguousarray(ys, dtype=np.float64)
        if self._grid is not None:
            return self._grid(xs, ys)
        return evaluate_grid(self.name, self.param_values, xs, ys)

    def value_and_grad(self, x, y):
        """(f, df/dx, df/dy) at points x, y (NumPy, broadcast)."""
        if self._value_and_grad is not None:
            return self._value_and_grad(x, y)
        return value_and_grad(get_landscape(self.name), self.param_values, x, y)


def builtin_surface(name: str, params: Mapping[str, float] | None = None) -> Surface:
    """A built-in landscape by name; errors name the parameter, value and range."""
    spec: LandscapeSpec = get_landscape(name)
    packed = spec.pack_params(params or {})
    return Surface(
        kind="builtin", name=spec.name, title=spec.title, formula=spec.formula, description=spec.description,
        bounds=spec.bounds, log_scale=spec.log_scale, id=spec.id, param_values=packed, params=spec.params,
        known_minima=tuple(spec.minima(packed)),
    )


def expression_surface(text: str, params: Mapping[str, float] | None = None,
                       bounds: tuple[tuple[float, float], tuple[float, float]] | None = None) -> Surface:
    """A user-typed expression in x and y (parsed, never executed; exact gradient)."""
    from optviz.core.expressions import compile_expression

    params = dict(params or {})
    compiled = compile_expression(text, params)
    packed = compiled.pack_params(params)
    view = bounds or ((-3.0, 3.0), (-3.0, 3.0))
    xs = np.linspace(*view[0], 41)
    ys = np.linspace(*view[1], 41)
    sample = compiled.evaluate_grid(xs, ys, packed)
    finite = sample[np.isfinite(sample)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    scale = float(np.median(np.abs(finite - finite.min()))) if finite.size else 0.0
    log_scale = bool(spread > 0 and scale > 0 and spread / scale > 50)
    names = ", ".join(compiled.param_names)
    return Surface(
        kind="expression", name=text, title="f(x, y) = " + text, formula=compiled.formula.splitlines()[0],
        description="a landscape typed by the user" + (f" (parameters {names})" if names else ""),
        bounds=(tuple(map(float, view[0])), tuple(map(float, view[1]))), log_scale=log_scale, id=0,
        param_values=packed,
        params=tuple(ParamSpec(n, float(params.get(n, 0.0)), -math.inf, math.inf, "parameter of the expression")
                     for n in compiled.param_names),
        tile_function=compiled.evaluate_tile,
        cache_key="expression:" + text + "|" + ",".join(compiled.param_names),
        _grid=lambda xs, ys: compiled.evaluate_grid(xs, ys, packed),
        _value_and_grad=lambda x, y: compiled.value_and_grad(x, y, packed),
    )


def data_surface(model: str, dataset) -> Surface:
    """The full-data loss of a 2-parameter model (linear, logistic, tanh) on a dataset.

    Gradients come from the data (full batch or mini-batches, chosen per group);
    the contour shows the full-data loss. Linear regression's known minimum is
    the least-squares solution.
    """
    from optviz.core.data import full_loss, full_loss_grad, get_model, view_bounds
    from optviz.core.data.models import _least_squares

    spec = get_model(model)
    data = np.ascontiguousarray(dataset.values, dtype=np.float64)
    minima: tuple[Minimum, ...] = ()
    if spec.name == "linear":
        w, b = _least_squares(data)
        minima = (Minimum(w, b, float(full_loss(spec.id, data, w, b)), "global"),)

    def grid(xs, ys):
        from optviz.core.data.gradients import full_loss_points

        gx, gy = np.meshgrid(xs, ys)
        theta = np.ascontiguousarray(np.stack([gx.ravel(), gy.ravel()]))
        out = np.empty(theta.shape[1])
        full_loss_points(spec.id, data, theta, out)
        return out.reshape(gx.shape)

    return Surface(
        kind="data", name=spec.name, title=f"{spec.title} on {dataset.name}", formula=spec.formula,
        description=spec.description, bounds=view_bounds(spec.id, data), log_scale=spec.name != "logistic",
        id=spec.id, param_values=np.zeros(4), known_minima=minima, data=data, axis_names=spec.param_names,
        _grid=grid, _value_and_grad=lambda x, y: full_loss_grad(spec.id, data, x, y),
    )

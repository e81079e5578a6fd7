"""Evaluating built-in landscapes: how kernels call them, images and a NumPy convenience.

``POINT_CALLS`` names each landscape's branch-free scalar function
(:mod:`optviz.core.landscapes.functions`) and its arguments; the particle kernels
(optviz.core.kernels) inline it into their loops, and ``evaluate_points`` runs it
at arbitrary points through a small generated module of its own per landscape.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from optviz.core.landscapes.registry import get_landscape
from optviz.core.landscapes.spec import LandscapeSpec

__all__ = ["POINT_CALLS", "evaluate_grid", "evaluate_points", "value_and_grad"]


#: How the particle kernels call each built-in landscape at one point (x, y): the scalar
#: function of :mod:`optviz.core.landscapes.functions` and its further arguments, as
#: expressions of the packed ``params`` that a kernel evaluates once, before its loops.
POINT_CALLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rosenbrock": ("rosenbrock", ("params[0]", "params[1]")),
    "beale": ("beale", ()),
    "himmelblau": ("himmelblau", ()),
    "rastrigin": ("rastrigin", ("params[0]",)),
    "ackley": ("ackley", ("params[0]", "params[1]", "params[2]")),
    "booth": ("booth", ()),
    "goldstein_price": ("goldstein_price", ()),
    "six_hump_camel": ("six_hump_camel", ()),
    "three_hump_camel": ("three_hump_camel", ()),
    "matyas": ("matyas", ()),
    "styblinski_tang": ("styblinski_tang", ()),
    "levy13": ("levy13", ()),
    "saddle": ("saddle", ()),
    "monkey_saddle": ("monkey_saddle", ()),
    "ravine": ("ravine", ("params[0]", "math.cos(math.radians(params[1]))", "math.sin(math.radians(params[1]))")),
    "plateau": ("plateau", ("params[0]", "params[1]", "params[2]")),
}


def evaluate_points(name: str, params, xs, ys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(f, df/dx, df/dy) of built-in landscape ``name`` at the points (xs[i], ys[i]), float64 1-D.

    Runs the landscape's own small generated module (optviz.core.kernels.points_evaluator),
    which compiles once, in about a second, and is cached on disk.
    """
    from optviz.core.kernels import points_evaluator

    xs = np.ascontiguousarray(xs, dtype=np.float64).reshape(-1)
    ys = np.ascontiguousarray(ys, dtype=np.float64).reshape(-1)
    loss, grad_x, grad_y = np.empty_like(xs), np.empty_like(xs), np.empty_like(xs)
    points_evaluator(name)(np.ascontiguousarray(params, dtype=np.float64), xs, ys, loss, grad_x, grad_y)
    return loss, grad_x, grad_y


def evaluate_grid(name: str, params, xs, ys):
    """f on the grid ``xs`` x ``ys`` of built-in landscape ``name``: (len(ys), len(xs)), row i at y = ys[i]."""
    xs = np.asarray(xs, dtype=np.float64).reshape(-1)
    ys = np.asarray(ys, dtype=np.float64).reshape(-1)
    gx, gy = np.meshgrid(xs, ys)
    return evaluate_points(name, params, gx, gy)[0].reshape(len(ys), len(xs))


def value_and_grad(
    landscape: str | LandscapeSpec,
    params: np.ndarray | Mapping[str, float] | None,
    x,
    y,
):
    """``(f, df/dx, df/dy)`` at points ``x``, ``y`` (broadcast together), as float64.

    ``params`` is a packed array, a ``{name: value}`` mapping of overrides, or None for
    the defaults. Scalars in give float64 scalars out; arrays give arrays of the
    broadcast shape.
    """
    spec = landscape if isinstance(landscape, LandscapeSpec) else get_landscape(landscape)
    packed = spec.unpack_params(params)
    xb, yb = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    shape = xb.shape
    loss, grad_x, grad_y = evaluate_points(spec.name, packed, xb, yb)
    f = loss.reshape(shape)
    gx = grad_x.reshape(shape)
    gy = grad_y.reshape(shape)
    if shape == ():
        return f[()], gx[()], gy[()]
    return f, gx, gy

"""Evaluating landscapes: the tile kernel, the image grid and a NumPy convenience.

``evaluate_landscape_tile`` is what the particle kernels call inside their time
loop, once per tile of particles. It dispatches on the landscape id *outside* the
particle loop, and each per-landscape loop calls a branch-free inlined scalar
function (:mod:`optviz.core.landscapes.functions`), so LLVM vectorizes it across
particles. Hyperparameters are read into locals (and derived constants computed)
before the loop.

The ids below are the positions in :data:`optviz.core.landscapes.registry.LANDSCAPES`;
the tests check that the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.landscapes import functions as fn
from optviz.core.landscapes.registry import get_landscape
from optviz.core.landscapes.spec import LandscapeSpec

__all__ = ["POINT_CALLS", "evaluate_landscape_tile", "evaluate_grid", "value_and_grad"]


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


@njit(**INLINE_OPTIONS)
def evaluate_landscape_tile(landscape_id, params, theta, start, count, loss, grad):
    """Loss and gradient of particles ``start .. start + count - 1``.

    theta: float64 (2, N), row 0 = x, row 1 = y. For j in range(count), particle
    i = start + j: ``loss[j] = f(x_i, y_i)``, ``grad[0, j] = df/dx``,
    ``grad[1, j] = df/dy``. loss (T,) and grad (2, T) float64 with T >= count.
    params: the packed float64 array of ``LandscapeSpec.pack_params``.
    An unknown id writes NaN.
    """
    xs = theta[0, start : start + count]
    ys = theta[1, start : start + count]
    gxs = grad[0, :count]
    gys = grad[1, :count]
    out = loss[:count]
    n = xs.shape[0]
    if landscape_id == 0:
        a = params[0]
        b = params[1]
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.rosenbrock(xs[j], ys[j], a, b)
    elif landscape_id == 1:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.beale(xs[j], ys[j])
    elif landscape_id == 2:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.himmelblau(xs[j], ys[j])
    elif landscape_id == 3:
        a = params[0]
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.rastrigin(xs[j], ys[j], a)
    elif landscape_id == 4:
        a = params[0]
        b = params[1]
        c = params[2]
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.ackley(xs[j], ys[j], a, b, c)
    elif landscape_id == 5:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.booth(xs[j], ys[j])
    elif landscape_id == 6:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.goldstein_price(xs[j], ys[j])
    elif landscape_id == 7:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.six_hump_camel(xs[j], ys[j])
    elif landscape_id == 8:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.three_hump_camel(xs[j], ys[j])
    elif landscape_id == 9:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.matyas(xs[j], ys[j])
    elif landscape_id == 10:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.styblinski_tang(xs[j], ys[j])
    elif landscape_id == 11:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.levy13(xs[j], ys[j])
    elif landscape_id == 12:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.saddle(xs[j], ys[j])
    elif landscape_id == 13:
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.monkey_saddle(xs[j], ys[j])
    elif landscape_id == 14:
        condition = params[0]
        phi = math.radians(params[1])
        cos_phi = math.cos(phi)
        sin_phi = math.sin(phi)
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.ravine(xs[j], ys[j], condition, cos_phi, sin_phi)
    elif landscape_id == 15:
        height = params[0]
        steepness = params[1]
        width = params[2]
        for j in range(n):
            out[j], gxs[j], gys[j] = fn.plateau(xs[j], ys[j], height, steepness, width)
    else:
        for j in range(n):
            out[j] = np.nan
            gxs[j] = np.nan
            gys[j] = np.nan


#: Grid points evaluated per call of the tile kernel by ``evaluate_grid`` (bounds memory).
_GRID_CHUNK = 1 << 16


def evaluate_grid(landscape_id, params, xs, ys):
    """f on the grid ``xs`` x ``ys``: float64 array (len(ys), len(xs)), row i at y = ys[i].

    For landscape images. A plain function that feeds blocks of rows to the compiled
    :func:`evaluate_landscape_tile` (SIMD): a 900 x 700 grid takes a few ms, and it adds
    no kernel of its own to compile (a ``parallel=True`` kernel around the tile kernel
    took about 17 s to compile cold and has an ~8 ms thread start-up floor here).
    """
    xs = np.ascontiguousarray(xs, dtype=np.float64).reshape(-1)
    ys = np.ascontiguousarray(ys, dtype=np.float64).reshape(-1)
    params = np.ascontiguousarray(params, dtype=np.float64)
    nx = xs.shape[0]
    ny = ys.shape[0]
    out = np.empty((ny, nx), dtype=np.float64)
    if nx == 0 or ny == 0:
        return out
    rows = max(1, _GRID_CHUNK // nx)
    theta = np.empty((2, rows * nx), dtype=np.float64)
    grad = np.empty((2, rows * nx), dtype=np.float64)
    flat = out.reshape(-1)
    for i0 in range(0, ny, rows):
        i1 = min(i0 + rows, ny)
        n = (i1 - i0) * nx
        theta[0, :n].reshape(i1 - i0, nx)[:] = xs
        theta[1, :n].reshape(i1 - i0, nx)[:] = ys[i0:i1, None]
        evaluate_landscape_tile(
            int(landscape_id), params, theta, 0, n, flat[i0 * nx : i1 * nx], grad
        )
    return out


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
    n = xb.size
    theta = np.empty((2, n), dtype=np.float64)
    theta[0] = xb.reshape(-1)
    theta[1] = yb.reshape(-1)
    loss = np.empty(n, dtype=np.float64)
    grad = np.empty((2, n), dtype=np.float64)
    evaluate_landscape_tile(int(spec.id), packed, theta, 0, n, loss, grad)
    f = loss.reshape(shape)
    gx = grad[0].reshape(shape)
    gy = grad[1].reshape(shape)
    if shape == ():
        return f[()], gx[()], gy[()]
    return f, gx, gy

"""Exact curvature of a loss surface: Hessians, their eigen-decomposition, sharpness, stability thresholds.

- :func:`hessian` gives the exact Hessian (..., 2, 2) of any :class:`~optviz.core.surface.Surface`
  at arrays of points. Built-in landscapes and typed expressions are differentiated twice by
  SymPy from their expression in optviz's grammar (a built-in's ``LandscapeSpec.expression``)
  and evaluated vectorized by NumPy (``sympy.lambdify`` prints the code from the SymPy tree;
  no user text is ever executed). Data-backed models use their analytic Hessian, the mean over
  the data of the per-sample Hessians.
- :func:`eigen` gives eigenvalues (largest first) and unit eigenvectors of symmetric 2 x 2
  matrices in closed form; :func:`sharpness` is the largest eigenvalue of the Hessian.
- :func:`preconditioned_sharpness` is the largest eigenvalue of P^(-1/2) H P^(-1/2) for a diagonal
  preconditioner P.
- :func:`stability_threshold` is the value the (preconditioned) sharpness is compared against: the
  rule each optimizer's spec names (``OptimizerSpec.stability``, from the linear stability of its
  update on a quadratic; see :mod:`optviz.core.optimizers.stability`).

Where the second derivative does not exist the Hessian is that of the smooth pieces: at the kinks
of abs, min and max the Dirac terms are dropped (0), and at Ackley's cone tip (0, 0) it is NaN.
Points outside the domain (e.g. log of a negative number) give NaN or inf, never a warning.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import sympy

from optviz.core.expressions.grammar import parse_expression
from optviz.core.expressions.symbolic import Abs2, Max2, Min2, X, Y, to_sympy
from optviz.core.optimizers.stability import StabilityThreshold

__all__ = ["hessian", "hessian_entries", "eigen", "sharpness", "preconditioned_sharpness", "curvature_along",
           "symbolic_hessian", "StabilityThreshold", "stability_threshold"]

#: Points evaluated per NumPy pass: every temporary of a pass stays in the CPU's cache.
CHUNK_POINTS = 1 << 14
#: Points x samples per NumPy pass of a data-backed model's Hessian.
SAMPLE_CHUNK = 1 << 18

#: How the printed code calls optviz's own SymPy functions.
_NUMPY_NAMES = {Abs2.__name__: np.abs, Min2.__name__: np.minimum, Max2.__name__: np.maximum}


# --------------------------------------------------------------------------- Hessians

@functools.lru_cache(maxsize=128)
def symbolic_hessian(text: str, param_names: tuple[str, ...]) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    """(d²f/dx², d²f/dxdy, d²f/dy²) of an expression in optviz's grammar, as SymPy expressions.

    The derivatives of sign() (second derivatives of abs, min and max: Dirac deltas at their
    kinks, left unevaluated by SymPy when it cannot tell that the argument is real) are 0.
    """
    sym = to_sympy(parse_expression(text, param_names))
    entries = (sympy.diff(sym.dfdx, X), sympy.diff(sym.dfdx, Y), sympy.diff(sym.dfdy, Y))
    return tuple(_without_sign_derivatives(e) for e in entries)


def _without_sign_derivatives(expr: sympy.Expr) -> sympy.Expr:
    expr = expr.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)
    return expr.replace(lambda e: isinstance(e, sympy.Derivative) and isinstance(e.expr, sympy.sign),
                        lambda e: sympy.S.Zero)


@functools.lru_cache(maxsize=128)
def _hessian_function(text: str, param_names: tuple[str, ...]) -> Callable:
    """NumPy ``(x, y, *params) -> [hxx, hxy, hyy]`` printed by SymPy from the symbolic Hessian.

    ``param_names`` must be sorted (the grammar's order of the parameters).
    """
    sym = to_sympy(parse_expression(text, param_names))
    return sympy.lambdify((X, Y, *sym.params), list(symbolic_hessian(text, param_names)),
                          modules=[_NUMPY_NAMES, "numpy"], cse=True, dummify=True)


def _data_hessian(model_id: int, data: np.ndarray, t0: np.ndarray, t1: np.ndarray):
    """Mean over the samples of the per-sample Hessians in (theta0, theta1) of a data model.

    linear  (w x + b - y)^2:         2 [[x², x], [x, 1]];
    logistic softplus(z) - y z:      s(1 - s) [[x², x], [x, 1]], s = sigmoid(w x + b);
    tanh    (a t - y)^2, t = tanh(b x), r = a t - y, u = 1 - t²:
            [[2 t², 2 x u (a t + r)], [., 2 a x² u (a u - 2 r t)]].
    """
    xs = data[:, 0]
    ys = data[:, 1]
    n = len(xs)
    if model_id == 0:
        return 2.0 * np.mean(xs * xs), 2.0 * np.mean(xs), 2.0
    hxx = np.zeros(t0.shape)
    hxy = np.zeros(t0.shape)
    hyy = np.zeros(t0.shape)
    p0 = t0[:, None]
    p1 = t1[:, None]
    chunk = max(1, SAMPLE_CHUNK // max(1, t0.size))
    for lo in range(0, n, chunk):
        x = xs[lo:lo + chunk]
        y = ys[lo:lo + chunk]
        if model_id == 1:
            e = np.exp(-np.abs(p0 * x + p1))
            s = e / (1.0 + e) ** 2  # sigmoid(z) (1 - sigmoid(z)), overflow-free
            hxx += (s * (x * x)).sum(axis=1)
            hxy += (s * x).sum(axis=1)
            hyy += s.sum(axis=1)
        else:
            t = np.tanh(p1 * x)
            r = p0 * t - y
            u = 1.0 - t * t
            hxx += (2.0 * t * t).sum(axis=1)
            hxy += (2.0 * x * u * (p0 * t + r)).sum(axis=1)
            hyy += (2.0 * p0 * (x * x) * u * (p0 * u - 2.0 * r * t)).sum(axis=1)
    return hxx / n, hxy / n, hyy / n


def _evaluator(surface) -> Callable[[np.ndarray, np.ndarray], tuple]:
    """``(x, y) -> (hxx, hxy, hyy)`` for flat float64 arrays (entries may be scalars) of a surface."""
    if surface.kind == "data":
        return functools.partial(_data_hessian, surface.id, np.asarray(surface.data, dtype=np.float64))
    if surface.kind == "builtin":
        from optviz.core.landscapes import get_landscape

        spec = get_landscape(surface.name)
        if not spec.expression:
            raise ValueError(f"landscape {spec.name!r} has no expression to differentiate")
        text = spec.expression
        params = dict(zip(spec.param_names, surface.param_values.tolist(), strict=False))
    elif surface.kind == "expression":
        text = surface.name
        params = dict(zip((p.name for p in surface.params), surface.param_values.tolist(), strict=True))
    else:
        raise ValueError(f"surface.kind = {surface.kind!r}: must be builtin, expression or data")
    names = tuple(sorted(params))
    function = _hessian_function(text, names)
    values = [float(params[name]) for name in names]
    return lambda x, y: function(x, y, *values)


def _over_chunks(surface, x, y, compute: Callable[..., tuple], n_out: int, *extra) -> tuple[np.ndarray, ...]:
    """``compute(hxx, hxy, hyy, *extra_chunk)`` over points x, y in chunks of :data:`CHUNK_POINTS`.

    ``extra`` arrays have the points' shape plus trailing axes; outputs have the points' shape
    (x and y broadcast together). Chunks keep every temporary in cache, and any float dtype in.
    """
    evaluate = _evaluator(surface)
    xb, yb = np.broadcast_arrays(np.asarray(x), np.asarray(y))
    shape = xb.shape
    xf, yf = xb.reshape(-1), yb.reshape(-1)
    extra = [np.broadcast_to(np.asarray(e), shape + np.shape(e)[len(shape):]) for e in extra]
    extra = [e.reshape((-1, *e.shape[len(shape):])) for e in extra]
    outs = tuple(np.empty(xf.size) for _ in range(n_out))

    def run(lo: int) -> None:
        hi = min(lo + CHUNK_POINTS, xf.size)
        with np.errstate(all="ignore"):
            entries = evaluate(np.asarray(xf[lo:hi], dtype=np.float64), np.asarray(yf[lo:hi], dtype=np.float64))
            for out, value in zip(outs, compute(*entries, *(e[lo:hi] for e in extra)), strict=True):
                out[lo:hi] = value

    starts = range(0, xf.size, CHUNK_POINTS)
    workers = min(len(starts), os.cpu_count() or 1)
    if workers <= 1:
        for lo in starts:
            run(lo)
    else:  # NumPy releases the GIL in its loops: chunks run in parallel on threads
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts))
    return tuple(out.reshape(shape) for out in outs)


def hessian_entries(surface, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(d²f/dx², d²f/dxdy, d²f/dy²) of ``surface`` at points x, y (broadcast together), float64."""
    return _over_chunks(surface, x, y, lambda a, b, c: (a, b, c), 3)


def hessian(surface, x, y) -> np.ndarray:
    """The exact Hessian of ``surface`` at points x, y (broadcast together): shape (..., 2, 2)."""
    hxx, hxy, hyy = hessian_entries(surface, x, y)
    return np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)


# --------------------------------------------------------------------------- eigen-decomposition

def _eigenvalues(a, b, c) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (larger, smaller) of [[a, b], [b, c]]."""
    half = 0.5 * (a - c)
    radius = np.sqrt(half * half + b * b)
    mean = 0.5 * (a + c)
    return mean + radius, mean - radius


def eigen(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (..., 2), largest first, and unit eigenvectors (..., 2, 2) of symmetric 2 x 2 matrices.

    ``vectors[..., :, k]`` is the eigenvector of ``values[..., k]``. Only the lower triangle's
    off-diagonal entry ``h[..., 1, 0]`` is read. NaN entries give NaN values and vectors.
    """
    h = np.asarray(h, dtype=np.float64)
    a, b, c = h[..., 0, 0], h[..., 1, 0], h[..., 1, 1]
    with np.errstate(all="ignore"):
        big, small = _eigenvalues(a, b, c)
        angle = 0.5 * np.arctan2(2.0 * b, a - c)  # direction of the larger eigenvalue
    cos, sin = np.cos(angle), np.sin(angle)
    vectors = np.stack([np.stack([cos, -sin], axis=-1), np.stack([sin, cos], axis=-1)], axis=-2)
    return np.stack([big, small], axis=-1), vectors


def sharpness(surface, x, y) -> np.ndarray:
    """The largest Hessian eigenvalue of ``surface`` at points x, y (broadcast together)."""
    return _over_chunks(surface, x, y, lambda a, b, c: (_eigenvalues(a, b, c)[0],), 1)[0]


def _preconditioned(a, b, c, p):
    """Largest eigenvalue of P^(-1/2) [[a, b], [b, c]] P^(-1/2), P = diag(p[:, 0], p[:, 1]) > 0."""
    inv = np.where(p > 0.0, 1.0 / p, np.nan)
    return _eigenvalues(a * inv[..., 0], b * np.sqrt(inv[..., 0] * inv[..., 1]), c * inv[..., 1])[0]


def curvature_along(surface, x, y, preconditioner=None) -> tuple[np.ndarray, np.ndarray | None]:
    """(sharpness, preconditioned sharpness) of ``surface`` at points x, y in one pass.

    ``preconditioner`` holds the diagonal P at each point, shape (..., 2); None gives None for the
    second result. See :func:`sharpness` and :func:`preconditioned_sharpness`.
    """
    if preconditioner is None:
        return sharpness(surface, x, y), None

    def both(a, b, c, p):
        p = np.asarray(p, dtype=np.float64)
        return _eigenvalues(a, b, c)[0], _preconditioned(a, b, c, p)

    return _over_chunks(surface, x, y, both, 2, preconditioner)


def preconditioned_sharpness(h: np.ndarray, preconditioner: np.ndarray) -> np.ndarray:
    """Largest eigenvalue of P^(-1/2) H P^(-1/2) for Hessians ``h`` (..., 2, 2) and diagonals P (..., 2).

    The eigenvalues are those of P^(-1) H, the curvature the preconditioned step sees. P must be
    positive; other values give NaN.
    """
    h = np.asarray(h, dtype=np.float64)
    p = np.asarray(preconditioner, dtype=np.float64)
    with np.errstate(all="ignore"):
        return _preconditioned(h[..., 0, 0], h[..., 1, 0], h[..., 1, 1], p)


def stability_threshold(optimizer, hyper: Mapping[str, Any], lr=None) -> StabilityThreshold | None:
    """The threshold of an optimizer (spec or name) with resolved hyperparameters ``hyper``, by
    the rule its spec names (:mod:`optviz.core.optimizers.stability`); None where it has none.

    ``lr`` is the learning rate it applies to (a scheduled lr_t, or an array of them); default
    ``hyper["lr"]``. Swept hyperparameters (arrays) give an array.
    """
    from optviz.core.optimizers import get_optimizer

    spec = get_optimizer(optimizer) if isinstance(optimizer, str) else optimizer
    rule = spec.stability
    if rule is None:
        return None
    rate = hyper["lr"] if lr is None else lr
    return rule(hyper, np.asarray(rate, dtype=np.float64) if not np.isscalar(rate) else float(rate))


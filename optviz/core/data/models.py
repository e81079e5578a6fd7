"""The built-in two-parameter models fitted to a dataset, and their per-sample terms.

A model's parameters theta = (theta0, theta1) are the engine's x and y
coordinates. Ids are the position in :data:`MODELS` and are stable (kernels
dispatch on them); new models are appended.

=====  ===========  ======================================  ==========
id     name         loss L(theta0, theta1) over samples      parameters
=====  ===========  ======================================  ==========
0      linear       mean((w x + b - y)^2)                    (w, b)
1      logistic     mean(softplus(z) - y z),  z = w x + b    (w, b)
2      tanh         mean((a tanh(b x) - y)^2)                (a, b)
=====  ===========  ======================================  ==========

The ``*_terms`` functions return one sample's (loss, dL/dtheta0, dL/dtheta1);
the loss of a batch is the mean of its samples' terms. They are exact analytic
derivatives, written branch-free with vectorizable arithmetic only (no ``math``
transcendental: Numba here has no vector exp/log/tanh, PLATFORM.md), so the
kernels' loops over particles run as SIMD:

- exp is :func:`optviz.core.landscapes.fastmath.fast_exp` (within 2 ulp);
- ``log1p(e)`` for e in [0, 1] is ``2 atanh(s)``, s = e / (2 + e) <= 1/3, by its
  series to s^33 (relative error below 2e-16; tested against ``math.log1p``);
- ``softplus(z) = max(z, 0) + log1p(exp(-|z|))`` and ``sigmoid(z)`` from the same
  ``e = exp(-|z|)``: never overflow;
- ``tanh(u) = sign(u) (1 - e) / (1 + e)``, e = exp(-2|u|): absolute error about
  1e-16 (relative error grows like 1e-16 / |u| for tiny u, harmless in a loss).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.landscapes.fastmath import fast_exp

__all__ = ["ModelSpec", "MODELS", "get_model", "model_id", "linear_terms", "logistic_terms",
           "tanh_terms", "model_terms", "log1p_unit", "fast_tanh", "full_loss", "full_loss_grad", "view_bounds"]


# --------------------------------------------------------------------------- scalar terms

@njit(**INLINE_OPTIONS)
def log1p_unit(e):
    """``log1p(e)`` for 0 <= e <= 1, vectorizable (series of 2 atanh(e / (2 + e)))."""
    s = e / (2.0 + e)
    z = s * s
    p = 1.0 / 33.0
    p = 1.0 / 31.0 + z * p
    p = 1.0 / 29.0 + z * p
    p = 1.0 / 27.0 + z * p
    p = 1.0 / 25.0 + z * p
    p = 1.0 / 23.0 + z * p
    p = 1.0 / 21.0 + z * p
    p = 1.0 / 19.0 + z * p
    p = 1.0 / 17.0 + z * p
    p = 1.0 / 15.0 + z * p
    p = 1.0 / 13.0 + z * p
    p = 1.0 / 11.0 + z * p
    p = 1.0 / 9.0 + z * p
    p = 1.0 / 7.0 + z * p
    p = 1.0 / 5.0 + z * p
    p = 1.0 / 3.0 + z * p
    return 2.0 * s + 2.0 * s * (z * p)


@njit(**INLINE_OPTIONS)
def fast_tanh(u):
    """``tanh(u)``, vectorizable, absolute error about 1e-16."""
    e = fast_exp(-2.0 * abs(u))
    t = (1.0 - e) / (1.0 + e)
    return t if u >= 0.0 else -t


@njit(**INLINE_OPTIONS)
def linear_terms(w, b, x, y):
    """(w x + b - y)^2 and its gradient in (w, b)."""
    r = w * x + b - y
    return r * r, 2.0 * r * x, 2.0 * r


@njit(**INLINE_OPTIONS)
def logistic_terms(w, b, x, y):
    """softplus(z) - y z with z = w x + b (label y in {0, 1}) and its gradient in (w, b)."""
    z = w * x + b
    e = fast_exp(-abs(z))
    inv = 1.0 / (1.0 + e)
    sig = inv if z >= 0.0 else e * inv
    loss = max(z, 0.0) + log1p_unit(e) - y * z
    r = sig - y
    return loss, r * x, r


@njit(**INLINE_OPTIONS)
def tanh_terms(a, b, x, y):
    """(a tanh(b x) - y)^2 and its gradient in (a, b)."""
    t = fast_tanh(b * x)
    r = a * t - y
    return r * r, 2.0 * r * t, 2.0 * r * a * x * (1.0 - t * t)


@njit(**INLINE_OPTIONS)
def model_terms(model_id, t0, t1, x, y):
    """The ``*_terms`` of model ``model_id`` (0 linear, 1 logistic, any other id tanh: callers
    check the id first) at one sample.

    The kernels call it in loops over particles with a loop-invariant ``model_id``: LLVM moves
    the branch out of the loop, so each model's loop vectorizes as if written for that model
    alone (checked with Numba 0.68: the tile functions of optviz.core.data.gradients compile to
    the same machine code as with one loop written per model).
    """
    if model_id == 0:
        return linear_terms(t0, t1, x, y)
    if model_id == 1:
        return logistic_terms(t0, t1, x, y)
    return tanh_terms(t0, t1, x, y)


# --------------------------------------------------------------------------- metadata

@dataclass(frozen=True)
class ModelSpec:
    """A model's id, names and formula; ``param_names`` name theta0 and theta1."""

    id: int
    name: str
    title: str
    formula: str
    param_names: tuple[str, str]
    description: str
    labels_binary: bool = False


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(0, "linear", "Linear regression", "L(w, b) = mean((w x + b - y)^2)", ("w", "b"),
              "Least squares: a convex quadratic bowl, elongated when x is far from centred."),
    ModelSpec(1, "logistic", "Logistic regression",
              "L(w, b) = mean(softplus(w x + b) - y (w x + b)),  y in {0, 1}", ("w", "b"),
              "Cross-entropy: convex, flat far from the data; its minimum runs off to "
              "infinity when the classes are separable.", labels_binary=True),
    ModelSpec(2, "tanh", "Non-convex tanh fit", "L(a, b) = mean((a tanh(b x) - y)^2)", ("a", "b"),
              "Symmetric minima at (a, b) and (-a, -b) with a saddle between them; a flat "
              "plateau along b = 0."),
)


def get_model(model: int | str) -> ModelSpec:
    """A model by id or name (KeyError if unknown)."""
    if isinstance(model, (int, np.integer)) and not isinstance(model, bool):
        if 0 <= int(model) < len(MODELS):
            return MODELS[int(model)]
    elif isinstance(model, str):
        for spec in MODELS:
            if spec.name == model.lower():
                return spec
    raise KeyError(f"unknown model {model!r}; known: {', '.join(m.name for m in MODELS)}")


def model_id(model: int | str) -> int:
    return get_model(model).id


# --------------------------------------------------------------------------- NumPy conveniences

def _terms_numpy(mid: int, t0, t1, x, y):
    """Per-sample terms in NumPy, broadcasting t0/t1 against x/y (reference implementation)."""
    if mid == 0:
        r = t0 * x + t1 - y
        return r * r, 2.0 * r * x, 2.0 * r
    if mid == 1:
        z = t0 * x + t1
        sig = np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))),
                       np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))
        loss = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z
        return loss, (sig - y) * x, sig - y
    t = np.tanh(t1 * x)
    r = t0 * t - y
    return r * r, 2.0 * r * t, 2.0 * r * t0 * x * (1.0 - t * t)


def full_loss_grad(model: int | str, data: np.ndarray, theta0, theta1):
    """Full-data loss and gradient at points (NumPy, any broadcastable theta shapes).

    Returns (loss, grad0, grad1) with the shape of ``theta0 + theta1``. Memory is
    O(points x samples) in chunks of samples; for the contour grid and tests.
    """
    mid = model_id(model)
    t0 = np.asarray(theta0, dtype=np.float64)
    t1 = np.asarray(theta1, dtype=np.float64)
    t0, t1 = np.broadcast_arrays(t0, t1)
    data = np.asarray(data, dtype=np.float64)
    n = data.shape[0]
    loss = np.zeros(t0.shape)
    g0 = np.zeros(t0.shape)
    g1 = np.zeros(t0.shape)
    p0 = t0[..., None]
    p1 = t1[..., None]
    chunk = max(1, 2_000_000 // max(1, t0.size))
    for lo in range(0, n, chunk):
        x = data[lo:lo + chunk, 0]
        y = data[lo:lo + chunk, 1]
        lt, a0, a1 = _terms_numpy(mid, p0, p1, x, y)
        loss += lt.sum(axis=-1)
        g0 += a0.sum(axis=-1)
        g1 += a1.sum(axis=-1)
    return loss / n, g0 / n, g1 / n


def full_loss(model: int | str, data: np.ndarray, theta0, theta1):
    """Full-data loss at points (NumPy; see :func:`full_loss_grad`)."""
    return full_loss_grad(model, data, theta0, theta1)[0]


def _least_squares(data: np.ndarray) -> tuple[float, float]:
    x = data[:, 0]
    y = data[:, 1]
    vx = float(np.var(x))
    if vx <= 0.0:
        return 0.0, float(np.mean(y))
    w = float(np.mean((x - x.mean()) * (y - y.mean())) / vx)
    return w, float(y.mean() - w * x.mean())


def _logistic_fit(data: np.ndarray, ridge: float = 1e-3, iters: int = 30) -> tuple[float, float]:
    """Newton's method with a small ridge penalty (finite even for separable data)."""
    x = data[:, 0]
    y = data[:, 1]
    w = np.zeros(2)
    feats = np.stack([x, np.ones_like(x)], axis=1)
    n = len(x)
    for _ in range(iters):
        z = feats @ w
        p = 1.0 / (1.0 + np.exp(-z))
        g = feats.T @ (p - y) / n + ridge * w
        h = (feats * (p * (1.0 - p))[:, None]).T @ feats / n + ridge * np.eye(2)
        step = np.linalg.solve(h, g)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(w[0]), float(w[1])


def view_bounds(model: int | str, data: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """A suggested view ((theta0_min, theta0_max), (theta1_min, theta1_max)) for a dataset.

    Linear: centred on the least-squares solution. Logistic: centred on the
    (slightly ridge-regularized) maximum-likelihood fit. tanh: symmetric about
    the origin so that both minima (a, b) and (-a, -b) and the saddle between
    them show. Spans are at least 2 and grow with the solution's size.
    """
    mid = model_id(model)
    data = np.asarray(data, dtype=np.float64)
    if mid == 0 or mid == 1:
        c0, c1 = _least_squares(data) if mid == 0 else _logistic_fit(data)
        sx = float(np.std(data[:, 0])) or 1.0
        h0 = max(2.0, 1.5 * abs(c0), 2.0 / sx)
        h1 = max(2.0, 1.5 * abs(c1), abs(c0) * abs(float(np.mean(data[:, 0]))))
        return (c0 - h0, c0 + h0), (c1 - h1, c1 + h1)
    ya = float(np.max(np.abs(data[:, 1]))) if len(data) else 1.0
    sx = float(np.std(data[:, 0])) or 1.0
    ha = max(2.0, 1.5 * ya)
    hb = max(2.0, 3.0 / sx)
    return (-ha, ha), (-hb, hb)

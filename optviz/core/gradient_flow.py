"""Gradient flow: the continuous-time path dθ/dt = −∇f(θ) of a surface, from a few starts at once.

:func:`integrate_flow` integrates the flow with the Dormand–Prince 5(4) embedded Runge–Kutta pair
(written out below; adaptive step, local extrapolation: the 5th-order solution is kept, the
embedded 4th-order one only estimates the error), vectorized over the starts: every start has its
own time, step size and accept/reject decision, and all of them advance in one NumPy pass per
stage. The gradient is the surface's exact one (:meth:`Surface.value_and_grad`).

Time convention (:func:`flow_times`): discrete step k of an optimizer with learning rates
η_1, η_2, ... sits beside flow time t_k = η_1 + ... + η_k, which is t_k = k·lr for a constant lr.
Gradient descent θ_k = θ_{k−1} − η_k ∇f(θ_{k−1}) is the explicit Euler method on that time grid,
so for small η it stays within O(η) of the flow; where η times the curvature is near 2 it does not.

Output: the path at requested times only; the integrator steps exactly onto each of them (a step
is shortened to end at the next requested time), so reported positions carry only the
integrator's own error, no interpolation error.

Early stops (per start; later outputs of a stopped path are NaN unless said otherwise):

* ``"stationary"``: after an accepted step the gradient norm is ≤ ``grad_tol``. The flow barely
  moves any more (near a minimum with smallest curvature λ it moves at most ‖∇f‖/λ in all later
  time), so the point is held for every later output (those outputs are valid, not NaN).
* ``"left bounds"``: an accepted step ends outside ``bounds`` (default: the surface's bounds
  widened by their own width and height on every side, a box 3× as wide and tall).
* ``"not finite"``: an accepted step ends where the position or gradient is not finite.
* ``"step limit"``: ``max_steps`` Runge–Kutta steps (accepted and rejected) were taken: a stiff
  path (an explicit method needs steps below about 3.3 / largest curvature) or a kink.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.schedules import learning_rates

__all__ = ["FlowPath", "integrate_flow", "flow_times", "STOP_REASONS"]

#: Why a path ended; ``"done"``: it reached the last requested time.
STOP_REASONS = ("done", "stationary", "left bounds", "not finite", "step limit")

# Dormand & Prince (1980), the RK5(4)7M pair: nodes C, stage coefficients A, the 5th-order weights
# B (equal to the last row of A: first same as last, stage 7 is f at the new point) and E = B − B*,
# the difference to the embedded 4th-order weights B*.
C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
B = np.array(A[6] + (0.0,))
B_STAR = np.array([5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
E = B - B_STAR

_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 5.0


@dataclass(frozen=True)
class FlowPath:
    """The flow from S starts at K requested times.

    ``times`` (K, S); ``positions`` (K, S, 2), NaN where a path had stopped before that time;
    ``reached`` (S,): how many outputs of each start are valid (a prefix); ``reason`` (S,): one of
    :data:`STOP_REASONS`; ``steps`` (S,): Runge–Kutta steps taken, rejected ones included.
    """

    times: np.ndarray
    positions: np.ndarray
    reached: np.ndarray
    reason: tuple[str, ...]
    steps: np.ndarray


def flow_times(steps, lr: float, schedule: Mapping[str, Any] | None = None) -> np.ndarray:
    """Flow time t_k = η_1 + ... + η_k beside each optimizer step k in ``steps`` (integers ≥ 0):
    k·lr for a constant rate, else the sum of a resolved schedule's rates."""
    k = np.asarray(steps, dtype=np.int64)
    if k.size and k.min() < 0:
        raise ValueError(f"steps: {int(k.min())} is not allowed; steps are integers >= 0")
    if schedule is None or schedule.get("kind") == "constant":
        return k * float(lr)
    top = int(k.max()) if k.size else 0
    cumulative = np.concatenate([[0.0], np.cumsum(learning_rates(float(lr), schedule, np.arange(1, top + 1)))])
    return cumulative[k]


def _gradient(surface, y: np.ndarray) -> np.ndarray:
    _, gx, gy = surface.value_and_grad(np.ascontiguousarray(y[:, 0]), np.ascontiguousarray(y[:, 1]))
    return np.stack([np.asarray(gx, dtype=np.float64).reshape(-1), np.asarray(gy, dtype=np.float64).reshape(-1)],
                    axis=1)


def _default_bounds(surface) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.bounds
    w, h = x1 - x0, y1 - y0
    return np.array([[x0 - w, x1 + w], [y0 - h, y1 + h]], dtype=np.float64)


def _rms(v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(v * v, axis=1))


def integrate_flow(surface, starts, times, *, rtol: float = 1e-10, atol: float = 1e-12,
                   bounds=None, grad_tol: float = 1e-10, max_steps: int = 100_000) -> FlowPath:
    """The gradient flow of ``surface`` from ``starts`` (S, 2) at ``times`` (K,) or (K, S).

    Flow time 0 is at the start; ``times`` must be ≥ 0 and non-decreasing along K (per start).
    A step is accepted when the RMS over x and y of the error estimate, each scaled by
    ``atol + rtol·|θ|``, is at most 1. ``bounds`` ((x0, x1), (y0, y1)): where a path is stopped
    as having left (see the module docstring for every early stop).
    """
    y = np.array(starts, dtype=np.float64).reshape(-1, 2)
    n = len(y)
    t_out = np.asarray(times, dtype=np.float64)
    if t_out.ndim == 1:
        t_out = np.repeat(t_out[:, None], n, axis=1)
    if t_out.ndim != 2 or t_out.shape[1] != n:
        raise ValueError(f"times: shape {np.asarray(times).shape} is not allowed; (K,) or (K, {n}) for {n} starts")
    if t_out.size and (not np.all(np.isfinite(t_out)) or t_out.min() < 0 or np.any(np.diff(t_out, axis=0) < 0)):
        raise ValueError("times: not allowed; finite, >= 0 and non-decreasing along the path")
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"rtol, atol: {rtol}, {atol} are not allowed; both must be > 0")
    box = _default_bounds(surface) if bounds is None else np.asarray(bounds, dtype=np.float64).reshape(2, 2)
    n_out = t_out.shape[0]
    out = np.full((n_out, n, 2), np.nan)
    nxt = np.zeros(n, dtype=np.int64)               # next output index per start
    reason = np.zeros(n, dtype=np.int64)            # index into STOP_REASONS
    steps = np.zeros(n, dtype=np.int64)
    t = np.zeros(n)
    k1 = -_gradient(surface, y) if n else np.zeros((0, 2))
    active = np.ones(n, dtype=bool)

    def finish(idx: np.ndarray, why: int) -> None:
        active[idx] = False
        reason[idx] = why

    def record_due(idx: np.ndarray) -> None:
        """Write the current position into every output due at the current time (duplicates too)."""
        while len(idx):
            due = idx[(nxt[idx] < n_out)]
            due = due[t_out[np.minimum(nxt[due], n_out - 1), due] <= t[due]]
            if not len(due):
                return
            out[nxt[due], due] = y[due]
            nxt[due] += 1
            idx = due

    def check(idx: np.ndarray) -> None:
        """Early stops after an accepted step at ``idx`` (and at the start)."""
        bad = ~(np.all(np.isfinite(y[idx]), axis=1) & np.all(np.isfinite(k1[idx]), axis=1))
        finish(idx[bad], 3)
        idx = idx[~bad]
        outside = np.any((y[idx] < box[:, 0]) | (y[idx] > box[:, 1]), axis=1)
        finish(idx[outside], 2)
        idx = idx[~outside]
        record_due(idx)
        still = np.hypot(k1[idx, 0], k1[idx, 1]) <= grad_tol
        held = idx[still]
        for s in held:
            out[nxt[s]:, s] = y[s]
            nxt[s] = n_out
        finish(held, 1)
        done = idx[~still][nxt[idx[~still]] >= n_out]
        finish(done, 0)

    everyone = np.arange(n)
    check(everyone)
    # initial step (Hairer, Nørsett & Wanner, Solving ODEs I, II.4): a step whose Euler error is small
    a = everyone[active]
    h = np.zeros(n)
    if len(a):
        sc = atol + rtol * np.abs(y[a])
        d0, d1 = _rms(y[a] / sc), _rms(k1[a] / sc)
        h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
        f1 = -_gradient(surface, y[a] + h0[:, None] * k1[a])
        d2 = _rms((f1 - k1[a]) / sc) / h0
        dm = np.maximum(d1, d2)
        h1 = np.where(dm <= 1e-15, np.maximum(1e-6, h0 * 1e-3), (0.01 / np.maximum(dm, 1e-300)) ** 0.2)
        h[a] = np.minimum(100.0 * h0, h1)
        h[~np.isfinite(h) | (h <= 0)] = 1e-6

    while np.any(active):
        a = everyone[active]
        target = t_out[nxt[a], a]
        gap = target - t[a]
        clamped = h[a] >= gap
        hh = np.where(clamped, gap, h[a])
        ya, ka = y[a], [k1[a]]
        for i in range(1, 7):
            incr = sum(coef * ka[j] for j, coef in enumerate(A[i]) if coef != 0.0)
            ka.append(-_gradient(surface, ya + hh[:, None] * incr))
        y5 = ya + hh[:, None] * sum(B[j] * ka[j] for j in range(6) if B[j] != 0.0)
        err_vec = hh[:, None] * sum(E[j] * ka[j] for j in range(7) if E[j] != 0.0)
        sc = atol + rtol * np.maximum(np.abs(ya), np.abs(y5))
        with np.errstate(invalid="ignore", over="ignore"):
            err = _rms(err_vec / sc)
        err = np.where(np.isfinite(err), err, np.inf)
        accept = err <= 1.0
        with np.errstate(divide="ignore"):
            factor = np.clip(_SAFETY * err ** -0.2, _MIN_FACTOR, _MAX_FACTOR)
        factor = np.where(accept, factor, np.minimum(factor, 1.0))
        h_new = hh * factor
        # a step shortened to land on an output says nothing against the longer step proposed before
        h[a] = np.where(accept & clamped, np.maximum(h_new, h[a]), h_new)
        steps[a] += 1
        acc = a[accept]
        y[acc] = y5[accept]
        k1[acc] = ka[6][accept]
        t[acc] = np.where(clamped[accept], target[accept], t[acc] + hh[accept])
        check(acc)
        over = a[active[a] & (steps[a] >= max_steps)]
        finish(over, 4)
        tiny = a[active[a] & (h[a] <= 1e-14 * np.maximum(1.0, t[a]))]
        finish(tiny, 4)

    return FlowPath(times=t_out, positions=out, reached=nxt.copy(),
                    reason=tuple(STOP_REASONS[r] for r in reason), steps=steps)

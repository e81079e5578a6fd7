"""Slow, obviously correct NumPy reference of optviz's optimizers, variants and schedules.

Written straight from /work/shared/REFERENCE.md (and the torch.optim source it
cites), one optimizer step at a time, for comparison with the Numba engine.
Nothing here is shared with ``optviz``: landscapes, gradients, optimizer rules,
schedules and the effective-learning-rate diagnostics are all re-derived.

Entry point: :func:`reference_run(case)` with a case = the experiment dict that
``Experiment.from_dict`` takes. It returns a :class:`Reference` with the arrays
that ``run_experiment`` records, at every step (frame t = after step t).

Effective learning rate (REFERENCE.md): for each particle and parameter,
``lr_preconditioned`` is the factor the optimizer multiplies its (corrected)
update direction with at that step, and ``lr_realized`` is
``|theta_t - theta_{t-1}| / |g_{t-1}|`` with ``g`` the landscape gradient at the
position the step started from (NaN where that gradient is 0). Frame 0 of both
is NaN.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- landscapes


def landscape_value_grad(name: str, params: dict[str, Any] | None, x, y):
    """(f, df/dx, df/dy) of a landscape, element-wise over arrays x, y."""
    p = dict(params or {})
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if name == "rosenbrock":
        a = float(p.get("a", 1.0))
        b = float(p.get("b", 100.0))
        r = y - x * x
        f = (a - x) ** 2 + b * r * r
        return f, -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r
    if name == "himmelblau":
        p1 = x * x + y - 11.0
        p2 = x + y * y - 7.0
        return p1 * p1 + p2 * p2, 4.0 * x * p1 + 2.0 * p2, 2.0 * p1 + 4.0 * y * p2
    if name == "beale":
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y**2
        t3 = 2.625 - x + x * y**3
        f = t1 * t1 + t2 * t2 + t3 * t3
        fx = 2.0 * t1 * (y - 1.0) + 2.0 * t2 * (y**2 - 1.0) + 2.0 * t3 * (y**3 - 1.0)
        fy = 2.0 * t1 * x + 4.0 * t2 * x * y + 6.0 * t3 * x * y**2
        return f, fx, fy
    if name == "rastrigin":
        A = float(p.get("A", 10.0))
        w = 2.0 * math.pi
        f = 2.0 * A + (x * x - A * np.cos(w * x)) + (y * y - A * np.cos(w * y))
        return f, 2.0 * x + A * w * np.sin(w * x), 2.0 * y + A * w * np.sin(w * y)
    if name == "ravine":
        k = float(p.get("condition", 10.0))
        phi = math.radians(float(p.get("angle", 0.0)))
        c, s = math.cos(phi), math.sin(phi)
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (u * u + k * v * v), c * u - s * k * v, s * u + c * k * v
    raise ValueError(f"numpy reference has no landscape {name!r}")


def loss_and_grad(landscape: dict[str, Any], theta: np.ndarray):
    """Loss (...,) and gradient (..., 2) at positions theta (..., 2)."""
    f, fx, fy = landscape_value_grad(
        landscape["name"], landscape.get("params"), theta[..., 0], theta[..., 1]
    )
    return f, np.stack([fx, fy], axis=-1)


# --------------------------------------------------------------------------- schedules


def scheduled_lr(base_lr: float, schedule: dict[str, Any] | None, epoch: int) -> float:
    """lr after ``epoch`` scheduler steps (torch closed forms); step t uses epoch t-1."""
    if not schedule:
        return base_lr
    kind = schedule["kind"]
    e = epoch
    if kind == "constant":
        return base_lr
    if kind == "step":
        return base_lr * schedule.get("gamma", 0.1) ** (e // int(schedule["step_size"]))
    if kind == "multistep":
        milestones = sorted(int(m) for m in schedule["milestones"])
        return base_lr * schedule.get("gamma", 0.1) ** bisect.bisect_right(milestones, e)
    if kind == "exponential":
        return base_lr * schedule["gamma"] ** e
    if kind == "cosine":
        eta_min = schedule.get("eta_min", 0.0)
        T = int(schedule["T_max"])
        return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * e / T)) / 2.0
    if kind == "linear":
        start = schedule.get("start_factor", 1.0 / 3.0)
        end = schedule.get("end_factor", 1.0)
        total = int(schedule.get("total_iters", 5))
        return base_lr * (start + (end - start) * min(e, total) / total)
    if kind == "inverse_time":
        rate = schedule["decay_rate"]
        return base_lr / (1.0 + rate * e / schedule.get("decay_steps", 1))
    raise ValueError(f"numpy reference has no schedule {kind!r}")


# --------------------------------------------------------------------------- optimizers

#: Defaults of every hyperparameter and option, per optimizer (torch.optim's, plus
#: optviz's variant options at their torch-equivalent settings).
DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": dict(lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0,
                decoupled_weight_decay=False, momentum_form="torch"),
    "adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10, decoupled_weight_decay=False, eps_placement="outside"),
    "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False, decoupled_weight_decay=False, eps_placement="outside"),
    "adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0,
                     decoupled_weight_decay=False),
    "adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled_weight_decay=False, eps_placement="outside", bias_correction=True),
    "adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   decoupled_weight_decay=False, bias_correction=True),
    "nadam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  momentum_decay=4e-3, decoupled_weight_decay=False, eps_placement="outside"),
    "radam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  decoupled_weight_decay=False, eps_placement="outside"),
    "lion": dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0),
}
DEFAULTS["gd"] = DEFAULTS["sgd"]
DEFAULTS["momentum"] = dict(DEFAULTS["sgd"], momentum=0.9)
DEFAULTS["nesterov"] = dict(DEFAULTS["sgd"], momentum=0.9, nesterov=True)
DEFAULTS["adamw"] = dict(DEFAULTS["adam"], weight_decay=1e-2, decoupled_weight_decay=True)

RULE = {"gd": "sgd", "momentum": "sgd", "nesterov": "sgd", "adamw": "adam"}


def resolved_hyper(optimizer: str, hyper: dict[str, Any] | None) -> dict[str, Any]:
    h = dict(DEFAULTS[optimizer])
    for key, value in (hyper or {}).items():
        if key not in h and not (optimizer == "lion" and key in ("b1", "b2")):
            raise ValueError(f"numpy reference: {optimizer} has no hyperparameter {key!r}")
        h[key] = value
    if optimizer == "lion":
        b1, b2 = h["betas"]
        h["betas"] = (h.pop("b1", b1), h.pop("b2", b2))
    return h


class RefOptimizer:
    """State and one step of one group's optimizer, for arrays of shape (n, 2)."""

    def __init__(self, optimizer: str, hyper: dict[str, Any] | None, theta0: np.ndarray):
        self.name = optimizer
        self.rule = RULE.get(optimizer, optimizer)
        self.h = resolved_hyper(optimizer, hyper)
        self.t = 0
        z = np.zeros_like(theta0)
        self.buf = None  # SGD momentum / RMSprop momentum
        self.m = z.copy()
        self.v = z.copy()
        self.vmax = z.copy()
        self.gbar = z.copy()
        self.u = z.copy()
        self.mu_product = 1.0
        if self.rule == "adagrad":
            self.v = np.full_like(theta0, float(self.h["initial_accumulator_value"]))
        if self.rule == "rmsprop":
            self.buf = z.copy()

    def _weight_decay(self, theta, g, lr):
        """Apply weight decay; returns (theta, g)."""
        wd = self.h.get("weight_decay", 0.0)
        if wd == 0:
            return theta, g
        if self.h.get("decoupled_weight_decay", False):
            return theta * (1.0 - lr * wd), g
        return theta, g + wd * theta

    def _denominator(self, second_moment):
        """sqrt(s) + eps (torch, 'outside') or sqrt(s + eps) ('inside')."""
        eps = self.h["eps"]
        if self.h.get("eps_placement", "outside") == "inside":
            return np.sqrt(second_moment + eps)
        return np.sqrt(second_moment) + eps

    def step(self, theta: np.ndarray, g: np.ndarray, lr: float):
        """One step at scheduled lr. Returns (new theta, preconditioned lr (n, 2))."""
        self.t += 1
        t = self.t
        h = self.h
        ones = np.ones_like(theta)

        if self.rule == "lion":
            b1, b2 = h["betas"]
            c = np.sign(b1 * self.m + (1.0 - b1) * g)
            self.m = b2 * self.m + (1.0 - b2) * g
            return theta - lr * (c + h["weight_decay"] * theta), lr * ones

        theta, g = self._weight_decay(theta, g, lr)

        if self.rule == "sgd":
            mu = h["momentum"]
            d = g
            if mu != 0:
                form = h["momentum_form"]
                if form == "torch":
                    if self.buf is None:
                        self.buf = g.copy()
                    else:
                        self.buf = mu * self.buf + (1.0 - h["dampening"]) * g
                elif form == "ema":
                    self.buf = (0.0 if self.buf is None else mu * self.buf) + (1.0 - mu) * g
                elif form == "dampened":
                    self.buf = (0.0 if self.buf is None else mu * self.buf) + (
                        1.0 - h["dampening"]
                    ) * g
                else:
                    raise ValueError(form)
                d = g + mu * self.buf if h["nesterov"] else self.buf
            return theta - lr * d, lr * ones

        if self.rule == "adagrad":
            clr = lr / (1.0 + (t - 1) * h["lr_decay"])
            self.v = self.v + g * g
            denom = self._denominator(self.v)
            return theta - clr * (g / denom), clr / denom

        if self.rule == "rmsprop":
            alpha = h["alpha"]
            self.v = alpha * self.v + (1.0 - alpha) * g * g
            if h["centered"]:
                self.gbar = self.gbar + (1.0 - alpha) * (g - self.gbar)
                second = self.v - self.gbar * self.gbar
            else:
                second = self.v
            avg = self._denominator(second)
            if h["momentum"] > 0:
                self.buf = h["momentum"] * self.buf + g / avg
                return theta - lr * self.buf, lr / avg
            return theta - lr * (g / avg), lr / avg

        if self.rule == "adadelta":
            rho, eps = h["rho"], h["eps"]
            self.v = rho * self.v + (1.0 - rho) * g * g
            factor = np.sqrt(self.u + eps) / np.sqrt(self.v + eps)
            delta = factor * g
            self.u = rho * self.u + (1.0 - rho) * delta * delta
            return theta - lr * delta, lr * factor

        b1, b2 = h["betas"]
        self.m = self.m + (1.0 - b1) * (g - self.m)
        if self.rule == "adamax":
            self.u = np.maximum(b2 * self.u, np.abs(g) + h["eps"])
            bc1 = 1.0 - b1**t if h["bias_correction"] else 1.0
            return theta - (lr / bc1) * (self.m / self.u), lr / self.u

        self.v = b2 * self.v + (1.0 - b2) * g * g

        if self.rule == "adam":
            second = self.v
            if h["amsgrad"]:
                self.vmax = np.maximum(self.vmax, self.v)
                second = self.vmax
            if h["bias_correction"]:
                bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
            else:
                bc1 = bc2 = 1.0
            if h["eps_placement"] == "inside":
                denom = np.sqrt(second / bc2 + h["eps"])
            else:
                denom = np.sqrt(second) / math.sqrt(bc2) + h["eps"]
            return theta - (lr / bc1) * (self.m / denom), lr / denom

        if self.rule == "nadam":
            md = h["momentum_decay"]
            mu = b1 * (1.0 - 0.5 * 0.96 ** (t * md))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * md))
            self.mu_product *= mu
            bc2 = 1.0 - b2**t
            denom = self._denominator(self.v / bc2)
            theta = theta - lr * (1.0 - mu) / (1.0 - self.mu_product) * (g / denom)
            theta = theta - lr * mu_next / (1.0 - self.mu_product * mu_next) * (self.m / denom)
            return theta, lr / denom

        if self.rule == "radam":
            bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
            mhat = self.m / bc1
            rho_inf = 2.0 / (1.0 - b2) - 1.0
            rho_t = rho_inf - 2.0 * t * b2**t / bc2
            if rho_t > 5.0:
                rect = math.sqrt(
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                )
                if h["eps_placement"] == "inside":  # torch's form with eps moved inside
                    adaptive = math.sqrt(bc2) / np.sqrt(self.v + h["eps"])
                else:
                    adaptive = math.sqrt(bc2) / (np.sqrt(self.v) + h["eps"])
                return theta - mhat * lr * adaptive * rect, lr * rect * adaptive
            return theta - mhat * lr, lr * ones

        raise ValueError(f"numpy reference has no optimizer {self.name!r}")


# --------------------------------------------------------------------------- runs


@dataclass
class Reference:
    positions: np.ndarray  # (frames, N, 2)
    loss: np.ndarray  # (frames, N)
    grad: np.ndarray  # (frames, N, 2)
    lr_preconditioned: np.ndarray  # (frames, N, 2), frame 0 NaN
    lr_realized: np.ndarray  # (frames, N, 2), frame 0 NaN
    lr_scheduled: np.ndarray  # (frames, N): lr used by the step that led to the frame
    group: np.ndarray  # (N,)


def realized_lr(theta_before, theta_after, g_before) -> np.ndarray:
    """|dtheta| / |g| per parameter; NaN where g == 0."""
    absg = np.abs(g_before)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.abs(theta_after - theta_before) / absg
    return np.where(absg == 0, np.nan, out)


def reference_group(case: dict[str, Any], group: dict[str, Any]) -> Reference:
    steps = int(case["run"]["steps"])
    land = case["landscape"]
    init = group["init"]
    if init.get("kind") != "points":
        raise ValueError("numpy reference cases give their start points explicitly")
    theta = np.asarray(init["points"], dtype=np.float64).reshape(-1, 2)
    n = theta.shape[0]
    opt = RefOptimizer(group["optimizer"], group.get("hyper"), theta)
    base_lr = float(opt.h["lr"])
    frames = steps + 1
    pos = np.empty((frames, n, 2))
    loss = np.empty((frames, n))
    grad = np.empty((frames, n, 2))
    pre = np.full((frames, n, 2), np.nan)
    real = np.full((frames, n, 2), np.nan)
    sched = np.full((frames, n), np.nan)
    pos[0] = theta
    loss[0], grad[0] = loss_and_grad(land, theta)
    for t in range(1, frames):
        lr = scheduled_lr(base_lr, group.get("schedule"), t - 1)
        new, pre[t] = opt.step(pos[t - 1].copy(), grad[t - 1].copy(), lr)
        pos[t] = new
        loss[t], grad[t] = loss_and_grad(land, new)
        real[t] = realized_lr(pos[t - 1], pos[t], grad[t - 1])
        sched[t] = lr
    return Reference(pos, loss, grad, pre, real, sched, np.zeros(n, dtype=np.int64))


def reference_run(case: dict[str, Any]) -> Reference:
    """All frames of all groups of ``case`` (particles of the groups in order)."""
    parts = [reference_group(case, g) for g in case["groups"]]
    cat = {
        name: np.concatenate([getattr(p, name) for p in parts], axis=1)
        for name in ("positions", "loss", "grad", "lr_preconditioned", "lr_realized",
                     "lr_scheduled")
    }
    group = np.concatenate([np.full(p.group.shape, i) for i, p in enumerate(parts)])
    return Reference(group=group, **cat)


def bias_correction_factors(beta1: float, beta2: float, t: int) -> tuple[float, float]:
    """(1/(1-beta1^t), 1/(1-beta2^t))."""
    return 1.0 / (1.0 - beta1**t), 1.0 / (1.0 - beta2**t)

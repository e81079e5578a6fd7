"""Trajectories computed by the real torch.optim classes, for comparison with optviz.

A *case* is a plain experiment dict (the dict that ``Experiment.from_dict`` takes,
plus an ``"id"``). :func:`torch_trajectory` runs every group of the case with the
torch.optim class that optviz claims to reproduce (float64, one parameter tensor of
shape (N, 2) per group, loss = sum of the particles' losses, gradients by autograd)
and the matching ``torch.optim.lr_scheduler``, stepped once after each optimizer
step, and returns the positions of all frames.

torch is imported lazily, so that this module (and the fixture-based tests that
import it) can be imported where torch is not installed.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

#: optviz optimizer name -> (torch.optim class name, hyperparameters that optviz
#: adds on top of torch's defaults for that name).
TORCH_OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {"lr": 1e-3}),
    "gd": ("SGD", {"lr": 1e-3}),
    "momentum": ("SGD", {"lr": 1e-3, "momentum": 0.9}),
    "nesterov": ("SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adadelta": ("Adadelta", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
    "adamax": ("Adamax", {}),
    "nadam": ("NAdam", {}),
    "radam": ("RAdam", {}),
}

#: optviz-only options and the value at which they mean "exactly torch".
TORCH_NEUTRAL_OPTIONS: dict[str, Any] = {
    "momentum_form": "torch",
    "eps_placement": "outside",
    "bias_correction": True,
}


class NotATorchCase(ValueError):
    """The case uses something that torch.optim has no counterpart for."""


# --------------------------------------------------------------------------- landscapes


def torch_loss(name: str, params: dict[str, Any] | None, x, y):
    """Per-particle loss of landscape ``name`` as a torch expression of x and y."""
    import torch

    p = dict(params or {})
    if name == "rosenbrock":
        a = float(p.get("a", 1.0))
        b = float(p.get("b", 100.0))
        return (a - x) ** 2 + b * (y - x**2) ** 2
    if name == "himmelblau":
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2
    if name == "beale":
        return (
            (1.5 - x + x * y) ** 2
            + (2.25 - x + x * y**2) ** 2
            + (2.625 - x + x * y**3) ** 2
        )
    if name == "rastrigin":
        A = float(p.get("A", 10.0))
        return (
            2.0 * A
            + (x**2 - A * torch.cos(2.0 * math.pi * x))
            + (y**2 - A * torch.cos(2.0 * math.pi * y))
        )
    if name == "ravine":
        condition = float(p.get("condition", 10.0))
        phi = math.radians(float(p.get("angle", 0.0)))
        c, s = math.cos(phi), math.sin(phi)
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (u**2 + condition * v**2)
    raise NotATorchCase(f"no torch version of landscape {name!r}")


# --------------------------------------------------------------------------- optimizers


def torch_optimizer_spec(optimizer: str, hyper: dict[str, Any] | None) -> tuple[str, dict]:
    """(torch.optim class name, keyword arguments) for an optviz group."""
    if optimizer not in TORCH_OPTIMIZERS:
        raise NotATorchCase(f"torch.optim has no optimizer {optimizer!r}")
    cls_name, base = TORCH_OPTIMIZERS[optimizer]
    kwargs = dict(base)
    for key, value in (hyper or {}).items():
        if key in TORCH_NEUTRAL_OPTIONS:
            if value != TORCH_NEUTRAL_OPTIONS[key]:
                raise NotATorchCase(f"{key}={value!r} is an optviz variant, not torch")
            continue
        if key == "betas":
            value = tuple(float(b) for b in value)
        kwargs[key] = value
    if cls_name == "AdamW":
        if not kwargs.pop("decoupled_weight_decay", True):
            cls_name = "Adam"  # AdamW with L2 weight decay is Adam
            kwargs.setdefault("weight_decay", 1e-2)
    if cls_name not in ("Adam", "NAdam", "RAdam") and "decoupled_weight_decay" in kwargs:
        if kwargs.pop("decoupled_weight_decay") and kwargs.get("weight_decay", 0) != 0:
            raise NotATorchCase(f"torch.optim.{cls_name} has no decoupled_weight_decay")
    kwargs["foreach"] = False  # the plain per-tensor code path, as documented
    return cls_name, kwargs


def torch_scheduler(optimizer, schedule: dict[str, Any] | None):
    """The torch.optim.lr_scheduler object for an optviz schedule dict (or None)."""
    import torch

    if not schedule:
        return None
    s = dict(schedule)
    kind = s.pop("kind")
    sch = torch.optim.lr_scheduler
    if kind == "constant":
        return None
    if kind == "step":
        return sch.StepLR(optimizer, step_size=int(s["step_size"]), gamma=s.get("gamma", 0.1))
    if kind == "multistep":
        return sch.MultiStepLR(
            optimizer, milestones=[int(m) for m in s["milestones"]], gamma=s.get("gamma", 0.1)
        )
    if kind == "exponential":
        return sch.ExponentialLR(optimizer, gamma=s["gamma"])
    if kind == "cosine":
        return sch.CosineAnnealingLR(
            optimizer, T_max=int(s["T_max"]), eta_min=s.get("eta_min", 0.0)
        )
    if kind == "linear":
        return sch.LinearLR(
            optimizer,
            start_factor=s.get("start_factor", 1.0 / 3.0),
            end_factor=s.get("end_factor", 1.0),
            total_iters=int(s.get("total_iters", 5)),
        )
    if kind == "inverse_time":
        rate = float(s["decay_rate"])
        decay_steps = float(s.get("decay_steps", 1))
        return sch.LambdaLR(optimizer, lambda t: 1.0 / (1.0 + rate * t / decay_steps))
    raise NotATorchCase(f"no torch scheduler for schedule kind {kind!r}")


# --------------------------------------------------------------------------- trajectories


@contextlib.contextmanager
def _float64_default():
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def initial_points(group: dict[str, Any]) -> np.ndarray:
    init = group["init"]
    if init.get("kind") != "points":
        raise NotATorchCase("torch reference cases give their start points explicitly")
    return np.asarray(init["points"], dtype=np.float64).reshape(-1, 2)


def torch_group_trajectory(
    case: dict[str, Any], group: dict[str, Any], perturb: float = 0.0, seed: int = 0
) -> np.ndarray:
    """Positions (steps+1, n, 2) of one group, computed by torch.optim.

    ``perturb`` > 0 multiplies the parameters by (1 + perturb * N(0, 1)) after every
    step: a model of another implementation's rounding, to measure how sensitive
    the trajectory is (see scripts/make_torch_fixtures.py).
    """
    import torch

    rng = np.random.default_rng(seed)

    steps = int(case["run"]["steps"])
    land = case["landscape"]
    cls_name, kwargs = torch_optimizer_spec(group["optimizer"], group.get("hyper"))
    with _float64_default():
        theta = torch.tensor(initial_points(group), dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, cls_name)([theta], **kwargs)
        sched = torch_scheduler(opt, group.get("schedule"))
        out = np.empty((steps + 1,) + tuple(theta.shape), dtype=np.float64)
        out[0] = theta.detach().numpy()
        for t in range(1, steps + 1):
            opt.zero_grad()
            loss = torch_loss(land["name"], land.get("params"), theta[:, 0], theta[:, 1]).sum()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            if perturb:
                noise = torch.from_numpy(rng.standard_normal(tuple(theta.shape)))
                with torch.no_grad():
                    theta.mul_(1.0 + perturb * noise)
            out[t] = theta.detach().numpy()
    return out


def torch_trajectory(case: dict[str, Any], perturb: float = 0.0) -> np.ndarray:
    """Positions (steps+1, N, 2) of all particles of ``case`` (groups in order)."""
    parts = [torch_group_trajectory(case, g, perturb, seed=i)
             for i, g in enumerate(case["groups"])]
    return np.concatenate(parts, axis=1)


def torch_loss_and_grad(case: dict[str, Any], positions: np.ndarray):
    """Loss (..., ) and gradient (..., 2) of the case's landscape at ``positions``."""
    import torch

    land = case["landscape"]
    with _float64_default():
        p = torch.tensor(np.asarray(positions, dtype=np.float64), requires_grad=True)
        loss = torch_loss(land["name"], land.get("params"), p[..., 0], p[..., 1])
        (grad,) = torch.autograd.grad(loss.sum(), p)
    return loss.detach().numpy(), grad.numpy()

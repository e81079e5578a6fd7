"""Learning-rate schedules, stepped once per optimizer step (torch.optim.lr_scheduler names).

Step t (1, 2, ...) uses lr_t = schedule(k) with k = t - 1 scheduler steps taken so far:

    constant      lr
    step          lr · γ^⌊k / step_size⌋                          (StepLR)
    multistep     lr · γ^(number of milestones <= k)               (MultiStepLR)
    exponential   lr · γ^k                                         (ExponentialLR)
    cosine        η_min + (lr - η_min)(1 + cos(π k / T_max)) / 2   (CosineAnnealingLR)
    linear        lr · (s + (e - s) · min(k, n) / n)               (LinearLR: the linear warm-up)
    inverse_time  lr / (1 + decay_rate · k / decay_steps)          (1/t decay of the lecture notes)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.inputs import shown
from optviz.core.optimizers.spec import HyperparameterError, HyperSpec


@dataclass(frozen=True)
class ScheduleSpec:
    kind: str
    title: str
    params: tuple[HyperSpec, ...]
    formula: str


def _positive_int(name: str, default, doc: str) -> HyperSpec:
    return HyperSpec(name, default, doc, kind="int", low=1.0)


_GAMMA = "multiplicative factor γ of each decay"

SCHEDULES: dict[str, ScheduleSpec] = {
    s.kind: s
    for s in (
        ScheduleSpec("constant", "Constant", (), "lr"),
        ScheduleSpec("step", "Step decay", (
            _positive_int("step_size", 100, "steps between two decays"),
            HyperSpec("gamma", 0.1, _GAMMA, low=0.0, low_open=True),
        ), "lr · γ^⌊k / step_size⌋"),
        ScheduleSpec("multistep", "Multi-step decay", (
            HyperSpec("milestones", (), "steps at which the rate is multiplied by γ", kind="milestones"),
            HyperSpec("gamma", 0.1, _GAMMA, low=0.0, low_open=True),
        ), "lr · γ^(milestones passed)"),
        ScheduleSpec("exponential", "Exponential decay", (
            HyperSpec("gamma", 0.99, _GAMMA + " (applied every step)", low=0.0, low_open=True),
        ), "lr · γ^k"),
        ScheduleSpec("cosine", "Cosine annealing", (
            _positive_int("T_max", 100, "steps of half a cosine period"),
            HyperSpec("eta_min", 0.0, "minimum learning rate", low=0.0),
        ), "η_min + (lr - η_min)(1 + cos(π k / T_max)) / 2"),
        ScheduleSpec("linear", "Linear warm-up", (
            HyperSpec("start_factor", 1.0 / 3.0, "factor of lr at the first step", low=0.0, low_open=True,
                      high=1.0),
            HyperSpec("end_factor", 1.0, "factor of lr after total_iters steps", low=0.0, high=1.0),
            _positive_int("total_iters", 5, "steps over which the factor moves linearly"),
        ), "lr · (start + (end - start) · min(k, n) / n)"),
        ScheduleSpec("inverse_time", "1/t decay", (
            HyperSpec("decay_rate", 0.01, "decay rate of the 1/t schedule", low=0.0),
            _positive_int("decay_steps", 1, "steps per unit of decay"),
        ), "lr / (1 + decay_rate · k / decay_steps)"),
    )
}


def resolve_schedule(schedule: Mapping[str, Any] | None, where: str = "schedule") -> dict[str, Any]:
    """The schedule with defaults filled in and every value validated; None means constant."""
    if schedule is None:
        return {"kind": "constant"}
    if not isinstance(schedule, Mapping):
        raise HyperparameterError(where, f"{where} = {shown(schedule)} must be a table with a 'kind'")
    kind = schedule.get("kind")
    if not isinstance(kind, str) or kind not in SCHEDULES:
        raise HyperparameterError(
            f"{where}.kind",
            f"{where}.kind = {shown(kind)} is not a known schedule; known: {', '.join(SCHEDULES)}",
        )
    spec = SCHEDULES[kind]
    names = {p.name for p in spec.params}
    for name in schedule:
        if name != "kind" and name not in names:
            allowed = ", ".join(sorted(names)) or "no parameters"
            raise HyperparameterError(
                f"{where}.{name}",
                f"{where}.{name}: unknown parameter {shown(name)} of schedule {kind!r}; allowed: {allowed}",
            )
    resolved: dict[str, Any] = {"kind": kind}
    for p in spec.params:
        value = schedule.get(p.name, p.default)
        if p.kind == "milestones":
            resolved[p.name] = _milestones(value, f"{where}.{p.name}")
        else:
            resolved[p.name] = p.validate(value, where)
    return resolved


def _milestones(value, field_name: str) -> tuple[int, ...]:
    ok = isinstance(value, (list, tuple)) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
    )
    if not ok or list(value) != sorted(value):
        raise HyperparameterError(
            field_name, f"{field_name} = {shown(value)} must be an increasing list of positive integer steps"
        )
    return tuple(value)


def learning_rates(lr: float, schedule: Mapping[str, Any], steps: np.ndarray) -> np.ndarray:
    """lr_t for each optimizer step t in ``steps`` (t >= 1) under a resolved schedule."""
    k = np.asarray(steps, dtype=np.float64) - 1.0
    kind = schedule["kind"]
    if kind == "constant":
        return np.full(k.shape, lr)
    if kind == "step":
        return lr * schedule["gamma"] ** np.floor(k / schedule["step_size"])
    if kind == "multistep":
        passed = np.searchsorted(np.asarray(schedule["milestones"], dtype=np.float64), k, side="right")
        return lr * schedule["gamma"] ** passed
    if kind == "exponential":
        return lr * schedule["gamma"] ** k
    if kind == "cosine":
        eta_min = schedule["eta_min"]
        return eta_min + (lr - eta_min) * (1.0 + np.cos(math.pi * k / schedule["T_max"])) / 2.0
    if kind == "linear":
        s, e, n = schedule["start_factor"], schedule["end_factor"], schedule["total_iters"]
        return lr * (s + (e - s) * np.minimum(k, n) / n)
    if kind == "inverse_time":
        return lr / (1.0 + schedule["decay_rate"] * k / schedule["decay_steps"])
    raise ValueError(f"unknown schedule kind {kind!r}")

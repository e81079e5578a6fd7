"""Learning-rate schedules, stepped once per optimizer step (torch.optim.lr_scheduler names).

Step t (1, 2, ...) uses lr_t = schedule(k) with k = t - 1 scheduler steps taken so far:

    constant      lr
    step          lr · γ^⌊k / step_size⌋                          (StepLR)
    multistep     lr · γ^(number of milestones <= k)               (MultiStepLR)
    exponential   lr · γ^k                                         (ExponentialLR)
    cosine        η_min + (lr - η_min)(1 + cos(π k / T_max)) / 2   (CosineAnnealingLR)
    linear        lr · (s + (e - s) · min(k, n) / n)               (LinearLR: the linear warm-up)
    inverse_time  lr / (1 + decay_rate · k / decay_steps)          (1/t decay of the lecture notes)
    polynomial    lr · (1 - min(k, n) / n)^power                   (PolynomialLR)
    cosine_warm_restarts  cosine from lr to η_min over T_i steps, restarting; T_i = T_0 · T_mult^i
                                                                   (CosineAnnealingWarmRestarts)
    onecycle      lr/div_factor up to lr, then down to lr/(div_factor · final_div_factor)
                  over total_steps (OneCycleLR with max_lr = the group's lr)
    cyclic        between lr and max_lr, triangles of step_size_up + step_size_down steps
                  (CyclicLR with base_lr = the group's lr; modes triangular, triangular2, exp_range)
    sequential    schedules[i] from milestones[i-1] on, each counting its own steps from 0
                  (SequentialLR)

Every schedule is affine in the group's lr (lr_t = lr · a_k + b_k), which the engine
uses for swept learning rates. Only the learning rate is scheduled (torch's OneCycleLR
and CyclicLR also cycle momentum by default: their ``cycle_momentum=False``). OneCycleLR
refuses steps beyond ``total_steps``; optviz holds the last rate there.
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
        ScheduleSpec("polynomial", "Polynomial decay", (
            _positive_int("total_iters", 5, "steps until the rate reaches 0"),
            HyperSpec("power", 1.0, "power of the polynomial", low=0.0, low_open=True),
        ), "lr · (1 - min(k, total_iters) / total_iters)^power"),
        ScheduleSpec("cosine_warm_restarts", "Cosine with warm restarts", (
            _positive_int("T_0", 100, "steps until the first restart"),
            _positive_int("T_mult", 1, "factor by which each period is longer than the last"),
            HyperSpec("eta_min", 0.0, "minimum learning rate", low=0.0),
        ), "η_min + (lr - η_min)(1 + cos(π T_cur / T_i)) / 2, T_i = T_0 · T_mult^i"),
        ScheduleSpec("onecycle", "One cycle (lr = peak)", (
            _positive_int("total_steps", 1000, "steps of the whole cycle"),
            HyperSpec("pct_start", 0.3, "fraction of the cycle spent rising", low=0.0, low_open=True,
                      high=1.0, high_open=True),
            HyperSpec("anneal_strategy", "cos", "shape of each phase", kind="choice", choices=("cos", "linear")),
            HyperSpec("div_factor", 25.0, "the first rate is lr / div_factor", low=0.0, low_open=True),
            HyperSpec("final_div_factor", 1e4, "the last rate is lr / (div_factor · final_div_factor)",
                      low=0.0, low_open=True),
            HyperSpec("three_phase", False, "back down to lr / div_factor before the final annealing",
                      kind="bool"),
        ), "lr/div_factor → lr (pct_start of the steps) → lr/(div_factor · final_div_factor)"),
        ScheduleSpec("cyclic", "Cyclic (lr = base)", (
            HyperSpec("max_lr", 0.01, "the rate at the top of each cycle", low=0.0),
            _positive_int("step_size_up", 2000, "steps from lr up to max_lr"),
            HyperSpec("step_size_down", 0, "steps from max_lr back down to lr (0: same as step_size_up)",
                      kind="int", low=0.0),
            HyperSpec("mode", "triangular", "triangular: constant height; triangular2: halved each cycle; "
                      "exp_range: scaled by gamma^k", kind="choice",
                      choices=("triangular", "triangular2", "exp_range")),
            HyperSpec("gamma", 1.0, "exp_range: the height is scaled by gamma^k", low=0.0, low_open=True,
                      high=1.0),
        ), "lr + (max_lr - lr) · triangle(k) · scale"),
        ScheduleSpec("sequential", "Sequential (chain)", (
            HyperSpec("milestones", (), "steps at which the next schedule takes over", kind="milestones"),
        ), "schedules[i] from milestones[i-1] on, counting from 0"),
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
    names = {p.name for p in spec.params} | ({"schedules"} if kind == "sequential" else set())
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
    if kind == "sequential":
        resolved["schedules"] = _chain(schedule.get("schedules"), resolved["milestones"], where)
    return resolved


def _chain(value, milestones: tuple[int, ...], where: str) -> tuple[dict[str, Any], ...]:
    """The schedules of a sequential chain: one more than its milestones, none of them a chain."""
    field_name = f"{where}.schedules"
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be a list of at least two "
                                  "schedule tables, e.g. [{ kind = \"linear\" }, { kind = \"cosine\" }]")
    if len(value) != len(milestones) + 1:
        raise HyperparameterError(
            f"{where}.milestones", f"{where}.milestones = {shown(list(milestones))} must have one step fewer "
            f"than schedules ({len(value)} schedules: {len(value) - 1} milestones)")
    chain = []
    for i, child in enumerate(value):
        if isinstance(child, Mapping) and child.get("kind") == "sequential":
            raise HyperparameterError(f"{field_name}[{i}].kind", f"{field_name}[{i}].kind = 'sequential' is not "
                                      "allowed: a chain's schedules are not chains themselves")
        chain.append(resolve_schedule(child, f"{field_name}[{i}]"))
    return tuple(chain)


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
    if kind == "polynomial":
        n = schedule["total_iters"]
        return lr * (1.0 - np.minimum(k, n) / n) ** schedule["power"]
    if kind == "cosine_warm_restarts":
        return _warm_restarts(lr, schedule, k)
    if kind == "onecycle":
        return _one_cycle(lr, schedule, k)
    if kind == "cyclic":
        return _cyclic(lr, schedule, k)
    if kind == "sequential":
        out = np.empty(k.shape)
        starts = (0, *schedule["milestones"])
        ends = (*schedule["milestones"], math.inf)
        for child, start, end in zip(schedule["schedules"], starts, ends, strict=True):
            inside = (k >= start) & (k < end)
            out[inside] = learning_rates(lr, child, k[inside] - start + 1.0)
        return out
    raise ValueError(f"unknown schedule kind {kind!r}")


def _warm_restarts(lr: float, s: Mapping[str, Any], k: np.ndarray) -> np.ndarray:
    """CosineAnnealingWarmRestarts: period i lasts T_i = T_0 · T_mult^i steps."""
    t0, mult, eta_min = s["T_0"], s["T_mult"], s["eta_min"]
    if mult == 1:
        t_cur, t_i = np.mod(k, t0), np.full(k.shape, float(t0))
    else:
        n = np.floor(np.log(k / t0 * (mult - 1) + 1.0) / math.log(mult))
        t_cur = k - t0 * (mult**n - 1.0) / (mult - 1)
        t_i = t0 * mult**n
    return eta_min + (lr - eta_min) * (1.0 + np.cos(math.pi * t_cur / t_i)) / 2.0


def _one_cycle(lr: float, s: Mapping[str, Any], k: np.ndarray) -> np.ndarray:
    """OneCycleLR with max_lr = lr: phases (end step, start rate, end rate), annealed by cos or linearly."""
    total, pct = s["total_steps"], s["pct_start"]
    initial = lr / s["div_factor"]
    final = initial / s["final_div_factor"]
    if s["three_phase"]:
        phases = ((pct * total - 1.0, initial, lr), (2.0 * pct * total - 2.0, lr, initial),
                  (total - 1.0, initial, final))
    else:
        phases = ((pct * total - 1.0, initial, lr), (total - 1.0, lr, final))
    k = np.minimum(k, total - 1.0)  # torch refuses steps beyond total_steps: hold the last rate
    out = np.empty(k.shape)
    start_step = 0.0
    done = np.zeros(k.shape, dtype=bool)
    for i, (end_step, start, end) in enumerate(phases):
        here = ~done if i == len(phases) - 1 else ~done & (k <= end_step)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = (k[here] - start_step) / (end_step - start_step)
        if s["anneal_strategy"] == "cos":
            out[here] = end + (start - end) / 2.0 * (np.cos(math.pi * frac) + 1.0)
        else:
            out[here] = (end - start) * frac + start
        done |= here
        start_step = end_step
    return out


def _cyclic(lr: float, s: Mapping[str, Any], k: np.ndarray) -> np.ndarray:
    """CyclicLR with base_lr = lr: a triangle from lr to max_lr and back, its height scaled by the mode."""
    up = float(s["step_size_up"])
    down = float(s["step_size_down"] or s["step_size_up"])
    size = up + down
    cycle = np.floor(1.0 + k / size)
    x = 1.0 + k / size - cycle
    ratio = up / size
    scale = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
    if s["mode"] == "triangular2":
        scale = scale / 2.0 ** (cycle - 1.0)
    elif s["mode"] == "exp_range":
        scale = scale * s["gamma"] ** k
    return lr + (s["max_lr"] - lr) * scale

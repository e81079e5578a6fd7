"""Explain mode's entry point: one update of one particle, sub-step by sub-step.

:func:`explain_update` asks the optimizer's own module (``FAMILIES[spec.family].explain``,
see :mod:`optviz.core.optimizers.steps`) for the sub-steps of update t, θ_{t−1} → θ_t, then
adds what the optimizer does not know: where the gradient came from (exact, a mini-batch,
added noise) and, under a schedule, how η_t was scheduled. :func:`one_particle` picks one
particle's hyperparameters out of a swept group's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.optimizers import FAMILIES, OptimizerSpec
from optviz.core.optimizers.steps import Quantity, SubStep, Text, Update
from optviz.core.schedules import SCHEDULES

__all__ = ["GradientOrigin", "explain_update", "one_particle", "schedule_step"]


@dataclass(frozen=True)
class GradientOrigin:
    """Where a group's gradients come from: a landscape's exact gradient, possibly with added
    noise, or a data-backed loss over all ``n_samples`` or a mini-batch of ``batch_size``."""

    data: bool = False
    n_samples: int = 0
    batch_size: int = 0
    by_epoch: bool = True
    noise: str = "none"
    noise_scale: float = 0.0

    @property
    def minibatch(self) -> bool:
        return self.data and 0 < self.batch_size < self.n_samples

    def describe(self) -> tuple[str, Text]:
        """(formula, explanation) of the gradient sub-step."""
        if self.minibatch:
            formula = "g_{t} = (1/B) Σ_{i ∈ batch_{t}} ∇ℓ_{i}(θ_{t−1})"
            how = (("a new batch each step, each sample once per epoch", "每个样本每轮（epoch）用一次")
                   if self.by_epoch else ("drawn with replacement", "有放回地抽取"))
            text = Text(f"A mini-batch gradient: the mean over B = {self.batch_size} of the "
                        f"{self.n_samples} samples ({how[0]}).",
                        f"小批量梯度：每一步取 {self.n_samples} 个样本中的 B = {self.batch_size} 个"
                        f"（{how[1]}）求其梯度的平均。")
        elif self.data:
            formula = "g_{t} = (1/N) Σ_{i} ∇ℓ_{i}(θ_{t−1})"
            text = Text(f"The full-batch gradient: the mean over all N = {self.n_samples} samples.",
                        f"全批量梯度：全部 N = {self.n_samples} 个样本梯度的平均。")
        else:
            formula, text = "g_{t} = ∇f(θ_{t−1})", Text(
                "The slope of the loss at the particle; −g points downhill.",
                "粒子所在处损失函数的斜率；−g 指向下坡方向。")
        if self.noise != "none":
            kind = {"gaussian": ("Gaussian", "高斯"), "student_t": ("Student-t", "学生 t")}[self.noise]
            formula += " + σ ξ_{t}"
            text = Text(text.en + f" Plus {kind[0]} noise of scale σ = {self.noise_scale:g}.",
                        text.zh + f"再加上尺度 σ = {self.noise_scale:g} 的{kind[1]}噪声。")
        return formula, text


def one_particle(hyper: Mapping[str, Any], index: int) -> dict[str, Any]:
    """The hyperparameters of particle ``index`` of a group: a swept value (an array with one
    value per particle, or a betas pair holding one) becomes that particle's scalar."""

    def pick(value):
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            return value[index].item()
        if isinstance(value, tuple) and any(isinstance(v, np.ndarray) for v in value):
            return tuple(pick(v) for v in value)
        return value

    return {name: pick(value) for name, value in hyper.items()}


def schedule_step(lr: float, schedule: Mapping[str, Any], t: int, lr_t: float) -> SubStep | None:
    """The learning-rate sub-step of a scheduled run: ηₜ from the group's η at step t (None when
    the rate is constant). k = t − 1 scheduler steps have been taken before update t."""
    kind = schedule.get("kind", "constant")
    if kind == "constant":
        return None
    spec = SCHEDULES[kind]
    formula = "η_{t} = " + spec.formula.replace("lr", "η").replace("max_η", "max_lr")
    return SubStep(
        "schedule", Text(f"Learning rate ({spec.title.lower()})", f"学习率调度（{spec.title}）"),
        Text("The schedule sets this step's learning rate ηₜ from the group's η (k = t − 1 steps so far).",
             "调度器根据初始学习率 η 给出这一步的学习率 ηₜ（此前已走 k = t − 1 步）。"),
        formula,
        (Quantity("η", np.float64(lr)), Quantity("k", np.float64(t - 1)), Quantity("η_{t}", np.float64(lr_t))))


def explain_update(spec: OptimizerSpec, hyper: Mapping[str, Any], state, theta, grad, t: int, lr_t: float,
                   carry: float = 1.0, *, origin: GradientOrigin | None = None,
                   schedule: Mapping[str, Any] | None = None) -> Update:
    """Update ``t`` (>= 1) of one particle: from ``theta`` (θ_{t−1}, (2,)) and the optimizer
    ``state`` before it ((S, 2), the spec's STATE order) with the gradient ``grad`` the kernel
    used and the scheduled rate ``lr_t``; ``carry`` is the running value the engine keeps
    (NAdam's Π_{t−1}; 1.0 before the first step). ``hyper``: one particle's resolved values
    (see :func:`one_particle`). ``origin`` and ``schedule`` (resolved) add what the gradient and
    the rate came from to the sub-steps; the numbers do not depend on them.
    """
    if int(t) < 1:
        raise ValueError(f"t = {t!r}: an update's step counter starts at 1")
    family = FAMILIES[spec.family]
    update = family.explain(dict(hyper), np.asarray(state, dtype=np.float64), theta, grad, int(t), float(lr_t),
                            float(carry))
    subs = list(update.substeps)
    if origin is not None and subs and subs[0].key == "gradient":
        formula, text = origin.describe()
        subs[0] = dataclasses.replace(subs[0], formula=formula, text=text)
    if schedule is not None:
        scheduled = schedule_step(float(hyper["lr"]), schedule, int(t), float(lr_t))
        if scheduled is not None:
            subs.insert(1, scheduled)
    return dataclasses.replace(update, substeps=tuple(subs))

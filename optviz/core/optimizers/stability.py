"""Stability thresholds: the sharpness above which an optimizer's iteration on a quadratic is unstable.

Each optimizer's spec names its rule (``OptimizerSpec.stability``, None where no linear threshold
applies: NAdam's momentum schedule μ_t changes with t, Lion's sign step is not linear in the
gradient); :func:`optviz.core.curvature.stability_threshold` applies it. The thresholds are exact for a
quadratic with the preconditioner held fixed and bias corrections at their limit 1 (Adam-like
methods after their first few dozen steps):

- SGD (GD, heavy-ball, any momentum form with gradient weight c = 1 - τ, or 1 - μ for the EMA
  form): 2/lr without momentum, 2(1 + μ)/(c lr) with it;
- Nesterov: (2 + 2μ)/((1 + 2μ) lr) (c = 1; in general (2 + 2μ)/((1 + μ + μc) lr));
- L2 weight decay λ_wd (SGD): the threshold minus λ_wd (the decay adds λ_wd to the curvature);
  decoupled decay replaces the 2 in (1 + d) by 1 + d, d = 1 - lr λ_wd;
- AdaGrad, Adadelta: 2/lr, RMSProp 2(1 + μ)/lr, Adam, AdamW, Adamax, RAdam
  (2 + 2β1)/((1 - β1) lr), each on the preconditioned sharpness; an adaptive method's coupled
  L2 term is not part of it (it adds λ_wd/P_i, negligible for small λ_wd).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["StabilityThreshold", "sgd", "preconditioned_gd", "rmsprop", "adam"]


@dataclass(frozen=True)
class StabilityThreshold:
    """The sharpness above which an optimizer's iteration on a quadratic is unstable.

    ``quantity`` is what it bounds: "sharpness" (the Hessian's largest eigenvalue) or
    "preconditioned_sharpness" (that of P^(-1/2) H P^(-1/2)). ``value`` is a float, or an array
    when a hyperparameter or the learning rate is one. ``formula`` names it, ``source`` says
    where it comes from.
    """

    quantity: str
    value: Any
    formula: str
    source: str


_QUADRATIC = ("linear stability of the update on f = λ θ²/2 (roots of its characteristic polynomial "
              "inside the unit circle, Jury's criterion)")
_COHEN_2021 = "Cohen et al. 2021, Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability"
_COHEN_2022 = "Cohen et al. 2022, Adaptive Gradient Methods at the Edge of Stability"


def _decay(h: Mapping[str, Any], lr) -> Any:
    """The decoupled weight-decay factor d = 1 - lr λ (1 without decoupled decay)."""
    return 1.0 - lr * h.get("weight_decay", 0.0) if h.get("decoupled_weight_decay", False) else 1.0


def _heavy_ball(momentum, mix, d, lr):
    """Largest stable λ of θ ← d θ - lr b, b ← μ b + c λ θ (plain GD when μ = 0): (1 + d)(1 + μ)/(c lr)."""
    momentum = np.asarray(momentum, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        with_momentum = (1.0 + d) * (1.0 + momentum) / (mix * lr)
        return np.where(momentum == 0.0, (1.0 + d) / lr, with_momentum)


def sgd(h: Mapping[str, Any], lr) -> StabilityThreshold:
    momentum = np.asarray(h["momentum"], dtype=np.float64)
    mix = 1.0 - (momentum if h["momentum_form"] == "ema" else np.asarray(h["dampening"], dtype=np.float64))
    d = _decay(h, lr)
    l2 = 0.0 if h.get("decoupled_weight_decay", False) else np.asarray(h["weight_decay"], dtype=np.float64)
    if h["nesterov"]:
        # θ ← d θ - lr (λ θ + μ b), b ← μ b + c λ θ: stable while lr λ < min((1+d)(1+μ)/(1+μ+μc), d + 1/μ).
        with np.errstate(divide="ignore"):
            value = np.minimum((1.0 + d) * (1.0 + momentum) / (1.0 + momentum + momentum * mix),
                               d + 1.0 / momentum) / lr
        formula = "(2 + 2μ)/((1 + 2μ) lr)"
        source = f"{_COHEN_2021}, appendix on momentum (Nesterov); {_QUADRATIC}"
    else:
        value = _heavy_ball(momentum, mix, d, lr)
        formula = "2(1 + μ)/lr" if np.any(momentum != 0.0) else "2/lr"
        source = f"{_COHEN_2021}; {_QUADRATIC}"
    # L2 weight decay adds λ_wd to every curvature: the loss's sharpness may reach the threshold - λ_wd.
    return StabilityThreshold("sharpness", _plain(value - l2), formula, source)


def preconditioned_gd(h: Mapping[str, Any], lr) -> StabilityThreshold:
    """Preconditioned gradient descent (AdaGrad, Adadelta): 2/lr on the preconditioned sharpness."""
    return StabilityThreshold("preconditioned_sharpness", _plain(_heavy_ball(0.0, 1.0, _decay(h, lr), lr)),
                              "2/lr", f"{_COHEN_2022}; {_QUADRATIC} with P frozen")


def rmsprop(h: Mapping[str, Any], lr) -> StabilityThreshold:
    """RMSProp (b ← μ b + g/P, θ ← θ - lr b): heavy-ball on the preconditioned problem, 2(1 + μ)/lr."""
    momentum = h["momentum"]
    return StabilityThreshold("preconditioned_sharpness", _plain(_heavy_ball(momentum, 1.0, _decay(h, lr), lr)),
                              "2(1 + μ)/lr" if np.any(np.asarray(momentum) != 0.0) else "2/lr",
                              f"{_COHEN_2022}; {_QUADRATIC} with P frozen")


def adam(h: Mapping[str, Any], lr) -> StabilityThreshold:
    """Adam-like (m ← β1 m + (1 - β1) g, θ ← θ - lr m/P): (2 + 2β1)/((1 - β1) lr), bias corrections → 1."""
    beta1 = np.asarray(h["betas"][0], dtype=np.float64)
    return StabilityThreshold("preconditioned_sharpness", _plain(_heavy_ball(beta1, 1.0 - beta1, _decay(h, lr), lr)),
                              "(2 + 2β1)/((1 - β1) lr)", f"{_COHEN_2022}; {_QUADRATIC} with P frozen")


def _plain(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value

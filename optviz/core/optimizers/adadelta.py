"""Adadelta (torch.optim.Adadelta).

State: square average v, accumulated squared update u.
Preconditioned LR: lr_t √(u + eps) / √(v + eps) (u before this step's update).
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import flush, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    decoupled_weight_decay,
    eps,
    lr,
    weight_decay,
)

FAMILY = "adadelta"

STATE = ("square_avg", "acc_delta")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
v ← ρ v + (1 - ρ) g²
Δ = √(u + eps) / √(v + eps) · g
u ← ρ u + (1 - ρ) Δ²
θ ← θ - lr_t Δ
"""

STATE_DOCS = (
    StateDoc("square_avg", "v", "running mean of g²", "the scale of the gradients"),
    StateDoc("acc_delta", "u", "running mean of Δ²", "the scale of the updates"),
)

SPECS = (
    OptimizerSpec(
        "adadelta", "Adadelta", FAMILY, "Adadelta",
        (
            lr(1.0),
            HyperSpec("rho", 0.9, "decay rate ρ of both running averages", low=0.0, high=1.0, high_open=True),
            eps(1e-6),
            weight_decay(),
            decoupled_weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t √(u + eps) / √(v + eps) per parameter",
        "Step sizes from the ratio of running RMS of updates and of gradients.",
        state_docs=STATE_DOCS, stability=stability.preconditioned_gd, preconditioned=True,
    ),
)


COLUMNS = ("rho", "eps", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay")


def columns(h: dict) -> dict:
    """Kernel columns: ρ, eps, weight decay."""
    return {"rho": h["rho"], "eps": h["eps"], **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, rho, eps, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    return carry, lr, l2, decay


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, square_avg, acc_delta, rho, eps, weight_decay, decoupled, rate, l2, decay):
    """One parameter's step: (new θ, new E[g²], new E[Δ²], preconditioned LR)."""
    g = grad + l2 * theta
    v = flush(rho * square_avg + (1.0 - rho) * g * g)
    scale = np.sqrt(acc_delta + eps) / np.sqrt(v + eps)
    delta = scale * g
    acc = flush(rho * acc_delta + (1.0 - rho) * delta * delta)
    return theta * decay - rate * delta, v, acc, rate * scale


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s arithmetic.

    E[g²]_t is torch's ``square_avg``, E[Δ²]_t its ``acc_delta``.
    """
    theta, grad = ex.pair(theta), ex.pair(grad)
    square_avg, acc_delta = ex.state_pairs(state)
    rho, eps = float(hyper["rho"]), float(hyper["eps"])
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)

    g = grad + l2 * theta
    v = ex.flush(rho * square_avg + (1.0 - rho) * g * g)
    scale = np.sqrt(acc_delta + eps) / np.sqrt(v + eps)
    delta = scale * g
    acc = ex.flush(rho * acc_delta + (1.0 - rho) * delta * delta)
    new_theta = ex.flush(theta * decay - lr_t * delta)

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    subs.append(ex.squared_gradient_average_step(
        "ρ", "ρ", rho, square_avg, v,
        ex.Text("E[g²] keeps ρ of its past and takes 1 − ρ of g², as RMSProp does.",
                "E[g²] 保留 ρ 倍的过去值并加入 1 − ρ 倍的 g²，与 RMSProp 相同。")))
    subs.append(ex.SubStep(
        "precondition", ex.Text("Update in the units of θ", "以 θ 的量纲计算更新"),
        ex.Text("The RMS of past updates over the RMS of gradients turns g into a step with θ's units.",
                "过去更新量的均方根除以梯度的均方根，把 g 变成与 θ 同量纲的更新量。"),
        "Δ_{t} = √(E[Δ^{2}]_{t−1} + ε) / √(E[g^{2}]_{t} + ε) · g_{t}",
        (ex.Quantity("ε", np.float64(eps)), ex.Quantity("E[Δ^{2}]_{t−1}", acc_delta, "acc_delta"),
         ex.Quantity("√(E[Δ^{2}]_{t−1} + ε) / √(E[g^{2}]_{t} + ε)", scale), ex.Quantity("Δ_{t}", delta))))
    subs.append(ex.SubStep(
        "accumulate_update", ex.Text("Average of squared updates", "更新量平方的滑动平均"),
        ex.Text("E[Δ²] remembers how large the updates have been, for the next step.",
                "E[Δ²] 记住近期更新量的大小，供下一步使用。"),
        "E[Δ^{2}]_{t} = ρ E[Δ^{2}]_{t−1} + (1 − ρ) Δ_{t}^{2}",
        (ex.Quantity("E[Δ^{2}]_{t}", acc, "acc_delta"),)))
    subs.append(ex.step_substep(
        ex.step_formula(hyper, decoupled, "η_{t} Δ_{t}"),
        ex.Text("Move by ηₜ times the update (torch's lr, 1.0 by default).",
                "移动 ηₜ 倍的更新量（torch 的 lr，默认 1.0）。"),
        theta, new_theta, lr_t, "Δ_{t}", delta))
    return ex.Update("adadelta", int(t), float(lr_t), theta, grad, new_theta, np.array([square_avg, acc_delta]),
                     np.array([v, acc]), float(carry), float(carry), lr_t * scale, tuple(subs))

"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and momentum decay.

State: first moment m, second moment v. Preconditioned LR: lr_t / s.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import adam_moments, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import Corrected, Factor, HyperSpec, OptimizerSpec, StateDoc, adam_hypers

FAMILY = "nadam"

STATE = ("exp_avg", "exp_avg_sq")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
μ_t = β₁ (1 - ½·0.96^(tψ)),  μ_{t+1} likewise,  Π_t = μ₁ μ₂ … μ_t
m ← β₁ m + (1 - β₁) g        v ← β₂ v + (1 - β₂) g²
s = √(v / (1 - β₂ᵗ)) + eps                   (eps_placement = "inside": √(v/(1 - β₂ᵗ) + eps))
θ ← θ - lr_t (1 - μ_t)/(1 - Π_t) · g / s - lr_t μ_{t+1}/(1 - Π_t μ_{t+1}) · m / s

ψ = momentum_decay, t = 1, 2, ... the step.
"""

STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "the direction, mixed with g by the μ schedule"),
    StateDoc("exp_avg_sq", "v", "second moment", "the scale"),
)

FACTORS = (
    Factor("mu", "μ_t", "momentum weight β₁(1 − ½·0.96^(tψ)), rising from β₁/2 toward β₁"),
    Factor("bc2", "1/(1−β₂ᵗ)", "bias correction of v"),
)

CORRECTED = (Corrected("v̂", "v / (1−β₂ᵗ)", "exp_avg_sq", "bc2"),)


def factor_values(h, t: np.ndarray) -> dict:
    """μ_t = β₁ (1 - ½·0.96^(tψ)) and 1/(1 - β₂ᵗ) at steps t."""
    beta1, beta2 = h["betas"]
    return {"mu": beta1 * (1.0 - 0.5 * 0.96 ** (t * h["momentum_decay"])), "bc2": 1.0 / (1.0 - beta2**t)}


SPECS = (
    OptimizerSpec(
        "nadam", "NAdam", FAMILY, "NAdam",
        adam_hypers(2e-3, (HyperSpec("momentum_decay", 4e-3, "momentum decay ψ of the Nesterov schedule μ_t",
                                     low=0.0),)),
        STATE,
        UPDATE_RULE,
        "lr_t / (√v̂ + eps) per parameter",
        "Adam whose momentum looks ahead, as Nesterov's does.",
        state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values, corrected=CORRECTED,
        preconditioned=True,  # no linear threshold: μ_t changes with t
    ),
)


COLUMNS = ("beta1", "beta2", "eps", "eps_inside", "momentum_decay", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "bc2", "coef_g", "coef_m")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, eps inside (0/1), ψ, weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            "momentum_decay": h["momentum_decay"], **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, eps_inside, momentum_decay, weight_decay, decoupled):
    """Step t's scalars; ``carry`` is Π_{t-1} (torch's mu_product, 1 before the first step), returned as Π_t.

    lr_t, L2 λ, decoupled factor, 1 - β₂ᵗ, and the (negative) coefficients of g/s and m/s.
    """
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * momentum_decay))
    product = carry * mu
    coef_g = -lr * (1.0 - mu) / (1.0 - product)
    coef_m = -lr * mu_next / (1.0 - product * mu_next)
    return product, lr, l2, decay, 1.0 - beta2**t, coef_g, coef_m


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, eps_inside, momentum_decay, weight_decay,
         decoupled, rate, l2, decay, bc2, coef_g, coef_m):
    """One parameter's step: (new θ, new m, new v, preconditioned LR)."""
    g, m, v = adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    s = np.sqrt(v / bc2 + eps) if eps_inside != 0.0 else np.sqrt(v / bc2) + eps
    partial = theta * decay + coef_g * (g / s)
    return partial + coef_m * (m / s), m, v, rate / s


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s and
    ``coefficients``' arithmetic. ``carry`` is Π_{t−1} = μ₁ ⋯ μ_{t−1} (1.0 before the first step)."""
    theta, grad = ex.pair(theta), ex.pair(grad)
    exp_avg, exp_avg_sq = ex.state_pairs(state)
    beta1, beta2 = (float(b) for b in hyper["betas"])
    eps, psi = float(hyper["eps"]), float(hyper["momentum_decay"])
    inside = hyper["eps_placement"] == "inside"
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    tf = float(t)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (tf * psi))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((tf + 1.0) * psi))
    product = float(carry) * mu
    coef_g = -lr_t * (1.0 - mu) / (1.0 - product)
    coef_m = -lr_t * mu_next / (1.0 - product * mu_next)
    bc2 = 1.0 - beta2**tf

    g, m, v = ex.adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    denom = np.sqrt(v / bc2 + eps) if inside else np.sqrt(v / bc2) + eps
    partial = theta * decay + coef_g * (g / denom)
    new_theta = ex.flush(partial + coef_m * (m / denom))

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    subs.append(ex.SubStep(
        "momentum_schedule", ex.Text("Momentum schedule", "动量系数的调度"),
        ex.Text("NAdam's momentum weight μₜ rises from β₁/2 toward β₁; Πₜ is their running product.",
                "NAdam 的动量系数 μₜ 从 β₁/2 逐渐升到 β₁;Πₜ 是它们的累乘。"),
        "μ_{t} = β_{1} (1 − ½ · 0.96^{tψ}),   Π_{t} = Π_{t−1} μ_{t}",
        (ex.Quantity("ψ", np.float64(psi)), ex.Quantity("μ_{t}", np.float64(mu)),
         ex.Quantity("μ_{t+1}", np.float64(mu_next)), ex.Quantity("Π_{t−1}", np.float64(carry)),
         ex.Quantity("Π_{t}", np.float64(product)))))
    subs += [ex.first_moment_step(exp_avg, m, beta1), ex.second_moment_step(exp_avg_sq, v, beta2)]
    v_hat = v / bc2
    subs.append(ex.moment_correction_step(
        "v", t, bc2, v_hat, ex.Text("Bias correction of v", "v 的偏差修正"),
        ex.Text("v starts at 0, so it is divided by 1 − β₂ᵗ; m is corrected inside the look-ahead.",
                "v 从 0 开始，所以除以 1 − β₂ᵗ;m 的修正在前瞻一步中完成。")))
    weight_g, weight_m = (1.0 - mu) / (1.0 - product), mu_next / (1.0 - product * mu_next)
    look = weight_g * g + weight_m * m
    subs.append(ex.SubStep(
        "nesterov", ex.Text("Nesterov look-ahead", "Nesterov 前瞻"),
        ex.Text("The direction mixes the new gradient with the next step's momentum: a look ahead.",
                "方向把新梯度与下一步的动量混合：向前看一步。"),
        "m̄_{t} = (1 − μ_{t}) / (1 − Π_{t}) · g_{t} + μ_{t+1} / (1 − Π_{t} μ_{t+1}) · m_{t}",
        (ex.Quantity("(1 − μ_{t}) / (1 − Π_{t})", np.float64(weight_g)),
         ex.Quantity("μ_{t+1} / (1 − Π_{t} μ_{t+1})", np.float64(weight_m)), ex.Quantity("m̄_{t}", look)),
        (ex.Arrow("momentum", -look, "−m̄_{t}"),)))
    subs += ex.adam_closing_substeps(
        hyper, decoupled, inside, eps, denom, theta, new_theta, lr_t, "m̄_{t}", look,
        ex.Text("Move along the look-ahead direction, each parameter scaled by its own step size.",
                "沿前瞻方向移动，每个参数按自己的步长缩放。"))
    return ex.Update("nadam", int(t), float(lr_t), theta, grad, new_theta, np.array([exp_avg, exp_avg_sq]),
                     np.array([m, v]), float(carry), float(product), lr_t / denom, tuple(subs))

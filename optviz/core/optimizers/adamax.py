"""Adamax (torch.optim.Adamax): Adam with an infinity-norm second moment.

State: first moment m, infinity norm u. Preconditioned LR: lr_t / u.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.adam import bias_terms
from optviz.core.optimizers.common import flush, lerp, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    Corrected,
    Factor,
    OptimizerSpec,
    StateDoc,
    betas,
    bias_correction,
    decoupled_weight_decay,
    eps,
    lr,
    weight_decay,
)

FAMILY = "adamax"

STATE = ("exp_avg", "exp_inf")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
m ← β₁ m + (1 - β₁) g
u ← max(β₂ u, |g| + eps)
θ ← θ - lr_t / (1 - β₁ᵗ) · m / u             (bias_correction = false: no 1/(1 - β₁ᵗ))
"""

STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "the direction"),
    StateDoc("exp_inf", "u", "infinity norm", "the scale: running maximum of |g|"),
)

FACTORS = (Factor("bc1", "1/(1−β₁ᵗ)", "bias correction of m", switch="bias_correction"),)

CORRECTED = (Corrected("m̂", "m / (1−β₁ᵗ)", "exp_avg", "bc1"),)


def factor_values(h, t: np.ndarray) -> dict:
    """1/(1 - β₁ᵗ) at steps t (u needs no correction: a maximum is not biased toward 0)."""
    return {"bc1": 1.0 / (1.0 - h["betas"][0] ** t)}


SPECS = (
    OptimizerSpec(
        "adamax", "Adamax", FAMILY, "Adamax",
        (lr(2e-3), betas(), eps(1e-8), weight_decay(), decoupled_weight_decay(), bias_correction()),
        STATE,
        UPDATE_RULE,
        "lr_t / u per parameter",
        "Adam with the running maximum of |g| in place of the RMS.",
        state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values, corrected=CORRECTED,
        stability=stability.adam, preconditioned=True,
    ),
)


COLUMNS = ("beta1", "beta2", "eps", "bias_correction", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "clr")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, bias correction (0/1), weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "bias_correction": float(h["bias_correction"]),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, bias_correction, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, lr_t / (1 - β₁ᵗ)."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    bc1, _ = bias_terms(t, beta1, beta2, bias_correction)
    return carry, lr, l2, decay, lr / bc1


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_inf, beta1, beta2, eps, bias_correction, weight_decay, decoupled,
         rate, l2, decay, clr):
    """One parameter's step: (new θ, new m, new u, preconditioned LR)."""
    g = grad + l2 * theta
    m = flush(lerp(exp_avg, g, 1.0 - beta1))
    u = max(beta2 * exp_inf, abs(g) + eps)
    return theta * decay - clr * (m / u), m, u, rate / u


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s arithmetic."""
    theta, grad = ex.pair(theta), ex.pair(grad)
    exp_avg, exp_inf = ex.state_pairs(state)
    beta1, beta2 = (float(b) for b in hyper["betas"])
    eps, corrected = float(hyper["eps"]), bool(hyper["bias_correction"])
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    bc1 = 1.0 - beta1 ** float(t) if corrected else 1.0
    clr = lr_t / bc1

    g = grad + l2 * theta
    m = ex.flush(ex.lerp(exp_avg, g, 1.0 - beta1))
    u = np.maximum(beta2 * exp_inf, np.abs(g) + eps)
    new_theta = ex.flush(theta * decay - clr * (m / u))

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    subs.append(ex.first_moment_step(exp_avg, m, beta1))
    subs.append(ex.SubStep(
        "second_moment", ex.Text("Infinity norm (scale)", "无穷范数（尺度）"),
        ex.Text("u keeps the largest recent |g|, decayed by β₂: the scale, from a maximum instead of an RMS.",
                "u 记录近期最大的 |g|（按 β₂ 衰减）：用最大值而不是均方根作尺度。"),
        "u_{t} = max(β_{2} u_{t−1}, |g_{t}| + ε)",
        (ex.Quantity("β_{2}", np.float64(beta2)), ex.Quantity("ε", np.float64(eps)),
         ex.Quantity("u_{t−1}", exp_inf, "exp_inf"), ex.Quantity("u_{t}", u, "exp_inf")),
        (ex.Arrow("second_moment", u, "u_{t}"),)))
    m_hat = m / bc1
    if corrected:
        subs.append(ex.moment_correction_step(
            "m", t, bc1, m_hat, ex.Text("Bias correction", "偏差修正"),
            ex.Text("m starts at 0, so it is divided by 1 − β₁ᵗ; u is a maximum and needs no correction.",
                    "m 从 0 开始，所以除以 1 − β₁ᵗ;u 是最大值，不需要修正。")))
    else:
        subs.append(ex.SubStep(
            "bias_correction", ex.Text("No bias correction", "不做偏差修正"),
            ex.Text("Bias correction is off: m is used as it is, too small in the early steps.",
                    "偏差修正已关闭：直接使用 m，它在最初几步偏小。"),
            "m̂_{t} = m_{t}", (ex.Quantity("m̂_{t}", m_hat),), (ex.Arrow("momentum", -m_hat, "−m̂_{t}"),)))
    subs.append(ex.SubStep(
        "precondition", ex.Text("Per-parameter step size", "逐参数学习率"),
        ex.Text("Each parameter's step size is η divided by its own u.", "每个参数的步长是 η 除以它自己的 u。"),
        "η_{t} / u_{t}", (ex.Quantity("η_{t} / u_{t}", lr_t / u),)))
    subs.append(ex.step_substep(
        ex.step_formula(hyper, decoupled, "η_{t} m̂_{t} / u_{t}"),
        ex.Text("Move along −m̂, each parameter scaled by its own step size.", "沿 −m̂ 移动，每个参数按自己的步长缩放。"),
        theta, new_theta, lr_t, "m̂_{t}", m_hat))
    return ex.Update("adamax", int(t), float(lr_t), theta, grad, new_theta, np.array([exp_avg, exp_inf]),
                     np.array([m, u]), float(carry), float(carry), lr_t / u, tuple(subs))

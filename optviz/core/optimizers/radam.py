"""RAdam (torch.optim.RAdam): Adam with a rectified, warm-up-free adaptive step.

State: first moment m, second moment v.
Preconditioned LR: lr_t r √(1 - β₂ᵗ)/(√v + eps) when rectified, else lr_t.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, INLINE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import adam_moments, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import Corrected, Factor, OptimizerSpec, StateDoc, adam_hypers

FAMILY = "radam"

STATE = ("exp_avg", "exp_avg_sq")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
m ← β₁ m + (1 - β₁) g        v ← β₂ v + (1 - β₂) g²        m̂ = m / (1 - β₁ᵗ)
ρ∞ = 2/(1 - β₂) - 1,  ρ_t = ρ∞ - 2tβ₂ᵗ/(1 - β₂ᵗ)
ρ_t > 5:  r = √((ρ_t - 4)(ρ_t - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρ_t)),
          θ ← θ - lr_t m̂ · √(1 - β₂ᵗ)/(√v + eps) · r      (eps_placement = "inside": √(v + eps))
otherwise θ ← θ - lr_t m̂                       (plain momentum while the variance is unreliable)
"""

STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "the direction"),
    StateDoc("exp_avg_sq", "v", "second moment", "the scale, used once r_t switches on"),
)

FACTORS = (
    Factor("bc1", "1/(1−β₁ᵗ)", "bias correction of m"),
    Factor("r", "r_t", "rectification: absent (plain momentum step) while ρ_t ≤ 5, then rising toward 1"),
)

CORRECTED = (Corrected("m̂", "m / (1−β₁ᵗ)", "exp_avg", "bc1"),)


def factor_values(h, t: np.ndarray) -> dict:
    """1/(1 - β₁ᵗ) and the rectification r_t at steps t (NaN while ρ_t <= 5: not rectified)."""
    beta1, beta2 = h["betas"]
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)
    on = rho_t > 5.0
    with np.errstate(invalid="ignore"):
        r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return {"bc1": 1.0 / (1.0 - beta1**t), "r": np.where(on, r, np.nan)}


def first_rectified_step(h) -> int | None:
    """The first step t at which r_t acts (ρ_t > 5), None if it never does (β₂ too small)."""
    beta2 = h["betas"][1]
    if 2.0 / (1.0 - beta2) - 1.0 <= 5.0:
        return None
    t = 1
    while not np.isfinite(factor_values(h, np.array([float(t)]))["r"][0]):
        t += 1
    return t


SPECS = (
    OptimizerSpec(
        "radam", "RAdam", FAMILY, "RAdam",
        adam_hypers(1e-3),
        STATE,
        UPDATE_RULE,
        "lr_t r √(1 - β₂ᵗ)/(√v + eps) once rectified, lr_t before",
        "Adam that behaves like momentum SGD until the variance estimate is reliable.",
        state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values, corrected=CORRECTED,
        stability=stability.adam, preconditioned=True,
    ),
)


COLUMNS = ("beta1", "beta2", "eps", "eps_inside", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "bc1", "rectified", "rect", "bc2_sqrt")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, eps inside (0/1), weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**INLINE_OPTIONS)
def rectification(t, beta2):
    """(1 - β₂ᵗ, ρ∞, ρ_t, rectified, r_t) at step t (a float): rectified while ρ_t > 5, else r_t = 0.

    The kernel's ``coefficients`` and ``explain`` (through its plain-Python ``py_func``) share it.
    """
    bc2 = 1.0 - beta2**t
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * (beta2**t) / bc2
    rectified = rho_t > 5.0
    rect = 0.0
    if rectified:
        rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return bc2, rho_inf, rho_t, rectified, rect


#: ``rectification`` as plain Python for ``explain`` (under NUMBA_DISABLE_JIT, njit gives the function itself).
_rectification_python = getattr(rectification, "py_func", rectification)


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, eps_inside, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, 1 - β₁ᵗ, rectified (0/1), r_t, √(1 - β₂ᵗ)."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    bc1 = 1.0 - beta1**t
    bc2, _, _, rectified, rect = rectification(t, beta2)
    return carry, lr, l2, decay, bc1, 1.0 if rectified else 0.0, rect, np.sqrt(bc2)


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, eps_inside, weight_decay, decoupled,
         rate, l2, decay, bc1, rectified, rect, bc2_sqrt):
    """One parameter's step: (new θ, new m, new v, preconditioned LR)."""
    g, m, v = adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    m_hat = m / bc1
    root = np.sqrt(v + eps) if eps_inside != 0.0 else np.sqrt(v) + eps
    adaptive = bc2_sqrt / root
    on = rectified != 0.0
    new_theta = theta * decay - m_hat * rate * adaptive * rect if on else theta * decay - m_hat * rate
    return new_theta, m, v, rate * adaptive * rect if on else rate


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s and
    ``coefficients``' arithmetic, with the rₜ switch: a plain momentum step while ρₜ ≤ 5."""
    theta, grad = ex.pair(theta), ex.pair(grad)
    exp_avg, exp_avg_sq = ex.state_pairs(state)
    beta1, beta2 = (float(b) for b in hyper["betas"])
    eps, inside = float(hyper["eps"]), hyper["eps_placement"] == "inside"
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    tf = float(t)
    bc1 = 1.0 - beta1**tf
    bc2, rho_inf, rho_t, rectified, rect = _rectification_python(tf, beta2)
    rect = float(rect)
    bc2_sqrt = np.sqrt(bc2)

    g, m, v = ex.adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    m_hat = m / bc1
    root = np.sqrt(v + eps) if inside else np.sqrt(v) + eps
    adaptive = bc2_sqrt / root
    if rectified:
        new_theta = ex.flush(theta * decay - m_hat * lr_t * adaptive * rect)
        lr_pre = lr_t * adaptive * rect
    else:
        new_theta = ex.flush(theta * decay - m_hat * lr_t)
        lr_pre = np.full(2, lr_t)

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    subs += [ex.first_moment_step(exp_avg, m, beta1), ex.second_moment_step(exp_avg_sq, v, beta2)]
    subs.append(ex.moment_correction_step(
        "m", t, bc1, m_hat, ex.Text("Bias correction of m", "m 的偏差修正"),
        ex.Text("m starts at 0, so it is divided by 1 − β₁ᵗ.", "m 从 0 开始，所以除以 1 − β₁ᵗ。")))
    values = (ex.Quantity("ρ_{∞}", np.float64(rho_inf)), ex.Quantity("ρ_{t}", np.float64(rho_t)))
    if rectified:
        subs.append(ex.SubStep(
            "rectification", ex.Text("Variance rectification", "方差修正"),
            ex.Text("ρₜ > 5: v is reliable enough; rₜ (rising toward 1) tempers the adaptive step.",
                    "ρₜ > 5:v 已足够可靠；rₜ（逐渐升向 1）调节自适应步长。"),
            "ρ_{t} = ρ_{∞} − 2tβ_{2}^{t} / (1 − β_{2}^{t}),   "
            "r_{t} = √((ρ_{t} − 4)(ρ_{t} − 2)ρ_{∞} / ((ρ_{∞} − 4)(ρ_{∞} − 2)ρ_{t}))",
            values + (ex.Quantity("r_{t}", np.float64(rect)),)))
        denom = ex.eps_root("v_{t}", inside)
        subs.append(ex.SubStep(
            "precondition", ex.Text("Per-parameter step size", "逐参数学习率"),
            ex.Text("Each parameter's step size: η rₜ √(1 − β₂ᵗ) divided by the root of its own v.",
                    "每个参数的步长：η rₜ √(1 − β₂ᵗ) 除以它自己的 v 的平方根。"),
            f"l_{{t}} = √(1 − β_{{2}}^{{t}}) / {denom}",
            (ex.Quantity("ε", np.float64(eps)), ex.Quantity(denom, root), ex.Quantity("l_{t}", adaptive),
             ex.Quantity("η_{t} r_{t} l_{t}", lr_pre), ex.Quantity("√v̂_{t}", np.sqrt(v / bc2))),
            (ex.Arrow("second_moment", np.sqrt(v / bc2), "√v̂_{t}"),)))
        subs.append(ex.step_substep(
            ex.step_formula(hyper, decoupled, "η_{t} r_{t} m̂_{t} l_{t}"),
            ex.Text("Move along −m̂, scaled per parameter like Adam and by rₜ.",
                    "沿 −m̂ 移动，像 Adam 一样逐参数缩放，再乘以 rₜ。"),
            theta, new_theta, lr_t, "m̂_{t}", m_hat))
    else:
        subs.append(ex.SubStep(
            "rectification", ex.Text("Variance rectification: not yet", "方差修正：尚未启用"),
            ex.Text("ρₜ ≤ 5: too few steps for a reliable v, so this step is plain momentum (no division by √v).",
                    "ρₜ ≤ 5：步数太少，v 还不可靠，所以这一步是普通的动量更新（不除以 √v）。"),
            "ρ_{t} = ρ_{∞} − 2tβ_{2}^{t} / (1 − β_{2}^{t}) ≤ 5", values))
        subs.append(ex.step_substep(
            ex.step_formula(hyper, decoupled, "η_{t} m̂_{t}"),
            ex.Text("Move along −m̂ with the same step size ηₜ for both parameters.",
                    "沿 −m̂ 移动，两个参数的步长同为 ηₜ。"),
            theta, new_theta, lr_t, "m̂_{t}", m_hat))
    return ex.Update("radam", int(t), float(lr_t), theta, grad, new_theta, np.array([exp_avg, exp_avg_sq]),
                     np.array([m, v]), float(carry), float(carry), lr_pre, tuple(subs))

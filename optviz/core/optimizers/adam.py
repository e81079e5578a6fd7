"""Adam, AdamW and AMSGrad (torch.optim.Adam / AdamW).

State: first moment m, second moment v, running max v̄ (AMSGrad).
Preconditioned LR: lr_t / (√v̂ + eps), the factor that multiplies the corrected direction m̂.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, INLINE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import adam_moments, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    Corrected,
    Factor,
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    adam_hypers,
    bias_correction,
)

FAMILY = "adam"


_AMSGRAD = HyperSpec("amsgrad", False, "AMSGrad: divide by the running maximum of v, so steps never grow back",
                     kind="bool")


_EFFECTIVE = "lr_t / (√v̂ + eps) per parameter"

STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                     (Adam's L2; AdamW / decoupled: θ ← θ(1 - lr_t λ) first)
m ← β₁ m + (1 - β₁) g          v ← β₂ v + (1 - β₂) g²
amsgrad: v̄ ← max(v̄, v), use v̄ for v below
m̂ = m / (1 - β₁ᵗ)              v̂ = v / (1 - β₂ᵗ)          (bias_correction = false: m̂ = m, v̂ = v)
θ ← θ - lr_t m̂ / (√v̂ + eps)    (eps_placement = "inside": √(v̂ + eps))

t = 1, 2, ... is the step.
"""

#: The state with the lecture notes' notation: m and v are Adam's two ingredients.
STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "ingredient 1, the direction (momentum's average of g)"),
    StateDoc("exp_avg_sq", "v", "second moment", "ingredient 2, the scale (RMSProp's average of g²)"),
    StateDoc("max_exp_avg_sq", "v̄", "running maximum of v", "AMSGrad divides by it instead of v"),
)

FACTORS = (
    Factor("bc1", "1/(1−β₁ᵗ)", "bias correction of m", switch="bias_correction"),
    Factor("bc2", "1/(1−β₂ᵗ)", "bias correction of v", switch="bias_correction"),
)

CORRECTED = (
    Corrected("m̂", "m / (1−β₁ᵗ)", "exp_avg", "bc1"),
    Corrected("v̂", "v / (1−β₂ᵗ)", "exp_avg_sq", "bc2"),
)


def bias_correction_factors(betas: tuple[float, float], steps) -> tuple[np.ndarray, np.ndarray]:
    """Adam's bias-correction factors 1/(1 - β₁ᵗ) and 1/(1 - β₂ᵗ) at the given steps t >= 1."""
    t = np.asarray(steps, dtype=np.float64)
    return 1.0 / (1.0 - betas[0] ** t), 1.0 / (1.0 - betas[1] ** t)


def factor_values(h, t: np.ndarray) -> dict:
    """1/(1 - β₁ᵗ) and 1/(1 - β₂ᵗ) at steps t (as if bias correction were on)."""
    bc1, bc2 = bias_correction_factors(h["betas"], t)
    return {"bc1": bc1, "bc2": bc2}


def _spec(name: str, title: str, wd: float, decoupled: bool, summary: str) -> OptimizerSpec:
    hypers = adam_hypers(1e-3, (_AMSGRAD,), wd, decoupled, (bias_correction(),))
    return OptimizerSpec(name, title, FAMILY, title, hypers, STATE, UPDATE_RULE, _EFFECTIVE, summary,
                         state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values,
                         corrected=CORRECTED, stability=stability.adam, preconditioned=True)


SPECS = (
    _spec("adam", "Adam", 0.0, False, "Momentum on the gradient, RMSProp-style scaling, bias correction."),
    _spec("adamw", "AdamW", 1e-2, True, "Adam with weight decay applied to the weights, not the gradient."),
)


COLUMNS = ("beta1", "beta2", "eps", "amsgrad", "eps_inside", "bias_correction", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "step_size", "bc2_sqrt", "bc2")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, AMSGrad (0/1), eps inside (0/1), bias correction (0/1), weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "amsgrad": float(h["amsgrad"]),
            "eps_inside": float(h["eps_placement"] == "inside"), "bias_correction": float(h["bias_correction"]),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((3, 2, n))


@njit(**INLINE_OPTIONS)
def bias_terms(t, beta1, beta2, bias_correction):
    """(1 - β₁ᵗ, 1 - β₂ᵗ) at step t (a float), or (1, 1) without bias correction."""
    bc1 = 1.0 - beta1**t if bias_correction != 0.0 else 1.0
    bc2 = 1.0 - beta2**t if bias_correction != 0.0 else 1.0
    return bc1, bc2


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, amsgrad, eps_inside, bias_correction, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, lr_t / (1 - β₁ᵗ), √(1 - β₂ᵗ), 1 - β₂ᵗ."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    bc1, bc2 = bias_terms(t, beta1, beta2, bias_correction)
    return carry, lr, l2, decay, lr / bc1, np.sqrt(bc2), bc2


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, eps, amsgrad, eps_inside,
         bias_correction, weight_decay, decoupled, rate, l2, decay, step_size, bc2_sqrt, bc2):
    """One parameter's step: (new θ, new m, new v, new max v, preconditioned LR)."""
    # eps placement without a branch: √(v·a + e_in)/b + e_out, exact for either form.
    inside = eps_inside != 0.0
    scale_in = 1.0 / bc2 if inside else 1.0
    eps_in = eps if inside else 0.0
    div_out = 1.0 if inside else bc2_sqrt
    eps_out = 0.0 if inside else eps
    g, m, v = adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    peak = max(max_exp_avg_sq, v)
    used = peak if amsgrad != 0.0 else v
    denom = np.sqrt(used * scale_in + eps_in) / div_out + eps_out
    return theta * decay - step_size * (m / denom), m, v, peak, rate / denom


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s arithmetic.

    Notation of the lecture notes: m_t, v_t, m̂_t, v̂_t; AMSGrad's running maximum is v̄_t.
    """
    theta, grad = ex.pair(theta), ex.pair(grad)
    exp_avg, exp_avg_sq, max_sq = ex.state_pairs(state)
    beta1, beta2 = (float(b) for b in hyper["betas"])
    eps, amsgrad, corrected = float(hyper["eps"]), bool(hyper["amsgrad"]), bool(hyper["bias_correction"])
    inside = hyper["eps_placement"] == "inside"
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    tf = float(t)
    bc1 = 1.0 - beta1**tf if corrected else 1.0
    bc2 = 1.0 - beta2**tf if corrected else 1.0
    step_size, bc2_sqrt = lr_t / bc1, np.sqrt(bc2)
    scale_in, eps_in = (1.0 / bc2, eps) if inside else (1.0, 0.0)
    div_out, eps_out = (1.0, 0.0) if inside else (bc2_sqrt, eps)

    g, m, v = ex.adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    peak = np.maximum(max_sq, v)
    used = peak if amsgrad else v
    denom = np.sqrt(used * scale_in + eps_in) / div_out + eps_out
    new_theta = ex.flush(theta * decay - step_size * (m / denom))

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    subs += [ex.first_moment_step(exp_avg, m, beta1), ex.second_moment_step(exp_avg_sq, v, beta2)]
    v_symbol = "v_{t}"
    if amsgrad:
        v_symbol = "v̄_{t}"
        subs.append(ex.SubStep(
            "amsgrad", ex.Text("Running maximum (AMSGrad)", "历史最大值（AMSGrad）"),
            ex.Text("AMSGrad divides by the largest v so far, so a step size never grows back.",
                    "AMSGrad 除以至今最大的 v，所以步长不会再变大。"),
            "v̄_{t} = max(v̄_{t−1}, v_{t})",
            (ex.Quantity("v̄_{t−1}", max_sq, "max_exp_avg_sq"), ex.Quantity("v̄_{t}", peak, "max_exp_avg_sq")),
            (ex.Arrow("second_moment", np.sqrt(peak), "√v̄_{t}"),)))
    m_hat, v_hat = m / bc1, used / bc2
    if corrected:
        subs.append(ex.SubStep(
            "bias_correction", ex.Text("Bias correction", "偏差修正"),
            ex.Text("m and v start at 0, so early averages are too small; dividing by 1 − βᵗ undoes that.",
                    "m 和 v 从 0 开始，早期的平均值偏小；除以 1 − βᵗ 加以修正。"),
            f"m̂_{{t}} = m_{{t}} / (1 − β_{{1}}^{{t}}),   v̂_{{t}} = {v_symbol} / (1 − β_{{2}}^{{t}})",
            (ex.Quantity("t", np.float64(t)), ex.Quantity("1 − β_{1}^{t}", np.float64(bc1)),
             ex.Quantity("1 − β_{2}^{t}", np.float64(bc2)), ex.Quantity("1 / (1 − β_{1}^{t})", np.float64(1.0 / bc1)),
             ex.Quantity("1 / (1 − β_{2}^{t})", np.float64(1.0 / bc2)), ex.Quantity("m̂_{t}", m_hat),
             ex.Quantity("v̂_{t}", v_hat)),
            (ex.Arrow("momentum", -m_hat, "−m̂_{t}"), ex.Arrow("second_moment", np.sqrt(v_hat), "√v̂_{t}"))))
    else:
        subs.append(ex.SubStep(
            "bias_correction", ex.Text("No bias correction", "不做偏差修正"),
            ex.Text("Bias correction is off: m and v are used as they are, too small in the early steps.",
                    "偏差修正已关闭：直接使用 m 和 v，它们在最初几步偏小。"),
            f"m̂_{{t}} = m_{{t}},   v̂_{{t}} = {v_symbol}",
            (ex.Quantity("m̂_{t}", m_hat), ex.Quantity("v̂_{t}", v_hat)),
            (ex.Arrow("momentum", -m_hat, "−m̂_{t}"), ex.Arrow("second_moment", np.sqrt(v_hat), "√v̂_{t}"))))
    subs += ex.adam_closing_substeps(
        hyper, decoupled, inside, eps, denom, theta, new_theta, lr_t, "m̂_{t}", m_hat,
        ex.Text("Move along −m̂ (the direction), each parameter scaled by its own step size.",
                "沿 −m̂（方向）移动，每个参数按自己的步长缩放。"))
    return ex.Update("adam", int(t), float(lr_t), theta, grad, new_theta, np.array([exp_avg, exp_avg_sq, max_sq]),
                     np.array([m, v, peak]), float(carry), float(carry), lr_t / denom, tuple(subs))

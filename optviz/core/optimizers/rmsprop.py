"""RMSProp (torch.optim.RMSprop), plain, centered, with momentum.

State: square average v, gradient average ḡ, momentum buffer b.
Preconditioned LR: lr_t / s. The lecture notes use α = 0.9 (torch: 0.99).
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import eps_split, flush, lerp, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    weight_decay,
)

FAMILY = "rmsprop"

STATE = ("square_avg", "grad_avg", "momentum_buffer")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
v ← α v + (1 - α) g²
centered: ḡ ← α ḡ + (1 - α) g,  s = √(v - ḡ²) + eps;  otherwise s = √v + eps
                                             (eps_placement = "inside": √(· + eps))
momentum μ > 0:  b ← μ b + g / s,  θ ← θ - lr_t b
otherwise:       θ ← θ - lr_t g / s
"""

STATE_DOCS = (
    StateDoc("square_avg", "v", "running mean of g²", "the scale; it forgets, unlike AdaGrad's sum"),
    StateDoc("grad_avg", "ḡ", "running mean of g", "centered only: v - ḡ² is the variance"),
    StateDoc("momentum_buffer", "b", "momentum buffer", "momentum > 0 only"),
)

SPECS = (
    OptimizerSpec(
        "rmsprop", "RMSProp", FAMILY, "RMSprop",
        (
            lr(1e-2),
            HyperSpec("alpha", 0.99, "smoothing constant α of the running average of g²",
                      low=0.0, high=1.0, high_open=True),
            eps(1e-8),
            weight_decay(),
            HyperSpec("momentum", 0.0, "momentum factor μ applied to the normalized step", low=0.0, high=1.0),
            HyperSpec("centered", False, "normalize by the variance of g instead of its second moment",
                      kind="bool"),
            eps_placement(),
            decoupled_weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t / (√v + eps) per parameter (centered: lr_t / (√(v - ḡ²) + eps))",
        "Per-parameter step sizes from a running average of squared gradients.",
        state_docs=STATE_DOCS, stability=stability.rmsprop, preconditioned=True,
    ),
)


COLUMNS = ("alpha", "eps", "eps_inside", "momentum", "centered", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay")


def columns(h: dict) -> dict:
    """Kernel columns: α, eps and where it sits, momentum, centered (0/1), weight decay."""
    return {"alpha": h["alpha"], "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            "momentum": h["momentum"], "centered": float(h["centered"]), **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((3, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, alpha, eps, eps_inside, momentum, centered, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    return carry, lr, l2, decay


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, square_avg, grad_avg, momentum_buffer, alpha, eps, eps_inside, momentum, centered,
         weight_decay, decoupled, rate, l2, decay):
    """One parameter's step: (new θ, new v, new ḡ, new buffer, preconditioned LR)."""
    eps_in, eps_out = eps_split(eps, eps_inside)
    g = grad + l2 * theta
    v = flush(alpha * square_avg + (1.0 - alpha) * g * g)
    m = flush(lerp(grad_avg, g, 1.0 - alpha)) if centered != 0.0 else grad_avg
    var = v - m * m if centered != 0.0 else v
    s = np.sqrt(var + eps_in) + eps_out
    b = flush(momentum * momentum_buffer + g / s) if momentum > 0.0 else momentum_buffer
    step = rate * b if momentum > 0.0 else rate * (g / s)
    return theta * decay - step, v, m, b, rate / s


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s arithmetic.

    The lecture notes' E[g²]_t is torch's ``square_avg`` and their β torch's ``alpha``; the
    momentum buffer is written v_t (torch's ``momentum_buffer``).
    """
    theta, grad = ex.pair(theta), ex.pair(grad)
    square_avg, grad_avg, buf = ex.state_pairs(state)
    alpha, eps, mu = float(hyper["alpha"]), float(hyper["eps"]), float(hyper["momentum"])
    centered, inside = bool(hyper["centered"]), hyper["eps_placement"] == "inside"
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    eps_in, eps_out = (eps, 0.0) if inside else (0.0, eps)

    g = grad + l2 * theta
    v = ex.flush(alpha * square_avg + (1.0 - alpha) * g * g)
    m = ex.flush(ex.lerp(grad_avg, g, 1.0 - alpha)) if centered else grad_avg
    var = v - m * m if centered else v
    denom = np.sqrt(var + eps_in) + eps_out
    b = ex.flush(mu * buf + g / denom) if mu > 0.0 else buf
    step = lr_t * b if mu > 0.0 else lr_t * (g / denom)
    new_theta = ex.flush(theta * decay - step)

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    subs.append(ex.squared_gradient_average_step(
        "β", "β (alpha)", alpha, square_avg, v,
        ex.Text("E[g²] keeps β of its past and takes 1 − β of g²: it forgets, unlike AdaGrad's sum.",
                "E[g²] 保留 β 倍的过去值并加入 1 − β 倍的 g²：它会遗忘，不像 AdaGrad 的累加和。")))
    if centered:
        subs.append(ex.SubStep(
            "centered", ex.Text("Average of gradients (centered)", "梯度的滑动平均（中心化）"),
            ex.Text("Centered RMSProp also averages g and divides by the spread E[g²] − ḡ² instead.",
                    "中心化 RMSProp 还对 g 求平均，改用方差 E[g²] − ḡ² 作分母。"),
            "ḡ_{t} = β ḡ_{t−1} + (1 − β) g_{t}",
            (ex.Quantity("ḡ_{t−1}", grad_avg, "grad_avg"), ex.Quantity("ḡ_{t}", m, "grad_avg"),
             ex.Quantity("E[g^{2}]_{t} − ḡ_{t}^{2}", var), ex.Quantity("√(E[g^{2}]_{t} − ḡ_{t}^{2})",
                                                                         np.sqrt(np.maximum(var, 0.0)))),
            (ex.Arrow("second_moment", np.sqrt(np.maximum(var, 0.0)), "√(E[g^{2}]_{t} − ḡ_{t}^{2})"),)))
    inner = "E[g^{2}]_{t} − ḡ_{t}^{2}" if centered else "E[g^{2}]_{t}"
    root = ex.eps_root(inner, inside, compound=centered)
    subs.append(ex.step_size_substep(
        ex.Text("Each parameter's step size is η divided by the RMS of its own recent gradients.",
                "每个参数的步长是 η 除以它自己近期梯度的均方根。"),
        root, eps, denom, lr_t))
    if mu > 0.0:
        subs.append(ex.SubStep(
            "momentum", ex.Text("Momentum on the scaled gradient", "缩放梯度上的动量"),
            ex.Text("With momentum μ the velocity accumulates the scaled gradients g / s.",
                    "有动量 μ 时，速度累积缩放后的梯度 g / s。"),
            f"v_{{t}} = μ v_{{t−1}} + g_{{t}} / {root}",
            (ex.Quantity("μ", np.float64(mu)), ex.Quantity("v_{t−1}", buf, "momentum_buffer"),
             ex.Quantity("v_{t}", b, "momentum_buffer"))))
        subs.append(ex.step_substep(
            ex.step_formula(hyper, decoupled, "η_{t} v_{t}"),
            ex.Text("Move against the velocity of scaled gradients.", "沿缩放梯度速度的反方向移动。"),
            theta, new_theta, lr_t, "v_{t}", b))
    else:
        subs.append(ex.step_substep(
            ex.step_formula(hyper, decoupled, f"η_{{t}} g_{{t}} / {root}"),
            ex.Text("Move against the gradient, each parameter with its own step size.",
                    "沿负梯度方向移动，每个参数用自己的步长。"),
            theta, new_theta, lr_t, "g_{t}", g))
    return ex.Update("rmsprop", int(t), float(lr_t), theta, grad, new_theta,
                     np.array([square_avg, grad_avg, buf]), np.array([v, m, b]), float(carry), float(carry),
                     lr_t / denom, tuple(subs))

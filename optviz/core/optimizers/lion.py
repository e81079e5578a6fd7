"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; optax.lion).

State: momentum m. Preconditioned LR: lr_t (every step has size lr_t per parameter).
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import flush, sign
from optviz.core.optimizers.spec import HyperSpec, OptimizerSpec, StateDoc, lr, weight_decay

FAMILY = "lion"

STATE = ("exp_avg",)

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
c = sign(β₁ m + (1 - β₁) g)
m ← β₂ m + (1 - β₂) g
θ ← θ - lr_t (c + λθ)                        (weight decay is always decoupled)
"""

STATE_DOCS = (StateDoc("exp_avg", "m", "momentum", "its sign, mixed with g, is the step's direction"),)

SPECS = (
    OptimizerSpec(
        "lion", "Lion", FAMILY, "optax.lion",
        (
            lr(1e-4),
            HyperSpec("b1", 0.9, "interpolation β₁ between momentum and gradient for the step's sign",
                      low=0.0, high=1.0),
            HyperSpec("b2", 0.99, "decay rate β₂ of the momentum", low=0.0, high=1.0),
            weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t per parameter: every step moves each parameter by exactly lr_t",
        "Moves each parameter by ±lr along the sign of an interpolated momentum.",
        state_docs=STATE_DOCS, decay="decoupled",
    ),
)


COLUMNS = ("b1", "b2", "weight_decay")
COEFFICIENTS = ("rate",)


def columns(h: dict) -> dict:
    """Kernel columns: b1, b2, weight decay λ."""
    return {"b1": h["b1"], "b2": h["b2"], "weight_decay": h["weight_decay"]}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((1, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, b1, b2, weight_decay):
    """Step t's scalars: lr_t."""
    return carry, lr


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, b1, b2, weight_decay, rate):
    """One parameter's step: (new θ, new m, preconditioned LR)."""
    direction = sign(b1 * exp_avg + (1.0 - b1) * grad) + weight_decay * theta
    return theta - rate * direction, flush(b2 * exp_avg + (1.0 - b2) * grad), rate


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s arithmetic."""
    theta, grad = ex.pair(theta), ex.pair(grad)
    (exp_avg,) = ex.state_pairs(state)
    b1, b2, lam = float(hyper["b1"]), float(hyper["b2"]), float(hyper["weight_decay"])

    mixed = b1 * exp_avg + (1.0 - b1) * grad
    signs = ex.sign(mixed)
    direction = signs + lam * theta
    new_theta = ex.flush(theta - lr_t * direction)
    m = ex.flush(b2 * exp_avg + (1.0 - b2) * grad)

    subs = [ex.gradient_step(theta, grad)]
    subs.append(ex.SubStep(
        "interpolate", ex.Text("Interpolate momentum and gradient", "在动量与梯度之间插值"),
        ex.Text("c mixes the old momentum with the new gradient; only its signs will matter.",
                "c 把旧动量与新梯度混合；只有它的符号起作用。"),
        "c_{t} = β_{1} m_{t−1} + (1 − β_{1}) g_{t}",
        (ex.Quantity("β_{1}", np.float64(b1)), ex.Quantity("m_{t−1}", exp_avg, "exp_avg"), ex.Quantity("c_{t}", mixed)),
        (ex.Arrow("momentum", -mixed, "−c_{t}"),)))
    subs.append(ex.SubStep(
        "sign", ex.Text("Sign", "取符号"),
        ex.Text("Only the sign of each component is kept: every parameter moves by exactly ηₜ.",
                "每个分量只保留符号：每个参数都恰好移动 ηₜ。"),
        "s_{t} = sign(c_{t})", (ex.Quantity("s_{t}", signs),)))
    formula = "θ_{t} = θ_{t−1} − η_{t} s_{t}"
    symbol = "s_{t}"
    if lam != 0.0:
        subs.append(ex.SubStep(
            "weight_decay", ex.Text("Weight decay (decoupled)", "权重衰减（解耦）"),
            ex.Text("Lion's decay is always decoupled: λθ joins the signed direction.",
                    "Lion 的权重衰减总是解耦的：λθ 加到符号方向上。"),
            "s_{t} + λ θ_{t−1}",
            (ex.Quantity("λ", np.float64(lam)), ex.Quantity("s_{t} + λ θ_{t−1}", direction))))
        formula, symbol = "θ_{t} = θ_{t−1} − η_{t} (s_{t} + λ θ_{t−1})", "s_{t} + λ θ_{t−1}"
    subs.append(ex.step_substep(
        formula, ex.Text("Move each parameter by ηₜ against its sign.", "每个参数沿符号的反方向移动 ηₜ。"),
        theta, new_theta, lr_t, symbol, direction))
    subs.append(ex.SubStep(
        "momentum", ex.Text("Momentum update", "更新动量"),
        ex.Text("After the step, m averages the gradients with the slower rate β₂.",
                "更新参数之后，m 以更慢的 β₂ 对梯度求平均。"),
        "m_{t} = β_{2} m_{t−1} + (1 − β_{2}) g_{t}",
        (ex.Quantity("β_{2}", np.float64(b2)), ex.Quantity("m_{t}", m, "exp_avg")),
        (ex.Arrow("momentum", -m, "−m_{t}"),)))
    return ex.Update("lion", int(t), float(lr_t), theta, grad, new_theta, np.array([exp_avg]), np.array([m]),
                     float(carry), float(carry), np.full(2, float(lr_t)), tuple(subs))

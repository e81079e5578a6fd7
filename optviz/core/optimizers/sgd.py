"""SGD / GD, Momentum and Nesterov (torch.optim.SGD), with the lecture notes' momentum forms.

State: momentum buffer b. Preconditioned LR: lr_t for both parameters.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import flush, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    HyperparameterError,
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    decoupled_weight_decay,
    lr,
    weight_decay,
)

FAMILY = "sgd"
MOMENTUM_FORMS = ("torch", "ema", "dampened")


def _hypers(momentum: float, nesterov: bool) -> tuple[HyperSpec, ...]:
    return (
        lr(1e-3),
        HyperSpec("momentum", momentum, "momentum factor μ (0 = plain gradient descent)", low=0.0, high=1.0),
        HyperSpec("dampening", 0.0, "dampening τ: the gradient enters the buffer with weight 1 - τ",
                  low=0.0, high=1.0),
        weight_decay(),
        HyperSpec("nesterov", nesterov, "Nesterov momentum: step along g + μb instead of b", kind="bool"),
        HyperSpec(
            "momentum_form",
            "torch",
            "how the momentum buffer starts and mixes in g: 'torch' (b₁ = g, then μb + (1-τ)g), "
            "'ema' (b₀ = 0, μb + (1-μ)g, the lecture notes' exponential average) or "
            "'dampened' (b₀ = 0, μb + (1-τ)g)",
            kind="choice",
            choices=MOMENTUM_FORMS,
            variant=True,
        ),
        decoupled_weight_decay(),
    )


def _check_nesterov(values, where):
    if values["nesterov"] and (values["momentum"] <= 0.0 or values["dampening"] != 0.0):
        raise HyperparameterError(
            f"{where}.nesterov",
            f"{where}.nesterov = true requires momentum > 0 and dampening = 0 "
            f"(got momentum = {values['momentum']:g}, dampening = {values['dampening']:g})",
        )


_EFFECTIVE = "lr_t for each parameter (momentum changes the realized step, not this factor)"

STATE = ("momentum_buffer",)

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                  (L2 weight decay; decoupled: θ ← θ(1 - lr_t λ))
torch form:     b_1 = g,   b_t = μ b_{t-1} + (1 - τ) g
EMA form:       b_0 = 0,   b_t = μ b_{t-1} + (1 - μ) g     (notes 000, 004)
dampened form:  b_0 = 0,   b_t = μ b_{t-1} + (1 - τ) g     (note 002)
d = g + μ b_t if nesterov else b_t          (d = g when μ = 0)
θ ← θ - lr_t d

g is the loss gradient, t = 1, 2, ... the step.
"""

STATE_DOCS = (StateDoc("momentum_buffer", "b", "momentum buffer", "the velocity: a running sum of gradients"),)


def _spec(name: str, title: str, momentum: float, nesterov: bool, summary: str) -> OptimizerSpec:
    return OptimizerSpec(name, title, FAMILY, "SGD", _hypers(momentum, nesterov), STATE, UPDATE_RULE, _EFFECTIVE,
                         summary, (_check_nesterov,), state_docs=STATE_DOCS, stability=stability.sgd)


SPECS = (
    _spec("sgd", "SGD (gradient descent)", 0.0, False,
          "Steps against the gradient; optional momentum, Nesterov, weight decay."),
    _spec("momentum", "Momentum", 0.9, False, "SGD with a velocity that accumulates past gradients (μ = 0.9)."),
    _spec("nesterov", "Nesterov momentum", 0.9, True, "Momentum that looks ahead along the velocity."),
)


COLUMNS = ("momentum", "dampening", "nesterov", "form", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "mix")


def columns(h: dict) -> dict:
    """Kernel columns: μ, τ, Nesterov (0/1), momentum form (index in MOMENTUM_FORMS), weight decay."""
    return {"momentum": h["momentum"], "dampening": h["dampening"], "nesterov": float(h["nesterov"]),
            "form": float(MOMENTUM_FORMS.index(h["momentum_form"])), **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((1, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, momentum, dampening, nesterov, form, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, and the weight of g in the buffer (1 at torch's t = 1)."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    mix = 1.0 - (momentum if form == 1.0 else dampening)
    mix = 1.0 if (t == 1.0 and form == 0.0) else mix
    return carry, lr, l2, decay, mix


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, momentum_buffer, momentum, dampening, nesterov, form, weight_decay, decoupled,
         rate, l2, decay, mix):
    """One parameter's step: (new θ, new buffer, preconditioned LR)."""
    g = grad + l2 * theta
    b = flush(momentum * momentum_buffer + mix * g) if momentum != 0.0 else momentum_buffer
    heavy = g + momentum * b if nesterov != 0.0 else b
    direction = heavy if momentum != 0.0 else g
    return theta * decay - rate * direction, b, rate


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps).

    The arithmetic is ``rule``'s; the momentum buffer is written v_t as in the lecture notes
    (torch's ``momentum_buffer``), μ the momentum and τ the dampening.
    """
    theta, grad = ex.pair(theta), ex.pair(grad)
    (buf,) = ex.state_pairs(state)
    mu, tau = float(hyper["momentum"]), float(hyper["dampening"])
    form, nesterov = hyper["momentum_form"], bool(hyper["nesterov"])
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    mix = 1.0 - (mu if form == "ema" else tau)
    mix = 1.0 if (t == 1 and form == "torch") else mix

    g = grad + l2 * theta
    b = ex.flush(mu * buf + mix * g) if mu != 0.0 else buf
    heavy = g + mu * b if nesterov else b
    direction = heavy if mu != 0.0 else g
    new_theta = ex.flush(theta * decay - lr_t * direction)

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    values = (ex.Quantity("μ", np.float64(mu)),)
    if mu != 0.0:
        if form == "torch" and t == 1:
            formula, text = "v_{1} = g_{1}", ex.Text(
                "At the first step the buffer starts as the gradient itself (torch).",
                "第一步时动量缓冲直接取为梯度本身（torch 的做法）。")
        elif form == "torch":
            formula, text = "v_{t} = μ v_{t−1} + (1 − τ) g_{t}", ex.Text(
                "The velocity keeps μ of its past and adds the new gradient: a running sum of gradients.",
                "速度保留 μ 倍的过去值并加上新梯度：梯度的累积和。")
            values += (ex.Quantity("τ", np.float64(tau)),)
        elif form == "ema":
            formula, text = "v_{t} = μ v_{t−1} + (1 − μ) g_{t}", ex.Text(
                "The velocity is an exponential moving average of the gradients (lecture notes, v_0 = 0).",
                "速度是梯度的指数加权平均（讲义的写法，v_0 = 0）。")
        else:
            formula, text = "v_{t} = μ v_{t−1} + (1 − τ) g_{t}", ex.Text(
                "The velocity keeps μ of its past; the gradient enters with weight 1 − τ (v_0 = 0).",
                "速度保留 μ 倍的过去值，梯度以 1 − τ 的权重加入（阻尼 τ,v_0 = 0）。")
            values += (ex.Quantity("τ", np.float64(tau)),)
        subs.append(ex.SubStep(
            "momentum", ex.Text("Momentum", "动量"), text, formula,
            values + (ex.Quantity("v_{t−1}", buf, "momentum_buffer"), ex.Quantity("v_{t}", b, "momentum_buffer")),
            (ex.Arrow("momentum", -b, "−v_{t}"),)))
    if mu != 0.0 and nesterov:
        subs.append(ex.SubStep(
            "nesterov", ex.Text("Nesterov look-ahead", "Nesterov 前瞻"),
            ex.Text("Step along the gradient plus μ times the new velocity: a look ahead.",
                   "沿梯度加上 μ 倍新速度的方向前进：向前看一步。"),
            "d_{t} = g_{t} + μ v_{t}", (ex.Quantity("d_{t}", direction),),
            (ex.Arrow("momentum", -direction, "−d_{t}"),)))
    symbol = "d_{t}" if nesterov and mu != 0.0 else ("v_{t}" if mu != 0.0 else "g_{t}")
    text = (ex.Text("Move against the velocity, ηₜ per unit of it.", "沿速度的反方向移动，步长为 ηₜ 乘以速度。")
            if mu != 0.0 else
            ex.Text("Move against the gradient: the same ηₜ for both parameters.",
                   "沿负梯度方向移动：两个参数的学习率同为 ηₜ。"))
    subs.append(ex.step_substep(ex.step_formula(hyper, decoupled, f"η_{{t}} {symbol}"), text,
                                theta, new_theta, lr_t, symbol, direction))
    return ex.Update("sgd", int(t), float(lr_t), theta, grad, new_theta, np.array([buf]), np.array([b]),
                    float(carry), float(carry), np.full(2, float(lr_t)), tuple(subs))

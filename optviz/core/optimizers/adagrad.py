"""AdaGrad (torch.optim.Adagrad).

State: sum of squared gradients G. Preconditioned LR: clr / (√G + eps), which only
ever shrinks: AdaGrad's vanishing learning rate. The lecture notes' δ = 1e-7 is eps.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers import stability
from optviz.core.optimizers import steps as ex
from optviz.core.optimizers.common import eps_split, flush, weight_decay_columns, weight_decay_terms
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

FAMILY = "adagrad"

STATE = ("sum",)

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
clr = lr_t / (1 + (t - 1) lr_decay)
G ← G + g²                                   (G₀ = initial_accumulator_value)
θ ← θ - clr · g / (√G + eps)                 (eps_placement = "inside": √(G + eps))

t = 1, 2, ... is the step.
"""

STATE_DOCS = (StateDoc("sum", "G", "sum of squared gradients", "only grows, so the step size only shrinks"),)

SPECS = (
    OptimizerSpec(
        "adagrad", "AdaGrad", FAMILY, "Adagrad",
        (
            lr(1e-2),
            HyperSpec("lr_decay", 0.0, "learning-rate decay: clr = lr / (1 + (t-1)·lr_decay)", low=0.0),
            weight_decay(),
            HyperSpec("initial_accumulator_value", 0.0, "starting value of the sum of squared gradients G",
                      low=0.0),
            eps(1e-10),
            eps_placement(),
            decoupled_weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "clr / (√G + eps) per parameter; it only decreases",
        "Per-parameter step sizes from the running sum of squared gradients.",
        state_docs=STATE_DOCS, stability=stability.preconditioned_gd, preconditioned=True,
    ),
)


COLUMNS = ("lr_decay", "eps", "eps_inside", "weight_decay", "decoupled")
COEFFICIENTS = ("clr", "l2", "decay")


def columns(h: dict) -> dict:
    """Kernel columns: lr decay, eps and where it sits, weight decay."""
    return {"lr_decay": h["lr_decay"], "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    state = np.zeros((1, 2, n))
    state[0] = h["initial_accumulator_value"]
    return state


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, lr_decay, eps, eps_inside, weight_decay, decoupled):
    """Step t's scalars: clr = lr_t / (1 + (t - 1) lr_decay), L2 λ, decoupled factor."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    return carry, lr / (1.0 + (t - 1.0) * lr_decay), l2, decay


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, sum, lr_decay, eps, eps_inside, weight_decay, decoupled, clr, l2, decay):
    """One parameter's step: (new θ, new accumulator, preconditioned LR)."""
    eps_in, eps_out = eps_split(eps, eps_inside)
    g = grad + l2 * theta
    s = flush(sum + g * g)
    std = np.sqrt(s + eps_in) + eps_out
    return theta * decay - clr * (g / std), s, clr / std


def explain(hyper, state, theta, grad, t, lr_t, carry=1.0):
    """Update t of one particle, sub-step by sub-step (see optviz.core.optimizers.steps); ``rule``'s arithmetic."""
    theta, grad = ex.pair(theta), ex.pair(grad)
    (acc,) = ex.state_pairs(state)
    lr_decay, eps = float(hyper["lr_decay"]), float(hyper["eps"])
    inside = hyper["eps_placement"] == "inside"
    decoupled, l2, decay = ex.selectable_decay(hyper, lr_t)
    clr = lr_t / (1.0 + (float(t) - 1.0) * lr_decay)
    eps_in, eps_out = (eps, 0.0) if inside else (0.0, eps)

    g = grad + l2 * theta
    total = ex.flush(acc + g * g)
    std = np.sqrt(total + eps_in) + eps_out
    new_theta = ex.flush(theta * decay - clr * (g / std))

    subs = ex.opening_substeps(hyper, theta, grad, lr_t, decoupled)
    root = np.sqrt(total)
    subs.append(ex.SubStep(
        "accumulate", ex.Text("Sum of squared gradients", "累积梯度平方"),
        ex.Text("G adds up every squared gradient so far: it only grows, so the steps only shrink.",
                "G 累加至今所有梯度的平方：它只增不减，所以步长只会变小。"),
        "G_{t} = G_{t−1} + g_{t}^{2}",
        (ex.Quantity("G_{t−1}", acc, "sum"), ex.Quantity("g_{t}^{2}", g * g), ex.Quantity("G_{t}", total, "sum"),
         ex.Quantity("√G_{t}", root)),
        (ex.Arrow("second_moment", root, "√G_{t}"),)))
    if lr_decay != 0.0:
        subs.append(ex.SubStep(
            "lr_decay", ex.Text("Learning-rate decay", "学习率衰减"),
            ex.Text("AdaGrad's own lr_decay divides ηₜ by 1 + (t − 1)·lr_decay.",
                    "AdaGrad 自带的 lr_decay 把 ηₜ 除以 1 + (t − 1)·lr_decay。"),
            "η'_{t} = η_{t} / (1 + (t − 1) · lr_decay)",
            (ex.Quantity("η_{t}", np.float64(lr_t)), ex.Quantity("lr_decay", np.float64(lr_decay)),
             ex.Quantity("η'_{t}", np.float64(clr)))))
    rate = "η'_{t}" if lr_decay != 0.0 else "η_{t}"
    denom = ex.eps_root("G_{t}", inside)
    subs.append(ex.SubStep(
        "precondition", ex.Text("Per-parameter step size", "逐参数学习率"),
        ex.Text("Each parameter's step size is η divided by the root of its own G.",
                "每个参数的步长是 η 除以它自己的 G 的平方根。"),
        f"η_{{t}} / {denom}".replace("η_{t}", rate),
        (ex.Quantity("ε", np.float64(eps)), ex.Quantity(denom, std), ex.Quantity(f"{rate} / {denom}", clr / std))))
    subs.append(ex.step_substep(
        ex.step_formula(hyper, decoupled, f"{rate} g_{{t}} / {denom}"),
        ex.Text("Move against the gradient, each parameter with its own step size.",
                "沿负梯度方向移动，每个参数用自己的步长。"),
        theta, new_theta, clr, "g_{t}", g, rate))
    return ex.Update("adagrad", int(t), float(lr_t), theta, grad, new_theta, np.array([acc]), np.array([total]),
                     float(carry), float(carry), clr / std, tuple(subs))

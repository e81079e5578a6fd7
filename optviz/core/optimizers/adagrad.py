"""AdaGrad (torch.optim.Adagrad).

Update rule (t = 1, 2, ...):

    g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
    clr = lr_t / (1 + (t - 1) lr_decay)
    G ← G + g²                                   (G₀ = initial_accumulator_value)
    θ ← θ - clr · g / (√G + eps)                 (eps_placement = "inside": √(G + eps))

State: sum of squared gradients G. Preconditioned LR: clr / (√G + eps), which only
ever shrinks: AdaGrad's vanishing learning rate. The lecture notes' δ = 1e-7 is eps.
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 1

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
        ("sum",),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "clr / (√G + eps) per parameter; it only decreases",
        "Per-parameter step sizes from the running sum of squared gradients.",
    ),
)


def pack(h: dict) -> np.ndarray:
    inside = h["eps_placement"] == "inside"
    return np.array([h["eps"] if inside else 0.0, 0.0 if inside else h["eps"]])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    c = step_coefficients(h, lrs, 3)
    c[:, 0] = lrs / (1.0 + (steps - 1) * h["lr_decay"])
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.full((1, 2, n), float(h["initial_accumulator_value"]))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    eps_in, eps_out = h[0], h[1]
    clr, l2, decay = c[0], c[1], c[2]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        acc = state[0, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            s = flush(acc[j] + g * g)
            acc[j] = s
            std = np.sqrt(s + eps_in) + eps_out
            new_[j] = th * decay - clr * (g / std)
            if want_lr:
                lr_[j] = clr / std

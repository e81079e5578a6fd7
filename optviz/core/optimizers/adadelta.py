"""Adadelta (torch.optim.Adadelta).

Update rule:

    g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
    v ← ρ v + (1 - ρ) g²
    Δ = √(u + eps) / √(v + eps) · g
    u ← ρ u + (1 - ρ) Δ²
    θ ← θ - lr_t Δ

State: square average v, accumulated squared update u.
Preconditioned LR: lr_t √(u + eps) / √(v + eps) (u before this step's update).
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    decoupled_weight_decay,
    eps,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 3

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
        ("square_avg", "acc_delta"),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "lr_t √(u + eps) / √(v + eps) per parameter",
        "Step sizes from the ratio of running RMS of updates and of gradients.",
    ),
)


def pack(h: dict) -> np.ndarray:
    return np.array([h["rho"], h["eps"]])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    c = step_coefficients(h, lrs, 3)
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    rho, eps_ = h[0], h[1]
    rate, l2, decay = c[0], c[1], c[2]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        sq = state[0, d, start:stop]
        acc = state[1, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            v = flush(rho * sq[j] + (1.0 - rho) * g * g)
            sq[j] = v
            scale = np.sqrt(acc[j] + eps_) / np.sqrt(v + eps_)
            delta = scale * g
            acc[j] = flush(rho * acc[j] + (1.0 - rho) * delta * delta)
            new_[j] = th * decay - rate * delta
            if want_lr:
                lr_[j] = rate * scale

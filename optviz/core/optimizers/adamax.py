"""Adamax (torch.optim.Adamax): Adam with an infinity-norm second moment.

Update rule:

    g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
    m ← β₁ m + (1 - β₁) g
    u ← max(β₂ u, |g| + eps)
    θ ← θ - lr_t / (1 - β₁ᵗ) · m / u             (bias_correction = false: no 1/(1 - β₁ᵗ))

State: first moment m, infinity norm u. Preconditioned LR: lr_t / u.
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.adam import bias_corrections
from optviz.core.optimizers.common import flush, lerp
from optviz.core.optimizers.spec import (
    OptimizerSpec,
    betas,
    bias_correction,
    decoupled_weight_decay,
    eps,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 5

SPECS = (
    OptimizerSpec(
        "adamax", "Adamax", FAMILY, "Adamax",
        (lr(2e-3), betas(), eps(1e-8), weight_decay(), decoupled_weight_decay(), bias_correction()),
        ("exp_avg", "exp_inf"),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "lr_t / u per parameter",
        "Adam with the running maximum of |g| in place of the RMS.",
    ),
)


def pack(h: dict) -> np.ndarray:
    b1, b2 = h["betas"]
    return np.array([b1, b2, h["eps"]])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    c = step_coefficients(h, lrs, 4)
    c[:, 3] = lrs / bias_corrections(h, steps)[0]
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    b1, b2, eps_ = h[0], h[1], h[2]
    rate, l2, decay, clr = c[0], c[1], c[2], c[3]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        m_ = state[0, d, start:stop]
        u_ = state[1, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            m = flush(lerp(m_[j], g, 1.0 - b1))
            m_[j] = m
            u = max(b2 * u_[j], abs(g) + eps_)
            u_[j] = u
            new_[j] = th * decay - clr * (m / u)
            if want_lr:
                lr_[j] = rate / u

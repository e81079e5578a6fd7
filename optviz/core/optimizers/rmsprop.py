"""RMSProp (torch.optim.RMSprop), plain, centered, with momentum.

Update rule:

    g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
    v ← α v + (1 - α) g²
    centered: ḡ ← α ḡ + (1 - α) g,  s = √(v - ḡ²) + eps;  otherwise s = √v + eps
                                                 (eps_placement = "inside": √(· + eps))
    momentum μ > 0:  b ← μ b + g / s,  θ ← θ - lr_t b
    otherwise:       θ ← θ - lr_t g / s

State: square average v, gradient average ḡ, momentum buffer b.
Preconditioned LR: lr_t / s. The lecture notes use α = 0.9 (torch: 0.99).
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush, lerp
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

FAMILY = 2

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
        ("square_avg", "grad_avg", "momentum_buffer"),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "lr_t / (√v + eps) per parameter (centered: lr_t / (√(v - ḡ²) + eps))",
        "Per-parameter step sizes from a running average of squared gradients.",
    ),
)


def pack(h: dict) -> np.ndarray:
    inside = h["eps_placement"] == "inside"
    return np.array([
        h["alpha"], h["eps"] if inside else 0.0, 0.0 if inside else h["eps"],
        h["momentum"], float(h["centered"]),
    ])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    c = step_coefficients(h, lrs, 3)
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((3, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    alpha, eps_in, eps_out, mu = h[0], h[1], h[2], h[3]
    centered = h[4] != 0.0
    rate, l2, decay = c[0], c[1], c[2]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        sq = state[0, d, start:stop]
        gavg = state[1, d, start:stop]
        buf = state[2, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            v = flush(alpha * sq[j] + (1.0 - alpha) * g * g)
            sq[j] = v
            if centered:
                m = flush(lerp(gavg[j], g, 1.0 - alpha))
                gavg[j] = m
                v = v - m * m
            s = np.sqrt(v + eps_in) + eps_out
            if mu > 0.0:
                b = flush(mu * buf[j] + g / s)
                buf[j] = b
                new_[j] = th * decay - rate * b
            else:
                new_[j] = th * decay - rate * (g / s)
            if want_lr:
                lr_[j] = rate / s

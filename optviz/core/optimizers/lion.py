"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; optax.lion).

Update rule:

    c = sign(β₁ m + (1 - β₁) g)
    m ← β₂ m + (1 - β₂) g
    θ ← θ - lr_t (c + λθ)                        (weight decay is always decoupled)

State: momentum m. Preconditioned LR: lr_t (every step has size lr_t per parameter).
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush, sign
from optviz.core.optimizers.spec import HyperSpec, OptimizerSpec, lr, weight_decay

FAMILY = 8

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
        ("exp_avg",),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "lr_t per parameter: every step moves each parameter by exactly lr_t",
        "Moves each parameter by ±lr along the sign of an interpolated momentum.",
    ),
)


def pack(h: dict) -> np.ndarray:
    return np.array([h["b1"], h["b2"], h["weight_decay"]])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    return lrs.reshape(-1, 1).copy()


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((1, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    b1, b2, wd = h[0], h[1], h[2]
    rate = c[0]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        m_ = state[0, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j]
            m = m_[j]
            direction = sign(b1 * m + (1.0 - b1) * g) + wd * th
            m_[j] = flush(b2 * m + (1.0 - b2) * g)
            new_[j] = th - rate * direction
            if want_lr:
                lr_[j] = rate

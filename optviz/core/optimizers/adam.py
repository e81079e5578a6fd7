"""Adam, AdamW and AMSGrad (torch.optim.Adam / AdamW).

Update rule (t = 1, 2, ...):

    g ← g + λθ                     (Adam's L2; AdamW / decoupled: θ ← θ(1 - lr_t λ) first)
    m ← β₁ m + (1 - β₁) g          v ← β₂ v + (1 - β₂) g²
    amsgrad: v̄ ← max(v̄, v), use v̄ for v below
    m̂ = m / (1 - β₁ᵗ)              v̂ = v / (1 - β₂ᵗ)          (bias_correction = false: m̂ = m, v̂ = v)
    θ ← θ - lr_t m̂ / (√v̂ + eps)    (eps_placement = "inside": √(v̂ + eps))

State: first moment m, second moment v, running max v̄ (AMSGrad).
Preconditioned LR: lr_t / (√v̂ + eps), the factor that multiplies the corrected direction m̂.
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush, lerp
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    betas,
    bias_correction,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 4


def _hypers(wd: float, decoupled: bool):
    return (
        lr(1e-3),
        betas(),
        eps(1e-8),
        weight_decay(wd),
        HyperSpec("amsgrad", False, "AMSGrad: divide by the running maximum of v, so steps never grow back",
                  kind="bool"),
        decoupled_weight_decay(decoupled, variant=False),
        bias_correction(),
        eps_placement(),
    )


_RULE = __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n")
_EFFECTIVE = "lr_t / (√v̂ + eps) per parameter"

SPECS = (
    OptimizerSpec("adam", "Adam", FAMILY, "Adam", _hypers(0.0, False), ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
                  _RULE, _EFFECTIVE, "Momentum on the gradient, RMSProp-style scaling, bias correction."),
    OptimizerSpec("adamw", "AdamW", FAMILY, "AdamW", _hypers(1e-2, True), ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
                  _RULE, _EFFECTIVE, "Adam with weight decay applied to the weights, not the gradient."),
)


def pack(h: dict) -> np.ndarray:
    b1, b2 = h["betas"]
    return np.array([b1, b2, h["eps"], float(h["amsgrad"]), float(h["eps_placement"] == "inside")])


def bias_corrections(h: dict, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1 - β₁ᵗ, 1 - β₂ᵗ) per step, or ones when bias correction is off."""
    b1, b2 = h["betas"]
    t = steps.astype(np.float64)
    if not h.get("bias_correction", True):
        return np.ones_like(t), np.ones_like(t)
    return 1.0 - b1**t, 1.0 - b2**t


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per step: lr, L2, decay, lr / bc1, √bc2, bc2."""
    c = step_coefficients(h, lrs, 6)
    bc1, bc2 = bias_corrections(h, steps)
    c[:, 3] = lrs / bc1
    c[:, 4] = np.sqrt(bc2)
    c[:, 5] = bc2
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((3, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    b1, b2, eps_ = h[0], h[1], h[2]
    amsgrad = h[3] != 0.0
    inside = h[4] != 0.0
    rate, l2, decay, step_size, bc2_sqrt, bc2 = c[0], c[1], c[2], c[3], c[4], c[5]
    # eps placement without a branch in the loop: √(v·a + e_in)/b + e_out, exact for either form.
    scale_in = 1.0 / bc2 if inside else 1.0
    eps_in = eps_ if inside else 0.0
    div_out = 1.0 if inside else bc2_sqrt
    eps_out = 0.0 if inside else eps_
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        m_ = state[0, d, start:stop]
        v_ = state[1, d, start:stop]
        vmax = state[2, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            m = flush(lerp(m_[j], g, 1.0 - b1))
            m_[j] = m
            v = flush(b2 * v_[j] + (1.0 - b2) * g * g)
            v_[j] = v
            peak = max(vmax[j], v)
            vmax[j] = peak
            used = peak if amsgrad else v
            denom = np.sqrt(used * scale_in + eps_in) / div_out + eps_out
            new_[j] = th * decay - step_size * (m / denom)
            if want_lr:
                lr_[j] = rate / denom

"""Scalar helpers shared by the optimizer update rules (inlined into the kernels)."""

from optviz.core.jit import INLINE_OPTIONS, njit

#: State and parameters smaller than this are flushed to zero: subnormal numbers
#: make every later operation on them 4-25x slower (PLATFORM.md), and at this
#: scale they carry no information about the trajectory.
FLUSH_BELOW = 1e-150


@njit(**INLINE_OPTIONS)
def flush(value):
    """``value``, or 0.0 where |value| < FLUSH_BELOW (branch-free, so loops vectorize)."""
    return value if abs(value) >= FLUSH_BELOW else 0.0


@njit(**INLINE_OPTIONS)
def lerp(start, end, weight):
    """torch.lerp: start + weight*(end - start), evaluated as torch does for each weight range."""
    low = start + weight * (end - start)
    high = end - (end - start) * (1.0 - weight)
    return low if weight < 0.5 else high


@njit(**INLINE_OPTIONS)
def sign(value):
    """-1, 0 or 1."""
    return (1.0 if value > 0.0 else 0.0) - (1.0 if value < 0.0 else 0.0)


@njit(**INLINE_OPTIONS)
def weight_decay_terms(lr, weight_decay, decoupled):
    """(λ added to g as λθ, factor applied to θ first): L2 gives (λ, 1), decoupled gives (0, 1 - lr·λ)."""
    l2 = 0.0 if decoupled != 0.0 else weight_decay
    decay = 1.0 - lr * weight_decay if decoupled != 0.0 else 1.0
    return l2, decay


def weight_decay_columns(h) -> dict:
    """The kernel columns of the weight decay every family shares: λ and whether it is decoupled."""
    return {"weight_decay": h.get("weight_decay", 0.0), "decoupled": float(h.get("decoupled_weight_decay", False))}


@njit(**INLINE_OPTIONS)
def eps_split(eps, inside):
    """(eps inside the square root, eps outside it): exactly one of them is eps."""
    return (eps if inside != 0.0 else 0.0), (0.0 if inside != 0.0 else eps)


@njit(**INLINE_OPTIONS)
def adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2):
    """The Adam family's first step: g + λθ, then m ← lerp(m, g, 1 - β₁) and v ← β₂ v + (1 - β₂) g² (flushed)."""
    g = grad + l2 * theta
    m = flush(lerp(exp_avg, g, 1.0 - beta1))
    v = flush(beta2 * exp_avg_sq + (1.0 - beta2) * g * g)
    return g, m, v

"""One optimizer update of one particle, told sub-step by sub-step (explain mode's data).

Each optimizer module has ``explain(hyper, state, theta, grad, t, lr_t, carry)``: the update
that moves a particle from θ_{t−1} to θ_t (t = 1, 2, ... the step counter of REFERENCE.md and
of the bias corrections; the engine's frame t − 1 holds θ_{t−1}) as an :class:`Update`: its
ordered :class:`SubStep` s (gradient, weight decay, moment updates, bias correction,
preconditioning, the step), each with a title and a one-line explanation in English and
Simplified Chinese, its formula in the lecture notes' notation (η, β, ε, m_t, v_t, m̂_t, G_t,
E[g²]_t) and the values it produces; and the new θ and state. The arithmetic follows the
module's kernel rule operation for operation, so the new θ and state are the kernel's to
float64 rounding (tests/test_explain.py); the named values are the rule's definitions
(m̂_t = m_t / (1 − β₁ᵗ), ...).

Plain NumPy on the particle's two parameters at once (no Numba, no Qt).

Formula markup: ``_{...}`` is a subscript and ``^{...}`` a superscript (a view renders them,
e.g. as HTML <sub>/<sup>); everything else is Unicode text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optviz.core.optimizers.common import FLUSH_BELOW

__all__ = ["Text", "Quantity", "Arrow", "SubStep", "Update", "LANGUAGES", "ARROW_KINDS", "flush", "lerp",
           "sign", "pair", "state_pairs", "weight_decay_terms", "selectable_decay", "gradient_step",
           "weight_decay_step", "opening_substeps", "step_substep", "step_formula", "eps_root",
           "step_size_substep", "adam_closing_substeps", "moment_correction_step",
           "squared_gradient_average_step", "adam_moments", "first_moment_step",
           "second_moment_step"]

#: Languages every sub-step text is given in.
LANGUAGES = ("en", "zh")

#: What the scene draws from a particle: the gradient (as −g), the momentum or first moment
#: (as −m, pointing where it pushes), the second-moment state (per-axis bars, in the gradient's
#: units: √v̂, √G, ...) and the realized step Δθ.
ARROW_KINDS = ("gradient", "momentum", "second_moment", "step")


@dataclass(frozen=True)
class Text:
    """A short text in each of :data:`LANGUAGES`."""

    en: str
    zh: str

    def get(self, language: str) -> str:
        """The text in ``language`` ("en" or "zh"); English for any other code."""
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Quantity:
    """A named value of a sub-step: (2,) per parameter, or () for a scalar of the update.

    ``symbol`` in the notes' notation and the formula markup (e.g. "m̂_{t}"); ``state`` the
    torch state name when it is one (e.g. "exp_avg").
    """

    symbol: str
    value: np.ndarray
    state: str = ""

    @property
    def per_parameter(self) -> bool:
        return np.ndim(self.value) == 1


@dataclass(frozen=True)
class Arrow:
    """A vector the scene draws from the particle once its sub-step is reached.

    ``kind`` one of :data:`ARROW_KINDS`; ``vector`` (2,) in θ's coordinates as drawn (−g for the
    gradient, −m for a momentum, Δθ for the step, the per-axis magnitudes for the second
    moment); ``symbol`` its label in the formula markup (e.g. "−m̂_{t}").
    """

    kind: str
    vector: np.ndarray
    symbol: str


@dataclass(frozen=True)
class SubStep:
    """One sub-step of an update: what it does, its formula, the values it produces, what it draws."""

    key: str
    title: Text
    text: Text
    formula: str
    values: tuple[Quantity, ...] = ()
    arrows: tuple[Arrow, ...] = ()


@dataclass(frozen=True)
class Update:
    """One update of one particle, θ_{t−1} → θ_t, sub-step by sub-step.

    ``state``/``new_state``: (S, 2) in the module's STATE order, before and after; ``carry``/
    ``new_carry``: the running value the engine keeps across steps (NAdam's Π_t; 1.0 unused);
    ``lr_preconditioned``: the per-parameter step size the kernel reports for this step.
    """

    family: str
    t: int
    lr: float
    theta: np.ndarray
    grad: np.ndarray
    new_theta: np.ndarray
    state: np.ndarray
    new_state: np.ndarray
    carry: float
    new_carry: float
    lr_preconditioned: np.ndarray
    substeps: tuple[SubStep, ...] = field(default=())

    @property
    def step(self) -> np.ndarray:
        """The realized step Δθ = θ_t − θ_{t−1}."""
        return self.new_theta - self.theta

    def arrows_at(self, index: int) -> dict[str, Arrow]:
        """The arrows drawn once sub-step ``index`` is reached: the latest of each kind so far."""
        out: dict[str, Arrow] = {}
        for sub in self.substeps[: index + 1]:
            for arrow in sub.arrows:
                out[arrow.kind] = arrow
        return out

    def substep(self, key: str) -> SubStep:
        """The sub-step called ``key`` (KeyError if this update has none)."""
        for sub in self.substeps:
            if sub.key == key:
                return sub
        raise KeyError(key)


# ---------------------------------------------------------------- the kernels' scalar helpers, in NumPy
def flush(value):
    """``value`` with entries below FLUSH_BELOW in magnitude set to 0 (the kernels' ``flush``)."""
    value = np.asarray(value, dtype=np.float64)
    return np.where(np.abs(value) >= FLUSH_BELOW, value, 0.0)


def lerp(start, end, weight: float):
    """torch.lerp as the kernels evaluate it: start + w(end − start) for w < 0.5, else end − (end − start)(1 − w)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def sign(value):
    """−1, 0 or 1 per entry (the kernels' ``sign``)."""
    value = np.asarray(value, dtype=np.float64)
    return (value > 0.0).astype(np.float64) - (value < 0.0).astype(np.float64)


def pair(value) -> np.ndarray:
    """A float64 (2,) copy."""
    return np.array(value, dtype=np.float64).reshape(2)


def state_pairs(state) -> tuple[np.ndarray, ...]:
    """The state (S, 2) as S float64 (2,) copies, in the module's STATE order."""
    return tuple(pair(row) for row in np.asarray(state))


def weight_decay_terms(lr_t: float, weight_decay: float, decoupled: bool) -> tuple[float, float]:
    """(λ added to g as λθ, factor θ is multiplied by first), as the kernels' weight_decay_terms."""
    l2 = 0.0 if decoupled else weight_decay
    decay = 1.0 - lr_t * weight_decay if decoupled else 1.0
    return l2, decay


def selectable_decay(hyper, lr_t: float) -> tuple[bool, float, float]:
    """(decoupled, λ added to g as λθ, factor θ is multiplied by first) of a family whose weight decay is
    L2 unless ``decoupled_weight_decay`` is true (every family but Lion), as its kernel computes them."""
    decoupled = bool(hyper["decoupled_weight_decay"])
    return (decoupled, *weight_decay_terms(lr_t, float(hyper["weight_decay"]), decoupled))


# ---------------------------------------------------------------- sub-steps every optimizer shares
def gradient_step(theta, grad) -> SubStep:
    """g_t = ∇f(θ_{t−1}): the gradient the kernel used at the particle's position."""
    return SubStep(
        "gradient",
        Text("Gradient", "梯度"),
        Text("The slope of the loss at the particle; −g points downhill.",
             "粒子所在处损失函数的斜率；−g 指向下坡方向。"),
        "g_{t} = ∇f(θ_{t−1})",
        (Quantity("θ_{t−1}", pair(theta)), Quantity("g_{t}", pair(grad))),
        (Arrow("gradient", -pair(grad), "−g_{t}"),),
    )


def weight_decay_step(hyper, theta, grad, lr_t: float, mode: str) -> SubStep | None:
    """The weight-decay sub-step: L2 (g_t ← g_t + λθ_{t−1}) or decoupled (θ shrinks by ηₜ λ θ_{t−1}).

    ``mode``: "l2" or "decoupled"; None when λ = 0 (no sub-step).
    """
    lam = float(hyper.get("weight_decay", 0.0))
    if lam == 0.0:
        return None
    theta = pair(theta)
    lam_q = Quantity("λ", np.float64(lam))
    if mode == "l2":
        g = pair(grad) + lam * theta
        return SubStep(
            "weight_decay",
            Text("Weight decay (L2)", "权重衰减（L2）"),
            Text("L2 adds λθ to the gradient, so the decay is rescaled like the gradient.",
                 "L2 把 λθ 加到梯度上，衰减因此和梯度一样被缩放。"),
            "g_{t} ← g_{t} + λ θ_{t−1}",
            (lam_q, Quantity("λ θ_{t−1}", lam * theta), Quantity("g_{t}", g)),
            (Arrow("gradient", -g, "−g_{t}"),),
        )
    shrink = -(lr_t * lam) * theta
    decay = 1.0 - lr_t * lam
    return SubStep(
        "weight_decay",
        Text("Weight decay (decoupled)", "权重衰减（解耦）"),
        Text("Decoupled decay multiplies θ by (1 − ηₜλ) directly, whatever the gradients are.",
             "解耦的权重衰减直接把 θ 乘以 (1 − ηₜλ)，与梯度无关。"),
        "θ_{t−1} ← (1 − η_{t} λ) θ_{t−1}",
        (lam_q, Quantity("η_{t}", np.float64(lr_t)), Quantity("−η_{t} λ θ_{t−1}", shrink),
         Quantity("(1 − η_{t} λ) θ_{t−1}", theta * decay)),
    )


def opening_substeps(hyper, theta, grad, lr_t: float, decoupled: bool) -> list[SubStep]:
    """The sub-steps an update with selectable weight decay opens with: the gradient, then the weight decay
    (L2 or decoupled) where λ ≠ 0; a list, for the family's own sub-steps to follow."""
    subs = [gradient_step(theta, grad)]
    decay_step = weight_decay_step(hyper, theta, grad, lr_t, "decoupled" if decoupled else "l2")
    if decay_step is not None:
        subs.append(decay_step)
    return subs


def adam_moments(theta, grad, l2: float, exp_avg, exp_avg_sq, beta1: float, beta2: float):
    """The Adam family's first step as the kernels' ``adam_moments``: (g + λθ, new m, new v)."""
    g = grad + l2 * theta
    m = flush(lerp(exp_avg, g, 1.0 - beta1))
    v = flush(beta2 * exp_avg_sq + (1.0 - beta2) * g * g)
    return g, m, v


def first_moment_step(m_prev, m, beta1: float) -> SubStep:
    """m_t = β₁ m_{t−1} + (1 − β₁) g_t (the Adam family's first moment; drawn as −m_t)."""
    return SubStep(
        "first_moment", Text("First moment (direction)", "一阶矩（方向）"),
        Text("m averages the gradients, as momentum does: the direction, with the zig-zag averaged away.",
             "m 像动量一样对梯度求指数加权平均：给出方向，抵消来回震荡。"),
        "m_{t} = β_{1} m_{t−1} + (1 − β_{1}) g_{t}",
        (Quantity("β_{1}", np.float64(beta1)), Quantity("m_{t−1}", pair(m_prev), "exp_avg"),
         Quantity("m_{t}", pair(m), "exp_avg")),
        (Arrow("momentum", -pair(m), "−m_{t}"),))


def second_moment_step(v_prev, v, beta2: float) -> SubStep:
    """v_t = β₂ v_{t−1} + (1 − β₂) g_t² (the Adam family's second moment; drawn as per-axis bars √v_t)."""
    return SubStep(
        "second_moment", Text("Second moment (scale)", "二阶矩（尺度）"),
        Text("v averages the squared gradients, as RMSProp does: the typical size of each gradient component.",
             "v 像 RMSProp 一样对梯度平方求指数加权平均：每个梯度分量的典型大小。"),
        "v_{t} = β_{2} v_{t−1} + (1 − β_{2}) g_{t}^{2}",
        (Quantity("β_{2}", np.float64(beta2)), Quantity("v_{t−1}", pair(v_prev), "exp_avg_sq"),
         Quantity("v_{t}", pair(v), "exp_avg_sq"), Quantity("√v_{t}", np.sqrt(pair(v)))),
        (Arrow("second_moment", np.sqrt(pair(v)), "√v_{t}"),))


def squared_gradient_average_step(symbol: str, label: str, decay: float, prev, new, text: Text) -> SubStep:
    """E[g²]_t = d E[g²]_{t−1} + (1 − d) g_t², RMSProp's and Adadelta's running average of g² (torch's
    ``square_avg``), its decay d written ``symbol`` in the formula and ``label`` among the values; drawn as
    per-axis bars √E[g²]_t."""
    root = np.sqrt(new)
    return SubStep(
        "second_moment", Text("Average of squared gradients", "梯度平方的滑动平均"), text,
        f"E[g^{{2}}]_{{t}} = {symbol} E[g^{{2}}]_{{t−1}} + (1 − {symbol}) g_{{t}}^{{2}}",
        (Quantity(label, np.float64(decay)), Quantity("E[g^{2}]_{t−1}", prev, "square_avg"),
         Quantity("E[g^{2}]_{t}", new, "square_avg"), Quantity("√E[g^{2}]_{t}", root)),
        (Arrow("second_moment", root, "√E[g^{2}]_{t}"),))


def moment_correction_step(moment: str, t, bc, corrected, title: Text, text: Text) -> SubStep:
    """The bias correction of one Adam-family moment alone, x̂_t = x_t / (1 − β_kᵗ): ``moment`` "m" (k = 1,
    drawn as −m̂_t) or "v" (k = 2, drawn as per-axis bars √v̂_t); ``bc`` is 1 − β_kᵗ, ``corrected`` x̂_t."""
    if moment == "m":
        k, hat, arrow = "1", "m̂_{t}", Arrow("momentum", -corrected, "−m̂_{t}")
    else:
        k, hat, arrow = "2", "v̂_{t}", Arrow("second_moment", np.sqrt(corrected), "√v̂_{t}")
    return SubStep("bias_correction", title, text, f"{hat} = {moment}_{{t}} / (1 − β_{{{k}}}^{{t}})",
                   (Quantity("t", np.float64(t)), Quantity(f"1 − β_{{{k}}}^{{t}}", np.float64(bc)),
                    Quantity(hat, corrected)), (arrow,))


def step_substep(formula: str, text: Text, theta, new_theta, lr_t: float, direction_symbol: str, direction,
                 lr_symbol: str = "η_{t}") -> SubStep:
    """The last move, θ_{t−1} → θ_t, drawing the realized step Δθ; its values are Δθ first (the outcome),
    θ_t, the direction used and the learning rate."""
    theta, new_theta = pair(theta), pair(new_theta)
    values = (Quantity("Δθ", new_theta - theta), Quantity("θ_{t}", new_theta),
              Quantity(direction_symbol, pair(direction)), Quantity(lr_symbol, np.float64(lr_t)))
    return SubStep("step", Text("Step", "更新参数"), text, formula, values,
                   (Arrow("step", new_theta - theta, "Δθ"),))


def step_formula(hyper, decoupled: bool, move: str) -> str:
    """The last move's formula, θ_t = θ_{t−1} − ``move``, θ_{t−1} shrunk by 1 − η_t λ under decoupled decay."""
    start = "(1 − η_{t} λ) θ_{t−1}" if decoupled and float(hyper["weight_decay"]) != 0.0 else "θ_{t−1}"
    return f"θ_{{t}} = {start} − {move}"


def eps_root(radicand: str, inside: bool, compound: bool = False) -> str:
    """The denominator √radicand with ε as ``eps_placement`` puts it: √(radicand + ε) inside, (√radicand + ε)
    outside; a ``compound`` radicand (several terms) is bracketed under the outside root."""
    if inside:
        return f"√({radicand} + ε)"
    return f"(√({radicand}) + ε)" if compound else f"(√{radicand} + ε)"


def step_size_substep(text: Text, root: str, eps, denom, lr_t) -> SubStep:
    """The per-parameter step size η_t / ``root`` (``denom`` its value per parameter), with ε."""
    return SubStep("precondition", Text("Per-parameter step size", "逐参数学习率"), text, f"η_{{t}} / {root}",
                   (Quantity("ε", np.float64(eps)), Quantity(root, denom), Quantity(f"η_{{t}} / {root}", lr_t / denom)))


def adam_closing_substeps(hyper, decoupled: bool, inside: bool, eps, denom, theta, new_theta, lr_t: float,
                          direction_symbol: str, direction, text: Text) -> list[SubStep]:
    """The Adam family's last two sub-steps: the per-parameter step size η_t / (√v̂_t + ε) (``denom`` its
    value, ε where ``inside`` puts it), then the move θ_t = θ_{t−1} − η_t d_t / (√v̂_t + ε) along
    ``direction`` d_t (Adam's m̂_t, NAdam's look-ahead m̄_t), told by ``text``."""
    root = eps_root("v̂_{t}", inside)
    size = step_size_substep(Text("Each parameter's step size is η divided by the root of its own v̂.",
                                  "每个参数的步长是 η 除以它自己的 v̂ 的平方根。"), root, eps, denom, lr_t)
    move = step_formula(hyper, decoupled, f"η_{{t}} {direction_symbol} / {root}")
    return [size, step_substep(move, text, theta, new_theta, lr_t, direction_symbol, direction)]

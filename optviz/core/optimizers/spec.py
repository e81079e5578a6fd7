"""How an optimizer is described: its hyperparameters, their defaults and valid ranges,
and its diagnostics.

An :class:`OptimizerSpec` is the single source of truth that the experiment file,
the command line (`optviz list`), the app's group editor, the inspector and the side
plots are built from. Hyperparameter names and defaults are torch.optim's; optviz's
textbook variants are extra options that are off by default.

Diagnostics, owned by each optimizer's module: its state arrays with the lecture
notes' notation (:class:`StateDoc`), its step-dependent factors (:class:`Factor`:
bias corrections, NAdam's μ_t, RAdam's r_t) with their values, the state they
rescale (:class:`Corrected`: m̂, v̂), and how its weight decay acts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.core.inputs import shown


class HyperparameterError(ValueError):
    """A hyperparameter is unknown or out of range; the message names field, value and range."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}" if not message.startswith(field_name) else message)
        self.field = field_name


@dataclass(frozen=True)
class HyperSpec:
    """One hyperparameter or variant option.

    kind: "float" (a number in [low, high], ends open where ``low_open``/``high_open``),
    "bool", "betas" (a pair, each in [0, 1)), "choice" (one of ``choices``), "int".
    """

    name: str
    default: Any
    doc: str
    kind: str = "float"
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    variant: bool = False  # a textbook variant option (not a torch.optim argument)

    def range_text(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "betas":
            return "a pair [beta1, beta2], each in [0, 1)"
        lo = "(" if self.low_open or math.isinf(self.low) else "["
        hi = ")" if self.high_open or math.isinf(self.high) else "]"
        return f"{lo}{_fmt(self.low)}, {_fmt(self.high)}{hi}"

    def validate(self, value: Any, where: str) -> Any:
        """Return the value normalized (float, bool, tuple or str), or raise HyperparameterError."""
        field_name = f"{where}.{self.name}"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be true or false")
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise HyperparameterError(
                field_name, f"{field_name} = {shown(value)} is not allowed: must be {self.range_text()}"
            )
        if self.kind == "betas":
            if (
                not isinstance(value, (list, tuple))
                or len(value) != 2
                or not all(_is_number(b) for b in value)
            ):
                raise HyperparameterError(
                    field_name, f"{field_name} = {shown(value)} must be {self.range_text()}"
                )
            for k, b in enumerate(value):
                if not 0.0 <= _to_float(b) < 1.0:
                    raise HyperparameterError(
                        field_name,
                        f"{field_name}[{k}] = {shown(b)} is out of range: each beta must be in [0, 1)",
                    )
            return (float(value[0]), float(value[1]))
        if not _is_number(value):
            raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be a number")
        x = _to_float(value)
        if not math.isfinite(x):  # inf is outside every range: its ends are open or finite
            raise HyperparameterError(
                field_name, f"{field_name} = {shown(value)} is out of range: must be a finite number in "
                f"{self.range_text()}")
        if self.kind == "int" and (x != int(x) or not -(2**63) <= x < 2**63):
            raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be an integer in "
                                                  f"{self.range_text()} below 2^63")
        too_low = x < self.low or (self.low_open and x == self.low)
        too_high = x > self.high or (self.high_open and x == self.high)
        if too_low or too_high:
            raise HyperparameterError(
                field_name, f"{field_name} = {shown(value)} is out of range: must be in {self.range_text()}"
            )
        return int(x) if self.kind == "int" else x


@dataclass(frozen=True)
class StateDoc:
    """One per-parameter state array: torch's name, the lecture notes' symbol, what it is."""

    name: str  # the kernel's and torch's state key, e.g. "exp_avg"
    symbol: str  # the notation of the lecture notes and the update rule, e.g. "m"
    meaning: str  # e.g. "first moment"
    role: str = ""  # what it does in the update, e.g. "the direction (momentum)"

    @property
    def label(self) -> str:
        """How the inspector names it: "first moment m: the direction (momentum)"."""
        return f"{self.meaning} {self.symbol}" + (f": {self.role}" if self.role else "")


@dataclass(frozen=True)
class Factor:
    """A scalar of the update rule that depends on the step t only (and hyperparameters).

    ``switch``: a bool hyperparameter that turns the factor off (it is then 1), e.g.
    Adam's ``bias_correction``; "" when it is always on.
    """

    key: str  # the name the module's factor function returns it under, e.g. "bc1"
    symbol: str  # e.g. "1/(1−β₁ᵗ)" or "μ_t"
    meaning: str  # e.g. "bias correction of m"
    switch: str = ""

    def on(self, hyper: Mapping[str, Any]) -> bool:
        return not self.switch or bool(hyper.get(self.switch, True))


@dataclass(frozen=True)
class Corrected:
    """A state array rescaled by a factor, e.g. m̂ = m · 1/(1−β₁ᵗ)."""

    symbol: str  # e.g. "m̂"
    formula: str  # e.g. "m / (1−β₁ᵗ)"
    state: str  # the state array, e.g. "exp_avg"
    factor: str  # the :class:`Factor` key, e.g. "bc1"


#: How weight decay acts: "selectable" (L2, λθ added to the gradient, unless the
#: ``decoupled_weight_decay`` hyperparameter is true) or "decoupled" (always, as Lion's).
DECAY_FORMS = ("selectable", "decoupled")

#: What each weight-decay mode moves θ by per step (see :meth:`OptimizerSpec.decay_per_step`).
DECAY_TEXT = {"l2": "L2, preconditioned LR·λ|θ|", "decoupled": "decoupled, lr·λ|θ|"}


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer as users see it: name, torch class, hyperparameters, documentation, diagnostics.

    ``family`` names the module whose update rule runs it (several names share a
    family: "momentum" and "nesterov" are SGD with other defaults).
    ``state`` names the per-parameter state arrays, in kernel order; ``state_docs``
    documents each of them, in the same order.
    ``factors`` are the step-dependent factors of the update rule and
    ``factor_values(hyper, t)`` their values at steps ``t`` (an array, t >= 1) by key,
    the closed forms of what the kernel's coefficients use; ``corrected`` the state
    arrays they rescale. ``decay`` is one of :data:`DECAY_FORMS`. ``stability`` and
    ``preconditioned`` say at which sharpness its iteration on a quadratic turns unstable.
    """

    name: str
    title: str
    family: str
    torch_class: str
    hypers: tuple[HyperSpec, ...]
    state: tuple[str, ...]
    update_rule: str
    effective_lr: str
    summary: str
    constraints: tuple = field(default=(), compare=False)
    state_docs: tuple[StateDoc, ...] = ()
    factors: tuple[Factor, ...] = ()
    factor_values: Callable[[Mapping[str, Any], np.ndarray], dict[str, np.ndarray]] | None = field(
        default=None, compare=False)
    corrected: tuple[Corrected, ...] = ()
    decay: str = "selectable"
    #: ``(resolved hyper, lr) -> StabilityThreshold`` (optviz.core.optimizers.stability), None where
    #: no linear threshold applies; ``preconditioned``: a diagonal preconditioner P divides the step
    #: (the recorded ``lr_preconditioned`` is lr_t / P), so its threshold bounds P^(-1/2) H P^(-1/2).
    stability: Callable[[Mapping[str, Any], Any], Any] | None = field(default=None, compare=False)
    preconditioned: bool = False

    def hyper(self, name: str) -> HyperSpec:
        for h in self.hypers:
            if h.name == name:
                return h
        raise KeyError(name)

    def state_doc(self, name: str) -> StateDoc:
        """The documentation of state array ``name`` (KeyError if it has none)."""
        for doc in self.state_docs:
            if doc.name == name:
                return doc
        raise KeyError(name)

    def time_factors(self, hyper: Mapping[str, Any], steps) -> list[tuple[Factor, np.ndarray]]:
        """Each factor with its values at ``steps`` (NaN at t < 1; 1 where its switch is off).

        NaN also where the factor does not act at that step (RAdam's r_t before it switches on).
        """
        if not self.factors:
            return []
        t = np.asarray(steps, dtype=np.float64)
        valid = t >= 1.0
        with np.errstate(all="ignore"):
            values = self.factor_values(hyper, np.where(valid, t, 1.0))
        out = []
        for f in self.factors:
            v = np.where(valid, np.asarray(values[f.key], dtype=np.float64), np.nan)
            if not f.on(hyper):
                v = np.where(valid, 1.0, np.nan)
            out.append((f, v))
        return out

    def weight_decay_mode(self, hyper: Mapping[str, Any]) -> str | None:
        """How the weight decay of ``hyper`` acts: "l2" (λθ added to the gradient, then scaled
        by the preconditioned LR like the gradient), "decoupled" (θ shrunk by lr_t·λ) or None
        (λ = 0 for every particle)."""
        lam = np.asarray(hyper.get("weight_decay", 0.0), dtype=np.float64)
        if not np.any(lam > 0.0):
            return None
        if self.decay == "decoupled" or bool(hyper.get("decoupled_weight_decay", False)):
            return "decoupled"
        return "l2"

    def decay_per_step(self, hyper: Mapping[str, Any], lr_t, lr_preconditioned, theta):
        """|change of θ| per step caused by the weight decay alone, per parameter.

        L2: λθ joins the gradient and is scaled as the gradient is, so it moves θ by
        lr_preconditioned · λ|θ| (Adam: lr_t λ|θ| / (√v̂ + eps), small where gradients are
        large; a momentum average of λθ counts as λθ, θ moving little over its memory);
        decoupled: lr_t · λ|θ|, whatever the gradients. ``theta`` is the position the step
        started from. Arrays broadcast; zeros where the group has no decay.
        """
        lam = np.asarray(hyper.get("weight_decay", 0.0), dtype=np.float64)
        mode = self.weight_decay_mode(hyper)
        rate = lr_preconditioned if mode == "l2" else lr_t
        return np.asarray(rate, dtype=np.float64) * lam * np.abs(np.asarray(theta, dtype=np.float64))

    @property
    def defaults(self) -> dict[str, Any]:
        return {h.name: h.default for h in self.hypers}

    def resolve(self, overrides: Mapping[str, Any] | None, where: str = "hyper") -> dict[str, Any]:
        """Defaults overridden by ``overrides``, every value validated.

        Raises HyperparameterError naming the field, the value and what is allowed.
        """
        overrides = dict(overrides or {})
        known = {h.name for h in self.hypers}
        for name in overrides:
            if name not in known:
                raise HyperparameterError(
                    f"{where}.{name}",
                    f"{where}.{name}: unknown hyperparameter {shown(name)} for optimizer "
                    f"{self.name!r}; known: {', '.join(h.name for h in self.hypers)}",
                )
        values = {h.name: h.validate(overrides.get(h.name, h.default), where) for h in self.hypers}
        for check in self.constraints:
            check(values, where)
        return values


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_float(value: int | float) -> float:
    """``float(value)``, with an integer too large for a float as +-inf (not OverflowError)."""
    return float(value) if not isinstance(value, int) or value.bit_length() <= 1000 else math.copysign(
        math.inf, value)


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


# Hyperparameters shared by several optimizers, with torch's meaning.
def lr(default: float) -> HyperSpec:
    return HyperSpec("lr", default, "learning rate (step size) before any schedule", low=0.0, low_open=True)


def weight_decay(default: float = 0.0) -> HyperSpec:
    return HyperSpec(
        "weight_decay",
        default,
        "weight decay λ: L2 penalty added to the gradient (g += λθ), or decoupled (θ *= 1 - lr·λ)",
        low=0.0,
    )


def decoupled_weight_decay(default: bool = False, variant: bool = True) -> HyperSpec:
    return HyperSpec(
        "decoupled_weight_decay",
        default,
        "decay the weights directly (θ *= 1 - lr·λ, as AdamW) instead of adding λθ to the gradient (L2)",
        kind="bool",
        variant=variant,
    )


def eps(default: float, doc: str = "small constant that keeps the denominator away from zero") -> HyperSpec:
    return HyperSpec("eps", default, doc, low=0.0, low_open=True)


def eps_placement() -> HyperSpec:
    return HyperSpec(
        "eps_placement",
        "outside",
        "where eps enters the denominator: 'outside' the square root (torch: sqrt(v) + eps) "
        "or 'inside' it (lecture notes: sqrt(v + eps))",
        kind="choice",
        choices=("outside", "inside"),
        variant=True,
    )


def betas(default: tuple[float, float] = (0.9, 0.999)) -> HyperSpec:
    return HyperSpec(
        "betas",
        default,
        "decay rates (β1, β2) of the running averages of the gradient and of its square",
        kind="betas",
    )


def bias_correction() -> HyperSpec:
    return HyperSpec(
        "bias_correction",
        True,
        "divide the running averages by (1 - β^t) so early steps are not biased toward zero",
        kind="bool",
        variant=True,
    )


def adam_hypers(lr_default: float, own: tuple[HyperSpec, ...] = (), wd: float = 0.0, decoupled: bool = False,
                variants: tuple[HyperSpec, ...] = ()) -> tuple[HyperSpec, ...]:
    """The hyperparameters of torch's Adam-style signature (Adam, AdamW, NAdam, RAdam), in its order: lr,
    betas, eps = 1e-8, weight_decay (``wd``), the optimizer's ``own`` arguments, decoupled_weight_decay
    (a torch argument there, not a variant); then optviz's ``variants`` and eps_placement."""
    return (lr(lr_default), betas(), eps(1e-8), weight_decay(wd), *own,
            decoupled_weight_decay(decoupled, variant=False), *variants, eps_placement())

"""How an optimizer is described: its hyperparameters, their defaults and valid ranges.

An :class:`OptimizerSpec` is the single source of truth that the experiment file,
the command line (`optviz list`) and the app's group editor are built from.
Hyperparameter names and defaults are torch.optim's; optviz's textbook variants
are extra options that are off by default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
class OptimizerSpec:
    """An optimizer as users see it: name, torch class, hyperparameters, documentation.

    ``family`` names the module whose update rule runs it (several names share a
    family: "momentum" and "nesterov" are SGD with other defaults).
    ``state`` names the per-parameter state arrays, in kernel order.
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

    def hyper(self, name: str) -> HyperSpec:
        for h in self.hypers:
            if h.name == name:
                return h
        raise KeyError(name)

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

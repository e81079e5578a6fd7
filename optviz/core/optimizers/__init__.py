"""Every optimizer optviz runs: specs (names, hyperparameters, docs) and update rules.

Each family module (sgd, adagrad, ...) holds the specs of the optimizers it runs
and what the kernel template (optviz.core.kernels) needs to run them, tied together
by names, not positions:

- ``STATE``: the per-parameter state arrays; ``init_state(h, n)`` gives them, (S, 2, n).
- ``COLUMNS`` and ``columns(h)``: the hyperparameters as named kernel columns (floats;
  flags as 0/1), a scalar for the group or an array per particle.
- ``COEFFICIENTS`` and ``coefficients(t, lr, carry, *COLUMNS)``: the scalars of step t
  (scheduled lr, bias corrections, ...); ``carry`` is a running value that the family
  may keep across steps (NAdam's μ product), 1.0 before the first step.
- ``rule(theta, grad, *STATE, *COLUMNS, *COEFFICIENTS)``: one parameter's update,
  returning ``(new theta, *new STATE, preconditioned LR)``.

Each module also owns its diagnostics, carried by its specs (see optviz.core.optimizers.spec):
``UPDATE_RULE`` (text, data: it survives ``python -OO``), ``STATE_DOCS`` (the state in the
lecture notes' notation) and, where the rule has step-dependent factors, ``FACTORS`` with
``factor_values(h, t)`` and ``CORRECTED``.
"""

from types import ModuleType

from optviz.core.inputs import shown
from optviz.core.optimizers import (
    adadelta,
    adagrad,
    adam,
    adamax,
    lion,
    nadam,
    radam,
    rmsprop,
    sgd,
)
from optviz.core.optimizers.adam import bias_correction_factors
from optviz.core.optimizers.spec import (
    DECAY_TEXT,
    Corrected,
    Factor,
    HyperparameterError,
    HyperSpec,
    OptimizerSpec,
    StateDoc,
)

#: The one table of optimizer families: name -> module. Dispatch and kernel generation read it.
FAMILIES: dict[str, ModuleType] = {
    module.FAMILY: module for module in (sgd, adagrad, rmsprop, adadelta, adam, adamax, nadam, radam, lion)
}

OPTIMIZERS: dict[str, OptimizerSpec] = {spec.name: spec for module in FAMILIES.values() for spec in module.SPECS}
ALIASES = {"gd": "sgd"}

__all__ = [
    "ALIASES",
    "Corrected",
    "DECAY_TEXT",
    "FAMILIES",
    "Factor",
    "OPTIMIZERS",
    "HyperSpec",
    "HyperparameterError",
    "OptimizerSpec",
    "StateDoc",
    "bias_correction_factors",
    "get_optimizer",
]


def get_optimizer(name: str, where: str = "optimizer") -> OptimizerSpec:
    """The spec of ``name`` (or an alias such as "gd"); a clear error lists the known names."""
    key = ALIASES.get(name, name) if isinstance(name, str) else None
    if key not in OPTIMIZERS:
        known = ", ".join(list(OPTIMIZERS) + list(ALIASES))
        raise HyperparameterError(where, f"{where} = {shown(name)} is not a known optimizer; known: {known}")
    return OPTIMIZERS[key]



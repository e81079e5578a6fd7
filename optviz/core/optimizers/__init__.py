"""Every optimizer optviz runs: specs (names, hyperparameters, docs) and update rules.

Each family module (sgd, adagrad, ...) holds the specs of the optimizers it runs
and four functions: ``pack`` (hyperparameters -> float64 array for the kernel),
``coefficients`` (the per-step scalars: scheduled lr, bias corrections, ...),
``init_state`` and the Numba ``update`` rule for one tile of particles.
"""

from types import ModuleType

import numpy as np

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
from optviz.core.optimizers.spec import HyperparameterError, HyperSpec, OptimizerSpec

FAMILIES: tuple[ModuleType, ...] = (sgd, adagrad, rmsprop, adadelta, adam, adamax, nadam, radam, lion)
assert all(module.FAMILY == index for index, module in enumerate(FAMILIES))

OPTIMIZERS: dict[str, OptimizerSpec] = {spec.name: spec for module in FAMILIES for spec in module.SPECS}
ALIASES = {"gd": "sgd"}

__all__ = [
    "ALIASES",
    "FAMILIES",
    "OPTIMIZERS",
    "HyperSpec",
    "HyperparameterError",
    "OptimizerSpec",
    "bias_correction_factors",
    "get_optimizer",
]


def get_optimizer(name: str, where: str = "optimizer") -> OptimizerSpec:
    """The spec of ``name`` (or an alias such as "gd"); a clear error lists the known names."""
    key = ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        known = ", ".join(list(OPTIMIZERS) + list(ALIASES))
        raise HyperparameterError(where, f"{where} = {name!r} is not a known optimizer; known: {known}")
    return OPTIMIZERS[key]


def bias_correction_factors(betas: tuple[float, float], steps) -> tuple[np.ndarray, np.ndarray]:
    """Adam's bias-correction factors 1/(1 - β₁ᵗ) and 1/(1 - β₂ᵗ) at the given steps t >= 1."""
    t = np.asarray(steps, dtype=np.float64)
    return 1.0 / (1.0 - betas[0] ** t), 1.0 / (1.0 - betas[1] ** t)

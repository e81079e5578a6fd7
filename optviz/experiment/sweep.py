"""Hyperparameter sweeps: one group whose numeric hyperparameters vary over a grid.

In an experiment file, any numeric hyperparameter of a group may be an axis instead
of a number::

    hyper = { lr = { log = [1e-4, 1.0], n = 256 }, momentum = { linspace = [0.0, 0.99], n = 256 } }

- ``{ log = [a, b], n = k }``: k values spaced evenly in log scale from a to b, both
  included (``numpy.geomspace``); a, b > 0;
- ``{ linspace = [a, b], n = k }``: k evenly spaced values from a to b, both included;
- ``{ values = [v1, v2, ...] }``: the values listed.

``betas`` sweeps either component: ``betas = [{ linspace = [0.8, 0.99], n = 20 }, 0.999]``.
Every value is checked against the hyperparameter's range.

The axes form a grid, their product, in the order they are written (the first axis
varies slowest, like ``numpy.meshgrid(..., indexing="ij")`` raveled). Every cell runs
the group's whole start distribution (P particles), so the group holds cells × P
particles, and particle ``cell * P + p`` starts at start point p with the
hyperparameters of cell ``cell``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.inputs import shown
from optviz.core.optimizers.spec import HyperparameterError, OptimizerSpec

#: Most values one axis may have.
MAX_AXIS_VALUES = 1_000_000

AXIS_KINDS = ("log", "linspace", "values")


@dataclass(frozen=True)
class Axis:
    """One swept hyperparameter: ``name`` ("lr", or "betas" with ``component`` 0 or 1) and its values."""

    name: str
    values: np.ndarray
    component: int | None = None

    @property
    def label(self) -> str:
        return self.name if self.component is None else f"{self.name}[{self.component}]"


def is_axis(value: Any) -> bool:
    return isinstance(value, Mapping)


def split_sweeps(spec: OptimizerSpec, hyper: Mapping[str, Any], where: str) -> tuple[dict[str, Any], list[Axis]]:
    """(the hyperparameters with each axis replaced by its first value, the axes), validated.

    Raises HyperparameterError naming the field, the value and what is allowed.
    """
    scalar: dict[str, Any] = {}
    axes: list[Axis] = []
    known = {h.name for h in spec.hypers}
    for name, value in hyper.items():
        field_name = f"{where}.{name}"
        if name not in known:
            scalar[name] = value  # spec.resolve reports unknown names
            continue
        kind = spec.hyper(name).kind
        if kind == "betas" and isinstance(value, (list, tuple)) and any(is_axis(v) for v in value):
            if len(value) != 2:
                raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be a pair [beta1, beta2]")
            pair = []
            for component, part in enumerate(value):
                if is_axis(part):
                    axis = _axis(part, f"{field_name}[{component}]")
                    for v in (axis.min(), axis.max()):
                        spec.hyper(name).validate([v, 0.0] if component == 0 else [0.0, v], where)
                    axes.append(Axis(name, axis, component))
                    pair.append(float(axis[0]))
                else:
                    pair.append(part)
            scalar[name] = pair
        elif is_axis(value):
            if kind != "float":
                raise HyperparameterError(
                    field_name, f"{field_name} cannot be swept: only numeric hyperparameters can vary per particle")
            axis = _axis(value, field_name)
            for v in (axis.min(), axis.max()):
                spec.hyper(name).validate(float(v), where)
            axes.append(Axis(name, axis))
            scalar[name] = float(axis[0])
        else:
            scalar[name] = value
    labels = [a.label for a in axes]
    if len(set(labels)) != len(labels):
        raise HyperparameterError(where, f"{where}: each hyperparameter can be swept once")
    return scalar, axes


def cell_count(axes: list[Axis]) -> int:
    return math.prod(len(a.values) for a in axes)


def particle_hyper(resolved: Mapping[str, Any], axes: list[Axis], points: int) -> dict[str, Any]:
    """The resolved hyperparameters with each swept one as an array of one value per particle."""
    if not axes:
        return dict(resolved)
    grids = np.meshgrid(*(a.values for a in axes), indexing="ij")
    out = dict(resolved)
    for axis, grid in zip(axes, grids, strict=True):
        per_particle = np.repeat(grid.ravel(), points)
        if axis.component is None:
            out[axis.name] = per_particle
        else:
            pair = list(out[axis.name])
            pair[axis.component] = per_particle
            out[axis.name] = tuple(pair)
    return out


def _axis(table: Mapping[str, Any], field_name: str) -> np.ndarray:
    kinds = [k for k in AXIS_KINDS if k in table]
    allowed = {"log": {"log", "n"}, "linspace": {"linspace", "n"}, "values": {"values"}}
    form = (f"{field_name} must be {{ log = [a, b], n = k }}, {{ linspace = [a, b], n = k }} or "
            "{ values = [v1, v2, ...] }")
    if len(kinds) != 1 or set(table) != allowed[kinds[0]]:
        raise HyperparameterError(field_name, f"{form}, got {shown(dict(table))}")
    kind = kinds[0]
    if kind == "values":
        values = table["values"]
        if not isinstance(values, list) or not values or not all(_finite(v) for v in values):
            raise HyperparameterError(field_name, f"{field_name}.values = {shown(values)} must be a non-empty list of "
                                                  "finite numbers")
        if len(values) > MAX_AXIS_VALUES:
            raise HyperparameterError(field_name, f"{field_name}.values has {len(values)} entries; at most "
                                                  f"{MAX_AXIS_VALUES}")
        return np.array(values, dtype=np.float64)
    ends, n = table[kind], table["n"]
    if not isinstance(ends, list) or len(ends) != 2 or not all(_finite(v) for v in ends):
        raise HyperparameterError(f"{field_name}.{kind}",
                                  f"{field_name}.{kind} = {shown(ends)} must be [first, last], two finite numbers")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_AXIS_VALUES:
        raise HyperparameterError(f"{field_name}.n", f"{field_name}.n = {shown(n)} must be an integer in "
                                                     f"[1, {MAX_AXIS_VALUES}]")
    if kind == "log":
        if not (ends[0] > 0 and ends[1] > 0):
            raise HyperparameterError(f"{field_name}.log",
                                      f"{field_name}.log = {shown(ends)}: both ends must be > 0 on a log axis")
        return np.geomspace(float(ends[0]), float(ends[1]), n)
    return np.linspace(float(ends[0]), float(ends[1]), n)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

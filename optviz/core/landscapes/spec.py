"""Descriptions of landscapes: parameters, known minima, and the landscape itself.

A :class:`LandscapeSpec` is plain data that the GUI, the experiment files and the
kernels share; the kernels see only its integer ``id`` and the float64 array that
:meth:`LandscapeSpec.pack_params` builds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from optviz.core.inputs import shown

__all__ = ["MAX_LANDSCAPE_PARAMS", "ParamSpec", "Minimum", "LandscapeSpec"]

#: Length of every packed landscape parameter array (unused slots are 0).
MAX_LANDSCAPE_PARAMS = 4

MINIMUM_KINDS = ("global", "local", "saddle")


def _fmt(value: float) -> str:
    """A value as the messages show it: ``-1.0``, ``100.0``, ``inf``, ``nan``."""
    return repr(float(value)) if math.isfinite(value) else str(float(value))


def _fmt_bound(value: float) -> str:
    """A range bound as the messages show it: ``0``, ``0.01``, ``-360``, ``inf``."""
    value = float(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return _fmt(value)


@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter of a landscape, valid in the closed range ``[low, high]``."""

    name: str
    default: float
    low: float
    high: float
    doc: str

    def __post_init__(self) -> None:
        if not (self.low <= self.default <= self.high):
            raise ValueError(
                f"ParamSpec {self.name!r}: default {self.default} outside [{self.low}, {self.high}]"
            )

    def range_text(self) -> str:
        """The valid range as messages show it, e.g. ``[0, inf]``."""
        return f"[{_fmt_bound(self.low)}, {_fmt_bound(self.high)}]"


@dataclass(frozen=True)
class Minimum:
    """A known stationary point: ``kind`` is "global", "local" or "saddle"."""

    x: float
    y: float
    value: float
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in MINIMUM_KINDS:
            raise ValueError(f"Minimum.kind = {self.kind!r}; must be one of {MINIMUM_KINDS}")


@dataclass(frozen=True)
class LandscapeSpec:
    """A built-in landscape: metadata, hyperparameters, default view and known minima."""

    name: str
    id: int
    title: str
    formula: str
    description: str
    params: tuple[ParamSpec, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    log_scale: bool
    #: ``minima_fn(params) -> tuple[Minimum, ...]`` for a packed parameter array.
    minima_fn: Callable[[np.ndarray], tuple[Minimum, ...]] = field(
        default=lambda params: (), repr=False, compare=False
    )
    #: f(x, y) in optviz's expression grammar (explicit ``*`` and ``**``, parameters by name):
    #: the symbolic form that exact Hessians are derived from (optviz.core.curvature). It must
    #: agree with the compiled landscape; tests/test_curvature.py checks value and gradient.
    expression: str = ""

    def __post_init__(self) -> None:
        if len(self.params) > MAX_LANDSCAPE_PARAMS:
            raise ValueError(f"landscape {self.name!r} has more than {MAX_LANDSCAPE_PARAMS} params")

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the hyperparameters, in packing order."""
        return tuple(p.name for p in self.params)

    def defaults(self) -> dict[str, float]:
        """The default hyperparameters as a ``{name: value}`` dict."""
        return {p.name: p.default for p in self.params}

    def pack_params(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """The float64 array of length ``MAX_LANDSCAPE_PARAMS`` that kernels take.

        Defaults, replaced by ``overrides``; unused slots are 0. An unknown name, a
        non-finite value or one outside its range raises ``ValueError`` naming the
        field, value and range, e.g.
        ``landscape.params.b = -1.0 is out of range: must be in [0, inf]``.
        """
        out = np.zeros(MAX_LANDSCAPE_PARAMS, dtype=np.float64)
        for i, p in enumerate(self.params):
            out[i] = p.default
        if not overrides:
            return out
        index = {p.name: i for i, p in enumerate(self.params)}
        for name, raw in overrides.items():
            if name not in index:
                known = ", ".join(self.param_names) or "(none)"
                raise ValueError(
                    f"landscape.params: unknown parameter {shown(name)} for {self.name!r}; "
                    f"known: {known}"
                )
            p = self.params[index[name]]
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ValueError(
                    f"landscape.params.{name} = {shown(raw)} is not a number: "
                    f"must be in {p.range_text()}"
                ) from None
            if not math.isfinite(value):
                raise ValueError(
                    f"landscape.params.{name} = {_fmt(value)} is out of range: "
                    f"must be finite and in {p.range_text()}"
                )
            if not (p.low <= value <= p.high):
                raise ValueError(
                    f"landscape.params.{name} = {_fmt(value)} is out of range: "
                    f"must be in {p.range_text()}"
                )
            out[index[name]] = value
        return out

    def unpack_params(self, params: np.ndarray | Mapping[str, float] | None) -> np.ndarray:
        """A packed array from a packed array, a ``{name: value}`` mapping or None (defaults)."""
        if params is None or isinstance(params, Mapping):
            return self.pack_params(params)
        arr = np.ascontiguousarray(params, dtype=np.float64)
        if arr.shape != (MAX_LANDSCAPE_PARAMS,):
            raise ValueError(
                f"landscape.params: a packed array must have shape ({MAX_LANDSCAPE_PARAMS},), "
                f"got {arr.shape}"
            )
        return arr

    def minima(self, params: np.ndarray | Mapping[str, float] | None = None) -> tuple[Minimum, ...]:
        """Known global and local minima (saddle points for saddle landscapes) for ``params``."""
        return tuple(self.minima_fn(self.unpack_params(params)))

    def global_minimum_value(
        self, params: np.ndarray | Mapping[str, float] | None = None
    ) -> float | None:
        """The global minimum value, or None when the landscape has none (saddles)."""
        values = [m.value for m in self.minima(params) if m.kind == "global"]
        return min(values) if values else None

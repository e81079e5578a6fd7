"""The experiment's ``[map]`` table: a basin or phase map of one group, validated.

::

    [map]
    kind = "hyper"                 # or "basin"
    x = { param = "lr", low = 1e-4, high = 1.0, n = 256, scale = "log" }
    y = { param = "momentum", low = 0.0, high = 0.99, n = 256 }   # scale = "linear" by default
    metric = "final_loss"          # "steps_to_eps", "converged", "diverged"; basin maps also "basin"
    eps = 1e-6                     # within eps: |f - f(nearest known minimum)| < eps (optviz.core.maps)
    group = 0                      # the group whose optimizer (and, for hyper maps, start) is mapped
    compare = 1                    # optional: a difference map of group `group` against this group
    scheduler = "tcp://host:8786"  # optional: a Dask scheduler; local threads without it

A basin map's ``x`` and ``y`` are the start coordinates: they take no ``param``, and
``low``/``high`` default to the landscape's view. A hyper (phase) map's axes are two
numeric hyperparameters of the group's optimizer (``beta1``/``beta2`` name the entries
of ``betas``); every cell starts where the group starts. ``n`` defaults to
:data:`DEFAULT_N`. ``metric`` defaults to "basin" (basin maps) or "final_loss" (hyper
maps). ``eps`` defaults to ``[run] eps``, else :data:`DEFAULT_EPS`. Maps run noise-free,
full-batch gradients: the mapped groups take no ``noise`` and no ``batch_size``.

Every error names the field, the value and what is allowed, in one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.inputs import shown
from optviz.core.optimizers import get_optimizer
from optviz.core.race import DEFAULT_EPS
from optviz.experiment.errors import ExperimentError

__all__ = ["MAP_KINDS", "MAP_METRICS", "KIND_METRICS", "MIN_N", "MAX_N", "DEFAULT_N", "DEFAULT_EPS", "MAX_EPS",
           "MapAxisConfig", "MapConfig", "check_scheduler", "parse_map", "map_table", "map_params", "axis_values"]

MAP_KINDS = ("basin", "hyper")
#: What a map's cells can show (optviz.core.maps.METRICS).
MAP_METRICS = ("basin", "final_loss", "steps_to_eps", "converged", "diverged")
#: The metrics each kind of map allows, the first its default.
KIND_METRICS = {"basin": MAP_METRICS, "hyper": ("final_loss", "steps_to_eps", "converged", "diverged")}
#: Cells per axis.
MIN_N, MAX_N = 2, 4096
DEFAULT_N = 256
MAX_EPS = 1e9
#: Axis ends within +-MAX_END.
MAX_END = 1e9
AXIS_SCALES = ("linear", "log")
#: A Dask scheduler's address (the schemes Dask distributed connects to over a network).
_SCHEDULER = re.compile(r"^(tcp|tls|ws|wss|ucx)://[^\s/]+$")


@dataclass(frozen=True)
class MapAxisConfig:
    """One axis of a map: ``n`` values from ``low`` to ``high`` (both included), linearly or
    logarithmically spaced. ``param`` is "x"/"y" on a basin map, a hyperparameter on a hyper map."""

    param: str
    low: float
    high: float
    n: int = DEFAULT_N
    scale: str = "linear"

    def values(self) -> np.ndarray:
        """(n,) float64 cell centres, ``low`` and ``high`` included."""
        return axis_values(self.low, self.high, self.n, self.scale)


def axis_values(low: float, high: float, n: int, scale: str) -> np.ndarray:
    """``n`` values from ``low`` to ``high`` (both included): ``geomspace`` on a log axis."""
    if scale == "log":
        return np.geomspace(low, high, n)
    return np.linspace(low, high, n)


@dataclass(frozen=True)
class MapConfig:
    """A validated ``[map]`` table (see the module docstring)."""

    kind: str
    x: MapAxisConfig
    y: MapAxisConfig
    metric: str
    eps: float = DEFAULT_EPS
    group: int = 0
    compare: int | None = None
    scheduler: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx): row i is y[i], column j is x[j]."""
        return (self.y.n, self.x.n)


def _fail(where: str, value: Any, allowed: str) -> ExperimentError:
    return ExperimentError(f"{where} = {shown(value)} is not allowed: {allowed}", where)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def map_params(optimizer: str) -> dict[str, tuple[float, float, bool, bool]]:
    """The hyperparameters a hyper map of ``optimizer`` can vary: name -> (low, high, low_open,
    high_open). Every numeric one; ``beta1`` and ``beta2`` for the entries of ``betas``."""
    out = {}
    for h in get_optimizer(optimizer).hypers:
        if h.kind == "float":
            out[h.name] = (h.low, h.high, h.low_open, h.high_open)
        elif h.kind == "betas":
            out["beta1"] = out["beta2"] = (0.0, 1.0, False, True)
    return out


def _range_text(low: float, high: float, low_open: bool, high_open: bool) -> str:
    def end(v: float) -> str:
        return "inf" if math.isinf(v) else f"{v:g}"

    opening = "(" if low_open or math.isinf(low) else "["
    closing = ")" if high_open or math.isinf(high) else "]"
    return f"{opening}{end(low)}, {end(high)}{closing}"


def _parse_axis(value: Any, axis: str, kind: str, bounds: Sequence[float], optimizer: str, label: str
                ) -> MapAxisConfig:
    where = f"map.{axis}"
    if value is None and kind == "basin":
        value = {}
    if value is None:
        raise ExperimentError(f"{where} is missing: give {{ param = \"lr\", low = ..., high = ..., n = ... }} (a "
                              f"hyperparameter of {label}'s optimizer)", where)
    if not isinstance(value, Mapping):
        form = ("{ low = ..., high = ..., n = ... }" if kind == "basin"
                else "{ param = \"lr\", low = ..., high = ..., n = ..., scale = \"log\" }")
        raise ExperimentError(f"{where} = {shown(value)} must be a table {form}", where)
    allowed = ("param", "low", "high", "n", "scale")
    for key in value:
        if key not in allowed:
            raise ExperimentError(f"unknown field {shown(key)} in {where}; allowed: {', '.join(allowed)}",
                                  f"{where}.{key}")
    if kind == "basin":
        param = value.get("param", axis)
        if param != axis:
            raise _fail(f"{where}.param", param, f"a basin map's {axis} axis is the start coordinate {axis}; "
                                                 "leave param out (hyperparameters are for kind = \"hyper\")")
        limits = (-MAX_END, MAX_END, False, False)
    else:
        if "param" not in value:
            raise ExperimentError(f"{where}.param is missing: name a hyperparameter of {label}'s optimizer "
                                  f"({', '.join(map_params(optimizer))})", f"{where}.param")
        param = value["param"]
        params = map_params(optimizer)
        if param not in params:
            raise _fail(f"{where}.param", param,
                        f"must be a numeric hyperparameter of {label}'s optimizer {optimizer}: {', '.join(params)}")
        limits = params[param]
    for end in ("low", "high"):
        if end not in value and kind == "hyper":
            raise ExperimentError(f"{where}.{end} is missing: give the axis's {'first' if end == 'low' else 'last'} "
                                  "value", f"{where}.{end}")
    low = value.get("low", bounds[0])
    high = value.get("high", bounds[1])
    for end, v in (("low", low), ("high", high)):
        if not _is_number(v) or abs(v) > MAX_END:
            raise _fail(f"{where}.{end}", v, f"must be a finite number within ±{MAX_END:g}".replace("e+0", "e"))
        lo, hi, lo_open, hi_open = limits
        if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
            raise _fail(f"{where}.{end}", v, f"{param} must be in {_range_text(*limits)}")
    if not low < high:
        raise _fail(f"{where}.high", high, f"must be greater than {where}.low = {low:g}")
    n = value.get("n", DEFAULT_N)
    if not _is_index(n) or not MIN_N <= n <= MAX_N:
        raise _fail(f"{where}.n", n, f"must be an integer in [{MIN_N}, {MAX_N}] (cells along {axis})")
    scale = value.get("scale", "linear")
    if scale not in AXIS_SCALES:
        raise _fail(f"{where}.scale", scale, "must be \"linear\" or \"log\"")
    if scale == "log" and not low > 0:
        raise _fail(f"{where}.low", low, f"a log axis ({where}.scale = \"log\") needs low > 0")
    if scale == "linear" and (high - low) < 1e-12 * max(1.0, abs(low), abs(high)):
        raise _fail(f"{where}.high", high, f"too close to {where}.low = {low:g} to divide into cells")
    return MapAxisConfig(param=str(param), low=float(low), high=float(high), n=int(n), scale=scale)


def _group_index(value: Any, where: str, n_groups: int) -> int:
    if not _is_index(value) or not 0 <= value < n_groups:
        raise _fail(where, value, f"must be a group index in [0, {n_groups - 1}] (the [[groups]] in order, from 0)")
    return int(value)


def _check_mappable(config: Any, index: int, where: str) -> None:
    """A mapped group has one value of each hyperparameter and noise-free, full-batch gradients."""
    label = f"groups[{index}]"
    if config.sweep_axes():
        raise ExperimentError(f"{where} = {index}: {label} sweeps its hyperparameters; a map needs a group with one "
                              "value of each (the map is the sweep)", where)
    for name in ("noise", "batch_size"):
        if getattr(config, name) is not None:
            raise ExperimentError(f"{where} = {index}: {label} has {name}; maps run noise-free, full-batch "
                                  f"gradients: map a group without {name}", where)


def parse_map(value: Any, groups: Sequence[Any], bounds: Sequence[Sequence[float]], run_eps: float | None = None
              ) -> MapConfig | None:
    """The ``[map]`` table validated against the experiment's ``groups`` (GroupConfig) and the
    landscape's view ``bounds`` ((x0, x1), (y0, y1)); None when there is no table. ExperimentError
    naming the field otherwise. ``run_eps`` (``[run] eps``) is the default eps."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ExperimentError(f"map = {shown(value)} must be a table", "map")
    allowed = ("kind", "x", "y", "metric", "eps", "group", "compare", "scheduler")
    for key in value:
        if key not in allowed:
            raise ExperimentError(f"unknown field {shown(key)} in map; allowed: {', '.join(allowed)}", f"map.{key}")
    if "kind" not in value:
        raise ExperimentError("map.kind is missing: \"basin\" (start points) or \"hyper\" (two hyperparameters)",
                              "map.kind")
    kind = value["kind"]
    if kind not in MAP_KINDS:
        raise _fail("map.kind", kind, "must be \"basin\" (start points) or \"hyper\" (two hyperparameters)")
    n_groups = len(groups)
    group = _group_index(value.get("group", 0), "map.group", n_groups)
    config = groups[group]
    label = f"groups[{group}]"
    _check_mappable(config, group, "map.group")
    x = _parse_axis(value.get("x"), "x", kind, bounds[0], config.optimizer, label)
    y = _parse_axis(value.get("y"), "y", kind, bounds[1], config.optimizer, label)
    if kind == "hyper" and x.param == y.param:
        raise _fail("map.y.param", y.param, f"must differ from map.x.param = {x.param!r}")
    metric = value.get("metric", KIND_METRICS[kind][0])
    if metric not in KIND_METRICS[kind]:
        raise _fail("map.metric", metric, f"a {kind} map shows one of {', '.join(KIND_METRICS[kind])}")
    eps = value.get("eps", DEFAULT_EPS if run_eps is None else run_eps)
    if not _is_number(eps) or not 0 < eps <= MAX_EPS:
        raise _fail("map.eps", eps, f"must be a number in (0, {MAX_EPS:g}] (converged: |f - f(nearest known "
                                    "minimum)| < eps)".replace("e+0", "e"))
    compare = value.get("compare")
    if compare is not None:
        compare = _group_index(compare, "map.compare", n_groups)
        if compare == group:
            raise _fail("map.compare", compare, f"must be another group than map.group = {group}")
        other = groups[compare]
        _check_mappable(other, compare, "map.compare")
        if kind == "hyper":
            for axis in (x, y):
                if axis.param not in map_params(other.optimizer):
                    raise _fail("map.compare", compare, f"groups[{compare}]'s optimizer {other.optimizer} has no "
                                                        f"{axis.param} to map")
    scheduler = value.get("scheduler")
    if scheduler is not None:
        check_scheduler(scheduler, "map.scheduler")
    return MapConfig(kind=kind, x=x, y=y, metric=metric, eps=float(eps), group=group, compare=compare,
                     scheduler=scheduler)


def check_scheduler(value: Any, where: str) -> str:
    """A Dask scheduler's address, "tcp://HOST:PORT" (or tls, ws, wss, ucx); else ExperimentError naming ``where``."""
    if not isinstance(value, str) or len(value) > 300 or not _SCHEDULER.match(value):
        raise _fail(where, value, "must be a Dask scheduler address such as \"tcp://HOST:8786\"")
    return value


def map_table(config: MapConfig) -> dict[str, Any]:
    """The ``[map]`` table (what TOML stores; :func:`parse_map` reads it back)."""

    def axis(a: MapAxisConfig) -> dict[str, Any]:
        table: dict[str, Any] = {} if config.kind == "basin" else {"param": a.param}
        table.update(low=a.low, high=a.high, n=a.n)
        if a.scale != "linear":
            table["scale"] = a.scale
        return table

    out: dict[str, Any] = {"kind": config.kind, "x": axis(config.x), "y": axis(config.y), "metric": config.metric,
                           "eps": config.eps, "group": config.group}
    if config.compare is not None:
        out["compare"] = config.compare
    if config.scheduler is not None:
        out["scheduler"] = config.scheduler
    return out

"""An experiment as plain dataclasses: landscape, run settings, groups of particles.

``Experiment.from_dict`` validates everything once, at the edge, and every error
names the field (as a dotted path such as ``groups[1].hyper.lr``), the value and
what is allowed. The same description is read from and written to TOML
(``optviz.experiment.toml_io``) and drives the app, ``optviz run``, ``optviz
figure`` and ``optviz export``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.core.initial import check_init, initial_positions
from optviz.core.optimizers import get_optimizer
from optviz.core.optimizers.spec import HyperparameterError
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import Surface, builtin_surface, expression_surface
from optviz.experiment.errors import ExperimentError

RECORD_DTYPES = ("float32", "float64")
MAX_STEPS = 100_000_000
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class LandscapeConfig:
    """A built-in landscape by ``name``, or a typed ``expression`` in x and y; ``params`` override defaults.

    ``bounds`` ([[x0, x1], [y0, y1]]) sets the default view of an expression (built-ins have their own).
    """

    name: str = "rosenbrock"
    params: dict[str, float] = field(default_factory=dict)
    expression: str | None = None
    bounds: list[list[float]] | None = None

    def spec(self) -> Surface:
        """The surface to run and draw (compiling an expression once per process)."""
        if self.expression is not None:
            bounds = tuple(tuple(b) for b in self.bounds) if self.bounds else None
            return expression_surface(self.expression, self.params, bounds)
        return builtin_surface(self.name, self.params)

    def packed_params(self) -> np.ndarray:
        return self.spec().param_values


@dataclass
class RunConfig:
    """How long to run and what to keep: every ``record_every`` steps, in ``record_dtype``."""

    steps: int = 500
    record_every: int = 1
    record_dtype: str = "float32"
    max_history_mb: float = 1024.0


@dataclass
class GroupConfig:
    """A group of particles: one optimizer with hyperparameters, a schedule and a start."""

    label: str
    optimizer: str = "sgd"
    hyper: dict[str, Any] = field(default_factory=dict)
    init: dict[str, Any] = field(default_factory=lambda: {"kind": "point", "point": [-1.5, 2.0]})
    schedule: dict[str, Any] | None = None
    color: str | None = None
    visible: bool = True

    def resolved_hyper(self) -> dict[str, Any]:
        return get_optimizer(self.optimizer).resolve(self.hyper)

    def resolved_schedule(self) -> dict[str, Any]:
        return resolve_schedule(self.schedule)


@dataclass
class Experiment:
    """Everything a run needs; same experiment and seed give identical trajectories."""

    title: str = "Untitled experiment"
    seed: int = 0
    landscape: LandscapeConfig = field(default_factory=LandscapeConfig)
    run: RunConfig = field(default_factory=RunConfig)
    groups: list[GroupConfig] = field(default_factory=list)
    render: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)

    # Construction and validation ---------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Experiment:
        """Validate a plain description (as read from TOML); raise ExperimentError on any problem."""
        if not isinstance(data, Mapping):
            raise ExperimentError(f"an experiment must be a table, got {type(data).__name__}")
        _only(data, ("title", "seed", "landscape", "run", "groups", "render", "view"), "the top level")
        title = data.get("title", "Untitled experiment")
        if not isinstance(title, str):
            raise ExperimentError(f"title = {title!r} must be a string", "title")
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
            raise ExperimentError(f"seed = {seed!r} must be an integer in [0, 2^63)", "seed")
        experiment = cls(
            title=title,
            seed=seed,
            landscape=_landscape(data.get("landscape", {})),
            run=_run(data.get("run", {})),
            groups=_groups(data.get("groups")),
            render=copy.deepcopy(dict(_table(data.get("render", {}), "render"))),
            view=copy.deepcopy(dict(_table(data.get("view", {}), "view"))),
        )
        return experiment

    def to_dict(self) -> dict[str, Any]:
        """The plain description (what TOML stores); ``from_dict(to_dict())`` round-trips."""
        out: dict[str, Any] = {"title": self.title, "seed": self.seed}
        if self.landscape.expression is not None:
            land: dict[str, Any] = {"expression": self.landscape.expression}
            if self.landscape.bounds:
                land["bounds"] = [list(b) for b in self.landscape.bounds]
        else:
            land = {"name": self.landscape.name}
        if self.landscape.params:
            land["params"] = dict(self.landscape.params)
        out["landscape"] = land
        out["run"] = {
            "steps": self.run.steps,
            "record_every": self.run.record_every,
            "record_dtype": self.run.record_dtype,
            "max_history_mb": self.run.max_history_mb,
        }
        out["groups"] = []
        for g in self.groups:
            entry: dict[str, Any] = {"label": g.label, "optimizer": g.optimizer,
                                     "hyper": _plain(g.hyper), "init": _plain(g.init)}
            if g.schedule:
                entry["schedule"] = _plain(g.schedule)
            if g.color:
                entry["color"] = g.color
            if not g.visible:
                entry["visible"] = False
            out["groups"].append(entry)
        if self.render:
            out["render"] = _plain(self.render)
        if self.view:
            out["view"] = _plain(self.view)
        return out

    def validated(self) -> Experiment:
        """A validated copy (use after editing fields in place, as the app does)."""
        return Experiment.from_dict(self.to_dict())

    # Derived values ------------------------------------------------------------------------

    def landscape_spec(self) -> Surface:
        return self.landscape.spec()

    def landscape_params(self) -> np.ndarray:
        return self.landscape.packed_params()

    def initial_positions(self) -> list[np.ndarray]:
        """Start positions (n, 2) of each group, drawn from seeded, independent streams."""
        streams = np.random.SeedSequence(self.seed).spawn(len(self.groups))
        return [
            initial_positions(g.init, np.random.default_rng(stream), f"groups[{k}].init")
            for k, (g, stream) in enumerate(zip(self.groups, streams, strict=True))
        ]


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ExperimentError(f"{where} = {value!r} must be a table", where)
    return value


def _only(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ExperimentError(
                f"unknown field {key!r} in {where}; allowed: {', '.join(allowed)}",
                key if where == "the top level" else f"{where}.{key}",
            )


def _landscape(value: Any) -> LandscapeConfig:
    table = _table(value, "landscape")
    _only(table, ("name", "params", "expression", "bounds"), "landscape")
    params = dict(_table(table.get("params", {}), "landscape.params"))
    expression = table.get("expression")
    if expression is not None:
        if "name" in table:
            raise ExperimentError("landscape: give either name (a built-in) or expression, not both", "landscape")
        if not isinstance(expression, str):
            raise ExperimentError(f"landscape.expression = {expression!r} must be a string", "landscape.expression")
        bounds = _bounds(table.get("bounds"))
        config = LandscapeConfig(name="expression", params=params, expression=expression, bounds=bounds)
        try:
            config.spec()
        except ValueError as error:
            field_name = f"landscape.{getattr(error, 'field', None) or 'expression'}"
            raise ExperimentError(f"{field_name}: {error}", field_name) from None
        return config
    if "bounds" in table:
        raise ExperimentError("landscape.bounds is only for expressions (built-ins have their own view)",
                              "landscape.bounds")
    name = table.get("name", "rosenbrock")
    try:
        builtin_surface(name, params)
    except ValueError as error:
        raise ExperimentError(str(error), "landscape") from None
    return LandscapeConfig(name=name, params=params)


def _bounds(value: Any) -> list[list[float]] | None:
    if value is None:
        return None
    ok = (isinstance(value, list) and len(value) == 2 and all(
        isinstance(b, list) and len(b) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                    and np.isfinite(v) for v in b) and b[0] < b[1]
        for b in value))
    if not ok:
        raise ExperimentError(
            f"landscape.bounds = {value!r} must be [[x0, x1], [y0, y1]] with x0 < x1 and y0 < y1",
            "landscape.bounds")
    return [[float(b[0]), float(b[1])] for b in value]


def _run(value: Any) -> RunConfig:
    table = _table(value, "run")
    _only(table, ("steps", "record_every", "record_dtype", "max_history_mb"), "run")
    steps = table.get("steps", 500)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
        raise ExperimentError(f"run.steps = {steps!r} must be an integer in [1, {MAX_STEPS}]", "run.steps")
    every = table.get("record_every", 1)
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ExperimentError(f"run.record_every = {every!r} must be an integer >= 1", "run.record_every")
    dtype = table.get("record_dtype", "float32")
    if dtype not in RECORD_DTYPES:
        raise ExperimentError(
            f"run.record_dtype = {dtype!r} is not allowed: must be 'float32' or 'float64'", "run.record_dtype"
        )
    budget = table.get("max_history_mb", 1024.0)
    if not isinstance(budget, (int, float)) or isinstance(budget, bool) or not budget > 0:
        raise ExperimentError(f"run.max_history_mb = {budget!r} must be a number > 0", "run.max_history_mb")
    return RunConfig(steps=steps, record_every=every, record_dtype=dtype, max_history_mb=float(budget))


def _groups(value: Any) -> list[GroupConfig]:
    if value is None:
        raise ExperimentError("groups is missing: add at least one [[groups]] table", "groups")
    if not isinstance(value, list) or not value:
        raise ExperimentError("groups must be a non-empty list of [[groups]] tables", "groups")
    return [_group(entry, k) for k, entry in enumerate(value)]


def _group(value: Any, index: int) -> GroupConfig:
    where = f"groups[{index}]"
    table = _table(value, where)
    _only(table, ("label", "optimizer", "hyper", "init", "schedule", "color", "visible"), where)
    optimizer = table.get("optimizer", "sgd")
    label = table.get("label", optimizer if isinstance(optimizer, str) else f"group {index + 1}")
    if not isinstance(label, str):
        raise ExperimentError(f"{where}.label = {label!r} must be a string", f"{where}.label")
    hyper = dict(_table(table.get("hyper", {}), f"{where}.hyper"))
    schedule = table.get("schedule")
    init = dict(_table(table.get("init", {"kind": "point", "point": [-1.5, 2.0]}), f"{where}.init"))
    color = table.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        raise ExperimentError(f"{where}.color = {color!r} must be a colour like '#1f77b4'", f"{where}.color")
    visible = table.get("visible", True)
    if not isinstance(visible, bool):
        raise ExperimentError(f"{where}.visible = {visible!r} must be true or false", f"{where}.visible")
    try:
        spec = get_optimizer(optimizer, f"{where}.optimizer")
        spec.resolve(hyper, f"{where}.hyper")
        if schedule is not None:
            schedule = resolve_schedule(_table(schedule, f"{where}.schedule"), f"{where}.schedule")
        check_init(init, f"{where}.init")
    except HyperparameterError as error:
        raise ExperimentError(str(error), error.field) from None
    return GroupConfig(label=label, optimizer=optimizer, hyper=hyper, init=init, schedule=schedule,
                       color=color, visible=visible)


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively (what TOML can store)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

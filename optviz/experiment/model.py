"""An experiment as plain dataclasses: landscape, run settings, groups of particles.

``Experiment.from_dict`` validates everything once, at the edge, and every error
names the field (as a dotted path such as ``groups[1].hyper.lr``), the value and
what is allowed. The same description is read from and written to TOML
(``optviz.experiment.toml_io``) and drives the app, ``optviz run``, ``optviz
figure`` and ``optviz export``.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optviz.core.data import MODELS, load_csv, make_dataset
from optviz.core.data.datasets import MAX_ROWS
from optviz.core.initial import MAX_PARTICLES, initial_positions, particle_count
from optviz.core.inputs import shown
from optviz.core.kernels import NOISE_KINDS
from optviz.core.optimizers import get_optimizer
from optviz.core.optimizers.spec import HyperparameterError
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import Surface, builtin_surface, data_surface, expression_surface
from optviz.experiment import vocabulary
from optviz.experiment.errors import ExperimentError
from optviz.experiment.map_table import DEFAULT_EPS, MAX_EPS, MapConfig, map_table, parse_map
from optviz.experiment.sweep import Axis, cell_count, particle_hyper, split_sweeps
from optviz.experiment.tune import TuneTable, parse_tune, tune_table

RECORD_DTYPES = ("float32", "float64")
MAX_STEPS = 100_000_000
#: run.max_history_mb at most (1 TiB): a budget, not an allocation, but one the engine can count in bytes.
MAX_HISTORY_MB = 1_048_576
#: Tables and lists nested deeper than this are refused (the schema needs 6: a swept beta's linspace).
MAX_NESTING = 20
#: Integers anywhere in an experiment fit in a signed 64-bit integer, as the engine stores them.
INT_LOW, INT_HIGH = -(2**63), 2**63
#: View ranges (landscape.bounds, the [view] and [render] view): every end within +-MAX_BOUND, each
#: range at least MIN_RELATIVE_WIDTH x max(1, |end|) wide, so it can be drawn and evaluated on a grid.
MAX_BOUND = 1e9
MIN_RELATIVE_WIDTH = 1e-9
#: Gradient noise: scale (sigma) in (0, MAX_NOISE_SCALE], Student-t degrees of freedom in (2, MAX_NOISE_DOF].
MAX_NOISE_SCALE = 1e9
MAX_NOISE_DOF = 1e9
#: Generated data: noise in [0, MAX_DATA_VALUE], true parameters within +-MAX_DATA_VALUE.
MAX_DATA_VALUE = 1e6
#: The longest title and group label (characters).
MAX_TITLE_CHARS = 500
MAX_LABEL_CHARS = 200
#: The window's speed (optimizer steps per drawn frame) is at most this.
MAX_SPEED = 1000
#: The longest caption (characters): one or two lines under the title saying what to look for.
MAX_CAPTION_CHARS = 300
#: Languages an experiment may translate its title, caption and group labels into (``[translations.zh]``).
TRANSLATION_LANGUAGES = ("zh",)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class LandscapeConfig:
    """What the particles descend. Exactly one of:

    - ``name``: a built-in landscape, ``params`` overriding its defaults;
    - ``expression``: a typed formula in x and y with ``params`` and optional view ``bounds``;
    - ``model`` + ``data``: a 2-parameter model (linear, logistic, tanh) fitted to a dataset,
      generated (``data = { size, noise, seed, <true parameters> }``) or read from a CSV file
      (``data = { csv = "points.csv" }``, relative to the experiment file).
    """

    name: str = "rosenbrock"
    params: dict[str, float] = field(default_factory=dict)
    expression: str | None = None
    bounds: list[list[float]] | None = None
    model: str | None = None
    data: dict[str, Any] | None = None
    base_dir: str = "."

    def spec(self) -> Surface:
        """The surface to run and draw (built once per process for the same description)."""
        return _surface(_freeze((self.name, self.params, self.expression, self.bounds, self.model, self.data,
                                 self.base_dir)))

    def packed_params(self) -> np.ndarray:
        return self.spec().param_values


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@functools.lru_cache(maxsize=32)
def _surface(key: tuple) -> Surface:
    name, params, expression, bounds, model, data, base_dir = key
    params = dict(params)
    if expression is not None:
        return expression_surface(expression, params, bounds)
    if model is not None:
        data = dict(data)
        if "csv" in data:
            path = Path(data["csv"])
            dataset = load_csv(path if path.is_absolute() else Path(base_dir) / path, model)
        else:
            true_params = {k: v for k, v in data.items() if k not in ("size", "noise", "seed")}
            dataset = make_dataset(model, int(data.get("size", 200)), float(data.get("noise", 0.1)),
                                   int(data.get("seed", 0)), **true_params)
        return data_surface(model, dataset)
    return builtin_surface(name, params)


@dataclass
class RunConfig:
    """How long to run and what to keep: every ``record_every`` steps, in ``record_dtype``."""

    steps: int = 500
    record_every: int = 1
    record_dtype: str = "float32"
    max_history_mb: float = 1024.0
    #: Race statistics count a particle converged while |f - f(nearest known minimum)| < eps
    #: (optviz.core.race); None: ``[map] eps``, else 1e-6 (see :meth:`Experiment.race_eps`).
    eps: float | None = None


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
    batch_size: int | None = None            # data-backed landscapes: None = full batch (GD)
    sampling: str = "epoch"                  # mini-batches: "epoch" (without replacement) or "replacement"
    noise: dict[str, Any] | None = None      # { kind = "gaussian" | "student_t", scale = σ, dof = ν }

    def sweep_axes(self) -> list[Axis]:
        """The swept hyperparameters (optviz.experiment.sweep), in the order written; empty if none."""
        return split_sweeps(get_optimizer(self.optimizer), self.hyper, "hyper")[1]

    def cells(self) -> int:
        """Hyperparameter combinations the group runs (1 without a sweep)."""
        return cell_count(self.sweep_axes())

    def resolved_hyper(self) -> dict[str, Any]:
        """Every hyperparameter, validated; a swept one at the first value of its axis."""
        spec = get_optimizer(self.optimizer)
        return spec.resolve(split_sweeps(spec, self.hyper, "hyper")[0])

    def particle_hyper(self, points: int) -> dict[str, Any]:
        """The resolved hyperparameters with swept ones as one value per particle (cells × points)."""
        return particle_hyper(self.resolved_hyper(), self.sweep_axes(), points)

    def resolved_schedule(self) -> dict[str, Any]:
        return resolve_schedule(self.schedule)


@dataclass
class Experiment:
    """Everything a run needs; same experiment and seed give identical trajectories."""

    title: str = "Untitled experiment"
    #: One or two sentences shown under the title: what to look for ("" for none).
    caption: str = ""
    seed: int = 0
    landscape: LandscapeConfig = field(default_factory=LandscapeConfig)
    run: RunConfig = field(default_factory=RunConfig)
    groups: list[GroupConfig] = field(default_factory=list)
    render: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    #: The ``[map]`` table (optviz.experiment.map_table), or None.
    map: MapConfig | None = None
    #: How ``optviz tune`` chose a hyperparameter of the groups (None: not tuned).
    tune: TuneTable | None = None
    #: ``{language: {English text: its translation}}`` for the title, the caption and group labels
    #: (``[translations.zh]``); a text without an entry is shown as it is.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    # Construction and validation ---------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str = ".") -> Experiment:
        """Validate a plain description (as read from TOML); raise ExperimentError on any problem.

        ``base_dir`` is where relative data paths are found (the experiment file's folder).
        """
        if not isinstance(data, Mapping):
            raise ExperimentError(f"an experiment must be a table, got {type(data).__name__}")
        check_values(data)
        _only(data, ("title", "caption", "seed", "landscape", "run", "groups", "render", "view", "map", "tune",
                     "translations"),
              "the top level")
        experiment = cls(
            title=parse_title(data.get("title", "Untitled experiment")),
            caption=parse_caption(data.get("caption", "")),
            seed=parse_seed(data.get("seed", 0)),
            landscape=parse_landscape(data.get("landscape", {}), base_dir),
            run=parse_run(data.get("run", {})),
            groups=_groups(data.get("groups")),
            render=copy.deepcopy(dict(_table(data.get("render", {}), "render"))),
            view=parse_view(data.get("view", {})),
        )
        experiment.tune = parse_tune(data.get("tune"), len(experiment.groups))
        check_batch_sizes(experiment.landscape, experiment.groups)
        experiment.map = parse_map(data.get("map"), experiment.groups, experiment.landscape_spec().bounds,
                                   experiment.run.eps)
        experiment.translations = parse_translations(data.get("translations", {}), experiment.translatable_texts())
        return experiment

    def to_dict(self) -> dict[str, Any]:
        """The plain description (what TOML stores); ``from_dict(to_dict())`` round-trips."""
        out: dict[str, Any] = {"title": self.title}
        if self.caption:
            out["caption"] = self.caption
        out["seed"] = self.seed
        out["landscape"] = landscape_table(self.landscape)
        out["run"] = {
            "steps": self.run.steps,
            "record_every": self.run.record_every,
            "record_dtype": self.run.record_dtype,
            "max_history_mb": self.run.max_history_mb,
        }
        if self.run.eps is not None:
            out["run"]["eps"] = self.run.eps
        out["groups"] = [group_table(g) for g in self.groups]
        if self.render:
            out["render"] = _plain(self.render)
        if self.view:
            out["view"] = _plain(self.view)
        if self.map is not None:
            out["map"] = map_table(self.map)
        if self.tune is not None:
            out["tune"] = tune_table(self.tune)
        translations = self.current_translations()
        if translations:
            out["translations"] = translations
        return out

    def validated(self) -> Experiment:
        """A validated copy (use after editing fields in place, as the app does)."""
        return Experiment.from_dict(self.to_dict(), self.landscape.base_dir)

    # Derived values ------------------------------------------------------------------------

    def race_eps(self) -> float:
        """The eps of race statistics: ``[run] eps``, else ``[map] eps``, else 1e-6."""
        if self.run.eps is not None:
            return self.run.eps
        return self.map.eps if self.map is not None else DEFAULT_EPS

    def translatable_texts(self) -> list[str]:
        """The texts a ``[translations]`` table may translate: the title, the caption, the group labels."""
        return [t for t in (self.title, self.caption, *(g.label for g in self.groups)) if t]

    def current_translations(self) -> dict[str, dict[str, str]]:
        """The translations of the texts the experiment has now (an edited title's old entry is dropped)."""
        texts = set(self.translatable_texts())
        kept = {lang: {k: v for k, v in table.items() if k in texts} for lang, table in self.translations.items()}
        return {lang: table for lang, table in kept.items() if table}

    def translated(self, text: str, language: str) -> str:
        """``text`` (the title, the caption or a group label) in ``language`` where the experiment
        translates it, else ``text`` itself (English, or an edited text)."""
        return self.translations.get(language, {}).get(text, text)

    def landscape_spec(self) -> Surface:
        return self.landscape.spec()

    def landscape_params(self) -> np.ndarray:
        return self.landscape.packed_params()

    def particle_counts(self) -> list[int]:
        """Particles in each group, counted without drawing their positions."""
        return [particle_count(g.init, f"groups[{k}].init") * g.cells() for k, g in enumerate(self.groups)]

    def initial_positions(self) -> list[np.ndarray]:
        """Start positions (n, 2) of each group, drawn from seeded, independent streams.

        A swept group repeats its start distribution once per cell (particle cell × P + p).
        """
        streams = np.random.SeedSequence(self.seed).spawn(len(self.groups))
        return [
            np.tile(initial_positions(g.init, np.random.default_rng(stream), f"groups[{k}].init"), (g.cells(), 1))
            for k, (g, stream) in enumerate(zip(self.groups, streams, strict=True))
        ]


def check_values(data: Any, where: str = "") -> None:
    """Refuse what no field accepts, naming the field: nan or inf, an integer beyond 64 bits,
    tables or lists nested deeper than :data:`MAX_NESTING` (checked without recursion).
    ``where`` is the path of ``data`` in the experiment ("" for the whole experiment)."""
    pending = deque([(data, where, 0)])
    while pending:
        value, where, depth = pending.popleft()
        if isinstance(value, (Mapping, list, tuple)):
            if depth >= MAX_NESTING:
                raise ExperimentError(f"{where} is nested too deeply: an experiment nests tables and lists at "
                                      f"most {MAX_NESTING} deep", where)
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, item in items:
                if isinstance(value, Mapping):
                    name = key if isinstance(key, str) and len(key) <= 60 else shown(key)
                    path = f"{where}.{name}" if where else name
                else:
                    path = f"{where}[{key}]"
                pending.append((item, path, depth + 1))
        elif isinstance(value, float) and not math.isfinite(value):
            raise ExperimentError(f"{where} = {shown(value)} is not allowed: must be a finite number", where)
        elif isinstance(value, int) and not isinstance(value, bool) and not INT_LOW <= value < INT_HIGH:
            raise ExperimentError(f"{where} = {shown(value)} is not allowed: integers must be in [-2^63, 2^63)",
                                  where)


def check_view_range(value: Any, where: str, names: tuple[str, str] = ("low", "high")) -> list[float]:
    """``[low, high]`` as floats if it is a range that can be drawn (see :data:`MAX_BOUND`); else
    ExperimentError naming ``where``, the value and what is allowed (the ends called ``names``)."""
    ok = (isinstance(value, (list, tuple)) and len(value) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  and abs(v) <= MAX_BOUND for v in value)
          and value[1] - value[0] >= MIN_RELATIVE_WIDTH * max(1.0, abs(value[0]), abs(value[1])))
    if not ok:
        low, high = names
        raise ExperimentError(
            f"{where} = {shown(value)} is not allowed: must be [{low}, {high}] with {low} < {high}, both within "
            f"±{_short(MAX_BOUND)} and at least {_short(MIN_RELATIVE_WIDTH)} × max(1, |{low}|, |{high}|) apart",
            where)
    return [float(value[0]), float(value[1])]


def parse_title(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TITLE_CHARS:
        raise ExperimentError(f"title = {shown(value)} must be a string of at most {MAX_TITLE_CHARS} characters",
                              "title")
    return value


def parse_caption(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_CAPTION_CHARS:
        raise ExperimentError(
            f"caption = {shown(value)} must be a string of at most {MAX_CAPTION_CHARS} characters", "caption")
    return value


def parse_translations(value: Any, texts: list[str]) -> dict[str, dict[str, str]]:
    """The ``[translations]`` table: per language of :data:`TRANSLATION_LANGUAGES`, entries
    ``"English text" = "translation"`` whose English text is one of ``texts`` (the title, the caption,
    a group label) and whose translation is a string as long as that field allows."""
    table = _table(value, "translations")
    _only(table, TRANSLATION_LANGUAGES, "translations")
    known = set(texts)
    limit = max(MAX_TITLE_CHARS, MAX_CAPTION_CHARS)
    out: dict[str, dict[str, str]] = {}
    for language, entries in table.items():
        where = f"translations.{language}"
        entries = _table(entries, where)
        for source, text in entries.items():
            if source not in known:
                raise ExperimentError(f"{where}: {shown(source)} is not the title, the caption or a group label of "
                                      "this experiment; translate one of those texts, written exactly as above", where)
            if not isinstance(text, str) or len(text) > limit:
                raise ExperimentError(f"{where}: the translation of {shown(source)} = {shown(text)} must be a string "
                                      f"of at most {limit} characters", where)
        out[language] = dict(entries)
    return out


def parse_seed(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ExperimentError(f"seed = {shown(value)} must be an integer in [0, 2^63)", "seed")
    return value


def check_batch_sizes(landscape: LandscapeConfig, groups: list[GroupConfig]) -> None:
    """A batch size needs a data-backed landscape (formula landscapes have no samples)."""
    if landscape.model is not None:
        return
    for k, g in enumerate(groups):
        if g.batch_size is not None:
            raise ExperimentError(
                f"groups[{k}].batch_size needs a data-backed landscape ([landscape] model = ..., data = ...); "
                "on formula landscapes use noise = { kind = \"gaussian\", scale = ... }",
                f"groups[{k}].batch_size")


def landscape_table(landscape: LandscapeConfig) -> dict[str, Any]:
    """The ``[landscape]`` table (what TOML stores; :func:`parse_landscape` reads it back)."""
    if landscape.expression is not None:
        table: dict[str, Any] = {"expression": landscape.expression}
        if landscape.bounds:
            table["bounds"] = [list(b) for b in landscape.bounds]
    elif landscape.model is not None:
        table = {"model": landscape.model, "data": dict(landscape.data or {})}
    else:
        table = {"name": landscape.name}
    if landscape.params:
        table["params"] = dict(landscape.params)
    return table


def group_table(g: GroupConfig) -> dict[str, Any]:
    """A group as its ``[[groups]]`` table (what TOML stores; :func:`parse_group` reads it back)."""
    entry: dict[str, Any] = {"label": g.label, "optimizer": g.optimizer,
                             "hyper": _plain(g.hyper), "init": _plain(g.init)}
    if g.schedule:
        entry["schedule"] = _plain(g.schedule)
    if g.color:
        entry["color"] = g.color
    if not g.visible:
        entry["visible"] = False
    if g.batch_size is not None:
        entry["batch_size"] = g.batch_size
    if g.sampling != "epoch":
        entry["sampling"] = g.sampling
    if g.noise:
        entry["noise"] = dict(g.noise)
    return entry


def _short(x: float) -> str:
    """``1e+09`` -> ``1e9``."""
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ExperimentError(f"{where} = {shown(value)} must be a table", where)
    return value


def _only(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ExperimentError(
                f"unknown field {shown(key)} in {where}; allowed: {', '.join(allowed)}",
                key if where == "the top level" else f"{where}.{key}",
            )


def parse_view(value: Any) -> dict[str, Any]:
    """The ``[view]`` table: kept as written, its view ranges ``x`` and ``y``, its ``speed``
    (optimizer steps per drawn frame when the window opens the experiment), its look options
    (by the validators ``[render]`` uses too) and ``future`` checked."""
    view = copy.deepcopy(dict(_table(value, "view")))
    for key in vocabulary.LOOK_OPTIONS:
        if key in view:
            try:
                vocabulary.check_look(key, view[key])
            except vocabulary.LookError as error:
                raise ExperimentError(f"view.{error}", f"view.{key}") from None
    future = view.get("future", "hide")
    if not isinstance(future, str) or future not in (*vocabulary.FUTURE_MODES, *vocabulary.FUTURE_ALIASES):
        raise ExperimentError(f"view.future: {shown(future)} is not allowed; one of "
                              + ", ".join(repr(m) for m in vocabulary.FUTURE_MODES), "view.future")
    for axis in ("x", "y"):
        if axis in view:
            check_view_range(view[axis], f"view.{axis}", (f"{axis}min", f"{axis}max"))
    speed = view.get("speed", 1)
    if not isinstance(speed, int) or isinstance(speed, bool) or not 1 <= speed <= MAX_SPEED:
        raise ExperimentError(f"view.speed = {shown(speed)} must be an integer in [1, {MAX_SPEED}] (optimizer "
                              "steps per drawn frame)", "view.speed")
    return view


def parse_landscape(value: Any, base_dir: str = ".") -> LandscapeConfig:
    table = _table(value, "landscape")
    _only(table, ("name", "params", "expression", "bounds", "model", "data"), "landscape")
    params = dict(_table(table.get("params", {}), "landscape.params"))
    kinds = [key for key in ("name", "expression", "model") if key in table]
    if len(kinds) > 1:
        raise ExperimentError(
            f"landscape: give one of name (a built-in), expression or model, not {' and '.join(kinds)}", "landscape")
    if "model" in table:
        return _data_landscape(table, base_dir)
    if "data" in table:
        raise ExperimentError("landscape.data needs a model (linear, logistic or tanh)", "landscape.data")
    expression = table.get("expression")
    if expression is not None:
        if not isinstance(expression, str):
            raise ExperimentError(f"landscape.expression = {shown(expression)} must be a string",
                                  "landscape.expression")
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


def _data_landscape(table: Mapping[str, Any], base_dir: str) -> LandscapeConfig:
    model = table["model"]
    names = [m.name for m in MODELS]
    if not isinstance(model, str) or model not in names:
        raise ExperimentError(f"landscape.model = {shown(model)} is not known; known: {', '.join(names)}",
                              "landscape.model")
    data = dict(_table(table.get("data", {}), "landscape.data"))
    if "csv" in data:
        if set(data) != {"csv"} or not isinstance(data["csv"], str):
            raise ExperimentError("landscape.data = { csv = \"file.csv\" } takes only the file's path",
                                  "landscape.data")
    else:
        spec = next(m for m in MODELS if m.name == model)
        allowed = ("size", "noise", "seed", *spec.param_names)
        _only(data, allowed, "landscape.data")
        integer = (int,)
        number = (int, float)
        checks = {"size": (integer, 1, MAX_ROWS, "an integer in [1, {high}]"),
                  "seed": (integer, 0, INT_HIGH - 1, "an integer in [0, 2^63)"),
                  "noise": (number, 0, MAX_DATA_VALUE, "a number in [0, {high:g}]")}
        for key, value in data.items():
            types, low, high, allowed = checks.get(key, (number, -MAX_DATA_VALUE, MAX_DATA_VALUE,
                                                         "a number in [{low:g}, {high:g}] (a true parameter)"))
            if not (isinstance(value, types) and _number_in(value, low, high)):
                raise ExperimentError(f"landscape.data.{key} = {shown(value)} is not allowed: must be "
                                      + allowed.format(low=low, high=high), f"landscape.data.{key}")
    if "params" in table or "bounds" in table:
        raise ExperimentError("landscape.params and landscape.bounds do not apply to data-backed models",
                              "landscape")
    config = LandscapeConfig(name=model, model=model, data=data, base_dir=base_dir)
    try:
        config.spec()
    except ValueError as error:
        raise ExperimentError(f"landscape.data: {error}", "landscape.data") from None
    return config


def _bounds(value: Any) -> list[list[float]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ExperimentError(f"landscape.bounds = {shown(value)} must be [[x0, x1], [y0, y1]] with x0 < x1 and "
                              "y0 < y1", "landscape.bounds")
    return [check_view_range(b, f"landscape.bounds[{k}]", ("x0", "x1") if k == 0 else ("y0", "y1"))
            for k, b in enumerate(value)]


def parse_run(value: Any) -> RunConfig:
    table = _table(value, "run")
    _only(table, ("steps", "record_every", "record_dtype", "max_history_mb", "eps"), "run")
    steps = table.get("steps", 500)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
        raise ExperimentError(f"run.steps = {shown(steps)} must be an integer in [1, {MAX_STEPS}]", "run.steps")
    every = table.get("record_every", 1)
    if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= MAX_STEPS:
        raise ExperimentError(f"run.record_every = {shown(every)} must be an integer in [1, {MAX_STEPS}]",
                              "run.record_every")
    dtype = table.get("record_dtype", "float32")
    if dtype not in RECORD_DTYPES:
        raise ExperimentError(
            f"run.record_dtype = {shown(dtype)} is not allowed: must be 'float32' or 'float64'", "run.record_dtype"
        )
    budget = table.get("max_history_mb", 1024.0)
    if not _number_in(budget, 0.0, MAX_HISTORY_MB, low_open=True):
        raise ExperimentError(f"run.max_history_mb = {shown(budget)} must be a number in (0, {MAX_HISTORY_MB}] "
                              "(MiB)", "run.max_history_mb")
    eps = table.get("eps")
    if eps is not None and not _number_in(eps, 0.0, MAX_EPS, low_open=True):
        raise ExperimentError(f"run.eps = {shown(eps)} must be a number in (0, {_short(MAX_EPS)}] (race statistics: "
                              "converged when |f - f(nearest known minimum)| < eps)", "run.eps")
    return RunConfig(steps=steps, record_every=every, record_dtype=dtype, max_history_mb=float(budget),
                     eps=None if eps is None else float(eps))


def _groups(value: Any) -> list[GroupConfig]:
    if value is None:
        raise ExperimentError("groups is missing: add at least one [[groups]] table", "groups")
    if not isinstance(value, list) or not value:
        raise ExperimentError("groups must be a non-empty list of [[groups]] tables", "groups")
    return [parse_group(entry, k) for k, entry in enumerate(value)]


def parse_group(value: Any, index: int) -> GroupConfig:
    where = f"groups[{index}]"
    table = _table(value, where)
    _only(table, ("label", "optimizer", "hyper", "init", "schedule", "color", "visible", "batch_size", "sampling",
                  "noise"), where)
    optimizer = table.get("optimizer", "sgd")
    label = table.get("label", optimizer if isinstance(optimizer, str) else f"group {index + 1}")
    if not isinstance(label, str) or len(label) > MAX_LABEL_CHARS:
        raise ExperimentError(f"{where}.label = {shown(label)} must be a string of at most {MAX_LABEL_CHARS} "
                              "characters", f"{where}.label")
    hyper = dict(_table(table.get("hyper", {}), f"{where}.hyper"))
    schedule = table.get("schedule")
    init = dict(_table(table.get("init", {"kind": "point", "point": [-1.5, 2.0]}), f"{where}.init"))
    color = table.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        raise ExperimentError(f"{where}.color = {shown(color)} must be a colour like '#1f77b4'", f"{where}.color")
    visible = table.get("visible", True)
    if not isinstance(visible, bool):
        raise ExperimentError(f"{where}.visible = {shown(visible)} must be true or false", f"{where}.visible")
    try:
        spec = get_optimizer(optimizer, f"{where}.optimizer")
        scalar, axes = split_sweeps(spec, hyper, f"{where}.hyper")
        spec.resolve(scalar, f"{where}.hyper")
        if schedule is not None:
            schedule = resolve_schedule(_table(schedule, f"{where}.schedule"), f"{where}.schedule")
        total = particle_count(init, f"{where}.init") * cell_count(axes)
        if total > MAX_PARTICLES:
            raise HyperparameterError(
                f"{where}.hyper", f"{where}: {cell_count(axes)} hyperparameter cells × "
                f"{total // cell_count(axes)} start points = {total} particles; a group holds at most {MAX_PARTICLES}")
    except HyperparameterError as error:
        raise ExperimentError(str(error), error.field) from None
    batch_size = table.get("batch_size")
    if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                   or not 1 <= batch_size <= MAX_ROWS):
        raise ExperimentError(f"{where}.batch_size = {shown(batch_size)} must be an integer in [1, {MAX_ROWS}] "
                              "(1 = SGD; leave it out for the full batch)", f"{where}.batch_size")
    sampling = table.get("sampling", "epoch")
    if sampling not in ("epoch", "replacement"):
        raise ExperimentError(f"{where}.sampling = {shown(sampling)} is not allowed: must be 'epoch' (each sample once "
                              "per epoch) or 'replacement'", f"{where}.sampling")
    noise = table.get("noise")
    if noise is not None:
        noise = dict(_table(noise, f"{where}.noise"))
        _only(noise, ("kind", "scale", "dof"), f"{where}.noise")
        kinds = [k for k in NOISE_KINDS if k != "none"]
        if noise.get("kind") not in kinds:
            raise ExperimentError(f"{where}.noise.kind = {shown(noise.get('kind'))} is not known; known: "
                                  f"{', '.join(kinds)}", f"{where}.noise.kind")
        for key, low, high in (("scale", 0.0, MAX_NOISE_SCALE), ("dof", 2.0, MAX_NOISE_DOF)):
            value = noise.get(key, 1.0 if key == "scale" else 3.0)
            if not _number_in(value, low, high, low_open=True):
                raise ExperimentError(f"{where}.noise.{key} = {shown(value)} must be a number > {low:g} and "
                                      f"<= {high:g}", f"{where}.noise.{key}")
    return GroupConfig(label=label, optimizer=optimizer, hyper=hyper, init=init, schedule=schedule,
                       color=color, visible=visible, batch_size=batch_size, sampling=sampling, noise=noise)


def _number_in(value: Any, low: float, high: float, low_open: bool = False) -> bool:
    """A finite int or float (not a bool) in [low, high], or (low, high] with ``low_open``."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and (low < value if low_open else low <= value) and value <= high)


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively (what TOML can store)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

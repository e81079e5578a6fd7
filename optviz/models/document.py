"""The document: the experiment being edited, its file and its unsaved changes.

Every edit goes through a method that validates the changed field with the
experiment's own parsers (the ones that read TOML: ``parse_group``,
``parse_landscape``, ``parse_run``, ...) and the engine's specs, then makes a new
:class:`Experiment` with only that field replaced and emits that field's event.
A refused edit raises :class:`EditError` naming the field, the value and what is
allowed, and changes nothing. The current experiment is never modified in place.

Views subscribe to the fields they show (``doc.events.title.connect(...)``, as
napari's models do); see :class:`DocumentEvents`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from psygnal import Signal, SignalGroup

from optviz.core.initial import MAX_PARTICLES, particle_count
from optviz.core.landscapes import get_landscape
from optviz.core.memory import MemoryBudgetError, check_memory
from optviz.core.optimizers import OPTIMIZERS, get_optimizer
from optviz.core.optimizers.spec import HyperparameterError
from optviz.experiment import (
    Experiment,
    ExperimentError,
    load_experiment,
    memory_estimate,
    run_frames,
    save_experiment,
)
from optviz.experiment.map_table import map_table, parse_map
from optviz.experiment.model import (
    GroupConfig,
    check_values,
    group_table,
    landscape_table,
    parse_group,
    parse_landscape,
    parse_run,
    parse_seed,
    parse_title,
    parse_view,
)

__all__ = ["DocumentModel", "DocumentEvents", "EditError", "GROUP_LOOK_FIELDS",
           "default_experiment", "APP_MAX_PARTICLES", "DEFAULT_DATA",
           "DEFAULT_NOISE", "EXPRESSION_TEMPLATE", "default_data"]

#: The app's limit on particles in all groups together, for edits and opened files alike
#: (``optviz run`` allows more; the window draws up to this).
APP_MAX_PARTICLES = 1_000_000
#: Longest detail of an unexpected error quoted in a message (the rest is cut).
MAX_DETAIL = 300

#: Generated data for a data-backed landscape chosen in the app (before the user edits it).
DEFAULT_DATA = {"size": 500, "noise": 0.5, "seed": 1}
#: Its noise per model: the standard deviation of y for regression, the label-flip probability for logistic.
DEFAULT_NOISE = {"linear": 0.5, "logistic": 0.1, "tanh": 0.3}


def default_data(model: str) -> dict:
    """Generated data for ``model`` as first offered in the app."""
    return {**DEFAULT_DATA, "noise": DEFAULT_NOISE.get(model, DEFAULT_DATA["noise"])}

#: The expression offered when the user first picks "Custom expression": Rosenbrock spelled out.
EXPRESSION_TEMPLATE = {"expression": "(a - x)**2 + b*(y - x**2)**2", "params": {"a": 1.0, "b": 100.0},
                       "bounds": [[-2.0, 2.0], [-1.0, 3.0]]}


class EditError(ValueError):
    """An edit was refused; ``field`` names what was wrong, the message says why."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def default_experiment() -> Experiment:
    return Experiment.from_dict({
        "title": "Momentum vs Adam on Rosenbrock",
        "seed": 0,
        "landscape": {"name": "rosenbrock"},
        "run": {"steps": 1000, "record_every": 1},
        "groups": [
            {"label": "Momentum", "optimizer": "momentum", "hyper": {"lr": 0.001},
             "init": {"kind": "normal", "mean": [-1.5, 2.0], "std": [0.1, 0.1], "count": 100}},
            {"label": "Adam", "optimizer": "adam", "hyper": {"lr": 0.05},
             "init": {"kind": "normal", "mean": [-1.5, 2.0], "std": [0.1, 0.1], "count": 100}},
        ],
    })


#: Fields of a group that change only how it is drawn (every other field changes the run).
GROUP_LOOK_FIELDS = ("label", "color", "visible")


class DocumentEvents(SignalGroup):
    """Per-field events of a :class:`DocumentModel`; each is emitted after the change.

    ``simulation`` follows every change that the run depends on (seed, run, landscape,
    groups and every group field but :data:`GROUP_LOOK_FIELDS`): whoever runs the
    experiment subscribes to it instead of to each field.
    """

    replaced = Signal()             # a new or opened experiment: every field changed
    title = Signal(str)
    caption = Signal(str)
    seed = Signal(int)
    run = Signal(object)            # the RunConfig
    landscape = Signal(object)      # the LandscapeConfig (moved starts follow as group "init" events)
    view = Signal(dict)             # the [view] table
    map = Signal(object)            # the [map] table (a MapConfig, or None when removed)
    groups = Signal()               # a group added, removed or moved
    group = Signal(int, str)        # (index, field name) of one group
    simulation = Signal()           # the run's inputs changed
    path = Signal(object)           # the file (a Path or None)
    dirty = Signal(bool)            # unsaved changes


class DocumentModel:
    """The current experiment; edit it only through these methods, observe it through ``events``."""

    def __init__(self, experiment: Experiment | None = None):
        self.events = DocumentEvents()
        self._exp = (experiment or default_experiment()).validated()
        self._path: Path | None = None
        self._dirty = False

    # ------------------------------------------------------------------ state
    @property
    def experiment(self) -> Experiment:
        """The current, validated experiment (never modified in place: each edit makes a new one)."""
        return self._exp

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def n_groups(self) -> int:
        return len(self._exp.groups)

    def group(self, index: int) -> GroupConfig:
        return self._exp.groups[self._index(index)]

    def n_particles(self) -> int:
        return sum(particle_count(g.init) for g in self._exp.groups)

    def _set_dirty(self, value: bool) -> None:
        if value != self._dirty:
            self._dirty = value
            self.events.dirty.emit(value)

    def _set_path(self, path: Path | None) -> None:
        self._path = path
        self.events.path.emit(path)

    def _index(self, index: int) -> int:
        if not 0 <= int(index) < len(self._exp.groups):
            raise EditError(f"group {index} does not exist; there are {len(self._exp.groups)}", "groups")
        return int(index)

    def _commit(self, exp: Experiment, emit, simulation: bool) -> None:
        """Make ``exp`` current (after the app's limits when the run changes), then call ``emit``
        (which emits the changed fields' events) and ``simulation`` if the run changed."""
        if simulation:
            _check_limits(exp)
        _check_map(exp)
        self._exp = exp
        self._set_dirty(True)
        emit()
        if simulation:
            self.events.simulation.emit()

    # ------------------------------------------------------------- documents
    def new(self) -> None:
        self.replace(default_experiment(), None)

    def replace(self, experiment: Experiment, path=None) -> None:
        self._exp = experiment.validated()
        self._set_dirty(False)
        self._set_path(Path(path) if path else None)
        self.events.replaced.emit()

    def load(self, path, check=None) -> None:
        """Open an experiment file; the current experiment stays when it is refused (EditError with the
        file's problem: invalid, more particles than the app runs, or beyond the memory budget, or
        what ``check(experiment)`` raises as a ValueError, e.g. a view's own checks of its tables).
        Any other failure while reading it is an EditError too, so that opening a file never
        leaves the window without an experiment."""
        try:
            exp = load_experiment(path)
        except (ExperimentError, OSError) as error:  # the reader's messages name the file already
            raise EditError(_naming(path, str(error))) from None
        except Exception as error:  # noqa: BLE001 - e.g. a compiler's own error: reported, never raised
            detail = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
            if len(detail) > MAX_DETAIL:
                detail = detail[:MAX_DETAIL - 3] + "..."
            raise EditError(f"{os.fspath(path)}: cannot be opened ({type(error).__name__}"
                            + (f": {detail})" if detail else ")")) from None
        try:
            _check_limits(exp)
            if check is not None:
                check(exp)
        except ValueError as error:
            raise EditError(_naming(path, str(error)), getattr(error, "field", None)) from None
        self.replace(exp, path)

    def save(self, path=None) -> Path:
        target = Path(path) if path is not None else self._path
        if target is None:
            raise EditError("no file name: choose where to save", "path")
        save_experiment(self._exp, os.fspath(target))
        self._set_dirty(False)
        self._set_path(target)
        return target

    # ------------------------------------------------------------ experiment
    def set_title(self, title: str) -> None:
        title = _parsed(parse_title, str(title))
        if title != self._exp.title:
            self._commit(dataclasses.replace(self._exp, title=title), lambda: self.events.title.emit(title), False)

    def set_seed(self, seed: int) -> None:
        seed = _parsed(parse_seed, seed)
        if seed != self._exp.seed:
            self._commit(dataclasses.replace(self._exp, seed=seed), lambda: self.events.seed.emit(seed), True)

    def set_steps(self, steps: int) -> None:
        table = {**dataclasses.asdict(self._exp.run), "steps": steps}
        run = _parsed(parse_run, table)
        if run != self._exp.run:
            self._commit(dataclasses.replace(self._exp, run=run), lambda: self.events.run.emit(run), True)

    def set_landscape(self, name: str, params: dict | None = None) -> None:
        """A built-in landscape (see :meth:`_set_landscape_table` for what happens to the groups)."""
        try:
            get_landscape(name)  # raises with the known names
        except ValueError as error:
            raise EditError(str(error), "landscape.name") from None
        self._set_landscape_table({"name": name, **({"params": dict(params)} if params else {})})

    def set_expression(self, text: str, params: dict | None = None, bounds=None) -> None:
        """A typed landscape: ``text`` in x and y with ``params`` {name: value} and optional
        ``bounds`` [[x0, x1], [y0, y1]]; refused (EditError naming landscape.expression,
        landscape.params or landscape.bounds) when the expression does not parse or compile.
        Takes seconds for a new expression unless :meth:`prepare_expression` ran first."""
        self._set_landscape_table(_expression_table(text, params, bounds))

    def prepare_expression(self, text: str, params: dict | None = None, bounds=None) -> None:
        """The slow part of :meth:`set_expression` (parsing, differentiating, generating and
        compiling the expression's code) without changing anything, so that ``set_expression``
        with the same arguments then takes milliseconds; raises the same EditError. Safe to
        call from a worker thread: it only reads the current experiment, which is never
        modified in place, and fills the process-wide cache of landscapes."""
        self._landscape_candidate(_expression_table(text, params, bounds))

    def set_data_landscape(self, model: str, data: dict | None = None) -> None:
        """A 2-parameter model on a dataset: ``data`` = {size, noise, seed, <true parameters>} to
        generate it or {csv: path} to read a file (a bad file: EditError with its line)."""
        if data is None:
            data = default_data(model)
        self._set_landscape_table({"model": str(model), "data": dict(data)})

    def _set_landscape_table(self, table: dict) -> None:
        """Replace ``[landscape]``. Groups follow: a batch size is dropped when the new landscape
        has no data (only data-backed losses have samples to draw), and starts outside the new
        view move to one common start inside it (so the particles stay on screen)."""
        candidate, changed = self._landscape_candidate(table)

        def emit():
            self.events.landscape.emit(candidate.landscape)
            for i, fields in changed.items():
                for name in fields:
                    self.events.group.emit(i, name)

        self._commit(candidate, emit, True)

    def _landscape_candidate(self, table: dict) -> tuple[Experiment, dict[int, list[str]]]:
        """The current experiment with ``[landscape]`` replaced by ``table`` (validated; EditError
        if refused) and the groups that had to follow, as {index: [changed fields]}."""
        exp = self._exp
        landscape = _parsed(parse_landscape, table, exp.landscape.base_dir, where="landscape")
        groups = [group_table(g) for g in exp.groups]
        changed: dict[int, list[str]] = {}
        if landscape.model is None:
            for i, g in enumerate(groups):
                for name in ("batch_size", "sampling"):
                    if g.pop(name, None) is not None:
                        changed.setdefault(i, []).append(name)
        bounds = landscape.spec().bounds
        if bounds != exp.landscape_spec().bounds:
            for i in _fit_starts(groups, bounds):
                changed.setdefault(i, []).append("init")
        configs = list(exp.groups)
        for i in changed:
            configs[i] = _parsed(parse_group, groups[i], i, where=f"groups[{i}]")
        return dataclasses.replace(exp, landscape=landscape, groups=configs), changed

    def set_landscape_param(self, name: str, value: float) -> None:
        table = landscape_table(self._exp.landscape)
        table["params"] = {**table.get("params", {}), name: value}
        self._set_landscape_table(table)

    def set_view_table(self, table: dict) -> None:
        """Store app view options in the experiment's ``[view]`` table (no rebuild)."""
        view = {**self._exp.view, **table}
        if view == self._exp.view:
            return
        view = _parsed(parse_view, view, where="view")
        self._commit(dataclasses.replace(self._exp, view=view), lambda: self.events.view.emit(dict(view)), False)

    def set_map(self, table: dict | None) -> None:
        """Set the ``[map]`` table (None removes it), validated against the groups and the landscape
        as a file's is (optviz.experiment.map_table). A map does not change the run."""
        exp = self._exp
        if table is None:
            config = None
        else:
            config = _parsed(lambda t: parse_map(t, exp.groups, exp.landscape_spec().bounds, exp.run.eps),
                             table, where="map")
        if config != exp.map:
            self._commit(dataclasses.replace(exp, map=config), lambda: self.events.map.emit(config), False)

    def apply_tuning(self, tuned: Experiment) -> None:
        """Take the hyperparameters ``optviz tune`` chose (:func:`optviz.experiment.tune.tune` of this
        experiment) and its ``[tune]`` table; a ``group(i, "hyper")`` event for each changed group."""
        exp = self._exp
        if len(tuned.groups) != len(exp.groups) or tuned.tune is None:
            raise EditError("the tuned experiment does not match this one's groups", "tune")
        changed = [i for i, (a, b) in enumerate(zip(exp.groups, tuned.groups, strict=True)) if a.hyper != b.hyper]
        groups = [dataclasses.replace(g, hyper=t.hyper) for g, t in zip(exp.groups, tuned.groups, strict=True)]

        def emit():
            for i in changed:
                self.events.group.emit(i, "hyper")

        self._commit(dataclasses.replace(exp, groups=groups, tune=tuned.tune), emit, bool(changed))

    # ---------------------------------------------------------------- groups
    def _next_label(self, base: str) -> str:
        labels = {g.label for g in self._exp.groups}
        if base not in labels:
            return base
        k = 2
        while f"{base} {k}" in labels:
            k += 1
        return f"{base} {k}"

    def _set_groups(self, groups: list[GroupConfig]) -> None:
        """A group added, removed or moved (each group already valid)."""
        self._commit(dataclasses.replace(self._exp, groups=groups), self.events.groups.emit, True)

    def _edit_group(self, index: int, **changes: Any) -> None:
        """Set fields of group ``index`` (a value None removes an optional field), validated as
        that group's ``[[groups]]`` table; the changed fields' events follow."""
        i = self._index(index)
        table = group_table(self._exp.groups[i])
        for name, value in changes.items():
            if value is None:
                table.pop(name, None)
            else:
                table[name] = value
        group = _parsed(parse_group, table, i, where=f"groups[{i}]")
        names = [f.name for f in dataclasses.fields(GroupConfig)
                 if getattr(group, f.name) != getattr(self._exp.groups[i], f.name)]
        if not names:
            return
        groups = list(self._exp.groups)
        groups[i] = group

        def emit():
            for name in names:
                self.events.group.emit(i, name)

        self._commit(dataclasses.replace(self._exp, groups=groups), emit,
                     any(n not in GROUP_LOOK_FIELDS for n in names))

    def add_group(self, optimizer: str = "adam", init: dict | None = None) -> int:
        """Append a group (same start as the last group unless ``init`` is given); its index."""
        spec = get_optimizer(optimizer)
        groups = list(self._exp.groups)
        if init is None:
            init = copy.deepcopy(groups[-1].init) if groups else {"kind": "point", "point": [0.0, 0.0]}
        table = {"label": self._next_label(spec.title), "optimizer": spec.name, "hyper": {}, "init": init}
        groups.append(_parsed(parse_group, table, len(groups), where=f"groups[{len(groups)}]"))
        self._set_groups(groups)
        return len(groups) - 1

    def duplicate_group(self, index: int) -> int:
        i = self._index(index)
        original = self._exp.groups[i]
        copied = dataclasses.replace(copy.deepcopy(original), label=self._next_label(original.label + " copy"),
                                     color=None)
        groups = list(self._exp.groups)
        groups.insert(i + 1, _parsed(parse_group, group_table(copied), i + 1))
        self._set_groups(groups)
        return i + 1

    def add_group_like(self, index: int, *, label: str, init: dict | None = None, hyper: dict | None = None) -> int:
        """Append a copy of group ``index`` named ``label`` (made unique), shown, in its own colour, with
        ``init`` and/or hyperparameter overrides ``hyper`` merged into its own (validated as a
        ``[[groups]]`` table; EditError naming the field otherwise); its index. One edit: the groups
        before it keep their indices, so a ``[map]`` naming them stays valid."""
        i = self._index(index)
        table = group_table(self._exp.groups[i])
        table.update(label=self._next_label(str(label)), visible=True)
        table.pop("color", None)
        if init is not None:
            table["init"] = dict(init)
        if hyper is not None:
            table["hyper"] = {**table.get("hyper", {}), **hyper}
        groups = list(self._exp.groups)
        where = f"groups[{len(groups)}]"
        groups.append(_parsed(parse_group, table, len(groups), where=where))
        self._set_groups(groups)
        return len(groups) - 1

    def remove_group(self, index: int) -> None:
        i = self._index(index)
        if len(self._exp.groups) == 1:
            raise EditError("an experiment needs at least one group; add another before removing this one",
                            "groups")
        groups = list(self._exp.groups)
        del groups[i]
        self._set_groups(groups)

    def move_group(self, index: int, to: int) -> None:
        i = self._index(index)
        to = self._index(to)
        if i == to:
            return
        groups = list(self._exp.groups)
        groups.insert(to, groups.pop(i))
        self._set_groups(groups)

    def rename_group(self, index: int, label: str) -> None:
        i = self._index(index)
        label = str(label).strip()
        if not label:
            raise EditError("a group needs a name", f"groups[{i}].label")
        self._edit_group(i, label=label)

    def set_group_visible(self, index: int, visible: bool) -> None:
        self._edit_group(index, visible=bool(visible))

    def set_group_color(self, index: int, color: str | None) -> None:
        self._edit_group(index, color=None if color is None else str(color).lower())

    def set_optimizer(self, index: int, name: str) -> None:
        """Switch the optimizer; overrides the new one does not know are dropped."""
        i = self._index(index)
        try:
            spec = get_optimizer(name, f"groups[{i}].optimizer")
        except HyperparameterError as error:
            raise EditError(str(error), error.field) from None
        g = self._exp.groups[i]
        known = {h.name for h in spec.hypers}
        hyper = {k: v for k, v in g.hyper.items() if k in known}
        label = self._next_label(spec.title) if g.label == OPTIMIZERS.get(g.optimizer, spec).title else g.label
        try:
            self._edit_group(i, optimizer=spec.name, hyper=hyper, label=label)
        except EditError:  # e.g. an override that violates a constraint of the new optimizer
            self._edit_group(i, optimizer=spec.name, hyper={}, label=label)

    def set_hyper(self, index: int, name: str, value: Any) -> None:
        """Set one hyperparameter (validated against its HyperSpec; the default removes the override)."""
        i = self._index(index)
        group = self._exp.groups[i]
        spec = get_optimizer(group.optimizer)
        where = f"groups[{i}].hyper"
        try:
            hs = spec.hyper(name)
        except KeyError:
            raise EditError(f"{where}.{name}: unknown hyperparameter for {spec.name}; known: "
                            + ", ".join(h.name for h in spec.hypers), f"{where}.{name}") from None
        try:
            value = hs.validate(value, where)
            resolved = dict(group.hyper)
            resolved[name] = value
            spec.resolve(resolved, where)
        except HyperparameterError as error:
            raise EditError(str(error), error.field) from None
        hyper = dict(group.hyper)
        default = hs.default
        same = (tuple(value) == tuple(default)) if hs.kind == "betas" else value == default
        if same:
            hyper.pop(name, None)
        else:
            hyper[name] = list(value) if hs.kind == "betas" else value
        self._edit_group(i, hyper=hyper)

    def set_schedule(self, index: int, schedule: dict | None) -> None:
        if not schedule or schedule.get("kind") == "constant":
            schedule = None
        self._edit_group(index, schedule=None if schedule is None else dict(schedule))

    def set_batch_size(self, index: int, batch_size: int | None) -> None:
        """Samples per gradient: None = the full batch (GD), 1 = SGD, B = a mini-batch.

        Only for data-backed landscapes; B may not exceed the dataset's size."""
        i = self._index(index)
        where = f"groups[{i}].batch_size"
        if batch_size is not None:
            if isinstance(batch_size, float) and batch_size.is_integer():
                batch_size = int(batch_size)
            if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
                raise EditError(f"{where} = {batch_size!r} must be a whole number >= 1 (1 = SGD)", where)
            if self._exp.landscape.model is None:
                raise EditError(f"{where}: a batch size needs a data-backed landscape (Data: linear, logistic "
                                "or tanh); formula landscapes have no samples to draw; use gradient noise "
                                "instead", where)
            n = len(self._exp.landscape_spec().data)
            if batch_size > n:
                raise EditError(f"{where} = {batch_size} is larger than the dataset ({n:,} samples); "
                                "use the full batch instead", where)
        self._edit_group(i, batch_size=batch_size)

    def set_sampling(self, index: int, sampling: str) -> None:
        """Mini-batch sampling: "epoch" (each sample once per epoch) or "replacement"."""
        self._edit_group(index, sampling=sampling)

    def set_noise(self, index: int, noise: dict | None) -> None:
        """Gradient noise: None, or {kind: "gaussian" | "student_t", scale: σ > 0, dof: ν > 2}."""
        if not noise or noise.get("kind") in (None, "none"):
            noise = None
        self._edit_group(index, noise=None if noise is None else dict(noise))

    def set_init(self, index: int, init: dict) -> None:
        self._edit_group(index, init=dict(init))

    def set_count(self, index: int, count: int) -> None:
        """Particles in the group: a point becomes a small cloud when count > 1."""
        i = self._index(index)
        others = sum(n for j, n in enumerate(self._exp.particle_counts()) if j != i)
        room = min(APP_MAX_PARTICLES, MAX_PARTICLES) - others
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= max(room, 1):
            where = f"groups[{i}].init.count"
            if isinstance(count, int) and count > room >= 1:
                raise EditError(f"{where} = {count:,} is out of range: the app runs at most "
                                f"{APP_MAX_PARTICLES:,} particles for all groups together, and the other groups "
                                f"have {others:,}: at most {room:,} here", where)
            raise EditError(f"{where} = {count!r} is out of range: must be in [1, {max(room, 1):,}] "
                            f"(at most {APP_MAX_PARTICLES:,} particles for all groups together)", where)
        init = dict(self._exp.groups[i].init)
        kind = init["kind"]
        if kind in ("uniform", "normal"):
            init["count"] = count
        elif count == 1:
            init = {"kind": "point", "point": list(self.center_of(i))}
        elif kind == "grid":
            nx = max(1, int(round(math.sqrt(count))))
            init["shape"] = [nx, max(1, int(round(count / nx)))]
        else:
            (x0, x1), (y0, y1) = self._exp.landscape_spec().bounds
            s = 0.02 * max(x1 - x0, y1 - y0)
            init = {"kind": "normal", "mean": list(self.center_of(i)), "std": [s, s], "count": count}
        self.set_init(i, init)

    def center_of(self, index: int) -> tuple[float, float]:
        """Where a group's particles start, on average."""
        init = self._exp.groups[self._index(index)].init
        kind = init["kind"]
        if kind == "point":
            return (float(init["point"][0]), float(init["point"][1]))
        if kind == "points":
            xs = [p[0] for p in init["points"]]
            ys = [p[1] for p in init["points"]]
            return (sum(xs) / len(xs), sum(ys) / len(ys))
        if kind == "normal":
            return (float(init["mean"][0]), float(init["mean"][1]))
        return ((init["low"][0] + init["high"][0]) / 2, (init["low"][1] + init["high"][1]) / 2)

    def place_point(self, index: int, x: float, y: float) -> None:
        """A click on the landscape: the group starts from this one point."""
        self.set_init(index, {"kind": "point", "point": [float(x), float(y)]})

    def place_cloud(self, index: int, x: float, y: float, radius: float, count: int | None = None) -> None:
        """A drag on the landscape: a normal cloud centred at (x, y) with std radius / 2."""
        i = self._index(index)
        if count is None:
            init = self._exp.groups[i].init
            count = int(init.get("count", 0)) or particle_count(init)
            if count <= 1:
                count = 200
        s = max(float(radius) / 2.0, 1e-9)
        self.set_init(i, {"kind": "normal", "mean": [float(x), float(y)], "std": [s, s], "count": int(count)})


def _naming(path, message: str) -> str:
    """``message`` about the file ``path``, naming it once at the start."""
    name = os.fspath(path)
    return message if message.startswith(f"{name}:") else f"{name}: {message}"


def _expression_table(text: str, params: dict | None, bounds) -> dict[str, Any]:
    """The ``[landscape]`` table of a typed expression."""
    table: dict[str, Any] = {"expression": str(text)}
    if params:
        table["params"] = {str(k): v for k, v in params.items()}
    if bounds is not None:
        table["bounds"] = [[b[0], b[1]] for b in bounds]
    return table


def _check_limits(exp: Experiment) -> None:
    """Refuse (EditError) an experiment with more particles than the app runs or beyond the memory budget."""
    total = sum(exp.particle_counts())
    if total > APP_MAX_PARTICLES:
        raise EditError(
            f"{total:,} particles in all is out of range: the app runs at most {APP_MAX_PARTICLES:,} "
            "(optviz run takes more)",
            "init.count",
        )
    try:
        check_memory(memory_estimate(exp, run_frames(exp)), where="this experiment")
    except MemoryBudgetError as error:
        raise EditError(str(error), "run") from None


def _check_map(exp: Experiment) -> None:
    """Refuse (EditError) an edit that leaves the ``[map]`` naming a group that is gone or a
    hyperparameter its group's optimizer does not have."""
    if exp.map is None:
        return
    try:
        parse_map(map_table(exp.map), exp.groups, exp.landscape_spec().bounds, exp.run.eps)
    except ExperimentError as error:
        raise EditError(f"{error}; the [map] depends on it: change or remove the map first", error.field) from None


def _parsed(parse, value, *args, where: str | None = None):
    """``parse(value, *args)`` (one of the experiment's parsers, after the checks every value of a
    file gets when ``where`` names the value's place); a refusal becomes an EditError."""
    try:
        if where is not None:
            check_values(value, where)
        return parse(value, *args)
    except ExperimentError as error:
        raise EditError(str(error), getattr(error, "field", None)) from None


def _fit_starts(groups: list[dict], bounds) -> list[int]:
    """Move each group (a ``[[groups]]`` table, edited in place) whose start lies outside ``bounds``
    to one common start inside them (a fifth of the way in from the top-left corner), keeping its
    kind and count and scaling the spread to the new view; the indices of the groups moved."""
    (x0, x1), (y0, y1) = bounds
    sx, sy = x1 - x0, y1 - y0
    unit = 10.0 ** math.floor(math.log10(max(sx, sy) / 100.0))  # round to ~1 % of the view

    def nice(v):
        return round(round(v / unit) * unit, 12)

    cx, cy = nice(x0 + 0.2 * sx), nice(y1 - 0.2 * sy)
    s = nice(0.02 * max(sx, sy)) or unit
    moved = []
    for i, g in enumerate(groups):
        init = g["init"]
        kind = init["kind"]
        if kind == "point":
            pts = [init["point"]]
        elif kind == "points":
            pts = init["points"]
        elif kind == "normal":
            pts = [init["mean"]]
        else:
            pts = [init["low"], init["high"]]
        if all(x0 <= p[0] <= x1 and y0 <= p[1] <= y1 for p in pts):
            continue
        moved.append(i)
        if kind == "point":
            g["init"] = {"kind": "point", "point": [cx, cy]}
        elif kind == "points":
            g["init"] = {"kind": "normal", "mean": [cx, cy], "std": [s, s], "count": len(pts)}
        elif kind == "normal":
            g["init"] = {**init, "mean": [cx, cy], "std": [s, s]}
        else:
            g["init"] = {**init, "low": [cx - 2 * s, cy - 2 * s], "high": [cx + 2 * s, cy + 2 * s]}
    return moved

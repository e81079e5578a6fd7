"""The document: the experiment being edited, its file and its unsaved changes.

Every edit goes through a method that validates it with the engine's own specs
(``HyperSpec.validate``, ``Experiment.from_dict``) and either applies it and
emits ``changed`` or raises :class:`EditError` naming the field, the value and
what is allowed; the experiment is then unchanged. Views show the reason in
place.

``changed(kind)``: ``"sim"`` (the simulation must be rebuilt: optimizer,
hyperparameters, initial particles, landscape, run), ``"look"`` (colour,
label, visibility, title: redraw only), ``"view"`` (the ``[view]`` table),
``"replaced"`` (a new or loaded experiment).
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

from psygnal import Signal

from optviz.core.initial import MAX_PARTICLES, particle_count
from optviz.core.landscapes import get_landscape
from optviz.core.optimizers import OPTIMIZERS, get_optimizer
from optviz.core.optimizers.spec import HyperparameterError
from optviz.experiment import Experiment, ExperimentError, load_experiment, save_experiment

__all__ = ["DocumentModel", "EditError", "default_experiment", "APP_MAX_PARTICLES"]

#: The app's limit per group (the engine allows more; the window draws up to this).
APP_MAX_PARTICLES = 1_000_000


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


class DocumentModel:
    """The current experiment; edit it only through these methods."""

    changed = Signal(str)
    path_changed = Signal(object)
    dirty_changed = Signal(bool)

    def __init__(self, experiment: Experiment | None = None):
        self._exp = (experiment or default_experiment()).validated()
        self._path: Path | None = None
        self._dirty = False

    # ------------------------------------------------------------------ state
    @property
    def experiment(self) -> Experiment:
        """The current, validated experiment (treat as read-only; edit through methods)."""
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

    def group(self, index: int):
        return self._exp.groups[self._index(index)]

    def n_particles(self) -> int:
        return sum(particle_count(g.init) for g in self._exp.groups)

    def _set_dirty(self, value: bool) -> None:
        if value != self._dirty:
            self._dirty = value
            self.dirty_changed.emit(value)

    def _index(self, index: int) -> int:
        if not 0 <= int(index) < len(self._exp.groups):
            raise EditError(f"group {index} does not exist; there are {len(self._exp.groups)}", "groups")
        return int(index)

    def _apply(self, data: dict, kind: str) -> None:
        """Validate ``data`` as a whole experiment; on success make it current."""
        try:
            exp = Experiment.from_dict(data)
        except ExperimentError as error:
            raise EditError(str(error), getattr(error, "field", None)) from None
        total = sum(particle_count(g.init) for g in exp.groups)
        if total > APP_MAX_PARTICLES:
            raise EditError(
                f"{total:,} particles in all is out of range: the app runs at most {APP_MAX_PARTICLES:,}",
                "init.count",
            )
        self._exp = exp
        self._set_dirty(True)
        self.changed.emit(kind)

    def _data(self) -> dict:
        return copy.deepcopy(self._exp.to_dict())

    # ------------------------------------------------------------- documents
    def new(self) -> None:
        self.replace(default_experiment(), None)

    def replace(self, experiment: Experiment, path=None) -> None:
        self._exp = experiment.validated()
        self._path = Path(path) if path else None
        self._set_dirty(False)
        self.path_changed.emit(self._path)
        self.changed.emit("replaced")

    def load(self, path) -> None:
        """Open an experiment file (raises EditError with the file's problem)."""
        try:
            exp = load_experiment(path)
        except (ExperimentError, OSError) as error:
            raise EditError(f"{path}: {error}") from None
        self.replace(exp, path)

    def save(self, path=None) -> Path:
        target = Path(path) if path is not None else self._path
        if target is None:
            raise EditError("no file name: choose where to save", "path")
        save_experiment(self._exp, os.fspath(target))
        self._path = target
        self._set_dirty(False)
        self.path_changed.emit(self._path)
        return target

    # ------------------------------------------------------------ experiment
    def set_title(self, title: str) -> None:
        d = self._data()
        d["title"] = str(title)
        self._apply(d, "look")

    def set_seed(self, seed: int) -> None:
        d = self._data()
        d["seed"] = seed
        self._apply(d, "sim")

    def set_steps(self, steps: int) -> None:
        d = self._data()
        d["run"]["steps"] = steps
        self._apply(d, "sim")

    def set_landscape(self, name: str, params: dict | None = None) -> None:
        get_landscape(name)  # raises with the known names
        d = self._data()
        d["landscape"] = {"name": name, **({"params": dict(params)} if params else {})}
        self._apply(d, "sim")

    def set_landscape_param(self, name: str, value: float) -> None:
        d = self._data()
        params = dict(d["landscape"].get("params", {}))
        params[name] = value
        d["landscape"]["params"] = params
        self._apply(d, "sim")

    def set_view_table(self, table: dict) -> None:
        """Store app view options in the experiment's ``[view]`` table (no rebuild)."""
        d = self._data()
        view = dict(d.get("view", {}))
        view.update(table)
        if view == d.get("view", {}):
            return
        d["view"] = view
        self._apply(d, "view")

    # ---------------------------------------------------------------- groups
    def _next_label(self, base: str) -> str:
        labels = {g.label for g in self._exp.groups}
        if base not in labels:
            return base
        k = 2
        while f"{base} {k}" in labels:
            k += 1
        return f"{base} {k}"

    def add_group(self, optimizer: str = "adam", init: dict | None = None) -> int:
        """Append a group (same start as the last group unless ``init`` is given); its index."""
        spec = get_optimizer(optimizer)
        d = self._data()
        if init is None:
            init = copy.deepcopy(d["groups"][-1]["init"]) if d["groups"] else {"kind": "point", "point": [0.0, 0.0]}
        d["groups"].append({"label": self._next_label(spec.title), "optimizer": spec.name, "hyper": {},
                            "init": init})
        self._apply(d, "sim")
        return len(self._exp.groups) - 1

    def duplicate_group(self, index: int) -> int:
        i = self._index(index)
        d = self._data()
        g = copy.deepcopy(d["groups"][i])
        g["label"] = self._next_label(g["label"] + " copy")
        g.pop("color", None)
        d["groups"].insert(i + 1, g)
        self._apply(d, "sim")
        return i + 1

    def remove_group(self, index: int) -> None:
        i = self._index(index)
        if len(self._exp.groups) == 1:
            raise EditError("an experiment needs at least one group; add another before removing this one",
                            "groups")
        d = self._data()
        del d["groups"][i]
        self._apply(d, "sim")

    def move_group(self, index: int, to: int) -> None:
        i = self._index(index)
        to = self._index(to)
        d = self._data()
        d["groups"].insert(to, d["groups"].pop(i))
        self._apply(d, "sim")

    def rename_group(self, index: int, label: str) -> None:
        i = self._index(index)
        label = str(label).strip()
        if not label:
            raise EditError("a group needs a name", f"groups[{i}].label")
        d = self._data()
        d["groups"][i]["label"] = label
        self._apply(d, "look")

    def set_group_visible(self, index: int, visible: bool) -> None:
        i = self._index(index)
        d = self._data()
        d["groups"][i]["visible"] = bool(visible)
        self._apply(d, "look")

    def set_group_color(self, index: int, color: str | None) -> None:
        i = self._index(index)
        d = self._data()
        if color is None:
            d["groups"][i].pop("color", None)
        else:
            d["groups"][i]["color"] = str(color).lower()
        self._apply(d, "look")

    def set_optimizer(self, index: int, name: str) -> None:
        """Switch the optimizer; overrides the new one does not know are dropped."""
        i = self._index(index)
        try:
            spec = get_optimizer(name, f"groups[{i}].optimizer")
        except HyperparameterError as error:
            raise EditError(str(error), error.field) from None
        d = self._data()
        g = d["groups"][i]
        old = g["optimizer"]
        known = {h.name for h in spec.hypers}
        g["hyper"] = {k: v for k, v in g.get("hyper", {}).items() if k in known}
        if g["label"] == OPTIMIZERS.get(old, spec).title:
            g["label"] = self._next_label(spec.title)
        g["optimizer"] = spec.name
        try:
            self._apply(d, "sim")
        except EditError:  # e.g. an override that violates a constraint of the new optimizer
            g["hyper"] = {}
            self._apply(d, "sim")

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
        d = self._data()
        hyper = dict(d["groups"][i].get("hyper", {}))
        default = hs.default
        same = (tuple(value) == tuple(default)) if hs.kind == "betas" else value == default
        if same:
            hyper.pop(name, None)
        else:
            hyper[name] = list(value) if hs.kind == "betas" else value
        d["groups"][i]["hyper"] = hyper
        self._apply(d, "sim")

    def set_schedule(self, index: int, schedule: dict | None) -> None:
        i = self._index(index)
        d = self._data()
        if not schedule or schedule.get("kind") == "constant":
            d["groups"][i].pop("schedule", None)
        else:
            d["groups"][i]["schedule"] = dict(schedule)
        self._apply(d, "sim")

    def set_init(self, index: int, init: dict) -> None:
        i = self._index(index)
        d = self._data()
        d["groups"][i]["init"] = dict(init)
        self._apply(d, "sim")

    def set_count(self, index: int, count: int) -> None:
        """Particles in the group: a point becomes a small cloud when count > 1."""
        i = self._index(index)
        if not isinstance(count, int) or not 1 <= count <= min(APP_MAX_PARTICLES, MAX_PARTICLES):
            raise EditError(f"groups[{i}].init.count = {count!r} is out of range: must be in [1, "
                            f"{APP_MAX_PARTICLES:,}]", f"groups[{i}].init.count")
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

"""Running an experiment's ``[map]`` (optviz.core.maps) and the map's .npz format.

npz contents (row i, column j is the cell (y[i], x[j])):

=====================  ==========================================================================
value (ny, nx) f8      what the map shows: the metric (``metric``); for ``metric = "basin"`` the
                       index into ``minima`` of the minimum reached, -1 not converged, -2 diverged;
                       for a difference map the code of :data:`DIFFERENCE_CODES`
x (nx,), y (ny,)       the axis values (start coordinates, or hyperparameter values)
basin (ny, nx) i8      the minimum reached (as ``value`` of a basin map)
steps_to_eps (ny, nx)  the first step from which the cell stayed within eps (|f - f(m)| < eps,
                       m the nearest known minimum; else |∇f| < eps) to the end, -1 if never
final_loss (ny, nx)    the loss after ``steps`` steps (NaN or inf where diverged)
converged, diverged    (ny, nx) f8: the fraction of the cell's particles converged / diverged
final_position         (ny, nx, 2) f8: where the cell's particle ended (a cloud: the median)
minima (M, 3)          the minima ``basin`` indexes: x, y, loss; ``minima_kind`` (M,); the known
                       minima (saddles left out), or on a landscape without them the
                       stationary points the map found
kind, metric           "basin" or "hyper"; the metric shown ("difference" for a difference map)
x_param, y_param       the axes' parameters; ``x_scale``, ``y_scale``: "linear" or "log"
eps, steps, group      the map's eps, the steps each cell ran, the group mapped; ``label`` its label
experiment             the experiment (TOML text) with the map as run: it regenerates this file
=====================  ==========================================================================

A difference map (``[map] compare = K``) adds ``compare_group``, ``compare_label``,
``difference`` (ny, nx) i8 (the codes of :data:`DIFFERENCE_CODES`) and the compared group's
``compare_basin``, ``compare_steps_to_eps``, ``compare_final_loss``, ``compare_converged``,
``compare_diverged``, ``compare_final_position`` and ``compare_minima`` (what ``compare_basin``
indexes; the same as ``minima`` on a landscape with known minima).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optviz.atomic import atomic_write
from optviz.experiment.errors import ExperimentError
from optviz.experiment.map_table import MapConfig, map_table
from optviz.experiment.model import Experiment
from optviz.experiment.result import read_npz
from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml

__all__ = ["CELL_ARRAYS", "DIFFERENCE_CODES", "MapOutput", "load_map_output", "map_minima", "map_requests",
           "run_map_experiment", "shown_as", "with_map"]

#: Per-cell arrays of a map result (and, prefixed ``compare_``, of the compared group's).
CELL_ARRAYS = ("basin", "steps_to_eps", "final_loss", "converged", "diverged", "final_position")
#: The cells of a difference map (optviz.core.maps.difference), code -> meaning.
DIFFERENCE_CODES = {0: "same basin", 1: "different basins", 2: "only {a} converged", 3: "only {b} converged",
                    4: "neither converged"}


@dataclass
class MapOutput:
    """A computed map of an experiment (see the module docstring for the arrays)."""

    experiment: Experiment
    x: np.ndarray
    y: np.ndarray
    value: np.ndarray
    cells: dict[str, np.ndarray]
    minima: np.ndarray
    minima_kind: list[str]
    compare: dict[str, np.ndarray] | None = None
    difference: np.ndarray | None = None
    seconds: float = field(default=0.0, compare=False)

    @property
    def config(self) -> MapConfig:
        return self.experiment.map

    @property
    def metric(self) -> str:
        """What ``value`` holds: the map's metric, or "difference"."""
        return "difference" if self.difference is not None else self.config.metric

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything the .npz holds, by name."""
        c = self.config
        exp = self.experiment
        out = {"value": self.value, "x": self.x, "y": self.y, **self.cells,
               "minima": self.minima, "minima_kind": np.array(self.minima_kind, dtype=str),
               "kind": np.array(c.kind), "metric": np.array(self.metric),
               "x_param": np.array(c.x.param), "y_param": np.array(c.y.param),
               "x_scale": np.array(c.x.scale), "y_scale": np.array(c.y.scale),
               "eps": np.array(c.eps), "steps": np.array(exp.run.steps), "group": np.array(c.group),
               "label": np.array(exp.groups[c.group].label),
               "experiment": np.array(experiment_to_toml(exp))}
        if self.compare is not None:
            out.update({f"compare_{k}": v for k, v in self.compare.items()})
            out["compare_group"] = np.array(c.compare)
            out["compare_label"] = np.array(exp.groups[c.compare].label)
            out["difference"] = self.difference
        return out

    def save(self, path: str | os.PathLike, compress: bool = False) -> None:
        """Write the .npz atomically (a temporary file beside ``path``, renamed when complete)."""
        arrays = self.arrays()
        with atomic_write(path) as handle:
            (np.savez_compressed if compress else np.savez)(handle, **arrays)


def shown_as(output: MapOutput, experiment: Experiment) -> MapOutput | None:
    """``output`` as ``experiment``'s map when that differs from the one computed at most in its
    metric (the cells hold every metric); None when it needs computing."""
    old, new = output.config, experiment.map
    if new is None or dataclasses.replace(new, metric=old.metric, scheduler=old.scheduler) != old:
        return None
    value = output.value
    if output.difference is None and new.metric != old.metric:
        cells = output.cells
        value = np.asarray(cells["basin"] if new.metric == "basin" else cells[new.metric], dtype=np.float64)
    return dataclasses.replace(output, experiment=experiment, value=value)


def with_map(experiment: Experiment, *, metric: str | None = None, grid: tuple[int, int] | None = None,
             compare: int | None = None, keep_scheduler: bool = False) -> Experiment:
    """``experiment`` with its ``[map]`` changed (validated as a file's is): ``metric``, ``grid``
    (nx, ny) cells, ``compare`` (a group index); the scheduler left out unless ``keep_scheduler``
    (a recorded map says what was computed, not where). ExperimentError when it has no ``[map]``."""
    if experiment.map is None:
        raise ExperimentError("the experiment has no [map] table: add one, e.g. [map] kind = \"basin\" (README, Maps)",
                              "map")
    table = map_table(experiment.map)
    if metric is not None:
        table["metric"] = metric
    if grid is not None:
        table["x"] = {**table["x"], "n": grid[0]}
        table["y"] = {**table["y"], "n": grid[1]}
    if compare is not None:
        table["compare"] = compare
    if not keep_scheduler:
        table.pop("scheduler", None)
    return Experiment.from_dict({**experiment.to_dict(), "map": table}, experiment.landscape.base_dir)


def map_minima(surface) -> tuple:
    """The known minima a map classifies basins by: the surface's, saddles left out."""
    return tuple(m for m in surface.minima() if m.kind != "saddle")


def map_requests(experiment: Experiment) -> list:
    """The optviz.core.maps requests of the experiment's ``[map]``: the mapped group's, and the
    compared group's when there is one (each group from its own start)."""
    from optviz.core.maps import MapAxis, MapRequest
    from optviz.experiment.runner import particle_groups

    config = experiment.map
    surface = experiment.landscape_spec()
    groups = particle_groups(experiment)
    x, y = (MapAxis(param=a.param, low=a.low, high=a.high, n=a.n, scale=a.scale) for a in (config.x, config.y))
    indices = [config.group] + ([config.compare] if config.compare is not None else [])
    return [MapRequest(kind=config.kind, x=x, y=y, group=groups[k], surface=surface, steps=experiment.run.steps,
                       eps=config.eps, minima=map_minima(surface)) for k in indices]


def _cells(result) -> dict[str, np.ndarray]:
    return {
        "basin": np.asarray(result.basin, dtype=np.int64),
        "steps_to_eps": np.asarray(result.steps_to_eps, dtype=np.int64),
        "final_loss": np.asarray(result.final_loss, dtype=np.float64),
        "converged": np.asarray(result.converged, dtype=np.float64),
        "diverged": np.asarray(result.diverged, dtype=np.float64),
        "final_position": np.asarray(result.final_position, dtype=np.float64),
    }


def run_map_experiment(experiment: Experiment, *, scheduler: str | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       cancel: Callable[[], bool] | None = None, device: str = "cpu") -> MapOutput:
    """Compute the experiment's ``[map]`` (and its difference map with ``compare``).

    ``scheduler`` ("tcp://HOST:PORT") overrides ``[map] scheduler``; None for both: local
    threads. ``device`` "cuda" runs it on this machine's GPU (equal to the CPU's to float64
    rounding). ``progress(done, total)`` covers both maps of a difference map. Raises
    optviz.core.maps.MapError (a ValueError, one line naming the field) on what the engine refuses.
    """
    from optviz.core.maps import difference, run_map

    config = experiment.map
    if config is None:
        raise ExperimentError("the experiment has no [map] table: add one, e.g. [map] kind = \"basin\" (README, Maps)",
                              "map")
    requests = map_requests(experiment)
    address = scheduler or config.scheduler
    started = time.perf_counter()
    results = []
    for k, request in enumerate(requests):
        def part(done: int, total: int, k: int = k) -> None:
            if progress is not None:
                progress(k * total + done, len(requests) * total)

        results.append(run_map(request, scheduler=address, progress=part, cancel=cancel, device=device))
    first = results[0]
    cells = _cells(first)
    value = cells["basin"].astype(np.float64) if config.metric == "basin" else \
        np.asarray(first.metric(config.metric), dtype=np.float64)
    compare = diff = None
    if len(results) > 1:
        other = results[1]
        compare = {**_cells(other), "minima": np.array([[m.x, m.y, m.value] for m in other.minima],
                                                       dtype=np.float64).reshape(-1, 3)}
        diff = np.asarray(difference(first, results[1]), dtype=np.int64)
        value = diff.astype(np.float64)
    minima = tuple(first.minima)  # the request's, or the stationary points the map found
    return MapOutput(experiment=experiment, x=np.asarray(first.x, dtype=np.float64),
                     y=np.asarray(first.y, dtype=np.float64), value=value, cells=cells,
                     minima=np.array([[m.x, m.y, m.value] for m in minima], dtype=np.float64).reshape(-1, 3),
                     minima_kind=[m.kind for m in minima], compare=compare, difference=diff,
                     seconds=time.perf_counter() - started)


def load_map_output(path: str | os.PathLike) -> MapOutput:
    """Read a map .npz written by :meth:`MapOutput.save` (a regular file; never blocks)."""
    with read_npz(path, "map", ("value", "x", "y", "minima", "experiment", *CELL_ARRAYS)) as data:
        experiment = experiment_from_toml(str(data["experiment"]), f"{path} (experiment)")
        if experiment.map is None:
            raise ExperimentError(f"{path}: its recorded experiment has no [map] table")
        compare = None
        diff = None
        if "difference" in data:
            compare = {k: data[f"compare_{k}"] for k in (*CELL_ARRAYS, "minima")}
            diff = data["difference"]
        out = MapOutput(experiment=experiment, x=data["x"], y=data["y"], value=data["value"],
                        cells={k: data[k] for k in CELL_ARRAYS}, minima=data["minima"].reshape(-1, 3),
                        minima_kind=[str(k) for k in data["minima_kind"]] if "minima_kind" in data else [],
                        compare=compare, difference=diff)
    ny, nx = out.value.shape if out.value.ndim == 2 else (-1, -1)
    if (ny, nx) != (len(out.y), len(out.x)) or (ny, nx) != out.config.shape:
        raise ExperimentError(f"{path}: value has shape {out.value.shape}, not (len(y), len(x)) = "
                              f"({len(out.y)}, {len(out.x)}) of its [map]")
    return out

"""A fair race: tune one hyperparameter of every group on the same budget and metric.

Galleries of optimizers are disputed because each optimizer's learning rate was hand-picked.
``tune`` sweeps one numeric hyperparameter (``lr`` by default; ``beta1``/``beta2`` address the
entries of ``betas``) of each chosen group over the same grid of candidates, runs every
candidate from the group's own start points for the experiment's ``run.steps`` (the budget),
scores it, and keeps the best. The tuned experiment holds the chosen values in the groups'
``hyper`` and the whole sweep in a ``[tune]`` table, so a figure's embedded recipe says how
its hyperparameters were chosen::

    [tune]
    param = "lr"                 # a numeric hyperparameter, or "beta1" / "beta2"
    low = 1e-4                   # candidates from low to high, both included
    high = 1.0
    n = 25                       # 2..1000 candidates
    scale = "log"                # or "linear"
    metric = "mean_log_loss"     # or "final_loss"
    groups = [0, 2]              # which groups (default: all)
    # written by `optviz tune`, one entry per tuned group:
    results = [{ group = 0, chosen = 0.0316, scores = [...] }, ...]

Metrics, lower is better, per candidate the median over the group's start points:

- ``final_loss``: the loss after the last step;
- ``mean_log_loss``: the mean over the recorded steps (at most :data:`SCORE_FRAMES`, evenly
  spaced, step 0 excluded) of log10(loss − f_ref), with f_ref the lowest loss any candidate of
  the group reached (floored at 1e-30 above it): it rewards getting low *fast*, not only ending
  low, and does not depend on the landscape's minimum being known.

A particle that diverges scores +inf. Ties go to the first candidate in grid order.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.inputs import shown
from optviz.core.optimizers import get_optimizer
from optviz.experiment.errors import ExperimentError

__all__ = ["TuneTable", "TuneResult", "parse_tune", "tune_table", "check_tune", "tune", "METRICS", "SCALES"]

METRICS = ("mean_log_loss", "final_loss")
SCALES = ("log", "linear")
MAX_CANDIDATES = 1000
#: Recorded steps a candidate is scored on (``mean_log_loss``), at most.
SCORE_FRAMES = 200
#: log10 floor of a loss gap: a loss within 1e-30 of the best counts as 1e-30 above it.
GAP_FLOOR = 1e-30
_BETAS = {"beta1": 0, "beta2": 1}


@dataclass(frozen=True)
class TuneResult:
    """One tuned group: its index, the chosen value and the score of every candidate."""

    group: int
    chosen: float
    scores: tuple[float, ...]


@dataclass(frozen=True)
class TuneTable:
    """The ``[tune]`` table (see the module docstring); ``groups`` None means every group."""

    param: str = "lr"
    low: float = 1e-4
    high: float = 1.0
    n: int = 25
    scale: str = "log"
    metric: str = "mean_log_loss"
    groups: tuple[int, ...] | None = None
    results: tuple[TuneResult, ...] = ()

    def candidates(self) -> np.ndarray:
        """The n candidate values, low to high, both included."""
        if self.scale == "log":
            return np.geomspace(self.low, self.high, self.n)
        return np.linspace(self.low, self.high, self.n)


def _fail(field: str, value: Any, allowed: str) -> ExperimentError:
    return ExperimentError(f"{field} = {shown(value)} is not allowed; {allowed}", field)


def _number(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(f"tune.{key}", value, "a finite number")
    return float(value)


def parse_tune(value: Any, n_groups: int) -> TuneTable | None:
    """The ``[tune]`` table validated (None when absent); every message names the field."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail("tune", value, "a table")
    unknown = set(value) - {f.name for f in dataclasses.fields(TuneTable)}
    if unknown:
        raise ExperimentError(f"tune.{sorted(unknown)[0]}: unknown entry; allowed: "
                              + ", ".join(f.name for f in dataclasses.fields(TuneTable)), "tune")
    param = value.get("param", "lr")
    if not isinstance(param, str) or not param:
        raise _fail("tune.param", param, "the name of a numeric hyperparameter, e.g. \"lr\", \"momentum\", \"beta1\"")
    low, high = _number(value, "low", 1e-4), _number(value, "high", 1.0)
    n = value.get("n", 25)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_CANDIDATES:
        raise _fail("tune.n", n, f"an integer from 2 to {MAX_CANDIDATES}")
    scale = value.get("scale", "log")
    if scale not in SCALES:
        raise _fail("tune.scale", scale, "one of " + ", ".join(repr(s) for s in SCALES))
    if not low < high:
        raise _fail("tune.high", high, f"a number above tune.low = {low:g}")
    if scale == "log" and low <= 0.0:
        raise _fail("tune.low", low, 'a number above 0 on a log scale (or scale = "linear")')
    metric = value.get("metric", "mean_log_loss")
    if metric not in METRICS:
        raise _fail("tune.metric", metric, "one of " + ", ".join(repr(m) for m in METRICS))
    groups = value.get("groups")
    if groups is not None:
        if (not isinstance(groups, list) or not groups or len(set(map(repr, groups))) != len(groups)
                or not all(isinstance(g, int) and not isinstance(g, bool) and 0 <= g < n_groups for g in groups)):
            raise _fail("tune.groups", groups, f"a list of distinct group indices from 0 to {n_groups - 1}")
        groups = tuple(groups)
    results = tuple(_result(r, k, n, n_groups) for k, r in enumerate(value.get("results", [])))
    return TuneTable(param, low, high, n, scale, metric, groups, results)


def _result(value: Any, k: int, n: int, n_groups: int) -> TuneResult:
    where = f"tune.results[{k}]"
    if not isinstance(value, Mapping) or set(value) != {"group", "chosen", "scores"}:
        raise _fail(where, value, "a table { group = index, chosen = value, scores = [one per candidate] }")
    group, chosen, scores = value["group"], value["chosen"], value["scores"]
    if isinstance(group, bool) or not isinstance(group, int) or not 0 <= group < n_groups:
        raise _fail(f"{where}.group", group, f"a group index from 0 to {n_groups - 1}")
    if isinstance(chosen, bool) or not isinstance(chosen, (int, float)) or not math.isfinite(chosen):
        raise _fail(f"{where}.chosen", chosen, "a finite number")
    if (not isinstance(scores, list) or len(scores) != n
            or not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in scores)):
        raise _fail(f"{where}.scores", scores, f"a list of {n} numbers (one per candidate)")
    return TuneResult(group, float(chosen), tuple(float(s) for s in scores))


def tune_table(table: TuneTable) -> dict[str, Any]:
    """The plain ``[tune]`` table (what TOML stores); ``parse_tune(tune_table(t))`` round-trips.
    Scores of +inf (every start point diverged) are stored as 1e308, TOML having no inf here."""
    out: dict[str, Any] = {"param": table.param, "low": table.low, "high": table.high, "n": table.n,
                           "scale": table.scale, "metric": table.metric}
    if table.groups is not None:
        out["groups"] = list(table.groups)
    if table.results:
        out["results"] = [{"group": r.group, "chosen": r.chosen,
                           "scores": [s if math.isfinite(s) else 1e308 for s in r.scores]} for r in table.results]
    return out


def _swept(hyper: Mapping[str, Any], param: str, axis: dict, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``hyper`` with ``param`` replaced by the sweep ``axis`` (beta1/beta2: one entry of betas)."""
    out = dict(hyper)
    if param in _BETAS:
        pair = list(out.get("betas", defaults["betas"]))
        pair[_BETAS[param]] = axis
        out["betas"] = pair
    else:
        out[param] = axis
    return out


def _with_value(hyper: Mapping[str, Any], param: str, value: float, defaults: Mapping[str, Any]) -> dict[str, Any]:
    return _swept(hyper, param, value, defaults)


def check_tune(experiment, table: TuneTable) -> None:
    """Refuse, before any work, a parameter that a chosen group does not have or already sweeps."""
    for k in range(len(experiment.groups)) if table.groups is None else table.groups:
        _check_param(experiment, table, k)


def _check_param(experiment, table: TuneTable, k: int) -> None:
    group = experiment.groups[k]
    spec = get_optimizer(group.optimizer)
    names = {h.name: h for h in spec.hypers}
    where = f"tune.param (groups[{k}], {group.optimizer})"
    if table.param in _BETAS:
        if "betas" not in names:
            raise _fail(where, table.param, f"{group.optimizer} has no betas")
    elif table.param not in names or names[table.param].kind != "float":
        numeric = [h.name for h in spec.hypers if h.kind == "float"] + (["beta1", "beta2"] if "betas" in names else [])
        raise _fail(where, table.param, "a numeric hyperparameter of this optimizer: " + ", ".join(numeric))
    if group.sweep_axes():
        raise ExperimentError(f"groups[{k}] already sweeps {group.sweep_axes()[0].label}; tune a group without a "
                              "sweep", f"groups[{k}].hyper")


def _scores(loss: np.ndarray, cells: int, metric: str) -> np.ndarray:
    """Per candidate, the median over its start points of the metric (lower is better).

    ``loss`` (frames, cells × points): frame 0 is step 0, the last frame the last step.
    """
    frames = loss.shape[0]
    per = np.asarray(loss, dtype=np.float64).reshape(frames, cells, -1)
    finite_end = np.isfinite(per[-1])
    if metric == "final_loss":
        value = np.where(finite_end, per[-1], np.inf)
    else:
        later = per[1:]
        reached = later[np.isfinite(later)]
        reference = reached.min() if reached.size else 0.0
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            gap = np.log10(np.maximum(later - reference, GAP_FLOOR))
            mean = gap.mean(axis=0)
        value = np.where(finite_end & np.all(np.isfinite(gap), axis=0), mean, np.inf)
    return np.median(value, axis=1)


def _sweep_experiment(experiment, k: int, table: TuneTable, axis: dict, starts, record_every: int):
    """The experiment that runs every candidate of group ``k``: group k swept over ``axis`` from its
    own start points (the seeded streams are per group index, so every group stays in place); the
    other groups reduced to one particle at their first start point, which costs nothing."""
    from optviz.experiment.model import Experiment, group_table

    entries = []
    for j, group in enumerate(experiment.groups):
        entry = group_table(group)
        if j == k:
            entry["hyper"] = _swept(group.hyper, table.param, axis, get_optimizer(group.optimizer).defaults)
        else:
            entry["init"] = {"kind": "point", "point": [float(v) for v in starts[j][0]]}
        entries.append(entry)
    data = experiment.to_dict()
    data.update(groups=entries, run={**data["run"], "record_every": record_every})
    for table_name in ("render", "view", "map", "tune"):
        data.pop(table_name, None)
    try:
        return Experiment.from_dict(data, experiment.landscape.base_dir)
    except ExperimentError as error:
        raise ExperimentError(f"tune (groups[{k}]): {error}", "tune") from None


def tune(experiment, table: TuneTable, progress: Callable[[int, int], None] | None = None):
    """The tuned experiment: each chosen group's ``table.param`` set to its best candidate, and
    ``tune`` holding the table with the results. Raises ExperimentError naming the field on a
    parameter a group does not have, or a candidate outside the parameter's range."""
    from optviz.experiment.runner import run_experiment

    indices = list(range(len(experiment.groups))) if table.groups is None else list(table.groups)
    check_tune(experiment, table)
    axis = ({"log": [table.low, table.high]} if table.scale == "log" else {"linspace": [table.low, table.high]})
    axis["n"] = table.n
    candidates = table.candidates()
    record_every = max(1, experiment.run.steps // SCORE_FRAMES)
    results, tuned_groups = [], list(experiment.groups)
    total = len(indices) * experiment.run.steps
    starts = experiment.initial_positions()
    for done, k in enumerate(indices):
        group = experiment.groups[k]
        defaults = get_optimizer(group.optimizer).defaults
        sweep = _sweep_experiment(experiment, k, table, axis, starts, record_every)
        report = None if progress is None else (
            lambda s, _t, base=done * experiment.run.steps: progress(base + s, total))
        result = run_experiment(sweep, progress=report)
        scores = _scores(result.loss[:, result.group == k], table.n, table.metric)
        best = int(np.argmin(scores))
        results.append(TuneResult(k, float(candidates[best]), tuple(float(s) for s in scores)))
        tuned_groups[k] = dataclasses.replace(group, hyper=_with_value(group.hyper, table.param,
                                                                         float(candidates[best]), defaults))
    tuned = dataclasses.replace(experiment, groups=tuned_groups,
                                tune=dataclasses.replace(table, results=tuple(results)))
    return tuned.validated()

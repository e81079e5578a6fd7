"""Maps: where every start point ends up, and for which hyperparameters an optimizer converges.

A **basin map** runs one group's optimizer from every point of a grid of start points
(``x`` and ``y`` axes with ``param = "x"`` / ``"y"``); a **hyper map** (phase diagram) runs it
over a grid of two numeric hyperparameters (``lr``, ``momentum``, ``beta1``/``beta2`` for the
two entries of ``betas``, ``eps``, ...), every cell from the group's start point(s): one point
or a cloud of P points. Row i, column j of every array is the cell (y[i], x[j]).

A map records no trajectories. Each particle runs the engine's arithmetic (the same optimizer
rule, schedule and landscape code as :class:`optviz.core.engine.Simulation`, generated from the
same template, see :mod:`optviz.core.kernels.reduce`) and keeps only running results. The
definitions, for a map of ``steps`` steps and tolerance ``eps``:

- **Within eps** at step t (θ_t, the position after t updates, t = 0 ... steps): with known
  minima, ``|f(θ_t) - f(m)| < eps`` for the known minimum m nearest to θ_t (Euclidean distance;
  ties to the first listed); on a landscape without known minima (a typed expression, most
  data-backed models), ``|∇f(θ_t)| < eps``: near a stationary point. A diverged particle never is.
- **steps_to_eps**: the first step from which the particle stayed within eps through the last
  step (-1 if it is not within eps after the last step). Passing through an eps-neighbourhood
  and leaving it again does not count.
- **Converged**: within eps after the last step (so steps_to_eps >= 0). **Diverged**: its loss or
  position left the finite range (|·| > 1e30, inf or NaN) at some step; it is frozen there.
- **basin**: for a converged particle, the index of the known minimum nearest to its final
  position (the one it is within eps of); -1 not converged, -2 diverged. Without known minima,
  the converged end points are clustered into the stationary points found (``MapResult.minima``,
  kind "local", value = the lowest final loss of their members, sorted by that value, then x,
  then y): end points closer than ``CLUSTER_RADIUS · max(1, |θ|∞)`` (per coordinate) share a point.
- **final_loss**: f at the final position (+inf for diverged particles).

A cell with a cloud of P start points reports: basin, the most frequent particle outcome (ties to
the lowest minimum index, then -1, then -2); steps_to_eps, the first step by which at least half
of the cloud (⌈P/2⌉ particles) had settled within eps, -1 if never; final_loss and
final_position, medians over the cloud; converged and diverged, fractions of the cloud.

Execution: the grid is cut into chunks of whole cells, each run by one call of a serial kernel
that releases the GIL, on a pool of local threads (``scheduler=None``) or as tasks on a Dask
distributed cluster (``scheduler="tcp://HOST:PORT"``; Dask is imported only then). Every particle
is computed independently of its neighbours and of the chunking, so the results are
bit-identical either way. With ``device="cuda"`` the same step runs one particle per thread on
a CUDA GPU through numba.cuda (landscapes given by a formula; tested in Numba's CUDA simulator).
Maps take noise-free, full-batch gradients (no mini-batches, no gradient noise): a map compares
deterministic runs.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optviz.core import kernels
from optviz.core.engine import ParticleGroup, hyper_columns
from optviz.core.inputs import shown
from optviz.core.jit import TILE
from optviz.core.kernels.reduce import reducer_for
from optviz.core.landscapes import Minimum
from optviz.core.optimizers import FAMILIES, HyperparameterError, OptimizerSpec
from optviz.core.schedules import learning_rates
from optviz.core.surface import Surface
from optviz.interrupt import deferred

__all__ = [
    "CLUSTER_RADIUS",
    "DIVERGED",
    "METRICS",
    "NOT_CONVERGED",
    "MapAxis",
    "MapCancelled",
    "MapError",
    "MapRequest",
    "MapResult",
    "cell_group",
    "difference",
    "quadratic_curvatures",
    "refine_map",
    "run_map",
    "stability_margin",
]

#: What a map can be coloured by (:meth:`MapResult.metric`).
METRICS = ("basin", "final_loss", "steps_to_eps", "converged", "diverged")

#: ``basin`` codes besides the index of a minimum.
NOT_CONVERGED, DIVERGED = -1, -2

#: Kinds of map.
KINDS = ("basin", "hyper")
SCALES = ("linear", "log")

#: Most cells along one axis, start points per cell, and steps.
MAX_AXIS = 4096
MAX_STARTS = 65_536
MAX_STEPS = 10_000_000

#: Without known minima, converged end points closer than this times max(1, |θ|∞) are one point.
CLUSTER_RADIUS = 1e-4

#: Particle-steps per chunk: on local threads (progress and cancelling about every 0.1 s) and
#: on Dask (fewer, larger tasks); a chunk holds at most MAX_CHUNK_PARTICLES particles.
LOCAL_CHUNK_WORK = 20_000_000
DASK_CHUNK_WORK = 200_000_000
MAX_CHUNK_PARTICLES = 1 << 16

#: Most particles per kernel launch of a map on a CUDA GPU (``device="cuda"``).
CUDA_CHUNK_PARTICLES = 1 << 22
DEVICES = ("cpu", "cuda")

#: Default refinement factors of :func:`refine_map`, and the work (particle-steps) from which it
#: adds a middle level, so that a large map shows something sharper well before it is done.
COARSE_FACTOR = 8
MIDDLE_FACTOR = 2
MIDDLE_LEVEL_WORK = 500_000_000

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss|ucx)://[^\s/]+$")


class MapError(ValueError):
    """A map request is not valid; the one-line message names the field, the value and what is allowed."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


class MapCancelled(Exception):
    """``cancel()`` returned True while a map was running; no result was made."""


@dataclass(frozen=True)
class MapAxis:
    """One axis of a map: ``n`` values of ``param`` from ``low`` to ``high`` inclusive."""

    param: str
    low: float
    high: float
    n: int
    scale: str = "linear"

    def values(self) -> np.ndarray:
        """(n,) float64: ``low`` ... ``high``, evenly spaced (``scale = "log"``: evenly in log)."""
        if self.n == 1:
            return np.array([float(self.low)])
        if self.scale == "log":
            return np.geomspace(float(self.low), float(self.high), int(self.n))
        return np.linspace(float(self.low), float(self.high), int(self.n))


@dataclass(frozen=True)
class MapRequest:
    """What to map: kind, axes, the group (optimizer, hyperparameters, schedule, start points), steps."""

    kind: str
    x: MapAxis
    y: MapAxis
    group: ParticleGroup
    surface: Surface
    steps: int
    eps: float
    minima: tuple = ()


@dataclass
class MapResult:
    """Per-cell results of a map, each (ny, nx) (final_position (ny, nx, 2)); see the module docstring."""

    x: np.ndarray
    y: np.ndarray
    basin: np.ndarray
    steps_to_eps: np.ndarray
    final_loss: np.ndarray
    converged: np.ndarray
    diverged: np.ndarray
    final_position: np.ndarray
    #: The points ``basin`` indexes: the request's minima, or the stationary points found.
    minima: tuple = ()
    kind: str = "basin"
    steps: int = 0
    eps: float = 0.0
    x_param: str = "x"
    y_param: str = "y"

    def metric(self, name: str) -> np.ndarray:
        """(ny, nx) float64 values of metric ``name`` (codes as in the arrays: -1 never, -2 diverged)."""
        if name not in METRICS:
            raise MapError("metric", f"metric = {shown(name)} is not a map metric; known: {', '.join(METRICS)}")
        return np.asarray(getattr(self, name), dtype=np.float64)

    @property
    def shape(self) -> tuple[int, int]:
        return self.basin.shape


# Validation -----------------------------------------------------------------------------------


def _number(value: Any, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise MapError(field_name, f"{field_name} = {shown(value)} must be a number")
    x = float(value)
    if not math.isfinite(x):
        raise MapError(field_name, f"{field_name} = {shown(value)} must be a finite number")
    return x


def _integer(value: Any, field_name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise MapError(field_name, f"{field_name} = {shown(value)} must be an integer in [{low}, {high}]")
    return int(value)


def _hyper_params(spec: OptimizerSpec) -> list[str]:
    """The hyperparameters a hyper map can vary: the numeric ones, betas as beta1 and beta2."""
    names = []
    for h in spec.hypers:
        if h.kind == "float":
            names.append(h.name)
        elif h.kind == "betas":
            names += ["beta1", "beta2"]
    return names


def _with_value(hyper: dict, param: str, value) -> dict:
    """``hyper`` with ``param`` set to ``value`` (beta1/beta2: one entry of betas)."""
    out = dict(hyper)
    if param in ("beta1", "beta2"):
        pair = list(out["betas"])
        pair[int(param[-1]) - 1] = value
        out["betas"] = tuple(pair)
    else:
        out[param] = value
    return out


def _check_axis(axis: Any, name: str, kind: str, spec: OptimizerSpec) -> None:
    if not isinstance(axis, MapAxis):
        raise MapError(name, f"{name} must be a MapAxis, not {type(axis).__name__}")
    _integer(axis.n, f"{name}.n", 1, MAX_AXIS)
    low, high = _number(axis.low, f"{name}.low"), _number(axis.high, f"{name}.high")
    if axis.scale not in SCALES:
        raise MapError(f"{name}.scale", f"{name}.scale = {shown(axis.scale)} must be one of {', '.join(SCALES)}")
    if axis.n > 1 and not low < high:
        raise MapError(f"{name}.high", f"{name}.high = {shown(axis.high)} must be greater than "
                                       f"{name}.low = {shown(axis.low)}")
    if axis.scale == "log" and low <= 0.0:
        raise MapError(f"{name}.low", f"{name}.low = {shown(axis.low)} must be > 0 on a log axis")
    if kind == "basin":
        expected = name
        if axis.param != expected:
            raise MapError(f"{name}.param", f"{name}.param = {shown(axis.param)}: a basin map's {name} axis is "
                                            f"the start {expected} (param = {expected!r})")
        return
    allowed = _hyper_params(spec)
    if axis.param not in allowed:
        raise MapError(f"{name}.param", f"{name}.param = {shown(axis.param)} is not a numeric hyperparameter of "
                                        f"{spec.name}; allowed: {', '.join(allowed)}")
    hyper_name = "betas" if axis.param in ("beta1", "beta2") else axis.param
    hyper_spec = spec.hyper(hyper_name)
    for end, value in (("low", low), ("high", high)):
        try:
            hyper_spec.validate(_with_value({"betas": (0.0, 0.0)}, axis.param, value)["betas"]
                                if hyper_name == "betas" else value, "hyper")
        except HyperparameterError:
            allowed_range = "[0, 1)" if hyper_name == "betas" else hyper_spec.range_text()
            raise MapError(f"{name}.{end}", f"{name}.{end} = {shown(getattr(axis, end))} is out of range for "
                                            f"{axis.param}: must be in {allowed_range}") from None


def _check_request(request: Any) -> None:
    """Raise MapError, naming the field, for anything a map cannot run."""
    if not isinstance(request, MapRequest):
        raise MapError("request", f"a map needs a MapRequest, not {type(request).__name__}")
    if request.kind not in KINDS:
        raise MapError("kind", f"kind = {shown(request.kind)} must be one of {', '.join(KINDS)}")
    group = request.group
    if not isinstance(group, ParticleGroup):
        raise MapError("group", f"group must be a ParticleGroup, not {type(group).__name__}")
    if not isinstance(request.surface, Surface):
        raise MapError("surface", f"surface must be a Surface, not {type(request.surface).__name__}")
    spec = group.optimizer
    _check_axis(request.x, "x", request.kind, spec)
    _check_axis(request.y, "y", request.kind, spec)
    if request.kind == "hyper" and request.x.param == request.y.param:
        raise MapError("y.param", f"y.param = {shown(request.y.param)} is the x axis' parameter too; "
                                  "a hyper map varies two different hyperparameters")
    _integer(request.steps, "steps", 1, MAX_STEPS)
    eps = _number(request.eps, "eps")
    if eps <= 0.0:
        raise MapError("eps", f"eps = {shown(request.eps)} must be > 0")
    for name, value in group.hyper.items():
        parts = value if name == "betas" else (value,)
        if any(np.ndim(v) for v in parts):
            raise MapError(f"group.hyper.{name}", f"group.hyper.{name} varies per particle; a map's group needs "
                                                  "one value per hyperparameter (vary it with the map's axes)")
    if group.noise != "none":
        raise MapError("group.noise", f"group.noise = {shown(group.noise)}: maps run noise-free gradients "
                                      "(noise = 'none')")
    if request.surface.kind == "data" and 0 < group.batch_size < len(request.surface.data):
        raise MapError("group.batch_size", f"group.batch_size = {group.batch_size}: maps run full-batch "
                                           "gradients (batch_size = 0)")
    if request.kind == "hyper":
        positions = np.asarray(group.positions, dtype=np.float64)
        if positions.ndim != 2 or positions.shape[1] != 2 or not 1 <= len(positions) <= MAX_STARTS:
            raise MapError("group.positions", f"group.positions has shape {positions.shape}; a hyper map needs "
                                              f"(P, 2) start points, 1 <= P <= {MAX_STARTS}")
        if not np.isfinite(positions).all():
            raise MapError("group.positions", "group.positions must be finite")
        for xe in ("low", "high"):
            for ye in ("low", "high"):
                corner = _with_value(_with_value(group.hyper, request.x.param, float(getattr(request.x, xe))),
                                     request.y.param, float(getattr(request.y, ye)))
                try:
                    spec.resolve(corner)
                except HyperparameterError as error:
                    raise MapError("group.hyper", f"at x.{xe}, y.{ye}: {error}") from None
    for k, m in enumerate(request.minima):
        try:
            values = [float(m.x), float(m.y), float(m.value)]
        except (AttributeError, TypeError, ValueError):
            raise MapError(f"minima[{k}]", f"minima[{k}] = {shown(m)} must be a Minimum (x, y, value)") from None
        if not all(math.isfinite(v) for v in values):
            raise MapError(f"minima[{k}]", f"minima[{k}] = {shown(m)} must have finite x, y and value")


# The plan: everything a chunk needs, picklable for Dask ----------------------------------------


@dataclass(frozen=True)
class _Plan:
    kind: str
    optimizer: OptimizerSpec
    hyper: dict
    schedule: dict
    source: kernels.GradientSource
    expression: tuple | None         # (text, parameter names) of a typed surface, compiled on workers
    layout: str
    columns: np.ndarray              # uniform layout: (K,) hyperparameter columns
    coefs: np.ndarray                # uniform layout: (steps, C) per-step coefficients
    lr_schedule: np.ndarray          # per-particle layout: (steps, 2) rows (scale, shift) of lr_t
    params: np.ndarray
    data: np.ndarray
    gradient: np.ndarray
    seed: int
    kernel_minima: np.ndarray        # (K, 3) rows x, y, value the kernel checks (one row if all values agree)
    eps: float
    steps: int
    xs: np.ndarray
    ys: np.ndarray
    x_param: str
    y_param: str
    starts: np.ndarray               # (P, 2): hyper maps' start points; basin maps: unused (1, 2)

    @property
    def per_cell(self) -> int:
        return len(self.starts) if self.kind == "hyper" else 1

    @property
    def cells(self) -> int:
        return len(self.xs) * len(self.ys)


def _plan(request: MapRequest) -> _Plan:
    _check_request(request)
    group, surface = request.group, request.surface
    source = kernels.gradient_source(surface, "none")
    expression = None
    if surface.kind == "expression":
        expression = (surface.name, tuple(p.name for p in surface.params))
    steps = int(request.steps)
    t = np.arange(1, steps + 1)
    minima = np.array([[m.x, m.y, m.value] for m in request.minima], dtype=np.float64).reshape(-1, 3)
    if len(minima) and np.all(minima[:, 2] == minima[0, 2]):
        minima = minima[:1]  # every minimum has the same value: which one is nearest does not matter
    if request.kind == "basin":
        layout, columns = hyper_columns(group, 1)
        lrs = learning_rates(group.hyper["lr"], group.schedule, t)
        kernel = kernels.kernel_for(group.optimizer.family, source, kernels.UNIFORM)
        coefs, _ = kernel.coefficient_table(0, lrs, 1.0, columns)
        lr_schedule = np.zeros((1, 2))
        starts = np.zeros((1, 2))
    else:
        layout, columns = kernels.PER_PARTICLE, np.zeros(1)
        coefs = np.zeros((1, 1))
        shift = learning_rates(0.0, group.schedule, t)
        lr_schedule = np.ascontiguousarray(np.stack([learning_rates(1.0, group.schedule, t) - shift, shift], axis=1))
        starts = np.ascontiguousarray(group.positions, dtype=np.float64).reshape(-1, 2)
    return _Plan(
        kind=request.kind, optimizer=group.optimizer, hyper=dict(group.hyper), schedule=dict(group.schedule),
        source=source, expression=expression, layout=layout, columns=columns, coefs=coefs, lr_schedule=lr_schedule,
        params=np.ascontiguousarray(surface.param_values, dtype=np.float64),
        data=np.ascontiguousarray(surface.data, dtype=np.float64),
        gradient=kernels.gradient_config(group.batch_size, group.without_replacement, "none", 0.0, 3.0),
        seed=int(group.seed), kernel_minima=np.ascontiguousarray(minima), eps=float(request.eps), steps=steps,
        xs=request.x.values(), ys=request.y.values(), x_param=request.x.param, y_param=request.y.param,
        starts=starts,
    )


# One chunk: cells [c0, c1) ---------------------------------------------------------------------


@dataclass
class _Chunk:
    """Per-particle results of cells [c0, c1), particle (c - c0) · P + p."""

    c0: int
    c1: int
    position: np.ndarray     # (n, 2)
    final_loss: np.ndarray   # (n,)
    settled_at: np.ndarray   # (n,) int64
    diverged: np.ndarray     # (n,) bool


def _reducer(plan: _Plan, device: str = "cpu"):
    if plan.expression is not None:  # a worker process must compile the typed landscape's module first
        from optviz.core.expressions import compile_expression

        compile_expression(*plan.expression)
    return reducer_for(plan.optimizer.family, plan.source, plan.layout, device)


def _chunk_arguments(plan: _Plan, c0: int, c1: int) -> tuple:
    """The reduction kernel's arguments for cells [c0, c1), with fresh optimizer state."""
    cells = np.arange(c0, c1)
    nx, per_cell = len(plan.xs), plan.per_cell
    n = len(cells) * per_cell
    if plan.kind == "basin":
        theta = np.stack([plan.xs[cells % nx], plan.ys[cells // nx]])
        hyper, columns, carry = plan.hyper, plan.columns, np.ones(1)
    else:
        theta = np.ascontiguousarray(np.tile(plan.starts, (len(cells), 1)).T)
        hyper = _with_value(_with_value(plan.hyper, plan.x_param, np.repeat(plan.xs[cells % nx], per_cell)),
                            plan.y_param, np.repeat(plan.ys[cells // nx], per_cell))
        group = ParticleGroup(plan.optimizer, hyper, plan.schedule, theta.T)
        _, columns = hyper_columns(group, n)
        carry = np.ones(n)
    state = np.array(FAMILIES[plan.optimizer.family].init_state(hyper, n), dtype=np.float64, order="C")
    return (columns, plan.coefs, plan.lr_schedule, 0, plan.steps, plan.params, plan.data, plan.gradient, plan.seed,
            np.ascontiguousarray(theta, dtype=np.float64), state, carry, np.ones(n, dtype=np.bool_),
            np.full(n, -1, dtype=np.int64), plan.kernel_minima, plan.eps, np.full(n, -1, dtype=np.int64),
            np.empty(n))


def _run_chunk(plan: _Plan, c0: int, c1: int, device: str = "cpu") -> _Chunk:
    """Run cells [c0, c1) of a map (on this thread, the GIL released while the kernel runs; or on the GPU)."""
    args = _chunk_arguments(plan, c0, c1)
    _reducer(plan, device).run(args)
    theta, alive, settled_at, final_loss = args[9], args[12], args[16], args[17]
    return _Chunk(c0, c1, np.ascontiguousarray(theta.T), final_loss, settled_at, ~alive)


def _chunks(plan: _Plan, work: int, workers: int, max_particles: int = MAX_CHUNK_PARTICLES) -> list[tuple[int, int]]:
    """Contiguous ranges of cells of about ``work`` particle-steps (at most ``max_particles``), at least
    two per worker when possible."""
    per_cell = plan.per_cell
    particles = max(1, min(max_particles, work // plan.steps))
    size = max(1, particles // per_cell)
    size = min(size, max(1, -(-plan.cells // (2 * workers))))
    if size * per_cell >= TILE:
        size = max(1, (size * per_cell // TILE) * TILE // per_cell)
    return [(c0, min(c0 + size, plan.cells)) for c0 in range(0, plan.cells, size)]


# Running the chunks --------------------------------------------------------------------------


def _thread_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _run_local(plan: _Plan, on_chunk: Callable[[_Chunk], None], cancel, workers: int) -> None:
    """The chunks on a pool of threads. The pool's and the futures' locks are taken only inside
    :func:`optviz.interrupt.deferred` (a cancelling signal raised as one is taken would leave it
    taken, and the pool's shutdown would wait for ever); a signal is acted on within 0.1 s."""
    chunks = _chunks(plan, LOCAL_CHUNK_WORK, workers)
    c0, c1 = chunks[0]
    _reducer(plan).ensure("reduce_serial", _chunk_arguments(plan, c0, min(c1, c0 + 1)))  # compile once, here
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="optviz-map") as pool:
        pending = set()
        try:
            with deferred():
                pending = {pool.submit(_run_chunk, plan, c0, c1) for c0, c1 in chunks}
            while pending:
                with deferred():
                    done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                    for future in done:
                        on_chunk(future.result())
                if cancel is not None and cancel():
                    raise MapCancelled("the map was cancelled")
        finally:
            with deferred():
                for future in pending:
                    future.cancel()


def _run_cuda(plan: _Plan, on_chunk: Callable[[_Chunk], None], cancel) -> None:
    for c0, c1 in _chunks(plan, CUDA_CHUNK_PARTICLES * plan.steps, 1, CUDA_CHUNK_PARTICLES):
        on_chunk(_run_chunk(plan, c0, c1, "cuda"))
        if cancel is not None and cancel():
            raise MapCancelled("the map was cancelled")


def _run_dask(plan: _Plan, scheduler: str, on_chunk: Callable[[_Chunk], None], cancel) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise MapError("scheduler", f"scheduler = {shown(scheduler)} needs Dask distributed: "
                                    "pip install 'optviz[maps]'") from None
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise MapError("scheduler", f"scheduler = {shown(scheduler)}: cannot connect ({error})") from None
    with client:
        workers = max(1, sum(client.nthreads().values()))
        shared = client.scatter(plan, broadcast=True, hash=False)
        futures = [client.submit(_run_chunk, shared, c0, c1, pure=False)
                   for c0, c1 in _chunks(plan, DASK_CHUNK_WORK, workers)]
        try:
            for future in as_completed(futures, loop=client.loop):
                on_chunk(future.result())
                if cancel is not None and cancel():
                    raise MapCancelled("the map was cancelled")
        finally:
            client.cancel(futures)


def _check_device(device: Any, scheduler: str | None, surface: Surface) -> None:
    if device not in DEVICES:
        raise MapError("device", f"device = {shown(device)} must be one of {', '.join(DEVICES)}")
    if device == "cpu":
        return
    if scheduler is not None:
        raise MapError("device", "device = 'cuda' runs on this machine's GPU; it does not combine with a scheduler")
    if surface.kind == "data":
        raise MapError("device", "device = 'cuda' maps landscapes given by a formula, not data-backed models")
    from numba import cuda  # Numba's settings are in place: this module imported optviz.core.jit

    if not cuda.is_available():
        raise MapError("device", "device = 'cuda': no CUDA GPU is available here (numba.cuda.is_available() is False)")


def run_map(request: MapRequest, *, scheduler: str | None = None,
            progress: Callable[[int, int], None] | None = None,
            cancel: Callable[[], bool] | None = None, workers: int | None = None,
            device: str = "cpu") -> MapResult:
    """Run a map (see the module docstring for what each result means).

    ``scheduler`` None runs the chunks on ``workers`` local threads (default: the CPUs this
    process may use); "tcp://HOST:PORT" runs them on that Dask distributed scheduler, with
    bit-identical results. ``progress(done_cells, total_cells)`` is called as chunks finish;
    ``cancel()`` is polled as well, and a True stops the map with :class:`MapCancelled`.
    ``device="cuda"`` runs the map on this machine's CUDA GPU instead (one thread per particle;
    equal to the CPU's results to float64 rounding, not bit for bit: the GPU may fuse a
    multiply and an add). Raises :class:`MapError` naming the field on a bad request.
    """
    plan = _plan(request)
    if scheduler is not None and (not isinstance(scheduler, str) or not _ADDRESS.match(scheduler)):
        raise MapError("scheduler", f"scheduler = {shown(scheduler)} must be a Dask scheduler address such as "
                                    "'tcp://HOST:8786'")
    if workers is not None:
        workers = _integer(workers, "workers", 1, 1024)
    _check_device(device, scheduler, request.surface)
    per_cell, total = plan.per_cell, plan.cells
    n = total * per_cell
    position = np.empty((n, 2))
    final_loss = np.empty(n)
    settled_at = np.empty(n, dtype=np.int64)
    diverged = np.empty(n, dtype=np.bool_)
    done = 0

    def on_chunk(chunk: _Chunk) -> None:
        nonlocal done
        a, b = chunk.c0 * per_cell, chunk.c1 * per_cell
        position[a:b] = chunk.position
        final_loss[a:b] = chunk.final_loss
        settled_at[a:b] = chunk.settled_at
        diverged[a:b] = chunk.diverged
        done += chunk.c1 - chunk.c0
        if progress is not None:
            progress(done, total)

    if device == "cuda":
        _run_cuda(plan, on_chunk, cancel)
    elif scheduler is None:
        _run_local(plan, on_chunk, cancel, workers or _thread_count())
    else:
        _run_dask(plan, scheduler, on_chunk, cancel)
    return _result(request, plan, position, final_loss, settled_at, diverged)


# From per-particle results to the map ---------------------------------------------------------


def _nearest(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest center (ties to the lower index) of each point (n, 2)."""
    best = np.full(len(points), np.inf)
    index = np.zeros(len(points), dtype=np.int64)
    for k, (cx, cy) in enumerate(centers):
        d = (points[:, 0] - cx) ** 2 + (points[:, 1] - cy) ** 2
        closer = d < best
        best = np.where(closer, d, best)
        index = np.where(closer, k, index)
    return index


def _stationary_points(points: np.ndarray, losses: np.ndarray) -> tuple[tuple[Minimum, ...], np.ndarray]:
    """Cluster converged end points: (the points found, each end point's index among them).

    Greedy and deterministic: the end point of lowest loss (then x, then y) founds a point;
    every end point within CLUSTER_RADIUS · max(1, |θ|∞) of it joins; repeat with the rest.
    """
    if not len(points):
        return (), np.zeros(0, dtype=np.int64)
    order = np.lexsort((points[:, 1], points[:, 0], losses))
    label = np.full(len(points), -1, dtype=np.int64)
    found: list[Minimum] = []
    for i in order:
        if label[i] >= 0:
            continue
        center = points[i]
        radius = CLUSTER_RADIUS * max(1.0, float(np.max(np.abs(center))))
        members = (label < 0) & (np.max(np.abs(points - center), axis=1) <= radius)
        label[members] = len(found)
        found.append(Minimum(float(center[0]), float(center[1]), float(losses[i]), "local"))
    return tuple(found), label


def _classify(request: MapRequest, position, final_loss, settled_at, diverged) -> tuple[np.ndarray, tuple]:
    """Each particle's outcome code (minimum index, -1 or -2) and the minima the codes index."""
    code = np.where(diverged, DIVERGED, NOT_CONVERGED).astype(np.int64)
    converged = (settled_at >= 0) & ~diverged
    if request.minima:
        minima = tuple(request.minima)
        centers = np.array([[m.x, m.y] for m in minima], dtype=np.float64)
        code[converged] = _nearest(position[converged], centers)
    else:
        minima, labels = _stationary_points(position[converged], final_loss[converged])
        code[converged] = labels
    return code, minima


def _result(request: MapRequest, plan: _Plan, position, final_loss, settled_at, diverged) -> MapResult:
    ny, nx, per_cell = len(plan.ys), len(plan.xs), plan.per_cell
    code, minima = _classify(request, position, final_loss, settled_at, diverged)
    converged = (settled_at >= 0) & ~diverged
    if per_cell == 1:  # the kernel's own arrays: final_loss is +inf, settled_at -1 where diverged
        basin, steps_to_eps, cell_loss, cell_position = code, settled_at, final_loss, position
        converged_fraction, diverged_fraction = converged.astype(np.float64), diverged.astype(np.float64)
    else:
        code = code.reshape(-1, per_cell)
        outcomes = [*range(len(minima)), NOT_CONVERGED, DIVERGED]
        counts = np.stack([(code == v).sum(axis=1) for v in outcomes], axis=1)
        basin = np.asarray(outcomes, dtype=np.int64)[np.argmax(counts, axis=1)]
        settled = np.where(converged, settled_at, np.iinfo(np.int64).max).reshape(-1, per_cell)
        half = np.sort(settled, axis=1)[:, (per_cell + 1) // 2 - 1]
        steps_to_eps = np.where(half == np.iinfo(np.int64).max, -1, half)
        cell_loss = np.median(np.where(diverged, np.inf, final_loss).reshape(-1, per_cell), axis=1)
        cell_position = np.median(position.reshape(-1, per_cell, 2), axis=1)
        converged_fraction = converged.reshape(-1, per_cell).mean(axis=1)
        diverged_fraction = diverged.reshape(-1, per_cell).mean(axis=1)
    return MapResult(
        x=plan.xs, y=plan.ys,
        basin=basin.reshape(ny, nx).astype(np.int64),
        steps_to_eps=steps_to_eps.reshape(ny, nx).astype(np.int64),
        final_loss=cell_loss.reshape(ny, nx),
        converged=converged_fraction.reshape(ny, nx),
        diverged=diverged_fraction.reshape(ny, nx),
        final_position=cell_position.reshape(ny, nx, 2),
        minima=minima, kind=plan.kind, steps=plan.steps, eps=plan.eps, x_param=plan.x_param,
        y_param=plan.y_param,
    )


# Refinement and differences --------------------------------------------------------------------


def _coarse_axis(axis: MapAxis, factor: int) -> MapAxis:
    """The same extent with about 1/factor of the values (at least 2 where the axis has 2)."""
    if factor == 1 or axis.n <= 2:
        return axis
    return replace(axis, n=min(axis.n, max(2, -(-(axis.n - 1) // factor) + 1)))


def refine_levels(request: MapRequest, levels: Sequence[int] | None = None) -> tuple[int, ...]:
    """The factors :func:`refine_map` uses: given ones (decreasing, ending at 1), or the default.

    Default: 1/8 of the resolution in each axis, a middle level at 1/2 when the full map is more
    than MIDDLE_LEVEL_WORK particle-steps, then the full map.
    """
    if levels is None:
        work = request.x.n * request.y.n * request.steps * (
            len(request.group.positions) if request.kind == "hyper" else 1)
        return (COARSE_FACTOR, MIDDLE_FACTOR, 1) if work > MIDDLE_LEVEL_WORK else (COARSE_FACTOR, 1)
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or not levels:
        raise MapError("levels", f"levels = {shown(levels)} must be a list of factors such as [8, 2, 1]")
    out = [_integer(f, f"levels[{k}]", 1, MAX_AXIS) for k, f in enumerate(levels)]
    if any(b >= a for a, b in zip(out, out[1:], strict=False)):
        raise MapError("levels", f"levels = {shown(list(levels))} must decrease (coarse first)")
    return (*out, 1) if out[-1] != 1 else tuple(out)


def refine_map(request: MapRequest, levels: Sequence[int] | None = None, *, scheduler: str | None = None,
               progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None,
               workers: int | None = None, device: str = "cpu") -> Iterator[MapResult]:
    """Maps of ``request`` coarse first, then finer, the last at full resolution (= :func:`run_map`).

    Each level covers the same extent with about 1/factor of the cells along each axis
    (:func:`refine_levels`). The request is checked before the first level runs.
    """
    _check_request(request)
    factors = refine_levels(request, levels)

    def maps() -> Iterator[MapResult]:
        for factor in factors:
            coarse = replace(request, x=_coarse_axis(request.x, factor), y=_coarse_axis(request.y, factor))
            yield run_map(coarse, scheduler=scheduler, progress=progress, cancel=cancel, workers=workers,
                          device=device)

    return maps()


#: :func:`difference` codes.
SAME_BASIN, OTHER_BASIN, ONLY_A, ONLY_B, NEITHER = range(5)


def difference(a: MapResult, b: MapResult) -> np.ndarray:
    """(ny, nx) int64 codes: 0 same basin, 1 different basins, 2 only a converged, 3 only b, 4 neither.

    Both maps must have the same grid. When their minima differ (maps of landscapes without
    known minima find their own), b's are matched to a's by position (CLUSTER_RADIUS).
    """
    if a.basin.shape != b.basin.shape:
        raise MapError("b", f"b is a {b.basin.shape[1]}x{b.basin.shape[0]} map and a is "
                            f"{a.basin.shape[1]}x{a.basin.shape[0]}; a difference needs the same grid")
    for name in ("x", "y"):
        if not np.array_equal(getattr(a, name), getattr(b, name)):
            raise MapError(f"b.{name}", f"b.{name} differs from a.{name}; a difference needs the same grid")
    basin_b = b.basin
    if tuple(a.minima) != tuple(b.minima):
        translate = np.arange(len(b.minima), dtype=np.int64) + len(a.minima)
        for k, m in enumerate(b.minima):
            for i, n in enumerate(a.minima):
                if max(abs(m.x - n.x), abs(m.y - n.y)) <= CLUSTER_RADIUS * max(1.0, abs(n.x), abs(n.y)):
                    translate[k] = i
                    break
        basin_b = np.where(b.basin >= 0, translate[np.maximum(b.basin, 0)] if len(translate) else -1, b.basin)
    in_a, in_b = a.basin >= 0, basin_b >= 0
    out = np.full(a.basin.shape, NEITHER, dtype=np.int64)
    out[in_a & ~in_b] = ONLY_A
    out[~in_a & in_b] = ONLY_B
    both = in_a & in_b
    out[both] = np.where(a.basin[both] == basin_b[both], SAME_BASIN, OTHER_BASIN)
    return out


#: Hessians at these fractions of a surface's bounds decide whether it is a quadratic (constant Hessian).
_QUADRATIC_PROBES = ((0.5, 0.5), (0.1, 0.2), (0.9, 0.3), (0.3, 0.8), (0.7, 0.95))


def quadratic_curvatures(surface: Surface) -> tuple[float, float] | None:
    """(λ_min, λ_max) of a quadratic surface's constant Hessian, or None if its Hessian varies."""
    from optviz.core.curvature import eigen, hessian

    (x0, x1), (y0, y1) = surface.bounds
    fx, fy = np.array(_QUADRATIC_PROBES).T
    with np.errstate(all="ignore"):
        h = hessian(surface, x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
    if not np.isfinite(h).all() or np.abs(h - h[0]).max() > 1e-9 * max(np.abs(h[0]).max(), 1e-300):
        return None
    values, _ = eigen(h[0])
    return float(values[1]), float(values[0])


def stability_margin(request: MapRequest) -> np.ndarray | None:
    """(ny, nx): a hyper map's analytic stability threshold minus λ_max, where one is known.

    Known for the SGD family (GD, heavy-ball in any momentum form, Nesterov, with L2 or decoupled
    weight decay; :func:`optviz.core.curvature.stability_threshold`) at a constant learning rate
    on a quadratic landscape with a positive-definite Hessian (λ_max its largest eigenvalue):
    cells with a positive margin converge, those with a negative one diverge, and the zero level
    is the boundary (heavy ball: lr · λ_max = 2(1 + momentum)). None otherwise, e.g. for adaptive
    methods, whose thresholds hold only with their preconditioner frozen.
    """
    _check_request(request)
    group = request.group
    if request.kind != "hyper" or group.optimizer.family != "sgd" or group.schedule.get("kind") != "constant":
        return None
    curvatures = quadratic_curvatures(request.surface)
    if curvatures is None or curvatures[0] <= 0.0:
        return None
    from optviz.core.curvature import stability_threshold

    xv, yv = np.meshgrid(request.x.values(), request.y.values())
    hyper = _with_value(_with_value(group.hyper, request.x.param, xv), request.y.param, yv)
    threshold = stability_threshold(group.optimizer, hyper)
    return np.broadcast_to(np.asarray(threshold.value, dtype=np.float64) - curvatures[1], xv.shape).copy()


def cell_group(request: MapRequest, row: int, column: int) -> ParticleGroup:
    """The group that runs cell (row, column) of a map as an ordinary run (click a cell to load it)."""
    _check_request(request)
    y, x = request.y.values()[row], request.x.values()[column]
    group = request.group
    if request.kind == "basin":
        return replace(group, positions=np.array([[x, y]]))
    hyper = _with_value(_with_value(group.hyper, request.x.param, float(x)), request.y.param, float(y))
    return replace(group, hyper=hyper, positions=np.array(group.positions, dtype=np.float64).reshape(-1, 2))


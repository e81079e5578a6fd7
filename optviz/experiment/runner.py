"""From an experiment to a running simulation and to a result."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.memory import GroupFootprint, MemoryEstimate, check_memory, estimate_memory
from optviz.core.optimizers import FAMILIES, get_optimizer
from optviz.core.schedules import learning_rates
from optviz.experiment.model import Experiment
from optviz.experiment.result import RunResult


def memory_estimate(experiment: Experiment, max_frames: int | None = None, curvature: bool = False) -> MemoryEstimate:
    """The memory of ``build_simulation(experiment, max_frames)`` and of its result, from counts alone.

    ``curvature`` adds the result's two (frames, N) curvature arrays (:func:`run_curvature`).
    """
    groups = [GroupFootprint(n, len(get_optimizer(g.optimizer).state), _columns(g))
              for g, n in zip(experiment.groups, experiment.particle_counts(), strict=True)]
    dtype = np.dtype(experiment.run.record_dtype)
    estimate = estimate_memory(groups, max_history_bytes=_history_bytes(experiment), record_dtype=dtype,
                               max_frames=max_frames)
    if not curvature:
        return estimate
    extra = 2 * estimate.history_frames * estimate.n_particles * dtype.itemsize
    return dataclasses.replace(estimate, result=estimate.result + extra)


def build_simulation(experiment: Experiment, max_frames: int | None = None) -> Simulation:
    """The engine for ``experiment`` at step 0 (groups, landscape, recording settings).

    Raises MemoryBudgetError, before drawing a single position, when the run would not fit in the
    memory budget (``optviz.core.memory``).
    """
    check_memory(memory_estimate(experiment, max_frames))
    return Simulation(
        experiment.landscape_spec(),
        particle_groups(experiment),
        record_every=experiment.run.record_every,
        record_dtype=np.dtype(experiment.run.record_dtype),
        max_frames=max_frames,
        max_history_bytes=_history_bytes(experiment),
    )


def particle_groups(experiment: Experiment) -> list[ParticleGroup]:
    """The engine's groups of ``experiment``: optimizer, per-particle hyperparameters, schedule,
    seeded start positions and each group's own seed for its mini-batches and noise."""
    positions = experiment.initial_positions()
    seeds = np.random.SeedSequence([experiment.seed, 1]).generate_state(len(experiment.groups), np.uint64)
    return [
        ParticleGroup(
            optimizer=get_optimizer(g.optimizer),
            hyper=g.particle_hyper(len(p) // g.cells()),
            schedule=g.resolved_schedule(),
            positions=p,
            label=g.label,
            batch_size=g.batch_size or 0,
            without_replacement=g.sampling == "epoch",
            noise=(g.noise or {}).get("kind", "none"),
            noise_scale=float((g.noise or {}).get("scale", 1.0)),
            noise_dof=float((g.noise or {}).get("dof", 3.0)),
            seed=int(seed >> np.uint64(1)),
        )
        for g, p, seed in zip(experiment.groups, positions, seeds, strict=True)
    ]


def _columns(group) -> int:
    """Per-particle hyperparameter rows of a swept group's kernel (COLUMNS and the learning rate)."""
    return len(FAMILIES[get_optimizer(group.optimizer).family].COLUMNS) + 1 if group.sweep_axes() else 0


def run_frames(experiment: Experiment) -> int:
    """History frames a headless run keeps at most: every recorded step, the start and the last step."""
    return experiment.run.steps // experiment.run.record_every + 2


def _history_bytes(experiment: Experiment) -> int:
    return int(experiment.run.max_history_mb * 2**20)


#: Wall time of one call into the kernels: Python regains control (to report progress and to
#: see a cancelling signal, see optviz.interrupt) about this often.
SLICE_SECONDS = 0.25


def run_experiment(experiment: Experiment, progress: Callable[[int, int], None] | None = None,
                   curvature: bool = False) -> RunResult:
    """Run every step of ``experiment`` headless; the last step is always recorded.

    ``progress(done, total)`` is called after every slice of steps (about :data:`SLICE_SECONDS`).
    ``curvature`` also computes the sharpness of every recorded position (:func:`run_curvature`);
    it is off by default because it costs more than the run itself (a few times the run's time
    on 1e5 particles x 200 frames: README, Curvature).
    """
    if curvature:
        check_memory(memory_estimate(experiment, run_frames(experiment), curvature=True))
    simulation = build_simulation(experiment, max_frames=run_frames(experiment))
    advance_in_slices(simulation, experiment.run.steps, record_last=True, progress=progress)
    result = result_of(simulation, experiment, copy=False)  # the simulation ends here: its frames can be kept
    if curvature:
        result.sharpness, result.preconditioned_sharpness = run_curvature(result)
    return result


#: Recorded points per pass of :func:`run_curvature` (bounds its float64 temporaries).
CURVATURE_BLOCK = 1 << 20


def run_curvature(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """(sharpness, preconditioned_sharpness), each (frames, N) in the positions' dtype.

    sharpness: the largest eigenvalue of the exact Hessian (optviz.core.curvature) at each
    recorded position. preconditioned_sharpness: the largest eigenvalue of P^(-1/2) H P^(-1/2),
    with P the diagonal preconditioner of the step that produced the position, for the
    optimizers that have one (AdaGrad, RMSProp, Adadelta, Adam, AdamW, Adamax, NAdam, RAdam):
    the recorded ``lr_preconditioned`` is that step's per-parameter step size lr_t / P_i, so
    P_i = lr_t / lr_preconditioned_i with lr_t the group's scheduled learning rate at that
    step (per particle in a sweep). Everything in the step size besides the scheduled lr_t
    (Adam's sqrt(v̂) + eps, AdaGrad's lr_decay, RAdam's rectification) is part of P, so the
    stability threshold to compare with is in units of lr_t, e.g. (2 + 2β1)/((1 - β1) lr_t)
    for Adam (optviz.core.curvature.stability_threshold). NaN at step 0 (no step taken yet),
    for SGD, Momentum, Nesterov and Lion (no preconditioner), and for both arrays once a
    particle has diverged (its loss is recorded as NaN).
    """
    from optviz.core.curvature import curvature_along  # imports SymPy: only when asked

    experiment = result.experiment
    surface = experiment.landscape_spec()
    shape = result.loss.shape
    dtype = result.positions.dtype
    sharp = np.full(shape, np.nan, dtype=dtype)
    pre = np.full(shape, np.nan, dtype=dtype)
    steps = np.maximum(result.step, 1)
    for index, group in enumerate(experiment.groups):
        part = result.group_slice(index)
        n = part.stop - part.start
        if n == 0:
            continue
        lr_t = None
        if get_optimizer(group.optimizer).preconditioned:
            schedule = group.resolved_schedule()
            shift = learning_rates(0.0, schedule, steps)
            scale = learning_rates(1.0, schedule, steps) - shift
            lr = np.asarray(group.particle_hyper(n // group.cells())["lr"], dtype=np.float64)
            lr_t = lr * scale[:, None] + shift[:, None]  # (frames, n or 1), exact for the affine schedules
        frames = max(1, CURVATURE_BLOCK // n)
        for lo in range(0, shape[0], frames):
            rows = slice(lo, min(lo + frames, shape[0]))
            positions = result.positions[rows, part]
            preconditioner = None
            if lr_t is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    preconditioner = lr_t[rows, :, None] / result.lr_preconditioned[rows, part]
            s, p = curvature_along(surface, positions[..., 0], positions[..., 1], preconditioner)
            sharp[rows, part] = s
            if p is not None:
                pre[rows, part] = p
    diverged = ~np.isfinite(result.loss)
    sharp[diverged] = np.nan
    pre[diverged] = np.nan
    return sharp, pre


def advance_in_slices(simulation: Simulation, n_steps: int, record_last: bool = False,
                      progress: Callable[[int, int], None] | None = None,
                      seconds: float = SLICE_SECONDS) -> None:
    """``simulation.advance(n_steps, record_last)`` as calls of about ``seconds`` each.

    The result is the same as one call's (the engine's results do not depend on how a run is
    cut into calls), and so are the kernels run and compiled (serial or parallel, chosen as
    for one call of ``n_steps``). The first call is one step; each later one is sized from
    the rate of the last, growing at most fourfold.
    """
    simulation.start()
    done = 0
    size = 1
    while done < n_steps:
        size = min(size, n_steps - done)
        started = time.perf_counter()
        simulation.advance(size, record_last=record_last and done + size == n_steps, kernel_steps=n_steps)
        rate = size / max(time.perf_counter() - started, 1e-9)  # steps per second
        done += size
        if progress is not None:
            progress(done, n_steps)
        size = max(1, min(4 * size, int(rate * seconds)))


def result_of(simulation: Simulation, experiment: Experiment, copy: bool = True) -> RunResult:
    """The simulation's recorded history as a RunResult (``copy=False``: see Simulation.arrays)."""
    arrays = simulation.arrays(copy=copy)
    return RunResult(
        **arrays,
        labels=[g.label for g in experiment.groups],
        experiment=experiment,
        record_every=simulation.history.record_every,
    )

"""From an experiment to a running simulation and to a result."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.memory import GroupFootprint, MemoryEstimate, check_memory, estimate_memory
from optviz.core.optimizers import FAMILIES, get_optimizer
from optviz.experiment.model import Experiment
from optviz.experiment.result import RunResult


def memory_estimate(experiment: Experiment, max_frames: int | None = None) -> MemoryEstimate:
    """The memory of ``build_simulation(experiment, max_frames)`` and of its result, from counts alone."""
    groups = [GroupFootprint(n, len(get_optimizer(g.optimizer).state), _columns(g))
              for g, n in zip(experiment.groups, experiment.particle_counts(), strict=True)]
    return estimate_memory(groups, max_history_bytes=_history_bytes(experiment),
                           record_dtype=np.dtype(experiment.run.record_dtype), max_frames=max_frames)


def build_simulation(experiment: Experiment, max_frames: int | None = None) -> Simulation:
    """The engine for ``experiment`` at step 0 (groups, landscape, recording settings).

    Raises MemoryBudgetError, before drawing a single position, when the run would not fit in the
    memory budget (``optviz.core.memory``).
    """
    check_memory(memory_estimate(experiment, max_frames))
    positions = experiment.initial_positions()
    seeds = np.random.SeedSequence([experiment.seed, 1]).generate_state(len(experiment.groups), np.uint64)
    groups = [
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
    return Simulation(
        experiment.landscape_spec(),
        groups,
        record_every=experiment.run.record_every,
        record_dtype=np.dtype(experiment.run.record_dtype),
        max_frames=max_frames,
        max_history_bytes=_history_bytes(experiment),
    )


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


def run_experiment(experiment: Experiment, progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run every step of ``experiment`` headless; the last step is always recorded.

    ``progress(done, total)`` is called after every slice of steps (about :data:`SLICE_SECONDS`).
    """
    simulation = build_simulation(experiment, max_frames=run_frames(experiment))
    advance_in_slices(simulation, experiment.run.steps, record_last=True, progress=progress)
    return result_of(simulation, experiment, copy=False)  # the simulation ends here: its frames can be kept


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

"""The particle engine: groups of particles, each with its optimizer, advanced by the kernel.

A :class:`Simulation` owns, per group, positions θ (2, n), optimizer state
(S, 2, n), alive flags and divergence steps, and one shared :class:`History`.
``advance(n)`` runs n optimizer steps for every group (the kernels release the
GIL, so a worker thread can call it while a GUI paints), recording frames into
the history and decimating it when it fills up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core import kernels
from optviz.core.history import History, history_capacity
from optviz.core.jit import TILE
from optviz.core.optimizers import FAMILIES, OptimizerSpec
from optviz.core.schedules import learning_rates
from optviz.core.surface import Surface

#: Default memory bound of a history (all groups together).
DEFAULT_HISTORY_BYTES = 1 << 30

#: Below this much work (particles × steps) per call a serial kernel beats a parallel one.
PARALLEL_WORK = 200_000

#: Largest number of particle-steps per kernel call, so progress is reported regularly.
CHUNK_WORK = 50_000_000


@dataclass
class ParticleGroup:
    """One group as the engine sees it: a validated optimizer configuration and start positions.

    Any numeric hyperparameter in ``hyper`` may be an array of one value per particle
    (a sweep; betas as a pair of which either may be an array): the group then runs
    the per-particle kernel layout. Otherwise every value is shared.
    """

    optimizer: OptimizerSpec
    hyper: dict[str, Any]            # resolved: every hyperparameter present and valid
    schedule: dict[str, Any]         # resolved schedule (see core.schedules)
    positions: np.ndarray            # (n, 2) float64 initial positions
    label: str = ""
    batch_size: int = 0              # data-backed surfaces: 0 = full batch (GD), else samples per step
    without_replacement: bool = True  # mini-batches by epoch (True) or drawn with replacement
    noise: str = "none"              # gradient noise: "none", "gaussian" or "student_t"
    noise_scale: float = 0.0
    noise_dof: float = 3.0
    seed: int = 0                    # seeds this group's mini-batches and noise


def hyper_columns(group: ParticleGroup, n: int) -> tuple[str, np.ndarray]:
    """(layout, columns) of a group's hyperparameters for its kernel.

    Uniform: float64 (K,) in the family's COLUMNS order. Per particle: float64 (K + 1, n),
    the last row the learning rate (scaled per step by the schedule).
    """
    family = FAMILIES[group.optimizer.family]
    named = family.columns(group.hyper)
    values = [named[c] for c in family.COLUMNS]
    lr = group.hyper["lr"]
    if not any(np.ndim(v) for v in (*values, lr)):
        return kernels.UNIFORM, np.array(values, dtype=np.float64)
    out = np.empty((len(values) + 1, n))
    for row, value in enumerate([*values, lr]):
        out[row] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    return kernels.PER_PARTICLE, out


@dataclass
class _GroupRun:
    spec: ParticleGroup
    kernel: kernels.Kernel
    columns: np.ndarray
    carry: np.ndarray                # uniform: (1,), per particle: (n,)
    gradient: np.ndarray
    theta: np.ndarray
    state: np.ndarray
    alive: np.ndarray
    diverged_at: np.ndarray
    next_carry: float = 1.0          # a uniform group's carry after the call being prepared

    @property
    def size(self) -> int:
        return self.theta.shape[1]

    @property
    def per_particle(self) -> bool:
        return self.kernel.layout == kernels.PER_PARTICLE

    def kernel_name(self, n_steps: int) -> str:
        """The kernel function for a call of n_steps: parallel for enough work, else serial."""
        parallel = self.size * max(n_steps, 1) >= PARALLEL_WORK and self.size >= 2 * TILE
        return "advance_parallel" if parallel else "advance_serial"


class Simulation:
    """All groups of one experiment on one landscape, advanced in lockstep.

    Constructing one allocates its arrays but compiles and runs nothing: positions are
    there at once. :meth:`compile` compiles (or loads) the kernels it needs, with
    progress; :meth:`start` records frame 0; :meth:`advance` does both when needed.
    """

    def __init__(
        self,
        surface: Surface,
        groups: Sequence[ParticleGroup],
        record_every: int = 1,
        record_dtype=np.float32,
        max_frames: int | None = None,
        max_history_bytes: int = DEFAULT_HISTORY_BYTES,
    ):
        if not groups:
            raise ValueError("a simulation needs at least one group")
        self.surface = surface
        self.landscape_params = np.ascontiguousarray(surface.param_values, dtype=np.float64)
        self._specs = list(groups)
        self._record_every = int(record_every)
        self.record_dtype = np.dtype(record_dtype)
        total = sum(len(g.positions) for g in groups)
        self.capacity = history_capacity(total, self.record_dtype, max_history_bytes, max_frames)
        self.reset()

    def reset(self) -> None:
        """Back to step 0: initial positions, fresh optimizer state, empty history (frame 0 on start)."""
        self.step = 0
        self.groups = [self._start(g) for g in self._specs]
        self.history = History([g.size for g in self.groups], self.capacity, self._record_every,
                               self.record_dtype)
        self._started = False

    @property
    def n_particles(self) -> int:
        return sum(g.size for g in self.groups)

    def _start(self, group: ParticleGroup) -> _GroupRun:
        family = FAMILIES[group.optimizer.family]
        positions = np.asarray(group.positions, dtype=np.float64)
        n = len(positions)
        layout, columns = hyper_columns(group, n)
        source = kernels.gradient_source(self.surface, group.noise if self.surface.kind != "data" else "none")
        return _GroupRun(
            spec=group,
            kernel=kernels.kernel_for(group.optimizer.family, source, layout),
            columns=columns,
            carry=np.ones(n if layout == kernels.PER_PARTICLE else 1),
            gradient=kernels.gradient_config(group.batch_size, group.without_replacement, group.noise,
                                             group.noise_scale, group.noise_dof),
            theta=np.array(positions.T, order="C"),  # a copy: the kernels move it, never the start
            state=np.array(family.init_state(group.hyper, n), dtype=np.float64, order="C"),
            alive=np.ones(n, dtype=np.bool_),
            diverged_at=np.full(n, -1, dtype=np.int64),
        )

    def _kernel_jobs(self, steps_per_call: int) -> list[tuple[str, int]]:
        """(title, a group's index) for each distinct kernel function the groups run, e.g. "Adam on Rosenbrock"."""
        first: dict[tuple, int] = {}
        for index, g in enumerate(self.groups):
            first.setdefault((id(g.kernel), g.kernel_name(steps_per_call)), index)
        return [(f"{self.groups[i].spec.optimizer.title}{' sweep' if self.groups[i].per_particle else ''} on "
                 f"{self.surface.title}", i) for i in first.values()]

    def compile(self, progress: Callable[[str, int, int], None] | None = None, steps_per_call: int = 1) -> None:
        """Compile (or load from the disk cache) every kernel this simulation needs.

        For calls of ``steps_per_call`` steps (which decides serial or parallel kernels).
        ``progress(title, done, total)`` is called before each kernel that is not loaded in
        this process yet and once at the end with done == total (0 of 0 when all were
        loaded). Idempotent and thread-safe.
        """
        pending = []
        for title, index in self._kernel_jobs(steps_per_call):
            g = self.groups[index]
            args = self.kernel_arguments(index, 0, record_last=False)
            if not g.kernel.is_ready(g.kernel_name(steps_per_call), args):
                pending.append((title, g, args))
        for done, (title, g, args) in enumerate(pending):
            if progress is not None:
                progress(title, done, len(pending))
            g.kernel.ensure(g.kernel_name(steps_per_call), args)
        if progress is not None:
            progress("", len(pending), len(pending))

    def start(self) -> None:
        """Record frame 0 (the start positions, their loss and gradient) if not yet done."""
        if not self._started:
            self._started = True
            self._run_kernels(0, record_last=False)

    def advance(self, n_steps: int, record_last: bool = False,
                progress: Callable[[int, int], None] | None = None, kernel_steps: int | None = None) -> None:
        """Run ``n_steps`` optimizer steps for every group.

        ``record_last`` also records the final step when it is not a multiple of the
        recording interval. ``progress(done, total)`` is called after each chunk.
        ``kernel_steps`` decides serial or parallel kernels (see :meth:`Group.kernel_name`)
        as for a call of that many steps (default: each chunk's own), so that a run cut into
        short calls runs, and compiles, the kernels of one long call.
        """
        self.start()
        done = 0
        max_chunk = max(1, CHUNK_WORK // max(1, self.n_particles))
        while done < n_steps:
            chunk = min(n_steps - done, max_chunk, self._steps_that_fit())
            if chunk <= 0:
                self.history.decimate()
                continue
            final = done + chunk == n_steps
            due = kernels.due_steps(self.step, chunk, self.history.record_every, record_last and final)
            if len(due) > self.history.free:
                self.history.decimate()
                continue
            self._run_kernels(chunk, record_last=record_last and final, kernel_steps=kernel_steps or chunk)
            done += chunk
            if progress is not None:
                progress(done, n_steps)

    def _steps_that_fit(self) -> int:
        k = self.history.record_every
        return (self.step // k + self.history.free) * k - self.step

    def kernel_arguments(self, index: int, n_steps: int, record_last: bool) -> tuple:
        """The arguments of group ``index``'s kernel for a call of n_steps from the current step.

        A uniform group's coefficients are computed here (and its carry advanced by
        :meth:`_run_kernels` after the call); a per-particle group gets the schedule as
        (scale, shift) rows, lr_t = lr · scale + shift, exact for optviz's affine schedules.
        """
        history = self.history
        g = self.groups[index]
        steps = np.arange(self.step + 1, self.step + n_steps + 1)
        if g.per_particle:
            coefs = np.zeros((1, 1))
            shift = learning_rates(0.0, g.spec.schedule, steps)
            scale = learning_rates(1.0, g.spec.schedule, steps) - shift
            lr_schedule = np.ascontiguousarray(np.stack([scale, shift], axis=1)) if n_steps else np.zeros((1, 2))
        else:
            lrs = learning_rates(g.spec.hyper["lr"], g.spec.schedule, steps)
            coefs, g.next_carry = g.kernel.coefficient_table(self.step, lrs, float(g.carry[0]), g.columns)
            lr_schedule = np.zeros((1, 2))
        rec = history.groups[index].arrays
        return (g.columns, coefs, lr_schedule, self.step, n_steps, self.landscape_params, self.surface.data,
                g.gradient, g.spec.seed, g.theta, g.state, g.carry, g.alive, g.diverged_at, history.record_every,
                record_last, history.n_frames, rec["positions"], rec["loss"], rec["grad"],
                rec["lr_preconditioned"], rec["lr_realized"])

    def _run_kernels(self, n_steps: int, record_last: bool, kernel_steps: int | None = None) -> None:
        history = self.history
        frame0 = history.n_frames
        for index, g in enumerate(self.groups):
            name = g.kernel_name(kernel_steps or n_steps)
            g.kernel.run(name, self.kernel_arguments(index, n_steps, record_last))
            if not g.per_particle:
                g.carry[0] = g.next_carry
        recorded = kernels.due_steps(self.step, n_steps, history.record_every, record_last)
        history.steps[frame0: frame0 + len(recorded)] = recorded
        history.n_frames += len(recorded)
        self.step += n_steps

    # Views for viewers and writers -------------------------------------------------------

    def positions(self, group: int) -> np.ndarray:
        """Current positions (n, 2) of a group (a copy)."""
        return self.groups[group].theta.T.copy()

    def optimizer_state(self, group: int) -> Mapping[str, np.ndarray]:
        """Current optimizer state of a group by name, each (n, 2) (copies)."""
        g = self.groups[group]
        return {name: g.state[k].T.copy() for k, name in enumerate(g.spec.optimizer.state)}

    def arrays(self, copy: bool = True) -> dict[str, np.ndarray]:
        """The recorded history of all groups concatenated along particles, plus bookkeeping.

        positions (F, N, 2), loss (F, N), grad, lr_preconditioned, lr_realized (F, N, 2),
        step (F,), group (N,), diverged_at (N,). With ``copy=False`` a single group's frames
        are views of the history (no copy), valid until the simulation advances or resets.
        """
        h = self.history
        if not copy and len(self.groups) == 1:
            out = {name: h.view(0, name) for name in h.groups[0].arrays}
        else:
            out = {
                name: np.concatenate([h.view(k, name) for k in range(len(self.groups))], axis=1)
                for name in h.groups[0].arrays
            }
        out["step"] = h.steps[: h.n_frames].copy()
        out["group"] = np.concatenate([np.full(g.size, k, dtype=np.int32) for k, g in enumerate(self.groups)])
        out["diverged_at"] = np.concatenate([g.diverged_at for g in self.groups])
        return out

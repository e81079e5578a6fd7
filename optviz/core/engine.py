"""The particle engine: groups of particles, each with its optimizer, advanced by the kernel.

A :class:`Simulation` owns, per group, positions θ (2, n), optimizer state
(S, 2, n), alive flags and divergence steps, and one shared :class:`History`.
``advance(n)`` runs n optimizer steps for every group (the kernels release the
GIL, so a worker thread can call it while a GUI paints), recording frames into
the history and decimating it when it fills up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.core import kernel
from optviz.core.history import History, bytes_per_frame
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
    """One group as the engine sees it: a validated optimizer configuration and start positions."""

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


@dataclass
class _GroupRun:
    spec: ParticleGroup
    family: int
    packed: np.ndarray
    gradient: np.ndarray
    theta: np.ndarray
    state: np.ndarray
    alive: np.ndarray
    diverged_at: np.ndarray
    module: Any = field(repr=False)

    @property
    def size(self) -> int:
        return self.theta.shape[1]


class Simulation:
    """All groups of one experiment on one landscape, advanced in lockstep."""

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
        self.landscape_id = int(surface.id)
        self.landscape_params = np.ascontiguousarray(surface.param_values, dtype=np.float64)
        self._specs = list(groups)
        self._record_every = int(record_every)
        self.record_dtype = np.dtype(record_dtype)
        total = sum(len(g.positions) for g in groups)
        by_memory = max(2, max_history_bytes // bytes_per_frame(total, self.record_dtype))
        self.capacity = int(min(by_memory, max_frames)) if max_frames else int(by_memory)
        self.capacity = max(2, self.capacity)
        self.reset()

    def reset(self) -> None:
        """Back to step 0: initial positions, fresh optimizer state, empty history."""
        self.step = 0
        self.groups = [self._start(g) for g in self._specs]
        self.history = History([g.size for g in self.groups], self.capacity, self._record_every,
                               self.record_dtype)
        self._run_kernels(0, record_last=False)

    @property
    def n_particles(self) -> int:
        return sum(g.size for g in self.groups)

    def _start(self, group: ParticleGroup) -> _GroupRun:
        module = FAMILIES[group.optimizer.family]
        positions = np.asarray(group.positions, dtype=np.float64)
        n = len(positions)
        return _GroupRun(
            spec=group,
            family=group.optimizer.family,
            packed=np.ascontiguousarray(module.pack(group.hyper), dtype=np.float64),
            gradient=kernel.gradient_config(self.surface.source, group.batch_size, group.without_replacement,
                                            group.noise, group.noise_scale, group.noise_dof),
            theta=np.ascontiguousarray(positions.T),
            state=np.ascontiguousarray(module.init_state(group.hyper, n), dtype=np.float64),
            alive=np.ones(n, dtype=np.bool_),
            diverged_at=np.full(n, -1, dtype=np.int64),
            module=module,
        )

    def advance(self, n_steps: int, record_last: bool = False,
                progress: Callable[[int, int], None] | None = None) -> None:
        """Run ``n_steps`` optimizer steps for every group.

        ``record_last`` also records the final step when it is not a multiple of the
        recording interval. ``progress(done, total)`` is called after each chunk.
        """
        done = 0
        max_chunk = max(1, CHUNK_WORK // max(1, self.n_particles))
        while done < n_steps:
            chunk = min(n_steps - done, max_chunk, self._steps_that_fit())
            if chunk <= 0:
                self.history.decimate()
                continue
            final = done + chunk == n_steps
            due = kernel.due_steps(self.step, chunk, self.history.record_every, record_last and final)
            if len(due) > self.history.free:
                self.history.decimate()
                continue
            self._run_kernels(chunk, record_last=record_last and final)
            done += chunk
            if progress is not None:
                progress(done, n_steps)

    def _steps_that_fit(self) -> int:
        k = self.history.record_every
        return (self.step // k + self.history.free) * k - self.step

    def _run_kernels(self, n_steps: int, record_last: bool) -> None:
        history = self.history
        frame0 = history.n_frames
        steps = np.arange(self.step + 1, self.step + n_steps + 1)
        for index, g in enumerate(self.groups):
            lrs = learning_rates(g.spec.hyper["lr"], g.spec.schedule, steps)
            coefs = np.ascontiguousarray(g.module.coefficients(g.spec.hyper, lrs, steps)) if n_steps else \
                np.zeros((1, 1))
            serial, parallel = self._kernels(g.family)
            advance = parallel if g.size * max(n_steps, 1) >= PARALLEL_WORK and g.size >= 2 * TILE else serial
            rec = history.groups[index].arrays
            advance(g.family, g.packed, coefs, self.step, n_steps, self.landscape_id, self.landscape_params,
                    self.surface.data, g.gradient, g.spec.seed, g.theta, g.state, g.alive, g.diverged_at,
                    history.record_every, record_last, frame0,
                    rec["positions"], rec["loss"], rec["grad"], rec["lr_preconditioned"], rec["lr_realized"])
        recorded = kernel.due_steps(self.step, n_steps, history.record_every, record_last)
        history.steps[frame0: frame0 + len(recorded)] = recorded
        history.n_frames += len(recorded)
        self.step += n_steps

    def _kernels(self, family: int):
        """The (serial, parallel) kernels for this surface and an optimizer family."""
        if self.surface.tile_function is None:
            return kernel.advance_serial, kernel.advance_parallel
        return kernel.kernels_for(self.surface.tile_function, self.surface.cache_key, family)

    # Views for viewers and writers -------------------------------------------------------

    def positions(self, group: int) -> np.ndarray:
        """Current positions (n, 2) of a group (a copy)."""
        return self.groups[group].theta.T.copy()

    def optimizer_state(self, group: int) -> Mapping[str, np.ndarray]:
        """Current optimizer state of a group by name, each (n, 2) (copies)."""
        g = self.groups[group]
        return {name: g.state[k].T.copy() for k, name in enumerate(g.spec.optimizer.state)}

    def arrays(self) -> dict[str, np.ndarray]:
        """The recorded history of all groups concatenated along particles, plus bookkeeping.

        positions (F, N, 2), loss (F, N), grad, lr_preconditioned, lr_realized (F, N, 2),
        step (F,), group (N,), diverged_at (N,).
        """
        h = self.history
        out = {
            name: np.concatenate([h.view(k, name) for k in range(len(self.groups))], axis=1)
            for name in h.groups[0].arrays
        }
        out["step"] = h.steps[: h.n_frames].copy()
        out["group"] = np.concatenate([np.full(g.size, k, dtype=np.int32) for k, g in enumerate(self.groups)])
        out["diverged_at"] = np.concatenate([g.diverged_at for g in self.groups])
        return out

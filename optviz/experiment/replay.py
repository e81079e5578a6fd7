"""One particle of an experiment re-run to any step, exactly as the engine ran it.

Explain mode needs a particle's optimizer state at the time cursor, and the engine keeps state
only for its newest step (in the app, on the compute thread). A run is deterministic (same
experiment, same seed), so :class:`ParticleReplay` re-runs the particle with the engine's own
kernel: the same group (its seed, its per-particle hyperparameters, its schedule), the same
kernel layout, and the same particle index, which keys the particle's mini-batches and
gradient noise (optviz.core.data.gradients). Where nothing random depends on that index (an
exact gradient without noise, or a full-batch data loss) it re-runs the particle alone;
otherwise the particles before it in the group too, so that its index is unchanged. Its
trajectory is then the recorded one, bit for bit (tests/test_explain_model.py).

Cost: t steps of one particle (about a microsecond each), or of index + 1 particles when the
gradient is stochastic. Moving forward continues the last re-run; moving back starts over.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.explain import GradientOrigin, one_particle
from optviz.core.schedules import learning_rates

__all__ = ["ParticleState", "ParticleReplay", "HISTORY_FRAMES"]

#: Frames a replay's history holds before it starts over (each :meth:`ParticleReplay.at` adds one).
HISTORY_FRAMES = 64
#: Records only the frame a call ends on (every call passes ``record_last``).
_NEVER = 1 << 40


@dataclass(frozen=True)
class ParticleState:
    """A particle after ``step`` updates: θ (2,), optimizer state (S, 2), the engine's carry
    (NAdam's Π_t), and the loss and gradient the kernel computed at θ for the next update
    (NaN once the particle has diverged)."""

    step: int
    theta: np.ndarray
    state: np.ndarray
    carry: float
    grad: np.ndarray
    loss: float
    alive: bool
    diverged_at: int


def _slice(value: Any, lo: int, hi: int) -> Any:
    """A per-particle hyperparameter (an array, or a betas pair holding one) cut to particles [lo, hi)."""
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return value[lo:hi]
    if isinstance(value, tuple) and any(isinstance(v, np.ndarray) for v in value):
        return tuple(_slice(v, lo, hi) for v in value)
    return value


class ParticleReplay:
    """Particle ``index`` of group ``group`` of ``experiment``, re-run on demand (:meth:`at`)."""

    def __init__(self, experiment, group: int, index: int):
        from optviz.experiment.runner import build_simulation

        counts = experiment.particle_counts()
        if not 0 <= group < len(counts):
            raise ValueError(f"group = {group}: the experiment has groups 0 to {len(counts) - 1}")
        if not 0 <= index < counts[group]:
            raise ValueError(f"particle = {index}: group {group} has particles 0 to {counts[group] - 1}")
        full = build_simulation(experiment, max_frames=2).groups[group].spec  # seeds as the run's
        self.experiment = experiment
        self.group = group
        self.index = index
        self.surface = experiment.landscape_spec()
        self.spec: ParticleGroup = full
        self.optimizer = full.optimizer
        #: the particle's own hyperparameters (a swept one as its value)
        self.hyper = one_particle(full.hyper, index)
        self.schedule = full.schedule
        data = self.surface.kind == "data"
        n_samples = len(self.surface.data) if data else 0
        self.origin = GradientOrigin(data=data, n_samples=n_samples, batch_size=full.batch_size if data else 0,
                                     by_epoch=full.without_replacement, noise=full.noise,
                                     noise_scale=full.noise_scale)
        stochastic = self.origin.minibatch or full.noise != "none"
        lo = 0 if stochastic else index
        self._local = index - lo
        self._sub = ParticleGroup(
            optimizer=full.optimizer, hyper={k: _slice(v, lo, index + 1) for k, v in full.hyper.items()},
            schedule=full.schedule, positions=np.array(full.positions[lo: index + 1], dtype=np.float64),
            label=full.label,
            batch_size=full.batch_size, without_replacement=full.without_replacement, noise=full.noise,
            noise_scale=full.noise_scale, noise_dof=full.noise_dof, seed=full.seed)
        self.particles_run = index + 1 - lo
        self._sim: Simulation | None = None

    def _simulation(self) -> Simulation:
        """The re-run's engine, new at step 0 when there is none.

        Built anew rather than ``reset()``: the engine's θ of a one-particle group is a view of
        the group's start positions (a (2, 1) transpose is already contiguous), so its kernel
        moves the start positions too; each new engine gets its own copy of them.
        """
        if self._sim is None:
            group = dataclasses.replace(self._sub, positions=np.array(self._sub.positions, dtype=np.float64))
            self._sim = Simulation(self.surface, [group], record_every=_NEVER, record_dtype=np.float64,
                                   max_frames=HISTORY_FRAMES)
        return self._sim

    def at(self, step: int) -> ParticleState:
        """The particle after ``step`` updates (continuing the last re-run when ``step`` is not behind it)."""
        step = int(step)
        if step < 0:
            raise ValueError(f"step = {step}: must be 0 or more")
        if self._sim is not None and (self._sim.step > step or self._sim.history.free == 0):
            self._sim = None
        sim = self._simulation()
        sim.start()
        if step > sim.step:
            sim.advance(step - sim.step, record_last=True, kernel_steps=1)
        history = sim.history
        assert history.steps[history.n_frames - 1] == step
        run, j = sim.groups[0], self._local
        return ParticleState(
            step=step, theta=run.theta[:, j].copy(), state=run.state[:, :, j].copy(),
            carry=float(run.carry[j] if run.per_particle else run.carry[0]),
            grad=history.view(0, "grad")[-1, j].copy(), loss=float(history.view(0, "loss")[-1, j]),
            alive=bool(run.alive[j]), diverged_at=int(run.diverged_at[j]))

    def lr(self, t: int) -> float:
        """η_t, the learning rate of update ``t`` (>= 1), as the engine's kernel computes it for this group's layout."""
        steps = np.array([float(t)])
        if self._simulation().groups[0].per_particle:
            shift = learning_rates(0.0, self.schedule, steps)[0]
            scale = learning_rates(1.0, self.schedule, steps)[0] - shift
            return float(self.hyper["lr"] * scale + shift)
        return float(learning_rates(self.spec.hyper["lr"], self.schedule, steps)[0])

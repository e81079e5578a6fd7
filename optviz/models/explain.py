"""Explain mode's state (Qt-free): which particle, which update, which sub-step.

:class:`ExplainModel` explains the update that moves the chosen particle from the time cursor's
step t to t + 1 (update number t + 1 of the run, in the notation's counter), one sub-step at a
time. Views subscribe to :attr:`ExplainModel.changed` (a new :class:`Explanation`: another
particle, step or experiment) and :attr:`ExplainModel.substep_changed` (the current sub-step's
index), and drive it with :meth:`set_experiment`, :meth:`set_particle`, :meth:`set_step`,
:meth:`next`, :meth:`previous` and :meth:`go`.

Where the particle's state comes from: a :class:`~optviz.experiment.replay.ParticleReplay` of
the experiment, always, also at the live step. The live engine belongs to the app's compute
thread (reading its arrays from the GUI thread would race with the kernels), and a replay is
exact (the engine's kernel, seed and particle index) and fast (t steps of one particle; it
continues forward from its last step, so "next update" costs one step). While the model is not
:attr:`active` (the panel is hidden) it only records what it is asked to show and computes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import Signal

from optviz.core.explain import explain_update
from optviz.core.optimizers.steps import SubStep, Text, Update

__all__ = ["Explanation", "ExplainModel"]


@dataclass(frozen=True)
class Explanation:
    """The explained update of one particle, or why there is none (``update`` None, ``message`` says
    why, in English and Chinese).

    ``step``: the time cursor's step t; ``update`` moves θ_t to θ_{t+1} (its counter ``update.t``
    is t + 1). ``particle`` is the global index, ``index`` the index within ``group``.
    """

    group: int
    index: int
    particle: int
    label: str
    optimizer: str
    step: int
    update: Update | None = None
    message: Text | None = None
    beyond_run: bool = False


class ExplainModel:
    """Which particle is explained at which step, and the current sub-step (see the module docstring)."""

    #: A new :class:`Explanation` (or None: nothing to explain, no experiment).
    changed = Signal(object)
    #: The index of the current sub-step.
    substep_changed = Signal(int)

    def __init__(self):
        self.experiment = None
        self.group = 0
        self.index = 0
        self.step = 0
        self.substep = 0
        self.active = False
        self.explanation: Explanation | None = None
        self._replay = None
        self._start_next_at_first = False

    # ---------------------------------------------------------------- what to explain
    def set_active(self, active: bool) -> None:
        """Compute explanations (a view shows them) or only remember what to explain."""
        self.active = bool(active)
        if self.active:
            self._explain()

    def set_experiment(self, experiment) -> None:
        """A new or edited experiment: its particles are re-run from scratch."""
        self.experiment = experiment
        self._replay = None
        counts = experiment.particle_counts() if experiment is not None else []
        if counts and not (0 <= self.group < len(counts) and 0 <= self.index < counts[self.group]):
            self.group, self.index = 0, 0
        self._refresh()

    def set_particle(self, group: int, index: int) -> None:
        """Explain particle ``index`` of group ``group``."""
        group, index = int(group), int(index)
        if (group, index) != (self.group, self.index):
            self.group, self.index = group, index
            self._replay = None
            self._refresh()

    def set_global_particle(self, particle: int) -> None:
        """Explain the particle with global index ``particle`` (groups' particles in order)."""
        if self.experiment is None:
            return
        start = 0
        for group, count in enumerate(self.experiment.particle_counts()):
            if particle < start + count:
                self.set_particle(group, particle - start)
                return
            start += count
        raise ValueError(f"particle = {particle}: the experiment has {start} particles")

    def set_step(self, step: int) -> None:
        """Explain the update from the time cursor's step ``step`` to ``step + 1``."""
        step = int(step)
        if step < 0:
            raise ValueError(f"step = {step}: must be 0 or more")
        if step != self.step:
            self.step = step
            self._refresh()

    def start_next_update_at_first_substep(self) -> None:
        """The next update explained (after :meth:`set_step` to a later step) starts at its first
        sub-step, as "next" past an update's last sub-step does; otherwise the sub-step stays."""
        self._start_next_at_first = True

    # ---------------------------------------------------------------- sub-steps
    @property
    def substeps(self) -> tuple[SubStep, ...]:
        e = self.explanation
        return e.update.substeps if e is not None and e.update is not None else ()

    @property
    def current(self) -> SubStep | None:
        subs = self.substeps
        return subs[self.substep] if subs else None

    def go(self, index: int) -> bool:
        """Make sub-step ``index`` current; False (nothing changes) when there is no such sub-step."""
        index = int(index)
        if not 0 <= index < len(self.substeps):
            return False
        if index != self.substep:
            self.substep = index
            self.substep_changed.emit(index)
        return True

    def next(self) -> bool:
        """The next sub-step; False at the last one."""
        return self.go(self.substep + 1)

    def previous(self) -> bool:
        """The previous sub-step; False at the first one."""
        return self.go(self.substep - 1)

    # ---------------------------------------------------------------- computing
    def _refresh(self) -> None:
        if self.active:
            self._explain()

    def _explain(self) -> None:
        before = self.current.key if self.current is not None else None
        self.explanation = self._compute()
        keys = [s.key for s in self.substeps]
        first = self._start_next_at_first and self.explanation is not None and self.explanation.update is not None
        if first:
            self._start_next_at_first = False
        self.substep = 0 if first or before not in keys else keys.index(before)
        self.changed.emit(self.explanation)
        self.substep_changed.emit(self.substep)

    def _compute(self) -> Explanation | None:
        from optviz.experiment.replay import ParticleReplay

        exp = self.experiment
        if exp is None or not exp.groups:
            return None
        counts = exp.particle_counts()
        group = min(self.group, len(counts) - 1)
        index = min(self.index, max(counts[group] - 1, 0))
        g = exp.groups[group]
        head = dict(group=group, index=index, particle=sum(counts[:group]) + index, label=g.label,
                    optimizer=g.optimizer, step=self.step, beyond_run=self.step >= exp.run.steps)
        if counts[group] == 0:
            return Explanation(**head, message=Text("This group has no particles.", "这一组没有粒子。"))
        try:
            if self._replay is None or (self._replay.group, self._replay.index) != (group, index):
                self._replay = ParticleReplay(exp, group, index)
            replay = self._replay
            now = replay.at(self.step)
            if not now.alive:
                return Explanation(**head, message=Text(
                    f"This particle diverged at step {now.diverged_at}: it has no update to explain.",
                    f"这个粒子在第 {now.diverged_at} 步发散了：没有可以解释的更新。"))
            t = self.step + 1
            update = explain_update(replay.optimizer, replay.hyper, now.state, now.theta, now.grad, t,
                                    replay.lr(t), now.carry, origin=replay.origin, schedule=replay.schedule)
        except Exception as error:  # noqa: BLE001 - shown in the panel, never breaks the window
            reason = f"{type(error).__name__}: {error}"
            return Explanation(**head, message=Text(f"Cannot explain this update: {reason}",
                                                    f"无法解释这次更新：{reason}"))
        return Explanation(**head, update=update)

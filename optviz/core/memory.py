"""How much memory a simulation needs, computed before anything is allocated, and the budget it must fit.

:func:`estimate_memory` adds up what a :class:`~optviz.core.engine.Simulation`
holds for its groups (start positions, positions, alive flags, divergence
steps, the per-particle carry, optimizer state, per-particle hyperparameter
columns), its history (``history_capacity`` frames of ``bytes_per_frame``,
never fewer than 2 frames, even beyond ``max_history_bytes``) and, when the
run is turned into a result, the copy ``Simulation.arrays()`` makes of every
frame. :func:`check_memory` refuses an estimate beyond the budget: 75% of
physical memory, or ``OPTVIZ_MEMORY_LIMIT_MB`` when set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optviz.core.history import bytes_per_frame, history_capacity

#: Environment variable that sets the memory budget, in MiB.
LIMIT_ENV = "OPTVIZ_MEMORY_LIMIT_MB"

#: Share of physical memory a run may use when the variable is not set.
PHYSICAL_SHARE = 0.75

#: Budget when physical memory cannot be read.
FALLBACK_BUDGET = 8 << 30

#: Bytes per particle the engine keeps whatever the optimizer: start positions (n, 2) float64,
#: positions (2, n) float64, alive bool, diverged_at int64 and a float64 carry.
PARTICLE_BYTES = 16 + 16 + 1 + 8 + 8

#: Bytes per particle of a result besides its frames: group (int32) and diverged_at (int64).
RESULT_PARTICLE_BYTES = 4 + 8


class MemoryBudgetError(ValueError):
    """A run would need more memory than the budget allows (or the budget itself is invalid)."""


@dataclass(frozen=True)
class GroupFootprint:
    """What sizes one group's arrays: particles, optimizer state arrays (S of ``OptimizerSpec.state``,
    each (2, n) float64) and per-particle hyperparameter columns (each (n,) float64)."""

    n_particles: int
    state_arrays: int
    hyper_columns: int = 0


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of each part of a run; ``total`` is their sum."""

    particles: int
    state: int
    hyperparameters: int
    history: int
    result: int
    n_particles: int
    n_groups: int
    history_frames: int

    @property
    def total(self) -> int:
        return self.particles + self.state + self.hyperparameters + self.history + self.result

    def parts(self) -> dict[str, int]:
        """The non-empty parts by name, largest first."""
        named = {"history": self.history, "result": self.result, "particles": self.particles,
                 "state": self.state, "hyperparameters": self.hyperparameters}
        return dict(sorted(((k, v) for k, v in named.items() if v), key=lambda kv: -kv[1]))

    def text(self) -> str:
        """E.g. ``"1.2 GiB: history 1.0 GiB, state 150 MiB, particles 49 MiB"``."""
        return f"{format_bytes(self.total)}: " + ", ".join(f"{k} {format_bytes(v)}" for k, v in self.parts().items())


@dataclass(frozen=True)
class MemoryBudget:
    """The most bytes a run may use and where that figure comes from."""

    bytes: int
    source: str


def estimate_memory(groups: Sequence[GroupFootprint], *, max_history_bytes: int, record_dtype=np.float32,
                    max_frames: int | None = None, result_copy: bool = True) -> MemoryEstimate:
    """The memory of a Simulation of ``groups`` built with these recording settings (Simulation's own
    arguments); ``result_copy`` adds the frames ``Simulation.arrays()`` copies into a result."""
    sizes = [int(g.n_particles) for g in groups]
    total = sum(sizes)
    frames = history_capacity(total, record_dtype, max_history_bytes, max_frames)
    frame_bytes = bytes_per_frame(total, record_dtype)
    return MemoryEstimate(
        particles=PARTICLE_BYTES * total,
        state=sum(8 * 2 * n * g.state_arrays for n, g in zip(sizes, groups, strict=True)),
        hyperparameters=sum(8 * n * g.hyper_columns for n, g in zip(sizes, groups, strict=True)),
        history=frames * frame_bytes,
        result=frames * frame_bytes + RESULT_PARTICLE_BYTES * total if result_copy else 0,
        n_particles=total,
        n_groups=len(sizes),
        history_frames=frames,
    )


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the system does not say."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


def memory_budget() -> MemoryBudget:
    """``OPTVIZ_MEMORY_LIMIT_MB`` MiB when set, else 75% of physical memory, else 8 GiB.

    Raises MemoryBudgetError when the variable is set to anything but a number > 0.
    """
    text = os.environ.get(LIMIT_ENV, "").strip()
    if text:
        try:
            mib = float(text)
        except ValueError:
            mib = math.nan
        if not (math.isfinite(mib) and mib > 0):
            raise MemoryBudgetError(f"{LIMIT_ENV} = {text!r} is not allowed: must be a number of MiB > 0")
        return MemoryBudget(int(mib * 2**20), f"{LIMIT_ENV}={text}")
    physical = physical_memory()
    if physical is None:
        return MemoryBudget(FALLBACK_BUDGET, f"physical memory unknown; set {LIMIT_ENV} to change it")
    return MemoryBudget(int(physical * PHYSICAL_SHARE),
                        f"{PHYSICAL_SHARE:.0%} of {format_bytes(physical)} physical memory; "
                        f"set {LIMIT_ENV} to change it")


def check_memory(estimate: MemoryEstimate, budget: MemoryBudget | int | None = None, where: str = "this run") -> None:
    """Raise MemoryBudgetError (one line: the total, its largest parts, the budget and what to change)
    when ``estimate`` exceeds ``budget`` (bytes, or :func:`memory_budget` when None)."""
    if budget is None:
        budget = memory_budget()
    elif not isinstance(budget, MemoryBudget):
        budget = MemoryBudget(int(budget), "given")
    if estimate.total <= budget.bytes:
        return
    largest = ", ".join(f"{name} {format_bytes(size)}" for name, size in list(estimate.parts().items())[:3])
    advice = (f"use fewer groups or fewer particles per group (now {estimate.n_groups:,} groups, "
              f"{estimate.n_particles:,} particles)")
    if estimate.history_frames > 2:
        advice += (f", or keep fewer history frames (now {estimate.history_frames:,}) with a lower "
                   "run.max_history_mb or a larger run.record_every")
    raise MemoryBudgetError(
        f"{where} needs {format_bytes(estimate.total)} of memory ({largest}), more than the budget of "
        f"{format_bytes(budget.bytes)} ({budget.source}): {advice}")


def format_bytes(n: int) -> str:
    """Binary units with about two significant digits: ``"800 B"``, ``"150 MiB"``, ``"1.2 GiB"``."""
    value, unit = float(n), "B"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.0f} {unit}" if unit == "B" or value >= 10 else f"{value:.1f} {unit}"

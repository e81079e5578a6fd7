"""Compile (or load from the disk cache) chosen kernels ahead of use.

Kernels compile lazily, the first time a combination runs (a few seconds each, cold),
so nothing needs warming. This fills the cache ahead of time, for benchmarks and for
machines that should start instantly: every optimizer family on the given landscapes,
serial and parallel, recording in the given dtypes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.optimizers import FAMILIES, OPTIMIZERS
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import builtin_surface


def warm_kernels(families: Iterable[str] | None = None, landscapes: Iterable[str] = ("rosenbrock",),
                 record_dtypes=(np.float32,), progress: Callable[[str, int, int], None] | None = None) -> None:
    """Compile the kernels of ``families`` (default: all) on ``landscapes``; ``progress(title, done, total)``."""
    names = list(families or FAMILIES)
    jobs = [(family, landscape, np.dtype(dtype)) for landscape in landscapes for family in names
            for dtype in record_dtypes]
    for done, (family, landscape, dtype) in enumerate(jobs):
        spec = next(s for s in OPTIMIZERS.values() if s.family == family)
        if progress is not None:
            progress(f"{spec.title} on {landscape} ({dtype.name})", done, len(jobs))
        positions = np.zeros((256, 2))
        group = ParticleGroup(spec, spec.resolve({}), resolve_schedule(None), positions)
        simulation = Simulation(builtin_surface(landscape), [group], record_dtype=dtype, max_frames=4)
        simulation.start()
        for name in ("advance_serial", "advance_parallel"):
            simulation.groups[0].kernel.ensure(name, simulation.kernel_arguments(0, 1, record_last=False))
    if progress is not None:
        progress("", len(jobs), len(jobs))

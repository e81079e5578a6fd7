"""Specialized particle kernels, generated from one template and compiled on first use.

A kernel advances every particle of one group by n optimizer steps. There is one
per (optimizer family, gradient source, hyperparameter layout), generated from
:mod:`optviz.core.kernels.template` by :mod:`optviz.core.kernels.generate`: the
whole step (loss, gradient, divergence check, optional record, update, commit)
is one fused loop over a tile of TILE particles, tiles run in parallel
(``prange``), and the time loop runs inside each tile so its state stays in
cache. Each generated module is a file in the generated-code cache, so Numba's
disk cache keeps its machine code across processes; compiling (or loading) is
serialized across processes by a lock (see optviz.core.codecache). New
hyperparameter values, particle counts or schedules never recompile: they are
arguments.

Layout (structure of arrays): positions θ float64 (2, N), optimizer state float64
(S, 2, N), hyperparameter columns float64 (K,) for a uniform group or (K + 1, N)
per particle (the last row is the learning rate, scaled per step by the schedule).
Frames: see :func:`optviz.core.kernels.support.frame_is_due`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from optviz.core import codecache
from optviz.core.jit import numba
from optviz.core.kernels.generate import PER_PARTICLE, UNIFORM, GradientSource, kernel_source, points_source
from optviz.core.kernels.support import (
    DIVERGENCE_LIMIT,
    NOISE_KINDS,
    due_steps,
    frame_is_due,
    gradient_config,
)
from optviz.core.landscapes.evaluate import POINT_CALLS

__all__ = [
    "DIVERGENCE_LIMIT",
    "NOISE_KINDS",
    "PER_PARTICLE",
    "UNIFORM",
    "GeneratedModule",
    "GradientSource",
    "Kernel",
    "due_steps",
    "frame_is_due",
    "gradient_config",
    "gradient_source",
    "kernel_for",
    "points_evaluator",
]


def builtin_source(name: str, title: str = "", noise: str = "none") -> GradientSource:
    """The gradient source of built-in landscape ``name`` (see landscapes.evaluate.POINT_CALLS)."""
    function, args = POINT_CALLS[name]
    return GradientSource("point", title or name, "optviz.core.landscapes.functions", function, args, noise)


def gradient_source(surface, noise: str = "none") -> GradientSource:
    """The gradient source of a Surface (built-in, typed expression or data-backed), with a noise kind."""
    if surface.kind == "data":
        return GradientSource("data", surface.title, model_id=int(surface.id))
    if surface.kind == "expression":
        module = surface.tile_function.__module__
        args = tuple(f"params[{k}]" for k in range(len(surface.params)))
        return GradientSource("point", surface.title, module, "point", args, noise)
    return builtin_source(surface.name, surface.title, noise)


@dataclass
class GeneratedModule:
    """A module generated for one (family, gradient source, layout), its functions compiled on demand.

    :meth:`ensure` compiles a function for the types of its arguments once per process (or loads
    it from Numba's disk cache), under the cross-process compile lock of optviz.core.codecache.
    """

    family: str
    source: GradientSource
    layout: str
    module: ModuleType = field(repr=False)
    _ready: set = field(default_factory=set, repr=False)

    def is_ready(self, name: str, args: tuple) -> bool:
        """Whether function ``name`` is compiled (or loaded) in this process for the types of ``args``."""
        return (name, tuple(numba.typeof(a) for a in args)) in self._ready

    def ensure(self, name: str, args: tuple) -> None:
        """Compile (or load from the disk cache) function ``name`` for the types of ``args``."""
        signature = tuple(numba.typeof(a) for a in args)
        if (name, signature) in self._ready:
            return
        dispatcher = getattr(self.module, name)
        if not numba.config.DISABLE_JIT:  # NUMBA_DISABLE_JIT=1 (coverage runs): plain Python functions
            with codecache.compile_lock(self.module):
                dispatcher.compile(signature)
        self._ready.add((name, signature))


@dataclass
class Kernel(GeneratedModule):
    """The compiled functions of one generated kernel module."""

    def run(self, name: str, args: tuple) -> None:
        """Run function ``name`` (advance_serial or advance_parallel) on ``args``, compiled first if needed."""
        self.ensure(name, args)
        getattr(self.module, name)(*args)

    def coefficient_table(self, t0: int, lrs: np.ndarray, carry: float, columns: np.ndarray):
        """(steps, C) coefficients of steps t0 + 1 ... for a uniform group, and the carry after them."""
        args = (t0, lrs, carry, columns)
        self.ensure("coefficient_table", args)
        return self.module.coefficient_table(*args)


_kernels: dict[tuple, Kernel] = {}
_lock = threading.Lock()


def kernel_for(family: str, source: GradientSource, layout: str = UNIFORM) -> Kernel:
    """The kernel of this combination (its module generated and imported once per process)."""
    key = (family, source, layout)
    with _lock:
        kernel = _kernels.get(key)
        if kernel is None:
            module = codecache.load_module(kernel_source(family, source, layout), prefix="_optviz_kernel_")
            kernel = _kernels[key] = Kernel(family, source, layout, module)
        return kernel


_evaluators: dict[str, object] = {}


def points_evaluator(name: str):
    """``evaluate_points(params, xs, ys, loss, grad_x, grad_y)`` of built-in landscape ``name``, compiled once."""
    with _lock:
        evaluate = _evaluators.get(name)
    if evaluate is None:
        module = codecache.load_module(points_source(builtin_source(name)), prefix="_optviz_points_")
        if not numba.config.DISABLE_JIT:
            with codecache.compile_lock(module):
                module.evaluate_points.compile("(float64[::1], float64[::1], float64[::1], float64[::1], "
                                               "float64[::1], float64[::1])")
        with _lock:
            evaluate = _evaluators.setdefault(name, module.evaluate_points)
    return evaluate

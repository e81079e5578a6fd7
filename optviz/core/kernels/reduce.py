"""Reduction kernels for maps: the particle kernel's fused step, no frames, per-particle results.

Generated from the same pieces as the recording kernels (:func:`optviz.core.kernels.generate.
kernel_parts`: the family's rule, the gradient source, the hyperparameter layout), so a map
cell runs exactly the arithmetic of an ordinary run. Instead of writing frames, each particle
keeps three running results in its tile:

- ``diverged_at``: as in every kernel, the step at which its loss or position left the finite
  range (the particle is then frozen; -1 while alive);
- ``settled_at``: the first step from which the particle has stayed *within tolerance* at every
  step up to the current one (-1 when it is not within tolerance now). With known minima
  (rows ``x, y, value`` of ``minima``) a particle at θ_t is within tolerance when
  ``|f(θ_t) - value_k| < tolerance`` for the known minimum k nearest to θ_t (Euclidean; ties to
  the lower index); without known minima (``minima`` with no rows) when
  ``|∇f(θ_t)|² < tolerance²``, i.e. near a stationary point. A diverged particle never is.
- ``final_loss``: f at the particle's position after the last step (+inf once diverged).

Steps are counted as the engine counts them: step t's check looks at θ_t, the position after t
updates, so a call from t0 over n steps checks t0 ... t0 + n (t0 itself too), and a particle
that starts within tolerance and stays has ``settled_at = t0``.

Two targets share the body of the time loop: "cpu" (tiles of TILE particles in a local array,
serial over tiles; a map runs chunks of them on threads) and "cuda" (one particle per GPU
thread, its running values in a local (ROWS, 1) array; point-function landscapes only).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from string import Template
from types import ModuleType

import numpy as np

from optviz.core import codecache
from optviz.core.kernels import GeneratedModule
from optviz.core.kernels import template as tpl
from optviz.core.kernels.generate import UNIFORM, GradientSource, _join, _lines, kernel_parts, time_loop_slots

#: Rows of a reduction tile besides θ, the state and SINCE: the loss, position and squared
#: gradient norm at θ_t, and the tolerance check's running values.
REDUCE_ROWS = ("LOSS", "AT_X", "AT_Y", "GRAD2", "NEAREST", "GAP", "SETTLED")

#: After the loss check of step t: what the tolerance check needs about θ_t.
STEP_OBSERVE = '''w[LOSS, j] = f if ok else INF
w[AT_X, j] = x
w[AT_Y, j] = y
w[GRAD2, j] = gx * gx + gy * gy if ok else INF'''

#: The body of a reduction over particles [start, start + count) held in the local (ROWS, TILE) array ``w``.
BODY = Template('''$load_tile
    for j in range(count):
        w[SINCE, j] = diverged_at[start + j] if not alive[start + j] else -1.0
        w[SETTLED, j] = settled_at[start + j]
$bind_columns
$prepare_source
    due = True
    n_minima = minima.shape[0]
    tolerance2 = tolerance * tolerance
    for s in range(n_steps + 1):
        t = t0 + s
        now = float(t)
        row = min(s, n_steps - 1) if n_steps > 0 else 0
$step_scalars
$source_step
        if s == n_steps:
            for j in range(TILE):
$final
        else:
            for j in range(TILE):
$step
        if n_minima == 0:
            for j in range(TILE):
                w[GAP, j] = w[GRAD2, j] - tolerance2
        else:
            mx = minima[0, 0]
            my = minima[0, 1]
            mv = minima[0, 2]
            for j in range(TILE):
                dx = w[AT_X, j] - mx
                dy = w[AT_Y, j] - my
                w[NEAREST, j] = dx * dx + dy * dy
                w[GAP, j] = abs(w[LOSS, j] - mv) - tolerance
            for k in range(1, n_minima):
                mx = minima[k, 0]
                my = minima[k, 1]
                mv = minima[k, 2]
                for j in range(TILE):
                    dx = w[AT_X, j] - mx
                    dy = w[AT_Y, j] - my
                    d = dx * dx + dy * dy
                    closer = d < w[NEAREST, j]
                    w[GAP, j] = abs(w[LOSS, j] - mv) - tolerance if closer else w[GAP, j]
                    w[NEAREST, j] = d if closer else w[NEAREST, j]
        for j in range(TILE):
            settled = w[SETTLED, j]
            w[SETTLED, j] = (settled if settled >= 0.0 else now) if w[GAP, j] < 0.0 else -1.0
$store_tile
    for j in range(count):
        alive[start + j] = w[SINCE, j] < 0.0
        diverged_at[start + j] = int(w[SINCE, j])
        settled_at[start + j] = int(w[SETTLED, j])
        final_loss[start + j] = w[LOSS, j]
''')

#: The start of every reduction module (template.HEADER); its Numba imports depend on the target.
HEADER = Template(tpl.HEADER).safe_substitute(generator="optviz.core.kernels.reduce", support_extra="",
                                              constant="INF = math.inf", tile_function="reduce_tile")

#: A reduction module for the CPU: tiles of TILE particles, serial over tiles (chunks run on threads).
MODULE = Template(HEADER + '''

@njit(**KERNEL_OPTIONS)
def reduce_tile(columns, coefs, lr_schedule, t0, n_steps, params, data, gradient, seed, theta, state, carry,
                alive, diverged_at, minima, tolerance, settled_at, final_loss, start, count):
    """Advance particles [start, start + count) by n_steps fused steps, keeping only running results.

    Lanes past ``count`` (the last tile) compute on zeros and are never written back.
    """
    w = np.zeros((ROWS, TILE))
$body

@njit(**KERNEL_OPTIONS)
def reduce_serial(columns, coefs, lr_schedule, t0, n_steps, params, data, gradient, seed, theta, state, carry,
                  alive, diverged_at, minima, tolerance, settled_at, final_loss):
    """reduce_tile over all tiles on the calling thread (it releases the GIL: chunks run on threads)."""
    n = theta.shape[1]
    for tile in range((n + TILE - 1) // TILE):
        start = tile * TILE
        reduce_tile(columns, coefs, lr_schedule, t0, n_steps, params, data, gradient, seed, theta, state, carry,
                    alive, diverged_at, minima, tolerance, settled_at, final_loss, start, min(TILE, n - start))
''')

#: A reduction module for a CUDA GPU: one thread per particle, its running values in a local (ROWS, 1) array.
CUDA_MODULE = Template(HEADER + '''
#: One particle per thread.
TILE = 1


@cuda.jit
def reduce_cuda(columns, coefs, lr_schedule, t0, n_steps, params, data, gradient, seed, theta, state, carry,
                alive, diverged_at, minima, tolerance, settled_at, final_loss):
    """Advance particle cuda.grid(1) by n_steps steps, keeping only running results."""
    start = cuda.grid(1)
    if start >= theta.shape[1]:
        return
    count = 1
    w = cuda.local.array((ROWS, TILE), float64)
    for r in range(ROWS):
        w[r, 0] = 0.0
$body''')


#: Where a reduction runs: the module template, its Numba imports and a word for its title.
TARGETS = {
    "cpu": (MODULE, "from optviz.core.jit import KERNEL_OPTIONS, TILE, njit", ""),
    "cuda": (CUDA_MODULE, "import optviz.core.jit  # Numba's settings, before Numba loads\n"
                          "from numba import cuda, float64", ", CUDA"),
}


def reduction_source(family_name: str, source: GradientSource, layout: str, target: str = "cpu") -> str:
    """The Python source of the reduction module for this combination (noise-free sources only).

    ``target`` "cpu" (tiles of TILE particles, the fused loops vectorize) or "cuda" (one particle
    per GPU thread; point sources only: a data-backed batch is computed per tile on the CPU).
    """
    if source.noise != "none":
        raise ValueError("map reductions run noise-free gradients")
    if target == "cuda" and source.kind != "point":
        raise ValueError("CUDA map reductions run landscapes given by a point function, not data-backed models")
    module, imports, where = TARGETS[target]
    parts = kernel_parts(family_name, source, layout, REDUCE_ROWS)
    gradient, update = parts["gradient"], parts["update"]
    step = _join(gradient, tpl.STEP_CHECK, STEP_OBSERVE, update)
    final = _join(gradient, tpl.STEP_CHECK, STEP_OBSERVE, tpl.STEP_NO_UPDATE)
    body = BODY.substitute(**time_loop_slots(parts), step=_lines(step, 16), final=_lines(final, 16))
    return module.substitute(
        title=f"{parts['title']} (map reduction{where})",
        numba_imports=imports,
        family=family_name,
        source_imports=parts["source_imports"],
        rows=parts["rows"],
        body=body,
    )


@dataclass
class Reducer(GeneratedModule):
    """The compiled functions of one generated reduction module."""

    def run(self, args: tuple) -> None:
        """reduce_serial(*args), compiled first if needed (releases the GIL while it runs)."""
        self.ensure("reduce_serial", args)
        self.module.reduce_serial(*args)


#: Arguments of a reduction that it writes: θ, state, carry, alive, diverged_at, settled_at, final_loss.
OUTPUTS = (9, 10, 11, 12, 13, 16, 17)

#: Threads per block of the CUDA reduction.
CUDA_THREADS = 128


@dataclass
class CudaReducer:
    """The CUDA kernel of one generated reduction module (compiled by Numba at its first launch)."""

    family: str
    source: GradientSource
    layout: str
    module: ModuleType = field(repr=False)

    def run(self, args: tuple) -> None:
        """reduce_cuda over all particles: the arrays copied to the GPU, the outputs back into ``args``."""
        from numba import cuda

        on_device = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
        n = args[9].shape[1]
        self.module.reduce_cuda[(n + CUDA_THREADS - 1) // CUDA_THREADS, CUDA_THREADS](*on_device)
        for index in OUTPUTS:
            on_device[index].copy_to_host(args[index])


_reducers: dict[tuple, Reducer | CudaReducer] = {}
_lock = threading.Lock()


def reducer_for(family: str, source: GradientSource, layout: str = UNIFORM, target: str = "cpu"):
    """The reduction kernel of this combination on ``target`` ("cpu": a :class:`Reducer`, "cuda": a
    :class:`CudaReducer`), its module generated and imported once per process."""
    key = (family, source, layout, target)
    with _lock:
        reducer = _reducers.get(key)
        if reducer is None:
            module = codecache.load_module(reduction_source(family, source, layout, target),
                                           prefix=f"_optviz_reduce_{target}_")
            kind = Reducer if target == "cpu" else CudaReducer
            reducer = _reducers[key] = kind(family, source, layout, module)
        return reducer

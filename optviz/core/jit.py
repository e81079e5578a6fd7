"""The one place that sets how optviz's Numba kernels are compiled.

Import Numba through this module: it selects the OpenMP threading layer first
(Numba's default `workqueue` layer aborts when parallel kernels run from two
threads; PLATFORM.md, trap 5).
"""

import os

os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")

import numba  # noqa: E402

#: Options of every compiled kernel. No fastmath: divergence to inf/NaN must stay
#: detectable, and the optimizers must reproduce torch.optim to float64 rounding.
KERNEL_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")

#: Options of the small scalar functions that kernels inline.
INLINE_OPTIONS = dict(nogil=True, cache=True, error_model="numpy", inline="always")

#: Particles advanced in lockstep by the innermost (vectorized) loop of a kernel.
TILE = 64

njit = numba.njit
prange = numba.prange

"""The one place that sets how optviz's Numba kernels are compiled.

Import Numba through this module. Before Numba loads it selects the OpenMP
threading layer (Numba's default `workqueue` layer aborts when parallel kernels
run from two threads; PLATFORM.md, trap 5) and a kernel cache folder named by a
hash of optviz's core sources: Numba's own cache only notices changes to the
file of the cached function, not to the functions it inlines from other files,
so a changed landscape or update rule would otherwise run stale machine code.
"""

import hashlib
import os
from pathlib import Path


def kernel_cache_dir() -> Path:
    """~/.cache/optviz/numba/<hash of every source file under optviz/core>."""
    core = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(core.rglob("*.py")):
        digest.update(path.relative_to(core).as_posix().encode())
        digest.update(path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "optviz" / "numba" / digest.hexdigest()[:16]


os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
os.environ.setdefault("NUMBA_CACHE_DIR", str(kernel_cache_dir()))

import numba  # noqa: E402

#: Options of every compiled kernel. No fastmath: divergence to inf/NaN must stay
#: detectable, and the optimizers must reproduce torch.optim to float64 rounding.
KERNEL_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")

#: Options of the small scalar functions that kernels inline.
INLINE_OPTIONS = dict(nogil=True, cache=True, error_model="numpy", inline="always")

#: Options of the functions a generated kernel calls (optimizer rules, landscapes): compiled once
#: on their own and inlined by LLVM, which measured about twice as fast to compile as Numba-level
#: inlining into each of a kernel's loop copies, and no slower to run.
CALLEE_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")

#: Particles advanced in lockstep by the innermost (vectorized) loop of a kernel.
TILE = 64

njit = numba.njit
prange = numba.prange

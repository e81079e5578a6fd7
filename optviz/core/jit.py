"""The one place that sets how optviz's Numba kernels are compiled.

Import Numba through this module. Before Numba loads it selects the OpenMP
threading layer (Numba's default `workqueue` layer aborts when parallel kernels
run from two threads; PLATFORM.md, trap 5) and a kernel cache folder named by a
hash of optviz's core sources: Numba's own cache only notices changes to the
file of the cached function, not to the functions it inlines from other files,
so a changed landscape or update rule would otherwise run stale machine code.
It also makes Numba's cache safe to share between processes (see ``_locked``).
"""

import hashlib
import os
from pathlib import Path

from optviz.core.codecache import cache_root


def kernel_cache_dir() -> Path:
    """<optviz cache>/numba/<hash of every source file under optviz/core> (see optviz.core.codecache)."""
    core = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(core.rglob("*.py")):
        digest.update(path.relative_to(core).as_posix().encode())
        digest.update(path.read_bytes())
    return cache_root() / "numba" / digest.hexdigest()[:16]


os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
os.environ.setdefault("NUMBA_CACHE_DIR", str(kernel_cache_dir()))

import numba  # noqa: E402
from numba.core import caching as _numba_caching  # noqa: E402


def _locked(method, mode):
    """Wrap an IndexDataCacheFile method so that it holds an flock on the cache entry's lock file.

    Numba saves a cache entry as an index (signature -> data file number) and a data file,
    choosing the number from the index it read. Two processes saving different signatures
    of one function at once could both pick number 1 and leave an index that pairs one
    signature with the other's machine code: loading it aborts inside LLVM or crashes.
    Saving under an exclusive lock and loading under a shared one rules that out.
    """
    import fcntl
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            handle = open(self._index_path + ".lock", "a+b")  # noqa: SIM115 - closed below
        except OSError:
            return method(self, *args, **kwargs)
        with handle:
            fcntl.flock(handle, mode)
            return method(self, *args, **kwargs)

    return wrapper


if not getattr(_numba_caching.IndexDataCacheFile, "_optviz_locked", False):
    import fcntl as _fcntl

    _numba_caching.IndexDataCacheFile.save = _locked(_numba_caching.IndexDataCacheFile.save, _fcntl.LOCK_EX)
    _numba_caching.IndexDataCacheFile.load = _locked(_numba_caching.IndexDataCacheFile.load, _fcntl.LOCK_SH)
    _numba_caching.IndexDataCacheFile._optviz_locked = True

#: Options of every compiled kernel. No fastmath: divergence to inf/NaN must stay
#: detectable, and the optimizers must reproduce torch.optim to float64 rounding.
KERNEL_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")

#: Options of the small scalar functions that kernels inline.
INLINE_OPTIONS = dict(nogil=True, cache=True, error_model="numpy", inline="always")

#: Options of the optimizer rules and coefficients that generated kernels call: compiled once on
#: their own and inlined by LLVM, which measured about twice as fast to compile as Numba-level
#: inlining into each of a kernel's loop copies, and no slower to run. (Landscapes stay Numba-
#: inlined: LLVM would not inline the larger ones, and a call in the loop stops vectorization.)
CALLEE_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")

#: Particles advanced in lockstep by the innermost (vectorized) loop of a kernel.
TILE = 64

njit = numba.njit
prange = numba.prange

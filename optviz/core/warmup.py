"""Compile (or load from Numba's cache) every kernel specialization optviz uses.

The first launch compiles for a while; later launches load the cache in well
under a second. The app calls this in the background at start-up and shows that
it is happening; ``optviz run`` simply pays it on first use.
"""

from __future__ import annotations

import numpy as np

from optviz.core import kernel
from optviz.core.landscapes import evaluate_grid


def warm_kernels(exact: bool = False) -> None:
    """Call each kernel once on tiny inputs: float32 recording, and float64 too with ``exact``.

    Each recording dtype is a compilation of its own (about half of a cold start);
    float64 recording (``[run] record_dtype = "float64"``) compiles on first use.
    """
    theta = np.zeros((2, 1))
    for dtype in (np.float32, np.float64) if exact else (np.float32,):
        for advance in (kernel.advance_serial, kernel.advance_parallel):
            rec = [np.zeros((2, 1, 2), dtype), np.zeros((2, 1), dtype)] + [np.zeros((2, 1, 2), dtype)] * 3
            advance(0, np.zeros(8), np.zeros((1, 8)), 0, 1, 0, np.array([1.0, 100.0, 0.0, 0.0]),
                    np.zeros((0, 2)), kernel.gradient_config(0), 0, theta.copy(), np.zeros((3, 2, 1)),
                    np.ones(1, np.bool_), np.full(1, -1, np.int64), 1, False, 0, *rec)
    evaluate_grid(0, np.array([1.0, 100.0, 0.0, 0.0]), np.linspace(-1, 1, 2), np.linspace(-1, 1, 2))

"""Render-layer kernels: contour lines, and the density image of very large clouds.

* :func:`contour_lines` — every contour line of every level of a sampled
  landscape as one NaN-separated polyline (``connect="finite"``), so all contour
  lines are drawn by one curve item; contourpy (matplotlib's contouring) does the
  work, about 3 ms for 14 levels on the 240x240 grid the landscape layer samples.
* :func:`density_rgba` — colours the per-group particle counts that
  :func:`~optviz.core.statistics.splat_density_frame` and
  :func:`~optviz.core.statistics.splat_density_live` splat (serial and ``nogil``:
  PLATFORM.md measured about 16 ms per frame at 1e6 particles including the
  background).

Each has a slow NumPy reference in tests/test_render_kernels.py.
"""

from __future__ import annotations

import contourpy
import numpy as np

from optviz.core.jit import KERNEL_OPTIONS, njit
from optviz.core.statistics import splat_density_frame, splat_density_live

__all__ = ["contour_lines", "density_rgba", "splat_density_frame", "splat_density_live", "warm_render_kernels"]


def contour_lines(z, xs, ys, levels) -> np.ndarray:
    """Contour lines of ``z`` (shape ``(len(ys), len(xs))``) at ``levels``.

    Returns an ``(M, 2)`` float64 array of (x, y) points in the coordinates of ``xs``/``ys``:
    polylines one after another, each followed by a row of NaN (draw it with
    ``connect="finite"``); ``(0, 2)`` when no level crosses ``z``. A cell with a non-finite
    corner draws no line.
    """
    z = np.asarray(z, dtype=np.float64)
    levels = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    if levels.size == 0 or z.shape[0] < 2 or z.shape[1] < 2:
        return np.empty((0, 2))
    generator = contourpy.contour_generator(
        np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64), z,
        name="serial", line_type=contourpy.LineType.ChunkCombinedNan, corner_mask=False,
    )
    parts = []
    for (chunk,) in generator.multi_lines(levels):
        if chunk[0] is not None:
            parts.append(chunk[0])
            parts.append(np.full((1, 2), np.nan))
    return np.concatenate(parts) if parts else np.empty((0, 2))


@njit(**KERNEL_OPTIONS)
def _density_rgba(counts, colors, out):
    ng, h, w = counts.shape
    cmax = 0.0
    for i in range(h):
        for j in range(w):
            t = 0.0
            for g in range(ng):
                t += counts[g, i, j]
            if t > cmax:
                cmax = t
    if cmax <= 0.0:
        return
    inv = 1.0 / np.log1p(cmax)
    for i in range(h):
        for j in range(w):
            t = 0.0
            r = 0.0
            gg = 0.0
            b = 0.0
            m = 0.0
            for g in range(ng):
                c = counts[g, i, j]
                if c > 0.0:
                    t += c
                    r += c * colors[g, 0]
                    gg += c * colors[g, 1]
                    b += c * colors[g, 2]
                    v = np.log1p(c) * inv
                    if v > m:
                        m = v
            if t > 0.0:
                out[i, j, 0] = np.uint8(min(max(r / t, 0.0), 255.0))
                out[i, j, 1] = np.uint8(min(max(gg / t, 0.0), 255.0))
                out[i, j, 2] = np.uint8(min(max(b / t, 0.0), 255.0))
                a = 0.25 + 0.75 * m
                a = min(max(a, 0.0), 1.0)
                out[i, j, 3] = np.uint8(a * 255.0)


def density_rgba(counts, colors) -> np.ndarray:
    """RGBA uint8 (h, w, 4) image of per-group counts (G, h, w): colours mixed by count,
    opacity ``0.25 + 0.75 * log1p(count) / log1p(max total)`` (0 where empty)."""
    counts = np.ascontiguousarray(counts, dtype=np.float32)
    out = np.zeros(counts.shape[1:] + (4,), dtype=np.uint8)
    _density_rgba(counts, np.ascontiguousarray(colors, dtype=np.float64).reshape(-1, 3), out)
    return out


def warm_render_kernels() -> None:
    """Compile (or load from the cache) the per-frame kernels with the argument types the
    window uses, so the first density frame does not stall the GUI (call it from a worker
    thread: the kernels are ``nogil``). The frame and the live splat share one kernel."""
    group = np.zeros(2, dtype=np.int64)
    never = np.full(2, 10, dtype=np.int64)
    for dtype in (np.float32, np.float64):
        counts = splat_density_frame(np.zeros((2, 2), dtype=dtype), group, np.ones(1, bool), never, 0,
                                     (-1.0, 1.0), (-1.0, 1.0), (8, 8))
    density_rgba(counts, np.zeros((1, 3)))

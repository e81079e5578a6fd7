"""Small serial Numba kernels of the render layer.

* :func:`contour_segments` — marching squares over a sampled landscape: every
  contour line of every level as independent segments (``connect="pairs"``),
  so all contour lines are drawn by one curve item. About 10 ms for 14 levels
  on a 400x400 grid.
* :func:`splat_density` — counts particles per pixel and per group for the
  density image drawn instead of points for very large clouds (serial and
  ``nogil``: PLATFORM.md measured it at about 16 ms per frame at 1e6 particles
  including the background).

Each kernel has a slow NumPy reference in tests/test_render_kernels.py.
"""

from __future__ import annotations

import numpy as np

from optviz.core.jit import njit
from optviz.core.statistics import splat_density_live

__all__ = ["contour_segments", "splat_density", "splat_density_frame", "splat_density_live", "density_rgba"]

_OPTS = dict(nogil=True, cache=True, error_model="numpy")

# Edge pairs per marching-squares case (corners a=(i,j), b=(i,j+1), c=(i+1,j+1),
# d=(i+1,j); edges 0=ab, 1=bc, 2=cd, 3=da). Saddle cases 5 and 10 are resolved by
# the cell centre in the kernel.
_TABLE = np.array(
    [
        [-1, -1, -1, -1],
        [3, 0, -1, -1],
        [0, 1, -1, -1],
        [3, 1, -1, -1],
        [1, 2, -1, -1],
        [0, 1, 2, 3],  # saddle (a, c above); centre above
        [0, 2, -1, -1],
        [3, 2, -1, -1],
        [2, 3, -1, -1],
        [0, 2, -1, -1],
        [3, 0, 1, 2],  # saddle (b, d above); centre above
        [1, 2, -1, -1],
        [1, 3, -1, -1],
        [0, 1, -1, -1],
        [3, 0, -1, -1],
        [-1, -1, -1, -1],
    ],
    dtype=np.int64,
)


@njit(**_OPTS)
def _edge_point(e, L, i, j, a, b, c, d, xs, ys):
    if e == 0:
        t = (L - a) / (b - a)
        return xs[j] + t * (xs[j + 1] - xs[j]), ys[i]
    elif e == 1:
        t = (L - b) / (c - b)
        return xs[j + 1], ys[i] + t * (ys[i + 1] - ys[i])
    elif e == 2:
        t = (L - d) / (c - d)
        return xs[j] + t * (xs[j + 1] - xs[j]), ys[i + 1]
    else:
        t = (L - a) / (d - a)
        return xs[j], ys[i] + t * (ys[i + 1] - ys[i])


@njit(**_OPTS)
def _contour_pass(z, xs, ys, levels, table, out, fill):
    ny, nx = z.shape
    n = 0
    for li in range(levels.shape[0]):
        L = levels[li]
        for i in range(ny - 1):
            for j in range(nx - 1):
                a = z[i, j]
                b = z[i, j + 1]
                c = z[i + 1, j + 1]
                d = z[i + 1, j]
                if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(c) and np.isfinite(d)):
                    continue
                case = (a > L) | ((b > L) << 1) | ((c > L) << 2) | ((d > L) << 3)
                if case == 0 or case == 15:
                    continue
                e0 = table[case, 0]
                e1 = table[case, 1]
                e2 = table[case, 2]
                e3 = table[case, 3]
                if case == 5 or case == 10:
                    centre = 0.25 * (a + b + c + d)
                    if centre <= L:  # the other diagonal pairing
                        if case == 5:
                            e0, e1, e2, e3 = 3, 0, 1, 2
                        else:
                            e0, e1, e2, e3 = 0, 1, 2, 3
                if fill:
                    x0, y0 = _edge_point(e0, L, i, j, a, b, c, d, xs, ys)
                    x1, y1 = _edge_point(e1, L, i, j, a, b, c, d, xs, ys)
                    out[2 * n, 0] = x0
                    out[2 * n, 1] = y0
                    out[2 * n + 1, 0] = x1
                    out[2 * n + 1, 1] = y1
                n += 1
                if e2 >= 0:
                    if fill:
                        x0, y0 = _edge_point(e2, L, i, j, a, b, c, d, xs, ys)
                        x1, y1 = _edge_point(e3, L, i, j, a, b, c, d, xs, ys)
                        out[2 * n, 0] = x0
                        out[2 * n, 1] = y0
                        out[2 * n + 1, 0] = x1
                        out[2 * n + 1, 1] = y1
                    n += 1
    return n


def contour_segments(z, xs, ys, levels) -> np.ndarray:
    """Contour lines of ``z`` (shape ``(len(ys), len(xs))``) at ``levels``.

    Returns a ``(2*M, 2)`` float64 array: segment ``k`` runs from row ``2k`` to
    row ``2k+1``, in the coordinates of ``xs``/``ys``. Cells with a non-finite
    corner are skipped.
    """
    z = np.ascontiguousarray(z, dtype=np.float64)
    xs = np.ascontiguousarray(xs, dtype=np.float64)
    ys = np.ascontiguousarray(ys, dtype=np.float64)
    levels = np.ascontiguousarray(np.atleast_1d(levels), dtype=np.float64)
    dummy = np.empty((0, 2))
    n = _contour_pass(z, xs, ys, levels, _TABLE, dummy, False)
    out = np.empty((2 * n, 2))
    _contour_pass(z, xs, ys, levels, _TABLE, out, True)
    return out


@njit(**_OPTS)
def _splat(px, py, group, visible, x0, y0, sx, sy, out):
    ng, h, w = out.shape
    for k in range(px.shape[0]):
        g = group[k]
        if not visible[k]:
            continue
        fx = (px[k] - x0) * sx
        fy = (py[k] - y0) * sy
        if not (fx >= 0.0 and fx < w and fy >= 0.0 and fy < h):  # also drops NaN
            continue
        out[g, int(fy), int(fx)] += 1.0


def splat_density(positions, group, visible, n_groups, xrange, yrange, shape) -> np.ndarray:
    """Particle counts per group and pixel: float32 ``(n_groups, h, w)``.

    ``positions`` (N, 2), ``group`` (N,) int, ``visible`` (N,) bool (drawn
    particles), ``shape`` = (h, w); row 0 is ``yrange[0]``.
    """
    h, w = shape
    out = np.zeros((n_groups, h, w), dtype=np.float32)
    pos = np.asarray(positions)
    sx = w / (xrange[1] - xrange[0])
    sy = h / (yrange[1] - yrange[0])
    _splat(
        np.ascontiguousarray(pos[:, 0]),
        np.ascontiguousarray(pos[:, 1]),
        np.ascontiguousarray(group, dtype=np.int64),
        np.ascontiguousarray(visible, dtype=np.bool_),
        float(xrange[0]),
        float(yrange[0]),
        float(sx),
        float(sy),
        out,
    )
    return out


@njit(**_OPTS)
def _splat_frame(pos, group, group_visible, div_frame, frame, x0, y0, sx, sy, out):
    ng, h, w = out.shape
    for k in range(pos.shape[0]):
        if div_frame[k] <= frame:
            continue
        g = group[k]
        if not group_visible[g]:
            continue
        fx = (pos[k, 0] - x0) * sx
        fy = (pos[k, 1] - y0) * sy
        if not (fx >= 0.0 and fx < w and fy >= 0.0 and fy < h):  # also drops NaN
            continue
        out[g, int(fy), int(fx)] += 1.0


def splat_density_frame(positions, group, group_visible, div_frame, frame, xrange, yrange, shape) -> np.ndarray:
    """Like :func:`splat_density` for one recorded frame, without per-particle temporaries:
    particle ``k`` counts when ``div_frame[k] > frame`` (not diverged yet) and
    ``group_visible[group[k]]``. ``positions`` (N, 2) float32/64 (no copy), ``group``
    (N,) int64, ``group_visible`` (n_groups,) bool, ``div_frame`` (N,) int64."""
    h, w = shape
    gv = np.ascontiguousarray(group_visible, dtype=np.bool_)
    out = np.zeros((len(gv), h, w), dtype=np.float32)
    sx = w / (xrange[1] - xrange[0])
    sy = h / (yrange[1] - yrange[0])
    _splat_frame(np.asarray(positions), np.ascontiguousarray(group, dtype=np.int64), gv,
                 np.ascontiguousarray(div_frame, dtype=np.int64), int(frame),
                 float(xrange[0]), float(yrange[0]), float(sx), float(sy), out)
    return out


@njit(**_OPTS)
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
    thread: the kernels are ``nogil``)."""
    group = np.zeros(2, dtype=np.int64)
    div = np.full(2, 10, dtype=np.int64)
    for dt in (np.float32, np.float64):
        counts = splat_density_frame(np.zeros((2, 2), dtype=dt), group, np.ones(1, bool), div, 0,
                                     (-1.0, 1.0), (-1.0, 1.0), (8, 8))
        splat_density_live(np.zeros((2, 2), dtype=dt), group, np.ones(1, bool), div, (-1.0, 1.0), (-1.0, 1.0),
                           (8, 8))
    density_rgba(counts, np.zeros((1, 3)))

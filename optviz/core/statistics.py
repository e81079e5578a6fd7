"""Statistics of particle clouds for viewers: per-group quantiles and density counts.

NumPy and Numba only, so that both the models (the app's worker thread) and the
render layer can use them.
"""

from __future__ import annotations

import numpy as np

from optviz.core.jit import KERNEL_OPTIONS, njit


def group_quantiles(values: np.ndarray, group: np.ndarray, n_groups: int, qs=(0.1, 0.5, 0.9),
                    max_particles: int = 20_000):
    """Per group and frame quantiles over particles, ignoring NaN.

    Groups larger than ``max_particles`` use an evenly spaced sample of them.

    ``values`` (F, N) -> array (n_groups, len(qs), F); NaN where a group has no
    finite value in a frame. Vectorized (sort once per group).
    """
    F = values.shape[0]
    out = np.full((n_groups, len(qs), F), np.nan)
    for g in range(n_groups):
        idx = np.flatnonzero(group == g)
        if len(idx) > max_particles:  # an even, deterministic sample of a huge cloud
            idx = idx[np.linspace(0, len(idx) - 1, max_particles).round().astype(np.int64)]
        v = np.asarray(values[:, idx], dtype=np.float64)
        if v.shape[1] == 0:
            continue
        v = np.where(np.isfinite(v), v, np.nan)
        s = np.sort(v, axis=1)  # NaN last
        n = np.isfinite(s).sum(axis=1)
        rows = np.arange(F)
        for k, q in enumerate(qs):
            pos = q * np.maximum(n - 1, 0)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
            t = pos - lo
            val = s[rows, lo] * (1 - t) + s[rows, hi] * t
            val[n == 0] = np.nan
            out[g, k] = val
    return out


_INT64 = np.iinfo(np.int64)


@njit(**KERNEL_OPTIONS)
def _splat(pos, group, group_visible, mark, low, high, x0, y0, sx, sy, out):
    """out[g, floor((y - y0) sy), floor((x - x0) sx)] += 1 for each particle whose pixel is in
    ``out`` and whose group is visible, counting particle k only when ``low < mark[k] <= high``."""
    ng, h, w = out.shape
    for k in range(pos.shape[0]):
        if not (low < mark[k] <= high):
            continue
        g = group[k]
        if not group_visible[g]:
            continue
        fx = (pos[k, 0] - x0) * sx
        fy = (pos[k, 1] - y0) * sy
        if not (fx >= 0.0 and fx < w and fy >= 0.0 and fy < h):  # also drops NaN
            continue
        out[g, int(fy), int(fx)] += 1.0


def _density(positions, group, group_visible, mark, low, high, xrange, yrange, shape) -> np.ndarray:
    h, w = shape
    visible = np.ascontiguousarray(group_visible, dtype=np.bool_)
    out = np.zeros((len(visible), h, w), dtype=np.float32)
    _splat(np.ascontiguousarray(positions), np.ascontiguousarray(group, dtype=np.int64), visible,
           np.ascontiguousarray(mark, dtype=np.int64), int(low), int(high),
           float(xrange[0]), float(yrange[0]), float(w / (xrange[1] - xrange[0])),
           float(h / (yrange[1] - yrange[0])), out)
    return out


def splat_density_frame(positions, group, group_visible, diverged_frame, frame, xrange, yrange,
                        shape) -> np.ndarray:
    """Particle counts per group and pixel of one recorded frame: float32 ``(n_groups, h, w)``.

    Particle ``k`` counts when it has not diverged by then (``diverged_frame[k] > frame``), its
    group is visible (``group_visible[group[k]]``) and it lies in the view: pixel column
    ``floor((x - xrange[0]) * w / (xrange[1] - xrange[0]))``, row likewise from ``yrange``
    (row 0 is ``yrange[0]``), each half-open (``xrange[1]`` itself is outside); NaN never
    counts. ``positions`` (N, 2) float32 or float64, ``group`` (N,) int, ``group_visible``
    (n_groups,) bool, ``diverged_frame`` (N,) int; ``shape`` is (h, w). No per-particle
    temporaries: the window calls it for every frame of up to millions of particles.
    """
    return _density(positions, group, group_visible, diverged_frame, frame, _INT64.max, xrange, yrange, shape)


def splat_density_live(positions, group, group_visible, diverged_at, xrange, yrange, shape) -> np.ndarray:
    """:func:`splat_density_frame` for the newest state of a run, where particle ``k`` counts
    unless it has diverged (``diverged_at[k] >= 0``). The compute thread uses it to hand the
    window the density of each new frame ready-made."""
    return _density(positions, group, group_visible, diverged_at, _INT64.min, -1, xrange, yrange, shape)

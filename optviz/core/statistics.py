"""Statistics of particle clouds for viewers: per-group quantiles and density counts.

NumPy and Numba only, so that both the models (the app's worker thread) and the
render layer can use them.
"""

from __future__ import annotations

import numpy as np

from optviz.core.jit import njit

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


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


@njit(**_OPTS)
def _splat_live(pos, group, group_visible, diverged_at, x0, y0, sx, sy, out):
    ng, h, w = out.shape
    for k in range(pos.shape[0]):
        if diverged_at[k] >= 0:
            continue
        g = group[k]
        if not group_visible[g]:
            continue
        fx = (pos[k, 0] - x0) * sx
        fy = (pos[k, 1] - y0) * sy
        if not (fx >= 0.0 and fx < w and fy >= 0.0 and fy < h):  # also drops NaN
            continue
        out[g, int(fy), int(fx)] += 1.0


def splat_density_live(positions, group, group_visible, diverged_at, xrange, yrange, shape) -> np.ndarray:
    """:func:`splat_density_frame` for the newest state of a run: particle ``k`` counts
    unless ``diverged_at[k] >= 0`` (the compute thread uses it to hand the window the
    density of each new frame ready-made)."""
    h, w = shape
    gv = np.ascontiguousarray(group_visible, dtype=np.bool_)
    out = np.zeros((len(gv), h, w), dtype=np.float32)
    sx = w / (xrange[1] - xrange[0])
    sy = h / (yrange[1] - yrange[0])
    _splat_live(np.ascontiguousarray(positions), np.ascontiguousarray(group, dtype=np.int64), gv,
                np.ascontiguousarray(diverged_at, dtype=np.int64),
                float(xrange[0]), float(yrange[0]), float(sx), float(sy), out)
    return out

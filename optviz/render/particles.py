"""The particle layer: points (or a density image), trails and diverged markers.

:class:`ParticleLayer` draws one recorded frame of a run into a ``pg.PlotItem``
with a fixed set of items, updated in place (PLATFORM.md fast paths):

* **points** — one ``ScatterPlotItem`` for all particles of all groups; per
  frame only its x/y arrays are overwritten (hidden and diverged particles get
  NaN, which the item culls), about 4x faster than ``setData``;
* **density** — above ``density_threshold`` particles (or when forced) one
  RGBA ``ImageItem``: a serial Numba splat counts particles per pixel and
  group, colours are blended by group with log-scaled opacity (a second small
  kernel); nothing of size N is allocated per frame, and the point item is only
  filled when points are drawn (filling it for 1e6 particles took seconds);
* **trails** — one ``PlotCurveItem`` per group with a ``connect`` mask, drawn
  for an evenly spread sample of at most ``max_trails`` particles, ending at
  the frame shown (never after it); a long trail is drawn through at most
  ``max_trail_points`` frames (every 2^k-th frame, a grid that stays put as
  the trail grows, plus the newest), so its cost does not grow with the run;
  trails are thin and translucent and lie below the minima markers and all
  particles;
* **diverged** — particles whose loss became non-finite are drawn as an ``x``
  in their group's colour at their last finite position and counted
  (:attr:`diverged_count`, :attr:`diverged_per_group`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from optviz.render.kernels import density_rgba, splat_density_frame

__all__ = ["ParticleLayer", "trail_frames", "trail_slices", "visible_group_mask"]

#: Stacking (z values): trails below the landscape's minima markers (16), those below particles.
Z_TRAILS = 5.0
Z_DENSITY = 15.0
Z_POINTS = 20.0
Z_DIVERGED = 30.0


def visible_group_mask(visible_groups, n_groups: int) -> np.ndarray:
    """(n_groups,) bool: True for the groups in ``visible_groups`` (a set of group indices; None: all
    groups); indices outside 0..n_groups-1 are ignored."""
    mask = np.ones(n_groups, dtype=bool)
    if visible_groups is not None:
        mask[:] = False
        for g in visible_groups:
            if 0 <= g < n_groups:
                mask[g] = True
    return mask


def trail_slices(first: int, last: int, max_points: int) -> list[slice]:
    """Slices of frames a trail from ``first`` to ``last`` (inclusive) is drawn through, in
    order: all of them, or when more than ``max_points``, ``first``, every ``2**k``-th frame
    (the smallest k that fits; multiples of it, so the points stay put as ``last`` grows)
    and ``last``. Never a frame after ``last``."""
    n = last - first + 1
    if n <= max_points:
        return [slice(first, last + 1)]
    stride = 1 << int(np.ceil(np.log2(n / max(max_points - 2, 1))))
    start = -(-first // stride) * stride
    end = start + ((last - start) // stride) * stride  # the last multiple at or before ``last``
    out = [] if start == first else [slice(first, first + 1)]
    out.append(slice(start, end + 1, stride))
    if end != last:
        out.append(slice(last, last + 1))
    return out


def trail_frames(first: int, last: int, max_points: int) -> np.ndarray:
    """The frame indices of :func:`trail_slices`."""
    return np.concatenate([np.arange(s.start, s.stop, s.step or 1) for s in trail_slices(first, last, max_points)])


class _Scatter(pg.ScatterPlotItem):
    """ScatterPlotItem whose bounds are the view box (so NaN points are harmless)."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.fixed_bounds = ((0.0, 1.0), (0.0, 1.0))

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        return self.fixed_bounds[ax]


class ParticleLayer:
    density_threshold = 20_000
    max_trails = 600  # particles with a trail, spread over the groups
    max_trail_points = 500  # frames per trail drawn at most (long trails are thinned)
    density_pixels = 400

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.points = _Scatter(pxMode=True, antialias=True)
        self.points.setZValue(Z_POINTS)
        self.diverged = _Scatter(pxMode=True, antialias=True)
        self.diverged.setZValue(Z_DIVERGED)
        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.setZValue(Z_DENSITY)
        self.density.setVisible(False)
        for it in (self.density, self.points, self.diverged):
            plot.addItem(it, ignoreBounds=True)
        self.trails: list[pg.PlotCurveItem] = []
        self.mode = "auto"
        self.point_size = 6.0
        self.trail_length = 20
        self._pos = None
        self._reset_state()

    def _reset_state(self):
        self._pos = None  # (F, N, 2)
        self._group = np.zeros(0, dtype=np.int64)
        self._colors: list[tuple[int, int, int]] = []
        self._div_frame = np.zeros(0, dtype=np.int64)
        self._div_idx = np.zeros(0, dtype=np.int64)  # diverged particles, by the frame they diverge
        self._div_at = np.zeros(0, dtype=np.int64)
        self._points_n = -1  # particles the point item holds (-1: not filled for these groups)
        self._visible_groups = None
        self._selected_group = None
        self.order = None  # drawing order of the particles (None: by index)
        self._group_visible = np.ones(1, dtype=bool)
        self._steps = None  # optimizer step of each frame (to match a ready-made density)
        self._density_pre = None  # (request, step, counts) computed elsewhere (the compute thread)
        self._trail_idx: list[np.ndarray] = []
        self._div_key = None
        self._frame = 0
        self.diverged_count = 0
        self.diverged_per_group = np.zeros(0, dtype=np.int64)
        self._view = ((0.0, 1.0), (0.0, 1.0))

    # --- configuration -------------------------------------------------------
    def set_groups(self, group: np.ndarray, colors) -> None:
        """Particle -> group index (N,), and one RGB colour per group. Rebuilds items."""
        self._group = np.asarray(group, dtype=np.int64)
        self._colors = [tuple(c) for c in colors]
        n = len(self._group)
        ng = len(self._colors)
        self._visible = np.ones(n, dtype=bool)
        if self._visible_groups is not None:
            self._visible = np.isin(self._group, list(self._visible_groups))
        self._group_visible = np.ones(max(ng, 1), dtype=bool)
        self._update_group_visible()
        # the point item is filled when points are first drawn (see _fill_points)
        self._points_n = -1
        self.points.setData(x=[], y=[])
        # trails: one curve per group, a sample of its particles
        for c in self.trails:
            self.plot.removeItem(c)
        self.trails = []
        self._trail_idx = []
        per_group = max(1, self.max_trails // max(ng, 1))
        for g in range(ng):
            idx = np.flatnonzero(self._group == g)
            if len(idx) > per_group:
                idx = idx[np.linspace(0, len(idx) - 1, per_group).round().astype(np.int64)]
            self._trail_idx.append(idx)
            alpha = 220 if len(idx) <= 20 else (110 if len(idx) <= 200 else 60)
            # Qt strokes antialiased paths wider than 1 px about 10x slower: only a few trails get 2 px
            width = 2.0 if len(idx) <= 20 else 1.0
            curve = pg.PlotCurveItem(pen=pg.mkPen(*self._colors[g], alpha, width=width), antialias=True)
            self.plot.addItem(curve, ignoreBounds=True)
            self.trails.append(curve)
        self.diverged_per_group = np.zeros(ng, dtype=np.int64)
        self._div_key = None
        self._restack()

    def set_selected_group(self, group: int | None) -> None:
        """Draw this group's particles and trail above all others (``None``: none)."""
        group = None if group is None else int(group)
        if group != self._selected_group:
            self._selected_group = group
            self._restack()
            self._points_n = -1  # refill in the new order

    def _restack(self) -> None:
        """Drawing order: groups with more particles first (below), fewer particles later (a
        single-particle group above any cloud), the selected group last (on top)."""
        ng = len(self._colors)
        counts = np.bincount(self._group, minlength=ng) if len(self._group) else np.zeros(ng, np.int64)
        sel = self._selected_group
        rank_of = sorted(range(ng), key=lambda g: (g == sel, -int(counts[g]), g))
        rank = np.empty(max(ng, 1), dtype=np.int64)
        rank[rank_of] = np.arange(ng)
        for g, curve in enumerate(self.trails):
            curve.setZValue(Z_TRAILS + 0.5 * rank[g] / max(ng, 1))
        if len(self._group) and np.any(np.diff(rank[self._group]) < 0):
            self.order = np.argsort(rank[self._group], kind="stable")
        else:
            self.order = None

    def particle_of_spot(self, spot: int) -> int:
        """The particle (index into the result arrays) drawn as point ``spot``."""
        return int(spot) if self.order is None else int(self.order[int(spot)])

    def _fill_points(self) -> None:
        """Give the point item one spot per particle (brush per group; costly for huge N)."""
        n = len(self._group)
        brushes = [pg.mkBrush(*c, 255) for c in self._colors]
        edge = pg.mkPen(0, 0, 0, 150, width=0.8)
        # a few particles with long trails need bigger markers to stand out from them
        size = self.point_size * (1.8 if 0 < n <= 64 else 1.0)
        group = self._group if self.order is None else self._group[self.order]
        self.points.setData(
            x=np.full(n, np.nan),
            y=np.full(n, np.nan),
            brush=[brushes[g] for g in group] if n else [],
            pen=edge,
            size=size,
            symbol="o",
        )
        self._points_n = n

    def _update_group_visible(self) -> None:
        self._group_visible = visible_group_mask(self._visible_groups, max(len(self._colors), 1))

    def density_request(self):
        """What a density image of the current view needs: ((x0, x1), (y0, y1), (h, w),
        visible groups as a bool tuple), or None when particles are not drawn as density."""
        if self.effective_mode() != "density" or not self.n_particles:
            return None
        (x0, x1), (y0, y1) = self._view
        return (self._view[0], self._view[1], self._density_shape(), tuple(bool(v) for v in self._group_visible))

    def put_density(self, request, step: int, counts: np.ndarray) -> None:
        """A density (per-group counts) of the particles at optimizer ``step`` for
        ``request`` (see :meth:`density_request`), computed elsewhere; used instead of
        splatting when that frame is drawn with the same request."""
        self._density_pre = (request, int(step), counts)

    def _density_shape(self):
        (x0, x1), (y0, y1) = self._view
        n = self.density_pixels
        if (x1 - x0) >= (y1 - y0):
            return max(8, int(round(n * (y1 - y0) / (x1 - x0)))), n
        return n, max(8, int(round(n * (x1 - x0) / (y1 - y0))))

    def set_history(self, positions: np.ndarray, diverged_frame: np.ndarray, diverged_index=None,
                    steps=None) -> None:
        """Positions (F, N, 2) and, per particle, the first frame at which it is diverged
        (a large value for never). ``diverged_index``: the particles with a finite
        ``diverged_frame`` if the caller knows them (saves a pass over N)."""
        self._pos = positions
        self._steps = steps
        self._div_frame = np.asarray(diverged_frame, dtype=np.int64)
        idx = np.flatnonzero(self._div_frame < np.iinfo(np.int64).max // 4) if diverged_index is None \
            else np.asarray(diverged_index, dtype=np.int64)
        at = self._div_frame[idx]
        order = np.argsort(at, kind="stable")
        self._div_idx, self._div_at = idx[order], at[order]
        self._div_key = None

    def set_visible_groups(self, groups) -> None:
        self._visible_groups = None if groups is None else set(int(g) for g in groups)
        n = len(self._group)
        if self._visible_groups is None:
            self._visible = np.ones(n, dtype=bool)
        else:
            self._visible = np.isin(self._group, list(self._visible_groups))
        self._update_group_visible()
        for g, c in enumerate(self.trails):
            c.setVisible(self._visible_groups is None or g in self._visible_groups)
        self._div_key = None

    def set_view(self, xrange, yrange) -> None:
        self._view = (tuple(map(float, xrange)), tuple(map(float, yrange)))
        # generous bounds so Qt never culls the items while panning
        (x0, x1), (y0, y1) = self._view
        dx, dy = x1 - x0, y1 - y0
        b = ((x0 - dx, x1 + dx), (y0 - dy, y1 + dy))
        for it in (self.points, self.diverged):
            it.prepareGeometryChange()
            it.fixed_bounds = b

    @property
    def n_particles(self) -> int:
        return len(self._group)

    def effective_mode(self) -> str:
        if self.mode != "auto":
            return self.mode
        return "density" if self.n_particles > self.density_threshold else "points"

    # --- drawing --------------------------------------------------------------
    def _clip(self, xy: np.ndarray) -> np.ndarray:
        (x0, x1), (y0, y1) = self._view
        dx, dy = (x1 - x0) * 50, (y1 - y0) * 50
        out = np.empty_like(xy)
        np.clip(xy[..., 0], x0 - dx, x1 + dx, out=out[..., 0])
        np.clip(xy[..., 1], y0 - dy, y1 + dy, out=out[..., 1])
        return out

    def show_frame(self, f: int) -> None:
        if self._pos is None or self.n_particles == 0:
            return
        f = int(f)
        self._frame = f
        pos = self._pos[f]
        mode = self.effective_mode()
        if mode == "points":
            if self._points_n != self.n_particles:
                self._fill_points()
            drawn = (self._div_frame > f) & self._visible
            self.density.setVisible(False)
            self.points.setVisible(True)
            x = self.points.data["x"]
            y = self.points.data["y"]
            if self.order is not None:
                pos, drawn = pos[self.order], drawn[self.order]
            x[:] = pos[:, 0]
            y[:] = pos[:, 1]
            x[~drawn] = np.nan
            y[~drawn] = np.nan
            self.points.prepareGeometryChange()
            self.points.invalidate()
        else:
            self.points.setVisible(False)
            self.density.setVisible(True)
            self._draw_density(pos, f)
        self._draw_diverged(f)
        self._draw_trails(f)

    def _draw_density(self, pos, f) -> None:
        (x0, x1), (y0, y1) = self._view
        h, w = self._density_shape()
        pre = self._density_pre
        if pre is not None and self._steps is not None and f < len(self._steps) \
                and pre[1] == int(self._steps[f]) and pre[0] == self.density_request():
            counts = pre[2]  # the newest frame, splatted by the compute thread
        else:
            counts = splat_density_frame(pos, self._group, self._group_visible, self._div_frame, f,
                                         (x0, x1), (y0, y1), (h, w))
        colors = np.asarray(self._colors if self._colors else [(0, 0, 0)], dtype=np.float64)
        rgba = density_rgba(counts, colors)
        self.density.setImage(rgba, autoLevels=False, levels=None)
        self.density.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    def _draw_diverged(self, f: int) -> None:
        # diverged particles sorted by the frame they diverge at: those gone by frame f
        # are a prefix (no pass over all N particles per frame)
        k = int(np.searchsorted(self._div_at, f, side="right"))
        gone_idx = self._div_idx[:k]
        self.diverged_count = k
        vis = None if self._visible_groups is None else tuple(sorted(self._visible_groups))
        key = (self.diverged_count, vis)  # diverging is monotone in time: the count names the set
        ng = len(self._colors)
        if key == self._div_key:
            return
        self._div_key = key
        g_gone = self._group[gone_idx]
        self.diverged_per_group = np.bincount(g_gone, minlength=ng)
        idx = np.sort(gone_idx[self._group_visible[g_gone]]) if len(gone_idx) else gone_idx
        if len(idx) == 0:
            self.diverged.setData([], [])
            return
        idx = idx[:20_000]
        # a diverged particle keeps its last finite position in the history
        last = self._clip(np.asarray(self._pos[f, idx], dtype=np.float64))
        pens = [pg.mkPen(0, 0, 0, 200, width=1) for _ in range(ng)]
        brushes = [pg.mkBrush(*c, 255) for c in self._colors]
        g = self._group[idx]
        self.diverged.setData(
            x=last[:, 0], y=last[:, 1], symbol="x", size=self.point_size * 2.0,
            brush=[brushes[k] for k in g], pen=[pens[k] for k in g],
        )

    def _draw_trails(self, f: int) -> None:
        L = self.trail_length
        if L == 0 or f == 0:
            for c in self.trails:
                c.setData([], [])
            return
        f0 = 0 if L < 0 else max(0, f - L)
        parts = trail_slices(f0, f, self.max_trail_points)
        for curve, idx in zip(self.trails, self._trail_idx, strict=False):
            if len(idx) == 0:
                continue
            if not curve.isVisible():  # a hidden group's trail must not show a stale frame later
                curve.setData([], [])
                continue
            seg = [np.asarray(self._pos[sl, idx], dtype=np.float64) for sl in parts]
            seg = seg[0] if len(seg) == 1 else np.concatenate(seg)  # (T, K, 2)
            seg = self._clip(np.swapaxes(seg, 0, 1))  # (K, T, 2)
            K, T = seg.shape[:2]
            connect = np.ones(K * T, dtype=bool)
            connect[T - 1 :: T] = False
            flat = seg.reshape(-1, 2)
            curve.setData(flat[:, 0], flat[:, 1], connect=connect, skipFiniteCheck=True)

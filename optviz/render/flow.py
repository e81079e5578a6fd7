"""The gradient-flow ghost: each group's continuous-time path dθ/dt = −∇f(θ) beside its optimizer.

:class:`FlowLayer` draws, for each visible group, the gradient flow
(:mod:`optviz.core.gradient_flow`) from the group's mean start point (the mean of its particles at
frame 0; a single start is that start) as a thin, faint, dashed line in the group's colour, below
the trails. At the time cursor's step k it ends at flow time t_k = k·lr (with a schedule: the sum
of its rates up to step k), never later, so discrete step k sits beside flow time t_k.

Paths are integrated once per (landscape, start, rate schedule, run length) and cached over
:meth:`set_experiment` calls (the window calls it for every change of a group's look); showing a
step only slices a cached path. A path is integrated at most at :data:`MAX_FLOW_POINTS` step
multiples (every m-th step, m = ceil(steps / MAX_FLOW_POINTS)); between two of them the end at the
cursor is interpolated linearly. The polyline also passes through :data:`SHAPE_POINTS` flow times
spread evenly and as many spread geometrically (from 1e-7 of the run's flow time), so a large
step (a long flow time between two optimizer steps) does not draw the path as a chord. Groups with a
swept learning rate (one rate per particle) or no ``lr`` get no flow; a path that stops early (at a
minimum it is held there; leaving 3× the landscape's bounds, or too stiff for :data:`MAX_RK_STEPS`
steps, it ends) is drawn as far as it got.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from optviz.core.gradient_flow import flow_times, integrate_flow
from optviz.render.particles import Z_TRAILS

__all__ = ["FlowLayer", "MAX_FLOW_POINTS", "Z_FLOW", "flow_pen"]

#: Steps at which a path is reported at most (its polyline's points).
MAX_FLOW_POINTS = 2000
#: Extra flow times per path, evenly and geometrically spaced, that keep the drawn shape.
SHAPE_POINTS = 500
#: Runge–Kutta steps per path at most: one integration takes at most about 2.5 s (12 starts on
#: Rosenbrock, measured); a stiffer or longer path ends where it got (near Rosenbrock's minimum
#: the explicit method needs steps below 0.0033, so it ends at flow time about 15, within a pixel).
MAX_RK_STEPS = 5_000
#: Gradient norm at which a path is held: it then moves at most GRAD_TOL / (smallest curvature).
GRAD_TOL = 1e-8
#: Below the trails, above the contours.
Z_FLOW = Z_TRAILS - 1.0
#: The flow's point at the cursor (a ring): above the trails, below minima markers and particles.
Z_FLOW_HEAD = Z_TRAILS + 0.9
#: Dash and gap length, in pen widths (a gap holds another group's dash with room either side).
DASH, GAP = 3.0, 5.0


def flow_pen(color, alpha: int = 170, phase: int = 0):
    """The ghost's pen: thin, dashed, translucent. Two groups from one start share a path: with
    phases 0 and 1 their dashes fall into each other's gaps, so both colours show."""
    pen = pg.mkPen(*color[:3], alpha, width=1.6)
    pen.setStyle(QtCore.Qt.PenStyle.CustomDashLine)
    pen.setDashPattern([DASH, GAP])
    pen.setDashOffset((DASH + GAP) / 2 * (phase % 2))
    pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
    return pen


def _rate(group):
    """(lr, resolved schedule) of a group, or None where one flow cannot stand for the group."""
    try:
        if any(axis.name == "lr" for axis in group.sweep_axes()):
            return None
        lr = group.resolved_hyper().get("lr")
        schedule = group.resolved_schedule()
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        return None
    return float(lr), schedule


def _samples(at_steps: np.ndarray) -> np.ndarray:
    """The flow times a path is reported at: the steps' times and the shape's (sorted, unique)."""
    end = float(at_steps[-1])
    if end <= 0:
        return np.unique(at_steps)
    shape = np.concatenate([np.linspace(0.0, end, SHAPE_POINTS), np.geomspace(end * 1e-7, end, SHAPE_POINTS)])
    return np.unique(np.concatenate([at_steps, shape]))


class FlowLayer:
    """Gradient-flow ghosts in ``plot``; off until ``enabled``."""

    def __init__(self, plot):
        self.plot = plot
        self.enabled = False
        self.curves: list[pg.PlotCurveItem] = []
        # where each group's flow is at the cursor's flow time: a ring in the group's colour
        self.heads = pg.ScatterPlotItem(pxMode=True, symbol="o", size=10, brush=pg.mkBrush(None))
        self.heads.setZValue(Z_FLOW_HEAD)
        self.heads.setVisible(False)
        plot.addItem(self.heads, ignoreBounds=True)
        self._surface = None
        self._rates: list = []
        self._total = 0
        self._source = None            # (positions, group) of the data shown
        self._starts = None            # per group: (x, y) or None
        self._paths = None             # per group: (steps (M,), positions (M, 2), valid count) or None
        self._cache: dict = {}
        self.computed = 0              # paths integrated so far (the cache's misses)

    # ------------------------------------------------------------------ inputs
    def set_experiment(self, exp) -> None:
        """The experiment's landscape, rates and run length (cached paths of the same landscape stay)."""
        surface = exp.landscape_spec()
        if surface is not self._surface:
            self._cache.clear()
            self._surface = surface
        self._rates = [_rate(g) for g in exp.groups]
        self._total = int(getattr(getattr(exp, "run", None), "steps", 0) or 0)
        self._source = None
        self._starts = None
        self._paths = None
        self.hide()

    def set_source(self, positions, group) -> None:
        """The data's positions (frame 0 is read, when drawn) and group of each particle."""
        self._source = (positions, group)
        self._starts = None
        self._paths = None

    def _mean_starts(self) -> list:
        positions, group = self._source
        first = np.asarray(positions[0], dtype=np.float64)
        group = np.asarray(group, dtype=np.int64)
        ok = np.all(np.isfinite(first), axis=1)
        ng = len(self._rates)
        n = np.bincount(group[ok], minlength=ng)[:ng]
        sx = np.bincount(group[ok], weights=first[ok, 0], minlength=ng)[:ng]
        sy = np.bincount(group[ok], weights=first[ok, 1], minlength=ng)[:ng]
        return [(float(sx[g] / n[g]), float(sy[g] / n[g])) if n[g] else None for g in range(ng)]

    # ------------------------------------------------------------------ paths
    def _resolve(self, last_step: int) -> None:
        if self._starts is None:
            self._starts = self._mean_starts()
        top = max(self._total, last_step, 1)
        if top > self._total:  # a run longer than the experiment says: grow in doublings
            top = 1 << int(math.ceil(math.log2(top)))
        stride = -(-top // MAX_FLOW_POINTS)
        grid = np.unique(np.append(np.arange(0, top + 1, stride), top))
        keys = []
        for rate, start in zip(self._rates, self._starts, strict=True):
            keys.append(None if rate is None or start is None else (start, rate[0], repr(rate[1]), top))
        missing = sorted({k for k in keys if k is not None and k not in self._cache})
        if missing:
            starts = np.array([k[0] for k in missing])
            rates = {k: r for k, r in zip(keys, self._rates, strict=True) if k is not None}
            at_steps = [flow_times(grid, rates[k][0], rates[k][1]) for k in missing]
            samples = [_samples(t) for t in at_steps]
            width = max(len(t) for t in samples)
            times = np.stack([np.pad(t, (0, width - len(t)), mode="edge") for t in samples], axis=1)
            path = integrate_flow(self._surface, starts, times, rtol=1e-9, atol=1e-11,
                                  max_steps=MAX_RK_STEPS, grad_tol=GRAD_TOL)
            for s, k in enumerate(missing):
                n = len(samples[s])
                self._cache[k] = (grid, at_steps[s], samples[s], path.positions[:n, s].copy(),
                                  min(int(path.reached[s]), n))
            self.computed += len(missing)
        self._paths = [None if k is None else self._cache[k] for k in keys]

    # ------------------------------------------------------------------ drawing
    def hide(self) -> None:
        for c in self.curves:
            c.setVisible(False)
        self.heads.setVisible(False)

    def show(self, step: int, last_step: int, visible, colors) -> None:
        """Draw each visible group's flow up to flow time t at optimizer ``step`` (none after it)."""
        if not self.enabled or self._source is None:
            self.hide()
            return
        if self._paths is None or (last_step > self._paths_top()):
            self._resolve(last_step)
        while len(self.curves) < len(self._paths):
            curve = pg.PlotCurveItem(antialias=True)
            curve.setZValue(Z_FLOW)
            self.plot.addItem(curve, ignoreBounds=True)
            self.curves.append(curve)
        heads, pens = [], []
        for g, curve in enumerate(self.curves):
            entry = self._paths[g] if g < len(self._paths) else None
            if entry is None or (visible is not None and g not in visible) or g >= len(colors):
                curve.setVisible(False)
                continue
            grid, at_steps, times, pos, valid = entry
            t_cursor = float(np.interp(step, grid, at_steps))
            count = min(int(np.searchsorted(times, t_cursor, side="right")), valid)
            pts = pos[:count]
            if count and count < valid and times[count - 1] < t_cursor:  # the end between two samples
                w = (t_cursor - times[count - 1]) / (times[count] - times[count - 1])
                pts = np.vstack([pts, (1 - w) * pos[count - 1] + w * pos[count]])
            curve.setPen(flow_pen(colors[g], phase=g))
            curve.setData(pts[:, 0], pts[:, 1])
            curve.setVisible(count > 0)
            if count:
                heads.append(pts[-1])
                pens.append(pg.mkPen(*colors[g][:3], 230, width=1.8))
        self.heads.setData(pos=np.array(heads).reshape(-1, 2), pen=pens)
        self.heads.setVisible(bool(heads))

    def path(self, g: int):
        """Group ``g``'s cached path: (flow times, positions (M, 2), valid count), or None."""
        entry = self._paths[g] if self._paths is not None and g < len(self._paths) else None
        return None if entry is None else entry[2:]

    def _paths_top(self) -> int:
        grids = [p[0] for p in self._paths if p is not None]
        return int(grids[0][-1]) if grids else max(self._total, 1)

    def drawn(self, g: int) -> np.ndarray:
        """The points of group ``g``'s ghost as drawn now, (M, 2) (empty when hidden)."""
        c = self.curves[g] if g < len(self.curves) else None
        if c is None or not c.isVisible() or c.xData is None:
            return np.zeros((0, 2))
        return np.column_stack([c.xData, c.yData])

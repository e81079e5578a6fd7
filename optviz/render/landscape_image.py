"""The landscape layer: colour image, contour lines and minima markers.

:class:`LandscapeLayer` owns three items of a ``pg.PlotItem``:

* an ``ImageItem`` holding a ready-made RGBA image (the colormap is applied
  here, once, with NumPy: nothing is re-mapped when the scene repaints);
* one ``PlotCurveItem`` with every contour line of every level
  (NaN-separated polylines, ``connect="finite"``), computed by contourpy once
  per landscape or view change;
* a ``ScatterPlotItem`` marking the known minima (star: global minimum,
  circle: local minimum, plus: saddle point).

Colour scale (:class:`~optviz.render.value_scale.ValueScale`, shared with the 3-D view's
heights): with ``log_scale`` the image shows ``log10(f - f_min + d)``,
``f_min`` the lowest known minimum (or sampled value) and ``d`` a small offset
(1e-4 of the median height above ``f_min``), so valleys that span many decades
stay visible. Colour levels and contour levels are fixed when a landscape is
set (from its default view, or the first view given): panning and zooming
re-sample the landscape with the same levels, so colours keep their meaning.
Call :meth:`relevel` to fit them to the current view instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from optviz.render.colors import colormap_lut
from optviz.render.kernels import contour_lines
from optviz.render.value_scale import ValueScale

__all__ = ["LandscapeLayer"]

#: Landscape evaluator: (xs (nx,), ys (ny,)) -> values (ny, nx) float64.
Evaluator = Callable[[np.ndarray, np.ndarray], np.ndarray]


class LandscapeLayer:
    """Landscape image + contours + minima, drawn into ``plot`` (a ``pg.PlotItem``)."""

    CONTOUR_GRID = 240  # samples per axis for the contour lines

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-100)
        self.contours = pg.PlotCurveItem(
            pen=pg.mkPen((0, 0, 0, 85), width=1), connect="finite", antialias=True
        )
        self.contours.setZValue(-90)
        self.minima = pg.ScatterPlotItem(pxMode=True)
        self.minima.setZValue(16)  # above trails (5) and density (15), below particles (20)
        for it in (self.image, self.contours, self.minima):
            plot.addItem(it, ignoreBounds=True)
        # static between view changes: paint from a cached pixmap (PLATFORM.md fast paths)
        cache = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
        self.image.setCacheMode(cache)
        self.contours.setCacheMode(cache)
        self._eval: Evaluator | None = None
        self._log_hint = False
        self._fmin = None
        self.colormap = "viridis"
        self.log_scale: bool | str = "auto"
        self.n_contours = 14
        #: the colour scale fitted to the landscape (None: fitted on the next resample)
        self.scale: ValueScale | None = None
        self._range = None
        self.resolution = (600, 600)
        self.value_range = None  # (min, max) of f over the last sampled view

    # --- configuration -------------------------------------------------------
    def set_landscape(self, evaluate: Evaluator, *, log_hint: bool, minima=()) -> None:
        """A new landscape: ``evaluate(xs, ys)``, its log-scale hint and its minima."""
        self._eval = evaluate
        self._log_hint = bool(log_hint)
        finite = [m.value for m in minima if m.kind == "global" and math.isfinite(m.value)]
        self._fmin = min(finite) if finite else None
        self.scale = None
        self._set_minima(minima)

    def set_style(self, *, colormap=None, log_scale=None, contours=None) -> None:
        if colormap is not None:
            self.colormap = colormap
        if log_scale is not None:
            self.log_scale = log_scale
            self.scale = None
        if contours is not None:
            self.n_contours = int(contours)

    @property
    def uses_log(self) -> bool:
        return self._log_hint if self.log_scale == "auto" else bool(self.log_scale)

    def relevel(self) -> None:
        """Fit colour and contour levels to the current view on the next :meth:`resample`."""
        self.scale = None

    # --- drawing --------------------------------------------------------------
    def resample(self, xrange, yrange, resolution=None) -> None:
        """Evaluate the landscape over the view and rebuild image and contours."""
        if self._eval is None:
            return
        if resolution is not None:
            self.resolution = (int(resolution[0]), int(resolution[1]))
        nx, ny = max(self.resolution[0], 8), max(self.resolution[1], 8)
        x0, x1 = map(float, xrange)
        y0, y1 = map(float, yrange)
        # pixel centres
        xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
        ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
        with np.errstate(all="ignore"):
            f = np.asarray(self._eval(xs, ys), dtype=np.float64)
            if self.scale is None:
                self.scale = ValueScale.fit(f, log=self.uses_log, f_min=self._fmin)
            fin = f[np.isfinite(f)]
            self.value_range = (float(fin.min()), float(fin.max())) if fin.size else None
        rgba = colormap_lut(self.colormap)[self.scale.colour_index(f)]
        self.image.setImage(rgba, autoLevels=False, levels=None)
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self._range = ((x0, x1), (y0, y1))
        self._update_contours(xrange, yrange)

    def _update_contours(self, xrange, yrange) -> None:
        n = self.n_contours
        if n <= 0 or self._eval is None:
            self.contours.setData([], [])
            return
        m = self.CONTOUR_GRID
        xs = np.linspace(xrange[0], xrange[1], m)
        ys = np.linspace(yrange[0], yrange[1], m)
        with np.errstate(all="ignore"):
            z = self.scale.transform(np.asarray(self._eval(xs, ys), dtype=np.float64))
        lo, hi = self.levels
        levels = np.linspace(lo, hi, n + 2)[1:-1]
        lines = contour_lines(z, xs, ys, levels)
        if len(lines) == 0:
            self.contours.setData([], [])
        else:
            self.contours.setData(lines[:, 0], lines[:, 1], connect="finite", skipFiniteCheck=True)

    def _set_minima(self, minima) -> None:
        spots = []
        style = {
            "global": dict(symbol="star", size=17, brush=pg.mkBrush(255, 255, 255, 235),
                           pen=pg.mkPen(0, 0, 0, 220, width=1.2)),
            "local": dict(symbol="o", size=10, brush=pg.mkBrush(None),
                          pen=pg.mkPen(255, 255, 255, 230, width=1.8)),
            "saddle": dict(symbol="+", size=13, brush=pg.mkBrush(255, 255, 255, 230),
                           pen=pg.mkPen(0, 0, 0, 200, width=1)),
        }
        for m in minima:
            if not (math.isfinite(m.x) and math.isfinite(m.y)):
                continue
            s = dict(style.get(m.kind, style["local"]))
            s["pos"] = (m.x, m.y)
            spots.append(s)
        self.minima.setData(spots)

    @property
    def levels(self) -> tuple[float, float] | None:
        """The colour levels (lo, hi) of the transformed values (None before the first resample)."""
        return None if self.scale is None else (self.scale.lo, self.scale.hi)

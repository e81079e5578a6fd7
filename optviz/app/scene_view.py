"""The render layer's Scene, composed for the window: live side data, placing and picking.

:class:`AppScene` is the render layer's :class:`~optviz.render.scene.Scene`
with three additions that live in the app layer:

* side plots drawn from a separate, bounded sample of particles
  (:attr:`side_data`), so the landscape can show 1,000,000 particles while the
  side-plot statistics stay cheap (a request to the render layer: accept a
  separate side-plot result in ``set_data``);
* mouse interaction on the landscape: in placement mode a click places one
  point and a drag draws a cloud (a circle follows the drag); otherwise a click
  picks the nearest particle (``sigPlace``, ``sigCloud``, ``sigPick``);
* a highlight ring around the inspected particle.

It draws its texts in the interface's language and follows every change of it
(:mod:`optviz.app.language`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.language import language
from optviz.render.scene import Scene

__all__ = ["AppScene"]


class AppScene(Scene):
    sigPlace = QtCore.Signal(float, float)  # click in placement mode
    sigCloud = QtCore.Signal(float, float, float)  # drag in placement mode: centre, radius
    sigPick = QtCore.Signal(float, float, float)  # click otherwise: x, y, pick radius (data units)

    def __init__(self, parent=None, **kw):
        super().__init__(parent, **kw)
        self.side_data = None
        self.side.x_headroom = 1.25  # live: axes move in jumps, not on every update
        self.side.y_hysteresis = True
        self.place_mode = False
        self.highlight = pg.ScatterPlotItem(pxMode=True, symbol="o", size=22, brush=pg.mkBrush(None),
                                            pen=pg.mkPen(255, 255, 255, 255, width=2.5))
        self.highlight.setZValue(60)
        self.highlight_inner = pg.ScatterPlotItem(pxMode=True, symbol="o", size=16, brush=pg.mkBrush(None),
                                                  pen=pg.mkPen(0, 0, 0, 255, width=1.5))
        self.highlight_inner.setZValue(61)
        self.cloud = QtWidgets.QGraphicsEllipseItem()
        self.cloud.setPen(pg.mkPen(255, 255, 255, 230, width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        self.cloud.setBrush(QtGui.QBrush(QtGui.QColor(255, 255, 255, 40)))
        self.cloud.setZValue(70)
        self.cloud.setVisible(False)
        for it in (self.highlight, self.highlight_inner, self.cloud):
            self.plot.addItem(it, ignoreBounds=True)
        self._orig_drag = self.vb.mouseDragEvent
        self.vb.mouseDragEvent = self._drag  # instance override: pyqtgraph dispatches in Python
        self.scene().sigMouseClicked.connect(self._clicked)
        self.set_language(language().code)
        language().changed.connect(self.set_language)

    def _layout_columns(self):
        super()._layout_columns()
        if self._side_names:  # the landscape is the main view in the window: give it more room
            self.ci.layout.setColumnStretchFactor(0, 14)
            self.ci.layout.setColumnStretchFactor(1, 8)

    @property
    def experiment(self):
        """The experiment shown (None before the first)."""
        return self._exp

    # drawing the session's frames --------------------------------------------------------
    def draw(self, frame, display) -> None:
        """Draw a session :class:`~optviz.models.session.Frame` of ``display`` (the session's
        DisplayBuffer): take its frames again when it has new ones, else only move the cursor."""
        if frame.density is not None:
            self.particles.put_density(*frame.density)
        if frame.new_data:
            self.side_data = display.side_result()
            self.set_data(display.result(), update_side_plots=frame.side_plots, frame=frame.index)
        else:
            self.show_frame(frame.index)

    def redraw(self, display) -> None:
        """Draw the held frames again at the same cursor (after the experiment's look changed)."""
        if display.n:
            self.side_data = display.side_result()
            self.set_data(display.result())

    # side plots from the sample ---------------------------------------------------------
    def _build_side(self):
        if self.side_data is None:
            if self._data is not None and getattr(self._data, "loss", None) is None:
                return  # the display's frames carry no side data: wait for side_data
            return super()._build_side()
        full = self._data
        self._data = self.side_data
        try:
            super()._build_side()
        finally:
            self._data = full

    # highlight ----------------------------------------------------------------------------
    def set_highlight(self, xy) -> None:
        key = None if xy is None or not np.all(np.isfinite(xy)) else (float(xy[0]), float(xy[1]))
        if key == getattr(self, "_highlight_key", 0):
            return  # called every frame: nothing to do when it did not move
        self._highlight_key = key
        if key is None:
            self.highlight.setData([], [])
            self.highlight_inner.setData([], [])
            return
        self.highlight.setData([float(xy[0])], [float(xy[1])])
        self.highlight_inner.setData([float(xy[0])], [float(xy[1])])

    # mouse ----------------------------------------------------------------------------------
    def _in_landscape(self, scene_pos) -> bool:
        return self.vb.sceneBoundingRect().contains(scene_pos)

    def pixel_size(self) -> float:
        """Data units per screen pixel (x)."""
        (x0, x1), _ = self.vb.viewRange()
        return (x1 - x0) / max(self.vb.width(), 1.0)

    def _clicked(self, ev):
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or ev.double():
            return
        sp = ev.scenePos()
        if not self._in_landscape(sp):
            return
        p = self.vb.mapSceneToView(sp)
        if self.place_mode:
            self.sigPlace.emit(p.x(), p.y())
        else:
            self.sigPick.emit(p.x(), p.y(), 12 * self.pixel_size())
        ev.accept()

    def _drag(self, ev, axis=None):
        if not self.place_mode or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return self._orig_drag(ev, axis) if axis is not None else self._orig_drag(ev)
        ev.accept()
        a = self.vb.mapSceneToView(ev.buttonDownScenePos())
        b = self.vb.mapSceneToView(ev.scenePos())
        r = math.hypot(b.x() - a.x(), b.y() - a.y())
        self.cloud.setRect(QtCore.QRectF(a.x() - r, a.y() - r, 2 * r, 2 * r))
        self.cloud.setVisible(not ev.isFinish())
        if ev.isFinish():
            if r > 2 * self.pixel_size():
                self.sigCloud.emit(a.x(), a.y(), r)
            else:
                self.sigPlace.emit(a.x(), a.y())

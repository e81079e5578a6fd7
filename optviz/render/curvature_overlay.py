"""The local curvature at one point, drawn on the landscape: Hessian eigen-directions and the
quadratic model's level curve.

:func:`curvature_shape` computes what is drawn (pure NumPy, no Qt);
:class:`CurvatureOverlay` is the item group that draws it in a plot.

At a point p with Hessian H (eigenvalues λ₁ ≥ λ₂, unit eigenvectors e₁, e₂) the local quadratic
model is q(d) = ½ dᵀ H d. Its level set q = ±c has half-axes r_k = sqrt(2c / |λ_k|) along e_k:

* each eigen-direction is a segment p ± r_k e_k, so lengths go as 1/sqrt(|λ_k|): the steep
  (larger |λ|) direction is the short, solid one, the flat direction the long, dashed one;
* the model value c is chosen per drawing so that the longer half-axis is
  :data:`VIEW_FRACTION` of the view's shorter side (a fixed fraction of the view, whatever the
  scale of the loss); ratios of lengths are exact up to a condition number of
  1 / :data:`MIN_RATIO` ² (beyond it the short segment keeps :data:`MIN_RATIO` of the long one);
* the level curve through p ± r_k e_k: an ellipse when H is definite (q = +c for a minimum,
  −c for a maximum); for an indefinite H the hyperbola branch pair q = +c, whose vertices are
  the ends of the positive-curvature segment, cut where it leaves a circle of twice the long
  half-axis; for a singular H (one λ = 0) the two parallel lines q = c; none when H = 0 or
  is not finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from optviz.core.curvature import eigen

__all__ = ["CurvatureShape", "curvature_shape", "CurvatureOverlay", "VIEW_FRACTION", "MIN_RATIO"]

#: The longer half-axis as a fraction of the view's shorter side.
VIEW_FRACTION = 0.3
#: The shortest half-axis as a fraction of the longest (a condition number above 1/MIN_RATIO² is
#: drawn as if it were 1/MIN_RATIO²).
MIN_RATIO = 0.05
#: Points on the drawn level curve.
CURVE_POINTS = 181
#: Half-width of the end caps on the steep segment, as a fraction of the longer half-axis.
CAP_FRACTION = 0.08
#: Above the particles and trails (particles.Z_DIVERGED = 30) and the app's highlight ring (60, 61):
#: in a narrow ravine the steep segment is not much longer than the ring is wide.
Z_OVERLAY = 65.0


@dataclass(frozen=True)
class CurvatureShape:
    """What the overlay draws at ``center``.

    ``values`` (2,): eigenvalues λ₁ ≥ λ₂; ``vectors`` (2, 2): unit eigenvector k in column k;
    ``half_lengths`` (2,): half-length of segment k; ``segments`` (2, 2, 2): segment k's two end
    points; ``steep``: the index of the larger-|λ| segment (drawn solid); ``kind``: "ellipse",
    "hyperbola", "lines" or "none"; ``curves``: the level curve as (K, 2) polylines;
    ``label``: "λ₁ = … (solid), λ₂ = … (dashed)" (which segment is which; no styles when nothing is drawn).
    """

    center: np.ndarray
    values: np.ndarray
    vectors: np.ndarray
    half_lengths: np.ndarray
    segments: np.ndarray
    steep: int
    kind: str
    curves: tuple[np.ndarray, ...]
    label: str


def _number(v: float) -> str:
    """λ as a student reads it: one decimal between 0.1 and 1000, else three significant digits."""
    return f"{v:.1f}" if 0.1 <= abs(v) < 1000 else f"{v:.3g}"


def curvature_shape(x: float, y: float, h, view_range) -> CurvatureShape:
    """The eigen-segments and level curve of the Hessian ``h`` (2, 2) at (x, y), sized for
    ``view_range`` ((x0, x1), (y0, y1)). See the module docstring."""
    h = np.asarray(h, dtype=np.float64).reshape(2, 2)
    (x0, x1), (y0, y1) = view_range
    span = min(abs(float(x1) - float(x0)), abs(float(y1) - float(y0)))
    if not (np.isfinite(span) and span > 0):
        raise ValueError(f"view_range = {view_range!r}: must be two finite, non-empty ranges")
    center = np.array([float(x), float(y)])
    values, vectors = eigen(h)
    label = f"λ₁ = {_number(values[0])}, λ₂ = {_number(values[1])}"
    mag = np.abs(values)
    steep = int(np.argmax(mag)) if np.all(np.isfinite(mag)) else 0
    empty = np.zeros((2, 2, 2))
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(center)) and mag[steep] > 0):
        return CurvatureShape(center, values, vectors, np.zeros(2), empty + center, steep, "none", (), label)
    style = ("solid", "dashed") if steep == 0 else ("dashed", "solid")
    label = f"λ₁ = {_number(values[0])} ({style[0]}), λ₂ = {_number(values[1])} ({style[1]})"
    long_ = VIEW_FRACTION * span
    ratio = max(np.sqrt(mag / mag[steep]).min(), MIN_RATIO)  # sqrt(|λ_small| / |λ_big|)
    half = np.full(2, long_)
    half[steep] = ratio * long_
    e = vectors.T  # e[k]: eigenvector k
    segments = np.stack([np.stack([center - half[k] * e[k], center + half[k] * e[k]]) for k in range(2)])
    flat = 1 - steep
    signs = np.sign(values)
    if mag[flat] / mag[steep] < 1e-12:  # singular: q = c is two lines across the steep direction
        kind = "lines"
        t = np.linspace(-long_, long_, 2)
        curves = tuple(center + s * half[steep] * e[steep] + t[:, None] * e[flat] for s in (-1.0, 1.0))
    elif signs[0] == signs[1]:
        kind = "ellipse"
        a = np.linspace(0.0, 2.0 * np.pi, CURVE_POINTS)
        curves = (center + np.cos(a)[:, None] * half[0] * e[0] + np.sin(a)[:, None] * half[1] * e[1],)
    else:  # λ₁ > 0 > λ₂: ½λ₁u² + ½λ₂v² = c with u = ±r₁ cosh t, v = r₂ sinh t
        kind = "hyperbola"
        reach = 2.0 * long_
        t_max = min(np.arccosh(max(reach / half[0], 1.0)), np.arcsinh(reach / half[1]))
        t = np.linspace(-t_max, t_max, CURVE_POINTS)
        curves = tuple(center + s * half[0] * np.cosh(t)[:, None] * e[0] + half[1] * np.sinh(t)[:, None] * e[1]
                       for s in (-1.0, 1.0))
    return CurvatureShape(center, values, vectors, half, segments, steep, kind, curves, label)


class CurvatureOverlay(pg.ItemGroup):
    """Eigen-segments (the steep one solid yellow with end caps, the flat one dashed white, on a dark halo), the
    quadratic model's level curve (thin, magenta on a dark halo) and a λ label, at one point.

    Add it to a plot (``plot.addItem(overlay, ignoreBounds=True)``); :meth:`set_curvature` draws,
    :meth:`clear_curvature` hides. :attr:`shape` is what is drawn (None: nothing).
    """

    def __init__(self, font_px: int = 12):
        super().__init__()
        self.setZValue(Z_OVERLAY)
        self.shape: CurvatureShape | None = None
        halo = pg.mkPen(0, 0, 0, 170, width=5.0)
        self._halos = [pg.PlotCurveItem(pen=halo) for _ in range(2)]
        self._segments = [pg.PlotCurveItem() for _ in range(2)]
        curve_halo = pg.mkPen(0, 0, 0, 150, width=3.0)
        self._curve_halos = [pg.PlotCurveItem(pen=curve_halo) for _ in range(2)]
        self._curves = [pg.PlotCurveItem(pen=pg.mkPen(255, 70, 210, 255, width=1.5)) for _ in range(2)]
        for item in (*self._curve_halos, *self._curves, *self._halos, *self._segments):
            item.setParentItem(self)
        self.label = pg.TextItem("", color=(255, 255, 255), anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 160))
        font = QtGui.QFont()
        font.setPixelSize(int(font_px))
        self.label.setFont(font)
        self.label.setParentItem(self)
        self.setVisible(False)

    def set_curvature(self, x: float, y: float, h, view_range) -> None:
        """Draw the curvature of Hessian ``h`` at (x, y) for ``view_range`` ((x0, x1), (y0, y1))."""
        shape = curvature_shape(x, y, h, view_range)
        self.shape = shape
        for k in range(2):
            pts = shape.segments[k]
            if k == shape.steep and shape.kind != "none":  # end caps: an I-beam the ring cannot hide
                cap = CAP_FRACTION * shape.half_lengths.max() * shape.vectors[:, 1 - k]
                pts = np.concatenate([pts, [pts[0] - cap, pts[0] + cap, pts[1] - cap, pts[1] + cap]])
            style = QtCore.Qt.PenStyle.SolidLine if k == shape.steep else QtCore.Qt.PenStyle.DashLine
            color = (255, 215, 0, 255) if k == shape.steep else (255, 255, 255, 255)
            self._segments[k].setPen(pg.mkPen(*color, width=3.0 if k == shape.steep else 1.8, style=style))
            for item in (self._halos[k], self._segments[k]):
                item.setData(pts[:, 0], pts[:, 1], connect="pairs")
        for k in range(2):
            pts = shape.curves[k] if k < len(shape.curves) else np.zeros((0, 2))
            for item in (self._curve_halos[k], self._curves[k]):
                item.setData(pts[:, 0], pts[:, 1])
        self.label.setText(shape.label)
        self._place_label(shape, view_range)
        self.setVisible(bool(np.all(np.isfinite(shape.center))))

    def _place_label(self, shape: CurvatureShape, view_range) -> None:
        """Above the drawing (below it near the view's top), sliding along x to stay in the view."""
        (x0, x1), (y0, y1) = view_range
        pts = np.concatenate([shape.segments.reshape(-1, 2), *shape.curves, shape.center[None]])
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        lo, hi = (min(y0, y1), max(y0, y1))
        top, bottom = min(pts[:, 1].max(), hi), max(pts[:, 1].min(), lo)
        above = top < lo + 0.85 * (hi - lo)
        fx = float(np.clip((shape.center[0] - x0) / (x1 - x0), 0.0, 1.0))
        self.label.setAnchor((fx, 1.0 if above else 0.0))
        self.label.setPos(x0 + fx * (x1 - x0), top if above else bottom)

    def clear_curvature(self) -> None:
        """Draw nothing."""
        self.shape = None
        self.setVisible(False)

"""Explain mode on the landscape: arrows from the explained particle and its second-moment bars.

:func:`explain_shape` computes what is drawn for sub-step ``index`` of an explained update
(pure NumPy, no Qt); :class:`ExplainOverlay` is the item group that draws it in a plot.

From the particle at θ_{t−1} (the time cursor's position), once their sub-step is reached:

* the gradient as **−g** (downhill, where plain gradient descent would go) and the momentum or
  first moment as **−m** (−v_t, −m̂_t, ...: where it pushes), both in the gradient's units and
  drawn at one scale, so their lengths compare; the scale is fixed for the whole update (the
  longest of its gradient-unit vectors is :data:`GRADIENT_FRACTION` of the view's shorter side)
  and rounded down to a round number (:data:`NICE` × 10ᵏ);
* the second-moment state (√v̂_t, √G_t, √E[g²]_t, u_t) as two per-axis bars at the gradient's
  scale, each along its axis on the side −g points to, so a bar beside the gradient arrow's
  projection shows the division that sets that parameter's step size;
* the realized step **Δθ** at true size when that is legible (at least :data:`MIN_STEP_PX`
  pixels and at most :data:`MAX_STEP_FRACTION` of the view), else scaled to
  :data:`STEP_FRACTION` of the view (rounded likewise); a step is often tiny next to the gradient.

Every label says its drawing scale ("drawn ×0.05" or "true size"). Arrow heads are computed in
screen pixels, so they keep their shape in a view whose axes are not equally scaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from optviz.core.optimizers.steps import Update

__all__ = ["ExplainShape", "DrawnArrow", "DrawnBar", "explain_shape", "plain", "math_font", "ExplainOverlay",
           "GRADIENT_FRACTION", "STEP_FRACTION", "MIN_STEP_PX", "MAX_STEP_FRACTION", "COLORS"]

#: The longest gradient-unit vector (or bar) of an update, as a fraction of the view's shorter side.
GRADIENT_FRACTION = 0.3
#: A scaled step's length as a fraction of the view's shorter side.
STEP_FRACTION = 0.18
#: A step shorter than this (pixels) is scaled up.
MIN_STEP_PX = 28.0
#: A step longer than this fraction of the view's shorter side is scaled down.
MAX_STEP_FRACTION = 0.45
#: Arrow heads: length and half-width in pixels.
HEAD_PX, HEAD_HALF_PX = 12.0, 5.0
#: A scaled step ending closer than this (pixels) to another arrow's end is drawn at a smaller scale.
COINCIDE_PX = 30.0
#: Gap in pixels between an arrow's tip (or a bar's end) and its label.
LABEL_GAP_PX = 7.0
#: Above the particles, the highlight ring (60, 61) and the curvature overlay (65).
Z_OVERLAY = 66.0
#: Colours (RGB) of what is drawn.
#: (Yellow, green, white and magenta: apart from the group colours' orange, cyan, pink and red.)
COLORS = {"gradient": (255, 215, 0), "momentum": (70, 235, 110), "step": (255, 255, 255),
          "second_moment": (250, 70, 215)}
#: Fonts with the lecture notes' symbols (hats: m̂, v̂; DejaVu Sans draws no accent over m or v),
#: the first one available is used, with a CJK font for the Chinese words of the labels.
MATH_FAMILIES = ("DejaVu Math TeX Gyre", "STIX Two Math", "Cambria Math", "DejaVu Serif", "Times New Roman",
                 "Noto Serif CJK SC", "Noto Sans CJK SC", "serif")

_SUB = dict(zip("0123456789+−=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ", strict=True))
_SUP = dict(zip("0123456789+−=()nit", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵗ", strict=True))


def math_font(px: int) -> QtGui.QFont:
    """A font of ``px`` pixels that draws the notation's symbols (see :data:`MATH_FAMILIES`)."""
    font = QtGui.QFont()
    font.setFamilies(list(MATH_FAMILIES))
    font.setPixelSize(int(px))
    return font


def render_markup(markup: str, text, script) -> str:
    """A formula's markup (``_{...}`` subscript, ``^{...}`` superscript, nesting allowed) rendered
    piece by piece: ``text(ch)`` for a plain character, ``script(mark, inner)`` for a script whose
    own markup was rendered first (``mark`` "_" or "^")."""
    out, i = [], 0
    while i < len(markup):
        if markup[i] in "_^" and markup[i + 1: i + 2] == "{":
            depth, j = 1, i + 2
            while j < len(markup) and depth:
                depth += {"{": 1, "}": -1}.get(markup[j], 0)
                j += 1
            out.append(script(markup[i], render_markup(markup[i + 2: j - 1], text, script)))
            i = j
        else:
            out.append(text(markup[i]))
            i += 1
    return "".join(out)


def _unicode_script(mark: str, inner: str) -> str:
    table = _SUB if mark == "_" else _SUP
    if inner and all(ch in table for ch in inner):
        return "".join(table[ch] for ch in inner)
    return f"{mark}({inner})"


def plain(markup: str) -> str:
    """A formula's markup as plain Unicode text: Unicode sub/superscript characters where every
    character has one, else "_(...)"/"^(...)"."""
    return render_markup(markup, str, _unicode_script)


@dataclass(frozen=True)
class DrawnArrow:
    """An arrow from ``start`` to ``end = start + scale · vector``; ``head``: (3, 2) points (one side,
    the tip, the other side); ``current``: its sub-step is the current one (drawn bolder)."""

    kind: str
    start: np.ndarray
    end: np.ndarray
    vector: np.ndarray
    scale: float
    head: np.ndarray
    label: str
    current: bool
    label_at: np.ndarray


@dataclass(frozen=True)
class DrawnBar:
    """The second moment along ``axis`` (0: x, 1: y): from ``start`` to ``end`` (length scale · value)."""

    axis: int
    start: np.ndarray
    end: np.ndarray
    value: float
    label: str
    current: bool
    label_at: np.ndarray


@dataclass(frozen=True)
class ExplainShape:
    """What the overlay draws at ``origin`` (θ_{t−1}); scales: drawn length / true length."""

    origin: np.ndarray
    arrows: tuple[DrawnArrow, ...]
    bars: tuple[DrawnBar, ...]
    gradient_scale: float
    step_scale: float


_TEXT = {
    "en": {"drawn": "drawn ×{}", "true": "true size", "label": "{symbol} ({scale})"},
    "zh": {"drawn": "绘制比例 ×{}", "true": "实际大小", "label": "{symbol}（{scale}）"},
}


#: Mantissas of the drawing scales (× 10ᵏ): round numbers a label can state, at most 1.5 apart.
NICE = (8.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.5, 1.0)


def nice_down(x: float) -> float:
    """The largest of :data:`NICE` × 10ᵏ not above ``x`` (> 0)."""
    k = math.floor(math.log10(x))
    for m in NICE:
        if m * 10.0**k <= x * (1 + 1e-12):
            return float(f"{m * 10.0**k:.12g}")
    return float(f"{NICE[0] * 10.0 ** (k - 1):.12g}")


def _scale_text(scale: float, language: str) -> str:
    words = _TEXT.get(language, _TEXT["en"])
    if scale == 1.0:
        return words["true"]
    return words["drawn"].format(f"{scale:g}")


def _pixels(v, pixel) -> float:
    """Length in screen pixels of a data-space vector ``v``."""
    return float(math.hypot(v[0] / pixel[0], v[1] / pixel[1]))


def _head(start, end, pixel) -> np.ndarray:
    """The arrow head at ``end`` (pointing away from ``start``), built in pixels."""
    d = np.array([(end[0] - start[0]) / pixel[0], (end[1] - start[1]) / pixel[1]])
    n = float(np.hypot(*d))
    if n == 0.0:
        return np.array([end, end, end], dtype=np.float64)
    d /= n
    length = min(HEAD_PX, 0.5 * n)
    normal = np.array([-d[1], d[0]])
    back = -length * d
    px = np.asarray(pixel, dtype=np.float64)
    left = end + (back + HEAD_HALF_PX * normal) * px
    right = end + (back - HEAD_HALF_PX * normal) * px
    return np.array([left, end, right], dtype=np.float64)


def _beyond(start, end, pixel) -> np.ndarray:
    """A point :data:`LABEL_GAP_PX` pixels beyond ``end``, along ``start`` → ``end``."""
    d = np.array([(end[0] - start[0]) / pixel[0], (end[1] - start[1]) / pixel[1]])
    n = float(np.hypot(*d))
    if n == 0.0:
        return np.asarray(end, dtype=np.float64).copy()
    return end + LABEL_GAP_PX * d / n * np.asarray(pixel, dtype=np.float64)


def _apart(scale: float, step, others, pixel) -> float:
    """``scale``, or the next smaller round one (at most three times) while the scaled step would end
    within :data:`COINCIDE_PX` of another arrow's end: a step along the momentum (SGD's is −η v)
    would otherwise hide it."""
    for _ in range(3):
        end = scale * np.asarray(step, dtype=np.float64)
        if not any(_pixels(end - other, pixel) < COINCIDE_PX for other in others):
            break
        scale = nice_down(scale * 0.99)
    return scale


def explain_shape(update: Update, index: int, view_range, view_pixels, language: str = "en") -> ExplainShape:
    """What to draw for sub-step ``index`` of ``update`` in a view of ``view_range``
    ((x0, x1), (y0, y1)) shown on ``view_pixels`` (width, height). See the module docstring."""
    (x0, x1), (y0, y1) = view_range
    width, height = float(view_pixels[0]), float(view_pixels[1])
    if not (width > 0 and height > 0 and x1 != x0 and y1 != y0):
        raise ValueError(f"view_range = {view_range!r}, view_pixels = {view_pixels!r}: must be non-empty")
    pixel = (abs(x1 - x0) / width, abs(y1 - y0) / height)
    short_px = min(width, height)
    origin = np.asarray(update.theta, dtype=np.float64)

    # one gradient scale for the whole update: its longest gradient-unit vector or bar
    longest = 0.0
    for sub in update.substeps:
        for a in sub.arrows:
            v = np.asarray(a.vector, dtype=np.float64)
            if a.kind in ("gradient", "momentum"):
                longest = max(longest, _pixels(v, pixel))
            elif a.kind == "second_moment":
                longest = max(longest, abs(v[0]) / pixel[0], abs(v[1]) / pixel[1])
    g_scale = nice_down(GRADIENT_FRACTION * short_px / longest) if np.isfinite(longest) and longest > 0 else 1.0

    step_px = _pixels(update.step, pixel)
    if not np.isfinite(step_px) or step_px == 0.0 or MIN_STEP_PX <= step_px <= MAX_STEP_FRACTION * short_px:
        s_scale = 1.0
    else:
        s_scale = nice_down(STEP_FRACTION * short_px / step_px)

    current = {a.kind for a in update.substeps[index].arrows} if 0 <= index < len(update.substeps) else set()
    shown = update.arrows_at(index)
    s_scale = _apart(s_scale, update.step, [g_scale * np.asarray(a.vector, dtype=np.float64)
                                            for a in update.arrows_at(len(update.substeps) - 1).values()
                                            if a.kind in ("gradient", "momentum")], pixel)
    arrows, bars = [], []
    grad = shown.get("gradient")
    toward = np.sign(grad.vector) if grad is not None else np.ones(2)
    toward[toward == 0] = 1.0
    for kind in ("gradient", "momentum", "step"):
        a = shown.get(kind)
        if a is None:
            continue
        vector = np.asarray(a.vector, dtype=np.float64)
        scale = s_scale if kind == "step" else g_scale
        end = origin + scale * vector
        label = _TEXT.get(language, _TEXT["en"])["label"].format(symbol=plain(a.symbol),
                                                                  scale=_scale_text(scale, language))
        arrows.append(DrawnArrow(kind, origin.copy(), end, vector, scale, _head(origin, end, pixel), label,
                                 kind in current, _beyond(origin, end, pixel)))
    a = shown.get("second_moment")
    if a is not None:
        symbol = plain(a.symbol)
        for axis in (0, 1):
            value = float(a.vector[axis])
            end = origin.copy()
            end[axis] += toward[axis] * g_scale * value
            bars.append(DrawnBar(axis, origin.copy(), end, value, f"{symbol} ({'xy'[axis]})",
                                 "second_moment" in current, _beyond(origin, end, pixel)))
    return ExplainShape(origin, tuple(arrows), tuple(bars), g_scale, s_scale)


class ExplainOverlay(pg.ItemGroup):
    """The arrows and bars of :func:`explain_shape`, each on a dark halo, with labels.

    Add it to a plot (``plot.addItem(overlay, ignoreBounds=True)``); :meth:`set_update` draws,
    :meth:`clear_update` hides; :attr:`shape` is what is drawn (None: nothing).
    """

    def __init__(self, font_px: int = 13):
        super().__init__()
        self.setZValue(Z_OVERLAY)
        self.shape: ExplainShape | None = None
        self._args = None
        halo = pg.mkPen(0, 0, 0, 170, width=6.0)
        bar_halo = pg.mkPen(0, 0, 0, 120, width=14.0, cap=QtCore.Qt.PenCapStyle.FlatCap)
        self.bars = {axis: (pg.PlotCurveItem(pen=bar_halo), pg.PlotCurveItem()) for axis in (0, 1)}
        self.arrows = {kind: (pg.PlotCurveItem(pen=halo), pg.PlotCurveItem()) for kind in ("gradient", "momentum",
                                                                                            "step")}
        for pair in (*self.bars.values(), *self.arrows.values()):
            for item in pair:
                item.setParentItem(self)
        self.marker = pg.ScatterPlotItem(size=14, pen=pg.mkPen(255, 255, 255, 230, width=2.0), brush=None)
        self.marker.setParentItem(self)
        font = math_font(font_px)
        self.labels = {}
        for key in ("gradient", "momentum", "step", 0, 1):
            color = COLORS["second_moment"] if key in (0, 1) else COLORS[key]
            label = pg.TextItem("", color=color, fill=pg.mkBrush(0, 0, 0, 175))
            label.setFont(font)
            label.setParentItem(self)
            self.labels[key] = label
        self.setVisible(False)

    def set_update(self, update: Update, index: int, view_range, view_pixels, language: str = "en") -> None:
        """Draw sub-step ``index`` of ``update`` (see :func:`explain_shape`)."""
        self._args = (update, index, language)
        shape = explain_shape(update, index, view_range, view_pixels, language)
        self.shape = shape
        drawn = {a.kind: a for a in shape.arrows}
        for kind, (halo, line) in self.arrows.items():
            a = drawn.get(kind)
            if a is None:
                self._hide((halo, line), kind)
                continue
            pts = np.array([a.start, a.end, a.head[0], a.head[1], a.head[1], a.head[2]])
            line.setPen(pg.mkPen(*COLORS[kind], 255, width=3.6 if a.current else 2.4))
            halo.setPen(pg.mkPen(0, 0, 0, 170, width=7.0 if a.current else 5.5))
            self._draw((halo, line), kind, a, pts, connect="pairs")
        bars = {b.axis: b for b in shape.bars}
        for axis, (halo, line) in self.bars.items():
            b = bars.get(axis)
            if b is None:
                self._hide((halo, line), axis)
                continue
            line.setPen(pg.mkPen(*COLORS["second_moment"], 210 if b.current else 160, width=10.0,
                                 cap=QtCore.Qt.PenCapStyle.FlatCap))
            pts = np.array([b.start, b.end])
            self._draw((halo, line), axis, b, pts)
        self.marker.setData([shape.origin[0]], [shape.origin[1]])
        self._separate_labels(view_range, view_pixels)
        self.setVisible(bool(np.all(np.isfinite(shape.origin))))

    def _draw(self, pair, key, element, pts: np.ndarray, **options) -> None:
        """Give both curves of a (halo, line) pair the points ``pts`` (pyqtgraph ``setData``
        ``options``) and show ``element``'s label (an arrow's or a bar's) as label ``key``."""
        for item in pair:
            item.setData(pts[:, 0], pts[:, 1], **options)
        self._place(self.labels[key], element.label, element.start, element.label_at)

    def _hide(self, pair, key) -> None:
        """Clear a (halo, line) pair of curves and hide the label ``key``: an arrow or a bar that
        this sub-step does not draw."""
        for item in pair:
            item.setData([], [])
        self.labels[key].setVisible(False)

    @staticmethod
    def _place(label: pg.TextItem, text: str, start, end) -> None:
        """The label just beyond the tip, on the side the arrow points to."""
        d = np.asarray(end, dtype=np.float64) - np.asarray(start, dtype=np.float64)
        n = float(np.hypot(*d)) or 1.0
        label.setText(text)
        label.setAnchor((0.5 - 0.5 * d[0] / n, 0.5 + 0.5 * d[1] / n))
        label.setPos(float(end[0]), float(end[1]))
        label.setVisible(True)

    def _separate_labels(self, view_range, view_pixels) -> None:
        """Move labels that would overlap an earlier one (arrows first, then bars) up or down, in pixels."""
        (x0, x1), (y0, y1) = view_range
        sx, sy = (x1 - x0) / float(view_pixels[0]), (y1 - y0) / float(view_pixels[1])
        placed: list[QtCore.QRectF] = []
        for key in ("gradient", "momentum", "step", 0, 1):
            label = self.labels[key]
            if not label.isVisibleTo(self):
                continue
            size = label.textItem.boundingRect()
            pos = label.pos()
            left = (pos.x() - x0) / sx - label.anchor[0] * size.width()
            top = (y1 - pos.y()) / sy - label.anchor[1] * size.height()
            home = QtCore.QRectF(left, top, size.width(), size.height())
            rect = home
            for k in range(9):  # where it belongs, else one, two, ... label heights below or above
                shift = (k + 1) // 2 * (size.height() + 3) * (1 if k % 2 else -1)
                rect = home.translated(0, shift)
                if not any(r.adjusted(-2, -2, 2, 2).intersects(rect) for r in placed):
                    break
            placed.append(rect)
            label.setPos(pos.x(), y1 - (rect.top() + label.anchor[1] * size.height()) * sy)

    def relayout(self, view_range, view_pixels) -> None:
        """The view changed: draw the same sub-step at the new view's scales."""
        if self._args is not None and self.isVisible():
            update, index, language = self._args
            self.set_update(update, index, view_range, view_pixels, language)

    def clear_update(self) -> None:
        """Draw nothing."""
        self.shape = None
        self._args = None
        self.setVisible(False)

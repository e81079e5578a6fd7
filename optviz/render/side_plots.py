"""Time-linked side plots: loss, per-parameter effective learning rate, bias correction.

:class:`SidePlots` owns up to four ``pg.PlotItem``s stacked in one column of the
scene's layout, all sharing the x axis (optimizer step) and each with a
vertical time cursor (``InfiniteLine``) that :meth:`SidePlots.set_step` moves:

* ``loss`` — per group: median and 10-90 % band across particles (clouds), or
  one line per particle (groups of at most 5);
* ``lr`` — two plots: the preconditioned LR (the optimizer's own per-parameter
  step size) and the realized LR ``|Δθ_i| / |g_i|``, medians per group,
  parameter x solid and y dashed, log scale;
* ``bias_correction`` — for Adam-family groups with bias correction on:
  ``1/(1-β1^t)`` solid and ``1/(1-β2^t)`` dashed, log scale.

Curves are computed once per :meth:`set_data`; moving the cursor costs one
item move per plot. The part of each plot after the cursor ("the future") is
veiled by a translucent rectangle, so an animation reads as curves growing
with time while axes stay fixed (no jitter). ``future="show"`` turns the veil
off.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["SidePlots", "group_quantiles", "bias_correction_factors", "ADAM_FAMILY"]

#: Optimizers whose update is divided by a bias-corrected second moment.
ADAM_FAMILY = {"adam", "adamw", "nadam", "radam"}

AXIS_WIDTH = 62
_CACHE = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache


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


def bias_correction_factors(steps: np.ndarray, beta1: float, beta2: float):
    """``1/(1-β1^t)`` and ``1/(1-β2^t)`` at optimizer steps ``t`` (step 0 -> NaN)."""
    t = np.asarray(steps, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c1 = 1.0 / (1.0 - beta1**t)
        c2 = 1.0 / (1.0 - beta2**t)
    c1[t <= 0] = np.nan
    c2[t <= 0] = np.nan
    return c1, c2


def _fmt_pow(v: float) -> str:
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)) + 1e-9)
    if -3 <= e <= 3:
        return f"{v:.{max(0, -e + 1)}f}".rstrip("0").rstrip(".") if "." in f"{v:.{max(0, -e + 1)}f}" else f"{v:.0f}"
    m = v / 10**e
    return f"{m:.0f}e{e}" if abs(m - round(m)) < 1e-6 else f"{m:.1f}e{e}"


def log_ticks(lo: float, hi: float):
    """Ticks for an axis showing log10 values in [lo, hi]: decades, plus 2 and 5 when
    fewer than two decades are visible; labels as plain numbers ("0.01", "1e-5")."""
    decades = list(range(math.ceil(lo), math.floor(hi) + 1))
    step = max(1, math.ceil(len(decades) / 5))
    major = [(float(d), _fmt_pow(10.0**d)) for d in decades[::step]]
    minor = []
    if len(decades) < 3:
        mults = (2, 5) if hi - lo > 0.8 else (1.5, 2, 3, 5, 7)
        for d in range(math.floor(lo), math.ceil(hi) + 1):
            for m in mults:
                v = d + math.log10(m)
                if lo <= v <= hi:
                    minor.append((v, _fmt_pow(m * 10.0**d)))
        major, minor = sorted(major + minor), []
    return [major, minor]


def _log10(a):
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(a)
    out[~np.isfinite(out)] = np.nan
    return out


def _range(arrays, log, pad=0.06):
    vals = [a[np.isfinite(a)] for a in arrays if a is not None and np.size(a)]
    vals = [v for v in vals if v.size]
    if not vals:
        return (0.0, 1.0)
    allv = np.concatenate(vals)
    lo, hi = float(allv.min()), float(allv.max())
    if hi - lo < (1e-6 if log else 1e-12) * max(1.0, abs(hi)):
        d = 0.5 if log else max(abs(hi) * 0.1, 1e-6)
        lo, hi = lo - d, hi + d
    d = (hi - lo) * pad
    return (lo - d, hi + d)


class _Band(QtWidgets.QGraphicsPathItem):
    """A filled band between two curves (NaN splits it)."""

    def __init__(self, x, lo, hi, color):
        super().__init__()
        path = QtGui.QPainterPath()
        ok = np.isfinite(lo) & np.isfinite(hi)
        # runs of finite values
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
        for a, b in zip(edges[0::2], edges[1::2], strict=False):
            xs = np.concatenate([x[a:b], x[a:b][::-1]])
            ys = np.concatenate([hi[a:b], lo[a:b][::-1]])
            poly = QtGui.QPolygonF([QtCore.QPointF(float(u), float(v)) for u, v in zip(xs, ys, strict=False)])
            path.addPolygon(poly)
            path.closeSubpath()
        self.setPath(path)
        self.setBrush(pg.mkBrush(*color, 55))
        self.setPen(pg.mkPen(None))


class SidePlots:
    """The side plot column. ``layout`` is a ``pg.GraphicsLayout``; plots go in column ``col``."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, theme: dict, font_px: int):
        self.layout = layout
        self.row0 = row
        self.col = col
        self.theme = theme
        self.font_px = font_px
        self.plots: dict[str, pg.PlotItem] = {}
        self.cursors: list[pg.InfiniteLine] = []
        self.veils: list[pg.PlotCurveItem] = []
        self.future = "fade"
        #: (low, high) of the landscape in view; linear loss plots are clipped to it
        self.loss_clip = None
        self._xmax = 1.0
        self._yranges: dict[str, tuple[float, float]] = {}

    # --- building ---------------------------------------------------------------
    def clear(self) -> None:
        for p in self.plots.values():
            self.layout.removeItem(p)
            p.deleteLater() if hasattr(p, "deleteLater") else None
        self.plots = {}
        self.cursors = []
        self.veils = []

    def _new_plot(self, key: str, title: str, log: bool, row: int, last: bool) -> pg.PlotItem:
        fg = self.theme["foreground"]
        p = pg.PlotItem()
        p.setMenuEnabled(False)
        p.hideButtons()
        p.setMouseEnabled(x=False, y=False)
        p.setTitle(title, color=fg, size=f"{self.font_px}px")
        font = QtGui.QFont()
        font.setPixelSize(max(self.font_px - 2, 8))
        for name in ("left", "bottom"):
            ax = p.getAxis(name)
            ax.setPen(pg.mkPen(self.theme["muted"]))
            ax.setTextPen(pg.mkPen(fg))
            ax.setStyle(tickFont=font, tickTextOffset=3)
        p.getAxis("left").setWidth(AXIS_WIDTH)
        p.showGrid(x=True, y=True, alpha=0.15)
        bottom = p.getAxis("bottom")
        if last:
            p.setLabel("bottom", "step", color=fg, size=f"{max(self.font_px - 2, 8)}px")
            bottom.setHeight(int(self.font_px * 2.6))
        else:
            bottom.setStyle(showValues=False)
            bottom.setHeight(6)
        p.layout.setContentsMargins(0, 0, 0, 0)
        self.layout.addItem(p, row=row, col=self.col)
        cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg, width=1.2))
        cursor.setZValue(100)
        p.addItem(cursor, ignoreBounds=True)
        # the veil over "the future": a filled pyqtgraph curve (exports to SVG without clipping
        # problems), kept inside the plot's view rectangle
        c = QtGui.QColor(self.theme["background"])
        c.setAlpha(165)
        veil = pg.PlotCurveItem(pen=None, brush=pg.mkBrush(c), fillLevel=0.0)
        veil.setZValue(90)
        p.addItem(veil, ignoreBounds=True)
        self.plots[key] = p
        self.cursors.append(cursor)
        self.veils.append(veil)
        return p

    def build(self, names, data) -> None:
        """Create the plots ``names`` (subset of loss, lr, bias_correction) from ``data``.

        ``data``: dict with ``steps`` (F,), ``loss`` (F, N), ``lr_pre`` and
        ``lr_real`` (F, N, 2), ``group`` (N,), ``colors``, ``labels``, and
        ``betas``: per group (beta1, beta2, bias_correction_on) or None.
        """
        self.clear()
        steps = np.asarray(data["steps"], dtype=np.float64)
        group = np.asarray(data["group"])
        colors = data["colors"]
        ng = len(colors)
        self._xmax = float(max(steps[-1], 1.0)) if len(steps) else 1.0
        self._group_items: list[list] = [[] for _ in range(ng)]
        specs = []
        if "loss" in names:
            specs.append("loss")
        if "lr" in names:
            specs += ["lr_pre", "lr_real"]
        betas = data.get("betas") or [None] * ng
        if "bias_correction" in names and any(b is not None for b in betas):
            specs.append("bias")
        counts = np.bincount(group, minlength=ng) if len(group) else np.zeros(ng, int)
        for i, key in enumerate(specs):
            last = i == len(specs) - 1
            row = self.row0 + i
            if key == "loss":
                self._build_loss(steps, data["loss"], group, counts, colors, row, last)
            elif key == "lr_pre":
                self._build_lr("lr_pre", "effective LR, preconditioned   (— x,  ‐ ‐ y)",
                               steps, data["lr_pre"], group, colors, row, last)
            elif key == "lr_real":
                self._build_lr("lr_real", "effective LR, realized |Δθ|/|g|   (— x,  ‐ ‐ y)",
                               steps, data["lr_real"], group, colors, row, last)
            elif key == "bias":
                self._build_bias(steps, betas, colors, row, last)
        first = None
        for p in self.plots.values():
            p.setXRange(0, self._xmax, padding=0.02)
            if first is None:
                first = p
            else:
                p.setXLink(first)

    def _build_loss(self, steps, loss, group, counts, colors, row, last):
        loss = np.asarray(loss, dtype=np.float64)
        finite = loss[np.isfinite(loss)]
        log = bool(finite.size) and finite.min() > 0 and finite.max() / max(finite.min(), 1e-300) > 50
        cloud = any(c > 5 for c in counts)
        title = "loss (median, 10–90 %)" if cloud else "loss"
        p = self._new_plot("loss", title + (", log scale" if log else ""), log, row, last)
        tf = _log10 if log else (lambda a: a)
        arrays = []
        q = group_quantiles(loss, group, len(colors)) if cloud else None
        for g, c in enumerate(colors):
            if counts[g] == 0:
                continue
            if counts[g] <= 5:
                for k in np.flatnonzero(group == g):
                    y = tf(loss[:, k])
                    arrays.append(y)
                    self._add_curve(p, g, steps, y, c)
            else:
                lo, med, hi = (tf(q[g, i]) for i in range(3))
                arrays += [lo, hi]
                band = _Band(steps, lo, hi, c)
                band.setZValue(-5)
                band.setCacheMode(_CACHE)
                p.addItem(band, ignoreBounds=True)
                self._group_items[g].append(band)
                self._add_curve(p, g, steps, med, c)
        clip = self.loss_clip if not log else None
        self._set_yrange(p, "loss", arrays, log, clip=clip)

    def _build_lr(self, key, title, steps, lr, group, colors, row, last):
        lr = np.asarray(lr, dtype=np.float64)
        p = self._new_plot(key, title + ", log scale", True, row, last)
        arrays = []
        for axis, style in ((0, QtCore.Qt.PenStyle.SolidLine), (1, QtCore.Qt.PenStyle.DashLine)):
            q = group_quantiles(lr[:, :, axis], group, len(colors), qs=(0.5,))
            for g, c in enumerate(colors):
                y = _log10(q[g, 0])
                if not np.isfinite(y).any():
                    continue
                arrays.append(y)
                self._add_curve(p, g, steps, y, c, style=style)
        self._set_yrange(p, key, arrays, True)

    def _build_bias(self, steps, betas, colors, row, last):
        p = self._new_plot("bias", "Adam bias correction  (— 1/(1−β₁ᵗ),  ‐ ‐ 1/(1−β₂ᵗ)), log scale",
                           True, row, last)
        arrays = []
        seen = set()
        for g, c in enumerate(colors):
            b = betas[g]
            if b is None:
                continue
            b1, b2, corrected = b
            c1, c2 = bias_correction_factors(steps, b1, b2)
            if not corrected:  # bias_correction = false: the factors are 1
                c1 = np.where(np.isfinite(c1), 1.0, np.nan)
                c2 = np.where(np.isfinite(c2), 1.0, np.nan)
            key = (b, tuple(c))
            if key in seen:
                continue
            seen.add(key)
            y1, y2 = _log10(c1), _log10(c2)
            arrays += [y1, y2]
            self._add_curve(p, g, steps, y1, c)
            self._add_curve(p, g, steps, y2, c, style=QtCore.Qt.PenStyle.DashLine)
        self._set_yrange(p, "bias", arrays, True)

    def _add_curve(self, p, g, x, y, color, style=QtCore.Qt.PenStyle.SolidLine):
        pen = pg.mkPen(*color, 255, width=1.6, style=style)
        curve = pg.PlotCurveItem(x, y, pen=pen, connect="finite", antialias=True)
        curve.setCacheMode(_CACHE)  # static: only the cursor and the veil move
        p.addItem(curve)
        self._group_items[g].append(curve)
        return curve

    def _set_yrange(self, p, key, arrays, log, clip=None):
        lo, hi = _range(arrays, log)
        if clip is not None and all(map(math.isfinite, clip)) and clip[1] > clip[0]:
            # a run-away particle (e.g. down an unbounded saddle) must not squash the plot
            span = clip[1] - clip[0]
            lo = max(lo, clip[0] - 0.1 * span)
            hi = min(hi, clip[1] + 0.1 * span)
            if not hi > lo:
                lo, hi = clip[0] - 0.1 * span, clip[1] + 0.1 * span
        self._yranges[key] = (lo, hi)
        # keep every curve within a few plot heights: huge off-plot values would make
        # Qt's item cache ask for an enormous pixmap
        span = hi - lo
        for item in p.items:
            if isinstance(item, pg.PlotCurveItem) and item.yData is not None and len(item.yData):
                y = np.clip(item.yData, lo - 2 * span, hi + 2 * span)
                item.setData(item.xData, y, connect="finite")
        p.setYRange(lo, hi, padding=0)
        p.enableAutoRange(False)
        if log:
            p.getAxis("left").setTicks(log_ticks(lo, hi))

    # --- live updates ----------------------------------------------------------
    def set_step(self, step: float) -> None:
        """Move the time cursor (and the veil over the future) to optimizer step ``step``."""
        for cursor in self.cursors:
            cursor.setValue(step)
        show = self.future == "fade"
        for (key, p), veil in zip(self.plots.items(), self.veils, strict=True):
            lo, hi = self._yranges.get(key, (0.0, 1.0))
            (x0v, x1v), _ = p.getViewBox().viewRange()
            if show and step < x1v:
                veil.setFillLevel(lo)
                veil.setData(np.array([max(step, x0v), x1v]), np.array([hi, hi]), skipFiniteCheck=True)
                veil.setVisible(True)
            else:
                veil.setVisible(False)

    def set_visible_groups(self, groups) -> None:
        for g, items in enumerate(getattr(self, "_group_items", [])):
            vis = groups is None or g in groups
            for it in items:
                it.setVisible(vis)

    @property
    def names(self) -> list[str]:
        return list(self.plots)


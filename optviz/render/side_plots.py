"""Time-linked side plots: loss, sharpness, per-parameter effective learning rate, the
learning-rate schedule, bias correction, weight decay.

:class:`SidePlots` owns up to four ``pg.PlotItem``s stacked in one column of the
scene's layout, all sharing the x axis (optimizer step) and each with a
vertical time cursor (``InfiniteLine``) that :meth:`SidePlots.set_step` moves:

* ``loss`` — per group: median and 10-90 % band across particles (clouds), or
  one line per particle (groups of at most 5);
* ``converged`` — the race: per group, the percentage of its particles within eps at each
  step (solid: |f - f(m)| < eps for the nearest known minimum m, else |∇f| < eps; the
  definitions of optviz.core.race and of maps, on an even sample of at most 2,000 particles
  a group) and the percentage diverged by then (dashed, for groups that lose any); eps is
  the experiment's (``[run] eps``, else ``[map] eps``, else 1e-6);
* ``lr`` — two plots: the preconditioned LR (the optimizer's own per-parameter
  step size) and the realized LR ``|Δθ_i| / |g_i|``, medians per group,
  parameter x solid and y dashed, log scale;
* ``sharpness`` — per group, the median over its particles (an even sample of at most
  2,000) of the largest Hessian eigenvalue at each frame, or for adaptive optimizers the
  preconditioned sharpness (``optviz.core.curvature``; P = lr_t / the recorded
  preconditioned LR, as ``optviz run --curvature`` derives it), log scale, with the
  group's stability threshold threshold(lr_t) dashed in its colour and a legend naming
  both ("Adam: preconditioned sharpness vs (2 + 2β1)/((1 - β1) lr)"); NAdam and Lion
  have no threshold (no line); a swept group (hyperparameters per particle) is not
  drawn. NaN (no Hessian there, a diverged particle, an adaptive method's step 0) and
  values <= 0 leave gaps. Each frame's medians are computed once and kept (per step,
  for the same landscape, groups and particle sample), so a run growing in the window
  costs only its new frames;
* ``schedule`` — each group's learning rate lr_t at every recorded step
  (``learning_rates`` of its resolved schedule; a swept lr: the median over its cells,
  exact as every schedule is affine in lr with a non-negative slope), log scale, shown
  when some group's schedule is not constant;
* ``bias_correction`` — each group's own step-dependent factors, as its optimizer's
  spec gives them (Adam: ``1/(1-β1^t)`` and ``1/(1-β2^t)``; NAdam: μ_t and
  ``1/(1-β2^t)``; RAdam: ``1/(1-β1^t)`` and r_t from the step it acts; Adamax:
  ``1/(1-β1^t)``), a legend naming each, log scale;
* ``weight_decay`` — per group with weight decay, the median over its particles of
  the change of θ per step that the decay alone causes (the spec's
  ``decay_per_step``: L2 scaled by the preconditioned LR, decoupled by lr_t),
  parameter x solid and y dashed, log scale.

Curves are computed once per :meth:`SidePlots.build`; building again with
the same plots and groups updates the curves in place (no new items).

Time: the curves end at the cursor (:meth:`SidePlots.set_step`): nothing after
the cursor's step is drawn, so an animation reads as curves growing with time
while the axes stay fixed (ranges are those of the whole data: no jitter).
``future="ghost"`` adds the whole curves as faint lines behind them (off by
default: it gives a race away).

Step axis (:attr:`SidePlots.step_axis`, ``[render] step_axis``): "linear" (default)
or "log" (log10 of the step, for stories that happen in the first steps, such as
AdaGrad's vanishing rate); a log axis cannot show step 0, so it and every curve
start at step 1.

Speed: every curve drawn is decimated to at most ``max_points`` points (a
min/max pair per bin of a fixed grid of the recorded frames, about two per
pixel column, and always the cursor's frame), so moving the cursor or
redrawing costs the same at step 10,000 as at step 10. Each curve is two items: a
settled part, replaced only when the cursor crosses a block of bins (about every
16 frames or more), and a short tail replaced on every move, so the settled
parts are blitted from Qt's item cache and a frame's work does not grow with the
history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.core.optimizers import DECAY_TEXT, OptimizerSpec
from optviz.core.schedules import learning_rates
from optviz.core.statistics import group_quantiles
from optviz.experiment.vocabulary import FUTURE_MODES
from optviz.render.options import STEP_AXES
from optviz.render.texts import check_language, localize, localize_format

__all__ = ["SidePlots", "GroupOptimizer", "loss_floor", "LOSS_DECADES", "group_quantiles", "FUTURE_MODES",
           "decimation_index", "decimation_split", "settled_frames", "STEP_AXES"]

#: What the side plots show after the cursor: nothing, or the whole curves as faint ghosts.

AXIS_WIDTH = 62
_CACHE = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache


@dataclass(frozen=True)
class GroupOptimizer:
    """A group's optimizer as the side plots ask it: its spec, resolved hyperparameters and
    resolved learning-rate schedule (one value each: a swept group has none)."""

    spec: OptimizerSpec
    hyper: dict
    schedule: dict


#: Line styles of a group's curves in a plot, in order (first factor solid, second dashed, ...).
_STYLES = (QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenStyle.DashLine, QtCore.Qt.PenStyle.DotLine)
#: Particles per group whose weight-decay term is computed (an even sample of larger groups).
_DECAY_SAMPLE = 2000
#: Particles per group whose sharpness is computed (an even sample of larger groups).
_SHARPNESS_SAMPLE = 2000


def _root(a):
    """The array that owns ``a``'s memory (``a`` itself when it owns it, or is no view)."""
    while isinstance(getattr(a, "base", None), np.ndarray):
        a = a.base
    return a


def _even_sample(idx: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of ``idx``, evenly spaced (the same ones on every call)."""
    if len(idx) <= limit:
        return idx
    return idx[np.linspace(0, len(idx) - 1, limit).round().astype(np.int64)]


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


#: A log loss plot spans at most this many decades below its top (see :func:`loss_floor`).
LOSS_DECADES = 12.0


def loss_floor(curves, decades: float = LOSS_DECADES) -> float | None:
    """The lower end (log10) of a log loss plot that keeps every curve readable: half a
    decade below the lowest of each curve's 10th percentile over time and its last value,
    and at most ``decades`` below the highest value. A curve's brief plunge (a lucky step
    of a sign method to 1e-26) or one run converging to 1e-28 then runs off the bottom
    instead of squashing everyone else's curves into the top of the plot; every curve's
    value at the end stays in view unless it lies more than ``decades`` below the top.
    ``curves``: log10 loss per frame, NaN where undefined. None without finite values."""
    lows, top = [], -math.inf
    for y in curves:
        y = np.asarray(y, dtype=np.float64)
        finite = y[np.isfinite(y)]
        if not finite.size:
            continue
        lows.append(min(float(np.percentile(finite, 10)), float(finite[-1])))
        top = max(top, float(finite.max()))
    if not lows:
        return None
    return max(min(lows) - 0.5, top - decades)


def _range(arrays, log, pad=0.06, robust=False):
    vals = [a[np.isfinite(a)] for a in arrays if a is not None and np.size(a)]
    vals = [v for v in vals if v.size]
    if not vals:
        return (0.0, 1.0)
    allv = np.concatenate(vals)
    lo, hi = float(allv.min()), float(allv.max())
    if robust and allv.size >= 8:
        # isolated spikes (e.g. a realized LR of 1e7 where |g| ~ 0) must not flatten the
        # plot: the range ends a few interquartile ranges (at least one decade on a log
        # axis) beyond the quartiles; a real trend widens the quartiles and stays in view
        q25, q75 = np.percentile(allv, (25, 75))
        fence = max(3.0 * (q75 - q25), 1.0 if log else 0.0)
        if fence > 0:
            lo = max(lo, float(q25 - fence))
            hi = min(hi, float(q75 + fence))
    if hi - lo < (1e-6 if log else 1e-12) * max(1.0, abs(hi)):
        d = 0.5 if log else max(abs(hi) * 0.1, 1e-6)
        lo, hi = lo - d, hi + d
    d = (hi - lo) * pad
    return (lo - d, hi + d)


def _bin_width(total: int, bins: int) -> int:
    """Frames per bin of the decimation grid of a series of ``total`` frames (1: every frame)."""
    return 1 if total <= 2 * bins + 1 else -(-total // bins)


def _extrema(y, lo, a: int, b: int, width: int) -> np.ndarray:
    """Indices of the minimum (of ``lo`` when given) and maximum of ``y`` in every bin of
    ``width`` frames of ``[a, b)`` (``a`` on the grid; the last bin may be partial)."""
    if b <= a:
        return np.zeros(0, dtype=np.int64)
    if width == 1:
        return np.arange(a, b, dtype=np.int64)
    full = a + ((b - a) // width) * width
    out = []
    if full > a:
        hi_v = np.asarray(y[a:full], dtype=np.float64).reshape(-1, width)
        lo_v = hi_v if lo is None else np.asarray(lo[a:full], dtype=np.float64).reshape(-1, width)
        base = np.arange(a, full, width)
        out += [np.argmin(np.where(np.isnan(lo_v), np.inf, lo_v), axis=1) + base,
                np.argmax(np.where(np.isnan(hi_v), -np.inf, hi_v), axis=1) + base]
    if b > full:  # a partial bin: its minimum and maximum so far
        t_hi = np.asarray(y[full:b], dtype=np.float64)
        t_lo = t_hi if lo is None else np.asarray(lo[full:b], dtype=np.float64)
        out.append(np.array([full + np.argmin(np.where(np.isnan(t_lo), np.inf, t_lo)),
                             full + np.argmax(np.where(np.isnan(t_hi), -np.inf, t_hi))]))
    return np.concatenate(out).astype(np.int64)


def decimation_index(y: np.ndarray, n: int, bins: int, lo: np.ndarray | None = None) -> np.ndarray:
    """Indices (ascending) of at most ``2 * bins + 1`` of the first ``n`` points of ``y``
    that keep its shape: per bin of a grid fixed by ``len(y)`` (so the kept points do not
    change as ``n`` grows), the minimum and the maximum, and always point ``n - 1``.
    With ``lo``, the minimum is taken of ``lo`` (a band: low and high edges)."""
    n = int(min(max(n, 0), len(y)))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    width = _bin_width(len(y), bins)
    return np.unique(np.concatenate([_extrema(y, lo, 0, n, width), [n - 1]]))


def settled_frames(total: int, n: int, bins: int, block: int = 16) -> int:
    """Where the settled part of a curve of ``total`` frames drawn up to ``n`` ends: a
    multiple of whole bins (at least ``block`` frames) at or before ``n - 1``, so it only
    moves when the cursor crosses such a boundary."""
    width = _bin_width(total, bins)
    chunk = width * max(1, -(-block // width))
    return max(0, ((int(n) - 1) // chunk) * chunk)


def decimation_split(y: np.ndarray, n: int, bins: int, lo: np.ndarray | None = None,
                     block: int = 16, settled: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`decimation_index` in two parts: the settled indices (whole bins before
    :func:`settled_frames`, which change only when the cursor crosses a block) and the
    tail (the rest, starting with the settled part's last index so the line is unbroken).
    Their union is ``decimation_index(y, n, bins, lo)``. ``settled``: the settled indices
    of an earlier call with the same settled end, reused (the tail costs O(block))."""
    n = int(min(max(n, 0), len(y)))
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    width = _bin_width(len(y), bins)
    s = settled_frames(len(y), n, bins, block)
    if settled is None:
        settled = np.unique(_extrema(y, lo, 0, s, width))
    tail = np.unique(np.concatenate([_extrema(y, lo, s, n, width), [n - 1]]))
    if len(settled):
        tail = np.concatenate([settled[-1:], tail])
    return settled, tail


class _Band(QtWidgets.QGraphicsPathItem):
    """A filled band between two curves (NaN splits it)."""

    def __init__(self, color):
        super().__init__()
        self.x = self.lo = self.hi = np.zeros(0)
        self.setBrush(pg.mkBrush(*color, 55))
        self.setPen(pg.mkPen(None))

    def set_data(self, x, lo, hi) -> None:
        x = np.asarray(x, dtype=np.float64)
        lo = np.asarray(lo, dtype=np.float64)
        hi = np.asarray(hi, dtype=np.float64)
        self.x, self.lo, self.hi = x, lo, hi
        ok = np.isfinite(x) & np.isfinite(lo) & np.isfinite(hi)
        # runs of finite values, each one polygon (hi forwards, lo backwards), built by one
        # vectorized call; a fill closes every subpath
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
        xs, ys, conn = [], [], []
        for a, b in zip(edges[0::2], edges[1::2], strict=False):
            xs += [x[a:b], x[a:b][::-1]]
            ys += [hi[a:b], lo[a:b][::-1]]
            c = np.ones(2 * (b - a), dtype=bool)
            c[-1] = False
            conn.append(c)
        if xs:
            path = pg.arrayToQPath(np.concatenate(xs), np.concatenate(ys), connect=np.concatenate(conn))
        else:
            path = QtGui.QPainterPath()
        self.setPath(path)


def _same_prefix(drawn: dict, old: dict, n: int) -> bool:
    """Whether every curve and band of ``drawn`` equals ``old``'s over the first ``n`` frames."""
    if drawn.keys() != old.keys():
        return False
    for key, d in drawn.items():
        o = old[key]
        new_arrays = d["curves"] + [a for pair in d["bands"] for a in pair]
        old_arrays = o["curves"] + [a for pair in o["bands"] for a in pair]
        if len(new_arrays) != len(old_arrays) or not all(
                len(a) >= n and len(b) >= n and np.array_equal(a[:n], b[:n], equal_nan=True)
                for a, b in zip(new_arrays, old_arrays, strict=True)):
            return False
    return True


def _set_curve(curve: pg.PlotCurveItem, x: np.ndarray, y: np.ndarray) -> None:
    """Replace a curve's points; NaN splits it (the faster unsplit path when there is none)."""
    connect = "all" if np.isfinite(y).all() and np.isfinite(x).all() else "finite"
    curve.setData(x, y, connect=connect, skipFiniteCheck=True)


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
        self._future = "hide"
        #: at most about this many points per drawn curve (a min/max pair per bin, about a bin per pixel column)
        self.max_points = 600
        self._step = math.inf  # the cursor's optimizer step
        self._cut = -1  # frames drawn (those at or before the cursor)
        self._settled = -1  # frames in the settled part of each curve (see settled_frames)
        self._heads: dict = {}  # the settled part's indices per curve and band
        self._steps = np.zeros(0)
        self._x = np.zeros(0)  # the x coordinate of each frame (its step, or log10 of it)
        self._drawn: dict[str, dict] = {}  # per plot: full (clipped) arrays of its curves and bands
        self._visible = None  # visible groups (None: all)
        self._ghost_ids: set[int] = set()
        #: (low, high) of the landscape in view; linear loss plots are clipped to it
        self.loss_clip = None
        self._xmax = 1.0
        self._yranges: dict[str, tuple[float, float]] = {}
        self._ticks: dict[str, list] = {}
        self._titles: dict[str, str] = {}
        self._struct = None  # what the current items show (plots, curves per group, colours)
        #: live use: the x axis runs this factor past the newest step and grows in jumps, and
        #: the y range only changes when the data leave it or shrink well inside it, so a
        #: playing run does not re-layout the axes on every update (None: exact ranges)
        self.x_headroom: float | None = None
        self._step_axis = "linear"
        self.y_hysteresis = False
        self._xr = None
        self._items: dict[str, dict] = {}
        self._group_items: list[list] = []
        #: per-frame sharpness medians kept between builds (see _sharpness_medians)
        self._sharpness_cache: dict | None = None
        #: the language of titles, axis labels and legends ("en" or "zh"; see optviz.render.texts)
        self.language = "en"

    def set_language(self, code: str) -> None:
        """Titles, the step axis and legends in ``code`` ("en" or "zh"): the axis at once, titles and
        legends at the next :meth:`build`."""
        self.language = check_language(code)
        if self.plots:
            last = list(self.plots.values())[-1]
            last.setLabel("bottom", self._x_label(), color=self.theme["foreground"],
                          size=f"{max(self.font_px - 2, 8)}px")

    def _t(self, text: str, **values) -> str:
        """``text`` in the plots' language, its placeholders filled."""
        return localize_format(text, self.language, **values) if values else localize(text, self.language)

    def _log_title(self, text: str) -> str:
        return self._t("{title}, log scale", title=self._t(text))

    # --- building ---------------------------------------------------------------
    def clear(self) -> None:
        for p in self.plots.values():
            self.layout.removeItem(p)
            p.deleteLater() if hasattr(p, "deleteLater") else None
        self.plots = {}
        self.cursors = []
        self._items = {}
        self._drawn = {}
        self._cut = -1
        self._settled = -1
        self._group_items = []
        self._yranges = {}
        self._ticks = {}
        self._titles = {}
        self._struct = None
        self._xr = None

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
        for name in ("left", "bottom"):  # no "(x1e3)" labels, re-typeset on every range change
            p.getAxis(name).enableAutoSIPrefix(False)
        p.showGrid(x=True, y=True, alpha=0.15)
        bottom = p.getAxis("bottom")
        if last:
            p.setLabel("bottom", self._x_label(), color=fg, size=f"{max(self.font_px - 2, 8)}px")
            bottom.setHeight(int(self.font_px * 2.6))
        else:
            bottom.setStyle(showValues=False)
            bottom.setHeight(6)
        p.layout.setContentsMargins(0, 0, 0, 0)
        p.enableAutoRange(False)
        self.layout.addItem(p, row=row, col=self.col)
        cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg, width=1.2))
        cursor.setZValue(100)
        p.addItem(cursor, ignoreBounds=True)
        self.plots[key] = p
        self.cursors.append(cursor)
        return p

    def build(self, names, data) -> None:
        """Show the plots ``names`` (subset of ``SIDE_PLOTS``) for ``data``.

        ``data``: dict with ``steps`` (F,), ``loss`` (F, N), ``lr_pre`` and
        ``lr_real`` (F, N, 2), ``group`` (N,), ``colors``, ``labels``,
        ``optimizers``: per group a :class:`GroupOptimizer` or None, and ``positions``
        (F, N, 2) or None (the weight-decay and sharpness plots need them).
        The sharpness plot also needs ``surface`` (the landscape: a
        ``optviz.core.surface.Surface``), the schedule plot ``schedules``: per group
        (lr, resolved schedule) or None, lr the median of a swept one.
        Optional ``stats``: per-frame group statistics computed elsewhere (the
        app keeps them incrementally), a dict of ``loss_q`` (G, 3, F: 10 %, 50 %,
        90 % quantiles), ``lr_pre`` and ``lr_real`` (G, 2, F: medians of x, y);
        without it they are computed here (:func:`group_quantiles`).

        Called again with the same plots, groups and colours, it only replaces the
        curves' data (no items are created): cheap enough to call a few times per
        second while a run plays.
        """
        steps = np.asarray(data["steps"], dtype=np.float64)
        group = np.asarray(data["group"])
        colors = [tuple(c) for c in data["colors"]]
        ng = len(colors)
        stats = data.get("stats")
        if stats is not None and any(np.shape(v)[0] < ng or np.shape(v)[-1] != len(steps) for v in stats.values()):
            stats = None
        self._xmax = float(max(steps[-1], 1.0)) if len(steps) else 1.0
        specs = []
        optimizers = list(data.get("optimizers") or ()) + [None] * ng
        schedules = list(data.get("schedules") or ()) + [None] * ng
        if "loss" in names:
            specs.append("loss")
        if "converged" in names:
            specs.append("converged")
        if "sharpness" in names and data.get("surface") is not None and data.get("positions") is not None \
                and any(o is not None and np.any(group == g) for g, o in enumerate(optimizers[:ng])):
            specs.append("sharpness")
        if "lr" in names:
            specs += ["lr_pre", "lr_real"]
        if "schedule" in names and any(s is not None and s[1]["kind"] != "constant" for s in schedules[:ng]):
            specs.append("schedule")
        if "bias_correction" in names and any(o is not None and o.spec.factors for o in optimizers[:ng]):
            specs.append("bias")
        if "weight_decay" in names and data.get("positions") is not None and any(
                o is not None and o.spec.weight_decay_mode(o.hyper) for o in optimizers[:ng]):
            specs.append("weight_decay")
        counts = np.bincount(group, minlength=ng) if len(group) else np.zeros(ng, int)
        # series per plot: title, log, curves [(group, style, y)], bands [(group, lo, hi)]
        series = {}
        for key in specs:
            if key == "loss":
                series[key] = self._loss_series(steps, data["loss"], group, counts, colors, stats)
            elif key == "converged":
                series[key] = self._converged_series(data, group, ng)
            elif key in ("lr_pre", "lr_real"):
                title = self._log_title("effective LR, preconditioned   (— x,  ‐ ‐ y)" if key == "lr_pre"
                                        else "effective LR, realized |Δθ|/|g|   (— x,  ‐ ‐ y)")
                med = None if stats is None else stats.get(key)
                series[key] = self._lr_series(title, data[key], group, colors, med)
            elif key == "bias":
                series[key] = self._factor_series(steps, optimizers, data.get("labels"), ng)
            elif key == "sharpness":
                series[key] = self._sharpness_series(steps, data, group, optimizers, ng)
            elif key == "schedule":
                series[key] = self._schedule_series(steps, schedules, data.get("labels"), ng)
            else:
                series[key] = self._decay_series(steps, data["positions"], data["lr_pre"], group, optimizers,
                                                 data.get("labels"), ng)
        struct = (tuple(colors), tuple(
            (k, tuple((g, st) for g, st, _ in s["curves"]), tuple(g for g, _, _ in s["bands"]),
             tuple(s.get("legend", ())))
            for k, s in series.items()))
        old_steps, old_ranges, same_items = self._steps, dict(self._yranges), struct == self._struct
        old_drawn = dict(self._drawn)
        if not same_items:
            self._create(series, colors)
            self._struct = struct
        for key, s in series.items():
            p = self.plots[key]
            if self._titles.get(key) != s["title"]:  # e.g. the loss turning to a log scale
                self._titles[key] = s["title"]
                p.setTitle(s["title"], color=self.theme["foreground"], size=f"{self.font_px}px")
            arrays = [y for _g, _st, y in s["curves"]] + [a for _g, lo, hi in s["bands"] for a in (lo, hi)]
            lo, hi = self._set_yrange(p, key, arrays, s["log"], clip=s.get("clip"), robust=s.get("robust", False),
                                      floor=s.get("floor"), headroom=s.get("headroom", 0.0), fixed=s.get("fixed"))
            # keep every curve within a few plot heights: huge off-plot values would make
            # Qt's item cache ask for an enormous pixmap
            a, b = lo - 2 * (hi - lo), hi + 2 * (hi - lo)
            self._drawn[key] = {
                "curves": [np.clip(np.asarray(y, dtype=np.float64), a, b) for _g, _st, y in s["curves"]],
                "bands": [(np.clip(np.asarray(blo, dtype=np.float64), a, b),
                           np.clip(np.asarray(bhi, dtype=np.float64), a, b)) for _g, blo, bhi in s["bands"]],
            }
        for key, s in series.items():
            if s.get("legend"):
                self._place_legend(key, steps)
        # live use rebuilds a few times per second with frames appended: the settled parts
        # still show what they would be redrawn with when the items, the y ranges, the bin
        # grid and the settled frames' steps and values are unchanged
        s_end = self._settled
        keep = (same_items and s_end > 0 and self._yranges == old_ranges and len(steps) >= s_end
                and _bin_width(len(steps), self._bins()) == _bin_width(len(old_steps), self._bins())
                and np.array_equal(steps[:s_end], old_steps[:s_end])
                and _same_prefix(self._drawn, old_drawn, s_end))
        self._steps = steps
        self._x = self._to_x(steps)
        self._cut = -1
        if not keep:
            self._settled = -1
        self._draw_ghosts()
        self._draw_until_cursor()
        xr = self._xmax
        if self.x_headroom:
            xr = self._xr
            if xr is None or self._xmax > xr or self._xmax < xr / self.x_headroom ** 2:
                xr = max(self._xmax * self.x_headroom, 20.0)
        if xr != self._xr and self.plots:
            self._xr = xr
            self._apply_xrange()

    def _apply_xrange(self) -> None:
        """The shared x range (0 to ``_xr``; from step 1 on a log axis) and its ticks."""
        first = next(iter(self.plots.values()))  # the others are linked
        if self._step_axis == "log":
            hi = math.log10(max(self._xr, 10.0))
            first.setXRange(0.0, hi, padding=0.02)
            ticks = log_ticks(0.0, hi)
        else:
            first.setXRange(0, self._xr, padding=0.02)
            ticks = None
        for p in self.plots.values():
            p.getAxis("bottom").setTicks(ticks)

    def _create(self, series, colors) -> None:
        """(Re)create the items for ``series``: the plots themselves only when the set of
        plots changed (a ``PlotItem`` costs tens of ms), else just their curves and bands."""
        keys = list(series)
        if keys == list(self.plots):
            for key, items in self._items.items():
                p = self.plots[key]
                for it in items["curves"] + items["bands"] + items["ghosts"] + items["tails"] \
                        + items["band_tails"]:
                    p.removeItem(it)
            reuse = True
        else:
            self.clear()
            reuse = False
        ng = len(colors)
        self._group_items = [[] for _ in range(ng)]
        self._ghost_ids: set[int] = set()
        self._items = {}
        for i, key in enumerate(keys):
            s = series[key]
            if reuse:
                p = self.plots[key]
            else:
                p = self._new_plot(key, s["title"], s["log"], self.row0 + i, i == len(keys) - 1)
                self._titles[key] = s["title"]
            curves, bands, ghosts, tails, band_tails = [], [], [], [], []
            for g, _lo, _hi in s["bands"]:
                for out in (bands, band_tails):  # settled part (cached) and tail (changes every frame)
                    band = _Band(colors[g])
                    band.setZValue(-5)
                    if out is bands:
                        band.setCacheMode(_CACHE)
                    p.addItem(band, ignoreBounds=True)
                    self._group_items[g].append(band)
                    out.append(band)
            for g, style, _y in s["curves"]:
                pen = pg.mkPen(*colors[g], 255, width=1.0, style=style)  # wider: Qt strokes 10x slower
                for out in (curves, tails):
                    # the settled part is static between bin crossings (its cache is blitted);
                    # only the short tail, the cursor and the veil change from frame to frame
                    curve = pg.PlotCurveItem(pen=pen, connect="finite", antialias=True)
                    if out is curves:
                        curve.setCacheMode(_CACHE)
                    p.addItem(curve)
                    self._group_items[g].append(curve)
                    out.append(curve)
                ghost = pg.PlotCurveItem(pen=pg.mkPen(*colors[g], 70, width=1.0, style=style),
                                         connect="finite", antialias=True)
                ghost.setZValue(-6)
                ghost.setCacheMode(_CACHE)
                ghost.setVisible(self._future == "ghost")
                p.addItem(ghost, ignoreBounds=True)
                self._group_items[g].append(ghost)
                self._ghost_ids.add(id(ghost))
                ghosts.append(ghost)
            self._items[key] = {"curves": curves, "bands": bands, "ghosts": ghosts, "tails": tails,
                                "band_tails": band_tails}
            self._set_legend(p, [(curves[i], text) for i, text in s.get("legend", ())])
        if not reuse:
            first = None
            for p in self.plots.values():
                if first is None:
                    first = p
                else:
                    p.setXLink(first)

    def _loss_series(self, steps, loss, group, counts, colors, stats):
        loss = np.asarray(loss)
        cloud = any(c > 5 for c in counts)
        title = "loss (median, 10–90 %)" if cloud else "loss"
        q = None
        if cloud:
            q = stats.get("loss_q") if stats is not None else None
            if q is None:
                q = group_quantiles(loss, group, len(colors))
        # log scale when what is drawn (particles' lines, clouds' 10-90 % bands) spans decades
        shown = [loss[:, group == g] for g in range(len(colors)) if 0 < counts[g] <= 5]
        shown += [q[g, [0, 2]] for g in range(len(colors)) if counts[g] > 5]
        finite = np.concatenate([np.ravel(a) for a in shown]) if shown else np.zeros(0)
        finite = finite[np.isfinite(finite)]
        log = (bool(finite.size) and finite.min() > 0
               and math.log10(finite.max()) - math.log10(finite.min()) > math.log10(50))
        tf = _log10 if log else (lambda a: np.asarray(a, dtype=np.float64))
        curves, bands = [], []
        solid = QtCore.Qt.PenStyle.SolidLine
        for g in range(len(colors)):
            if counts[g] == 0:
                continue
            if counts[g] <= 5:
                for k in np.flatnonzero(group == g):
                    curves.append((g, solid, tf(loss[:, k])))
            else:
                lo, med, hi = (tf(q[g, i]) for i in range(3))
                bands.append((g, lo, hi))
                curves.append((g, solid, med))
        return dict(title=self._log_title(title) if log else self._t(title), log=log, curves=curves, bands=bands,
                    clip=self.loss_clip if not log else None,
                    floor=loss_floor([y for _g, _st, y in curves]) if log else None)

    def _converged_series(self, data, group, ng):
        """Per group: % of particles within eps at each step (solid), % diverged by then (dashed)."""
        from optviz.core.race import DEFAULT_EPS, minima_array, within_eps_sample

        eps = float(data.get("eps") or DEFAULT_EPS)
        surface = data.get("surface")
        minima = minima_array(surface.minima()) if surface is not None else np.zeros((0, 3))
        if data.get("positions") is None:
            minima = np.zeros((0, 3))
        within, diverged = within_eps_sample(data["loss"], data.get("positions"), data.get("grad"), group, ng,
                                             eps, minima)
        curves = []
        any_diverged = False
        for g in range(ng):
            if not np.any(group == g):
                continue
            curves.append((g, _STYLES[0], 100.0 * within[g]))
            if np.nanmax(diverged[g], initial=0.0) > 0:  # only groups that lose particles get the dashed line
                curves.append((g, _STYLES[1], 100.0 * diverged[g]))
                any_diverged = True
        if len(minima):  # short: the title must not widen the side column
            title = self._t("% within ε = {eps} of a minimum's loss", eps=f"{eps:g}")
        elif data.get("grad") is not None:
            title = self._t("% with |∇f| below ε = {eps}", eps=f"{eps:g}")
        else:
            title = self._t("% converged: no minima or gradient known")
        if any_diverged:
            title = self._t("{title}; ‐ ‐ diverged", title=title)
        return dict(title=title, log=False, curves=curves, bands=[], fixed=(-4.0, 104.0))

    def _lr_series(self, title, lr, group, colors, med):
        curves = []
        for axis, style in ((0, QtCore.Qt.PenStyle.SolidLine), (1, QtCore.Qt.PenStyle.DashLine)):
            if med is not None:
                q = med[:, axis][:, None, :]  # (G, 1, F)
            else:
                q = group_quantiles(np.asarray(lr)[:, :, axis], group, len(colors), qs=(0.5,))
            for g in range(len(colors)):
                if not np.any(group == g):
                    continue
                # kept while all NaN (no step yet): the items stay the same as data arrive
                curves.append((g, style, _log10(q[g, 0])))
        # a median over a group's particles is robust, but a single particle's realized LR
        # spikes where |g| ~ 0 (sign methods: Lion): the range follows the bulk of the values
        return dict(title=title, log=True, curves=curves, bands=[], robust=True)

    def _set_legend(self, p, entries) -> None:
        """Show ``entries`` ((curve, text) pairs) in a legend at the plot's top right, or none."""
        if not entries and p.legend is None:
            return
        if p.legend is None:
            p.addLegend(offset=(-4, 4), verSpacing=-6, brush=pg.mkBrush(*self.theme["panel"]),
                        labelTextColor=self.theme["foreground"],
                        labelTextSize=f"{max(self.font_px - 3, 8)}px")
        p.legend.clear()
        for curve, text in entries:
            p.legend.addItem(curve, text)
        p.legend.setVisible(bool(entries))

    def _place_legend(self, key: str, steps: np.ndarray) -> None:
        """Put plot ``key``'s legend in the corner its curves (the whole run's) cross least."""
        legend = self.plots[key].legend
        lo, hi = self._yranges.get(key, (0.0, 1.0))
        fx = np.asarray(steps, dtype=np.float64) / max(self._xmax, 1.0)
        counts = {}
        for corner in ((-4, 4), (4, 4), (-4, -4), (4, -4)):  # top right first: ties keep it
            in_x = fx > 0.55 if corner[0] < 0 else fx < 0.45
            n = 0
            for y in self._drawn[key]["curves"]:
                fy = (y - lo) / max(hi - lo, 1e-12)
                n += int(np.count_nonzero(in_x & ((fy > 0.6) if corner[1] > 0 else (fy < 0.4))))
            counts[corner] = n
        best = min(counts, key=counts.get)
        if legend.opts.get("offset") != best:
            legend.setOffset(best)

    def _names(self, optimizers, labels, drawn):
        """Per group in ``drawn``: its optimizer's title, or its label where two drawn groups share the title."""
        titles = {g: self._t(optimizers[g].spec.title) for g in drawn}
        shared = [t for t in titles.values() if list(titles.values()).count(t) > 1]
        labels = list(labels or ())
        return {g: (labels[g] if t in shared and g < len(labels) else t) for g, t in titles.items()}

    def _factor_series(self, steps, optimizers, labels, ng):
        """Each group's own step-dependent factors (its spec's), one style per factor, named in a legend."""
        curves, legend = [], []
        names = self._names(optimizers, labels, [g for g in range(ng) if optimizers[g] is not None])
        for g in range(ng):
            o = optimizers[g]
            if o is None:
                continue
            for k, (factor, values) in enumerate(o.spec.time_factors(o.hyper, steps)):
                text = "{name}: {symbol}" if factor.on(o.hyper) else "{name}: {symbol} (off: 1)"
                legend.append((len(curves), self._t(text, name=names[g], symbol=factor.symbol)))
                curves.append((g, _STYLES[k % len(_STYLES)], _log10(values)))
        return dict(title=self._log_title("bias correction and other step factors"), log=True, curves=curves, bands=[],
                    legend=legend)

    def _decay_series(self, steps, positions, lr_pre, group, optimizers, labels, ng):
        """Per group with weight decay: the median over its particles of |Δθ| per step from the decay alone.

        The decay of step t acts on θ_(t-1): the frame of step t - 1, or where it is not
        recorded the nearest one, step t's. Frame 0 (no step led there) has none.
        """
        n_frames = len(steps)
        prev = np.arange(n_frames)
        if n_frames > 1:
            prev[1:] = np.where(steps[:-1] == steps[1:] - 1, prev[:-1], prev[1:])
        curves, legend = [], []
        names = self._names(optimizers, labels, [g for g in range(ng) if optimizers[g] is not None
                                                 and optimizers[g].spec.weight_decay_mode(optimizers[g].hyper)])
        for g in range(ng):
            o = optimizers[g]
            mode = o.spec.weight_decay_mode(o.hyper) if o is not None else None
            idx = np.flatnonzero(group == g)
            if mode is None or not len(idx):
                continue
            if len(idx) > _DECAY_SAMPLE:
                idx = idx[np.linspace(0, len(idx) - 1, _DECAY_SAMPLE).round().astype(np.int64)]
            theta = np.asarray(positions[:, idx], dtype=np.float64)[prev]
            pre = np.asarray(lr_pre[:, idx], dtype=np.float64)
            lr_t = learning_rates(o.hyper["lr"], o.schedule, np.maximum(steps, 1))
            with np.errstate(all="ignore"):
                decay = o.spec.decay_per_step(o.hyper, lr_t[:, None, None], pre, theta)
            decay[steps < 1] = np.nan
            legend.append((len(curves), self._t("{name}: {decay}", name=names[g], decay=self._t(DECAY_TEXT[mode]))))
            for axis in (0, 1):
                med = group_quantiles(decay[:, :, axis], np.zeros(len(idx), np.int64), 1, qs=(0.5,))[0, 0]
                curves.append((g, _STYLES[axis], _log10(med)))
        return dict(title=self._log_title("weight decay: |Δθ| per step from the decay alone   (— x,  ‐ ‐ y)"), log=True,
                    curves=curves, bands=[], legend=legend)

    def _sharpness_medians(self, steps, data, group, optimizers, drawn) -> np.ndarray:
        """(G, F): per drawn group and frame the median (pre)conditioned sharpness of its sample.

        Frames already computed for the same landscape, group array, optimizers and arrays
        (the same objects: a live run's buffers keep their identity while it grows and a new
        run brings a new group array) are taken from the cache, keyed by their step; only the
        others are computed, and the cache keeps only the frames given now.
        """
        from optviz.core.curvature import curvature_along  # SymPy: only when asked

        surface, positions = data["surface"], data["positions"]
        key = (surface, data["group"], _root(positions), _root(data["lr_pre"]), *optimizers)
        cache = self._sharpness_cache
        n_frames = len(steps)
        out = np.full((len(optimizers), n_frames), np.nan)
        todo = np.arange(n_frames)
        if cache is not None and len(cache["key"]) == len(key) and all(
                a is b for a, b in zip(cache["key"], key, strict=True)):
            at = np.minimum(np.searchsorted(cache["steps"], steps), max(len(cache["steps"]) - 1, 0))
            hit = (cache["steps"][at] == steps) if len(cache["steps"]) else np.zeros(n_frames, bool)
            out[:, hit] = cache["values"][:, at[hit]]
            todo = np.flatnonzero(~hit)
        if len(todo):
            t = np.maximum(steps[todo], 1)
            for g in drawn:
                o = optimizers[g]
                idx = _even_sample(np.flatnonzero(group == g), _SHARPNESS_SAMPLE)
                pos = np.asarray(positions[np.ix_(todo, idx)], dtype=np.float64)
                preconditioner = None
                if o.spec.preconditioned:
                    lr_t = learning_rates(o.hyper["lr"], o.schedule, t)
                    pre = np.asarray(data["lr_pre"][np.ix_(todo, idx)], dtype=np.float64)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        preconditioner = lr_t[:, None, None] / pre
                    preconditioner[steps[todo] < 1] = np.nan  # no step taken: no preconditioner yet
                try:
                    plain, conditioned = curvature_along(surface, pos[..., 0], pos[..., 1], preconditioner)
                except ValueError:  # a landscape without a Hessian: gaps
                    continue
                values = plain if conditioned is None else conditioned
                values[~np.isfinite(np.asarray(data["loss"][np.ix_(todo, idx)], dtype=np.float64))] = np.nan
                out[g, todo] = group_quantiles(values, np.zeros(len(idx), np.int64), 1, qs=(0.5,))[0, 0]
        self._sharpness_cache = {"key": key, "steps": np.asarray(steps).copy(), "values": out}
        return out

    def _sharpness_series(self, steps, data, group, optimizers, ng):
        """Per group: the median (preconditioned) sharpness, and its stability threshold dashed."""
        from optviz.core.curvature import stability_threshold

        drawn = [g for g in range(ng) if optimizers[g] is not None and np.any(group == g)]
        med = self._sharpness_medians(steps, data, group, optimizers[:ng], drawn)
        names = self._names(optimizers, data.get("labels"), drawn)
        curves, legend = [], []
        for g in drawn:
            o = optimizers[g]
            lr_t = learning_rates(o.hyper["lr"], o.schedule, np.maximum(steps, 1))
            threshold = stability_threshold(o.spec, o.hyper, lr=lr_t)
            adaptive = o.spec.preconditioned
            if threshold is not None:
                text = self._t("{name}: preconditioned sharpness vs {threshold}" if adaptive
                               else "{name}: sharpness vs {threshold}", name=names[g], threshold=threshold.formula)
            else:
                text = self._t("{name}: preconditioned sharpness (no threshold)" if adaptive
                               else "{name}: sharpness (no threshold)", name=names[g])
            legend.append((len(curves), text))
            curves.append((g, _STYLES[0], _log10(med[g])))
            if threshold is not None:
                line = np.broadcast_to(np.asarray(threshold.value, dtype=np.float64), steps.shape).copy()
                if adaptive:
                    line[steps < 1] = np.nan  # drawn where the preconditioned sharpness is
                curves.append((g, _STYLES[1], _log10(line)))
        # every curve may span the whole run at the top of the plot: room above them for the legend
        return dict(title=self._log_title("sharpness (median) vs stability threshold (‐ ‐)"), log=True, curves=curves,
                    bands=[], legend=legend, robust=True, headroom=0.12 * len(legend) + 0.1)

    def _schedule_series(self, steps, schedules, labels, ng):
        """Each group's scheduled learning rate lr_t at the recorded steps (none at step 0)."""
        curves, legend = [], []
        labels = list(labels or ())
        for g in range(ng):
            if schedules[g] is None:
                continue
            lr, schedule = schedules[g]
            values = np.asarray(learning_rates(lr, schedule, np.maximum(steps, 1)), dtype=np.float64)
            values = np.where(steps >= 1, values, np.nan)
            kind = schedule["kind"]
            if kind == "sequential":
                kind = " → ".join(part["kind"] for part in schedule["schedules"])
            name = labels[g] if g < len(labels) else self._t("group {index}", index=g)
            legend.append((len(curves), self._t("{name}: {schedule}", name=name, schedule=kind)))
            curves.append((g, _STYLES[0], _log10(values)))
        return dict(title=self._log_title("learning rate lr_t (schedule)"), log=True, curves=curves, bands=[],
                    legend=legend)

    def _set_yrange(self, p, key, arrays, log, clip=None, robust=False, floor=None, headroom=0.0, fixed=None):
        lo, hi = _range(arrays, log, robust=robust) if fixed is None else fixed
        hi += headroom * (hi - lo)  # room above the curves (for a legend over lines spanning the run)
        if floor is not None and lo < floor < hi:  # a plunge of one curve runs off the bottom
            lo = floor
        if clip is not None and all(map(math.isfinite, clip)) and clip[1] > clip[0]:
            # a run-away particle (e.g. down an unbounded saddle) must not squash the plot
            span = clip[1] - clip[0]
            lo = max(lo, clip[0] - 0.1 * span)
            hi = min(hi, clip[1] + 0.1 * span)
            if not hi > lo:
                lo, hi = clip[0] - 0.1 * span, clip[1] + 0.1 * span
        cur = self._yranges.get(key)
        if self.y_hysteresis and cur is not None and cur[0] <= lo and hi <= cur[1] \
                and (hi - lo) >= 0.6 * (cur[1] - cur[0]):
            return cur
        if self.y_hysteresis and cur is not None:  # leave room to grow before the next change
            d = 0.1 * (hi - lo)
            lo, hi = lo - d, hi + d
        if cur != (lo, hi):
            self._yranges[key] = (lo, hi)
            p.setYRange(lo, hi, padding=0)
            ticks = log_ticks(lo, hi) if log else None
            if ticks != self._ticks.get(key, None):
                self._ticks[key] = ticks
                p.getAxis("left").setTicks(ticks)
        return lo, hi

    # --- time -------------------------------------------------------------------
    @property
    def future(self) -> str:
        """After the cursor: "hide" (default: nothing) or "ghost" (whole curves, faint)."""
        return self._future

    @future.setter
    def future(self, mode: str) -> None:
        if mode not in FUTURE_MODES:
            raise ValueError(f"future: {mode!r} is not allowed; one of {', '.join(FUTURE_MODES)}")
        self._future = mode
        self._draw_ghosts()

    @property
    def step_axis(self) -> str:
        """The shared x axis: "linear" (steps from 0) or "log" (log10 of the step; step 0
        cannot be shown, so the axis and every curve start at step 1)."""
        return self._step_axis

    @step_axis.setter
    def step_axis(self, mode: str) -> None:
        if mode not in STEP_AXES:
            raise ValueError(f"step_axis: {mode!r} is not allowed; one of {', '.join(STEP_AXES)}")
        if mode == self._step_axis:
            return
        self._step_axis = mode
        self._x = self._to_x(self._steps)
        if self.plots:
            last = list(self.plots.values())[-1]
            last.setLabel("bottom", self._x_label(), color=self.theme["foreground"],
                          size=f"{max(self.font_px - 2, 8)}px")
            if self._xr is not None:
                self._apply_xrange()
        self._cut = -1
        self._settled = -1
        self._draw_ghosts()
        self.set_step(self._step)

    def _x_label(self) -> str:
        return self._log_title("step") if self._step_axis == "log" else self._t("step")

    def _to_x(self, steps) -> np.ndarray:
        """The x coordinate of optimizer steps: the step, or log10 of it (step 0: NaN, not drawn)."""
        steps = np.asarray(steps, dtype=np.float64)
        if self._step_axis != "log":
            return steps
        out = np.full(steps.shape, np.nan)
        pos = steps >= 1
        out[pos] = np.log10(steps[pos])
        return out

    def set_step(self, step: float) -> None:
        """Move the time cursor to optimizer step ``step``; curves end at the last frame at or
        before it (on a log step axis the cursor stays at step 1 until the run passes it)."""
        self._step = float(step)
        if math.isfinite(self._step):
            x = self._step if self._step_axis != "log" else math.log10(max(self._step, 1.0))
            for cursor in self.cursors:
                cursor.setValue(x)
        self._draw_until_cursor()

    def _bins(self) -> int:
        return max(self.max_points // 2, 1)

    def _draw_until_cursor(self) -> None:
        """Curves up to the cursor: each in a settled part, replaced only when the cursor
        crosses a block of bins (:func:`settled_frames`), and a short tail replaced on every
        move, so a frame's work does not grow with the history."""
        steps = self._steps
        cut = int(np.searchsorted(steps, self._step, side="right"))
        if cut == self._cut:
            return
        self._cut = cut
        bins = self._bins()
        settled = settled_frames(len(steps), cut, bins)
        redo = settled != self._settled
        self._settled = settled
        x = self._x
        if redo:
            self._heads = {}
        heads = self._heads
        for key, drawn in self._drawn.items():
            items = self._items.get(key)
            if items is None:
                continue
            for i, (y, curve, tail) in enumerate(zip(drawn["curves"], items["curves"], items["tails"],
                                                     strict=True)):
                head, rest = decimation_split(y, cut, bins, settled=heads.get((key, "c", i)))
                if redo:
                    heads[(key, "c", i)] = head
                    _set_curve(curve, x[head], y[head])
                _set_curve(tail, x[rest], y[rest])
            for i, ((lo, hi), band, tail) in enumerate(zip(drawn["bands"], items["bands"], items["band_tails"],
                                                           strict=True)):
                head, rest = decimation_split(hi, cut, bins, lo=lo, settled=heads.get((key, "b", i)))
                if redo:
                    heads[(key, "b", i)] = head
                    band.set_data(x[head], lo[head], hi[head])
                tail.set_data(x[rest], lo[rest], hi[rest])

    def _draw_ghosts(self) -> None:
        ghost = self._future == "ghost"
        bins = self._bins()
        for key, items in self._items.items():
            drawn = self._drawn.get(key)
            for i, item in enumerate(items.get("ghosts", [])):
                if ghost and drawn is not None:
                    y = drawn["curves"][i]
                    idx = decimation_index(y, len(y), bins)
                    _set_curve(item, self._x[idx], y[idx])
                elif not ghost:
                    item.setData([], [])
        self.set_visible_groups(getattr(self, "_visible", None))

    def drawn_curves(self, key: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """(x, y) of every curve and band edge drawn now in plot ``key`` (ghosts excluded)."""
        items = self._items.get(key, {})

        def data(c):
            return (np.asarray(c.xData if c.xData is not None else [], dtype=np.float64),
                    np.asarray(c.yData if c.yData is not None else [], dtype=np.float64))

        def joined(a, b):  # settled part and tail as one series (the joint point once)
            (xa, ya), (xb, yb) = a, b
            if len(xa) and len(xb) and xa[-1] == xb[0]:
                xb, yb = xb[1:], yb[1:]
            return np.concatenate([xa, xb]), np.concatenate([ya, yb])

        out = [joined(data(c), data(t)) for c, t in zip(items.get("curves", []), items.get("tails", []),
                                                          strict=True)]
        bands = list(zip(items.get("bands", []), items.get("band_tails", []), strict=True))
        out += [joined((b.x, b.lo), (t.x, t.lo)) for b, t in bands]
        out += [joined((b.x, b.hi), (t.x, t.hi)) for b, t in bands]
        return out

    def set_visible_groups(self, groups) -> None:
        self._visible = groups
        ghost = self._future == "ghost"
        for g, items in enumerate(getattr(self, "_group_items", [])):
            vis = groups is None or g in groups
            for it in items:
                it.setVisible(vis and (ghost or id(it) not in self._ghost_ids))

    @property
    def names(self) -> list[str]:
        return list(self.plots)


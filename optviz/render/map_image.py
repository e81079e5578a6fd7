"""Map images: a basin, phase or difference map of an experiment as a figure (PNG or SVG).

:func:`write_map_image` draws a :class:`~optviz.experiment.map_run.MapOutput` with
:class:`MapFigure` and writes it through the figure writers of
:mod:`optviz.render.writer_registry`, atomically, with the experiment recorded in the
file (:mod:`optviz.render.metadata`), as ``optviz figure`` does.

What each map shows (row i, column j of the arrays is the cell (y[i], x[j])):

* basin maps (``metric = "basin"``): each cell coloured by the known minimum its start
  reached (hue, one per minimum: :func:`basin_colors`) and how fast (lightness: the more
  steps it took to come within eps, the paler, on a log scale from the map's fastest to its
  slowest cell, :func:`speed_range`); "not converged" grey and "diverged" black. The minima are marked (star: global,
  circle: local) and numbered; the legend gives each basin's share of the map.
* metric maps (final loss, steps to eps, converged or diverged fraction): a colormap with
  a colorbar; final loss and steps to eps on a log scale (the final loss as the gap to the
  best known minimum, f - f*). Cells that diverged (black) or never came within eps (grey)
  are named in the legend.
* difference maps (``compare``): same basin, different basins, only one converged (each
  group its own colour), neither.

Axes carry the parameters' names and are logarithmic where the map's axis is. On a hyper
map of gradient descent or heavy-ball momentum on a quadratic landscape the analytic
stability boundary lr·λmax = 2(1 + μ) (optviz.core.maps.stability_margin, with λmax the
landscape's constant largest curvature) is drawn dashed, and the group's own setting is
marked.
"""

from __future__ import annotations

import colorsys
import html
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.core.optimizers import get_optimizer
from optviz.interrupt import deferred
from optviz.render.colors import THEMES, colormap_lut, parse_color
from optviz.render.kernels import contour_lines
from optviz.render.qt import grab, settle_offscreen
from optviz.render.side_plots import log_ticks

__all__ = ["MapFigure", "basin_colors", "basin_rgba", "speed_range", "difference_rgba", "metric_rgba",
           "stability_boundary", "map_titles", "write_map_image", "DEFAULT_MAP_SIZE",
           "NOT_CONVERGED", "DIVERGED"]

#: The default picture size (width, height): the map square-ish, the legend beside it.
DEFAULT_MAP_SIZE = (1200, 860)
#: Cells whose particle never came within eps, and cells that diverged.
NOT_CONVERGED = (170, 170, 170)
DIVERGED = (25, 25, 25)
#: Hues of the first minima (Okabe-Ito and Tol, colour-blind safe, none grey or black).
_BASIN_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#882255")
#: How far toward white the slowest converged cell is blended (0: none, 1: white).
_PALEST = 0.72
#: Difference maps: code -> colour.
_DIFFERENCE_COLORS = {0: (215, 215, 215), 1: (213, 94, 0), 2: (0, 114, 178), 3: (230, 159, 0), 4: (60, 60, 60)}
METRIC_TITLES = {
    "basin": "Basins of attraction",
    "final_loss": "Final loss",
    "steps_to_eps": "Steps to come within ε",
    "converged": "Fraction converged",
    "diverged": "Fraction diverged",
    "difference": "Difference of basins",
}
#: A final-loss map's colour scale starts at most this many decades below eps.
FINAL_LOSS_DECADES_BELOW_EPS = 6.0
#: Samples per axis of the stability margin whose zero line is the boundary.
BOUNDARY_SAMPLES = 400


# ----------------------------------------------------------------------------- colours (Qt-free)

def basin_colors(n: int) -> np.ndarray:
    """(n, 3) uint8: one hue per minimum, the colour-blind-safe palette first, then evenly spaced hues."""
    out = [parse_color(c) for c in _BASIN_PALETTE[:n]]
    extra = n - len(out)
    for k in range(extra):
        r, g, b = colorsys.hls_to_rgb((k / max(extra, 1) + 0.07) % 1.0, 0.45, 0.75)
        out.append((round(255 * r), round(255 * g), round(255 * b)))
    return np.array(out, dtype=np.uint8).reshape(-1, 3)


def speed_range(steps_to_eps: np.ndarray, basin: np.ndarray, steps: int) -> tuple[int, int]:
    """(fastest, slowest) steps to eps among the converged cells (1 and ``steps`` when there are none):
    the lightness scale of a basin map spans them, so that speed differences show."""
    s = np.asarray(steps_to_eps)[(np.asarray(basin) >= 0) & (np.asarray(steps_to_eps) >= 0)]
    if not s.size:
        return 1, max(int(steps), 1)
    lo, hi = max(int(s.min()), 1), max(int(s.max()), 1)
    return (lo, hi) if hi > lo else (lo, lo + 1)


def _speed_blend(steps_to_eps: np.ndarray, fastest: int, slowest: int) -> np.ndarray:
    """How far toward white a converged cell is: 0 at ``fastest`` steps, :data:`_PALEST` at ``slowest``
    (log scale between them)."""
    s = np.maximum(np.asarray(steps_to_eps, dtype=np.float64), 1.0)
    span = math.log(slowest) - math.log(fastest)
    return _PALEST * np.clip((np.log(s) - math.log(fastest)) / span, 0.0, 1.0)


def basin_rgba(basin: np.ndarray, steps_to_eps: np.ndarray, speed: tuple[int, int], colors: np.ndarray) -> np.ndarray:
    """(ny, nx, 4) uint8 of a basin map: the hue of the minimum reached, paler the more steps it took
    to come within eps (log scale over ``speed`` = (fastest, slowest): :func:`speed_range`);
    -1 (not converged) grey, -2 (diverged) black."""
    basin = np.asarray(basin, dtype=np.int64)
    out = np.empty(basin.shape + (4,), dtype=np.uint8)
    out[..., 3] = 255
    out[..., :3] = NOT_CONVERGED
    out[basin == -2, :3] = DIVERGED
    reached = (basin >= 0) & (basin < len(colors))
    if reached.any():
        base = colors[basin[reached]].astype(np.float64)
        blend = _speed_blend(np.asarray(steps_to_eps)[reached], *speed)[:, None]
        out[reached, :3] = np.round(base + (255.0 - base) * blend).astype(np.uint8)
    return out


def difference_rgba(codes: np.ndarray) -> np.ndarray:
    """(ny, nx, 4) uint8 of a difference map (codes of optviz.experiment.map_run.DIFFERENCE_CODES)."""
    codes = np.asarray(codes, dtype=np.int64)
    out = np.zeros(codes.shape + (4,), dtype=np.uint8)
    out[..., 3] = 255
    for code, color in _DIFFERENCE_COLORS.items():
        out[codes == code, :3] = color
    return out


def metric_rgba(values: np.ndarray, metric: str, colormap: str, *, steps: int, reference: float | None,
                eps: float = 1e-6, diverged: np.ndarray | None = None
                ) -> tuple[np.ndarray, tuple[float, float], bool, str]:
    """(rgba (ny, nx, 4) uint8, colour levels (lo, hi) in the shown scale, log scale?, what is shown).

    final_loss: the gap to ``reference`` (f*) on a log scale (the loss itself without a
    reference) from the 1st percentile, but at most :data:`FINAL_LOSS_DECADES_BELOW_EPS` decades
    below ``eps``, to the 99.5th percentile (cells beyond share the end colours); steps_to_eps:
    log scale from the fastest cell to ``steps``, -1 (never) grey; converged and
    diverged fractions: 0 to 1. Cells that diverged (``diverged`` >= 1, or a non-finite final
    loss) are black.
    """
    v = np.asarray(values, dtype=np.float64)
    lut = colormap_lut(colormap)
    special = np.zeros(v.shape, dtype=np.int8)  # 0 colour, 1 never within eps, 2 diverged
    if metric == "final_loss":
        shown = v - reference if reference is not None and math.isfinite(reference) else v
        what = "final loss − f*" if reference is not None and math.isfinite(reference) else "final loss"
        special[~np.isfinite(v)] = 2
        positive = shown[np.isfinite(shown) & (shown > 0)]
        log = bool(positive.size) and (shown[np.isfinite(shown)] >= 0).all()
        if log:
            z = np.log10(np.maximum(shown, positive.min()))
            low_q, high_q = np.percentile(np.log10(positive), (1.0, 99.5))
            # gaps far below eps all mean "converged": they share the darkest colour, and a few
            # cells blowing up near a boundary do not stretch the scale
            lo = max(float(low_q), math.log10(eps) - FINAL_LOSS_DECADES_BELOW_EPS)
            hi = float(high_q)
        else:
            z = shown
            finite = shown[np.isfinite(shown)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    elif metric == "steps_to_eps":
        special[v < 0] = 1
        z = np.log10(np.maximum(v, 1.0))
        reached = v[v >= 1]
        lo = math.log10(reached.min()) if reached.size else 0.0  # the fastest cell: the scale's start
        hi, log, what = math.log10(max(steps, 10)), True, "steps to come within ε"
    else:
        z = v
        lo, hi, log, what = 0.0, 1.0, False, f"fraction {metric}"
    if diverged is not None and metric != "diverged":
        special[np.asarray(diverged) >= 1.0] = 2
    if not hi > lo:
        hi = lo + 1.0
    with np.errstate(invalid="ignore"):
        idx = np.nan_to_num((z - lo) * (255.0 / (hi - lo)), nan=0.0, posinf=255.0, neginf=0.0)
    rgba = lut[np.clip(idx, 0, 255).astype(np.uint8)]
    rgba[special == 1, :3] = NOT_CONVERGED
    rgba[special == 2, :3] = DIVERGED
    return rgba, (lo, hi), log, what


# ----------------------------------------------------------------------------- stability boundary

def stability_boundary(experiment, samples: int = BOUNDARY_SAMPLES) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                                str] | None:
    """(us, vs, margin (len(vs), len(us)), the rule's text) of the experiment's hyper map on a fine grid
    of ``samples`` values per axis over the map's axes (optviz.core.maps.stability_margin: the
    threshold minus λmax, zero on the analytic boundary); None where no boundary is known."""
    import dataclasses

    from optviz.core.curvature import stability_threshold
    from optviz.core.maps import MapError, quadratic_curvatures, stability_margin
    from optviz.experiment.map_run import map_requests

    if experiment.map is None or experiment.map.kind != "hyper":
        return None
    request = map_requests(experiment)[0]
    fine = dataclasses.replace(request, x=dataclasses.replace(request.x, n=samples),
                               y=dataclasses.replace(request.y, n=samples))
    try:
        margin = stability_margin(fine)
    except MapError:
        return None
    if margin is None:
        return None
    lam = quadratic_curvatures(request.surface)[1]
    rule = stability_threshold(request.group.optimizer, request.group.hyper)
    return fine.x.values(), fine.y.values(), margin, f"stable iff λmax < {rule.formula}, λmax = {lam:.4g}"


# ----------------------------------------------------------------------------- text

def _number(v: float) -> str:
    return f"{v:.4g}"


def _hyper_text(group, skip=()) -> str:
    """The hyperparameters a group sets (those not mapped), as "lr = 0.01, momentum = 0.9"."""
    return ", ".join(f"{k} = {_number(v) if isinstance(v, float) else v}" for k, v in group.hyper.items()
                     if k not in skip and not isinstance(v, (dict, list, tuple)))


def _group_text(group, skip=()) -> str:
    """"SGD (gradient descent), lr = 0.01": the optimizer and the hyperparameters the group sets."""
    hyper = _hyper_text(group, skip)
    return get_optimizer(group.optimizer).title + (f", {hyper}" if hyper else "")


def _labelled(group, skip=()) -> str:
    """The group's label, with the hyperparameters it sets unless the label says them already."""
    hyper = _hyper_text(group, skip)
    said = all(part in group.label for part in hyper.split(", "))
    return group.label + (f" ({hyper})" if hyper and not said else "")


def _start_text(group) -> str:
    init = group.init
    if init.get("kind") == "point":
        x, y = init["point"]
        return f"({_number(x)}, {_number(y)})"
    return "its start cloud"


def _axis_name(param: str) -> str:
    return {"beta1": "β1", "beta2": "β2"}.get(param, param)


def map_titles(output) -> tuple[str, str]:
    """(title, caption) of a map: what it shows, of which group, on which landscape, and how to read it."""
    exp = output.experiment
    c = output.config
    group = exp.groups[c.group]
    landscape = exp.landscape_spec().title
    steps = exp.run.steps
    mapped = (c.x.param, c.y.param, "betas" if {c.x.param, c.y.param} & {"beta1", "beta2"} else "")
    if output.metric == "difference":
        other = exp.groups[c.compare]
        title = f"Where {group.label} and {other.label} end differently — {landscape}"
        what = "Each pixel is a start point" if c.kind == "basin" else \
            f"Each pixel is a setting of {_axis_name(c.x.param)} and {_axis_name(c.y.param)}"
        skip = mapped if c.kind == "hyper" else ()
        return title, f"{what}, run {steps:,} steps with {_labelled(group, skip)} and with {_labelled(other, skip)}."
    if c.kind == "basin":
        title = (f"Basins of attraction of {group.label} on {landscape}" if c.metric == "basin"
                 else f"{METRIC_TITLES[c.metric]} from each start: {group.label} on {landscape}")
        caption = f"Each pixel is a start point, run {steps:,} steps with {_group_text(group)}."
        if c.metric == "basin":
            caption += f" Hue: the minimum it reached; paler: more steps to come within ε = {c.eps:g} of it."
        return title, caption
    title = (f"{METRIC_TITLES[c.metric]} over {_axis_name(c.x.param)} × {_axis_name(c.y.param)}: "
             f"{get_optimizer(group.optimizer).title} on {landscape}")
    caption = (f"Each pixel is one setting of {_axis_name(c.x.param)} and {_axis_name(c.y.param)}, run {steps:,} "
               f"steps from {_start_text(group)} with {_group_text(group, mapped)}.")
    return title, caption


def _square(rgb, text: str, fg: str) -> str:
    r, g, b = (int(v) for v in rgb[:3])
    return (f"<span style='color: #{r:02x}{g:02x}{b:02x}; font-size: 15px'>■</span>"
            f"<span style='color: {fg}'>&nbsp;{html.escape(text)}</span>")


# ----------------------------------------------------------------------------- the figure

class MapFigure(pg.GraphicsLayoutWidget):
    """A map as a figure: title and caption, the map with labelled axes, and its legend (and
    colorbar) beside it. Give it a MapOutput; :meth:`prepare_offscreen` and
    :meth:`render_image` as the scene's (the PNG and SVG writers draw it)."""

    def __init__(self, output, *, theme: str = "light", font_px: int = 13, colormap: str = "viridis"):
        super().__init__(show=False)
        self.output = output
        self.theme = THEMES[theme]
        self.font_px = int(font_px)
        self.colormap = colormap
        self.setBackground(self.theme["background"])
        self.ci.setContentsMargins(8, 6, 12, 8)
        self.ci.setSpacing(6)
        fg = self.theme["foreground"]
        title, caption = map_titles(output)
        self.title = pg.LabelItem("", color=fg, size=f"{self.font_px + 3}px")
        self.title.setText(f"{html.escape(title)}<br><span style='font-size: {self.font_px}px; color: "
                           f"{self.theme['muted']}'>{html.escape(caption)}</span>")
        self.ci.addItem(self.title, row=0, col=0, colspan=2)
        self.plot = self._new_plot()
        self.ci.addItem(self.plot, row=1, col=0, rowspan=2)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-100)
        self.plot.addItem(self.image)
        self.colorbar = None
        self.legend = pg.LabelItem("", color=fg, size=f"{self.font_px}px", justify="left")
        self._draw()
        lay = self.ci.layout
        lay.setColumnStretchFactor(0, 3)
        lay.setColumnStretchFactor(1, 1)
        lay.setRowStretchFactor(1, 3)  # the colorbar, when there is one, over the legend
        lay.setRowStretchFactor(2, 2)

    # --- building ---------------------------------------------------------------------------
    def _new_plot(self, ticks_only: bool = False) -> pg.PlotItem:
        p = pg.PlotItem()
        p.setMenuEnabled(False)
        p.hideButtons()
        p.setMouseEnabled(x=False, y=False)
        font = QtGui.QFont()
        font.setPixelSize(max(self.font_px - 2, 8))
        for name in ("left", "bottom", "right"):
            ax = p.getAxis(name)
            ax.setPen(pg.mkPen(self.theme["muted"]))
            ax.setTextPen(pg.mkPen(self.theme["foreground"]))
            ax.setStyle(tickFont=font, tickTextOffset=3)
            ax.enableAutoSIPrefix(False)
        if not ticks_only:
            p.getAxis("left").setWidth(int(self.font_px * 4.2))
            p.getAxis("bottom").setHeight(int(self.font_px * 3.0))
        p.enableAutoRange(False)
        return p

    def _axis(self, which: str, values: np.ndarray, scale: str, name: str) -> tuple[float, float]:
        """Label and ticks of the ``which`` axis ("bottom"/"left"); its range in plot coordinates
        (cell edges: the first and last cells are whole)."""
        u = np.log10(values) if scale == "log" else np.asarray(values, dtype=np.float64)
        du = (u[-1] - u[0]) / max(len(u) - 1, 1)
        lo, hi = float(u[0] - du / 2), float(u[-1] + du / 2)
        label = name + (", log scale" if scale == "log" else "")
        self.plot.setLabel(which, label, color=self.theme["foreground"], size=f"{self.font_px}px")
        self.plot.getAxis(which).setTicks(log_ticks(lo, hi) if scale == "log" else None)
        return lo, hi

    def _draw(self) -> None:
        out = self.output
        c = out.config
        exp = out.experiment
        surface = exp.landscape_spec()
        names = getattr(surface, "axis_names", ("x", "y")) if c.kind == "basin" else \
            (_axis_name(c.x.param), _axis_name(c.y.param))
        (x0, x1) = self._axis("bottom", out.x, c.x.scale, names[0])
        (y0, y1) = self._axis("left", out.y, c.y.scale, names[1])
        self._extent = ((x0, x1), (y0, y1))
        fg = self.theme["foreground"]
        lines: list[str] = []
        steps = exp.run.steps
        cells = out.value.size
        if out.metric == "difference":
            a, b = exp.groups[c.group].label, exp.groups[c.compare].label
            rgba = difference_rgba(out.difference)
            from optviz.experiment.map_run import DIFFERENCE_CODES

            lines.append(f"<span style='color: {fg}'><b>each cell</b> (share of the map)</span>")
            for code, text in DIFFERENCE_CODES.items():
                share = float(np.count_nonzero(out.difference == code)) / cells
                lines.append(_square(_DIFFERENCE_COLORS[code], f"{text.format(a=a, b=b)}:  {100 * share:.1f} %", fg))

        elif c.metric == "basin":
            colors = basin_colors(len(out.minima))
            basin = out.cells["basin"]
            speed = speed_range(out.cells["steps_to_eps"], basin, steps)
            rgba = basin_rgba(basin, out.cells["steps_to_eps"], speed, colors)
            lines.append(f"<span style='color: {fg}'><b>minimum reached</b> (share of the starts)</span>")
            for k, (mx, my, _v) in enumerate(out.minima):
                share = float(np.count_nonzero(basin == k)) / cells
                lines.append(_square(colors[k], f"{k + 1}  at ({_number(mx)}, {_number(my)}):  {100 * share:.1f} %",
                                     fg))
            for code, color, text in ((-1, NOT_CONVERGED, f"not within ε in {steps:,} steps"),
                                      (-2, DIVERGED, "diverged")):
                share = float(np.count_nonzero(basin == code)) / cells
                lines.append(_square(color, f"{text}:  {100 * share:.1f} %", fg))
            if len(colors):
                lines.append(self._speed_ramp(colors[0], speed))
        else:
            reference = float(out.minima[:, 2].min()) if len(out.minima) else None
            rgba, levels, log, what = metric_rgba(out.value, c.metric, self.colormap, steps=steps,
                                                  reference=reference, eps=c.eps, diverged=out.cells["diverged"])
            self._add_colorbar(levels, log, what)
            special = []
            if c.metric == "steps_to_eps" and (out.value < 0).any():
                special.append((NOT_CONVERGED, f"never within ε in {steps:,} steps"))
            if c.metric != "diverged" and ((out.cells["diverged"] >= 1).any()
                                           or (c.metric == "final_loss" and not np.isfinite(out.value).all())):
                special.append((DIVERGED, "diverged"))
            lines += [_square(color, text, fg) for color, text in special]
            if c.metric == "final_loss" and reference is not None:
                whose = "known minimum" if surface.minima() else "minimum the map found"
                lines.append(f"<span style='color: {fg}'>f* = {_number(reference)}: the lowest {whose}</span>")
        if c.kind == "basin":
            self._mark_minima()
            if c.metric != "basin" and out.metric != "difference" and len(out.minima):
                lines.append(f"<span style='color: {fg}'>☆ 1 to {len(out.minima)}: the minima</span>")
        else:
            lines += self._mark_setting()
            lines += self._draw_boundary()
        lines.append(f"<span style='color: {self.theme['muted']}'>{out.value.shape[1]:,} × {out.value.shape[0]:,} "
                     f"cells; ε = {c.eps:g}</span>")
        self.image.setImage(rgba, autoLevels=False, levels=None)
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.legend.setText("<br>".join(lines))
        self.ci.addItem(self.legend, row=2 if self.colorbar is not None else 1, col=1,
                        rowspan=1 if self.colorbar is not None else 2)
        ratio = (x1 - x0) / (y1 - y0)
        self.plot.getViewBox().setAspectLocked(c.kind == "basin" and 0.5 <= ratio <= 2.0, ratio=1.0)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _speed_ramp(self, color, speed: tuple[int, int]) -> str:
        """A legend line: the lightness of a basin from the fastest to the slowest cell."""
        fg = self.theme["foreground"]
        shades = basin_rgba(np.zeros((1, 6), dtype=np.int64),
                            np.geomspace(speed[0], speed[1], 6)[None, :], speed, np.array([color]))[0, :, :3]
        ramp = "".join(f"<span style='color: #{r:02x}{g:02x}{b:02x}; font-size: 15px'>■</span>"
                       for r, g, b in shades.astype(int))
        return (f"<span style='color: {fg}'>steps to come within ε: {speed[0]:,} </span>{ramp}"
                f"<span style='color: {fg}'> {speed[1]:,}</span>")

    def _to_plot(self, value: float, scale: str) -> float:
        return math.log10(value) if scale == "log" else value

    def _mark_minima(self) -> None:
        out = self.output
        styles = {"global": dict(symbol="star", size=17, brush=pg.mkBrush(255, 255, 255, 235)),
                  "local": dict(symbol="o", size=11, brush=pg.mkBrush(255, 255, 255, 235))}
        spots = []
        for k, (mx, my, _v) in enumerate(out.minima):
            kind = out.minima_kind[k] if k < len(out.minima_kind) else "local"
            spots.append(dict(pos=(mx, my), pen=pg.mkPen(0, 0, 0, 230, width=1.3),
                              **styles.get(kind, styles["local"])))
            label = pg.TextItem(str(k + 1), color=(0, 0, 0), anchor=(-0.25, 1.1),
                                fill=pg.mkBrush(255, 255, 255, 200))
            f = QtGui.QFont()
            f.setPixelSize(max(self.font_px - 1, 8))
            f.setBold(True)
            label.setFont(f)
            label.setPos(mx, my)
            self.plot.addItem(label)
        points = pg.ScatterPlotItem(pxMode=True)
        points.setData(spots)
        self.plot.addItem(points)

    def _mark_setting(self) -> list[str]:
        """Mark the group's own values of the two mapped hyperparameters (when inside the map)."""
        c = self.output.config
        setting = map_setting(self.output.experiment)
        if setting is None:
            return []
        u, v = setting
        mark = pg.ScatterPlotItem([self._to_plot(u, c.x.scale)], [self._to_plot(v, c.y.scale)], symbol="+",
                                  size=18, pen=pg.mkPen(255, 255, 255, 255, width=2.2), brush=pg.mkBrush(None))
        ring = pg.ScatterPlotItem([self._to_plot(u, c.x.scale)], [self._to_plot(v, c.y.scale)], symbol="o",
                                  size=18, pen=pg.mkPen(0, 0, 0, 230, width=1.2), brush=pg.mkBrush(None))
        self.plot.addItem(ring)
        self.plot.addItem(mark)
        label = self.output.experiment.groups[c.group].label
        return [f"<span style='color: {self.theme['foreground']}'>⊕ the setting of {html.escape(label)}:<br>"
                f"&nbsp;&nbsp;&nbsp;&nbsp;{_axis_name(c.x.param)} = {_number(u)}, {_axis_name(c.y.param)} = "
                f"{_number(v)}</span>"]

    def _draw_boundary(self) -> list[str]:
        found = boundary_curve(self.output.experiment)
        if found is None:
            return []
        lines, text = found
        if len(lines) == 0:
            return [f"<span style='color: {self.theme['muted']}'>{html.escape(text)} (boundary outside the map)"
                    "</span>"]
        for pen in (pg.mkPen(0, 0, 0, 200, width=4.5), pg.mkPen(255, 255, 255, 255, width=2.2,
                                                               style=QtCore.Qt.PenStyle.DashLine)):
            curve = pg.PlotCurveItem(lines[:, 0], lines[:, 1], connect="finite", pen=pen, antialias=True)
            self.plot.addItem(curve)
        return [f"<span style='color: {self.theme['foreground']}'>- - analytic stability boundary:<br>"
                f"&nbsp;&nbsp;&nbsp;&nbsp;{html.escape(text)}</span>"]

    def _add_colorbar(self, levels: tuple[float, float], log: bool, what: str) -> None:
        lo, hi = levels
        bar = self._new_plot(ticks_only=True)
        bar.hideAxis("bottom")
        bar.hideAxis("left")
        bar.showAxis("right")
        axis_width = int(self.font_px * 5.5)
        bar.getAxis("right").setWidth(axis_width)
        bar.setLabel("right", what + (", log scale" if log else ""), color=self.theme["foreground"],
                     size=f"{self.font_px}px")
        gradient = colormap_lut(self.colormap)[np.arange(256)][:, None, :]  # (256, 1, 4): rows go up
        image = pg.ImageItem(np.ascontiguousarray(gradient), axisOrder="row-major")
        image.setRect(QtCore.QRectF(0.0, lo, 1.0, hi - lo))
        bar.addItem(image)
        bar.setXRange(0.0, 1.0, padding=0)
        bar.setYRange(lo, hi, padding=0)
        bar.getAxis("right").setTicks(log_ticks(lo, hi) if log else None)
        bar.setMaximumWidth(int(self.font_px * 2.2) + axis_width)  # a narrow gradient, the axis beside it
        self.ci.addItem(bar, row=1, col=1)
        self.colorbar = bar

    # --- headless --------------------------------------------------------------------------
    def prepare_offscreen(self, size) -> None:
        """Fix the size and let layout settle (:func:`~optviz.render.qt.settle_offscreen`), then
        frame the map's extent."""
        settle_offscreen(self, size)
        (x0, x1), (y0, y1) = self._extent
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        QtWidgets.QApplication.instance().processEvents()

    def render_image(self) -> QtGui.QImage:
        """The figure as it is now (Format_RGB32, device pixel ratio 1)."""
        return grab(self, self.theme["background"])


def _font_px(size) -> int:
    w, h = size
    return int(min(30, max(9, round(13 * min(w / 1200, h / 860)))))


def write_map_image(output, path, *, size=None, theme: str | None = None, colormap: str | None = None):
    """Draw ``output`` (a MapOutput) to ``path`` (.png or .svg), atomically, recording its
    experiment with a ``[render]`` table of the size, theme and colormap drawn. Options not given
    come from the experiment's ``[render]`` table (validated as ``optviz figure`` does); the size
    defaults to :data:`DEFAULT_MAP_SIZE`. Returns an :class:`~optviz.render.export.ExportResult`."""
    from optviz.render.export import ExportResult, _check_writable, _write_still
    from optviz.render.metadata import experiment_text
    from optviz.render.options import resolve_options
    from optviz.render.qt import ensure_app, shutdown_widgets
    from optviz.render.writer_registry import registry

    exp = output.experiment
    writer_cls = registry.for_output(path, "figure")
    table = dict(exp.render)
    opts = resolve_options(table, size=size, theme=theme, colormap=colormap)
    if size is None and "size" not in table:
        opts.size = DEFAULT_MAP_SIZE
    out = _check_writable(path)
    record = {**table, "size": list(opts.size), "theme": opts.theme, "colormap": opts.colormap}
    meta = experiment_text(exp, record)
    figure = None
    try:
        with deferred():
            ensure_app(headless=True)
            figure = MapFigure(output, theme=opts.theme, font_px=_font_px(opts.size), colormap=opts.colormap)
            figure.prepare_offscreen(opts.size)
        _write_still(writer_cls, opts, out, meta, figure)
    finally:
        with deferred():
            shutdown_widgets(figure)
    return ExportResult(Path(out), writer_cls.name, opts.size, 1, None, [exp.run.steps], meta)


# ----------------------------------------------------------------------------- the group's setting and the boundary

def mapped_hyper_value(hyper: dict, param: str) -> float:
    """The value of the mapped hyperparameter ``param`` in the hyperparameters ``hyper`` of a group
    ("beta1" and "beta2" are the two entries of ``hyper["betas"]``)."""
    if param in ("beta1", "beta2"):
        return float(hyper["betas"][0 if param == "beta1" else 1])
    return float(hyper[param])


def map_setting(experiment) -> tuple[float, float] | None:
    """(u, v): the mapped group's own values of the hyper map's x and y hyperparameters, or None when
    that point lies outside the map's extent."""
    c = experiment.map
    hyper = experiment.groups[c.group].resolved_hyper()
    u, v = mapped_hyper_value(hyper, c.x.param), mapped_hyper_value(hyper, c.y.param)
    if not (c.x.low <= u <= c.x.high and c.y.low <= v <= c.y.high):
        return None
    return u, v


def boundary_curve(experiment) -> tuple[np.ndarray, str] | None:
    """(lines, the rule's text): the analytic stability boundary of the experiment's hyper map as
    :func:`~optviz.render.kernels.contour_lines` gives it (x, y rows, NaN rows between pieces; empty
    when the boundary lies outside the map's extent), in plot coordinates (log10 of the value on a
    log axis); None where no boundary is known (:func:`stability_boundary`)."""
    found = stability_boundary(experiment)
    if found is None:
        return None
    us, vs, margin, text = found
    c = experiment.map
    pu = np.log10(us) if c.x.scale == "log" else us
    pv = np.log10(vs) if c.y.scale == "log" else vs
    return contour_lines(margin, pu, pv, [0.0]), text

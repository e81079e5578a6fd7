"""Maps in the window: the Map dock (View > Map, key M) with deep zoom, click-to-load and race statistics.

:class:`MapPanel` shows the document's ``[map]`` (without one: a basin map of the selected group over
the 2-D scene's current view) as an image, coloured by :mod:`optviz.render.map_image`'s functions,
with named (and, where the map's axis is, logarithmic) axes, a legend or colorbar, the minima
(basin maps) or the group's own setting and the analytic stability boundary (phase maps).

* **Computing**: :class:`MapComputer` runs :func:`optviz.core.maps.refine_map` on a Python thread
  (the kernels release the GIL): the coarse level arrives at once, then the full map. Starting
  another request cancels the one in flight (its ``cancel()`` turns True and a result of an older
  request is never shown). The status line says what is being computed; the extent is shown as
  numbers (12 significant digits: float64 throughout).
* **Deep zoom**: drag a rectangle (or turn the wheel) on the map: the new extent is computed at the
  map's full resolution. Back returns to the previous extent, Reset to the landscape's view (basin
  maps) or the extent the experiment was opened with.
* **Click a cell**: its start point (basin map) or its hyperparameters (phase map) become a new
  group of the document (:func:`optviz.core.maps.cell_group`), selected, so its trajectory plays in
  the 2-D scene.
* Changes made here (metric, extent, cells per axis) are written to the document's ``[map]``
  (:meth:`DocumentModel.set_map`): they are saved with the experiment.

:class:`RaceTable` lists per group the fraction converged within eps, the median steps to eps (of
the particles that converged) and final-loss quantiles (:func:`optviz.core.race.race_statistics`
on the side-plot sample of the session's display buffer, the data the "converged" side plot
shows), refreshed at most every :data:`RACE_INTERVAL` seconds while the run plays.
"""

from __future__ import annotations

import dataclasses
import html
import math
import threading
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.docks import side_dock
from optviz.core.maps import MapCancelled, cell_group, refine_levels, refine_map
from optviz.core.race import QUANTILES, minima_array, race_statistics
from optviz.experiment.errors import ExperimentError
from optviz.experiment.map_run import map_requests
from optviz.experiment.map_table import KIND_METRICS, map_params, map_table, parse_map
from optviz.experiment.model import group_table, landscape_table
from optviz.models.document import EditError
from optviz.render.colors import THEMES, colormap_lut, group_colors
from optviz.render.map_image import (
    DIVERGED,
    NOT_CONVERGED,
    basin_colors,
    basin_rgba,
    boundary_curve,
    map_setting,
    mapped_hyper_value,
    metric_rgba,
    speed_range,
)
from optviz.render.side_plots import log_ticks

__all__ = ["MapComputer", "MapPanel", "MapDock", "RaceTable", "GRID_CHOICES", "RACE_INTERVAL"]

#: Cells per axis offered (the ``[map]`` allows 2 to 4,096).
GRID_CHOICES = (64, 128, 256, 512, 1024, 2048)
#: Cells per axis of the basin map shown for an experiment without a ``[map]``.
DEFAULT_CELLS = 256
#: Milliseconds after the last wheel turn or box zoom before the new extent is computed.
ZOOM_DELAY_MS = 300
#: When the dock first opens, the 2-D scene keeps this many pixels (its landscape and side plots stay
#: usable at 1280 x 800) and the dock takes the rest, at least MIN_WIDTH, at most MAX_SHARE of the window.
SCENE_KEEPS = 640
MIN_WIDTH = 320
MAX_SHARE = 0.45
#: Seconds between race-statistics updates while a run plays.
RACE_INTERVAL = 0.5
#: Significant digits of the extent shown (float64 keeps about 16).
EXTENT_DIGITS = 12
#: The final-loss quantiles the race table shows (indices into optviz.core.race.QUANTILES).
RACE_QUANTILES = (1, 3, 5)

translate = QtCore.QCoreApplication.translate


def _number(v: float, digits: int = 4) -> str:
    return f"{v:.{digits}g}"


def _axis_name(param: str) -> str:
    return {"beta1": "β1", "beta2": "β2"}.get(param, param)


def _table(cells: list[str], columns: int) -> str:
    """Legend entries in ``columns`` columns (an HTML table: Qt rich text wraps it as a whole)."""
    rows = ["".join(f"<td style='padding-right: 12px'>{c}</td>" for c in cells[i:i + columns])
            for i in range(0, len(cells), columns)]
    return "<table cellspacing='0' cellpadding='0'>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _square(rgb, text: str) -> str:
    r, g, b = (int(v) for v in rgb[:3])
    return f"<span style='color: #{r:02x}{g:02x}{b:02x}; font-size: 15px'>■</span>&nbsp;{html.escape(text)}"


# ============================================================================ computing

class MapComputer(QtCore.QObject):
    """Runs one map request at a time on a Python thread, coarse first (:func:`refine_map`).

    :meth:`start` returns the request's generation; a newer :meth:`start` (or :meth:`cancel`)
    makes the older one's ``cancel()`` True, and its later levels are never emitted.
    """

    #: (generation, MapResult, level index, number of levels, seconds since the request started)
    levelReady = QtCore.Signal(int, object, int, int, float)
    #: (generation, cells done, cells of this level)
    progressed = QtCore.Signal(int, int, int)
    #: (generation, one-line message): the engine refused the request or failed
    failed = QtCore.Signal(int, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._generation = 0
        self._threads: list[threading.Thread] = []

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def busy(self) -> bool:
        self._threads = [t for t in self._threads if t.is_alive()]
        return bool(self._threads)

    def start(self, request, levels=None) -> int:
        """Compute ``request`` (cancelling the one in flight); its generation."""
        self._generation += 1
        generation = self._generation
        thread = threading.Thread(target=self._run, args=(generation, request, levels), daemon=True,
                                  name=f"optviz-map-{generation}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return generation

    def cancel(self) -> None:
        self._generation += 1

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel and wait for the threads (each stops within a chunk, about 0.1 s)."""
        self.cancel()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def _run(self, generation: int, request, levels) -> None:
        def cancelled() -> bool:
            return self._generation != generation

        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 0.1 or done == total:
                last[0] = now
                self.progressed.emit(generation, done, total)

        try:
            n_levels = len(refine_levels(request, levels))
            for k, result in enumerate(refine_map(request, levels, progress=progress, cancel=cancelled)):
                if cancelled():
                    return
                self.levelReady.emit(generation, result, k, n_levels, time.perf_counter() - started)
        except MapCancelled:
            return
        except ValueError as error:  # MapError: one line naming the field
            self.failed.emit(generation, str(error))
        except Exception as error:  # noqa: BLE001 - reported in the panel, never raised in a thread
            self.failed.emit(generation, f"{type(error).__name__}: {error}")


# ============================================================================ race statistics

class RaceTable(QtWidgets.QTableWidget):
    """One column per group (its label in its colour), one row per statistic: converged within eps,
    median steps to eps, final-loss quantiles (see the module). Narrow: a dock beside the scene."""

    #: Widest a group's column starts (its full label is the header's tooltip).
    COLUMN_PX = 130

    def __init__(self, parent=None):
        super().__init__(2 + len(RACE_QUANTILES), 0, parent)
        self.setObjectName("race_table")
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.horizontalHeader().setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stats = None
        self.labels: list[str] = []
        self.retranslate()
        self.fit_rows()

    def retranslate(self) -> None:
        q = [f"{round(100 * QUANTILES[i])} %" for i in RACE_QUANTILES]
        self.setVerticalHeaderLabels([translate("MapPanel", "converged"), translate("MapPanel", "median steps to ε"),
                                      *(translate("MapPanel", "final loss {q}").format(q=p) for p in q)])
        self.verticalHeaderItem(1).setToolTip(translate(
            "MapPanel", "The median, over the particles that converged, of the first step from which each "
                        "stayed within ε"))

    def fit_rows(self) -> None:
        """As tall as its rows, so that the map keeps the rest of the panel."""
        height = self.horizontalHeader().sizeHint().height() + self.verticalHeader().length()
        self.setFixedHeight(height + 2 * self.frameWidth() + self.horizontalScrollBar().sizeHint().height() + 2)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.fit_rows()  # the style's row heights are known once shown

    def rows(self) -> list[list[str]]:
        """Per group: its label, then its statistics' texts (for tests and scripts)."""
        return [[self.labels[c], *(self.item(r, c).text() for r in range(self.rowCount()))]
                for c in range(self.columnCount())]

    def show_statistics(self, stats, group: np.ndarray, labels: list[str], colors: list) -> None:
        """Fill the table from a :class:`~optviz.core.race.RaceStatistics` of ``len(labels)`` groups
        (``group``: each particle's group)."""
        self.stats = stats
        new_groups = labels != self.labels
        self.labels = list(labels)
        self.setColumnCount(len(labels))
        for g, label in enumerate(labels):
            head = QtWidgets.QTableWidgetItem(label)
            head.setToolTip(label)
            head.setForeground(QtGui.QBrush(QtGui.QColor(*colors[g])))
            font = head.font()
            font.setBold(True)
            head.setFont(font)
            self.setHorizontalHeaderItem(g, head)
            for r, text in enumerate(race_row(stats, group, g)):
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, g, item)
        self.fit_rows()
        if new_groups:
            self.resizeColumnsToContents()
            for g in range(len(labels)):
                self.setColumnWidth(g, min(self.columnWidth(g), self.COLUMN_PX))


def race_row(stats, group: np.ndarray, g: int) -> list[str]:
    """The race table's texts of group ``g`` (``group``: each particle's group): converged %, the median
    steps to eps of its particles that converged, final-loss quantiles."""
    if g >= len(stats.counts) or not stats.counts[g]:
        return ["–"] * (2 + len(RACE_QUANTILES))
    converged = float(stats.converged[g])
    mine = stats.steps_to_eps[np.asarray(group) == g]
    reached = mine[mine >= 0]
    median = f"{int(np.median(reached)):,}" if reached.size else "–"
    quant = [("–" if not math.isfinite(float(stats.final_quantiles[g, i])) else _number(stats.final_quantiles[g, i], 3))
             for i in RACE_QUANTILES]
    return [f"{100 * converged:.1f} %" if math.isfinite(converged) else "–", median, *quant]


def session_race(display, experiment):
    """(race statistics, each particle's group) of the session's side-plot sample (the particles the
    "converged" side plot shows, over its frames); None when nothing is recorded yet or the landscape
    has no known minima to judge by."""
    data = display.side_result()
    if not len(data.step):
        return None
    minima = minima_array(experiment.landscape_spec().minima())
    if not len(minima):
        return None
    stats = race_statistics(data.loss, data.step, data.group, len(experiment.groups), experiment.race_eps(), minima,
                            positions=data.positions, diverged_at=data.diverged_at)
    return stats, np.asarray(data.group, dtype=np.int64)


# ============================================================================ the panel

class MapPanel(QtWidgets.QWidget):
    """The map, its controls, its legend and the race table (see the module docstring)."""

    #: A group was added from a clicked cell: its index.
    groupAdded = QtCore.Signal(int)

    def __init__(self, doc, selection, view_range, colormap=lambda: "viridis", parent=None):
        super().__init__(parent)
        self.doc = doc
        self.selection = selection
        self.view_range = view_range  # () -> ((x0, x1), (y0, y1)) of the 2-D scene
        self.colormap = colormap
        self.theme = THEMES["light"]
        self.computer = MapComputer(self)
        self.computer.levelReady.connect(self._on_level)
        self.computer.progressed.connect(self._on_progress)
        self.computer.failed.connect(self._on_failed)
        #: the experiment whose ``.map`` is shown (the document's, or one with a generated basin map)
        self.experiment = None
        self.request = None
        self.result = None
        self.level = (0, 0)
        self.seconds = 0.0
        self.history: list[dict] = []
        self.opened_table: dict | None = None
        self._key = None
        self._active = False
        self._computing = False
        self._message = ""
        self._build()
        self._zoom_timer = QtCore.QTimer(self)
        self._zoom_timer.setSingleShot(True)
        self._zoom_timer.setInterval(ZOOM_DELAY_MS)
        self._zoom_timer.timeout.connect(self._zoom_to_view)
        self.retranslate()

    # ---------------------------------------------------------------- building
    def _build(self) -> None:
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(6)
        self.metric_label = QtWidgets.QLabel()
        self.metric_box = QtWidgets.QComboBox()
        self.metric_box.setObjectName("map_metric")
        self.metric_box.activated.connect(lambda _i: self.set_metric(self.metric_box.currentData()))
        self.grid_label = QtWidgets.QLabel()
        self.grid_box = QtWidgets.QComboBox()
        self.grid_box.setObjectName("map_grid")
        for n in GRID_CHOICES:
            self.grid_box.addItem(f"{n} × {n}", n)
        self.grid_box.activated.connect(lambda _i: self.set_cells(self.grid_box.currentData()))
        self.back_button = QtWidgets.QToolButton()
        self.back_button.clicked.connect(self.back)
        self.reset_button = QtWidgets.QToolButton()
        self.reset_button.clicked.connect(self.reset_extent)
        for w in (self.metric_label, self.metric_box, self.grid_label, self.grid_box):
            row.addWidget(w)
        row.addStretch(1)
        lay.addLayout(row)
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("map_status")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(self.theme["background"])
        self.graphics.ci.setContentsMargins(2, 2, 10, 2)
        self.plot = self.graphics.ci.addPlot(row=0, col=0)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        font = QtGui.QFont()
        font.setPixelSize(11)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(self.theme["muted"]))
            axis.setTextPen(pg.mkPen(self.theme["foreground"]))
            axis.setStyle(tickFont=font)
            axis.enableAutoSIPrefix(False)
        self.vb = self.plot.getViewBox()
        self.vb.setMouseMode(pg.ViewBox.RectMode)
        self.vb.sigRangeChangedManually.connect(lambda *_: self._zoom_timer.start())
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-100)
        self.plot.addItem(self.image)
        self.overlays: list[pg.GraphicsObject] = []
        self.colorbar = pg.PlotItem()  # in the layout (column 1) only while a metric map is shown
        self.colorbar.setMenuEnabled(False)
        self.colorbar.hideButtons()
        self.colorbar.setMouseEnabled(x=False, y=False)
        self.colorbar.hideAxis("bottom")
        self.colorbar.hideAxis("left")
        self.colorbar.showAxis("right")
        bar_axis = self.colorbar.getAxis("right")
        bar_axis.setStyle(tickFont=font)
        bar_axis.setWidth(62)
        bar_axis.setTextPen(pg.mkPen(self.theme["foreground"]))
        self.colorbar.setMaximumWidth(92)
        self.bar_image = pg.ImageItem(axisOrder="row-major")
        self.colorbar.addItem(self.bar_image)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.legend = QtWidgets.QLabel()
        self.legend.setObjectName("map_legend")
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.extent_label = QtWidgets.QLabel()
        self.extent_label.setObjectName("map_extent")
        self.extent_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.extent_label.setWordWrap(True)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.extent_label.setFont(mono)
        self.race_title = QtWidgets.QLabel()
        self.race_title.setWordWrap(True)
        self.race = RaceTable()
        top = QtWidgets.QWidget()
        top_lay = QtWidgets.QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.setSpacing(2)
        top_lay.addWidget(self.graphics, 1)
        extent_row = QtWidgets.QHBoxLayout()
        extent_row.addWidget(self.extent_label, 1)
        extent_row.addWidget(self.back_button)
        extent_row.addWidget(self.reset_button)
        top_lay.addLayout(extent_row)
        top_lay.addWidget(self.legend)
        lay.addWidget(top, 1)  # the map takes what the race table (as tall as its rows) leaves
        lay.addWidget(self.race_title)
        lay.addWidget(self.race)

    def retranslate(self) -> None:
        """Every text of the panel in the current language."""
        self.metric_label.setText(translate("MapPanel", "Colour by"))
        self.grid_label.setText(translate("MapPanel", "Cells"))
        self.back_button.setText(translate("MapPanel", "Back"))
        self.back_button.setToolTip(translate("MapPanel", "The extent before the last zoom"))
        self.reset_button.setText(translate("MapPanel", "Reset extent"))
        self.reset_button.setToolTip(translate("MapPanel", "The whole view (basin map) or the extent the "
                                                           "experiment opened with"))
        self.graphics.setToolTip(translate("MapPanel", "Drag a rectangle or turn the wheel to zoom in "
                                                       "(recomputed at full "
                                     "resolution); click a cell to run it as a new group"))
        self.race_title.setText(translate("MapPanel", "<b>Race</b> at the newest frame: within ε of a minimum, "
                                                      "how fast, "
                                    "final loss"))
        self.race.retranslate()
        self._fill_metrics()
        self._show_status()
        self._draw()

    # ---------------------------------------------------------------- what is shown
    @property
    def config(self):
        return None if self.experiment is None else self.experiment.map

    @property
    def metric(self) -> str | None:
        return None if self.config is None else self.config.metric

    def set_active(self, active: bool) -> None:
        """The dock is shown (compute and follow the document) or hidden (cancel, stop following)."""
        self._active = active
        if active:
            self.refresh()
        else:
            if self._computing:  # cancelled half-way: computed again when shown
                self._key = None
            self.computer.cancel()
            self._computing = False

    def refresh(self) -> None:
        """Show what the document asks for now: recompute when the map's inputs changed, else redraw."""
        if not self._active:
            return
        try:
            exp = self._target_experiment()
        except (ExperimentError, EditError, ValueError) as error:
            self.computer.cancel()
            self._computing = False
            self.experiment = None
            self.result = None
            self._key = None
            self._message = str(error)
            self._show_status()
            self._draw()
            return
        key = _map_key(exp)
        self.experiment = exp
        self._fill_metrics()
        if key != self._key:
            self._key = key
            self.compute()
        else:
            self._draw()

    def compute(self) -> None:
        """Compute the shown map again (coarse first), cancelling the one in flight."""
        self.request = map_requests(self.experiment)[0]
        self._computing = True
        self._message = ""
        self.level = (0, len(refine_levels(self.request)))
        self.computer.start(self.request)
        self._show_status()

    def _target_experiment(self):
        """The document's experiment when it has a ``[map]``; else it with a basin map of the selected
        group over the 2-D scene's view (not written to the document until changed here)."""
        exp = self.doc.experiment
        if exp.map is not None:
            if self.opened_table is None:
                self.opened_table = map_table(exp.map)
            return exp
        (x0, x1), (y0, y1) = self.view_range()
        group = min(max(self.selection.group, 0), len(exp.groups) - 1)
        table = {"kind": "basin", "x": {"low": float(x0), "high": float(x1), "n": DEFAULT_CELLS},
                 "y": {"low": float(y0), "high": float(y1), "n": DEFAULT_CELLS}, "metric": "basin", "group": group}
        config = parse_map(table, exp.groups, exp.landscape_spec().bounds, exp.run.eps)
        return dataclasses.replace(exp, map=config)

    def new_experiment(self) -> None:
        """The document was replaced: forget the zoom history and the opened extent."""
        self.history.clear()
        self.opened_table = None
        self._key = None
        self.refresh()

    # ---------------------------------------------------------------- changes made here
    def apply(self, table: dict, remember: bool = True) -> bool:
        """Write ``table`` as the document's ``[map]`` (refused: the status line says why)."""
        before = None if self.config is None else map_table(self.config)
        try:
            self.doc.set_map(table)
        except EditError as error:
            self._message = str(error)
            self._show_status()
            return False
        if remember and before is not None and (before["x"], before["y"]) != (table["x"], table["y"]):
            self.history.append(before)
        self.refresh()
        return True

    def set_metric(self, metric: str) -> None:
        if self.config is not None and metric and metric != self.config.metric:
            self.apply({**map_table(self.config), "metric": metric}, remember=False)

    def set_cells(self, n: int) -> None:
        if self.config is None:
            return
        table = map_table(self.config)
        table["x"] = {**table["x"], "n": int(n)}
        table["y"] = {**table["y"], "n": int(n)}
        self.apply(table, remember=False)

    def set_extent(self, x_range, y_range) -> bool:
        """Map (x0, x1) × (y0, y1) (axis values, not log10) at the map's resolution."""
        if self.config is None:
            return False
        table = map_table(self.config)
        params = None if self.config.kind == "basin" else map_params(self.experiment.groups[self.config.group]
                                                                     .optimizer)
        for name, (lo, hi) in (("x", x_range), ("y", y_range)):
            limits = params[table[name]["param"]] if params else None
            lo, hi = _clipped(float(lo), float(hi), limits, table[name].get("scale", "linear"))
            table[name] = {**table[name], "low": lo, "high": hi}
        return self.apply(table)

    def back(self) -> None:
        """The extent before the last zoom."""
        if self.history and self.config is not None:
            previous = self.history.pop()
            self.apply({**map_table(self.config), "x": previous["x"], "y": previous["y"]}, remember=False)

    def reset_extent(self) -> None:
        """The landscape's whole view (basin map) or the extent the experiment opened with (phase map)."""
        if self.config is None:
            return
        if self.config.kind == "basin":
            (x0, x1), (y0, y1) = self.experiment.landscape_spec().bounds
            self.set_extent((x0, x1), (y0, y1))
        elif self.opened_table is not None:
            o = self.opened_table
            self.set_extent((o["x"]["low"], o["x"]["high"]), (o["y"]["low"], o["y"]["high"]))

    def _zoom_to_view(self) -> None:
        """After a box zoom or the wheel: compute the extent the map's view box shows."""
        if self.config is None:
            return
        c = self.config

        def values(a, b, axis):  # the view's edges -> the first and last cell centres of n cells
            half = (b - a) / (2 * axis.n)
            a, b = a + half, b - half
            return (10.0 ** a, 10.0 ** b) if axis.scale == "log" else (a, b)

        (u0, u1), (v0, v1) = self.vb.viewRange()
        self.set_extent(values(u0, u1, c.x), values(v0, v1, c.y))

    # ---------------------------------------------------------------- clicking a cell
    def cell_at(self, u: float, v: float) -> tuple[int, int] | None:
        """(row, column) of the shown map's cell at plot coordinates (u, v), None outside it."""
        if self.result is None:
            return None
        c = self.config
        xs = np.log10(self.result.x) if c.x.scale == "log" else self.result.x
        ys = np.log10(self.result.y) if c.y.scale == "log" else self.result.y
        (x0, x1), (y0, y1) = _edges(xs), _edges(ys)
        if not (x0 <= u <= x1 and y0 <= v <= y1):
            return None
        return int(np.argmin(np.abs(ys - v))), int(np.argmin(np.abs(xs - u)))

    def load_cell(self, row: int, column: int) -> int | None:
        """Add the group that runs cell (row, column) of the shown map to the document, selected; its index."""
        if self.result is None or self.request is None:
            return None
        c = self.config
        # the cell of the map shown (a coarse level has fewer cells than the request)
        request = dataclasses.replace(self.request, x=dataclasses.replace(self.request.x, n=len(self.result.x)),
                                      y=dataclasses.replace(self.request.y, n=len(self.result.y)))
        group = cell_group(request, row, column)
        source = self.experiment.groups[c.group]
        try:
            if c.kind == "basin":
                x, y = (float(v) for v in group.positions[0])
                index = self.doc.add_group_like(
                    c.group, label=translate("MapPanel", "{label} from ({x}, {y})").format(
                        label=source.label, x=_number(x, 6),
                                                                         y=_number(y, 6)),
                    init={"kind": "point", "point": [x, y]})
            else:
                hyper = {}
                for param in (c.x.param, c.y.param):
                    if param in ("beta1", "beta2"):
                        hyper["betas"] = [float(b) for b in group.hyper["betas"]]
                    else:
                        hyper[param] = float(group.hyper[param])
                text = ", ".join(f"{_axis_name(p)} = {_number(mapped_hyper_value(group.hyper, p), 4)}"
                                 for p in (c.x.param, c.y.param))
                index = self.doc.add_group_like(c.group, label=f"{group.optimizer.title}: {text}", hyper=hyper)
        except EditError as error:
            self._message = str(error)
            self._show_status()
            return None
        self.selection.group = index
        self.groupAdded.emit(index)
        return index

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or self.result is None:
            return
        if not self.plot.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.vb.mapSceneToView(event.scenePos())
        cell = self.cell_at(point.x(), point.y())
        if cell is not None:
            self.load_cell(*cell)

    # ---------------------------------------------------------------- results from the thread
    def _on_level(self, generation: int, result, level: int, levels: int, seconds: float) -> None:
        if generation != self.computer.generation:
            return  # an older request's: never shown after a newer one started
        self.result = result
        self.level = (level, levels)
        self.seconds = seconds
        self._computing = level + 1 < levels
        self._show_status()
        self._draw()

    def _on_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self.computer.generation and self._computing:
            self._show_status(done / max(total, 1))

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.computer.generation:
            self._computing = False
            self._message = message
            self._show_status()

    # ---------------------------------------------------------------- texts
    def _fill_metrics(self) -> None:
        names = {"basin": translate("MapPanel", "basin reached"), "final_loss": translate("MapPanel", "final loss"),
                 "steps_to_eps": translate("MapPanel", "steps to ε"), "converged": translate("MapPanel", "converged"),
                 "diverged": translate("MapPanel", "diverged")}
        box = self.metric_box
        box.blockSignals(True)
        box.clear()
        if self.config is not None:
            for m in KIND_METRICS[self.config.kind]:
                box.addItem(names[m], m)
            box.setCurrentIndex(max(box.findData(self.config.metric), 0))
            n = self.config.x.n
            at = self.grid_box.findData(n)
            if at < 0:
                self.grid_box.addItem(f"{n} × {self.config.y.n}", n)
                at = self.grid_box.findData(n)
            self.grid_box.setCurrentIndex(at)
        box.blockSignals(False)
        for w in (self.metric_box, self.grid_box, self.reset_button):
            w.setEnabled(self.config is not None)
        self.back_button.setEnabled(bool(self.history))

    def _what(self) -> str:
        c = self.config
        label = self.experiment.groups[c.group].label
        if c.kind == "basin":
            return translate("MapPanel", "basin map of {label}").format(label=label)
        return translate("MapPanel", "phase map of {label} over {x} × {y}").format(label=label, x=_axis_name(c.x.param),
                                                                 y=_axis_name(c.y.param))

    def _show_status(self, fraction: float | None = None) -> None:
        self.back_button.setEnabled(bool(self.history))
        if self.config is None:
            self.status.setText(html.escape(self._message) if self._message else translate("MapPanel", "No map"))
            self.extent_label.setText("")
            return
        c = self.config
        steps = self.experiment.run.steps
        if self._message:
            text = f"<span style='color: #b00020'>{html.escape(self._message)}</span>"
        elif self._computing:
            level, levels = self.level
            shown = "" if self.result is None else translate("MapPanel", " (showing {nx} × {ny})").format(
                nx=len(self.result.x), ny=len(self.result.y))
            text = translate("MapPanel", "Computing the {what}: {nx} × {ny} cells × {steps} steps, "
                                         "level {level} of {levels}"
                       ).format(what=html.escape(self._what()), nx=c.x.n, ny=c.y.n, steps=f"{steps:,}",
                                level=level + 1, levels=levels)
            if fraction is not None:
                text += f" — {100 * fraction:.0f} %"
            text += html.escape(shown) + "…"
        elif self.result is not None:
            text = translate("MapPanel", "The {what}: {nx} × {ny} cells × {steps} steps, "
                                         "computed in {seconds} s").format(
                what=html.escape(self._what()), nx=len(self.result.x), ny=len(self.result.y), steps=f"{steps:,}",
                seconds=f"{self.seconds:.2f}")
        else:
            text = ""
        self.status.setText(text)
        d = EXTENT_DIGITS
        self.extent_label.setText(f"{_axis_name(c.x.param)} ∈ [{c.x.low:.{d}g}, {c.x.high:.{d}g}]\n"
                                  f"{_axis_name(c.y.param)} ∈ [{c.y.low:.{d}g}, {c.y.high:.{d}g}]")

    # ---------------------------------------------------------------- drawing
    def _clear_overlays(self) -> None:
        for item in self.overlays:
            self.plot.removeItem(item)
        self.overlays = []

    def _draw(self) -> None:
        self._clear_overlays()
        r = self.result
        if r is None or self.config is None or r.kind != self.config.kind:
            self.image.clear()
            self.legend.setText("")
            self._hide_colorbar()
            return
        c = self.config
        fg = self.theme["foreground"]
        surface = self.experiment.landscape_spec()
        names = getattr(surface, "axis_names", ("x", "y")) if c.kind == "basin" else \
            (_axis_name(c.x.param), _axis_name(c.y.param))
        xs = np.log10(r.x) if c.x.scale == "log" else np.asarray(r.x, dtype=np.float64)
        ys = np.log10(r.y) if c.y.scale == "log" else np.asarray(r.y, dtype=np.float64)
        (x0, x1), (y0, y1) = _edges(xs), _edges(ys)
        for which, name, scale, (lo, hi) in (("bottom", names[0], c.x.scale, (x0, x1)),
                                             ("left", names[1], c.y.scale, (y0, y1))):
            self.plot.setLabel(which, name + (translate("MapPanel", ", log scale") if scale == "log" else ""), color=fg)
            self.plot.getAxis(which).setTicks(log_ticks(lo, hi) if scale == "log" else None)
        cells = r.basin.size
        lines = []
        metric = c.metric
        if metric == "basin":
            colors = basin_colors(len(r.minima))
            speed = speed_range(r.steps_to_eps, r.basin, r.steps)
            rgba = basin_rgba(r.basin, r.steps_to_eps, speed, colors)
            self._hide_colorbar()
            parts = []
            for k, m in enumerate(r.minima):
                share = np.count_nonzero(r.basin == k) / cells
                parts.append(_square(colors[k], f"{k + 1} ({_number(m.x, 3)}, {_number(m.y, 3)}) "
                                                f"{100 * share:.1f} %"))
            for code, color, text in ((-1, NOT_CONVERGED, translate("MapPanel", "not within ε")),
                                      (-2, DIVERGED, translate("MapPanel", "diverged"))):
                share = np.count_nonzero(r.basin == code) / cells
                parts.append(_square(color, f"{text} {100 * share:.1f} %"))
            lines.append(translate("MapPanel", "<b>Minimum reached</b> (share of the starts); paler: more steps "
                                               "to come within "
                             "ε = {eps}").format(eps=f"{r.eps:g}"))
            lines.append(_table(parts, columns=2))
        else:
            reference = min((m.value for m in r.minima), default=None)
            rgba, levels, log, what = metric_rgba(r.metric(metric), metric, self.colormap(), steps=r.steps,
                                                  reference=reference, eps=r.eps, diverged=r.diverged)
            self._show_colorbar(levels, log, _metric_title(metric, reference))
            special = []
            if metric == "steps_to_eps" and (r.steps_to_eps < 0).any():
                special.append(_square(NOT_CONVERGED, translate("MapPanel", "never within ε in {steps} steps").format(
                    steps=f"{r.steps:,}")))
            if metric != "diverged" and (r.diverged >= 1).any():
                special.append(_square(DIVERGED, translate("MapPanel", "diverged")))
            if special:
                lines.append("&nbsp;&nbsp; ".join(special))
        if c.kind == "basin":
            self._mark_minima(r)
        else:
            lines += self._mark_setting()
            lines += self._draw_boundary()
        self.image.setImage(rgba, autoLevels=False, levels=None)
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.legend.setText(f"<div style='color: {fg}'>" + "<br>".join(lines) + "</div>")
        self.vb.setAspectLocked(c.kind == "basin" and 0.5 <= (x1 - x0) / (y1 - y0) <= 2.0, ratio=1.0)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _show_colorbar(self, levels, log: bool, title: str) -> None:
        lo, hi = levels
        gradient = colormap_lut(self.colormap())[np.arange(256)][:, None, :]
        self.bar_image.setImage(np.ascontiguousarray(gradient), autoLevels=False, levels=None)
        self.bar_image.setRect(QtCore.QRectF(0.0, lo, 1.0, hi - lo))
        self.colorbar.setXRange(0.0, 1.0, padding=0)
        self.colorbar.setYRange(lo, hi, padding=0)
        self.colorbar.getAxis("right").setTicks(log_ticks(lo, hi) if log else None)
        log_text = translate("MapPanel", ", log scale") if log else ""
        self.colorbar.setLabel("right", title + log_text, color=self.theme["foreground"])
        if self.colorbar.scene() is None:
            self.graphics.ci.addItem(self.colorbar, row=0, col=1)
        self.colorbar.show()

    def _hide_colorbar(self) -> None:
        if self.colorbar.scene() is not None:
            self.graphics.ci.removeItem(self.colorbar)
        self.colorbar.hide()

    def _add(self, item) -> None:
        self.plot.addItem(item)
        self.overlays.append(item)

    def _mark_minima(self, r) -> None:
        spots = []
        for k, m in enumerate(r.minima):
            symbol, size = ("star", 16) if m.kind == "global" else ("o", 10)
            spots.append(dict(pos=(m.x, m.y), symbol=symbol, size=size, pen=pg.mkPen(0, 0, 0, 230, width=1.2),
                              brush=pg.mkBrush(255, 255, 255, 235)))
            label = pg.TextItem(str(k + 1), color=(0, 0, 0), anchor=(-0.3, 1.1), fill=pg.mkBrush(255, 255, 255, 200))
            label.setPos(m.x, m.y)
            self._add(label)
        points = pg.ScatterPlotItem(pxMode=True)
        points.setData(spots)
        self._add(points)

    def _mark_setting(self) -> list[str]:
        c = self.config
        setting = map_setting(self.experiment)
        if setting is None:
            return []
        u, v = setting
        pu = math.log10(u) if c.x.scale == "log" else u
        pv = math.log10(v) if c.y.scale == "log" else v
        for symbol, pen in (("o", pg.mkPen(0, 0, 0, 230, width=1.2)), ("+", pg.mkPen(255, 255, 255, 255, width=2.2))):
            self._add(pg.ScatterPlotItem([pu], [pv], symbol=symbol, size=18, pen=pen, brush=pg.mkBrush(None)))
        return [translate("MapPanel", "⊕ the setting of {label}: {x} = {u}, {y} = {v}").format(
            label=html.escape(self.experiment.groups[c.group].label), x=_axis_name(c.x.param), u=_number(u),
            y=_axis_name(c.y.param), v=_number(v))]

    def _draw_boundary(self) -> list[str]:
        found = boundary_curve(self.experiment)
        if found is None:
            return []
        lines, text = found
        if not len(lines):
            return [html.escape(text) + translate("MapPanel", " (the boundary lies outside this extent)")]
        for pen in (pg.mkPen(0, 0, 0, 200, width=4.0),
                    pg.mkPen(255, 255, 255, 255, width=2.0, style=QtCore.Qt.PenStyle.DashLine)):
            self._add(pg.PlotCurveItem(lines[:, 0], lines[:, 1], connect="finite", pen=pen, antialias=True))
        return [translate("MapPanel", "- - analytic stability boundary: {rule}").format(rule=html.escape(text))]

    # ---------------------------------------------------------------- race statistics
    def show_race(self, race, experiment) -> None:
        """Fill the race table from :func:`session_race`'s (stats, group) (None: nothing recorded yet,
        or no known minima to judge by)."""
        if race is None:
            self.race.setColumnCount(0)
            self.race.labels = []
            self.race.stats = None
            return
        labels = [experiment.translated(g.label, _language_code()) for g in experiment.groups]
        self.race.show_statistics(*race, labels, group_colors(experiment.groups))

    def shutdown(self) -> None:
        self._zoom_timer.stop()
        self.computer.shutdown()


def _language_code() -> str:
    from optviz.app.language import language

    return language().code


def _metric_title(metric: str, reference) -> str:
    if metric == "final_loss":
        if reference is not None:
            return translate("MapPanel", "final loss − f*")
        return translate("MapPanel", "final loss")
    if metric == "steps_to_eps":
        return translate("MapPanel", "steps to come within ε")
    if metric == "converged":
        return translate("MapPanel", "fraction converged")
    return translate("MapPanel", "fraction diverged")


def _edges(u: np.ndarray) -> tuple[float, float]:
    """The plot range of cell centres ``u`` (evenly spaced): the first and last cells whole."""
    du = (u[-1] - u[0]) / max(len(u) - 1, 1)
    return float(u[0] - du / 2), float(u[-1] + du / 2)


def _clipped(lo: float, hi: float, limits, scale: str) -> tuple[float, float]:
    """(lo, hi) inside a hyperparameter's allowed range ``limits`` (low, high, low_open, high_open)
    (None: a start coordinate, no limits), lo > 0 on a log axis."""
    if limits is not None:
        a, b, a_open, b_open = limits
        lo = max(lo, np.nextafter(a, np.inf) if a_open else a)
        hi = min(hi, np.nextafter(b, -np.inf) if b_open else b)
    if scale == "log" and lo <= 0.0:
        lo = np.nextafter(0.0, 1.0)
    return float(lo), float(hi)


def _map_key(exp) -> str:
    """What a map's cells depend on (the metric only changes the colours): equal keys, same map."""
    table = map_table(exp.map)
    table.pop("metric")
    table.pop("scheduler", None)
    return repr((table, group_table(exp.groups[exp.map.group]), landscape_table(exp.landscape), exp.run.steps))


# ============================================================================ the dock

class MapDock(QtCore.QObject):
    """The Map dock of the main window (View > Map, key M); opened by itself when an experiment with a
    ``[map]`` opens. Follows the document, the selected group (no ``[map]``) and the session's frames
    (race statistics)."""

    def __init__(self, window: QtWidgets.QMainWindow, doc, session, selection, scene, view_options,
                 beside: QtWidgets.QDockWidget | None = None):
        super().__init__(window)
        self.window = window
        self.doc = doc
        self.session = session
        self.scene = scene
        self.panel = MapPanel(doc, selection, scene.view_range, lambda: view_options.colormap)
        self.dock = side_dock(window, "map", self.panel, "M", beside=beside, min_width=MIN_WIDTH)
        self._sized = False
        self._race_t = -math.inf
        self.action = self.dock.toggleViewAction()
        self.dock.visibilityChanged.connect(self._on_visible)
        doc.events.replaced.connect(self._on_replaced)
        doc.events.map.connect(lambda _c: self.panel.refresh())
        doc.events.simulation.connect(self.panel.refresh)
        selection.events.group.connect(lambda _g: self.doc.experiment.map is None and self.panel.refresh())
        session.frame_changed.connect(self._on_frame)
        from optviz.app.language import language

        language().changed.connect(self._on_language)
        self.retranslate()

    def _on_language(self, _code: str) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        self.dock.setWindowTitle(translate("MapPanel", "Map"))
        self.action.setText(translate("MapPanel", "&Map: basins and phase diagrams"))
        tip = translate("MapPanel", "Where every start ends (basin map) or which hyperparameters converge "
                                    "(phase map); zoom "
                  "with a rectangle, click a cell to run it")
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.panel.retranslate()
        self.update_race(force=True)

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def _on_visible(self, visible: bool) -> None:
        if visible and not self._sized and not self.dock.isFloating():
            self._sized = True
            view = self.scene.view_range()  # before the dock is laid out beside the scene
            width = min(max(self.scene.width() - SCENE_KEEPS, MIN_WIDTH), int(self.window.width() * MAX_SHARE))
            QtCore.QTimer.singleShot(0, lambda: self._first_size(view, width))
        self.panel.set_active(visible)
        if visible:
            self.update_race(force=True)

    def _first_size(self, view, width: int) -> None:
        """The dock ``width`` pixels wide; the 2-D scene keeps its ``view`` (squeezed for a moment while
        the dock was laid out, its aspect-locked range had widened)."""
        self.window.resizeDocks([self.dock], [width], QtCore.Qt.Orientation.Horizontal)
        QtCore.QTimer.singleShot(0, lambda: self.scene.set_view(*view))

    def _on_replaced(self) -> None:
        self.panel.new_experiment()
        if self.doc.experiment.map is not None:
            QtCore.QTimer.singleShot(0, self.show)  # after the window has shown the new experiment
        self.update_race(force=True)

    def _on_frame(self, frame) -> None:
        if frame.new_data or frame.side_plots:
            self.update_race()

    def update_race(self, force: bool = False) -> None:
        """Recompute the race table (at most every RACE_INTERVAL seconds unless ``force``)."""
        if not self.dock.isVisible():
            return
        now = time.perf_counter()
        if not force and now - self._race_t < RACE_INTERVAL:
            return
        self._race_t = now
        exp = self.session.experiment or self.doc.experiment
        stats = session_race(self.session.display, exp) if self.session.display.ns else None
        self.panel.show_race(stats, exp)

    def shutdown(self) -> None:
        self.panel.shutdown()

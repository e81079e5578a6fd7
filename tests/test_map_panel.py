"""The Map dock in the window: a preset's [map] computed coarse first and shown, deep zoom, click a cell
to run it as a new group, cancelling, the metric written to the document, the race table."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore
from pytestqt.qt_compat import qt_api

from optviz.app.main_window import PRESET_DIR
from optviz.app.map_panel import race_row, session_race
from optviz.core.maps import cell_group, run_map
from optviz.core.race import minima_array, race_statistics
from optviz.experiment.map_run import map_requests
from optviz.experiment.map_table import map_table

BASINS = PRESET_DIR / "12_himmelblau_basins.toml"
PHASE = PRESET_DIR / "13_heavy_ball_phase.toml"


def _open(win, qtbot, path, cells=24):
    """Open ``path``, its map dock shown, the map made small (``cells`` per axis) and computed."""
    assert win.open_path(path)
    win.playback.playing = False
    panel = win.map_view.panel
    qtbot.waitUntil(lambda: win.map_view.dock.isVisible(), timeout=60_000)
    panel.set_cells(cells)
    _wait_done(qtbot, panel)
    return panel


def _wait_done(qtbot, panel, timeout=240_000):
    qtbot.waitUntil(lambda: panel.result is not None and not panel._computing
                    and len(panel.result.x) == panel.config.x.n and panel.config.x.low == panel.result.x[0]
                    or bool(panel._message), timeout=timeout)
    assert not panel._message


def _click(qtbot, panel, row, column):
    """A real left click on the centre of cell (row, column) of the map shown."""
    c, r = panel.config, panel.result
    u = np.log10(r.x[column]) if c.x.scale == "log" else r.x[column]
    v = np.log10(r.y[row]) if c.y.scale == "log" else r.y[row]
    scene_pos = panel.vb.mapViewToScene(QtCore.QPointF(u, v))
    pos = panel.graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(panel.graphics.viewport(), qt_api.QtCore.Qt.MouseButton.LeftButton, pos=pos)


def test_preset_opens_its_map_and_the_cells_are_run_maps(win, qtbot):
    panel = _open(win, qtbot, BASINS)
    exp = win.doc.experiment
    assert exp.map.kind == "basin" and exp.map.x.n == 24  # the panel's change is in the document
    expected = run_map(map_requests(exp)[0])
    np.testing.assert_array_equal(panel.result.basin, expected.basin)
    np.testing.assert_array_equal(panel.result.steps_to_eps, expected.steps_to_eps)
    assert panel.image.image is not None and panel.image.image.shape[:2] == (24, 24)
    assert "basin map" in panel.status.text() and "24 × 24" in panel.status.text()
    assert "Minimum reached" in panel.legend.text()
    assert panel.plot.getAxis("bottom").labelText == "x"


def test_box_zoom_recomputes_the_new_extent_at_full_resolution(win, qtbot):
    panel = _open(win, qtbot, BASINS)
    panel.vb.showAxRect(QtCore.QRectF(1.0, 1.0, 0.5, 0.25))  # what a dragged rectangle does
    qtbot.waitUntil(lambda: panel.config.x.high < 2.0, timeout=60_000)
    _wait_done(qtbot, panel)
    c = panel.config
    # the view box keeps square cells (aspect locked): the new extent holds the rectangle, no more than
    # a cell around it along x, and is centred on it
    assert 0.9 < c.x.low < 1.0 + 0.5 / 24 and 1.5 - 0.5 / 24 < c.x.high < 1.6
    assert c.y.low < 1.0 and c.y.high > 1.25 and (c.y.low + c.y.high) / 2 == pytest.approx(1.125, abs=1e-6)
    rect = panel.image.mapRectToView(panel.image.boundingRect())  # whole cells, centred on the extent's ends
    assert rect.left() == pytest.approx(c.x.low - (c.x.high - c.x.low) / 46, rel=1e-9)
    assert len(panel.result.x) == 24 and panel.result.x[0] == c.x.low and panel.result.y[-1] == c.y.high
    assert f"{c.x.low:.12g}" in panel.extent_label.text()
    assert win.doc.experiment.map.x.low == c.x.low  # saved with the experiment
    panel.back()
    _wait_done(qtbot, panel)
    assert (panel.config.x.low, panel.config.x.high) == (-5.0, 5.0)


def test_clicking_a_basin_cell_adds_a_group_starting_there(win, qtbot):
    panel = _open(win, qtbot, BASINS)
    n = win.doc.n_groups
    row, column = 5, 17
    _click(qtbot, panel, row, column)
    qtbot.waitUntil(lambda: win.doc.n_groups == n + 1, timeout=60_000)
    group = win.doc.group(n)
    x, y = panel.result.x[column], panel.result.y[row]
    assert group.init == {"kind": "point", "point": [x, y]}
    assert group.optimizer == "sgd" and group.visible
    assert win.selection.group == n
    assert win.doc.experiment.map.group == 0  # the map still maps the group it mapped


def test_clicking_a_phase_cell_adds_a_group_with_its_hyperparameters(win, qtbot):
    panel = _open(win, qtbot, PHASE, cells=12)
    c = panel.config
    assert c.kind == "hyper" and panel.plot.getAxis("bottom").labelText.startswith("lr")
    assert panel.overlays, "the analytic stability boundary and the group's setting are drawn"
    n = win.doc.n_groups
    row, column = 7, 4
    _click(qtbot, panel, row, column)
    qtbot.waitUntil(lambda: win.doc.n_groups == n + 1, timeout=60_000)
    expected = cell_group(map_requests(win.doc.experiment)[0], row, column)
    hyper = win.doc.group(n).resolved_hyper()
    assert hyper["lr"] == expected.hyper["lr"] and hyper["momentum"] == expected.hyper["momentum"]
    assert win.selection.group == n


def test_a_new_request_cancels_the_old_one(win, qtbot):
    panel = _open(win, qtbot, BASINS)
    shown = []
    panel.computer.levelReady.connect(
        lambda gen, result, *_: gen == panel.computer.generation and shown.append((gen, result.x[0])))
    panel.set_cells(512)  # a big map ...
    first = panel.computer.generation
    panel.set_extent((0.0, 1.0), (0.0, 1.0))  # ... replaced at once by a zoom
    panel.set_cells(24)
    _wait_done(qtbot, panel)
    last = panel.computer.generation
    assert last > first
    assert all(gen == last for gen, _x in shown) and shown, "nothing of an older request was shown"
    assert panel.result.x[0] == 0.0 and len(panel.result.x) == 24
    qtbot.waitUntil(lambda: not panel.computer.busy, timeout=30_000)  # the cancelled thread stopped


def test_metric_change_is_written_to_the_document_without_recomputing(win, qtbot):
    panel = _open(win, qtbot, BASINS)
    generation = panel.computer.generation
    panel.metric_box.setCurrentIndex(panel.metric_box.findData("steps_to_eps"))
    panel.metric_box.activated.emit(panel.metric_box.currentIndex())
    assert win.doc.experiment.map.metric == "steps_to_eps"
    assert map_table(win.doc.experiment.map)["metric"] == "steps_to_eps"
    assert panel.computer.generation == generation  # the cells hold every metric
    assert panel.colorbar.isVisible() and "steps to come within ε" in panel.colorbar.getAxis("right").labelText


def test_race_table_numbers_are_core_race_statistics(win, qtbot):
    _open(win, qtbot, BASINS)
    win.step(40)
    qtbot.waitUntil(lambda: win.playback.cursor_step >= 40, timeout=60_000)
    win.map_view.update_race(force=True)
    table = win.map_view.panel.race
    exp = win.doc.experiment
    data = win.display.side_result()
    expected = race_statistics(data.loss, data.step, data.group, len(exp.groups), exp.race_eps(),
                               minima_array(exp.landscape_spec().minima()), positions=data.positions,
                               diverged_at=data.diverged_at)
    stats, group = session_race(win.display, exp)
    np.testing.assert_array_equal(stats.converged, expected.converged)
    np.testing.assert_array_equal(stats.final_quantiles, expected.final_quantiles)
    rows = table.rows()
    assert len(rows) == len(exp.groups)
    for g in range(len(exp.groups)):
        assert rows[g][1:] == race_row(expected, data.group, g)
        assert rows[g][1] == f"{100 * float(expected.converged[g]):.1f} %"
    reached = expected.steps_to_eps[(np.asarray(data.group) == 0) & (expected.steps_to_eps >= 0)]
    assert rows[0][2] == (f"{int(np.median(reached)):,}" if reached.size else "–")


def test_without_a_map_the_panel_shows_a_basin_map_of_the_selected_group(win, qtbot):
    panel = win.map_view.panel
    assert win.doc.experiment.map is None
    win.map_view.action.trigger()
    qtbot.waitUntil(lambda: panel.config is not None, timeout=60_000)
    assert panel.config.kind == "basin" and panel.config.group == win.selection.group
    assert not win.doc.dirty  # looking does not change the document
    panel.set_cells(16)
    _wait_done(qtbot, panel)
    assert win.doc.experiment.map is not None and win.doc.experiment.map.x.n == 16


def test_retranslates_live(win, qtbot):

    panel = win.map_view.panel
    try:
        win.set_language("zh")
        assert panel.reset_button.text() != "Reset extent"
    finally:
        win.set_language("en")
    assert panel.reset_button.text() == "Reset extent"


def test_cells_shown_are_cells_of_a_coarse_level_too(win, qtbot):
    """A click on a coarse level loads that level's cell (its own grid)."""
    panel = _open(win, qtbot, BASINS)
    coarse = dataclasses.replace(panel.request, x=dataclasses.replace(panel.request.x, n=4),
                                 y=dataclasses.replace(panel.request.y, n=4))
    panel.result = run_map(coarse)
    n = win.doc.n_groups
    panel.load_cell(1, 2)
    assert win.doc.group(n).init["point"] == [coarse.x.values()[2], coarse.y.values()[1]]

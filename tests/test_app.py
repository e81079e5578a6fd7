"""The window driven as a user would (offscreen): groups, hyperparameters, placing, playback,
scrubbing, inspecting, files, export, presets."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402


@pytest.fixture
def win(qtbot, tmp_path):
    from optviz.app.main_window import MainWindow, create_app

    create_app()
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(None, settings=settings, ask_to_save=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: w.ready, timeout=30_000)
    # first frame of the loaded experiment (kernels may still be loading from the cache)
    qtbot.waitUntil(lambda: w.display.n >= 1, timeout=240_000)
    yield w
    w.close()


def play_until(qtbot, w, step, timeout=20_000):
    w.playback.playing = True
    qtbot.waitUntil(lambda: w.playback.step >= step and w.display.n and w.display.steps[w.display.n - 1] >= step,
                    timeout=timeout)
    w.playback.playing = False
    settle(qtbot, w)


def settle(qtbot, w):
    """Wait until the worker is idle and its last snapshot is drawn."""
    qtbot.waitUntil(lambda: not w.live.busy, timeout=10_000)
    qtbot.wait(60)
    qtbot.waitUntil(lambda: not w.live.busy, timeout=10_000)


def test_play_step_reset_and_status(qtbot, win):
    w = win
    assert w.kernel_label.text() in ("kernels ready", "compiling kernels…")
    play_until(qtbot, w, 20)
    assert w.scene.n_frames == w.display.n >= 21
    assert w.slider.maximum() == w.display.n - 1
    s = w.playback.step
    assert w.actions_["step"].shortcut().toString() == "Right"
    w.actions_["step"].trigger()  # Right arrow
    qtbot.waitUntil(lambda: w.playback.step == s + 1, timeout=5000)
    w.step(5)
    qtbot.waitUntil(lambda: w.playback.step == s + 6, timeout=5000)
    w.actions_["reset"].trigger()  # R
    qtbot.waitUntil(lambda: w.playback.step == 0 and w.display.n == 1, timeout=5000)
    QTest.keyClick(w, QtCore.Qt.Key.Key_Space)
    if not w.playback.playing:  # the offscreen platform may not activate the window
        w.actions_["play"].trigger()
    assert w.playback.playing
    w.actions_["play"].trigger()
    assert not w.playback.playing
    w._update_status()
    assert "particles" in w.particles_label.text() and "diverged" in w.diverged_label.text()


def test_add_group_and_change_hyperparameter(qtbot, win):
    w = win
    n = w.doc.n_groups
    act = next(a for a in w.group_list.add_menu.actions() if a.text() == "RMSProp")
    act.trigger()
    assert w.doc.n_groups == n + 1 and w.doc.group(n).optimizer == "rmsprop"
    assert w.selection.group == n
    qtbot.waitUntil(lambda: w.editor.index == n and "alpha" in w.editor.fields, timeout=3000)
    lr = w.editor.fields["lr"]
    lr.editor.setText("0.003")
    lr.editor.editingFinished.emit()
    assert w.doc.group(n).hyper["lr"] == 0.003
    assert not lr.error.isVisibleTo(w.editor)
    before = w.doc.experiment
    lr.editor.setText("-1")
    lr.editor.editingFinished.emit()
    assert w.doc.experiment is before
    assert "out of range" in lr.error.text() and lr.error.isVisibleTo(w.editor)
    lr.editor.setText("abc")
    lr.editor.editingFinished.emit()
    assert "not a number" in lr.error.text()
    # a bool variant option and a choice
    w.editor.fields["centered"].editor.setChecked(True)
    assert w.doc.group(n).hyper["centered"] is True
    # duplicate, rename, hide, remove
    w.group_list.duplicate()
    assert w.doc.n_groups == n + 2
    item = w.group_list.list.item(n + 1)
    item.setText("renamed")
    assert w.doc.group(n + 1).label == "renamed"
    w.group_list.list.item(n + 1).setCheckState(QtCore.Qt.CheckState.Unchecked)
    assert w.doc.group(n + 1).visible is False
    w.group_list.list.setCurrentRow(n + 1)
    w.group_list.remove()
    assert w.doc.n_groups == n + 1
    # the simulation was rebuilt with the new group
    qtbot.waitUntil(lambda: w.display.n >= 1 and w.display.n_particles == w.doc.n_particles(), timeout=10_000)


def _click_landscape(w, x, y):
    vb = w.scene.vb
    sp = vb.mapViewToScene(QtCore.QPointF(x, y))
    vp = w.scene.mapFromScene(sp)
    QTest.mouseClick(w.scene.viewport(), QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier,
                     vp)


def test_place_particles_by_click(qtbot, win):
    w = win
    w.actions_["place"].trigger()  # P
    assert w.view.place_mode and w.scene.place_mode
    _click_landscape(w, 0.5, 1.5)
    qtbot.waitUntil(lambda: w.doc.group(0).init["kind"] == "point", timeout=3000)
    x, y = w.doc.group(0).init["point"]
    px = w.scene.pixel_size()
    assert abs(x - 0.5) < 3 * px and abs(y - 1.5) < 3 * px
    # a drag (in the model: what the drag emits) draws a cloud
    w.scene.sigCloud.emit(1.0, 1.0, 0.4)
    assert w.doc.group(0).init["kind"] == "normal" and w.doc.group(0).init["std"] == [0.2, 0.2]


def test_scrub_and_inspect(qtbot, win):
    w = win
    play_until(qtbot, w, 30)
    w.slider.setValue(5)
    assert w.playback.frame == 5 and not w.playback.follow
    assert w.scene.frame == 5 and w.playback.cursor_step == int(w.display.steps[5])
    assert "step 5 " in w.time_label.text()
    # click a particle (not in placement mode): the inspector shows it
    xy = w.display.positions[5, 7]
    i = w.pick(float(xy[0]), float(xy[1]), 1e-6)
    assert i is not None
    _click_landscape(w, float(xy[0]), float(xy[1]))
    qtbot.waitUntil(lambda: w.selection.particle is not None, timeout=3000)
    qtbot.waitUntil(lambda: w.inspector.info is not None, timeout=5000)
    rows = [w.inspector.table.item(r, 0).text() for r in range(w.inspector.table.rowCount())]
    assert any("gradient" in r for r in rows) and any("effective LR" in r for r in rows)
    assert "step 5" in w.inspector.head.text()
    assert "θ" in w.inspector.rule.toPlainText()
    w.slider.setValue(10)
    assert "step 10" in w.inspector.head.text()
    w.actions_["clear_inspect"].trigger()  # Escape
    assert w.selection.particle is None


def test_inspect_adam_state(qtbot, win):
    w = win
    play_until(qtbot, w, 10)
    adam = next(i for i, g in enumerate(w.doc.experiment.groups) if g.optimizer == "adam")
    p = int(np.flatnonzero(w.display.group == adam)[0])
    w.selection.particle = p
    qtbot.waitUntil(lambda: w.inspector.info is not None, timeout=5000)
    rows = [w.inspector.table.item(r, 0).text() for r in range(w.inspector.table.rowCount())]
    assert any(r.startswith("m̂") for r in rows) and any(r.startswith("v̂") for r in rows)
    assert any("first moment m" in r for r in rows)


def test_open_save_roundtrip(qtbot, win, tmp_path):
    w = win
    w.doc.set_hyper(0, "lr", 0.0007)
    w.view.trail_length = 12
    path = tmp_path / "exp.toml"
    assert w.save_to(path)
    assert not w.doc.dirty and "exp.toml" in w.windowTitle()
    saved = w.doc.experiment.to_dict()
    w.doc.new()
    assert w.doc.experiment.to_dict() != saved
    assert w.open_path(path)
    assert w.doc.experiment.to_dict() == saved
    assert w.view.trail_length == 12 and w.trail.value() == 12
    assert str(path) in (w.settings.value("recent") or [])
    qtbot.waitUntil(lambda: w.display.n >= 1, timeout=10_000)


def test_export_figure_animation_data(qtbot, win, tmp_path):
    w = win
    play_until(qtbot, w, 10)
    out = w._run_export("figure", str(tmp_path / "f.png"), size=(480, 320))
    assert out is not None and (tmp_path / "f.png").stat().st_size > 1000
    anim = w._run_export("animation", str(tmp_path / "a.mp4"), size=(320, 240), frames=4, fps=4)
    assert anim is not None and (tmp_path / "a.mp4").stat().st_size > 0
    w._run_export("data", str(tmp_path / "d.npz"))
    from optviz.experiment import load_result

    r = load_result(tmp_path / "d.npz")
    assert r.positions.shape[1] == w.doc.n_particles()

    # cancelling leaves no file
    def cancel_soon():
        if w.export_dialog is not None:
            w.export_dialog.cancel()

    timer = QtCore.QTimer()
    timer.timeout.connect(cancel_soon)
    timer.start(1)
    res = w._run_export("animation", str(tmp_path / "c.mp4"), size=(320, 240), frames=200, fps=10)
    timer.stop()
    assert res is None and not (tmp_path / "c.mp4").exists()


def test_presets_load_and_run(qtbot, win):
    from optviz.app.main_window import presets

    items = presets()
    assert len(items) >= 6
    titles = " ".join(t for t, _ in items).lower()
    for word in ("ravine", "adagrad", "bias", "adamw", "racing", "saddle"):
        assert word in titles
    for _title, path in items:
        assert win.open_path(path, as_preset=True)
        assert win.doc.path is None
        qtbot.waitUntil(lambda: win.display.n >= 3, timeout=20_000)
    win.playback.playing = False

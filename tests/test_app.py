"""The window driven as a user would (offscreen): groups, hyperparameters, placing, playback,
scrubbing, inspecting, files, export, presets."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from helpers import SMALL_EXPERIMENT, hold_kernel_compiles  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

Key = QtCore.Qt.Key
LEFT = QtCore.Qt.MouseButton.LeftButton
NO_MODIFIER = QtCore.Qt.KeyboardModifier.NoModifier


def play_until(qtbot, w, step, timeout=120_000):
    w.playback.playing = True
    qtbot.waitUntil(lambda: w.playback.step >= step and w.display.n and w.display.steps[w.display.n - 1] >= step,
                    timeout=timeout)
    w.playback.playing = False
    settle(qtbot, w)


def settle(qtbot, w):
    """Wait until the worker is idle and its last snapshot is drawn."""
    qtbot.waitUntil(lambda: not w.live.busy, timeout=60_000)
    qtbot.wait(60)
    qtbot.waitUntil(lambda: not w.live.busy, timeout=60_000)


def press(qtbot, w, key, modifier=NO_MODIFIER):
    """Type ``key`` into the window that has the keyboard focus, as a person does (the window's
    shortcuts see it only if the focused widget does not take it)."""
    w.activateWindow()
    qtbot.waitUntil(lambda: QtGui.QGuiApplication.focusWindow() is w.windowHandle(), timeout=60_000)
    QTest.keyClick(QtGui.QGuiApplication.focusWindow(), key, modifier)


def test_play_step_reset_and_status(qtbot, win):
    w = win
    assert w.kernel_label.text() == "kernels ready" or w.kernel_label.text().startswith("Compiling ")
    press(qtbot, w, Key.Key_Space)  # play
    qtbot.waitUntil(lambda: w.status.fps_label.text().endswith("fps"), timeout=60_000)
    qtbot.waitUntil(lambda: w.playback.step >= 20 and w.display.n and w.display.steps[w.display.n - 1] >= 20,
                    timeout=60_000)
    press(qtbot, w, Key.Key_Space)  # pause
    assert not w.playback.playing
    settle(qtbot, w)
    assert w.status.fps_label.text() == "paused"
    assert w.scene.n_frames == w.display.n >= 21
    assert w.transport.slider.maximum() == w.display.n - 1
    s = w.playback.step
    press(qtbot, w, Key.Key_Right)  # step
    qtbot.waitUntil(lambda: w.playback.step == s + 1, timeout=60_000)
    press(qtbot, w, Key.Key_Right, QtCore.Qt.KeyboardModifier.ShiftModifier)  # step x10
    qtbot.waitUntil(lambda: w.playback.step == s + 11, timeout=60_000)
    qtbot.waitUntil(lambda: w.transport.computed_label.text().startswith(f"computed {s + 11:,} / "), timeout=60_000)
    press(qtbot, w, Key.Key_R)  # reset
    qtbot.waitUntil(lambda: w.playback.step == 0 and w.display.n == 1, timeout=60_000)
    assert not w.playback.playing
    assert "particles" in w.status.particles_label.text() and "diverged" in w.status.diverged_label.text()


def test_add_group_and_change_hyperparameter(qtbot, win):
    w = win
    n = w.doc.n_groups
    act = next(a for a in w.group_list.add_menu.actions() if a.text() == "RMSProp")
    act.trigger()
    assert w.doc.n_groups == n + 1 and w.doc.group(n).optimizer == "rmsprop"
    assert w.selection.group == n
    qtbot.waitUntil(lambda: w.editor.index == n and "alpha" in w.editor.fields, timeout=60_000)
    lr = w.editor.fields["lr"]

    def type_into(field, text):
        field.editor.selectAll()
        QTest.keyClicks(field.editor, text)
        QTest.keyClick(field.editor, Key.Key_Return)

    type_into(lr, "0.003")
    assert w.doc.group(n).hyper["lr"] == 0.003
    assert not lr.error.isVisibleTo(w.editor)
    before = w.doc.experiment
    type_into(lr, "-1")
    assert w.doc.experiment is before
    assert "out of range" in lr.error.text() and lr.error.isVisibleTo(w.editor)
    type_into(lr, "abc")
    assert "not a number" in lr.error.text()
    # a bool variant option and a choice
    centered = w.editor.fields["centered"].editor
    option = QtWidgets.QStyleOptionButton()
    centered.initStyleOption(option)
    box = centered.style().subElementRect(QtWidgets.QStyle.SubElement.SE_CheckBoxIndicator, option, centered)
    QTest.mouseClick(centered, LEFT, NO_MODIFIER, box.center())
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
    qtbot.waitUntil(lambda: w.display.n >= 1 and w.display.n_particles == w.doc.n_particles(), timeout=60_000)


def _on_screen(w, x, y) -> QtCore.QPoint:
    """The viewport pixel of landscape point (x, y)."""
    return w.scene.mapFromScene(w.scene.vb.mapViewToScene(QtCore.QPointF(x, y)))


def _click_landscape(w, x, y):
    QTest.mouseClick(w.scene.viewport(), LEFT, NO_MODIFIER, _on_screen(w, x, y))


def _drag_landscape(w, start, end, steps=8):
    """Press the left button at landscape point ``start``, move to ``end`` and release it there."""
    viewport = w.scene.viewport()
    a, b = _on_screen(w, *start), _on_screen(w, *end)
    QTest.mousePress(viewport, LEFT, NO_MODIFIER, a)
    for k in range(1, steps + 1):
        QTest.mouseMove(viewport, a + (b - a) * (k / steps))
    QTest.mouseRelease(viewport, LEFT, NO_MODIFIER, b)


def test_place_particles_by_click(qtbot, win):
    w = win
    QTest.mouseClick(w.view_controls.place_btn, LEFT)  # "Place particles" (P)
    assert w.view.place_mode and w.scene.place_mode
    _click_landscape(w, 0.5, 1.5)
    qtbot.waitUntil(lambda: w.doc.group(0).init["kind"] == "point", timeout=60_000)
    x, y = w.doc.group(0).init["point"]
    px = w.scene.pixel_size()
    assert abs(x - 0.5) < 3 * px and abs(y - 1.5) < 3 * px
    # a drag draws a cloud: centred where the button went down, std half the drag's length
    _drag_landscape(w, (1.0, 1.0), (1.4, 1.0))
    qtbot.waitUntil(lambda: w.doc.group(0).init["kind"] == "normal", timeout=60_000)
    init = w.doc.group(0).init
    assert abs(init["mean"][0] - 1.0) < 3 * px and abs(init["mean"][1] - 1.0) < 3 * px
    assert abs(init["std"][0] - 0.2) < 3 * px and init["std"][0] == init["std"][1]
    assert not w.scene.cloud.isVisible()


def test_scrub_and_inspect(qtbot, win):
    w = win
    play_until(qtbot, w, 30)
    w.transport.slider.setValue(5)
    assert w.playback.frame == 5 and not w.playback.follow
    assert w.scene.frame == 5 and w.playback.cursor_step == int(w.display.steps[5])
    assert "step 5 " in w.transport.time_label.text()
    # click a particle (not in placement mode): the inspector shows it
    xy = w.display.positions[5, 7]
    i = w.picking.pick(float(xy[0]), float(xy[1]), 1e-6)
    assert i is not None
    _click_landscape(w, float(xy[0]), float(xy[1]))
    qtbot.waitUntil(lambda: w.selection.particle is not None, timeout=60_000)
    qtbot.waitUntil(lambda: w.inspector.info is not None, timeout=60_000)
    rows = [w.inspector.table.item(r, 0).text() for r in range(w.inspector.table.rowCount())]
    assert any("gradient" in r for r in rows) and any("effective LR" in r for r in rows)
    assert "step 5" in w.inspector.head.text()
    assert "θ" in w.inspector.rule.toPlainText()
    w.transport.slider.setValue(10)
    assert "step 10" in w.inspector.head.text()
    w.actions_["clear_inspect"].trigger()  # Escape
    assert w.selection.particle is None


def test_inspect_adam_state(qtbot, win):
    w = win
    play_until(qtbot, w, 10)
    adam = next(i for i, g in enumerate(w.doc.experiment.groups) if g.optimizer == "adam")
    p = int(np.flatnonzero(w.display.group == adam)[0])
    w.selection.particle = p
    qtbot.waitUntil(lambda: w.inspector.info is not None, timeout=60_000)
    rows = [w.inspector.table.item(r, 0).text() for r in range(w.inspector.table.rowCount())]
    assert any(r.startswith("m̂") for r in rows) and any(r.startswith("v̂") for r in rows)
    assert any("first moment m" in r for r in rows)


def test_open_save_roundtrip(qtbot, win, tmp_path):
    w = win
    w.doc.set_hyper(0, "lr", 0.0007)
    w.view.trail_length = 12
    path = tmp_path / "exp.toml"
    assert w.files.save_to(path)
    assert not w.doc.dirty and "exp.toml" in w.windowTitle()
    saved = w.doc.experiment.to_dict()
    w.doc.new()
    assert w.doc.experiment.to_dict() != saved
    assert w.open_path(path)
    assert w.doc.experiment.to_dict() == saved
    assert w.view.trail_length == 12 and w.view_controls.trail.value() == 12
    assert str(path) in (w.settings.value("recent") or [])
    qtbot.waitUntil(lambda: w.display.n >= 1, timeout=60_000)



def test_a_file_whose_render_table_the_cli_refuses_is_refused_in_the_window(qtbot, win, tmp_path, monkeypatch):
    w = win
    before = w.doc.experiment
    path = tmp_path / "bad_render.toml"
    path.write_text('[render]\nstep_axis = "lin"\n[[groups]]\nlabel = "GD"\noptimizer = "sgd"\n', encoding="utf-8")
    said = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda _parent, title, text: said.append((title, text)))
    assert not w.open_path(path)
    assert said == [("Cannot open", f"{path}: [render] step_axis: 'lin' is not allowed; one of 'linear', 'log'")]
    assert w.doc.experiment is before
    path.write_text('[view]\ncolormap = "jet"\n[[groups]]\nlabel = "GD"\noptimizer = "sgd"\n', encoding="utf-8")
    assert not w.open_path(path)
    assert said[-1] == ("Cannot open", f"{path}: view.colormap: 'jet' is not allowed; one of 'viridis', 'cividis', "
                                       "'magma', 'inferno', 'plasma'")


#: The small experiment (tests/fixtures/small.toml: 31 particles, 40 steps, a 320x240 picture), exported
#: in 4 frames at 4 fps.
EXPORT_EXPERIMENT = SMALL_EXPERIMENT.replace("[render]\n", "[render]\nframes = 4\nfps = 4\n")


def export_via_menu(w, monkeypatch, action, path):
    """File > Export …: pick ``path`` in the save dialog (patched: no dialog opens offscreen)."""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    w.actions_[action].trigger()


def decode(path):
    import av

    with av.open(str(path)) as video:
        return [frame.to_ndarray(format="rgb24") for frame in video.decode(video=0)]


def open_export_experiment(qtbot, w, tmp_path, text=EXPORT_EXPERIMENT):
    experiment = tmp_path / "export.toml"
    experiment.write_text(text)
    assert w.open_path(experiment)
    qtbot.waitUntil(lambda: w.live.exp is w.doc.experiment and w.display.n >= 1, timeout=60_000)
    return experiment


def test_export_figure_and_data(qtbot, win, tmp_path, monkeypatch):
    from optviz.experiment import load_result
    from optviz.render.metadata import read_experiment_text

    w = win
    open_export_experiment(qtbot, w, tmp_path)
    play_until(qtbot, w, 10)

    export_via_menu(w, monkeypatch, "export_figure", tmp_path / "f.png")
    image = QtGui.QImage(str(tmp_path / "f.png"))
    assert (image.width(), image.height()) == (320, 240), "the experiment's [render] size"
    colours = {image.pixel(x, y) for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert len(colours) > 50, "the figure shows the landscape, not a blank page"
    assert f"step = {w.playback.cursor_step}" in read_experiment_text(tmp_path / "f.png")

    export_via_menu(w, monkeypatch, "export_data", tmp_path / "d.npz")
    job = w.exports.data_export
    qtbot.waitUntil(lambda: not job.running, timeout=120_000)
    assert job.outcome == "done", job.message
    r = load_result(tmp_path / "d.npz")
    assert r.positions.shape[1] == w.doc.n_particles() == 31


def test_export_data_of_a_paused_run_is_the_whole_run_as_optviz_run_writes_it(qtbot, win, tmp_path, monkeypatch):
    """Paused at step ~10 of 40, File > Export Data writes every recorded frame of the run, the
    arrays `optviz run` writes for the same experiment; the window stays at the step it was."""
    from optviz.cli import main
    from optviz.experiment import load_result

    w = win
    experiment = open_export_experiment(qtbot, w, tmp_path)
    play_until(qtbot, w, 10)
    paused_at, cursor = w.playback.step, w.playback.cursor_step
    assert paused_at < 40

    export_via_menu(w, monkeypatch, "export_data", tmp_path / "d.npz")
    job = w.exports.data_export
    assert job is not None and w.exports.progress_dialog is not None
    qtbot.waitUntil(lambda: not job.running, timeout=120_000)
    assert job.outcome == "done", job.message
    assert w.exports.progress_dialog is None and "d.npz: 41 frames" in w.statusBar().currentMessage()
    assert (w.playback.step, w.playback.cursor_step) == (paused_at, cursor), "the live run did not move"

    assert main(["run", str(experiment), "-o", str(tmp_path / "cli.npz"), "-q"]) == 0
    mine, reference = load_result(tmp_path / "d.npz"), load_result(tmp_path / "cli.npz")
    assert list(mine.step) == list(range(41)) and mine.step[-1] == 40 > paused_at
    for name in ("step", "positions", "loss", "grad", "lr_preconditioned", "lr_realized", "diverged_at"):
        np.testing.assert_array_equal(getattr(mine, name), getattr(reference, name), err_msg=name)
    assert mine.experiment.to_dict() == reference.experiment.to_dict()


def test_export_data_cancel_leaves_the_old_file(qtbot, win, tmp_path, monkeypatch):
    w = win
    open_export_experiment(qtbot, w, tmp_path, EXPORT_EXPERIMENT.replace("steps = 40", "steps = 2000000"))
    out = tmp_path / "c.npz"
    out.write_bytes(b"an earlier export")
    job = w.exports.start_data_export(out)
    qtbot.waitUntil(lambda: w.exports.progress_dialog.maximum() > 0, timeout=60_000)  # computing
    button = w.exports.progress_dialog.findChild(QtWidgets.QPushButton)
    QTest.mouseClick(button, LEFT, NO_MODIFIER, button.rect().center())
    qtbot.waitUntil(lambda: not job.running, timeout=60_000)
    assert job.outcome == "cancelled" and "cancelled" in w.statusBar().currentMessage()
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".c.npz")) == []


def test_export_animation_of_a_paused_run_covers_the_whole_run(qtbot, win, tmp_path, monkeypatch):
    """Paused at step ~10 of 40, File > Export Animation writes what `optviz export` writes: every frame."""
    from optviz.app.export_controller import AnimationExportDialog
    from optviz.cli import main

    w = win
    experiment = open_export_experiment(qtbot, w, tmp_path)
    play_until(qtbot, w, 10)
    paused_at = w.playback.step
    assert paused_at < 40

    accepted = []

    def accept(dialog):
        accepted.append(dialog.settings())
        dialog.path.setText(str(tmp_path / "a.mp4"))
        return QtWidgets.QDialog.DialogCode.Accepted

    monkeypatch.setattr(AnimationExportDialog, "exec", accept)
    job = w.exports.export_animation_dialog()
    assert accepted and (accepted[0].fps, accepted[0].frames, accepted[0].size) == (4, 4, (320, 240)), \
        "the dialog's defaults are the experiment's [render] table"
    assert job is not None and w.exports.progress_dialog.isVisible()
    qtbot.waitUntil(lambda: not job.running, timeout=120_000)
    assert job.outcome == "done", job.message
    assert "Exported a.mp4: 4 frames" in w.statusBar().currentMessage()

    assert main(["export", str(experiment), "-o", str(tmp_path / "cli.mp4"), "-q"]) == 0
    frames, reference = decode(tmp_path / "a.mp4"), decode(tmp_path / "cli.mp4")
    assert len(frames) == len(reference) == 4 and frames[0].shape == (240, 320, 3)
    assert not np.array_equal(frames[-2], frames[-1]), f"the video moves on after step {paused_at}"
    assert all(np.array_equal(a, b) for a, b in zip(frames, reference, strict=True)), "the frames of optviz export"


def test_export_animation_cancel_leaves_the_old_file(qtbot, win, tmp_path):
    from optviz.app.export_controller import ExportSettings

    w = win
    open_export_experiment(qtbot, w, tmp_path)
    out = tmp_path / "c.mp4"
    out.write_bytes(b"an earlier export")

    def press_cancel(phase, done, total):
        if phase == "frame" and done >= 2:
            button = w.exports.progress_dialog.findChild(QtWidgets.QPushButton)
            QTest.mouseClick(button, LEFT, NO_MODIFIER, button.rect().center())

    job = w.exports.start_animation_export(ExportSettings(out, frames=2000, size=(160, 120)))
    job.progress.connect(press_cancel)
    qtbot.waitUntil(lambda: not job.running, timeout=120_000)
    assert job.outcome == "cancelled" and 2 <= job.frames_written < 2000
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir() if ".part" in p.name) == []
    assert "cancelled" in w.statusBar().currentMessage()


def test_export_animation_error_is_one_line_in_a_message_box(qtbot, win, tmp_path):
    from optviz.app.export_controller import ExportSettings

    w = win
    job = w.exports.start_animation_export(ExportSettings(tmp_path / "no such folder" / "x.mp4"))
    qtbot.waitUntil(lambda: not job.running, timeout=120_000)
    assert job.outcome == "failed"
    box = w.status.message_box
    assert box.isVisible() and box.windowTitle() == "Export failed"
    assert "\n" not in box.text() and "does not exist" in box.text() and "Traceback" not in box.text()
    box.close()


def test_export_dialog_options(qtbot, win, tmp_path):
    from optviz.app.export_controller import AnimationExportDialog

    w = win
    open_export_experiment(qtbot, w, tmp_path, EXPORT_EXPERIMENT.replace("frames = 4\n", ""))
    dialog = AnimationExportDialog(w.doc.experiment, tmp_path / "x.mp4", w)
    qtbot.addWidget(dialog)
    export = dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
    assert dialog.length_mode.currentData() == "auto" and "40 frames" in dialog.summary.text()
    dialog.format.setCurrentIndex(dialog.format.findData(".gif"))
    assert dialog.path.text().endswith("x.gif")
    dialog.path.setText(str(tmp_path / "y.webp"))
    assert dialog.format.currentData() == ".webp"
    dialog.length_mode.setCurrentIndex(dialog.length_mode.findData("duration"))
    dialog.duration.setValue(2.5)
    s = dialog.settings()
    assert (s.duration, s.frames, s.fps) == (2.5, None, 4) and "10 frames" in dialog.summary.text()
    dialog.path.setText(str(tmp_path / "odd.mp4"))
    dialog.width_.setValue(321)
    assert not export.isEnabled() and "even width" in dialog.summary.text()
    dialog.width_.setValue(320)
    assert export.isEnabled()


def test_presets_load_and_run(qtbot, win):
    from optviz.app.main_window import presets

    items = presets()
    assert len(items) >= 6
    titles = " ".join(t for t, _ in items).lower()
    for word in ("ravine", "adagrad", "bias", "adamw", "race", "saddle"):
        assert word in titles
    for _title, path in items:
        assert win.open_path(path, as_preset=True)
        assert win.doc.path is None
        # each preset plays at its own pace (a long race faster), whatever was set before
        assert win.playback.speed == win.doc.experiment.view["speed"]
        # this preset's own frames (its kernels compile on first use: several families in the race)
        qtbot.waitUntil(lambda: win.live.exp is win.doc.experiment and win.display.generation == win.live.generation
                        and win.display.n >= 3, timeout=240_000)
    win.playback.playing = False


def test_opened_experiment_shows_start_positions_while_its_kernels_compile(qtbot, win, monkeypatch):
    """File > Open draws the particles where they start at once; the status bar says which kernel
    compiles and how far; Play pressed meanwhile starts them moving once the kernels are there."""
    from optviz.app.main_window import PRESET_DIR

    w = win
    release = hold_kernel_compiles(monkeypatch, announce=("a slow kernel", 0, 2))
    try:
        assert w.open_path(PRESET_DIR / "02_adagrad_vs_rmsprop.toml")
        starts = np.concatenate(w.doc.experiment.initial_positions())
        points = w.scene.particles.points

        def start_drawn():
            if len(points.data) != len(starts):
                return False
            return np.allclose(points.data["x"], starts[:, 0]) and np.allclose(points.data["y"], starts[:, 1])

        qtbot.waitUntil(start_drawn, timeout=60_000)
        qtbot.waitUntil(lambda: w.kernel_label.text() == "Compiling a slow kernel (1 of 2)…", timeout=60_000)
        assert w.status.kernel_progress.isVisible() and w.status.kernel_progress.maximum() == 2
        assert w.transport.time_label.text().startswith("step 0 /")
        w.transport.play_btn.click()
        assert w.playback.playing
        qtbot.wait(300)  # still compiling: the window keeps running, nothing moves, nothing fails
        assert w.playback.playing and w.playback.step == 0 and start_drawn()
        assert "stopped" not in w.statusBar().currentMessage()
        release.set()
        qtbot.waitUntil(lambda: w.playback.step >= 5, timeout=60_000)
        qtbot.waitUntil(lambda: w.kernel_label.text() == "kernels ready", timeout=60_000)
        assert not w.status.kernel_progress.isVisible()
        assert not np.allclose(points.data["x"], starts[:, 0], equal_nan=True)  # they moved
        w.playback.playing = False
    finally:
        release.set()
    settle(qtbot, w)


def test_closing_while_a_kernel_compiles(qtbot, tmp_path, monkeypatch):
    """A window closed while its compute thread compiles (Numba cannot be interrupted) closes; the
    thread ends on its own afterwards instead of being destroyed running (which aborts Qt)."""
    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    release = hold_kernel_compiles(monkeypatch)
    ensure_app()
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(None, settings=settings, ask_to_save=False)
    w.show()
    qtbot.waitUntil(lambda: w.ready and w.display.n == 1, timeout=30_000)  # the start positions
    thread = w.thread
    try:
        assert w.close()
        assert thread.isRunning()
        w.deleteLater()  # destroys the window and its children
        qtbot.wait(50)
    finally:
        release.set()
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=60_000)
    qtbot.wait(50)


def test_display_buffer_thins_without_moving_positions():
    """Thinning rewrites only the slot table; frames, side statistics and the side plots'
    incremental statistics stay those of the kept steps."""
    from optviz.core.statistics import group_quantiles
    from optviz.models.live import DisplayBuffer, Snapshot

    N, Ns = 50, 10
    group = np.repeat([0, 1], 25).astype(np.int32)
    side = np.r_[0:5, 25:30]
    buf = DisplayBuffer(max_frames=8)
    rng = np.random.default_rng(0)
    steps_all, pos_all, loss_all = [], [], []
    for k in range(30):
        pos = rng.normal(size=(1, N, 2)).astype(np.float32)
        loss = rng.lognormal(size=(1, Ns)).astype(np.float32)
        lr = rng.lognormal(size=(1, Ns, 2)).astype(np.float32)
        snap = Snapshot(generation=1, step=k, total_steps=100, n_particles=N, steps=np.array([k]), positions=pos,
                        loss=loss, lr_preconditioned=lr, lr_realized=lr, diverged_at=np.full(N, -1),
                        fresh=k == 0, group=group if k == 0 else None, side_index=side if k == 0 else None)
        assert buf.add(snap) == 1
        assert buf.capacity == 8
        steps_all.append(k)
        pos_all.append(pos[0])
        loss_all.append(loss[0])
    n = buf.n
    assert 2 <= n <= buf.capacity and buf.steps[0] == 0 and buf.steps[n - 1] == 29
    for f in range(n):
        s = int(buf.steps[f])
        np.testing.assert_array_equal(buf.positions[f], pos_all[s])
        np.testing.assert_array_equal(buf.positions[f, 7], pos_all[s][7])
    trail = buf.positions[0:n, np.array([3, 40])]
    assert trail.shape == (n, 2, 2)
    np.testing.assert_array_equal(trail[:, 1], np.array([pos_all[int(s)][40] for s in buf.steps[:n]]))
    assert buf.ns == n
    q = group_quantiles(buf.loss[:n], buf.side_group, 2)
    np.testing.assert_allclose(buf.side_result().side_stats["loss_q"], q)


def test_side_plots_update_in_place(qtbot):
    """A second build with the same plots and groups reuses every item (no re-creation)."""
    from optviz.experiment import Experiment
    from optviz.render.scene import Scene

    exp = Experiment.from_dict({"title": "t", "landscape": {"name": "rosenbrock"}, "run": {"steps": 50},
                                "groups": [{"label": "Adam", "optimizer": "adam",
                                            "init": {"kind": "normal", "mean": [-1, 1], "std": [0.2, 0.2],
                                                     "count": 40}}]})
    scene = Scene()
    qtbot.addWidget(scene)
    scene.set_experiment(exp)
    rng = np.random.default_rng(3)

    class R:
        pass

    def result(F):
        r = R()
        r.positions = rng.normal(size=(F, 40, 2))
        r.loss = rng.lognormal(size=(F, 40))
        r.lr_preconditioned = rng.lognormal(size=(F, 40, 2))
        r.lr_realized = rng.lognormal(size=(F, 40, 2))
        r.lr_realized[F // 2, :, 0] = 1e7  # a spike (|g| ~ 0) must not set the range
        r.step = np.arange(F)
        r.group = np.zeros(40, np.int64)
        r.diverged_at = np.full(40, -1)
        return r

    scene.set_data(result(10))
    plots = dict(scene.side.plots)
    items = {k: [id(c) for c in v["curves"]] for k, v in scene.side._items.items()}
    scene.set_data(result(20))
    assert scene.side.plots == plots
    assert {k: [id(c) for c in v["curves"]] for k, v in scene.side._items.items()} == items
    lo, hi = scene.side._yranges["lr_real"]
    assert hi < 3, "the realized-LR range follows the bulk of the values, not a 1e7 spike"


def test_clicking_the_slider_jumps_there(qtbot, win):
    w = win
    play_until(qtbot, w, 60)
    w.playback.scrub(0)
    qtbot.waitUntil(lambda: w.transport.slider.value() == 0, timeout=60_000)
    top = w.transport.slider.maximum()
    assert top >= 40
    slider = w.transport.slider
    groove = slider.rect()
    QTest.mouseClick(slider, LEFT, NO_MODIFIER, QtCore.QPoint(int(groove.width() * 0.8), groove.center().y()))
    qtbot.waitUntil(lambda: w.playback.frame == slider.value() != 0, timeout=60_000)
    assert abs(slider.value() - 0.8 * top) <= 0.1 * top, "the cursor goes where the slider was clicked"


def test_bad_file_on_the_command_line_stays_visible(qtbot, tmp_path):
    from optviz.app.main_window import MainWindow

    bad = tmp_path / "bad.toml"
    bad.write_text("title = 1\n")
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(bad, settings=settings, ask_to_save=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ready and w.status.message_box is not None, timeout=30_000)
    qtbot.waitUntil(lambda: w.kernel_label.text() == "kernels ready", timeout=240_000)
    qtbot.wait(200)
    box = w.status.message_box
    assert box.isVisible(), "the error stays until the user closes it"
    assert box.text().startswith(f"{bad}: title = 1") and box.text().count(str(bad)) == 1
    box.close()
    w.close()


def test_messages_name_the_file_once(tmp_path):
    from optviz.models.document import DocumentModel, EditError

    doc = DocumentModel()
    for name, text in (("bad.toml", "title = 1\n"), ("broken.toml", "x = [\n"), ("missing.toml", None)):
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(EditError) as error:
            doc.load(path)
        assert str(error.value).startswith(f"{path}: ") and str(error.value).count(str(path)) == 1


def test_particle_limit_is_for_all_groups_together():
    from optviz.models.document import DocumentModel, EditError

    doc = DocumentModel()
    doc.set_count(0, 600_000)
    with pytest.raises(EditError, match="all groups together.*at most 400,000 here"):
        doc.set_count(1, 600_000)
    doc.set_count(1, 400_000)
    assert doc.n_particles() == 1_000_000


def test_shortcuts_and_large_learning_rate_warning(qtbot, win):
    w = win
    rows = dict(w.shortcut_rows())
    assert "New" in rows and "Save As…" in rows and not any("&" in what for what in rows)
    assert not w.status.warning_label.isVisible()
    w.doc.set_hyper(0, "lr", 1e9)  # accepted, but said
    label = w.doc.group(0).label
    assert w.status.warning_label.isVisible() and f"{label}: lr = 1e+09" in w.status.warning_label.text()
    w.doc.set_hyper(0, "lr", 0.01)
    assert not w.status.warning_label.isVisible()


def test_a_layout_saved_on_a_larger_screen_is_fitted_to_this_one(qtbot, tmp_path):
    from optviz.app.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    wide = QtWidgets.QMainWindow()
    wide.setGeometry(0, 0, 5000, 3000)  # saved on a larger screen
    settings.setValue("geometry", wide.saveGeometry())
    wide.deleteLater()
    w = MainWindow(None, settings=settings, ask_to_save=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ready, timeout=30_000)
    room = w.screen().availableGeometry()  # offscreen: 800x800, less than the window's minimum width
    frame = w.frameGeometry()
    least = w.minimumSizeHint() + QtCore.QSize(frame.width() - w.width(), frame.height() - w.height())
    assert frame.width() <= max(room.width(), least.width()) and frame.height() <= max(room.height(), least.height())
    assert room.contains(frame.topLeft()), (room, frame)
    w.close()


def test_solo_shows_only_the_selected_group_and_follows_the_selection(qtbot, win):
    w = win
    play_until(qtbot, w, 5)
    particles = w.scene.particles
    w.selection.group = 1
    press(qtbot, w, Key.Key_S)
    qtbot.waitUntil(lambda: w.selection.solo)
    assert [c.isVisible() for c in particles.trails] == [False, True]
    drawn = np.isfinite(particles.points.data["x"]).sum()  # hidden points are NaN
    assert drawn == w.doc.experiment.particle_counts()[1]  # only Adam's points
    grey = QtGui.QColor("#9a9a9a")
    assert w.group_list.list.item(0).foreground().color() == grey
    assert w.group_list.list.item(1).foreground().color() != grey
    w.group_list.list.setCurrentRow(0)  # choosing another group solos that one
    assert [c.isVisible() for c in particles.trails] == [True, False]
    press(qtbot, w, Key.Key_S)
    qtbot.waitUntil(lambda: not w.selection.solo)
    assert [c.isVisible() for c in particles.trails] == [True, True]
    assert not w.doc.dirty  # solo is a view of the moment, not an edit


def test_the_weight_decay_plot_is_drawn_live_in_the_window(qtbot, win):
    """Story 5 in the window: the decay actually applied per parameter, for L2 and for AdamW."""
    from optviz.app.main_window import PRESET_DIR

    w = win
    assert w.open_path(PRESET_DIR / "05_adam_l2_vs_adamw.toml", as_preset=True)
    qtbot.waitUntil(lambda: w.live.exp is w.doc.experiment and w.kernel_label.text() == "kernels ready",
                    timeout=240_000)
    play_until(qtbot, w, 30)
    w.session.scrub_to_newest()
    qtbot.wait(50)
    curves = [y for _x, y in w.scene.side.drawn_curves("weight_decay") if np.isfinite(y).any()]
    assert len(curves) == 4  # Adam + L2 and AdamW, parameters x and y; Adam without decay draws none
    l2, decoupled = np.nanmedian(curves[:2]), np.nanmedian(curves[2:])  # log10 of |Δθ| per step
    assert decoupled - l2 > 1  # AdamW's decay more than ten times L2's: what the preset is about

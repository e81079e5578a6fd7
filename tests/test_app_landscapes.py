"""The app's own landscapes and stochastic gradients, driven as a user would (offscreen):
typed expressions (live validation, apply), data-backed models (generated, CSV), the group's
gradient settings (batch size, sampling, noise) and the GD / SGD / mini-batch preset."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from optviz.app.panels import DATA_KEY, ERROR_STYLE, EXPR_KEY  # noqa: E402

EXPR = "(x**2 - 1)**2 + tilt*x + c*y**2"  # as in preset 08: its kernels compile once

#: Experiments whose expression once hung the window (minutes of compiling) or crashed Numba, and
#: the refusal each now gets.
COSTLY = {
    "nested": ("sin(" * 60 + "x" + ")" * 60, "landscape.expression: nests 60 function calls; at most 12 are "
               "allowed at column 1"),
    "power": ("(" * 11 + "x" + ")**64" * 11, "landscape.expression: nested powers combine to the exponent "
              "262144; at most 4096 in absolute value is allowed at column 24"),
}


def costly_file(tmp_path, kind):
    path = tmp_path / f"{kind}.toml"
    path.write_text(f'title = "costly"\n[landscape]\nexpression = "{COSTLY[kind][0]}"\n\n'
                    '[[groups]]\nlabel = "GD"\noptimizer = "sgd"\n', encoding="utf-8")
    return path


def rebuilt(w):
    """The worker runs the document's current experiment and its first frame is drawn."""
    return (w.live.exp is w.doc.experiment and not w.live.busy and w.display.n >= 1
            and w.display.generation == w.live.generation)


def type_into(qtbot, line_edit, text):
    line_edit.setFocus()
    line_edit.selectAll()
    QTest.keyClick(line_edit, QtCore.Qt.Key.Key_Backspace)
    qtbot.keyClicks(line_edit, text)


def editor_ready(qtbot, w, group=0):
    """The group editor shows ``group`` (it is rebuilt on the next event-loop turn)."""
    w.selection.group = group
    qtbot.waitUntil(lambda: w.editor.index == group and "batch_size" in w.editor.fields, timeout=60_000)
    qtbot.wait(20)
    return w.editor


def test_typed_expression_live_validation_and_apply(qtbot, win):
    w = win
    ep = w.experiment_panel
    assert ep.landscape.findData(EXPR_KEY) >= 0
    ep.landscape.setCurrentIndex(ep.landscape.findData(EXPR_KEY))
    ep.landscape.activated.emit(ep.landscape.currentIndex())
    ex = ep.expression
    assert ex.isVisibleTo(ep) and ep.landscape.currentData() == EXPR_KEY  # the template, being prepared
    qtbot.waitUntil(lambda: w.doc.experiment.landscape.expression is not None, timeout=60_000)
    assert ex.isVisibleTo(ep) and not ep.data.isVisibleTo(ep)
    assert ex.params.text() == "a = 1, b = 100"

    # an unknown name: error with its column while typing, nothing applied
    before = w.doc.experiment
    type_into(qtbot, ex.expr, EXPR)
    assert ex.error.isVisibleTo(ep)
    assert "unknown name 'tilt' at column 17" in ex.error.text()
    assert "^" in ex.error.text()  # the caret under the column
    assert ex.expr.styleSheet() == ERROR_STYLE
    assert not ex.apply_btn.isEnabled()
    QTest.keyClick(ex.expr, QtCore.Qt.Key.Key_Return)
    assert w.doc.experiment is before

    # a syntax error and an unsafe input: refused with the position, still nothing applied
    type_into(qtbot, ex.expr, "x**2 + ) y")
    assert "expected an operand at column 8" in ex.error.text()
    type_into(qtbot, ex.expr, "().__class__")
    assert ex.error.isVisibleTo(ep) and "column" in ex.error.text()
    assert not ex.apply()
    assert w.doc.experiment is before

    # one click declares the unknown name; Enter applies; the landscape is re-drawn
    type_into(qtbot, ex.expr, EXPR)
    type_into(qtbot, ex.params, "")
    assert ex.fix_btn.isVisibleTo(ep) and "tilt" in ex.fix_btn.text()
    ex.fix_btn.click()
    assert ex.params.text() == "tilt = 1"
    assert "unknown name 'c' at column 26" in ex.error.text()
    ex.fix_btn.click()
    assert ex.params.text() == "tilt = 1, c = 1"
    assert not ex.error.isVisibleTo(ep) and ex.apply_btn.isEnabled()
    type_into(qtbot, ex.params, "tilt = 0.4, c = 0.5")
    QTest.keyClick(ex.params, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.doc.experiment.landscape.expression == EXPR, timeout=60_000)
    land = w.doc.experiment.landscape
    assert land.expression == EXPR and land.params == {"tilt": 0.4, "c": 0.5}
    assert land.bounds == [[-2.0, 2.0], [-1.0, 3.0]]
    assert w.scene._exp.landscape.expression == EXPR
    assert "tilt" in ep.formula.text()
    qtbot.waitUntil(lambda: rebuilt(w), timeout=120_000)

    # parameters and the view: a bad value is refused in place
    type_into(qtbot, ex.params, "tilt = ten, c = 0.5")
    assert "tilt = 'ten'" in ex.error.text() and ex.params.styleSheet() == ERROR_STYLE
    type_into(qtbot, ex.params, "tilt = 0.2, c = 0.5")
    type_into(qtbot, ex.bounds[0], "2")
    type_into(qtbot, ex.bounds[1], "-2")
    assert "x from 2 to -2" in ex.error.text() and not ex.apply_btn.isEnabled()
    ex.revert_btn.click()
    assert ex.params.text() == "tilt = 0.4, c = 0.5" and not ex.error.isVisibleTo(ep)
    # the expression travels in the experiment like a built-in
    assert w.doc.experiment.to_dict()["landscape"]["expression"] == EXPR


def test_data_landscape_generated_and_csv(qtbot, win, tmp_path):
    w = win
    ep = w.experiment_panel
    assert ep.choose(DATA_KEY + "linear")
    land = w.doc.experiment.landscape
    assert land.model == "linear" and land.data == {"size": 500, "noise": 0.5, "seed": 1}
    assert ep.data.isVisibleTo(ep) and not ep.expression.isVisibleTo(ep)
    assert "L(w, b)" in ep.formula.text() and "horizontal axis: w" in ep.formula.text()
    # groups that started off the new view were moved into it
    (x0, x1), (y0, y1) = w.doc.experiment.landscape_spec().bounds
    for k in range(w.doc.n_groups):
        cx, cy = w.doc.center_of(k)
        assert x0 <= cx <= x1 and y0 <= cy <= y1
    # generated data: size, noise, true parameters
    ep.data.fields["size"].editor.setValue(300)
    assert w.doc.experiment.landscape.data["size"] == 300
    noise = ep.data.fields["noise"]
    noise.editor.setText("-1")
    noise.editor.editingFinished.emit()
    assert "noise" in noise.error.text() and w.doc.experiment.landscape.data["noise"] == 0.5
    tw = ep.data.fields["true.w"]
    tw.editor.setText("3")
    tw.editor.editingFinished.emit()
    assert w.doc.experiment.landscape.data["w"] == 3.0
    # a malformed CSV: the dataset's message with the line, nothing applied
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n", encoding="utf-8")
    before = w.doc.experiment
    assert not ep.data.load_csv(bad)
    assert "bad.csv, line 3" in ep.data.error.text() and "'oops' is not a number" in ep.data.error.text()
    assert w.doc.experiment is before
    good = tmp_path / "points.csv"
    rng = np.random.default_rng(0)
    xs = rng.standard_normal(40)
    good.write_text("x,y\n" + "".join(f"{x},{2 * x + 1}\n" for x in xs), encoding="utf-8")
    assert ep.data.load_csv(good)
    assert w.doc.experiment.landscape.data == {"csv": str(good.resolve())}
    assert "40 samples" in ep.formula.text()
    ep.refresh()
    # the CSV's y are not 0/1 labels: logistic regression falls back to generated data
    assert ep.choose(DATA_KEY + "logistic")
    assert w.doc.experiment.landscape.model == "logistic" and "csv" not in w.doc.experiment.landscape.data
    qtbot.waitUntil(lambda: rebuilt(w), timeout=120_000)
    # back to a built-in
    assert ep.choose("rosenbrock")
    assert w.doc.experiment.landscape.name == "rosenbrock" and not ep.data.isVisibleTo(ep)


def test_group_gradient_batch_size_sampling_noise(qtbot, win):
    w = win
    ed = editor_ready(qtbot, w)
    # a formula landscape: no batch size, and the reason is shown
    assert not ed.batch_mode.isEnabled() and ed.no_data_note.isVisibleTo(ed)
    assert "data-backed" in ed.batch_mode.toolTip()
    before = w.doc.experiment
    assert not ed.fields["batch_size"].apply(1)
    assert "needs a data-backed landscape" in ed.fields["batch_size"].error.text()
    assert w.doc.experiment is before
    # gradient noise works on any landscape
    nk = ed.noise_kind
    nk.activated.emit(nk.findData("gaussian"))
    assert w.doc.group(0).noise == {"kind": "gaussian", "scale": 1.0}
    scale = ed.fields["noise.scale"]
    assert scale.editor.isEnabled() and not ed.fields["noise.dof"].editor.isEnabled()
    scale.editor.setText("0.5")
    scale.editor.editingFinished.emit()
    assert w.doc.group(0).noise["scale"] == 0.5
    scale.editor.setText("-1")
    scale.editor.editingFinished.emit()
    assert "noise.scale = -1.0 must be a number > 0" in scale.error.text()
    assert w.doc.group(0).noise["scale"] == 0.5
    nk.activated.emit(nk.findData("student_t"))
    assert w.doc.group(0).noise == {"kind": "student_t", "scale": 0.5, "dof": 3.0}
    dof = ed.fields["noise.dof"]
    dof.editor.setText("1.5")
    dof.editor.editingFinished.emit()
    assert "must be a number > 2" in dof.error.text() and w.doc.group(0).noise["dof"] == 3.0
    dof.editor.setText("5")
    dof.editor.editingFinished.emit()
    assert w.doc.group(0).noise["dof"] == 5.0
    nk.activated.emit(nk.findData("none"))
    assert w.doc.group(0).noise is None and not scale.editor.isEnabled()

    # on data the batch size is a group setting: full / SGD / mini-batch of B
    assert w.experiment_panel.choose(DATA_KEY + "linear")
    ed = editor_ready(qtbot, w)
    qtbot.waitUntil(lambda: ed.batch_mode.isEnabled(), timeout=60_000)
    assert not ed.no_data_note.isVisibleTo(ed)
    bm = ed.batch_mode
    bm.activated.emit(bm.findData("sgd"))
    assert w.doc.group(0).batch_size == 1
    assert ed.sampling.isEnabled()
    bm.activated.emit(bm.findData("mini"))
    assert w.doc.group(0).batch_size == 32 and ed.batch_spin.isVisibleTo(ed)
    ed.batch_spin.setValue(64)
    assert w.doc.group(0).batch_size == 64
    assert ed.batch_spin.maximum() == 500
    assert not ed.fields["batch_size"].apply(501)
    assert "larger than the dataset (500 samples)" in ed.fields["batch_size"].error.text()
    ed.sampling.activated.emit(ed.sampling.findData("replacement"))
    assert w.doc.group(0).sampling == "replacement"
    bm.activated.emit(bm.findData("full"))
    assert w.doc.group(0).batch_size is None and not ed.sampling.isEnabled()
    bm.activated.emit(bm.findData("sgd"))
    # back to a formula landscape: the batch size goes (formula landscapes have no samples)
    assert w.experiment_panel.choose("rosenbrock")
    assert w.doc.group(0).batch_size is None
    qtbot.waitUntil(lambda: not ed.batch_mode.isEnabled() if not ed.batch_mode.isHidden() else True, timeout=60_000)
    qtbot.waitUntil(lambda: rebuilt(w), timeout=120_000)


def test_preset_gd_sgd_minibatch_runs(qtbot, win):
    from optviz.app.main_window import PRESET_DIR

    w = win
    assert w.open_path(PRESET_DIR / "07_gd_sgd_minibatch.toml", as_preset=True)
    exp = w.doc.experiment
    assert exp.landscape.model == "linear"
    assert [g.batch_size for g in exp.groups] == [1, 8, None]
    starts = {tuple(np.round(w.doc.center_of(k), 6)) for k in range(w.doc.n_groups)}
    assert len(starts) == 1  # the same start
    qtbot.waitUntil(lambda: rebuilt(w) and w.display.steps[w.display.n - 1] >= 20, timeout=120_000)
    w.playback.playing = False
    pos = w.display.positions[w.display.n - 1]
    spread = [float(np.nanstd(pos[w.display.group == k], axis=0).sum()) for k in range(3)]
    assert spread[0] > 2 * spread[1] > 0 and spread[2] == 0.0  # SGD > mini-batch > GD (one particle)
    # the group editor shows the batch size of the selected group
    ed = editor_ready(qtbot, w, group=1)
    assert ed.batch_mode.currentData() == "mini" and ed.batch_spin.value() == 8
    ed = editor_ready(qtbot, w, group=0)
    assert ed.batch_mode.currentData() == "sgd"


def test_typed_landscape_preset_loads(qtbot, win):
    from optviz.app.main_window import PRESET_DIR

    w = win
    assert w.open_path(PRESET_DIR / "10_typed_landscape.toml", as_preset=True)
    ep = w.experiment_panel
    assert ep.landscape.currentData() == EXPR_KEY and ep.expression.isVisibleTo(ep)
    assert ep.expression.expr.text() == w.doc.experiment.landscape.expression
    qtbot.waitUntil(lambda: rebuilt(w) and w.display.n >= 3, timeout=120_000)
    w.playback.playing = False


def test_applying_an_expression_keeps_the_window_responsive(qtbot, win, monkeypatch):
    """The expression is prepared off the GUI thread: while its (here slowed) surface is built the
    event loop keeps running timers and the status bar says what is happening; a refusal found
    there is shown in place, as one found while typing."""
    import time

    import optviz.experiment.model as model

    w = win
    build_surface = model.expression_surface

    def slow_surface(text, *args, **kwargs):
        time.sleep(2.0)
        if "refuse" in text:
            raise ValueError("refused while compiling")
        return build_surface(text, *args, **kwargs)

    monkeypatch.setattr(model, "expression_surface", slow_surface)
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    ep = w.experiment_panel
    ex = ep.expression
    assert ep.choose(EXPR_KEY)  # the template (Rosenbrock spelled out), prepared in the background
    assert ex.preparing and ep.landscape.currentData() == EXPR_KEY and ex.isVisibleTo(ep)
    qtbot.waitUntil(lambda: w.doc.experiment.landscape.expression is not None, timeout=60_000)
    # its kernels compile in the worker first (Numba's compiler holds the GIL in bursts of up to ~1 s,
    # which is not what this test measures)
    qtbot.waitUntil(lambda: rebuilt(w) and w.kernel_label.text() == "kernels ready", timeout=240_000)
    text = "(x - 0.5)**2 + 3*y**2 + 0.25*x*y"  # new to this process: nothing cached
    type_into(qtbot, ex.expr, text)
    type_into(qtbot, ex.params, "")
    ticks.clear()
    t0 = time.perf_counter()
    QTest.keyClick(ex.expr, QtCore.Qt.Key.Key_Return)
    assert time.perf_counter() - t0 < 0.5
    assert ex.preparing
    assert w.statusBar().currentMessage().startswith(f"Preparing f(x, y) = {text}")
    assert ex.note.isVisibleTo(ep) and "Preparing" in ex.note.text()
    qtbot.waitUntil(lambda: w.doc.experiment.landscape.expression == text, timeout=60_000)
    timer.stop()
    during = [t for t in ticks if t < t0 + 2.0]
    assert len(during) >= 20, f"the event loop ran {len(during)} timer ticks in 2 s"
    assert max(np.diff([t0, *during])) < 0.5
    assert not ex.preparing and w.statusBar().currentMessage() == ""
    assert "Applied" in ex.note.text()
    qtbot.waitUntil(lambda: rebuilt(w), timeout=120_000)

    # refused while preparing: shown in place, the document keeps the expression in use
    before = w.doc.experiment
    assert ex.apply_values("x**2 + y**2 + refuse", {"refuse": 1.0}, None)
    qtbot.waitUntil(lambda: not ex.preparing, timeout=60_000)
    assert "refused while compiling" in ex.error.text() and ex.expr.styleSheet() == ERROR_STYLE
    assert w.doc.experiment is before


def test_file_open_of_a_costly_expression_says_why_and_keeps_the_experiment(qtbot, win, tmp_path, monkeypatch):
    """File > Open of an experiment the parser refuses: a dialog with the reason, at once; the window
    keeps the experiment it had and still runs. An unexpected failure while loading is shown too."""
    import time

    import optviz.models.document as document

    w = win
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning",
                        lambda parent, title, text, *args, **kwargs: shown.append((title, text)))
    before = w.doc.experiment
    for kind in COSTLY:
        path = costly_file(tmp_path, kind)
        monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                            lambda *args, p=path, **kwargs: (str(p), "Experiments (*.toml)"))
        t0 = time.perf_counter()
        w.open_dialog()
        assert time.perf_counter() - t0 < 10.0  # refused by the parser: milliseconds
        title, text = shown[-1]
        assert title == "Cannot open" and text.startswith(str(path)) and text.endswith(COSTLY[kind][1])
        assert w.doc.experiment is before and w.doc.path is None

    def crash(path):
        raise RuntimeError("the compiler crashed\nwith a second line")

    monkeypatch.setattr(document, "load_experiment", crash)
    w.open_dialog()
    assert shown[-1][1].endswith("cannot be opened (RuntimeError: the compiler crashed)")
    assert w.doc.experiment is before and len(shown) == 3
    start = w.playback.step
    w.step(3)
    qtbot.waitUntil(lambda: w.display.n and w.display.steps[w.display.n - 1] >= start + 3, timeout=60_000)


@pytest.mark.parametrize("kind", sorted(COSTLY))
def test_startup_with_a_costly_expression_says_why_and_opens_the_default(qtbot, tmp_path, kind):
    """``optviz costly.toml``: the window is built (not stuck on "Loading optviz…"), the status bar
    gives the reason, and the default experiment runs."""
    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    ensure_app()
    path = costly_file(tmp_path, kind)
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(str(path), settings=settings, ask_to_save=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ready, timeout=30_000)
    qtbot.waitUntil(lambda: COSTLY[kind][1] in w.statusBar().currentMessage(), timeout=60_000)
    assert w.doc.path is None and w.doc.experiment.landscape.expression is None
    qtbot.waitUntil(lambda: w.display.n >= 1, timeout=240_000)
    w.playback.playing = False
    qtbot.waitUntil(lambda: not w.live.busy, timeout=240_000)
    w.close()

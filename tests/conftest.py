"""Test-wide set-up. Runs before any test module imports Qt or Numba."""

import os

import pytest

# Qt without a display (renders the same as Xvfb; PLATFORM.md). Set
# QT_QPA_PLATFORM=xcb yourself to watch tests in a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Numba's default `workqueue` layer aborts when parallel kernels run from two
# threads (PLATFORM.md, trap 5).
os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
# The window's language follows the system locale unless chosen (optviz.app.language); the tests
# read English texts whatever the machine's locale (test_i18n.py switches languages itself).
os.environ["LANGUAGE"] = "en_US"


def _modal_box_in_a_test(*args, **kwargs):
    raise AssertionError(f"a modal message box would wait for a click forever: {args[1:3]}")


@pytest.fixture(autouse=True)
def no_modal_message_boxes(monkeypatch):
    """A modal QMessageBox in a test waits for a click that never comes: fail at once instead.
    Tests that expect one patch the method themselves (monkeypatch.setattr after this)."""
    from PySide6 import QtWidgets

    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QtWidgets.QMessageBox, name, _modal_box_in_a_test)
    yield


@pytest.fixture
def win(qtbot, tmp_path):
    """The real window on the default experiment (fresh settings), shown, built, its first frame
    drawn and its kernels compiled (a cold cache compiles them here); closed when the worker is idle
    (a QThread must not be destroyed while it compiles a new landscape's kernels).

    Not given to ``qtbot.addWidget``: pytest-qt closes and deletes its widgets *before* fixture
    teardown, and waiting for a busy worker here then ran the deferred delete, so ``close()`` met a
    deleted window (an error seen only under load, when the worker was still busy)."""
    from PySide6 import QtCore

    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    ensure_app()
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(None, settings=settings, ask_to_save=False)
    w.resize(1400, 900)
    w.show()
    w.activateWindow()
    try:
        qtbot.waitUntil(lambda: w.ready, timeout=30_000)
        qtbot.waitUntil(lambda: w.display.n >= 1 and w.kernel_label.text() == "kernels ready",
                        timeout=240_000)
        yield w
        w.playback.playing = False
        qtbot.waitUntil(lambda: not w.live.busy, timeout=240_000)
    finally:
        w.close()
        w.deleteLater()

"""Test-wide set-up. Runs before any test module imports Qt or Numba."""

import os

import pytest

# Qt without a display (renders the same as Xvfb; PLATFORM.md). Set
# QT_QPA_PLATFORM=xcb yourself to watch tests in a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Numba's default `workqueue` layer aborts when parallel kernels run from two
# threads (PLATFORM.md, trap 5).
os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")


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

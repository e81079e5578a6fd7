"""Qt bootstrap: the one place that creates the QApplication (for the window and headless export).

:func:`ensure_app` returns the running ``QApplication`` or creates one. Before
creating it, it picks Qt's ``offscreen`` platform when there is no display
(no ``DISPLAY``/``WAYLAND_DISPLAY`` on Linux) or when ``headless=True`` and
the caller has not chosen a platform itself (``QT_QPA_PLATFORM``). Headless
figures and animations always render offscreen, so the same experiment gives
the same pixels on a desktop and on a server.

:func:`shutdown_widgets` closes widgets and processes events: a script that
exits with a pyqtgraph widget alive and no event loop segfaults at exit
(PLATFORM.md, trap 2).
"""

from __future__ import annotations

import os
import sys

__all__ = ["ensure_app", "shutdown_widgets", "has_display"]


def has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def ensure_app(argv=None, *, headless: bool = False):
    """Return the QApplication, creating it with ``argv`` (default: the program's name) if there is none.

    It is offscreen when ``headless`` or without a display, unless ``QT_QPA_PLATFORM`` says
    otherwise. An application that nobody named (no organization name) is named "optviz", the
    organization and application of the settings (``QSettings()``) that the window keeps.
    """
    if headless or not has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(list(argv) if argv else [sys.argv[0] if sys.argv else "optviz"])
    if not app.organizationName():
        app.setOrganizationName("optviz")
        app.setApplicationName("optviz")
    return app


def shutdown_widgets(*widgets) -> None:
    """Close and delete ``widgets``, then let Qt process the resulting events."""
    from PySide6 import QtCore, QtWidgets

    for w in widgets:
        if w is None:
            continue
        try:
            w.close()
            w.deleteLater()
        except RuntimeError:  # already deleted on the C++ side
            pass
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
        app.processEvents()


def grab(widget, background: str):
    """``widget`` as it is now, laid out, as a QImage (Format_RGB32, device pixel ratio 1) on
    ``background``, antialiased: what figures and animations write."""
    from PySide6 import QtCore, QtGui, QtWidgets

    QtWidgets.QApplication.instance().sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
    image = QtGui.QImage(widget.width(), widget.height(), QtGui.QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(1.0)
    image.fill(QtGui.QColor(background))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    widget.render(painter)
    painter.end()
    return image


def settle_offscreen(widget, size) -> None:
    """Show ``widget`` (one with ``render_image()``) at the fixed ``size`` (width, height) without a
    screen and let its layout settle: three rounds of processed events, posted layout requests and
    a throwaway render. PLATFORM.md trap 3: render a few times with events processed before the
    first real frame, or axes lose their tick labels."""
    from PySide6 import QtCore, QtWidgets

    w, h = size
    widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.setFixedSize(int(w), int(h))
    widget.show()
    app = QtWidgets.QApplication.instance()
    for _ in range(3):
        app.processEvents()
        app.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
        widget.render_image()

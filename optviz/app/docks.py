"""The docks of the window's optional views (Explain, 3-D view, Map), each opened by a key.

:func:`side_dock` builds one as all of them are built: hidden at start, on the window's right or
tabbed with another dock, shown and hidden by its own toggle action (``dock.toggleViewAction()``,
which View menus list) on a key that works wherever the focus is in the window.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["side_dock"]


def side_dock(window: QtWidgets.QMainWindow, name: str, widget: QtWidgets.QWidget, key: str,
              beside: QtWidgets.QDockWidget | None = None, min_width: int | None = None) -> QtWidgets.QDockWidget:
    """A hidden dock of ``window`` holding ``widget``, named ``dock_<name>`` (the saved window layout
    knows it by that name), at least ``min_width`` pixels wide when given, on the right and tabbed with
    ``beside`` when given; its toggle action shows and hides it on ``key`` (a window shortcut). The
    caller sets its title and its action's texts."""
    dock = QtWidgets.QDockWidget(window)
    dock.setObjectName(f"dock_{name}")
    dock.setWidget(widget)
    if min_width is not None:
        dock.setMinimumWidth(min_width)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    if beside is not None:
        window.tabifyDockWidget(beside, dock)
    dock.hide()
    toggle = dock.toggleViewAction()
    toggle.setShortcut(QtGui.QKeySequence(key))
    toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    return dock

"""The window's layout and preferences across launches, within the screen it opens on.

:class:`WindowSettings` restores the geometry (only if it fits this screen; otherwise the window
is fitted and centred), the docks' layout (keeping most of the window for the scene), the speed
and the view preferences; and saves them when the window closes.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["WindowSettings"]

VIEW_PREFS = ("trail_length", "particle_mode", "colormap", "future")


class WindowSettings:
    """Settings of ``window`` (a QMainWindow with ``docks``) in ``settings``."""

    def __init__(self, window: QtWidgets.QMainWindow, settings: QtCore.QSettings, docks: dict):
        self.window = window
        self.settings = settings
        self.docks = docks

    def default_dock_sizes(self) -> None:
        d = self.docks
        self.window.resizeDocks([d["experiment"], d["groups"], d["editor"]], [150, 170, 520],
                                QtCore.Qt.Orientation.Vertical)
        self.window.resizeDocks([d["editor"], d["inspector"]], [330, 360], QtCore.Qt.Orientation.Horizontal)

    def keep_scene_wide(self) -> None:
        """A restored layout must leave the scene most of the window; otherwise use the default one."""
        central = self.window.centralWidget()
        if central is not None and central.width() < 0.45 * self.window.width():
            self.default_dock_sizes()

    def _room(self) -> QtCore.QRect:
        return (self.window.screen() or QtGui.QGuiApplication.primaryScreen()).availableGeometry()

    def fits_screen(self) -> bool:
        room, frame = self._room(), self.window.frameGeometry()
        return frame.width() <= room.width() and frame.height() <= room.height() and room.contains(frame.center())

    def fit_to_screen(self) -> None:
        """Within the screen's available area: at most its size, centred on it."""
        w = self.window
        room = self._room()
        frame = w.frameGeometry()
        margin_w, margin_h = frame.width() - w.width(), frame.height() - w.height()
        w.resize(min(w.width(), room.width() - margin_w), min(w.height(), room.height() - margin_h))
        frame = w.frameGeometry()
        frame.moveCenter(room.center())
        w.move(max(frame.left(), room.left()), max(frame.top(), room.top()))

    def restore(self) -> tuple[int | None, dict]:
        """Restore geometry and dock layout; (the saved speed or None, the saved view preferences)."""
        s, w = self.settings, self.window
        geo = s.value("geometry")
        if geo is not None:
            size = w.size()
            if not w.restoreGeometry(geo) or not self.fits_screen():  # saved on a larger screen
                w.setWindowState(QtCore.Qt.WindowState.WindowNoState)
                w.resize(size)
                self.fit_to_screen()
        state = s.value("window_state")
        if state is not None:
            w.restoreState(state)
            QtCore.QTimer.singleShot(0, self.keep_scene_wide)
        try:
            speed = int(s.value("speed", 1))
        except (TypeError, ValueError):
            speed = None
        prefs = {}
        for k in VIEW_PREFS:
            v = s.value(f"view/{k}")
            if v is not None:
                prefs[k] = _stored_int(v) if k == "trail_length" else v
        side = s.value("view/side_plots")
        if side is not None:
            prefs["side_plots"] = [side] if isinstance(side, str) else list(side)
        return speed, prefs

    def save(self, speed: int, view: dict) -> None:
        """Geometry, dock layout, the speed and the view preferences, for the next start."""
        s = self.settings
        s.setValue("geometry", self.window.saveGeometry())
        s.setValue("window_state", self.window.saveState())
        s.setValue("speed", speed)
        for k, v in view.items():
            s.setValue(f"view/{k}", v)
        s.sync()


def _stored_int(value):
    """An integer preference as QSettings gives it back (an INI file stores "12"); else as it is."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value

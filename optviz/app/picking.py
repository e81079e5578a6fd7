"""Clicks on the landscape: place the selected group's particles, or pick a particle to inspect.

:class:`Picking` turns the scene's clicks and drags into document edits (placing) and selection
changes (picking), and rings the inspected particle at the time cursor on every drawn frame.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

__all__ = ["Picking"]


class Picking(QtCore.QObject):
    """Placing and picking on ``scene`` for ``doc``, ``selection`` and the ``session``'s frames."""

    def __init__(self, parent, scene, session, doc, selection, status):
        super().__init__(parent)
        self.scene = scene
        self.session = session
        self.doc = doc
        self.selection = selection
        self.status = status
        scene.sigPlace.connect(self.place)
        scene.sigCloud.connect(self.cloud)
        scene.sigPick.connect(self._picked)
        session.frame_changed.connect(self._show_frame)

    def place(self, x: float, y: float) -> None:
        """The selected group starts at (x, y)."""
        from optviz.models.document import EditError

        g = self.selection.group
        try:
            self.doc.place_point(g, x, y)
        except EditError as error:
            self.status.message(str(error), 15000)
            return
        self.status.message(f"“{self.doc.group(g).label}” starts at ({x:.3g}, {y:.3g})", 5000)

    def cloud(self, x: float, y: float, r: float) -> None:
        """The selected group starts as a cloud around (x, y) of radius ``r``."""
        from optviz.models.document import EditError

        try:
            self.doc.place_cloud(self.selection.group, x, y, r)
        except EditError as error:
            self.status.message(str(error), 15000)

    def pick(self, x: float, y: float, radius: float) -> int | None:
        """The visible particle nearest to (x, y) within ``radius`` at the cursor frame, or None."""
        display = self.session.display
        if not display.n:
            return None
        pos = display.positions[self.session.playback.frame]
        d = (pos[:, 0] - x) ** 2 + (pos[:, 1] - y) ** 2
        ok = np.isfinite(d)
        visible = [i for i, g in enumerate(self.doc.experiment.groups) if g.visible]
        if len(visible) < self.doc.n_groups:
            ok &= np.isin(display.group, visible)
        if not ok.any():
            return None
        d = np.where(ok, d, np.inf)
        i = int(np.argmin(d))
        return i if d[i] <= radius * radius else None

    def _picked(self, x: float, y: float, radius: float) -> None:
        i = self.pick(x, y, radius)
        if i is not None:
            self.selection.group = int(self.session.display.group[i])
        self.selection.particle = i

    def highlight(self) -> None:
        """Ring the inspected particle at the cursor frame (none: no ring)."""
        display = self.session.display
        p = self.selection.particle
        if p is not None and display.n and p < display.n_particles:
            self.scene.set_highlight(display.positions[min(self.session.playback.frame, display.n - 1), p])
        else:
            self.scene.set_highlight(None)

    def _show_frame(self, frame) -> None:
        display = self.session.display
        p = self.selection.particle
        if p is not None and display.n and p < display.n_particles:
            self.scene.set_highlight(display.positions[frame.index, p])
        else:
            self.scene.set_highlight(None)

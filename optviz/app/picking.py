"""Clicks on the landscape: place the selected group's particles, or pick a particle to inspect.

:class:`Picking` turns the scene's clicks and drags into document edits (placing) and selection
changes (picking), and rings the inspected particle at the time cursor on every drawn frame (with
View > Curvature at the selected particle: also the Hessian's eigen-directions and quadratic model there).
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
        self.curvature = False
        self._hessian_at = (None, None)
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
        self.status.message(self.tr("“{label}” starts at ({x}, {y})").format(label=self.doc.group(g).label,
                                                                           x=f"{x:.3g}", y=f"{y:.3g}"), 5000)

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

    def set_curvature(self, on: bool) -> None:
        """Draw (or stop drawing) the curvature at the inspected particle."""
        self.curvature = bool(on)
        self.highlight()

    def highlight(self) -> None:
        """Ring the inspected particle at the cursor frame (none: no ring)."""
        display = self.session.display
        self._mark(min(self.session.playback.frame, display.n - 1) if display.n else None)

    def _show_frame(self, frame) -> None:
        self._mark(frame.index)

    def _mark(self, index: int | None) -> None:
        """Ring, and with :attr:`curvature` the curvature, at the inspected particle at frame ``index``."""
        display = self.session.display
        p = self.selection.particle
        xy = None
        if p is not None and index is not None and display.n and p < display.n_particles:
            xy = display.positions[index, p]
        self.scene.set_highlight(xy)
        if not self.curvature or xy is None or not np.all(np.isfinite(xy)):
            self._hessian_at = (None, None)
            self.scene.set_curvature(None)
            return
        key = (float(xy[0]), float(xy[1]), id(self.doc.experiment))
        if key != self._hessian_at[0]:
            from optviz.core.curvature import hessian

            try:
                h = hessian(self.doc.experiment.landscape_spec(), key[0], key[1])
            except ValueError as error:
                self.status.message(self.tr("curvature: {error}").format(error=error), 8000)
                h = None
            self._hessian_at = (key, h)
            self.scene.set_curvature(None if h is None else key[:2], h)

"""Application state that views observe: Qt-free, evented (psygnal), as napari does.

* :class:`~optviz.models.document.DocumentModel` — the current experiment
  (groups, landscape, run), its file and whether it has unsaved changes;
  every edit is validated and refused with the reason.
* :class:`~optviz.models.playback.Playback` — playing, speed, live step and the
  time cursor over the recorded frames.
* :class:`~optviz.models.playback.Selection` — the current group and the
  inspected particle.
* :class:`~optviz.models.playback.ViewOptions` — trail length, particle mode,
  colormap, side plots, placement mode.
* :class:`~optviz.models.live.LiveRun` — the simulation driven from one worker
  thread, publishing bounded snapshots; :class:`~optviz.models.live.DisplayBuffer`
  — what the window draws (owned by the GUI thread).

Nothing here imports Qt (tests/test_architecture.py checks it).
"""

from optviz.models.playback import Playback, Selection, ViewOptions

__all__ = ["Playback", "Selection", "ViewOptions", "DocumentModel", "LiveRun", "DisplayBuffer"]


def __getattr__(name):  # the engine (Numba) loads only when a document or run is made
    if name == "DocumentModel":
        from optviz.models.document import DocumentModel

        return DocumentModel
    if name in ("LiveRun", "DisplayBuffer"):
        from optviz.models import live

        return getattr(live, name)
    raise AttributeError(name)

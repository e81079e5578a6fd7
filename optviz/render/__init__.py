"""The render layer: one pyqtgraph scene for the window and for headless export.

* :class:`optviz.render.scene.Scene` — the widget (landscape, particles,
  trails, side plots); the app embeds it, export drives it frame by frame.
* :func:`figure` — a PNG or SVG of the scene at one step.
* :func:`export_animation` — an MP4 (H.264), GIF or WebP of the run.
* :mod:`optviz.render.options` — the ``[render]`` table and its validation.
* :mod:`optviz.render.writers` — the writer protocol (setup, grab_frame, finish).

Importing this package does not import Qt; the Scene and the exporters
create the QApplication on demand (offscreen when there is no display).
"""

from __future__ import annotations

from optviz.render.options import RenderOptionError, RenderOptions, resolve_options

__all__ = [
    "figure",
    "export_animation",
    "ExportCancelled",
    "RenderOptionError",
    "RenderOptions",
    "resolve_options",
    "Scene",
]


def __getattr__(name):
    if name in ("figure", "export_animation", "ExportCancelled", "ExportResult"):
        from optviz.render import export

        return getattr(export, name)
    if name == "Scene":
        from optviz.render.scene import Scene

        return Scene
    raise AttributeError(name)

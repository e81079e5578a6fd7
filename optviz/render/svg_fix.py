"""SVG export: pyqtgraph's SVG exporter with its path parsing fixed.

pyqtgraph 0.14's ``SVGExporter`` rewrites every ``<path d="...">`` that Qt
generates, applying the group's transform to each ``x,y`` token. It assumes
every token is a coordinate pair with an optional command letter, so closed
paths, which current Qt writes with a bare ``Z`` token, raise ``ValueError:
not enough values to unpack`` (pyqtgraph issue 3495; PLATFORM.md, trap 6).

:func:`patch_svg_exporter` wraps the exporter's ``correctCoordinates``: before
the original runs, every bare ``Z``/``z`` token of a path becomes a harmless
dummy pair ``Z0,0`` that the original parses (and transforms); afterwards the
dummy coordinates are removed again, leaving ``Z``. Everything else of the
exporter is untouched. The patch is idempotent and is applied by
:func:`export_svg_bytes`.
"""

from __future__ import annotations

import re

__all__ = ["patch_svg_exporter", "export_svg_bytes"]

_BARE_Z = re.compile(r"(?<![^\s])([Zz])(?=\s|$)")
_DUMMY_Z = re.compile(r"([Zz])[-+0-9.eE]+,[-+0-9.eE]+")
_PATCHED = "_optviz_closepath_fix"


def _fix_paths(node, pattern, repl) -> None:
    for ch in node.getElementsByTagName("path"):
        d = ch.getAttribute("d")
        if d:
            ch.setAttribute("d", pattern.sub(repl, d))


def patch_svg_exporter() -> None:
    """Make pyqtgraph's SVG exporter accept closed paths (``Z`` tokens). Idempotent."""
    import importlib

    mod = importlib.import_module("pyqtgraph.exporters.SVGExporter")

    original = mod.correctCoordinates
    if getattr(original, _PATCHED, False):
        return

    def correctCoordinates(node, defs, item, options):  # noqa: N802 - pyqtgraph's name
        _fix_paths(node, _BARE_Z, r"\g<1>0,0")
        original(node, defs, item, options)
        _fix_paths(node, _DUMMY_Z, r"\g<1>")

    setattr(correctCoordinates, _PATCHED, True)
    mod.correctCoordinates = correctCoordinates


def export_svg_bytes(graphics_scene, width: int, height: int) -> bytes:
    """The whole ``QGraphicsScene`` as SVG (UTF-8 bytes) at ``width`` x ``height``."""
    patch_svg_exporter()
    import pyqtgraph.exporters as exporters

    ex = exporters.SVGExporter(graphics_scene)
    ex.params["width"] = width
    ex.params["height"] = height
    return ex.export(toBytes=True)

"""Colours: the group palette, the landscape colormaps and the page themes.

* :data:`GROUP_PALETTE` — saturated colours that stand out both on the
  (dark-to-yellow) perceptually uniform colormaps and on the white side plots;
  group ``i`` without an explicit ``color`` gets ``GROUP_PALETTE[i % len]``.
* :func:`colormap_lut` — a 256x4 uint8 lookup table of a perceptually
  uniform colormap (pyqtgraph ships viridis, cividis, magma, inferno, plasma).
* :data:`THEMES` — page colours (background, foreground text, grid) per theme.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["GROUP_PALETTE", "group_colors", "colormap_lut", "THEMES", "parse_color"]

GROUP_PALETTE = (
    "#ff3b30",  # red
    "#ff9f0a",  # orange
    "#ff2dd1",  # magenta
    "#00c8ff",  # cyan
    "#2f5bff",  # blue
    "#7ee000",  # lime
    "#b15cff",  # violet
    "#a0522d",  # brown
    "#ff8fb1",  # pink
    "#9a9a9a",  # grey
    "#00b894",  # teal
    "#ffd60a",  # yellow
    "#6b4226",  # dark brown
    "#ffffff",  # white
)

THEMES = {
    "light": {"background": "#ffffff", "foreground": "#202020", "muted": "#606060",
              "panel": (255, 255, 255, 215)},
    "dark": {"background": "#15161a", "foreground": "#e8e8e8", "muted": "#a0a0a0",
             "panel": (20, 20, 24, 200)},
}

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def parse_color(value: str) -> tuple[int, int, int]:
    if not isinstance(value, str) or not _HEX.match(value):
        raise ValueError(f"color: {value!r} is not allowed; use \"#rrggbb\"")
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))


def group_colors(groups) -> list[tuple[int, int, int]]:
    """One RGB colour per group: its own ``color`` if set, else the palette's."""
    out = []
    for i, g in enumerate(groups):
        c = getattr(g, "color", None)
        out.append(parse_color(c) if c else parse_color(GROUP_PALETTE[i % len(GROUP_PALETTE)]))
    return out


_LUT_CACHE: dict[str, np.ndarray] = {}


def colormap_lut(name: str) -> np.ndarray:
    """256x4 uint8 RGBA lookup table of pyqtgraph's colormap ``name``."""
    lut = _LUT_CACHE.get(name)
    if lut is None:
        import pyqtgraph as pg

        cmap = pg.colormap.get(name)
        lut = np.ascontiguousarray(cmap.getLookupTable(0.0, 1.0, 256, alpha=True), dtype=np.uint8)
        _LUT_CACHE[name] = lut
    return lut

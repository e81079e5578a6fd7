"""Colours: the group palette, the landscape colormaps and the page themes.

* :data:`GROUP_PALETTE` — 12 colours from Paul Tol's and Okabe-Ito's
  colour-blind-safe schemes, chosen and ordered so that any first ``k`` of
  them stay pairwise apart (CIEDE2000 above 10) for normal vision and under
  simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009; see
  tests/test_palette.py); none is so light that it vanishes on the white side
  plots nor so dark that it vanishes in a colormap's dark minimum, and the first
  :data:`LANDSCAPE_SAFE` (every preset but the 12-group race uses at most four)
  also stand out on the dark valley of viridis, the default colormap. Group ``i``
  without an explicit ``color`` gets ``GROUP_PALETTE[i % 12]``.
* :func:`colormap_lut` — a 256x4 uint8 lookup table of a perceptually
  uniform colormap (pyqtgraph ships viridis, cividis, magma, inferno, plasma).
* :data:`THEMES` — page colours (background, foreground text, grid) per theme.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["GROUP_PALETTE", "LANDSCAPE_SAFE", "group_colors", "colormap_lut", "THEMES", "parse_color"]

GROUP_PALETTE = (
    "#ee7733",  # orange (Tol vibrant)
    "#99ddff",  # light cyan (Tol light)
    "#ffaabb",  # pink (Tol light): third, as red sits too close to the orange first (deuteranopia)
    "#cc3311",  # red (Tol vibrant)
    "#ddcc77",  # sand (Tol muted)
    "#77aadd",  # sky blue (Tol light)
    "#663333",  # dark brown (Tol)
    "#0072b2",  # blue (Okabe-Ito)
    "#332288",  # indigo (Tol muted)
    "#cc79a7",  # mauve (Okabe-Ito)
    "#aa3377",  # purple (Tol bright)
    "#009e73",  # bluish green (Okabe-Ito)
)

#: The first this many palette colours stand out on the dark (low-loss) third of the default
#: colormap, where particles end up; the blues and greens that sink into viridis come later.
LANDSCAPE_SAFE = 6

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

"""The group palette stays legible for colour-blind viewers.

Colour-vision deficiency is simulated with the Machado, Oliveira & Fernandes
(2009) matrices at full severity (applied to linear sRGB), colour differences
are CIEDE2000 in CIELAB (D65). Both are implemented here (no extra
dependency) and checked against published reference values.
"""

from __future__ import annotations

import numpy as np
import pytest

from optviz.render.colors import GROUP_PALETTE, LANDSCAPE_SAFE, colormap_lut, parse_color

#: Machado et al. (2009), severity 1.0, on linear RGB.
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
VISIONS = {"normal": np.eye(3), **MACHADO}
#: Smallest CIEDE2000 difference allowed between two group colours, in any vision.
MIN_DELTA_E = 10.0
#: Smallest difference between an early group colour and the dark third of the landscape colormap.
MIN_DELTA_E_ON_VALLEY = 20.0


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear_rgb @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), broadcasting."""
    L1, a1, b1 = np.moveaxis(lab1, -1, 0)
    L2, a2, b2 = np.moveaxis(lab2, -1, 0)
    cbar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(cbar**7 / (cbar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    zero = c1p * c2p == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(zero, 0.0, dh)
    d_l, d_c = L2 - L1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbar, cbarp = (L1 + L2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hbar = np.where(np.abs(h1p - h2p) > 180, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2)
    hbar = np.where(zero, hsum, hbar)
    t = (1 - 0.17 * np.cos(np.radians(hbar - 30)) + 0.24 * np.cos(np.radians(2 * hbar))
         + 0.32 * np.cos(np.radians(3 * hbar + 6)) - 0.20 * np.cos(np.radians(4 * hbar - 63)))
    rc = 2 * np.sqrt(cbarp**7 / (cbarp**7 + 25.0**7))
    rt = -np.sin(np.radians(60 * np.exp(-(((hbar - 275) / 25) ** 2)))) * rc
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc = 1 + 0.045 * cbarp
    sh = 1 + 0.015 * cbarp * t
    return np.sqrt((d_l / sl) ** 2 + (d_c / sc) ** 2 + (d_h / sh) ** 2 + rt * (d_c / sc) * (d_h / sh))


def _lab_of(hexes, vision: np.ndarray) -> np.ndarray:
    rgb = _linear(np.array([parse_color(h) for h in hexes], dtype=np.float64) / 255.0)
    return _lab(np.clip(rgb @ vision.T, 0.0, 1.0))


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [
    # Sharma, Wu & Dalal (2005), test data pairs 1, 7 and 17
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
])
def test_ciede2000_matches_published_values(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_machado_simulation_confuses_red_and_green_for_deuteranopes():
    red_green = ["#ff0000", "#00aa00"]
    normal = ciede2000(*_lab_of(red_green, VISIONS["normal"]))
    deutan = ciede2000(*_lab_of(red_green, VISIONS["deuteranopia"]))
    assert deutan < normal / 2


def test_palette_has_twelve_distinct_colours():
    assert len(GROUP_PALETTE) >= 12
    assert len({c.lower() for c in GROUP_PALETTE}) == len(GROUP_PALETTE)


@pytest.mark.parametrize("vision", list(VISIONS))
@pytest.mark.parametrize("n_groups", [4, 8, 12])
def test_first_groups_stay_apart_under_colour_blindness(vision, n_groups):
    lab = _lab_of(GROUP_PALETTE[:n_groups], VISIONS[vision])
    d = ciede2000(lab[:, None, :], lab[None, :, :])
    np.fill_diagonal(d, np.inf)
    i, j = np.unravel_index(np.argmin(d), d.shape)
    assert d[i, j] > MIN_DELTA_E, (
        f"{vision}: {GROUP_PALETTE[i]} and {GROUP_PALETTE[j]} differ by only {d[i, j]:.1f} (CIEDE2000)")


def test_palette_is_visible_on_white_plots_and_dark_minima():
    lightness = _lab_of(GROUP_PALETTE, VISIONS["normal"])[:, 0]
    assert lightness.max() < 88, "a group colour would vanish on the white side plots"
    assert lightness.min() > 20, "a group colour would vanish in a colormap's dark minimum"


@pytest.mark.parametrize("vision", list(VISIONS))
def test_first_colours_stand_out_on_the_landscapes_dark_valley(vision):
    """Particles end in the low-loss valley, drawn in the darkest third of viridis (the default
    colormap); the colours the presets use must not sink into it, for any vision."""
    lut = colormap_lut("viridis")[: 256 * 35 // 100, :3]
    valley = _lab_of(["#" + "".join(f"{int(v):02x}" for v in c) for c in lut], VISIONS[vision])
    early = _lab_of(GROUP_PALETTE[:LANDSCAPE_SAFE], VISIONS[vision])
    d = ciede2000(early[:, None, :], valley[None, :, :]).min(axis=1)
    worst = int(np.argmin(d))
    assert LANDSCAPE_SAFE >= 4
    assert d[worst] > MIN_DELTA_E_ON_VALLEY, (
        f"{vision}: {GROUP_PALETTE[worst]} differs from viridis's valley by only {d[worst]:.1f} (CIEDE2000)")

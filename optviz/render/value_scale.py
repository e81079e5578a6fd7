"""How loss values become colours (2-D image) and heights (3-D surface): one definition for both.

Loss values on Rosenbrock-like landscapes span many decades, so with ``log`` the scale works on

    t(f) = log10(f - f_floor + d)

where ``f_floor`` is the lowest known minimum (or the lowest sampled value, if lower) and ``d`` a
small offset (1e-4 of the median height above ``f_floor``, at least 1e-12), so valleys stay
visible; without ``log``, t(f) = f. The levels ``(lo, hi)`` are fitted once to a sample of the
landscape: ``lo`` the lowest t, ``hi`` the highest (log) or its 99th percentile (linear, so one
far corner does not flatten everything else).

:meth:`ValueScale.unit` maps f to [0, 1] between the levels (NaN and +inf to 1, -inf to 0);
:meth:`ValueScale.colour_index` is the same position as an index 0-255 into a colormap's table;
:meth:`ValueScale.position` is that position not clipped, and :meth:`ValueScale.value_at` goes
back from a position to the loss (axis labels).
Qt-free (NumPy only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ValueScale"]


@dataclass(frozen=True)
class ValueScale:
    """t(f) (log10 of the height above ``floor`` plus ``offset``, or f itself) and its levels."""

    log: bool
    floor: float = 0.0
    offset: float = 1.0
    lo: float = 0.0
    hi: float = 1.0

    @classmethod
    def fit(cls, values: np.ndarray, *, log: bool, f_min: float | None = None) -> ValueScale:
        """The scale of a landscape sampled as ``values`` (any shape; non-finite ones ignored);
        ``f_min``: its lowest known minimum (None: unknown)."""
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return cls(bool(log))
        lo_sample = float(finite.min())
        floor = min(lo_sample, f_min) if f_min is not None else lo_sample
        med = float(np.median(finite)) - floor
        offset = max(med * 1e-4, 1e-12) if med > 0 else 1.0
        t = cls(bool(log), floor, offset).transform(finite)
        lo = float(t.min())
        hi = float(t.max() if log else np.percentile(t, 99.0))
        if not hi > lo:
            hi = lo + 1.0
        return cls(bool(log), floor, offset, lo, hi)

    def transform(self, f: np.ndarray) -> np.ndarray:
        """t(f): log10(f - floor + offset) (clamped above 0 before the logarithm), or f."""
        if not self.log:
            return f
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(f - self.floor + self.offset, 1e-300))

    def _index(self, f: np.ndarray) -> np.ndarray:
        """The position of f between the levels on 0..255, as floats (NaN and +inf: 255, -inf: 0)."""
        with np.errstate(all="ignore"):
            idx = np.nan_to_num((self.transform(f) - self.lo) * (255.0 / (self.hi - self.lo)),
                                nan=255.0, posinf=255.0, neginf=0.0)
        return np.clip(idx, 0, 255)

    def colour_index(self, f: np.ndarray) -> np.ndarray:
        """Index 0-255 (uint8) into a 256-entry colormap table for each value of ``f``."""
        return self._index(np.asarray(f, dtype=np.float64)).astype(np.uint8)

    def unit(self, f: np.ndarray) -> np.ndarray:
        """The position of each value of ``f`` between the levels, in [0, 1] (float64); monotone
        non-decreasing in f, and finite for every input."""
        return self._index(np.asarray(f, dtype=np.float64)) / 255.0

    def position(self, f: np.ndarray) -> np.ndarray:
        """(t(f) - lo) / (hi - lo), not clipped: below 0 under the lowest colour, above 1 over the
        highest (NaN stays NaN; the 3-D view's heights, which go on where the colours saturate)."""
        with np.errstate(all="ignore"):
            return (self.transform(np.asarray(f, dtype=np.float64)) - self.lo) / (self.hi - self.lo)

    def value_at(self, unit):
        """The loss f at position ``unit`` (0 and 1: the levels; the inverse of :meth:`position`):
        10**t + floor - offset (log) or t, with t = lo + unit * (hi - lo)."""
        t = self.lo + np.asarray(unit, dtype=np.float64) * (self.hi - self.lo)
        return 10.0 ** t + self.floor - self.offset if self.log else t

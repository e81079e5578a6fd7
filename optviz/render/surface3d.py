"""The 3-D view's geometry (Qt-free): the landscape as a height field, particles and trails on it.

Heights. The 2-D image's colour scale (:class:`~optviz.render.value_scale.ValueScale`) gives
each loss f its position p(f) between the colour levels (0 at the lowest colour, 1 at the
highest): with a log scale p is linear in log10(f - f_min + d), exactly what the colours show.
Then

    z = clip(p(f), -HEADROOM, 1 + HEADROOM) * BASE_HEIGHT * exaggeration

puts the whole range of the colours between z = 0 and z = ``Box3D.height``, never flat and never
a spike whatever the landscape's units; where the view reaches beyond the levels (the colours
saturate) the surface goes on falling or rising, up to one more such height, instead of showing a
plateau that is not there.

Coordinates. The view's region x in [x0, x1], y in [y0, y1] becomes a square footprint of side 2
centred on the origin, whatever the region's aspect (as matplotlib's 3-D axes box it): a 2-D view
beside a narrow 3-D dock can be twice as high as wide, and kept to scale it would be a thin strip
with a wall along it. The labels give each axis' range.

Particles sit at z = max(z(f(particle)), z of the drawn mesh there) + a small lift, so a particle
at the bottom of a well narrower than the mesh's cells still shows on top of the surface.
Trails are segments between consecutive drawn frames of one particle (none across a gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.render.value_scale import ValueScale

__all__ = ["BASE_HEIGHT", "HEADROOM", "LIFT", "MESH_SAMPLES", "Box3D", "height_unit", "SurfaceMesh", "surface_mesh",
           "lift_points", "particle_points", "trail_segments", "even_sample"]

#: Height from the lowest colour to the highest at exaggeration 1 (the footprint's side is 2).
BASE_HEIGHT = 0.8
#: Beyond the colour levels, heights go on for at most this many times the levels' height.
HEADROOM = 1.0
#: Particles and trails float this fraction of the surface's height above it.
LIFT = 0.02
#: Mesh vertices along the footprint's longer side.
MESH_SAMPLES = 101


def height_unit(scale: ValueScale, f) -> np.ndarray:
    """Height of loss ``f`` in units of the colour levels' height: p(f) clipped to
    [-HEADROOM, 1 + HEADROOM] (NaN and +inf at the top, -inf at the bottom); monotone, always finite."""
    p = scale.position(f)
    return np.clip(np.nan_to_num(p, nan=1.0 + HEADROOM, posinf=1.0 + HEADROOM, neginf=-HEADROOM),
                   -HEADROOM, 1.0 + HEADROOM)


@dataclass(frozen=True)
class Box3D:
    """Where the view's region lies in the 3-D scene (see the module docstring)."""

    x0: float
    x1: float
    y0: float
    y1: float
    sx: float  # scene units per landscape unit along x
    sy: float
    height: float  # scene units from the lowest colour (z = 0) to the highest

    @classmethod
    def of_view(cls, xrange, yrange, exaggeration: float = 1.0) -> Box3D:
        (x0, x1), (y0, y1) = (tuple(map(float, xrange)), tuple(map(float, yrange)))
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"view: x {x0}..{x1}, y {y0}..{y1} is not allowed; each range must be increasing")
        if not exaggeration > 0:
            raise ValueError(f"exaggeration: {exaggeration} is not allowed; a number > 0")
        return cls(x0, x1, y0, y1, 2.0 / (x1 - x0), 2.0 / (y1 - y0), BASE_HEIGHT * float(exaggeration))

    @property
    def half_extent(self) -> tuple[float, float]:
        """Half the footprint's sides, in scene units."""
        return 0.5 * (self.x1 - self.x0) * self.sx, 0.5 * (self.y1 - self.y0) * self.sy

    def scene_x(self, x):
        return (np.asarray(x, dtype=np.float64) - 0.5 * (self.x0 + self.x1)) * self.sx

    def scene_y(self, y):
        return (np.asarray(y, dtype=np.float64) - 0.5 * (self.y0 + self.y1)) * self.sy

    def scene_z(self, unit):
        return np.asarray(unit, dtype=np.float64) * self.height

    def inside(self, x, y) -> np.ndarray:
        """Whether the landscape points (x, y) lie on the footprint (NaN: no)."""
        x = np.asarray(x)
        y = np.asarray(y)
        return (x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1)


@dataclass(frozen=True)
class SurfaceMesh:
    """A height field on a regular grid in scene units, laid out as pyqtgraph's GLSurfacePlotItem
    takes it: ``z[i, j]`` at (``x[i]``, ``y[j]``), each cell split into the triangles
    (i, j), (i, j+1), (i+1, j) and (i+1, j), (i, j+1), (i+1, j+1)."""

    x: np.ndarray  # (nx,) float32, increasing
    y: np.ndarray  # (ny,) float32, increasing
    z: np.ndarray  # (nx, ny) float32
    colors: np.ndarray  # (nx, ny, 4) float32 RGBA in [0, 1]

    def height_at(self, sx, sy) -> np.ndarray:
        """z of the drawn (triangulated) surface at scene points (sx, sy); NaN off the grid."""
        sx = np.asarray(sx, dtype=np.float64)
        sy = np.asarray(sy, dtype=np.float64)
        x, y, z = self.x.astype(np.float64), self.y.astype(np.float64), self.z.astype(np.float64)
        nx, ny = len(x), len(y)
        with np.errstate(invalid="ignore"):
            fi = (sx - x[0]) / (x[-1] - x[0]) * (nx - 1)
            fj = (sy - y[0]) / (y[-1] - y[0]) * (ny - 1)
            ok = (fi >= 0) & (fi <= nx - 1) & (fj >= 0) & (fj <= ny - 1)
        fi = np.where(ok, fi, 0.0)
        fj = np.where(ok, fj, 0.0)
        i = np.minimum(fi.astype(np.int64), nx - 2)
        j = np.minimum(fj.astype(np.int64), ny - 2)
        s, t = fi - i, fj - j  # position in the cell, 0..1 along x and y
        z00, z01, z10, z11 = z[i, j], z[i, j + 1], z[i + 1, j], z[i + 1, j + 1]
        first = z00 + s * (z10 - z00) + t * (z01 - z00)  # triangle (0,0), (0,1), (1,0): s + t <= 1
        second = z11 + (1 - s) * (z01 - z11) + (1 - t) * (z10 - z11)  # (1,0), (0,1), (1,1)
        out = np.where(s + t <= 1.0, first, second)
        return np.where(ok, out, np.nan)


def surface_mesh(values: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: ValueScale, box: Box3D,
                 lut: np.ndarray) -> SurfaceMesh:
    """The mesh of a landscape sampled as ``values`` (len(ys), len(xs)) — rows at ``ys``, as
    ``Surface.evaluate_grid`` returns it — with heights :func:`height_unit` * box.height and the
    colours of the 256-entry RGBA table ``lut`` (uint8) at the 2-D image's colour index of each value."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(ys), len(xs)) or len(xs) < 2 or len(ys) < 2:
        raise ValueError(f"values: shape {values.shape} is not allowed; (len(ys), len(xs)) = "
                         f"({len(ys)}, {len(xs)}), at least 2 x 2")
    grid = values.T  # (nx, ny): z[i, j] at (x[i], y[j])
    z = box.scene_z(height_unit(scale, grid)).astype(np.float32)
    colors = (np.asarray(lut, dtype=np.float32)[scale.colour_index(grid)] / 255.0).astype(np.float32)
    return SurfaceMesh(box.scene_x(xs).astype(np.float32), box.scene_y(ys).astype(np.float32), z, colors)


def lift_points(xy: np.ndarray, loss: np.ndarray, scale: ValueScale, box: Box3D, mesh: SurfaceMesh) -> np.ndarray:
    """Scene positions (..., 3) of landscape points ``xy`` (..., 2) with loss ``loss`` (...):
    height from the loss, at least the mesh's, plus the lift; NaN rows for points that are not
    finite or lie off the footprint."""
    xy = np.asarray(xy, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    x, y = xy[..., 0], xy[..., 1]
    sx, sy = box.scene_x(x), box.scene_y(y)
    drawable = box.inside(x, y) & np.isfinite(loss)
    z = np.fmax(box.scene_z(height_unit(scale, loss)), mesh.height_at(sx, sy)) + LIFT * box.height
    out = np.stack([sx, sy, z], axis=-1)
    out[~drawable] = np.nan
    return out


def particle_points(points: np.ndarray, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The drawable ones of scene ``points`` (N, 3) (finite, and ``keep`` where given): their
    positions (M, 3) float32 and their indices (M,) into ``points``."""
    ok = np.isfinite(points).all(axis=-1)
    if keep is not None:
        ok &= keep
    idx = np.flatnonzero(ok)
    return points[idx].astype(np.float32), idx


def trail_segments(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trails of K particles through T frames, ``points`` (T, K, 3) in time order (NaN rows: not
    drawn), as line segments for one ``GL_LINES`` item: vertices (2S, 3) float32, pairs (a, b) of
    frame t and t + 1 of one particle where both are drawn, and the particle (2S,) of each vertex."""
    points = np.asarray(points)
    if points.ndim != 3 or points.shape[-1] != 3:
        raise ValueError(f"points: shape {points.shape} is not allowed; (frames, particles, 3)")
    ok = np.isfinite(points).all(axis=-1)  # (T, K)
    both = ok[:-1] & ok[1:]  # (T-1, K): segment t -> t+1
    t, k = np.nonzero(both)
    verts = np.empty((2 * len(t), 3), dtype=np.float32)
    verts[0::2] = points[t, k]
    verts[1::2] = points[t + 1, k]
    return verts, np.repeat(k, 2)


def even_sample(group: np.ndarray, n_groups: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` particles, as many from each group as fit evenly (a smaller
    group's unused share goes to the others), evenly spread within each group, ascending."""
    group = np.asarray(group)
    if len(group) <= limit:
        return np.arange(len(group), dtype=np.int64)
    members = [np.flatnonzero(group == g) for g in range(n_groups)]
    counts = np.array([len(m) for m in members], dtype=np.int64)
    share = np.zeros(n_groups, dtype=np.int64)
    left, open_groups = int(limit), [g for g in range(n_groups) if counts[g]]
    while left > 0 and open_groups:  # water-filling: each open group gets an equal share of what is left
        each = max(left // len(open_groups), 1)
        for g in list(open_groups):
            take = min(each, int(counts[g] - share[g]), left)
            share[g] += take
            left -= take
            if share[g] == counts[g]:
                open_groups.remove(g)
            if left == 0:
                break
    parts = [m[np.linspace(0, len(m) - 1, s).round().astype(np.int64)] for m, s in zip(members, share, strict=True)
             if s > 0]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

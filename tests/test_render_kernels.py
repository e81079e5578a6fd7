"""Render-layer kernels against slow, obviously correct references."""

import numpy as np
import pytest

from optviz.core.statistics import splat_density_frame, splat_density_live
from optviz.render.kernels import contour_lines
from optviz.render.side_plots import group_quantiles, log_ticks


def _edge_crossings(z, xs, ys, level):
    """Every point where ``level`` crosses an edge of a grid cell whose four corners are finite,
    by linear interpolation along the edge, one cell at a time in plain Python."""
    points = set()
    for i in range(len(ys) - 1):
        for j in range(len(xs) - 1):
            corners = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)]
            if not all(np.isfinite(z[c]) for c in corners):
                continue
            for (i0, j0), (i1, j1) in zip(corners, corners[1:] + corners[:1], strict=True):
                v0, v1 = z[i0, j0], z[i1, j1]
                if (v0 > level) != (v1 > level):
                    t = (level - v0) / (v1 - v0)
                    points.add((round(xs[j0] + t * (xs[j1] - xs[j0]), 9), round(ys[i0] + t * (ys[i1] - ys[i0]), 9)))
    return points


def _polylines(lines):
    """The NaN-separated polylines of :func:`contour_lines` as a list of (n, 2) arrays."""
    assert lines.ndim == 2 and lines.shape[1] == 2 and len(lines)
    breaks = np.flatnonzero(np.isnan(lines).any(axis=1))
    assert breaks[-1] == len(lines) - 1, "every polyline ends with a NaN row"
    assert np.isnan(lines[breaks]).all()
    starts = np.r_[0, breaks[:-1] + 1]
    lines = [lines[a:b] for a, b in zip(starts, breaks, strict=True)]
    assert all(len(line) >= 2 for line in lines)
    return lines


def _points(lines):
    return {(round(x, 9), round(y, 9)) for line in _polylines(lines) for x, y in line}


def test_contour_lines_pass_through_every_edge_crossing_and_nowhere_else():
    xs = np.linspace(-2, 2, 41)
    ys = np.linspace(-1.5, 2.5, 37)
    X, Y = np.meshgrid(xs, ys)
    z = (X**2 + 2 * Y**2) + 0.3 * np.sin(3 * X)
    for level in (0.5, 1.7, 4.0):
        assert _points(contour_lines(z, xs, ys, [level])) == _edge_crossings(z, xs, ys, level), level


def test_contour_lines_of_a_circle_close_on_it():
    xs = ys = np.linspace(-2, 2, 81)
    z = np.add.outer(ys**2, xs**2)
    (line,) = _polylines(contour_lines(z, xs, ys, [1.0]))
    np.testing.assert_array_equal(line[0], line[-1])  # closed
    radius = np.hypot(line[:, 0], line[:, 1])
    assert np.all(np.abs(radius - 1.0) < 2e-3)  # linear interpolation of r² on a 0.05 grid
    assert len(line) > 40
    # several levels: one line each, in one array
    assert len(_polylines(contour_lines(z, xs, ys, [0.5, 1.0, 1.5]))) == 3


def test_contour_lines_leave_out_non_finite_values_and_handle_no_levels():
    xs = ys = np.linspace(0, 1, 5)
    z = np.add.outer(ys, xs)
    z[2, 2] = np.nan
    z[0, 4] = np.inf
    # a cell with a non-finite corner draws nothing; the others draw their crossings
    assert _points(contour_lines(z, xs, ys, [1.0])) == _edge_crossings(z, xs, ys, 1.0) != set()
    assert contour_lines(z, xs, ys, []).shape == (0, 2)
    assert contour_lines(z, xs, ys, [10.0]).shape == (0, 2)  # no level crosses z
    assert contour_lines(np.full((5, 5), np.nan), xs, ys, [1.0]).shape == (0, 2)


def _density_reference(positions, group, counted, n_groups, xrange, yrange, shape):
    """np.histogram2d of the counted particles of each group over the view, bins half-open
    (a point on the upper edge of the view is outside it, as in the kernel)."""
    h, w = shape
    x, y = positions[:, 0].astype(np.float64), positions[:, 1].astype(np.float64)
    inside = counted & (x < xrange[1]) & (y < yrange[1])  # histogram2d closes its last bin
    out = np.zeros((n_groups, h, w))
    for g in range(n_groups):
        m = inside & (group == g)
        out[g] = np.histogram2d(y[m], x[m], bins=(h, w), range=(yrange, xrange))[0]
    return out


def _cloud(n=5000, n_groups=3, seed=1):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n, 2))
    pos[::97] = np.nan
    pos[1::89] = np.inf
    return pos, rng.integers(0, n_groups, size=n), rng


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_splat_density_frame_equals_histogram2d(dtype):
    pos, group, rng = _cloud()
    pos = pos.astype(dtype)
    diverged_frame = rng.integers(0, 40, size=len(pos))
    group_visible = np.array([True, False, True])
    view = ((-2.0, 2.0), (-1.5, 2.5))
    for frame in (0, 17):
        out = splat_density_frame(pos, group, group_visible, diverged_frame, frame, *view, (30, 40))
        assert out.dtype == np.float32 and out.shape == (3, 30, 40)
        counted = (diverged_frame > frame) & group_visible[group]
        np.testing.assert_array_equal(out, _density_reference(pos, group, counted, 3, *view, (30, 40)))
        assert out[1].sum() == 0 and 0 < out.sum() < counted.sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_splat_density_live_equals_histogram2d(dtype):
    pos, group, rng = _cloud(seed=2)
    pos = pos.astype(dtype)
    diverged_at = np.where(rng.random(len(pos)) < 0.2, rng.integers(0, 100, size=len(pos)), -1)
    diverged_at[:5] = 0  # diverged at step 0 is diverged
    group_visible = np.array([True, True, False])
    view = ((-3.0, 1.0), (-2.0, 2.0))
    out = splat_density_live(pos, group, group_visible, diverged_at, *view, (25, 35))
    counted = (diverged_at < 0) & group_visible[group]
    np.testing.assert_array_equal(out, _density_reference(pos, group, counted, 3, *view, (25, 35)))
    assert out[2].sum() == 0 and out.sum() > 1000


def test_splat_density_bins_are_half_open_and_row_zero_is_the_bottom():
    pos = np.array([[0.0, 0.0], [1.0, 0.5], [0.999, 0.999], [0.5, 1.0], [np.nan, 0.5], [-1e-12, 0.5]])
    group = np.zeros(len(pos), dtype=np.int64)
    alive = np.full(len(pos), -1)
    out = splat_density_live(pos, group, [True], alive, (0.0, 1.0), (0.0, 1.0), (2, 4))[0]
    expected = np.zeros((2, 4))
    expected[0, 0] = 1  # the view's lower-left corner is inside it
    expected[1, 3] = 1  # (0.999, 0.999): top row, last column
    np.testing.assert_array_equal(out, expected)  # x = 1 or y = 1 (upper edges), NaN and x < 0 are outside
    frame = splat_density_frame(pos, group, [True], np.full(len(pos), 3), 2, (0.0, 1.0), (0.0, 1.0), (2, 4))
    np.testing.assert_array_equal(frame[0], expected)
    assert splat_density_frame(pos, group, [True], np.full(len(pos), 3), 3, (0.0, 1.0), (0.0, 1.0),
                               (2, 4)).sum() == 0  # diverged at that frame: not drawn


def test_group_quantiles_equal_nanquantile():
    rng = np.random.default_rng(2)
    v = rng.lognormal(size=(7, 50))
    v[3, :10] = np.nan
    v[5, :] = np.inf
    group = np.repeat([0, 1], 25)
    q = group_quantiles(v, group, 2)
    for g in range(2):
        w = np.where(np.isfinite(v[:, group == g]), v[:, group == g], np.nan)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = np.nanquantile(w, [0.1, 0.5, 0.9], axis=1)
        np.testing.assert_allclose(q[g], ref, rtol=1e-12, equal_nan=True)


def test_log_ticks_label_decades_and_fill_short_ranges():
    major = log_ticks(-1.2, 3.1)[0]
    assert [lab for _, lab in major] == ["0.1", "1", "10", "100", "1000"]
    short = log_ticks(-4.1, -3.6)[0]
    assert len(short) >= 2

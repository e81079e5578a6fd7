"""Render-layer kernels against slow, obviously correct references."""

import numpy as np

from optviz.render.kernels import contour_segments, splat_density
from optviz.render.side_plots import bias_correction_factors, group_quantiles, log_ticks


def _reference_segments(z, xs, ys, level):
    """Marching squares, one cell at a time, in plain Python."""
    segs = []

    def interp(p0, v0, p1, v1):
        t = (level - v0) / (v1 - v0)
        return (p0[0] + t * (p1[0] - p0[0]), p0[1] + t * (p1[1] - p0[1]))

    for i in range(len(ys) - 1):
        for j in range(len(xs) - 1):
            corners = [((xs[j], ys[i]), z[i, j]), ((xs[j + 1], ys[i]), z[i, j + 1]),
                       ((xs[j + 1], ys[i + 1]), z[i + 1, j + 1]), ((xs[j], ys[i + 1]), z[i + 1, j])]
            pts = []
            for k in range(4):
                (p0, v0), (p1, v1) = corners[k], corners[(k + 1) % 4]
                if (v0 > level) != (v1 > level):
                    pts.append(interp(p0, v0, p1, v1))
            if len(pts) == 2:
                segs.append(tuple(sorted(pts)))
            elif len(pts) == 4:  # saddle cell: count its points only
                segs.extend([tuple(sorted(pts[:2])), tuple(sorted(pts[2:]))])
    return segs


def test_contour_segments_match_reference_points():
    xs = np.linspace(-2, 2, 41)
    ys = np.linspace(-1.5, 2.5, 37)
    X, Y = np.meshgrid(xs, ys)
    z = (X**2 + 2 * Y**2) + 0.3 * np.sin(3 * X)
    for level in (0.5, 1.7, 4.0):
        seg = contour_segments(z, xs, ys, [level])
        ref = _reference_segments(z, xs, ys, level)
        assert len(seg) == 2 * len(ref)
        got_pts = np.sort(np.round(seg, 9).view([("x", float), ("y", float)]).ravel())
        ref_pts = np.sort(np.round(np.array([p for s in ref for p in s]), 9).view(
            [("x", float), ("y", float)]).ravel())
        np.testing.assert_array_equal(got_pts, ref_pts)


def test_contour_skips_nonfinite_cells_and_handles_no_levels():
    xs = ys = np.linspace(0, 1, 5)
    z = np.add.outer(ys, xs)
    z[2, 2] = np.nan
    seg = contour_segments(z, xs, ys, [1.0])
    assert np.isfinite(seg).all()
    assert contour_segments(z, xs, ys, []).shape == (0, 2)


def test_splat_density_equals_histogram2d():
    rng = np.random.default_rng(1)
    pos = rng.normal(size=(5000, 2))
    pos[::97] = np.nan
    group = rng.integers(0, 3, size=5000)
    visible = rng.random(5000) > 0.1
    out = splat_density(pos, group, visible, 3, (-2, 2), (-1.5, 2.5), (30, 40))
    for g in range(3):
        m = (group == g) & visible & np.isfinite(pos).all(1)
        h, _, _ = np.histogram2d(pos[m, 1], pos[m, 0], bins=(30, 40), range=((-1.5, 2.5), (-2, 2)))
        np.testing.assert_array_equal(out[g], h)


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


def test_bias_correction_factors_match_reference_table():
    c1, c2 = bias_correction_factors(np.array([0, 1, 5, 50, 100]), 0.9, 0.999)
    assert np.isnan(c1[0]) and np.isnan(c2[0])
    np.testing.assert_allclose(c1[1:], [10.0, 2.4419, 1.00518, 1.0000266], rtol=1e-4)
    np.testing.assert_allclose(c2[1:], [1000.0, 200.40, 20.49, 10.50], rtol=1e-3)


def test_log_ticks_label_decades_and_fill_short_ranges():
    major = log_ticks(-1.2, 3.1)[0]
    assert [lab for _, lab in major] == ["0.1", "1", "10", "100", "1000"]
    short = log_ticks(-4.1, -3.6)[0]
    assert len(short) >= 2

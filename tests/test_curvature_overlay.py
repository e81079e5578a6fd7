"""The curvature overlay: Hessian eigen-directions and the local quadratic model at a particle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import experiment, offscreen_scene

from optviz.core.curvature import hessian
from optviz.core.surface import builtin_surface, expression_surface
from optviz.experiment import run_experiment
from optviz.render.curvature_overlay import VIEW_FRACTION, curvature_shape

VIEW = ((-10.0, 10.0), (-10.0, 10.0))


def _direction(segment):
    d = segment[1] - segment[0]
    return d / np.linalg.norm(d)


def _q(shape, pts):
    """The quadratic model ½ dᵀ H d at points (K, 2), H rebuilt from the shape's eigen-decomposition."""
    h = shape.vectors @ np.diag(shape.values) @ shape.vectors.T
    d = pts - shape.center
    return 0.5 * np.einsum("ki,ij,kj->k", d, h, d)


def test_booth_segments_lie_along_the_eigenvectors_with_lengths_in_ratio_3():
    h = hessian(builtin_surface("booth"), 1.0, 3.0)
    shape = curvature_shape(1.0, 3.0, h, VIEW)
    steep, flat = shape.segments[shape.steep], shape.segments[1 - shape.steep]
    assert abs(abs(_direction(steep) @ np.array([1.0, 1.0]) / math.sqrt(2)) - 1) < 1e-12
    assert abs(abs(_direction(flat) @ np.array([1.0, -1.0]) / math.sqrt(2)) - 1) < 1e-12
    length = [np.linalg.norm(s[1] - s[0]) for s in (steep, flat)]
    assert length[1] / length[0] == pytest.approx(3.0, rel=1e-12)
    assert length[1] == pytest.approx(2 * VIEW_FRACTION * 20.0)  # the long one: a fixed fraction of the view
    np.testing.assert_allclose(steep.mean(axis=0), [1.0, 3.0])  # through the particle
    assert shape.label == "λ₁ = 18.0 (solid), λ₂ = 2.0 (dashed)"
    # the ellipse is one level set of the model, through the segments' ends
    assert shape.kind == "ellipse" and len(shape.curves) == 1
    c = _q(shape, steep[1:])[0]
    np.testing.assert_allclose(_q(shape, shape.curves[0]), c, rtol=1e-9)
    np.testing.assert_allclose(_q(shape, flat), c, rtol=1e-9)


def test_saddle_draws_the_hyperbola_branch_pair():
    surface = expression_surface("x**2 - y**2")
    shape = curvature_shape(0.5, -1.0, hessian(surface, 0.5, -1.0), VIEW)
    assert shape.kind == "hyperbola" and len(shape.curves) == 2
    np.testing.assert_allclose(shape.values, [2.0, -2.0])
    assert "2.0" in shape.label and "-2.0" in shape.label
    c = _q(shape, shape.segments[0][1:])[0]  # the end of the positive-curvature segment: a vertex
    assert c > 0
    for branch in shape.curves:
        np.testing.assert_allclose(_q(shape, branch), c, rtol=1e-9)
        # one branch on each side of the particle along x (the positive-curvature direction)
        assert np.all(np.sign(branch[:, 0] - 0.5) == np.sign(branch[0, 0] - 0.5))
    assert np.sign(shape.curves[0][0, 0] - 0.5) != np.sign(shape.curves[1][0, 0] - 0.5)


def test_singular_and_zero_hessians():
    lines = curvature_shape(0.0, 0.0, [[4.0, 0.0], [0.0, 0.0]], VIEW)
    assert lines.kind == "lines" and len(lines.curves) == 2
    for line in lines.curves:  # q = c: two lines across the curved (x) direction
        assert np.ptp(line[:, 0]) == pytest.approx(0.0, abs=1e-12) and np.ptp(line[:, 1]) > 0
    none = curvature_shape(0.0, 0.0, np.zeros((2, 2)), VIEW)
    assert none.kind == "none" and none.curves == () and none.label == "λ₁ = 0, λ₂ = 0"
    with pytest.raises(ValueError, match="view_range"):
        curvature_shape(0.0, 0.0, np.eye(2), ((0.0, 0.0), (0.0, 1.0)))


def test_scene_overlay_is_drawn_and_cleared(qtbot):
    exp = experiment([{"optimizer": "sgd", "hyper": {"lr": 0.01}, "init": {"kind": "point", "point": [3.0, -1.0]}}],
                     landscape="booth", steps=20)
    result = run_experiment(exp)
    scene = offscreen_scene(qtbot, exp, result, {"side_plots": []}, size=(400, 400))
    scene.show_frame(0)
    before = scene.render_array()
    h = hessian(exp.landscape_spec(), 3.0, -1.0)
    scene.set_curvature((3.0, -1.0), h)
    assert scene.curvature.isVisible() and scene.curvature.shape.label == "λ₁ = 18.0 (solid), λ₂ = 2.0 (dashed)"
    x, y = scene.curvature._segments[scene.curvature.shape.steep].getData()
    np.testing.assert_allclose([x.mean(), y.mean()], [3.0, -1.0])
    drawn = scene.render_array()
    assert np.count_nonzero(np.any(drawn != before, axis=-1)) > 200  # segments, ellipse and label show
    # a zoom re-sizes it to the new view
    long_before = scene.curvature.shape.half_lengths.max()
    (x0, x1), (y0, y1) = scene.view_range()
    scene.set_view((x0 / 2, x1 / 2), (y0 / 2, y1 / 2))
    assert scene.curvature.shape.half_lengths.max() == pytest.approx(long_before / 2, rel=1e-6)
    scene.set_curvature(None)
    assert not scene.curvature.isVisible() and scene.curvature.shape is None


def _play_until(qtbot, w, step):
    w.playback.playing = True
    qtbot.waitUntil(lambda: w.display.n and w.display.steps[w.display.n - 1] >= step, timeout=60_000)
    w.playback.playing = False
    qtbot.waitUntil(lambda: not w.live.busy, timeout=60_000)


def test_window_toggle_follows_the_cursor_and_clears_with_the_selection(qtbot, win):
    w = win
    act = w.view_controls.curvature_action
    assert act in next(a.menu() for a in w.menuBar().actions() if a.text() == "&View").actions()
    assert not act.isChecked()
    _play_until(qtbot, w, 20)
    w.transport.slider.setValue(5)
    w.selection.particle = 3
    assert not w.scene.curvature.isVisible()  # off by default
    act.setChecked(True)
    surface = w.doc.experiment.landscape_spec()
    for frame in (5, 12, 2):
        w.transport.slider.setValue(frame)
        xy = w.display.positions[frame, 3]
        shape = w.scene.curvature.shape
        assert w.scene.curvature.isVisible()
        np.testing.assert_allclose(shape.center, xy)  # the particle's recorded position at the cursor
        np.testing.assert_allclose(shape.values, np.linalg.eigvalsh(hessian(surface, *xy))[::-1], rtol=1e-9)
    w.actions_["clear_inspect"].trigger()
    assert w.selection.particle is None and not w.scene.curvature.isVisible()
    w.selection.particle = 3
    assert w.scene.curvature.isVisible()
    act.setChecked(False)
    assert not w.scene.curvature.isVisible()

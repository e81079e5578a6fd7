"""The Scene: the one pyqtgraph composition used by the window and by export."""

import hashlib

import numpy as np
import pytest
from helpers import offscreen_scene

from optviz.experiment import Experiment, run_experiment

TOML = """
title = "scene test"
seed = 3
[landscape]
name = "rosenbrock"
[run]
steps = 30
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = { lr = 0.05 }
init = { kind = "normal", mean = [-1.5, 2.0], std = [0.1, 0.1], count = 40 }
[[groups]]
label = "SGD too fast"
optimizer = "sgd"
hyper = { lr = 0.01 }
init = { kind = "normal", mean = [-1.5, 2.0], std = [0.1, 0.1], count = 10 }
"""


@pytest.fixture(scope="module")
def run():
    exp = Experiment.from_toml(TOML)
    return exp, run_experiment(exp)


@pytest.fixture
def scene(qtbot, run):
    exp, res = run
    return offscreen_scene(qtbot, exp, res, {}, size=(400, 300))


def _hash(a):
    return hashlib.sha256(a.tobytes()).hexdigest()


def test_frames_differ_and_render_is_deterministic(scene):
    assert scene.n_frames == 31
    scene.show_frame(0)
    a0 = scene.render_array()
    assert a0.shape == (300, 400, 4) and a0.dtype == np.uint8
    scene.show_frame(-1)
    a1 = scene.render_array()
    assert scene.frame == 30
    assert _hash(a0) != _hash(a1)
    scene.show_frame(0)
    assert _hash(scene.render_array()) == _hash(a0)


def test_diverged_particles_are_counted_and_drawn_apart(scene, run):
    _, res = run
    n_div = int((res.diverged_at >= 0).sum())
    scene.show_frame(-1)
    assert scene.diverged_count == n_div
    assert n_div > 0, "SGD at lr 0.01 from (-1.5, 2) should diverge on Rosenbrock"
    assert len(scene.particles.diverged.data) == n_div
    assert "diverged" in scene.step_text.toPlainText()
    # live points exclude the diverged ones
    assert np.isnan(scene.particles.points.data["x"]).sum() == n_div


def test_visible_groups_side_plots_and_view(scene):
    scene.set_visible_groups([0])
    x = scene.particles.points.data["x"]
    assert np.isnan(x[40:]).all()
    scene.set_visible_groups(None)
    scene.set_side_plots(["loss"])
    assert scene.side.names == ["loss"]
    scene.set_side_plots([])
    assert scene.side.names == []
    with pytest.raises(ValueError, match="side plots"):
        scene.set_side_plots(["nope"])
    scene.set_view((-1, 1), (0, 2))
    (x0, x1), (y0, y1) = scene.view_range()
    assert x0 <= -1 + 1e-9 and x1 >= 1 - 1e-9
    assert scene.landscape.image.image.shape[2] == 4


def test_density_mode_and_trails(scene):
    scene.set_particle_mode("density")
    scene.show_frame(10)
    assert scene.particles.density.isVisible()
    assert scene.particles.density.image[..., 3].max() > 0
    scene.set_particle_mode("points")
    scene.set_trail_length(5)
    scene.show_frame(10)
    xd = scene.particles.trails[0].xData
    assert xd is not None and len(xd) > 0
    scene.set_trail_length(0)
    assert len(scene.particles.trails[0].xData) == 0


def test_interactive_pan_resamples_and_clicks_emit(qtbot, run):
    from optviz.render.scene import Scene

    exp, res = run
    s = Scene(interactive=True, font_px=10)
    qtbot.addWidget(s)
    s.set_experiment(exp)
    s.set_data(res)
    s.prepare_offscreen((400, 300))
    with qtbot.waitSignal(s.sigViewChanged, timeout=2000) as blocker:
        s.vb.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    (x0, x1), _ = blocker.args[0]
    assert x0 == pytest.approx(0, abs=0.2) and x1 == pytest.approx(1, abs=0.2)
    got = []
    s.sigParticleClicked.connect(got.append)
    pts = s.particles.points.points()
    s._on_points_clicked(s.particles.points, pts[3:4], None)
    assert got == [3]


def test_set_data_with_frame_and_side_sample(scene, run):
    _, res = run
    scene.set_data(res, frame=7)
    assert scene.frame == 7
    scene.set_data(res, frame=-1, side_result=res)
    assert scene.frame == 30
    assert scene.side.names


def test_frame_for_step_is_the_last_frame_at_or_before_the_step(scene):
    from optviz.models.live import frame_for_step

    steps = np.array([0, 2, 4, 8, 16])
    assert [frame_for_step(steps, s) for s in (-1, 0, 1, 2, 3, 15, 16, 1000)] == [0, 0, 0, 1, 1, 3, 4, 4]
    assert [scene.frame_for_step(s) for s in (0, 7, 30, 99)] == [0, 7, 30, 30]  # recorded every step


def test_contour_lines_are_drawn_at_the_contour_levels(scene):
    layer = scene.landscape
    x, y = layer.contours.getData()
    finite = np.isfinite(x)
    assert finite.sum() > 100 and (~finite).sum() >= layer.n_contours  # polylines, NaN-separated
    (x0, x1), (y0, y1) = scene.view_range()
    assert np.all((x[finite] >= x0) & (x[finite] <= x1) & (y[finite] >= y0) & (y[finite] <= y1))


def test_diagnostic_side_plots_ask_each_groups_optimizer(qtbot, run):
    """All side plots on: the factors plot holds Adam's two factors only (SGD has none, named in a
    legend); no group has weight decay, so there is no weight-decay plot."""
    exp, res = run
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": "auto"}, size=(400, 300))
    scene.show_frame(len(res.step) - 1)
    assert "weight_decay" not in scene.side.names and "bias" in scene.side.names
    legend = [label.text for _sample, label in scene.side.plots["bias"].legend.items]
    assert legend == ["Adam: 1/(1−β₁ᵗ)", "Adam: 1/(1−β₂ᵗ)"]
    (x1, y1), (x2, y2) = scene.side.drawn_curves("bias")
    t = res.step[1:].astype(np.float64)
    np.testing.assert_allclose(10 ** y1[1:], 1 / (1 - 0.9**t), rtol=1e-12)
    np.testing.assert_allclose(10 ** y2[1:], 1 / (1 - 0.999**t), rtol=1e-12)

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
    with qtbot.waitSignal(s.sigViewChanged, timeout=60_000) as blocker:
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


class _History:
    """A result-like history of ``frames`` frames: 2 clouds of 10 particles drifting apart."""

    def __init__(self, frames: int, n: int = 20):
        rng = np.random.default_rng(0)
        t = np.arange(frames, dtype=np.float64)
        self.step = np.arange(frames, dtype=np.int64)
        self.group = np.repeat(np.arange(2), n // 2)
        walk = np.cumsum(rng.normal(0, 0.01, (frames, n, 2)), axis=0)
        self.positions = (walk + np.array([-1.0, 1.5])).astype(np.float32)
        self.loss = (np.exp(-t / 3000.0)[:, None] * (1.0 + rng.random((frames, n)))).astype(np.float32)
        lr = (0.01 / np.sqrt(1.0 + t))[:, None, None] * (1.0 + rng.random((frames, n, 2)))
        self.lr_preconditioned = lr.astype(np.float32)
        self.lr_realized = lr.astype(np.float32)
        self.diverged_at = np.full(n, -1, dtype=np.int64)


def _vertices_per_frame(scene, frames) -> float:
    """Mean number of points handed to the side plots' and trails' items per drawn frame."""
    count = [0]
    items = [c for it in scene.side._items.values() for k in ("curves", "tails") for c in it[k]]
    bands = [b for it in scene.side._items.values() for k in ("bands", "band_tails") for b in it[k]]
    items += scene.particles.trails
    for c in items:
        def counted(x, y=None, *a, _orig=c.setData, **k):
            count[0] += len(x)
            return _orig(x, y, *a, **k)
        c.setData = counted
    for b in bands:
        def counted_band(x, lo, hi, _orig=b.set_data):
            count[0] += 2 * len(x)
            return _orig(x, lo, hi)
        b.set_data = counted_band
    for f in frames:
        scene.show_frame(f)
    return count[0] / len(frames)


def test_a_frame_deep_in_a_run_redraws_no_more_than_early_on(qtbot):
    """Frame work does not grow with the history: scrubbing at step 10,000 hands the side
    plots and trails no more points per frame than scrubbing at step 1,000."""
    exp = Experiment.from_toml(TOML)
    per_frame = {}
    for frames in (1_001, 10_001):
        scene = offscreen_scene(qtbot, exp, _History(frames), {"side_plots": ["loss", "lr"], "trail_length": 30},
                                size=(640, 400))
        scene.show_frame(frames - 130)
        per_frame[frames] = _vertices_per_frame(scene, range(frames - 129, frames))
    assert per_frame[10_001] <= per_frame[1_001]
    # and in absolute terms: a few points per curve and frame, not a redrawn history
    assert per_frame[10_001] < 30 * 20 + 40 * 2 * 10


def test_step_axis_log_starts_at_step_one_and_follows_the_cursor(qtbot, run):
    exp, res = run
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": ["loss", "lr"], "step_axis": "log"}, size=(640, 400))
    assert scene.side.step_axis == "log"
    last = list(scene.side.plots.values())[-1]
    assert "log" in last.getAxis("bottom").labelText
    (x0, x1), _ = last.viewRange()
    assert x0 <= 0.0 < x1 and 10 ** x1 >= 30  # step 1 (log10 = 0) to past the last step
    scene.show_frame(10)
    for key in ("loss", "lr_pre"):
        drawn = [x for x, _y in scene.side.drawn_curves(key) if len(x)]
        assert drawn
        first = min(np.nanmin(x) for x in drawn)
        assert 10 ** first >= 1  # step 0 has no logarithm: nothing before step 1
        assert max(np.nanmax(x) for x in drawn) <= np.log10(10) + 1e-9  # nothing after the cursor
    assert scene.side.cursors[0].value() == pytest.approx(1.0)
    scene.set_step_axis("linear")
    scene.show_frame(10)
    drawn = [x for x, _y in scene.side.drawn_curves("loss") if len(x)]
    assert min(x.min() for x in drawn) == 0 and max(x.max() for x in drawn) == 10


def test_step_axis_comes_with_the_experiment(qtbot, run):
    """The window shows an experiment with set_experiment only: its [render] step_axis applies."""
    exp, res = run
    data = exp.to_dict()
    data["render"] = {"step_axis": "log"}
    logged = Experiment.from_dict(data)
    scene = offscreen_scene(qtbot, logged, res, None, size=(400, 300))
    scene.set_experiment(logged)
    scene.set_data(res)
    assert scene.side.step_axis == "log"
    scene.set_experiment(exp)
    assert scene.side.step_axis == "linear"


def test_bad_step_axis_is_named_with_what_is_allowed():
    from optviz.render.options import RenderOptionError, resolve_options

    assert resolve_options({"step_axis": "LOG"}).step_axis == "log"
    with pytest.raises(RenderOptionError) as err:
        resolve_options({"step_axis": "logarithmic"})
    assert str(err.value) == "step_axis: 'logarithmic' is not allowed; one of 'linear', 'log'"


def test_race_loss_plot_shows_every_group_readably(qtbot):
    """In the race one curve plunges to ~1e-26 for a few steps; the loss plot's range must
    hold every group's loss at the end and not spend its height on that plunge."""
    from pathlib import Path

    import optviz

    exp = Experiment.load(Path(optviz.__file__).parent / "presets" / "09_race_rosenbrock.toml")
    res = run_experiment(exp)
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": ["loss"]}, size=(900, 500))
    lo, hi = scene.side._yranges["loss"]
    finals = [np.log10(np.median(res.loss[-1, res.group == g])) for g in range(len(exp.groups))]
    assert all(lo <= v <= hi for v in finals)
    # the lowest group's final loss sits in the bottom quarter, not squashed into the top
    assert (min(finals) - lo) / (hi - lo) < 0.25
    assert np.log10(np.nanmin(res.loss[res.loss > 0])) < lo  # the plunge runs off the bottom


class _Prefix:
    """The first ``n`` frames of a result-like object (what a live run has recorded so far)."""

    def __init__(self, full, n: int, scale: float = 1.0):
        for name in ("positions", "lr_preconditioned", "lr_realized", "step"):
            setattr(self, name, getattr(full, name)[:n])
        self.loss = full.loss[:n] * scale
        self.group, self.diverged_at = full.group, full.diverged_at


def test_live_rebuilds_keep_settled_curves_and_redraw_changed_ones(qtbot):
    """A live run rebuilds its side plots a few times per second as frames arrive: the
    settled parts are not redrawn, yet the plots show exactly what a fresh build shows;
    a different run with the same steps is redrawn."""
    exp = Experiment.from_toml(TOML)
    full = _History(3_001)
    opts = {"side_plots": ["loss", "lr"], "trail_length": 30}
    scene = offscreen_scene(qtbot, exp, _Prefix(full, 2_000), opts, size=(640, 400))
    scene.side.y_hysteresis = True  # as in the window: the y ranges stay while the data fit
    scene.set_data(_Prefix(full, 2_000), frame=-1)
    calls = []
    for it in scene.side._items.values():
        for c in it["curves"]:
            c.setData = lambda *a, _orig=c.setData, **k: (calls.append(1), _orig(*a, **k))
        for b in it["bands"]:
            b.set_data = lambda *a, _orig=b.set_data: (calls.append(1), _orig(*a))
    scene.set_data(_Prefix(full, 2_010), frame=-1)
    assert not calls  # the settled parts were left as they were
    fresh = offscreen_scene(qtbot, exp, _Prefix(full, 2_010), opts, size=(640, 400))
    fresh.show_frame(-1)
    for key in scene.side.plots:
        for (xa, ya), (xb, yb) in zip(scene.side.drawn_curves(key), fresh.side.drawn_curves(key), strict=True):
            assert np.array_equal(xa, xb) and np.allclose(ya, yb, equal_nan=True)
    # another run, same steps, other values: nothing of the old one stays on screen
    scene.set_data(_Prefix(full, 2_010, scale=3.0), frame=-1)
    (x, y), *_ = scene.side.drawn_curves("loss")
    (_x, y_old), *_ = fresh.side.drawn_curves("loss")
    assert not np.allclose(y, y_old, equal_nan=True)


BOOTH = """
title = "curvature test"
seed = 1
[landscape]
name = "booth"
[run]
steps = 40
[[groups]]
label = "GD"
optimizer = "sgd"
hyper = { lr = 0.02 }
init = { kind = "normal", mean = [-4.0, 6.0], std = [1.0, 1.0], count = 12 }
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = { lr = 0.2, betas = [0.8, 0.99] }
init = { kind = "normal", mean = [-4.0, 6.0], std = [1.0, 1.0], count = 12 }
[[groups]]
label = "Lion"
optimizer = "lion"
hyper = { lr = 0.05 }
init = { kind = "normal", mean = [-4.0, 6.0], std = [1.0, 1.0], count = 12 }
"""


def _finite(curves):
    """The drawn points of each curve (NaN, such as step 0 of a rate, is a gap)."""
    return [(x[np.isfinite(y)], y[np.isfinite(y)]) for x, y in curves]


@pytest.fixture(scope="module")
def booth():
    exp = Experiment.from_toml(BOOTH)
    return exp, run_experiment(exp)


def test_sharpness_plot_shows_each_groups_sharpness_against_its_threshold(qtbot, booth):
    """Booth's Hessian is [[10, 8], [8, 10]] everywhere: GD's median sharpness is 18 at every
    frame, against 2/lr; Adam's is the preconditioned sharpness against (2 + 2β1)/((1 - β1) lr),
    both as optviz.core.curvature computes them; Lion has no threshold."""
    from optviz.core.curvature import hessian, preconditioned_sharpness, stability_threshold

    exp, res = booth
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": ["loss", "sharpness"]}, size=(640, 400))
    scene.show_frame(-1)
    legend = [label.text for _sample, label in scene.side.plots["sharpness"].legend.items]
    adam = stability_threshold("adam", exp.groups[1].resolved_hyper())
    assert legend == ["SGD (gradient descent): sharpness vs 2/lr",
                      f"Adam: preconditioned sharpness vs {adam.formula}", "Lion: sharpness (no threshold)"]
    (xs, gd), (xt, gd_line), (xa, adam_s), (xl, adam_line), (_x, lion) = _finite(scene.side.drawn_curves("sharpness"))
    steps = res.step.astype(np.float64)
    assert np.array_equal(xs, steps) and np.array_equal(xt, steps)
    np.testing.assert_allclose(10 ** gd, 18.0, rtol=1e-9)
    np.testing.assert_allclose(10 ** lion, 18.0, rtol=1e-9)
    np.testing.assert_allclose(10 ** gd_line, 2 / 0.02, rtol=1e-12)
    # Adam: P = lr_t / the recorded preconditioned LR, from step 1 on (no preconditioner before)
    part = res.group_slice(1)
    pos = res.positions[1:, part].astype(np.float64)
    p = 0.2 / res.lr_preconditioned[1:, part].astype(np.float64)
    want = np.median(preconditioned_sharpness(hessian(exp.landscape_spec(), pos[..., 0], pos[..., 1]), p), axis=1)
    assert np.array_equal(xa, steps[1:]) and np.array_equal(xl, steps[1:])
    np.testing.assert_allclose(10 ** adam_s, want, rtol=1e-9)
    np.testing.assert_allclose(10 ** adam_line, adam.value, rtol=1e-12)
    assert adam.value == pytest.approx((2 + 2 * 0.8) / ((1 - 0.8) * 0.2))


def test_sharpness_plot_of_a_live_run_computes_only_its_new_frames(qtbot, booth, monkeypatch):
    """Rebuilt as frames arrive, the sharpness plot evaluates the Hessian at the new frames'
    points only; a different run (a new group array) is computed afresh."""
    import optviz.core.curvature as curvature

    exp, res = booth
    points = []
    real = curvature.curvature_along

    def counted(surface, x, y, preconditioner=None):
        points.append(np.size(x))
        return real(surface, x, y, preconditioner)

    monkeypatch.setattr(curvature, "curvature_along", counted)
    scene = offscreen_scene(qtbot, exp, _Prefix(res, 30), {"side_plots": ["sharpness"]}, size=(400, 300))
    assert sum(points) == 30 * 36
    points.clear()
    scene.set_data(_Prefix(res, 32), frame=-1)
    assert sum(points) == 2 * 36
    before = [y.copy() for _x, y in scene.side.drawn_curves("sharpness")]
    points.clear()
    other = _Prefix(res, 32)
    other.group = res.group.copy()
    scene.set_data(other, frame=-1)
    assert sum(points) == 32 * 36
    for (_x, y), y0 in zip(scene.side.drawn_curves("sharpness"), before, strict=True):
        np.testing.assert_allclose(y, y0, rtol=1e-12)


def test_schedule_plot_draws_each_groups_learning_rate(qtbot):
    """A warm-up then cosine chain (torch's SequentialLR) is drawn as learning_rates gives it,
    at every drawn step from step 1; a group with a constant rate is a flat line."""
    from optviz.core.schedules import learning_rates

    chain = ('schedule = { kind = "sequential", milestones = [10], schedules = '
             '[{ kind = "linear", start_factor = 0.1, total_iters = 10 }, { kind = "cosine", T_max = 20 }] }')
    exp = Experiment.from_toml(TOML.replace('hyper = { lr = 0.05 }', 'hyper = { lr = 0.05 }\n' + chain))
    res = run_experiment(exp)
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": ["loss", "schedule"]}, size=(640, 400))
    scene.show_frame(-1)
    legend = [label.text for _sample, label in scene.side.plots["schedule"].legend.items]
    assert legend == ["Adam: linear → cosine", "SGD too fast: constant"]
    (x, y), (x2, y2) = _finite(scene.side.drawn_curves("schedule"))
    assert x[0] == 1 and x[-1] == 30
    np.testing.assert_allclose(10 ** y, learning_rates(0.05, exp.groups[0].resolved_schedule(), x), rtol=1e-12)
    assert 10 ** y[0] == pytest.approx(0.005) and 10 ** y.max() == pytest.approx(0.05)
    np.testing.assert_allclose(10 ** y2, 0.01, rtol=1e-12)
    # no group with a schedule: no schedule plot
    plain = offscreen_scene(qtbot, Experiment.from_toml(TOML), res, {"side_plots": ["loss", "schedule"]})
    assert plain.side.names == ["loss"]


def test_curvature_and_schedule_frames_deep_in_a_run_redraw_no_more_than_early_on(qtbot):
    """As for the other plots: scrubbing at step 10,000 hands the sharpness and schedule plots
    no more points per frame than at step 1,000."""
    exp = Experiment.from_toml(TOML.replace('hyper = { lr = 0.05 }',
                                            'hyper = { lr = 0.05 }\nschedule = { kind = "cosine", T_max = 12000 }'))
    per_frame = {}
    for frames in (1_001, 10_001):
        scene = offscreen_scene(qtbot, exp, _History(frames), {"side_plots": ["sharpness", "schedule"],
                                                               "trail_length": 0}, size=(640, 400))
        assert scene.side.names == ["sharpness", "schedule"]
        scene.show_frame(frames - 130)
        per_frame[frames] = _vertices_per_frame(scene, range(frames - 129, frames))
    assert per_frame[10_001] <= per_frame[1_001]
    assert per_frame[10_001] < 6 * 20


@pytest.mark.parametrize("size", [(600, 400), (1280, 720)])
def test_the_legend_stays_inside_the_landscape_and_wraps_its_texts_only_when_it_must(qtbot, run, size):
    """A narrow landscape (the window with a dock open) gets its legend's long texts on two lines so
    that the legend does not cover the axis and overhang the picture; a wide one keeps one line each."""
    exp, res = run
    scene = offscreen_scene(qtbot, exp, res, {}, size=size)
    scene.show_frame(-1)
    box = scene.legend.mapRectToItem(scene.vb, scene.legend.boundingRect())
    assert 0 <= box.left() and box.right() <= scene.vb.width()
    texts = [label.text for _sample, label in scene.legend.items]
    full = ["Adam  (40)", "SGD too fast  (10)  · 10 diverged", "diverged (last position)", "global minimum"]
    if size[0] > 1000:
        assert texts == full
    else:
        assert texts != full and [t.replace("<br>", " ") for t in texts] == full


def test_legend_lines_break_at_spaces_and_elide_only_what_two_lines_cannot_hold():
    from PySide6 import QtGui

    from optviz.render.qt import ensure_app
    from optviz.render.scene import legend_lines

    ensure_app()
    metrics = QtGui.QFontMetricsF(QtGui.QFont())
    text = "Momentum lr = 0.145, momentum = 0.5"
    assert legend_lines(text, 1e4, metrics) == [text]
    width = metrics.horizontalAdvance("Momentum lr = 0.145,")
    assert legend_lines(text, width, metrics) == ["Momentum lr = 0.145,", "momentum = 0.5"]
    narrow = legend_lines(text, metrics.horizontalAdvance("Momentum lr"), metrics)
    assert narrow[0] == "Momentum lr" and narrow[1].endswith("…") and len(narrow) == 2
    assert all(metrics.horizontalAdvance(line) <= metrics.horizontalAdvance("Momentum lr") for line in narrow)

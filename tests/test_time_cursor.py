"""One time cursor: nothing drawn (trails, side plots, inspector, exported frames) shows a
step after it; and what is drawn stacks so that nothing hides anything wholesale."""

import numpy as np
import pytest
from helpers import offscreen_scene

from optviz.experiment import Experiment, run_experiment
from optviz.render.options import resolve_options

TOML = """
title = "time test"
seed = 1
[landscape]
name = "rosenbrock"
[run]
steps = 60
record_every = 2
[[groups]]
label = "Adam cloud"
optimizer = "adam"
hyper = { lr = 0.05 }
init = { kind = "normal", mean = [-1.0, 1.5], std = [0.1, 0.1], count = 12 }
[[groups]]
label = "GD"
optimizer = "sgd"
hyper = { lr = 0.001 }
init = { kind = "point", point = [-1.0, 1.5] }
[[groups]]
label = "Momentum"
optimizer = "momentum"
hyper = { lr = 0.001, momentum = 0.9 }
init = { kind = "point", point = [-1.2, 1.0] }
"""


@pytest.fixture(scope="module")
def run():
    exp = Experiment.from_toml(TOML)
    return exp, run_experiment(exp)


@pytest.fixture
def scene(qtbot, run):
    exp, res = run
    options = {"side_plots": ["loss", "lr", "bias_correction"], "trail_length": -1}
    return offscreen_scene(qtbot, exp, res, options, size=(640, 400))


def _trail_points(scene, g):
    c = scene.particles.trails[g]
    return np.column_stack([np.asarray(c.xData), np.asarray(c.yData)]) if c.xData is not None else np.zeros((0, 2))


def test_whole_path_trails_end_at_the_cursor_when_scrubbing_back(scene, run):
    _, res = run
    scene.show_frame(-1)
    k = 7
    scene.show_frame(k)
    for g, idx in enumerate(scene.particles._trail_idx):
        pts = _trail_points(scene, g)
        expected = np.swapaxes(np.asarray(res.positions[: k + 1, idx], dtype=np.float64), 0, 1).reshape(-1, 2)
        np.testing.assert_allclose(pts, expected)  # frames 0..k of each particle, nothing later


def test_a_group_shown_again_after_scrubbing_has_no_stale_future_trail(scene):
    scene.set_visible_groups([0])
    scene.show_frame(-1)
    scene.show_frame(3)
    scene.set_visible_groups(None)
    idx = scene.particles._trail_idx[2]
    assert len(_trail_points(scene, 2)) == 4 * len(idx)


@pytest.mark.parametrize("k", [0, 5, 17])
def test_side_plot_curves_contain_no_step_after_the_cursor(scene, run, k):
    _, res = run
    scene.show_frame(-1)
    scene.show_frame(k)
    step_k = int(res.step[k])
    assert set(scene.side.names) == {"loss", "lr_pre", "lr_real", "bias"}
    for key in scene.side.names:
        for x, _y in scene.side.drawn_curves(key):
            if len(x):
                assert x.max() <= step_k, f"{key}: a curve reaches step {x.max()} past the cursor at {step_k}"
    loss_x = [x for x, _ in scene.side.drawn_curves("loss") if len(x)]
    assert loss_x and max(x.max() for x in loss_x) == step_k  # and they reach it


def test_future_ghost_is_an_option_off_by_default(scene, run):
    _, res = run
    scene.show_frame(4)
    ghosts = [g for items in scene.side._items.values() for g in items["ghosts"]]
    assert ghosts and not any(g.isVisible() for g in ghosts)
    scene.set_future("ghost")
    assert all(g.isVisible() for g in ghosts)
    assert max(np.nanmax(g.xData) for g in ghosts) == int(res.step[-1])
    for x, _y in scene.side.drawn_curves("loss"):
        assert len(x) == 0 or x.max() <= int(res.step[4])
    with pytest.raises(ValueError, match="future"):
        scene.set_future("sometimes")


def test_exported_frame_side_plots_end_at_its_step(qtbot, run):
    """The export's scene (the one `optviz export` and `figure --step` draw) at frame k:
    no curve pixel right of the time cursor in the side plots."""
    from PySide6 import QtCore

    from optviz.render.export import _scene_for
    from optviz.render.qt import shutdown_widgets

    exp, res = run
    opts = resolve_options(exp.render, size=(640, 400), side_plots=["loss", "lr"])
    scene = _scene_for(exp, res, opts)
    try:
        k = 10
        scene.show_frame(scene.frame_for_step(int(res.step[k])))
        img = scene.render_array()[..., :3].astype(np.int16)
        for key, plot in scene.side.plots.items():
            vb = plot.getViewBox()
            rect = vb.sceneBoundingRect()
            cursor_x = vb.mapViewToScene(QtCore.QPointF(float(res.step[k]), 0.0)).x()
            x0, x1 = int(cursor_x) + 3, int(rect.right()) - 2
            y0, y1 = int(rect.top()) + 2, int(rect.bottom()) - 2
            assert x1 - x0 > 50, "the cursor should be early in the plot"
            region = img[y0:y1, x0:x1]
            chroma = region.max(axis=-1) - region.min(axis=-1)
            assert chroma.max() < 40, f"{key}: coloured pixels after the cursor"
            left = img[y0:y1, int(rect.left()) + 2 : int(cursor_x) - 2]
            assert (left.max(axis=-1) - left.min(axis=-1)).max() >= 40, f"{key}: no curve before the cursor"
    finally:
        shutdown_widgets(scene)


def _info(step):
    steps = np.arange(0, 410, 2)
    n = len(steps)
    return {
        "steps": steps, "positions": np.zeros((n, 2)), "loss": np.ones(n), "grad": np.ones((n, 2)),
        "lr_preconditioned": np.ones((n, 2)), "lr_realized": np.ones((n, 2)), "step": step,
        "state": {"exp_avg": np.array([0.1, 0.2]), "exp_avg_sq": np.array([0.3, 0.4])},
        "optimizer": "adam", "hyper": {"betas": (0.9, 0.999), "lr": 0.01}, "alive": True,
    }


def test_inspector_never_mixes_two_steps():
    from optviz.app.inspector import inspection_rows

    shown, rows = inspection_rows(_info(402), 50)
    names = [r[0] for r in rows]
    assert shown == 50
    assert not any("exp_avg" in n or n.startswith("m̂") or "bias correction" in n for n in names)
    assert any("shown only at the live step" in n and "402" in n for n in names)
    shown, rows = inspection_rows(_info(402), 402)
    names = [r[0] for r in rows]
    assert shown == 402 and any("[exp_avg]" in n for n in names) and any(n.startswith("m̂") for n in names)


def test_stacking_trails_minima_particles(scene):
    p = scene.particles
    minima_z = scene.landscape.minima.zValue()
    assert max(c.zValue() for c in p.trails) < minima_z < p.points.zValue()
    # the single-particle groups (1, 2) are drawn after (above) the 12-particle cloud
    order = p.order if p.order is not None else np.arange(p.n_particles)
    drawn_groups = p._group[order]
    assert np.all(drawn_groups[:12] == 0)
    scene.set_selected_group(0)
    order = p.order
    assert np.all(p._group[order][-12:] == 0)  # the selected group on top
    assert p.trails[0].zValue() == max(c.zValue() for c in p.trails)
    # a click on a drawn point names the particle, not its place in the drawing order
    spot = int(np.flatnonzero(p._group[order] == 1)[0])
    assert p._group[p.particle_of_spot(spot)] == 1
    scene.set_selected_group(None)


def test_long_curves_and_trails_are_thinned_without_losing_the_cursor():
    from optviz.render.particles import trail_frames
    from optviz.render.side_plots import decimation_index

    y = np.sin(np.arange(100_000) / 50.0)
    y[77_777] = 5.0
    idx = decimation_index(y, 90_001, 600)
    assert len(idx) <= 1201 and idx[-1] == 90_000 and np.all(np.diff(idx) > 0)
    assert 77_777 in idx and y[idx].min() == pytest.approx(-1.0, abs=1e-3)
    frames = trail_frames(0, 9_999, 1000)
    assert len(frames) <= 1000 and frames[0] == 0 and frames[-1] == 9_999 and np.all(np.diff(frames) > 0)
    assert set(trail_frames(0, 9_999, 1000)) <= set(trail_frames(0, 10_040, 1000)) | {9_999}


def test_settled_part_and_tail_draw_the_same_points_and_settle_in_blocks():
    from optviz.render.side_plots import decimation_index, decimation_split, settled_frames

    rng = np.random.default_rng(2)
    y = rng.normal(size=10_001)
    lo = y - rng.random(10_001)
    for n in (1, 17, 600, 601, 602, 5_000, 10_001):
        for band in (None, lo):
            head, tail = decimation_split(y, n, 300, lo=band)
            assert np.array_equal(np.union1d(head, tail), decimation_index(y, n, 300, lo=band))
            assert tail[-1] == n - 1 and (not len(head) or tail[0] == head[-1])
    # the settled part changes only when the cursor crosses a block, never within one
    ends = [settled_frames(10_001, n, 300) for n in range(5_000, 5_200)]
    assert len(set(ends)) <= 200 // 16 + 1 and all(e < n for e, n in zip(ends, range(5_000, 5_200), strict=True))
    same = [n for n in range(5_000, 5_200) if settled_frames(10_001, n, 300) == ends[0]]
    assert len(same) >= 16
    assert np.array_equal(decimation_split(y, same[0], 300)[0], decimation_split(y, same[-1], 300)[0])


def test_gradient_flow_ghost_ends_at_the_cursors_flow_time(scene, run):
    """Each group's ghost is its flow from the mean start at flow times 0, lr, ..., k·lr for the
    cursor's step k: nothing later; off by default, integrated once, under the trails."""
    from optviz.core.gradient_flow import integrate_flow
    from optviz.render.flow import Z_FLOW_HEAD

    exp, res = run
    assert not scene.gradient_flow and not any(c.isVisible() for c in scene.flow.curves)
    scene.set_gradient_flow(True)
    surface = exp.landscape_spec()
    first = np.asarray(res.positions[0], dtype=np.float64)
    for k in (0, 7, 30):
        scene.show_frame(-1)
        scene.show_frame(k)
        step = int(res.step[k])
        for g, group in enumerate(exp.groups):
            start = first[np.asarray(res.group) == g].mean(axis=0)
            t_k = step * group.resolved_hyper()["lr"]
            times = scene.flow.path(g)[0]
            assert t_k in times  # the cursor's flow time is one of the path's samples
            expected = integrate_flow(surface, [start], times[times <= t_k]).positions[:, 0]
            drawn = scene.flow.drawn(g)
            np.testing.assert_allclose(drawn, expected, rtol=0, atol=1e-7)
        heads = np.column_stack(scene.flow.heads.getData())
        assert np.allclose(heads, [scene.flow.drawn(g)[-1] for g in range(3)])
    assert scene.flow.computed == 3
    scene.set_experiment(exp)  # the window does this for every change of a group's look
    scene.set_data(res)
    assert scene.flow.computed == 3 and len(scene.flow.drawn(0))  # from the cache
    scene.set_visible_groups([1])
    assert [len(scene.flow.drawn(g)) > 0 for g in range(3)] == [False, True, False]
    scene.set_visible_groups(None)
    assert max(c.zValue() for c in scene.flow.curves) < min(c.zValue() for c in scene.particles.trails)
    assert Z_FLOW_HEAD < scene.landscape.minima.zValue()
    scene.set_gradient_flow(False)
    assert not any(c.isVisible() for c in scene.flow.curves) and not scene.flow.heads.isVisible()

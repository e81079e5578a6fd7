"""Gradient flow dθ/dt = −∇f(θ): exact on quadratics, converged on Rosenbrock, early stops, and the
time convention t_k = k·lr under which small-lr gradient descent tracks the flow and a large lr leaves it."""

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from optviz.core.gradient_flow import B_STAR, A, B, C, flow_times, integrate_flow
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import builtin_surface, expression_surface
from optviz.experiment import Experiment, run_experiment

PRESET = Path(__file__).resolve().parents[1] / "optviz" / "presets" / "01_momentum_ravine.toml"
STARTS = np.array([[1.0, 2.0], [-2.0, 0.5], [0.3, -1.0]])


def test_dormand_prince_tableau_is_consistent():
    for i, row in enumerate(A):
        assert sum(row) == pytest.approx(C[i], abs=1e-15)  # row sums are the nodes
    assert B.sum() == pytest.approx(1.0, abs=1e-15) and B_STAR.sum() == pytest.approx(1.0, abs=1e-15)
    # order conditions up to 4 for both weight vectors: sum b c^(q-1) = 1/q
    for weights in (B, B_STAR):
        for q in range(1, 5):
            assert np.dot(weights, C ** (q - 1)) == pytest.approx(1.0 / q, abs=1e-14)
    assert np.dot(B, C ** 4) == pytest.approx(1 / 5, abs=1e-14)  # the 5th-order one


def test_diagonal_quadratic_matches_exp_minus_ht():
    surface = expression_surface("0.5*(3*x^2 + 0.5*y^2)")
    times = np.linspace(0.0, 6.0, 121)
    path = integrate_flow(surface, STARTS, times)
    exact = STARTS[None] * np.exp(-np.array([3.0, 0.5]) * times[:, None, None])
    assert path.reason == ("done",) * 3 and np.all(path.reached == len(times))
    assert np.abs(path.positions - exact).max() < 1e-9


@pytest.mark.parametrize("condition, angle", [(100.0, 30.0), (7.0, -55.0)])
def test_rotated_quadratic_matches_its_matrix_exponential(condition, angle):
    surface = builtin_surface("ravine", {"condition": condition, "angle": angle})
    phi = np.deg2rad(angle)
    normal = np.array([-np.sin(phi), np.cos(phi)])
    hessian = np.eye(2) + (condition - 1.0) * np.outer(normal, normal)
    w, v = np.linalg.eigh(hessian)
    times = np.linspace(0.0, 4.0, 81)
    exact = np.einsum("ij,tsj->tsi", v, np.exp(-w * times[:, None, None]) * (STARTS @ v)[None])
    path = integrate_flow(surface, STARTS, times)
    assert np.abs(path.positions - exact).max() < 1e-9


def test_per_start_output_times():
    surface = expression_surface("0.5*(3*x^2 + 0.5*y^2)")
    times = np.stack([np.linspace(0, 1, 11), np.linspace(0, 3, 11), np.zeros(11)], axis=1)
    path = integrate_flow(surface, STARTS, times)
    exact = STARTS[None] * np.exp(-np.array([3.0, 0.5]) * times[:, :, None])
    assert np.abs(path.positions - exact).max() < 1e-9
    assert np.all(path.positions[:, 2] == STARTS[2])  # only time 0, asked 11 times


def test_rosenbrock_agrees_with_a_much_tighter_tolerance():
    surface = builtin_surface("rosenbrock")
    starts = [[-1.0, 1.5], [-1.2, 1.0], [0.5, -0.5]]
    times = np.linspace(0.0, 1.0, 51)
    path = integrate_flow(surface, starts, times)
    reference = integrate_flow(surface, starts, times, rtol=1e-13, atol=1e-15)
    assert path.reason == reference.reason == ("done",) * 3
    assert np.abs(path.positions - reference.positions).max() < 1e-8
    # and a loose tolerance is measurably worse: the comparison can tell
    loose = integrate_flow(surface, starts, times, rtol=1e-4, atol=1e-6)
    assert np.abs(loose.positions - reference.positions).max() > 1e-7
    # along a gradient flow the loss never increases
    loss = surface.value_and_grad(reference.positions[..., 0], reference.positions[..., 1])[0]
    assert np.all(np.diff(loss, axis=0) <= 1e-12)


def test_early_stops():
    bowl = expression_surface("0.5*(x^2 + y^2)")
    times = np.linspace(0.0, 10.0, 11)
    path = integrate_flow(bowl, [[0.0, 0.0], [1.0, 1.0]], times)
    assert path.reason[0] == "stationary" and np.all(path.positions[:, 0] == 0.0)
    assert path.reason[1] == "done"
    hill = expression_surface("-0.5*(x^2 + y^2)", bounds=((-3.0, 3.0), (-3.0, 3.0)))
    path = integrate_flow(hill, [[0.5, 0.0], [1.0, 0.0]], times)  # θ(t) = θ0 e^t leaves [-9, 9]
    assert path.reason == ("left bounds", "left bounds")
    assert list(path.reached) == [3, 3]  # e^2 · 1 = 7.4 is inside, e^3 · 0.5 = 10 is not
    assert np.all(np.isnan(path.positions[3:])) and np.all(np.abs(path.positions[:3]) <= 9.0)
    path = integrate_flow(hill, [[0.5, 0.0]], times, bounds=((-100, 100), (-1, 1)))
    assert path.reason == ("left bounds",) and path.reached[0] == 6  # e^5 · 0.5 = 74
    stiff = integrate_flow(builtin_surface("rosenbrock"), [[-1.0, 1.5]], times, max_steps=50)
    assert stiff.reason == ("step limit",) and stiff.steps[0] == 50
    with pytest.raises(ValueError, match="times"):
        integrate_flow(bowl, [[1.0, 1.0]], [1.0, 0.5])


def test_flow_times_convention():
    assert np.array_equal(flow_times([0, 1, 5], 0.1), [0.0, 0.1, 0.5])
    schedule = resolve_schedule({"kind": "step", "step_size": 2, "gamma": 0.5})
    # steps 1, 2 at lr; 3, 4 at lr / 2; 5 at lr / 4
    assert np.allclose(flow_times([0, 2, 4, 5], 0.4, schedule), [0.0, 0.8, 1.2, 1.3])
    with pytest.raises(ValueError, match="steps"):
        flow_times([-1], 0.1)


def _gd_gap(landscape, params, lr, steps, start, record_dtype="float64"):
    """Largest distance between optviz's GD at step k and the flow at time k·lr."""
    exp = Experiment.from_dict({
        "landscape": {"name": landscape, "params": params or {}},
        "run": {"steps": steps, "record_dtype": record_dtype},
        "groups": [{"label": "GD", "optimizer": "sgd", "hyper": {"lr": lr}, "init": {"kind": "point", "point": start}}],
    })
    res = run_experiment(exp)
    gd = np.asarray(res.positions, dtype=np.float64)[:, 0]
    path = integrate_flow(exp.landscape_spec(), [start], flow_times(res.step, lr))
    return np.abs(gd - path.positions[:, 0]).max()


def test_small_lr_gd_tracks_the_flow_to_order_lr_and_a_large_lr_leaves_it():
    start = [-1.0, 1.5]
    gaps = [_gd_gap("rosenbrock", None, lr, round(0.4 / lr), start) for lr in (4e-4, 2e-4, 1e-4)]
    assert gaps[0] < 0.02
    for big, small in zip(gaps, gaps[1:], strict=False):
        assert 1.7 < big / small < 2.4  # first order: halving lr halves the gap (measured 2.20, 2.09)
    ravine = {"condition": 100.0, "angle": 30.0}
    small = _gd_gap("ravine", ravine, 0.001, 1900, [-3.6, -0.7])
    large = _gd_gap("ravine", ravine, 0.019, 100, [-3.6, -0.7])  # lr × largest curvature = 1.9
    assert small < 0.05 and large > 0.5


def test_render_option_is_validated_and_off_by_default():
    from optviz.render.options import RenderOptionError, resolve_options

    assert resolve_options({}).gradient_flow is False
    assert resolve_options({"gradient_flow": True}).gradient_flow is True
    with pytest.raises(RenderOptionError, match=r"^gradient_flow: 'yes' is not allowed; true or false$"):
        resolve_options({"gradient_flow": "yes"})


def test_figure_draws_the_ghost_in_the_groups_colour(qtbot, tmp_path):
    """`[render] gradient_flow = true`: the figure has the group's colour where only the flow is
    (GD at lr × curvature = 1.9 bounces across the ravine; its flow runs down the middle)."""
    from optviz.render.export import _scene_for
    from optviz.render.options import resolve_options
    from optviz.render.qt import shutdown_widgets

    text = """
    [landscape]
    name = "ravine"
    params = { condition = 100.0, angle = 30.0 }
    [run]
    steps = 40
    [[groups]]
    label = "GD"
    optimizer = "sgd"
    hyper = { lr = 0.019 }
    init = { kind = "point", point = [-3.6, -0.7] }
    color = "#ee7733"
    [render]
    gradient_flow = true
    trail_length = 0
    side_plots = []
    legend = false
    view = { x = [-4.0, 0.8], y = [-2.9, 0.8] }
    """
    exp = Experiment.from_toml(text)
    res = run_experiment(exp)
    images = {}
    for on in (True, False):
        scene = _scene_for(exp, res, resolve_options(exp.render, size=(500, 400), gradient_flow=on))
        try:
            scene.show_frame(-1)
            path = integrate_flow(exp.landscape_spec(), [[-3.6, -0.7]], [0.019 * 20]).positions[0, 0]
            p = scene.vb.mapViewToScene(QtCore.QPointF(*path))
            images[on] = (scene.render_array()[..., 2::-1].astype(int), int(p.x()), int(p.y()))
        finally:
            shutdown_widgets(scene)
    img, x, y = images[True]
    off = images[False][0]
    orange = np.array([0xEE, 0x77, 0x33])
    near = lambda im: np.abs(im[y - 4:y + 5, x - 4:x + 5] - orange).sum(axis=-1).min()  # noqa: E731
    assert near(img) < 120 and near(off) > 200  # the ghost's colour at the flow's point, only when on


def test_window_view_menu_toggle_and_the_opened_experiments_option(qtbot, win, tmp_path):  # noqa: F811
    from test_app import play_until

    w = win
    action = w.view_controls.flow_action
    assert action in [a for m in w.menuBar().findChildren(QtWidgets.QMenu) for a in m.actions()]
    assert not action.isChecked() and not w.scene.gradient_flow
    play_until(qtbot, w, 5)
    action.trigger()
    assert w.scene.gradient_flow
    shown = [g for g in range(len(w.doc.experiment.groups)) if len(w.scene.flow.drawn(g))]
    assert shown, "no ghost drawn after turning the gradient flow on"
    assert not w.doc.dirty  # a view of the moment, not an edit
    action.trigger()
    assert not any(len(w.scene.flow.drawn(g)) for g in range(len(w.doc.experiment.groups)))
    text = PRESET.read_text().replace("[render]\n", "[render]\ngradient_flow = true\n")
    path = tmp_path / "flow.toml"
    path.write_text(text)
    assert w.open_path(path)
    assert action.isChecked() and w.scene.gradient_flow

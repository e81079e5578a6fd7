"""Race statistics (optviz.core.race) on hand-made histories, in `optviz run`'s npz, and as the
"converged" side plot."""

import numpy as np
import pytest

import optviz.core.race as race
from optviz.core.landscapes import Minimum
from optviz.core.race import QUANTILES, minima_array, race_statistics, within_eps, within_eps_sample

EPS = 1e-3
#: Two minima: m0 at (0, 0) with f = 0, m1 at (10, 0) with f = 1.
MINIMA = minima_array([Minimum(0.0, 0.0, 0.0, "global"), Minimum(10.0, 0.0, 1.0, "local"),
                       Minimum(5.0, 5.0, 3.0, "saddle")])


def history():
    """6 frames (steps 0, 10, ..., 50) of 5 particles: groups [0, 0, 0, 1, 1].

    p0 settles at m0 from step 20;   p1 passes through eps at step 10, leaves, settles from step 40;
    p2 is at m1 (f = 1, within eps of m1) from step 30;   p3 never gets within eps;
    p4 diverges at step 30 (NaN from then on).
    """
    step = np.arange(0, 60, 10)
    group = np.array([0, 0, 0, 1, 1])
    far = (3.0, 3.0)
    pos = np.zeros((6, 5, 2))
    loss = np.full((6, 5), 2.0)
    pos[:, :, :] = far
    pos[2:, 0] = (1e-3, 0.0)
    loss[2:, 0] = 1e-4
    pos[1, 1], loss[1, 1] = (0.0, 1e-3), 5e-4
    pos[4:, 1], loss[4:, 1] = (0.0, 1e-3), 5e-4
    pos[3:, 2], loss[3:, 2] = (10.0, 1e-3), 1.0 + 2e-4
    loss[3:, 4] = np.nan
    pos[3:, 4] = np.nan
    loss[:, 3] = [9.0, 8.0, 7.0, 6.0, 5.0, 4.0]
    return loss, pos, step, group


def test_within_eps_is_near_the_loss_of_the_nearest_known_minimum():
    loss, pos, _step, _group = history()
    hit = within_eps(loss, pos, None, MINIMA, EPS)
    assert hit[:, 0].tolist() == [False, False, True, True, True, True]
    assert hit[:, 1].tolist() == [False, True, False, False, True, True]
    assert hit[:, 2].tolist() == [False, False, False, True, True, True]
    assert not hit[:, 3].any() and not hit[:, 4].any()
    # f = 1.0002 is within eps of m1's value, but only counts near m1: at m0 it is far from f(m0) = 0
    assert not within_eps(np.array([[1.0002]]), np.array([[[0.0, 0.0]]]), None, MINIMA, EPS).any()
    # saddles are no goal
    assert len(MINIMA) == 2


def test_without_known_minima_within_eps_means_a_small_gradient():
    loss = np.array([[1.0, 1.0, np.nan]])
    grad = np.array([[[1e-4, 1e-4], [1e-2, 0.0], [0.0, 0.0]]])
    assert within_eps(loss, None, grad, np.zeros((0, 3)), EPS).tolist() == [[True, False, False]]


def test_race_statistics_of_a_hand_made_history():
    loss, pos, step, group = history()
    stats = race_statistics(loss, step, group, 2, EPS, MINIMA, positions=pos)
    assert stats.steps_to_eps.tolist() == [20, 40, 30, -1, -1]  # p1: from when it stayed, not its first visit
    np.testing.assert_allclose(stats.reached[0], [0, 0, 1 / 3, 2 / 3, 1, 1])
    np.testing.assert_allclose(stats.reached[1], [0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(stats.within[0], [0, 1 / 3, 1 / 3, 2 / 3, 1, 1])
    np.testing.assert_allclose(stats.converged, [1.0, 0.0])
    np.testing.assert_allclose(stats.diverged[1], [0, 0, 0, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(stats.diverged[0], 0.0)
    np.testing.assert_allclose(stats.final_quantiles[0], np.quantile([1e-4, 5e-4, 1.0002], QUANTILES))
    np.testing.assert_allclose(stats.final_quantiles[1], 4.0)  # the diverged particle is left out
    arrays = stats.arrays()
    assert set(arrays) == {"race_eps", "race_steps_to_eps", "race_reached", "race_within", "race_diverged",
                           "race_converged", "race_final_loss_quantiles", "race_quantiles"}
    assert arrays["race_reached"].shape == (2, 6) and arrays["race_final_loss_quantiles"].shape == (2, 7)


def test_the_recorded_divergence_step_is_used_when_given_and_blocks_do_not_change_the_result(monkeypatch):
    loss, pos, step, group = history()
    at = np.array([-1, -1, -1, -1, 25])  # diverged between the frames of steps 20 and 30
    given = race_statistics(loss, step, group, 2, EPS, MINIMA, positions=pos, diverged_at=at)
    np.testing.assert_allclose(given.diverged[1], [0, 0, 0, 0.5, 0.5, 0.5])
    monkeypatch.setattr(race, "BLOCK", 2)
    blocked = race_statistics(loss, step, group, 2, EPS, MINIMA, positions=pos, diverged_at=at)
    for name in ("steps_to_eps", "reached", "within", "diverged", "final_quantiles"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(given, name))


def test_the_viewer_sample_without_what_its_criterion_needs_leaves_within_unknown():
    loss, pos, _step, group = history()
    within, diverged = within_eps_sample(loss, None, None, group, 2, EPS, np.zeros((0, 3)))
    assert np.isnan(within).all() and diverged[1, -1] == 0.5


def test_an_empty_group_gives_nan_rows():
    loss, pos, step, group = history()
    stats = race_statistics(loss, step, group, 3, EPS, MINIMA, positions=pos)
    assert np.isnan(stats.reached[2]).all() and np.isnan(stats.within[2]).all() and stats.counts[2] == 0


def test_the_viewer_sample_agrees_with_the_statistics_on_small_groups():
    loss, pos, step, group = history()
    within, diverged = within_eps_sample(loss, pos, None, group, 2, EPS, MINIMA)
    stats = race_statistics(loss, step, group, 2, EPS, MINIMA, positions=pos)
    np.testing.assert_allclose(within, stats.within)
    np.testing.assert_allclose(diverged, stats.diverged)


RUN = """
title = "race"
[landscape]
name = "himmelblau"
[run]
steps = 60
eps = 1e-4
[[groups]]
label = "GD"
optimizer = "sgd"
hyper = { lr = 0.01 }
init = { kind = "uniform", low = [-5, -5], high = [5, 5], count = 40 }
[[groups]]
label = "too fast"
optimizer = "sgd"
hyper = { lr = 0.2 }
init = { kind = "uniform", low = [-5, -5], high = [5, 5], count = 30 }
"""


def test_optviz_run_writes_the_race_statistics_into_the_npz(tmp_path):
    from optviz.cli import main
    from optviz.experiment import load_result

    (tmp_path / "race.toml").write_text(RUN)
    out = tmp_path / "race.npz"
    assert main(["run", str(tmp_path / "race.toml"), "-o", str(out), "-q"]) == 0
    with np.load(out) as data:
        assert float(data["race_eps"]) == 1e-4
        assert data["race_steps_to_eps"].shape == (70,)
        assert data["race_reached"].shape == data["race_within"].shape == data["race_diverged"].shape == (2, 61)
        assert data["race_final_loss_quantiles"].shape == (2, len(QUANTILES))
        converged = data["race_converged"]
        assert converged[0] > 0.9 and converged[1] == 0.0  # lr 0.2 diverges on Himmelblau
        assert data["race_diverged"][1, -1] == 1.0
        result = load_result(out)
        minima = minima_array(result.experiment.landscape_spec().minima())
        again = race_statistics(result.loss, result.step, result.group, 2, 1e-4, minima,
                                positions=result.positions, diverged_at=result.diverged_at)
        np.testing.assert_array_equal(again.steps_to_eps, data["race_steps_to_eps"])
        # steps to eps: every converged GD particle is within eps from its step on
        hit = within_eps(result.loss, result.positions, None, minima, 1e-4)
        for k in np.flatnonzero(data["race_steps_to_eps"] >= 0):
            assert hit[int(data["race_steps_to_eps"][k]):, k].all()
            assert data["race_steps_to_eps"][k] == 0 or not hit[int(data["race_steps_to_eps"][k]) - 1, k]


def test_the_converged_side_plot_shows_each_groups_share_within_eps(qtbot):
    pytest.importorskip("PySide6")
    from optviz.experiment import experiment_from_toml, run_experiment
    from optviz.experiment.vocabulary import DEFAULT_SIDE_PLOTS, SIDE_PLOTS
    from optviz.render.options import resolve_options
    from optviz.render.qt import ensure_app
    from optviz.render.scene import Scene

    assert "converged" in SIDE_PLOTS and "converged" not in DEFAULT_SIDE_PLOTS, "asked for, not by default"
    assert resolve_options({"side_plots": ["converged", "loss"]}).side_plots == ("loss", "converged")
    ensure_app()
    exp = experiment_from_toml(RUN)
    result = run_experiment(exp)
    scene = Scene(interactive=False)
    qtbot.addWidget(scene)
    scene.resize(1000, 600)
    scene.set_experiment(exp)
    scene.set_side_plots(["converged"])
    scene.set_data(result)
    scene.show_frame(-1)
    assert scene.side.names == ["converged"]
    title = scene.side._titles["converged"]
    assert "ε = 0.0001" in title and "diverged" in title and "<" not in title  # titles are HTML
    curves = scene.side.drawn_curves("converged")
    assert len(curves) == 3  # GD within eps; the fast group within eps and diverged (GD loses none)
    minima = minima_array(exp.landscape_spec().minima())
    stats = race_statistics(result.loss, result.step, result.group, 2, 1e-4, minima, positions=result.positions)
    x, y = curves[0]
    assert x[-1] == 60 and y[-1] == pytest.approx(100 * stats.within[0, -1])
    assert curves[2][1][-1] == pytest.approx(100.0)  # every particle of lr 0.2 diverged
    assert all(np.nanmin(c[1]) >= 0 and np.nanmax(c[1]) <= 100 for c in curves)
    scene.close()

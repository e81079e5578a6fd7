"""A fair race (optviz tune): the choice is the closed-form best on a quadratic, start points and
budget are the group's own, the sweep is kept in the experiment, bad tables are refused clearly."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from optviz.experiment import Experiment, ExperimentError, run_experiment
from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml
from optviz.experiment.tune import parse_tune, tune

BOOTH_HESSIAN = np.array([[10.0, 8.0], [8.0, 10.0]])  # f = (x + 2y - 7)² + (2x + y - 5)², minimum (1, 3)


def booth(steps: int, *groups: dict) -> Experiment:
    return Experiment.from_dict({"seed": 4, "landscape": {"name": "booth"}, "run": {"steps": steps},
                                 "groups": list(groups)})


def gd_final_loss(lr: float, start, steps: int) -> float:
    """GD on Booth in closed form: e_T = (I - lr H)^T e_0, f = ½ e_Tᵀ H e_T."""
    e = np.linalg.matrix_power(np.eye(2) - lr * BOOTH_HESSIAN, steps) @ (np.asarray(start) - [1.0, 3.0])
    return 0.5 * e @ BOOTH_HESSIAN @ e


def test_gd_on_a_quadratic_gets_the_closed_form_best_learning_rate():
    exp = booth(40, {"label": "GD", "optimizer": "sgd", "init": {"kind": "point", "point": [-4.0, 2.0]}})
    table = parse_tune({"low": 0.01, "high": 0.12, "n": 23, "scale": "linear", "metric": "final_loss"}, 1)
    tuned = tune(exp, table)
    expected = [gd_final_loss(lr, [-4.0, 2.0], 40) for lr in table.candidates()]
    (result,) = tuned.tune.results
    assert result.chosen == pytest.approx(table.candidates()[int(np.argmin(expected))])
    assert tuned.groups[0].hyper["lr"] == result.chosen
    np.testing.assert_allclose(result.scores, expected, rtol=1e-5, atol=1e-12)
    # above lr = 2/18 (Booth's sharpness is 18) GD moves away: worse than where it started
    unstable = table.candidates() > 2 / 18 + 1e-9
    assert unstable.any() and all(s > gd_final_loss(0.0, [-4.0, 2.0], 0) for s in np.array(result.scores)[unstable])


def test_each_group_is_scored_from_its_own_start_points_and_budget():
    cloud = {"kind": "normal", "mean": [-3.0, 0.0], "std": [0.5, 0.5], "count": 7}
    exp = booth(25, {"label": "Momentum", "optimizer": "momentum", "hyper": {"lr": 0.01}, "init": cloud},
                {"label": "Adam", "optimizer": "adam", "hyper": {"lr": 0.05}, "init": cloud})
    tuned = tune(exp, parse_tune({"low": 0.05, "high": 0.1, "n": 2, "scale": "linear", "metric": "final_loss",
                                  "groups": [1]}, 2))
    own = run_experiment(exp)
    (result,) = tuned.tune.results
    assert result.group == 1 and tuned.groups[0].hyper == exp.groups[0].hyper  # untouched
    assert result.scores[0] == pytest.approx(np.median(own.loss[-1, own.group == 1]), rel=1e-6)


def test_mean_log_loss_prefers_the_faster_of_two_that_both_converge():
    exp = booth(200, {"label": "GD", "optimizer": "sgd", "init": {"kind": "point", "point": [-4.0, 2.0]}})
    tuned = tune(exp, parse_tune({"low": 0.01, "high": 0.1, "n": 2, "scale": "linear"}, 1))
    # both reach the minimum within 200 steps, the larger step (contraction 0.8 vs 0.98 a step) much sooner
    assert tuned.groups[0].hyper["lr"] == pytest.approx(0.1)


def test_a_candidate_that_diverges_scores_worst():
    exp = booth(400, {"label": "GD", "optimizer": "sgd", "init": {"kind": "point", "point": [-4.0, 2.0]}})
    tuned = tune(exp, parse_tune({"low": 0.05, "high": 5.0, "n": 3}, 1))  # 0.05, 0.5, 5: the last two blow up
    assert tuned.groups[0].hyper["lr"] == pytest.approx(0.05)
    assert tuned.tune.results[0].scores[1:] == (1e308, 1e308)  # +inf, as TOML stores it


def test_the_sweep_is_kept_in_the_experiment_and_round_trips_through_toml():
    exp = booth(30, {"label": "GD", "optimizer": "sgd", "init": {"kind": "point", "point": [-4.0, 2.0]}},
                {"label": "Adam", "optimizer": "adam", "init": {"kind": "point", "point": [-4.0, 2.0]}})
    tuned = tune(exp, parse_tune({"param": "beta1", "low": 0.5, "high": 0.95, "n": 4, "scale": "linear",
                                  "groups": [1]}, 2))
    again = experiment_from_toml(experiment_to_toml(tuned))
    assert again.tune == tuned.tune and again.groups[1].hyper["betas"][0] == tuned.tune.results[0].chosen
    assert again.groups[1].hyper["betas"][1] == 0.999


@pytest.mark.parametrize(("table", "message"), [
    ({"n": 1}, "tune.n = 1 is not allowed; an integer from 2 to 1000"),
    ({"low": 0.0}, 'tune.low = 0.0 is not allowed; a number above 0 on a log scale (or scale = "linear")'),
    ({"low": 0.5, "high": 0.1}, "tune.high = 0.1 is not allowed; a number above tune.low = 0.5"),
    ({"scale": "exp"}, "tune.scale = 'exp' is not allowed; one of 'log', 'linear'"),
    ({"metric": "speed"}, "tune.metric = 'speed' is not allowed; one of 'mean_log_loss', 'final_loss'"),
    ({"groups": [0, 0]}, "tune.groups = [0, 0] is not allowed; a list of distinct group indices from 0 to 0"),
    ({"lr": 1}, "tune.lr: unknown entry; allowed: param, low, high"),
    ({"n": 2, "results": [{"group": 0, "chosen": 0.1, "scores": [1.0]}]},
     "tune.results[0].scores = [1.0] is not allowed; a list of 2 numbers (one per candidate)"),
])
def test_bad_tune_tables_are_refused_naming_the_field(table, message):
    with pytest.raises(ExperimentError) as error:
        Experiment.from_dict({"tune": table, "groups": [{"label": "GD"}]})
    assert message in str(error.value)


def test_a_parameter_the_optimizer_lacks_is_refused_before_any_run(tmp_path):
    path = tmp_path / "race.toml"
    path.write_text('[landscape]\nname = "booth"\n[run]\nsteps = 10\n[[groups]]\nlabel = "Adam"\n'
                    'optimizer = "adam"\n', encoding="utf-8")
    out = tmp_path / "tuned.toml"
    bad = subprocess.run([sys.executable, "-m", "optviz", "tune", str(path), "-o", str(out), "--param", "momentum"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and not out.exists()
    assert bad.stderr == ("optviz: error: tune.param (groups[0], adam) = 'momentum' is not allowed; a numeric "
                          "hyperparameter of this optimizer: lr, eps, weight_decay, beta1, beta2\n")
    good = subprocess.run([sys.executable, "-m", "optviz", "tune", str(path), "-o", str(out), "--n", "5", "-q"],
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    tuned = experiment_from_toml(out.read_text(encoding="utf-8"))
    assert tuned.groups[0].hyper["lr"] == tuned.tune.results[0].chosen
    assert tuned.groups[0].hyper["lr"] in parse_tune({"n": 5}, 1).candidates()
    assert f"groups[0] Adam: lr = {tuned.groups[0].hyper['lr']:.4g}" in good.stdout


def test_tune_the_race_from_the_run_menu(win, qtbot):
    """Run > Tune the race…: a refused entry is said in the dialog, which stays open; an accepted one
    tunes every group in the background and the document takes the choices and the [tune] table."""
    from PySide6 import QtCore, QtWidgets

    from optviz.app.tune_action import TuneDialog

    said = []

    def dialog() -> TuneDialog:
        return next(d for d in QtWidgets.QApplication.topLevelWidgets() if isinstance(d, TuneDialog) and d.isVisible())

    def fill(low: str) -> None:
        d = dialog()
        said.append(d.error.text())
        d.low.setText(low)
        d.n.setValue(3)
        if low == "0":
            QtCore.QTimer.singleShot(50, lambda: fill("0.001"))
        d.findChild(QtWidgets.QDialogButtonBox).button(QtWidgets.QDialogButtonBox.StandardButton.Ok).click()

    QtCore.QTimer.singleShot(50, lambda: fill("0"))
    assert "Tune" in win.tuner.action.text() and win.tuner.action in win.menus_["run"].actions()
    win.tuner.action.trigger()
    assert said == ["", 'tune.low = 0.0 is not allowed; a number above 0 on a log scale (or scale = "linear")']
    qtbot.waitUntil(lambda: win.tuner.job is not None and win.tuner.job.outcome is not None, timeout=120_000)
    assert win.tuner.job.outcome == "done", win.statusBar().currentMessage()
    exp = win.doc.experiment
    assert exp.tune is not None and [r.group for r in exp.tune.results] == list(range(len(exp.groups)))
    for r in exp.tune.results:
        assert exp.groups[r.group].hyper["lr"] == r.chosen and r.chosen in exp.tune.candidates()
    assert win.doc.dirty and "Tuned lr" in win.statusBar().currentMessage()

"""Hyperparameter sweeps: one group, a grid of hyperparameters, each cell run as its own optimizer would."""

import numpy as np
import pytest
from helpers import experiment

from optviz.experiment import ExperimentError, build_simulation, run_experiment
from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml

START = {"kind": "points", "points": [[-1.5, 1.0], [0.5, -0.5]]}


def _cell_runs(optimizer, cells, landscape, steps, schedule=None):
    """One uniform run per cell (the reference a swept group must reproduce)."""
    out = []
    for hyper in cells:
        group = {"optimizer": optimizer, "hyper": hyper, "init": START}
        if schedule:
            group["schedule"] = schedule
        out.append(run_experiment(experiment([group], landscape=landscape, steps=steps, record_dtype="float64")))
    return out


@pytest.mark.parametrize("optimizer, sweep, cells, schedule", [
    ("momentum", {"lr": {"log": [1e-3, 0.1], "n": 3}, "momentum": {"linspace": [0.0, 0.9], "n": 2}},
     [{"lr": lr, "momentum": mu} for lr in np.geomspace(1e-3, 0.1, 3) for mu in (0.0, 0.9)], None),
    ("adam", {"lr": 0.05, "betas": [0.9, {"values": [0.9, 0.999]}], "eps": {"values": [1e-8, 1e-3]}},
     [{"lr": 0.05, "betas": [0.9, b2], "eps": e} for b2 in (0.9, 0.999) for e in (1e-8, 1e-3)],
     {"kind": "step", "step_size": 10, "gamma": 0.5}),
    ("nadam", {"lr": {"values": [0.01, 0.03]}, "momentum_decay": {"values": [4e-3, 0.05]}},
     [{"lr": lr, "momentum_decay": psi} for lr in (0.01, 0.03) for psi in (4e-3, 0.05)], None),
])
def test_every_cell_runs_exactly_as_its_own_group(optimizer, sweep, cells, schedule):
    group = {"optimizer": optimizer, "hyper": sweep, "init": START}
    if schedule:
        group["schedule"] = schedule
    swept = run_experiment(experiment([group], landscape="ravine", steps=40, record_dtype="float64"))
    references = _cell_runs(optimizer, cells, "ravine", 40, schedule)
    assert swept.positions.shape[1] == len(cells) * 2
    for cell, reference in enumerate(references):
        for p in range(2):  # particle index = cell × P + p
            np.testing.assert_array_equal(swept.positions[:, cell * 2 + p], reference.positions[:, p])
            np.testing.assert_array_equal(swept.lr_preconditioned[:, cell * 2 + p], reference.lr_preconditioned[:, p])


def test_a_swept_learning_rate_follows_a_cosine_schedule():
    group = {"optimizer": "sgd", "hyper": {"lr": {"values": [0.001, 0.002]}},
             "schedule": {"kind": "cosine", "T_max": 20, "eta_min": 1e-4}, "init": START}
    swept = run_experiment(experiment([group], steps=30, record_dtype="float64"))
    for cell, lr in enumerate((0.001, 0.002)):
        (ref,) = _cell_runs("sgd", [{"lr": lr}], "rosenbrock", 30, {"kind": "cosine", "T_max": 20, "eta_min": 1e-4})
        np.testing.assert_allclose(swept.positions[:, cell * 2: cell * 2 + 2], ref.positions, rtol=1e-13, atol=1e-15)


def test_sweeps_round_trip_through_toml():
    exp = experiment([{"optimizer": "adam", "hyper": {"lr": {"log": [1e-4, 1.0], "n": 8},
                                                      "betas": [{"linspace": [0.5, 0.99], "n": 4}, 0.999]}}])
    again = experiment_from_toml(experiment_to_toml(exp))
    assert again.to_dict() == exp.to_dict()
    assert again.particle_counts() == [32]
    axes = again.groups[0].sweep_axes()
    assert [a.label for a in axes] == ["lr", "betas[0]"]
    np.testing.assert_allclose(axes[0].values, np.geomspace(1e-4, 1.0, 8))


@pytest.mark.parametrize("hyper, message", [
    ({"lr": {"log": [-1.0, 1.0], "n": 4}}, "groups[0].hyper.lr.log = [-1.0, 1.0]: both ends must be > 0"),
    ({"lr": {"linspace": [0.0, 1.0], "n": 4}}, "groups[0].hyper.lr = 0.0 is out of range"),
    ({"lr": {"log": [1e-3, 1.0]}}, "groups[0].hyper.lr must be { log = [a, b], n = k }"),
    ({"lr": {"log": [1e-3, 1.0], "n": 0}}, "groups[0].hyper.lr.n = 0 must be an integer in [1, 1000000]"),
    ({"momentum": {"values": []}}, "groups[0].hyper.momentum.values = [] must be a non-empty list"),
    ({"nesterov": {"values": [0, 1]}}, "groups[0].hyper.nesterov cannot be swept"),
    ({"lr": {"log": [1e-3, 1.0], "n": 2000}, "momentum": {"linspace": [0, 0.9], "n": 2000}},
     "4000000 particles; a group holds at most 2000000"),
])
def test_bad_sweeps_name_the_field_the_value_and_what_is_allowed(hyper, message):
    with pytest.raises(ExperimentError) as error:
        experiment([{"optimizer": "momentum", "hyper": hyper}])
    assert message in str(error.value)


def test_compile_prepares_both_layouts_of_one_family():
    exp = experiment([{"optimizer": "adam", "hyper": {"lr": 0.01}, "init": START},
                      {"optimizer": "adam", "hyper": {"lr": {"values": [0.01, 0.1]}}, "init": START}])
    sim = build_simulation(exp, max_frames=8)
    reports = []
    sim.compile(lambda title, done, total: reports.append((title, done, total)))
    assert all(g.kernel.is_ready(g.kernel_name(1), sim.kernel_arguments(k, 0, False))
               for k, g in enumerate(sim.groups))
    titles = {title for title, done, total in reports if done < total}
    assert titles <= {"Adam on Rosenbrock", "Adam sweep on Rosenbrock"}

"""Experiment descriptions: validation messages a user can act on, TOML round trips, results on disk."""

import numpy as np
import pytest
from helpers import experiment

from optviz.experiment import (
    Experiment,
    ExperimentError,
    experiment_from_toml,
    load_result,
    run_experiment,
)

ISSUE_EXAMPLE = """
title = "Adam vs SGD on Rosenbrock"
seed = 0
[landscape]
name = "rosenbrock"
[run]
steps = 500
record_every = 1
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = { lr = 0.05, betas = [0.9, 0.999] }
init = { kind = "point", point = [-1.5, 2.0] }
[[groups]]
label = "SGD"
optimizer = "sgd"
hyper = { lr = 0.001, momentum = 0.9 }
init = { kind = "grid", low = [-2, -1], high = [2, 3], shape = [4, 3] }
schedule = { kind = "step", step_size = 100, gamma = 0.5 }
"""


def group(**fields):
    return {"label": "g", "optimizer": "adam", **fields}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([group(hyper={"lr": 0})], ["groups[0].hyper.lr", "0", "(0, inf)"]),
        ([group(hyper={"lr": -1e-3})], ["groups[0].hyper.lr", "-0.001"]),
        ([group(hyper={"betas": [0.9, 1.0]})], ["groups[0].hyper.betas[1]", "1.0", "[0, 1)"]),
        ([group(hyper={"betas": [-0.1, 0.9]})], ["groups[0].hyper.betas[0]", "-0.1"]),
        ([group(hyper={"eps": 0.0})], ["groups[0].hyper.eps", "0.0", "(0, inf)"]),
        ([group(hyper={"learning_rate": 0.1})], ["groups[0].hyper.learning_rate", "unknown", "lr, betas"]),
        ([group(optimizer="adamm")], ["groups[0].optimizer", "'adamm'", "adam, adamw"]),
        ([group(), group(optimizer="sgd", hyper={"nesterov": True})], ["groups[1].hyper.nesterov", "momentum > 0"]),
        ([group(hyper={"eps_placement": "middle"})], ["groups[0].hyper.eps_placement", "'middle'", "'inside'"]),
        ([group(schedule={"kind": "step", "step_size": 0})], ["groups[0].schedule.step_size", "0"]),
        ([group(schedule={"kind": "warmup"})], ["groups[0].schedule.kind", "'warmup'", "linear"]),
        ([group(schedule={"kind": "cosine", "tmax": 5})], ["groups[0].schedule.tmax", "T_max"]),
        ([group(init={"kind": "uniform", "low": [0, 0], "high": [1, 1], "count": 0})],
         ["groups[0].init.count", "[1, 2000000]"]),
        ([group(init={"kind": "point", "point": [1.0]})], ["groups[0].init.point", "[1.0]", "[x, y]"]),
        ([group(init={"kind": "grid", "low": [0, 0], "high": [-1, 1], "shape": [2, 2]})],
         ["groups[0].init.high", "low"]),
    ],
)
def test_invalid_values_name_the_field_the_value_and_the_range(groups, expected):
    with pytest.raises(ExperimentError) as caught:
        Experiment.from_dict({"groups": groups})
    for part in expected:
        assert part in str(caught.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"groups": []}, ["groups", "non-empty"]),
        ({}, ["groups is missing"]),
        ({"landscape": {"name": "rosenbrok"}, "groups": [group()]}, ["'rosenbrok'", "rosenbrock"]),
        ({"landscape": {"name": "rosenbrock", "params": {"c": 1}}, "groups": [group()]}, ["'c'", "a, b"]),
        ({"run": {"steps": 0}, "groups": [group()]}, ["run.steps", "0"]),
        ({"run": {"record_dtype": "float16"}, "groups": [group()]}, ["run.record_dtype", "float32"]),
        ({"run": {"stpes": 10}, "groups": [group()]}, ["'stpes'", "steps"]),
        ({"seed": -1, "groups": [group()]}, ["seed", "-1"]),
        ({"colour": "red", "groups": [group()]}, ["'colour'"]),
        ({"groups": [group(color="red")]}, ["groups[0].color", "'red'"]),
        ({"view": {"speed": 0}, "groups": [group()]}, ["view.speed = 0 must be an integer in [1, 1000]"]),
        ({"view": {"speed": 2.5}, "groups": [group()]}, ["view.speed = 2.5"]),
        ({"view": {"trail_length": -2}, "groups": [group()]},
         ["view.trail_length: -2 is not allowed; an integer from -1 to 100000000 (-1: whole path, 0: none)"]),
        ({"view": {"side_plots": ["loss", "lrs"]}, "groups": [group()]},
         ["view.side_plots: 'lrs' is not allowed; each entry is one of 'loss', 'converged', 'sharpness'"]),
        ({"view": {"particle_mode": 3}, "groups": [group()]}, ["view.particle_mode: 3 is not allowed; one of 'auto'"]),
        ({"view": {"future": "later"}, "groups": [group()]}, ["view.future: 'later' is not allowed; one of 'hide'"]),
    ],
)
def test_invalid_experiments_are_refused_clearly(data, expected):
    with pytest.raises(ExperimentError) as caught:
        Experiment.from_dict(data)
    for part in expected:
        assert part in str(caught.value)


def test_the_issue_example_loads_and_round_trips_through_toml():
    exp = experiment_from_toml(ISSUE_EXAMPLE)
    assert [g.label for g in exp.groups] == ["Adam", "SGD"]
    assert exp.groups[0].resolved_hyper()["betas"] == (0.9, 0.999)
    again = experiment_from_toml(exp.to_toml())
    assert again.to_dict() == exp.to_dict()
    assert sum(len(p) for p in again.initial_positions()) == 13


def test_toml_syntax_errors_say_where():
    with pytest.raises(ExperimentError, match=r"exp.toml: not valid TOML.*line 2"):
        experiment_from_toml('title = "x"\nseed = = 1\n', "exp.toml")


def test_result_npz_holds_every_array_and_the_experiment(tmp_path):
    exp = experiment_from_toml(ISSUE_EXAMPLE)
    exp.run.steps = 20
    res = run_experiment(exp)
    path = tmp_path / "out.npz"
    res.save(path)
    with np.load(path) as data:
        assert data["positions"].shape == (21, 13, 2)
        assert data["loss"].shape == (21, 13)
        for name in ("grad", "lr_preconditioned", "lr_realized"):
            assert data[name].shape == (21, 13, 2)
        assert data["step"].tolist() == list(range(21))
        assert data["group"].tolist() == [0] + [1] * 12
        assert data["diverged_at"].shape == (13,)
        assert "Adam vs SGD" in str(data["experiment"])
    back = load_result(path)
    np.testing.assert_array_equal(back.positions, res.positions)
    assert back.experiment.to_dict() == exp.to_dict()
    assert not list(tmp_path.glob(".*part")), "no temporary file is left behind"


def test_float64_recording_is_exact_and_float32_is_the_default():
    groups = [{"optimizer": "adam", "hyper": {"lr": 0.01}}]
    exact = run_experiment(experiment(groups, steps=10, record_dtype="float64"))
    compact = run_experiment(experiment(groups, steps=10))
    assert exact.positions.dtype == np.float64 and compact.positions.dtype == np.float32
    np.testing.assert_array_equal(compact.positions, exact.positions.astype(np.float32))


@pytest.mark.parametrize(
    ("landscape", "expected"),
    [
        ({"expression": "x**2 + z"}, ["landscape.expression", "unknown name 'z'", "column 8"]),
        ({"expression": "__import__('os')"}, ["landscape.expression"]),
        ({"expression": "x + y", "name": "rosenbrock"}, ["one of name", "not name and expression"]),
        ({"expression": "a*x**2 + y**2", "params": {"a": "big"}}, ["landscape.params", "'big'"]),
        ({"expression": "x**2", "bounds": [[1, 0], [0, 1]]}, ["landscape.bounds", "x0 < x1"]),
        ({"name": "rosenbrock", "bounds": [[0, 1], [0, 1]]}, ["landscape.bounds", "only for expressions"]),
    ],
)
def test_typed_landscapes_are_validated_where_they_are_wrong(landscape, expected):
    with pytest.raises(ExperimentError) as caught:
        Experiment.from_dict({"landscape": landscape, "groups": [group()]})
    for part in expected:
        assert part in str(caught.value)


def test_a_typed_landscape_travels_in_the_experiment_file():
    exp = Experiment.from_dict({"landscape": {"expression": "a*x**2 + sin(y)", "params": {"a": 2.0},
                                              "bounds": [[-1, 1], [-2, 2]]}, "groups": [group()]})
    again = experiment_from_toml(exp.to_toml())
    surface = again.landscape_spec()
    assert surface.kind == "expression" and surface.bounds == ((-1.0, 1.0), (-2.0, 2.0))
    f, gx, gy = surface.value_and_grad(0.5, 0.0)
    assert (f, gx, gy) == pytest.approx((0.5, 2.0, 1.0))


def test_data_backed_landscapes_and_gradient_estimates_are_validated():
    data = {"model": "linear", "data": {"size": 100, "noise": 0.3, "seed": 2}}
    exp = Experiment.from_dict({"landscape": data, "groups": [group(batch_size=8, sampling="replacement")]})
    assert experiment_from_toml(exp.to_toml()).to_dict() == exp.to_dict()
    cases = [
        ({"model": "cubic"}, [group()], ["landscape.model", "'cubic'", "linear, logistic, tanh"]),
        ({"model": "linear", "data": {"size": 0}}, [group()], ["landscape.data.size = 0"]),
        ({"model": "linear", "data": {"slope": 2}}, [group()], ["'slope'", "w, b"]),
        (data, [group(batch_size=0)], ["groups[0].batch_size = 0", "[1, 1000000]"]),
        (data, [group(sampling="shuffle")], ["groups[0].sampling", "'epoch'"]),
        ({"name": "rosenbrock"}, [group(batch_size=4)], ["groups[0].batch_size", "data-backed"]),
        ({"name": "rosenbrock"}, [group(noise={"kind": "cauchy"})], ["groups[0].noise.kind", "gaussian"]),
        ({"name": "rosenbrock"}, [group(noise={"kind": "gaussian", "scale": -1})], ["groups[0].noise.scale"]),
        ({"model": "linear", "data": {"csv": "missing.csv"}}, [group()], ["landscape.data", "missing.csv"]),
    ]
    for landscape, groups, expected in cases:
        with pytest.raises(ExperimentError) as caught:
            Experiment.from_dict({"landscape": landscape, "groups": groups})
        for part in expected:
            assert part in str(caught.value), (landscape, groups)


def test_csv_data_is_found_beside_the_experiment_file(tmp_path):
    (tmp_path / "points.csv").write_text("x,y\n0,1\n1,3\n2,5\n3,7.5\n")
    (tmp_path / "exp.toml").write_text(
        '[landscape]\nmodel = "linear"\ndata = { csv = "points.csv" }\n'
        '[[groups]]\nlabel = "GD"\noptimizer = "sgd"\nhyper = { lr = 0.05 }\n'
        'init = { kind = "point", point = [0.0, 0.0] }\n')
    from optviz.experiment import load_experiment

    exp = load_experiment(tmp_path / "exp.toml")
    surface = exp.landscape_spec()
    assert surface.kind == "data" and surface.data.shape == (4, 2)
    (best,) = surface.minima()
    assert (best.x, best.y) == pytest.approx(np.polyfit([0, 1, 2, 3], [1, 3, 5, 7.5], 1))


@pytest.mark.parametrize(("option", "bad"), [("trail_length", 2.5), ("particle_mode", "dots"),
                                             ("colormap", "jet"), ("side_plots", ["loss", "speed"])])
def test_view_and_render_refuse_a_look_option_with_one_message(option, bad):
    """[view] (the window) and [render] (figures) share trail_length, particle_mode, colormap and
    side_plots: one validator, so one message for the same bad value."""
    from optviz.render.options import RenderOptionError, resolve_options

    with pytest.raises(RenderOptionError) as render_error:
        resolve_options({option: bad})
    with pytest.raises(ExperimentError) as view_error:
        Experiment.from_dict({"view": {option: bad}, "groups": [group()]})
    assert str(view_error.value) == f"view.{render_error.value}"

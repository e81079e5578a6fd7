"""The experiment's [map] table: parsed, validated with one-line messages naming the field, saved
back by the TOML writer; [run] eps; the document model's map field."""

import numpy as np
import pytest

from optviz.experiment import ExperimentError, experiment_from_toml, experiment_to_toml
from optviz.experiment.map_table import DEFAULT_EPS, DEFAULT_N, MapAxisConfig, map_params
from optviz.experiment.toml_io import load_experiment, save_experiment
from optviz.models.document import DocumentModel, EditError

BASE = """
title = "map"
[landscape]
name = "himmelblau"
[run]
steps = 50
[[groups]]
label = "Momentum"
optimizer = "momentum"
hyper = { lr = 0.01, momentum = 0.5 }
init = { kind = "point", point = [1.0, 1.0] }
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = { lr = 0.05 }
"""

HYPER = BASE + """
[map]
kind = "hyper"
x = { param = "lr", low = 1e-4, high = 1.0, n = 256, scale = "log" }
y = { param = "momentum", low = 0.0, high = 0.99, n = 128 }
metric = "final_loss"
eps = 1e-8
group = 0
"""


def with_map(table: str) -> str:
    return BASE + "\n[map]\n" + table


def test_the_issue_example_parses_with_its_values_and_defaults():
    exp = experiment_from_toml(HYPER)
    m = exp.map
    assert (m.kind, m.metric, m.eps, m.group, m.compare, m.scheduler) == ("hyper", "final_loss", 1e-8, 0, None, None)
    assert m.x == MapAxisConfig("lr", 1e-4, 1.0, 256, "log")
    assert m.y == MapAxisConfig("momentum", 0.0, 0.99, 128, "linear")
    assert m.shape == (128, 256)
    np.testing.assert_allclose(m.x.values()[[0, -1]], [1e-4, 1.0])
    assert np.allclose(np.diff(np.log(m.x.values())), np.log(1e4) / 255)
    assert np.allclose(np.diff(m.y.values()), 0.99 / 127)


def test_a_basin_map_defaults_to_the_landscape_view_and_the_basin_metric():
    exp = experiment_from_toml(with_map('kind = "basin"\n'))
    m = exp.map
    (x0, x1), (y0, y1) = exp.landscape_spec().bounds
    assert m.x == MapAxisConfig("x", x0, x1, DEFAULT_N) and m.y == MapAxisConfig("y", y0, y1, DEFAULT_N)
    assert (m.metric, m.eps) == ("basin", DEFAULT_EPS)
    narrow = experiment_from_toml(with_map('kind = "basin"\nx = { low = 2, high = 4, n = 8 }\n'
                                           'y = { param = "y", low = -1, high = 1, n = 3, scale = "linear" }\n'))
    assert narrow.map.x == MapAxisConfig("x", 2.0, 4.0, 8) and narrow.map.y.n == 3


def test_the_map_round_trips_through_toml_and_files(tmp_path):
    for text in (HYPER, with_map('kind = "basin"\nx = { low = -5, high = 5, n = 64 }\nmetric = "steps_to_eps"\n'
                                 'compare = 1\nscheduler = "tcp://10.0.0.2:8786"\n'),
                 with_map('kind = "hyper"\ngroup = 1\nx = { param = "beta1", low = 0.5, high = 0.99, n = 4 }\n'
                          'y = { param = "beta2", low = 0.9, high = 0.9999, n = 5, scale = "log" }\n'
                          'metric = "converged"\n')):
        exp = experiment_from_toml(text)
        again = experiment_from_toml(experiment_to_toml(exp))
        assert again.map == exp.map
        assert again.to_dict() == exp.to_dict()
        save_experiment(exp, tmp_path / "e.toml")
        assert load_experiment(tmp_path / "e.toml").map == exp.map
    written = experiment_to_toml(experiment_from_toml(HYPER))
    assert "[map]" in written and 'x = {param = "lr", low = 0.0001, high = 1.0, n = 256, scale = "log"}' in written


def test_experiments_without_a_map_are_unchanged():
    exp = experiment_from_toml(BASE)
    assert exp.map is None and exp.run.eps is None
    assert "map" not in exp.to_dict() and "eps" not in exp.to_dict()["run"]
    assert "[map]" not in experiment_to_toml(exp)


BAD = [
    ('kind = "basin"\nbogus = 1\n', "map.bogus", "unknown field 'bogus' in map; allowed: kind, x, y"),
    ('x = { low = 0, high = 1 }\n', "map.kind", 'map.kind is missing: "basin" (start points) or "hyper"'),
    ('kind = "phase"\n', "map.kind", "map.kind = 'phase' is not allowed: must be \"basin\""),
    ('kind = "basin"\nx = { n = 1 }\n', "map.x.n", "map.x.n = 1 is not allowed: must be an integer in [2, 4096]"),
    ('kind = "basin"\ny = { n = 5000 }\n', "map.y.n", "map.y.n = 5000 is not allowed: must be an integer in [2, 4096]"),
    ('kind = "basin"\nx = { n = 2.5 }\n', "map.x.n", "map.x.n = 2.5 is not allowed"),
    ('kind = "basin"\nx = { n = true }\n', "map.x.n", "map.x.n = True is not allowed"),
    ('kind = "basin"\nx = { low = 0, high = 1, scale = "log" }\n', "map.x.low",
     'map.x.low = 0 is not allowed: a log axis (map.x.scale = "log") needs low > 0'),
    ('kind = "basin"\nx = { scale = "exp" }\n', "map.x.scale", "map.x.scale = 'exp' is not allowed"),
    ('kind = "basin"\nx = { low = 1, high = 1 }\n', "map.x.high", "must be greater than map.x.low = 1"),
    ('kind = "basin"\nx = { param = "lr" }\n', "map.x.param",
     "map.x.param = 'lr' is not allowed: a basin map's x axis is the start coordinate x"),
    ('kind = "basin"\nx = { low = "a" }\n', "map.x.low", "map.x.low = 'a' is not allowed: must be a finite number"),
    ('kind = "basin"\nx = [0, 1]\n', "map.x", "map.x = [0, 1] must be a table"),
    ('kind = "basin"\nx = { n = 3, steps = 2 }\n', "map.x.steps", "unknown field 'steps' in map.x"),
    ('kind = "hyper"\ny = { param = "lr", low = 0.1, high = 1 }\n', "map.x", "map.x is missing: give { param = \"lr\""),
    ('kind = "hyper"\nx = { low = 0.1, high = 1 }\ny = { param = "lr", low = 0.1, high = 1 }\n', "map.x.param",
     "map.x.param is missing: name a hyperparameter of groups[0]'s optimizer (lr, momentum, dampening, "
     "weight_decay)"),
    ('kind = "hyper"\nx = { param = "beta1", low = 0.1, high = 0.9 }\ny = { param = "lr", low = 0.1, high = 1 }\n',
     "map.x.param", "map.x.param = 'beta1' is not allowed: must be a numeric hyperparameter of groups[0]'s "
                    "optimizer momentum: lr, momentum, dampening, weight_decay"),
    ('kind = "hyper"\nx = { param = "nesterov", low = 0, high = 1 }\ny = { param = "lr", low = 0.1, high = 1 }\n',
     "map.x.param", "map.x.param = 'nesterov' is not allowed"),
    ('kind = "hyper"\nx = { param = "lr", high = 1 }\ny = { param = "momentum", low = 0, high = 0.9 }\n',
     "map.x.low", "map.x.low is missing"),
    ('kind = "hyper"\nx = { param = "lr", low = -1, high = 1 }\ny = { param = "momentum", low = 0, high = 0.9 }\n',
     "map.x.low", "map.x.low = -1 is not allowed: lr must be in (0, inf)"),
    ('kind = "hyper"\nx = { param = "lr", low = 0.1, high = 1 }\ny = { param = "momentum", low = 0, high = 1.5 }\n',
     "map.y.high", "map.y.high = 1.5 is not allowed: momentum must be in [0, 1]"),
    ('kind = "hyper"\nx = { param = "lr", low = 0.1, high = 1 }\ny = { param = "lr", low = 0.2, high = 0.9 }\n',
     "map.y.param", "map.y.param = 'lr' is not allowed: must differ from map.x.param = 'lr'"),
    ('kind = "hyper"\nx = { param = "lr", low = 0.1, high = 1 }\ny = { param = "momentum", low = 0, high = 0.9 }\n'
     'metric = "basin"\n', "map.metric",
     "map.metric = 'basin' is not allowed: a hyper map shows one of final_loss, steps_to_eps, converged, diverged"),
    ('kind = "basin"\nmetric = "loss"\n', "map.metric", "map.metric = 'loss' is not allowed: a basin map shows one of"),
    ('kind = "basin"\neps = 0\n', "map.eps", "map.eps = 0 is not allowed: must be a number in (0, 1e9]"),
    ('kind = "basin"\neps = -1e-6\n', "map.eps", "map.eps = -1e-06 is not allowed"),
    ('kind = "basin"\neps = "small"\n', "map.eps", "map.eps = 'small' is not allowed"),
    ('kind = "basin"\ngroup = 2\n', "map.group", "map.group = 2 is not allowed: must be a group index in [0, 1]"),
    ('kind = "basin"\ngroup = -1\n', "map.group", "map.group = -1 is not allowed"),
    ('kind = "basin"\ncompare = 0\n', "map.compare",
     "map.compare = 0 is not allowed: must be another group than map.group = 0"),
    ('kind = "basin"\ncompare = 5\n', "map.compare", "map.compare = 5 is not allowed: must be a group index"),
    ('kind = "hyper"\nx = { param = "lr", low = 0.1, high = 1 }\ny = { param = "momentum", low = 0, high = 0.9 }\n'
     'compare = 1\n', "map.compare", "map.compare = 1 is not allowed: groups[1]'s optimizer adam has no momentum"),
    ('kind = "basin"\nscheduler = "localhost:8786"\n', "map.scheduler",
     "map.scheduler = 'localhost:8786' is not allowed: must be a Dask scheduler address such as \"tcp://HOST:8786\""),
    ('kind = "basin"\nscheduler = 8786\n', "map.scheduler", "map.scheduler = 8786 is not allowed"),
]


@pytest.mark.parametrize(("table", "field", "message"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_a_bad_map_table_names_the_field_the_value_and_what_is_allowed(table, field, message):
    with pytest.raises(ExperimentError) as caught:
        experiment_from_toml(with_map(table), "exp.toml")
    text = str(caught.value)
    assert caught.value.field == field
    assert message in text, text
    assert text.startswith("exp.toml: ") and "\n" not in text


def test_a_mapped_group_has_one_value_of_each_hyperparameter_and_noise_free_full_gradients():
    swept = BASE.replace("hyper = { lr = 0.05 }", "hyper = { lr = { log = [1e-3, 1e-1], n = 3 } }")
    with pytest.raises(ExperimentError, match=r"map.group = 1: groups\[1\] sweeps its hyperparameters") as caught:
        experiment_from_toml(swept + '[map]\nkind = "basin"\ngroup = 1\n')
    assert caught.value.field == "map.group"
    noisy = BASE.replace('hyper = { lr = 0.05 }', 'hyper = { lr = 0.05 }\nnoise = { kind = "gaussian", scale = 0.1 }')
    with pytest.raises(ExperimentError, match="map.compare = 1: groups\\[1\\] has noise; maps run noise-free"):
        experiment_from_toml(noisy + '[map]\nkind = "basin"\ncompare = 1\n')


def test_hyper_maps_vary_the_numeric_hyperparameters_and_the_two_betas():
    assert list(map_params("adam")) == ["lr", "beta1", "beta2", "eps", "weight_decay"]
    assert "alpha" in map_params("rmsprop") and "amsgrad" not in map_params("adam")
    exp = experiment_from_toml(with_map('kind = "hyper"\ngroup = 1\nx = { param = "lr", low = 1e-3, high = 1, n = 3, '
                                        'scale = "log" }\ny = { param = "beta2", low = 0.5, high = 0.999, n = 2 }\n'))
    assert (exp.map.x.param, exp.map.y.param) == ("lr", "beta2")
    with pytest.raises(ExperimentError, match=r"map.y.high = 1 is not allowed: beta2 must be in \[0, 1\)"):
        experiment_from_toml(with_map('kind = "hyper"\ngroup = 1\nx = { param = "lr", low = 1e-3, high = 1 }\n'
                                      'y = { param = "beta2", low = 0.5, high = 1 }\n'))


def test_run_eps_sets_the_race_eps_and_the_map_eps_default():
    plain = experiment_from_toml(BASE)
    assert plain.race_eps() == DEFAULT_EPS
    mapped = experiment_from_toml(with_map('kind = "basin"\neps = 1e-3\n'))
    assert mapped.race_eps() == 1e-3
    ran = experiment_from_toml(BASE.replace("steps = 50", "steps = 50\neps = 1e-4") + '[map]\nkind = "basin"\n')
    assert ran.run.eps == ran.map.eps == ran.race_eps() == 1e-4
    both = experiment_from_toml(BASE.replace("steps = 50", "steps = 50\neps = 1e-4") + '[map]\nkind = "basin"\n'
                                'eps = 0.5\n')
    assert (both.race_eps(), both.map.eps) == (1e-4, 0.5)
    assert experiment_from_toml(experiment_to_toml(ran)).run.eps == 1e-4
    for bad in ("0", "-1", '"x"', "1e10"):
        with pytest.raises(ExperimentError, match=r"run.eps = .* must be a number in \(0, 1e9\]"):
            experiment_from_toml(BASE.replace("steps = 50", f"steps = 50\neps = {bad}"))


def test_the_document_sets_the_map_and_refuses_edits_that_break_it():
    doc = DocumentModel(experiment_from_toml(BASE))
    seen, runs = [], []
    doc.events.map.connect(seen.append)
    doc.events.simulation.connect(lambda: runs.append(1))
    doc.set_map({"kind": "basin", "x": {"n": 16}, "y": {"n": 8}})
    assert seen[-1] is doc.experiment.map and doc.experiment.map.shape == (8, 16)
    assert doc.dirty and not runs, "a map does not change the run"
    with pytest.raises(EditError, match="map.x.n = 1 is not allowed") as caught:
        doc.set_map({"kind": "basin", "x": {"n": 1}})
    assert caught.value.field == "map.x.n" and doc.experiment.map.shape == (8, 16)
    doc.set_map({"kind": "hyper", "x": {"param": "lr", "low": 0.01, "high": 0.1},
                 "y": {"param": "momentum", "low": 0.0, "high": 0.9}})
    with pytest.raises(EditError, match="map.y.param = 'momentum'.*optimizer adam.*change or remove the map first"):
        doc.set_optimizer(0, "adam")
    assert doc.experiment.groups[0].optimizer == "momentum"
    doc.set_map({"kind": "basin", "group": 1})
    with pytest.raises(EditError, match="map.group = 1 is not allowed"):
        doc.remove_group(1)
    assert len(doc.experiment.groups) == 2
    doc.set_map(None)
    assert seen[-1] is None and doc.experiment.map is None
    doc.remove_group(1)
    assert len(doc.experiment.groups) == 1

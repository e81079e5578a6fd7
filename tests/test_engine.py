"""The particle engine as users rely on it: frames, divergence, memory bound, determinism, speed paths."""

import numpy as np
import pytest
from helpers import experiment

from optviz.core import engine
from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.landscapes import get_landscape
from optviz.core.optimizers import get_optimizer
from optviz.core.surface import builtin_surface
from optviz.experiment import Experiment, build_simulation, run_experiment


def test_frames_start_at_step_zero_and_end_at_the_last_step():
    res = run_experiment(experiment([{"optimizer": "adam", "hyper": {"lr": 0.01}}], steps=23, record_every=5))
    assert list(res.step) == [0, 5, 10, 15, 20, 23]
    start = res.experiment.groups[0].init["point"]
    np.testing.assert_array_equal(res.positions[0, 0], start)
    assert np.all(np.isnan(res.lr_preconditioned[0])) and np.all(np.isnan(res.lr_realized[0]))
    assert np.all(np.isfinite(res.lr_preconditioned[1:]))


def test_recorded_loss_and_gradient_belong_to_the_recorded_position():
    res = run_experiment(experiment([{"optimizer": "momentum", "hyper": {"lr": 1e-4},
                                      "init": {"kind": "uniform", "low": [-2, -1], "high": [2, 3], "count": 7}}],
                                    steps=30, record_dtype="float64"))
    spec = get_landscape("rosenbrock")
    f, gx, gy = spec_value_and_grad(spec, res.positions)
    np.testing.assert_allclose(res.loss, f, rtol=1e-12)
    np.testing.assert_allclose(res.grad[..., 0], gx, rtol=1e-12)
    np.testing.assert_allclose(res.grad[..., 1], gy, rtol=1e-12)


def spec_value_and_grad(spec, positions):
    from optviz.core.landscapes import value_and_grad

    return value_and_grad(spec, None, positions[..., 0], positions[..., 1])


def test_realized_lr_is_step_over_gradient_and_nan_where_gradient_is_zero():
    res = run_experiment(experiment([{"optimizer": "adam", "hyper": {"lr": 0.1},
                                      "init": {"kind": "points", "points": [[1.0, 1.0], [0.5, 0.3]]}}],
                                    steps=5, record_dtype="float64"))
    # Particle 0 starts at Rosenbrock's minimum: zero gradient, so the realized LR is undefined.
    assert np.all(np.isnan(res.lr_realized[1:, 0]))
    step = np.abs(np.diff(res.positions[:, 1], axis=0))
    np.testing.assert_allclose(res.lr_realized[1:, 1], step / np.abs(res.grad[:-1, 1]), rtol=1e-12)


def test_diverging_particles_freeze_at_their_last_finite_position():
    groups = [
        {"optimizer": "sgd", "hyper": {"lr": 0.1}, "init": {"kind": "points", "points": [[2.0, 2.0], [1.0, 1.0]]}},
        {"optimizer": "adam", "hyper": {"lr": 0.01}},
    ]
    res = run_experiment(experiment(groups, steps=40))
    first = res.diverged_at[0]
    assert first > 0, "SGD with lr 0.1 from (2, 2) on Rosenbrock must blow up"
    assert res.diverged_at[1] == -1 and res.diverged_at[2] == -1
    assert np.all(np.isfinite(res.positions[:, 0])), "positions stay finite: frozen, not NaN"
    frozen = res.positions[res.step >= first, 0]
    assert np.all(frozen == frozen[0])
    assert np.all(np.isnan(res.loss[res.step >= first, 0]))
    assert np.all(np.isfinite(res.loss[:, 1:])), "other particles are untouched"


def test_history_is_decimated_to_stay_within_its_frame_budget():
    sim = build_simulation(experiment([{"optimizer": "adam", "hyper": {"lr": 0.01}}], steps=10), max_frames=16)
    sim.advance(1000)
    h = sim.history
    assert h.n_frames <= 16
    steps = h.steps[: h.n_frames]
    assert steps[0] == 0 and steps[-1] >= 1000 - h.record_every
    assert np.all(np.diff(steps) == h.record_every), "decimated frames stay evenly spaced"
    # The positions kept are the ones a full recording would have at those steps.
    full = build_simulation(experiment([{"optimizer": "adam", "hyper": {"lr": 0.01}}], steps=10),
                            max_frames=1002)
    full.advance(1000)
    np.testing.assert_array_equal(h.view(0, "positions"), full.history.view(0, "positions")[steps])


def test_memory_budget_bounds_the_history():
    exp = experiment([{"optimizer": "sgd", "hyper": {"lr": 1e-4},
                       "init": {"kind": "uniform", "low": [-1, -1], "high": [1, 1], "count": 10_000}}],
                     steps=400, max_history_mb=2)
    sim = build_simulation(exp)
    assert sim.capacity * 10_000 * 9 * 4 <= 2 * 2**20
    sim.advance(400)
    assert sim.history.n_frames <= sim.capacity


def test_same_experiment_same_trajectories_and_seed_matters():
    groups = [{"optimizer": "rmsprop", "hyper": {"lr": 0.01},
               "init": {"kind": "normal", "mean": [-1, 1], "std": [0.3, 0.3], "count": 300}}]
    a = run_experiment(experiment(groups, steps=60))
    b = run_experiment(experiment(groups, steps=60))
    np.testing.assert_array_equal(a.positions, b.positions)
    exp = experiment(groups, steps=60)
    exp.seed = 1
    c = run_experiment(exp)
    assert not np.array_equal(a.positions[0], c.positions[0])


def _group(n, name="adam"):
    spec = get_optimizer(name)
    pos = np.random.default_rng(1).uniform(-2, 2, size=(n, 2))
    return ParticleGroup(spec, spec.resolve({"lr": 1e-3}), {"kind": "constant"}, pos)


def test_parallel_and_serial_kernels_agree_exactly(monkeypatch):
    outputs = []
    for threshold in (10**18, 0):  # serial kernel, then parallel kernel
        monkeypatch.setattr(engine, "PARALLEL_WORK", threshold)
        sim = Simulation(builtin_surface("rastrigin"), [_group(1000)], max_frames=40)
        sim.advance(30, record_last=True)
        g = sim.groups[0]
        assert (g.kernel_name(30) == "advance_parallel") == (threshold == 0)
        outputs.append((g.theta, g.state, g.alive, g.diverged_at, *sim.arrays().values()))
    for serial, parallel in zip(*outputs, strict=True):
        np.testing.assert_array_equal(serial, parallel)


def _signatures(kernel):
    module = kernel.module
    return {name: len(getattr(module, name).signatures)
            for name in ("advance_serial", "advance_parallel", "advance_tile", "coefficient_table")}


def test_no_recompilation_for_new_hyperparameters_sizes_or_schedules():
    first = build_simulation(experiment([{"optimizer": "adam"}], steps=3))
    first.advance(3)
    kernel = first.groups[0].kernel
    big = experiment([{"optimizer": "adam", "hyper": {"lr": 0.003, "betas": [0.8, 0.99]},
                       "init": {"kind": "uniform", "low": [-1, -1], "high": [1, 1], "count": 5000},
                       "schedule": {"kind": "cosine", "T_max": 10}}], steps=50)
    run_experiment(big)  # compiles the parallel kernel for the larger group
    before = _signatures(kernel)
    for lr, count, schedule in ((0.01, 3000, {"kind": "step", "step_size": 5}), (0.5, 7000, None)):
        group = {"optimizer": "adamw", "hyper": {"lr": lr},
                 "init": {"kind": "uniform", "low": [-1, -1], "high": [1, 1], "count": count}}
        if schedule:
            group["schedule"] = schedule
        sim = build_simulation(experiment([group], steps=40))
        assert sim.groups[0].kernel is kernel
        sim.advance(40, record_last=True)
    assert _signatures(kernel) == before


def test_long_runs_at_a_minimum_flush_subnormal_state():
    land = get_landscape("rastrigin")
    spec = get_optimizer("adam")
    group = ParticleGroup(spec, spec.resolve({"lr": 1e-2}), {"kind": "constant"},
                          np.array([[1e-3, -2e-3], [0.0, 0.0]]))
    sim = Simulation(builtin_surface(land.name), [group], record_every=1000, max_frames=20)
    sim.advance(10_000)
    for values in (sim.groups[0].state, sim.groups[0].theta):
        tiny = (values != 0) & (np.abs(values) < np.finfo(np.float64).tiny)
        assert not tiny.any(), "subnormal numbers slow every later step 4-25x"


@pytest.mark.parametrize("count", [1, 63, 64, 65, 130])
def test_tile_edges_are_handled(count):
    groups = [{"optimizer": "adagrad", "hyper": {"lr": 0.05},
               "init": {"kind": "uniform", "low": [-1, -1], "high": [1, 1], "count": count}}]
    res = run_experiment(experiment(groups, steps=10, record_dtype="float64"))
    one_by_one = [run_experiment(experiment(
        [{"optimizer": "adagrad", "hyper": {"lr": 0.05}, "init": {"kind": "point", "point": list(p)}}],
        steps=10, record_dtype="float64")).positions[:, 0] for p in res.positions[0]]
    np.testing.assert_array_equal(res.positions, np.stack(one_by_one, axis=1))


def test_a_typed_expression_runs_like_the_built_in_landscape_it_spells():
    groups = [{"optimizer": "adam", "hyper": {"lr": 0.02}}, {"optimizer": "momentum", "hyper": {"lr": 2e-4}}]
    typed = experiment(groups, steps=200, record_dtype="float64")
    typed.landscape.name, typed.landscape.expression = "expression", "(a - x)**2 + b*(y - x**2)**2"
    typed.landscape.params = {"a": 1.0, "b": 100.0}
    typed = typed.validated()
    builtin = run_experiment(experiment(groups, steps=200, record_dtype="float64"))
    np.testing.assert_allclose(run_experiment(typed).positions, builtin.positions, rtol=1e-12, atol=1e-12)


def _data_experiment(groups, steps=60, size=400):
    return Experiment.from_dict({
        "landscape": {"model": "linear", "data": {"size": size, "noise": 0.5, "seed": 3}},
        "run": {"steps": steps, "record_dtype": "float64"},
        "groups": [{"label": f"g{k}", "init": {"kind": "point", "point": [0.0, 0.0]}, **g}
                   for k, g in enumerate(groups)],
    })


def test_gd_sgd_and_mini_batch_on_data():
    res = run_experiment(_data_experiment([
        {"optimizer": "sgd", "hyper": {"lr": 0.1}},
        {"optimizer": "sgd", "hyper": {"lr": 0.1}, "batch_size": 400},
        {"optimizer": "sgd", "hyper": {"lr": 0.1}, "batch_size": 1},
        {"optimizer": "sgd", "hyper": {"lr": 0.1}, "batch_size": 16,
         "init": {"kind": "normal", "mean": [0.0, 0.0], "std": [0.0, 0.0], "count": 50}},
    ]))
    gd, full, sgd = res.positions[:, 0], res.positions[:, 1], res.positions[:, 2]
    np.testing.assert_array_equal(gd, full)            # B = n is exactly gradient descent
    assert np.abs(sgd - gd).max() > 1e-3               # one sample per step is noisy
    cloud = res.positions[-1, 3:]
    assert cloud.std(axis=0).min() > 1e-4              # independent batches spread a cloud from one start
    surface = res.experiment.landscape_spec()
    (best,) = surface.minima()
    assert np.allclose(gd[-1], [best.x, best.y], atol=1e-3)  # GD converges to least squares
    f = surface.value_and_grad(res.positions[-1, :, 0], res.positions[-1, :, 1])[0]
    np.testing.assert_allclose(res.loss[-1], f, rtol=1e-10)  # recorded loss is the full-data loss


def test_stochastic_runs_are_deterministic_and_seeded():
    groups = [{"optimizer": "adam", "hyper": {"lr": 0.05}, "batch_size": 8}]
    a = run_experiment(_data_experiment(groups))
    b = run_experiment(_data_experiment(groups))
    np.testing.assert_array_equal(a.positions, b.positions)
    other = _data_experiment(groups)
    other.seed = 5
    assert not np.array_equal(run_experiment(other).positions, a.positions)


def test_gradient_noise_on_a_formula_landscape():
    groups = [{"optimizer": "sgd", "hyper": {"lr": 0.01}},
              {"optimizer": "sgd", "hyper": {"lr": 0.01}, "noise": {"kind": "gaussian", "scale": 2.0}}]
    res = run_experiment(experiment(groups, landscape="himmelblau", steps=30, record_dtype="float64"))
    exact, noisy = res.positions[:, 0], res.positions[:, 1]
    assert np.abs(noisy - exact).max() > 1e-3
    f, gx, gy = res.experiment.landscape_spec().value_and_grad(exact[:-1, 0], exact[:-1, 1])
    np.testing.assert_allclose(res.grad[:-1, 0, 0], gx, rtol=1e-12)   # the noise-free group stays exact


@pytest.mark.parametrize("count", [1, 2])
def test_reset_goes_back_to_the_start_and_leaves_the_given_positions_alone(count):
    """Reset (the window's R) restarts from where the particles started, also for a group of one
    particle, whose transposed positions would otherwise be a view the kernel moves."""
    start = np.array([[-1.5, 2.0], [0.5, 0.5]])[:count]
    given = start.copy()
    sgd = get_optimizer("sgd")
    sim = Simulation(builtin_surface("rosenbrock"),
                     [ParticleGroup(sgd, sgd.resolve({"lr": 1e-3}), {"kind": "constant"}, given)])
    sim.advance(10)
    assert not np.allclose(sim.positions(0), start)
    np.testing.assert_array_equal(given, start)
    sim.reset()
    np.testing.assert_array_equal(sim.positions(0), start)

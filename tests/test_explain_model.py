"""Explain mode's model: re-running one particle reproduces the recorded run, and the navigation
over particles, steps and sub-steps with its events."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.experiment import Experiment, run_experiment
from optviz.experiment.replay import HISTORY_FRAMES, ParticleReplay
from optviz.models.explain import ExplainModel


def experiment(groups, landscape=None, steps=40, seed=3):
    return Experiment.from_dict({"seed": seed, "landscape": landscape or {"name": "rosenbrock"},
                                 "run": {"steps": steps, "record_every": 1, "record_dtype": "float64"},
                                 "groups": groups})


def cloud(count, mean=(-1.0, 1.5)):
    return {"kind": "normal", "mean": list(mean), "std": [0.2, 0.2], "count": count}


MINIBATCH = experiment(
    [{"label": "mini-batch SGD", "optimizer": "sgd", "hyper": {"lr": 0.05}, "batch_size": 8,
      "init": cloud(90, (-0.5, 1.5))},
     {"label": "mini-batch Adam, with replacement", "optimizer": "adam", "hyper": {"lr": 0.02}, "batch_size": 4,
      "sampling": "replacement", "noise": {"kind": "gaussian", "scale": 0.3}, "init": cloud(5, (-0.5, 1.5))}],
    landscape={"model": "linear", "data": {"size": 200, "noise": 1.0, "seed": 1}})
NOISY = experiment([{"label": "noisy momentum", "optimizer": "momentum", "hyper": {"lr": 1e-4},
                     "noise": {"kind": "student_t", "scale": 2.0, "dof": 3.0}, "init": cloud(70)}])
PLAIN = experiment([{"label": "momentum", "optimizer": "momentum", "hyper": {"lr": 1e-4}, "init": cloud(3)},
                    {"label": "NAdam sweep", "optimizer": "nadam",
                     "hyper": {"lr": {"values": [0.01, 0.02]}}, "init": cloud(3),
                     "schedule": {"kind": "exponential", "gamma": 0.97}}])


@pytest.mark.parametrize("exp, group, index", [
    (MINIBATCH, 0, 0), (MINIBATCH, 0, 71), (MINIBATCH, 1, 3), (NOISY, 0, 66), (PLAIN, 0, 2), (PLAIN, 1, 4)],
    ids=["minibatch-first", "minibatch-second-tile", "minibatch-noise-replacement", "student-t-noise",
         "deterministic", "sweep-schedule"])
def test_replay_reproduces_the_recorded_trajectory(exp, group, index):
    result = run_experiment(exp)
    column = result.group_slice(group).start + index
    replay = ParticleReplay(exp, group, index)
    stochastic = exp.groups[group].batch_size or exp.groups[group].noise
    assert replay.particles_run == (index + 1 if stochastic else 1)
    for t in (0, 1, 2, 9, 40, 5, 6, 6, 23):  # forward, back (starts over), the same step again
        state = replay.at(t)
        np.testing.assert_array_equal(state.theta, result.positions[t, column], err_msg=f"θ at step {t}")
        np.testing.assert_array_equal(state.grad, result.grad[t, column], err_msg=f"gradient at step {t}")
        assert state.step == t and state.alive


def test_replay_continues_past_its_history_capacity():
    long_run = experiment([{"label": "momentum", "optimizer": "momentum", "hyper": {"lr": 1e-4},
                            "init": cloud(3)}], steps=HISTORY_FRAMES + 10)
    replay = ParticleReplay(long_run, 0, 1)
    result = run_experiment(long_run)
    for t in range(HISTORY_FRAMES + 5):
        np.testing.assert_array_equal(replay.at(t).theta, result.positions[t, 1])


def test_replay_learning_rate_is_the_engines_per_layout():
    replay = ParticleReplay(PLAIN, 1, 4)  # cell 1 of the sweep: lr = 0.02, decayed by 0.97 per step
    assert replay.hyper["lr"] == 0.02
    np.testing.assert_allclose(replay.lr(3), 0.02 * 0.97**2, rtol=1e-15)
    assert ParticleReplay(PLAIN, 0, 0).lr(7) == 1e-4


def test_replay_refuses_a_particle_that_does_not_exist():
    with pytest.raises(ValueError, match="particle = 3: group 0 has particles 0 to 2"):
        ParticleReplay(PLAIN, 0, 3)
    with pytest.raises(ValueError, match="group = 2"):
        ParticleReplay(PLAIN, 2, 0)


class Recorder:
    def __init__(self, model):
        self.explanations, self.substeps = [], []
        model.changed.connect(self.explanations.append)
        model.substep_changed.connect(self.substeps.append)


def adam_model(step=4):
    exp = experiment([{"label": "Adam", "optimizer": "adam", "hyper": {"lr": 0.05}, "init": cloud(4)},
                      {"label": "SGD", "optimizer": "sgd", "hyper": {"lr": 1e-3}, "init": cloud(2)}])
    model = ExplainModel()
    model.set_experiment(exp)
    model.set_step(step)
    return model, exp


def test_model_computes_nothing_until_active():
    model, _ = adam_model()
    seen = Recorder(model)
    assert model.explanation is None and model.current is None
    model.set_active(True)
    assert len(seen.explanations) == 1 and model.explanation.update is not None
    assert model.explanation.update.t == 5 and model.explanation.step == 4


def test_model_navigation_and_events():
    model, exp = adam_model()
    model.set_active(True)
    seen = Recorder(model)
    keys = [s.key for s in model.substeps]
    assert keys[0] == "gradient" and keys[-1] == "step" and model.substep == 0
    assert not model.previous() and seen.substeps == []
    assert model.next() and model.current.key == keys[1] and seen.substeps == [1]
    assert model.go(len(keys) - 1) and not model.next()
    assert not model.go(99) and model.substep == len(keys) - 1
    assert model.previous() and seen.substeps == [1, len(keys) - 1, len(keys) - 2]
    # another step keeps the sub-step being studied
    model.go(keys.index("bias_correction"))
    model.set_step(10)
    assert model.current.key == "bias_correction" and model.explanation.update.t == 11
    assert seen.explanations[-1] is model.explanation
    # "next" past the last sub-step goes on to the next update's first
    model.start_next_update_at_first_substep()
    model.set_step(11)
    assert model.substep == 0 and seen.substeps[-1] == 0
    # the explained update is the replayed particle's
    result = run_experiment(exp)
    np.testing.assert_array_equal(model.explanation.update.theta, result.positions[11, 0])
    np.testing.assert_array_equal(model.explanation.update.new_theta, result.positions[12, 0])


def test_model_particle_selection():
    model, exp = adam_model()
    model.set_active(True)
    model.set_global_particle(5)
    e = model.explanation
    assert (e.group, e.index, e.particle, e.label) == (1, 1, 5, "SGD")
    assert [s.key for s in model.substeps] == ["gradient", "step"]
    result = run_experiment(exp)
    np.testing.assert_array_equal(e.update.theta, result.positions[4, 5])
    with pytest.raises(ValueError, match="6 particles"):
        model.set_global_particle(6)
    model.set_experiment(experiment([{"label": "one", "optimizer": "sgd", "init": cloud(1)}]))
    assert (model.group, model.index) == (0, 0) and model.explanation.label == "one"


def test_model_says_why_a_diverged_particle_has_no_update():
    exp = experiment([{"label": "too fast", "optimizer": "sgd", "hyper": {"lr": 0.5},
                       "init": {"kind": "point", "point": [-1.5, 2.0]}}])
    model = ExplainModel()
    model.set_experiment(exp)
    model.set_active(True)
    model.set_step(30)
    assert model.explanation.update is None and "diverged at step" in model.explanation.message.en
    assert "发散" in model.explanation.message.zh
    assert model.current is None and not model.next()


def test_model_explains_past_the_runs_last_step():
    model, _ = adam_model(step=40)
    model.set_active(True)
    assert model.explanation.beyond_run and model.explanation.update.t == 41

"""Explain mode's core: every optimizer's sub-step decomposition of one update against the kernel.

For every optimizer and textbook variant, over several steps of a few particles, the explained
update (optviz.core.explain.explain_update, i.e. each optimizer module's ``explain``) must give the
engine's new θ, optimizer state, carry (NAdam's Π_t) and preconditioned learning rate to float64
rounding, from the θ, state and gradient the kernel had; and each sub-step's named values must be
what the update rule defines them to be.
"""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.explain import GradientOrigin, explain_update, one_particle
from optviz.core.optimizers import OPTIMIZERS, get_optimizer
from optviz.core.optimizers.steps import ARROW_KINDS, LANGUAGES
from optviz.core.schedules import learning_rates
from optviz.experiment import Experiment, build_simulation

STEPS = 12
RTOL = 2e-15  # the explained arithmetic is the kernel's: equal, up to a rounding of libm's pow

STARTS = {"rosenbrock": [[-1.5, 2.0], [0.5, -0.5], [1.2, 1.1]],
          "himmelblau": [[0.0, 0.0], [-1.0, 2.5], [2.0, -1.5]]}


def case(optimizer, hyper=None, schedule=None, land="himmelblau"):
    group = {"label": optimizer, "optimizer": optimizer, "hyper": dict(hyper or {}),
             "init": {"kind": "points", "points": STARTS[land]}}
    if schedule is not None:
        group["schedule"] = schedule
    return {"seed": 0, "landscape": {"name": land},
            "run": {"steps": STEPS, "record_every": 1, "record_dtype": "float64"}, "groups": [group]}


#: (id, experiment) for every optimizer and every variant option of REFERENCE.md.
CASES = [
    ("sgd", case("sgd", {"lr": 2e-3})),
    ("sgd-l2", case("sgd", {"lr": 2e-3, "weight_decay": 0.3})),
    ("sgd-decoupled", case("sgd", {"lr": 2e-3, "weight_decay": 0.3, "decoupled_weight_decay": True})),
    ("momentum-torch", case("momentum", {"lr": 2e-3})),
    ("momentum-dampening", case("momentum", {"lr": 2e-3, "dampening": 0.5})),
    ("momentum-ema", case("momentum", {"lr": 2e-2, "momentum_form": "ema"})),
    ("momentum-dampened-l2", case("momentum", {"lr": 2e-3, "momentum_form": "dampened", "dampening": 0.5,
                                               "weight_decay": 0.1})),
    ("nesterov", case("nesterov", {"lr": 2e-3})),
    ("nesterov-ema", case("nesterov", {"lr": 2e-3, "momentum_form": "ema"})),
    ("momentum-exponential-schedule", case("momentum", {"lr": 2e-3}, {"kind": "exponential", "gamma": 0.9})),
    ("adagrad", case("adagrad", {"lr": 0.3})),
    ("adagrad-lr-decay", case("adagrad", {"lr": 0.3, "lr_decay": 0.05, "initial_accumulator_value": 0.1})),
    ("adagrad-eps-inside", case("adagrad", {"lr": 0.3, "eps": 1e-2, "eps_placement": "inside"})),
    ("adagrad-l2", case("adagrad", {"lr": 0.3, "weight_decay": 0.2})),
    ("adagrad-decoupled", case("adagrad", {"lr": 0.3, "weight_decay": 0.2, "decoupled_weight_decay": True})),
    ("rmsprop", case("rmsprop", {"lr": 5e-3})),
    ("rmsprop-notes-beta", case("rmsprop", {"lr": 5e-3, "alpha": 0.9})),
    ("rmsprop-centered", case("rmsprop", {"lr": 5e-3, "centered": True})),
    ("rmsprop-momentum", case("rmsprop", {"lr": 5e-3, "momentum": 0.5})),
    ("rmsprop-centered-momentum-inside", case("rmsprop", {"lr": 5e-3, "centered": True, "momentum": 0.5,
                                                          "eps": 1e-3, "eps_placement": "inside"})),
    ("rmsprop-l2", case("rmsprop", {"lr": 5e-3, "weight_decay": 0.2})),
    ("adadelta", case("adadelta")),
    ("adadelta-l2", case("adadelta", {"weight_decay": 0.2})),
    ("adadelta-decoupled", case("adadelta", {"weight_decay": 0.2, "decoupled_weight_decay": True})),
    ("adam", case("adam", {"lr": 5e-2})),
    ("adam-rosenbrock", case("adam", {"lr": 2e-2}, land="rosenbrock")),
    ("adam-amsgrad", case("adam", {"lr": 5e-2, "amsgrad": True})),
    ("adam-no-bias-correction", case("adam", {"lr": 5e-2, "bias_correction": False})),
    ("adam-eps-inside", case("adam", {"lr": 5e-2, "eps": 1e-2, "eps_placement": "inside"})),
    ("adam-amsgrad-inside-nobc", case("adam", {"lr": 5e-2, "amsgrad": True, "eps_placement": "inside",
                                               "bias_correction": False})),
    ("adam-l2", case("adam", {"lr": 5e-2, "weight_decay": 0.2})),
    ("adamw", case("adamw", {"lr": 5e-2})),
    ("adamw-l2", case("adamw", {"lr": 5e-2, "weight_decay": 0.2, "decoupled_weight_decay": False})),
    ("adamw-cosine-schedule", case("adamw", {"lr": 5e-2}, {"kind": "cosine", "T_max": 10})),
    ("adamax", case("adamax", {"lr": 5e-2})),
    ("adamax-no-bias-correction", case("adamax", {"lr": 5e-2, "bias_correction": False})),
    ("adamax-l2", case("adamax", {"lr": 5e-2, "weight_decay": 0.2})),
    ("nadam", case("nadam", {"lr": 2e-2})),
    ("nadam-inside-psi", case("nadam", {"lr": 2e-2, "eps": 1e-2, "eps_placement": "inside",
                                        "momentum_decay": 0.05})),
    ("nadam-decoupled", case("nadam", {"lr": 2e-2, "weight_decay": 0.2, "decoupled_weight_decay": True})),
    ("radam", case("radam", {"lr": 1e-2})),
    ("radam-inside-l2", case("radam", {"lr": 1e-2, "eps": 1e-2, "eps_placement": "inside",
                                       "weight_decay": 0.2})),
    ("radam-decoupled-warmup", case("radam", {"lr": 1e-2, "weight_decay": 0.2, "decoupled_weight_decay": True},
                                    {"kind": "linear", "start_factor": 0.25, "total_iters": 6})),
    ("lion", case("lion", {"lr": 0.01})),
    ("lion-decay", case("lion", {"lr": 0.005, "b1": 0.8, "b2": 0.95, "weight_decay": 0.5})),
    ("sgd-lr-sweep", case("sgd", {"lr": {"values": [1e-3, 2e-3, 4e-3]}})),
    ("adam-beta-sweep", case("adam", {"lr": 5e-2, "betas": [{"values": [0.8, 0.9]}, 0.999]})),
    ("nadam-lr-sweep", case("nadam", {"lr": {"values": [1e-2, 2e-2]}})),
]


def _engine_steps(experiment):
    """(spec, hyper, schedule, frames): per step t >= 1 what the engine had before update t and made of it."""
    sim = build_simulation(experiment)
    sim.start()
    run = sim.groups[0]
    spec = run.spec.optimizer
    frames = []
    for t in range(1, STEPS + 1):
        before = (run.theta.copy(), run.state.copy(), run.carry.copy(), sim.history.view(0, "grad")[-1].copy())
        sim.advance(1, record_last=True)
        after = (run.theta.copy(), run.state.copy(), run.carry.copy(),
                 sim.history.view(0, "lr_preconditioned")[-1].copy())
        frames.append((t, before, after))
    return sim, spec, run.spec.hyper, run.spec.schedule, frames


def _lr_t(hyper, schedule, index, t, per_particle):
    """η_t as the engine computes it: lr · scale + shift for a sweep, the schedule of lr otherwise."""
    if per_particle:
        shift = learning_rates(0.0, schedule, np.array([t]))[0]
        scale = learning_rates(1.0, schedule, np.array([t]))[0] - shift
        lr = one_particle(hyper, index)["lr"]
        return lr * scale + shift
    return learning_rates(hyper["lr"], schedule, np.array([t]))[0]


@pytest.mark.parametrize("cid, data", CASES, ids=[c[0] for c in CASES])
def test_explained_update_is_the_kernels(cid, data):
    sim, spec, hyper, schedule, frames = _engine_steps(Experiment.from_dict(data))
    per_particle = sim.groups[0].per_particle
    n = sim.groups[0].size
    exact = total = 0
    for t, (theta, state, carry, grad), (new_theta, new_state, new_carry, lr_pre) in frames:
        for j in range(n):
            h = one_particle(hyper, j)
            c = carry[j] if per_particle else carry[0]
            up = explain_update(spec, h, state[:, :, j], theta[:, j], grad[j], t,
                                _lr_t(hyper, schedule, j, t, per_particle), c, schedule=schedule)
            where = f"{cid}: particle {j}, update t = {t}"
            np.testing.assert_allclose(up.new_theta, new_theta[:, j], rtol=RTOL, atol=0, err_msg=where + ", θ")
            np.testing.assert_allclose(up.new_state, new_state[:, :, j], rtol=RTOL, atol=1e-300,
                                       err_msg=where + ", state")
            np.testing.assert_allclose(up.new_carry, new_carry[j] if per_particle else new_carry[0], rtol=RTOL,
                                       err_msg=where + ", carry")
            np.testing.assert_allclose(up.lr_preconditioned, lr_pre[j], rtol=RTOL, err_msg=where + ", LR")
            np.testing.assert_array_equal(up.state, state[:, :, j], err_msg=where + ", state before")
            exact += int(np.array_equal(up.new_theta, new_theta[:, j]) and np.array_equal(up.new_state,
                                                                                          new_state[:, :, j]))
            total += 1
    assert np.isfinite(frames[-1][2][0]).all(), f"{cid}: the run diverged; pick a smaller lr"
    assert exact == total, f"{cid}: {total - exact} of {total} updates differ from the kernel in the last bits"


def _values(sub):
    return {q.symbol: np.asarray(q.value, dtype=np.float64) for q in sub.values}


def _one_update(optimizer, hyper, t=3, state=None, theta=(0.7, -1.3), grad=(2.0, -0.25), lr_t=0.05):
    spec = get_optimizer(optimizer)
    h = spec.resolve(hyper)
    if state is None:
        rng = np.random.default_rng(1)
        state = np.abs(rng.normal(size=(len(spec.state), 2))) * 0.1
    return spec, h, explain_update(spec, h, state, np.array(theta), np.array(grad), t, lr_t)


def test_adam_substeps_follow_the_rule_definitions():
    spec, h, up = _one_update("adam", {"lr": 0.05})
    b1, b2 = h["betas"]
    m0, v0 = up.state[0], up.state[1]
    g = up.grad
    keys = [s.key for s in up.substeps]
    assert keys == ["gradient", "first_moment", "second_moment", "bias_correction", "precondition", "step"]
    m = _values(up.substep("first_moment"))["m_{t}"]
    v = _values(up.substep("second_moment"))["v_{t}"]
    np.testing.assert_allclose(m, b1 * m0 + (1 - b1) * g, rtol=1e-15)
    np.testing.assert_allclose(v, b2 * v0 + (1 - b2) * g * g, rtol=1e-15)
    bc = _values(up.substep("bias_correction"))
    np.testing.assert_allclose(bc["1 − β_{1}^{t}"], 1 - b1**3, rtol=1e-15)
    np.testing.assert_allclose(bc["m̂_{t}"], m / (1 - b1**3), rtol=1e-15)
    np.testing.assert_allclose(bc["v̂_{t}"], v / (1 - b2**3), rtol=1e-15)
    step = _values(up.substep("step"))
    expected = up.theta - 0.05 * bc["m̂_{t}"] / (np.sqrt(bc["v̂_{t}"]) + h["eps"])
    np.testing.assert_allclose(step["θ_{t}"], expected, rtol=1e-14)
    np.testing.assert_allclose(step["Δθ"], expected - up.theta, rtol=1e-12)
    arrows = up.arrows_at(len(up.substeps) - 1)
    assert set(arrows) == set(ARROW_KINDS)
    np.testing.assert_allclose(arrows["momentum"].vector, -bc["m̂_{t}"])
    np.testing.assert_allclose(arrows["second_moment"].vector, np.sqrt(bc["v̂_{t}"]))
    np.testing.assert_allclose(arrows["gradient"].vector, -g)
    np.testing.assert_array_equal(arrows["step"].vector, up.step)
    assert up.arrows_at(0).keys() == {"gradient"}  # the first moment appears at its own sub-step


def test_bias_correction_off_says_so_and_uses_the_raw_moments():
    _, _, up = _one_update("adam", {"lr": 0.05, "bias_correction": False})
    sub = up.substep("bias_correction")
    assert sub.title.en == "No bias correction"
    vals = _values(sub)
    m = _values(up.substep("first_moment"))["m_{t}"]
    np.testing.assert_array_equal(vals["m̂_{t}"], m)


@pytest.mark.parametrize("t, switched", [(1, False), (5, False), (6, True), (40, True)])
def test_radam_switches_on_the_rectification_when_rho_t_exceeds_5(t, switched):
    spec, h, up = _one_update("radam", {"lr": 0.01}, t=t)
    sub = up.substep("rectification")
    rho = _values(sub)["ρ_{t}"]
    assert (rho > 5) == switched
    assert ("precondition" in [s.key for s in up.substeps]) == switched
    r = spec.time_factors(h, [t])[1][1][0]  # the spec's own r_t (NaN while not acting)
    if switched:
        np.testing.assert_allclose(_values(sub)["r_{t}"], r, rtol=1e-15)
    else:
        assert np.isnan(r)
        m_hat = _values(up.substep("bias_correction"))["m̂_{t}"]
        np.testing.assert_allclose(up.new_theta, up.theta - up.lr * m_hat, rtol=1e-15)


def test_sgd_torch_momentum_starts_as_the_gradient_and_the_ema_form_does_not():
    _, _, first = _one_update("momentum", {"lr": 0.1}, t=1, state=np.zeros((1, 2)))
    assert first.substep("momentum").formula == "v_{1} = g_{1}"
    np.testing.assert_array_equal(first.new_state[0], first.grad)
    _, _, ema = _one_update("momentum", {"lr": 0.1, "momentum_form": "ema"}, t=1, state=np.zeros((1, 2)))
    np.testing.assert_allclose(ema.new_state[0], 0.1 * ema.grad, rtol=1e-15)
    assert "(1 − μ)" in ema.substep("momentum").formula


def test_worked_example_of_document_000_sgd_momentum():
    """SGD with momentum 0.9, lr 0.01 on y = w²/2 from w = 1 (both parameters): 0.99, 0.9711, 0.944379."""
    spec = get_optimizer("momentum")
    h = spec.resolve({"lr": 0.01, "momentum": 0.9})
    theta, state = np.array([1.0, 1.0]), np.zeros((1, 2))
    for t, want in ((1, 0.99), (2, 0.9711), (3, 0.944379)):
        up = explain_update(spec, h, state, theta, theta.copy(), t, 0.01)
        np.testing.assert_allclose(up.new_theta, want, rtol=1e-12)
        theta, state = up.new_theta, up.new_state


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_substep_has_both_languages_a_formula_and_finite_values(name):
    spec = get_optimizer(name)
    hyper = {"weight_decay": 0.1} if name != "lion" else {"weight_decay": 0.1, "lr": 1e-3}
    _, _, up = _one_update(name, hyper, t=7)
    assert up.substeps[0].key == "gradient" and up.substeps[-1].key in ("step", "momentum")
    assert "step" in [s.key for s in up.substeps] and "weight_decay" in [s.key for s in up.substeps]
    for sub in up.substeps:
        for lang in LANGUAGES:
            assert sub.title.get(lang) and sub.text.get(lang), (name, sub.key, lang)
        assert sub.title.zh != sub.title.en and any("\u4e00" <= ch <= "\u9fff" for ch in sub.text.zh)
        assert sub.formula.count("{") == sub.formula.count("}"), (name, sub.formula)
        for q in sub.values:
            assert np.all(np.isfinite(q.value)), (name, sub.key, q.symbol)
        for arrow in sub.arrows:
            assert arrow.kind in ARROW_KINDS and np.asarray(arrow.vector).shape == (2,)
    assert spec.family == up.family


def test_the_gradient_substep_says_where_the_gradient_came_from():
    spec = get_optimizer("sgd")
    h = spec.resolve({"lr": 0.1})
    origin = GradientOrigin(data=True, n_samples=200, batch_size=8)
    up = explain_update(spec, h, np.zeros((1, 2)), np.zeros(2), np.ones(2), 1, 0.1, origin=origin)
    assert "batch" in up.substeps[0].formula and "B = 8" in up.substeps[0].text.en
    noisy = explain_update(spec, h, np.zeros((1, 2)), np.zeros(2), np.ones(2), 1, 0.1,
                           origin=GradientOrigin(noise="gaussian", noise_scale=0.5))
    assert "σ ξ" in noisy.substeps[0].formula and "0.5" in noisy.substeps[0].text.zh


def test_a_schedule_adds_the_learning_rate_substep():
    spec = get_optimizer("sgd")
    h = spec.resolve({"lr": 0.1})
    schedule = {"kind": "exponential", "gamma": 0.5}
    up = explain_update(spec, h, np.zeros((1, 2)), np.zeros(2), np.ones(2), 3, 0.025, schedule=schedule)
    sub = up.substeps[1]
    assert sub.key == "schedule" and "γ" in sub.formula
    assert _values(sub)["η_{t}"] == 0.025 and _values(sub)["k"] == 2
    plain = explain_update(spec, h, np.zeros((1, 2)), np.zeros(2), np.ones(2), 3, 0.1, schedule={"kind": "constant"})
    assert "schedule" not in [s.key for s in plain.substeps]


def test_update_counter_starts_at_one():
    spec = get_optimizer("sgd")
    with pytest.raises(ValueError, match="t = 0"):
        explain_update(spec, spec.resolve({}), np.zeros((1, 2)), np.zeros(2), np.ones(2), 0, 0.1)

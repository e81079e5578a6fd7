"""Every learning-rate schedule reproduces torch.optim.lr_scheduler over 1,000 steps, and
refuses bad tables with a message naming the field, the value and what is allowed."""

import numpy as np
import pytest

from optviz.core.optimizers.spec import HyperparameterError
from optviz.core.schedules import SCHEDULES, learning_rates, resolve_schedule

STEPS = 1000
LR = 0.05

#: (schedule table, torch scheduler factory taking (optimizer, torch.optim.lr_scheduler)).
CASES = {
    "step": ({"kind": "step", "step_size": 70, "gamma": 0.5},
             lambda o, s: s.StepLR(o, step_size=70, gamma=0.5)),
    "multistep": ({"kind": "multistep", "milestones": [100, 250, 600], "gamma": 0.3},
                  lambda o, s: s.MultiStepLR(o, milestones=[100, 250, 600], gamma=0.3)),
    "exponential": ({"kind": "exponential", "gamma": 0.995}, lambda o, s: s.ExponentialLR(o, gamma=0.995)),
    "cosine": ({"kind": "cosine", "T_max": 300, "eta_min": 1e-4},
               lambda o, s: s.CosineAnnealingLR(o, T_max=300, eta_min=1e-4)),
    "linear": ({"kind": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 50},
               lambda o, s: s.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=50)),
    "polynomial": ({"kind": "polynomial", "total_iters": 800, "power": 2.0},
                   lambda o, s: s.PolynomialLR(o, total_iters=800, power=2.0)),
    "warm_restarts": ({"kind": "cosine_warm_restarts", "T_0": 60, "T_mult": 1, "eta_min": 0.001},
                      lambda o, s: s.CosineAnnealingWarmRestarts(o, T_0=60, T_mult=1, eta_min=0.001)),
    "warm_restarts_mult": ({"kind": "cosine_warm_restarts", "T_0": 25, "T_mult": 2},
                           lambda o, s: s.CosineAnnealingWarmRestarts(o, T_0=25, T_mult=2)),
    "onecycle_cos": ({"kind": "onecycle", "total_steps": STEPS},
                     lambda o, s: s.OneCycleLR(o, max_lr=LR, total_steps=STEPS, cycle_momentum=False)),
    "onecycle_linear_three_phase": (
        {"kind": "onecycle", "total_steps": STEPS, "pct_start": 0.25, "anneal_strategy": "linear",
         "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": True},
        lambda o, s: s.OneCycleLR(o, max_lr=LR, total_steps=STEPS, pct_start=0.25, anneal_strategy="linear",
                                  div_factor=10.0, final_div_factor=100.0, three_phase=True,
                                  cycle_momentum=False)),
    "triangular": ({"kind": "cyclic", "max_lr": 0.2, "step_size_up": 80, "step_size_down": 40},
                   lambda o, s: s.CyclicLR(o, base_lr=LR, max_lr=0.2, step_size_up=80, step_size_down=40,
                                           cycle_momentum=False)),
    "triangular2": ({"kind": "cyclic", "max_lr": 0.2, "step_size_up": 100, "mode": "triangular2"},
                    lambda o, s: s.CyclicLR(o, base_lr=LR, max_lr=0.2, step_size_up=100, mode="triangular2",
                                            cycle_momentum=False)),
    "exp_range": ({"kind": "cyclic", "max_lr": 0.2, "step_size_up": 50, "mode": "exp_range", "gamma": 0.998},
                  lambda o, s: s.CyclicLR(o, base_lr=LR, max_lr=0.2, step_size_up=50, mode="exp_range",
                                          gamma=0.998, cycle_momentum=False)),
    "sequential": (
        {"kind": "sequential", "milestones": [100, 400],
         "schedules": [{"kind": "linear", "start_factor": 0.01, "total_iters": 100},
                       {"kind": "cosine", "T_max": 300},
                       {"kind": "exponential", "gamma": 0.99}]},
        lambda o, s: s.SequentialLR(o, [s.LinearLR(o, start_factor=0.01, total_iters=100),
                                        s.CosineAnnealingLR(o, T_max=300),
                                        s.ExponentialLR(o, gamma=0.99)], milestones=[100, 400])),
}


def torch_rates(factory) -> np.ndarray:
    """The lr torch uses at optimizer steps 1..STEPS (the scheduler stepped after each)."""
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=LR)
    scheduler = factory(optimizer, torch.optim.lr_scheduler)
    rates = []
    for _ in range(STEPS):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_matches_torch_over_1000_steps(name):
    table, factory = CASES[name]
    expected = torch_rates(factory)
    got = learning_rates(LR, resolve_schedule(table), np.arange(1, STEPS + 1))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=name)


def test_every_schedule_kind_is_checked_against_torch():
    checked = {table["kind"] for table, _ in CASES.values()} | {"constant", "inverse_time"}
    assert checked == set(SCHEDULES)  # inverse_time is torch's LambdaLR: tests/test_optimizers_torch.py


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_schedule_is_affine_in_lr(name):
    """The engine runs swept learning rates as lr_t = lr · a_t + b_t: exact only if affine."""
    schedule = resolve_schedule(CASES[name][0])
    t = np.arange(1, 400)
    b = learning_rates(0.0, schedule, t)
    a = learning_rates(1.0, schedule, t) - b
    np.testing.assert_allclose(learning_rates(0.37, schedule, t), 0.37 * a + b, rtol=1e-12, atol=1e-15)


def test_onecycle_holds_its_last_rate_after_total_steps():
    schedule = resolve_schedule({"kind": "onecycle", "total_steps": 100})
    rates = learning_rates(1.0, schedule, np.arange(1, 201))
    assert rates[0] == pytest.approx(1 / 25) and rates.max() == pytest.approx(1.0)
    assert np.all(rates[99:] == rates[99]) and rates[99] == pytest.approx(1 / 25 / 1e4)


@pytest.mark.parametrize(("table", "message"), [
    ({"kind": "sequential", "milestones": [10], "schedules": [{"kind": "linear"}]},
     r"schedule\.schedules = \[.*\] must be a list of at least two schedule tables"),
    ({"kind": "sequential", "milestones": [10, 20], "schedules": [{"kind": "linear"}, {"kind": "cosine"}]},
     r"schedule\.milestones = \[10, 20\] must have one step fewer than schedules \(2 schedules: 1 milestones\)"),
    ({"kind": "sequential", "milestones": [10], "schedules": [{"kind": "linear"}, {"kind": "cosine", "T_max": 0}]},
     r"schedule\.schedules\[1\]\.T_max = 0 is out of range: must be in \[1, inf\)"),
    ({"kind": "sequential", "milestones": [10],
      "schedules": [{"kind": "linear"}, {"kind": "sequential", "milestones": [], "schedules": []}]},
     r"schedule\.schedules\[1\]\.kind = 'sequential' is not allowed"),
    ({"kind": "cyclic", "mode": "sawtooth"},
     r"schedule\.mode = 'sawtooth' is not allowed: must be one of 'triangular', 'triangular2', 'exp_range'"),
    ({"kind": "onecycle", "pct_start": 1.0}, r"schedule\.pct_start = 1\.0 is out of range: must be in \(0, 1\)"),
    ({"kind": "cosine_warm_restarts", "T_mult": 0}, r"schedule\.T_mult = 0 is out of range: must be in \[1, inf\)"),
])
def test_bad_schedules_name_field_value_and_range(table, message):
    with pytest.raises(HyperparameterError, match=message):
        resolve_schedule(table)

"""With default options, every optimizer reproduces torch.optim step for step.

The stored fixture (tests/fixtures/torch_trajectories.npz, written by
scripts/make_torch_fixtures.py) holds trajectories computed by the real
torch.optim classes and lr_schedulers in float64; these tests need no torch.
The ``torch``-marked tests recompute a subset with the installed torch.
"""

from __future__ import annotations

import copy
import json
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # torch_reference, numpy_reference

FIXTURE = Path(__file__).parent / "fixtures" / "torch_trajectories.npz"
RTOL = 1e-10
ATOL = 1e-12


@cache
def fixture() -> tuple[list[dict], dict[str, np.ndarray]]:
    with np.load(FIXTURE) as z:
        cases = json.loads(str(z["cases_json"]))
        positions = {c["id"]: z[f"pos_{i:03d}"] for i, c in enumerate(cases)}
    return cases, positions


CASES = fixture()[0]
CASE_IDS = [c["id"] for c in CASES]
# A subset for the live comparison: every optimizer and schedule kind appears in it.
LIVE_IDS = [cid for i, cid in enumerate(CASE_IDS)
            if i % 7 == 0 or "defaults" in cid or "-sched-" in cid and "momentum" in cid]


def run_case(case: dict):
    """run_experiment on a fixture case (the id is not part of the experiment)."""
    from optviz.experiment import Experiment, run_experiment

    d = copy.deepcopy(case)
    d.pop("id", None)
    return run_experiment(Experiment.from_dict(d))


def first_mismatch(actual: np.ndarray, expected: np.ndarray, steps: np.ndarray,
                   rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """None if close everywhere, else a message naming the first step that differs."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != expected {expected.shape}"
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(actual - expected) <= atol + rtol * np.abs(expected))
    bad &= ~(np.isnan(actual) & np.isnan(expected))
    if not bad.any():
        return None
    frame, particle, coord = np.argwhere(bad)[0]
    a, e = actual[frame, particle, coord], expected[frame, particle, coord]
    n_bad_frames = int(bad.any(axis=(1, 2)).sum())
    return (
        f"first difference at step {int(steps[frame])} (frame {frame}), particle {particle}, "
        f"{'xy'[coord]}: optviz {a!r} vs torch {e!r} (diff {a - e:.3e}); "
        f"previous frame optviz {actual[frame - 1, particle].tolist() if frame else None}, "
        f"torch {expected[frame - 1, particle].tolist() if frame else None}; "
        f"{n_bad_frames} of {len(steps)} frames differ"
    )


def check_against(case: dict, expected_all_frames: np.ndarray, who: str = "torch") -> None:
    res = run_case(case)
    steps = np.asarray(res.step)
    assert steps[0] == 0 and steps[-1] == case["run"]["steps"], (
        f"case {case['id']}: recorded steps {steps[:3]}...{steps[-3:]}")
    positions = np.asarray(res.positions)
    assert positions.dtype == np.float64, f"case {case['id']}: record_dtype float64 not honoured"
    msg = first_mismatch(positions, expected_all_frames[steps], steps)
    assert msg is None, f"case {case['id']} ({who}): {msg}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_stored_torch_trajectory(case):
    check_against(case, fixture()[1][case["id"]])


def test_fixture_covers_every_optimizer_option_and_schedule():
    cases = fixture()[0]
    groups = [g for c in cases for g in c["groups"]]
    optimizers = {g["optimizer"] for g in groups}
    assert optimizers >= {"sgd", "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                          "adam", "adamw", "adamax", "nadam", "radam"}
    for name in optimizers:
        assert any(g["optimizer"] == name and not g["hyper"] for g in groups), (
            f"{name} has no case with torch's defaults")
    options = {(g["optimizer"], k) for g in groups for k in g["hyper"]}
    for pair in [("sgd", "momentum"), ("sgd", "dampening"), ("sgd", "nesterov"),
                 ("sgd", "weight_decay"), ("adagrad", "lr_decay"),
                 ("adagrad", "initial_accumulator_value"), ("adagrad", "weight_decay"),
                 ("rmsprop", "centered"), ("rmsprop", "momentum"), ("rmsprop", "weight_decay"),
                 ("rmsprop", "alpha"), ("adadelta", "rho"), ("adadelta", "weight_decay"),
                 ("adam", "amsgrad"), ("adam", "weight_decay"),
                 ("adam", "decoupled_weight_decay"), ("adamw", "weight_decay"),
                 ("adamw", "amsgrad"), ("adamax", "weight_decay"), ("nadam", "weight_decay"),
                 ("nadam", "decoupled_weight_decay"), ("nadam", "momentum_decay"),
                 ("radam", "weight_decay"), ("radam", "decoupled_weight_decay")]:
        assert pair in options, f"no fixture case sets {pair}"
    kinds = {g["schedule"]["kind"] for g in groups if "schedule" in g}
    assert kinds == {"step", "multistep", "exponential", "cosine", "linear", "inverse_time",
                     "constant"}
    assert all(np.isfinite(p).all() for p in fixture()[1].values())
    assert FIXTURE.stat().st_size < 1_000_000


@pytest.mark.torch
@pytest.mark.parametrize("cid", LIVE_IDS)
def test_matches_live_torch(cid):
    pytest.importorskip("torch")
    from torch_reference import torch_trajectory

    case = next(c for c in fixture()[0] if c["id"] == cid)
    live = torch_trajectory(case)
    stored = fixture()[1][cid]
    np.testing.assert_allclose(
        live, stored, rtol=1e-12, atol=1e-14,
        err_msg=f"case {cid}: the installed torch disagrees with the stored fixture; "
                "regenerate it with scripts/make_torch_fixtures.py if torch changed",
    )
    check_against(case, live, who="live torch")


@pytest.mark.torch
def test_live_torch_gradient_matches_recorded_gradient():
    """res.grad is the landscape's gradient at res.positions (torch autograd as referee)."""
    pytest.importorskip("torch")
    from torch_reference import torch_loss_and_grad

    for cid in ("adam-lr-rosenbrock", "adam-lr-beale", "sgd-lr-rastrigin",
                "three-groups-himmelblau", "radam-lr-ravine"):
        case = next(c for c in fixture()[0] if c["id"] == cid)
        res = run_case(case)
        loss, grad = torch_loss_and_grad(case, np.asarray(res.positions, dtype=np.float64))
        scale = 1.0 + np.abs(grad).max()
        np.testing.assert_allclose(res.grad, grad, rtol=1e-9, atol=1e-12 * scale,
                                   err_msg=f"case {cid}: gradient")
        np.testing.assert_allclose(res.loss, loss, rtol=1e-9, atol=1e-12 * (1 + np.abs(loss).max()),
                                   err_msg=f"case {cid}: loss")


@pytest.mark.torch
def test_variant_options_at_defaults_are_torch():
    """Setting the variant options to their defaults explicitly changes nothing."""
    pytest.importorskip("torch")
    from torch_reference import torch_trajectory

    neutral = {
        "sgd": {"momentum": 0.9, "momentum_form": "torch", "decoupled_weight_decay": False},
        "adagrad": {"eps_placement": "outside"},
        "rmsprop": {"eps_placement": "outside", "centered": True},
        "adam": {"eps_placement": "outside", "bias_correction": True},
        "adamw": {"eps_placement": "outside", "bias_correction": True},
        "adamax": {"bias_correction": True},
        "nadam": {"eps_placement": "outside"},
        "radam": {"eps_placement": "outside"},
    }
    for opt, hyper in neutral.items():
        base = next(c for c in fixture()[0] if c["id"] == f"{opt}-lr-rosenbrock")
        case = copy.deepcopy(base)
        case["id"] = f"{opt}-explicit-neutral-options"
        case["groups"][0]["hyper"].update(hyper)
        check_against(case, torch_trajectory(case))

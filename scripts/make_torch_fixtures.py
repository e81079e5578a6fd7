"""Write tests/fixtures/torch_trajectories.npz: trajectories computed by torch.optim.

Each case is an optviz experiment dict (plus an ``id``) whose groups use only
what torch.optim has (default optviz options, a torch optimizer, a torch
lr_scheduler or LambdaLR for ``inverse_time``). The fixture holds, per case, the
positions of every frame (frame 0 = start, frame t = after step t) as computed by
``tests/torch_reference.torch_trajectory``, and the case list as JSON text, so
the tests need no torch to check the engine against it.

Usage: .venv/bin/python scripts/make_torch_fixtures.py [--check]
  --check  recompute and compare with the stored fixture instead of writing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "torch_trajectories.npz"

sys.path.insert(0, str(ROOT / "tests"))

from torch_reference import torch_trajectory  # noqa: E402

# Landscapes with 2-3 start points each (none at a stationary point).
LANDSCAPES = {
    "rosenbrock": (
        {"name": "rosenbrock", "params": {"a": 1.0, "b": 100.0}},
        [[-1.5, 2.0], [0.5, -0.5], [1.2, 1.1]],
    ),
    "himmelblau": (
        {"name": "himmelblau", "params": {}},
        [[0.0, 0.0], [-1.0, 2.5], [2.0, -1.5]],
    ),
    "beale": (
        {"name": "beale", "params": {}},
        [[1.0, 1.3], [-0.5, 0.8], [2.0, 0.2]],
    ),
    "ravine": (
        {"name": "ravine", "params": {"condition": 10.0, "angle": 30.0}},
        [[2.0, 1.0], [-1.5, 0.5]],
    ),
    "rastrigin": (
        {"name": "rastrigin", "params": {"A": 10.0}},
        [[0.3, -0.4], [1.2, 0.7]],
    ),
}

# A learning rate per optimizer and landscape that moves visibly without diverging.
LR = {
    "sgd": {"rosenbrock": 5e-4, "himmelblau": 5e-3, "beale": 1e-2, "ravine": 5e-2,
            "rastrigin": 2e-3},
    "adagrad": {"rosenbrock": 0.2, "himmelblau": 0.3, "beale": 0.1, "ravine": 0.3,
                "rastrigin": 0.05},
    "rmsprop": {"rosenbrock": 5e-3, "himmelblau": 2e-2, "beale": 5e-3, "ravine": 2e-2,
                "rastrigin": 5e-3},
    "adadelta": {"rosenbrock": 1.0, "himmelblau": 1.0, "beale": 1.0, "ravine": 1.0,
                 "rastrigin": 1.0},
    "adam": {"rosenbrock": 2e-2, "himmelblau": 5e-2, "beale": 2e-2, "ravine": 5e-2,
             "rastrigin": 1e-2},
}
for _alias, _of in {"gd": "sgd", "adamw": "adam", "adamax": "adam", "nadam": "adam"}.items():
    LR[_alias] = LR[_of]
# Momentum moves about 1/(1 - momentum) = 10 times as far per step as plain SGD.
LR["momentum"] = LR["nesterov"] = {"rosenbrock": 2e-4, "himmelblau": 2e-3, "beale": 2e-3,
                                   "ravine": 1e-2, "rastrigin": 5e-4}
# RAdam's first steps (rho_t <= 5) are un-normalized SGD with momentum.
LR["radam"] = {"rosenbrock": 1e-3, "himmelblau": 5e-3, "beale": 5e-3, "ravine": 2e-2,
               "rastrigin": 2e-3}
LR["nadam"] = dict(LR["adam"], beale=1e-2)

TORCH_OPTIMIZERS = ["sgd", "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                    "adam", "adamw", "adamax", "nadam", "radam"]


def case(cid, optimizer, land, hyper=None, schedule=None, steps=60, lr=True, groups=None):
    landscape, points = LANDSCAPES[land]
    hyper = dict(hyper or {})
    if lr and "lr" not in hyper:
        hyper["lr"] = LR[optimizer][land]
    group = {"label": optimizer, "optimizer": optimizer, "hyper": hyper,
             "init": {"kind": "points", "points": points}}
    if schedule is not None:
        group["schedule"] = schedule
    return {
        "id": cid,
        "title": cid,
        "seed": 0,
        "landscape": landscape,
        "run": {"steps": steps, "record_every": 1, "record_dtype": "float64"},
        "groups": groups if groups is not None else [group],
    }


def build_cases() -> list[dict]:
    cases: list[dict] = []
    add = cases.append

    # Every optimizer with torch's defaults (hyper = {}), and with a tuned lr.
    for opt in TORCH_OPTIMIZERS:
        add(case(f"{opt}-defaults-himmelblau", opt, "himmelblau", lr=False))
        for land in ("rosenbrock", "beale", "ravine"):
            add(case(f"{opt}-lr-{land}", opt, land))
    add(case("adam-lr-rastrigin", "adam", "rastrigin"))
    add(case("sgd-lr-rastrigin", "sgd", "rastrigin"))
    add(case("rmsprop-lr-rastrigin", "rmsprop", "rastrigin"))

    two_lands = ("rosenbrock", "himmelblau")

    def options(opt, name, hyper, lands=two_lands, **kw):
        for land in lands:
            add(case(f"{opt}-{name}-{land}", opt, land, hyper, **kw))

    # SGD family
    options("sgd", "momentum0.5", {"momentum": 0.5})
    options("sgd", "momentum-dampening", {"momentum": 0.9, "dampening": 0.3})
    options("sgd", "nesterov0.7", {"momentum": 0.7, "nesterov": True})
    options("sgd", "wd", {"weight_decay": 0.1})
    options("sgd", "momentum-dampening-wd", {"momentum": 0.8, "dampening": 0.5,
                                             "weight_decay": 0.05})
    options("momentum", "wd", {"weight_decay": 0.1})
    options("momentum", "m0.95", {"momentum": 0.95})
    options("nesterov", "wd", {"weight_decay": 0.1})
    # Adagrad
    options("adagrad", "lr_decay", {"lr_decay": 0.05})
    options("adagrad", "init_acc", {"initial_accumulator_value": 0.5})
    options("adagrad", "wd", {"weight_decay": 0.1})
    options("adagrad", "eps", {"eps": 1e-2})
    options("adagrad", "all", {"lr_decay": 0.02, "initial_accumulator_value": 0.1,
                               "weight_decay": 0.05})
    # RMSprop
    options("rmsprop", "centered", {"centered": True})
    options("rmsprop", "momentum", {"momentum": 0.8})
    options("rmsprop", "centered-momentum", {"centered": True, "momentum": 0.5})
    options("rmsprop", "wd", {"weight_decay": 0.1})
    options("rmsprop", "alpha0.9", {"alpha": 0.9, "eps": 1e-4}, lands=("rosenbrock",))
    add(case("rmsprop-alpha0.9-himmelblau", "rmsprop", "himmelblau",
             {"lr": 2e-3, "alpha": 0.9, "eps": 1e-4}))
    # Adadelta
    options("adadelta", "rho-eps", {"rho": 0.95, "eps": 1e-4}, lands=("rosenbrock", "ravine"))
    options("adadelta", "wd", {"weight_decay": 0.1})
    options("adadelta", "lr0.5", {"lr": 0.5})
    # Adam / AdamW
    options("adam", "amsgrad", {"amsgrad": True})
    options("adam", "l2", {"weight_decay": 0.1})
    options("adam", "decoupled", {"weight_decay": 0.1, "decoupled_weight_decay": True})
    options("adam", "betas-eps", {"betas": [0.8, 0.99], "eps": 1e-3})
    options("adam", "amsgrad-l2", {"amsgrad": True, "weight_decay": 0.05})
    options("adamw", "wd0.1", {"weight_decay": 0.1})
    options("adamw", "amsgrad", {"amsgrad": True, "weight_decay": 0.05})
    options("adamw", "wd0", {"weight_decay": 0.0})
    # Adamax
    options("adamax", "wd", {"weight_decay": 0.1})
    options("adamax", "betas-eps", {"betas": [0.8, 0.95], "eps": 1e-3})
    # NAdam
    options("nadam", "l2", {"weight_decay": 0.1}, lands=("rosenbrock", "beale"))
    options("nadam", "decoupled", {"weight_decay": 0.1, "decoupled_weight_decay": True},
            lands=("rosenbrock", "ravine"))
    options("nadam", "momentum_decay", {"momentum_decay": 0.01, "betas": [0.85, 0.99]},
            lands=("rosenbrock", "ravine"))
    # RAdam
    options("radam", "l2", {"weight_decay": 0.1})
    options("radam", "decoupled", {"weight_decay": 0.1, "decoupled_weight_decay": True})
    options("radam", "betas", {"betas": [0.8, 0.99]})

    # Schedules, each kind on SGD momentum and Adam (and a few others).
    schedules = {
        "step": {"kind": "step", "step_size": 10, "gamma": 0.5},
        "step-default-gamma": {"kind": "step", "step_size": 25},
        "multistep": {"kind": "multistep", "milestones": [5, 20, 40], "gamma": 0.5},
        "exponential": {"kind": "exponential", "gamma": 0.97},
        "cosine": {"kind": "cosine", "T_max": 25, "eta_min": 1e-4},
        "cosine-default": {"kind": "cosine", "T_max": 80},
        "linear": {"kind": "linear"},
        "linear-custom": {"kind": "linear", "start_factor": 0.1, "end_factor": 0.8,
                          "total_iters": 20},
        "inverse_time": {"kind": "inverse_time", "decay_rate": 0.1},
        "inverse_time-steps": {"kind": "inverse_time", "decay_rate": 0.5, "decay_steps": 10},
        "constant": {"kind": "constant"},
    }
    for sname, sched in schedules.items():
        add(case(f"momentum-sched-{sname}-himmelblau", "momentum", "himmelblau",
                 schedule=sched))
        add(case(f"adam-sched-{sname}-rosenbrock", "adam", "rosenbrock", schedule=sched))
    add(case("adagrad-lr_decay-sched-step-beale", "adagrad", "beale", {"lr_decay": 0.05},
             schedule=schedules["step"]))
    add(case("adamw-sched-cosine-himmelblau", "adamw", "himmelblau", {"weight_decay": 0.1},
             schedule=schedules["cosine"]))
    add(case("nadam-sched-exponential-beale", "nadam", "beale",
             {"weight_decay": 0.05, "decoupled_weight_decay": True},
             schedule=schedules["exponential"]))
    add(case("radam-sched-linear-ravine", "radam", "ravine", schedule=schedules["linear"]))
    add(case("rmsprop-sched-multistep-ravine", "rmsprop", "ravine", {"momentum": 0.5},
             schedule=schedules["multistep"]))
    add(case("adadelta-sched-inverse_time-himmelblau", "adadelta", "himmelblau",
             schedule=schedules["inverse_time"]))
    add(case("adamax-sched-step-rosenbrock", "adamax", "rosenbrock",
             schedule=schedules["step"]))
    add(case("nesterov-sched-cosine-beale", "nesterov", "beale",
             schedule=schedules["cosine"]))

    # Longer runs and several groups in one experiment.
    add(case("adam-long-rosenbrock", "adam", "rosenbrock", steps=100))
    add(case("nadam-long-rosenbrock", "nadam", "rosenbrock", steps=100))
    add(case("radam-long-beale", "radam", "beale", steps=100))
    g = [
        {"label": "adam", "optimizer": "adam", "hyper": {"lr": 0.05},
         "init": {"kind": "points", "points": [[0.0, 0.0], [-1.0, 2.5]]}},
        {"label": "momentum", "optimizer": "momentum", "hyper": {"lr": 0.005},
         "schedule": {"kind": "exponential", "gamma": 0.98},
         "init": {"kind": "points", "points": [[2.0, -1.5]]}},
        {"label": "rmsprop", "optimizer": "rmsprop",
         "hyper": {"lr": 0.02, "centered": True},
         "init": {"kind": "points", "points": [[1.0, 1.0], [-3.0, -3.0]]}},
    ]
    add(case("three-groups-himmelblau", "adam", "himmelblau", groups=g))

    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


def compute(cases):
    return {c["id"]: torch_trajectory(c) for c in cases}


def amplification(case, positions, rel=1e-13):
    """How much relative noise added after every step grows by the end of the run.

    Another implementation (the Numba engine: a different form of the gradient,
    other operation order) rounds differently at every step; a case whose
    trajectory amplifies such noise by more than ~1e4 cannot be compared at
    rtol 1e-10, so such cases are refused.
    """
    return float(np.max(np.abs(torch_trajectory(case, perturb=rel) - positions)) / rel)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    import torch

    cases = build_cases()
    trajectories = compute(cases)
    for cid, pos in trajectories.items():
        if not np.all(np.isfinite(pos)):
            raise SystemExit(f"case {cid} diverged in torch; choose a smaller lr")
    for c in cases:
        amp = amplification(c, trajectories[c["id"]])
        if amp > 1e4:
            raise SystemExit(f"case {c['id']} amplifies rounding {amp:.0f}x; change it")
    if args.check:
        with np.load(FIXTURE) as z:
            stored = json.loads(str(z["cases_json"]))
            assert [c["id"] for c in stored] == [c["id"] for c in cases], "case list changed"
            for i, c in enumerate(cases):
                np.testing.assert_allclose(z[f"pos_{i:03d}"], trajectories[c["id"]],
                                           rtol=1e-12, atol=1e-14, err_msg=c["id"])
        print(f"fixture up to date: {len(cases)} cases")
        return 0
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"pos_{i:03d}": trajectories[c["id"]] for i, c in enumerate(cases)}
    tmp = FIXTURE.with_name(FIXTURE.stem + ".tmp.npz")
    np.savez_compressed(
        tmp,
        cases_json=np.array(json.dumps(cases, indent=None, sort_keys=True)),
        torch_version=np.array(torch.__version__),
        **arrays,
    )
    tmp.replace(FIXTURE)
    print(f"wrote {FIXTURE.relative_to(ROOT)}: {len(cases)} cases, "
          f"{FIXTURE.stat().st_size / 1024:.0f} KiB, torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

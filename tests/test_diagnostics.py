"""Each optimizer's diagnostics (its spec's state docs, step factors, weight decay) are right:
against closed forms, torch.optim's internals, the kernels' coefficients and NumPy twins."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import experiment, offscreen_scene
from numpy_reference import RefOptimizer, loss_and_grad

from optviz.core.optimizers import FAMILIES, OPTIMIZERS, get_optimizer, radam
from optviz.experiment import run_experiment

torch = pytest.importorskip("torch")

STEPS = np.arange(1, 301, dtype=np.float64)


@pytest.fixture
def float64_torch():
    """torch keeps its step counters in the default dtype: float64, as optviz computes."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _factors(name, steps=STEPS, **hyper):
    spec = get_optimizer(name)
    return {f.key: v for f, v in spec.time_factors(spec.resolve(hyper), steps)}


def test_every_spec_documents_its_state_factors_and_corrections():
    for name, spec in OPTIMIZERS.items():
        assert tuple(d.name for d in spec.state_docs) == spec.state, name
        assert all(d.symbol and d.meaning for d in spec.state_docs), name
        keys = {f.key for f in spec.factors}
        assert (spec.factor_values is None) == (not spec.factors), name
        if spec.factors:
            assert set(spec.factor_values(spec.resolve({}), STEPS)) == keys, name
        for c in spec.corrected:
            assert c.state in spec.state and c.factor in keys, (name, c)
    # the methods that have time factors, and only they
    assert {n for n, s in OPTIMIZERS.items() if s.factors} == {"adam", "adamw", "adamax", "nadam", "radam"}
    assert [f.symbol for f in get_optimizer("nadam").factors] == ["μ_t", "1/(1−β₂ᵗ)"]
    assert [f.symbol for f in get_optimizer("radam").factors] == ["1/(1−β₁ᵗ)", "r_t"]
    assert [f.symbol for f in get_optimizer("adamax").factors] == ["1/(1−β₁ᵗ)"]


def test_adam_bias_correction_matches_the_lecture_table_and_switches_off():
    f = _factors("adam", np.array([0.0, 1, 5, 50, 100]))
    assert np.isnan(f["bc1"][0]) and np.isnan(f["bc2"][0])
    np.testing.assert_allclose(f["bc1"][1:], [10.0, 2.4419, 1.00518, 1.0000266], rtol=1e-4)
    np.testing.assert_allclose(f["bc2"][1:], [1000.0, 200.40, 20.49, 10.50], rtol=1e-3)
    off = _factors("adam", bias_correction=False)
    assert np.all(off["bc1"] == 1.0) and np.all(off["bc2"] == 1.0)
    assert np.all(_factors("adamax", bias_correction=False)["bc1"] == 1.0)
    np.testing.assert_allclose(_factors("adamax", betas=(0.8, 0.99))["bc1"], 1 / (1 - 0.8**STEPS))


def test_factors_are_what_the_kernels_use():
    """The closed forms equal the coefficients the kernels step with (optviz.core.kernels)."""
    h = get_optimizer("adam").resolve({"betas": (0.8, 0.99)})
    cols = FAMILIES["adam"].columns(h)
    f = _factors("adam", betas=(0.8, 0.99))
    for t in (1, 2, 7, 120):
        out = FAMILIES["adam"].coefficients(float(t), 0.5, 1.0, *(cols[c] for c in FAMILIES["adam"].COLUMNS))
        coef = dict(zip(("carry",) + FAMILIES["adam"].COEFFICIENTS, out, strict=True))
        assert coef["step_size"] == pytest.approx(0.5 * f["bc1"][t - 1], rel=1e-14)
        assert 1.0 / coef["bc2"] == pytest.approx(f["bc2"][t - 1], rel=1e-14)
    h = get_optimizer("radam").resolve({})
    cols = radam.columns(h)
    r = _factors("radam")["r"]
    for t in range(1, 40):
        out = radam.coefficients(float(t), 1e-3, 1.0, *(cols[c] for c in radam.COLUMNS))
        coef = dict(zip(("carry",) + radam.COEFFICIENTS, out, strict=True))
        if coef["rectified"]:
            assert coef["rect"] == pytest.approx(r[t - 1], rel=1e-14)
        else:
            assert np.isnan(r[t - 1])


def test_nadam_mu_matches_torch_mu_product(float64_torch):
    """μ_t: torch keeps Π_t = μ_1 ⋯ μ_t as state['mu_product']."""
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = torch.optim.NAdam([p], lr=1e-2, momentum_decay=0.05)
    products = []
    for _ in range(60):
        opt.zero_grad()
        (p**2).sum().backward()
        opt.step()
        products.append(float(opt.state[p]["mu_product"]))
    mu = _factors("nadam", np.arange(1, 61, dtype=np.float64), momentum_decay=0.05)["mu"]
    np.testing.assert_allclose(np.cumprod(mu), products, rtol=1e-12)
    assert mu[0] == pytest.approx(0.9 * (1 - 0.5 * 0.96**0.05))
    # NAdam's μ_t is not Adam's bias correction: about β₁/2 at first, rising toward β₁
    assert 0.45 < mu[0] < mu[-1] < 0.9


def test_radam_rectification_matches_torch_updates(float64_torch):
    """r_t recovered from torch.optim.RAdam's own steps: absent (plain momentum) until ρ_t > 5."""
    lr, eps = 1e-2, 1e-8
    p = torch.nn.Parameter(torch.tensor([1.5, -0.7], dtype=torch.float64))
    opt = torch.optim.RAdam([p], lr=lr, eps=eps)
    r = _factors("radam", np.arange(1, 41, dtype=np.float64))["r"]
    seen_off = seen_on = 0
    for t in range(1, 41):
        before = p.detach().clone()
        opt.zero_grad()
        (p**4 + 3 * p**2).sum().backward()
        opt.step()
        state = opt.state[p]
        m_hat = state["exp_avg"] / (1 - 0.9**t)
        step = (before - p.detach()).numpy()
        if np.isnan(r[t - 1]):
            np.testing.assert_allclose(step, lr * m_hat.numpy(), rtol=1e-12)
            seen_off += 1
        else:
            adaptive = np.sqrt(1 - 0.999**t) / (np.sqrt(state["exp_avg_sq"].numpy()) + eps)
            recovered = step / (lr * m_hat.numpy() * adaptive)
            np.testing.assert_allclose(recovered, r[t - 1], rtol=1e-9)
            seen_on += 1
    assert seen_off == 5 and seen_on == 35
    assert radam.first_rectified_step(get_optimizer("radam").resolve({})) == 6


def test_weight_decay_modes_are_the_specs():
    assert get_optimizer("adam").weight_decay_mode(get_optimizer("adam").resolve({})) is None
    assert get_optimizer("adam").weight_decay_mode({"weight_decay": 0.1}) == "l2"
    assert get_optimizer("adamw").weight_decay_mode(get_optimizer("adamw").resolve({})) == "decoupled"
    assert get_optimizer("lion").weight_decay_mode({"weight_decay": 0.1}) == "decoupled"
    assert get_optimizer("sgd").weight_decay_mode({"weight_decay": 0.1, "decoupled_weight_decay": True}) == "decoupled"


DECAY_GROUPS = [
    {"optimizer": "adam", "hyper": {"lr": 0.05, "weight_decay": 0.5},
     "schedule": {"kind": "exponential", "gamma": 0.98}},
    {"optimizer": "adamw", "hyper": {"lr": 0.05, "weight_decay": 0.5},
     "schedule": {"kind": "exponential", "gamma": 0.98}},
    {"optimizer": "sgd", "hyper": {"lr": 5e-4, "weight_decay": 0.5}},
    {"optimizer": "adam", "hyper": {"lr": 0.05}},
]
START = [[-1.2, 1.7]]


def _reference_decay(group, steps):
    """The decay part of each step from a NumPy twin: Adam + L2 lr_t λ|θ| / (√v̂ + eps), where v
    includes the L2 term; decoupled and SGD lr_t λ|θ|; θ the position the step started from."""
    opt = RefOptimizer(group["optimizer"], group["hyper"], np.array(START, dtype=np.float64))
    h, lam = opt.h, group["hyper"]["weight_decay"]
    gamma = group.get("schedule", {}).get("gamma", 1.0)
    theta = np.array(START, dtype=np.float64)
    out = []
    for t in range(1, steps + 1):
        lr = h["lr"] * gamma ** (t - 1)
        _, grad = loss_and_grad({"name": "rosenbrock"}, theta)
        new, _ = opt.step(theta.copy(), grad.copy(), lr)
        if group["optimizer"] == "adam":
            v_hat = opt.v / (1 - h["betas"][1] ** t)
            out.append(lr * lam * np.abs(theta) / (np.sqrt(v_hat) + h["eps"]))
        else:
            out.append(lr * lam * np.abs(theta))
        theta = new
    return np.concatenate(out)


def test_weight_decay_plot_draws_the_decay_applied_per_step(qtbot):
    exp = experiment([{**g, "init": {"kind": "points", "points": START}} for g in DECAY_GROUPS], steps=60,
                     record_dtype="float64")
    res = run_experiment(exp)
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": ["weight_decay"]})
    scene.show_frame(len(res.step) - 1)
    side = scene.side
    assert side.names == ["weight_decay"]
    curves = side._items["weight_decay"]["curves"]
    drawn = side.drawn_curves("weight_decay")
    assert len(drawn) == 6  # x and y of the three groups with decay; the group without draws nothing
    for k, group in enumerate(DECAY_GROUPS[:3]):
        ref = _reference_decay(group, 60)
        for axis in (0, 1):
            x, y = drawn[2 * k + axis]
            np.testing.assert_array_equal(x, res.step)
            assert np.isnan(y[0])  # no step led to frame 0
            np.testing.assert_allclose(10 ** y[1:], ref[:, axis], rtol=1e-9)
    # Adam's L2 decay, divided by √v̂, is far smaller than AdamW's lr·λ|θ| where gradients are large
    assert np.all(drawn[0][1][1:20] < drawn[2][1][1:20] - 1)
    legend = [label.text for _sample, label in side.plots["weight_decay"].legend.items]
    assert legend == ["Adam: L2, preconditioned LR·λ|θ|", "AdamW: decoupled, lr·λ|θ|",
                      "SGD (gradient descent): L2, preconditioned LR·λ|θ|"]
    assert len(curves) == 6


def test_bias_correction_plot_draws_each_groups_own_factors(qtbot):
    groups = [{"optimizer": "nadam", "hyper": {"lr": 0.01}}, {"optimizer": "adam", "hyper": {"lr": 0.01}},
              {"optimizer": "radam", "hyper": {"lr": 0.01}}, {"optimizer": "sgd", "hyper": {"lr": 1e-3}}]
    exp = experiment([{**g, "init": {"kind": "points", "points": START}} for g in groups], steps=40)
    res = run_experiment(exp)
    scene = offscreen_scene(qtbot, exp, res, {"side_plots": ["bias_correction"]})
    scene.show_frame(len(res.step) - 1)
    side = scene.side
    drawn = side.drawn_curves("bias")
    legend = [label.text for _sample, label in side.plots["bias"].legend.items]
    assert legend == ["NAdam: μ_t", "NAdam: 1/(1−β₂ᵗ)", "Adam: 1/(1−β₁ᵗ)", "Adam: 1/(1−β₂ᵗ)",
                      "RAdam: 1/(1−β₁ᵗ)", "RAdam: r_t"]
    t = res.step.astype(np.float64)
    mu = 0.9 * (1 - 0.5 * 0.96 ** (t[1:] * 4e-3))
    np.testing.assert_allclose(10 ** drawn[0][1][1:], mu, rtol=1e-12)  # NAdam's, not Adam's 1/(1-β₁ᵗ)
    np.testing.assert_allclose(10 ** drawn[2][1][1:], 1 / (1 - 0.9 ** t[1:]), rtol=1e-12)
    r = 10 ** drawn[5][1]
    assert np.all(np.isnan(r[:6])) and np.all(np.isfinite(r[6:]))  # RAdam's r_t from step 6


def test_inspector_names_state_and_factors_from_the_spec():
    from optviz.app.inspector import inspection_rows

    def info(name, state, t=3):
        steps = np.arange(t + 1)
        n = len(steps)
        return {"steps": steps, "positions": np.zeros((n, 2)), "loss": np.ones(n), "grad": np.ones((n, 2)),
                "lr_preconditioned": np.ones((n, 2)), "lr_realized": np.ones((n, 2)), "step": t,
                "optimizer": name, "hyper": get_optimizer(name).resolve({}), "index": 0, "state": state}

    m, v = np.array([0.1, -0.2]), np.array([0.3, 0.4])
    _, rows = inspection_rows(info("adam", {"exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": v}), 3)
    text = {r[0]: r[1:] for r in rows}
    assert "first moment m: ingredient 1, the direction (momentum's average of g)  [exp_avg]" in text
    assert "second moment v: ingredient 2, the scale (RMSProp's average of g²)  [exp_avg_sq]" in text
    assert float(text["1/(1−β₁ᵗ) = bias correction of m"][0]) == pytest.approx(1 / (1 - 0.9**3), rel=1e-6)
    assert float(text["m̂ = m / (1−β₁ᵗ)"][1]) == pytest.approx(-0.2 / (1 - 0.9**3), rel=1e-6)
    assert float(text["v̂ = v / (1−β₂ᵗ)"][0]) == pytest.approx(0.3 / (1 - 0.999**3), rel=1e-6)
    _, rows = inspection_rows(info("nadam", {"exp_avg": m, "exp_avg_sq": v}), 3)
    names = [r[0] for r in rows]
    assert any(n.startswith("μ_t = ") for n in names) and not any(n.startswith("m̂") for n in names)
    _, rows = inspection_rows(info("radam", {"exp_avg": m, "exp_avg_sq": v}), 3)
    assert [r[1] for r in rows if r[0].startswith("r_t")] == ["not acting yet"]
    _, rows = inspection_rows(info("adagrad", {"sum": v}), 3)
    assert any("sum of squared gradients G" in r[0] for r in rows)


def test_imports_under_python_OO():
    """``python -OO`` strips docstrings: the update rules are data, so the package still imports."""
    proc = subprocess.run([sys.executable, "-OO", "-c", "import optviz.core.optimizers; import optviz.cli"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


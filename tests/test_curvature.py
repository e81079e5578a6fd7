"""Exact curvature: Hessians of every kind of surface, sharpness along a run, stability thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from helpers import experiment

from optviz.core.curvature import (
    eigen,
    hessian,
    preconditioned_sharpness,
    sharpness,
    stability_threshold,
    symbolic_hessian,
)
from optviz.core.data import make_dataset
from optviz.core.expressions.grammar import parse_expression
from optviz.core.expressions.symbolic import X, Y, to_sympy
from optviz.core.landscapes import LANDSCAPES
from optviz.core.optimizers import get_optimizer
from optviz.core.surface import builtin_surface, data_surface, expression_surface
from optviz.experiment import load_result, run_experiment

#: Non-default parameters, so that the expressions are checked away from the defaults too.
OVERRIDES = {"rosenbrock": {"a": -0.5, "b": 7.0}, "rastrigin": {"A": 3.0}, "ackley": {"a": 5.0, "b": 0.7, "c": 2.0},
             "ravine": {"condition": 9.0, "angle": 70.0}, "plateau": {"height": 2.0, "steepness": 3.0, "width": 0.8}}


def _points(bounds, n, seed):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = bounds
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def _finite_difference_hessian(surface, x, y, eps=1e-5):
    """Central differences of the exact gradient: (..., 2, 2)."""
    out = np.empty(np.shape(x) + (2, 2))
    for k, (dx, dy) in enumerate(((eps, 0.0), (0.0, eps))):
        _, gxp, gyp = surface.value_and_grad(x + dx, y + dy)
        _, gxm, gym = surface.value_and_grad(x - dx, y - dy)
        out[..., 0, k] = (gxp - gxm) / (2 * eps)
        out[..., 1, k] = (gyp - gym) / (2 * eps)
    return out


def _assert_close_to_differences(surface, x, y, rtol=1e-6):
    exact = hessian(surface, x, y)
    numeric = _finite_difference_hessian(surface, x, y)
    scale = 1.0 + np.abs(exact).max(axis=(-2, -1), keepdims=True)
    assert np.all(np.abs(exact - numeric) <= rtol * scale), np.abs(exact - numeric).max()
    np.testing.assert_array_equal(exact[..., 0, 1], exact[..., 1, 0])


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_builtin_expression_agrees_with_the_compiled_landscape(name):
    """Each built-in's expression (the source of its Hessian) has its compiled value and gradient."""
    spec = LANDSCAPES[name]
    assert spec.expression, f"{name} has no expression"
    sym = to_sympy(parse_expression(spec.expression, spec.param_names))
    function = sympy.lambdify((X, Y, *sym.params), [sym.f, sym.dfdx, sym.dfdy], "numpy")
    for params in ({}, OVERRIDES.get(name, {})):
        surface = builtin_surface(name, params)
        values = dict(zip(spec.param_names, surface.param_values, strict=False))
        x, y = _points(spec.bounds, 200, seed=spec.id)
        expected = function(x, y, *(values[p.name] for p in sym.params))
        for got, want in zip(surface.value_and_grad(x, y), expected, strict=True):
            want = np.broadcast_to(want, x.shape)
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * (1 + np.abs(want).max()))


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_builtin_hessian_matches_differences_of_the_exact_gradient(name):
    spec = LANDSCAPES[name]
    for params in ({}, OVERRIDES.get(name, {})):
        surface = builtin_surface(name, params)
        x, y = _points(spec.bounds, 100, seed=100 + spec.id)
        _assert_close_to_differences(surface, x, y)


def _random_expression(rng, depth):
    """A random expression of the grammar in x, y and the parameter a (smooth almost everywhere)."""
    if depth == 0:
        return str(rng.choice(["x", "y", "a", "0.5", "2"]))
    kind = rng.integers(0, 4)
    u = _random_expression(rng, depth - 1)
    if kind == 0:
        template = rng.choice(["sin({})", "cos({})", "tanh({})", "arctan({})", "sqrt(1 + ({})**2)",
                               "log(2 + cos({}))", "exp(sin({}))", "abs({})", "({})**3"])
        return template.format(u)
    v = _random_expression(rng, depth - 1)
    if kind == 1:
        return f"min({u}, {v})" if rng.integers(0, 2) else f"max({u}, {v})"
    return f"({u}) {rng.choice(['+', '-', '*'])} ({v})"


@pytest.mark.parametrize("seed", range(5))
def test_expression_hessian_matches_differences_of_the_exact_gradient(seed):
    rng = np.random.default_rng(seed)
    text = f"{_random_expression(rng, 3)} + x*y**2 - a*x**2"
    surface = expression_surface(text, {"a": 0.7})
    x, y = _points(((-2.0, 2.0), (-2.0, 2.0)), 60, seed=seed)
    _assert_close_to_differences(surface, x, y, rtol=1e-5)


def test_abs_min_max_hessians_are_those_of_the_active_piece():
    surface = expression_surface("abs(x**2 - 1) * y + min(x*y, y**2) + max(x, 0)**3")
    x = np.array([0.5, 2.0, -0.3])
    y = np.array([1.5, -1.0, -0.25])
    h = hessian(surface, x, y)
    # active pieces: (1 - x²) y + x y + x³ at (0.5, 1.5); (x² - 1) y + x y + x³ at (2, -1);
    # (1 - x²) y + y² + 0 at (-0.3, -0.25)
    np.testing.assert_allclose(h[0], [[-2 * 1.5 + 6 * 0.5, -2 * 0.5 + 1], [-2 * 0.5 + 1, 0]], atol=1e-15)
    np.testing.assert_allclose(h[1], [[2 * -1.0 + 6 * 2.0, 2 * 2.0 + 1], [2 * 2.0 + 1, 0]])
    np.testing.assert_allclose(h[2], [[-2 * -0.25, 0.6], [0.6, 2]])
    assert not any(e.has(sympy.DiracDelta, sympy.Derivative) for e in symbolic_hessian("min(max(x, 2), y*x)", ()))


@pytest.mark.parametrize("model, true", [("linear", {"w": 2.0, "b": -1.0}), ("logistic", {"w": 3.0, "b": 0.5}),
                                         ("tanh", {"a": 1.5, "b": 2.0})])
def test_data_model_hessian_matches_differences_of_the_exact_gradient(model, true):
    surface = data_surface(model, make_dataset(model, 150, 0.3, 4, **true))
    x, y = _points(surface.bounds, 40, seed=7)
    _assert_close_to_differences(surface, x, y)


def test_booth_sharpness_is_18_everywhere_and_eigen_is_a_decomposition():
    booth = builtin_surface("booth")
    x, y = _points(((-1e3, 1e3), (-1e3, 1e3)), 1000, seed=1)
    np.testing.assert_allclose(sharpness(booth, x, y), 18.0, rtol=1e-15)
    values, vectors = eigen(hessian(booth, 3.0, -2.0))
    np.testing.assert_allclose(values, [18.0, 2.0])
    np.testing.assert_allclose(np.abs(vectors[:, 0]), [math.sqrt(0.5)] * 2)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 2, 2))
    h = a + np.swapaxes(a, -1, -2)
    h[0] = [[3.0, 0.0], [0.0, 3.0]]  # a repeated eigenvalue
    values, vectors = eigen(h)
    np.testing.assert_allclose(values, np.linalg.eigvalsh(h)[:, ::-1], atol=1e-12)
    np.testing.assert_allclose(h @ vectors, vectors * values[:, None, :], atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(vectors, -1, -2) @ vectors, np.broadcast_to(np.eye(2), h.shape),
                               atol=1e-12)


def test_preconditioned_sharpness_is_that_of_the_symmetrized_matrix():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(100, 2, 2))
    h = a + np.swapaxes(a, -1, -2)
    p = rng.uniform(0.1, 10.0, size=(100, 2))
    expected = np.array([np.linalg.eigvals(np.diag(1 / q) @ m).real.max() for m, q in zip(h, p, strict=True)])
    np.testing.assert_allclose(preconditioned_sharpness(h, p), expected, rtol=1e-12)
    assert np.isnan(preconditioned_sharpness(h[0], [np.nan, 1.0]))


def _distance_to_booth_minimum(result):
    return np.hypot(result.positions[:, :, 0] - 1.0, result.positions[:, :, 1] - 3.0)


def test_gd_on_booth_diverges_just_above_2_over_18_and_converges_just_below():
    start = {"kind": "point", "point": [-4.0, 6.0]}
    groups = [{"optimizer": "gd", "hyper": {"lr": factor * 2 / 18}, "init": start} for factor in (0.98, 1.02)]
    result = run_experiment(experiment(groups, landscape="booth", steps=3000, record_dtype="float64"))
    distance = _distance_to_booth_minimum(result)
    assert distance[-1, 0] < 1e-12 * distance[0, 0] and result.diverged_at[0] == -1
    assert result.diverged_at[1] > 0 or distance[-1, 1] > 1e12 * distance[0, 1]


def _lr_at_threshold(optimizer, hyper, curvature):
    """The lr at which the threshold equals ``curvature`` (bisection in log lr)."""
    spec = get_optimizer(optimizer)
    resolved = spec.resolve(hyper)
    low, high = 1e-6, 10.0
    for _ in range(200):
        mid = math.sqrt(low * high)
        if stability_threshold(spec, resolved, mid).value > curvature:
            low = mid
        else:
            high = mid
    return low


@pytest.mark.parametrize("optimizer, hyper", [
    ("momentum", {}),
    ("nesterov", {"momentum": 0.5}),
    ("momentum", {"dampening": 0.3}),
    ("momentum", {"momentum_form": "ema", "momentum": 0.8}),
    ("sgd", {"weight_decay": 1.5}),
    ("momentum", {"weight_decay": 2.0, "decoupled_weight_decay": True}),
    ("nesterov", {"weight_decay": 3.0, "decoupled_weight_decay": True}),
])
def test_sgd_thresholds_separate_stable_from_unstable_runs_on_booth(optimizer, hyper):
    """Run at 3% below and above the lr whose threshold is Booth's sharpness 18."""
    lr = _lr_at_threshold(optimizer, hyper, 18.0)
    start = {"kind": "point", "point": [-4.0, 6.0]}
    groups = [{"optimizer": optimizer, "hyper": {**hyper, "lr": factor * lr}, "init": start} for factor in (0.97, 1.03)]
    result = run_experiment(experiment(groups, landscape="booth", steps=4000, record_every=4000))
    distance = _distance_to_booth_minimum(result)
    shrink = distance[-1] / distance[0]
    assert result.diverged_at[0] == -1 and shrink[0] < 0.5, shrink
    assert result.diverged_at[1] > 0 or shrink[1] > 1e6, shrink


def test_thresholds_of_gd_momentum_nesterov_and_adam():
    def value(name, **hyper):
        spec = get_optimizer(name)
        return stability_threshold(spec, spec.resolve({"lr": 0.01, **hyper}))

    gd = value("gd")
    assert (gd.quantity, gd.value, gd.formula) == ("sharpness", pytest.approx(200.0), "2/lr")
    assert value("momentum", momentum=0.9).value == pytest.approx(2 * 1.9 / 0.01)
    assert value("nesterov", momentum=0.9).value == pytest.approx((2 + 1.8) / (2.8 * 0.01))
    adam = value("adam", betas=(0.9, 0.999))
    assert adam.quantity == "preconditioned_sharpness" and adam.value == pytest.approx(3.8 / (0.1 * 0.01))
    assert value("rmsprop").value == pytest.approx(200.0)
    assert value("nadam") is None and value("lion") is None
    swept = stability_threshold("momentum", get_optimizer("momentum").resolve({}), lr=np.array([0.1, 0.2]))
    np.testing.assert_allclose(swept.value, [38.0, 19.0])


def test_run_records_sharpness_and_the_adam_preconditioned_sharpness(tmp_path):
    """Booth's sharpness 18 in the npz; Adam's P^(-1/2) H P^(-1/2) from an independent replay of its state."""
    start = {"kind": "uniform", "low": [-5.0, -5.0], "high": [5.0, 5.0], "count": 3}
    groups = [
        {"optimizer": "adam", "hyper": {"lr": {"values": [0.05, 0.3]}, "betas": [0.8, 0.99]},
         "schedule": {"kind": "exponential", "gamma": 0.97}, "init": start},
        {"optimizer": "momentum", "hyper": {"lr": 0.01}, "init": start},
        {"optimizer": "gd", "hyper": {"lr": 0.2}, "init": start},  # unstable: diverges
    ]
    exp = experiment(groups, landscape="booth", steps=300, record_dtype="float64")
    result = run_experiment(exp, curvature=True)
    path = tmp_path / "run.npz"
    result.save(path)
    with np.load(path) as data:
        for name in ("sharpness", "preconditioned_sharpness"):
            assert data[name].shape == (301, 12) and data[name].dtype == np.float64
    back = load_result(path)
    alive = np.isfinite(back.loss)
    np.testing.assert_allclose(back.sharpness[alive], 18.0, rtol=1e-12)
    assert np.isnan(back.sharpness[~alive]).all() and (~alive).any()
    assert np.isnan(back.preconditioned_sharpness[:, 6:]).all(), "SGD has no preconditioner"
    assert np.isnan(back.preconditioned_sharpness[0]).all(), "no step taken at frame 0"

    # Adam replayed from the recorded gradients: v_t from g at frames 0..t-1, P = sqrt(v_t / (1 - β2^t)) + eps.
    h = hessian(builtin_surface("booth"), 0.0, 0.0)
    grads = back.grad[:, :6]
    v = np.zeros((6, 2))
    for t in range(1, 301):
        v = 0.99 * v + 0.01 * grads[t - 1] ** 2
        p = np.sqrt(v / (1 - 0.99**t)) + 1e-8
        expected = [np.linalg.eigvalsh(h / np.sqrt(np.outer(q, q))).max() for q in p]
        np.testing.assert_allclose(back.preconditioned_sharpness[t, :6], expected, rtol=1e-9)
    adam = stability_threshold("adam", exp.groups[0].resolved_hyper())
    assert adam.value == pytest.approx((2 + 1.6) / (0.2 * 0.05))


def test_results_without_curvature_save_and_load_without_it(tmp_path):
    result = run_experiment(experiment([{"optimizer": "gd", "hyper": {"lr": 0.01}}], steps=5))
    assert result.sharpness is None and result.preconditioned_sharpness is None
    result.save(tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz") as data:
        assert "sharpness" not in data
    assert load_result(tmp_path / "plain.npz").sharpness is None

"""The worked examples of REFERENCE.md (from source document 000) come out of optviz exactly.

Both examples run on y = w²/2. optviz's ``ravine`` landscape with condition = 1 and
angle = 0 is exactly 0.5·(x² + y²), so from (1, 1) each coordinate follows w.
"""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.optimizers import adam, bias_correction_factors
from optviz.experiment import Experiment, run_experiment

W_SQUARED_HALF = {"name": "ravine", "params": {"condition": 1.0, "angle": 0.0}}


def run(optimizer: str, hyper: dict, steps: int):
    exp = Experiment.from_dict({
        "title": "worked example", "seed": 0,
        "landscape": W_SQUARED_HALF,
        "run": {"steps": steps, "record_every": 1, "record_dtype": "float64"},
        "groups": [{"label": optimizer, "optimizer": optimizer, "hyper": hyper,
                    "init": {"kind": "points", "points": [[1.0, 1.0]]}}],
    })
    res = run_experiment(exp)
    np.testing.assert_array_equal(res.step, np.arange(steps + 1))
    pos = np.asarray(res.positions, dtype=np.float64)
    assert pos.dtype == np.float64
    # Both coordinates follow the same one-dimensional example.
    np.testing.assert_array_equal(pos[:, 0, 0], pos[:, 0, 1])
    return res, pos[:, 0, 0]


def test_sgd_momentum_three_steps():
    """Document 000: SGD lr = 0.01, momentum = 0.9 from w0 = 1."""
    res, w = run("momentum", {"lr": 0.01, "momentum": 0.9}, steps=3)
    grad = np.asarray(res.grad, dtype=np.float64)[:, 0, 0]
    # gradients used by steps 1, 2, 3 (gradient at the position each step starts from)
    np.testing.assert_allclose(grad[:3], [1.0, 0.99, 0.9711], rtol=1e-15, atol=0)
    np.testing.assert_allclose(w[1:], [0.99, 0.9711, 0.944379], rtol=1e-15, atol=0)
    # the same with the plain "sgd" name and momentum given explicitly
    _, w_sgd = run("sgd", {"lr": 0.01, "momentum": 0.9}, steps=3)
    np.testing.assert_array_equal(w_sgd, w)


def test_adam_thirty_steps():
    """Document 000: Adam lr = 0.01, betas (0.9, 0.999) from w0 = 1, to the printed digits."""
    res, w = run("adam", {"lr": 0.01, "betas": [0.9, 0.999]}, steps=30)
    assert round(w[1], 10) == 0.9900000001, repr(w[1])
    assert round(w[10], 14) == 0.90034965451379, repr(w[10])
    assert round(w[30], 14) == 0.70868129985616, repr(w[30])
    # Closer than the printed digits: float64 rounding of the exact recursion.
    assert abs(w[1] - (1.0 - 0.01 / (1.0 + 1e-8))) < 1e-15
    # the gradient of w²/2 is w
    np.testing.assert_allclose(np.asarray(res.grad)[:, 0, 0], w, rtol=1e-15, atol=0)


BIAS_TABLE = [  # REFERENCE.md: t, 1/(1-β1^t), 1/(1-β2^t), digits printed for each
    (1, 10.00, 1000.00, 2, 2),
    (5, 2.44, 200.40, 2, 2),
    (50, 1.005, 20.49, 3, 2),
    (100, 1.00003, 10.50, 5, 2),
]


def _shown_factors(t: int) -> tuple[float, float]:
    """The factors the inspector and the side plots show (optviz.core.optimizers)."""
    f1, f2 = bias_correction_factors((0.9, 0.999), [t])
    return float(f1[0]), float(f2[0])


def _kernel_factors(t: int) -> tuple[float, float]:
    """The factors Adam's kernel applies at step t, from its per-step coefficients."""
    lr = 0.01
    _, lr_t, _, _, lr_over_bc1, _, bc2 = adam.coefficients(float(t), lr, 1.0, 0.9, 0.999, 1e-8, 0.0, 0.0, 1.0,
                                                            0.0, 0.0)
    assert lr_t == lr
    return lr_over_bc1 / lr, 1.0 / bc2


@pytest.mark.parametrize("factors", [_shown_factors, _kernel_factors], ids=["shown", "kernel"])
@pytest.mark.parametrize("t, c1, c2, d1, d2", BIAS_TABLE)
def test_bias_correction_table(factors, t, c1, c2, d1, d2):
    f1, f2 = factors(t)
    assert round(f1, d1) == c1, (t, f1)
    assert round(f2, d2) == c2, (t, f2)


@pytest.mark.parametrize("factors", [_shown_factors, _kernel_factors], ids=["shown", "kernel"])
def test_document_rounding_slips_are_not_reproduced(factors):
    """Document 000 prints 20.51 and 10.51 at t = 50 and 100; the exact values are 20.49, 10.50."""
    assert round(factors(50)[1], 2) != 20.51
    assert round(factors(100)[1], 2) != 10.51


def test_bias_correction_factors_vectorized():
    t = np.arange(1, 101)
    f1, f2 = bias_correction_factors((0.9, 0.999), t)
    np.testing.assert_array_equal(f1, [_shown_factors(k)[0] for k in t])
    np.testing.assert_array_equal(f2, [_shown_factors(k)[1] for k in t])
    np.testing.assert_allclose(f1, [_kernel_factors(k)[0] for k in t], rtol=1e-13)  # pow rounds differently
    np.testing.assert_allclose(f2, [_kernel_factors(k)[1] for k in t], rtol=1e-13)
    assert np.all(np.diff(f1) < 0) and np.all(np.diff(f2) < 0)

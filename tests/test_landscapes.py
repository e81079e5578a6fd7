"""Tests of the built-in landscapes: values, gradients, minima, kernels, validation, fast math."""

import math

import mpmath
import numpy as np
import pytest

from optviz.core.jit import KERNEL_OPTIONS, njit
from optviz.core.kernels import points_evaluator
from optviz.core.landscapes import (
    LANDSCAPES,
    MAX_LANDSCAPE_PARAMS,
    POINT_CALLS,
    LandscapeSpec,
    Minimum,
    ParamSpec,
    evaluate_grid,
    evaluate_points,
    functions,
    get_landscape,
    value_and_grad,
)
from optviz.core.landscapes.fastmath import fast_exp, fast_sincos, fast_sincospi

NAMES = [
    "rosenbrock",
    "beale",
    "himmelblau",
    "rastrigin",
    "ackley",
    "booth",
    "goldstein_price",
    "six_hump_camel",
    "three_hump_camel",
    "matyas",
    "styblinski_tang",
    "levy13",
    "saddle",
    "monkey_saddle",
    "ravine",
    "plateau",
]

# ---------------------------------------------------------------------------
# Plain NumPy references, straight from the literature formulas.
# ---------------------------------------------------------------------------
PI = np.pi


def ref_rosenbrock(x, y, p):
    a, b = p[0], p[1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def ref_beale(x, y, p):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def ref_himmelblau(x, y, p):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def ref_rastrigin(x, y, p):
    A = p[0]
    return 2 * A + x**2 - A * np.cos(2 * PI * x) + y**2 - A * np.cos(2 * PI * y)


def ref_ackley(x, y, p):
    a, b, c = p[0], p[1], p[2]
    return (
        -a * np.exp(-b * np.sqrt(0.5 * (x**2 + y**2)))
        - np.exp(0.5 * (np.cos(c * x) + np.cos(c * y)))
        + a
        + np.e
    )


def ref_booth(x, y, p):
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def ref_goldstein_price(x, y, p):
    return (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)) * (
        30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    )


def ref_six_hump_camel(x, y, p):
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def ref_three_hump_camel(x, y, p):
    return 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2


def ref_matyas(x, y, p):
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


def ref_styblinski_tang(x, y, p):
    return 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)


def ref_levy13(x, y, p):
    return (
        np.sin(3 * PI * x) ** 2
        + (x - 1) ** 2 * (1 + np.sin(3 * PI * y) ** 2)
        + (y - 1) ** 2 * (1 + np.sin(2 * PI * y) ** 2)
    )


def ref_saddle(x, y, p):
    return x**2 - y**2


def ref_monkey_saddle(x, y, p):
    return x**3 - 3 * x * y**2


def ref_ravine(x, y, p):
    condition, phi = p[0], np.radians(p[1])
    u = np.cos(phi) * x + np.sin(phi) * y
    v = -np.sin(phi) * x + np.cos(phi) * y
    return 0.5 * (u**2 + condition * v**2)


def ref_plateau(x, y, p):
    height, steepness, width = p[0], p[1], p[2]
    basin = 1 - np.exp(-((x - 2) ** 2 + y**2) / (2 * width**2))
    step = 1 + height / (1 + np.exp(steepness * x))
    return basin * step


REFERENCES = {name: globals()[f"ref_{name}"] for name in NAMES}


def random_points(spec, n, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = spec.bounds
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------
def test_names_and_ids_in_order():
    assert list(LANDSCAPES) == NAMES
    assert [s.id for s in LANDSCAPES.values()] == list(range(len(NAMES)))
    for name, spec in LANDSCAPES.items():
        assert isinstance(spec, LandscapeSpec)
        assert spec.name == name == name.lower()
        assert get_landscape(name) is spec
        assert spec.title and spec.description and spec.formula.startswith("f(x, y) =")
        (x0, x1), (y0, y1) = spec.bounds
        assert x0 < x1 and y0 < y1
        assert isinstance(spec.log_scale, bool)
        assert len(spec.params) <= MAX_LANDSCAPE_PARAMS
        for p in spec.params:
            assert isinstance(p, ParamSpec) and p.low <= p.default <= p.high and p.doc


def test_get_landscape_unknown_names_the_known():
    with pytest.raises(ValueError) as err:
        get_landscape("foo")
    msg = str(err.value)
    assert msg.startswith("landscape.name = 'foo' is not a known landscape; known: ")
    assert "rosenbrock, beale, himmelblau" in msg and "plateau" in msg


def test_specs_are_frozen():
    spec = get_landscape("rosenbrock")
    with pytest.raises(AttributeError):
        spec.id = 3


# ---------------------------------------------------------------------------
# pack_params
# ---------------------------------------------------------------------------
def test_pack_params_defaults_and_overrides():
    spec = get_landscape("rosenbrock")
    p = spec.pack_params()
    assert p.dtype == np.float64 and p.shape == (MAX_LANDSCAPE_PARAMS,)
    assert p.tolist()[:2] == [1.0, 100.0] and not p[2:].any()
    p = spec.pack_params({"b": 10})
    assert p.tolist()[:2] == [1.0, 10.0]
    assert get_landscape("saddle").pack_params().tolist() == [0.0] * MAX_LANDSCAPE_PARAMS
    ravine = get_landscape("ravine")
    assert ravine.pack_params().tolist()[:2] == [20.0, 30.0]


def test_pack_params_unknown_name():
    with pytest.raises(ValueError) as err:
        get_landscape("rosenbrock").pack_params({"c": 1.0})
    assert str(err.value) == (
        "landscape.params: unknown parameter 'c' for 'rosenbrock'; known: a, b"
    )
    with pytest.raises(ValueError, match="known: \\(none\\)"):
        get_landscape("beale").pack_params({"a": 1.0})


@pytest.mark.parametrize(
    "name, field, value, message",
    [
        ("rosenbrock", "b", -1.0, "landscape.params.b = -1.0 is out of range: must be in [0, inf]"),
        (
            "ravine",
            "condition",
            0.5,
            "landscape.params.condition = 0.5 is out of range: must be in [1, inf]",
        ),
        (
            "ravine",
            "angle",
            400,
            "landscape.params.angle = 400.0 is out of range: must be in [-360, 360]",
        ),
        (
            "plateau",
            "width",
            0.0,
            "landscape.params.width = 0.0 is out of range: must be in [0.01, inf]",
        ),
        (
            "rastrigin",
            "A",
            math.nan,
            "landscape.params.A = nan is out of range: must be finite and in [0, inf]",
        ),
        (
            "rosenbrock",
            "a",
            math.inf,
            "landscape.params.a = inf is out of range: must be finite and in [-inf, inf]",
        ),
    ],
)
def test_pack_params_out_of_range(name, field, value, message):
    with pytest.raises(ValueError) as err:
        get_landscape(name).pack_params({field: value})
    assert str(err.value) == message


def test_pack_params_not_a_number():
    with pytest.raises(ValueError, match=r"landscape\.params\.b = 'x' is not a number"):
        get_landscape("rosenbrock").pack_params({"b": "x"})


# ---------------------------------------------------------------------------
# Values and gradients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_values_match_numpy_reference(name):
    spec = get_landscape(name)
    p = spec.pack_params()
    x, y = random_points(spec, 500, seed=1)
    f, gx, gy = value_and_grad(spec, p, x, y)
    ref = REFERENCES[name](x, y, p)
    scale = 1.0 + np.abs(ref)
    np.testing.assert_allclose(f / scale, ref / scale, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name):
    spec = get_landscape(name)
    p = spec.pack_params()
    x, y = random_points(spec, 400, seed=2)
    f, gx, gy = value_and_grad(spec, p, x, y)
    h = 1e-4

    def fd(dx, dy):
        def fv(k):
            return value_and_grad(spec, p, x + k * dx, y + k * dy)[0]

        return (-fv(2 * h) + 8 * fv(h) - 8 * fv(-h) + fv(-2 * h)) / (12 * h)

    # 5-point stencil: truncation O(h^4 f^(5)), rounding about eps |f| / h.
    tol = 1e-6 * np.abs(gx) + 1e-7 * (1.0 + np.abs(f))
    err = np.abs(gx - fd(1.0, 0.0))
    assert (err <= tol).all(), (x[err > tol], y[err > tol], err.max())
    tol = 1e-6 * np.abs(gy) + 1e-7 * (1.0 + np.abs(f))
    err = np.abs(gy - fd(0.0, 1.0))
    assert (err <= tol).all(), (x[err > tol], y[err > tol], err.max())


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_with_stated_value(name):
    spec = get_landscape(name)
    p = spec.pack_params()
    minima = spec.minima(p)
    assert minima and all(isinstance(m, Minimum) for m in minima)
    assert spec.minima() == minima
    for m in minima:
        assert m.kind in ("global", "local", "saddle")
        f, gx, gy = value_and_grad(spec, p, m.x, m.y)
        scale = 1.0 + abs(m.value)
        assert abs(f - m.value) <= 1e-12 * scale, (m, f)
        assert math.hypot(gx, gy) <= 1e-10 * scale, (m, gx, gy)
    kinds = {m.kind for m in minima}
    if name in ("saddle", "monkey_saddle"):
        assert kinds == {"saddle"}
    else:
        assert "global" in kinds and "saddle" not in kinds
    expected_counts = {
        "himmelblau": (4, 0),
        "six_hump_camel": (2, 4),
        "styblinski_tang": (1, 3),
        "goldstein_price": (1, 3),
        "three_hump_camel": (1, 2),
        "rastrigin": (1, 8),
    }
    if name in expected_counts:
        n_global = sum(m.kind == "global" for m in minima)
        n_local = sum(m.kind == "local" for m in minima)
        assert (n_global, n_local) == expected_counts[name]


@pytest.mark.parametrize("name", NAMES)
def test_local_minima_have_positive_definite_hessian(name):
    spec = get_landscape(name)
    p = spec.pack_params()
    h = 1e-5
    for m in spec.minima(p):
        if m.kind != "local":
            continue
        gpx = value_and_grad(spec, p, m.x + h, m.y)
        gmx = value_and_grad(spec, p, m.x - h, m.y)
        gpy = value_and_grad(spec, p, m.x, m.y + h)
        gmy = value_and_grad(spec, p, m.x, m.y - h)
        hxx = (gpx[1] - gmx[1]) / (2 * h)
        hyy = (gpy[2] - gmy[2]) / (2 * h)
        hxy = (gpy[1] - gmy[1]) / (2 * h)
        assert hxx > 0 and hxx * hyy - hxy * hxy > 0, m


@pytest.mark.parametrize("name", NAMES)
def test_global_minimum_is_below_random_points(name):
    spec = get_landscape(name)
    p = spec.pack_params()
    fmin = spec.global_minimum_value(p)
    if name in ("saddle", "monkey_saddle"):
        assert fmin is None
        return
    x, y = random_points(spec, 5000, seed=3)
    f = value_and_grad(spec, p, x, y)[0]
    assert f.min() >= fmin - 1e-12 * (1 + abs(fmin))
    for m in spec.minima(p):
        assert m.value >= fmin


def test_rosenbrock_params_move_the_minimum():
    spec = get_landscape("rosenbrock")
    for a, b in [(2.0, 10.0), (-1.5, 1.0), (0.5, 100.0)]:
        p = spec.pack_params({"a": a, "b": b})
        (m,) = spec.minima(p)
        assert (m.x, m.y, m.value, m.kind) == (a, a * a, 0.0, "global")
        f, gx, gy = value_and_grad(spec, p, m.x, m.y)
        assert f == 0.0 and gx == 0.0 and gy == 0.0
        assert value_and_grad(spec, p, 1.0, 1.0)[0] > 0
    # a mapping of overrides works too
    assert spec.minima({"a": 3.0})[0].y == 9.0


def test_ravine_condition_one_is_exactly_the_isotropic_bowl():
    spec = get_landscape("ravine")
    x, y = random_points(spec, 300, seed=4)
    for angle in (0.0, 30.0, 45.0, -77.0):
        p = spec.pack_params({"condition": 1.0, "angle": angle})
        f, gx, gy = value_and_grad(spec, p, x, y)
        np.testing.assert_array_equal(f, 0.5 * (x * x + y * y))
        np.testing.assert_array_equal(gx, x)
        np.testing.assert_array_equal(gy, y)


def test_ravine_curvature_along_rotated_axes():
    spec = get_landscape("ravine")
    p = spec.pack_params({"condition": 20.0, "angle": 30.0})
    phi = math.radians(30.0)
    u = (math.cos(phi), math.sin(phi))
    v = (-math.sin(phi), math.cos(phi))
    assert value_and_grad(spec, p, *u)[0] == pytest.approx(0.5)
    assert value_and_grad(spec, p, *v)[0] == pytest.approx(10.0)


def test_rastrigin_local_minima_follow_amplitude():
    spec = get_landscape("rastrigin")
    for A in (1.0, 10.0, 50.0):
        p = spec.pack_params({"A": A})
        for m in spec.minima(p):
            f, gx, gy = value_and_grad(spec, p, m.x, m.y)
            assert math.hypot(gx, gy) < 1e-10 * (1 + A)
            assert f == pytest.approx(m.value, rel=1e-13, abs=1e-14)
    # A = 0 is a plain bowl: the global minimum only.
    assert len(spec.minima({"A": 0.0})) == 1


def test_value_and_grad_shapes_and_inputs():
    f, gx, gy = value_and_grad("booth", None, 1.0, 3.0)
    assert isinstance(f, np.float64) and f == 0.0 and gx == 0.0 and gy == 0.0
    x = np.linspace(-1, 1, 5)
    y = np.linspace(-2, 2, 3)[:, None]
    f, gx, gy = value_and_grad("himmelblau", {}, x, y)
    assert f.shape == gx.shape == gy.shape == (3, 5)
    np.testing.assert_array_equal(f, ref_himmelblau(x, y, None))
    with pytest.raises(ValueError, match="unknown parameter"):
        value_and_grad("rosenbrock", {"z": 1.0}, 0.0, 0.0)
    with pytest.raises(ValueError, match="not a known landscape"):
        value_and_grad("nope", None, 0.0, 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_nan_propagates(name):
    f, gx, gy = value_and_grad(name, None, np.array([np.nan, 0.5]), np.array([0.5, np.nan]))
    assert np.isnan(f).all()


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_kernels_and_images_call_the_landscape_s_own_scalar_function(name):
    spec = get_landscape(name)
    function_name, args = POINT_CALLS[name]
    assert function_name == name
    p = spec.pack_params()
    x, y = random_points(spec, 7, seed=5)
    f, gx, gy = evaluate_points(name, p, x, y)
    scalar = getattr(functions, function_name)
    extra = {"ravine": (p[0], math.cos(math.radians(p[1])), math.sin(math.radians(p[1])))}.get(
        name, tuple(p[: len(spec.params)]))
    assert len(args) == len(extra)
    for k in range(7):
        assert (f[k], gx[k], gy[k]) == scalar(x[k], y[k], *extra)


def test_an_unknown_landscape_has_no_point_function():
    with pytest.raises(KeyError):
        evaluate_points("no_such_landscape", np.zeros(MAX_LANDSCAPE_PARAMS), np.zeros(2), np.zeros(2))


def test_point_evaluators_compile_once():
    for spec in LANDSCAPES.values():
        for params in (spec.pack_params(), spec.pack_params() * 1.0):
            evaluate_points(spec.name, params, np.zeros(8), np.zeros(8))
    assert all(len(points_evaluator(spec.name).signatures) == 1 for spec in LANDSCAPES.values())


@pytest.mark.parametrize("name", ["rosenbrock", "rastrigin", "ackley", "ravine", "plateau"])
def test_evaluate_grid_matches_value_and_grad(name):
    spec = get_landscape(name)
    p = spec.pack_params()
    (x0, x1), (y0, y1) = spec.bounds
    xs = np.linspace(x0, x1, 37)
    ys = np.linspace(y0, y1, 23)
    grid = evaluate_grid(spec.name, p, xs, ys)
    assert grid.shape == (23, 37) and grid.dtype == np.float64
    np.testing.assert_array_equal(grid, value_and_grad(spec, p, xs[None, :], ys[:, None])[0])


# ---------------------------------------------------------------------------
# Fast sin / cos / exp
# ---------------------------------------------------------------------------
@njit(**KERNEL_OPTIONS)
def _sincos_array(x, s, c):
    for i in range(x.shape[0]):
        s[i], c[i] = fast_sincos(x[i])


@njit(**KERNEL_OPTIONS)
def _sincospi_array(x, s, c):
    for i in range(x.shape[0]):
        s[i], c[i] = fast_sincospi(x[i])


@njit(**KERNEL_OPTIONS)
def _exp_array(x, out):
    for i in range(x.shape[0]):
        out[i] = fast_exp(x[i])


def _ulps(a, ref):
    return np.abs(a - ref) / np.spacing(np.abs(ref))


def _sincos(x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    s = np.empty_like(x)
    c = np.empty_like(x)
    _sincos_array(x, s, c)
    return s, c


def test_fast_sincos_within_two_ulp_over_wide_range():
    rng = np.random.default_rng(6)
    parts = [rng.uniform(-lim, lim, 200_000) for lim in (1.0, 10.0, 1e3, 1e5, 1e6)]
    # Arguments next to multiples of pi/2 (worst cancellation in the reduction).
    k = np.arange(-70_000, 70_000, 7) * (np.pi / 2)
    parts += [k, np.nextafter(k, np.inf), np.nextafter(k, -np.inf)]
    parts.append(np.array([0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-8, np.pi / 4, -np.pi / 4]))
    x = np.concatenate(parts)
    s, c = _sincos(x)
    assert _ulps(s, np.sin(x)).max() <= 2.0
    assert _ulps(c, np.cos(x)).max() <= 2.0
    # Odd / even symmetry for negative arguments.
    s_neg, c_neg = _sincos(-x)
    np.testing.assert_array_equal(s_neg, -s)
    np.testing.assert_array_equal(c_neg, c)


def test_fast_sincos_against_high_precision():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-1e5, 1e5, 200), [355.0, 103993.0, 33102.0, -52174.0]])
    s, c = _sincos(x)
    for xi, si, ci in zip(x, s, c, strict=True):
        exact_s = float(mpmath.sin(mpmath.mpf(xi)))
        exact_c = float(mpmath.cos(mpmath.mpf(xi)))
        assert abs(si - exact_s) <= 2 * np.spacing(abs(exact_s)), xi
        assert abs(ci - exact_c) <= 2 * np.spacing(abs(exact_c)), xi


def test_fast_sincos_non_finite_gives_nan():
    s, c = _sincos(np.array([np.inf, -np.inf, np.nan]))
    assert np.isnan(s).all() and np.isnan(c).all()


def test_fast_sincospi():
    t = np.array([0.0, 0.5, 1.0, 1.5, 2.0, -0.5, -1.0, 3.0, 1e6 + 0.5, -12345.0])
    s = np.empty_like(t)
    c = np.empty_like(t)
    _sincospi_array(t, s, c)
    np.testing.assert_array_equal(s, [0, 1, 0, -1, 0, -1, 0, 0, 1, 0])
    np.testing.assert_array_equal(c, [1, 0, -1, 0, 1, 0, -1, -1, 0, -1])
    rng = np.random.default_rng(8)
    t = np.concatenate([rng.uniform(-2, 2, 100), rng.uniform(-1e4, 1e4, 100)])
    _sincospi_array(t, s := np.empty_like(t), c := np.empty_like(t))
    with mpmath.workdps(40):
        exact_s = np.array([float(mpmath.sinpi(mpmath.mpf(v))) for v in t])
        exact_c = np.array([float(mpmath.cospi(mpmath.mpf(v))) for v in t])
    assert _ulps(s, exact_s).max() <= 2.0
    assert _ulps(c, exact_c).max() <= 2.0


def test_fast_exp_within_two_ulp():
    rng = np.random.default_rng(9)
    x = np.concatenate(
        [
            rng.uniform(-1, 1, 100_000),
            rng.uniform(-700, 709, 100_000),
            rng.uniform(-745, -708, 10_000),
        ]
    )
    out = np.empty_like(x)
    _exp_array(x, out)
    ref = np.exp(x)
    assert _ulps(out, ref).max() <= 2.0
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 710.0, -746.0, 1e300, -1e300])
    out = np.empty_like(special)
    _exp_array(special, out)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out, np.exp(special))


def test_fastmath_drop_in_names():
    from optviz.core.landscapes import fastmath

    assert fastmath.sin is fastmath.fast_sin
    assert fastmath.cos is fastmath.fast_cos
    assert fastmath.exp is fastmath.fast_exp

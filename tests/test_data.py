"""Data-backed losses: models, datasets, CSV errors, batch sampling and gradient noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optviz.core.data import Dataset, DatasetError, load_csv, make_dataset
from optviz.core.data import rng as R
from optviz.core.data.gradients import add_gradient_noise, data_loss_grad_tile, permutation_index
from optviz.core.data.models import MODELS, fast_tanh, full_loss_grad, get_model, log1p_unit, view_bounds
from optviz.core.jit import TILE, njit

_OPTS = dict(nogil=True, cache=True, error_model="numpy")


@njit(**_OPTS)
def run_tiles(model_id, data, batch_size, without_replacement, seed, step, theta, full_loss,
              noise_kind, sigma, dof, tile):
    """Loss (N,) and gradient (2, N) of every particle, computed tile by tile as a kernel does."""
    n = theta.shape[1]
    out_loss = np.empty(n)
    out_grad = np.empty((2, n))
    loss = np.empty(TILE)
    grad = np.empty((2, TILE))
    for t in range((n + tile - 1) // tile):
        start = t * tile
        count = min(tile, n - start)
        data_loss_grad_tile(model_id, data, batch_size, without_replacement, seed, step, theta, start, count,
                            full_loss, loss, grad)
        add_gradient_noise(noise_kind, sigma, dof, seed, step, start, count, grad)
        for j in range(count):
            out_loss[start + j] = loss[j]
            out_grad[0, start + j] = grad[0, j]
            out_grad[1, start + j] = grad[1, j]
    return out_loss, out_grad


@njit(**_OPTS)
def perm_values(key, n):
    out = np.empty(n, dtype=np.int64)
    for p in range(n):
        out[p] = permutation_index(key, p, n)
    return out


@njit(**_OPTS)
def scalars(f_kind, seed, n, dof):
    out = np.empty(n)
    for i in range(n):
        if f_kind == 0:
            out[i] = R.uniform(seed, i, 3, 0)
        elif f_kind == 1:
            out[i] = R.normal(seed, i, 3, 0)
        else:
            out[i] = R.student_t(seed, i, 3, 0, dof)
    return out


@njit(**_OPTS)
def scalar_fns(xs):
    out = np.empty((2, xs.shape[0]))
    for i in range(xs.shape[0]):
        out[0, i] = log1p_unit(xs[i])
        out[1, i] = fast_tanh(xs[i] * 40.0 - 20.0)
    return out


def _call(model, data, batch=0, wor=False, seed=1, step=1, theta=None, full_loss=False,
          kind=0, sigma=0.0, dof=3.0, tile=TILE):
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    return run_tiles(get_model(model).id, data, batch, wor, seed, step, theta, full_loss, kind, sigma, dof, tile)


def _points(k=7, seed=3):
    return np.random.default_rng(seed).normal(scale=1.5, size=(2, k))


DATA = {m.name: make_dataset(m.name, 300, 0.3, seed=5).values for m in MODELS}


# ----------------------------------------------------------------------------- models


def test_scalar_helpers_accurate():
    """log1p_unit within 3 units in the last place of the exact value (1.8 measured; NumPy's own
    log1p is 0.74), fast_tanh within 4e-16 absolute: both against x87 extended precision, not against
    NumPy's double results, whose own rounding error is the size of the bound."""
    assert np.finfo(np.longdouble).nmant >= 63, "the reference needs x87 extended precision"
    xs = np.linspace(0.0, 1.0, 20001)
    out = scalar_fns(xs)
    exact_log1p = np.log1p(xs.astype(np.longdouble))
    ulps = np.abs(out[0] - exact_log1p)[1:] / np.spacing(exact_log1p[1:].astype(np.float64))
    assert out[0][0] == 0.0 and np.max(ulps) < 3.0
    exact_tanh = np.tanh((xs * 40.0 - 20.0).astype(np.longdouble))  # of the argument the kernel gets
    assert np.max(np.abs(out[1] - exact_tanh)) < 4e-16


@pytest.mark.parametrize("model", [m.name for m in MODELS])
def test_full_gradient_matches_finite_differences(model):
    data = DATA[model]
    theta = _points()
    loss, grad = _call(model, data, theta=theta)
    ref_loss = full_loss_grad(model, data, theta[0], theta[1])[0]
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    h = 1e-6
    for d in range(2):
        e = np.zeros((2, 1))
        e[d] = h
        up = full_loss_grad(model, data, *(theta + e))[0]
        dn = full_loss_grad(model, data, *(theta - e))[0]
        np.testing.assert_allclose(grad[d], (up - dn) / (2 * h), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("model", [m.name for m in MODELS])
def test_batch_gradient_matches_finite_differences_of_batch_loss(model):
    data = DATA[model]
    theta = _points(3)
    # With B = 1, the batch is one sample: find it by matching the loss, then differentiate.
    loss, grad = _call(model, data, batch=1, theta=theta, step=4)
    for i in range(theta.shape[1]):
        cand = [k for k in range(len(data))
                if abs(full_loss_grad(model, data[k:k + 1], theta[0, i], theta[1, i])[0] - loss[i]) < 1e-12]
        assert cand, "batch loss is not the loss of any sample"
        k = cand[0]
        h = 1e-6
        one = data[k:k + 1]

        def f(a, b, one=one):
            return full_loss_grad(model, one, a, b)[0]

        g0 = (f(theta[0, i] + h, theta[1, i]) - f(theta[0, i] - h, theta[1, i])) / (2 * h)
        g1 = (f(theta[0, i], theta[1, i] + h) - f(theta[0, i], theta[1, i] - h)) / (2 * h)
        np.testing.assert_allclose(grad[:, i], [g0, g1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("model", [m.name for m in MODELS])
def test_full_loss_flag_gives_full_data_loss_with_batch_gradient(model):
    data = DATA[model]
    theta = _points()
    batch_loss, batch_grad = _call(model, data, batch=16, theta=theta, step=2)
    loss, grad = _call(model, data, batch=16, theta=theta, step=2, full_loss=True)
    np.testing.assert_array_equal(grad, batch_grad)
    np.testing.assert_allclose(loss, full_loss_grad(model, data, theta[0], theta[1])[0], rtol=1e-12)
    assert not np.allclose(loss, batch_loss)


def test_model_metadata_and_view_bounds():
    assert [m.id for m in MODELS] == list(range(len(MODELS)))
    assert get_model("linear").param_names == ("w", "b")
    assert get_model(2).param_names == ("a", "b")
    with pytest.raises(KeyError):
        get_model("cubic")
    ds = make_dataset("linear", 500, 0.1, seed=1, w=4.0, b=-2.0)
    (x0, x1), (y0, y1) = view_bounds("linear", ds.values)
    assert x0 < 4.0 < x1 and y0 < -2.0 < y1
    (x0, x1), (y0, y1) = view_bounds("logistic", make_dataset("logistic", 500, 0.05, seed=1).values)
    assert x0 < 3.0 < x1 and y0 < 0.5 < y1
    (x0, x1), (y0, y1) = view_bounds("tanh", make_dataset("tanh", 500, 0.05, seed=1).values)
    assert x0 < -1.5 and 1.5 < x1 and y0 < -2.0 and 2.0 < y1


# ----------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("wor", [False, True])
def test_minibatch_gradient_is_unbiased(wor):
    data = make_dataset("linear", 100, 0.5, seed=2).values
    theta = np.tile(np.array([[0.3], [0.7]]), (1, 2000))
    full = _call("linear", data, theta=theta[:, :1])[1][:, 0]
    grads = np.concatenate([_call("linear", data, batch=8, wor=wor, step=s, theta=theta)[1]
                            for s in (1, 2, 3)], axis=1)
    mean = grads.mean(axis=1)
    se = grads.std(axis=1) / math.sqrt(grads.shape[1])
    assert np.all(np.abs(mean - full) < 4 * se), (mean, full, se)
    assert np.all(grads.std(axis=1) > 0)


@pytest.mark.parametrize("model", [m.name for m in MODELS])
def test_batch_of_whole_dataset_is_exactly_gd(model):
    data = DATA[model]
    theta = _points(100)
    gd = _call(model, data, batch=0, theta=theta)
    for b, wor, seed, step in [(len(data), True, 1, 1), (len(data), False, 9, 5), (10**6, True, 3, 2),
                               (-1, False, 1, 1)]:
        got = _call(model, data, batch=b, wor=wor, seed=seed, step=step, theta=theta, tile=17)
        np.testing.assert_array_equal(got[0], gd[0])
        np.testing.assert_array_equal(got[1], gd[1])


@pytest.mark.parametrize("wor", [False, True])
def test_batches_deterministic_and_independent_of_tiling(wor):
    data = DATA["linear"]
    theta = np.tile(np.array([[0.1], [0.2]]), (1, 150))
    a = _call("linear", data, batch=5, wor=wor, seed=4, step=7, theta=theta, tile=64)
    b = _call("linear", data, batch=5, wor=wor, seed=4, step=7, theta=theta, tile=13)
    np.testing.assert_array_equal(a[1], b[1])
    # All particles share theta: differences come only from their batches.
    assert len(np.unique(a[1][0])) > 140
    c = _call("linear", data, batch=5, wor=wor, seed=5, step=7, theta=theta)
    d = _call("linear", data, batch=5, wor=wor, seed=4, step=8, theta=theta)
    assert np.mean(a[1][0] == c[1][0]) < 0.05 and np.mean(a[1][0] == d[1][0]) < 0.05


def _batch_indices(n, batch, wor, seed, steps, particles=3):
    """Recover sample indices: data with x = 0, y = index, linear model at theta = 0 (grad1 = -2 mean y)."""
    data = np.stack([np.zeros(n), np.arange(n, dtype=np.float64)], axis=1)
    # With B = 1 the gradient's second component is -2 * y of the one sample.
    out = []
    for t in steps:
        g = _call("linear", data, batch=batch, wor=wor, seed=seed, step=t, theta=np.zeros((2, particles)))[1]
        out.append(np.rint(-g[1] / 2).astype(int))
    return np.array(out)  # (steps, particles)


@pytest.mark.parametrize("n", [7, 16, 50])
def test_without_replacement_epochs_visit_every_sample_once(n):
    idx = _batch_indices(n, 1, True, seed=11, steps=range(1, 3 * n + 1), particles=4)
    for e in range(3):
        for p in range(4):
            assert sorted(idx[e * n:(e + 1) * n, p]) == list(range(n))
    # Different epochs and particles use different orders.
    assert not np.array_equal(idx[:n, 0], idx[n:2 * n, 0])
    assert not np.array_equal(idx[:n, 0], idx[:n, 1])


def test_permutation_is_a_bijection_and_uniform():
    for n in (1, 2, 3, 5, 64, 100, 1000, 4097):
        for key in (0, 1, 2**62 + 5):
            assert sorted(perm_values(key, n)) == list(range(n))
    # Over many (hashed, as in the kernel) keys, where positions 0 and 50 land is uniform and
    # unrelated: chi-square with 99 dof (p ~ 1e-4 bound 150); correlation of the two.
    n, keys = 100, 20000
    vals = np.array([perm_values(np.uint64(R.hash_prefix(77, k, 0)), n)[[0, 50]] for k in range(keys)])
    for col in range(2):
        counts = np.bincount(vals[:, col], minlength=n)
        chi2 = np.sum((counts - keys / n) ** 2 / (keys / n))
        assert chi2 < 150, counts
    assert abs(np.corrcoef(vals.T)[0, 1]) < 0.03


def test_with_replacement_indices_uniform():
    n = 10
    idx = _batch_indices(n, 1, False, seed=3, steps=range(1, 201), particles=100).ravel()
    counts = np.bincount(idx, minlength=n)
    chi2 = np.sum((counts - idx.size / n) ** 2 / (idx.size / n))
    assert chi2 < 33.7, counts


def test_batch_without_replacement_has_no_repeats():
    # n = 20, B = 6: 3 batches per epoch (2 samples dropped); x = 0, y = 2**index, so a batch's
    # mean y identifies its set of indices exactly.
    n, b = 20, 6
    data = np.stack([np.zeros(n), 2.0 ** np.arange(n)], axis=1)
    seen = []
    for t in range(1, 4):
        g = _call("linear", data, batch=b, wor=True, seed=2, step=t, theta=np.zeros((2, 1)))[1]
        bits = int(round(-g[1, 0] / 2 * b))
        members = [k for k in range(n) if bits >> k & 1]
        assert len(members) == b
        seen += members
    assert len(set(seen)) == 3 * b


# ----------------------------------------------------------------------------- noise and RNG


def test_rng_determinism_and_range():
    u = scalars(0, 7, 100000, 0.0)
    assert np.all((u > 0) & (u < 1))
    np.testing.assert_array_equal(u, scalars(0, 7, 100000, 0.0))
    assert abs(u.mean() - 0.5) < 4 * math.sqrt(1 / 12 / u.size)
    assert R.hash64(1, 2, 3, 4) == R.hash64(1, 2, 3, 4) != R.hash64(1, 2, 3, 5)


def test_gaussian_noise_mean_and_std():
    theta = np.zeros((2, 40000))
    data = np.array([[0.0, 0.0]])  # loss and gradient exactly 0 at theta = 0
    _, g = _call("linear", data, theta=theta, kind=1, sigma=0.5, seed=3, step=2)
    assert np.all(np.abs(g.mean(axis=1)) < 4 * 0.5 / math.sqrt(40000))
    np.testing.assert_allclose(g.std(axis=1), 0.5, rtol=0.02)
    assert abs(np.corrcoef(g)[0, 1]) < 0.03
    _, g2 = _call("linear", data, theta=theta, kind=1, sigma=0.5, seed=3, step=2, tile=9)
    np.testing.assert_array_equal(g, g2)
    _, g0 = _call("linear", data, theta=theta, kind=0, sigma=0.5)
    assert np.all(g0 == 0)


def test_student_t_noise_has_heavy_tails():
    z = scalars(1, 5, 200000, 0.0)
    t = scalars(2, 5, 200000, 3.0)
    # Known t(3) quantiles: P(T > 2.353) = 0.05, P(T > 5.841) = 0.005.
    assert abs(np.mean(t > 2.353) - 0.05) < 0.003
    assert abs(np.mean(t > 5.841) - 0.005) < 0.001
    assert np.mean(np.abs(z) > 4) < 1e-3 < np.mean(np.abs(t) > 4)
    t10 = scalars(2, 6, 200000, 10.0)
    kurt = np.mean(t10**4) / np.mean(t10**2) ** 2 - 3  # t(10): excess kurtosis 1
    assert 0.6 < kurt < 1.5
    theta = np.zeros((2, 20000))
    _, g = _call("linear", np.array([[0.0, 0.0]]), theta=theta, kind=2, sigma=2.0, dof=5.0)
    np.testing.assert_allclose(g.std(axis=1), 2.0 * math.sqrt(5 / 3), rtol=0.1)


# ----------------------------------------------------------------------------- datasets


def test_generated_datasets_reproducible():
    for m in MODELS:
        a = make_dataset(m.name, 100, 0.2, seed=3)
        b = make_dataset(m.name, 100, 0.2, seed=3)
        c = make_dataset(m.name, 100, 0.2, seed=4)
        np.testing.assert_array_equal(a.values, b.values)
        assert not np.array_equal(a.values, c.values)
        assert a.values.shape == (100, 2) and a.values.flags.c_contiguous
    labels = make_dataset("logistic", 1000, 0.1, seed=1).y
    assert set(np.unique(labels)) == {0.0, 1.0}
    ds = make_dataset("linear", 5000, 0.01, seed=1, w=-3.0, b=0.5)
    w, b = np.polyfit(ds.x, ds.y, 1)
    assert abs(w + 3) < 0.01 and abs(b - 0.5) < 0.01
    with pytest.raises(DatasetError):
        make_dataset("linear", 0)
    with pytest.raises(DatasetError):
        make_dataset("linear", 10, z=1.0)


def _csv(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_csv_header_comments_blank_lines(tmp_path):
    p = _csv(tmp_path, "# my data\nx,y\n\n1, 2\n3,4  # inline comment\n\n-5e-1,6\n")
    ds = load_csv(p)
    np.testing.assert_array_equal(ds.values, [[1, 2], [3, 4], [-0.5, 6]])
    assert ds.name == "data.csv"
    np.testing.assert_array_equal(load_csv(_csv(tmp_path, "1 2\n3\t4\n", "w.txt")).values, [[1, 2], [3, 4]])
    crlf = tmp_path / "mac.csv"
    crlf.write_bytes(b"x,y\r1,2\r\n3,4\r")  # old Mac and Windows line ends
    np.testing.assert_array_equal(load_csv(crlf).values, [[1, 2], [3, 4]])


@pytest.mark.parametrize("text, message", [
    ("x,y\n1,2\n3,4,5\n", "data.csv, line 3: expected 2 numbers, got 3"),
    ("1,2\n\n3\n", "data.csv, line 3: expected 2 numbers, got 1"),
    ("1,2\n3,abc\n", "data.csv, line 2: 'abc' is not a number"),
    ("x,y\nx,y\n", "data.csv, line 2: 'x' is not a number"),
    ("1,2\n3,nan\n", "data.csv, line 2: 'nan' is not a finite number"),
    ("1,2\n3," + "1" * 2000 + "\n", "data.csv, line 2: the row is 2,002 characters long; a row is two numbers "
     "(at most 1,000 characters)"),
    ("1,2\n3," + "1" * 990 + "e999\n", "data.csv, line 2: '" + "1" * 59 + "… is not a finite number"),
    ("", "data.csv: no data rows"),
    ("# only a comment\nx,y\n\n", "data.csv: no data rows"),
])
def test_load_csv_errors(tmp_path, text, message):
    with pytest.raises(DatasetError) as err:
        load_csv(_csv(tmp_path, text))
    assert str(err.value) == message
    assert isinstance(err.value, ValueError)


def test_load_csv_logistic_labels_and_missing_file(tmp_path):
    p = _csv(tmp_path, "x,label\n0.5,1\n1.5,0\n2.5,0.5\n")
    assert load_csv(p).size == 3
    with pytest.raises(DatasetError, match=r"data.csv, line 4: Logistic regression labels must be 0 or 1"):
        load_csv(p, model="logistic")
    with pytest.raises(DatasetError, match="row 3: .*labels must be 0 or 1"):
        load_csv(p).check_for_model("logistic")
    with pytest.raises(DatasetError, match="missing.csv: no such file"):
        load_csv(tmp_path / "missing.csv")


def test_dataset_limits():
    with pytest.raises(DatasetError, match="at most 1,000,000"):
        Dataset(np.zeros((1_000_001, 2)))
    with pytest.raises(DatasetError):
        Dataset(np.zeros((3, 3)))
    with pytest.raises(DatasetError):
        Dataset(np.array([[1.0, np.inf]]))

"""Throughput of the data-backed gradient tile: particle-steps per second.

10,000 particles on a 10,000-sample dataset, one step = one call of
``data_loss_grad_tile`` per tile (as the kernel does), tiles in parallel
(``prange``) or serially. Compares full batch (GD), mini-batches B = 1, 32, 256
with and without replacement, and a NumPy vectorized equivalent.

    .venv/bin/python scripts/bench_data.py [--particles N] [--samples N] [--model linear]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optviz.core.data import make_dataset
from optviz.core.data.gradients import data_loss_grad_tile
from optviz.core.data.models import get_model
from optviz.core.jit import KERNEL_OPTIONS, TILE, njit, prange


@njit(**KERNEL_OPTIONS)
def steps_tile(model_id, data, batch_size, without_replacement, seed, t0, n_steps, theta, lr, full_loss,
               start, count):
    """n_steps of plain SGD (theta -= lr * grad) on particles [start, start + count), as a kernel's tile."""
    loss = np.empty(TILE)
    grad = np.empty((2, TILE))
    w = theta[0, start:start + count]
    b = theta[1, start:start + count]
    for s in range(n_steps):
        data_loss_grad_tile(model_id, data, batch_size, without_replacement, seed, t0 + s + 1, theta,
                            start, count, full_loss, loss, grad)
        for j in range(count):
            w[j] -= lr * grad[0, j]
            b[j] -= lr * grad[1, j]


@njit(parallel=True, **KERNEL_OPTIONS)
def steps_parallel(model_id, data, batch_size, without_replacement, seed, t0, n_steps, theta, lr, full_loss):
    """steps_tile on every tile, tiles in parallel."""
    n = theta.shape[1]
    for tile in prange((n + TILE - 1) // TILE):
        start = tile * TILE
        steps_tile(model_id, data, batch_size, without_replacement, seed, t0, n_steps, theta, lr, full_loss,
                   start, min(TILE, n - start))


@njit(**KERNEL_OPTIONS)
def steps_serial(model_id, data, batch_size, without_replacement, seed, t0, n_steps, theta, lr, full_loss):
    """steps_tile on every tile, on the calling thread."""
    n = theta.shape[1]
    for tile in range((n + TILE - 1) // TILE):
        start = tile * TILE
        steps_tile(model_id, data, batch_size, without_replacement, seed, t0, n_steps, theta, lr, full_loss,
                   start, min(TILE, n - start))


def numpy_step(mid, data, batch_size, rng, theta, lr):
    """NumPy equivalent of one SGD step (with-replacement batches, or the full batch)."""
    n = data.shape[0]
    npart = theta.shape[1]
    if batch_size <= 0 or batch_size >= n:
        x = data[:, 0][None, :]
        y = data[:, 1][None, :]
    else:
        idx = rng.integers(0, n, size=(npart, batch_size))
        x = data[idx, 0]
        y = data[idx, 1]
    w = theta[0][:, None]
    b = theta[1][:, None]
    if mid == 0:
        r = w * x + b - y
        g0, g1 = (2 * r * x).mean(axis=1), (2 * r).mean(axis=1)
        _ = (r * r).mean(axis=1)
    elif mid == 1:
        z = w * x + b
        sig = 1.0 / (1.0 + np.exp(-z))
        _ = (np.logaddexp(0.0, z) - y * z).mean(axis=1)
        g0, g1 = ((sig - y) * x).mean(axis=1), (sig - y).mean(axis=1)
    else:
        t = np.tanh(b * x)
        r = w * t - y
        _ = (r * r).mean(axis=1)
        g0, g1 = (2 * r * t).mean(axis=1), (2 * r * w * x * (1 - t * t)).mean(axis=1)
    theta[0] -= lr * g0
    theta[1] -= lr * g1


def timed(fn, min_time=1.0):
    """Seconds per call (repeats until min_time has passed)."""
    fn()
    reps = 0
    t0 = time.perf_counter()
    while True:
        fn()
        reps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--particles", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--model", default="linear")
    ap.add_argument("--no-numpy", action="store_true")
    args = ap.parse_args()
    spec = get_model(args.model)
    ds = make_dataset(spec.name, args.samples, 0.3, seed=0)
    data = ds.values
    npart = args.particles
    rng = np.random.default_rng(0)
    theta0 = np.ascontiguousarray(rng.normal(size=(2, npart)))
    t0 = time.perf_counter()
    steps_parallel(spec.id, data, 32, False, 1, 0, 1, theta0.copy(), 0.01, False)
    steps_serial(spec.id, data, 32, False, 1, 0, 1, theta0.copy(), 0.01, False)
    print(f"model {spec.name}: {npart:,} particles, {args.samples:,} samples; "
          f"compile/load {time.perf_counter() - t0:.1f} s")
    print(f"{'estimate':<28}{'parallel':>14}{'serial':>14}{'NumPy':>14}   (particle-steps/s)")
    cases = [("full batch (GD)", 0, False)]
    for b in (1, 32, 256):
        cases += [(f"B={b} with replacement", b, False), (f"B={b} without replacement", b, True)]
    for label, b, wor in cases:
        n_steps = 1 if b == 0 else max(1, min(200, 20_000 // max(b, 1)))
        theta = theta0.copy()

        def par(b=b, wor=wor, n_steps=n_steps, theta=theta):
            steps_parallel(spec.id, data, b, wor, 1, 0, n_steps, theta, 1e-3, False)

        def ser(b=b, wor=wor, n_steps=n_steps, theta=theta):
            steps_serial(spec.id, data, b, wor, 1, 0, n_steps, theta, 1e-3, False)

        rate_p = npart * n_steps / timed(par)
        rate_s = npart * n_steps / timed(ser)
        rate_np = float("nan")
        if not args.no_numpy and not wor:
            th = theta0.copy()
            r = np.random.default_rng(1)
            rate_np = npart / timed(lambda b=b, r=r, th=th: numpy_step(spec.id, data, b, r, th, 1e-3), 0.5)
        print(f"{label:<28}{rate_p:>14.3g}{rate_s:>14.3g}{rate_np:>14.3g}")


if __name__ == "__main__":
    main()

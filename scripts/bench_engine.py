"""Engine throughput: particle-steps per second, optviz vs NumPy, torch and JAX, in one run.

    .venv/bin/python scripts/bench_engine.py [--sizes 1e3 1e5 1e6] [--steps 50] [--quick]

For Adam and SGD with momentum on Rosenbrock and Rastrigin it times, at each N:
optviz's kernel without recording and recording every step; a NumPy vectorized
loop; torch.optim with autograd (what the lecture notes' code does); torch.optim
with analytic gradients and fused=True; JAX (jit + lax.scan) if installed. The
machine is shared and noisy: the ratios in the last columns are what count.
Targets (2 cores, N = 1e6, Adam on Rosenbrock): >= 10x NumPy, >= 10x autograd,
>= 4x fused torch, recording every step < 1.5x the cost of not recording.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.landscapes import get_landscape
from optviz.core.optimizers import get_optimizer
from optviz.core.surface import builtin_surface

CASES = [("adam", {"lr": 1e-3}), ("momentum", {"lr": 1e-4, "momentum": 0.9})]
LANDSCAPES = ["rosenbrock", "rastrigin"]


def start_positions(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform([-2.0, -1.0], [2.0, 3.0], size=(n, 2))


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_optviz(name, hyper, landscape, n, steps, record_every, repeats):
    """Best time of ``steps`` steps on a fresh simulation (allocation and warm-up not timed)."""
    spec = get_optimizer(name)
    land = get_landscape(landscape)
    group = ParticleGroup(spec, spec.resolve(hyper), {"kind": "constant"}, start_positions(n))
    frames = steps // record_every + 3 if record_every <= steps else 3
    best = math.inf
    for _ in range(repeats):
        sim = Simulation(builtin_surface(land.name), [group], record_every=record_every, max_frames=frames)
        sim.advance(1)
        t = time.perf_counter()
        sim.advance(steps)
        best = min(best, time.perf_counter() - t)
    return n * steps / best


def numpy_grad(landscape, th):
    x, y = th[:, 0], th[:, 1]
    if landscape == "rosenbrock":
        return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)
    a = 10.0
    return np.stack([2 * x + 2 * math.pi * a * np.sin(2 * math.pi * x),
                     2 * y + 2 * math.pi * a * np.sin(2 * math.pi * y)], axis=1)


def bench_numpy(name, hyper, landscape, n, steps, repeats):
    def run():
        th = start_positions(n)
        m = np.zeros_like(th)
        v = np.zeros_like(th)
        lr = hyper["lr"]
        for t in range(1, steps + 1):
            g = numpy_grad(landscape, th)
            if name == "adam":
                m += 0.1 * (g - m)
                v *= 0.999
                v += 0.001 * g * g
                th -= (lr / (1 - 0.9**t)) * m / (np.sqrt(v) / math.sqrt(1 - 0.999**t) + 1e-8)
            else:
                m *= 0.9
                m += g
                th -= lr * m

    return n * steps / best_of(run, repeats)


def torch_loss(torch, landscape, p):
    x, y = p[:, 0], p[:, 1]
    if landscape == "rosenbrock":
        return ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum()
    return (20 + x * x - 10 * torch.cos(2 * math.pi * x) + y * y - 10 * torch.cos(2 * math.pi * y)).sum()


def torch_grad(torch, landscape, p):
    x, y = p[:, 0], p[:, 1]
    if landscape == "rosenbrock":
        return torch.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], dim=1)
    return torch.stack([2 * x + 20 * math.pi * torch.sin(2 * math.pi * x),
                        2 * y + 20 * math.pi * torch.sin(2 * math.pi * y)], dim=1)


def make_torch_optimizer(torch, name, hyper, p, fused):
    kw = {"fused": True} if fused else {}
    if name == "adam":
        return torch.optim.Adam([p], lr=hyper["lr"], **kw)
    return torch.optim.SGD([p], lr=hyper["lr"], momentum=0.9, **kw)


def bench_torch(name, hyper, landscape, n, steps, repeats, autograd):
    import torch

    def run():
        p = torch.tensor(start_positions(n), requires_grad=autograd)
        opt = make_torch_optimizer(torch, name, hyper, p, fused=not autograd)
        for _ in range(steps):
            opt.zero_grad()
            if autograd:
                torch_loss(torch, landscape, p).backward()
            else:
                with torch.no_grad():
                    p.grad = torch_grad(torch, landscape, p)
            opt.step()

    return n * steps / best_of(run, repeats)


def bench_jax(name, hyper, landscape, n, steps, repeats):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def grad(th):
        x, y = th[:, 0], th[:, 1]
        if landscape == "rosenbrock":
            return jnp.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)
        return jnp.stack([2 * x + 20 * math.pi * jnp.sin(2 * math.pi * x),
                          2 * y + 20 * math.pi * jnp.sin(2 * math.pi * y)], axis=1)

    lr = hyper["lr"]

    def body(carry, t):
        th, m, v = carry
        g = grad(th)
        if name == "adam":
            m = m + 0.1 * (g - m)
            v = 0.999 * v + 0.001 * g * g
            th = th - (lr / (1 - 0.9**t)) * m / (jnp.sqrt(v) / jnp.sqrt(1 - 0.999**t) + 1e-8)
        else:
            m = 0.9 * m + g
            th = th - lr * m
        return (th, m, v), None

    @jax.jit
    def run_scan(th):
        z = jnp.zeros_like(th)
        return jax.lax.scan(body, (th, z, z), jnp.arange(1, steps + 1, dtype=jnp.float64))[0][0]

    th0 = jnp.asarray(start_positions(n))
    run_scan(th0).block_until_ready()
    return n * steps / best_of(lambda: run_scan(th0).block_until_ready(), repeats)


def available(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def compile_times() -> tuple[float, float]:
    """Seconds for a cold compile (fresh cache dir) and a warm start (cache hit) of all kernels."""
    import os
    import subprocess
    import sys
    import tempfile

    code = ("import time; t=time.perf_counter(); from optviz.core.warmup import warm_kernels; "
            "warm_kernels(exact=True); print(time.perf_counter()-t)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.split()[-1])
        warm = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.split()[-1])
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e3, 1e5, 1e6])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="skip the cold/warm compile timing")
    args = parser.parse_args()
    has_torch, has_jax = available("torch"), available("jax")
    if has_torch:
        import torch

        torch.set_num_threads(2)
    header = (f"{'case':<22}{'N':>9}{'optviz':>10}{'opt+rec':>10}{'numpy':>10}{'autograd':>10}"
              f"{'fused':>10}{'jax':>10}   x numpy  x autograd  x fused  x jax  rec cost")
    print("particle-steps per second (higher is better)")
    print(header)
    for name, hyper in CASES:
        for landscape in LANDSCAPES:
            for size in args.sizes:
                n = int(size)
                steps = args.steps if n >= 100_000 else args.steps * 20
                reps = args.repeats
                ours = bench_optviz(name, hyper, landscape, n, steps, 10**9, reps)
                recorded = bench_optviz(name, hyper, landscape, n, min(steps, 20), 1, reps)
                ref_steps = max(3, steps // 10)
                npy = bench_numpy(name, hyper, landscape, n, ref_steps, reps)
                auto = bench_torch(name, hyper, landscape, n, ref_steps, reps, True) if has_torch else math.nan
                fused = bench_torch(name, hyper, landscape, n, ref_steps, reps, False) if has_torch else math.nan
                jx = bench_jax(name, hyper, landscape, n, steps, reps) if has_jax else math.nan
                print(f"{name + '/' + landscape:<22}{n:>9}{ours:>10.3g}{recorded:>10.3g}{npy:>10.3g}"
                      f"{auto:>10.3g}{fused:>10.3g}{jx:>10.3g}   {ours / npy:>7.1f}  {ours / auto:>10.1f}"
                      f"  {ours / fused:>7.1f}  {ours / jx:>5.1f}  {ours / recorded:>7.2f}x", flush=True)
    if not args.no_compile:
        cold, warm = compile_times()
        print(f"\nall kernels: cold compile {cold:.1f} s, warm start (cache hit) {warm:.2f} s")


if __name__ == "__main__":
    main()

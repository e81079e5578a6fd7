"""Benchmark user-typed landscapes (optviz.core.expressions).

Measures, in this process:
- compile_expression of a new expression (parse + SymPy + codegen + import);
- the first call of evaluate_tile (Numba JIT, or a load from Numba's cache
  when the generated module was compiled by an earlier process: run this
  script twice to see cold vs warm);
- evaluate_tile over 1e6 particles in tiles of 64, against a hand-written
  njit Rosenbrock tile function with the same signature (ratio ~1 expected).

Usage: python scripts/bench_expressions.py [--particles N] [--repeat R]
"""

import argparse
import time

import numpy as np

from optviz.core.jit import KERNEL_OPTIONS, TILE, njit


@njit(**KERNEL_OPTIONS)
def rosenbrock_tile(landscape_id, params, theta, start, count, loss, grad):
    a = params[0]
    b = params[1]
    for j in range(count):
        i = start + j
        x = theta[0, i]
        y = theta[1, i]
        r = y - x * x
        loss[j] = (a - x) ** 2 + b * r * r
        grad[0, j] = -2.0 * (a - x) - 4.0 * b * x * r
        grad[1, j] = 2.0 * b * r


def make_sweep(tile_fn):
    @njit(**{**KERNEL_OPTIONS, "cache": False})
    def sweep(params, theta, loss, grad):
        n = theta.shape[1]
        acc = 0.0
        for start in range(0, n, TILE):
            count = min(TILE, n - start)
            tile_fn(0, params, theta, start, count, loss, grad)
            acc += loss[0] + grad[0, 0] + grad[1, count - 1]
        return acc

    return sweep


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from optviz.core.codecache import generated_dir as cache_dir
    from optviz.core.expressions import compile_expression

    t_import = time.perf_counter() - t0
    print(f"import optviz.core.expressions: {t_import * 1e3:.0f} ms; cache: {cache_dir()}")

    text = "(a - x)**2 + b*(y - x**2)**2"
    params = {"a": 1.0, "b": 100.0}
    t = time.perf_counter()
    ce = compile_expression(text, params)
    t_compile = time.perf_counter() - t
    t = time.perf_counter()
    compile_expression(text, params)
    t_memo = time.perf_counter() - t
    # A never-seen expression (fresh constant): the whole pipeline, uncached.
    fresh = f"(a - x)**2 + b*(y - x**2)**2 + {time.time_ns() % 997}*sin(x*y)"
    t = time.perf_counter()
    ce_fresh = compile_expression(fresh, params)
    t_fresh = time.perf_counter() - t
    print(f"compile_expression: rosenbrock {t_compile * 1e3:.0f} ms, "
          f"fresh expression {t_fresh * 1e3:.0f} ms, memoized {t_memo * 1e6:.0f} us")

    p = ce.pack_params(params)
    rng = np.random.default_rng(0)
    theta = np.ascontiguousarray(rng.uniform(-2, 2, size=(2, args.particles)))
    loss = np.empty(TILE)
    grad = np.empty((2, TILE))

    t = time.perf_counter()
    ce.evaluate_tile(0, p, theta, 0, TILE, loss, grad)
    t_first = time.perf_counter() - t
    t = time.perf_counter()
    ce_fresh.evaluate_tile(0, p, theta, 0, TILE, loss, grad)
    t_first_fresh = time.perf_counter() - t
    print(f"first evaluate_tile call (JIT or Numba cache load): rosenbrock "
          f"{t_first * 1e3:.0f} ms, fresh {t_first_fresh * 1e3:.0f} ms")

    sweep_gen = make_sweep(ce.evaluate_tile)
    sweep_ref = make_sweep(rosenbrock_tile)
    a1 = sweep_gen(p, theta, loss, grad)
    a2 = sweep_ref(p, theta, loss, grad)
    assert np.isclose(a1, a2, rtol=1e-9), (a1, a2)

    t_gen = best_of(lambda: sweep_gen(p, theta, loss, grad), args.repeat)
    t_ref = best_of(lambda: sweep_ref(p, theta, loss, grad), args.repeat)
    n = args.particles
    print(f"evaluate_tile over {n} particles in tiles of {TILE}:")
    print(f"  generated  {t_gen * 1e3:7.3f} ms  ({n / t_gen:.3g} particles/s)")
    print(f"  hand-written {t_ref * 1e3:5.3f} ms  ({n / t_ref:.3g} particles/s)")
    print(f"  ratio generated / hand-written = {t_gen / t_ref:.2f}")


if __name__ == "__main__":
    main()

"""Maps benchmark (issue 11): every figure the issue asks for, measured in one run.

    PYTHONPATH=. .venv/bin/python scripts/bench_maps.py            # 5 interleaved rounds (~4 min)
    PYTHONPATH=. .venv/bin/python scripts/bench_maps.py --quick    # 256^2 grid, 2 rounds: a smoke run

1. A 1024^2 basin map of Adam (lr 0.05) on Himmelblau, 500 steps (5.2e8 particle-steps), eps 1e-6,
   start points on [-5, 5]^2: ``optviz.core.maps.run_map`` on local threads (target < 5 s), against a
   NumPy vectorized implementation of the same thing (the same Adam, divergence freeze, "within
   eps" tracking and nearest-minimum basins, in blocks of 65,536 particles so that its arrays stay
   in cache: NumPy's best case), and JAX vmap if JAX is installed. The NumPy map is checked to
   agree with optviz's (fraction of cells with the same basin).
2. Zoom refinement: ``refine_map`` of a 512^2 map of the same case, the time to its first (coarse,
   1/8 per axis) image (target < 0.3 s) and to the full map (issue: under 2 s).
3. Memory: the peak resident memory a 1024^2 map adds, in a fresh process (after a small warm-up
   map), against what the map's per-cell results need and what recording trajectories would need.
4. For information: a 256^2 hyper map (Adam, lr x beta1, one start point), whose per-particle
   hyperparameters recompute the bias corrections every step.

Every case runs once per round, rounds interleaved; each figure is the median [min-max] over the
rounds, ratios taken within a round. The machine is shared: ``uptime`` is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np

from optviz.core.engine import ParticleGroup
from optviz.core.maps import MapAxis, MapRequest, refine_map, run_map
from optviz.core.optimizers import get_optimizer
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import builtin_surface

LR, STEPS, EPS, BOX = 0.05, 500, 1e-6, (-5.0, 5.0)
BETA1, BETA2, ADAM_EPS = 0.9, 0.999, 1e-8
LIMIT = 1e30
NUMPY_BLOCK = 1 << 16
MAP_TARGET_S, COARSE_TARGET_S, FULL_512_TARGET_S = 5.0, 0.3, 2.0

SURFACE = builtin_surface("himmelblau")


def adam_group(starts=((0.0, 0.0),)) -> ParticleGroup:
    spec = get_optimizer("adam")
    return ParticleGroup(spec, spec.resolve({"lr": LR}), resolve_schedule(None), np.array(starts, dtype=np.float64))


def basin_request(n: int) -> MapRequest:
    return MapRequest("basin", MapAxis("x", *BOX, n), MapAxis("y", *BOX, n), adam_group(), SURFACE, STEPS, EPS,
                      SURFACE.known_minima)


def hyper_request(n: int) -> MapRequest:
    return MapRequest("hyper", MapAxis("lr", 1e-3, 1.0, n, "log"), MapAxis("beta1", 0.0, 0.99, n),
                      adam_group(((-1.0, 1.0),)), SURFACE, STEPS, EPS, SURFACE.known_minima)


# NumPy (and JAX, below): the same map, vectorized ------------------------------------------------


def track_settling(xp, t, x, y, alive, settled):
    """Himmelblau's gradient at (x, y), and the divergence and "within eps" tracking of step ``t``
    (``xp``: numpy or jax.numpy): (gx, gy, alive, settled), ``settled`` the first step of the current
    run of steps within EPS of a minimum's value (every minimum of Himmelblau has the value 0), -1
    while outside."""
    t1 = x * x + y - 11.0
    t2 = x + y * y - 7.0
    f = t1 * t1 + t2 * t2
    gx = 4.0 * x * t1 + 2.0 * t2
    gy = 2.0 * t1 + 4.0 * y * t2
    alive = alive & (xp.abs(f) <= LIMIT)
    within = alive & (xp.abs(f) < EPS)
    settled = xp.where(within, xp.where(settled >= 0, settled, t), -1)
    return gx, gy, alive, settled


def adam_move(xp, t, x, y, gx, gy, mx, my, vx, vy, alive):
    """Adam's step ``t + 1`` (lr LR, betas BETA1 and BETA2, eps ADAM_EPS) from (x, y) with gradient
    (gx, gy) (``xp``: numpy or jax.numpy), frozen where it would leave [-LIMIT, LIMIT] (the particle
    then no longer alive): (x, y, mx, my, vx, vy, alive)."""
    step = t + 1.0
    mx = BETA1 * mx + (1.0 - BETA1) * gx
    my = BETA1 * my + (1.0 - BETA1) * gy
    vx = BETA2 * vx + (1.0 - BETA2) * gx * gx
    vy = BETA2 * vy + (1.0 - BETA2) * gy * gy
    size = LR / (1.0 - BETA1**step)
    root = xp.sqrt(1.0 - BETA2**step)
    nx = x - size * mx / (xp.sqrt(vx) / root + ADAM_EPS)
    ny = y - size * my / (xp.sqrt(vy) / root + ADAM_EPS)
    moved = alive & (xp.abs(nx) <= LIMIT) & (xp.abs(ny) <= LIMIT)
    return xp.where(moved, nx, x), xp.where(moved, ny, y), mx, my, vx, vy, alive & moved


def numpy_block(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adam on Himmelblau for start points (x, y): (final x, final y, settled step, diverged)."""
    mx, my, vx, vy = (np.zeros_like(x) for _ in range(4))
    alive = np.ones(len(x), dtype=bool)
    settled = np.full(len(x), -1)
    for t in range(STEPS + 1):
        gx, gy, alive, settled = track_settling(np, t, x, y, alive, settled)
        if t == STEPS:
            break
        x, y, mx, my, vx, vy, alive = adam_move(np, t, x, y, gx, gy, mx, my, vx, vy, alive)
    return x, y, settled, ~alive


def numpy_map(n: int) -> np.ndarray:
    """The basin codes (n, n) of the benchmark map, computed with NumPy."""
    xs = np.linspace(*BOX, n)
    gx, gy = np.meshgrid(xs, xs)
    gx, gy = gx.ravel(), gy.ravel()
    centers = np.array([[m.x, m.y] for m in SURFACE.known_minima])
    basin = np.empty(len(gx), dtype=np.int64)
    with np.errstate(all="ignore"):
        for a in range(0, len(gx), NUMPY_BLOCK):
            x, y, settled, diverged = numpy_block(gx[a: a + NUMPY_BLOCK], gy[a: a + NUMPY_BLOCK])
            d = (x[:, None] - centers[None, :, 0]) ** 2 + (y[:, None] - centers[None, :, 1]) ** 2
            basin[a: a + NUMPY_BLOCK] = np.where(diverged, -2, np.where(settled >= 0, np.argmin(d, axis=1), -1))
    return basin.reshape(n, n)


def jax_map(n: int):
    """The same map with jax.vmap over start points and lax.fori_loop over steps, or None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def one(p):
        def body(t, carry):
            x, y, mx, my, vx, vy, alive, settled = carry
            gx, gy, alive, settled = track_settling(jnp, t, x, y, alive, settled)
            return (*adam_move(jnp, t, x, y, gx, gy, mx, my, vx, vy, alive), settled)

        zero = jnp.zeros(())
        init = (p[0], p[1], zero, zero, zero, zero, jnp.array(True), jnp.array(-1))
        return jax.lax.fori_loop(0, STEPS + 1, body, init)

    xs = np.linspace(*BOX, n)
    gx, gy = np.meshgrid(xs, xs)
    points = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], axis=1))
    run = jax.jit(jax.vmap(one))
    run(points[:64])[0].block_until_ready()
    start = time.perf_counter()
    run(points)[0].block_until_ready()
    return time.perf_counter() - start


# Memory, in a fresh process ------------------------------------------------------------------------

MEMORY_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import bench_maps as b
    from optviz.core.maps import run_map

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

    run_map(b.basin_request(64))
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to the current resident size
    result = run_map(b.basin_request({n}))
    peak = status("VmHWM")
    held = sum(getattr(result, f).nbytes for f in ("basin", "steps_to_eps", "final_loss", "converged", "diverged",
                                                   "final_position"))
    print(before, peak, held)
""")


def memory_figures(n: int) -> tuple[int, int, int]:
    """(resident size after a warm-up map, peak resident size during a map of n^2 cells, bytes of its
    result's arrays), in a fresh process (Linux: /proc/self/status, the peak reset before the map)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    script = MEMORY_SCRIPT.format(root=os.path.dirname(os.path.abspath(__file__)), n=n)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    before, peak, held = map(int, out.stdout.split())
    return before, peak, held


# The rounds -------------------------------------------------------------------------------------------


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - start, value


def coarse_then_full(n: int) -> tuple[float, float, tuple]:
    start = time.perf_counter()
    levels = refine_map(basin_request(n))
    first = next(levels)
    t_first = time.perf_counter() - start
    *_, last = levels
    return t_first, time.perf_counter() - start, (first.basin.shape, last.basin.shape)


def fmt(values: list[float], unit: str = "s", digits: int = 3) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.{digits}f} {unit} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=1024, help="cells per axis of the basin map")
    parser.add_argument("--zoom-size", type=int, default=512)
    parser.add_argument("--quick", action="store_true", help="256^2, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.size, args.zoom_size = 2, 256, 256
    n = args.size
    work = n * n * STEPS
    print(f"uptime before: {uptime()}")
    print(f"CPUs for this process: {len(os.sched_getaffinity(0))}; {n}^2 cells x {STEPS} steps = {work:.3g} "
          f"particle-steps")
    start = time.perf_counter()
    run_map(basin_request(64))
    run_map(hyper_request(8))
    print(f"warm-up (compile or load the kernels): {time.perf_counter() - start:.2f} s")

    t_optviz, t_numpy, ratios, agree, first, full, hyper, memory = [], [], [], [], [], [], [], []
    for k in range(args.rounds):
        t, result = timed(run_map, basin_request(n))
        t_optviz.append(t)
        tn, basin = timed(numpy_map, n)
        t_numpy.append(tn)
        ratios.append(tn / t)
        agree.append(float(np.mean(basin == result.basin)))
        a, b, shapes = coarse_then_full(args.zoom_size)
        first.append(a)
        full.append(b)
        th, _ = timed(run_map, hyper_request(256))
        hyper.append(th)
        memory.append(memory_figures(n))
        print(f"round {k + 1}: optviz {t:.2f} s, NumPy {tn:.1f} s ({tn / t:.0f}x), coarse {a * 1000:.0f} ms "
              f"{shapes[0]}, full {b:.2f} s {shapes[1]}, hyper 256^2 {th:.2f} s", flush=True)

    print()
    print(f"1. {n}^2 basin map, Adam on Himmelblau, {STEPS} steps ({work:.3g} particle-steps)")
    print(f"   optviz run_map   {fmt(t_optviz)}   {work / statistics.median(t_optviz):.3g} particle-steps/s"
          f"   target < {MAP_TARGET_S:g} s: {'met' if statistics.median(t_optviz) < MAP_TARGET_S else 'NOT met'}")
    print(f"   NumPy vectorized {fmt(t_numpy, digits=1)}   {work / statistics.median(t_numpy):.3g} particle-steps/s")
    print(f"   optviz / NumPy speed-up {fmt(ratios, 'x', 1)}; same basin in "
          f"{100 * statistics.median(agree):.3f} % of cells")
    jax_time = jax_map(n)
    print("   JAX vmap         " + ("not installed" if jax_time is None else f"{jax_time:.2f} s (one round)"))
    print(f"2. refine_map of a {args.zoom_size}^2 map: first (coarse) image {fmt(first)}"
          f" (target < {COARSE_TARGET_S:g} s: {'met' if statistics.median(first) < COARSE_TARGET_S else 'NOT met'});"
          f" full map {fmt(full)} (issue: < {FULL_512_TARGET_S:g} s)")
    before = [m[0] for m in memory]
    added = [(m[1] - m[0]) / 2**20 for m in memory]
    held = memory[0][2] / 2**20
    trajectories = n * n * (STEPS + 1) * 3 * 4 / 2**30
    print(f"3. memory: during a {n}^2 map the resident size peaks {fmt(added, 'MiB', 0)} above the "
          f"{statistics.median(before) / 2**20:.0f} MiB of a warmed-up process; its per-cell results hold "
          f"{held:.0f} MiB "
          f"({held * 2**20 / (n * n):.0f} B per cell); recording trajectories (x, y, loss as float32 per step) "
          f"would need {trajectories:.1f} GiB")
    print(f"4. 256^2 hyper map (Adam, lr x beta1, one start), {STEPS} steps: {fmt(hyper)}, "
          f"{256 * 256 * STEPS / statistics.median(hyper):.3g} particle-steps/s")
    print(f"peak resident size of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"uptime after: {uptime()}")


if __name__ == "__main__":
    main()

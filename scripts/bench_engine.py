"""Engine v2 benchmark (issue 8): every figure the issue asks for, as ratios measured in one run.

    .venv/bin/python scripts/bench_engine.py                 # N = 1e6, 100 steps, 5 rounds (~10-15 min)
    .venv/bin/python scripts/bench_engine.py --quick         # N = 1e5, 2 rounds: a smoke run
    .venv/bin/python scripts/bench_engine.py --markdown      # final tables as Markdown for the README

All rates are particle-steps per second. The machine is shared and noisy, so
every case runs once per round, round after round, and each figure is reported
as the median and [min-max] over the rounds; ratios are taken within a round.

1. Throughput, recording off (only frame 0 is recorded), for Adam and SGD with
   momentum 0.9 on Rosenbrock and Rastrigin: optviz; NumPy (vectorized, same
   math, gradient + update); torch.optim with autograd (the lecture notes'
   loop: an (N, 2) parameter, loss.sum().backward(), opt.step()); fused torch
   (hand-written in-place tensor math for gradient + update, float64, no
   autograd); and a hand-tiled Numba ceiling defined below (issue 8 gives it
   for Rosenbrock; on Rastrigin it uses optviz's own vectorizable sin/cos).
   Slow implementations run fewer steps: each rate is timed over at least
   --seconds. torch runs at 1 thread and at one per core, and the faster
   counts (on a busy machine its OpenMP ops at 2 threads can be 10-100x
   slower than at 1). Targets: optviz >= 5x fused torch (Adam/Rosenbrock),
   >= 10x (momentum/Rosenbrock), >= 3x (Rastrigin), >= 10x autograd
   everywhere, and within 1.5x of the ceiling.
2. Recording every step (float32) at a number of steps whose history fits
   --record-mb: rate, cost against not recording, history bytes written per
   particle-step, the write bandwidth that achieves, and the share of this
   machine's write bandwidth (best of a parallel Numba fill and np.copyto;
   target >= 70 %).
3. ``optviz run`` end to end (Adam, Rosenbrock, --run-size particles x
   --run-steps, record_every --run-record-every, default history budget) as a
   subprocess, minus the time of a tiny run (100 particles, 10 steps) with the
   same warm cache, against a fused torch loop of the same steps that also
   computes the loss (at the thread count faster over 3 steps). Target >= 3x.
   In round 1 the same run is also timed in this process, phase by phase
   (read, build, compile, advance, collect the result, save the .npz).
4. Start-up, in subprocesses with a fresh kernel cache (XDG_CACHE_HOME a new
   folder; OPTVIZ_CACHE_DIR and NUMBA_CACHE_DIR unset): the first kernel
   (Adam/Rosenbrock), then every optimizer family on Rosenbrock in the same
   process, the same again with the cache filled, and a cold ``optviz run`` of
   100 particles x 200 steps (target < 15 s). A kernel is "ready" after
   ``Simulation.compile()`` of a group of 262,144 particles (enough for the
   parallel kernel); engines without compile() build it and advance one step.
   Cold compiles are slow, so only the first --startup-rounds rounds (2) do this.

torch is optional: without it the autograd and fused torch columns are skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import optviz
from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.history import bytes_per_frame
from optviz.core.landscapes.fastmath import fast_sincospi
from optviz.core.optimizers import FAMILIES, get_optimizer
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import builtin_surface
from optviz.experiment import load_experiment
from optviz.experiment.runner import build_simulation, result_of

# isort: split
# Numba after optviz: optviz selects Numba's kernel cache folder and threading layer before Numba loads.
import numba

Stepper = Callable[[int], None]

HYPER = {"adam": {"lr": 1e-3}, "momentum": {"lr": 1e-4, "momentum": 0.9}}
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
TWO_PI = 2.0 * math.pi
RASTRIGIN_A = 10.0

#: Records nothing after frame 0 within any benchmark run.
NEVER = 10**9
#: Particles of the ceiling kernel advanced in lockstep by its innermost (SIMD) loop.
TILE = 64
#: The ceiling kernel freezes a particle whose loss leaves this bound (as optviz does).
LIMIT = 1e30

AUTOGRAD_TARGET = 10.0
CEILING_TARGET = 1.5
BANDWIDTH_TARGET = 0.70
RUN_TARGET = 3.0
COLD_RUN_TARGET_S = 15.0

QUICK = {"sizes": [1e5], "steps": 50, "rounds": 2, "seconds": 0.3, "record_mb": 256.0, "run_size": 1e5,
         "run_steps": 200, "startup_rounds": 1, "bandwidth_mb": 256}


@dataclass(frozen=True)
class Case:
    """One optimizer on one landscape, with its target speed-up over fused torch."""

    optimizer: str
    landscape: str
    fused_target: float

    @property
    def name(self) -> str:
        return f"{self.optimizer}/{self.landscape}"

    @property
    def hyper(self) -> dict[str, float]:
        return HYPER[self.optimizer]


CASES = (
    Case("adam", "rosenbrock", 5.0),
    Case("momentum", "rosenbrock", 10.0),
    Case("adam", "rastrigin", 3.0),
    Case("momentum", "rastrigin", 3.0),
)
IMPLEMENTATIONS = ("optviz", "numpy", "autograd", "fused", "ceiling")
TITLES = {"optviz": "optviz", "numpy": "NumPy", "autograd": "torch autograd", "fused": "fused torch",
          "ceiling": "Numba ceiling"}


class Figures:
    """Every measured value by key, one entry per round in which it was measured."""

    def __init__(self):
        self.values: dict[tuple, list[float]] = defaultdict(list)
        self.notes: dict[str, str] = {}

    def add(self, key: tuple, value: float) -> None:
        self.values[key].append(float(value))

    def last(self, key: tuple) -> float:
        return self.values[key][-1]

    def get(self, key: tuple) -> list[float]:
        return self.values.get(key, [])

    def ratio(self, top: tuple, bottom: tuple) -> list[float]:
        """top / bottom, round by round."""
        return [a / b for a, b in zip(self.get(top), self.get(bottom), strict=False)]


def start_positions(n: int) -> np.ndarray:
    """The same (n, 2) float64 start positions for every implementation."""
    return np.random.default_rng(0).uniform([-2.0, -1.0], [2.0, 3.0], size=(n, 2))


# optviz ------------------------------------------------------------------------------------------------


def make_simulation(case: Case, n: int, record_every: int, frames: int) -> Simulation:
    """A one-group simulation of ``case`` recording float32 frames every ``record_every`` steps."""
    spec = get_optimizer(case.optimizer)
    group = ParticleGroup(optimizer=spec, hyper=spec.resolve(case.hyper), schedule=resolve_schedule(None),
                          positions=start_positions(n))
    return Simulation(builtin_surface(case.landscape), [group], record_every=record_every, record_dtype=np.float32,
                      max_frames=frames, max_history_bytes=frames * bytes_per_frame(n, np.float32))


def warm(sim: Simulation) -> None:
    """Compile or load every kernel the simulation needs: ``compile()`` where the engine has it, else one step."""
    if hasattr(sim, "compile"):
        sim.compile()
    else:
        sim.advance(1)


def optviz_stepper(case: Case, n: int) -> Stepper:
    """optviz without recording, kernels warm."""
    sim = make_simulation(case, n, NEVER, 2)
    warm(sim)
    return sim.advance


# NumPy -------------------------------------------------------------------------------------------------


def numpy_gradient(landscape: str, th: np.ndarray) -> np.ndarray:
    """Gradient (2, n) at positions th (2, n)."""
    x, y = th
    if landscape == "rosenbrock":
        e = y - x * x
        return np.stack([-2.0 * (1.0 - x) - 400.0 * x * e, 200.0 * e])
    return np.stack([2.0 * x + TWO_PI * RASTRIGIN_A * np.sin(TWO_PI * x),
                     2.0 * y + TWO_PI * RASTRIGIN_A * np.sin(TWO_PI * y)])


def numpy_update(case: Case, t: int, th: np.ndarray, m: np.ndarray, v: np.ndarray, g: np.ndarray) -> None:
    """torch.optim's Adam or SGD-momentum update of step t, in place."""
    lr = case.hyper["lr"]
    if case.optimizer == "adam":
        m *= BETA1
        m += (1.0 - BETA1) * g
        v *= BETA2
        v += (1.0 - BETA2) * g * g
        th -= (lr / (1.0 - BETA1**t)) * m / (np.sqrt(v) / math.sqrt(1.0 - BETA2**t) + EPS)
    else:
        m *= case.hyper["momentum"]
        m += g
        th -= lr * m


def numpy_stepper(case: Case, n: int) -> Stepper:
    """A NumPy vectorized loop over (2, n) arrays: gradient, then the update with in-place state."""
    th = np.ascontiguousarray(start_positions(n).T)
    m = np.zeros_like(th)
    v = np.zeros_like(th)
    t = 0

    def run(k: int) -> None:
        nonlocal t
        for _ in range(k):
            t += 1
            numpy_update(case, t, th, m, v, numpy_gradient(case.landscape, th))

    return run


# torch -------------------------------------------------------------------------------------------------


def load_torch():
    """torch, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_loss(torch, landscape: str, p):
    """Per-particle loss (n,) of an (n, 2) tensor, for autograd."""
    x, y = p[:, 0], p[:, 1]
    if landscape == "rosenbrock":
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2
    return (2.0 * RASTRIGIN_A + x * x - RASTRIGIN_A * torch.cos(TWO_PI * x)
            + y * y - RASTRIGIN_A * torch.cos(TWO_PI * y))


def autograd_stepper(torch, case: Case, n: int) -> Stepper:
    """torch.optim with autograd, as in the lecture notes: zero_grad, loss.sum().backward(), step."""
    p = torch.tensor(start_positions(n), requires_grad=True)
    lr = case.hyper["lr"]
    if case.optimizer == "adam":
        opt = torch.optim.Adam([p], lr=lr)
    else:
        opt = torch.optim.SGD([p], lr=lr, momentum=case.hyper["momentum"])

    def run(k: int) -> None:
        for _ in range(k):
            opt.zero_grad()
            torch_loss(torch, case.landscape, p).sum().backward()
            opt.step()

    return run


def fused_gradient(torch, landscape: str, x, y, gx, gy, e) -> None:
    """Gradient into gx, gy (in place); for Rosenbrock e holds y - x² afterwards."""
    if landscape == "rosenbrock":
        torch.mul(x, x, out=e)
        torch.sub(y, e, out=e)
        torch.mul(x, e, out=gx)
        gx.mul_(-400.0).add_(x, alpha=2.0).sub_(2.0)
        torch.mul(e, 200.0, out=gy)
        return
    for p, g in ((x, gx), (y, gy)):
        torch.mul(p, TWO_PI, out=g)
        g.sin_().mul_(TWO_PI * RASTRIGIN_A).add_(p, alpha=2.0)


def fused_loss(torch, landscape: str, x, y, e, f, tmp) -> None:
    """Loss into f (in place), after fused_gradient."""
    if landscape == "rosenbrock":
        torch.sub(x, 1.0, out=f)
        f.mul_(f).addcmul_(e, e, value=100.0)
        return
    torch.mul(x, TWO_PI, out=f)
    f.cos_().mul_(-RASTRIGIN_A).add_(2.0 * RASTRIGIN_A).addcmul_(x, x)
    torch.mul(y, TWO_PI, out=tmp)
    f.add_(tmp.cos_(), alpha=-RASTRIGIN_A).addcmul_(y, y)


def fused_stepper(torch, case: Case, n: int, with_loss: bool = False) -> Stepper:
    """Hand-written float64 tensor math, in place, no autograd: gradient (+ loss) and update."""
    pos = start_positions(n)
    x, y = torch.from_numpy(pos[:, 0].copy()), torch.from_numpy(pos[:, 1].copy())
    gx, gy, e, f, tmp, mx, my, vx, vy = (torch.zeros_like(x) for _ in range(9))
    lr = case.hyper["lr"]
    mu = case.hyper.get("momentum", 0.0)
    t = 0

    def run(k: int) -> None:
        nonlocal t
        with torch.no_grad():
            for _ in range(k):
                t += 1
                fused_gradient(torch, case.landscape, x, y, gx, gy, e)
                if with_loss:
                    fused_loss(torch, case.landscape, x, y, e, f, tmp)
                for p, g, m, v in ((x, gx, mx, vx), (y, gy, my, vy)):
                    if case.optimizer == "adam":
                        m.mul_(BETA1).add_(g, alpha=1.0 - BETA1)
                        v.mul_(BETA2).addcmul_(g, g, value=1.0 - BETA2)
                        torch.sqrt(v, out=tmp)
                        tmp.div_(math.sqrt(1.0 - BETA2**t)).add_(EPS)
                        p.addcdiv_(m, tmp, value=-lr / (1.0 - BETA1**t))
                    else:
                        m.mul_(mu).add_(g)
                        p.add_(m, alpha=-lr)

    return run


# Numba ceiling -----------------------------------------------------------------------------------------
# The proof of concept optviz must come within 1.5x of: prange over tiles of 64 particles, the time loop
# inside, one fused SIMD loop over the tile per step (loss and gradient, then the update), structure of
# arrays, float64, no fastmath. A particle whose loss leaves LIMIT is frozen, as in optviz. Rastrigin uses
# optviz's own vectorizable sin/cos (Numba here has no vector sin); the landscape test is loop-invariant,
# so LLVM unswitches it out of the SIMD loop.

CEILING_OPTIONS = dict(parallel=True, cache=True, nogil=True, error_model="numpy")
ROSENBROCK, RASTRIGIN = 0, 1


@numba.njit(inline="always", nogil=True, cache=True, error_model="numpy")
def ceiling_loss_grad(landscape, x, y):
    """(loss, dx, dy) of Rosenbrock (a=1, b=100) or Rastrigin (A=10) at (x, y)."""
    if landscape == ROSENBROCK:
        d = 1.0 - x
        e = y - x * x
        return d * d + 100.0 * e * e, -2.0 * d - 400.0 * x * e, 200.0 * e
    sx, cx = fast_sincospi(2.0 * x)
    sy, cy = fast_sincospi(2.0 * y)
    loss = x * x + RASTRIGIN_A * (1.0 - cx) + y * y + RASTRIGIN_A * (1.0 - cy)
    return loss, 2.0 * x + TWO_PI * RASTRIGIN_A * sx, 2.0 * y + TWO_PI * RASTRIGIN_A * sy


@numba.njit(**CEILING_OPTIONS)
def ceiling_adam(landscape, x, y, mx, my, vx, vy, lr, t0, n_steps):
    """n_steps Adam steps (torch.optim.Adam defaults) from step t0.

    The tile's slices and a loop from 0 let LLVM drop index wraparound and vectorize across particles.
    """
    n = x.size
    for tile in numba.prange((n + TILE - 1) // TILE):
        lo = tile * TILE
        hi = min(lo + TILE, n)
        xs, ys, m1s, m2s, v1s, v2s = x[lo:hi], y[lo:hi], mx[lo:hi], my[lo:hi], vx[lo:hi], vy[lo:hi]
        for s in range(n_steps):
            t = t0 + s + 1
            step_size = lr / (1.0 - BETA1**t)
            bc2_sqrt = math.sqrt(1.0 - BETA2**t)
            for i in range(hi - lo):
                xi = xs[i]
                yi = ys[i]
                loss, gx, gy = ceiling_loss_grad(landscape, xi, yi)
                m1 = BETA1 * m1s[i] + (1.0 - BETA1) * gx
                m2 = BETA1 * m2s[i] + (1.0 - BETA1) * gy
                v1 = BETA2 * v1s[i] + (1.0 - BETA2) * gx * gx
                v2 = BETA2 * v2s[i] + (1.0 - BETA2) * gy * gy
                m1s[i] = m1
                m2s[i] = m2
                v1s[i] = v1
                v2s[i] = v2
                ok = loss < LIMIT
                xs[i] = xi - step_size * m1 / (math.sqrt(v1) / bc2_sqrt + EPS) if ok else xi
                ys[i] = yi - step_size * m2 / (math.sqrt(v2) / bc2_sqrt + EPS) if ok else yi


@numba.njit(**CEILING_OPTIONS)
def ceiling_momentum(landscape, x, y, bx, by, lr, mu, n_steps):
    """n_steps of SGD with momentum mu (torch form, dampening 0)."""
    n = x.size
    for tile in numba.prange((n + TILE - 1) // TILE):
        lo = tile * TILE
        hi = min(lo + TILE, n)
        xs, ys, b1s, b2s = x[lo:hi], y[lo:hi], bx[lo:hi], by[lo:hi]
        for _ in range(n_steps):
            for i in range(hi - lo):
                xi = xs[i]
                yi = ys[i]
                loss, gx, gy = ceiling_loss_grad(landscape, xi, yi)
                b1 = mu * b1s[i] + gx
                b2 = mu * b2s[i] + gy
                b1s[i] = b1
                b2s[i] = b2
                ok = loss < LIMIT
                xs[i] = xi - lr * b1 if ok else xi
                ys[i] = yi - lr * b2 if ok else yi


def ceiling_stepper(case: Case, n: int) -> Stepper:
    """The ceiling kernel of ``case``, warm."""
    x, y = np.ascontiguousarray(start_positions(n).T)
    state = [np.zeros(n) for _ in range(4 if case.optimizer == "adam" else 2)]
    landscape = ROSENBROCK if case.landscape == "rosenbrock" else RASTRIGIN
    lr = case.hyper["lr"]
    t = 0

    def run(k: int) -> None:
        nonlocal t
        if case.optimizer == "adam":
            ceiling_adam(landscape, x, y, *state, lr, t, k)
        else:
            ceiling_momentum(landscape, x, y, *state, lr, case.hyper["momentum"], k)
        t += k

    run(1)
    return run


@numba.njit(parallel=True, cache=True, nogil=True)
def parallel_fill(a, value):
    """a[:] = value on every core."""
    for i in numba.prange(a.size):
        a[i] = value


# Timing ------------------------------------------------------------------------------------------------


def measure_rate(run: Stepper, n: int, max_steps: int, seconds: float) -> float:
    """Particle-steps/s of ``run``: calls of at most ``max_steps`` steps until ``seconds`` have passed.

    Untimed: a 2-step warm-up, a 2-step probe that sizes the calls (slow implementations take fewer
    steps), and one call of that size when it is cheap (an engine may pick a kernel by the work of a call).
    """
    run(2)
    start = time.perf_counter()
    run(2)
    per_step = max((time.perf_counter() - start) / 2, 1e-9)
    chunk = min(max_steps, max(3, math.ceil(seconds / per_step)))
    if chunk * per_step < seconds / 4:
        run(chunk)
    done = 0
    start = time.perf_counter()
    while True:
        run(chunk)
        done += chunk
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n * done / elapsed


def torch_thread_counts(torch) -> list[int]:
    """1 and one per core: on a busy machine torch's OpenMP ops at 2 threads can run 10-100x slower than at 1."""
    return sorted({1, os.cpu_count() or 1})


def measure_torch(torch, make: Callable[[], Stepper], n: int, args) -> tuple[float, int]:
    """(best rate, its thread count) of a torch implementation over torch_thread_counts."""
    best = (0.0, 1)
    for threads in torch_thread_counts(torch):
        torch.set_num_threads(threads)
        best = max(best, (measure_rate(make(), n, args.steps, args.seconds), threads))
    return best


def throughput_round(case: Case, n: int, args, torch, figures: Figures) -> None:
    """Section 1 for one case in one round: every implementation's rate, recording off."""
    makers: dict[str, Callable[[], Stepper]] = {
        "optviz": lambda: optviz_stepper(case, n),
        "numpy": lambda: numpy_stepper(case, n),
        "ceiling": lambda: ceiling_stepper(case, n),
    }
    if torch is not None:
        makers["autograd"] = lambda: autograd_stepper(torch, case, n)
        makers["fused"] = lambda: fused_stepper(torch, case, n)
    texts = []
    for impl, make in makers.items():
        if impl in ("autograd", "fused"):
            rate, threads = measure_torch(torch, make, n, args)
            texts.append(f"{impl} {rate:.3g} ({threads} thr)")
        else:
            rate = measure_rate(make(), n, args.steps, args.seconds)
            texts.append(f"{impl} {rate:.3g}")
        figures.add(("rate", n, case.name, impl), rate)
    print(f"  {case.name:<20} N={n:.0e}  " + "  ".join(texts), flush=True)


def recording_steps(n: int, args) -> int:
    """Steps of the recording runs: as many as --steps allows within --record-mb of history."""
    fit = int(args.record_mb * 2**20 // bytes_per_frame(n, np.float32)) - 3
    return max(1, min(args.steps, fit))


def recording_round(case: Case, n: int, args, figures: Figures) -> None:
    """Section 2 for one case in one round: the rate recording every step (float32), one timed advance.

    The history is allocated without being filled, so its pages are mapped by the first write (the
    end-to-end run pays that); here they are mapped before the timer starts.
    """
    steps = recording_steps(n, args)
    sim = make_simulation(case, n, 1, steps + 4)
    warm(sim)
    sim.advance(2)
    for group in sim.history.groups:  # map the history's pages first: this times writing, not page faults
        for array in group.arrays.values():
            array[sim.history.n_frames:] = 0
    start = time.perf_counter()
    sim.advance(steps)
    rate = n * steps / (time.perf_counter() - start)
    figures.add(("record", n, case.name), rate)
    print(f"  {case.name:<20} N={n:.0e}  recording every step ({steps} steps): {rate:.3g}", flush=True)


def record_bytes_per_particle_step() -> float:
    """History bytes written per particle and step in float32 (positions, loss, grad and both lrs)."""
    n = 1_000_000
    return (bytes_per_frame(n, np.float32) - 8) / n


def write_bandwidth(mb: int) -> float:
    """This machine's memory write bandwidth, bytes/s: best of 3 parallel Numba fills and 3 np.copyto."""
    a = np.empty(mb * 2**20 // 4, dtype=np.float32)
    b = np.ones_like(a)
    parallel_fill(a, 0.5)
    best = 0.0
    for k in range(3):
        start = time.perf_counter()
        parallel_fill(a, float(k))
        best = max(best, a.nbytes / (time.perf_counter() - start))
        start = time.perf_counter()
        np.copyto(a, b)
        best = max(best, a.nbytes / (time.perf_counter() - start))
    return best


# Subprocesses: optviz run and start-up -----------------------------------------------------------------


def child_env(cache_home: str | None = None) -> dict[str, str]:
    """Environment of a child process: optviz picks its own kernel cache (under ``cache_home`` if given)."""
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    if cache_home is not None:
        env.pop("OPTVIZ_CACHE_DIR", None)
        env["XDG_CACHE_HOME"] = cache_home
    return env


def optviz_command() -> list[str]:
    """The ``optviz`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("optviz")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from optviz.cli import main; sys.exit(main())"]


def experiment_toml(count: int, steps: int, record_every: int) -> str:
    """An Adam/Rosenbrock experiment of ``count`` uniformly drawn particles."""
    return textwrap.dedent(f"""\
        title = "bench_engine"
        seed = 0

        [landscape]
        name = "rosenbrock"

        [run]
        steps = {steps}
        record_every = {record_every}

        [[groups]]
        label = "Adam"
        optimizer = "adam"
        hyper = {{ lr = {HYPER["adam"]["lr"]} }}
        init = {{ kind = "uniform", low = [-2.0, -1.0], high = [2.0, 3.0], count = {count} }}
        """)


def timed_optviz_run(folder: Path, name: str, toml: str, env: dict[str, str]) -> tuple[float, str, int]:
    """Seconds of ``optviz run`` on ``toml`` as a subprocess, its message and the output's size in bytes."""
    experiment = folder / f"{name}.toml"
    output = folder / f"{name}.npz"
    experiment.write_text(toml)
    start = time.perf_counter()
    done = subprocess.run(optviz_command() + ["run", str(experiment), "-o", str(output), "-q"], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"optviz run failed: {done.stderr.strip()}")
    size = output.stat().st_size
    output.unlink()
    return seconds, done.stdout.strip(), size


def end_to_end_round(args, torch, figures: Figures, first: bool) -> None:
    """Section 3 in one round: optviz run (warm cache) minus a tiny run's start-up, against fused torch."""
    n, steps = int(args.run_size), args.run_steps
    with tempfile.TemporaryDirectory(prefix="bench_engine_") as folder:
        seconds, message, size = timed_optviz_run(Path(folder), "big", experiment_toml(n, steps, args.run_record_every),
                                                  child_env())
        tiny, _, _ = timed_optviz_run(Path(folder), "tiny", experiment_toml(100, 10, 1), child_env())
    figures.add(("run", "total"), seconds)
    figures.add(("run", "startup"), tiny)
    figures.add(("run", "net"), seconds - tiny)
    if first:
        figures.notes["run"] = f"{message.split(': ', 1)[-1]}; {size / 2**20:.0f} MiB"
        run_breakdown(args, figures)
    line = f"  optviz run {n:.0e} x {steps}: {seconds:.2f} s, tiny run {tiny:.2f} s"
    if torch is not None:
        fused, threads = fused_run_seconds(torch, n, steps)
        figures.add(("run", "fused"), fused)
        line += f", fused torch {fused:.2f} s ({threads} thr)"
    print(line, flush=True)


def run_breakdown(args, figures: Figures) -> None:
    """Where the time of that ``optviz run`` goes, timed in this process (warm cache), as run_experiment does it."""
    with tempfile.TemporaryDirectory(prefix="bench_engine_") as folder:
        path = Path(folder) / "run.toml"
        path.write_text(experiment_toml(int(args.run_size), args.run_steps, args.run_record_every))
        phases = []
        start = time.perf_counter()
        experiment = load_experiment(path)
        phases.append(("read experiment", time.perf_counter() - start))
        start = time.perf_counter()
        sim = build_simulation(experiment, max_frames=args.run_steps // args.run_record_every + 2)
        phases.append(("build simulation", time.perf_counter() - start))
        start = time.perf_counter()
        warm(sim)
        phases.append(("compile (warm cache) or first step", time.perf_counter() - start))
        start = time.perf_counter()
        sim.advance(args.run_steps - sim.step, record_last=True)
        phases.append(("advance", time.perf_counter() - start))
        start = time.perf_counter()
        result = result_of(sim, experiment)
        phases.append(("collect result", time.perf_counter() - start))
        del sim
        start = time.perf_counter()
        result.save(Path(folder) / "run.npz")
        phases.append(("save .npz", time.perf_counter() - start))
    for phase, seconds in phases:
        figures.add(("breakdown", phase), seconds)
    print("  in-process: " + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in phases), flush=True)


def fused_run_seconds(torch, n: int, steps: int) -> tuple[float, int]:
    """(seconds, threads) of the fused torch loop (Adam, Rosenbrock, with loss) over ``steps`` steps.

    Runs at the thread count that was faster over 3 steps.
    """
    case = Case("adam", "rosenbrock", 0.0)
    probes = []
    for threads in torch_thread_counts(torch):
        torch.set_num_threads(threads)
        run = fused_stepper(torch, case, n, with_loss=True)
        run(1)
        start = time.perf_counter()
        run(3)
        probes.append((time.perf_counter() - start, threads))
    threads = min(probes)[1]
    torch.set_num_threads(threads)
    run = fused_stepper(torch, case, n, with_loss=True)
    run(1)
    start = time.perf_counter()
    run(steps)
    return time.perf_counter() - start, threads


STARTUP_CHILD = """\
import json, sys, time
start = time.perf_counter()
import numpy as np
from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.optimizers import get_optimizer
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import builtin_surface
out = {"import": time.perf_counter() - start, "families": {}}
positions = np.random.default_rng(0).uniform(-1.0, 1.0, size=(262144, 2))
for label, name in json.loads(sys.argv[1]):
    start = time.perf_counter()
    spec = get_optimizer(name)
    group = ParticleGroup(optimizer=spec, hyper=spec.resolve({}), schedule=resolve_schedule(None),
                          positions=positions)
    sim = Simulation(builtin_surface("rosenbrock"), [group], record_every=1, max_frames=4)
    if hasattr(sim, "compile"):
        sim.compile()
    else:
        sim.advance(1)
    out["families"][label] = time.perf_counter() - start
print(json.dumps(out))
"""


def family_order() -> list[tuple[str, str]]:
    """(family, optimizer) for every optimizer family, Adam's first (it is the "first kernel")."""
    modules = FAMILIES.values() if isinstance(FAMILIES, dict) else FAMILIES
    pairs = [(module.__name__.rsplit(".", 1)[-1], module.SPECS[0].name) for module in modules]
    return sorted(pairs, key=lambda pair: pair[1] != "adam")


def compile_families(cache_home: str) -> dict:
    """Import time and per-family seconds to a ready kernel, in a child process using ``cache_home``."""
    done = subprocess.run([sys.executable, "-c", STARTUP_CHILD, json.dumps(family_order())],
                          env=child_env(cache_home), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"start-up child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_round(figures: Figures) -> None:
    """Section 4 in one round: cold and warm kernels per family, and a cold ``optviz run``."""
    cache = tempfile.mkdtemp(prefix="bench_engine_cache_")
    try:
        for phase in ("cold", "warm"):
            result = compile_families(cache)
            figures.add(("startup", "import", phase), result["import"])
            for family, seconds in result["families"].items():
                figures.add(("startup", family, phase), seconds)
            figures.add(("startup", "all", phase), sum(result["families"].values()))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    cache = tempfile.mkdtemp(prefix="bench_engine_cache_")
    try:
        seconds, _, _ = timed_optviz_run(Path(cache), "cold", experiment_toml(100, 200, 1), child_env(cache))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    figures.add(("startup", "cold run"), seconds)
    cold, warm_ = figures.last(("startup", "all", "cold")), figures.last(("startup", "all", "warm"))
    print(f"  start-up: all kernels cold {cold:.1f} s, warm {warm_:.2f} s; cold optviz run {seconds:.1f} s",
          flush=True)


# Report ---------------------------------------------------------------------------------------------------


def spread(values: list[float], fmt: Callable[[float], str]) -> str:
    """'median [min-max]' (just the value for one round; '-' for none)."""
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


def rate_fmt(v: float) -> str:
    mantissa, exponent = f"{v:.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def ratio_fmt(v: float) -> str:
    return f"{v:.1f}x" if v >= 10 else f"{v:.2f}x"


def seconds_fmt(v: float) -> str:
    return f"{v:.2f} s" if v < 10 else f"{v:.1f} s"


def percent_fmt(v: float) -> str:
    return f"{100 * v:.0f} %"


def render(title: str, headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    """A table as aligned text or as Markdown."""
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(headers) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths,
                                                                                             strict=True)))

    return "\n".join([title, line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]) + "\n"


def throughput_tables(figures: Figures, n: int, markdown: bool) -> list[str]:
    """Section 1 at N = n: rates, then optviz's ratios to the others."""
    present = [i for i in IMPLEMENTATIONS if any(figures.get(("rate", n, c.name, i)) for c in CASES)]
    rates = [[c.name] + [spread(figures.get(("rate", n, c.name, i)), rate_fmt) for i in present] for c in CASES]
    ratio_rows = []
    for c in CASES:
        ours = ("rate", n, c.name, "optviz")
        row = [c.name] + [spread(figures.ratio(ours, ("rate", n, c.name, i)), ratio_fmt)
                          for i in present if i not in ("optviz", "ceiling")]
        ratio_rows.append(row + [spread(figures.ratio(("rate", n, c.name, "ceiling"), ours), ratio_fmt)])
    others = [i for i in present if i not in ("optviz", "ceiling")]
    return [
        render(f"Throughput at N = {n:,}, recording off (particle-steps/s; torch at its faster thread count)",
               ["case"] + [TITLES[i] for i in present], rates, markdown),
        render(f"optviz's speed-up at N = {n:,} (ceiling / optviz: how far below the hand-tiled kernel)",
               ["case"] + [f"optviz / {TITLES[i]}" for i in others] + ["ceiling / optviz"], ratio_rows, markdown),
    ]


def recording_table(figures: Figures, sizes: list[int], args, markdown: bool) -> str:
    """Section 2: recording every step against not recording, and against the machine's write bandwidth."""
    per_step = record_bytes_per_particle_step()
    machine = figures.get(("bandwidth",))
    rows = []
    for n in sizes:
        for c in CASES:
            rec = figures.get(("record", n, c.name))
            achieved = [r * per_step for r in rec]
            rows.append([c.name, f"{n:,}", str(recording_steps(n, args)), spread(rec, rate_fmt),
                         spread(figures.ratio(("rate", n, c.name, "optviz"), ("record", n, c.name)), ratio_fmt),
                         f"{per_step:.0f}", spread([a / 1e9 for a in achieved], lambda v: f"{v:.2f}"),
                         spread([a / m for a, m in zip(achieved, machine, strict=False)], percent_fmt)])
    bandwidth = spread([m / 1e9 for m in machine], lambda v: f"{v:.1f}")
    title = f"Recording every step, float32 (machine write bandwidth {bandwidth} GB/s)"
    return render(title, ["case", "N", "steps", "rate", "slower than off", "bytes/particle-step", "write GB/s",
                          "of machine"], rows, markdown)


def end_to_end_table(figures: Figures, args, markdown: bool) -> str:
    """Section 3: optviz run end to end against fused torch."""
    n, steps = int(args.run_size), args.run_steps
    net = figures.get(("run", "net"))
    rows = [["optviz run, total", spread(figures.get(("run", "total")), seconds_fmt)],
            ["start-up (tiny run, warm cache)", spread(figures.get(("run", "startup")), seconds_fmt)],
            ["optviz run minus start-up", spread(net, seconds_fmt)],
            ["  as particle-steps/s", spread([n * steps / s for s in net], rate_fmt)],
            ["fused torch loop (with loss)", spread(figures.get(("run", "fused")), seconds_fmt)],
            ["fused torch / optviz", spread(figures.ratio(("run", "fused"), ("run", "net")), ratio_fmt)]]
    rows += [[f"round 1, in process: {key[1]}", spread(v, seconds_fmt)]
             for key, v in figures.values.items() if key[0] == "breakdown"]
    title = (f"optviz run end to end: Adam, Rosenbrock, {n:,} particles x {steps} steps, "
             f"record_every = {args.run_record_every} ({figures.notes.get('run', '')})")
    return render(title, ["figure", "value"], rows, markdown)


def startup_table(figures: Figures, markdown: bool) -> str:
    """Section 4: cold and warm start-up per family, all together, and a cold optviz run."""
    rows = [["import optviz", spread(figures.get(("startup", "import", "cold")), seconds_fmt),
             spread(figures.get(("startup", "import", "warm")), seconds_fmt)]]
    for family, optimizer in family_order():
        label = (family if family == optimizer else f"{family} ({optimizer})") + (
            ", first kernel" if optimizer == "adam" else "")
        rows.append([label] + [spread(figures.get(("startup", family, p)), seconds_fmt) for p in ("cold", "warm")])
    rows.append(["all families"] + [spread(figures.get(("startup", "all", p)), seconds_fmt) for p in ("cold", "warm")])
    rows.append(["optviz run, 100 particles x 200 steps", spread(figures.get(("startup", "cold run")), seconds_fmt),
                 "-"])
    return render("Start-up: seconds to a ready kernel (Rosenbrock; fresh cache = cold, then warm)",
                  ["", "cold cache", "warm cache"], rows, markdown)


def verdict(values: list[float], passes: Callable[[float], bool]) -> str:
    if not values:
        return "SKIPPED"
    return "PASS" if passes(statistics.median(values)) else "MISS"


def targets(figures: Figures, sizes: list[int], torch_missing: bool) -> list[str]:
    """Every target of issue 8 with PASS / MISS on the median over the rounds."""
    rows = []

    def check(label: str, values: list[float], passes: Callable[[float], bool], fmt) -> None:
        note = "" if values else " (torch not installed)" if torch_missing else " (not measured)"
        rows.append((verdict(values, passes), label, f"measured {spread(values, fmt)}{note}"))

    for n in sizes:
        for c in CASES:
            ours = ("rate", n, c.name, "optviz")
            where = f"{c.name}, N = {n:.0e}:"
            check(f"{where} optviz >= {c.fused_target:g}x fused torch",
                  figures.ratio(ours, ("rate", n, c.name, "fused")), lambda v, t=c.fused_target: v >= t, ratio_fmt)
            check(f"{where} optviz >= {AUTOGRAD_TARGET:g}x torch autograd",
                  figures.ratio(ours, ("rate", n, c.name, "autograd")), lambda v: v >= AUTOGRAD_TARGET, ratio_fmt)
            check(f"{where} ceiling / optviz <= {CEILING_TARGET:g}x",
                  figures.ratio(("rate", n, c.name, "ceiling"), ours), lambda v: v <= CEILING_TARGET, ratio_fmt)
            achieved = [r * record_bytes_per_particle_step() for r in figures.get(("record", n, c.name))]
            check(f"{where} recording writes >= {BANDWIDTH_TARGET:.0%} of machine write bandwidth",
                  [a / m for a, m in zip(achieved, figures.get(("bandwidth",)), strict=False)],
                  lambda v: v >= BANDWIDTH_TARGET, percent_fmt)
    check(f"optviz run >= {RUN_TARGET:g}x fused torch (start-up subtracted)",
          figures.ratio(("run", "fused"), ("run", "net")), lambda v: v >= RUN_TARGET, ratio_fmt)
    check(f"cold optviz run (100 x 200) < {COLD_RUN_TARGET_S:g} s", figures.get(("startup", "cold run")),
          lambda v: v < COLD_RUN_TARGET_S, seconds_fmt)
    width = max(len(label) for _, label, _ in rows)
    return [f"{mark:<7} {label:<{width}}  {measured}" for mark, label, measured in rows]


def core_fingerprint() -> str:
    """Hash of optviz/core's sources: editing them mid-run invalidates the kernel caches that are measured."""
    digest = hashlib.sha256()
    for path in sorted((Path(optviz.__file__).parent / "core").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_average() -> str:
    """``uptime``'s line (load averages over 1, 5, 15 minutes)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6], help="particle counts (default 1e6)")
    parser.add_argument("--steps", type=int, default=100, help="most steps per timed call (default 100)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every case (default 5)")
    parser.add_argument("--seconds", type=float, default=1.0, help="least timed seconds per rate (default 1)")
    parser.add_argument("--record-mb", type=float, default=2048.0,
                        help="history budget of the recording runs, MiB (default 2048)")
    parser.add_argument("--bandwidth-mb", type=int, default=512, help="buffer of the bandwidth test, MiB")
    parser.add_argument("--run-size", type=float, default=1e6, help="particles of the optviz run (default 1e6)")
    parser.add_argument("--run-steps", type=int, default=600, help="steps of the optviz run (default 600)")
    parser.add_argument("--run-record-every", type=int, default=10, help="record_every of the optviz run")
    parser.add_argument("--startup-rounds", type=int, default=2,
                        help="first rounds that also measure start-up (default 2: cold compiles are slow; 0 skips)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 1e5, fewer steps, 2 rounds")
    parser.add_argument("--markdown", action="store_true", help="print the final tables as Markdown")
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == parser.get_default(key):
                setattr(args, key, value)
    args.startup_rounds = min(args.startup_rounds, args.rounds)
    return args


def describe(args, torch, sizes: list[int]) -> str:
    """What ran, on what."""
    engine = "has Simulation.compile()" if hasattr(Simulation, "compile") else "no compile(): warmed by one step"
    threads = " or ".join(str(t) for t in torch_thread_counts(torch)) if torch else ""
    torch_text = f"torch {torch.__version__} (best of {threads} threads)" if torch else "torch not installed"
    return (f"{os.cpu_count()} cores; numpy {np.__version__}, numba {numba.__version__}, {torch_text}; engine "
            f"{engine}.\nN = {', '.join(f'{n:,}' for n in sizes)}; at most {args.steps} steps per timed call, "
            f">= {args.seconds:g} s per rate; {args.rounds} round(s), median [min-max].")


def run_round(r: int, args, sizes: list[int], torch, figures: Figures) -> str | None:
    """Every case once, in order; a warning when optviz/core changed meanwhile (the caches then missed)."""
    print(f"round {r + 1}/{args.rounds}", flush=True)
    fingerprint = core_fingerprint()
    for n in sizes:
        for case in CASES:
            throughput_round(case, n, args, torch, figures)
        for case in CASES:
            recording_round(case, n, args, figures)
    figures.add(("bandwidth",), write_bandwidth(args.bandwidth_mb))
    end_to_end_round(args, torch, figures, first=r == 0)
    if r < args.startup_rounds:
        startup_round(figures)
    if core_fingerprint() == fingerprint:
        return None
    warning = (f"WARNING: optviz/core changed during round {r + 1}: kernels recompiled, so its optviz run and "
               "warm start-up figures include compile time.")
    print(f"  {warning}", flush=True)
    return warning


def report(figures: Figures, args, sizes: list[int], torch, loads: tuple[str, str], warnings: list[str]) -> None:
    """The final tables (text or Markdown), warnings and every target with PASS / MISS."""
    if args.markdown:
        load = " / ".join(line.split("load average:")[-1].strip() for line in loads)
        print(f"Measured by `scripts/bench_engine.py` on {os.cpu_count()} cores (load average 1/5/15 min before / "
              f"after: {load}); median [min-max] of {args.rounds} round(s).\n")
    tables = [t for n in sizes for t in throughput_tables(figures, n, args.markdown)]
    tables += [recording_table(figures, sizes, args, args.markdown), end_to_end_table(figures, args, args.markdown)]
    if args.startup_rounds:
        tables.append(startup_table(figures, args.markdown))
    print("\n".join(tables + warnings))
    print("Targets (issue 8), judged on the median:")
    bullet = "- " if args.markdown else "  "
    print("\n".join(bullet + line for line in targets(figures, sizes, torch is None)))


def main() -> None:
    args = parse_args()
    sizes = [int(s) for s in args.sizes]
    torch = load_torch()
    print(describe(args, torch, sizes))
    before = load_average()
    print("before:", before, flush=True)
    figures = Figures()
    warnings = [w for r in range(args.rounds) if (w := run_round(r, args, sizes, torch, figures))]
    after = load_average()
    print("after: ", after, "\n", flush=True)
    report(figures, args, sizes, torch, (before, after), warnings)


if __name__ == "__main__":
    main()

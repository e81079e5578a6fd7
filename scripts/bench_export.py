"""Benchmark headless export: a 300-frame 1280x720 MP4 of 10,000 particles, and a figure.

    python scripts/bench_export.py [--frames 300] [--particles 10000] [--out DIR]

Reports simulation, set-up, per-frame render and total times. Targets (issue 4,
2-core machine): MP4 under 15 s including simulation; a warm figure under 3 s.
The first run of a fresh checkout also compiles Numba kernels (cached after).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
title = "Benchmark: Adam vs momentum, {n} particles"
seed = 1
[landscape]
name = "rosenbrock"
[run]
steps = {steps}
record_every = 1
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = {{ lr = 0.03 }}
init = {{ kind = "uniform", low = [-2.0, -1.0], high = [2.0, 3.0], count = {half} }}
[[groups]]
label = "SGD + momentum"
optimizer = "sgd"
hyper = {{ lr = 0.0005, momentum = 0.9 }}
init = {{ kind = "uniform", low = [-2.0, -1.0], high = [2.0, 3.0], count = {half} }}
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--particles", type=int, default=10_000)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--out", default=None, help="folder for the outputs (default: a temp folder)")
    args = ap.parse_args(argv)

    t_import = time.perf_counter()
    from optviz.experiment import Experiment, run_experiment
    from optviz.render import export_animation, figure

    text = EXPERIMENT.format(n=args.particles, half=args.particles // 2, steps=args.frames - 1)
    exp = Experiment.from_toml(text)
    # warm: Numba kernels (cache), Qt, fonts - what a second invocation would find
    warm = time.perf_counter()
    small = Experiment.from_toml(EXPERIMENT.format(n=20, half=10, steps=5))
    out = Path(args.out or tempfile.mkdtemp(prefix="optviz-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    figure(small, out / "warmup.png", size=(320, 240))
    t_warm = time.perf_counter() - warm

    t0 = time.perf_counter()
    figure(exp, out / "figure.png", size=args.size)
    t_fig = time.perf_counter() - t0

    t0 = time.perf_counter()
    res = run_experiment(exp)
    t_sim = time.perf_counter() - t0
    times = []
    last = [time.perf_counter()]

    def progress(done, total):
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    t0 = time.perf_counter()
    exp2 = Experiment.from_toml(text)
    info = export_animation(exp2, out / "bench.mp4", frames=args.frames, size=args.size, fps=30)
    t_mp4 = time.perf_counter() - t0
    t0 = time.perf_counter()
    export_animation(exp, out / "bench_reuse.mp4", frames=args.frames, size=args.size, fps=30,
                     result=res, progress=progress)
    t_render = time.perf_counter() - t0
    per = sorted(times[1:]) or [0.0]
    print(f"import+warm-up (Numba cache, Qt):  {t_warm + (warm - t_import):6.2f} s")
    print(f"figure {args.size}, {args.particles} particles (warm):  {t_fig:6.2f} s   target < 3 s")
    print(f"simulation {args.frames - 1} steps x {args.particles} particles:  {t_sim:6.2f} s")
    print(f"MP4 {info.frames} frames {args.size}, incl. simulation:  {t_mp4:6.2f} s   target < 15 s")
    print(f"  of which rendering+encoding (result reused):  {t_render:6.2f} s, "
          f"per frame median {1000 * per[len(per) // 2]:.1f} ms, p90 {1000 * per[int(len(per) * 0.9)]:.1f} ms")
    print(f"  file: {out / 'bench.mp4'} ({(out / 'bench.mp4').stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

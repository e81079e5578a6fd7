"""Drive the real window offscreen and report frame times, input latency and start-up.

    .venv/bin/python scripts/bench_app.py            # all scenarios
    .venv/bin/python scripts/bench_app.py --quick    # shorter runs

Scenarios: 10,000 particles drawn as points (trails on a sample), 1,000,000
drawn as a density image; while each plays, a probe posts an event every 50 ms
and measures how long the event loop takes to deliver it (what a click or key
press would wait). Start-up: time to the window on screen and to the first
drawn frame, in a fresh process (kernels from the cache).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")

STARTUP = r"""
import time, os
t0 = time.perf_counter()
from PySide6 import QtCore, QtWidgets
from optviz.app.main_window import create_app, MainWindow
app = create_app()
w = MainWindow(None, ask_to_save=False, settings=QtCore.QSettings("/tmp/optviz-bench.ini", QtCore.QSettings.Format.IniFormat))
w.show()
app.processEvents()
t_shown = time.perf_counter() - t0
w.wait_ready()
while not w.display.n:
    app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 10)
app.processEvents()
t_frame = time.perf_counter() - t0
print(f"{t_shown:.3f} {w.t_ready - t0:.3f} {t_frame:.3f}")
w.close(); app.processEvents()
os._exit(0)
"""


def startup(py: str) -> tuple[float, float, float]:
    out = subprocess.run([py, "-c", STARTUP], capture_output=True, text=True, timeout=600)
    line = [ln for ln in out.stdout.splitlines() if ln.strip()][-1]
    a, b, c = map(float, line.split())
    return a, b, c


def scenario(w, app, n: int, mode: str, seconds: float, speed: int = 1):
    import numpy as np
    from PySide6 import QtCore

    from optviz.experiment import Experiment

    exp = Experiment.from_dict({
        "title": f"bench {n:,}", "landscape": {"name": "rosenbrock"},
        "run": {"steps": 1_000_000, "max_history_mb": 256},
        "groups": [{"label": "Adam", "optimizer": "adam", "hyper": {"lr": 0.01},
                    "init": {"kind": "normal", "mean": [-1.0, 2.0], "std": [0.3, 0.3], "count": n}}],
        "view": {"trail_length": 30, "particle_mode": mode},
    })
    w.doc.replace(exp)
    w.playback.set_speed(speed)
    end = time.perf_counter() + 300  # kernels may be compiling
    while w.display.n < 1 and time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)

    class Probe(QtCore.QObject):
        def __init__(self):
            super().__init__()
            self.lat = []
            self.t = None

        def event(self, ev):
            if ev.type() == QtCore.QEvent.Type.User:
                self.lat.append((time.perf_counter() - self.t) * 1e3)
                return True
            return super().event(ev)

    probe = Probe()

    def post():
        probe.t = time.perf_counter()
        app.postEvent(probe, QtCore.QEvent(QtCore.QEvent.Type.User))

    timer = QtCore.QTimer()
    timer.timeout.connect(post)
    w.playback.playing = True
    warm_end = time.perf_counter() + 1.0
    while time.perf_counter() < warm_end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
    w._frame_times.clear()
    w._tick_ms.clear()
    step0 = w.playback.step
    ticks = []
    last = [None]

    def on_tick():
        t = time.perf_counter()
        if last[0] is not None:
            ticks.append((t - last[0]) * 1e3)
        last[0] = t

    w.timer.timeout.connect(on_tick)
    timer.start(50)
    t_start = time.perf_counter()
    while time.perf_counter() - t_start < seconds:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
    timer.stop()
    w.timer.timeout.disconnect(on_tick)
    span = time.perf_counter() - t_start
    steps = w.playback.step - step0
    w.playback.playing = False
    tick_ms = list(w._tick_ms)
    ticks = np.array(ticks)
    lat = np.array(probe.lat)
    return {
        "particles": n, "drawn as": w.scene.particles.effective_mode(),
        "fps": len(ticks) / span, "frame interval mean ms": ticks.mean(), "p95 ms": np.percentile(ticks, 95),
        "draw cost per frame ms (mean)": float(np.mean(tick_ms)),
        "draw cost p95 ms": float(np.percentile(tick_ms, 95)),
        "input latency mean ms": lat.mean(), "input latency max ms": lat.max(),
        "steps/s": steps / span, "display frames": w.display.n,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-startup", action="store_true")
    args = ap.parse_args()
    from PySide6 import QtCore

    from optviz.app.main_window import MainWindow, create_app

    if not args.no_startup:
        runs = [startup(sys.executable) for _ in range(2)]
        a, b, c = runs[-1]
        print(f"start-up (warm cache, 2nd of 2 runs): window on screen {a:.2f} s, panels and scene built "
              f"{b:.2f} s, first run frame drawn {c:.2f} s")
    app = create_app()
    w = MainWindow(None, ask_to_save=False,
                   settings=QtCore.QSettings("/tmp/optviz-bench.ini", QtCore.QSettings.Format.IniFormat))
    w.resize(1600, 1000)
    w.show()
    w.wait_ready()
    secs = 3.0 if args.quick else 6.0
    for n, mode in ((10_000, "points"), (1_000_000, "density")):
        r = scenario(w, app, n, mode, secs)
        print(f"\n{n:,} particles ({r.pop('drawn as')}):")
        for k, v in r.items():
            print(f"  {k:<32} {v:,.1f}" if isinstance(v, float) else f"  {k:<32} {v:,}")
    w.close()
    app.processEvents()
    os._exit(0)


if __name__ == "__main__":
    main()

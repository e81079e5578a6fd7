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
from optviz.app.main_window import MainWindow
from optviz.render.qt import ensure_app
app = ensure_app()
w = MainWindow(None, ask_to_save=False,
               settings=QtCore.QSettings("/tmp/optviz-bench.ini", QtCore.QSettings.Format.IniFormat))
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


def run_events(app, seconds: float, until=None) -> None:
    """Run the event loop (blocking, as ``app.exec()`` does: no busy polling, which would
    steal a core from the compute thread and the painting) for ``seconds`` or until
    ``until()`` is true (checked every 10 ms)."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    end = time.perf_counter() + seconds
    check = QtCore.QTimer()
    check.setInterval(10)

    def poll():
        if time.perf_counter() >= end or (until is not None and until()):
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    poll()
    if time.perf_counter() < end and not (until is not None and until()):
        loop.exec()
    check.stop()


class PaintTimer:
    """Times every paint of the scene (the QGraphicsView's paintEvent: pyqtgraph's drawing)."""

    def __init__(self, cls):
        self.cls = cls
        self.ms: list[float] = []
        self.at: list[float] = []
        self.orig = cls.paintEvent
        timer = self

        def paintEvent(view, ev):
            t = time.perf_counter()
            try:
                return timer.orig(view, ev)
            finally:
                timer.at.append(t)
                timer.ms.append((time.perf_counter() - t) * 1e3)

        cls.paintEvent = paintEvent

    def clear(self):
        self.ms.clear()
        self.at.clear()


def scenario(w, app, n: int, mode: str, seconds: float, speed: int = 1, paints=None):
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
    t_load = time.perf_counter()
    w.doc.replace(exp)
    w.playback.set_speed(speed)
    # the new run's first frame (the load marks the display stale: generation -1)
    run_events(app, 300, until=lambda: w.display.generation >= 0 and w.display.n >= 1)
    t_first = time.perf_counter() - t_load

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
    run_events(app, 1.0)
    w.session.clear_frame_stats()
    step0 = w.playback.step
    ticks = []
    tick_cost = []
    last = [None]

    def on_tick():
        t = time.perf_counter()
        if last[0] is not None:
            ticks.append((t - last[0]) * 1e3)
        last[0] = t

    w.timer.timeout.connect(on_tick)
    if paints is not None:
        paints.clear()
    timer.start(50)
    load0 = os.getloadavg()[0]
    t_start = time.perf_counter()
    run_events(app, seconds)
    span = time.perf_counter() - t_start
    timer.stop()
    w.timer.timeout.disconnect(on_tick)
    steps = w.playback.step - step0
    w.playback.playing = False
    tick_cost = np.array(list(w.session.tick_ms))
    ticks = np.array(ticks)
    lat = np.array(probe.lat)
    out = {
        "particles": n, "drawn as": w.scene.particles.effective_mode(),
        "load average (1 min)": f"{load0:.2f} -> {os.getloadavg()[0]:.2f}",
        "first frame after load s": t_first,
        "fps (timer ticks/s)": len(ticks) / span,
        "fps p5 (1000/p95 interval)": 1000.0 / np.percentile(ticks, 95),
        "frame interval p50 ms": np.percentile(ticks, 50), "frame interval p95 ms": np.percentile(ticks, 95),
        "frame interval max ms": ticks.max(),
        "tick cost p50 ms": float(np.percentile(tick_cost, 50)),
        "tick cost p95 ms": float(np.percentile(tick_cost, 95)),
        "tick cost max ms": float(tick_cost.max()),
    }
    if paints is not None and paints.ms:
        pm = np.array(paints.ms)
        out["paints/s"] = len(pm) / span
        out["paint p50 ms"] = float(np.percentile(pm, 50))
        out["paint p95 ms"] = float(np.percentile(pm, 95))
        # draw work per frame: the tick plus the paint it caused
        work = np.percentile(tick_cost, 50) + np.percentile(pm, 50), \
            np.percentile(tick_cost, 95) + np.percentile(pm, 95)
        out["draw work (tick+paint) p50 ms"] = float(work[0])
        out["draw work (tick+paint) p95 ms"] = float(work[1])
    out.update({
        "input latency mean ms": lat.mean(), "input latency p95 ms": np.percentile(lat, 95),
        "input latency max ms": lat.max(),
        "steps/s": steps / span, "display frames": w.display.n,
    })
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-startup", action="store_true")
    args = ap.parse_args()
    from PySide6 import QtCore

    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    if not args.no_startup:
        runs = [startup(sys.executable) for _ in range(2)]
        a, b, c = runs[-1]
        print(f"start-up (warm cache, 2nd of 2 runs): window on screen {a:.2f} s, panels and scene built "
              f"{b:.2f} s, first run frame drawn {c:.2f} s")
    from optviz.app.scene_view import AppScene

    paints = PaintTimer(AppScene)
    app = ensure_app()
    w = MainWindow(None, ask_to_save=False,
                   settings=QtCore.QSettings("/tmp/optviz-bench.ini", QtCore.QSettings.Format.IniFormat))
    w.resize(1600, 1000)
    w.show()
    w.wait_ready()
    print(f"load average {os.getloadavg()}")
    secs = 3.0 if args.quick else 6.0
    for n, mode in ((10_000, "points"), (1_000_000, "density")):
        r = scenario(w, app, n, mode, secs, paints=paints)
        print(f"\n{n:,} particles ({r.pop('drawn as')}):")
        for k, v in r.items():
            if isinstance(v, str):
                print(f"  {k:<32} {v}")
            else:
                print(f"  {k:<32} {v:,.1f}" if isinstance(v, float) else f"  {k:<32} {v:,}")
    w.close()
    app.processEvents()
    os._exit(0)


if __name__ == "__main__":
    main()

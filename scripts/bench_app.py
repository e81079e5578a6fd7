"""Drive the real window offscreen and report frame times, input latency and start-up,
at step 0 and deep into a run (step 10,000), against the targets (55 fps, 50 ms).

    PYTHONPATH=. .venv/bin/python scripts/bench_app.py     # 5 interleaved rounds, all scenarios
    .venv/bin/python scripts/bench_app.py --rounds 1 --json out.json   # one round, figures to a file
    .venv/bin/python scripts/bench_app.py --quick          # shorter measurements, 2 rounds
    .venv/bin/python scripts/bench_app.py --report r1.json r2.json ...   # medians of saved rounds

Scenarios: 10,000 particles drawn as points with trails (30 frames, on a
sample of 600 particles), and 1,000,000 drawn as a density image, both with the
loss and learning-rate side plots. Each round, per scenario, the experiment is
loaded and measured three ways:

* ``step 0, live``: playing from the start, one optimizer step per frame;
* ``step 10,000, live``: after playing fast to step 10,000 (so the display
  buffer and the side plots hold a long history), playing on, one step per frame;
* ``step 10,000, replay``: scrubbed back (``playback.scrub``, as the slider does) and replaying the
  recorded frames, so the time cursor, the trails and the side-plot curves move on
  every frame.

Measured through the window's public surface only (``doc.replace``,
``playback``, ``timer``, ``display``, ``ready``) plus a timer on the scene's
paint event: frame interval (median, p95; fps = frames per second of wall time),
paint time per frame, and input latency (a probe posts an event every 50 ms and
measures how long the event loop takes to deliver it: what a click or a key press
would wait). Rounds are interleaved (scenario by scenario) and each figure is the
median over rounds. Start-up: time to the window on screen and to the first drawn
frame, in a fresh process (kernels from the cache).
"""

from __future__ import annotations

import argparse
import json
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


class Timed:
    """Wraps ``obj.name`` to record when it is called and how long it takes (ms). On a class (the
    scene's ``paintEvent``: pyqtgraph's drawing) it times the method of every instance."""

    def __init__(self, obj, name: str):
        self.at: list[float] = []
        self.ms: list[float] = []
        orig = getattr(obj, name)

        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                self.at.append(t)
                self.ms.append((time.perf_counter() - t) * 1e3)

        setattr(obj, name, wrapper)

    def clear(self) -> None:
        self.at.clear()
        self.ms.clear()


FPS_TARGET = 55.0
LATENCY_TARGET_MS = 50.0
SCENARIOS = {"10,000 points + trails": (10_000, "points", 25), "1,000,000 density": (1_000_000, "density", 500)}
PHASES = ("step 0, live", "step {deep:,}, live", "step {deep:,}, replay")


def experiment(n: int, mode: str):
    from optviz.experiment import Experiment

    return Experiment.from_dict({
        "title": f"bench {n:,}", "landscape": {"name": "rosenbrock"},
        "run": {"steps": 1_000_000, "max_history_mb": 256},
        "groups": [{"label": "Adam", "optimizer": "adam", "hyper": {"lr": 0.01},
                    "init": {"kind": "normal", "mean": [-1.0, 2.0], "std": [0.3, 0.3], "count": n}}],
        "render": {"side_plots": ["loss", "lr"]},
        "view": {"trail_length": 30, "particle_mode": mode, "side_plots": ["loss", "lr"]},
    })


class Probe:
    """Posts an event every 50 ms and records how long the event loop took to deliver it."""

    def __init__(self, app):
        from PySide6 import QtCore

        class Receiver(QtCore.QObject):
            def __init__(self):
                super().__init__()
                self.lat: list[float] = []
                self.t = 0.0

            def event(self, ev):
                if ev.type() == QtCore.QEvent.Type.User:
                    self.lat.append((time.perf_counter() - self.t) * 1e3)
                    return True
                return super().event(ev)

        self.app = app
        self.receiver = Receiver()
        self.timer = QtCore.QTimer()
        self.timer.timeout.connect(self._post)

    def _post(self):
        from PySide6 import QtCore

        self.receiver.t = time.perf_counter()
        self.app.postEvent(self.receiver, QtCore.QEvent(QtCore.QEvent.Type.User))


def play_probed(w, app, seconds: float):
    """Run the event loop for ``seconds`` while a :class:`Probe` posts an event every 50 ms: (the
    wall time it ran, the steps the window's cursor advanced, the input latencies in ms, or one NaN
    where no event came through)."""
    import numpy as np

    probe = Probe(app)
    probe.timer.start(50)
    step0 = w.playback.cursor_step
    t0 = time.perf_counter()
    run_events(app, seconds)
    span = time.perf_counter() - t0
    probe.timer.stop()
    lat = np.array(probe.receiver.lat) if probe.receiver.lat else np.array([np.nan])
    return span, w.playback.cursor_step - step0, lat


def latency_figures(lat) -> dict:
    """The median and 95th percentile of input latencies (ms) from :func:`play_probed`."""
    import numpy as np

    return {"input latency p50 ms": float(np.median(lat)), "input latency p95 ms": float(np.percentile(lat, 95))}


def measure(w, app, paints, seconds: float) -> dict:
    """Frame interval, paint time and input latency while the window plays for ``seconds``."""
    import numpy as np

    ticks: list[float] = []

    def on_tick():
        ticks.append(time.perf_counter())

    w.timer.timeout.connect(on_tick)
    run_events(app, 0.5)  # settle
    ticks.clear()
    paints.clear()
    span, steps, lat = play_probed(w, app, seconds)
    w.timer.timeout.disconnect(on_tick)
    # frames shown: ticks that drew (a paint followed); fps over the wall time
    iv = np.diff(np.array(paints.at)) * 1e3 if len(paints.at) > 1 else np.array([np.nan])
    pm = np.array(paints.ms) if paints.ms else np.array([np.nan])
    return {
        "fps": len(paints.at) / span,
        "frame interval p50 ms": float(np.median(iv)),
        "frame interval p95 ms": float(np.percentile(iv, 95)),
        "paint p50 ms": float(np.median(pm)),
        "paint p95 ms": float(np.percentile(pm, 95)),
        **latency_figures(lat),
        "input latency max ms": float(lat.max()),
        "cursor steps": int(steps),
        "side-plot frames held": int(w.display.ns),
    }


def run_scenario(w, app, paints, n: int, mode: str, fast_speed: int, deep: int, seconds: float) -> dict:
    """Load, measure at step 0, play fast to step ``deep``, measure playing on and replaying."""
    w.doc.replace(experiment(n, mode))
    w.playback.set_speed(1)
    run_events(app, 300, until=lambda: w.display.generation >= 0 and w.display.n >= 1 and w.ready)
    out = {}
    w.playback.playing = True
    out[PHASES[0]] = measure(w, app, paints, seconds)
    w.playback.set_speed(fast_speed)
    run_events(app, 900, until=lambda: w.playback.step >= deep)
    w.playback.set_speed(1)
    out[PHASES[1].format(deep=deep)] = measure(w, app, paints, seconds)
    w.playback.playing = False
    run_events(app, 0.3)
    pb = w.playback
    pb.scrub(pb.frame - max(pb.n_frames // 4, 2))  # back a quarter of the held frames (the slider's way)
    w.playback.playing = True
    out[PHASES[2].format(deep=deep)] = measure(w, app, paints, seconds)
    w.playback.playing = False
    out["load average (1 min)"] = os.getloadavg()[0]
    return out


def report(rounds: list[dict], deep: int) -> None:
    """Median over rounds of each figure, with the targets."""
    import numpy as np

    print(f"\nmedian of {len(rounds)} round(s); targets: >= {FPS_TARGET:g} fps, input latency p95 < "
          f"{LATENCY_TARGET_MS:g} ms")
    for name in [k for k in SCENARIOS if any(k in r for r in rounds)]:
        loads = [r[name]["load average (1 min)"] for r in rounds if name in r]
        print(f"\n{name}  (load average during it: {', '.join(f'{x:.1f}' for x in loads)})")
        print(f"  {'phase':<22} {'fps':>6} {'vs 55':>6} {'interval p50':>13} {'p95':>6} {'paint p50':>10} "
              f"{'p95':>6} {'latency p50':>12} {'p95':>6} {'vs 50 ms':>9} {'side frames':>12}")
        base_fps = None
        for phase in PHASES:
            ph = phase.format(deep=deep)
            rs = [r[name][ph] for r in rounds if name in r]
            if not rs:
                continue
            med = {k: float(np.median([r[k] for r in rs])) for k in rs[0]}
            base_fps = med["fps"] if base_fps is None else base_fps
            fps_ok = "ok" if med["fps"] >= FPS_TARGET else "LOW"
            lat_ok = "ok" if med["input latency p95 ms"] < LATENCY_TARGET_MS else "HIGH"
            print(f"  {ph:<22} {med['fps']:6.1f} {fps_ok:>6} {med['frame interval p50 ms']:13.1f} "
                  f"{med['frame interval p95 ms']:6.1f} {med['paint p50 ms']:10.1f} {med['paint p95 ms']:6.1f} "
                  f"{med['input latency p50 ms']:12.1f} {med['input latency p95 ms']:6.1f} {lat_ok:>9} "
                  f"{med['side-plot frames held']:12,.0f}")
        deep_rs = [r[name][PHASES[2].format(deep=deep)]["fps"] for r in rounds if name in r]
        if base_fps and deep_rs:
            print(f"  fps at step {deep:,} (replay) / fps at step 0: {np.median(deep_rs) / base_fps:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 s per measurement, 2 rounds")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5)")
    ap.add_argument("--deep", type=int, default=10_000, help="the deep step (default 10,000)")
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="only these (repeatable)")
    ap.add_argument("--json", help="also write every round's figures to this file")
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--report", nargs="+", metavar="JSON",
                    help="print the medians of rounds saved with --json (e.g. rounds run in separate processes, "
                         "interleaved with another build) and exit")
    args = ap.parse_args()
    if args.report:
        rounds = []
        for path in args.report:
            with open(path) as f:
                rounds += json.load(f)
        report(rounds, args.deep)
        return
    from PySide6 import QtCore

    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    if not args.no_startup:
        runs = [startup(sys.executable) for _ in range(2)]
        a, b, c = runs[-1]
        print(f"start-up (warm cache, 2nd of 2 runs): window on screen {a:.2f} s, panels and scene built "
              f"{b:.2f} s, first run frame drawn {c:.2f} s")
    from optviz.app.scene_view import AppScene

    paints = Timed(AppScene, "paintEvent")
    app = ensure_app()
    w = MainWindow(None, ask_to_save=False,
                   settings=QtCore.QSettings("/tmp/optviz-bench.ini", QtCore.QSettings.Format.IniFormat))
    w.resize(1600, 1000)
    w.show()
    w.wait_ready()
    secs = 3.0 if args.quick else 5.0
    n_rounds = args.rounds or (2 if args.quick else 5)
    names = args.scenario or list(SCENARIOS)
    rounds = []
    for r in range(n_rounds):
        row = {}
        for name in names:
            n, mode, fast = SCENARIOS[name]
            row[name] = run_scenario(w, app, paints, n, mode, fast, args.deep, secs)
            print(f"round {r + 1}/{n_rounds} {name}: " + ", ".join(
                f"{ph} {v['fps']:.1f} fps" for ph, v in row[name].items() if isinstance(v, dict)), flush=True)
        rounds.append(row)
    report(rounds, args.deep)
    print(f"\nuptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rounds, f, indent=1)
    w.close()
    app.processEvents()
    os._exit(0)


if __name__ == "__main__":
    main()

"""The 3-D view's frame rate in the real window, under Xvfb (Mesa's software OpenGL, llvmpipe).

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \\
        .venv/bin/python scripts/bench_view3d.py [--counts 1000 10000] [--seconds 6]

For each particle count (one Adam group on Rosenbrock, trails of 30 frames, the loss side plot) it
plays the run at one step per frame twice: with the 3-D view hidden, then shown (View > 3-D view),
and reports the 2-D scene's paints per second, the 3-D view's paints per second, the time the 3-D
view takes per frame to compute its data (heights, trails) and to draw (paintGL), the input latency
(how long a posted event waits, as in scripts/bench_app.py) and the steps the cursor advanced.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's optviz
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")

import numpy as np  # noqa: E402


def measure(w, app, seconds: float, timers: dict) -> dict:
    from bench_app import latency_figures, play_probed, run_events

    run_events(app, 0.5)
    for t in timers.values():
        t.clear()
    span, steps, lat = play_probed(w, app, seconds)
    out = {"cursor steps/s": steps / span}
    for name, t in timers.items():
        out[f"{name} per s"] = len(t.at) / span
        out[f"{name} ms p50"] = float(np.median(t.ms)) if t.ms else float("nan")
    out.update(latency_figures(lat))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", type=int, nargs="+", default=[1000, 10_000])
    ap.add_argument("--seconds", type=float, default=6.0)
    args = ap.parse_args()
    if os.environ.get("QT_QPA_PLATFORM") != "xcb":
        print("bench_view3d: run with QT_QPA_PLATFORM=xcb under xvfb-run (the 3-D view needs OpenGL)",
              file=sys.stderr)
        return 2
    from bench_app import Timed, experiment, run_events
    from PySide6 import QtCore

    from optviz.app.main_window import MainWindow
    from optviz.app.scene_view import AppScene
    from optviz.render.qt import ensure_app, shutdown_widgets

    app = ensure_app()
    scene_paints = Timed(AppScene, "paintEvent")
    w = MainWindow(None, ask_to_save=False,
                   settings=QtCore.QSettings("/tmp/optviz-bench-view3d.ini", QtCore.QSettings.Format.IniFormat))
    w.show()
    w.wait_ready(600)
    view = w.view3d.view3d
    data = Timed(view, "_draw")
    print(f"screen {app.primaryScreen().size().width()}x{app.primaryScreen().size().height()}, "
          f"window {w.width()}x{w.height()}, load average {os.getloadavg()[0]:.2f}")
    for n in args.counts:
        for shown in (False, True):
            w.doc.replace(experiment(n, "points"))
            w.playback.set_speed(1)
            run_events(app, 600, until=lambda: w.display.generation >= 0 and w.display.n >= 1
                       and w.kernel_label.text() == "kernels ready")
            if shown != w.view3d.dock.isVisible():
                w.view3d.action.trigger()
                run_events(app, 1.0)
            timers = {"2-D paints": scene_paints}
            if shown:
                if view.gl is None or view.problem:
                    print(f"no OpenGL: {view.problem}")
                    return 1
                if not hasattr(view.gl, "_bench_timer"):
                    view.gl._bench_timer = Timed(view.gl, "paintGL")
                timers["3-D paints"] = view.gl._bench_timer
                timers["3-D data"] = data
            w.playback.playing = True
            r = measure(w, app, args.seconds, timers)
            w.playback.playing = False
            run_events(app, 0.3)
            what = f"{n:>7,} particles, 3-D {'shown ' if shown else 'hidden'}"
            drawn = f", 3-D draws {view.n_drawn:,}" if shown else ""
            print(what + ": " + ", ".join(f"{k} {v:.1f}" for k, v in r.items()) + drawn
                  + f" (load {os.getloadavg()[0]:.2f})", flush=True)
    w.playback.playing = False
    run_events(app, 0.5, until=lambda: not w.live.busy)
    shutdown_widgets(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())

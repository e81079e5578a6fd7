"""The desktop application (the only layer that builds widgets).

``run_app(path)`` opens the window (on an experiment file if given) and returns
the exit code. Heavy imports (pyqtgraph, Numba, the engine) happen after the
window is on screen; the compute thread compiles the kernels each experiment needs.
"""

from __future__ import annotations

import os
import sys

__all__ = ["run_app"]


def run_app(path=None, argv=None) -> int:
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print("optviz: no display found (DISPLAY is not set); run under a display, e.g. "
              "`xvfb-run -a optviz`, or set QT_QPA_PLATFORM=offscreen", file=sys.stderr)
        return 2
    if path is not None and not os.path.isfile(os.fspath(path)):
        print(f"optviz: {path}: no such file", file=sys.stderr)
        return 2
    os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    app = ensure_app(argv)
    win = MainWindow(path)
    win.show()
    code = int(app.exec())
    if getattr(win, "thread", None) is not None and win.thread.isRunning():
        # still compiling a kernel (cold cache): Numba cannot be interrupted; leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code

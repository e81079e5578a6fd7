"""The one compute thread: warms the kernels, then runs the LiveRun loop."""

from __future__ import annotations

import time

from PySide6 import QtCore

__all__ = ["ComputeThread"]


class ComputeThread(QtCore.QThread):
    """Runs :meth:`LiveRun.loop`; reports the kernel warm-up (compile) state."""

    kernelsState = QtCore.Signal(str, float)  # "compiling" | "ready" | "failed: ...", seconds

    def __init__(self, live, warm: bool = True, parent=None):
        super().__init__(parent)
        self.live = live
        self.warm = warm

    def run(self):
        if self.warm:
            self.kernelsState.emit("compiling", 0.0)
            t0 = time.perf_counter()
            try:
                from optviz.core.warmup import warm_kernels

                warm_kernels()
                from optviz.render.kernels import warm_render_kernels

                warm_render_kernels()
                self.kernelsState.emit("ready", time.perf_counter() - t0)
            except Exception as error:  # noqa: BLE001 - shown in the status bar
                self.kernelsState.emit(f"failed: {error}", time.perf_counter() - t0)
        self.live.loop()

    def shutdown(self, timeout_ms: int = 5000):
        self.live.stop()
        self.wait(timeout_ms)

"""The one compute thread: runs the LiveRun loop, which compiles each opened experiment's kernels."""

from __future__ import annotations

from PySide6 import QtCore

__all__ = ["ComputeThread"]

#: Threads whose window closed while they compiled (Numba cannot be interrupted): kept until they end,
#: since Qt aborts the process when a running QThread is destroyed.
_finishing: set[ComputeThread] = set()


def _import_expression_parser() -> None:
    """The typed-expression package imports SymPy (most of a second): not on a first keystroke."""
    import optviz.core.expressions  # noqa: F401


def _warm_density_kernels() -> None:
    """The kernels of the density image (drawn above 20,000 particles): not on its first frame."""
    from optviz.render.kernels import warm_render_kernels

    warm_render_kernels()


class ComputeThread(QtCore.QThread):
    """Runs :meth:`LiveRun.loop`: reports each kernel an opened experiment needs as it is compiled
    (or loaded from the disk cache); when idle, prepares what only some views use, so that
    their first use does not stall the window."""

    #: (what is compiling, e.g. "Adam on Rosenbrock", kernels done, kernels needed); done == total: ready
    kernelsProgress = QtCore.Signal(str, int, int)

    def __init__(self, live, parent=None):
        super().__init__(parent)
        self.live = live

    def run(self):
        self.live.loop(on_kernels=self.kernelsProgress.emit,
                       idle_tasks=[_import_expression_parser, _warm_density_kernels])

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the loop; True when the thread ended within ``timeout_ms``. One still compiling
        a kernel is detached from its window and ends on its own when the kernel is done."""
        self.live.stop()
        if self.wait(timeout_ms):
            return True
        self.setParent(None)
        _finishing.add(self)
        self.finished.connect(self._forget)
        if self.isFinished():  # ended before the connection
            self._forget()
        return False

    def _forget(self):
        self.wait()
        _finishing.discard(self)

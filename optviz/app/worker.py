"""The app's threads: the one compute thread (the LiveRun loop, which compiles each opened
experiment's kernels) and a data export's thread (the whole run, as ``optviz run``)."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6 import QtCore

__all__ = ["ComputeThread", "DataExport"]

#: Threads whose window closed while they compiled (Numba cannot be interrupted): kept until they end,
#: since Qt aborts the process when a running QThread is destroyed.
_finishing: set[ComputeThread] = set()


def _import_expression_parser() -> None:
    """The typed-expression package imports SymPy (most of a second): not on a first keystroke."""
    import optviz.core.expressions  # noqa: F401


def _import_curvature() -> None:
    """The sharpness side plot's Hessians come from SymPy: imported here, not on its first frame."""
    import optviz.core.curvature  # noqa: F401


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
                       idle_tasks=[_import_expression_parser, _import_curvature, _warm_density_kernels])

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


class Cancelled(Exception):
    """Raised in a :class:`CancellableJob`'s thread at its next progress report after ``cancel()``."""


class CancellableJob(QtCore.QThread):
    """Work in a thread that reports ``progress(done, total)``, can be cancelled between reports,
    and ends with ``ended(outcome, payload)`` once, in the window's thread, outcome "done",
    "cancelled" or "failed": ``outcome`` is set when the window hears it, so "not running"
    means the window has handled the end. A subclass's ``run`` calls :meth:`finish`."""

    progress = QtCore.Signal(int, int)
    ended = QtCore.Signal(str, object)
    _finished_in_thread = QtCore.Signal(str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.outcome: str | None = None
        self._cancel = threading.Event()
        self._finished_in_thread.connect(self._end)  # queued: runs in the window's thread

    @property
    def running(self) -> bool:
        """True until the window has heard the outcome (``ended`` has been handled)."""
        return self.outcome is None

    def _end(self, outcome: str, payload) -> None:
        self.outcome = outcome
        self._ended(payload)
        self.ended.emit(outcome, payload)

    def _ended(self, payload) -> None:
        """Keep what the end says (in the window's thread, before ``ended``)."""

    def finish(self, outcome: str, payload) -> None:
        """From ``run``: end with ``outcome`` and ``payload``."""
        self._finished_in_thread.emit(outcome, payload)

    def cancel(self) -> None:
        """Stop at the next progress report (the work's slices are about a quarter of a second)."""
        self._cancel.set()

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self.progress.emit(int(done), int(total))


class DataExport(CancellableJob):
    """Runs every step of ``experiment`` as ``optviz run`` does (whatever the window has played)
    and writes the .npz to ``path`` atomically: ``progress(done, total)`` steps, then
    ``ended(outcome, message)`` once (a one-line message). A cancelled or failed export leaves no
    file and an earlier file untouched."""

    def __init__(self, experiment, path, parent=None):
        super().__init__(parent)
        self.experiment = experiment
        self.path = path
        self.message = ""

    def _ended(self, message) -> None:
        self.message = message

    def run(self):
        from optviz.experiment import run_experiment

        name = Path(self.path).name
        try:
            result = run_experiment(self.experiment, progress=self._progress)
            if self._cancel.is_set():
                raise Cancelled
            result.save(self.path)
        except Cancelled:
            outcome, message = "cancelled", self.tr("Export cancelled; {name} was not written.").format(name=name)
        except (ValueError, OSError) as error:
            outcome, message = "failed", str(error).splitlines()[0] if str(error) else type(error).__name__
        except Exception as error:  # noqa: BLE001 - reported in the window, never kills it
            outcome, message = "failed", f"{type(error).__name__}: {error}".splitlines()[0]
        else:
            outcome = "done"
            message = self.tr("Exported {name}: {frames} frames of {particles} particles (steps 0-{last})").format(
                name=name, frames=f"{result.n_frames:,}", particles=f"{result.positions.shape[1]:,}",
                last=f"{int(result.step[-1]):,}")
        self.finish(outcome, message)

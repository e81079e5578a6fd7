"""File > Export Figure / Animation / Data, as the window runs them.

* Figure: the scene at the time cursor, drawn by the render layer (``optviz figure``).
* Animation: the whole run, as ``optviz export`` (see :mod:`optviz.app.export_controller`), in a
  child process with a progress dialog whose Cancel stops it.
* Data: the whole run, as ``optviz run`` writes it (what was not played is computed), in a
  background thread (:class:`~optviz.app.worker.DataExport`) with a progress dialog.

A failed export is said in a message box; the window keeps running meanwhile.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore, QtWidgets

__all__ = ["ExportActions"]


class ExportActions(QtCore.QObject):
    """The export commands of ``window`` for the document ``doc`` shown in ``scene``."""

    def __init__(self, window, doc, session, scene, view, settings: QtCore.QSettings, status):
        super().__init__(window)
        self.window = window
        self.doc = doc
        self.session = session
        self.scene = scene
        self.view = view
        self.settings = settings
        self.status = status
        #: the animation export started last (an AnimationExport), and its progress dialog
        self.animation_export = None
        #: the data export started last (a DataExport)
        self.data_export = None
        #: the progress dialog of the export running now
        self.progress_dialog: QtWidgets.QProgressDialog | None = None

    def running(self) -> bool:
        return any(job is not None and job.running for job in (self.animation_export, self.data_export))

    # ------------------------------------------------------------------ figure
    def export_figure(self, path, size=None):
        """Write the scene at the cursor step to ``path`` (.png/.svg) with the render layer, at ``size``
        (default: the experiment's ``[render]`` size, as ``optviz figure``)."""
        from optviz.render import figure

        self.session.playback.playing = False
        result = self.session.live.result()
        return figure(self.doc.experiment, path, step=self.session.playback.cursor_step, size=size, result=result,
                      **self.render_overrides())

    def render_overrides(self) -> dict:
        v = self.view
        (x0, x1), (y0, y1) = self.scene.view_range()
        return dict(trail_length=v.trail_length, particle_mode=v.particle_mode, colormap=v.colormap,
                    side_plots=list(v.side_plots), view={"x": [x0, x1], "y": [y0, y1]},
                    language=self.scene.language)

    def export_figure_dialog(self):
        from optviz.render.writer_registry import registry

        path = self._ask_path(self.tr("Export figure"), registry.file_filter("figure"),
                              registry.default("figure").extensions[0])
        if not path:
            return None
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            out = self.export_figure(path)
        except (ValueError, OSError) as error:
            QtWidgets.QApplication.restoreOverrideCursor()
            self.status.warn(self.tr("Export failed"), str(error))
            return None
        QtWidgets.QApplication.restoreOverrideCursor()
        self.status.message(self.tr("Exported {path}").format(path=path), 8000)
        return out

    def _ask_path(self, title, filters, default_suffix) -> str:
        start = self.settings.value("last_dir", str(Path.cwd()))
        base = (self.doc.path.stem if self.doc.path else "optviz") + default_suffix
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, title, os.path.join(start, base), filters)
        return path

    def _busy(self) -> bool:
        if self.running():
            self.status.message(self.tr("An export is running; cancel it or wait for it to finish."), 6000)
            return True
        return False

    # ------------------------------------------------------------------ animation
    def export_animation_dialog(self):
        """Ask for the options, then export the whole run (see export_controller); the job or None."""
        from optviz.app.export_controller import AnimationExportDialog

        if self._busy():
            return None
        start = self.settings.value("last_dir", str(Path.cwd()))
        base = (self.doc.path.stem if self.doc.path else "optviz") + ".mp4"
        dialog = AnimationExportDialog(self.doc.experiment, os.path.join(start, base), self.window)
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            settings = dialog.settings()
        finally:
            dialog.deleteLater()
        return self.start_animation_export(settings)

    def start_animation_export(self, settings):
        """Export the whole run of the current experiment as ``optviz export`` does, in a child process,
        with a progress dialog whose Cancel stops it. Returns the :class:`AnimationExport`."""
        from optviz.app.export_controller import AnimationExport

        job = AnimationExport(self.doc.experiment, settings, self)
        name = job.output.name
        dlg = self._progress_dialog(self.tr("Export animation"), self.tr("Preparing {name}…").format(name=name),
                                    job.cancel)

        def progress(phase, done, total):
            if phase == "simulate":
                dlg.setLabelText(self.tr("Computing the run for {name}: step {done} of {total}").format(
                    name=name, done=f"{done:,}", total=f"{total:,}"))
            else:
                dlg.setLabelText(self.tr("Writing {name}: frame {done} of {total}").format(
                    name=name, done=f"{done:,}", total=f"{total:,}"))
            dlg.setMaximum(total)
            dlg.setValue(done)

        job.progress.connect(progress)
        job.finished.connect(self._finished)
        self.animation_export = job
        self.settings.setValue("last_dir", os.fspath(job.output.parent))
        job.start()
        dlg.show()
        return job

    # ------------------------------------------------------------------ data
    def export_data_dialog(self):
        path = self._ask_path(self.tr("Export data"), self.tr("NumPy archive (*.npz)"), ".npz")
        if not path:
            return None
        return self.start_data_export(path)

    def start_data_export(self, path):
        """Write the whole run of the current experiment to ``path`` (.npz) as ``optviz run`` does,
        computing it in a background thread with a cancellable progress dialog. Returns the
        :class:`~optviz.app.worker.DataExport`, or None when the path is refused (said in a box)."""
        from optviz.app.worker import DataExport
        from optviz.experiment import check_output_path

        if self._busy():
            return None
        path = os.path.abspath(os.fspath(path))
        if not path.endswith(".npz"):
            path += ".npz"
        try:
            check_output_path(path)
        except ValueError as error:
            self.status.warn(self.tr("Export failed"), str(error))
            return None
        job = DataExport(self.doc.experiment, path, self)
        name = Path(path).name
        dlg = self._progress_dialog(self.tr("Export data"), self.tr("Computing the run for {name}…").format(name=name),
                                    job.cancel)
        job.progress.connect(self._data_progress)
        job.ended.connect(self._finished)
        self.data_export = job
        self.settings.setValue("last_dir", os.path.dirname(path))
        job.start()
        dlg.show()
        return job

    def _data_progress(self, done: int, total: int) -> None:
        dlg = self.progress_dialog
        if dlg is None or self.data_export is None:
            return
        dlg.setLabelText(self.tr("Computing the run for {name}: step {done} of {total}").format(
            name=Path(self.data_export.path).name, done=f"{done:,}", total=f"{total:,}"))
        dlg.setMaximum(total)
        dlg.setValue(done)

    # ------------------------------------------------------------------ both
    def _progress_dialog(self, title: str, text: str, cancel) -> QtWidgets.QProgressDialog:
        dlg = QtWidgets.QProgressDialog(text, self.tr("Cancel"), 0, 0, self.window)
        dlg.setWindowTitle(title)
        dlg.setWindowModality(QtCore.Qt.WindowModality.NonModal)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.setMinimumDuration(0)
        dlg.canceled.connect(cancel)
        dlg.canceled.connect(lambda: self.status.message(self.tr("Cancelling the export…")))
        self.progress_dialog = dlg
        return dlg

    def _finished(self, outcome: str, message: str) -> None:
        dlg, self.progress_dialog = self.progress_dialog, None
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()
        if outcome == "failed":
            self.status.warn(self.tr("Export failed"), message)
        else:
            self.status.message(message, 10000)

    def abort(self) -> None:
        """The window closes: stop a running export and wait for it."""
        if self.animation_export is not None and self.animation_export.running:
            self.animation_export.abort()
        if self.data_export is not None and self.data_export.running:
            self.data_export.cancel()
            self.data_export.wait(10_000)
